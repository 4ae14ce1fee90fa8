//! Access packages, their resource roles and assignment policies, and the policy preview.

use entrada_domain::audit::{AuditAction, AuditEvent};
use std::collections::HashSet;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use entrada_domain::admin::{
    validate_package, validate_package_resource_role, PackageDraft, PackagePatch,
    PackageResourceRoleDraft, PolicyPatch,
};
use entrada_domain::api::PolicyPreviewBody;
use entrada_domain::catalog::{AccessPackage, Catalog, PackageResourceRole};
use entrada_domain::ids::{CatalogId, PackageId, PackageResourceRoleId, PolicyId};
use entrada_domain::permission::{may, Action, Target};
use entrada_domain::policy::{
    validate_policy_at, Approver, AssignmentPolicy, PolicyDraft, RequestorScope,
};
use entrada_domain::preview::{preview_policy, unsaved_package_id, PolicyPreview};
use entrada_domain::{FieldError, FieldErrors};
use sqlx::AnyConnection;

use crate::http::authorize::{event, in_catalog, in_organization};
use crate::http::error::OnConflict;
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::{ApiError, AppState};
use crate::{delivery, store};
use entrada_domain::api::Problem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const PACKAGE: &str = "access package";
const POLICY: &str = "policy";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(super::packages::access_package, edit, remove))
        .routes(routes!(resource_roles, add_resource_role))
        .routes(routes!(remove_resource_role))
        .routes(routes!(policies, create_policy))
        .routes(routes!(policy, edit_policy, remove_policy))
        .routes(routes!(preview))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    catalog_id: Option<String>,
}

/// `GET /access-packages?catalogId=`: packages of the catalogs the caller may read.
#[utoipa::path(get, path = "/access-packages", tag = "access packages", summary = "Packages of the catalogs the caller may read", params(("catalogId" = Option<String>, Query, description = "Only this catalog")), responses((status = 200, body = Vec<AccessPackage>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn list(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<AccessPackage>>, ApiError> {
    if !signed_in.actor.sees_admin() {
        return Err(ApiError::Forbidden);
    }
    let mut conn = app.db.acquire().await?;
    let packages = store::catalogs::all_packages(&mut conn).await?;
    let visible = packages
        .into_iter()
        .filter(|package| {
            query
                .catalog_id
                .as_deref()
                .is_none_or(|id| package.catalog_id.as_str() == id)
        })
        .filter(|package| {
            may(
                &signed_in.actor,
                Action::ReadCatalog,
                &Target::Catalog(&package.catalog_id),
            )
        })
        .collect();
    Ok(Json(visible))
}

/// `POST /access-packages`: owners and package managers of the catalog.
#[utoipa::path(post, path = "/access-packages", tag = "access packages", summary = "Create an access package in a catalog", request_body = PackageDraft, responses((status = 201, body = AccessPackage), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn create(
    State(app): State<AppState>,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<PackageDraft>,
) -> Result<(StatusCode, Json<AccessPackage>), ApiError> {
    let draft = validate_package(&body)?;
    let no_catalog = || FieldErrors(vec![FieldError::new("catalogId", "No such catalog.")]);
    if !may(
        &signed_in.actor,
        Action::ReadCatalog,
        &Target::Catalog(&draft.catalog_id),
    ) {
        return Err(no_catalog().into());
    }
    in_catalog(
        &signed_in,
        Action::ManagePackages,
        &draft.catalog_id,
        "catalog",
    )?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    store::catalogs::get_catalog(&mut tx, &draft.catalog_id)
        .await?
        .ok_or_else(no_catalog)?;
    let package = AccessPackage {
        id: PackageId(store::new_id()),
        catalog_id: draft.catalog_id.clone(),
        name: draft.name,
        description: draft.description,
        hidden: draft.hidden,
        archived: false,
        resource_roles: Vec::new(),
        created_at: now,
    };
    store::catalogs::insert_package(&mut tx, &package)
        .await
        .on_conflict("An access package with this name already exists in the catalog.")?;
    let audit = event(
        &signed_in,
        now,
        AuditAction::AccessPackageCreated,
        "accessPackage",
        package.id.as_str(),
        Some(&package.catalog_id),
        Some(&package.id),
    )
    .with_detail("name", &package.name);
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(package)))
}

