//! The request lifecycle around the domain's state machines: route a request through its
//! stages, record decisions, deliver approved requests, and end assignments. Handlers and
//! background jobs both come through here, so a timer and a person take the same path.
//! Every change is a guarded update (compare the version, or the state) in the caller's
//! transaction, together with its audit event.

use entrada_domain::assignment::{self, Assignment, AssignmentEvent, AssignmentState};
use entrada_domain::audit::AuditEvent;
use entrada_domain::catalog::AccessPackage;
use entrada_domain::ids::{AssignmentId, AuditEventId, UserId};
use entrada_domain::policy::AssignmentPolicy;
use entrada_domain::preview::DirectorySnapshot;
use entrada_domain::request::{
    self, AccessRequest, Decision, RequestEvent, RequestState, RequestType, TransitionError,
};
use entrada_domain::request_view::current_approvers;
use sqlx::AnyConnection;
use time::OffsetDateTime;

use crate::store::requests::Stored;
use crate::{delivery, store};

/// Why a lifecycle step did not happen.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LifecycleError {
    /// The domain refused the event.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Someone else changed the request first.
    #[error("this request was changed at the same moment by someone else")]
    Raced,
    /// The assignment the request is about is gone.
    #[error("the assignment this request is about has ended")]
    AssignmentGone,
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Applies `event` to a stored request and saves it if nobody changed it meanwhile; writes
/// the decision (one per stage, enforced by the database) and the audit event; delivers
/// the request when it became approved and is due. Returns the request as saved.
///
/// Only a decision needs the current stage's approvers; for one, this loads the directory
/// snapshot (once). A caller that already holds a snapshot uses [`advance_with`].
pub(crate) async fn advance(
    conn: &mut AnyConnection,
    stored: &Stored,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    event: &RequestEvent,
    actor: Option<&UserId>,
    now: OffsetDateTime,
) -> Result<AccessRequest, LifecycleError> {
    let approvers = match event {
        RequestEvent::Approve { .. } | RequestEvent::Deny { .. } => {
            let directory = store::snapshot(conn).await?;
            current_approvers(&stored.request, policy, &directory)
        }
        _ => Vec::new(),
    };
    advance_given(conn, &approvers, stored, policy, package, event, actor, now).await
}

/// [`advance`] with the directory the caller already loaded for this operation.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn advance_with(
    conn: &mut AnyConnection,
    directory: &DirectorySnapshot,
    stored: &Stored,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    event: &RequestEvent,
    actor: Option<&UserId>,
    now: OffsetDateTime,
) -> Result<AccessRequest, LifecycleError> {
    let approvers = current_approvers(&stored.request, policy, directory);
    advance_given(conn, &approvers, stored, policy, package, event, actor, now).await
}

#[allow(clippy::too_many_arguments)]
async fn advance_given(
    conn: &mut AnyConnection,
    approvers: &[UserId],
    stored: &Stored,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    event: &RequestEvent,
    actor: Option<&UserId>,
    now: OffsetDateTime,
) -> Result<AccessRequest, LifecycleError> {
    let next = request::apply(&stored.request, policy, event, approvers, now)?;
    if let Some(decision) = next
        .decisions
        .iter()
        .find(|decision| !stored.request.decisions.contains(decision))
    {
        record_decision(conn, &next, decision).await?;
    }
    if !store::requests::update_guarded(conn, &next, stored.version).await? {
        return Err(LifecycleError::Raced);
    }
    audit(
        conn,
        &next,
        package,
        actor,
        event_action(&stored.request, &next, event),
        now,
    )
    .await?;
    let saved = Stored {
        request: next,
        version: stored.version + 1,
    };
    if saved.request.state == RequestState::Approved && due_to_start(&saved.request, now) {
        return deliver(conn, &saved, policy, package, now).await;
    }
    Ok(saved.request)
}

/// Whether an approved request's access should start now.
pub(crate) fn due_to_start(request: &AccessRequest, now: OffsetDateTime) -> bool {
    request.schedule.start.is_none_or(|start| start <= now)
}

