//! Direct assignment and removal by administrators and assignment managers.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use entrada_domain::admin::{validate_direct_assignment, DirectAssignmentDraft};
use entrada_domain::api::AssignmentView;
use entrada_domain::assignment::{self, Assignment, AssignmentEvent, AssignmentState};
use entrada_domain::audit::AuditAction;
use entrada_domain::ids::{AssignmentId, PackageId};
use entrada_domain::permission::{may, Action, Target};
use entrada_domain::preview::PersonSummary;
use entrada_domain::{FieldError, FieldErrors};

use crate::http::authorize::{event, in_catalog};
use crate::http::error::OnConflict;
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::{ApiError, AppState};
use crate::lifecycle::{self, LifecycleError};
use crate::{delivery, store};
use entrada_domain::api::Problem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const ASSIGNMENT: &str = "assignment";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, assign))
        .routes(routes!(remove))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    access_package_id: Option<String>,
}

/// `GET /assignments?accessPackageId=`: assignments of the packages whose catalogs the
/// caller may read assignments of.
#[utoipa::path(get, path = "/assignments", tag = "assignments", summary = "Assignments the caller may read", params(("accessPackageId" = Option<String>, Query, description = "Only this package")), responses((status = 200, body = Vec<AssignmentView>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn list(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<AssignmentView>>, ApiError> {
    if !signed_in.actor.sees_admin() {
        return Err(ApiError::Forbidden);
    }
    let mut conn = app.db.acquire().await?;
    let package_filter = query.access_package_id.map(PackageId);
    if let Some(id) = &package_filter {
        let package = store::catalogs::get_package(&mut conn, id)
            .await?
            .ok_or(ApiError::NotFound("access package"))?;
        in_catalog(
            &signed_in,
            Action::ReadAssignments,
            &package.catalog_id,
            "access package",
        )?;
    }
    let packages = store::catalogs::all_packages(&mut conn).await?;
    let mut views = Vec::new();
    for assignment in store::assignments::list(&mut conn, package_filter.as_ref()).await? {
        let Some(package) = packages
            .iter()
            .find(|package| package.id == assignment.access_package_id)
        else {
            continue;
        };
        if !may(
            &signed_in.actor,
            Action::ReadAssignments,
            &Target::Catalog(&package.catalog_id),
        ) {
            continue;
        }
        let Some(person) = store::users::get(&mut conn, &assignment.user_id).await? else {
            continue;
        };
        views.push(AssignmentView {
            assignment,
            person: PersonSummary::of(&person),
            package_name: package.name.clone(),
        });
    }
    Ok(Json(views))
}

/// `POST /assignments`: assigns a person directly, without approval; the grants are made
/// at once. A blocked person, or a guest in a catalog not open to external users, is a 422
/// on `userId` (the domain's `check_direct_assignee`).
#[utoipa::path(post, path = "/assignments", tag = "assignments", summary = "Assign a person directly, without approval", request_body = DirectAssignmentDraft, responses((status = 201, body = AssignmentView), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn assign(
    State(app): State<AppState>,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<DirectAssignmentDraft>,
) -> Result<(StatusCode, Json<AssignmentView>), ApiError> {
    let now = app.clock.now();
    let draft = validate_direct_assignment(&body, now)?;
    let field = |name: &str, message: &str| {
        ApiError::from(FieldErrors(vec![FieldError::new(name, message)]))
    };
    let mut tx = crate::db::begin(&app.db).await?;
    let package = store::catalogs::get_package(&mut tx, &draft.access_package_id)
        .await?
        .filter(|package| !package.archived)
        .filter(|package| {
            may(
                &signed_in.actor,
                Action::ReadCatalog,
                &Target::Catalog(&package.catalog_id),
            )
        })
        .ok_or_else(|| field("accessPackageId", "No such access package."))?;
    in_catalog(
        &signed_in,
        Action::ManageAssignments,
        &package.catalog_id,
        "access package",
    )?;
    let policy = store::catalogs::get_policy(&mut tx, &draft.policy_id)
        .await?
        .filter(|policy| policy.access_package_id == package.id)
        .ok_or_else(|| field("policyId", "Choose a policy of this access package."))?;
    let person = store::users::get(&mut tx, &draft.user_id)
        .await?
        .ok_or_else(|| field("userId", "No such person in the directory."))?;
    let catalog = store::catalogs::get_catalog(&mut tx, &package.catalog_id)
        .await?
        .ok_or(ApiError::NotFound("access package"))?;
    assignment::check_direct_assignee(&person, &catalog)?;
    let assignment = Assignment {
        id: AssignmentId(store::new_id()),
        user_id: person.id.clone(),
        access_package_id: package.id.clone(),
        policy_id: policy.id.clone(),
        request_id: None,
        state: AssignmentState::Delivered,
        start: now,
        end: draft
            .end
            .or_else(|| assignment::expires_at(&policy.rules.expiration, now)),
        created_at: now,
    };
    store::assignments::insert(&mut tx, &assignment)
        .await
        .on_conflict(&format!(
            "{} already holds {}.",
            person.display_name, package.name
        ))?;
    crate::guest_lifecycle::unblock_on_grant(
        &mut tx,
        &person.id,
        Some(&signed_in.user.id),
        assignment.id.as_str(),
        now,
    )
    .await?;
    let grants = delivery::grant_all(&mut tx, &assignment).await?;
    let audit = event(
        &signed_in,
        now,
        AuditAction::AssignmentCreated,
        "assignment",
        assignment.id.as_str(),
        Some(&package.catalog_id),
        Some(&package.id),
    )
    .with_detail("user", person.id.as_str())
    .with_detail("grants", grants.to_string())
    .with_detail("type", "adminAdd");
    store::audit::append(&mut tx, &audit).await?;
    tx.commit().await?;
    let view = AssignmentView {
        assignment,
        person: PersonSummary::of(&person),
        package_name: package.name,
    };
    Ok((StatusCode::CREATED, Json(view)))
}

/// `POST /assignments/{id}/remove`: ends an assignment and takes back its grants (those no
/// other live assignment still gives).
#[utoipa::path(post, path = "/assignments/{id}/remove", tag = "assignments", summary = "Remove an assignment and take back its grants", params(("id" = String, Path, description = "Identifier")), responses((status = 200, body = Assignment), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn remove(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Assignment>, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let current = store::assignments::get(&mut tx, &AssignmentId(id))
        .await?
        .ok_or(ApiError::NotFound(ASSIGNMENT))?;
    let package = store::catalogs::get_package(&mut tx, &current.access_package_id)
        .await?
        .ok_or(ApiError::NotFound(ASSIGNMENT))?;
    in_catalog(
        &signed_in,
        Action::ManageAssignments,
        &package.catalog_id,
        ASSIGNMENT,
    )?;
    let next = lifecycle::end_assignment(
        &mut tx,
        &current,
        &AssignmentEvent::Remove,
        &package,
        Some(&signed_in.user.id),
        now,
    )
    .await
    .map_err(|error| match error {
        LifecycleError::AssignmentGone => {
            ApiError::Conflict("This assignment has already ended.".to_owned())
        }
        LifecycleError::Raced => ApiError::Conflict(
            "This assignment changed at the same moment; reload and try again.".to_owned(),
        ),
        other => other.into(),
    })?;
    tx.commit().await?;
    Ok(Json(next))
}
