//! Access requests and their lifecycle.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::error::{FieldError, FieldErrors};
use crate::ids::{PackageId, PolicyId, QuestionId, RequestId, UserId};
use crate::policy::{
    ApprovalStage, AssignmentPolicy, Expiration, PolicyDraft, Question, QuestionKind,
    MAX_ANSWER_CHARS,
};

/// Why a request was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum RequestType {
    /// A person asks for a package.
    UserAdd,
    /// A holder asks to extend their assignment.
    UserExtend,
    /// A holder gives their access up.
    UserRemove,
    /// An administrator or assignment manager assigns directly.
    AdminAdd,
    /// An administrator or assignment manager removes an assignment.
    AdminRemove,
}

impl RequestType {
    /// Whether requests of this type wait for the policy's approval stages. A person asking
    /// for access or an extension does; giving access up and an administrator's direct
    /// assignment or removal do not (as in Entra).
    pub fn goes_through_approval(self) -> bool {
        matches!(self, RequestType::UserAdd | RequestType::UserExtend)
    }
}

/// Where a request is in its lifecycle (product.md's lifecycle rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum RequestState {
    /// Accepted, not yet routed.
    Submitted,
    /// Waiting for the approvers of `current_stage`.
    PendingApproval,
    /// Every stage approved (or none needed); delivery is next.
    Approved,
    /// Grants are being made.
    Delivering,
    /// Grants made; the assignment exists.
    Delivered,
    /// An approver denied it.
    Denied,
    /// The requestor withdrew it.
    Canceled,
    /// No decision in time.
    TimedOut,
    /// Grants could not be made.
    DeliveryFailed,
}

impl RequestState {
    /// Whether the request is still in progress (blocks a duplicate request).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            RequestState::Submitted
                | RequestState::PendingApproval
                | RequestState::Approved
                | RequestState::Delivering
        )
    }

    /// Whether no event can change the request any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RequestState::Delivered
                | RequestState::Denied
                | RequestState::Canceled
                | RequestState::TimedOut
                | RequestState::DeliveryFailed
        )
    }

    /// The stable name, as serde writes it (`pendingApproval`).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Submitted => "submitted",
            RequestState::PendingApproval => "pendingApproval",
            RequestState::Approved => "approved",
            RequestState::Delivering => "delivering",
            RequestState::Delivered => "delivered",
            RequestState::Denied => "denied",
            RequestState::Canceled => "canceled",
            RequestState::TimedOut => "timedOut",
            RequestState::DeliveryFailed => "deliveryFailed",
        }
    }

    /// Parses the stable name.
    pub fn parse(text: &str) -> Option<RequestState> {
        RequestState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
    }

    /// Every state, for filters and tests.
    pub const ALL: [RequestState; 9] = [
        RequestState::Submitted,
        RequestState::PendingApproval,
        RequestState::Approved,
        RequestState::Delivering,
        RequestState::Delivered,
        RequestState::Denied,
        RequestState::Canceled,
        RequestState::TimedOut,
        RequestState::DeliveryFailed,
    ];

    /// The name shown to people ("pending approval").
    pub fn label(self) -> &'static str {
        match self {
            RequestState::Submitted => "submitted",
            RequestState::PendingApproval => "pending approval",
            RequestState::Approved => "approved",
            RequestState::Delivering => "being delivered",
            RequestState::Delivered => "delivered",
            RequestState::Denied => "denied",
            RequestState::Canceled => "canceled",
            RequestState::TimedOut => "timed out",
            RequestState::DeliveryFailed => "failed to deliver",
        }
    }
}

impl std::fmt::Display for RequestState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Approve or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum DecisionKind {
    /// Approve the stage.
    Approve,
    /// Deny the request.
    Deny,
}

/// One approver's decision at one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// 0-based stage.
    pub stage: u8,
    /// Who decided.
    pub approver: UserId,
    /// Approve or deny.
    pub decision: DecisionKind,
    /// The approver's reason, if given.
    pub justification: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
}

/// An answer to one of the policy's questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// The question.
    pub question_id: QuestionId,
    /// The answer.
    pub value: String,
}

/// When the requested access should start and end (both optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    /// Start; none means on approval.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub start: Option<OffsetDateTime>,
    /// End; none means the policy's expiration.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub end: Option<OffsetDateTime>,
}

/// A request for an access package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AccessRequest {
    /// Identifier.
    pub id: RequestId,
    /// Add, extend, remove; by the user or an administrator.
    pub request_type: RequestType,
    /// The person the request is for.
    pub requestor: UserId,
    /// Who created it (the requestor, or an administrator for admin types).
    pub created_by: UserId,
    /// The package.
    pub access_package_id: PackageId,
    /// The policy it was made through.
    pub policy_id: PolicyId,
    /// Lifecycle state.
    pub state: RequestState,
    /// 0-based stage waiting for a decision, while pending approval.
    pub current_stage: Option<u8>,
    /// When the current stage started (its timeout counts from here).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub stage_started_at: Option<OffsetDateTime>,
    /// Whether the current stage was escalated to its alternate approvers.
    pub escalated: bool,
    /// The requestor's reason.
    pub justification: Option<String>,
    /// Answers to the policy's questions.
    pub answers: Vec<Answer>,
    /// Requested start and end.
    pub schedule: Schedule,
    /// Decisions so far, in order.
    pub decisions: Vec<Decision>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The longest requestor or approver justification, in characters.
pub const MAX_JUSTIFICATION_CHARS: usize = 1000;

/// How far in the past a requested start may lie (a form filled in slowly).
pub const SCHEDULE_START_GRACE: Duration = Duration::hours(1);

/// How far ahead a requested start may lie. An approved request waits for its start, and
/// while it waits it blocks the person's other requests for the package and the deletion
/// of its policy, so the wait is bounded.
pub const SCHEDULE_START_HORIZON: Duration = Duration::days(365);

/// What a requestor fills in: the part of `POST /requests` that is checked against the
/// policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RequestDraft {
    /// The requestor's reason.
    #[serde(default)]
    pub justification: Option<String>,
    /// Answers to the policy's questions.
    #[serde(default)]
    pub answers: Vec<Answer>,
    /// Requested start and end.
    #[serde(default)]
    pub schedule: Schedule,
}

/// Checks a request against the policy it is made through and returns every field error at
/// once: the justification (`justification`), the answers (`answers[<questionId>]`) and the
/// schedule (`schedule`, `schedule.start`, `schedule.end`).
///
/// On success it returns the draft with the justification and answers trimmed, a blank
/// justification as `None` and blank answers left out.
pub fn validate_request_draft(
    policy: &AssignmentPolicy,
    draft: &RequestDraft,
    now: OffsetDateTime,
) -> Result<RequestDraft, FieldErrors> {
    let rules = &policy.rules;
    let mut errors = Vec::new();

    let justification = draft
        .justification
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty());
    match justification {
        None if rules.requestor_justification_required => errors.push(FieldError::new(
            "justification",
            "Tell the approvers why you need this access.",
        )),
        Some(text) if text.chars().count() > MAX_JUSTIFICATION_CHARS => {
            errors.push(FieldError::new(
                "justification",
                format!("Use at most {MAX_JUSTIFICATION_CHARS} characters."),
            ))
        }
        _ => {}
    }

    answer_errors(&rules.questions, &draft.answers, &mut errors);
    schedule_errors(rules, &draft.schedule, now, &mut errors);

    FieldErrors::into_result(errors, || RequestDraft {
        justification: justification.map(str::to_owned),
        answers: draft
            .answers
            .iter()
            .filter(|answer| !answer.value.trim().is_empty())
            .map(|answer| Answer {
                question_id: answer.question_id.clone(),
                value: answer.value.trim().to_owned(),
            })
            .collect(),
        schedule: draft.schedule.clone(),
    })
}

fn answer_errors(questions: &[Question], answers: &[Answer], errors: &mut Vec<FieldError>) {
    let mut answered = std::collections::BTreeSet::new();
    for answer in answers {
        let path = format!("answers[{}]", answer.question_id);
        let value = answer.value.trim();
        let Some(question) = questions.iter().find(|q| q.id == answer.question_id) else {
            errors.push(FieldError::new(
                path,
                "This question is not asked by the policy.",
            ));
            continue;
        };
        if !answered.insert(&answer.question_id) {
            errors.push(FieldError::new(path, "Answer each question once."));
            continue;
        }
        if value.is_empty() {
            continue;
        }
        if value.chars().count() > MAX_ANSWER_CHARS {
            errors.push(FieldError::new(
                path,
                format!("Use at most {MAX_ANSWER_CHARS} characters."),
            ));
            continue;
        }
        if let QuestionKind::Choice { options } = &question.kind {
            if !options.iter().any(|option| option.trim() == value) {
                errors.push(FieldError::new(path, "Choose one of the offered answers."));
            }
        }
    }
    for question in questions.iter().filter(|question| question.required) {
        let given = answers
            .iter()
            .any(|answer| answer.question_id == question.id && !answer.value.trim().is_empty());
        if !given {
            errors.push(FieldError::new(
                format!("answers[{}]", question.id),
                "Answer this question.",
            ));
        }
    }
}

