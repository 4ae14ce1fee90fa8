//! `entrada-server` is the imperative shell around `entrada-domain`: the HTTP API under
//! `/api/v1`, persistence in SQLite or PostgreSQL through one sqlx code path, the background
//! jobs, and the host of the built SPA.
//!
//! Architecture invariant: handlers parse, authorize with the domain's permission check,
//! let the domain decide, then store the change and its audit event in one transaction.
//! Decisions live in `entrada-domain`, never here. Time comes from a [`Clock`], so tests
//! never sleep.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::serve::ListenerExt;
use sqlx::AnyPool;
use tokio::net::TcpListener;

pub mod accounts;
pub mod audit;
mod cache;
pub mod clock;
pub mod db;
mod delivery;
pub mod demo;
pub mod directory_sync;
mod guest_lifecycle;
mod guests;
mod http;
pub mod jobs;
mod lifecycle;
pub mod mail;
pub mod metrics;
mod notify;
pub mod oidc;
pub mod password;
pub mod scale;
pub mod scim;
mod session_checks;
mod signups;
mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use db::Backend;
pub use store::sessions::SessionPolicy;

/// How the server runs.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`.
    pub database_url: String,
    /// Folder with the built SPA (`index.html`); none serves a page saying how to build it.
    pub static_dir: Option<PathBuf>,
    /// How long sessions last.
    pub sessions: SessionPolicy,
    /// Whether the session cookie is marked `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Whether the background jobs run in this process.
    pub run_jobs: bool,
    /// The origin people reach the server at (`https://entrada.example`), when it differs
    /// from the `Host` the server sees (behind a proxy that rewrites it). State-changing
    /// requests from a browser must come from this origin or the request's own host.
    pub public_origin: Option<String>,
    /// Whether a proxy in front sets `X-Forwarded-For`; sign-in throttling then counts the
    /// address it names instead of the proxy's. Off unless the server is reachable only
    /// through that proxy (otherwise anyone could name any address).
    pub trust_forwarded_for: bool,
    /// The SMTP server messages go through (`smtp://host:port`, `smtps://…`); none keeps
    /// them in the outbox, unsent.
    pub smtp_url: Option<String>,
    /// The sender of messages, e.g. `Entrada <entrada@example.com>`.
    pub mail_from: String,
    /// The bearer token a metrics scraper sends to `GET /metrics`; without one, only
    /// signed-in administrators read the metrics.
    pub metrics_token: Option<String>,
    /// The OpenID provider people may sign in through.
    pub oidc: Option<oidc::OidcConfig>,
    /// Whether people may sign in with a password (on unless turned off).
    pub password_sign_in: bool,
    /// The LDAP / Active Directory directory to sync people and groups from.
    pub ldap: Option<directory_sync::LdapConfig>,
}

impl Config {
    /// The address people open links at, for deep links in messages: `public_origin`
    /// when set, else `http://` and the address the server listens on (`localhost` for an
    /// unspecified address such as `0.0.0.0`).
    pub fn link_base(&self) -> String {
        if let Some(origin) = &self.public_origin {
            return origin.trim_end_matches('/').to_owned();
        }
        match self.bind.ip().is_unspecified() {
            true => format!("http://localhost:{}", self.bind.port()),
            false => format!("http://{}", self.bind),
        }
    }

    /// Defaults for `database_url`, listening on `bind`.
    pub fn new(bind: SocketAddr, database_url: impl Into<String>) -> Self {
        Self {
            bind,
            database_url: database_url.into(),
            static_dir: None,
            sessions: SessionPolicy::default(),
            secure_cookies: false,
            run_jobs: true,
            public_origin: None,
            trust_forwarded_for: false,
            smtp_url: None,
            mail_from: "Entrada <entrada@localhost>".to_owned(),
            metrics_token: None,
            oidc: None,
            password_sign_in: true,
            ldap: None,
        }
    }
}

