//! `POST /setup`: what a guided setup wizard creates — a catalog (or an existing one), the
//! resources it needs, an access package with its resource roles and its first policy —
//! checked in full and saved in one transaction, so a wizard never leaves half a setup.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use entrada_domain::admin::{validate_setup, SetupCatalog, SetupDraft, SetupResult};
use entrada_domain::audit::AuditAction;
use entrada_domain::catalog::{AccessPackage, CatalogRole, PackageResourceRole, Resource};
use entrada_domain::ids::{PackageId, PackageResourceRoleId, ResourceId};
use entrada_domain::permission::{may, Action, CatalogGrant, Target};
use entrada_domain::{FieldError, FieldErrors};

use crate::http::admin_packages::{insert_policy_audited, reference_errors, role_added_event};
use crate::http::authorize::{event, in_catalog, in_organization};
use crate::http::catalogs::{directory_object, insert_catalog_with_owners, may_add};
use crate::http::error::OnConflict;
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::{ApiError, AppState};
use crate::store;
use entrada_domain::api::Problem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(setup))
}

#[utoipa::path(post, path = "/setup", tag = "access packages", summary = "Save a guided setup (catalog, resources, package, policy) in one transaction", request_body = SetupDraft, responses((status = 201, body = SetupResult), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn setup(
    State(app): State<AppState>,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<SetupDraft>,
) -> Result<(StatusCode, Json<SetupResult>), ApiError> {
    let now = app.clock.now();
    let draft = validate_setup(&body, now)?;
    let field = |name: String, message: &str| {
        ApiError::from(FieldErrors(vec![FieldError::new(name, message)]))
    };
    let mut tx = crate::db::begin(&app.db).await?;

    let catalog = match &draft.catalog {
        SetupCatalog::Existing { id } => {
            if !may(&signed_in.actor, Action::ReadCatalog, &Target::Catalog(id)) {
                return Err(field("catalog.id".into(), "No such catalog."));
            }
            in_catalog(&signed_in, Action::ManagePackages, id, "catalog")?;
            store::catalogs::get_catalog(&mut tx, id)
                .await?
                .ok_or_else(|| field("catalog.id".into(), "No such catalog."))?
        }
        SetupCatalog::New {
            catalog: fields,
            owners,
        } => {
            in_organization(&signed_in, Action::CreateCatalog)?;
            insert_catalog_with_owners(&mut tx, &signed_in, fields, owners, now)
                .await
                .map_err(|error| prefix_fields(error, "catalog."))?
        }
    };

    // Who adds the resources: the signed-in person, who owns a catalog made here.
    let mut adder = signed_in.actor.clone();
    if matches!(draft.catalog, SetupCatalog::New { .. }) {
        adder.catalog_roles.push(CatalogGrant {
            catalog_id: catalog.id.clone(),
            role: CatalogRole::Owner,
        });
    }
    let mut resources = store::catalogs::resources_of(&mut tx, &catalog.id).await?;
    let mut package_roles: Vec<PackageResourceRole> = Vec::new();
    for (index, wanted) in draft.roles.iter().enumerate() {
        let existing = resources
            .iter()
            .find(|resource| resource.kind == wanted.kind && resource.origin_id == wanted.origin_id)
            .cloned();
        let resource = match existing {
            Some(resource) => resource,
            None => {
                let created_here = matches!(draft.catalog, SetupCatalog::New { .. });
                if !created_here {
                    in_catalog(
                        &signed_in,
                        Action::ManageCatalogResources,
                        &catalog.id,
                        "catalog",
                    )?;
                }
                let object = directory_object(&mut tx, wanted.kind, &wanted.origin_id)
                    .await?
                    .ok_or_else(|| {
                        field(
                            format!("roles[{index}]"),
                            "No such object in the directory.",
                        )
                    })?;
                // Dropping `tx` on this error rolls back the whole setup, the new catalog too.
                may_add(&adder, &catalog.id, &object)?;
                let resource = Resource {
                    id: ResourceId(store::new_id()),
                    catalog_id: catalog.id.clone(),
                    kind: wanted.kind,
                    origin_id: wanted.origin_id.clone(),
                    name: object.name,
                    roles: object.roles,
                };
                store::catalogs::insert_resource(&mut tx, &resource).await?;
                let audit = event(
                    &signed_in,
                    now,
                    AuditAction::ResourceAdded,
                    "resource",
                    resource.id.as_str(),
                    Some(&catalog.id),
                    None,
                )
                .with_detail("name", &resource.name);
                store::audit::append(&mut tx, &audit).await?;
                resources.push(resource.clone());
                resource
            }
        };
        let role = resource
            .roles
            .iter()
            .find(|role| role.id == wanted.role_id)
            .ok_or_else(|| field(format!("roles[{index}]"), "The resource has no such role."))?;
        if package_roles
            .iter()
            .any(|existing| existing.resource_id == resource.id && existing.role_id == role.id)
        {
            continue;
        }
        package_roles.push(PackageResourceRole::of(
            PackageResourceRoleId(store::new_id()),
            &resource,
            role,
        ));
    }

    let package = AccessPackage {
        id: PackageId(store::new_id()),
        catalog_id: catalog.id.clone(),
        name: draft.package.name.clone(),
        description: draft.package.description.clone(),
        hidden: draft.package.hidden,
        archived: false,
        resource_roles: package_roles,
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
        Some(&catalog.id),
        Some(&package.id),
    )
    .with_detail("name", &package.name)
    .with_detail("resourceRoles", package.resource_roles.len().to_string());
    store::audit::append(&mut tx, &audit).await?;
    // Each role as its own event, as when added on the package page: a filter by action
    // finds wizard-made packages' roles too. Nobody holds a new package yet.
    for role in &package.resource_roles {
        let audit = role_added_event(&signed_in, now, &package, role, 0);
        store::audit::append(&mut tx, &audit).await?;
    }

    let missing = reference_errors(&mut tx, &draft.policy).await?;
    if !missing.is_empty() {
        let prefixed = missing
            .into_iter()
            .map(|error| FieldError::new(format!("policy.{}", error.field), error.message))
            .collect();
        return Err(FieldErrors(prefixed).into());
    }
    let policy =
        insert_policy_audited(&mut tx, &signed_in, &package, draft.policy.clone(), now).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(SetupResult {
            catalog,
            package,
            policy,
        }),
    ))
}

/// A field error of one part of the setup, named by its path within the whole setup.
fn prefix_fields(error: ApiError, prefix: &str) -> ApiError {
    match error {
        ApiError::Validation(FieldErrors(errors)) => FieldErrors(
            errors
                .into_iter()
                .map(|error| FieldError::new(format!("{prefix}{}", error.field), error.message))
                .collect(),
        )
        .into(),
        other => other,
    }
}