fn schedule_errors(
    rules: &PolicyDraft,
    schedule: &Schedule,
    now: OffsetDateTime,
    errors: &mut Vec<FieldError>,
) {
    if schedule.start.is_none() && schedule.end.is_none() {
        return;
    }
    if !rules.requestor_may_choose_schedule {
        errors.push(FieldError::new(
            "schedule",
            "This policy doesn't let you choose when access starts and ends.",
        ));
        return;
    }
    let start = schedule.start.unwrap_or(now);
    if let Some(requested) = schedule.start {
        let earliest = now.checked_sub(SCHEDULE_START_GRACE).unwrap_or(now);
        if requested < earliest {
            errors.push(FieldError::new(
                "schedule.start",
                "Choose a start that is not in the past.",
            ));
        }
        if now
            .checked_add(SCHEDULE_START_HORIZON)
            .is_some_and(|latest| requested > latest)
        {
            errors.push(FieldError::new(
                "schedule.start",
                format!(
                    "Choose a start within {} days from today.",
                    SCHEDULE_START_HORIZON.whole_days()
                ),
            ));
        }
        if let Expiration::OnDate { date } = rules.expiration {
            if requested >= date {
                errors.push(FieldError::new(
                    "schedule.start",
                    format!(
                        "Access under this policy ends on {}; choose a start before then.",
                        day(date)
                    ),
                ));
            }
        }
    }
    let Some(end) = schedule.end else { return };
    if end <= start {
        errors.push(FieldError::new(
            "schedule.end",
            "Choose an end after the start.",
        ));
        return;
    }
    if let Some(limit) = rules.expiration.end_for(start) {
        if end > limit {
            let message = match rules.expiration {
                Expiration::AfterDays { days } => {
                    format!("Access under this policy lasts at most {days} day(s) from the start.")
                }
                Expiration::AfterHours { hours } => {
                    format!(
                        "Access under this policy lasts at most {hours} hour(s) from the start."
                    )
                }
                _ => format!(
                    "Access under this policy ends on {}; choose an end on or before it.",
                    day(limit)
                ),
            };
            errors.push(FieldError::new("schedule.end", message));
        }
    }
}

fn day(at: OffsetDateTime) -> String {
    format!("{}-{:02}-{:02}", at.year(), u8::from(at.month()), at.day())
}

/// Something that happens to a request. Decisions carry who made them; the timers
/// (`StageTimedOut`, `Escalate`) are raised by background jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RequestEvent {
    /// Route the new request: to the first approval stage, or straight to approved.
    Submit,
    /// An approver approves the current stage.
    #[serde(rename_all = "camelCase")]
    Approve {
        /// The approver.
        by: UserId,
        /// Their reason.
        justification: Option<String>,
    },
    /// An approver denies the request.
    #[serde(rename_all = "camelCase")]
    Deny {
        /// The approver.
        by: UserId,
        /// Their reason.
        justification: Option<String>,
    },
    /// The requestor withdraws the request.
    #[serde(rename_all = "camelCase")]
    Cancel {
        /// Who cancels.
        by: UserId,
    },
    /// An administrator withdraws someone's request (the caller checked who may).
    #[serde(rename_all = "camelCase")]
    AdminCancel {
        /// The administrator.
        by: UserId,
    },
    /// The current stage's decision timeout passed.
    StageTimedOut,
    /// The current stage waited long enough to ask its alternate approvers.
    Escalate,
    /// Delivery of the grants begins.
    StartDelivery,
    /// Every grant was made.
    Delivered,
    /// The grants could not be made.
    DeliveryFailed,
}

impl RequestEvent {
    /// A short name for messages and logs (`approve`, `stageTimedOut`).
    pub fn name(&self) -> &'static str {
        match self {
            RequestEvent::Submit => "submit",
            RequestEvent::Approve { .. } => "approve",
            RequestEvent::Deny { .. } => "deny",
            RequestEvent::Cancel { .. } => "cancel",
            RequestEvent::AdminCancel { .. } => "adminCancel",
            RequestEvent::StageTimedOut => "stageTimedOut",
            RequestEvent::Escalate => "escalate",
            RequestEvent::StartDelivery => "startDelivery",
            RequestEvent::Delivered => "delivered",
            RequestEvent::DeliveryFailed => "deliveryFailed",
        }
    }
}

/// Why an event can't be applied to a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The event makes no sense in the request's state.
    #[error("A request that is {from} can't take the '{event}' step.")]
    NotAllowed {
        /// The request's state.
        from: RequestState,
        /// The event's name ([`RequestEvent::name`]).
        event: &'static str,
    },
    /// A decision on a request that is no longer waiting for one.
    #[error("This request has already been decided.")]
    AlreadyDecided,
    /// A decision after the stage's decision timeout (the request is about to time out).
    #[error("This request waited too long for a decision and can no longer be decided.")]
    DecisionWindowClosed,
    /// The requestor tried to decide their own request.
    #[error("You can't approve or deny your own request.")]
    SelfApproval,
    /// The person is not an approver of the current stage.
    #[error("You are not an approver of this request at its current stage.")]
    NotAnApprover,
    /// The person already approved an earlier stage; each stage needs another approver.
    #[error("You approved an earlier stage of this request; another approver decides this one.")]
    AlreadyApprovedEarlierStage,
    /// The stage requires the approver to give a reason.
    #[error("Give a reason for your decision.")]
    JustificationRequired,
    /// Someone other than the requestor tried to cancel.
    #[error("Only the person who asked for this access can cancel the request.")]
    NotRequestor,
    /// Cancelling an approved request whose access starts now (it is being delivered).
    #[error("This access is starting now; remove the assignment instead.")]
    AlreadyStarting,
    /// A timer event before its time.
    #[error("It is not time for that yet.")]
    NotYetDue,
    /// Escalation of a stage that has no alternate approvers.
    #[error("This approval stage has no alternate approvers to escalate to.")]
    NoEscalation,
    /// Escalation of a stage that was already escalated.
    #[error("This approval stage has already been escalated.")]
    AlreadyEscalated,
    /// The request was made through another policy than the one given.
    #[error("This request was made through a different policy.")]
    PolicyMismatch,
    /// The request's current stage does not exist in its policy (inconsistent data).
    #[error("The request's approval stage no longer exists in its policy.")]
    StageMissing,
}

