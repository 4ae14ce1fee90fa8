//! What delivery re-checks. An approved request whose access starts later is delivered
//! only if the person could still ask for it at that moment: the catalog, the package, the
//! policy and the person may all have changed since the approval.

use crate::catalog::{AccessPackage, Catalog};
use crate::directory::UserState;
use crate::organization::ConnectedOrganization;
use crate::policy::{in_scope, AssignmentPolicy, Requestor};
use crate::request::RequestType;

/// Why an approved request can no longer be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoLongerEligible {
    /// The package was archived after the approval.
    #[error("The access package was archived.")]
    PackageArchived,
    /// The catalog was disabled after the approval.
    #[error("The catalog of this access package was disabled.")]
    CatalogDisabled,
    /// The person's account was blocked.
    #[error("The person's account is blocked.")]
    PersonBlocked,
    /// The catalog was closed to people outside the directory, and the person is a guest.
    #[error("The catalog no longer accepts external users.")]
    ExternalUsersNotAllowed,
    /// The policy stopped accepting requests.
    #[error("The policy stopped accepting requests.")]
    PolicyNotAccepting,
    /// The policy no longer allows extensions (for an extension).
    #[error("The policy no longer allows extensions.")]
    ExtensionNotAllowed,
    /// The person left the policy's requestor scope.
    #[error("The person is no longer among the people this policy lets request access.")]
    OutOfScope,
}

