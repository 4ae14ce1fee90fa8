//! The request lifecycle around the domain's state machines: route a request through its
//! stages, record decisions, deliver approved requests, and end assignments. Handlers and
//! background jobs both come through here, so a timer and a person take the same path.
//! Every change is a guarded update (compare the version, or the state) in the caller's
//! transaction, together with its audit events.
//!
//! A step's audit events are appended together, as its last write ([`Audit`]): appending
//! locks the audit log's head until the transaction commits, so a step that appended and
//! then waited for a row (the assignment an approval extends, a membership it grants)
//! could deadlock against a transaction holding that row and waiting for the head. Found
//! by the kill loop of `cargo xtask harden` on PostgreSQL: an approval that extends an
//! assignment against the removal of that assignment.

use entrada_domain::assignment::{self, Assignment, AssignmentEvent, AssignmentState};
use entrada_domain::audit::AuditAction;
use entrada_domain::audit::AuditEvent;
use entrada_domain::catalog::AccessPackage;
use entrada_domain::delivery::{recheck_at_delivery, NoLongerEligible};
use entrada_domain::ids::{AssignmentId, AuditEventId, UserId};
use entrada_domain::policy::{AssignmentPolicy, Requestor};
use entrada_domain::preview::DirectorySnapshot;
use entrada_domain::request::{
    self, AccessRequest, Decision, RequestEvent, RequestState, RequestType, TransitionError,
};
use entrada_domain::request_view::current_approvers;
use sqlx::AnyConnection;
use time::OffsetDateTime;

use crate::store::requests::Stored;
use crate::{delivery, store};

/// The audit events of one lifecycle step, in the order they happened, appended by
/// [`Audit::append`] after the step's other writes.
#[derive(Default)]
struct Audit(Vec<AuditEvent>);

impl Audit {
    fn push(&mut self, event: AuditEvent) {
        self.0.push(event);
    }

    /// Appends the events to the chain: the step's last write.
    async fn append(self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        store::audit::append_many(conn, &self.0).await
    }
}

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
            let directory = store::snapshot_of(conn, &stored.request, Some(policy)).await?;
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
    let mut audit = Audit::default();
    let saved = advance_audited(
        conn, approvers, stored, policy, package, event, actor, now, &mut audit,
    )
    .await?;
    audit.append(conn).await?;
    Ok(saved)
}

#[allow(clippy::too_many_arguments)]
async fn advance_audited(
    conn: &mut AnyConnection,
    approvers: &[UserId],
    stored: &Stored,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    event: &RequestEvent,
    actor: Option<&UserId>,
    now: OffsetDateTime,
    audit: &mut Audit,
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
    audit.push(request_event(
        &next,
        package,
        actor,
        event_action(&stored.request, &next, event),
        now,
    ));
    crate::notify::request_advanced(
        conn,
        &stored.request,
        &next,
        approvers,
        policy,
        package,
        now,
    )
    .await?;
    let saved = Stored {
        request: next,
        version: stored.version + 1,
    };
    if saved.request.state == RequestState::Approved && due_to_start(&saved.request, now) {
        return deliver_audited(conn, &saved, policy, package, now, audit).await;
    }
    Ok(saved.request)
}

/// Whether an approved request's access should start now.
pub(crate) fn due_to_start(request: &AccessRequest, now: OffsetDateTime) -> bool {
    request.schedule.start.is_none_or(|start| start <= now)
}

/// How the delivery of an approved request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Delivered; the note says how when it is not the plain way (`alreadyHeld`).
    Done(Option<&'static str>),
    /// Nothing granted, for this reason (shown in the audit log).
    Failed(String),
}

