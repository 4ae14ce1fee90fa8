//! Requesting, cancelling, approving and denying, and the requestor's own views: My
//! access (assignments) and request history.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use entrada_domain::api::{DecisionBody, MyAssignment, NewRequestBody, Problem, RequestView};
use entrada_domain::catalog::{AccessPackage, Catalog};
use entrada_domain::ids::{CatalogId, PackageId, PolicyId, RequestId};
use entrada_domain::permission::{may, Action, Actor, Target};
use entrada_domain::policy::{AssignmentPolicy, Requestor};
use entrada_domain::request::{
    DecisionKind, RequestEvent, RequestState, RequestType, TransitionError,
};
use entrada_domain::request_view::{
    current_approvers, extension_dates, may_decide_now, may_see, request_view,
};
use entrada_domain::submit::{self, SubmitContext, SubmitError};
use entrada_domain::{FieldError, FieldErrors};
use std::collections::HashMap;

use sqlx::AnyConnection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::cache::{Answer, CatalogData};
use crate::http::cached::{self, Computed};
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::{ApiError, AppState};
use crate::lifecycle::{self, LifecycleError};
use crate::store;
use crate::store::requests::Stored;

const REQUEST: &str = "request";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(detail))
        .routes(routes!(cancel))
        .routes(routes!(decide))
        .routes(routes!(approvals))
        .routes(routes!(my_requests))
        .routes(routes!(my_assignments))
}

impl From<LifecycleError> for ApiError {
    fn from(error: LifecycleError) -> Self {
        match error {
            LifecycleError::Transition(TransitionError::JustificationRequired) => {
                FieldErrors(vec![FieldError::new(
                    "justification",
                    "Give a reason for your decision.",
                )])
                .into()
            }
            LifecycleError::Transition(TransitionError::SelfApproval) => ApiError::Forbidden,
            LifecycleError::Transition(
                TransitionError::NotAnApprover | TransitionError::NotRequestor,
            ) => ApiError::Forbidden,
            LifecycleError::Transition(TransitionError::AlreadyDecided) | LifecycleError::Raced => {
                ApiError::Conflict("This request has already been decided.".to_owned())
            }
            LifecycleError::Transition(other) => ApiError::Conflict(other.to_string()),
            LifecycleError::AssignmentGone => ApiError::Conflict(error.to_string()),
            LifecycleError::Database(error) => ApiError::Database(error),
        }
    }
}

impl From<SubmitError> for ApiError {
    fn from(error: SubmitError) -> Self {
        match error {
            SubmitError::Invalid(errors) => errors.into(),
            SubmitError::NotEligible => ApiError::Forbidden,
            SubmitError::Conflict(message) => ApiError::Conflict(message),
        }
    }
}

