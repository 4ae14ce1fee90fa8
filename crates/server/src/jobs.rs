//! Background jobs: stage escalations and timeouts, scheduled starts, expiry, and ended
//! sessions. Each is a `run_once(db, now)` step, idempotent, and safe with several server
//! instances on one PostgreSQL database: a job claims each due item in the transaction
//! that handles it (`FOR UPDATE SKIP LOCKED`, see `store::skip_locked`), so instances take
//! different items and never wait for each other; and every change is a guarded update,
//! so an item another instance finished first is skipped (and counted nowhere). On SQLite
//! one server runs the jobs (`db::lock_sqlite_jobs`). The loop in [`run_forever`] calls
//! it; tests call it directly with a manual clock.
//!
//! Every job treats its items one by one, each in its own transaction (expiry, which may
//! meet a hundred thousand at once, ends them in set-based batches; a batch that fails is
//! taken again one by one, so a bad item still fails alone). An item that fails
//! (any error, a database constraint included) rolls back its own transaction only, is
//! counted in [`Outcome::failed`] and logged, and the run goes on with the next item and
//! the next job: one stuck item never stops expiry or session clean-up anywhere. A
//! scheduled start that cannot be delivered is marked delivery failed, with the reason in
//! the audit log, in a fresh transaction, so it is not retried for ever.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use entrada_domain::assignment::{Assignment, AssignmentEvent};
use entrada_domain::catalog::AccessPackage;
use entrada_domain::ids::PackageId;
use entrada_domain::request::{self, RequestEvent, RequestState};
use sqlx::AnyPool;
use time::OffsetDateTime;

use crate::clock::Clock;
use crate::lifecycle::{self, Delivery, LifecycleError};
use crate::store;
use crate::store::requests::Stored;

/// What one pass of the jobs did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// Stages handed to their alternate approvers.
    pub escalated: u64,
    /// Requests denied because a stage had no decision in time.
    pub timed_out: u64,
    /// Approved requests whose scheduled start came, delivered.
    pub started: u64,
    /// Approved requests whose scheduled start came but that could not be delivered
    /// (marked delivery failed, with the reason in the audit log).
    pub delivery_failed: u64,
    /// Assignments past their end, expired and their grants taken back.
    pub expired: u64,
    /// "Your access ends soon" reminders written to the outbox.
    pub reminders_sent: u64,
    /// Sessions deleted because they had ended.
    pub sessions_deleted: u64,
    /// Audit events deleted by retention (older than the retention setting allows).
    pub audit_pruned: u64,
    /// Guests blocked because their last access ended (see `guest_lifecycle`).
    pub guests_blocked: u64,
    /// Guests deleted because they stayed blocked for the set number of days.
    pub guests_deleted: u64,
    /// Items (or whole jobs, when their list could not be read) that failed with an error
    /// this pass; each was logged and the run went on.
    pub failed: u64,
}

/// The jobs by name, in the order [`run_once`] runs them.
pub const JOBS: &[&str] = &[
    "stage-timers",
    "scheduled-starts",
    "reminders",
    "expiry",
    "audit-retention",
    "expired-sign-ups",
    "guest-lifecycle",
    "session-clean-up",
];

/// Runs every job once at `now`. Failures of single items, and of whole jobs, are counted
/// in [`Outcome::failed`] and logged: one never stops the others.
pub async fn run_once(db: &AnyPool, now: OffsetDateTime) -> Result<Outcome, sqlx::Error> {
    let mut outcome = Outcome::default();
    for job in JOBS {
        run_job(db, now, job, &mut outcome).await;
    }
    Ok(outcome)
}

