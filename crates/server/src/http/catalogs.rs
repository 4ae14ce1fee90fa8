//! Catalogs, who manages them, and their resources.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use entrada_domain::admin::{
    validate_catalog, validate_catalog_role, validate_resource, CatalogDraft, CatalogPatch,
    CatalogRoleDraft, ResourceDraft,
};
use entrada_domain::api::{CatalogDetail, CatalogPermissions, CatalogRoleMember, CatalogSummary};
use entrada_domain::audit::AuditAction;
use entrada_domain::catalog::{
    Catalog, CatalogRole, CatalogRoleAssignment, Resource, ResourceKind, ResourceRole,
};
use entrada_domain::ids::{CatalogId, ResourceId, RoleAssignmentId, UserId};
use entrada_domain::permission::{may, Action, Actor, Target};
use entrada_domain::preview::PersonSummary;
use entrada_domain::{FieldError, FieldErrors};
use sqlx::AnyConnection;

use crate::http::authorize::{event, in_catalog, in_organization};
use crate::http::error::OnConflict;
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::{ApiError, AppState};
use crate::store;
use entrada_domain::api::Problem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const CATALOG: &str = "catalog";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(detail, edit, remove))
        .routes(routes!(roles, add_role))
        .routes(routes!(remove_role))
        .routes(routes!(resources, add_resource))
        .routes(routes!(remove_resource))
}

/// `GET /catalogs`: the catalogs the caller may read.
#[utoipa::path(get, path = "/catalogs", tag = "catalogs", summary = "Catalogs the caller may read", responses((status = 200, body = Vec<CatalogSummary>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn list(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<CatalogSummary>>, ApiError> {
    let actor = &signed_in.actor;
    if !actor.sees_admin() {
        return Err(ApiError::Forbidden);
    }
    let mut conn = app.db.acquire().await?;
    let mut summaries = Vec::new();
    for catalog in store::catalogs::all_catalogs(&mut conn).await? {
        if !may(actor, Action::ReadCatalog, &Target::Catalog(&catalog.id)) {
            continue;
        }
        let (packages, resources) =
            store::catalogs::catalog_contents(&mut conn, &catalog.id).await?;
        let my_roles = CatalogRole::ALL
            .into_iter()
            .filter(|role| actor.holds(*role, &catalog.id))
            .collect();
        summaries.push(CatalogSummary {
            catalog,
            package_count: u32::try_from(packages).unwrap_or(u32::MAX),
            resource_count: u32::try_from(resources).unwrap_or(u32::MAX),
            my_roles,
        });
    }
    Ok(Json(summaries))
}

/// `POST /catalogs`: administrators and catalog creators; the creator becomes its owner.
#[utoipa::path(post, path = "/catalogs", tag = "catalogs", summary = "Create a catalog; the creator becomes its owner", request_body = CatalogDraft, responses((status = 201, body = Catalog), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn create(
    State(app): State<AppState>,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<CatalogDraft>,
) -> Result<(StatusCode, Json<Catalog>), ApiError> {
    in_organization(&signed_in, Action::CreateCatalog)?;
    let draft = validate_catalog(&body)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let catalog = insert_catalog_with_owners(&mut tx, &signed_in, &draft, &[], now).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(catalog)))
}

