//! Access requests and their decisions.

use entrada_domain::ids::{PackageId, PolicyId, RequestId, UserId};
use entrada_domain::request::{
    AccessRequest, Decision, DecisionKind, RequestState, RequestType, Schedule,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::store::{bad_value, from_json, to_json};

const COLUMNS: &str = "id, request_type, requestor_id, created_by, package_id, policy_id, state, current_stage, \
                       stage_started_at, escalated, justification, answers_json, schedule_start, schedule_end, version, \
                       created_at, updated_at";

/// A stored request and the version its guarded updates compare against.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub request: AccessRequest,
    pub version: i64,
}

/// Inserts a new request (version 1). A second open request for the same person and
/// package violates a unique index: callers map that to 409. An open request also refers
/// to its policy through a foreign key (`open_policy_id`), so a request through a policy
/// deleted at the same moment violates it (see [`is_foreign_key_violation`]).
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    request: &AccessRequest,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO access_requests ({COLUMNS}, open_policy_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $16, $17)"
    ))
    .bind(request.id.as_str())
    .bind(type_name(request.request_type))
    .bind(request.requestor.as_str())
    .bind(request.created_by.as_str())
    .bind(request.access_package_id.as_str())
    .bind(request.policy_id.as_str())
    .bind(request.state.as_str())
    .bind(request.current_stage.map(i64::from))
    .bind(request.stage_started_at.map(to_millis))
    .bind(i64::from(request.escalated))
    .bind(request.justification.as_deref())
    .bind(to_json(&request.answers)?)
    .bind(request.schedule.start.map(to_millis))
    .bind(request.schedule.end.map(to_millis))
    .bind(to_millis(request.created_at))
    .bind(to_millis(request.updated_at))
    .bind(open_policy(request))
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether an error is a foreign-key violation: something the change refers to was deleted
/// at the same moment (a policy under a request being submitted, for one).
pub(crate) fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|db| db.is_foreign_key_violation())
}

/// The policy an open request holds on to; none once it is closed.
fn open_policy(request: &AccessRequest) -> Option<&str> {
    request
        .state
        .is_open()
        .then_some(request.policy_id.as_str())
}

/// Saves `next` only if the stored request is still at `version`; returns whether it did.
/// A concurrent change (another approver, a job on another instance) makes it return false.
pub(crate) async fn update_guarded(
    conn: &mut AnyConnection,
    next: &AccessRequest,
    version: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE access_requests SET state = $1, current_stage = $2, stage_started_at = $3, escalated = $4, \
         updated_at = $5, open_policy_id = $8, version = version + 1 WHERE id = $6 AND version = $7",
    )
    .bind(next.state.as_str())
    .bind(next.current_stage.map(i64::from))
    .bind(next.stage_started_at.map(to_millis))
    .bind(i64::from(next.escalated))
    .bind(to_millis(next.updated_at))
    .bind(next.id.as_str())
    .bind(version)
    .bind(open_policy(next))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Records a decision. A second decision for the same stage violates the primary key.
pub(crate) async fn insert_decision(
    conn: &mut AnyConnection,
    request: &RequestId,
    decision: &Decision,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO request_decisions (request_id, stage, approver_id, decision, justification, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(request.as_str())
    .bind(i64::from(decision.stage))
    .bind(decision.approver.as_str())
    .bind(match decision.decision {
        DecisionKind::Approve => "approve",
        DecisionKind::Deny => "deny",
    })
    .bind(decision.justification.as_deref())
    .bind(to_millis(decision.decided_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// One request with its decisions.
pub(crate) async fn get(
    conn: &mut AnyConnection,
    id: &RequestId,
) -> Result<Option<Stored>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM access_requests WHERE id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some(with_decisions(conn, &row).await?)),
        None => Ok(None),
    }
}

/// A person's requests, newest first.
pub(crate) async fn of_requestor(
    conn: &mut AnyConnection,
    requestor: &UserId,
) -> Result<Vec<Stored>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM access_requests WHERE requestor_id = $1 ORDER BY created_at DESC, id"))
        .bind(requestor.as_str())
        .fetch_all(&mut *conn)
        .await?;
    let decisions = sqlx::query(&format!(
        "SELECT {DECISION_COLUMNS} FROM request_decisions d JOIN access_requests r ON r.id = d.request_id \
         WHERE r.requestor_id = $1 ORDER BY d.request_id, d.stage"
    ))
    .bind(requestor.as_str())
    .fetch_all(&mut *conn)
    .await?;
    with_all_decisions(&rows, &decisions)
}