/// Delivers an approved request: grants a new assignment, extends one, or removes one.
pub(crate) async fn deliver(
    conn: &mut AnyConnection,
    stored: &Stored,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    now: OffsetDateTime,
) -> Result<AccessRequest, LifecycleError> {
    let delivering = request::apply(
        &stored.request,
        policy,
        &RequestEvent::StartDelivery,
        &[],
        now,
    )?;
    let request = &stored.request;
    let outcome = match request.request_type {
        RequestType::UserAdd | RequestType::AdminAdd => {
            grant(conn, request, policy, package, now).await.map(|_| ())
        }
        RequestType::UserExtend => extend(conn, request, policy, package, now).await,
        RequestType::UserRemove | RequestType::AdminRemove => {
            remove(conn, request, package, now).await
        }
    };
    let event = match outcome {
        Ok(()) => RequestEvent::Delivered,
        Err(LifecycleError::AssignmentGone) => RequestEvent::DeliveryFailed,
        Err(error) => return Err(error),
    };
    let done = request::apply(&delivering, policy, &event, &[], now)?;
    if !store::requests::update_guarded(conn, &done, stored.version).await? {
        return Err(LifecycleError::Raced);
    }
    let action = match done.state {
        RequestState::Delivered => "request.delivered",
        _ => "request.deliveryFailed",
    };
    audit(conn, &done, package, None, action, now).await?;
    Ok(done)
}

async fn grant(
    conn: &mut AnyConnection,
    request: &AccessRequest,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    now: OffsetDateTime,
) -> Result<Assignment, LifecycleError> {
    let start = request
        .schedule
        .start
        .filter(|start| *start > now)
        .unwrap_or(now);
    let end = request
        .schedule
        .end
        .or_else(|| assignment::expires_at(&policy.rules.expiration, start));
    let assignment = Assignment {
        id: AssignmentId(store::new_id()),
        user_id: request.requestor.clone(),
        access_package_id: package.id.clone(),
        policy_id: policy.id.clone(),
        request_id: Some(request.id.clone()),
        state: AssignmentState::Delivered,
        start,
        end,
        created_at: now,
    };
    store::assignments::insert(conn, &assignment).await?;
    let grants = delivery::grant_all(conn, &assignment).await?;
    let event = system_event(now, "assignment.created", &assignment, package)
        .with_detail("grants", grants.to_string())
        .with_detail("request", request.id.as_str());
    store::audit::append(conn, &event).await?;
    Ok(assignment)
}

async fn extend(
    conn: &mut AnyConnection,
    request: &AccessRequest,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    now: OffsetDateTime,
) -> Result<(), LifecycleError> {
    let current = store::assignments::live_of(conn, &request.requestor, &package.id)
        .await?
        .ok_or(LifecycleError::AssignmentGone)?;
    let from = current.end.unwrap_or(now).max(now);
    let new_end = request
        .schedule
        .end
        .or_else(|| assignment::expires_at(&policy.rules.expiration, from));
    let next = assignment::apply(&current, &AssignmentEvent::Extend { new_end }, now)
        .map_err(|_| LifecycleError::AssignmentGone)?;
    if !store::assignments::transition(conn, &next, current.state, now).await? {
        return Err(LifecycleError::Raced);
    }
    let event = system_event(now, "assignment.extended", &next, package).with_detail(
        "end",
        next.end
            .map(|end| end.to_string())
            .unwrap_or_else(|| "never".to_owned()),
    );
    store::audit::append(conn, &event).await?;
    Ok(())
}

async fn remove(
    conn: &mut AnyConnection,
    request: &AccessRequest,
    package: &AccessPackage,
    now: OffsetDateTime,
) -> Result<(), LifecycleError> {
    let current = store::assignments::live_of(conn, &request.requestor, &package.id)
        .await?
        .ok_or(LifecycleError::AssignmentGone)?;
    end_assignment(
        conn,
        &current,
        &AssignmentEvent::Remove,
        package,
        Some(&request.requestor),
        now,
    )
    .await
    .map(|_| ())
}

