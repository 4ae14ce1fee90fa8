//! The HTTP surface: `/api/v1` (one module per route group), `GET /healthz`, and the built
//! SPA with a fallback to `index.html` for client-side routes.

use std::path::Path;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use sqlx::AnyPool;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::clock::Clock;
use crate::Config;

pub(crate) mod admin_packages;
mod assignments;
mod authorize;
pub(crate) mod catalogs;
mod directory;
pub(crate) mod error;
pub(crate) mod extract;
mod packages;
mod session;
mod setup;

pub(crate) use error::ApiError;

/// Largest JSON body the API reads.
const BODY_LIMIT_BYTES: usize = 256 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub db: AnyPool,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
}

/// The whole application router.
pub(crate) fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(session::router())
        .merge(packages::router())
        .merge(admin_packages::router())
        .merge(catalogs::router())
        .merge(assignments::router())
        .merge(directory::router())
        .merge(setup::router())
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));

    let x_request_id = header::HeaderName::from_static("x-request-id");
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1", api)
        .fallback_service(spa(state.config.static_dir.as_deref()))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
        .with_state(state)
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(&state.db)
        .await
    {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::error!(%error, "health check could not reach the database");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Serves the built SPA; unknown paths get `index.html` so deep links work.
fn spa(static_dir: Option<&Path>) -> Router {
    match static_dir.filter(|dir| dir.join("index.html").is_file()) {
        Some(dir) => Router::new()
            .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")))),
        None => Router::new()
            .fallback(|| async { (StatusCode::SERVICE_UNAVAILABLE, Html(SPA_MISSING)) }),
    }
}

const SPA_MISSING: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Entrada</title>\
<main><h1>Entrada</h1><p>The web app has not been built. Run <code>cargo xtask serve</code>, or pass \
<code>--static-dir</code> pointing at a folder that holds the built <code>index.html</code>.</p></main></html>";
