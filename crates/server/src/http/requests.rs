//! Requesting, cancelling, approving and denying, and the requestor's own views: My
//! access (assignments) and request history.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use entrada_domain::api::{
    DecisionBody, MyAssignment, NewRequestBody, Problem, RequestView, StageView,
};
use entrada_domain::catalog::{AccessPackage, Catalog};
use entrada_domain::directory::UserKind;
use entrada_domain::ids::{RequestId, UserId};
use entrada_domain::permission::{may, Action, Actor, Target};
use entrada_domain::policy::{requestable_policies, AssignmentPolicy, Requestor};
use entrada_domain::preview::PersonSummary;
use entrada_domain::request::{
    self, validate_request_draft, AccessRequest, DecisionKind, RequestEvent, RequestState,
    RequestType, Schedule, TransitionError,
};
use entrada_domain::{FieldError, FieldErrors};
use sqlx::AnyConnection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
    if signed_in.user.kind == UserKind::Guest && !catalog.external_users_allowed {
        return Err(field("accessPackageId", "No such access package."));
    }
    let policy = store::catalogs::get_policy(&mut tx, &body.policy_id)
        .await?
        .filter(|policy| policy.access_package_id == package.id)
        .ok_or_else(|| field("policyId", "Choose a policy of this access package."))?;
    let holding = store::assignments::live_of(&mut tx, &signed_in.user.id, &package.id).await?;
    let draft = match body.request_type {
        RequestType::UserAdd => {
            if !may_request_through(&mut tx, &signed_in, &catalog, &package, &policy).await? {
                return Err(ApiError::Forbidden);
            }
            if holding.is_some() {
                return Err(ApiError::Conflict(format!(
                    "You already have {}.",
                    package.name
                )));
            }
            validate_request_draft(&policy, &body.draft(), now)?
        }
        RequestType::UserExtend => {
            let assignment = holding.ok_or_else(|| {
                ApiError::Conflict(format!("You don't have {} to extend.", package.name))
            })?;
            if assignment.policy_id != policy.id {
                return Err(field(
                    "policyId",
                    "Extend through the policy your access was granted under.",
                ));
            }
            if !policy.rules.extension_allowed {
                return Err(ApiError::Conflict(
                    "The policy of this access package does not allow extensions.".to_owned(),
                ));
            }
            validate_request_draft(&policy, &body.draft(), now)?
        }
        RequestType::UserRemove => {
            if holding.is_none() {
                return Err(ApiError::Conflict(format!(
                    "You don't have {} to remove.",
                    package.name
                )));
            }
            request::RequestDraft {
                justification: body.justification.clone(),
                answers: Vec::new(),
                schedule: Schedule::default(),
            }
        }
        RequestType::AdminAdd | RequestType::AdminRemove => {
            return Err(field(
                "type",
                "Administrators assign and remove people with /assignments.",
            ));
        }
    };
    if store::requests::open_for(&mut tx, &signed_in.user.id, &package.id)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "You already have a pending request for {}.",
            package.name
        )));
    }
    let submitted = AccessRequest {
        id: RequestId(store::new_id()),
        request_type: body.request_type,
        requestor: signed_in.user.id.clone(),
        created_by: signed_in.user.id.clone(),
        access_package_id: package.id.clone(),
        policy_id: policy.id.clone(),
        state: RequestState::Submitted,
        current_stage: None,
        stage_started_at: None,
        escalated: false,
        justification: draft.justification,
        answers: draft.answers,
        schedule: draft.schedule,
        decisions: Vec::new(),
        created_at: now,
        updated_at: now,
    };
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
    let stored = Stored {
        request: submitted,
        version: 1,
    };
    let saved = lifecycle::advance(
        &mut tx,
        &stored,
        &policy,
        &package,
        &RequestEvent::Submit,
        Some(&signed_in.user.id),
        now,
    )
    .await?;
    let view = view_of(&mut tx, saved, Some(&policy), &package, &signed_in.actor).await?;
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
    let view = view_of(
        &mut conn,
        stored.request,
        policy.as_ref(),
        &package,
        &signed_in.actor,
    )
    .await?;
    if !may_see(&mut conn, &signed_in, &view, policy.as_ref(), &package).await? {
        return Err(ApiError::NotFound(REQUEST));
    }
    Ok(Json(view))
}

