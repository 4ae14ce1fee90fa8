//! `TestApp`: the real server with a fresh database and a manual clock, and a
//! cookie-keeping HTTP client.

use std::net::SocketAddr;
use std::sync::Arc;

use entrada_server::{App, Backend, Config, ManualClock};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::oneshot;

/// The environment variable naming the PostgreSQL cluster's admin URL.
pub const POSTGRES_URL_VAR: &str = "ENTRADA_TEST_POSTGRES_URL";

/// Runs one async test body against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident => $body:expr;)*) => {$(
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn(entrada_server::Backend::Sqlite).await;
                ($body)(app).await;
            }
            #[tokio::test]
            async fn postgres() {
                let Some(app) = $crate::helpers::TestApp::spawn_postgres().await else { return };
                ($body)(app).await;
            }
        }
    )*};
}

pub struct TestApp {
    pub address: SocketAddr,
    pub database_url: String,
    pub clock: Arc<ManualClock>,
    pub client: Client,
    pub db: sqlx::AnyPool,
    /// The SMTP server this instance sends through, when started with one.
    pub smtp_url: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestApp {
    /// The server on a fresh database of `backend`, with the demo organisation loaded.
    pub async fn spawn(backend: Backend) -> TestApp {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/entrada.db", dir.path().display());
                Self::start(url, Some(dir), None, |_| {}).await
            }
            Backend::Postgres => Self::spawn_postgres()
                .await
                .expect("PostgreSQL is configured"),
        }
    }

    /// The server on a fresh PostgreSQL database; `None` (skipped, said on stderr) when no
    /// cluster is configured outside CI. Under `CI=true` a missing cluster fails the test.
    pub async fn spawn_postgres() -> Option<TestApp> {
        let url = Self::fresh_postgres_database().await?;
        Some(Self::start(url, None, None, |_| {}).await)
    }

    /// The server on a fresh database of `backend` with `configure` applied to its
    /// configuration (e.g. an SMTP URL); `None` when PostgreSQL is asked for but not
    /// configured (outside CI).
    pub async fn spawn_with(
        backend: Backend,
        configure: impl FnOnce(&mut Config),
    ) -> Option<TestApp> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/entrada.db", dir.path().display());
                Some(Self::start(url, Some(dir), None, configure).await)
            }
            Backend::Postgres => {
                let url = Self::fresh_postgres_database().await?;
                Some(Self::start(url, None, None, configure).await)
            }
        }
    }

    async fn fresh_postgres_database() -> Option<String> {
        let admin_url = match std::env::var(POSTGRES_URL_VAR) {
            Ok(url) => url,
            Err(_) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
                panic!("{POSTGRES_URL_VAR} is not set under CI=true: PostgreSQL tests must run (use `cargo xtask test`)")
            }
            Err(_) => {
                eprintln!("skipped: {POSTGRES_URL_VAR} is not set; run `cargo xtask test` for the PostgreSQL tests");
                return None;
            }
        };
        let name = format!("t_{}", uuid_like());
        let (admin, _) = entrada_server::db::connect(&admin_url)
            .await
            .expect("connect to the PostgreSQL cluster");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;
        let base = admin_url
            .rsplit_once('/')
            .map(|(base, _)| base)
            .unwrap_or(&admin_url);
        Some(format!("{base}/{name}"))
    }

    /// The server with a static folder holding the given `index.html`.
    pub async fn spawn_with_spa(index_html: &str) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let dist = dir.path().join("dist");
        std::fs::create_dir_all(&dist).expect("dist dir");
        std::fs::write(dist.join("index.html"), index_html).expect("index.html");
        let url = format!("sqlite://{}/entrada.db", dir.path().display());
        Self::start(url, Some(dir), Some(dist), |_| {}).await
    }

    async fn start(
        url: String,
        dir: Option<tempfile::TempDir>,
        static_dir: Option<std::path::PathBuf>,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
        let mut config = Config::new("127.0.0.1:0".parse().expect("address"), url.clone());
        config.static_dir = static_dir;
        config.run_jobs = false;
        configure(&mut config);
        let smtp_url = config.smtp_url.clone();
        let app = App::build(config, clock.clone())
            .await
            .expect("server starts");
        let db = app.db().clone();
        entrada_server::demo::load(&db, OffsetDateTime::now_utc())
            .await
            .expect("demo loads");
        let address = app.local_addr();
        let (shutdown, stop) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = stop.await;
        }));
        TestApp {
            address,
            database_url: url,
            clock,
            client: new_client(),
            db,
            smtp_url,
            shutdown: Some(shutdown),
            _dir: dir,
        }
    }

    /// Another server instance on the same database (as after a restart, or a second
    /// instance behind a load balancer), with its own clock set to this one's time.
    pub async fn another_instance(&self) -> TestApp {
        let other = Self::start(self.database_url.clone(), None, None, |_| {}).await;
        let lag = entrada_server::Clock::now(self.clock.as_ref())
            - entrada_server::Clock::now(other.clock.as_ref());
        other.clock.advance(lag);
        other
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub fn api(&self, path: &str) -> String {
        self.url(&format!("/api/v1{path}"))
    }

    /// A second person's client (its own cookie jar).
    pub fn new_client(&self) -> Client {
        new_client()
    }

    /// Signs `client` in as a demo person.
    pub async fn sign_in_as(&self, client: &Client, name: &str) -> Response {
        let email = match name.contains('@') {
            true => name.to_owned(),
            false => format!("{name}@lakeshore.example"),
        };
        client
            .post(self.api("/session"))
            .json(&serde_json::json!({ "email": email, "password": entrada_server::demo::DEMO_PASSWORD }))
            .send()
            .await
            .expect("request")
    }

    /// Signs the app's own client in, asserting success.
    pub async fn sign_in(&self, name: &str) {
        let response = self.sign_in_as(&self.client, name).await;
        assert_eq!(response.status(), StatusCode::OK, "sign-in as {name}");
    }

    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(self.api(path))
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Names of the packages in My Access for the signed-in person.
    pub async fn my_package_names(&self, search: Option<&str>) -> Vec<String> {
        let path = match search {
            Some(text) => format!("/my/access-packages?search={text}"),
            None => "/my/access-packages".to_owned(),
        };
        let (status, body) = self.get_json(&path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array()
            .expect("a list")
            .iter()
            .map(|offer| offer["package"]["name"].as_str().expect("name").to_owned())
            .collect()
    }
}

/// Stops the server. Having a `Drop` also makes test closures capture the whole `TestApp`
/// rather than single fields, so the temporary database folder lives as long as the test.
impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

fn new_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .build()
        .expect("client")
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Sends `body` as JSON with `method` to the API path as `client`: the status and the
/// answer's JSON (null when it has none).
/// The API's OpenAPI document, as the server serves it.
pub async fn openapi_document(app: &TestApp) -> Value {
    let (status, document) = app.get_json("/openapi.json").await;
    assert_eq!(status, StatusCode::OK, "{document}");
    document
}

/// Every operation `document` lists, as (lower-case method, path as documented).
pub fn operations_of(document: &Value) -> Vec<(String, String)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.push((method.to_owned(), path.clone()));
            }
        }
    }
    operations
}

pub async fn send(
    app: &TestApp,
    client: &Client,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = client
        .request(method, app.api(path))
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A new client signed in as a demo person, asserting success.
pub async fn as_person(app: &TestApp, name: &str) -> Client {
    let client = app.new_client();
    let response = app.sign_in_as(&client, name).await;
    assert_eq!(response.status(), StatusCode::OK, "{name} signs in");
    client
}

/// Asserts a problem+json response with `status`, returning its body.
pub async fn assert_problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem body");
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["title"]
            .as_str()
            .is_some_and(|title| !title.is_empty()),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|detail| !detail.is_empty()),
        "{body}"
    );
    body
}

/// Whether `user` is a member of `group` in the database, however they came to be.
pub async fn in_group(app: &TestApp, group: &str, user: &str) -> bool {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM group_members WHERE group_id = $1 AND user_id = $2",
    )
    .bind(group)
    .bind(user)
    .fetch_one(&app.db)
    .await
    .unwrap();
    count > 0
}
