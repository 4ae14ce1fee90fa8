//! The outbox (migration 0008): messages written in the same transaction as the event they
//! report, delivered later by the sender job (`crate::mail`). Claiming a message is a
//! guarded update (`claimed_until`), so several instances never send one twice.

use entrada_domain::ids::UserId;
use entrada_domain::notification::{Email, MessageKind, OutboxMessage, OutboxState};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::{from_millis, to_millis};
use crate::store::{bad_value, new_id};

/// Writes one message, due now. Call it on the transaction that records the event the
/// message reports, so that both happen or neither does.
pub(crate) async fn enqueue(
    conn: &mut AnyConnection,
    email: &Email,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    enqueue_many(conn, std::slice::from_ref(email), now).await
}

/// Puts several messages in the outbox, a page of them per INSERT.
pub(crate) async fn enqueue_many(
    conn: &mut AnyConnection,
    emails: &[Email],
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let at = to_millis(now);
    for page in emails.chunks(ENQUEUE_PAGE) {
        let rows: Vec<String> = (0..page.len())
            .map(|index| {
                let p = |column: usize| format!("${}", index * 10 + column);
                format!(
                    "({}, {}, {}, {}, {}, {}, {}, {}, 'pending', 0, {}, {})",
                    p(1),
                    p(2),
                    p(3),
                    p(4),
                    p(5),
                    p(6),
                    p(7),
                    p(8),
                    p(9),
                    p(10)
                )
            })
            .collect();
        let sql = super::positional(
            conn,
            format!(
                "INSERT INTO outbox (id, kind, to_address, to_user_id, subject, text_body, html_body, link, \
                 state, attempts, next_attempt_at, created_at) VALUES {}",
                rows.join(", ")
            ),
        );
        let mut query = sqlx::query(&sql);
        for email in page {
            query = query
                .bind(new_id())
                .bind(email.kind.as_str())
                .bind(&email.to_address)
                .bind(email.to_user.as_ref().map(UserId::as_str))
                .bind(&email.subject)
                .bind(&email.text)
                .bind(&email.html)
                .bind(&email.link)
                .bind(at)
                .bind(at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// How many messages one INSERT writes (10 values each; as for the audit log's inserts).
const ENQUEUE_PAGE: usize = 100;

const COLUMNS: &str = "id, kind, to_address, subject, link, state, attempts, last_error, \
                       created_at, next_attempt_at, sent_at, text_body, html_body";

fn from_row(row: &AnyRow) -> Result<OutboxMessage, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let attempts: i64 = row.try_get("attempts")?;
    let state = OutboxState::parse(&state).ok_or_else(|| bad_value("outbox.state", &state))?;
    let next_attempt_at: i64 = row.try_get("next_attempt_at")?;
    Ok(OutboxMessage {
        id: row.try_get("id")?,
        kind: MessageKind::parse(&kind).ok_or_else(|| bad_value("outbox.kind", &kind))?,
        to_address: row.try_get("to_address")?,
        subject: row.try_get("subject")?,
        link: row.try_get("link")?,
        state,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        last_error: row.try_get("last_error")?,
        created_at: from_millis(row.try_get("created_at")?),
        next_attempt_at: (state == OutboxState::Pending).then(|| from_millis(next_attempt_at)),
        sent_at: row.try_get::<Option<i64>, _>("sent_at")?.map(from_millis),
        text: row.try_get("text_body")?,
        html: row.try_get("html_body")?,
    })
}

/// Where a page of the outbox starts: after the message written at `created_at` with `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub created_at: i64,
    pub id: String,
}

impl Cursor {
    /// The opaque text a client passes back.
    pub(crate) fn encode(&self) -> String {
        format!("{}.{}", self.created_at, self.id)
    }

    /// The cursor a client passed, if it is one this server made.
    pub(crate) fn decode(text: &str) -> Option<Cursor> {
        let (millis, id) = text.split_once('.')?;
        let ok = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        Some(Cursor {
            created_at: millis.parse().ok()?,
            id: id.to_owned(),
        })
        .filter(|_| ok)
    }
}

/// Up to `limit` messages, newest first, after `cursor`; and the cursor of the next page.
pub(crate) async fn page(
    conn: &mut AnyConnection,
    limit: u32,
    cursor: Option<&Cursor>,
) -> Result<(Vec<OutboxMessage>, Option<Cursor>), sqlx::Error> {
    let fetch = i64::from(limit) + 1;
    let rows = match cursor {
        None => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1"
            ))
            .bind(fetch)
            .fetch_all(&mut *conn)
            .await?
        }
        Some(cursor) => {
            sqlx::query(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE created_at < $1 OR (created_at = $1 AND id < $2) \
                 ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
            .bind(cursor.created_at)
            .bind(&cursor.id)
            .bind(fetch)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    let mut messages = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let next = match messages.len() > limit as usize {
        true => {
            messages.truncate(limit as usize);
            messages.last().map(|last| Cursor {
                created_at: to_millis(last.created_at),
                id: last.id.clone(),
            })
        }
        false => None,
    };
    Ok((messages, next))
}

/// A message claimed for sending.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attempts: u32,
    /// The claim, which the outcome's update must still find (else another instance took
    /// the message over after the claim lapsed, and it decides).
    pub claimed_until: i64,
}

/// Claims the next due pending message for this sender until `until`: a guarded update,
/// so of several instances exactly one gets each message. `None` when nothing is due.
pub(crate) async fn claim_next(
    conn: &mut AnyConnection,
    now: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Option<Claimed>, sqlx::Error> {
    let now = to_millis(now);
    let until = to_millis(until);
    // A few tries: another instance may claim the candidate between the read and the update.
    for _ in 0..5 {
        let Some(row) = sqlx::query(
            "SELECT id, to_address, subject, text_body, html_body, attempts FROM outbox \
             WHERE state = 'pending' AND next_attempt_at <= $1 \
             AND (claimed_until IS NULL OR claimed_until <= $1) \
             ORDER BY next_attempt_at, created_at, id LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let id: String = row.try_get("id")?;
        let claimed = sqlx::query(
            "UPDATE outbox SET claimed_until = $1 WHERE id = $2 AND state = 'pending' \
             AND (claimed_until IS NULL OR claimed_until <= $3)",
        )
        .bind(until)
        .bind(&id)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if claimed {
            let attempts: i64 = row.try_get("attempts")?;
            return Ok(Some(Claimed {
                id,
                to_address: row.try_get("to_address")?,
                subject: row.try_get("subject")?,
                text: row.try_get("text_body")?,
                html: row.try_get("html_body")?,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                claimed_until: until,
            }));
        }
    }
    Ok(None)
}

/// Marks a claimed message sent; false when the claim was lost meanwhile.
pub(crate) async fn mark_sent(
    conn: &mut AnyConnection,
    claimed: &Claimed,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET state = 'sent', sent_at = $1, attempts = attempts + 1, \
         claimed_until = NULL, last_error = NULL WHERE id = $2 AND claimed_until = $3",
    )
    .bind(to_millis(now))
    .bind(&claimed.id)
    .bind(claimed.claimed_until)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt: due again at `retry_at`, or failed for good when `None`.
pub(crate) async fn mark_attempt_failed(
    conn: &mut AnyConnection,
    claimed: &Claimed,
    error: &str,
    retry_at: Option<OffsetDateTime>,
) -> Result<bool, sqlx::Error> {
    let (state, next) = match retry_at {
        Some(at) => ("pending", Some(to_millis(at))),
        None => ("failed", None),
    };
    let done = sqlx::query(
        "UPDATE outbox SET state = $1, attempts = attempts + 1, \
         next_attempt_at = COALESCE($2, next_attempt_at), last_error = $3, claimed_until = NULL \
         WHERE id = $4 AND claimed_until = $5",
    )
    .bind(state)
    .bind(next)
    .bind(error)
    .bind(&claimed.id)
    .bind(claimed.claimed_until)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
