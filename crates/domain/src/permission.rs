//! Who may do what: one deny-by-default check, [`may`], used by the server on every call
//! and by the SPA to hide what a person may not do.

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogRole;
use crate::directory::UserKind;
use crate::ids::{CatalogId, UserId};

/// A role that applies across the whole organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogGrant {
    /// The catalog.
    pub catalog_id: CatalogId,
    /// The role.
    pub role: CatalogRole,
}

/// The signed-in person as the permission check sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        self.catalog_roles
            .iter()
            .any(|grant| grant.role == role && &grant.catalog_id == catalog)
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Add one directory object (group, application or site) to a catalog: asked with a
    /// [`Target::DirectoryObject`]. An administrator may; anyone else must both manage the
    /// catalog's resources and own the object.
    AddResource,
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
    /// Read the server's operational metrics (`GET /metrics`): administrators only, or a
    /// scraper holding the operator's metrics token.
    ReadMetrics,
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
    /// A group, application or site of the directory, to be added to a catalog.
    DirectoryObject {
        /// The catalog it would be added to.
        catalog: &'a CatalogId,
        /// The owners of the object in the directory.
        owners: &'a [UserId],
    },
}

/// Whether `actor` may offer a directory object owned by `owners` in some catalog: an
/// administrator, or one of its owners. The resource pickers list only such objects; adding
/// one to a particular catalog is still [`may`] with [`Action::AddResource`].
pub fn may_offer_directory_object(actor: &Actor, owners: &[UserId]) -> bool {
    actor.is_administrator() || owners.contains(&actor.user_id)
}

/// Whether `actor` may do `action` to `target`. Deny by default: every allowed pair is
/// spelled out. A requestor never decides their own request, not even an administrator.
pub fn may(actor: &Actor, action: Action, target: &Target<'_>) -> bool {
    use CatalogRole::{
        AccessPackageAssignmentManager as AssignmentManager,
        AccessPackageManager as PackageManager, Owner, Reader,
    };

    if let (
        Action::DecideRequest,
        Target::Request {
            requestor,
            current_approvers,
        },
    ) = (action, target)
    {
        return *requestor != &actor.user_id && current_approvers.contains(&actor.user_id);
    }
    if let (Action::CancelRequest, Target::Request { requestor, .. }) = (action, target) {
        return *requestor == &actor.user_id || actor.is_administrator();
    }
    if matches!(action, Action::DecideRequest | Action::CancelRequest) {
        // Deciding and canceling are about one request; asked about anything else (even by
        // an administrator) they are refused, so the requestor check cannot be bypassed.
        return false;
    }
    if actor.is_administrator() {
        return true;
    }
    match (action, target) {
        (Action::CreateCatalog, Target::Organization) => {
            actor.global_roles.contains(&GlobalRole::CatalogCreator)
        }
        (Action::ReadDirectory, Target::Organization) => {
            actor.sees_admin() && actor.kind == UserKind::Member
        }
        (Action::ReadCatalog, Target::Catalog(catalog)) => {
            actor.holds_any(&[Owner, Reader, PackageManager, AssignmentManager], catalog)
        }
        (
            Action::EditCatalog | Action::ManageCatalogRoles | Action::ManageCatalogResources,
            Target::Catalog(catalog),
        ) => actor.holds(Owner, catalog),
        (Action::ManagePackages, Target::Catalog(catalog)) => {
            actor.holds_any(&[Owner, PackageManager], catalog)
        }
        (Action::ManageAssignments, Target::Catalog(catalog)) => {
            actor.holds_any(&[Owner, AssignmentManager], catalog)
        }
        (Action::ReadAssignments, Target::Catalog(catalog)) => {
            actor.holds_any(&[Owner, Reader, PackageManager, AssignmentManager], catalog)
        }
        (Action::ReadAudit, Target::Catalog(catalog)) => actor.holds_any(&[Owner, Reader], catalog),
        (Action::AddResource, Target::DirectoryObject { catalog, owners }) => {
            may(
                actor,
                Action::ManageCatalogResources,
                &Target::Catalog(catalog),
            ) && may_offer_directory_object(actor, owners)
        }
        _ => false,
    }
}

