//! Access requests and their lifecycle.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::{PackageId, PolicyId, QuestionId, RequestId, UserId};

/// Why a request was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// Where a request is in its lifecycle (product.md's lifecycle rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
            RequestState::Submitted | RequestState::PendingApproval | RequestState::Approved | RequestState::Delivering
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
}

/// Approve or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DecisionKind {
    /// Approve the stage.
    Approve,
    /// Deny the request.
    Deny,
}

/// One approver's decision at one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// The question.
    pub question_id: QuestionId,
    /// The answer.
    pub value: String,
}

/// When the requested access should start and end (both optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
