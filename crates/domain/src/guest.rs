//! The guest lifecycle: what happens to an external person (kind guest) when their last
//! access package assignment ends, by the organisation's setting (see
//! [`crate::settings::ExternalLifecycle`]). Pure decisions; the server's job feeds them
//! what the database says now, so a restart or a second instance decides the same.
//!
//! The rules:
//! - Only guests are concerned; members are never blocked or deleted by this.
//! - A guest is blocked only when they hold no live assignment, have no request in
//!   progress (submitted, waiting for approval, approved and waiting for its start, or
//!   being delivered) and at least one of their assignments has ended. A guest whose new
//!   request an approver is still deciding stays active: blocking them would make the
//!   approval pointless until someone unblocks them.
//! - The setting applies as it is when the job looks: `nothing` leaves everyone as they
//!   are (guests already blocked stay blocked), `block` blocks and never deletes, and
//!   `blockThenDelete` deletes a guest the set number of days after they were blocked.
//!   The deletion date is counted from the stored blocking time with the days configured
//!   now, so lengthening the period spares guests already blocked for longer, and
//!   switching to `block` stops every pending deletion.
//! - A guest blocked by something else than this lifecycle (no blocking time recorded) is
//!   never deleted by it.
//! - A blocked guest who is granted access again (an approved request delivered, or an
//!   administrator's direct assignment) becomes active again (see [`unblocks_on_grant`]).

use time::{Duration, OffsetDateTime};

use crate::directory::{User, UserKind, UserState};
use crate::ids::UserId;
use crate::settings::{ExternalLifecycle, ExternalUserAction};

/// What the lifecycle job knows about one guest, read from the database in the same
/// transaction that applies the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestFacts {
    /// Member or guest.
    pub kind: UserKind,
    /// Active, blocked or deleted.
    pub state: UserState,
    /// Whether they hold a live (delivering or delivered) assignment.
    pub holds_access: bool,
    /// Whether a request of theirs is still in progress.
    pub request_in_progress: bool,
    /// When their last assignment ended (expired or removed), if any ever did.
    pub last_access_ended_at: Option<OffsetDateTime>,
    /// When this lifecycle blocked them, if it did.
    pub blocked_at: Option<OffsetDateTime>,
}

/// What to do with one guest now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestStep {
    /// Nothing changes.
    Keep,
    /// Block their sign-in (and end their sessions).
    Block,
    /// Delete the account, keeping a tombstone for the audit trail.
    Delete,
}

/// The step the lifecycle takes for a guest at `now` under `lifecycle`.
pub fn next_step(
    lifecycle: &ExternalLifecycle,
    facts: &GuestFacts,
    now: OffsetDateTime,
) -> GuestStep {
    if facts.kind != UserKind::Guest || facts.holds_access || facts.request_in_progress {
        return GuestStep::Keep;
    }
    match facts.state {
        UserState::Active => {
            let access_ended = facts.last_access_ended_at.is_some_and(|ended| ended <= now);
            match lifecycle.on_last_assignment_end {
                ExternalUserAction::Nothing => GuestStep::Keep,
                ExternalUserAction::Block | ExternalUserAction::BlockThenDelete if access_ended => {
                    GuestStep::Block
                }
                _ => GuestStep::Keep,
            }
        }
        UserState::Blocked => match deletion_due_at(lifecycle, facts.blocked_at) {
            Some(due) if due <= now => GuestStep::Delete,
            _ => GuestStep::Keep,
        },
        UserState::Deleted => GuestStep::Keep,
    }
}

/// When a guest blocked at `blocked_at` is deleted under `lifecycle`: never unless the
/// setting is `blockThenDelete` and the blocking time is known.
pub fn deletion_due_at(
    lifecycle: &ExternalLifecycle,
    blocked_at: Option<OffsetDateTime>,
) -> Option<OffsetDateTime> {
    match lifecycle.on_last_assignment_end {
        ExternalUserAction::BlockThenDelete => blocked_at
            .map(|blocked| blocked + Duration::days(i64::from(lifecycle.delete_after_days))),
        ExternalUserAction::Nothing | ExternalUserAction::Block => None,
    }
}