/// Runs the jobs named in `only` (names from [`JOBS`]) once at `now`; `None` when a name
/// is unknown.
pub async fn run_only(db: &AnyPool, now: OffsetDateTime, only: &[String]) -> Option<Outcome> {
    if only.iter().any(|name| !JOBS.contains(&name.as_str())) {
        return None;
    }
    let mut outcome = Outcome::default();
    for job in JOBS
        .iter()
        .filter(|job| only.iter().any(|name| name == *job))
    {
        run_job(db, now, job, &mut outcome).await;
    }
    Some(outcome)
}

async fn run_job(db: &AnyPool, now: OffsetDateTime, job: &str, outcome: &mut Outcome) {
    let result = match job {
        "stage-timers" => stage_timers(db, now, outcome).await,
        "scheduled-starts" => scheduled_starts(db, now, outcome).await,
        "reminders" => crate::notify::reminders(db, now, outcome).await,
        "expiry" => expiry(db, now, outcome).await,
        "audit-retention" => audit_retention(db, now)
            .await
            .map(|pruned| outcome.audit_pruned = pruned),
        "expired-sign-ups" => crate::signups::delete_expired(db, now).await.map(|_| ()),
        "guest-lifecycle" => crate::guest_lifecycle::run(db, now, outcome).await,
        "session-clean-up" => delete_ended_sessions(db, now)
            .await
            .map(|deleted| outcome.sessions_deleted = deleted),
        _ => Ok(()),
    };
    if let Err(error) = result {
        job_failed(job, &error, outcome);
    }
}

fn job_failed(job: &str, error: &sqlx::Error, outcome: &mut Outcome) {
    tracing::warn!(%error, job, "a background job could not run; the others went on");
    outcome.failed += 1;
}

/// Prunes audit events older than the retention setting allows (none when events are
/// kept for ever); the prune is itself an event.
async fn audit_retention(db: &AnyPool, now: OffsetDateTime) -> Result<u64, sqlx::Error> {
    let retention = {
        let mut conn = db.acquire().await?;
        store::settings::get(&mut conn).await?.audit.retention_days
    };
    let Some(days) = retention else {
        return Ok(0);
    };
    let mut tx = crate::db::begin(db).await?;
    let pruned =
        store::audit::prune(&mut tx, now - time::Duration::days(i64::from(days)), now).await?;
    tx.commit().await?;
    Ok(pruned)
}

async fn delete_ended_sessions(db: &AnyPool, now: OffsetDateTime) -> Result<u64, sqlx::Error> {
    let mut conn = db.acquire().await?;
    store::sessions::delete_ended(&mut conn, now).await
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
        match stage_timer(db, &stored, now).await {
            Ok(Some(RequestEvent::StageTimedOut)) => outcome.timed_out += 1,
            Ok(Some(_)) => outcome.escalated += 1,
            Ok(None) => {}
            Err(LifecycleError::Database(error)) => {
                tracing::warn!(%error, request = %stored.request.id, "stage timer failed");
                outcome.failed += 1;
            }
            Err(error) => {
                tracing::debug!(%error, request = %stored.request.id, "stage timer skipped")
            }
        }
    }
    Ok(())
}

/// Times out or escalates one pending request when due, in its own transaction; returns
/// the event applied, if any.
async fn stage_timer(
    db: &AnyPool,
    stored: &Stored,
    now: OffsetDateTime,
) -> Result<Option<RequestEvent>, LifecycleError> {
    let mut tx = crate::db::begin(db).await?;
    if !store::requests::claim(&mut tx, stored).await? {
        return Ok(None);
    }
    let Some(policy) = store::catalogs::get_policy(&mut tx, &stored.request.policy_id).await?
    else {
        return Ok(None);
    };
    let Some(package) =
        store::catalogs::get_package(&mut tx, &stored.request.access_package_id).await?
    else {
        return Ok(None);
    };
    let timed_out =
        request::stage_deadline(&stored.request, &policy).is_some_and(|deadline| deadline <= now);
    let escalate = !stored.request.escalated
        && request::escalation_due_at(&stored.request, &policy).is_some_and(|due| due <= now);
    let event = match (timed_out, escalate) {
        (true, _) => RequestEvent::StageTimedOut,
        (false, true) => RequestEvent::Escalate,
        (false, false) => return Ok(None),
    };
    lifecycle::advance(&mut tx, stored, &policy, &package, &event, None, now).await?;
    tx.commit().await?;
    Ok(Some(event))
}

