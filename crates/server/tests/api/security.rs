//! Web security through the real server: cross-origin writes refused, security and cache
//! headers on every kind of answer, pre-compressed static files, the `__Host-` cookie,
//! old sessions ended at sign-in, and sign-in throttled per account and per address.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use entrada_server::{App, Backend, Clock, Config, ManualClock};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use tokio::sync::oneshot;

use crate::helpers::{assert_problem, TestApp, POSTGRES_URL_VAR};
use crate::on_both_backends;

const PASSWORD: &str = entrada_server::demo::DEMO_PASSWORD;

fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// Asserts the headers every answer carries.
fn assert_security_headers(response: &Response, what: &str) {
    let policy = header(response, "content-security-policy");
    assert!(
        policy.contains("frame-ancestors 'none'"),
        "{what}: {policy}"
    );
    assert_eq!(
        header(response, "x-content-type-options"),
        "nosniff",
        "{what}"
    );
    assert_eq!(header(response, "referrer-policy"), "same-origin", "{what}");
}

/// The `script-src` directive of a Content-Security-Policy.
fn script_src(policy: &str) -> String {
    policy
        .split(';')
        .map(str::trim)
        .find(|directive| directive.starts_with("script-src"))
        .unwrap_or("")
        .to_owned()
}

/// A client whose connections come from `ip` (any 127.0.0.0/8 address reaches the server),
/// so one test can sign in from several client addresses.
fn client_from(ip: &str) -> Client {
    Client::builder()
        .cookie_store(true)
        .local_address(ip.parse::<IpAddr>().expect("an IP address"))
        .build()
        .expect("client")
}

