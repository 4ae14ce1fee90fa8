//! Pending sign-ups (migration 0010): people from outside who signed up and have not
//! verified their address yet. Tokens and codes are kept only as SHA-256 hashes.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::to_millis;
use crate::store::sessions::hash_token;

/// A pending sign-up as stored.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub code_hash: String,
    pub return_path: Option<String>,
}

/// A new pending sign-up, with the hashes of its secrets.
pub(crate) struct NewPending<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub token: &'a str,
    pub code: &'a str,
    pub return_path: Option<&'a str>,
    pub expires_at: OffsetDateTime,
}

const COLUMNS: &str = "id, email, display_name, password_hash, code_hash, return_path";

/// The stored form of a code: bound to its sign-up, so equal codes hash differently.
pub(crate) fn hash_code(signup_id: &str, code: &str) -> String {
    hash_token(&format!("{signup_id}:{code}"))
}

/// Stores a sign-up, replacing any pending one for the same address (its link and code
/// stop working).
pub(crate) async fn replace(
    conn: &mut AnyConnection,
    new: &NewPending<'_>,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM pending_signups WHERE email = $1")
        .bind(new.email)
        .execute(&mut *conn)
        .await?;
    let id = crate::store::new_id();
    sqlx::query(
        "INSERT INTO pending_signups (id, email, display_name, password_hash, token_hash, code_hash, \
         failed_code_attempts, expires_at, return_path, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9)",
    )
    .bind(&id)
    .bind(new.email)
    .bind(new.display_name)
    .bind(new.password_hash)
    .bind(hash_token(new.token))
    .bind(hash_code(&id, new.code))
    .bind(to_millis(new.expires_at))
    .bind(new.return_path)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// The live (unexpired) sign-up a link's token belongs to.
pub(crate) async fn by_token(
    conn: &mut AnyConnection,
    token: &str,
    now: OffsetDateTime,
) -> Result<Option<Pending>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM pending_signups WHERE token_hash = $1 AND expires_at > $2"
    ))
    .bind(hash_token(token))
    .bind(to_millis(now))
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The live (unexpired) sign-up of an address.
pub(crate) async fn by_email(
    conn: &mut AnyConnection,
    email: &str,
    now: OffsetDateTime,
) -> Result<Option<Pending>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM pending_signups WHERE email = $1 AND expires_at > $2"
    ))
    .bind(email)
    .bind(to_millis(now))
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Consumes a sign-up: true for the one caller whose DELETE removed it (a second click on
/// the same link, at the same moment, gets false).
pub(crate) async fn take(conn: &mut AnyConnection, id: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM pending_signups WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Counts a wrong code; after `limit` wrong codes the sign-up is deleted. Returns how many
/// tries are left (0 when it was deleted).
pub(crate) async fn record_wrong_code(
    conn: &mut AnyConnection,
    id: &str,
    limit: u32,
) -> Result<u32, sqlx::Error> {
    sqlx::query(
        "UPDATE pending_signups SET failed_code_attempts = failed_code_attempts + 1 WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let attempts: Option<i64> =
        sqlx::query_scalar("SELECT failed_code_attempts FROM pending_signups WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let attempts = attempts.unwrap_or(i64::from(limit));
    if attempts >= i64::from(limit) {
        take(conn, id).await?;
        return Ok(0);
    }
    Ok(u32::try_from(i64::from(limit) - attempts).unwrap_or(0))
}

/// Deletes every sign-up whose time ran out; returns how many.
pub(crate) async fn delete_expired(
    conn: &mut AnyConnection,
    now: OffsetDateTime,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM pending_signups WHERE expires_at <= $1")
        .bind(to_millis(now))
        .execute(conn)
        .await?;
    Ok(result.rows_affected())
}

fn from_row(row: &AnyRow) -> Result<Pending, sqlx::Error> {
    Ok(Pending {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        password_hash: row.try_get("password_hash")?,
        code_hash: row.try_get("code_hash")?,
        return_path: row.try_get("return_path")?,
    })
}