/// `PATCH /access-packages/{id}`: a merge patch of name, description, hidden.
#[utoipa::path(patch, path = "/access-packages/{id}", tag = "access packages", summary = "Edit or hide a package (JSON merge patch)", params(("id" = String, Path, description = "Identifier")), request_body = PackagePatch, responses((status = 200, body = AccessPackage), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn edit(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<PackagePatch>,
) -> Result<Json<AccessPackage>, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let current = package_for(&mut tx, &signed_in, &PackageId(id), Action::ManagePackages).await?;
    let draft = PackageDraft {
        catalog_id: current.catalog_id.clone(),
        name: current.name.clone(),
        description: current.description.clone(),
        hidden: current.hidden,
    };
    let draft = validate_package(&patch.apply(&draft))?;
    let package = AccessPackage {
        name: draft.name,
        description: draft.description,
        hidden: draft.hidden,
        ..current
    };
    store::catalogs::update_package(&mut tx, &package)
        .await
        .on_conflict("An access package with this name already exists in the catalog.")?;
    let audit = event(
        &signed_in,
        now,
        AuditAction::AccessPackageUpdated,
        "accessPackage",
        package.id.as_str(),
        Some(&package.catalog_id),
        Some(&package.id),
    )
    .with_detail("hidden", package.hidden.to_string());
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok(Json(package))
}