/// Delivers approved requests whose start date has come. One that fails with an error is
/// marked delivery failed (with the error as its reason) in a fresh transaction.
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
        match scheduled_start(db, &stored, now).await {
            Ok(Some(delivered)) if delivered.state == RequestState::Delivered => {
                outcome.started += 1
            }
            Ok(Some(_)) => outcome.delivery_failed += 1,
            Ok(None) => {}
            Err(error @ (LifecycleError::Raced | LifecycleError::Transition(_))) => {
                tracing::debug!(%error, request = %stored.request.id, "scheduled start skipped")
            }
            Err(error) => {
                tracing::warn!(%error, request = %stored.request.id, "scheduled start failed");
                outcome.failed += 1;
                let reason = format!("The access could not be granted: {error}");
                match mark_delivery_failed(db, &stored, reason, now).await {
                    Ok(true) => outcome.delivery_failed += 1,
                    Ok(false) => {}
                    Err(error) => tracing::warn!(
                        %error,
                        request = %stored.request.id,
                        "a failed scheduled start could not be marked"
                    ),
                }
            }
        }
    }
    Ok(())
}

/// Delivers one approved request in its own transaction.
async fn scheduled_start(
    db: &AnyPool,
    stored: &Stored,
    now: OffsetDateTime,
) -> Result<Option<request::AccessRequest>, LifecycleError> {
    let mut tx = crate::db::begin(db).await?;
    if !store::requests::claim(&mut tx, stored).await? {
        return Ok(None);
    }
    let Some(policy) = store::catalogs::get_policy(&mut tx, &stored.request.policy_id).await?
    else {
        return Ok(None);
    };
    let Some(package) =
        store::catalogs::get_package(&mut tx, &stored.request.access_package_id).await?
    else {
        return Ok(None);
    };
    let delivered = match lifecycle::deliver(&mut tx, stored, &policy, &package, now).await {
        Ok(delivered) => delivered,
        Err(error) => {
            // Roll back here, not when the dropped transaction's rollback is flushed by the
            // pool: marking the request failed claims the same row, and must not wait on
            // this transaction's lock for as long as the pool takes.
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(%rollback, request = %stored.request.id, "a failed scheduled start could not be rolled back");
            }
            return Err(error);
        }
    };
    tx.commit().await?;
    Ok(Some(delivered))
}

/// Marks an approved request whose delivery failed as delivery failed, with `reason` in
/// the audit log; false when it changed meanwhile (another instance handled it).
async fn mark_delivery_failed(
    db: &AnyPool,
    stored: &Stored,
    reason: String,
    now: OffsetDateTime,
) -> Result<bool, LifecycleError> {
    let mut tx = crate::db::begin(db).await?;
    if !store::requests::claim(&mut tx, stored).await? {
        return Ok(false);
    }
    let Some(policy) = store::catalogs::get_policy(&mut tx, &stored.request.policy_id).await?
    else {
        return Ok(false);
    };
    let Some(package) =
        store::catalogs::get_package(&mut tx, &stored.request.access_package_id).await?
    else {
        return Ok(false);
    };
    let delivery = Delivery::Failed(reason);
    match lifecycle::finish_delivery(&mut tx, stored, &policy, &package, &delivery, now).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(true)
        }
        Err(LifecycleError::Raced | LifecycleError::Transition(_)) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Expires assignments past their end and takes their grants back, a batch per
