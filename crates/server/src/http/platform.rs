//! What an operator's tools ask, outside `/api/v1`: liveness (`/livez`), readiness
//! (`/readyz`, and `/healthz` as before), and Prometheus metrics (`/metrics`); and the
//! middleware that counts every request for the metrics.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use entrada_domain::permission::Action;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::SignedIn;
use crate::http::{authorize, ApiError, AppState};
use crate::metrics::{self, Metrics};
use crate::store;

/// The paths of this module: answered as the API is (problems, no web app headers).
pub(crate) const PATHS: [&str; 4] = ["/healthz", "/livez", "/readyz", "/metrics"];

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(livez))
        .routes(routes!(readyz))
        .routes(routes!(metrics_text))
}

/// `GET /livez`: 200 while the process answers requests. It asks nothing of the database,
/// so an orchestrator restarts the process only when the process itself is stuck.
#[utoipa::path(get, path = "/livez", tag = "platform", summary = "Liveness: ok while the process answers", responses((status = 200, description = "ok", body = String)))]
async fn livez() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 when this instance should get traffic: the database answers and the
/// instance is not shutting down (after SIGTERM it answers 503 while it drains).
#[utoipa::path(get, path = "/readyz", tag = "platform", summary = "Readiness: ok when the database answers and the instance is not shutting down", responses((status = 200, description = "ok", body = String), (status = 503, description = "database unavailable, or shutting down", body = String)))]
async fn readyz(State(app): State<AppState>) -> (StatusCode, &'static str) {
    ready(&app).await
}

/// `GET /healthz`: the readiness check under its first name.
#[utoipa::path(get, path = "/healthz", tag = "platform", summary = "Health check: ok when the database answers (the same as /readyz)", responses((status = 200, description = "ok", body = String), (status = 503, description = "database unavailable, or shutting down", body = String)))]
async fn healthz(State(app): State<AppState>) -> (StatusCode, &'static str) {
    ready(&app).await
}

async fn ready(app: &AppState) -> (StatusCode, &'static str) {
    if app.draining.load(Ordering::Relaxed) {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    match crate::db::answers(&app.db).await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::error!(%error, "readiness check could not reach the database");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// `GET /metrics`: Prometheus metrics in the OpenMetrics text format, for a scraper that
/// sends the operator's token (`Authorization: Bearer …`, set with `--metrics-token-file`)
/// or for a signed-in administrator.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "platform",
    summary = "Prometheus metrics: requests by route and status, latency, the jobs, the backlog",
    security((), ("metrics_token" = [])),
    responses(
        (status = 200, description = "The metrics, OpenMetrics text", content_type = "application/openmetrics-text", body = String),
        (status = 401, description = "No metrics token or session, or a wrong token", body = entrada_domain::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Signed in, but not an administrator", body = entrada_domain::api::Problem, content_type = "application/problem+json")
    )
)]
async fn metrics_text(State(app): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let (mut parts, _) = request.into_parts();
    match bearer(&parts.headers) {
        Some(token) => {
            let expected = app.config.metrics_token.as_deref();
            if !expected.is_some_and(|expected| same_secret(expected, token)) {
                return Err(ApiError::BadMetricsToken {
                    configured: expected.is_some(),
                });
            }
        }
        None => {
            let signed_in = SignedIn::from_request_parts(&mut parts, &app).await?;
            authorize::in_organization(&signed_in, Action::ReadMetrics)?;
        }
    }
    let backlog = {
        let mut conn = app.db.acquire().await?;
        store::backlog::read(&mut conn, app.clock.now()).await?
    };
    let text = app.metrics.render(&backlog);
    Ok(([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response())
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Compares two secrets in time that does not depend on where they differ: their digests
/// are compared, and a digest's shared prefix tells nothing about the secret.
fn same_secret(expected: &str, given: &str) -> bool {
    Sha256::digest(expected.as_bytes()) == Sha256::digest(given.as_bytes())
}

/// Inside the router: puts the matched route's template on the response, for [`observe`].
pub(crate) async fn remember_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Around everything: counts each request by its method, route template and status, and
/// times it to its response's head.
pub(crate) async fn observe(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let method = known_method(request.method());
    let api = crate::http::security::is_api(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await;
    let route = match response.extensions().get::<MatchedPath>() {
        Some(route) => route.as_str(),
        None if api => metrics::UNMATCHED,
        None => metrics::WEB_APP,
    };
    metrics.observe_request(method, route, response.status().as_u16(), started.elapsed());
    response
}

/// The method's name, or `other` for one outside HTTP's usual set (so a client cannot
/// grow the label set with made-up methods).
fn known_method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_token_is_read_whatever_the_scheme_case() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(header::AUTHORIZATION, "Bearer abc123".parse().unwrap());
        assert_eq!(bearer(&headers), Some("abc123"));
        headers.insert(header::AUTHORIZATION, "bearer  abc123 ".parse().unwrap());
        assert_eq!(bearer(&headers), Some("abc123"));
        headers.insert(header::AUTHORIZATION, "Basic abc123".parse().unwrap());
        assert_eq!(bearer(&headers), None);
    }

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(same_secret("s3cret-token", "s3cret-token"));
        assert!(!same_secret("s3cret-token", "s3cret-tokeN"));
        assert!(!same_secret("s3cret-token", ""));
    }
}
