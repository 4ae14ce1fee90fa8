//! The HTTP surface: `/api/v1` (one module per route group), the operator's endpoints
//! (`/healthz`, `/livez`, `/readyz`, `/metrics`), and the built SPA with a fallback to
//! `index.html` for client-side routes.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Html;
use axum::routing::any;
use axum::{Extension, Json, Router};
use entrada_domain::api::{Problem, ProblemType};
use entrada_domain::web_build::WebBuild;
use sqlx::AnyPool;
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::Clock;
use crate::Config;

pub(crate) mod admin_packages;
mod assignments;
mod audit;
mod authorize;
mod cached;
pub(crate) mod catalogs;
mod directory;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod integrations;
mod notifications;
pub(crate) mod oidc;
mod organizations;
mod packages;
mod platform;
mod reports;
mod requests;
pub(crate) mod scim;
pub(crate) mod security;
mod session;
mod settings;
mod setup;
mod signup;

pub(crate) use error::ApiError;

/// Largest JSON body the API reads.
const BODY_LIMIT_BYTES: usize = 256 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub db: AnyPool,
    /// The OpenID provider people may sign in through, when one is configured.
    pub oidc: Option<Arc<crate::oidc::Oidc>>,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    /// Answers kept in memory, current by the database's data versions.
    pub cache: Arc<crate::cache::Cache>,
    /// Session checks, read together under load.
    pub sessions: Arc<crate::session_checks::SessionChecks>,
    /// This instance's metrics (`GET /metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Set once shutdown began: readiness answers 503 while requests drain.
    pub draining: Arc<AtomicBool>,
}

/// The OpenAPI document's frame; the paths come from the handlers' `#[utoipa::path]`.
#[derive(OpenApi)]
#[openapi(
    info(title = "Entrada API", description = "Self-hosted entitlement management. Every error is RFC 9457 application/problem+json."),
    components(schemas(Problem, ProblemType)),
    tags(
        (name = "session", description = "Signing in and out"),
        (name = "my access", description = "What people may request"),
        (name = "catalogs", description = "Catalogs, their roles and resources"),
        (name = "access packages", description = "Access packages and what they grant"),
        (name = "policies", description = "Assignment policies and their preview"),
        (name = "assignments", description = "Direct assignment and removal"),
        (name = "requests", description = "Requests, approvals and decisions"),
        (name = "connected organizations", description = "Partner organisations"),
        (name = "directory", description = "The directory, for pickers"),
        (name = "settings", description = "Organisation-wide settings"),
        (name = "notifications", description = "E-mail: preferences and the outbox"),
        (name = "platform", description = "Health and this document"),
        (name = "scim", description = "SCIM 2.0 provisioning at /scim/v2, with a token from `entrada scim token create`")
    )
)]
struct ApiDoc;

/// Every documented API route under `/api/v1`, and the OpenAPI document describing them.
/// Routes are only ever added here through `routes!`, which needs a `#[utoipa::path]`, so
/// the document cannot miss one (a test checks no plain `.route(` creeps in).
pub(crate) fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let api = OpenApiRouter::new()
        .merge(session::router())
        .merge(oidc::router())
        .merge(integrations::router())
        .merge(packages::router())
        .merge(admin_packages::router())
        .merge(catalogs::router())
        .merge(assignments::router())
        .merge(directory::router())
        .merge(setup::router())
        .merge(requests::router())
        .merge(organizations::router())
        .merge(settings::router())
        .merge(audit::router())
        .merge(reports::router())
        .merge(signup::router())
        .merge(notifications::router())
        .routes(routes!(openapi_json));
    let (router, mut document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api)
        .merge(platform::router())
        .merge(scim::router())
        .split_for_parts();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    describe_problems(&mut document);
    describe_metrics_token(&mut document);
    scim::describe_token(&mut document);
    (router, document)
}

/// Lists every problem `type` (from the domain's one enum) on the Problem schema.
fn describe_problems(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{RefOr, Schema};
    let Some(components) = document.components.as_mut() else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem") {
        problem.description = Some(ProblemType::documentation());
    }
}

/// Names the bearer token `/metrics` accepts as a security scheme of the document.
fn describe_metrics_token(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
    let components = document.components.get_or_insert_with(Default::default);
    let mut scheme = Http::new(HttpAuthScheme::Bearer);
    scheme.description = Some(
        "The operator's metrics token, from the file given with --metrics-token-file.".to_owned(),
    );
    components.add_security_scheme("metrics_token", SecurityScheme::Http(scheme));
}