/// transaction: each batch is claimed in its transaction (`claim_due_for_expiry`), so
/// instances sharing a PostgreSQL database take different batches.
async fn expiry(
    db: &AnyPool,
    now: OffsetDateTime,
    outcome: &mut Outcome,
) -> Result<(), sqlx::Error> {
    let mut packages: HashMap<PackageId, Option<AccessPackage>> = HashMap::new();
    let backend = crate::db::backend_of(db);
    let mut conn = crate::db::bulk_connection(db).await?;
    let mut cursor = None;
    loop {
        let mut tx = crate::db::begin_on(&mut conn, backend).await?;
        let (batch, next) =
            store::assignments::claim_due_for_expiry(&mut tx, now, cursor.as_ref(), EXPIRY_BATCH)
                .await?;
        if batch.is_empty() {
            tx.rollback().await?;
            return Ok(());
        }
        cursor = next;
        for assignment in &batch {
            let id = &assignment.access_package_id;
            if !packages.contains_key(id) {
                let package = store::catalogs::get_package(&mut tx, id).await?;
                packages.insert(id.clone(), package);
            }
        }
        // An assignment whose package is gone is left alone.
        let items: Vec<(&Assignment, &AccessPackage)> = batch
            .iter()
            .filter_map(|assignment| {
                let package = packages.get(&assignment.access_package_id)?.as_ref()?;
                Some((assignment, package))
            })
            .collect();
        let ended =
            lifecycle::end_assignments(&mut tx, &items, &AssignmentEvent::Expire, None, now).await;
        match ended {
            Ok(ended) => {
                tx.commit().await?;
                outcome.expired += ended.len() as u64;
            }
            Err(error) => {
                // One bad item fails the batch: take them one by one, so it fails alone.
                tx.rollback().await?;
                tracing::warn!(%error, "an expiry batch failed; expiring its assignments one by one");
                for (assignment, package) in items {
                    match expire_one(db, assignment, package, now).await {
                        Ok(true) => outcome.expired += 1,
                        Ok(false) => {}
                        Err(LifecycleError::Database(error)) => {
                            tracing::warn!(%error, assignment = %assignment.id, "expiry failed");
                            outcome.failed += 1;
                        }
                        Err(error) => {
                            tracing::debug!(%error, assignment = %assignment.id, "expiry skipped")
                        }
                    }
                }
            }
        }
    }
}

/// How many due assignments one transaction expires (set-based: a handful of statements
/// per batch, one commit). At 2,000 a batch holds SQLite's write lock for about a fifth of
/// a second; 500 cost a tenth more time in all (the expiry benchmark).
const EXPIRY_BATCH: usize = 2000;

/// Expires one assignment in its own transaction (after its batch failed).
async fn expire_one(
    db: &AnyPool,
    assignment: &Assignment,
    package: &AccessPackage,
    now: OffsetDateTime,
) -> Result<bool, LifecycleError> {
    let mut tx = crate::db::begin(db).await?;
    lifecycle::end_assignment(
        &mut tx,
        assignment,
        &AssignmentEvent::Expire,
        package,
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Runs the jobs every 20 seconds (so expired access goes within a minute) until `stop`
/// turns true: a pass under way is finished first, so a shutdown never cuts one short.
/// Failures are logged and retried on the next tick; each pass is counted in `metrics`.
pub(crate) async fn run_forever(
    db: AnyPool,
    clock: Arc<dyn Clock>,
    metrics: Arc<crate::metrics::Metrics>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(Duration::from_secs(20));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        if *stop.borrow() {
            return;
        }
        let started = std::time::Instant::now();
        let ran = run_once(&db, clock.now()).await;
        let failed = ran.as_ref().map_or(1, |outcome| outcome.failed);
        let finished = clock.now().unix_timestamp_nanos() as f64 / 1e9;
        metrics.observe_pass(finished, started.elapsed(), failed);
        match ran {
            Ok(outcome) if outcome.failed > 0 => {
                tracing::warn!(?outcome, "background jobs ran; some items failed")
            }
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
