//! The guest lifecycle job and its hooks (see the domain's `guest` module for the rules).
//!
//! [`run`] is one step of `jobs::run_once`: it blocks active guests whose last access ended
//! (by the setting), then deletes guests blocked long enough. Each guest is handled in its
//! own transaction that first takes the person's row lock, reads the facts afresh and
//! applies the domain's decision with a guarded update: a restart re-reads everything from
//! the database, a second run changes nothing, and two instances at once change each guest
//! once. One guest failing is counted and logged; the others go on.
//!
//! Deletion keeps a tombstone: the display name stays (so the audit trail still names the
//! person), the address is replaced so it is free to sign up again, the password hash,
//! sessions, memberships, roles and ownerships go. A deleted account is missing from the
//! directory's lists and cannot sign in (its address no longer exists: the same answer as
//! an unknown account).
//!
//! [`unblock_on_grant`] is called where access is granted (an approved request delivered,
//! an administrator's direct assignment): a blocked guest becomes active again.

use entrada_domain::audit::AuditAction;
use entrada_domain::audit::AuditEvent;
use entrada_domain::guest::{self, GuestStep};
use entrada_domain::ids::{AuditEventId, UserId};
use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;

use crate::jobs::Outcome;
use crate::store;

/// Blocks and deletes the guests that are due at `now`; counts them in `outcome`.
pub(crate) async fn run(
    db: &AnyPool,
    now: OffsetDateTime,
    outcome: &mut Outcome,
) -> Result<(), sqlx::Error> {
    // Candidates only: each guest reads the settings and the facts again under its lock.
    let (to_block, to_delete) = {
        let mut conn = db.acquire().await?;
        let settings = store::settings::get(&mut conn).await?.external_lifecycle;
        let to_block = store::guests::block_candidates(&mut conn).await?;
        let to_delete = match guest::deletion_cutoff(&settings, now) {
            Some(cutoff) => store::guests::deletion_candidates(&mut conn, cutoff).await?,
            None => Vec::new(),
        };
        (to_block, to_delete)
    };
    for user in to_block.iter().chain(&to_delete) {
        match step(db, user, now).await {
            Ok(Some(GuestStep::Block)) => outcome.guests_blocked += 1,
            Ok(Some(GuestStep::Delete)) => outcome.guests_deleted += 1,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, user = %user.as_str(), "guest lifecycle failed");
                outcome.failed += 1;
            }
        }
    }
    Ok(())
}

/// Decides and applies the step for one guest in its own transaction; the step applied,
/// if any.
async fn step(
    db: &AnyPool,
    user: &UserId,
    now: OffsetDateTime,
) -> Result<Option<GuestStep>, sqlx::Error> {
    let mut tx = crate::db::begin(db).await?;
    store::guests::lock(&mut tx, user).await?;
    let Some(facts) = store::guests::facts(&mut tx, user).await? else {
        return Ok(None);
    };
    let settings = store::settings::get(&mut tx).await?.external_lifecycle;
    let applied = match guest::next_step(&settings, &facts, now) {
        GuestStep::Keep => return Ok(None),
        GuestStep::Block => {
            if !store::guests::block(&mut tx, user, now).await? {
                return Ok(None);
            }
            let sessions = store::guests::end_sessions(&mut tx, user).await?;
            let mut event = user_event(now, AuditAction::UserBlocked, user)
                .with_detail("reason", "lastAccessEnded")
                .with_detail("setting", settings.on_last_assignment_end.as_str())
                .with_detail("sessionsEnded", sessions.to_string());
            if let Some(ended) = facts.last_access_ended_at {
                event = event.with_detail("lastAccessEndedAt", ended.to_string());
            }
            if let Some(due) = guest::deletion_due_at(&settings, Some(now)) {
                event = event.with_detail("deletionDueAt", due.to_string());
            }
            store::audit::append(&mut tx, &event).await?;
            GuestStep::Block
        }
        GuestStep::Delete => {
            let email = guest::tombstone_email(user);
            if !store::guests::tombstone(&mut tx, user, &email, now).await? {
                return Ok(None);
            }
            let sessions = store::guests::end_sessions(&mut tx, user).await?;
            let holdings = store::guests::remove_holdings(&mut tx, user).await?;
            let name = store::users::get(&mut tx, user)
                .await?
                .map(|person| person.display_name)
                .unwrap_or_default();
            let mut event = user_event(now, AuditAction::UserDeleted, user)
                .with_detail("displayName", name)
                .with_detail(
                    "reason",
                    format!(
                        "blocked for {} days after their last access ended",
                        settings.delete_after_days
                    ),
                )
                .with_detail("sessionsEnded", sessions.to_string())
                .with_detail("membershipsRemoved", holdings.to_string());
            if let Some(blocked) = facts.blocked_at {
                event = event.with_detail("blockedAt", blocked.to_string());
            }
            store::audit::append(&mut tx, &event).await?;
            GuestStep::Delete
        }
    };
    tx.commit().await?;
    Ok(Some(applied))
}

/// Makes a blocked guest active again because access is being granted to them, in the
/// caller's transaction, with the `user.unblocked` audit event; false when there was
/// nothing to unblock. Always takes the person's row lock first, so that a lifecycle run
/// at the same moment sees the grant (or is seen by it).
pub(crate) async fn unblock_on_grant(
    conn: &mut AnyConnection,
    user: &UserId,
    actor: Option<&UserId>,
    because: &str,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    store::guests::lock(conn, user).await?;
    let Some(person) = store::users::get(conn, user).await? else {
        return Ok(false);
    };
    if !guest::unblocks_on_grant(&person) || !store::guests::unblock(conn, user).await? {
        return Ok(false);
    }
    let mut event =
        user_event(now, AuditAction::UserUnblocked, user).with_detail("because", because);
    event.actor = actor.cloned();
    store::audit::append(conn, &event).await?;
    Ok(true)
}

/// What a person whose password was right but whose account is blocked is told.
pub(crate) async fn blocked_sign_in_detail(
    conn: &mut AnyConnection,
    user: &UserId,
) -> Result<String, sqlx::Error> {
    let blocked_at = store::guests::blocked_at(conn, user).await?;
    Ok(guest::blocked_sign_in_detail(blocked_at))
}

fn user_event(now: OffsetDateTime, action: AuditAction, user: &UserId) -> AuditEvent {
    AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        None,
        action,
        "user",
        user.as_str(),
    )
}