/// `DELETE /access-packages/{id}`: only when nobody holds it and no request for it is
/// open. A package with request or assignment history is archived instead of deleted
/// (hidden from requestors, unrequestable, kept for audit and reports); one without
/// history is deleted with its policies.
#[utoipa::path(delete, path = "/access-packages/{id}", tag = "access packages", summary = "Delete a package nobody holds; one with history is archived", params(("id" = String, Path, description = "Identifier")), responses((status = 204, description = "Deleted, or archived when it has request or assignment history"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn remove(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let package = package_for(&mut tx, &signed_in, &PackageId(id), Action::ManagePackages).await?;
    let live = store::assignments::live_count(&mut tx, &package.id).await?;
    if live > 0 {
        return Err(ApiError::Conflict(format!(
            "{live} person(s) still hold this access package; remove their assignments first."
        )));
    }
    let open = store::requests::open_for_package(&mut tx, &package.id).await?;
    if open > 0 {
        return Err(ApiError::Conflict(format!(
            "{open} request(s) for this access package are still open; stop its policies accepting requests, and delete it once they are decided."
        )));
    }
    let action = match store::catalogs::package_has_history(&mut tx, &package.id).await? {
        true => {
            store::catalogs::archive_package(&mut tx, &package.id).await?;
            AuditAction::AccessPackageArchived
        }
        false => {
            store::catalogs::delete_package(&mut tx, &package.id).await?;
            AuditAction::AccessPackageDeleted
        }
    };
    let audit = event(
        &signed_in,
        now,
        action,
        "accessPackage",
        package.id.as_str(),
        Some(&package.catalog_id),
        Some(&package.id),
    )
    .with_detail("name", package.name);
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /access-packages/{id}/resource-roles`.
#[utoipa::path(get, path = "/access-packages/{id}/resource-roles", tag = "access packages", summary = "What a package grants", params(("id" = String, Path, description = "Identifier")), responses((status = 200, body = Vec<PackageResourceRole>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn resource_roles(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Vec<PackageResourceRole>>, ApiError> {
    let mut conn = app.db.acquire().await?;
    let package = package_for(&mut conn, &signed_in, &PackageId(id), Action::ReadCatalog).await?;
    Ok(Json(package.resource_roles))
}

/// `POST /access-packages/{id}/resource-roles`: a role of a resource of the same catalog;
/// everyone who holds the package gets it at once.
#[utoipa::path(post, path = "/access-packages/{id}/resource-roles", tag = "access packages", summary = "Add a resource role; holders get it at once", params(("id" = String, Path, description = "Identifier")), request_body = PackageResourceRoleDraft, responses((status = 201, body = PackageResourceRole), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn add_resource_role(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PackageResourceRoleDraft>,
) -> Result<(StatusCode, Json<PackageResourceRole>), ApiError> {
    let draft = validate_package_resource_role(&body)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let package = package_for(&mut tx, &signed_in, &PackageId(id), Action::ManagePackages).await?;
    let resource = store::catalogs::get_resource(&mut tx, &draft.resource_id)
        .await?
        .filter(|resource| resource.catalog_id == package.catalog_id)
        .ok_or_else(|| {
            FieldErrors(vec![FieldError::new(
                "resourceId",
                "Choose a resource of this package's catalog.",
            )])
        })?;
    let role = resource
        .roles
        .iter()
        .find(|role| role.id == draft.role_id)
        .ok_or_else(|| {
            FieldErrors(vec![FieldError::new(
                "roleId",
                format!("{} has no such role.", resource.name),
            )])
        })?;
    let package_role =
        PackageResourceRole::of(PackageResourceRoleId(store::new_id()), &resource, role);
    store::catalogs::insert_package_role(&mut tx, &package.id, &package_role)
        .await
        .on_conflict(&format!(
            "The package already grants {} of {}.",
            role.name, resource.name
        ))?;
    let granted = delivery::regrant_package(&mut tx, &package.id).await?;
    let audit = role_added_event(&signed_in, now, &package, &package_role, granted);
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(package_role)))
}

/// The event of a resource role added to a package (here, or by a setup wizard), with how
/// many holders got it at once.
pub(crate) fn role_added_event(
    signed_in: &SignedIn,
    now: time::OffsetDateTime,
    package: &AccessPackage,
    role: &PackageResourceRole,
    granted: usize,
) -> AuditEvent {
    event(
        signed_in,
        now,
        AuditAction::PackageResourceRoleAdded,
        "accessPackage",
        package.id.as_str(),
        Some(&package.catalog_id),
        Some(&package.id),
    )
    .with_detail("resource", &role.resource_name)
    .with_detail("role", &role.role_name)
    .with_detail("holdersGranted", granted.to_string())
}

/// `DELETE /access-packages/{id}/resource-roles/{rrid}`: holders lose the grant unless
/// another of their assignments still gives it.
#[utoipa::path(delete, path = "/access-packages/{id}/resource-roles/{role_id}", tag = "access packages", summary = "Remove a resource role; holders lose it unless another assignment gives it", params(("id" = String, Path, description = "Identifier"), ("role_id" = String, Path, description = "The package resource role")), responses((status = 204, description = "Removed"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn remove_resource_role(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path((id, role_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let package = package_for(&mut tx, &signed_in, &PackageId(id), Action::ManagePackages).await?;
    let role = package
        .resource_roles
        .iter()
        .find(|role| role.id.as_str() == role_id)
        .ok_or(ApiError::NotFound("resource role"))?;
    let holders = delivery::live_holders(&mut tx, &package.id).await?;
    store::catalogs::delete_package_role(&mut tx, &role.id).await?;
    let revoked = delivery::revoke_role_from_holders(&mut tx, &package.id, &holders, role).await?;
    let audit = event(
        &signed_in,
        now,
        AuditAction::PackageResourceRoleRemoved,
        "accessPackage",
        package.id.as_str(),
        Some(&package.catalog_id),
        Some(&package.id),
    )
    .with_detail("resource", &role.resource_name)
    .with_detail("role", &role.role_name)
    .with_detail("holdersRevoked", revoked.to_string());
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /access-packages/{id}/policies`.
#[utoipa::path(get, path = "/access-packages/{id}/policies", tag = "policies", summary = "Assignment policies of a package", params(("id" = String, Path, description = "Identifier")), responses((status = 200, body = Vec<AssignmentPolicy>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn policies(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Vec<AssignmentPolicy>>, ApiError> {
    let mut conn = app.db.acquire().await?;
    let package = package_for(&mut conn, &signed_in, &PackageId(id), Action::ReadCatalog).await?;
    Ok(Json(
        store::catalogs::policies(&mut conn, Some(&package.id)).await?,
    ))
}

