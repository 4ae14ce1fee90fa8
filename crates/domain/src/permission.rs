//! Who may do what: one deny-by-default check, [`may`], used by the server on every call
//! and by the SPA to hide what a person may not do.

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogRole;
use crate::directory::UserKind;
use crate::ids::{CatalogId, UserId};

/// A role that applies across the whole organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GlobalRole {
    /// May do everything ("User admin").
    Administrator,
    /// May create catalogs, becoming owner of each.
    CatalogCreator,
}

impl GlobalRole {
    /// The stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            GlobalRole::Administrator => "administrator",
            GlobalRole::CatalogCreator => "catalogCreator",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<GlobalRole> {
        match text {
            "administrator" => Some(GlobalRole::Administrator),
            "catalogCreator" => Some(GlobalRole::CatalogCreator),
            _ => None,
        }
    }
}

/// One catalog role held by the actor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogGrant {
    /// The catalog.
    pub catalog_id: CatalogId,
    /// The role.
    pub role: CatalogRole,
}

/// The signed-in person as the permission check sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    /// The person.
    pub user_id: UserId,
    /// Member or guest.
    pub kind: UserKind,
    /// Organisation-wide roles.
    pub global_roles: Vec<GlobalRole>,
    /// Roles in catalogs.
    pub catalog_roles: Vec<CatalogGrant>,
}

impl Actor {
    /// Whether the actor is an administrator.
    pub fn is_administrator(&self) -> bool {
        self.global_roles.contains(&GlobalRole::Administrator)
    }

    /// Whether the actor holds `role` in `catalog`.
    pub fn holds(&self, role: CatalogRole, catalog: &CatalogId) -> bool {
        self.catalog_roles.iter().any(|grant| grant.role == role && &grant.catalog_id == catalog)
    }

    /// Whether the actor holds any of `roles` in `catalog`.
    pub fn holds_any(&self, roles: &[CatalogRole], catalog: &CatalogId) -> bool {
        roles.iter().any(|role| self.holds(*role, catalog))
    }

    /// Whether the actor holds any role in any catalog, or is an administrator or catalog
    /// creator: such a person sees the Admin area.
    pub fn sees_admin(&self) -> bool {
        !self.global_roles.is_empty() || !self.catalog_roles.is_empty()
    }
}

/// Something a person may try to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Create a catalog.
    CreateCatalog,
    /// Read a catalog, its resources, packages and policies.
    ReadCatalog,
    /// Edit, enable, disable or delete a catalog.
    EditCatalog,
    /// Add or remove owners, readers and managers of a catalog.
    ManageCatalogRoles,
    /// Add or remove resources of a catalog.
    ManageCatalogResources,
    /// Create, edit, hide or delete access packages, their resource roles and policies.
    ManagePackages,
    /// Assign people directly and remove assignments.
    ManageAssignments,
    /// Read the assignments of a catalog's packages.
    ReadAssignments,
    /// Read the directory for pickers.
    ReadDirectory,
    /// Manage people, connected organisations and settings.
    ManageOrganization,
    /// Read audit events.
    ReadAudit,
    /// Approve or deny a request at its current stage.
    DecideRequest,
    /// Cancel a pending request.
    CancelRequest,
}

/// What an action is done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// The organisation as a whole.
    Organization,
    /// One catalog (or anything inside it).
    Catalog(&'a CatalogId),
    /// One request: its requestor and the approvers of its current stage.
    Request {
        /// The person the request is for.
        requestor: &'a UserId,
        /// The people who may decide the current stage.
        current_approvers: &'a [UserId],
    },
}

/// Whether `actor` may do `action` to `target`. Deny by default: every allowed pair is
/// spelled out. A requestor never decides their own request, not even an administrator.
pub fn may(actor: &Actor, action: Action, target: &Target<'_>) -> bool {
    use CatalogRole::{AccessPackageAssignmentManager as AssignmentManager, AccessPackageManager as PackageManager, Owner, Reader};

    if let (Action::DecideRequest, Target::Request { requestor, current_approvers }) = (action, target) {
        return *requestor != &actor.user_id && current_approvers.contains(&actor.user_id);
    }
    if let (Action::CancelRequest, Target::Request { requestor, .. }) = (action, target) {
        return *requestor == &actor.user_id || actor.is_administrator();
    }
    if actor.is_administrator() {
        return true;
    }
    match (action, target) {
        (Action::CreateCatalog, Target::Organization) => actor.global_roles.contains(&GlobalRole::CatalogCreator),
        (Action::ReadDirectory, Target::Organization) => actor.sees_admin() && actor.kind == UserKind::Member,
        (Action::ReadCatalog, Target::Catalog(catalog)) => {
            actor.holds_any(&[Owner, Reader, PackageManager, AssignmentManager], catalog)
        }
        (Action::EditCatalog | Action::ManageCatalogRoles | Action::ManageCatalogResources, Target::Catalog(catalog)) => {
            actor.holds(Owner, catalog)
        }
        (Action::ManagePackages, Target::Catalog(catalog)) => actor.holds_any(&[Owner, PackageManager], catalog),
        (Action::ManageAssignments, Target::Catalog(catalog)) => actor.holds_any(&[Owner, AssignmentManager], catalog),
        (Action::ReadAssignments, Target::Catalog(catalog)) => {
            actor.holds_any(&[Owner, Reader, PackageManager, AssignmentManager], catalog)
        }
        (Action::ReadAudit, Target::Catalog(catalog)) => actor.holds_any(&[Owner, Reader], catalog),
        _ => false,
    }
}
