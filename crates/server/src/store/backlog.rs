//! What is waiting, read at each `/metrics` scrape: open requests, the outbox's backlog,
//! and how late the oldest due timer is. Counts over indexed columns, cheap at any size.

use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::to_millis;

/// The waiting work at one moment.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Backlog {
    /// Requests waiting for an approver's decision.
    pub open_requests: i64,
    /// Messages not sent yet (including those waiting for a retry).
    pub outbox_pending: i64,
    /// Messages that gave up after their last attempt.
    pub outbox_failed: i64,
    /// Seconds the oldest pending message whose attempt is due has waited past it.
    pub outbox_lag_seconds: f64,
    /// Seconds the oldest delivered assignment past its end has waited for the expiry job.
    pub expiry_lag_seconds: f64,
    /// Seconds the oldest approved request past its scheduled start (or, without one, its
    /// approval) has waited for delivery.
    pub start_lag_seconds: f64,
}

/// Reads the backlog at `now`.
pub(crate) async fn read(
    conn: &mut AnyConnection,
    now: OffsetDateTime,
) -> Result<Backlog, sqlx::Error> {
    let now_ms = to_millis(now);
    let open_requests: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM access_requests WHERE state = 'pendingApproval'")
            .fetch_one(&mut *conn)
            .await?;
    let mut backlog = Backlog {
        open_requests,
        ..Backlog::default()
    };
    let rows = sqlx::query(
        "SELECT state, COUNT(*) AS n FROM outbox WHERE state IN ('pending', 'failed') GROUP BY state",
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let state: String = row.try_get("state")?;
        let count: i64 = row.try_get("n")?;
        match state.as_str() {
            "pending" => backlog.outbox_pending = count,
            _ => backlog.outbox_failed = count,
        }
    }
    let oldest = |sql: &'static str| sqlx::query_scalar::<_, Option<i64>>(sql).bind(now_ms);
    let lag = |due: Option<i64>| due.map_or(0.0, |due| (now_ms - due).max(0) as f64 / 1000.0);
    backlog.outbox_lag_seconds = lag(oldest(
        "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1",
    )
    .fetch_one(&mut *conn)
    .await?);
    backlog.expiry_lag_seconds = lag(oldest(
        "SELECT MIN(end_at) FROM assignments WHERE state = 'delivered' AND end_at IS NOT NULL AND end_at <= $1",
    )
    .fetch_one(&mut *conn)
    .await?);
    backlog.start_lag_seconds = lag(oldest(
        "SELECT MIN(COALESCE(schedule_start, updated_at)) FROM access_requests WHERE state = 'approved' AND COALESCE(schedule_start, updated_at) <= $1",
    )
    .fetch_one(&mut *conn)
    .await?);
    Ok(backlog)
}