/// `POST /access-packages/{id}/policies`.
#[utoipa::path(post, path = "/access-packages/{id}/policies", tag = "policies", summary = "Add an assignment policy", params(("id" = String, Path, description = "Identifier")), request_body = PolicyDraft, responses((status = 201, body = AssignmentPolicy), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn create_policy(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PolicyDraft>,
) -> Result<(StatusCode, Json<AssignmentPolicy>), ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let package = package_for(&mut tx, &signed_in, &PackageId(id), Action::ManagePackages).await?;
    let rules = validate_policy_at(&body, now)?;
    check_references(&mut tx, &rules).await?;
    let policy = insert_policy_audited(&mut tx, &signed_in, &package, rules, now).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(policy)))
}

/// Saves a validated policy of `package` and audits it. Used by the policy editor and by
/// the setup wizards.
pub(crate) async fn insert_policy_audited(
    conn: &mut AnyConnection,
    signed_in: &SignedIn,
    package: &AccessPackage,
    rules: PolicyDraft,
    now: time::OffsetDateTime,
) -> Result<AssignmentPolicy, sqlx::Error> {
    let policy = AssignmentPolicy {
        id: PolicyId(store::new_id()),
        access_package_id: package.id.clone(),
        rules,
    };
    store::catalogs::insert_policy(conn, &policy, now).await?;
    let audit = event(
        signed_in,
        now,
        AuditAction::PolicyCreated,
        "policy",
        policy.id.as_str(),
        Some(&package.catalog_id),
        Some(&package.id),
    )
    .with_detail("name", &policy.rules.name);
    store::audit::append(conn, &audit).await?;
    Ok(policy)
}

/// `GET /policies/{id}`.
#[utoipa::path(get, path = "/policies/{id}", tag = "policies", summary = "One assignment policy", params(("id" = String, Path, description = "Identifier")), responses((status = 200, body = AssignmentPolicy), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn policy(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<AssignmentPolicy>, ApiError> {
    let mut conn = app.db.acquire().await?;
    let (policy, _) = policy_for(&mut conn, &signed_in, &PolicyId(id), Action::ReadCatalog).await?;
    Ok(Json(policy))
}

/// `PATCH /policies/{id}`: a merge patch of any policy field, e.g. `{"acceptingRequests": false}`.
#[utoipa::path(patch, path = "/policies/{id}", tag = "policies", summary = "Edit a policy, e.g. stop accepting requests (JSON merge patch)", params(("id" = String, Path, description = "Identifier")), request_body = PolicyPatch, responses((status = 200, body = AssignmentPolicy), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn edit_policy(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<PolicyPatch>,
) -> Result<Json<AssignmentPolicy>, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let (current, package) =
        policy_for(&mut tx, &signed_in, &PolicyId(id), Action::ManagePackages).await?;
    let rules = validate_policy_at(&patch.apply(&current.rules), now)?;
    check_references(&mut tx, &rules).await?;
    refuse_stranding(&mut tx, &current, &rules).await?;
    let policy = AssignmentPolicy { rules, ..current };
    store::catalogs::update_policy(&mut tx, &policy).await?;
    let audit = event(
        &signed_in,
        now,
        AuditAction::PolicyUpdated,
        "policy",
        policy.id.as_str(),
        Some(&package.catalog_id),
        Some(&package.id),
    )
    .with_detail(
        "acceptingRequests",
        policy.rules.accepting_requests.to_string(),
    );
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok(Json(policy))
}

