//! The directory: people, groups, applications and sites, and the read-only view of it
//! that policy evaluation needs.

use serde::{Deserialize, Serialize};

use crate::ids::{ApplicationId, ConnectedOrgId, GroupId, SiteId, UserId};

/// Whether a person is a member of the organisation, an external guest, or someone who
/// signed up from outside and is not in the directory yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum UserKind {
    /// An employee or other member of the organisation.
    Member,
    /// An external person with a guest account.
    Guest,
    /// Signed up from outside and verified their e-mail address: not in the directory until
    /// a first request is approved (then they become a guest); nothing granted.
    External,
}

impl UserKind {
    /// Whether the person comes from outside the organisation (a guest, or someone who
    /// signed up and is not a guest yet).
    pub fn is_external(self) -> bool {
        matches!(self, UserKind::Guest | UserKind::External)
    }

    /// Whether the person is in the directory (members and guests; not sign-ups).
    pub fn in_directory(self) -> bool {
        !matches!(self, UserKind::External)
    }
}

/// Whether a person may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum UserState {
    /// May sign in and request access.
    Active,
    /// May not sign in (e.g. a guest whose last assignment ended).
    Blocked,
    /// Deleted: a tombstone kept so that the audit trail still names the person. Gone
    /// from the directory's lists and pickers, and cannot sign in.
    Deleted,
}

/// Which sponsors of a connected organisation: Entra's internal sponsors are people of
/// this organisation, its external sponsors people of the partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum SponsorKind {
    /// People of this organisation who vouch for the partner.
    Internal,
    /// People of the partner organisation itself.
    External,
}

/// A person in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Identifier.
    pub id: UserId,
    /// Sign-in e-mail address, stored lower-case.
    pub email: String,
    /// Name shown to other people.
    pub display_name: String,
    /// Member or guest.
    pub kind: UserKind,
    /// Active or blocked.
    pub state: UserState,
    /// Department, for members.
    pub department: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// The person's manager, used by "manager as approver".
    pub manager: Option<UserId>,
    /// The partner organisation a guest comes from.
    pub connected_organization: Option<ConnectedOrgId>,
}

impl User {
    /// The part of the e-mail address after the `@`, lower-case.
    pub fn email_domain(&self) -> &str {
        email_domain(&self.email)
    }
}

/// The domain of an e-mail address (after the last `@`), or "" when there is none.
pub fn email_domain(email: &str) -> &str {
    email
        .rsplit_once('@')
        .map(|(_, domain)| domain)
        .unwrap_or("")
}

/// A directory group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// Identifier.
    pub id: GroupId,
    /// Display name.
    pub name: String,
    /// What the group is for.
    pub description: String,
    /// The people who own the group: besides administrators, only they may add it to a
    /// catalog.
    #[serde(default)]
    pub owners: Vec<UserId>,
}

/// A role defined by an application (e.g. "Reader", "Editor").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppRole {
    /// Identifier, unique within the application.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// An application registered in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// Identifier.
    pub id: ApplicationId,
    /// Display name.
    pub name: String,
    /// What the application does.
    pub description: String,
    /// Roles that can be granted.
    pub roles: Vec<AppRole>,
    /// The people who own the application: besides administrators, only they may add it
    /// to a catalog.
    #[serde(default)]
    pub owners: Vec<UserId>,
}

/// A role on a site (e.g. "Visitor", "Member", "Owner").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SiteRole {
    /// Identifier, unique within the site.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A collaboration site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Site {
    /// Identifier.
    pub id: SiteId,
    /// Display name.
    pub name: String,
    /// Where the site lives.
    pub url: String,
    /// Roles that can be granted.
    pub roles: Vec<SiteRole>,
    /// The people who own the site: besides administrators, only they may add it to a
    /// catalog.
    #[serde(default)]
    pub owners: Vec<UserId>,
}

/// What policy evaluation needs to know about the directory. Implemented over data the
/// caller already loaded (the server from its store, the browser from the API), so the
/// evaluation stays pure.
pub trait DirectoryView {
    /// The manager of a person, if any.
    fn manager_of(&self, user: &UserId) -> Option<UserId>;
    /// The members of a group.
    fn members_of(&self, group: &GroupId) -> Vec<UserId>;
    /// The sponsors of one kind of a connected organisation.
    fn sponsors_of(&self, organization: &ConnectedOrgId, kind: SponsorKind) -> Vec<UserId>;
    /// The connected organisation a person comes from: by default the one recorded on
    /// the account; a view that knows the organisations also finds it by e-mail domain
    /// (see `policy::partner_of`).
    fn organization_of(&self, person: &User) -> Option<ConnectedOrgId> {
        person.connected_organization.clone()
    }
    /// Whether a person exists and is active (blocked people never approve).
    fn is_active(&self, user: &UserId) -> bool;
}
