//! The audit event: who did what, when, to what. Every state change stores one in the same
//! transaction as the change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::{AuditEventId, CatalogId, PackageId, UserId};

/// One audited step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// Identifier.
    pub id: AuditEventId,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who did it; none for the system (background jobs, demo loading).
    pub actor: Option<UserId>,
    /// What was done, e.g. `session.signedIn`, `request.approved`.
    pub action: String,
    /// The kind of thing acted on, e.g. `user`, `accessPackage`.
    pub target_kind: String,
    /// The id of the thing acted on.
    pub target_id: String,
    /// The catalog concerned, for filtering.
    pub catalog_id: Option<CatalogId>,
    /// The access package concerned, for filtering.
    pub package_id: Option<PackageId>,
    /// Anything else worth keeping, as text.
    pub details: BTreeMap<String, String>,
}

impl AuditEvent {
    /// An event with no catalog, package or details.
    pub fn new(
        id: AuditEventId,
        at: OffsetDateTime,
        actor: Option<UserId>,
        action: impl Into<String>,
        target_kind: impl Into<String>,
        target_id: impl Into<String>,
    ) -> Self {
        Self {
            id,
            at,
            actor,
            action: action.into(),
            target_kind: target_kind.into(),
            target_id: target_id.into(),
            catalog_id: None,
            package_id: None,
            details: BTreeMap::new(),
        }
    }

    /// Adds one detail.
    pub fn with_detail(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }
}
