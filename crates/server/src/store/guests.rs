//! The guest lifecycle's reads and guarded writes on `users` (migration 0011). Every write
//! names the state it expects, so a second instance doing the same changes nothing.

use entrada_domain::directory::{UserKind, UserState};
use entrada_domain::guest::GuestFacts;
use entrada_domain::ids::UserId;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::{from_millis, to_millis};
use crate::store::bad_value;

const LIVE: &str = "('delivering', 'delivered')";
const ENDED: &str = "('expired', 'removed')";
const IN_PROGRESS: &str = "('submitted', 'pendingApproval', 'approved', 'delivering')";

/// Active guests who hold nothing live but once held something: those the lifecycle may
/// block (each is decided again, under its lock, by [`facts`]).
pub(crate) async fn block_candidates(conn: &mut AnyConnection) -> Result<Vec<UserId>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT u.id FROM users u WHERE u.kind = 'guest' AND u.state = 'active' \
         AND EXISTS (SELECT 1 FROM assignments a WHERE a.user_id = u.id AND a.state IN {ENDED}) \
         AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.user_id = u.id AND a.state IN {LIVE}) \
         ORDER BY u.id"
    ))
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(UserId).collect())
}

/// Guests the lifecycle blocked at or before `cutoff`: those whose deletion may be due.
pub(crate) async fn deletion_candidates(
    conn: &mut AnyConnection,
    cutoff: OffsetDateTime,
) -> Result<Vec<UserId>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM users WHERE kind = 'guest' AND state = 'blocked' \
         AND blocked_at IS NOT NULL AND blocked_at <= $1 ORDER BY id",
    )
    .bind(to_millis(cutoff))
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(UserId).collect())
}

/// Takes the person's row lock for the rest of the transaction (a no-op UPDATE), so that
/// the lifecycle job and a grant to the same person happen one after the other: whichever
/// comes second reads what the first committed.
pub(crate) async fn lock(conn: &mut AnyConnection, user: &UserId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET state = state WHERE id = $1")
        .bind(user.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// What the lifecycle decides on, as the database says now; none for an unknown id.
pub(crate) async fn facts(
    conn: &mut AnyConnection,
    user: &UserId,
) -> Result<Option<GuestFacts>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT u.kind, u.state, u.blocked_at, \
         (SELECT COUNT(*) FROM assignments a WHERE a.user_id = u.id AND a.state IN {LIVE}) AS live, \
         (SELECT COUNT(*) FROM access_requests r WHERE r.requestor_id = u.id AND r.state IN {IN_PROGRESS}) AS open, \
         (SELECT MAX(a.updated_at) FROM assignments a WHERE a.user_id = u.id AND a.state IN {ENDED}) AS ended \
         FROM users u WHERE u.id = $1"
    ))
    .bind(user.as_str())
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let live: i64 = row.try_get("live")?;
    let open: i64 = row.try_get("open")?;
    Ok(Some(GuestFacts {
        kind: match kind.as_str() {
            "guest" => UserKind::Guest,
            // Members, and any kind this lifecycle does not handle, are left alone.
            _ => UserKind::Member,
        },
        state: match state.as_str() {
            "active" => UserState::Active,
            "blocked" => UserState::Blocked,
            "deleted" => UserState::Deleted,
            _ => return Err(bad_value("users.state", &state)),
        },
        holds_access: live > 0,
        request_in_progress: open > 0,
        last_access_ended_at: row.try_get::<Option<i64>, _>("ended")?.map(from_millis),
        blocked_at: row
            .try_get::<Option<i64>, _>("blocked_at")?
            .map(from_millis),
    }))
}

/// When the lifecycle blocked a person, if it did.
pub(crate) async fn blocked_at(
    conn: &mut AnyConnection,
    user: &UserId,
) -> Result<Option<OffsetDateTime>, sqlx::Error> {
    let millis: Option<Option<i64>> =
        sqlx::query_scalar("SELECT blocked_at FROM users WHERE id = $1")
            .bind(user.as_str())
            .fetch_optional(conn)
            .await?;
    Ok(millis.flatten().map(from_millis))
}

/// Blocks an active guest; false when they were not an active guest any more.
pub(crate) async fn block(
    conn: &mut AnyConnection,
    user: &UserId,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE users SET state = 'blocked', blocked_at = $2 \
         WHERE id = $1 AND kind = 'guest' AND state = 'active'",
    )
    .bind(user.as_str())
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Makes a blocked guest active again; false when they were not a blocked guest.
pub(crate) async fn unblock(conn: &mut AnyConnection, user: &UserId) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE users SET state = 'active', blocked_at = NULL \
         WHERE id = $1 AND kind = 'guest' AND state = 'blocked'",
    )
    .bind(user.as_str())
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Turns a blocked guest into a tombstone: state deleted, the address replaced by
/// `tombstone_email` (freeing the real one), no password. False when they were not a
/// blocked guest any more.
pub(crate) async fn tombstone(
    conn: &mut AnyConnection,
    user: &UserId,
    tombstone_email: &str,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE users SET state = 'deleted', email = $2, password_hash = NULL, \
         blocked_at = NULL, deleted_at = $3 \
         WHERE id = $1 AND kind = 'guest' AND state = 'blocked'",
    )
    .bind(user.as_str())
    .bind(tombstone_email)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Ends every session of a person; returns how many.
pub(crate) async fn end_sessions(
    conn: &mut AnyConnection,
    user: &UserId,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.as_str())
        .execute(conn)
        .await?;
    Ok(result.rows_affected())
}

/// Removes everything a deleted account still held in the directory: group memberships,
/// application and site roles (whoever gave them), organisation-wide and catalog roles,
/// and resource ownerships. Returns how many rows went.
pub(crate) async fn remove_holdings(
    conn: &mut AnyConnection,
    user: &UserId,
) -> Result<u64, sqlx::Error> {
    let mut removed = 0;
    for table in [
        "group_members",
        "application_role_members",
        "site_role_members",
        "global_roles",
        "catalog_roles",
        "resource_owners",
    ] {
        let result = sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(user.as_str())
            .execute(&mut *conn)
            .await?;
        removed += result.rows_affected();
    }
    Ok(removed)
}
