//! Connected organisations: the partners whose people may request access (administrators).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use entrada_domain::admin::OrganizationPatch;
use entrada_domain::api::Problem;
use entrada_domain::audit::AuditAction;
use entrada_domain::ids::ConnectedOrgId;
use entrada_domain::organization::{
    validate_organization, ConnectedOrgState, ConnectedOrganization, OrganizationDraft,
};
use entrada_domain::permission::Action;
use entrada_domain::policy::RequestorScope;
use entrada_domain::{FieldError, FieldErrors};
use sqlx::AnyConnection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::authorize::{event, in_organization};
use crate::http::error::OnConflict;
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::{ApiError, AppState};
use crate::store;

const ORGANIZATION: &str = "connected organisation";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(edit, remove))
}

/// `GET /connected-organizations`.
#[utoipa::path(get, path = "/connected-organizations", tag = "connected organizations", summary = "Connected organisations (administrators)", responses((status = 200, body = Vec<ConnectedOrganization>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn list(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<ConnectedOrganization>>, ApiError> {
    in_organization(&signed_in, Action::ManageOrganization)?;
    let mut conn = app.db.acquire().await?;
    Ok(Json(store::directory::all_organizations(&mut conn).await?))
}

/// `POST /connected-organizations`: a configured partner.
#[utoipa::path(post, path = "/connected-organizations", tag = "connected organizations", summary = "Connect a partner organisation", request_body = OrganizationDraft, responses((status = 201, body = ConnectedOrganization), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn create(
    State(app): State<AppState>,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<OrganizationDraft>,
) -> Result<(StatusCode, Json<ConnectedOrganization>), ApiError> {
    in_organization(&signed_in, Action::ManageOrganization)?;
    let draft = validate_organization(&body)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    check_sponsors(&mut tx, &draft).await?;
    let organization = ConnectedOrganization {
        id: ConnectedOrgId(store::new_id()),
        name: draft.name,
        description: draft.description,
        domains: draft.domains,
        state: ConnectedOrgState::Configured,
        internal_sponsors: draft.internal_sponsors,
        external_sponsors: draft.external_sponsors,
    };
    store::directory::insert_organization(&mut tx, &organization, now)
        .await
        .on_conflict("A connected organisation with this name already exists.")?;
    let audit = event(
        &signed_in,
        now,
        AuditAction::ConnectedOrganizationCreated,
        "connectedOrganization",
        organization.id.as_str(),
        None,
        None,
    )
    .with_detail("name", &organization.name)
    .with_detail("domains", organization.domains.join(" "));
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(organization)))
}

/// `PATCH /connected-organizations/{id}`: a merge patch of the editable fields.
#[utoipa::path(patch, path = "/connected-organizations/{id}", tag = "connected organizations", summary = "Edit a connected organisation (JSON merge patch)", params(("id" = String, Path, description = "Identifier")), request_body = OrganizationPatch, responses((status = 200, body = ConnectedOrganization), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn edit(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<OrganizationPatch>,
) -> Result<Json<ConnectedOrganization>, ApiError> {
    in_organization(&signed_in, Action::ManageOrganization)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let current = find(&mut tx, &ConnectedOrgId(id)).await?;
    let draft = OrganizationDraft {
        name: current.name.clone(),
        description: current.description.clone(),
        domains: current.domains.clone(),
        internal_sponsors: current.internal_sponsors.clone(),
        external_sponsors: current.external_sponsors.clone(),
    };
    let draft = validate_organization(&patch.apply(&draft))?;
    check_sponsors(&mut tx, &draft).await?;
    let before = current.state;
    let organization = ConnectedOrganization {
        name: draft.name,
        description: draft.description,
        domains: draft.domains,
        internal_sponsors: draft.internal_sponsors,
        external_sponsors: draft.external_sponsors,
        state: patch.state.unwrap_or(current.state),
        ..current
    };
    store::directory::update_organization(&mut tx, &organization)
        .await
        .on_conflict("A connected organisation with this name already exists.")?;
    let mut audit = event(
        &signed_in,
        now,
        AuditAction::ConnectedOrganizationUpdated,
        "connectedOrganization",
        organization.id.as_str(),
        None,
        None,
    )
    .with_detail("domains", organization.domains.join(" "));
    if organization.state != before {
        audit = audit.with_detail(
            "state",
            format!(
                "{} → {}",
                before.label().to_lowercase(),
                organization.state.label().to_lowercase()
            ),
        );
    }
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok(Json(organization))
}

/// `DELETE /connected-organizations/{id}`: only when no policy names it and nobody belongs to it.
#[utoipa::path(delete, path = "/connected-organizations/{id}", tag = "connected organizations", summary = "Delete a connected organisation no policy or person uses", params(("id" = String, Path, description = "Identifier")), responses((status = 204, description = "Deleted"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn remove(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    in_organization(&signed_in, Action::ManageOrganization)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let organization = find(&mut tx, &ConnectedOrgId(id)).await?;
    let policies = store::catalogs::policies(&mut tx, None).await?;
    let mut naming = Vec::new();
    for policy in policies.iter().filter(|policy| matches!(&policy.rules.requestor_scope, RequestorScope::SpecificConnectedOrganizations { organizations } if organizations.contains(&organization.id))) {
        let package = store::catalogs::get_package(&mut tx, &policy.access_package_id).await?;
        naming.push(match package {
            Some(package) => format!("“{}” of {}", policy.rules.name, package.name),
            None => format!("“{}”", policy.rules.name),
        });
    }
    let members = store::directory::organization_members(&mut tx, &organization.id).await?;
    if !naming.is_empty() || members > 0 {
        return Err(ApiError::Conflict(in_use_message(
            &organization.name,
            &naming,
            members,
        )));
    }
    store::directory::delete_organization(&mut tx, &organization.id).await?;
    let audit = event(
        &signed_in,
        now,
        AuditAction::ConnectedOrganizationDeleted,
        "connectedOrganization",
        organization.id.as_str(),
        None,
        None,
    )
    .with_detail("name", organization.name);
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why an organisation can't be deleted: the policies that name it (`“Fabrikam” of
/// Partner Collaboration`) and how many of its people are in the directory.
fn in_use_message(name: &str, policies: &[String], members: i64) -> String {
    let mut reasons = Vec::new();
    match policies.len() {
        0 => {}
        1 => reasons.push(format!("the policy {} names it", policies[0])),
        _ => reasons.push(format!("the policies {} name it", policies.join(", "))),
    }
    match members {
        0 => {}
        1 => reasons.push("1 guest belongs to it".to_owned()),
        n => reasons.push(format!("{n} guests belong to it")),
    }
    format!(
        "{name} can't be deleted: {}. Change those first.",
        reasons.join(", and ")
    )
}

async fn find(
    conn: &mut AnyConnection,
    id: &ConnectedOrgId,
) -> Result<ConnectedOrganization, ApiError> {
    store::directory::all_organizations(conn)
        .await?
        .into_iter()
        .find(|organization| &organization.id == id)
        .ok_or(ApiError::NotFound(ORGANIZATION))
}

async fn check_sponsors(
    conn: &mut AnyConnection,
    draft: &OrganizationDraft,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (field, sponsors) in [
        ("internalSponsors", &draft.internal_sponsors),
        ("externalSponsors", &draft.external_sponsors),
    ] {
        for (index, sponsor) in sponsors.iter().enumerate() {
            if store::users::get(conn, sponsor).await?.is_none() {
                errors.push(FieldError::new(
                    format!("{field}[{index}]"),
                    "No such person in the directory.",
                ));
            }
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(FieldErrors(errors).into()),
    }
}