/// Delivers an approved request: grants a new assignment, extends one, or removes one.
///
/// A request to add or extend is first re-checked against the situation now (see
/// [`recheck_at_delivery`]): if the catalog was disabled, the package archived, the policy
/// stopped accepting requests or the person left its scope since the approval, nothing is
/// granted and the request ends as delivery failed, with the reason in the audit log.
///
/// A request to add a package the person meanwhile holds (an administrator assigned it
/// directly) does not fail: the request closes as delivered ("already held" in the audit
/// log), and the held assignment is extended to the end the request would have given when
/// that is later; it is never shortened.
pub(crate) async fn deliver(
    conn: &mut AnyConnection,
    stored: &Stored,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    now: OffsetDateTime,
) -> Result<AccessRequest, LifecycleError> {
    let mut audit = Audit::default();
    let delivered = deliver_audited(conn, stored, policy, package, now, &mut audit).await?;
    audit.append(conn).await?;
    Ok(delivered)
}

async fn deliver_audited(
    conn: &mut AnyConnection,
    stored: &Stored,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    now: OffsetDateTime,
    audit: &mut Audit,
) -> Result<AccessRequest, LifecycleError> {
    let request = &stored.request;
    // Only an approved request is delivered; refuse anything else before granting.
    request::apply(request, policy, &RequestEvent::StartDelivery, &[], now)?;
    let delivery = match recheck(conn, request, policy, package).await? {
        Err(reason) => Delivery::Failed(reason.to_string()),
        Ok(()) => {
            let done = match request.request_type {
                RequestType::UserAdd | RequestType::AdminAdd => {
                    grant_or_extend_held(conn, request, policy, package, now, audit).await
                }
                RequestType::UserExtend => extend(conn, request, policy, package, now, audit)
                    .await
                    .map(|()| None),
                RequestType::UserRemove | RequestType::AdminRemove => {
                    remove(conn, request, package, now, audit)
                        .await
                        .map(|()| None)
                }
            };
            match done {
                Ok(note) => Delivery::Done(note),
                Err(LifecycleError::AssignmentGone) => {
                    Delivery::Failed(LifecycleError::AssignmentGone.to_string())
                }
                Err(error) => return Err(error),
            }
        }
    };
    finish_audited(conn, stored, policy, package, &delivery, now, audit).await
}

/// Records how the delivery of an approved request ended: the request becomes delivered or
/// delivery failed (a guarded update) and the audit log says why. The jobs also call it,
/// in a fresh transaction, for a request whose delivery failed with an error.
pub(crate) async fn finish_delivery(
    conn: &mut AnyConnection,
    stored: &Stored,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    delivery: &Delivery,
    now: OffsetDateTime,
) -> Result<AccessRequest, LifecycleError> {
    let mut audit = Audit::default();
    let done = finish_audited(conn, stored, policy, package, delivery, now, &mut audit).await?;
    audit.append(conn).await?;
    Ok(done)
}

#[allow(clippy::too_many_arguments)]
async fn finish_audited(
    conn: &mut AnyConnection,
    stored: &Stored,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    delivery: &Delivery,
    now: OffsetDateTime,
    audit: &mut Audit,
) -> Result<AccessRequest, LifecycleError> {
    let delivering = request::apply(
        &stored.request,
        policy,
        &RequestEvent::StartDelivery,
        &[],
        now,
    )?;
    let event = match delivery {
        Delivery::Done(_) => RequestEvent::Delivered,
        Delivery::Failed(_) => RequestEvent::DeliveryFailed,
    };
    let done = request::apply(&delivering, policy, &event, &[], now)?;
    if !store::requests::update_guarded(conn, &done, stored.version).await? {
        return Err(LifecycleError::Raced);
    }
    let (action, detail) = match delivery {
        Delivery::Done(note) => (
            AuditAction::RequestDelivered,
            note.map(|note| ("how", note.to_owned())),
        ),
        Delivery::Failed(reason) => (
            AuditAction::RequestDeliveryFailed,
            Some(("reason", reason.clone())),
        ),
    };
    let mut event = request_event(&done, package, None, action, now);
    if let Some((key, value)) = detail {
        event = event.with_detail(key, value);
    }
    audit.push(event);
    Ok(done)
}