/// Applies one event to a request at time `now`: the request lifecycle as a pure function.
/// `approvers` are the people who may decide the current stage (computed by the caller with
/// [`stage_approvers`](crate::policy::stage_approvers), honouring `request.escalated`).
///
/// Legal transitions (anything else is an error, and the request is never changed):
/// - submitted → pending approval (stage 0) when the request type goes through approval and
///   the policy has stages, else → approved;
/// - pending approval → next stage or approved (approve by a current approver who is not the
///   requestor and did not approve an earlier stage), → denied, → canceled (by the
///   requestor), → timed out (at the stage deadline), → escalated (same stage, from the
///   escalation time on);
/// - submitted → canceled (by the requestor, or an administrator's `AdminCancel`);
/// - approved → canceled (the same), while its scheduled start is still to come;
/// - approved → delivering → delivered | delivery failed.
pub fn apply(
    request: &AccessRequest,
    policy: &AssignmentPolicy,
    event: &RequestEvent,
    approvers: &[UserId],
    now: OffsetDateTime,
) -> Result<AccessRequest, TransitionError> {
    use RequestState as S;

    if request.policy_id != policy.id {
        return Err(TransitionError::PolicyMismatch);
    }
    let not_allowed = || TransitionError::NotAllowed {
        from: request.state,
        event: event.name(),
    };
    match (request.state, event) {
        (S::Submitted, RequestEvent::Submit) => {
            if request.request_type.goes_through_approval() && !policy.rules.stages.is_empty() {
                Ok(enter_stage(request, 0, now))
            } else {
                Ok(leave_stages(request, S::Approved, now))
            }
        }
        (
            S::PendingApproval,
            RequestEvent::Approve { by, justification } | RequestEvent::Deny { by, justification },
        ) => decide(
            request,
            policy,
            event,
            by,
            justification.as_deref(),
            approvers,
            now,
        ),
        (S::Submitted, RequestEvent::Approve { .. } | RequestEvent::Deny { .. }) => {
            Err(not_allowed())
        }
        (_, RequestEvent::Approve { .. } | RequestEvent::Deny { .. }) => {
            Err(TransitionError::AlreadyDecided)
        }
        (S::Submitted | S::PendingApproval | S::Approved, RequestEvent::Cancel { by }) => {
            if *by != request.requestor {
                return Err(TransitionError::NotRequestor);
            }
            if request.state == S::Approved && !starts_later(request, now) {
                return Err(TransitionError::AlreadyStarting);
            }
            Ok(leave_stages(request, S::Canceled, now))
        }
        (S::Submitted | S::PendingApproval | S::Approved, RequestEvent::AdminCancel { .. }) => {
            if request.state == S::Approved && !starts_later(request, now) {
                return Err(TransitionError::AlreadyStarting);
            }
            Ok(leave_stages(request, S::Canceled, now))
        }
        (S::PendingApproval, RequestEvent::StageTimedOut) => {
            current_stage(request, policy)?;
            match stage_deadline(request, policy) {
                Some(deadline) if now >= deadline => Ok(leave_stages(request, S::TimedOut, now)),
                _ => Err(TransitionError::NotYetDue),
            }
        }
        (S::PendingApproval, RequestEvent::Escalate) => {
            let (_, definition) = current_stage(request, policy)?;
            if definition.escalation.is_none() {
                return Err(TransitionError::NoEscalation);
            }
            if request.escalated {
                return Err(TransitionError::AlreadyEscalated);
            }
            match escalation_due_at(request, policy) {
                Some(due) if now >= due => Ok(AccessRequest {
                    escalated: true,
                    updated_at: now,
                    ..request.clone()
                }),
                _ => Err(TransitionError::NotYetDue),
            }
        }
        (S::Approved, RequestEvent::StartDelivery) => Ok(with_state(request, S::Delivering, now)),
        (S::Delivering, RequestEvent::Delivered) => Ok(with_state(request, S::Delivered, now)),
        (S::Delivering, RequestEvent::DeliveryFailed) => {
            Ok(with_state(request, S::DeliveryFailed, now))
        }
        _ => Err(not_allowed()),
    }
}

/// When the current stage times out: its start plus the stage's decision timeout. `None`
/// unless the request is pending approval at a stage its policy has.
pub fn stage_deadline(
    request: &AccessRequest,
    policy: &AssignmentPolicy,
) -> Option<OffsetDateTime> {
    let (started, definition) = pending_stage(request, policy)?;
    started.checked_add(Duration::days(i64::from(definition.decision_timeout_days)))
}

/// When the current stage is to be escalated to its alternate approvers. `None` unless the
/// request is pending approval at a stage that has an escalation and was not escalated yet.
/// The stage's timeout still counts from the stage's start, not from the escalation.
pub fn escalation_due_at(
    request: &AccessRequest,
    policy: &AssignmentPolicy,
) -> Option<OffsetDateTime> {
    if request.escalated {
        return None;
    }
    let (started, definition) = pending_stage(request, policy)?;
    let escalation = definition.escalation.as_ref()?;
    started.checked_add(Duration::days(i64::from(escalation.after_days)))
}

/// Whether an approved request waits for a scheduled start still to come at `now` (until
/// then its requestor or an administrator may cancel it).
pub fn starts_later(request: &AccessRequest, now: OffsetDateTime) -> bool {
    request.schedule.start.is_some_and(|start| start > now)
}

/// Whether the lifecycle allows a request to move from `from` to `to` in one event.
/// Pending approval may follow itself (the next stage, or an escalation).
pub fn is_legal_successor(from: RequestState, to: RequestState) -> bool {
    use RequestState as S;
    matches!(
        (from, to),
        (S::Submitted, S::PendingApproval | S::Approved | S::Canceled)
            | (
                S::PendingApproval,
                S::PendingApproval | S::Approved | S::Denied | S::Canceled | S::TimedOut
            )
            | (S::Approved, S::Delivering | S::Canceled)
            | (S::Delivering, S::Delivered | S::DeliveryFailed)
    )
}

fn decide(
    request: &AccessRequest,
    policy: &AssignmentPolicy,
    event: &RequestEvent,
    by: &UserId,
    justification: Option<&str>,
    approvers: &[UserId],
    now: OffsetDateTime,
) -> Result<AccessRequest, TransitionError> {
    let (stage, definition) = current_stage(request, policy)?;
    if *by == request.requestor {
        return Err(TransitionError::SelfApproval);
    }
    if !approvers.contains(by) {
        return Err(TransitionError::NotAnApprover);
    }
    if stage_deadline(request, policy).is_some_and(|deadline| now >= deadline) {
        return Err(TransitionError::DecisionWindowClosed);
    }
    let approving = matches!(event, RequestEvent::Approve { .. });
    let approved_before = request
        .decisions
        .iter()
        .any(|decision| decision.approver == *by && decision.decision == DecisionKind::Approve);
    if approving && approved_before {
        return Err(TransitionError::AlreadyApprovedEarlierStage);
    }
    let justification = justification.map(str::trim).filter(|text| !text.is_empty());
    if definition.approver_justification_required && justification.is_none() {
        return Err(TransitionError::JustificationRequired);
    }
    let mut next = request.clone();
    next.decisions.push(Decision {
        stage,
        approver: by.clone(),
        decision: match approving {
            true => DecisionKind::Approve,
            false => DecisionKind::Deny,
        },
        justification: justification.map(str::to_owned),
        decided_at: now,
    });
    if !approving {
        return Ok(leave_stages(&next, RequestState::Denied, now));
    }
    let following = usize::from(stage) + 1;
    match u8::try_from(following) {
        Ok(following) if usize::from(following) < policy.rules.stages.len() => {
            Ok(enter_stage(&next, following, now))
        }
        _ => Ok(leave_stages(&next, RequestState::Approved, now)),
    }
}

/// The current stage's index and definition, for a request pending approval.
fn current_stage<'p>(
    request: &AccessRequest,
    policy: &'p AssignmentPolicy,
) -> Result<(u8, &'p ApprovalStage), TransitionError> {
    let stage = request.current_stage.ok_or(TransitionError::StageMissing)?;
    let definition = policy
        .rules
        .stages
        .get(usize::from(stage))
        .ok_or(TransitionError::StageMissing)?;
    Ok((stage, definition))
}

fn pending_stage<'p>(
    request: &AccessRequest,
    policy: &'p AssignmentPolicy,
) -> Option<(OffsetDateTime, &'p ApprovalStage)> {
    if request.state != RequestState::PendingApproval {
        return None;
    }
    let (_, definition) = current_stage(request, policy).ok()?;
    Some((request.stage_started_at?, definition))
}

fn enter_stage(request: &AccessRequest, stage: u8, now: OffsetDateTime) -> AccessRequest {
    AccessRequest {
        state: RequestState::PendingApproval,
        current_stage: Some(stage),
        stage_started_at: Some(now),
        escalated: false,
        updated_at: now,
        ..request.clone()
    }
}

fn leave_stages(
    request: &AccessRequest,
    state: RequestState,
    now: OffsetDateTime,
) -> AccessRequest {
    AccessRequest {
        state,
        current_stage: None,
        stage_started_at: None,
        escalated: false,
        updated_at: now,
        ..request.clone()
    }
}