/// Claims a request a job found due for this transaction: false when it changed since it
/// was read, or (on PostgreSQL) when another instance's transaction holds it, so the job
/// passes it over (see `skip_locked`).
pub(crate) async fn claim(conn: &mut AnyConnection, stored: &Stored) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "SELECT id FROM access_requests WHERE id = $1 AND version = $2{}",
        super::skip_locked(conn)
    );
    let claimed = sqlx::query(&sql)
        .bind(stored.request.id.as_str())
        .bind(stored.version)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(claimed.is_some())
}

/// Every request in one state, oldest first.
pub(crate) async fn in_state(
    conn: &mut AnyConnection,
    state: RequestState,
) -> Result<Vec<Stored>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM access_requests WHERE state = $1 ORDER BY created_at, id"
    ))
    .bind(state.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let decisions = sqlx::query(&format!(
        "SELECT {DECISION_COLUMNS} FROM request_decisions d JOIN access_requests r ON r.id = d.request_id \
         WHERE r.state = $1 ORDER BY d.request_id, d.stage"
    ))
    .bind(state.as_str())
    .fetch_all(&mut *conn)
    .await?;
    with_all_decisions(&rows, &decisions)
}

/// The open request of a person for a package, if any.
pub(crate) async fn open_for(
    conn: &mut AnyConnection,
    requestor: &UserId,
    package: &PackageId,
) -> Result<Option<RequestId>, sqlx::Error> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT id FROM access_requests WHERE requestor_id = $1 AND package_id = $2 \
         AND state IN ('submitted', 'pendingApproval', 'approved', 'delivering')",
    )
    .bind(requestor.as_str())
    .bind(package.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(id.map(RequestId))
}

/// A person's open requests, by package: one query for the whole My Access list.
pub(crate) async fn open_by_package(
    conn: &mut AnyConnection,
    requestor: &UserId,
) -> Result<std::collections::HashMap<PackageId, RequestId>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT package_id, id FROM access_requests WHERE requestor_id = $1 \
         AND state IN ('submitted', 'pendingApproval', 'approved', 'delivering')",
    )
    .bind(requestor.as_str())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(package, id)| (PackageId(package), RequestId(id)))
        .collect())
}

/// How many open requests go through a policy.
pub(crate) async fn open_for_policy(
    conn: &mut AnyConnection,
    policy: &PolicyId,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM access_requests WHERE policy_id = $1 AND state IN ('submitted', 'pendingApproval', 'approved', 'delivering')",
    )
    .bind(policy.as_str())
    .fetch_one(conn)
    .await
}

/// How many open requests are for a package.
pub(crate) async fn open_for_package(
    conn: &mut AnyConnection,
    package: &PackageId,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM access_requests WHERE package_id = $1 AND state IN ('submitted', 'pendingApproval', 'approved', 'delivering')",
    )
    .bind(package.as_str())
    .fetch_one(conn)
    .await
}

/// The requests of a policy that wait for a decision at stage `first_removed` or later.
pub(crate) async fn pending_from_stage(
    conn: &mut AnyConnection,
    policy: &PolicyId,
    first_removed: usize,
) -> Result<Vec<RequestId>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM access_requests WHERE policy_id = $1 AND state = 'pendingApproval' AND current_stage >= $2 ORDER BY created_at, id",
    )
    .bind(policy.as_str())
    .bind(i64::try_from(first_removed).unwrap_or(i64::MAX))
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(RequestId).collect())
}
const DECISION_COLUMNS: &str =
    "d.request_id, d.stage, d.approver_id, d.decision, d.justification, d.decided_at";