/// Whether an approved request of `request_type` may still be delivered to `person` now,
/// under the same rules as [`requestable_policies`](crate::policy::requestable_policies):
/// `Ok` for a request to add or extend exactly when the policy would be offered to the
/// person now. Giving access up, and an administrator's assignment or removal, are always
/// delivered.
pub fn recheck_at_delivery(
    request_type: RequestType,
    catalog: &Catalog,
    package: &AccessPackage,
    policy: &AssignmentPolicy,
    person: &Requestor<'_>,
    organizations: &[ConnectedOrganization],
) -> Result<(), NoLongerEligible> {
    if !request_type.goes_through_approval() {
        return Ok(());
    }
    if package.archived {
        return Err(NoLongerEligible::PackageArchived);
    }
    if !catalog.enabled {
        return Err(NoLongerEligible::CatalogDisabled);
    }
    // A guest the lifecycle blocked is unblocked by access granted again (see
    // `guest::unblocks_on_grant`); anyone else blocked, and the deleted, get nothing.
    if person.user.state != UserState::Active && !crate::guest::unblocks_on_grant(person.user) {
        return Err(NoLongerEligible::PersonBlocked);
    }
    if person.user.kind.is_external() && !catalog.external_users_allowed {
        return Err(NoLongerEligible::ExternalUsersNotAllowed);
    }
    if !policy.rules.accepting_requests {
        return Err(NoLongerEligible::PolicyNotAccepting);
    }
    if request_type == RequestType::UserExtend && !policy.rules.extension_allowed {
        return Err(NoLongerEligible::ExtensionNotAllowed);
    }
    if !in_scope(&policy.rules.requestor_scope, person, organizations) {
        return Err(NoLongerEligible::OutOfScope);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::User;
    use crate::ids::{CatalogId, GroupId, PackageId};
    use crate::policy::{requestable_policies, RequestorScope};
    use crate::testkit::{catalog, guest, member, policy_with, t0, valid_draft};

    fn package() -> AccessPackage {
        AccessPackage {
            id: PackageId::new("ap-1"),
            catalog_id: CatalogId::new("cat-1"),
            name: "Package".to_owned(),
            description: String::new(),
            hidden: false,
            archived: false,
            resource_roles: Vec::new(),
            created_at: t0(),
        }
    }

    /// Re-checks a `userAdd` after `change` altered the approved situation, and checks that
    /// the answer agrees with what My Access would offer.
    fn check(
        change: impl FnOnce(&mut Catalog, &mut AccessPackage, &mut AssignmentPolicy, &mut User),
        expected: Result<(), NoLongerEligible>,
    ) {
        let (mut catalog, mut package) = (catalog(), package());
        let mut rules = valid_draft();
        rules.requestor_scope = RequestorScope::SpecificDirectoryUsers {
            users: Vec::new(),
            groups: vec![GroupId::new("grp-eng")],
        };
        let mut policy = policy_with(rules);
        let mut user = member("alice");
        change(&mut catalog, &mut package, &mut policy, &mut user);
        let groups = match user.id.as_str() {
            "alice" => vec![GroupId::new("grp-eng")],
            _ => Vec::new(),
        };
        let person = Requestor {
            user: &user,
            groups: &groups,
        };
        let outcome = recheck_at_delivery(
            RequestType::UserAdd,
            &catalog,
            &package,
            &policy,
            &person,
            &[],
        );
        assert_eq!(outcome, expected);
        let offered = requestable_policies(
            &catalog,
            &package,
            std::slice::from_ref(&policy),
            &person,
            &[],
        );
        // A blocked guest requests nothing in My Access, yet access granted to them again
        // (an approval or a direct assignment) is delivered and unblocks them.
        if !crate::guest::unblocks_on_grant(&user) {
            assert_eq!(
                outcome.is_ok(),
                !offered.is_empty(),
                "agrees with My Access"
            );
        }
    }

    #[test]
    fn an_unchanged_situation_is_delivered() {
        check(|_, _, _, _| {}, Ok(()));
    }

    #[test]
    fn a_disabled_catalog_is_not_delivered() {
        check(
            |catalog, _, _, _| catalog.enabled = false,
            Err(NoLongerEligible::CatalogDisabled),
        );
    }

    #[test]
    fn an_archived_package_is_not_delivered() {
        check(
            |_, package, _, _| package.archived = true,
            Err(NoLongerEligible::PackageArchived),
        );
    }

    #[test]
    fn a_policy_that_stopped_accepting_requests_is_not_delivered() {
        check(
            |_, _, policy, _| policy.rules.accepting_requests = false,
            Err(NoLongerEligible::PolicyNotAccepting),
        );
    }

    #[test]
    fn a_person_who_left_the_scope_is_not_delivered() {
        check(
            |_, _, _, user| *user = member("bob"),
            Err(NoLongerEligible::OutOfScope),
        );
    }

    #[test]
    fn a_blocked_person_is_not_delivered() {
        check(
            |_, _, _, user| user.state = UserState::Blocked,
            Err(NoLongerEligible::PersonBlocked),
        );
        check(
            |_, _, _, user| user.state = UserState::Deleted,
            Err(NoLongerEligible::PersonBlocked),
        );
    }

    #[test]
    fn a_guest_blocked_when_their_access_ended_is_delivered_again() {
        check(
            |_, _, policy, user| {
                *user = guest("pat", "fabrikam.example");
                user.state = UserState::Blocked;
                policy.rules.requestor_scope = RequestorScope::AllExternalUsers;
            },
            Ok(()),
        );
        check(
            |_, _, policy, user| {
                *user = guest("pat", "fabrikam.example");
                user.state = UserState::Deleted;
                policy.rules.requestor_scope = RequestorScope::AllExternalUsers;
            },
            Err(NoLongerEligible::PersonBlocked),
        );
    }

    #[test]
    fn a_guest_of_a_catalog_closed_to_externals_is_not_delivered() {
        check(
            |catalog, _, policy, user| {
                *user = guest("pat", "fabrikam.example");
                policy.rules.requestor_scope = RequestorScope::AllExternalUsers;
                catalog.external_users_allowed = false;
            },
            Err(NoLongerEligible::ExternalUsersNotAllowed),
        );
    }

    #[test]
    fn an_extension_needs_a_policy_that_still_allows_extensions() {
        let mut policy = policy_with(valid_draft());
        policy.rules.extension_allowed = false;
        let user = member("alice");
        let person = Requestor {
            user: &user,
            groups: &[],
        };
        let recheck = |request_type| {
            recheck_at_delivery(request_type, &catalog(), &package(), &policy, &person, &[])
        };
        assert_eq!(
            recheck(RequestType::UserExtend),
            Err(NoLongerEligible::ExtensionNotAllowed)
        );
        assert_eq!(recheck(RequestType::UserAdd), Ok(()));
    }

    #[test]
    fn giving_access_up_is_always_delivered() {
        let mut disabled = catalog();
        disabled.enabled = false;
        let user = member("alice");
        let person = Requestor {
            user: &user,
            groups: &[],
        };
        let policy = policy_with(valid_draft());
        for request_type in [RequestType::UserRemove, RequestType::AdminRemove] {
            assert_eq!(
                recheck_at_delivery(request_type, &disabled, &package(), &policy, &person, &[]),
                Ok(())
            );
        }
    }
}