async fn sign_in(app: &TestApp, client: &Client, email: &str, password: &str) -> Response {
    client
        .post(app.api("/session"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("request")
}

fn email(name: &str) -> String {
    format!("{name}@lakeshore.example")
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = $1")
        .bind(action)
        .fetch_one(&app.db)
        .await
        .expect("count")
}

fn cookie_value(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value.to_owned())
}

on_both_backends! {
    a_state_changing_call_from_another_origin_is_refused => |app: TestApp| async move {
        let sam = app.new_client();
        assert_eq!(app.sign_in_as(&sam, "sam.taylor").await.status(), StatusCode::OK);
        let response = sam
            .post(app.api("/requests"))
            .json(&json!({ "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": "userAdd", "justification": "Docs", "answers": [] }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let view: Value = response.json().await.unwrap();
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        let cancel = app.api(&format!("/requests/{id}/cancel"));

        // A page on another site makes sam's browser post the body-less cancel, cookie and all.
        let response = sam.post(&cancel).header("origin", "https://evil.example").send().await.unwrap();
        let problem = assert_problem(response, StatusCode::FORBIDDEN).await;
        assert_eq!(problem["title"], "Cross-origin request refused", "{problem}");
        for site in ["cross-site", "same-site"] {
            let response = sam.post(&cancel).header("sec-fetch-site", site).send().await.unwrap();
            assert_problem(response, StatusCode::FORBIDDEN).await;
        }
        // Signing someone in or out from another site is refused too.
        let response = sam.delete(app.api("/session")).header("sec-fetch-site", "cross-site").send().await.unwrap();
        assert_problem(response, StatusCode::FORBIDDEN).await;

        let (status, mine) = app_get(&app, &sam, &format!("/requests/{id}")).await;
        assert_eq!(status, StatusCode::OK, "sam is still signed in: {mine}");
        assert_ne!(mine["request"]["state"], "canceled", "the request was not cancelled: {mine}");

        // The same call from Entrada's own page goes through.
        let response = sam
            .post(&cancel)
            .header("origin", format!("http://{}", app.address))
            .header("sec-fetch-site", "same-origin")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let view: Value = response.json().await.unwrap();
        assert_eq!(view["request"]["state"], "canceled");
    };

    a_write_with_only_a_matching_origin_header_is_allowed => |app: TestApp| async move {
        let client = app.new_client();
        let response = client
            .post(app.api("/session"))
            .header("origin", format!("http://{}", app.address))
            .json(&json!({ "email": email("sam.taylor"), "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let response = client
            .post(app.api("/session"))
            .header("origin", "null")
            .json(&json!({ "email": email("sam.taylor"), "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::FORBIDDEN).await;
    };

    api_answers_carry_the_security_headers_and_are_not_stored => |app: TestApp| async move {
        for path in ["/api/v1/me", "/api/v1/no-such-thing", "/healthz"] {
            let response = app.client.get(app.url(path)).send().await.unwrap();
            assert_security_headers(&response, path);
            assert_eq!(header(&response, "cache-control"), "no-store", "{path}");
            assert_eq!(header(&response, "strict-transport-security"), "", "no HSTS over plain HTTP");
        }
        let response = app.client.post(app.api("/session")).header("origin", "https://evil.example").send().await.unwrap();
        assert_security_headers(&response, "a refused request");
    };

    signing_in_ends_the_session_the_browser_already_had => |app: TestApp| async move {
        let client = app.new_client();
        let first = app.sign_in_as(&client, "sam.taylor").await;
        let old = cookie_value(&first, "entrada_session").expect("a session cookie");
        // The same browser signs in again (here as someone else): the old session must end.
        let second = app.sign_in_as(&client, "daniel.kim").await;
        assert_eq!(second.status(), StatusCode::OK);
        let new = cookie_value(&second, "entrada_session").expect("a new session cookie");
        assert_ne!(old, new);
        let stale = app.new_client()
            .get(app.api("/me"))
            .header("cookie", format!("entrada_session={old}"))
            .send()
            .await
            .unwrap();
        assert_problem(stale, StatusCode::UNAUTHORIZED).await;
        let fresh = app.new_client()
            .get(app.api("/me"))
            .header("cookie", format!("entrada_session={new}"))
            .send()
            .await
            .unwrap();
        assert_eq!(fresh.status(), StatusCode::OK);
        let me: Value = fresh.json().await.unwrap();
        assert_eq!(me["user"]["email"], email("daniel.kim"));
    };

    ten_failures_for_one_account_pause_its_sign_in_wherever_it_comes_from => |app: TestApp| async move {
        // Nine failures, then the right password: it still works, and the count starts over.
        let attacker = client_from("127.0.0.2");
        for _ in 0..9 {
            let response = sign_in(&app, &attacker, &email("sam.taylor"), "wrong password!").await;
            assert_problem(response, StatusCode::UNAUTHORIZED).await;
        }
        let sam = client_from("127.0.0.3");
        assert_eq!(sign_in(&app, &sam, &email("sam.taylor"), PASSWORD).await.status(), StatusCode::OK);

        let attacker = client_from("127.0.0.4");
        for _ in 0..10 {
            let response = sign_in(&app, &attacker, &email("Sam.Taylor"), "wrong password!").await;
            assert_problem(response, StatusCode::UNAUTHORIZED).await;
        }
        // The eleventh try is refused without checking the password, even the right one,
        // from another address.
        let response = sign_in(&app, &sam, &email("sam.taylor"), PASSWORD).await;
        assert_eq!(header(&response, "retry-after"), "900");
        let problem = assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
        let detail = problem["detail"].as_str().unwrap_or("");
        assert!(detail.contains("15 minutes"), "{detail}");
        // Another account from that address is not affected.
        assert_eq!(sign_in(&app, &sam, &email("daniel.kim"), PASSWORD).await.status(), StatusCode::OK);

        // Ten minutes on, five remain; after fifteen the account may sign in again.
        app.clock.advance(Duration::minutes(10));
        let response = sign_in(&app, &sam, &email("sam.taylor"), PASSWORD).await;
        assert_eq!(header(&response, "retry-after"), "300");
        assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
        app.clock.advance(Duration::minutes(5));
        assert_eq!(sign_in(&app, &sam, &email("sam.taylor"), PASSWORD).await.status(), StatusCode::OK);

        assert_eq!(audit_count(&app, "signIn.failed").await, 19);
        assert_eq!(audit_count(&app, "signIn.throttled").await, 2);
        let (target, details): (String, String) = sqlx::query_as(
            "SELECT target_id, details_json FROM audit_events WHERE action = 'signIn.throttled' ORDER BY at LIMIT 1",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(target, "sam.taylor@lakeshore.example");
        assert!(details.contains("127.0.0.3"), "{details}");
        let from_the_attacker: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'signIn.failed' AND details_json LIKE '%\"127.0.0.4\"%'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(from_the_attacker, 10, "each failure names the address it came from");
    };

    ten_failures_from_one_address_pause_sign_in_from_it => |app: TestApp| async move {
        let guesser = client_from("127.0.0.5");
        // One guess each at ten accounts (some of them do not exist).
        for name in ["sam.taylor", "daniel.kim", "nobody.1", "nobody.2", "nobody.3", "nobody.4", "nobody.5", "nobody.6", "nobody.7", "nobody.8"] {
            let response = sign_in(&app, &guesser, &email(name), "wrong password!").await;
            assert_problem(response, StatusCode::UNAUTHORIZED).await;
        }
        let response = sign_in(&app, &guesser, &email("alex.morgan"), PASSWORD).await;
        assert!(header(&response, "retry-after").parse::<u64>().is_ok_and(|seconds| seconds > 0 && seconds <= 900));
        assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
        // The same person from another address signs in.
        assert_eq!(sign_in(&app, &client_from("127.0.0.6"), &email("alex.morgan"), PASSWORD).await.status(), StatusCode::OK);
        assert_eq!(audit_count(&app, "signIn.failed").await, 10);
        // An unknown e-mail is recorded as tried, under the e-mail.
        let unknown: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'signIn.failed' AND target_id = $1")
            .bind(email("nobody.1"))
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(unknown, 1);

        app.clock.advance(Duration::minutes(15));
        assert_eq!(sign_in(&app, &guesser, &email("alex.morgan"), PASSWORD).await.status(), StatusCode::OK);
    };

    throttling_survives_a_restart_and_spans_instances => |app: TestApp| async move {
        let attacker = client_from("127.0.0.7");
        for _ in 0..10 {
            sign_in(&app, &attacker, &email("sam.taylor"), "wrong password!").await;
        }
        let other = app.another_instance().await;
        let response = other
            .new_client()
            .post(other.api("/session"))
            .json(&json!({ "email": email("sam.taylor"), "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    };
}

async fn app_get(app: &TestApp, client: &Client, path: &str) -> (StatusCode, Value) {
    let response = client.get(app.api(path)).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A server with its own configuration (Secure cookies, a static folder), on a fresh
/// database of either backend.
struct Server {
    address: SocketAddr,
    client: Client,
    _clock: Arc<ManualClock>,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl Server {
    async fn start(
        backend: Backend,
        configure: impl FnOnce(&mut Config, &std::path::Path),
    ) -> Option<Server> {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}/entrada.db", dir.path().display()),
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
                    assert!(
                        !std::env::var("CI").is_ok_and(|ci| ci == "true"),
                        "{POSTGRES_URL_VAR} is not set under CI=true"
                    );
                    eprintln!("skipped: {POSTGRES_URL_VAR} is not set");
                    return None;
                };
                let name = format!(
                    "t_sec_{}_{}",
                    std::process::id(),
                    uuid::Uuid::new_v4().simple()
                );
                let (admin, _) = entrada_server::db::connect(&admin_url)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&admin)
                    .await
                    .expect("create database");
                admin.close().await;
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .unwrap_or(&admin_url);
                format!("{base}/{name}")
            }
        };
        let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
        let mut config = Config::new("127.0.0.1:0".parse().expect("address"), url);
        config.run_jobs = false;
        configure(&mut config, dir.path());
        let app = App::build(config, clock.clone())
            .await
            .expect("server starts");
        entrada_server::demo::load(app.db(), clock.now())
            .await
            .expect("demo loads");
        let address = app.local_addr();
        let (shutdown, stop) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = stop.await;
        }));
        Some(Server {
            address,
            client: Client::new(),
            _clock: clock,
            shutdown: Some(shutdown),
            _dir: dir,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }
}

/// Runs a body against a configured server on SQLite and on PostgreSQL.
macro_rules! on_both_configured {
    ($($name:ident ($configure:expr) => $body:expr;)*) => {$(
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let server = Server::start(Backend::Sqlite, $configure).await.expect("SQLite server");
                ($body)(server).await;
            }
            #[tokio::test]
            async fn postgres() {
                let Some(server) = Server::start(Backend::Postgres, $configure).await else { return };
                ($body)(server).await;
            }
        }
    )*};
}

const INLINE_LOADER: &str = "\nimport init, * as bindings from '/entrada-0123456789abcdef.js';\nconst wasm = await init({ module_or_path: '/entrada-0123456789abcdef_bg.wasm' });\nwindow.wasmBindings = bindings;\n";
const ADMIN_LOADER: &str = "\nimport init, * as bindings from '/admin/entrada-admin-fedcba9876543210.js';\nconst wasm = await init({ module_or_path: '/admin/entrada-admin-fedcba9876543210_bg.wasm' });\nwindow.wasmBindings = bindings;\n";
const PORTAL_LOADER: &str = "\nimport init, * as bindings from '/portal/entrada-portal-00112233aabbccdd.js';\nconst wasm = await init({ module_or_path: '/portal/entrada-portal-00112233aabbccdd_bg.wasm' });\nwindow.wasmBindings = bindings;\n";
const WASM: &[u8] = b"\0asm\x01\0\0\0 pretend this is a large module";
const WASM_BR: &[u8] = b"pretend these are the brotli bytes";

fn write_spa(config: &mut Config, dir: &std::path::Path) {
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).expect("dist");
    let index = format!(
        "<!doctype html><html><head><title>Entrada</title>\
         <link rel=\"modulepreload\" href=\"/entrada-0123456789abcdef.js\">\
         <script type=\"module\">{INLINE_LOADER}</script></head><body></body></html>"
    );
    std::fs::write(dist.join("index.html"), index).expect("index.html");
    std::fs::write(dist.join("entrada-0123456789abcdef_bg.wasm"), WASM).expect("wasm");
    std::fs::write(dist.join("entrada-0123456789abcdef_bg.wasm.br"), WASM_BR).expect("wasm.br");
    std::fs::write(dist.join("robots.txt"), "User-agent: *\n").expect("robots.txt");
    // The other two builds (src/lib.rs): the portal, and the whole app with the admin area.
    for (folder, title, loader, wasm) in [
        (
            "portal",
            "Entrada portal build",
            PORTAL_LOADER,
            "entrada-portal-00112233aabbccdd_bg.wasm",
        ),
        (
            "admin",
            "Entrada admin build",
            ADMIN_LOADER,
            "entrada-admin-fedcba9876543210_bg.wasm",
        ),
    ] {
        let build = dist.join(folder);
        std::fs::create_dir_all(&build).expect("dist/{folder}");
        let index = format!(
            "<!doctype html><html><head><title>{title}</title>\
             <script type=\"module\">{loader}</script></head><body></body></html>"
        );
        std::fs::write(build.join("index.html"), index).expect("index.html");
        std::fs::write(build.join(wasm), WASM).expect("wasm");
    }
    config.static_dir = Some(dist);
}

/// A `dist/` with the first load only (Trunk run on index.html alone).
fn write_first_load_only(config: &mut Config, dir: &std::path::Path) {
    write_spa(config, dir);
    for folder in ["portal", "admin"] {
        std::fs::remove_dir_all(dir.join("dist").join(folder)).expect("removing a build");
    }
}

fn sha256_base64(text: &str) -> String {
    use sha2::Digest;
    base64_of(&sha2::Sha256::digest(text.as_bytes()))
}

fn expected_hash() -> String {
    sha256_base64(INLINE_LOADER)
}

fn base64_of(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            match i <= chunk.len() {
                true => out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize])),
                false => out.push('='),
            }
        }
    }
    out
}

on_both_configured! {
    the_web_app_runs_under_a_policy_without_inline_scripts_and_caches_well (write_spa) => |server: Server| async move {
        // index.html, and the same page for a client-side route.
        for path in ["/", "/index.html", "/requests/some-id"] {
            let response = server.client.get(server.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_security_headers(&response, path);
            let policy = header(&response, "content-security-policy");
            let scripts = script_src(&policy);
            assert!(!scripts.contains("'unsafe-inline'"), "{policy}");
            assert!(scripts.contains(&format!("'sha256-{}'", expected_hash())), "the loader is allowed by its hash: {policy}");
            assert!(scripts.contains("'wasm-unsafe-eval'"), "{policy}");
            assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        }
        // A hashed file is immutable, and its pre-compressed sibling is sent as is.
        let wasm = server.url("/entrada-0123456789abcdef_bg.wasm");
        let response = server.client.get(&wasm).header("accept-encoding", "br, gzip").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_security_headers(&response, "wasm");
        assert_eq!(header(&response, "cache-control"), "public, max-age=31536000, immutable");
        assert_eq!(header(&response, "content-encoding"), "br");
        assert_eq!(header(&response, "content-type"), "application/wasm");
        assert_eq!(response.bytes().await.unwrap().as_ref(), WASM_BR);
        let response = server.client.get(&wasm).send().await.unwrap();
        assert_eq!(header(&response, "content-encoding"), "");
        assert_eq!(response.bytes().await.unwrap().as_ref(), WASM);
        // An unhashed file must be revalidated; a missing hashed file (the page comes back)
        // must not be cached as if it were that file.
        let response = server.client.get(server.url("/robots.txt")).send().await.unwrap();
        assert_eq!(header(&response, "cache-control"), "no-cache");
        let response = server.client.get(server.url("/entrada-fedcba9876543210.js")).send().await.unwrap();
        assert_eq!(header(&response, "cache-control"), "no-cache");
        assert_eq!(header(&response, "strict-transport-security"), "");
    };

    each_page_gets_the_build_that_holds_it_and_only_my_access_and_sign_in_the_first_load (write_spa) => |server: Server| async move {
        let page = |path: &'static str| {
            let request = server.client.get(server.url(path)).send();
            async move {
                let response = request.await.unwrap();
                assert_eq!(response.status(), StatusCode::OK, "{path}");
                assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
                let policy = header(&response, "content-security-policy");
                // One policy allows every build's loader, whichever page is asked for.
                for hash in [expected_hash(), sha256_base64(PORTAL_LOADER), sha256_base64(ADMIN_LOADER)] {
                    assert!(script_src(&policy).contains(&format!("'sha256-{hash}'")), "{path}: {policy}");
                }
                response.text().await.unwrap()
            }
        };
        for path in ["/admin", "/admin/", "/admin/catalogs/cat-1", "/admin/wizards/any-partner"] {
            assert!(page(path).await.contains("Entrada admin build"), "{path} gets the admin build");
        }
        for path in ["/", "/index.html", "/sign-in", "/sign-in?next=%2Frequests"] {
            let body = page(path).await;
            assert!(body.contains("<title>Entrada</title>"), "{path} gets the first load: {body}");
        }
        for path in [
            "/requests",
            "/approvals",
            "/approvals/req-1",
            "/access",
            "/access-packages/pkg-1",
            "/access-packages/admin",
            "/notifications",
            "/sign-up",
            "/sign-up/verify?token=t",
            "/administrators",
            "/sign-in/elsewhere",
        ] {
            let body = page(path).await;
            assert!(body.contains("Entrada portal build"), "{path} gets the portal: {body}");
        }
        // Each build's hashed files are served from its folder, immutable.
        for wasm in [
            "/admin/entrada-admin-fedcba9876543210_bg.wasm",
            "/portal/entrada-portal-00112233aabbccdd_bg.wasm",
        ] {
            let response = server.client.get(server.url(wasm)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{wasm}");
            assert_eq!(header(&response, "content-type"), "application/wasm", "{wasm}");
            assert_eq!(header(&response, "cache-control"), "public, max-age=31536000, immutable", "{wasm}");
            assert_eq!(response.bytes().await.unwrap().as_ref(), WASM, "{wasm}");
        }
    };

    a_dist_with_the_first_load_only_serves_it_for_every_page (write_first_load_only) => |server: Server| async move {
        // The web app then says the page's build is missing instead of reloading forever
        // (src/app.rs, LoadOtherBuild); the server must not answer 404 or another file.
        for path in ["/", "/sign-in", "/requests", "/approvals/req-1", "/admin", "/admin/audit", "/portal/"] {
            let response = server.client.get(server.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let body = response.text().await.unwrap();
            assert!(body.contains("<title>Entrada</title>"), "{path} gets the first load: {body}");
        }
    };

    with_secure_cookies_the_session_cookie_is_host_prefixed_and_hsts_is_sent (|config: &mut Config, _dir: &std::path::Path| config.secure_cookies = true) => |server: Server| async move {
        let response = server
            .client
            .post(server.url("/api/v1/session"))
            .json(&json!({ "email": email("sam.taylor"), "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = header(&response, "set-cookie");
        assert!(cookie.starts_with("__Host-entrada_session="), "{cookie}");
        assert!(cookie.contains("; Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");
        assert!(header(&response, "strict-transport-security").starts_with("max-age="));
        let token = cookie_value(&response, "__Host-entrada_session").expect("token");
        let me = server.client.get(server.url("/api/v1/me")).header("cookie", format!("__Host-entrada_session={token}")).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::OK);
        // The unprefixed name is not read when cookies are Secure.
        let me = server.client.get(server.url("/api/v1/me")).header("cookie", format!("entrada_session={token}")).send().await.unwrap();
        assert_problem(me, StatusCode::UNAUTHORIZED).await;
    };
}

on_both_configured! {
    behind_a_trusted_proxy_throttling_counts_the_forwarded_address (|config: &mut Config, _dir: &std::path::Path| config.trust_forwarded_for = true) => |server: Server| async move {
        let attempt = |from: &'static str, password: &'static str| {
            server
                .client
                .post(server.url("/api/v1/session"))
                .header("x-forwarded-for", format!("198.51.100.1, {from}"))
                .json(&json!({ "email": email("sam.taylor"), "password": password }))
                .send()
        };
        for _ in 0..10 {
            let response = attempt("203.0.113.9", "wrong password!").await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        // All requests reach the server from the proxy's address, yet another client behind
        // it is not locked out; the address that guessed is.
        let other = server
            .client
            .post(server.url("/api/v1/session"))
            .header("x-forwarded-for", "203.0.113.10")
            .json(&json!({ "email": email("daniel.kim"), "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), StatusCode::OK);
        let blocked = server
            .client
            .post(server.url("/api/v1/session"))
            .header("x-forwarded-for", "203.0.113.9")
            .json(&json!({ "email": email("alex.morgan"), "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_problem(blocked, StatusCode::TOO_MANY_REQUESTS).await;
    };
}