/// Creates a validated catalog with the caller and `more_owners` as its owners, and
/// audits it. Used by `POST /catalogs` and by the setup wizards.
pub(crate) async fn insert_catalog_with_owners(
    conn: &mut AnyConnection,
    signed_in: &SignedIn,
    draft: &CatalogDraft,
    more_owners: &[UserId],
    now: time::OffsetDateTime,
) -> Result<Catalog, ApiError> {
    let catalog = Catalog {
        id: CatalogId(store::new_id()),
        name: draft.name.clone(),
        description: draft.description.clone(),
        enabled: draft.enabled,
        external_users_allowed: draft.external_users_allowed,
        created_by: Some(signed_in.user.id.clone()),
        created_at: now,
    };
    store::catalogs::insert_catalog(conn, &catalog)
        .await
        .on_conflict("A catalog with this name already exists.")?;
    let mut owners = vec![signed_in.user.id.clone()];
    for owner in more_owners {
        if !owners.contains(owner) {
            owners.push(owner.clone());
        }
    }
    for (index, owner) in owners.iter().enumerate() {
        if store::users::get(conn, owner).await?.is_none() {
            let field = format!("owners[{}]", index.saturating_sub(1));
            return Err(FieldErrors(vec![FieldError::new(
                field,
                "No such person in the directory.",
            )])
            .into());
        }
        let grant = CatalogRoleAssignment {
            id: RoleAssignmentId(store::new_id()),
            catalog_id: catalog.id.clone(),
            user_id: owner.clone(),
            role: CatalogRole::Owner,
        };
        store::catalogs::insert_role(conn, &grant).await?;
    }
    let audit = event(
        signed_in,
        now,
        AuditAction::CatalogCreated,
        "catalog",
        catalog.id.as_str(),
        Some(&catalog.id),
        None,
    )
    .with_detail("name", &catalog.name)
    .with_detail("owners", owners.len().to_string());
    store::audit::append(conn, &audit).await?;
    Ok(catalog)
}

/// `GET /catalogs/{id}`: the catalog with its roles, resources and packages.
#[utoipa::path(get, path = "/catalogs/{id}", tag = "catalogs", summary = "A catalog with its roles, resources and packages", params(("id" = String, Path, description = "Identifier")), responses((status = 200, body = CatalogDetail), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn detail(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<CatalogDetail>, ApiError> {
    let id = CatalogId(id);
    in_catalog(&signed_in, Action::ReadCatalog, &id, CATALOG)?;
    let mut conn = app.db.acquire().await?;
    let catalog = store::catalogs::get_catalog(&mut conn, &id)
        .await?
        .ok_or(ApiError::NotFound(CATALOG))?;
    let roles = role_members(&mut conn, &id).await?;
    let resources = store::catalogs::resources_of(&mut conn, &id).await?;
    let packages = store::catalogs::packages_of(&mut conn, &id).await?;
    let permissions = CatalogPermissions::of(&signed_in.actor, &id);
    Ok(Json(CatalogDetail {
        catalog,
        roles,
        resources,
        packages,
        permissions,
    }))
}

/// `PATCH /catalogs/{id}`: a merge patch of name, description, enabled, externalUsersAllowed.
#[utoipa::path(patch, path = "/catalogs/{id}", tag = "catalogs", summary = "Edit, enable or disable a catalog (JSON merge patch)", params(("id" = String, Path, description = "Identifier")), request_body = CatalogPatch, responses((status = 200, body = Catalog), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn edit(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<CatalogPatch>,
) -> Result<Json<Catalog>, ApiError> {
    let id = CatalogId(id);
    in_catalog(&signed_in, Action::EditCatalog, &id, CATALOG)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let current = store::catalogs::get_catalog(&mut tx, &id)
        .await?
        .ok_or(ApiError::NotFound(CATALOG))?;
    let draft = CatalogDraft {
        name: current.name.clone(),
        description: current.description.clone(),
        enabled: current.enabled,
        external_users_allowed: current.external_users_allowed,
    };
    let draft = validate_catalog(&patch.apply(&draft))?;
    let catalog = Catalog {
        name: draft.name,
        description: draft.description,
        enabled: draft.enabled,
        external_users_allowed: draft.external_users_allowed,
        ..current
    };
    store::catalogs::update_catalog(&mut tx, &catalog)
        .await
        .on_conflict("A catalog with this name already exists.")?;
    let audit = event(
        &signed_in,
        now,
        AuditAction::CatalogUpdated,
        "catalog",
        id.as_str(),
        Some(&id),
        None,
    )
    .with_detail("enabled", catalog.enabled.to_string());
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok(Json(catalog))
}