/// `POST /requests/{id}/cancel`: the requestor withdraws a pending request.
#[utoipa::path(post, path = "/requests/{id}/cancel", tag = "requests", summary = "Cancel one's own pending request", params(("id" = String, Path, description = "Identifier")), responses((status = 200, body = RequestView), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn cancel(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let (stored, policy, package) = load(&mut tx, &RequestId(id)).await?;
    let approvers = current_approvers(&mut tx, &stored.request, policy.as_ref()).await?;
    let target = Target::Request {
        requestor: &stored.request.requestor,
        current_approvers: &approvers,
    };
    if stored.request.requestor != signed_in.user.id {
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
        );
    }
    let policy = policy
        .ok_or_else(|| ApiError::Conflict("The policy of this request was deleted.".to_owned()))?;
    let event = RequestEvent::Cancel {
        by: signed_in.user.id.clone(),
    };
    let saved = lifecycle::advance(
        &mut tx,
        &stored,
        &policy,
        &package,
        &event,
        Some(&signed_in.user.id),
        now,
    )
    .await
    .map_err(|error| match error {
        LifecycleError::Transition(TransitionError::NotAllowed { .. }) => {
            ApiError::Conflict("Only a pending request can be cancelled.".to_owned())
        }
        other => other.into(),
    })?;
    let view = view_of(&mut tx, saved, Some(&policy), &package, &signed_in.actor).await?;
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
    let view = view_of(
        &mut tx,
        stored.request.clone(),
        policy.as_ref(),
        &package,
        &signed_in.actor,
    )
    .await?;
    if !may_see(&mut tx, &signed_in, &view, policy.as_ref(), &package).await? {
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
    let by = signed_in.user.id.clone();
    let justification = body
        .justification
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty());
    if justification
        .as_ref()
        .is_some_and(|text| text.chars().count() > request::MAX_JUSTIFICATION_CHARS)
    {
        return Err(FieldErrors(vec![FieldError::new(
            "justification",
            format!(
                "Use at most {} characters.",
                request::MAX_JUSTIFICATION_CHARS
            ),
        )])
        .into());
    }
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
    let saved =
        lifecycle::advance(&mut tx, &stored, &policy, &package, &event, Some(&by), now).await?;
    let view = view_of(&mut tx, saved, Some(&policy), &package, &signed_in.actor).await?;
    tx.commit().await?;
    Ok(Json(view))
}

/// `GET /approvals`: requests waiting for the caller at their current stage, oldest first.
#[utoipa::path(get, path = "/approvals", tag = "requests", summary = "Requests waiting for the caller's decision", responses((status = 200, body = Vec<RequestView>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn approvals(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<RequestView>>, ApiError> {
    let mut conn = app.db.acquire().await?;
    let pending = store::requests::in_state(&mut conn, RequestState::PendingApproval).await?;
    let views = views_of(&mut conn, pending, &signed_in.actor).await?;
    Ok(Json(
        views
            .into_iter()
            .filter(|view| view.caller_may_decide)
            .collect(),
    ))
}

/// `GET /my/requests`: the caller's requests with each stage's decisions, newest first.
#[utoipa::path(get, path = "/my/requests", tag = "my access", summary = "The caller's requests with each stage's decisions", responses((status = 200, body = Vec<RequestView>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn my_requests(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<RequestView>>, ApiError> {
    let mut conn = app.db.acquire().await?;
    let mine = store::requests::of_requestor(&mut conn, &signed_in.user.id).await?;
    Ok(Json(views_of(&mut conn, mine, &signed_in.actor).await?))
}

