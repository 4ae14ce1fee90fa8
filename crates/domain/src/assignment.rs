//! Access package assignments and their lifecycle.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::{AssignmentId, PackageId, PolicyId, RequestId, UserId};

/// Where an assignment is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AssignmentState {
    /// Grants are being made.
    Delivering,
    /// The person has the access.
    Delivered,
    /// Ended by its end date.
    Expired,
    /// Ended by the person or an administrator.
    Removed,
}

impl AssignmentState {
    /// Whether the assignment still gives (or is about to give) access.
    pub fn is_live(self) -> bool {
        matches!(self, AssignmentState::Delivering | AssignmentState::Delivered)
    }
}

/// A person holding an access package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    /// Identifier.
    pub id: AssignmentId,
    /// The holder.
    pub user_id: UserId,
    /// The package.
    pub access_package_id: PackageId,
    /// The policy it was granted under.
    pub policy_id: PolicyId,
    /// The request that created it (none for data loaded before requests existed).
    pub request_id: Option<RequestId>,
    /// Lifecycle state.
    pub state: AssignmentState,
    /// When access starts.
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// When access ends, if ever.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub end: Option<OffsetDateTime>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}