/// `DELETE /catalogs/{id}`: only an empty catalog.
#[utoipa::path(delete, path = "/catalogs/{id}", tag = "catalogs", summary = "Delete an empty catalog", params(("id" = String, Path, description = "Identifier")), responses((status = 204, description = "Deleted"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn remove(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = CatalogId(id);
    in_catalog(&signed_in, Action::EditCatalog, &id, CATALOG)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let catalog = store::catalogs::get_catalog(&mut tx, &id)
        .await?
        .ok_or(ApiError::NotFound(CATALOG))?;
    let (packages, resources) = store::catalogs::catalog_contents(&mut tx, &id).await?;
    if packages > 0 || resources > 0 {
        return Err(ApiError::Conflict(format!(
            "The catalog still holds {packages} access package(s) and {resources} resource(s); remove them first."
        )));
    }
    store::catalogs::delete_catalog(&mut tx, &id).await?;
    let audit = event(
        &signed_in,
        now,
        AuditAction::CatalogDeleted,
        "catalog",
        id.as_str(),
        Some(&id),
        None,
    )
    .with_detail("name", catalog.name);
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /catalogs/{id}/roles`.
#[utoipa::path(get, path = "/catalogs/{id}/roles", tag = "catalogs", summary = "Owners, readers and managers of a catalog", params(("id" = String, Path, description = "Identifier")), responses((status = 200, body = Vec<CatalogRoleMember>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn roles(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Vec<CatalogRoleMember>>, ApiError> {
    let id = CatalogId(id);
    in_catalog(&signed_in, Action::ReadCatalog, &id, CATALOG)?;
    let mut conn = app.db.acquire().await?;
    Ok(Json(role_members(&mut conn, &id).await?))
}

/// `POST /catalogs/{id}/roles`: owners add owners, readers and managers.
#[utoipa::path(post, path = "/catalogs/{id}/roles", tag = "catalogs", summary = "Give someone a role in a catalog", params(("id" = String, Path, description = "Identifier")), request_body = CatalogRoleDraft, responses((status = 201, body = CatalogRoleMember), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn add_role(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CatalogRoleDraft>,
) -> Result<(StatusCode, Json<CatalogRoleMember>), ApiError> {
    let id = CatalogId(id);
    in_catalog(&signed_in, Action::ManageCatalogRoles, &id, CATALOG)?;
    let draft = validate_catalog_role(&body)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    store::catalogs::get_catalog(&mut tx, &id)
        .await?
        .ok_or(ApiError::NotFound(CATALOG))?;
    let person = store::users::get(&mut tx, &draft.user_id)
        .await?
        .ok_or_else(|| {
            FieldErrors(vec![FieldError::new(
                "userId",
                "No such person in the directory.",
            )])
        })?;
    let grant = CatalogRoleAssignment {
        id: RoleAssignmentId(store::new_id()),
        catalog_id: id.clone(),
        user_id: person.id.clone(),
        role: draft.role,
    };
    store::catalogs::insert_role(&mut tx, &grant)
        .await
        .on_conflict(&format!(
            "{} is already {} of this catalog.",
            person.display_name,
            article(draft.role)
        ))?;
    let audit = event(
        &signed_in,
        now,
        AuditAction::CatalogRoleAdded,
        "user",
        person.id.as_str(),
        Some(&id),
        None,
    )
    .with_detail("role", draft.role.as_str());
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(CatalogRoleMember {
            id: grant.id,
            role: grant.role,
            person: PersonSummary::of(&person),
        }),
    ))
}

/// `DELETE /catalogs/{id}/roles/{assignmentId}`: a catalog keeps at least one owner.
#[utoipa::path(delete, path = "/catalogs/{id}/roles/{assignment_id}", tag = "catalogs", summary = "Take a catalog role away (a catalog keeps one owner)", params(("id" = String, Path, description = "Identifier"), ("assignment_id" = String, Path, description = "The role grant")), responses((status = 204, description = "Removed"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn remove_role(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path((id, assignment_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = CatalogId(id);
    in_catalog(&signed_in, Action::ManageCatalogRoles, &id, CATALOG)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    // Two owners removing each other at once must not both see two owners.
    store::catalogs::lock_catalog(&mut tx, &id).await?;
    let roles = store::catalogs::roles_of(&mut tx, &id).await?;
    let grant = roles
        .iter()
        .find(|grant| grant.id.as_str() == assignment_id)
        .ok_or(ApiError::NotFound("catalog role"))?;
    let owners = roles
        .iter()
        .filter(|other| other.role == CatalogRole::Owner)
        .count();
    if grant.role == CatalogRole::Owner && owners <= 1 {
        return Err(ApiError::Conflict(
            "A catalog keeps at least one owner; add another owner first.".to_owned(),
        ));
    }
    store::catalogs::delete_role(&mut tx, &grant.id).await?;
    let audit = event(
        &signed_in,
        now,
        AuditAction::CatalogRoleRemoved,
        "user",
        grant.user_id.as_str(),
        Some(&id),
        None,
    )
    .with_detail("role", grant.role.as_str());
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /catalogs/{id}/resources`.
#[utoipa::path(get, path = "/catalogs/{id}/resources", tag = "catalogs", summary = "Resources of a catalog with their roles", params(("id" = String, Path, description = "Identifier")), responses((status = 200, body = Vec<Resource>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn resources(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Vec<Resource>>, ApiError> {
    let id = CatalogId(id);
    in_catalog(&signed_in, Action::ReadCatalog, &id, CATALOG)?;
    let mut conn = app.db.acquire().await?;
    Ok(Json(store::catalogs::resources_of(&mut conn, &id).await?))
}