/// `DELETE /policies/{id}`: assignments granted under it keep their dates.
#[utoipa::path(delete, path = "/policies/{id}", tag = "policies", summary = "Delete a policy", params(("id" = String, Path, description = "Identifier")), responses((status = 204, description = "Deleted"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn remove_policy(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let (policy, package) =
        policy_for(&mut tx, &signed_in, &PolicyId(id), Action::ManagePackages).await?;
    let open = store::requests::open_for_policy(&mut tx, &policy.id).await?;
    if open > 0 {
        return Err(ApiError::Conflict(format!(
            "{open} request(s) through this policy are still pending; stop it accepting requests instead, and delete it once they are decided."
        )));
    }
    // An open request refers to its policy through a foreign key: a request submitted at
    // the same moment wins, and this deletion is refused.
    if let Err(error) = store::catalogs::delete_policy(&mut tx, &policy.id).await {
        return Err(match store::requests::is_foreign_key_violation(&error) {
            true => ApiError::Conflict(
                "A request through this policy was submitted at the same moment; stop it accepting requests instead, and delete it once its requests are decided.".to_owned(),
            ),
            false => ApiError::Database(error),
        });
    }
    let audit = event(
        &signed_in,
        now,
        AuditAction::PolicyDeleted,
        "policy",
        policy.id.as_str(),
        Some(&package.catalog_id),
        Some(&package.id),
    )
    .with_detail("name", policy.rules.name);
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Refuses an edit that takes away approval stages while requests wait at one of them:
/// nobody could decide those requests, they would never time out, and they would block
/// the policy's deletion. The message names the waiting requests.
async fn refuse_stranding(
    conn: &mut AnyConnection,
    current: &AssignmentPolicy,
    rules: &PolicyDraft,
) -> Result<(), ApiError> {
    let kept = rules.stages.len();
    if kept >= current.rules.stages.len() {
        return Ok(());
    }
    let stranded = store::requests::pending_from_stage(conn, &current.id, kept).await?;
    if stranded.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = stranded.iter().map(|id| id.as_str()).collect();
    Err(ApiError::Conflict(format!(
        "{} request(s) wait for a decision at stage {} or later, which this edit removes: {}. Let them be decided (or stop the policy accepting requests and wait) before removing stages.",
        stranded.len(),
        kept + 1,
        ids.join(", ")
    )))
}

/// `POST /policy-preview`: who could request through the policy as edited, and who would
/// approve each stage for a chosen person, computed by the functions that decide real
/// requests over the current directory.
#[utoipa::path(post, path = "/policy-preview", tag = "policies", summary = "Who could request through a policy as edited, and who would approve", request_body = PolicyPreviewBody, responses((status = 200, body = PolicyPreview), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn preview(
    State(app): State<AppState>,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<PolicyPreviewBody>,
) -> Result<Json<PolicyPreview>, ApiError> {
    in_organization(&signed_in, Action::ReadDirectory)?;
    let now = app.clock.now();
    let mut conn = app.db.acquire().await?;
    let rules = &body.preview.policy;
    let catalog = match &body.catalog_id {
        Some(id) => {
            in_catalog(&signed_in, Action::ReadCatalog, id, "catalog")?;
            store::catalogs::get_catalog(&mut conn, id)
                .await?
                .ok_or(ApiError::NotFound("catalog"))?
        }
        None => Catalog {
            id: CatalogId::new("unsaved"),
            name: String::new(),
            description: String::new(),
            enabled: true,
            external_users_allowed: rules.requestor_scope.is_external(),
            created_by: None,
            created_at: now,
        },
    };
    let package = match &body.access_package_id {
        Some(id) => {
            let package = package_for(&mut conn, &signed_in, id, Action::ReadCatalog).await?;
            if package.catalog_id != catalog.id && body.catalog_id.is_some() {
                return Err(FieldErrors(vec![FieldError::new(
                    "accessPackageId",
                    "The package is not in this catalog.",
                )])
                .into());
            }
            package
        }
        None => AccessPackage {
            id: unsaved_package_id(),
            catalog_id: catalog.id.clone(),
            name: String::new(),
            description: String::new(),
            hidden: false,
            archived: false,
            resource_roles: Vec::new(),
            created_at: now,
        },
    };
    let directory = store::snapshot(&mut conn).await?;
    Ok(Json(preview_policy(
        &catalog,
        &package,
        rules,
        body.preview.requestor_id.as_ref(),
        &directory,
    )))
}

/// The package `id` if the caller may do `action` in its catalog (404 when they may not
/// even read it).
async fn package_for(
    conn: &mut AnyConnection,
    signed_in: &SignedIn,
    id: &PackageId,
    action: Action,
) -> Result<AccessPackage, ApiError> {
    let package = store::catalogs::get_package(conn, id)
        .await?
        .ok_or(ApiError::NotFound(PACKAGE))?;
    in_catalog(signed_in, action, &package.catalog_id, PACKAGE)?;
    Ok(package)
}