fn with_state(request: &AccessRequest, state: RequestState, now: OffsetDateTime) -> AccessRequest {
    AccessRequest {
        state,
        updated_at: now,
        ..request.clone()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::datetime;

    use super::*;
    use crate::policy::Escalation;
    use crate::testkit::{
        named, policy_with, proptest_cases, stage, submitted_request, t0, valid_draft,
    };

    fn user(id: &str) -> UserId {
        UserId::new(id)
    }

    fn days(n: i64) -> Duration {
        Duration::days(n)
    }

    // ---- validate_request_draft --------------------------------------------------------

    /// A policy that asks a required text question `q1` and an optional choice `q2`, lets the
    /// requestor choose a schedule and lasts 90 days.
    fn asking_policy() -> AssignmentPolicy {
        let mut rules = valid_draft();
        rules.requestor_justification_required = true;
        rules.requestor_may_choose_schedule = true;
        rules.questions = vec![
            Question {
                id: QuestionId::new("q1"),
                text: "Which project?".to_owned(),
                required: true,
                kind: QuestionKind::ShortText,
            },
            Question {
                id: QuestionId::new("q2"),
                text: "Which site?".to_owned(),
                required: false,
                kind: QuestionKind::Choice {
                    options: vec!["Berlin".to_owned(), "Lisbon".to_owned()],
                },
            },
        ];
        policy_with(rules)
    }

    fn answer(id: &str, value: &str) -> Answer {
        Answer {
            question_id: QuestionId::new(id),
            value: value.to_owned(),
        }
    }

    /// A draft that `asking_policy` accepts.
    fn good_draft() -> RequestDraft {
        RequestDraft {
            justification: Some("Joining the Falcon project.".to_owned()),
            answers: vec![answer("q1", "Falcon")],
            schedule: Schedule::default(),
        }
    }

    /// Edits the policy and a good draft, then checks the fields reported at `t0`.
    fn check(
        edit_policy: impl FnOnce(&mut PolicyDraft),
        edit_draft: impl FnOnce(&mut RequestDraft),
        expected_fields: &[&str],
    ) {
        let mut policy = asking_policy();
        edit_policy(&mut policy.rules);
        let mut draft = good_draft();
        edit_draft(&mut draft);
        let fields: Vec<String> = match validate_request_draft(&policy, &draft, t0()) {
            Ok(_) => Vec::new(),
            Err(FieldErrors(errors)) => errors.into_iter().map(|error| error.field).collect(),
        };
        assert_eq!(fields, expected_fields, "draft: {draft:#?}");
    }

    fn keep<T>(_: &mut T) {}

    fn schedule(start: Option<OffsetDateTime>, end: Option<OffsetDateTime>) -> Schedule {
        Schedule { start, end }
    }

    #[test]
    fn good_request_passes_trimmed() {
        let mut draft = good_draft();
        draft.justification = Some("  Joining Falcon \n".to_owned());
        draft.answers = vec![answer("q1", " Falcon "), answer("q2", "  ")];
        let valid = validate_request_draft(&asking_policy(), &draft, t0()).expect("valid");
        assert_eq!(valid.justification.as_deref(), Some("Joining Falcon"));
        assert_eq!(valid.answers, vec![answer("q1", "Falcon")]);
    }

    #[test]
    fn justification_is_required_when_the_policy_says_so() {
        check(keep, |d| d.justification = None, &["justification"]);
        check(
            keep,
            |d| d.justification = Some(" \n ".to_owned()),
            &["justification"],
        );
        check(
            |p| p.requestor_justification_required = false,
            |d| d.justification = None,
            &[],
        );
    }

    #[test]
    fn justification_has_at_most_1000_characters() {
        check(keep, |d| d.justification = Some("x".repeat(1000)), &[]);
        check(
            keep,
            |d| d.justification = Some("x".repeat(1001)),
            &["justification"],
        );
    }

    #[test]
    fn required_questions_must_be_answered() {
        check(keep, |d| d.answers.clear(), &["answers[q1]"]);
        check(
            keep,
            |d| d.answers = vec![answer("q1", "  ")],
            &["answers[q1]"],
        );
    }

    #[test]
    fn choice_answers_must_be_among_the_options() {
        check(keep, |d| d.answers.push(answer("q2", "Lisbon")), &[]);
        check(
            keep,
            |d| d.answers.push(answer("q2", "Paris")),
            &["answers[q2]"],
        );
    }

    #[test]
    fn unknown_questions_are_refused() {
        check(
            keep,
            |d| d.answers.push(answer("q9", "Hello")),
            &["answers[q9]"],
        );
    }

    #[test]
    fn answers_are_at_most_a_thousand_characters() {
        let longest = "a".repeat(MAX_ANSWER_CHARS);
        let too_long = "a".repeat(MAX_ANSWER_CHARS + 1);
        check(keep, |d| d.answers[0].value = longest.clone(), &[]);
        check(
            keep,
            |d| d.answers[0].value = too_long.clone(),
            &["answers[q1]"],
        );
    }

    #[test]
    fn each_question_is_answered_once() {
        check(
            keep,
            |d| d.answers.push(answer("q1", "Again")),
            &["answers[q1]"],
        );
    }

    #[test]
    fn schedule_only_when_the_policy_lets_the_requestor_choose() {
        let start = Some(t0() + days(1));
        check(
            |p| p.requestor_may_choose_schedule = false,
            |d| d.schedule = schedule(start, None),
            &["schedule"],
        );
        check(
            |p| p.requestor_may_choose_schedule = false,
            |d| d.schedule = schedule(None, None),
            &[],
        );
    }

    #[test]
    fn start_may_lie_at_most_an_hour_in_the_past() {
        let ago = |minutes| Some(t0() - Duration::minutes(minutes));
        check(keep, |d| d.schedule = schedule(ago(59), None), &[]);
        check(keep, |d| d.schedule = schedule(ago(60), None), &[]);
        check(
            keep,
            |d| d.schedule = schedule(ago(61), None),
            &["schedule.start"],
        );
    }

    #[test]
    fn start_lies_at_most_a_year_ahead() {
        let ahead = |days_ahead| Some(t0() + days(days_ahead));
        check(keep, |d| d.schedule = schedule(ahead(365), None), &[]);
        check(
            keep,
            |d| d.schedule = schedule(ahead(366), None),
            &["schedule.start"],
        );
        let far = Some(datetime!(9999-12-31 0:00 UTC));
        check(
            keep,
            |d| d.schedule = schedule(far, None),
            &["schedule.start"],
        );
    }

    #[test]
    fn end_comes_after_the_start() {
        let start = t0() + days(2);
        check(
            keep,
            |d| d.schedule = schedule(Some(start), Some(start)),
            &["schedule.end"],
        );
        check(
            keep,
            |d| d.schedule = schedule(Some(start), Some(start - days(1))),
            &["schedule.end"],
        );
        check(
            keep,
            |d| d.schedule = schedule(None, Some(t0() - days(1))),
            &["schedule.end"],
        );
    }

    #[test]
    fn end_stays_within_the_policys_expiration_from_the_start() {
        let start = t0() + days(10);
        check(
            keep,
            |d| d.schedule = schedule(Some(start), Some(start + days(90))),
            &[],
        );
        check(
            keep,
            |d| d.schedule = schedule(Some(start), Some(start + days(91))),
            &["schedule.end"],
        );
        check(
            keep,
            |d| d.schedule = schedule(None, Some(t0() + days(90))),
            &[],
        );
        check(
            keep,
            |d| d.schedule = schedule(None, Some(t0() + days(91))),
            &["schedule.end"],
        );
        check(
            |p| p.expiration = Expiration::AfterHours { hours: 8 },
            |d| d.schedule = schedule(Some(start), Some(start + Duration::hours(9))),
            &["schedule.end"],
        );
        check(
            |p| p.expiration = Expiration::Never,
            |d| d.schedule = schedule(Some(start), Some(start + days(5000))),
            &[],
        );
    }

    #[test]
    fn schedule_stays_before_a_fixed_end_date() {
        let date = datetime!(2026-06-30 0:00 UTC);
        let on_date = |p: &mut PolicyDraft| p.expiration = Expiration::OnDate { date };
        check(on_date, |d| d.schedule = schedule(None, Some(date)), &[]);
        check(
            on_date,
            |d| d.schedule = schedule(None, Some(date + days(1))),
            &["schedule.end"],
        );
        check(
            on_date,
            |d| d.schedule = schedule(Some(date + days(1)), None),
            &["schedule.start"],
        );
    }

    #[test]
    fn every_request_error_is_reported_at_once() {
        check(
            keep,
            |d| {
                d.justification = None;
                d.answers = vec![answer("q2", "Paris"), answer("q7", "?")];
                d.schedule = schedule(Some(t0() - days(1)), Some(t0() - days(2)));
            },
            &[
                "justification",
                "answers[q2]",
                "answers[q7]",
                "answers[q1]",
                "schedule.start",
                "schedule.end",
            ],
        );
    }

    #[test]
    fn request_draft_accepts_a_body_without_optional_fields() {
        let draft: RequestDraft = serde_json::from_str("{}").expect("deserialize");
        assert_eq!(draft, RequestDraft::default());
        let draft: RequestDraft = serde_json::from_str(
            r#"{"justification":"x","answers":[{"questionId":"q1","value":"y"}],"schedule":{"start":"2026-03-03T09:00:00Z"}}"#,
        )
        .expect("deserialize");
        assert_eq!(draft.answers, vec![answer("q1", "y")]);
        assert_eq!(draft.schedule.start, Some(datetime!(2026-03-03 9:00 UTC)));
    }

    // ---- the request state machine ----------------------------------------------------

    /// Stage 0: bob, 7 days, escalation to dave after 3 days. Stage 1: carol, 5 days,
    /// approver justification required.
    fn two_stage_policy() -> AssignmentPolicy {
        let mut rules = valid_draft();
        let mut first = stage(vec![named("bob")]);
        first.escalation = Some(Escalation {
            after_days: 3,
            approvers: vec![named("dave")],
        });
        let mut second = stage(vec![named("carol")]);
        second.decision_timeout_days = 5;
        second.approver_justification_required = true;
        rules.stages = vec![first, second];
        policy_with(rules)
    }

    fn no_stage_policy() -> AssignmentPolicy {
        let mut rules = valid_draft();
        rules.stages.clear();
        policy_with(rules)
    }

    /// A request by alice pending at `stage`, which started at `t0`.
    fn pending(stage: u8) -> AccessRequest {
        AccessRequest {
            state: RequestState::PendingApproval,
            current_stage: Some(stage),
            stage_started_at: Some(t0()),
            ..submitted_request()
        }
    }

    fn in_state(state: RequestState) -> AccessRequest {
        AccessRequest {
            state,
            ..submitted_request()
        }
    }

    fn approve(by: &str, justification: Option<&str>) -> RequestEvent {
        RequestEvent::Approve {
            by: user(by),
            justification: justification.map(str::to_owned),
        }
    }

    fn deny(by: &str, justification: Option<&str>) -> RequestEvent {
        RequestEvent::Deny {
            by: user(by),
            justification: justification.map(str::to_owned),
        }
    }

    fn cancel(by: &str) -> RequestEvent {
        RequestEvent::Cancel { by: user(by) }
    }

    /// Applies `event` with `approvers` at `now` and returns the outcome.
    fn run(
        request: &AccessRequest,
        policy: &AssignmentPolicy,
        event: RequestEvent,
        approvers: &[&str],
        now: OffsetDateTime,
    ) -> Result<AccessRequest, TransitionError> {
        let approvers: Vec<UserId> = approvers.iter().map(|id| user(id)).collect();
        apply(request, policy, &event, &approvers, now)
    }

    /// Checks that the event leads to `expected` (a state) or to the error.
    fn check_step(
        request: &AccessRequest,
        policy: &AssignmentPolicy,
        event: RequestEvent,
        approvers: &[&str],
        now: OffsetDateTime,
        expected: Result<RequestState, TransitionError>,
    ) -> Option<AccessRequest> {
        let outcome = run(request, policy, event, approvers, now);
        assert_eq!(
            outcome.as_ref().map(|next| next.state),
            expected.as_ref().map(|s| *s)
        );
        if let Err(error) = &outcome {
            assert_eq!(Err::<(), _>(error), expected.as_ref().map(|_| ()));
        }
        let next = outcome.ok()?;
        assert_eq!(next.updated_at, now);
        Some(next)
    }

    #[test]
    fn submit_enters_the_first_stage_when_the_policy_has_stages() {
        let now = t0() + Duration::minutes(1);
        let next = check_step(
            &submitted_request(),
            &two_stage_policy(),
            RequestEvent::Submit,
            &[],
            now,
            Ok(RequestState::PendingApproval),
        )
        .expect("pending");
        assert_eq!(next.current_stage, Some(0));
        assert_eq!(next.stage_started_at, Some(now));
        assert!(!next.escalated);
    }

    #[test]
    fn submit_approves_when_the_policy_has_no_stages() {
        let next = check_step(
            &submitted_request(),
            &no_stage_policy(),
            RequestEvent::Submit,
            &[],
            t0(),
            Ok(RequestState::Approved),
        )
        .expect("approved");
        assert_eq!(next.current_stage, None);
    }

    #[test]
    fn submit_skips_approval_for_direct_assignment_and_removal() {
        for request_type in [
            RequestType::AdminAdd,
            RequestType::AdminRemove,
            RequestType::UserRemove,
        ] {
            let request = AccessRequest {
                request_type,
                ..submitted_request()
            };
            check_step(
                &request,
                &two_stage_policy(),
                RequestEvent::Submit,
                &[],
                t0(),
                Ok(RequestState::Approved),
            );
        }
        let extend = AccessRequest {
            request_type: RequestType::UserExtend,
            ..submitted_request()
        };
        check_step(
            &extend,
            &two_stage_policy(),
            RequestEvent::Submit,
            &[],
            t0(),
            Ok(RequestState::PendingApproval),
        );
    }

    #[test]
    fn approval_moves_to_the_next_stage_and_records_the_decision() {
        let now = t0() + days(1);
        let next = check_step(
            &pending(0),
            &two_stage_policy(),
            approve("bob", Some(" fine ")),
            &["bob"],
            now,
            Ok(RequestState::PendingApproval),
        )
        .expect("next stage");
        assert_eq!(next.current_stage, Some(1));
        assert_eq!(next.stage_started_at, Some(now));
        assert_eq!(
            next.decisions,
            vec![Decision {
                stage: 0,
                approver: user("bob"),
                decision: DecisionKind::Approve,
                justification: Some("fine".to_owned()),
                decided_at: now,
            }]
        );
    }

    #[test]
    fn next_stage_starts_unescalated() {
        let escalated = AccessRequest {
            escalated: true,
            ..pending(0)
        };
        let next = run(
            &escalated,
            &two_stage_policy(),
            approve("dave", None),
            &["dave"],
            t0() + days(4),
        )
        .expect("approved by the alternate");
        assert_eq!(next.current_stage, Some(1));
        assert!(!next.escalated);
    }

    #[test]
    fn approval_of_the_last_stage_approves_the_request() {
        let next = check_step(
            &pending(1),
            &two_stage_policy(),
            approve("carol", Some("ok")),
            &["carol"],
            t0() + days(1),
            Ok(RequestState::Approved),
        )
        .expect("approved");
        assert_eq!((next.current_stage, next.stage_started_at), (None, None));
        assert_eq!(next.decisions.len(), 1);
    }

    #[test]
    fn one_denial_ends_the_request() {
        let next = check_step(
            &pending(0),
            &two_stage_policy(),
            deny("bob", None),
            &["bob"],
            t0() + days(1),
            Ok(RequestState::Denied),
        )
        .expect("denied");
        assert_eq!(next.decisions[0].decision, DecisionKind::Deny);
        assert_eq!(next.current_stage, None);
    }

    #[test]
    fn stage_may_require_the_approver_to_give_a_reason() {
        let policy = two_stage_policy();
        let now = t0() + days(1);
        for justification in [None, Some("   ")] {
            check_step(
                &pending(1),
                &policy,
                approve("carol", justification),
                &["carol"],
                now,
                Err(TransitionError::JustificationRequired),
            );
            check_step(
                &pending(1),
                &policy,
                deny("carol", justification),
                &["carol"],
                now,
                Err(TransitionError::JustificationRequired),
            );
        }
    }

    #[test]
    fn requestor_never_decides_their_own_request() {
        let policy = two_stage_policy();
        for event in [approve("alice", Some("me")), deny("alice", Some("me"))] {
            check_step(
                &pending(0),
                &policy,
                event,
                &["alice", "bob"],
                t0(),
                Err(TransitionError::SelfApproval),
            );
        }
    }

    #[test]
    fn only_current_approvers_decide() {
        let policy = two_stage_policy();
        check_step(
            &pending(0),
            &policy,
            approve("carol", None),
            &["bob"],
            t0(),
            Err(TransitionError::NotAnApprover),
        );
        check_step(
            &pending(0),
            &policy,
            deny("mallory", None),
            &["bob"],
            t0(),
            Err(TransitionError::NotAnApprover),
        );
    }

    #[test]
    fn each_stage_is_approved_by_someone_else() {
        let mut request = pending(1);
        request.decisions.push(Decision {
            stage: 0,
            approver: user("carol"),
            decision: DecisionKind::Approve,
            justification: None,
            decided_at: t0(),
        });
        let policy = two_stage_policy();
        check_step(
            &request,
            &policy,
            approve("carol", Some("again")),
            &["carol"],
            t0(),
            Err(TransitionError::AlreadyApprovedEarlierStage),
        );
        check_step(
            &request,
            &policy,
            deny("carol", Some("changed my mind")),
            &["carol"],
            t0(),
            Ok(RequestState::Denied),
        );
    }

    #[test]
    fn decisions_after_the_stage_deadline_are_refused() {
        let policy = two_stage_policy();
        check_step(
            &pending(0),
            &policy,
            approve("bob", None),
            &["bob"],
            t0() + days(7),
            Err(TransitionError::DecisionWindowClosed),
        );
        check_step(
            &pending(0),
            &policy,
            approve("bob", None),
            &["bob"],
            t0() + days(7) - Duration::seconds(1),
            Ok(RequestState::PendingApproval),
        );
    }

    #[test]
    fn decisions_on_decided_requests_are_refused() {
        let policy = two_stage_policy();
        for state in [
            RequestState::Approved,
            RequestState::Delivering,
            RequestState::Delivered,
            RequestState::Denied,
            RequestState::Canceled,
            RequestState::TimedOut,
            RequestState::DeliveryFailed,
        ] {
            for event in [approve("bob", Some("ok")), deny("bob", Some("no"))] {
                check_step(
                    &in_state(state),
                    &policy,
                    event,
                    &["bob"],
                    t0(),
                    Err(TransitionError::AlreadyDecided),
                );
            }
        }
        assert_eq!(
            TransitionError::AlreadyDecided.to_string(),
            "This request has already been decided."
        );
    }

    #[test]
    fn decisions_on_requests_not_yet_routed_are_not_allowed() {
        check_step(
            &submitted_request(),
            &two_stage_policy(),
            approve("bob", None),
            &["bob"],
            t0(),
            Err(TransitionError::NotAllowed {
                from: RequestState::Submitted,
                event: "approve",
            }),
        );
    }

    #[test]
    fn requestor_cancels_a_submitted_or_pending_request() {
        let policy = two_stage_policy();
        for request in [submitted_request(), pending(0), pending(1)] {
            let next = check_step(
                &request,
                &policy,
                cancel("alice"),
                &[],
                t0(),
                Ok(RequestState::Canceled),
            )
            .expect("canceled");
            assert_eq!((next.current_stage, next.stage_started_at), (None, None));
        }
    }

    #[test]
    fn nobody_else_cancels() {
        check_step(
            &pending(0),
            &two_stage_policy(),
            cancel("bob"),
            &["bob"],
            t0(),
            Err(TransitionError::NotRequestor),
        );
    }

    #[test]
    fn approved_requests_starting_now_can_no_longer_be_canceled() {
        for event in [
            cancel("alice"),
            RequestEvent::AdminCancel { by: user("root") },
        ] {
            check_step(
                &in_state(RequestState::Approved),
                &two_stage_policy(),
                event,
                &[],
                t0(),
                Err(TransitionError::AlreadyStarting),
            );
        }
        let mut started = in_state(RequestState::Approved);
        started.schedule.start = Some(t0());
        check_step(
            &started,
            &two_stage_policy(),
            cancel("alice"),
            &[],
            t0(),
            Err(TransitionError::AlreadyStarting),
        );
    }

    #[test]
    fn approved_requests_waiting_for_their_start_can_be_canceled() {
        let mut waiting = in_state(RequestState::Approved);
        waiting.schedule.start = Some(t0() + days(3));
        for event in [
            cancel("alice"),
            RequestEvent::AdminCancel { by: user("root") },
        ] {
            check_step(
                &waiting,
                &two_stage_policy(),
                event,
                &[],
                t0(),
                Ok(RequestState::Canceled),
            );
        }
        check_step(
            &waiting,
            &two_stage_policy(),
            cancel("bob"),
            &[],
            t0(),
            Err(TransitionError::NotRequestor),
        );
    }

    #[test]
    fn administrators_cancel_open_requests_but_not_finished_ones() {
        let policy = two_stage_policy();
        for request in [submitted_request(), pending(0)] {
            check_step(
                &request,
                &policy,
                RequestEvent::AdminCancel { by: user("root") },
                &[],
                t0(),
                Ok(RequestState::Canceled),
            );
        }
        for state in [
            RequestState::Delivering,
            RequestState::Delivered,
            RequestState::Denied,
        ] {
            check_step(
                &in_state(state),
                &policy,
                RequestEvent::AdminCancel { by: user("root") },
                &[],
                t0(),
                Err(TransitionError::NotAllowed {
                    from: state,
                    event: "adminCancel",
                }),
            );
        }
    }

    #[test]
    fn stage_times_out_at_its_deadline_and_not_before() {
        let policy = two_stage_policy();
        check_step(
            &pending(0),
            &policy,
            RequestEvent::StageTimedOut,
            &[],
            t0() + days(7) - Duration::seconds(1),
            Err(TransitionError::NotYetDue),
        );
        let next = check_step(
            &pending(0),
            &policy,
            RequestEvent::StageTimedOut,
            &[],
            t0() + days(7),
            Ok(RequestState::TimedOut),
        )
        .expect("timed out");
        assert_eq!(next.current_stage, None);
        check_step(
            &pending(1),
            &policy,
            RequestEvent::StageTimedOut,
            &[],
            t0() + days(5),
            Ok(RequestState::TimedOut),
        );
    }

    #[test]
    fn escalation_comes_at_its_time_and_keeps_the_stage_clock() {
        let policy = two_stage_policy();
        check_step(
            &pending(0),
            &policy,
            RequestEvent::Escalate,
            &[],
            t0() + days(3) - Duration::seconds(1),
            Err(TransitionError::NotYetDue),
        );
        let escalated = check_step(
            &pending(0),
            &policy,
            RequestEvent::Escalate,
            &[],
            t0() + days(3),
            Ok(RequestState::PendingApproval),
        )
        .expect("escalated");
        assert!(escalated.escalated);
        assert_eq!(escalated.current_stage, Some(0));
        assert_eq!(escalated.stage_started_at, Some(t0()));
        assert_eq!(stage_deadline(&escalated, &policy), Some(t0() + days(7)));
        check_step(
            &escalated,
            &policy,
            RequestEvent::Escalate,
            &[],
            t0() + days(4),
            Err(TransitionError::AlreadyEscalated),
        );
        check_step(
            &escalated,
            &policy,
            RequestEvent::StageTimedOut,
            &[],
            t0() + days(7),
            Ok(RequestState::TimedOut),
        );
    }

    #[test]
    fn stages_without_escalation_are_not_escalated() {
        check_step(
            &pending(1),
            &two_stage_policy(),
            RequestEvent::Escalate,
            &[],
            t0() + days(4),
            Err(TransitionError::NoEscalation),
        );
    }

    #[test]
    fn approved_requests_are_delivered_or_fail() {
        let policy = two_stage_policy();
        let delivering = check_step(
            &in_state(RequestState::Approved),
            &policy,
            RequestEvent::StartDelivery,
            &[],
            t0(),
            Ok(RequestState::Delivering),
        )
        .expect("delivering");
        check_step(
            &delivering,
            &policy,
            RequestEvent::Delivered,
            &[],
            t0(),
            Ok(RequestState::Delivered),
        );
        check_step(
            &delivering,
            &policy,
            RequestEvent::DeliveryFailed,
            &[],
            t0(),
            Ok(RequestState::DeliveryFailed),
        );
    }

    #[test]
    fn events_out_of_order_are_not_allowed() {
        let policy = two_stage_policy();
        let not_allowed = |from, event| Err(TransitionError::NotAllowed { from, event });
        let cases = [
            (
                RequestState::PendingApproval,
                RequestEvent::Submit,
                "submit",
            ),
            (
                RequestState::PendingApproval,
                RequestEvent::StartDelivery,
                "startDelivery",
            ),
            (
                RequestState::Submitted,
                RequestEvent::Delivered,
                "delivered",
            ),
            (
                RequestState::Submitted,
                RequestEvent::StageTimedOut,
                "stageTimedOut",
            ),
            (RequestState::Approved, RequestEvent::Delivered, "delivered"),
            (RequestState::Approved, RequestEvent::Escalate, "escalate"),
            (
                RequestState::Delivering,
                RequestEvent::StartDelivery,
                "startDelivery",
            ),
            (RequestState::Delivering, RequestEvent::Submit, "submit"),
        ];
        for (state, event, name) in cases {
            let request = match state {
                RequestState::PendingApproval => pending(0),
                other => in_state(other),
            };
            check_step(
                &request,
                &policy,
                event,
                &[],
                t0() + days(30),
                not_allowed(state, name),
            );
        }
    }

    #[test]
    fn final_requests_take_no_event() {
        let policy = two_stage_policy();
        let events = [
            RequestEvent::Submit,
            approve("bob", Some("x")),
            deny("bob", Some("x")),
            cancel("alice"),
            RequestEvent::StageTimedOut,
            RequestEvent::Escalate,
            RequestEvent::StartDelivery,
            RequestEvent::Delivered,
            RequestEvent::DeliveryFailed,
        ];
        for state in RequestState::ALL
            .into_iter()
            .filter(|state| state.is_final())
        {
            for event in &events {
                let outcome = apply(
                    &in_state(state),
                    &policy,
                    event,
                    &[user("bob")],
                    t0() + days(60),
                );
                assert!(outcome.is_err(), "{state:?} took {event:?}");
            }
        }
    }

    #[test]
    fn events_through_another_policy_are_refused() {
        let mut policy = two_stage_policy();
        policy.id = PolicyId::new("pol-2");
        check_step(
            &submitted_request(),
            &policy,
            RequestEvent::Submit,
            &[],
            t0(),
            Err(TransitionError::PolicyMismatch),
        );
    }

    #[test]
    fn pending_stage_missing_from_the_policy_is_reported() {
        check_step(
            &pending(2),
            &two_stage_policy(),
            approve("bob", None),
            &["bob"],
            t0(),
            Err(TransitionError::StageMissing),
        );
        assert_eq!(stage_deadline(&pending(2), &two_stage_policy()), None);
    }

    #[test]
    fn deadlines_are_derived_from_the_stage_start() {
        let policy = two_stage_policy();
        assert_eq!(stage_deadline(&pending(0), &policy), Some(t0() + days(7)));
        assert_eq!(stage_deadline(&pending(1), &policy), Some(t0() + days(5)));
        assert_eq!(
            escalation_due_at(&pending(0), &policy),
            Some(t0() + days(3))
        );
        assert_eq!(escalation_due_at(&pending(1), &policy), None);
        let escalated = AccessRequest {
            escalated: true,
            ..pending(0)
        };
        assert_eq!(escalation_due_at(&escalated, &policy), None);
        assert_eq!(stage_deadline(&submitted_request(), &policy), None);
        assert_eq!(
            escalation_due_at(&in_state(RequestState::Approved), &policy),
            None
        );
    }

    #[test]
    fn state_names_match_the_wire_format() {
        for state in RequestState::ALL {
            let json = serde_json::to_string(&state).expect("serialize");
            assert_eq!(json, format!("\"{}\"", state.as_str()));
            assert_eq!(RequestState::parse(state.as_str()), Some(state));
        }
        assert_eq!(RequestState::parse("pending"), None);
    }

    #[test]
    fn events_serialize_with_a_kind_tag() {
        let json = serde_json::to_string(&approve("bob", Some("ok"))).expect("serialize");
        assert_eq!(
            json,
            r#"{"kind":"approve","by":"bob","justification":"ok"}"#
        );
        let json = serde_json::to_string(&RequestEvent::StageTimedOut).expect("serialize");
        assert_eq!(json, r#"{"kind":"stageTimedOut"}"#);
    }

    #[test]
    fn final_states_have_no_legal_successor() {
        for from in RequestState::ALL {
            let successors = RequestState::ALL
                .into_iter()
                .filter(|to| is_legal_successor(from, *to))
                .count();
            assert_eq!(successors == 0, from.is_final(), "{from:?}");
        }
    }

    // ---- properties --------------------------------------------------------------------

    const PEOPLE: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];

    /// Who approves at a stage in the generated policies: people by index into [`PEOPLE`].
    #[derive(Debug, Clone)]
    struct StageSpec {
        approvers: Vec<usize>,
        timeout_days: u32,
        escalation: Option<(u32, Vec<usize>)>,
        justification_required: bool,
    }

    fn any_stage_spec() -> impl Strategy<Value = StageSpec> {
        (
            prop::collection::vec(0..PEOPLE.len(), 1..4),
            1u32..=14,
            prop::option::of((1u32..14, prop::collection::vec(0..PEOPLE.len(), 1..3))),
            any::<bool>(),
        )
            .prop_map(
                |(approvers, timeout_days, escalation, justification_required)| StageSpec {
                    approvers,
                    escalation: escalation
                        .map(|(after, people)| (after.min(timeout_days - 1).max(1), people)),
                    timeout_days,
                    justification_required,
                },
            )
    }

    fn people(indices: &[usize]) -> Vec<UserId> {
        indices.iter().map(|index| user(PEOPLE[*index])).collect()
    }

    fn policy_from(specs: &[StageSpec]) -> AssignmentPolicy {
        let mut rules = valid_draft();
        rules.stages = specs
            .iter()
            .map(|spec| ApprovalStage {
                approvers: people(&spec.approvers)
                    .into_iter()
                    .map(|id| crate::policy::Approver::User { id })
                    .collect(),
                fallback_approvers: Vec::new(),
                approver_justification_required: spec.justification_required,
                decision_timeout_days: spec.timeout_days,
                escalation: spec
                    .escalation
                    .as_ref()
                    .map(|(after_days, alternates)| Escalation {
                        after_days: *after_days,
                        approvers: people(alternates)
                            .into_iter()
                            .map(|id| crate::policy::Approver::User { id })
                            .collect(),
                    }),
            })
            .collect();
        policy_with(rules)
    }

    /// The people who may decide now, as the server would compute them (the requestor is
    /// deliberately left in: the state machine must refuse them itself).
    fn current_approvers(request: &AccessRequest, specs: &[StageSpec]) -> Vec<UserId> {
        let Some(spec) = request
            .current_stage
            .and_then(|stage| specs.get(usize::from(stage)))
        else {
            return Vec::new();
        };
        match (&spec.escalation, request.escalated) {
            (Some((_, alternates)), true) => people(alternates),
            _ => people(&spec.approvers),
        }
    }

    fn any_event() -> impl Strategy<Value = RequestEvent> {
        let actor = (0..PEOPLE.len()).prop_map(|index| user(PEOPLE[index]));
        let reason = prop_oneof![
            4 => Just(Some("because".to_owned())),
            1 => Just(Some(" ".to_owned())),
            1 => Just(None),
        ];
        prop_oneof![
            1 => Just(RequestEvent::Submit),
            10 => (actor.clone(), reason.clone())
                .prop_map(|(by, justification)| RequestEvent::Approve { by, justification }),
            1 => (actor.clone(), reason).prop_map(|(by, justification)| RequestEvent::Deny { by, justification }),
            1 => actor.clone().prop_map(|by| RequestEvent::Cancel { by }),
            1 => actor.prop_map(|by| RequestEvent::AdminCancel { by }),
            1 => Just(RequestEvent::StageTimedOut),
            1 => Just(RequestEvent::Escalate),
            1 => Just(RequestEvent::StartDelivery),
            1 => Just(RequestEvent::Delivered),
            1 => Just(RequestEvent::DeliveryFailed),
        ]
    }

    /// Minutes between events: mostly a short while, sometimes days (to reach timers).
    fn any_advance() -> impl Strategy<Value = i64> {
        prop_oneof![4 => 0i64..180, 1 => 0i64..(4 * 24 * 60)]
    }

    /// Mostly, a decision is made by one of the current approvers (picked by this index);
    /// sometimes by whoever the event names.
    fn any_aim() -> impl Strategy<Value = Option<usize>> {
        prop_oneof![3 => any::<usize>().prop_map(Some), 1 => Just(None)]
    }

    fn aimed(event: RequestEvent, aim: Option<usize>, approvers: &[UserId]) -> RequestEvent {
        let Some(index) = aim else { return event };
        let Some(by) = approvers.get(index % approvers.len().max(1)).cloned() else {
            return event;
        };
        match event {
            RequestEvent::Approve { justification, .. } => {
                RequestEvent::Approve { by, justification }
            }
            RequestEvent::Deny { justification, .. } => RequestEvent::Deny { by, justification },
            other => other,
        }
    }

    fn any_request_type() -> impl Strategy<Value = RequestType> {
        prop_oneof![
            6 => Just(RequestType::UserAdd),
            1 => Just(RequestType::UserExtend),
            1 => Just(RequestType::UserRemove),
            1 => Just(RequestType::AdminAdd),
            1 => Just(RequestType::AdminRemove),
        ]
    }

    fn check_invariants(request: &AccessRequest, stage_count: usize) -> Result<(), TestCaseError> {
        let pending = request.state == RequestState::PendingApproval;
        match request.current_stage {
            Some(stage) => prop_assert!(pending && usize::from(stage) < stage_count),
            None => prop_assert!(!pending),
        }
        prop_assert_eq!(request.stage_started_at.is_some(), pending);
        if !pending {
            prop_assert!(!request.escalated);
        }
        let denied = request
            .decisions
            .iter()
            .any(|d| d.decision == DecisionKind::Deny);
        if denied {
            prop_assert_eq!(request.state, RequestState::Denied);
        }
        let approvals: Vec<&Decision> = request
            .decisions
            .iter()
            .filter(|d| d.decision == DecisionKind::Approve)
            .collect();
        prop_assert!(approvals.iter().all(|d| d.approver != request.requestor));
        let distinct: std::collections::BTreeSet<_> =
            approvals.iter().map(|d| &d.approver).collect();
        prop_assert_eq!(distinct.len(), approvals.len());
        let stages: Vec<u8> = approvals.iter().map(|d| d.stage).collect();
        let in_order: Vec<u8> = (0..stages.len())
            .filter_map(|s| u8::try_from(s).ok())
            .collect();
        prop_assert_eq!(&stages, &in_order);
        let past_approval = matches!(
            request.state,
            RequestState::Approved
                | RequestState::Delivering
                | RequestState::Delivered
                | RequestState::DeliveryFailed
        );
        if past_approval {
            let expected = match request.request_type.goes_through_approval() {
                true => stage_count,
                false => 0,
            };
            prop_assert_eq!(approvals.len(), expected);
        }
        Ok(())
    }

    /// Any JSON, its strings and keys biased towards those of `POST /requests`' body.
    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any_text().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            let key = prop_oneof![
                4 => prop::sample::select(vec![
                    "accessPackageId", "policyId", "type", "justification", "answers",
                    "schedule", "start", "end", "questionId", "value",
                ])
                .prop_map(str::to_owned),
                1 => "\\PC{0,8}",
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(key, inner, 0..7)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// Strings a request body might hold: ids, types, times (some impossible), blanks,
    /// anything, and some just over the limits.
    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(vec![
                "", " ", "q1", "q2", "q3", "Berlin", " Lisbon ", "Falcon", "userAdd",
                "userExtend", "userRemove", "adminAdd", "2026-03-02T09:00:00Z",
                "2026-03-05T00:00:00+02:00", "2026-03-02T07:30:00Z", "2027-06-01T00:00:00Z",
                "9999-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "2026-03-02", "now",
            ])
            .prop_map(str::to_owned),
            2 => "\\PC{0,16}",
            1 => "[ a]{995,1010}",
        ]
    }

    /// A body shaped like `POST /requests`' (each part now and then anything at all), or
    /// any JSON.
    fn any_request_body() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::{json, Value};
        fn part(typed: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
            prop_oneof![12 => typed, 1 => any_json()].boxed()
        }
        let text = || any_text().prop_map(Value::String);
        let id = || "[a-z][a-z0-9-]{0,12}".prop_map(Value::String);
        let kind = prop::sample::select(vec![
            "userAdd",
            "userExtend",
            "userRemove",
            "adminAdd",
            "adminRemove",
        ])
        .prop_map(Value::from);
        let question = prop_oneof![4 => prop::sample::select(vec!["q1", "q2"]).prop_map(Value::from), 1 => text()];
        let answer =
            (question, text()).prop_map(|(id, value)| json!({ "questionId": id, "value": value }));
        let answers = prop::collection::vec(part(answer), 0..4).prop_map(Value::Array);
        // Times around the tests' now (2026-03-02 09:00 UTC), and some that are not times.
        let time = || {
            prop_oneof![
                2 => Just(Value::Null),
                4 => (-90i64..24 * 400).prop_map(|hours| {
                    Value::String((t0() + Duration::hours(hours)).format(&time::format_description::well_known::Rfc3339).expect("a time"))
                }),
                1 => text(),
            ]
        };
        let schedule =
            (time(), time()).prop_map(|(start, end)| json!({ "start": start, "end": end }));
        let shaped = (
            part(id()),
            part(id()),
            part(kind),
            prop::option::of(part(text())),
            prop::option::of(part(answers)),
            prop::option::of(part(schedule)),
        )
            .prop_map(
                |(package, policy, kind, justification, answers, schedule)| {
                    let mut body =
                        json!({ "accessPackageId": package, "policyId": policy, "type": kind });
                    for (field, value) in [
                        ("justification", justification),
                        ("answers", answers),
                        ("schedule", schedule),
                    ] {
                        if let Some(value) = value {
                            body[field] = value;
                        }
                    }
                    body
                },
            );
        prop_oneof![6 => shaped, 1 => any_json()]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(proptest_cases(1024)))]

        #[test]
        fn any_request_body_is_read_and_checked_without_panic(body in any_request_body()) {
            let Ok(parsed) = serde_json::from_value::<crate::api::NewRequestBody>(body) else {
                return Ok(());
            };
            let draft = RequestDraft {
                justification: parsed.justification,
                answers: parsed.answers,
                schedule: parsed.schedule,
            };
            for policy in [asking_policy(), policy_with(valid_draft())] {
                let rules = &policy.rules;
                match validate_request_draft(&policy, &draft, t0()) {
                    Ok(valid) => {
                        match &valid.justification {
                            Some(text) => prop_assert!(
                                !text.is_empty() && text.trim() == text
                                    && text.chars().count() <= MAX_JUSTIFICATION_CHARS
                            ),
                            None => prop_assert!(!rules.requestor_justification_required),
                        }
                        let answered: std::collections::BTreeSet<_> =
                            valid.answers.iter().map(|answer| &answer.question_id).collect();
                        prop_assert_eq!(answered.len(), valid.answers.len());
                        for answer in &valid.answers {
                            prop_assert!(rules.questions.iter().any(|q| q.id == answer.question_id));
                            prop_assert!(!answer.value.is_empty() && answer.value.trim() == answer.value);
                        }
                        for question in rules.questions.iter().filter(|q| q.required) {
                            prop_assert!(answered.contains(&question.id));
                        }
                        if !rules.requestor_may_choose_schedule {
                            prop_assert_eq!(&valid.schedule, &Schedule::default());
                        }
                        if let (Some(start), Some(end)) = (valid.schedule.start, valid.schedule.end) {
                            prop_assert!(start < end);
                        }
                        // Checking what the check returned changes nothing.
                        prop_assert_eq!(validate_request_draft(&policy, &valid, t0()), Ok(valid.clone()));
                    }
                    Err(FieldErrors(errors)) => {
                        prop_assert!(!errors.is_empty());
                        for error in &errors {
                            prop_assert!(
                                matches!(error.field.as_str(), "justification" | "schedule" | "schedule.start" | "schedule.end")
                                    || error.field.starts_with("answers["),
                                "{}", error.field
                            );
                            prop_assert!(!error.message.is_empty());
                        }
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(proptest_cases(512)))]

        #[test]
        fn no_event_sequence_escapes_the_request_lifecycle(
            specs in prop::collection::vec(any_stage_spec(), 0..=3),
            request_type in any_request_type(),
            steps in prop::collection::vec((any_event(), any_advance(), any_aim()), 0..40),
            start_after in prop::option::of(0i64..(3 * 24 * 60)),
        ) {
            let policy = policy_from(&specs);
            // Sometimes the access is scheduled to start later: an approved request then
            // waits, and may be canceled until its start.
            let schedule = Schedule {
                start: start_after.map(|minutes| t0() + Duration::minutes(minutes)),
                end: None,
            };
            let mut request = AccessRequest { request_type, schedule, ..submitted_request() };
            let mut now = t0();
            for (event, minutes, aim) in steps {
                now += Duration::minutes(minutes);
                let approvers = current_approvers(&request, &specs);
                let event = aimed(event, aim, &approvers);
                if let Ok(next) = apply(&request, &policy, &event, &approvers, now) {
                    prop_assert!(!request.state.is_final(), "{:?} changed", request.state);
                    prop_assert!(
                        is_legal_successor(request.state, next.state),
                        "{:?} -> {:?} on {:?}", request.state, next.state, event
                    );
                    prop_assert_eq!(next.updated_at, now);
                    prop_assert!(next.decisions.starts_with(&request.decisions));
                    if next.state == RequestState::Delivering {
                        // Delivery is the only way an assignment is made: it needs every
                        // stage approved, unless an administrator acted or a holder gives
                        // their own access up.
                        let approved = next.decisions.iter().filter(|d| d.decision == DecisionKind::Approve).count();
                        let without_approval = matches!(
                            request_type,
                            RequestType::AdminAdd | RequestType::AdminRemove | RequestType::UserRemove
                        );
                        prop_assert!(without_approval || approved == specs.len(), "{:?} delivered with {} approvals", request_type, approved);
                    }
                    if request.state == RequestState::Approved && next.state == RequestState::Canceled {
                        prop_assert!(starts_later(&request, now), "canceled after its start");
                    }
                    if let RequestEvent::Approve { by, .. } | RequestEvent::Deny { by, .. } = &event {
                        prop_assert!(approvers.contains(by) && *by != request.requestor);
                        prop_assert_eq!(next.decisions.len(), request.decisions.len() + 1);
                    } else {
                        prop_assert_eq!(next.decisions.len(), request.decisions.len());
                    }
                    request = next;
                }
                check_invariants(&request, specs.len())?;
            }
        }
    }
}