/// `POST /catalogs/{id}/resources`: adds a group, application or site of the directory.
#[utoipa::path(post, path = "/catalogs/{id}/resources", tag = "catalogs", summary = "Add a group, application or site to a catalog", params(("id" = String, Path, description = "Identifier")), request_body = ResourceDraft, responses((status = 201, body = Resource), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn add_resource(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResourceDraft>,
) -> Result<(StatusCode, Json<Resource>), ApiError> {
    let id = CatalogId(id);
    in_catalog(&signed_in, Action::ManageCatalogResources, &id, CATALOG)?;
    let draft = validate_resource(&body)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    store::catalogs::get_catalog(&mut tx, &id)
        .await?
        .ok_or(ApiError::NotFound(CATALOG))?;
    let object = directory_object(&mut tx, draft.kind, &draft.origin_id)
        .await?
        .ok_or_else(|| {
            FieldErrors(vec![FieldError::new(
                "originId",
                "No such object in the directory.",
            )])
        })?;
    may_add(&signed_in.actor, &id, &object)?;
    let resource = Resource {
        id: ResourceId(store::new_id()),
        catalog_id: id.clone(),
        kind: draft.kind,
        origin_id: draft.origin_id,
        name: object.name,
        roles: object.roles,
    };
    store::catalogs::insert_resource(&mut tx, &resource)
        .await
        .on_conflict("This resource is already in the catalog.")?;
    let audit = event(
        &signed_in,
        now,
        AuditAction::ResourceAdded,
        "resource",
        resource.id.as_str(),
        Some(&id),
        None,
    )
    .with_detail("name", &resource.name)
    .with_detail("kind", resource.kind.as_str());
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(resource)))
}