async fn with_decisions(conn: &mut AnyConnection, row: &AnyRow) -> Result<Stored, sqlx::Error> {
    let mut stored = from_row(row)?;
    let rows = sqlx::query(&format!(
        "SELECT {DECISION_COLUMNS} FROM request_decisions d WHERE d.request_id = $1 ORDER BY d.stage"
    ))
    .bind(stored.request.id.as_str())
    .fetch_all(conn)
    .await?;
    for row in &rows {
        stored.request.decisions.push(decision_from_row(row)?);
    }
    Ok(stored)
}

/// Requests with their decisions, loaded by one query for all of them (ordered by request
/// and stage) rather than one per request.
fn with_all_decisions(rows: &[AnyRow], decisions: &[AnyRow]) -> Result<Vec<Stored>, sqlx::Error> {
    let mut by_request: std::collections::HashMap<String, Vec<Decision>> =
        std::collections::HashMap::new();
    for row in decisions {
        let request: String = row.try_get("request_id")?;
        by_request
            .entry(request)
            .or_default()
            .push(decision_from_row(row)?);
    }
    rows.iter()
        .map(|row| {
            let mut stored = from_row(row)?;
            stored.request.decisions = by_request
                .remove(stored.request.id.as_str())
                .unwrap_or_default();
            Ok(stored)
        })
        .collect()
}

fn decision_from_row(row: &AnyRow) -> Result<Decision, sqlx::Error> {
    let decision: String = row.try_get("decision")?;
    Ok(Decision {
        stage: u8::try_from(row.try_get::<i64, _>("stage")?).unwrap_or(u8::MAX),
        approver: UserId(row.try_get("approver_id")?),
        decision: match decision.as_str() {
            "approve" => DecisionKind::Approve,
            "deny" => DecisionKind::Deny,
            _ => return Err(bad_value("request_decisions.decision", &decision)),
        },
        justification: row.try_get("justification")?,
        decided_at: from_millis(row.try_get("decided_at")?),
    })
}

fn from_row(row: &AnyRow) -> Result<Stored, sqlx::Error> {
    let request_type: String = row.try_get("request_type")?;
    let state: String = row.try_get("state")?;
    let request = AccessRequest {
        id: RequestId(row.try_get("id")?),
        request_type: parse_type(&request_type)
            .ok_or_else(|| bad_value("access_requests.request_type", &request_type))?,
        requestor: UserId(row.try_get("requestor_id")?),
        created_by: UserId(row.try_get("created_by")?),
        access_package_id: PackageId(row.try_get("package_id")?),
        policy_id: PolicyId(row.try_get("policy_id")?),
        state: RequestState::parse(&state)
            .ok_or_else(|| bad_value("access_requests.state", &state))?,
        current_stage: row
            .try_get::<Option<i64>, _>("current_stage")?
            .map(|stage| u8::try_from(stage).unwrap_or(u8::MAX)),
        stage_started_at: row
            .try_get::<Option<i64>, _>("stage_started_at")?
            .map(from_millis),
        escalated: row.try_get::<i64, _>("escalated")? != 0,
        justification: row.try_get("justification")?,
        answers: from_json(&row.try_get::<String, _>("answers_json")?)?,
        schedule: Schedule {
            start: row
                .try_get::<Option<i64>, _>("schedule_start")?
                .map(from_millis),
            end: row
                .try_get::<Option<i64>, _>("schedule_end")?
                .map(from_millis),
        },
        decisions: Vec::new(),
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    };
    Ok(Stored {
        request,
        version: row.try_get("version")?,
    })
}

fn type_name(request_type: RequestType) -> &'static str {
    match request_type {
        RequestType::UserAdd => "userAdd",
        RequestType::UserExtend => "userExtend",
        RequestType::UserRemove => "userRemove",
        RequestType::AdminAdd => "adminAdd",
        RequestType::AdminRemove => "adminRemove",
    }
}

fn parse_type(text: &str) -> Option<RequestType> {
    [
        RequestType::UserAdd,
        RequestType::UserExtend,
        RequestType::UserRemove,
        RequestType::AdminAdd,
        RequestType::AdminRemove,
    ]
    .into_iter()
    .find(|candidate| type_name(*candidate) == text)
}
