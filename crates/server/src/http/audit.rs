//! The audit log: `GET /audit` (a filtered page, newest first), `GET /audit.csv` (the same
//! filter, streamed a page at a time, never built in memory) and `GET /audit/verify` (the
//! hash chain). Administrators read everything; catalog owners and readers only their
//! catalogs' events.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use entrada_domain::api::Problem;
use entrada_domain::audit::{
    audit_cursor, csv_line, AuditFilter, AuditPage, AuditQuery, ChainCheck, AUDIT_CSV_HEADER,
};
use entrada_domain::permission::{audit_scope, Action, AuditScope};
use sqlx::AnyPool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::authorize::in_organization;
use crate::http::extract::SignedIn;
use crate::http::{ApiError, AppState};
use crate::store;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(export))
        .routes(routes!(verify))
}

/// The filter and the caller's scope, or why not.
fn filter_and_scope(
    signed_in: &SignedIn,
    params: &HashMap<String, String>,
) -> Result<(AuditFilter, AuditScope), ApiError> {
    let scope = audit_scope(&signed_in.actor).ok_or(ApiError::Forbidden)?;
    let query = AuditQuery::from_pairs(
        params
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str())),
    );
    Ok((query.validate()?, scope))
}

/// `GET /audit`: one page of events, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", summary = "Audit events, filtered, newest first, paged by cursor", params(AuditQuery), responses((status = 200, body = AuditPage), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn list(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<AuditPage>, ApiError> {
    let (filter, scope) = filter_and_scope(&signed_in, &params)?;
    let mut conn = app.db.acquire().await?;
    // One more than the page shows tells whether there is a next page.
    let mut events = store::audit::page(&mut conn, &filter, &scope, filter.limit + 1).await?;
    let more = events.len() > filter.limit as usize;
    events.truncate(filter.limit as usize);
    let next_cursor = match more {
        true => events
            .last()
            .map(|last| audit_cursor(crate::clock::to_millis(last.at), last.seq)),
        false => None,
    };
    Ok(Json(AuditPage {
        events,
        next_cursor,
    }))
}

/// Rows per query while exporting: memory holds one such page, whatever the log's size.
const EXPORT_PAGE: u32 = 1_000;

/// `GET /audit.csv`: every event the filter matches, as CSV, streamed.
#[utoipa::path(get, path = "/audit.csv", tag = "audit", summary = "Audit events matching the filter, as CSV (streamed)", params(AuditQuery), responses((status = 200, description = "CSV, one event per row, newest first", content_type = "text/csv"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn export(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (filter, scope) = filter_and_scope(&signed_in, &params)?;
    let stream = csv_stream(app.db.clone(), filter, scope);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"entrada-audit.csv\"",
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

enum Export {
    Header,
    After(Option<(i64, i64)>),
    Done,
}

/// The CSV as a stream of chunks: the header, then one chunk per page of events, each
/// page read from where the last ended (the same cursor the page uses).
fn csv_stream(
    db: AnyPool,
    filter: AuditFilter,
    scope: AuditScope,
) -> impl futures_util::Stream<Item = Result<Bytes, sqlx::Error>> {
    futures_util::stream::try_unfold(Export::Header, move |state| {
        let db = db.clone();
        let mut filter = filter.clone();
        let scope = scope.clone();
        async move {
            match state {
                Export::Header => Ok(Some((
                    Bytes::from(csv_line(&AUDIT_CSV_HEADER)),
                    Export::After(filter.cursor),
                ))),
                Export::After(cursor) => {
                    filter.cursor = cursor;
                    let mut conn = db.acquire().await?;
                    let events =
                        store::audit::page(&mut conn, &filter, &scope, EXPORT_PAGE).await?;
                    drop(conn);
                    let Some(last) = events.last() else {
                        return Ok(None);
                    };
                    let next = match events.len() < EXPORT_PAGE as usize {
                        true => Export::Done,
                        false => Export::After(Some((crate::clock::to_millis(last.at), last.seq))),
                    };
                    let chunk: String = events
                        .iter()
                        .map(|event| csv_line(&event.csv_fields()))
                        .collect();
                    Ok(Some((Bytes::from(chunk), next)))
                }
                Export::Done => Ok(None),
            }
        }
    })
}

/// `GET /audit/verify`: walks the hash chain and names the first bad event.
#[utoipa::path(get, path = "/audit/verify", tag = "audit", summary = "Check the audit log's hash chain (administrators)", responses((status = 200, body = ChainCheck), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn verify(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<ChainCheck>, ApiError> {
    in_organization(&signed_in, Action::ReadAudit)?;
    Ok(Json(crate::audit::verify(&app.db).await?))
}