async fn policy_for(
    conn: &mut AnyConnection,
    signed_in: &SignedIn,
    id: &PolicyId,
    action: Action,
) -> Result<(AssignmentPolicy, AccessPackage), ApiError> {
    let policy = store::catalogs::get_policy(conn, id)
        .await?
        .ok_or(ApiError::NotFound(POLICY))?;
    let package = store::catalogs::get_package(conn, &policy.access_package_id)
        .await?
        .ok_or(ApiError::NotFound(POLICY))?;
    in_catalog(signed_in, action, &package.catalog_id, POLICY)?;
    Ok((policy, package))
}

/// Every person, group and organisation a policy names must exist.
async fn check_references(conn: &mut AnyConnection, rules: &PolicyDraft) -> Result<(), ApiError> {
    let errors = reference_errors(conn, rules).await?;
    match errors.is_empty() {
        true => Ok(()),
        false => Err(FieldErrors(errors).into()),
    }
}

/// The field errors for people, groups and organisations a policy names that do not exist.
pub(crate) async fn reference_errors(
    conn: &mut AnyConnection,
    rules: &PolicyDraft,
) -> Result<Vec<FieldError>, sqlx::Error> {
    let directory = store::snapshot(conn).await?;
    let groups: HashSet<String> = store::directory::all_groups(conn)
        .await?
        .into_iter()
        .map(|group| group.id.0)
        .collect();
    let person_exists = |id: &str| {
        directory
            .people
            .iter()
            .any(|person| person.user.id.as_str() == id)
    };
    let mut errors = Vec::new();
    match &rules.requestor_scope {
        RequestorScope::SpecificDirectoryUsers {
            users,
            groups: chosen,
        } => {
            if users.iter().any(|user| !person_exists(user.as_str())) {
                errors.push(FieldError::new(
                    "requestorScope.users",
                    "One of the chosen people is not in the directory.",
                ));
            }
            if chosen.iter().any(|group| !groups.contains(group.as_str())) {
                errors.push(FieldError::new(
                    "requestorScope.groups",
                    "One of the chosen groups is not in the directory.",
                ));
            }
        }
        RequestorScope::SpecificConnectedOrganizations { organizations } => {
            let known = |id: &str| {
                directory
                    .organizations
                    .iter()
                    .any(|org| org.id.as_str() == id)
            };
            if organizations.iter().any(|org| !known(org.as_str())) {
                errors.push(FieldError::new(
                    "requestorScope.organizations",
                    "One of the chosen organisations is not connected.",
                ));
            }
        }
        _ => {}
    }
    for (index, stage) in rules.stages.iter().enumerate() {
        let lists = [
            ("approvers", &stage.approvers),
            ("fallbackApprovers", &stage.fallback_approvers),
        ];
        for (field, approvers) in lists {
            if approvers
                .iter()
                .any(|approver| !approver_exists(approver, &person_exists, &groups))
            {
                errors.push(FieldError::new(
                    format!("stages[{index}].{field}"),
                    "One of the approvers is not in the directory.",
                ));
            }
        }
        if let Some(escalation) = &stage.escalation {
            if escalation
                .approvers
                .iter()
                .any(|approver| !approver_exists(approver, &person_exists, &groups))
            {
                errors.push(FieldError::new(
                    format!("stages[{index}].escalation.approvers"),
                    "One of the approvers is not in the directory.",
                ));
            }
        }
    }
    Ok(errors)
}

fn approver_exists(
    approver: &Approver,
    person_exists: &dyn Fn(&str) -> bool,
    groups: &HashSet<String>,
) -> bool {
    match approver {
        Approver::User { id } => person_exists(id.as_str()),
        Approver::GroupMembers { id } => groups.contains(id.as_str()),
        Approver::Manager
        | Approver::Sponsors
        | Approver::InternalSponsors
        | Approver::ExternalSponsors => true,
    }
}