/// `POST /requests`: asks for a package (`userAdd`), more time (`userExtend`) or to give it
/// up (`userRemove`). Routed through the policy's approval stages; delivered at once when
/// no approval is needed.
#[utoipa::path(post, path = "/requests", tag = "requests", summary = "Request a package, an extension, or removal of one's own access", request_body = NewRequestBody, responses((status = 201, body = RequestView), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn create(
    State(app): State<AppState>,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<NewRequestBody>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    let now = app.clock.now();
    let field = |name: &str, message: &str| {
        ApiError::from(FieldErrors(vec![FieldError::new(name, message)]))
    };
    let mut tx = crate::db::begin(&app.db).await?;
    let package = store::catalogs::get_package(&mut tx, &body.access_package_id)
        .await?
        .ok_or_else(|| field("accessPackageId", "No such access package."))?;
    let catalog = store::catalogs::get_catalog(&mut tx, &package.catalog_id)
        .await?
        .ok_or_else(|| field("accessPackageId", "No such access package."))?;
    let policy = store::catalogs::get_policy(&mut tx, &body.policy_id)
        .await?
        .ok_or_else(|| field("policyId", "Choose a policy of this access package."))?;
    let groups = store::users::groups_of(&mut tx, &signed_in.user.id).await?;
    let organizations = store::directory::all_organizations(&mut tx).await?;
    let holding = store::assignments::live_of(&mut tx, &signed_in.user.id, &package.id).await?;
    let open_request = store::requests::open_for(&mut tx, &signed_in.user.id, &package.id)
        .await?
        .is_some();
    let context = SubmitContext {
        requestor: Requestor {
            user: &signed_in.user,
            groups: &groups,
        },
        catalog: &catalog,
        package: &package,
        policy: &policy,
        organizations: &organizations,
        holding: holding.as_ref(),
        open_request,
    };
    let submitted = submit::submit(
        &context,
        RequestId(store::new_id()),
        body.request_type,
        &body.draft(),
        now,
    )?;
    if let Err(error) = store::requests::insert(&mut tx, &submitted).await {
        return Err(
            match error
                .as_database_error()
                .is_some_and(|db| db.is_unique_violation())
            {
                true => ApiError::Conflict(format!(
                    "You already have a pending request for {}.",
                    package.name
                )),
                false if store::requests::is_foreign_key_violation(&error) => {
                    ApiError::Conflict("This policy was deleted at the same moment.".to_owned())
                }
                false => ApiError::Database(error),
            },
        );
    }
    // Only the people this request needs (its requestor, their manager, its approvers).
    let directory = store::snapshot_of(&mut tx, &submitted, Some(&policy)).await?;
    let stored = Stored {
        request: submitted,
        version: 1,
    };
    let saved = lifecycle::advance_with(
        &mut tx,
        &directory,
        &stored,
        &policy,
        &package,
        &RequestEvent::Submit,
        Some(&signed_in.user.id),
        now,
    )
    .await?;
    let view = request_view(saved, Some(&policy), &package, &directory, &signed_in.actor);
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /requests/{id}`: for its requestor, its approvers, and those who may read the
/// catalog's assignments.
#[utoipa::path(get, path = "/requests/{id}", tag = "requests", summary = "One request with its stages and decisions", params(("id" = String, Path, description = "Identifier")), responses((status = 200, body = RequestView), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn detail(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    let mut conn = app.db.acquire().await?;
    let (stored, policy, package) = load(&mut conn, &RequestId(id)).await?;
    let directory = store::snapshot_of(&mut conn, &stored.request, policy.as_ref()).await?;
    let mut view = request_view(
        stored.request,
        policy.as_ref(),
        &package,
        &directory,
        &signed_in.actor,
    );
    if !may_see(
        &view,
        policy.as_ref(),
        &package,
        &directory,
        &signed_in.actor,
    ) {
        return Err(ApiError::NotFound(REQUEST));
    }
    if let Some(policy) = &policy {
        add_extension_dates(&mut conn, &mut view, policy, app.clock.now()).await?;
    }
    Ok(Json(view))
}

/// `POST /requests/{id}/cancel`: the requestor, or an administrator, withdraws a request
/// that is pending, or approved and waiting for its scheduled start.
#[utoipa::path(post, path = "/requests/{id}/cancel", tag = "requests", summary = "Cancel a pending request, or an approved one before it starts (requestor or administrator)", params(("id" = String, Path, description = "Identifier")), responses((status = 200, body = RequestView), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn cancel(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let (stored, policy, package) = load(&mut tx, &RequestId(id)).await?;
    let directory = store::snapshot_of(&mut tx, &stored.request, policy.as_ref()).await?;
    let approvers = policy
        .as_ref()
        .map(|policy| current_approvers(&stored.request, policy, &directory))
        .unwrap_or_default();
    let target = Target::Request {
        requestor: &stored.request.requestor,
        current_approvers: &approvers,
    };
    let by = signed_in.user.id.clone();
    let event = match stored.request.requestor == by {
        true => RequestEvent::Cancel { by: by.clone() },
        false if may(&signed_in.actor, Action::CancelRequest, &target) => {
            RequestEvent::AdminCancel { by: by.clone() }
        }
        false => {
            return Err(
                match may(
                    &signed_in.actor,
                    Action::ReadCatalog,
                    &Target::Catalog(&package.catalog_id),
                ) || may(&signed_in.actor, Action::DecideRequest, &target)
                {
                    true => ApiError::Forbidden,
                    false => ApiError::NotFound(REQUEST),
                },
            )
        }
    };
    let policy = policy
        .ok_or_else(|| ApiError::Conflict("The policy of this request was deleted.".to_owned()))?;
    let saved = lifecycle::advance_with(
        &mut tx,
        &directory,
        &stored,
        &policy,
        &package,
        &event,
        Some(&by),
        now,
    )
    .await
    .map_err(|error| match error {
        LifecycleError::Transition(TransitionError::NotAllowed { .. }) => ApiError::Conflict(
            "Only a pending request, or an approved one before its start, can be cancelled."
                .to_owned(),
        ),
        other => other.into(),
    })?;
    let view = request_view(saved, Some(&policy), &package, &directory, &signed_in.actor);
    tx.commit().await?;
    Ok(Json(view))
}

/// `POST /requests/{id}/decisions`: an approver of the current stage approves or denies.
/// Two approvers deciding at once produce one decision and one 409.
#[utoipa::path(post, path = "/requests/{id}/decisions", tag = "requests", summary = "Approve or deny the current stage", params(("id" = String, Path, description = "Identifier")), request_body = DecisionBody, responses((status = 200, body = RequestView), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn decide(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<RequestView>, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let (stored, policy, package) = load(&mut tx, &RequestId(id)).await?;
    let directory = store::snapshot_of(&mut tx, &stored.request, policy.as_ref()).await?;
    let view = request_view(
        stored.request.clone(),
        policy.as_ref(),
        &package,
        &directory,
        &signed_in.actor,
    );
    if !may_see(
        &view,
        policy.as_ref(),
        &package,
        &directory,
        &signed_in.actor,
    ) {
        return Err(ApiError::NotFound(REQUEST));
    }
    if stored.request.state != RequestState::PendingApproval {
        return Err(ApiError::Conflict(
            "This request has already been decided.".to_owned(),
        ));
    }
    if stored.request.requestor == signed_in.user.id {
        return Err(ApiError::Forbidden);
    }
    if !view.caller_may_decide {
        return Err(ApiError::Forbidden);
    }
    let policy = policy
        .ok_or_else(|| ApiError::Conflict("The policy of this request was deleted.".to_owned()))?;
    let justification_required = stored
        .request
        .current_stage
        .and_then(|stage| policy.rules.stages.get(usize::from(stage)))
        .is_some_and(|stage| stage.approver_justification_required);
    let justification =
        submit::validate_decision(justification_required, body.justification.as_deref())?;
    let by = signed_in.user.id.clone();
    let event = match body.decision {
        DecisionKind::Approve => RequestEvent::Approve {
            by: by.clone(),
            justification,
        },
        DecisionKind::Deny => RequestEvent::Deny {
            by: by.clone(),
            justification,
        },
    };
    let saved = lifecycle::advance_with(
        &mut tx,
        &directory,
        &stored,
        &policy,
        &package,
        &event,
        Some(&by),
        now,
    )
    .await?;
    let view = request_view(saved, Some(&policy), &package, &directory, &signed_in.actor);
    tx.commit().await?;
    Ok(Json(view))
}

/// `GET /approvals`: requests waiting for the caller at their current stage, oldest first.
#[utoipa::path(get, path = "/approvals", tag = "requests", summary = "Requests waiting for the caller's decision", responses((status = 200, body = Vec<RequestView>), (status = 304, description = "Not modified: the ETag sent in If-None-Match is still current"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn approvals(
    State(app): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key = Answer::Approvals {
        user: signed_in.user.id.clone(),
    };
    cached::answer(&app, signed_in.versions, key, &headers, async {
        let mut conn = app.db.acquire().await?;
        let catalog = app.cache.catalog(&mut conn, signed_in.versions).await?;
        let pending = store::requests::in_state(&mut conn, RequestState::PendingApproval).await?;
        let views = views_of(
            &mut conn,
            &catalog,
            pending,
            &signed_in.actor,
            app.clock.now(),
            Only::DecidableByCaller,
        )
        .await?;
        // An extension's dates count from now once the access it extends is past its end.
        let keep = views.iter().all(|view| view.extension.is_none());
        Ok(Computed { value: views, keep })
    })
    .await
}

/// `GET /my/requests`: the caller's requests with each stage's decisions, newest first.
#[utoipa::path(get, path = "/my/requests", tag = "my access", summary = "The caller's requests with each stage's decisions", responses((status = 200, body = Vec<RequestView>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn my_requests(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<RequestView>>, ApiError> {
    let mut conn = app.db.acquire().await?;
    let mine = store::requests::of_requestor(&mut conn, &signed_in.user.id).await?;
    if mine.is_empty() {
        return Ok(Json(Vec::new()));
    }
    let catalog = app.cache.catalog(&mut conn, signed_in.versions).await?;
    Ok(Json(
        views_of(
            &mut conn,
            &catalog,
            mine,
            &signed_in.actor,
            app.clock.now(),
            Only::All,
        )
        .await?,
    ))
}

/// Adds to the view of an open extension request the end of the access its requestor
/// holds and the end the extension would bring (see [`extension_dates`]).
async fn add_extension_dates(
    conn: &mut AnyConnection,
    view: &mut RequestView,
    policy: &AssignmentPolicy,
    now: time::OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let request = &view.request;
    if request.request_type != RequestType::UserExtend || !request.state.is_open() {
        return Ok(());
    }
    let held =
        store::assignments::live_of(conn, &request.requestor, &request.access_package_id).await?;
    view.extension = extension_dates(request, policy, held.as_ref(), now);
    Ok(())
}

/// Which of the requests [`views_of`] shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Only {
    All,
    /// Those the caller may decide now (the approvals inbox), kept before any view is built.
    DecidableByCaller,
}

/// The views of several requests, skipping any whose package was deleted. Loads the
/// directory, the packages and the policies once for all of them (and, for open extension
/// requests, the access each would extend).
async fn views_of(
    conn: &mut AnyConnection,
    catalog: &CatalogData,
    requests: Vec<Stored>,
    caller: &Actor,
    now: time::OffsetDateTime,
    only: Only,
) -> Result<Vec<RequestView>, sqlx::Error> {
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let packages: HashMap<&PackageId, &AccessPackage> = catalog
        .packages
        .iter()
        .map(|package| (&package.id, package))
        .collect();
    let policies: HashMap<&PolicyId, &AssignmentPolicy> = catalog
        .policies
        .iter()
        .map(|policy| (&policy.id, policy))
        .collect();
    // Only the people these requests need, not the whole directory.
    let directory = store::snapshot_for(
        conn,
        requests.iter().map(|stored| {
            (
                &stored.request,
                policies.get(&stored.request.policy_id).copied(),
            )
        }),
    )
    .await?;
    let mut views = Vec::with_capacity(requests.len());
    for stored in requests {
        let Some(package) = packages.get(&stored.request.access_package_id) else {
            continue;
        };
        let policy = policies.get(&stored.request.policy_id).copied();
        if only == Only::DecidableByCaller
            && !may_decide_now(&stored.request, policy, &directory, caller)
        {
            continue;
        }
        let mut view = request_view(stored.request, policy, package, &directory, caller);
        if let Some(policy) = policy {
            add_extension_dates(conn, &mut view, policy, now).await?;
        }
        views.push(view);
    }
    Ok(views)
}

/// `GET /my/assignments`: the caller's access, active and ended, newest first.
#[utoipa::path(get, path = "/my/assignments", tag = "my access", summary = "The caller's assignments, active and expired", responses((status = 200, body = Vec<MyAssignment>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn my_assignments(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<MyAssignment>>, ApiError> {
    let mut conn = app.db.acquire().await?;
    let me = &signed_in.user.id;
    let assignments = store::assignments::of_user(&mut conn, me).await?;
    if assignments.is_empty() {
        return Ok(Json(Vec::new()));
    }
    let catalogs: HashMap<CatalogId, Catalog> = store::catalogs::all_catalogs(&mut conn)
        .await?
        .into_iter()
        .map(|catalog| (catalog.id.clone(), catalog))
        .collect();
    let packages: HashMap<PackageId, AccessPackage> = store::catalogs::all_packages(&mut conn)
        .await?
        .into_iter()
        .map(|package| (package.id.clone(), package))
        .collect();
    let policies: HashMap<PolicyId, AssignmentPolicy> = store::catalogs::policies(&mut conn, None)
        .await?
        .into_iter()
        .map(|policy| (policy.id.clone(), policy))
        .collect();
    let open: HashMap<PackageId, RequestId> = store::requests::of_requestor(&mut conn, me)
        .await?
        .into_iter()
        .filter(|stored| stored.request.state.is_open())
        .map(|stored| (stored.request.access_package_id, stored.request.id))
        .collect();
    let groups = store::users::groups_of(&mut conn, me).await?;
    let organizations = store::directory::all_organizations(&mut conn).await?;
    let requestor = Requestor {
        user: &signed_in.user,
        groups: &groups,
    };
    let mut mine = Vec::new();
    for assignment in assignments {
        let Some(package) = packages.get(&assignment.access_package_id) else {
            continue;
        };
        let extension_allowed = match (
            catalogs.get(&package.catalog_id),
            policies.get(&assignment.policy_id),
        ) {
            (Some(catalog), Some(policy)) => submit::extension_offered(
                &requestor,
                catalog,
                package,
                policy,
                &organizations,
                &assignment,
            ),
            _ => false,
        };
        let pending_request = match assignment.state.is_live() {
            true => open.get(&package.id).cloned(),
            false => None,
        };
        mine.push(MyAssignment {
            assignment,
            package: package.clone(),
            extension_allowed,
            pending_request,
        });
    }
    Ok(Json(mine))
}

async fn load(
    conn: &mut AnyConnection,
    id: &RequestId,
) -> Result<(Stored, Option<AssignmentPolicy>, AccessPackage), ApiError> {
    let stored = store::requests::get(conn, id)
        .await?
        .ok_or(ApiError::NotFound(REQUEST))?;
    let package = store::catalogs::get_package(conn, &stored.request.access_package_id)
        .await?
        .ok_or(ApiError::NotFound(REQUEST))?;
    let policy = store::catalogs::get_policy(conn, &stored.request.policy_id).await?;
    Ok((stored, policy, package))
}