/// Whether the person may still have what they were approved for (see
/// [`recheck_at_delivery`]), over the directory as it is now.
async fn recheck(
    conn: &mut AnyConnection,
    request: &AccessRequest,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
) -> Result<Result<(), NoLongerEligible>, sqlx::Error> {
    if !request.request_type.goes_through_approval() {
        return Ok(Ok(()));
    }
    let Some(catalog) = store::catalogs::get_catalog(conn, &package.catalog_id).await? else {
        return Ok(Err(NoLongerEligible::CatalogDisabled));
    };
    let Some(user) = store::users::get(conn, &request.requestor).await? else {
        return Ok(Err(NoLongerEligible::OutOfScope));
    };
    let groups = store::users::groups_of(conn, &user.id).await?;
    let organizations = store::directory::all_organizations(conn).await?;
    let person = Requestor {
        user: &user,
        groups: &groups,
    };
    Ok(recheck_at_delivery(
        request.request_type,
        &catalog,
        package,
        policy,
        &person,
        &organizations,
    ))
}

/// Grants the package, or, when the person already holds it, keeps what they hold and
/// extends it to the later end.
async fn grant_or_extend_held(
    conn: &mut AnyConnection,
    request: &AccessRequest,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    now: OffsetDateTime,
    audit: &mut Audit,
) -> Result<Option<&'static str>, LifecycleError> {
    let held = store::assignments::live_of(conn, &request.requestor, &package.id).await?;
    let Some(held) = held else {
        return grant(conn, request, policy, package, now, audit)
            .await
            .map(|_| None);
    };
    if assignment::due_for_expiry(&held, now) {
        // It ends now anyway (the expiry job has not come by yet): end it, then grant.
        end_one_audited(
            conn,
            &held,
            &AssignmentEvent::Expire,
            package,
            None,
            now,
            audit,
        )
        .await?;
        return grant(conn, request, policy, package, now, audit)
            .await
            .map(|_| None);
    }
    let (_, end) = granted_period(request, policy, now);
    if let Ok(next) = assignment::apply(&held, &AssignmentEvent::Extend { new_end: end }, now) {
        if !store::assignments::transition(conn, &next, held.state, now).await? {
            return Err(LifecycleError::Raced);
        }
        let event = system_event(now, AuditAction::AssignmentExtended, &next, package)
            .with_detail(
                "end",
                next.end
                    .map(|end| end.to_string())
                    .unwrap_or_else(|| "never".to_owned()),
            )
            .with_detail("request", request.id.as_str());
        audit.push(event);
    }
    Ok(Some("alreadyHeld"))
}

/// When access granted for `request` starts and ends: from its scheduled start (or now) to
/// its scheduled end (or the policy's expiration).
fn granted_period(
    request: &AccessRequest,
    policy: &AssignmentPolicy,
    now: OffsetDateTime,
) -> (OffsetDateTime, Option<OffsetDateTime>) {
    let start = request
        .schedule
        .start
        .filter(|start| *start > now)
        .unwrap_or(now);
    let end = request
        .schedule
        .end
        .or_else(|| assignment::expires_at(&policy.rules.expiration, start));
    (start, end)
}

async fn grant(
    conn: &mut AnyConnection,
    request: &AccessRequest,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    now: OffsetDateTime,
    audit: &mut Audit,
) -> Result<Assignment, LifecycleError> {
    crate::guests::admit_before_grant(conn, &request.requestor, now).await?;
    let (start, end) = granted_period(request, policy, now);
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
    match store::assignments::insert(conn, &assignment).await {
        Ok(()) => {}
        // Someone assigned it directly at the same moment: the caller tries again later.
        Err(error)
            if error
                .as_database_error()
                .is_some_and(|db| db.is_unique_violation()) =>
        {
            return Err(LifecycleError::Raced)
        }
        Err(error) => return Err(error.into()),
    }
    crate::guest_lifecycle::unblock_on_grant(
        conn,
        &request.requestor,
        None,
        request.id.as_str(),
        now,
    )
    .await?;
    let grants = delivery::grant_all(conn, &assignment).await?;
    let event = system_event(now, AuditAction::AssignmentCreated, &assignment, package)
        .with_detail("grants", grants.to_string())
        .with_detail("request", request.id.as_str());
    audit.push(event);
    Ok(assignment)
}

