//! Server-side sessions. The cookie holds a random token; the database holds only its
//! SHA-256, so a leaked database does not leak usable sessions.

use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

use sqlx::{AnyConnection, AnyPool, Row};
use time::{Duration, OffsetDateTime};

use entrada_domain::ids::UserId;

use crate::clock::{from_millis, to_millis};

/// How long sessions last.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused for this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, however much it is used.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::hours(12),
            absolute: Duration::days(7),
        }
    }
}

/// Starts a session for `user` and returns the token for the cookie.
pub(crate) async fn create(
    conn: &mut AnyConnection,
    user: &UserId,
    now: OffsetDateTime,
    policy: &SessionPolicy,
) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex(&bytes);
    let expires_at = now + policy.idle.min(policy.absolute);
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(hash_token(&token))
    .bind(user.as_str())
    .bind(to_millis(now))
    .bind(to_millis(expires_at))
    .execute(conn)
    .await?;
    Ok(token)
}

/// A live session's person, and the data versions read in the same query.
#[derive(Debug, Clone)]
pub(crate) struct Touched {
    /// Whose session it is.
    pub user_id: UserId,
    /// The database's data versions when the session was checked.
    pub versions: crate::cache::Versions,
}

/// The person a live session belongs to, extending its idle deadline, with the data
/// versions read in the same query (see `session_checks`: under load one query reads the
/// sessions of many requests, so a request whose answers are cached costs a share of one
/// round trip). `None` when the token is unknown or its session has ended (an ended
/// session is deleted).
pub(crate) async fn touch(
    checks: &crate::session_checks::SessionChecks,
    db: &AnyPool,
    token: &str,
    now: OffsetDateTime,
    policy: &SessionPolicy,
) -> Result<Option<Touched>, sqlx::Error> {
    let token_hash = hash_token(token);
    let Some(stored) = checks.look_up(&token_hash).await? else {
        return Ok(None);
    };
    let expires_at = from_millis(stored.expires_at);
    if expires_at <= now {
        delete(&mut *db.acquire().await?, &token_hash).await?;
        return Ok(None);
    }
    let last_seen_at = from_millis(stored.last_seen_at);
    // Extend at most once a minute, so reads do not all become writes.
    if now - last_seen_at >= Duration::minutes(1) {
        let created_at = from_millis(stored.created_at);
        let new_expiry = (now + policy.idle).min(created_at + policy.absolute);
        sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3")
            .bind(to_millis(now))
            .bind(to_millis(new_expiry))
            .bind(&token_hash)
            .execute(db)
            .await?;
    }
    Ok(Some(Touched {
        user_id: UserId(stored.user_id),
        versions: stored.versions,
    }))
}

/// A session as stored, with the data versions read in the same query.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub user_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub versions: crate::cache::Versions,
}

/// The most sessions [`read_many`] reads at once. Reads are padded to a power of two up to
/// this, so a connection prepares at most seven statements for them.
pub(crate) const READ_AT_MOST: usize = 64;

/// The sessions stored under `hashes` (at most [`READ_AT_MOST`]), by hash, each with the
/// data versions, in one query.
pub(crate) async fn read_many(
    db: &AnyPool,
    hashes: &[&str],
) -> Result<HashMap<String, Stored>, sqlx::Error> {
    let size = hashes.len().next_power_of_two().min(READ_AT_MOST);
    let placeholders: Vec<String> = (1..=size).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT s.token_hash, s.user_id, s.created_at, s.last_seen_at, s.expires_at, v.data, v.catalog \
         FROM sessions s CROSS JOIN data_versions v WHERE v.id = 1 AND s.token_hash IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    // Padding: no session is stored under the empty hash.
    for n in 0..size {
        query = query.bind(hashes.get(n).copied().unwrap_or(""));
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("token_hash")?,
                Stored {
                    user_id: row.try_get("user_id")?,
                    created_at: row.try_get("created_at")?,
                    last_seen_at: row.try_get("last_seen_at")?,
                    expires_at: row.try_get("expires_at")?,
                    versions: crate::cache::Versions {
                        data: row.try_get("data")?,
                        catalog: row.try_get("catalog")?,
                    },
                },
            ))
        })
        .collect()
}

/// Ends a session.
pub(crate) async fn delete(conn: &mut AnyConnection, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes every session that has ended; returns how many.
pub(crate) async fn delete_ended(
    conn: &mut AnyConnection,
    now: OffsetDateTime,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(to_millis(now))
        .execute(conn)
        .await?;
    Ok(result.rows_affected())
}

/// The stored form of a token.
pub(crate) fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Failed sign-ins count against an account and an address for this long.
pub(crate) const SIGN_IN_WINDOW: Duration = Duration::minutes(15);

/// This many failed sign-ins within [`SIGN_IN_WINDOW`] block further tries.
pub(crate) const SIGN_IN_FAILURE_LIMIT: usize = 10;

/// When sign-in for `account` or from `address` may be tried again, if either has failed
/// [`SIGN_IN_FAILURE_LIMIT`] times within the last [`SIGN_IN_WINDOW`]; `None` when it may
/// be tried now.
pub(crate) async fn sign_in_blocked_until(
    conn: &mut AnyConnection,
    account: &str,
    address: &str,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, sqlx::Error> {
    let since = to_millis(now - SIGN_IN_WINDOW);
    let mut until = None;
    for (column, key) in [("account", account), ("address", address)] {
        // The newest LIMIT failures: the block lasts until the oldest of them leaves the window.
        let times: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT attempted_at FROM sign_in_attempts WHERE {column} = $1 AND attempted_at > $2 \
             ORDER BY attempted_at DESC LIMIT {SIGN_IN_FAILURE_LIMIT}"
        ))
        .bind(key)
        .bind(since)
        .fetch_all(&mut *conn)
        .await?;
        if times.len() >= SIGN_IN_FAILURE_LIMIT {
            let oldest = times.iter().copied().min().unwrap_or(since);
            let ends = from_millis(oldest) + SIGN_IN_WINDOW;
            until = Some(until.map_or(ends, |other: OffsetDateTime| other.max(ends)));
        }
    }
    Ok(until)
}

/// Records a failed sign-in, forgetting failures that have left the window.
pub(crate) async fn record_sign_in_failure(
    conn: &mut AnyConnection,
    account: &str,
    address: &str,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sign_in_attempts WHERE attempted_at <= $1")
        .bind(to_millis(now - SIGN_IN_WINDOW))
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO sign_in_attempts (id, account, address, attempted_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(crate::store::new_id())
    .bind(account)
    .bind(address)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets an account's failed sign-ins (after it signs in successfully).
pub(crate) async fn clear_sign_in_failures(
    conn: &mut AnyConnection,
    account: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sign_in_attempts WHERE account = $1")
        .bind(account)
        .execute(conn)
        .await?;
    Ok(())
}