/// Ends an assignment (removal or expiry) and takes back its grants; a guarded update, so
/// two instances ending the same assignment change it once.
pub(crate) async fn end_assignment(
    conn: &mut AnyConnection,
    current: &Assignment,
    event: &AssignmentEvent,
    package: &AccessPackage,
    actor: Option<&UserId>,
    now: OffsetDateTime,
) -> Result<Assignment, LifecycleError> {
    let next =
        assignment::apply(current, event, now).map_err(|_| LifecycleError::AssignmentGone)?;
    if !store::assignments::transition(conn, &next, current.state, now).await? {
        return Err(LifecycleError::Raced);
    }
    let revoked = delivery::revoke_all(conn, &next).await?;
    let action = match next.state {
        AssignmentState::Expired => "assignment.expired",
        _ => "assignment.removed",
    };
    let mut event =
        system_event(now, action, &next, package).with_detail("grantsRevoked", revoked.to_string());
    event.actor = actor.cloned();
    store::audit::append(conn, &event).await?;
    Ok(next)
}

async fn record_decision(
    conn: &mut AnyConnection,
    request: &AccessRequest,
    decision: &Decision,
) -> Result<(), LifecycleError> {
    match store::requests::insert_decision(conn, &request.id, decision).await {
        Ok(()) => Ok(()),
        Err(error)
            if error
                .as_database_error()
                .is_some_and(|db| db.is_unique_violation()) =>
        {
            Err(LifecycleError::Raced)
        }
        Err(error) => Err(error.into()),
    }
}

fn event_action(
    before: &AccessRequest,
    after: &AccessRequest,
    event: &RequestEvent,
) -> &'static str {
    match (event, after.state) {
        (RequestEvent::Submit, RequestState::PendingApproval) => "request.submitted",
        (RequestEvent::Submit, _) => "request.submittedAndApproved",
        (RequestEvent::Approve { .. }, RequestState::Approved) => "request.approved",
        (RequestEvent::Approve { .. }, _) if before.current_stage != after.current_stage => {
            "request.stageApproved"
        }
        (RequestEvent::Approve { .. }, _) => "request.approved",
        (RequestEvent::Deny { .. }, _) => "request.denied",
        (RequestEvent::Cancel { .. } | RequestEvent::AdminCancel { .. }, _) => "request.canceled",
        (RequestEvent::StageTimedOut, _) => "request.timedOut",
        (RequestEvent::Escalate, _) => "request.escalated",
        _ => "request.changed",
    }
}

async fn audit(
    conn: &mut AnyConnection,
    request: &AccessRequest,
    package: &AccessPackage,
    actor: Option<&UserId>,
    action: &str,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let mut event = AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        actor.cloned(),
        action,
        "request",
        request.id.as_str(),
    )
    .with_detail("state", request.state.as_str())
    .with_detail("requestor", request.requestor.as_str());
    event.catalog_id = Some(package.catalog_id.clone());
    event.package_id = Some(package.id.clone());
    let decided = matches!(
        action,
        "request.approved" | "request.stageApproved" | "request.denied"
    );
    if let Some(decision) = request.decisions.last().filter(|_| decided) {
        event = event.with_detail("stage", (decision.stage + 1).to_string());
        if let Some(reason) = &decision.justification {
            event = event.with_detail("justification", reason);
        }
    }
    store::audit::append(conn, &event).await
}

fn system_event(
    now: OffsetDateTime,
    action: &str,
    assignment: &Assignment,
    package: &AccessPackage,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        None,
        action,
        "assignment",
        assignment.id.as_str(),
    )
    .with_detail("user", assignment.user_id.as_str());
    event.catalog_id = Some(package.catalog_id.clone());
    event.package_id = Some(package.id.clone());
    event
}