/// The latest blocking time whose guests are due for deletion at `now` (those blocked at
/// or before it), or none when the setting deletes nobody. The job's query uses it to
/// find candidates; [`next_step`] decides each one.
pub fn deletion_cutoff(
    lifecycle: &ExternalLifecycle,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    match lifecycle.on_last_assignment_end {
        ExternalUserAction::BlockThenDelete => {
            Some(now - Duration::days(i64::from(lifecycle.delete_after_days)))
        }
        ExternalUserAction::Nothing | ExternalUserAction::Block => None,
    }
}

/// Whether granting access to `person` makes them active again: a guest this lifecycle
/// blocked (a deleted account is gone for good, and members are not its business).
pub fn unblocks_on_grant(person: &User) -> bool {
    person.kind == UserKind::Guest && person.state == UserState::Blocked
}

/// The e-mail address a deleted account keeps: unique, never deliverable (`.invalid` is
/// reserved), so the real address is free to sign up again.
pub fn tombstone_email(id: &UserId) -> String {
    format!("deleted-{}@deleted.invalid", id.as_str())
}

/// What a blocked guest is told when they sign in with the right password.
pub fn blocked_sign_in_detail(blocked_at: Option<OffsetDateTime>) -> String {
    match blocked_at {
        Some(at) => format!(
            "Your access ended, so this account was blocked on {}. Ask the person who shared \
             access with you to request it again; once it is approved you can sign in.",
            long_date(at)
        ),
        None => "This account is blocked. Ask an administrator to unblock it.".to_owned(),
    }
}

