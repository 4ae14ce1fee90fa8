//! Background jobs: stage escalations and timeouts, scheduled starts, expiry, and ended
//! sessions. Each is a `run_once(db, now)` step, idempotent, and safe with several server
//! instances: every change is a guarded update, so an item another instance changed first
//! is skipped (and counted nowhere). The loop in [`run_forever`] calls it; tests call it
//! directly with a manual clock.

use std::sync::Arc;
use std::time::Duration;

use entrada_domain::assignment::AssignmentEvent;
use entrada_domain::request::{self, RequestEvent, RequestState};
use sqlx::AnyPool;
use time::OffsetDateTime;

use crate::clock::Clock;
use crate::lifecycle::{self, LifecycleError};
use crate::store;

/// What one pass of the jobs did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Stages handed to their alternate approvers.
    pub escalated: u64,
    /// Requests denied because a stage had no decision in time.
    pub timed_out: u64,
    /// Approved requests whose scheduled start came, delivered.
    pub started: u64,
    /// Assignments past their end, expired and their grants taken back.
    pub expired: u64,
    /// Sessions deleted because they had ended.
    pub sessions_deleted: u64,
}

/// Runs every job once at `now`.
pub async fn run_once(db: &AnyPool, now: OffsetDateTime) -> Result<Outcome, sqlx::Error> {
    let mut outcome = Outcome::default();
    stage_timers(db, now, &mut outcome).await?;
    scheduled_starts(db, now, &mut outcome).await?;
    expiry(db, now, &mut outcome).await?;
    let mut conn = db.acquire().await?;
    outcome.sessions_deleted = store::sessions::delete_ended(&mut conn, now).await?;
    Ok(outcome)
}

/// Escalates stages that waited past their escalation day, and times out stages past
/// their deadline.
async fn stage_timers(
    db: &AnyPool,
    now: OffsetDateTime,
    outcome: &mut Outcome,
) -> Result<(), sqlx::Error> {
    let pending = {
        let mut conn = db.acquire().await?;
        store::requests::in_state(&mut conn, RequestState::PendingApproval).await?
    };
    for stored in pending {
        let mut tx = crate::db::begin(db).await?;
        let Some(policy) = store::catalogs::get_policy(&mut tx, &stored.request.policy_id).await?
        else {
            continue;
        };
        let Some(package) =
            store::catalogs::get_package(&mut tx, &stored.request.access_package_id).await?
        else {
            continue;
        };
        let timed_out = request::stage_deadline(&stored.request, &policy)
            .is_some_and(|deadline| deadline <= now);
        let escalate = !stored.request.escalated
            && request::escalation_due_at(&stored.request, &policy).is_some_and(|due| due <= now);
        let event = match (timed_out, escalate) {
            (true, _) => RequestEvent::StageTimedOut,
            (false, true) => RequestEvent::Escalate,
            (false, false) => continue,
        };
        match lifecycle::advance(&mut tx, &stored, &policy, &package, &event, None, now).await {
            Ok(_) => {
                tx.commit().await?;
                match event {
                    RequestEvent::StageTimedOut => outcome.timed_out += 1,
                    _ => outcome.escalated += 1,
                }
            }
            Err(LifecycleError::Database(error)) => return Err(error),
            Err(error) => {
                tracing::debug!(%error, request = %stored.request.id, "stage timer skipped")
            }
        }
    }
    Ok(())
}

/// Delivers approved requests whose start date has come.
async fn scheduled_starts(
    db: &AnyPool,
    now: OffsetDateTime,
    outcome: &mut Outcome,
) -> Result<(), sqlx::Error> {
    let approved = {
        let mut conn = db.acquire().await?;
        store::requests::in_state(&mut conn, RequestState::Approved).await?
    };
    for stored in approved
        .into_iter()
        .filter(|stored| lifecycle::due_to_start(&stored.request, now))
    {
        let mut tx = crate::db::begin(db).await?;
        let Some(policy) = store::catalogs::get_policy(&mut tx, &stored.request.policy_id).await?
        else {
            continue;
        };
        let Some(package) =
            store::catalogs::get_package(&mut tx, &stored.request.access_package_id).await?
        else {
            continue;
        };
        match lifecycle::deliver(&mut tx, &stored, &policy, &package, now).await {
            Ok(_) => {
                tx.commit().await?;
                outcome.started += 1;
            }
            Err(LifecycleError::Database(error)) => return Err(error),
            Err(error) => {
                tracing::debug!(%error, request = %stored.request.id, "scheduled start skipped")
            }
        }
    }
    Ok(())
}

/// Expires assignments past their end and takes their grants back.
async fn expiry(
    db: &AnyPool,
    now: OffsetDateTime,
    outcome: &mut Outcome,
) -> Result<(), sqlx::Error> {
    let due = {
        let mut conn = db.acquire().await?;
        store::assignments::due_for_expiry(&mut conn, now).await?
    };
    for assignment in due {
        let mut tx = crate::db::begin(db).await?;
        let Some(package) =
            store::catalogs::get_package(&mut tx, &assignment.access_package_id).await?
        else {
            continue;
        };
        match lifecycle::end_assignment(
            &mut tx,
            &assignment,
            &AssignmentEvent::Expire,
            &package,
            None,
            now,
        )
        .await
        {
            Ok(_) => {
                tx.commit().await?;
                outcome.expired += 1;
            }
            Err(LifecycleError::Database(error)) => return Err(error),
            Err(error) => tracing::debug!(%error, assignment = %assignment.id, "expiry skipped"),
        }
    }
    Ok(())
}

/// Runs the jobs every 20 seconds until the task is aborted (so expired access goes within
/// a minute); failures are logged and retried on the next tick.
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
