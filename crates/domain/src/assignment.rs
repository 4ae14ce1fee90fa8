//! Access package assignments and their lifecycle.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{Catalog, ResourceKind};
use crate::directory::{User, UserKind, UserState};
use crate::error::{FieldError, FieldErrors};
use crate::ids::{AssignmentId, PackageId, PolicyId, RequestId, UserId};
use crate::policy::Expiration;

/// Where an assignment is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        matches!(
            self,
            AssignmentState::Delivering | AssignmentState::Delivered
        )
    }

    /// Whether no event can change the assignment any more.
    pub fn is_final(self) -> bool {
        matches!(self, AssignmentState::Expired | AssignmentState::Removed)
    }

    /// The stable name, as serde writes it (`delivered`).
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentState::Delivering => "delivering",
            AssignmentState::Delivered => "delivered",
            AssignmentState::Expired => "expired",
            AssignmentState::Removed => "removed",
        }
    }

    /// Parses the stable name.
    pub fn parse(text: &str) -> Option<AssignmentState> {
        [
            AssignmentState::Delivering,
            AssignmentState::Delivered,
            AssignmentState::Expired,
            AssignmentState::Removed,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

impl std::fmt::Display for AssignmentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person holding an access package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Something that happens to an assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum AssignmentEvent {
    /// Every grant was made.
    Delivered,
    /// The end was reached (raised by the expiry job).
    Expire,
    /// The holder gave the access up, or an administrator removed it.
    Remove,
    /// The end moves later; `None` means the access no longer expires.
    #[serde(rename_all = "camelCase")]
    Extend {
        /// The new end.
        #[serde(default, with = "time::serde::rfc3339::option")]
        new_end: Option<OffsetDateTime>,
    },
}

impl AssignmentEvent {
    /// A short name for messages and logs.
    pub fn name(&self) -> &'static str {
        match self {
            AssignmentEvent::Delivered => "delivered",
            AssignmentEvent::Expire => "expire",
            AssignmentEvent::Remove => "remove",
            AssignmentEvent::Extend { .. } => "extend",
        }
    }
}

/// Why an event can't be applied to an assignment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentTransitionError {
    /// The event makes no sense in the assignment's state.
    #[error("An assignment that is {from} can't take the '{event}' step.")]
    NotAllowed {
        /// The assignment's state.
        from: AssignmentState,
        /// The event's name ([`AssignmentEvent::name`]).
        event: &'static str,
    },
    /// Expiry before the end (or of access that never ends).
    #[error("This access has not reached its end yet.")]
    NotYetDue,
    /// Extension of access whose end has already passed.
    #[error("This access has already ended and can no longer be extended.")]
    AlreadyEnded,
    /// Extension to an end that is not later than the current one.
    #[error("Choose a new end later than the current one.")]
    EndNotLater,
}

/// Applies one event to an assignment at time `now`: the assignment lifecycle as a pure
/// function. Legal transitions: delivering → delivered; delivered → expired (once its end
/// has come); delivering | delivered → removed; delivered → delivered with a later end
/// (extend, before the current end). Anything else is an error.
pub fn apply(
    assignment: &Assignment,
    event: &AssignmentEvent,
    now: OffsetDateTime,
) -> Result<Assignment, AssignmentTransitionError> {
    use AssignmentState as S;

    let with_state = |state| Assignment {
        state,
        ..assignment.clone()
    };
    match (assignment.state, event) {
        (S::Delivering, AssignmentEvent::Delivered) => Ok(with_state(S::Delivered)),
        (S::Delivered, AssignmentEvent::Expire) => match due_for_expiry(assignment, now) {
            true => Ok(with_state(S::Expired)),
            false => Err(AssignmentTransitionError::NotYetDue),
        },
        (S::Delivering | S::Delivered, AssignmentEvent::Remove) => Ok(with_state(S::Removed)),
        (S::Delivered, AssignmentEvent::Extend { new_end }) => {
            if due_for_expiry(assignment, now) {
                return Err(AssignmentTransitionError::AlreadyEnded);
            }
            let later = match (new_end, assignment.end) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(new_end), Some(end)) => *new_end > end,
            };
            match later {
                true => Ok(Assignment {
                    end: *new_end,
                    ..assignment.clone()
                }),
                false => Err(AssignmentTransitionError::EndNotLater),
            }
        }
        (from, event) => Err(AssignmentTransitionError::NotAllowed {
            from,
            event: event.name(),
        }),
    }
}