async fn extend(
    conn: &mut AnyConnection,
    request: &AccessRequest,
    policy: &AssignmentPolicy,
    package: &AccessPackage,
    now: OffsetDateTime,
    audit: &mut Audit,
) -> Result<(), LifecycleError> {
    let current = store::assignments::live_of(conn, &request.requestor, &package.id)
        .await?
        .ok_or(LifecycleError::AssignmentGone)?;
    let new_end = assignment::extended_end(
        current.end,
        request.schedule.end,
        &policy.rules.expiration,
        now,
    );
    let next = assignment::apply(&current, &AssignmentEvent::Extend { new_end }, now)
        .map_err(|_| LifecycleError::AssignmentGone)?;
    if !store::assignments::transition(conn, &next, current.state, now).await? {
        return Err(LifecycleError::Raced);
    }
    let event = system_event(now, AuditAction::AssignmentExtended, &next, package).with_detail(
        "end",
        next.end
            .map(|end| end.to_string())
            .unwrap_or_else(|| "never".to_owned()),
    );
    audit.push(event);
    Ok(())
}

async fn remove(
    conn: &mut AnyConnection,
    request: &AccessRequest,
    package: &AccessPackage,
    now: OffsetDateTime,
    audit: &mut Audit,
) -> Result<(), LifecycleError> {
    let current = store::assignments::live_of(conn, &request.requestor, &package.id)
        .await?
        .ok_or(LifecycleError::AssignmentGone)?;
    let actor = Some(&request.requestor);
    end_one_audited(
        conn,
        &current,
        &AssignmentEvent::Remove,
        package,
        actor,
        now,
        audit,
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
    let mut audit = Audit::default();
    let ended = end_one_audited(conn, current, event, package, actor, now, &mut audit).await?;
    audit.append(conn).await?;
    Ok(ended)
}

/// [`end_assignment`] within a step, its event among the step's.
async fn end_one_audited(
    conn: &mut AnyConnection,
    current: &Assignment,
    event: &AssignmentEvent,
    package: &AccessPackage,
    actor: Option<&UserId>,
    now: OffsetDateTime,
    audit: &mut Audit,
) -> Result<Assignment, LifecycleError> {
    assignment::apply(current, event, now).map_err(|_| LifecycleError::AssignmentGone)?;
    end_audited(conn, &[(current, package)], event, actor, now, audit)
        .await?
        .pop()
        .ok_or(LifecycleError::Raced)
}

/// Removes every live assignment of a person (their grants taken back, each end audited
/// and told), as when the person is deleted or leaves the directory. Returns how many
/// ended. Assignments whose package is gone are left alone.
pub(crate) async fn end_all_of(
    conn: &mut AnyConnection,
    user: &UserId,
    now: OffsetDateTime,
) -> Result<usize, LifecycleError> {
    let live = store::assignments::live_by_package(conn, user).await?;
    let mut packages = Vec::new();
    for assignment in live.values() {
        if let Some(package) =
            store::catalogs::get_package(conn, &assignment.access_package_id).await?
        {
            packages.push((assignment, package));
        }
    }
    let ending: Vec<(&Assignment, &AccessPackage)> = packages
        .iter()
        .map(|(assignment, package)| (*assignment, package))
        .collect();
    Ok(
        end_assignments(conn, &ending, &AssignmentEvent::Remove, None, now)
            .await?
            .len(),
    )
}

/// [`end_assignment`] for many at once, in a handful of statements however many there
/// are (the expiry job ends thousands): each moves to its next state if nobody changed it
/// meanwhile, its grants are taken back, its end audited and its holder told. One the
/// domain refuses, or that another transaction changed first, is skipped. Returns those
/// ended, in the given order.
pub(crate) async fn end_assignments(
    conn: &mut AnyConnection,
    ending: &[(&Assignment, &AccessPackage)],
    event: &AssignmentEvent,
    actor: Option<&UserId>,
    now: OffsetDateTime,
) -> Result<Vec<Assignment>, LifecycleError> {
    let mut audit = Audit::default();
    let ended = end_audited(conn, ending, event, actor, now, &mut audit).await?;
    audit.append(conn).await?;
    Ok(ended)
}

async fn end_audited(
    conn: &mut AnyConnection,
    ending: &[(&Assignment, &AccessPackage)],
    event: &AssignmentEvent,
    actor: Option<&UserId>,
    now: OffsetDateTime,
    audit: &mut Audit,
) -> Result<Vec<Assignment>, LifecycleError> {
    let mut next: Vec<(Assignment, &Assignment, &AccessPackage)> = ending
        .iter()
        .filter_map(|(current, package)| {
            let next = assignment::apply(current, event, now).ok()?;
            Some((next, *current, *package))
        })
        .collect();
    // One guarded update per (from, to) pair; the end date does not change when access ends.
    let mut moved = std::collections::HashSet::new();
    let pairs: std::collections::HashSet<(AssignmentState, AssignmentState)> = next
        .iter()
        .map(|(next, current, _)| (current.state, next.state))
        .collect();
    for (from, to) in pairs {
        let ids: Vec<&AssignmentId> = next
            .iter()
            .filter(|(next, current, _)| current.state == from && next.state == to)
            .map(|(next, _, _)| &next.id)
            .collect();
        moved.extend(store::assignments::end_many(conn, &ids, from, to, now).await?);
    }
    next.retain(|(next, _, _)| moved.contains(&next.id));
    let ended: Vec<Assignment> = next.iter().map(|(next, _, _)| next.clone()).collect();
    let revoked = delivery::revoke_ended(conn, &ended).await?;
    let events = next.iter().map(|(next, _, package)| {
        let action = match next.state {
            AssignmentState::Expired => AuditAction::AssignmentExpired,
            _ => AuditAction::AssignmentRemoved,
        };
        let count = revoked.get(&next.id).copied().unwrap_or(0);
        let mut event = system_event(now, action, next, package)
            .with_detail("grantsRevoked", count.to_string());
        event.actor = actor.cloned();
        event
    });
    audit.0.extend(events);
    let told: Vec<(&Assignment, &AccessPackage)> = next
        .iter()
        .map(|(next, _, package)| (next, *package))
        .collect();
    crate::notify::access_ended(conn, &told, now).await?;
    Ok(ended)
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
) -> AuditAction {
    match (event, after.state) {
        (RequestEvent::Submit, RequestState::PendingApproval) => AuditAction::RequestSubmitted,
        (RequestEvent::Submit, _) => AuditAction::RequestSubmittedAndApproved,
        (RequestEvent::Approve { .. }, RequestState::Approved) => AuditAction::RequestApproved,
        (RequestEvent::Approve { .. }, _) if before.current_stage != after.current_stage => {
            AuditAction::RequestStageApproved
        }
        (RequestEvent::Approve { .. }, _) => AuditAction::RequestApproved,
        (RequestEvent::Deny { .. }, _) => AuditAction::RequestDenied,
        (RequestEvent::Cancel { .. } | RequestEvent::AdminCancel { .. }, _) => {
            AuditAction::RequestCanceled
        }
        (RequestEvent::StageTimedOut, _) => AuditAction::RequestTimedOut,
        (RequestEvent::Escalate, _) => AuditAction::RequestEscalated,
        _ => AuditAction::RequestChanged,
    }
}

fn request_event(
    request: &AccessRequest,
    package: &AccessPackage,
    actor: Option<&UserId>,
    action: AuditAction,
    now: OffsetDateTime,
) -> AuditEvent {
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
        AuditAction::RequestApproved
            | AuditAction::RequestStageApproved
            | AuditAction::RequestDenied
    );
    if let Some(decision) = request.decisions.last().filter(|_| decided) {
        event = event.with_detail("stage", (decision.stage + 1).to_string());
        if let Some(reason) = &decision.justification {
            event = event.with_detail("justification", reason);
        }
    }
    event
}

fn system_event(
    now: OffsetDateTime,
    action: AuditAction,
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
