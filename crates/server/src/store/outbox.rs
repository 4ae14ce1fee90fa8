//! The outbox (migration 0008): messages written in the same transaction as the event they
//! report, delivered later by the sender job.

use entrada_domain::ids::UserId;
use entrada_domain::notification::Email;
use sqlx::AnyConnection;
use time::OffsetDateTime;

use crate::clock::to_millis;
use crate::store::new_id;

/// Writes one message, due now. Call it on the transaction that records the event the
/// message reports, so that both happen or neither does.
pub(crate) async fn enqueue(
    conn: &mut AnyConnection,
    email: &Email,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let at = to_millis(now);
    sqlx::query(
        "INSERT INTO outbox (id, kind, to_address, to_user_id, subject, text_body, html_body, link, \
         state, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $10)",
    )
    .bind(new_id())
    .bind(email.kind.as_str())
    .bind(&email.to_address)
    .bind(email.to_user.as_ref().map(UserId::as_str))
    .bind(&email.subject)
    .bind(&email.text)
    .bind(&email.html)
    .bind(&email.link)
    .bind(at)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