/// Whether the expiry job should expire this assignment now: it is delivered and its end
/// has come.
pub fn due_for_expiry(assignment: &Assignment, now: OffsetDateTime) -> bool {
    assignment.state == AssignmentState::Delivered && assignment.end.is_some_and(|end| end <= now)
}

/// When access that ends at `current_end` (never: `None`) ends once extended at `now`: at the
/// end the request chose, else the policy's expiration counted from the current end (or
/// from now, when that has passed or there is none).
pub fn extended_end(
    current_end: Option<OffsetDateTime>,
    requested_end: Option<OffsetDateTime>,
    expiration: &Expiration,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    let from = current_end.unwrap_or(now).max(now);
    requested_end.or_else(|| expires_at(expiration, from))
}

/// When an assignment that starts at `start` ends under `expiration`, if ever.
pub fn expires_at(expiration: &Expiration, start: OffsetDateTime) -> Option<OffsetDateTime> {
    expiration.end_for(start)
}

/// One resource role held by one person because of an assignment: what delivery makes and
/// removal takes back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// Group, application or site.
    pub resource_kind: ResourceKind,
    /// The id of the group, application or site in the directory.
    pub origin_id: String,
    /// The role's id within the resource.
    pub role_id: String,
}

/// The grants to take back when assignments giving `ending` end: those that no other live
/// assignment of the same person (`other_live`) still gives, and that Entrada itself put in
/// the directory (`made_by_entrada`). Access the person had from outside Entrada, before or
/// besides the assignment, is never taken back. Deduplicated and sorted.
pub fn grants_to_revoke(
    ending: &[Grant],
    other_live: &[Grant],
    made_by_entrada: &[Grant],
) -> Vec<Grant> {
    let kept: BTreeSet<&Grant> = other_live.iter().collect();
    let ours: BTreeSet<&Grant> = made_by_entrada.iter().collect();
    let revoked: BTreeSet<&Grant> = ending
        .iter()
        .filter(|grant| !kept.contains(grant) && ours.contains(grant))
        .collect();
    revoked.into_iter().cloned().collect()
}

