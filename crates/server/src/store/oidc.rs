//! Sign-ins on their way through the OpenID provider (migration 0015), keyed by the
//! SHA-256 of their state.

use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::{from_millis, to_millis};
use crate::store::sessions::hash_token;

/// What a departure keeps until the person comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Waiting {
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: Option<String>,
}

/// Keeps a departure until `expires_at`, and forgets those whose time has passed.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    state: &str,
    waiting: &Waiting,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM oidc_logins WHERE expires_at <= $1")
        .bind(to_millis(now))
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO oidc_logins (state_hash, nonce, pkce_verifier, return_to, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash_token(state))
    .bind(&waiting.nonce)
    .bind(&waiting.pkce_verifier)
    .bind(waiting.return_to.as_deref())
    .bind(to_millis(expires_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Takes the departure of `state`: deleted whatever happens next, so a state works once;
/// none when there is none, or its time has passed.
pub(crate) async fn take(
    conn: &mut AnyConnection,
    state: &str,
    now: OffsetDateTime,
) -> Result<Option<Waiting>, sqlx::Error> {
    let row = sqlx::query(
        "DELETE FROM oidc_logins WHERE state_hash = $1 \
         RETURNING nonce, pkce_verifier, return_to, expires_at",
    )
    .bind(hash_token(state))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let expires_at: i64 = row.try_get("expires_at")?;
    if expires_at <= to_millis(now) {
        return Ok(None);
    }
    Ok(Some(Waiting {
        nonce: row.try_get("nonce")?,
        pkce_verifier: row.try_get("pkce_verifier")?,
        return_to: row.try_get("return_to")?,
    }))
}

/// Sign-ins through the provider since a moment, from the audit log.
pub(crate) struct SignInFigures {
    pub signed_in: i64,
    pub refused: i64,
    /// The last one ever.
    pub last_sign_in: Option<OffsetDateTime>,
}

/// How sign-ins through the provider went since `since`.
pub(crate) async fn sign_in_figures(
    conn: &mut AnyConnection,
    since: OffsetDateTime,
) -> Result<SignInFigures, sqlx::Error> {
    const THROUGH_PROVIDER: &str = "details_json LIKE '%\"method\":\"openIdProvider\"%'";
    let count = |action: &'static str| {
        format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = '{action}' AND at >= $1 AND {THROUGH_PROVIDER}"
        )
    };
    let signed_in: i64 = sqlx::query_scalar(&count("session.signedIn"))
        .bind(to_millis(since))
        .fetch_one(&mut *conn)
        .await?;
    let refused: i64 = sqlx::query_scalar(&count("signIn.failed"))
        .bind(to_millis(since))
        .fetch_one(&mut *conn)
        .await?;
    let last: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT MAX(at) FROM audit_events WHERE action = 'session.signedIn' AND {THROUGH_PROVIDER}"
    ))
    .fetch_one(&mut *conn)
    .await?;
    Ok(SignInFigures {
        signed_in,
        refused,
        last_sign_in: last.map(from_millis),
    })
}