/// Shows the database URL without its password, so a logged `Config` leaks nothing.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &db::redact_url(&self.database_url))
            .field("static_dir", &self.static_dir)
            .field("sessions", &self.sessions)
            .field("secure_cookies", &self.secure_cookies)
            .field("run_jobs", &self.run_jobs)
            .field("public_origin", &self.public_origin)
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .field("smtp_url", &self.smtp_url.as_deref().map(db::redact_url))
            .field("mail_from", &self.mail_from)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "(set)"),
            )
            .field("oidc", &self.oidc)
            .field("password_sign_in", &self.password_sign_in)
            .field("ldap", &self.ldap)
            .finish()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Database(#[from] db::DbError),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The SMTP settings are not usable.
    #[error(transparent)]
    Mail(#[from] mail::MailConfigError),
    /// The OpenID provider's settings are not usable.
    #[error("OpenID provider: {0}")]
    Oidc(oidc::OidcError),
}

/// A built server: database open and migrated, socket bound, not yet serving.
pub struct App {
    listener: TcpListener,
    state: http::AppState,
    backend: Backend,
    /// On SQLite, the lock of the one instance that runs the jobs (held until dropped).
    _jobs_lock: Option<db::JobsLock>,
}

impl App {
    /// Opens and migrates the database and binds the socket.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> Result<App, StartError> {
        mail::Smtp::of(&config)?;
        let (db, backend) = db::connect(&config.database_url).await?;
        // After connecting, which made the SQLite file's folder; before anything is written.
        let jobs_lock = match (backend, config.run_jobs) {
            (Backend::Sqlite, true) => db::lock_sqlite_jobs(&config.database_url)?,
            _ => None,
        };
        db::migrate(&db).await?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartError::Bind {
                address: config.bind,
                source,
            })?;
        let mut config = config;
        // Port 0 picks a free port: links in messages name the one actually bound.
        if let Ok(bound) = listener.local_addr() {
            config.bind = bound;
        }
        mail::on_start(&db, &config, clock.now())
            .await
            .map_err(db::DbError::from)?;
        let oidc = match &config.oidc {
            Some(provider) => {
                let redirect = format!("{}{}", config.link_base(), http::oidc::CALLBACK_PATH);
                Some(Arc::new(
                    oidc::Oidc::new(provider.clone(), redirect).map_err(StartError::Oidc)?,
                ))
            }
            None => None,
        };
        let state = http::AppState {
            sessions: Arc::new(session_checks::SessionChecks::start(db.clone())),
            db,
            oidc,
            config: Arc::new(config),
            clock,
            cache: Arc::default(),
            metrics: Arc::default(),
            draining: Arc::default(),
        };
        Ok(App {
            listener,
            state,
            backend,
            _jobs_lock: jobs_lock,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.state.config.bind)
    }

    /// The database pool.
    pub fn db(&self) -> &AnyPool {
        &self.state.db
    }

    /// Which database backend is in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Serves until `shutdown` completes, running the background jobs when configured.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_jobs, jobs_stop) = tokio::sync::watch::channel(false);
        let jobs = match self.state.config.run_jobs {
            true => Some(tokio::spawn(jobs::run_forever(
                self.state.db.clone(),
                self.state.clock.clone(),
                self.state.metrics.clone(),
                jobs_stop,
            ))),
            false => None,
        };
        let directory = match (&self.state.config.ldap, self.state.config.run_jobs) {
            (Some(ldap), true) => Some(tokio::spawn(directory_sync::run_forever(
                self.state.db.clone(),
                ldap.clone(),
                self.state.clock.clone(),
                stop_jobs.subscribe(),
            ))),
            _ => None,
        };
        let mail = mail::start(&self.state.db, &self.state.clock, &self.state.config);
        // Readiness says "shutting down" from the signal on, while requests drain.
        let draining = self.state.draining.clone();
        let shutdown = async move {
            shutdown.await;
            draining.store(true, std::sync::atomic::Ordering::Relaxed);
        };
        let router = http::router(self.state);
        // Without TCP_NODELAY a response written in pieces over a kept-alive connection
        // waits for the client's delayed ACK (about 40 ms) before its last piece goes out.
        let listener = self.listener.tap_io(|stream| {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "could not set TCP_NODELAY on a connection");
            }
        });
        let served = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        // In-flight requests have finished; the jobs finish the pass under way.
        let _ = stop_jobs.send(true);
        if let Some(mut jobs) = jobs {
            if tokio::time::timeout(JOBS_DRAIN, &mut jobs).await.is_err() {
                tracing::warn!(
                    "the background jobs did not finish their pass within {} s; stopping them (each item is its own transaction, so none is left half done)",
                    JOBS_DRAIN.as_secs()
                );
                jobs.abort();
            }
        }
        if let Some(mut directory) = directory {
            if tokio::time::timeout(JOBS_DRAIN, &mut directory)
                .await
                .is_err()
            {
                tracing::warn!("the directory sync did not finish within {} s; stopping it (it applies its changes in one transaction, so nothing is left half done)", JOBS_DRAIN.as_secs());
                directory.abort();
            }
        }
        if let Some(mail) = mail {
            mail.abort();
        }
        served
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }
}

/// How long a shutdown waits for the background jobs to finish the pass under way.
const JOBS_DRAIN: std::time::Duration = std::time::Duration::from_secs(30);

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
