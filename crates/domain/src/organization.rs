//! Connected organisations: partners whose people may request access.

use serde::{Deserialize, Serialize};

use crate::ids::{ConnectedOrgId, UserId};

/// Whether an administrator configured the organisation or it was proposed by a sign-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum ConnectedOrgState {
    /// Set up by an administrator; counts for "all configured connected organisations".
    Configured,
    /// Created automatically when someone from an unknown domain was approved.
    Proposed,
}

/// A partner organisation, recognised by its e-mail domains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConnectedOrganization {
    /// Identifier.
    pub id: ConnectedOrgId,
    /// Display name.
    pub name: String,
    /// What the relationship is.
    pub description: String,
    /// E-mail domains, lower-case, e.g. `fabrikam.example`.
    pub domains: Vec<String>,
    /// Configured or proposed.
    pub state: ConnectedOrgState,
    /// Members of our directory who sponsor the partner.
    pub internal_sponsors: Vec<UserId>,
    /// People of the partner who sponsor its users.
    pub external_sponsors: Vec<UserId>,
}

impl ConnectedOrganization {
    /// Whether an e-mail domain belongs to this organisation.
    pub fn owns_domain(&self, domain: &str) -> bool {
        self.domains
            .iter()
            .any(|own| own.eq_ignore_ascii_case(domain))
    }
}