/// The whole application router.
pub(crate) fn router(state: AppState) -> Router {
    let (routes, document) = api_routes();
    // Unknown paths under /api stay JSON problems; every other unknown path is the SPA's.
    let unknown_api = Router::new()
        .route("/api", any(|| async { ApiError::NoRoute }))
        .route("/api/{*rest}", any(|| async { ApiError::NoRoute }))
        .route("/scim/{*rest}", any(|| async { ApiError::NoRouteInScim }));
    let x_request_id = header::HeaderName::from_static("x-request-id");
    let security = Arc::new(security::Security::new(
        state.config.static_dir.as_deref(),
        state.config.secure_cookies,
        state.config.public_origin.as_deref(),
    ));
    let metrics = state.metrics.clone();
    routes
        .merge(unknown_api)
        .route_layer(axum::middleware::from_fn(platform::remember_route))
        .layer(axum::middleware::from_fn(extract::refuse_nul_in_uri))
        .layer(Extension(Arc::new(document)))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        // Answers served from the cache say how browsers may keep them (see `cached`).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // Only API answers are compressed on the fly; the web app's files were compressed
        // when it was built (see `spa`).
        .layer(CompressionLayer::new())
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback_service(spa(state.config.static_dir.as_deref()))
        .layer(axum::middleware::from_fn_with_state(
            security,
            security::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            platform::observe,
        ))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
        .with_state(state)
}

/// `GET /api/v1/openapi.json`: this API, as OpenAPI 3.1.
#[utoipa::path(get, path = "/openapi.json", tag = "platform", summary = "This API as an OpenAPI 3.1 document", responses((status = 200, description = "The OpenAPI document", content_type = "application/json"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn openapi_json(
    Extension(document): Extension<Arc<utoipa::openapi::OpenApi>>,
) -> Json<utoipa::openapi::OpenApi> {
    Json(document.as_ref().clone())
}

/// Serves the built SPA; unknown paths get an `index.html` so deep links work. The `.br`
/// and `.gz` siblings `cargo xtask build` writes are sent to browsers that accept them, so
/// the wasm is not compressed again on every load.
///
/// The web app comes in three builds (`entrada_domain::web_build`), and each page gets the
/// smallest build this `dist/` has that holds it (the largest it has, when none does):
/// `/` and `/sign-in` the first load in `dist/`, every other page the portal in
/// `dist/portal/`, and every path under `/admin` the whole app in `dist/admin/`. Each
/// build's hashed files are served from its folder.
fn spa(static_dir: Option<&Path>) -> Router {
    let Some(dir) = static_dir.filter(|dir| dir.join("index.html").is_file()) else {
        return Router::new()
            .fallback(|| async { (StatusCode::SERVICE_UNAVAILABLE, Html(SPA_MISSING)) });
    };
    let index = |folder: &Path| {
        ServeFile::new(folder.join("index.html"))
            .precompressed_br()
            .precompressed_gzip()
    };
    let files = |folder: &Path| {
        ServeDir::new(folder)
            .precompressed_br()
            .precompressed_gzip()
    };
    let built: Vec<WebBuild> = WebBuild::ALL
        .into_iter()
        .filter(|build| dir.join(build.folder()).join("index.html").is_file())
        .collect();
    let pages = {
        let dir = dir.to_path_buf();
        let built = built.clone();
        tower::service_fn(move |request: axum::extract::Request| {
            let path = request.uri().path();
            let build = built
                .iter()
                .find(|build| build.holds(path))
                .or(built.last())
                .copied()
                .unwrap_or(WebBuild::FirstLoad);
            index(&dir.join(build.folder())).oneshot(request)
        })
    };
    // The other builds' files, and their pages under their folder's path.
    built
        .iter()
        .filter(|build| **build != WebBuild::FirstLoad)
        .fold(Router::new(), |router, build| {
            let folder = dir.join(build.folder());
            router.nest_service(
                &format!("/{}", build.folder()),
                files(&folder).fallback(index(&folder)),
            )
        })
        .fallback_service(files(dir).fallback(pages))
}

const SPA_MISSING: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Entrada</title>\
<main><h1>Entrada</h1><p>The web app has not been built. Run <code>cargo xtask serve</code>, or pass \
<code>--static-dir</code> pointing at a folder that holds the built <code>index.html</code>.</p></main></html>";