/// Whose audit events a person may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditScope {
    /// Every event (administrators).
    Everything,
    /// Only the events of these catalogs (their owners and readers).
    Catalogs(Vec<CatalogId>),
}

/// The audit events `actor` may read, or `None` when they may read none.
pub fn audit_scope(actor: &Actor) -> Option<AuditScope> {
    if may(actor, Action::ReadAudit, &Target::Organization) {
        return Some(AuditScope::Everything);
    }
    let mut catalogs: Vec<CatalogId> = actor
        .catalog_roles
        .iter()
        .map(|grant| grant.catalog_id.clone())
        .filter(|catalog| may(actor, Action::ReadAudit, &Target::Catalog(catalog)))
        .collect();
    catalogs.sort();
    catalogs.dedup();
    (!catalogs.is_empty()).then_some(AuditScope::Catalogs(catalogs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_ACTIONS: [Action; 15] = [
        Action::CreateCatalog,
        Action::ReadCatalog,
        Action::EditCatalog,
        Action::ManageCatalogRoles,
        Action::ManageCatalogResources,
        Action::AddResource,
        Action::ManagePackages,
        Action::ManageAssignments,
        Action::ReadAssignments,
        Action::ReadDirectory,
        Action::ManageOrganization,
        Action::ReadAudit,
        Action::ReadMetrics,
        Action::DecideRequest,
        Action::CancelRequest,
    ];

    fn actor(kind: UserKind, global_roles: &[GlobalRole], catalog_roles: &[CatalogRole]) -> Actor {
        Actor {
            user_id: UserId::new("pat"),
            kind,
            global_roles: global_roles.to_vec(),
            catalog_roles: catalog_roles
                .iter()
                .map(|role| CatalogGrant {
                    catalog_id: CatalogId::new("cat-1"),
                    role: *role,
                })
                .collect(),
        }
    }

    fn member_with(roles: &[CatalogRole]) -> Actor {
        actor(UserKind::Member, &[], roles)
    }

    /// Checks every action against `target`: exactly `allowed` are permitted.
    fn check(actor: &Actor, target: &Target<'_>, allowed: &[Action]) {
        for action in ALL_ACTIONS {
            let expected = allowed.contains(&action);
            assert_eq!(
                may(actor, action, target),
                expected,
                "{action:?} on {target:?} by {actor:?}"
            );
        }
    }

    fn own_catalog() -> CatalogId {
        CatalogId::new("cat-1")
    }

    fn other_catalog() -> CatalogId {
        CatalogId::new("cat-2")
    }

    #[test]
    fn administrator_may_do_everything_except_request_actions() {
        let admin = actor(UserKind::Member, &[GlobalRole::Administrator], &[]);
        let everything_but_deciding: Vec<Action> = ALL_ACTIONS
            .into_iter()
            .filter(|action| !matches!(action, Action::DecideRequest | Action::CancelRequest))
            .collect();
        check(&admin, &Target::Organization, &everything_but_deciding);
        check(
            &admin,
            &Target::Catalog(&other_catalog()),
            &everything_but_deciding,
        );
    }

    #[test]
    fn catalog_creator_creates_catalogs_and_nothing_else() {
        let creator = actor(UserKind::Member, &[GlobalRole::CatalogCreator], &[]);
        check(
            &creator,
            &Target::Organization,
            &[Action::CreateCatalog, Action::ReadDirectory],
        );
        check(&creator, &Target::Catalog(&own_catalog()), &[]);
    }

    #[test]
    fn owner_manages_their_catalog() {
        let owner = member_with(&[CatalogRole::Owner]);
        check(
            &owner,
            &Target::Catalog(&own_catalog()),
            &[
                Action::ReadCatalog,
                Action::EditCatalog,
                Action::ManageCatalogRoles,
                Action::ManageCatalogResources,
                Action::ManagePackages,
                Action::ManageAssignments,
                Action::ReadAssignments,
                Action::ReadAudit,
            ],
        );
    }

    #[test]
    fn owner_may_do_nothing_in_another_catalog() {
        check(
            &member_with(&[CatalogRole::Owner]),
            &Target::Catalog(&other_catalog()),
            &[],
        );
    }

    #[test]
    fn catalog_roles_read_the_directory_but_manage_no_organization() {
        for role in CatalogRole::ALL {
            check(
                &member_with(&[role]),
                &Target::Organization,
                &[Action::ReadDirectory],
            );
        }
    }

    #[test]
    fn reader_only_reads() {
        check(
            &member_with(&[CatalogRole::Reader]),
            &Target::Catalog(&own_catalog()),
            &[
                Action::ReadCatalog,
                Action::ReadAssignments,
                Action::ReadAudit,
            ],
        );
    }

    #[test]
    fn package_manager_manages_packages_but_not_resources_or_roles() {
        check(
            &member_with(&[CatalogRole::AccessPackageManager]),
            &Target::Catalog(&own_catalog()),
            &[
                Action::ReadCatalog,
                Action::ManagePackages,
                Action::ReadAssignments,
            ],
        );
    }

    #[test]
    fn assignment_manager_assigns_and_reads_assignments() {
        check(
            &member_with(&[CatalogRole::AccessPackageAssignmentManager]),
            &Target::Catalog(&own_catalog()),
            &[
                Action::ReadCatalog,
                Action::ManageAssignments,
                Action::ReadAssignments,
            ],
        );
    }

    #[test]
    fn plain_member_may_do_nothing_administrative() {
        let plain = member_with(&[]);
        check(&plain, &Target::Organization, &[]);
        check(&plain, &Target::Catalog(&own_catalog()), &[]);
    }

    #[test]
    fn guest_may_do_nothing_administrative() {
        let visitor = actor(UserKind::Guest, &[], &[]);
        check(&visitor, &Target::Organization, &[]);
        check(&visitor, &Target::Catalog(&own_catalog()), &[]);
    }

    #[test]
    fn guest_owner_does_not_read_the_directory() {
        let guest_owner = actor(UserKind::Guest, &[], &[CatalogRole::Owner]);
        assert!(!may(
            &guest_owner,
            Action::ReadDirectory,
            &Target::Organization
        ));
        assert!(may(
            &guest_owner,
            Action::EditCatalog,
            &Target::Catalog(&own_catalog())
        ));
    }

    /// Whether `actor` may decide a request by `requestor` whose stage `approvers` decide.
    fn check_decide(actor: &Actor, requestor: &str, approvers: &[&str], expected: bool) {
        let requestor = UserId::new(requestor);
        let approvers: Vec<UserId> = approvers.iter().map(|id| UserId::new(*id)).collect();
        let target = Target::Request {
            requestor: &requestor,
            current_approvers: &approvers,
        };
        assert_eq!(may(actor, Action::DecideRequest, &target), expected);
    }

    #[test]
    fn current_approvers_decide_requests() {
        check_decide(&member_with(&[]), "alice", &["pat", "bob"], true);
        check_decide(&member_with(&[]), "alice", &["bob"], false);
    }

    #[test]
    fn requestor_never_decides_their_own_request() {
        check_decide(&member_with(&[]), "pat", &["pat"], false);
        let admin = actor(UserKind::Member, &[GlobalRole::Administrator], &[]);
        check_decide(&admin, "pat", &["pat"], false);
    }

    #[test]
    fn administrators_decide_only_when_they_are_approvers() {
        let admin = actor(UserKind::Member, &[GlobalRole::Administrator], &[]);
        check_decide(&admin, "alice", &["bob"], false);
        check_decide(&admin, "alice", &["pat"], true);
    }

    #[test]
    fn request_actions_need_a_request_target_even_for_administrators() {
        let admin = actor(UserKind::Member, &[GlobalRole::Administrator], &[]);
        for target in [Target::Organization, Target::Catalog(&own_catalog())] {
            assert!(!may(&admin, Action::DecideRequest, &target));
            assert!(!may(&admin, Action::CancelRequest, &target));
        }
    }

    #[test]
    fn requestor_and_administrators_cancel_requests() {
        let cancel = |actor: &Actor, requestor: &str| {
            let requestor = UserId::new(requestor);
            let target = Target::Request {
                requestor: &requestor,
                current_approvers: &[],
            };
            may(actor, Action::CancelRequest, &target)
        };
        assert!(cancel(&member_with(&[]), "pat"));
        assert!(!cancel(&member_with(&[CatalogRole::Owner]), "alice"));
        assert!(cancel(
            &actor(UserKind::Member, &[GlobalRole::Administrator], &[]),
            "alice"
        ));
    }

    /// Whether `actor` may add an object owned by `owners` to the catalog `cat-1`.
    fn add(actor: &Actor, owners: &[&str]) -> bool {
        let owners: Vec<UserId> = owners.iter().map(|id| UserId::new(*id)).collect();
        let catalog = own_catalog();
        may(
            actor,
            Action::AddResource,
            &Target::DirectoryObject {
                catalog: &catalog,
                owners: &owners,
            },
        )
    }

    #[test]
    fn catalog_owner_adds_only_objects_they_own() {
        let owner = member_with(&[CatalogRole::Owner]);
        assert!(add(&owner, &["victor", "pat"]), "pat owns the object");
        assert!(!add(&owner, &["victor"]), "someone else's object");
        assert!(!add(&owner, &[]), "an object nobody owns");
    }

    #[test]
    fn owning_the_object_is_not_enough_without_the_catalog_right() {
        for role in [
            CatalogRole::Reader,
            CatalogRole::AccessPackageManager,
            CatalogRole::AccessPackageAssignmentManager,
        ] {
            assert!(!add(&member_with(&[role]), &["pat"]), "{role:?}");
        }
        assert!(!add(&member_with(&[]), &["pat"]));
        let creator = actor(UserKind::Member, &[GlobalRole::CatalogCreator], &[]);
        assert!(!add(&creator, &["pat"]), "no role in this catalog");
        let elsewhere = Actor {
            catalog_roles: vec![CatalogGrant {
                catalog_id: other_catalog(),
                role: CatalogRole::Owner,
            }],
            ..member_with(&[])
        };
        assert!(!add(&elsewhere, &["pat"]), "owner of another catalog");
    }

    #[test]
    fn administrator_adds_any_object() {
        let admin = actor(UserKind::Member, &[GlobalRole::Administrator], &[]);
        assert!(add(&admin, &["victor"]));
        assert!(add(&admin, &[]));
    }

    #[test]
    fn pickers_offer_owned_objects_to_owners_and_everything_to_administrators() {
        let owner = member_with(&[CatalogRole::Owner]);
        let mine = [UserId::new("pat")];
        let theirs = [UserId::new("victor")];
        assert!(may_offer_directory_object(&owner, &mine));
        assert!(!may_offer_directory_object(&owner, &theirs));
        let admin = actor(UserKind::Member, &[GlobalRole::Administrator], &[]);
        assert!(may_offer_directory_object(&admin, &theirs));
    }

    #[test]
    fn add_resource_needs_a_directory_object_target() {
        let owner = member_with(&[CatalogRole::Owner]);
        assert!(!may(
            &owner,
            Action::AddResource,
            &Target::Catalog(&own_catalog())
        ));
        assert!(!may(&owner, Action::AddResource, &Target::Organization));
    }
}