/// `DELETE /catalogs/{id}/resources/{rid}`: only when no package uses it.
#[utoipa::path(delete, path = "/catalogs/{id}/resources/{resource_id}", tag = "catalogs", summary = "Remove a resource no package uses", params(("id" = String, Path, description = "Identifier"), ("resource_id" = String, Path, description = "The resource")), responses((status = 204, description = "Removed"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn remove_resource(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path((id, resource_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = CatalogId(id);
    in_catalog(&signed_in, Action::ManageCatalogResources, &id, CATALOG)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let resource = store::catalogs::get_resource(&mut tx, &ResourceId(resource_id))
        .await?
        .filter(|resource| resource.catalog_id == id)
        .ok_or(ApiError::NotFound("resource"))?;
    let usage = store::catalogs::resource_usage(&mut tx, &resource.id).await?;
    if usage > 0 {
        return Err(ApiError::Conflict(format!(
            "{} is used by {usage} resource role(s) of access packages; remove them from the packages first.",
            resource.name
        )));
    }
    store::catalogs::delete_resource(&mut tx, &resource.id).await?;
    let audit = event(
        &signed_in,
        now,
        AuditAction::ResourceRemoved,
        "resource",
        resource.id.as_str(),
        Some(&id),
        None,
    )
    .with_detail("name", resource.name);
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn role_members(
    conn: &mut AnyConnection,
    catalog: &CatalogId,
) -> Result<Vec<CatalogRoleMember>, sqlx::Error> {
    let mut members = Vec::new();
    for grant in store::catalogs::roles_of(conn, catalog).await? {
        if let Some(person) = store::users::get(conn, &grant.user_id).await? {
            members.push(CatalogRoleMember {
                id: grant.id,
                role: grant.role,
                person: PersonSummary::of(&person),
            });
        }
    }
    Ok(members)
}

/// A directory object as a catalog resource sees it: its name, the roles it offers and its
/// owners (who, besides administrators, may add it to a catalog).
pub(crate) struct DirectoryObject {
    pub(crate) name: String,
    pub(crate) roles: Vec<ResourceRole>,
    pub(crate) owners: Vec<UserId>,
}

/// A directory object, if it exists.
pub(crate) async fn directory_object(
    conn: &mut AnyConnection,
    kind: ResourceKind,
    origin: &str,
) -> Result<Option<DirectoryObject>, sqlx::Error> {
    let role = |id: &str, name: &str| ResourceRole {
        id: id.to_owned(),
        name: name.to_owned(),
    };
    Ok(match kind {
        ResourceKind::Group => store::directory::all_groups(conn)
            .await?
            .into_iter()
            .find(|group| group.id.as_str() == origin)
            .map(|group| DirectoryObject {
                name: group.name,
                roles: entrada_domain::catalog::group_roles(),
                owners: group.owners,
            }),
        ResourceKind::Application => store::directory::all_applications(conn)
            .await?
            .into_iter()
            .find(|application| application.id.as_str() == origin)
            .map(|application| DirectoryObject {
                roles: application
                    .roles
                    .iter()
                    .map(|r| role(&r.id, &r.name))
                    .collect(),
                name: application.name,
                owners: application.owners,
            }),
        ResourceKind::Site => store::directory::all_sites(conn)
            .await?
            .into_iter()
            .find(|site| site.id.as_str() == origin)
            .map(|site| DirectoryObject {
                roles: site.roles.iter().map(|r| role(&r.id, &r.name)).collect(),
                name: site.name,
                owners: site.owners,
            }),
    })
}

/// Allows `actor` to add `object` to `catalog` (an administrator, or an owner of the
/// catalog who also owns the object), or says 403 with the reason.
pub(crate) fn may_add(
    actor: &Actor,
    catalog: &CatalogId,
    object: &DirectoryObject,
) -> Result<(), ApiError> {
    let target = Target::DirectoryObject {
        catalog,
        owners: &object.owners,
    };
    match may(actor, Action::AddResource, &target) {
        true => Ok(()),
        false => Err(ApiError::ForbiddenBecause(format!(
            "Only an administrator or an owner of {} may add it to a catalog.",
            object.name
        ))),
    }
}

fn article(role: CatalogRole) -> String {
    let label = role.label().to_lowercase();
    match label.starts_with(['a', 'e', 'i', 'o', 'u']) {
        true => format!("an {label}"),
        false => format!("a {label}"),
    }
}