/// Why a person may not be assigned a package of `catalog` directly, as a field error on
/// `userId`: a blocked person is refused (they could not even sign in to use it), and a
/// guest only in a catalog open to external users.
pub fn check_direct_assignee(person: &User, catalog: &Catalog) -> Result<(), FieldErrors> {
    let message = match (person.state, person.kind) {
        (UserState::Deleted, _) => Some(format!(
            "{} has been deleted and cannot be assigned access.",
            person.display_name
        )),
        // A guest the lifecycle blocked is unblocked by being granted access again.
        (UserState::Blocked, UserKind::Guest) if catalog.external_users_allowed => None,
        (UserState::Blocked, _) => Some(format!(
            "{} is blocked and cannot be assigned access.",
            person.display_name
        )),
        (UserState::Active, UserKind::Guest) if !catalog.external_users_allowed => Some(format!(
            "{} is a guest, and the catalog {} is not open to external users.",
            person.display_name, catalog.name
        )),
        (UserState::Active, UserKind::External) => Some(format!(
            "{} signed up from outside and is not in the directory yet: they request access themselves.",
            person.display_name
        )),
        (UserState::Active, _) => None,
    };
    match message {
        Some(message) => Err(FieldErrors(vec![FieldError::new("userId", message)])),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::Duration;

    use super::*;
    use crate::testkit::t0;

    fn days(n: i64) -> Duration {
        Duration::days(n)
    }

    /// Alice's assignment in `state`, from `t0` until `end`.
    fn assignment(state: AssignmentState, end: Option<OffsetDateTime>) -> Assignment {
        Assignment {
            id: AssignmentId::new("as-1"),
            user_id: UserId::new("alice"),
            access_package_id: PackageId::new("ap-1"),
            policy_id: PolicyId::new("pol-1"),
            request_id: Some(RequestId::new("req-1")),
            state,
            start: t0(),
            end,
            created_at: t0(),
        }
    }

    fn extend(new_end: Option<OffsetDateTime>) -> AssignmentEvent {
        AssignmentEvent::Extend { new_end }
    }

    /// Applies `event` at `now` and checks the resulting state and end, or the error.
    fn check(
        from: &Assignment,
        event: AssignmentEvent,
        now: OffsetDateTime,
        expected: Result<(AssignmentState, Option<OffsetDateTime>), AssignmentTransitionError>,
    ) {
        let outcome = apply(from, &event, now).map(|next| (next.state, next.end));
        assert_eq!(outcome, expected, "{from:?} on {event:?}");
    }

    #[test]
    fn delivery_completes() {
        let delivering = assignment(AssignmentState::Delivering, None);
        check(
            &delivering,
            AssignmentEvent::Delivered,
            t0(),
            Ok((AssignmentState::Delivered, None)),
        );
    }

    #[test]
    fn delivered_access_expires_at_its_end_and_not_before() {
        let end = Some(t0() + days(30));
        let delivered = assignment(AssignmentState::Delivered, end);
        check(
            &delivered,
            AssignmentEvent::Expire,
            t0() + days(30) - Duration::seconds(1),
            Err(AssignmentTransitionError::NotYetDue),
        );
        check(
            &delivered,
            AssignmentEvent::Expire,
            t0() + days(30),
            Ok((AssignmentState::Expired, end)),
        );
        check(
            &delivered,
            AssignmentEvent::Expire,
            t0() + days(31),
            Ok((AssignmentState::Expired, end)),
        );
    }

    #[test]
    fn access_without_an_end_never_expires() {
        let delivered = assignment(AssignmentState::Delivered, None);
        check(
            &delivered,
            AssignmentEvent::Expire,
            t0() + days(10_000),
            Err(AssignmentTransitionError::NotYetDue),
        );
    }

    #[test]
    fn delivering_access_does_not_expire_yet() {
        let delivering = assignment(AssignmentState::Delivering, Some(t0()));
        check(
            &delivering,
            AssignmentEvent::Expire,
            t0() + days(1),
            Err(AssignmentTransitionError::NotAllowed {
                from: AssignmentState::Delivering,
                event: "expire",
            }),
        );
    }

    #[test]
    fn live_access_can_be_removed() {
        for state in [AssignmentState::Delivering, AssignmentState::Delivered] {
            check(
                &assignment(state, None),
                AssignmentEvent::Remove,
                t0(),
                Ok((AssignmentState::Removed, None)),
            );
        }
    }

    #[test]
    fn extension_moves_the_end_later() {
        let end = t0() + days(30);
        let delivered = assignment(AssignmentState::Delivered, Some(end));
        let later = Some(end + days(30));
        check(
            &delivered,
            extend(later),
            t0() + days(20),
            Ok((AssignmentState::Delivered, later)),
        );
        check(
            &delivered,
            extend(None),
            t0() + days(20),
            Ok((AssignmentState::Delivered, None)),
        );
    }

    #[test]
    fn extension_to_an_end_not_later_is_refused() {
        let end = t0() + days(30);
        let delivered = assignment(AssignmentState::Delivered, Some(end));
        for new_end in [end, end - days(1)] {
            check(
                &delivered,
                extend(Some(new_end)),
                t0(),
                Err(AssignmentTransitionError::EndNotLater),
            );
        }
        let endless = assignment(AssignmentState::Delivered, None);
        check(
            &endless,
            extend(Some(end)),
            t0(),
            Err(AssignmentTransitionError::EndNotLater),
        );
        check(
            &endless,
            extend(None),
            t0(),
            Err(AssignmentTransitionError::EndNotLater),
        );
    }

    #[test]
    fn ended_access_is_not_extended() {
        let end = t0() + days(30);
        let delivered = assignment(AssignmentState::Delivered, Some(end));
        check(
            &delivered,
            extend(Some(end + days(30))),
            end,
            Err(AssignmentTransitionError::AlreadyEnded),
        );
    }

    #[test]
    fn only_delivered_access_is_extended() {
        let delivering = assignment(AssignmentState::Delivering, Some(t0() + days(1)));
        check(
            &delivering,
            extend(Some(t0() + days(2))),
            t0(),
            Err(AssignmentTransitionError::NotAllowed {
                from: AssignmentState::Delivering,
                event: "extend",
            }),
        );
    }

    #[test]
    fn delivered_access_is_not_delivered_again() {
        check(
            &assignment(AssignmentState::Delivered, None),
            AssignmentEvent::Delivered,
            t0(),
            Err(AssignmentTransitionError::NotAllowed {
                from: AssignmentState::Delivered,
                event: "delivered",
            }),
        );
    }

    #[test]
    fn expired_and_removed_access_take_no_event() {
        for state in [AssignmentState::Expired, AssignmentState::Removed] {
            let ended = assignment(state, Some(t0()));
            for event in [
                AssignmentEvent::Delivered,
                AssignmentEvent::Expire,
                AssignmentEvent::Remove,
                extend(None),
                extend(Some(t0() + days(90))),
            ] {
                let name = event.name();
                check(
                    &ended,
                    event,
                    t0() + days(1),
                    Err(AssignmentTransitionError::NotAllowed {
                        from: state,
                        event: name,
                    }),
                );
            }
        }
    }

    #[test]
    fn due_for_expiry_only_when_delivered_and_ended() {
        let end = Some(t0() + days(1));
        let cases = [
            (AssignmentState::Delivered, end, t0(), false),
            (AssignmentState::Delivered, end, t0() + days(1), true),
            (AssignmentState::Delivered, None, t0() + days(999), false),
            (AssignmentState::Delivering, end, t0() + days(2), false),
            (AssignmentState::Expired, end, t0() + days(2), false),
            (AssignmentState::Removed, end, t0() + days(2), false),
        ];
        for (state, end, now, expected) in cases {
            assert_eq!(
                due_for_expiry(&assignment(state, end), now),
                expected,
                "{state:?} {end:?} {now}"
            );
        }
    }

    #[test]
    fn expires_at_follows_the_policy_expiration() {
        assert_eq!(expires_at(&Expiration::Never, t0()), None);
        assert_eq!(
            expires_at(&Expiration::AfterDays { days: 90 }, t0()),
            Some(t0() + days(90))
        );
        assert_eq!(
            expires_at(&Expiration::AfterHours { hours: 4 }, t0()),
            Some(t0() + Duration::hours(4))
        );
        let date = t0() + days(5);
        assert_eq!(expires_at(&Expiration::OnDate { date }, t0()), Some(date));
    }

    fn grant(kind: ResourceKind, origin: &str, role: &str) -> Grant {
        Grant {
            resource_kind: kind,
            origin_id: origin.to_owned(),
            role_id: role.to_owned(),
        }
    }

    #[test]
    fn grants_still_given_by_another_assignment_are_kept() {
        let wiki = grant(ResourceKind::Application, "app-wiki", "editor");
        let group = grant(ResourceKind::Group, "grp-falcon", "member");
        let site = grant(ResourceKind::Site, "site-hub", "member");
        let ending = [site.clone(), wiki.clone(), group.clone(), wiki.clone()];
        let other_live = [wiki.clone(), grant(ResourceKind::Site, "site-hub", "owner")];
        let everything = [site.clone(), wiki.clone(), group.clone()];
        assert_eq!(
            grants_to_revoke(&ending, &other_live, &everything),
            vec![group, site]
        );
    }

    #[test]
    fn access_from_outside_entrada_is_never_revoked() {
        let wiki = grant(ResourceKind::Application, "app-wiki", "editor");
        let group = grant(ResourceKind::Group, "grp-falcon", "member");
        let ending = [wiki.clone(), group.clone()];
        // The person was in the group before; Entrada only added the wiki role.
        assert_eq!(
            grants_to_revoke(&ending, &[], std::slice::from_ref(&wiki)),
            vec![wiki]
        );
        assert_eq!(grants_to_revoke(&ending, &[], &[]), Vec::new());
    }

    fn person(kind: UserKind, state: UserState) -> User {
        User {
            id: UserId::new("pat"),
            email: "pat@example.com".to_owned(),
            display_name: "Pat".to_owned(),
            kind,
            state,
            department: None,
            job_title: None,
            manager: None,
            connected_organization: None,
        }
    }

    fn catalog(external_users_allowed: bool) -> Catalog {
        Catalog {
            id: crate::ids::CatalogId::new("cat-1"),
            name: "Tools".to_owned(),
            description: String::new(),
            enabled: true,
            external_users_allowed,
            created_by: None,
            created_at: t0(),
        }
    }

    #[test]
    fn active_members_may_be_assigned_in_any_catalog() {
        let member = person(UserKind::Member, UserState::Active);
        assert_eq!(check_direct_assignee(&member, &catalog(false)), Ok(()));
        assert_eq!(check_direct_assignee(&member, &catalog(true)), Ok(()));
    }

    #[test]
    fn blocked_members_and_deleted_people_are_never_assigned() {
        let cases = [
            (UserKind::Member, UserState::Blocked, "blocked"),
            (UserKind::Member, UserState::Deleted, "deleted"),
            (UserKind::Guest, UserState::Deleted, "deleted"),
        ];
        for (kind, state, word) in cases {
            let person = person(kind, state);
            for external in [false, true] {
                let errors = check_direct_assignee(&person, &catalog(external)).unwrap_err();
                let message = errors.for_field("userId").expect("a userId error");
                assert!(message.contains(word), "{message}");
            }
        }
    }

    #[test]
    fn a_blocked_guest_may_be_assigned_again_where_guests_are_welcome() {
        let blocked = person(UserKind::Guest, UserState::Blocked);
        assert_eq!(check_direct_assignee(&blocked, &catalog(true)), Ok(()));
        let errors = check_direct_assignee(&blocked, &catalog(false)).unwrap_err();
        assert!(errors.for_field("userId").is_some());
    }

    #[test]
    fn guests_only_in_catalogs_open_to_external_users() {
        let guest = person(UserKind::Guest, UserState::Active);
        assert_eq!(check_direct_assignee(&guest, &catalog(true)), Ok(()));
        let errors = check_direct_assignee(&guest, &catalog(false)).unwrap_err();
        assert!(errors
            .for_field("userId")
            .is_some_and(|message| message.contains("not open to external users")));
    }

    #[test]
    fn nothing_to_revoke_when_nothing_ends() {
        let wiki = grant(ResourceKind::Application, "app-wiki", "editor");
        assert_eq!(
            grants_to_revoke(
                &[],
                std::slice::from_ref(&wiki),
                std::slice::from_ref(&wiki)
            ),
            Vec::new()
        );
        assert_eq!(
            grants_to_revoke(
                std::slice::from_ref(&wiki),
                std::slice::from_ref(&wiki),
                std::slice::from_ref(&wiki)
            ),
            Vec::new()
        );
    }

    #[test]
    fn grant_serializes_in_camel_case() {
        let json = serde_json::to_string(&grant(ResourceKind::Group, "grp-1", "member"))
            .expect("serialize");
        assert_eq!(
            json,
            r#"{"resourceKind":"group","originId":"grp-1","roleId":"member"}"#
        );
    }

    #[test]
    fn state_names_match_the_wire_format() {
        for state in [
            AssignmentState::Delivering,
            AssignmentState::Delivered,
            AssignmentState::Expired,
            AssignmentState::Removed,
        ] {
            let json = serde_json::to_string(&state).expect("serialize");
            assert_eq!(json, format!("\"{}\"", state.as_str()));
            assert_eq!(AssignmentState::parse(state.as_str()), Some(state));
        }
    }

    // ---- properties --------------------------------------------------------------------

    fn is_legal_successor(from: AssignmentState, to: AssignmentState) -> bool {
        use AssignmentState as S;
        matches!(
            (from, to),
            (S::Delivering, S::Delivered | S::Removed)
                | (S::Delivered, S::Delivered | S::Expired | S::Removed)
        )
    }

    fn any_event() -> impl Strategy<Value = AssignmentEvent> {
        prop_oneof![
            Just(AssignmentEvent::Delivered),
            Just(AssignmentEvent::Expire),
            Just(AssignmentEvent::Remove),
            prop::option::of(-5i64..60)
                .prop_map(|offset| extend(offset.map(|offset| t0() + days(offset)))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::testkit::proptest_cases(256)))]

        #[test]
        fn no_event_sequence_escapes_the_assignment_lifecycle(
            end_days in prop::option::of(0i64..30),
            steps in prop::collection::vec((any_event(), 0i64..(3 * 24 * 60)), 0..40),
        ) {
            let mut current = assignment(AssignmentState::Delivering, end_days.map(|n| t0() + days(n)));
            let mut now = t0();
            for (event, minutes) in steps {
                now += Duration::minutes(minutes);
                let Ok(next) = apply(&current, &event, now) else { continue };
                prop_assert!(!current.state.is_final(), "{:?} changed", current.state);
                prop_assert!(is_legal_successor(current.state, next.state));
                if next.state == AssignmentState::Expired {
                    prop_assert!(next.end.is_some_and(|end| end <= now));
                }
                if next.end != current.end {
                    let extended = matches!(event, AssignmentEvent::Extend { .. });
                    prop_assert!(extended, "end changed by {:?}", event);
                    let later = match (next.end, current.end) {
                        (Some(new_end), Some(old_end)) => new_end > old_end && old_end > now,
                        (None, Some(old_end)) => old_end > now,
                        _ => false,
                    };
                    prop_assert!(later, "{:?} -> {:?} at {}", current.end, next.end, now);
                }
                current = next;
            }
        }
    }

    /// One step of the grant model: a person gains an assignment of a package, or one of
    /// their live assignments ends.
    #[derive(Debug, Clone)]
    enum GrantStep {
        Assign { person: u8, package: u8 },
        End { person: u8, pick: u8 },
    }

    fn grant_step() -> impl Strategy<Value = GrantStep> {
        prop_oneof![
            (0u8..3, 0u8..4).prop_map(|(person, package)| GrantStep::Assign { person, package }),
            (0u8..3, any::<u8>()).prop_map(|(person, pick)| GrantStep::End { person, pick }),
        ]
    }

    /// What each of four packages grants; they overlap on purpose.
    fn package_grants(package: u8) -> Vec<Grant> {
        let group = |id: &str| Grant {
            resource_kind: ResourceKind::Group,
            origin_id: id.to_owned(),
            role_id: "member".to_owned(),
        };
        let app = |role: &str| Grant {
            resource_kind: ResourceKind::Application,
            origin_id: "crm".to_owned(),
            role_id: role.to_owned(),
        };
        match package {
            0 => vec![group("eng"), app("reader")],
            1 => vec![group("eng"), group("falcon")],
            2 => vec![app("reader"), app("editor")],
            _ => vec![group("falcon"), app("editor"), group("eng")],
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::testkit::proptest_cases(256)))]

        /// Delivery grants everything a package gives (marking what it inserted); ending an
        /// assignment takes back what `grants_to_revoke` says. Whatever the order, the
        /// directory then holds exactly the grants that live assignments give plus the
        /// access people had from outside Entrada: nothing left behind, nothing taken too
        /// early, nothing from outside ever taken.
        #[test]
        fn no_grant_is_left_behind_or_taken_while_another_assignment_gives_it(
            steps in prop::collection::vec(grant_step(), 0..60),
        ) {
            use std::collections::BTreeSet;
            let outside: BTreeSet<(u8, Grant)> = [(0, package_grants(0)[0].clone()), (1, package_grants(2)[1].clone())].into_iter().collect();
            let mut live: Vec<(u8, u8)> = Vec::new();
            let mut directory: BTreeSet<(u8, Grant)> = outside.clone();
            let mut ours: BTreeSet<(u8, Grant)> = BTreeSet::new();
            for step in steps {
                match step {
                    GrantStep::Assign { person, package } => {
                        if live.contains(&(person, package)) {
                            continue;
                        }
                        live.push((person, package));
                        for grant in package_grants(package) {
                            if directory.insert((person, grant.clone())) {
                                ours.insert((person, grant));
                            }
                        }
                    }
                    GrantStep::End { person, pick } => {
                        let theirs: Vec<usize> = live.iter().enumerate().filter(|(_, (p, _))| *p == person).map(|(i, _)| i).collect();
                        if theirs.is_empty() {
                            continue;
                        }
                        let (_, package) = live.remove(theirs[usize::from(pick) % theirs.len()]);
                        let others: Vec<Grant> = live.iter().filter(|(p, _)| *p == person).flat_map(|(_, k)| package_grants(*k)).collect();
                        let made: Vec<Grant> = ours.iter().filter(|(p, _)| *p == person).map(|(_, grant)| grant.clone()).collect();
                        for grant in grants_to_revoke(&package_grants(package), &others, &made) {
                            directory.remove(&(person, grant.clone()));
                            ours.remove(&(person, grant));
                        }
                    }
                }
                let mut expected: BTreeSet<(u8, Grant)> = live.iter().flat_map(|(person, package)| package_grants(*package).into_iter().map(move |grant| (*person, grant))).collect();
                expected.extend(outside.iter().cloned());
                prop_assert_eq!(&directory, &expected);
            }
        }
    }
}
