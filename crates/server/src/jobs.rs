//! Background jobs. Each is a `run_once(db, now)` step that is idempotent, so several
//! server instances may run it, and tests call it directly with a manual clock.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use time::OffsetDateTime;

use crate::clock::Clock;
use crate::store;

/// What one pass of the jobs did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Sessions deleted because they had ended.
    pub sessions_deleted: u64,
}

/// Runs every job once at `now`.
pub async fn run_once(db: &AnyPool, now: OffsetDateTime) -> Result<Outcome, sqlx::Error> {
    let mut conn = db.acquire().await?;
    let sessions_deleted = store::sessions::delete_ended(&mut conn, now).await?;
    Ok(Outcome { sessions_deleted })
}

/// Runs the jobs every 20 seconds until the task is aborted; failures are logged and retried.
pub(crate) async fn run_forever(db: AnyPool, clock: Arc<dyn Clock>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(20));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match run_once(&db, clock.now()).await {
            Ok(outcome) if outcome != Outcome::default() => {
                tracing::info!(?outcome, "background jobs ran")
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "background jobs failed; retrying on the next tick")
            }
        }
    }
}