/// A date as people write it, in UTC: "1 December 2026".
pub fn long_date(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let month = match at.month() {
        time::Month::January => "January",
        time::Month::February => "February",
        time::Month::March => "March",
        time::Month::April => "April",
        time::Month::May => "May",
        time::Month::June => "June",
        time::Month::July => "July",
        time::Month::August => "August",
        time::Month::September => "September",
        time::Month::October => "October",
        time::Month::November => "November",
        time::Month::December => "December",
    };
    format!("{} {} {}", at.day(), month, at.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-01 08:00 UTC);

    fn lifecycle(action: ExternalUserAction, days: u32) -> ExternalLifecycle {
        ExternalLifecycle {
            on_last_assignment_end: action,
            delete_after_days: days,
        }
    }

    fn ended_guest() -> GuestFacts {
        GuestFacts {
            kind: UserKind::Guest,
            state: UserState::Active,
            holds_access: false,
            request_in_progress: false,
            last_access_ended_at: Some(NOW - Duration::hours(1)),
            blocked_at: None,
        }
    }

    fn blocked_guest(days_ago: i64) -> GuestFacts {
        GuestFacts {
            state: UserState::Blocked,
            blocked_at: Some(NOW - Duration::days(days_ago)),
            ..ended_guest()
        }
    }

    #[test]
    fn a_guest_whose_last_access_ended_is_blocked_unless_the_setting_says_nothing() {
        for action in [
            ExternalUserAction::Block,
            ExternalUserAction::BlockThenDelete,
        ] {
            assert_eq!(
                next_step(&lifecycle(action, 30), &ended_guest(), NOW),
                GuestStep::Block
            );
        }
        assert_eq!(
            next_step(
                &lifecycle(ExternalUserAction::Nothing, 30),
                &ended_guest(),
                NOW
            ),
            GuestStep::Keep
        );
    }

    #[test]
    fn holding_access_or_waiting_for_a_decision_keeps_a_guest_active() {
        let settings = lifecycle(ExternalUserAction::BlockThenDelete, 30);
        let holding = GuestFacts {
            holds_access: true,
            ..ended_guest()
        };
        let waiting = GuestFacts {
            request_in_progress: true,
            ..ended_guest()
        };
        let never_had_any = GuestFacts {
            last_access_ended_at: None,
            ..ended_guest()
        };
        for facts in [holding, waiting, never_had_any] {
            assert_eq!(
                next_step(&settings, &facts, NOW),
                GuestStep::Keep,
                "{facts:?}"
            );
        }
    }

    #[test]
    fn members_are_never_blocked_nor_deleted() {
        let settings = lifecycle(ExternalUserAction::BlockThenDelete, 1);
        let member = GuestFacts {
            kind: UserKind::Member,
            ..ended_guest()
        };
        let blocked_member = GuestFacts {
            kind: UserKind::Member,
            ..blocked_guest(400)
        };
        assert_eq!(next_step(&settings, &member, NOW), GuestStep::Keep);
        assert_eq!(next_step(&settings, &blocked_member, NOW), GuestStep::Keep);
    }

    #[test]
    fn a_blocked_guest_is_deleted_exactly_when_the_days_have_passed() {
        let settings = lifecycle(ExternalUserAction::BlockThenDelete, 30);
        assert_eq!(
            next_step(&settings, &blocked_guest(29), NOW),
            GuestStep::Keep
        );
        assert_eq!(
            next_step(&settings, &blocked_guest(30), NOW),
            GuestStep::Delete
        );
        let just_before = GuestFacts {
            blocked_at: Some(NOW - Duration::days(30) + Duration::seconds(1)),
            ..blocked_guest(0)
        };
        assert_eq!(next_step(&settings, &just_before, NOW), GuestStep::Keep);
        assert_eq!(
            deletion_due_at(&settings, Some(NOW)),
            Some(NOW + Duration::days(30))
        );
    }

    #[test]
    fn block_and_nothing_never_delete_and_unknown_blocking_is_left_alone() {
        for action in [ExternalUserAction::Block, ExternalUserAction::Nothing] {
            assert_eq!(
                next_step(&lifecycle(action, 1), &blocked_guest(1000), NOW),
                GuestStep::Keep
            );
            assert_eq!(deletion_cutoff(&lifecycle(action, 1), NOW), None);
        }
        let blocked_by_hand = GuestFacts {
            blocked_at: None,
            ..blocked_guest(0)
        };
        assert_eq!(
            next_step(
                &lifecycle(ExternalUserAction::BlockThenDelete, 1),
                &blocked_by_hand,
                NOW
            ),
            GuestStep::Keep
        );
    }

    #[test]
    fn a_blocked_guest_with_access_or_a_request_again_is_not_deleted() {
        let settings = lifecycle(ExternalUserAction::BlockThenDelete, 1);
        let waiting = GuestFacts {
            request_in_progress: true,
            ..blocked_guest(10)
        };
        assert_eq!(next_step(&settings, &waiting, NOW), GuestStep::Keep);
    }

    #[test]
    fn deleted_accounts_stay_deleted() {
        let deleted = GuestFacts {
            state: UserState::Deleted,
            ..blocked_guest(100)
        };
        for action in [
            ExternalUserAction::Nothing,
            ExternalUserAction::Block,
            ExternalUserAction::BlockThenDelete,
        ] {
            assert_eq!(
                next_step(&lifecycle(action, 1), &deleted, NOW),
                GuestStep::Keep
            );
        }
        let mut person = crate::testkit::guest("gone", "fabrikam.example");
        person.state = UserState::Deleted;
        assert!(!unblocks_on_grant(&person));
        person.state = UserState::Blocked;
        assert!(unblocks_on_grant(&person));
        person.kind = UserKind::Member;
        assert!(!unblocks_on_grant(&person));
    }

    #[test]
    fn the_cutoff_finds_the_guests_blocked_long_enough() {
        let settings = lifecycle(ExternalUserAction::BlockThenDelete, 7);
        assert_eq!(
            deletion_cutoff(&settings, NOW),
            Some(NOW - Duration::days(7))
        );
    }

    #[test]
    fn the_blocked_message_says_when_and_what_to_do() {
        let text = blocked_sign_in_detail(Some(datetime!(2026-12-01 23:30 UTC)));
        assert!(text.contains("blocked on 1 December 2026"), "{text}");
        assert!(text.contains("request it again"), "{text}");
        assert!(blocked_sign_in_detail(None).contains("administrator"));
    }

    #[test]
    fn tombstone_addresses_are_unique_and_undeliverable() {
        let a = tombstone_email(&UserId::new("a"));
        assert_ne!(a, tombstone_email(&UserId::new("b")));
        assert!(a.ends_with(".invalid"));
    }
}