/// The views of several requests, skipping any whose package was deleted.
async fn views_of(
    conn: &mut AnyConnection,
    requests: Vec<Stored>,
    caller: &Actor,
) -> Result<Vec<RequestView>, sqlx::Error> {
    let mut views = Vec::new();
    for stored in requests {
        let Some(package) =
            store::catalogs::get_package(conn, &stored.request.access_package_id).await?
        else {
            continue;
        };
        let policy = store::catalogs::get_policy(conn, &stored.request.policy_id).await?;
        views.push(view_of(conn, stored.request, policy.as_ref(), &package, caller).await?);
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
    let mut mine = Vec::new();
    for assignment in store::assignments::of_user(&mut conn, &signed_in.user.id).await? {
        let Some(package) =
            store::catalogs::get_package(&mut conn, &assignment.access_package_id).await?
        else {
            continue;
        };
        let policy = store::catalogs::get_policy(&mut conn, &assignment.policy_id).await?;
        let extension_allowed = assignment.state.is_live()
            && assignment.end.is_some()
            && policy.is_some_and(|policy| {
                policy.rules.extension_allowed && policy.rules.accepting_requests
            });
        let pending_request = match assignment.state.is_live() {
            true => store::requests::open_for(&mut conn, &signed_in.user.id, &package.id).await?,
            false => None,
        };
        mine.push(MyAssignment {
            assignment,
            package,
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

async fn current_approvers(
    conn: &mut AnyConnection,
    request: &AccessRequest,
    policy: Option<&AssignmentPolicy>,
) -> Result<Vec<UserId>, sqlx::Error> {
    match policy {
        Some(policy) => lifecycle::current_approvers(conn, request, policy).await,
        None => Ok(Vec::new()),
    }
}

async fn may_request_through(
    conn: &mut AnyConnection,
    signed_in: &SignedIn,
    catalog: &Catalog,
    package: &AccessPackage,
    policy: &AssignmentPolicy,
) -> Result<bool, sqlx::Error> {
    let groups = store::users::groups_of(conn, &signed_in.user.id).await?;
    let organizations = store::directory::all_organizations(conn).await?;
    let requestor = Requestor {
        user: &signed_in.user,
        groups: &groups,
    };
    let policies = std::slice::from_ref(policy);
    Ok(!requestable_policies(catalog, package, policies, &requestor, &organizations).is_empty())
}

/// Who may see a request: its requestor, those who decided a stage or approve one (as a
/// primary, fallback or escalation approver), and those who may read the catalog's
/// assignments.
async fn may_see(
    conn: &mut AnyConnection,
    signed_in: &SignedIn,
    view: &RequestView,
    policy: Option<&AssignmentPolicy>,
    package: &AccessPackage,
) -> Result<bool, sqlx::Error> {
    let me = &signed_in.user.id;
    if view.request.requestor == *me
        || view.caller_may_decide
        || view
            .request
            .decisions
            .iter()
            .any(|decision| &decision.approver == me)
        || may(
            &signed_in.actor,
            Action::ReadAssignments,
            &Target::Catalog(&package.catalog_id),
        )
    {
        return Ok(true);
    }
    match policy {
        Some(policy) => lifecycle::approves_some_stage(conn, &view.request, policy, me).await,
        None => Ok(false),
    }
}

/// A request with names, stages, and whether `caller` may decide it now.
async fn view_of(
    conn: &mut AnyConnection,
    request: AccessRequest,
    policy: Option<&AssignmentPolicy>,
    package: &AccessPackage,
    caller: &Actor,
) -> Result<RequestView, sqlx::Error> {
    let approvers = current_approvers(conn, &request, policy).await?;
    let requestor = match store::users::get(conn, &request.requestor).await? {
        Some(user) => PersonSummary::of(&user),
        None => PersonSummary {
            id: request.requestor.clone(),
            display_name: "Unknown person".to_owned(),
            email: String::new(),
            department: None,
        },
    };
    let mut stages = Vec::new();
    for (index, definition) in policy
        .map(|policy| policy.rules.stages.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let stage = u8::try_from(index).unwrap_or(u8::MAX);
        let decision = request
            .decisions
            .iter()
            .find(|decision| decision.stage == stage)
            .cloned();
        let decided_by = match &decision {
            Some(decision) => store::users::get(conn, &decision.approver)
                .await?
                .map(|user| user.display_name),
            None => None,
        };
        let mut people = Vec::new();
        if request.current_stage == Some(stage) {
            for id in &approvers {
                if let Some(user) = store::users::get(conn, id).await? {
                    people.push(PersonSummary::of(&user));
                }
            }
        }
        stages.push(StageView {
            stage,
            approvers: people,
            approver_justification_required: definition.approver_justification_required,
            decision,
            decided_by,
        });
    }
    let target = Target::Request {
        requestor: &request.requestor,
        current_approvers: &approvers,
    };
    let caller_may_decide = request.state == RequestState::PendingApproval
        && may(caller, Action::DecideRequest, &target);
    let times_out_at = policy.and_then(|policy| request::stage_deadline(&request, policy));
    Ok(RequestView {
        requestor,
        package_name: package.name.clone(),
        policy_name: policy
            .map(|policy| policy.rules.name.clone())
            .unwrap_or_else(|| "Deleted policy".to_owned()),
        questions: policy
            .map(|policy| policy.rules.questions.clone())
            .unwrap_or_default(),
        stages,
        times_out_at,
        caller_may_decide,
        request,
    })
}
