//! The harness for Entrada's browser tests: the real server (fresh SQLite database, demo
//! organisation, built SPA) on a free port, Debian's chromedriver as a child process, and
//! a headless Chromium session sized to an exact viewport.
//!
//! Tests run one body at each [`SIZES`] through [`at_each_size`], which also saves a
//! screenshot of the last state to `target/screenshots/<test>-<size>.png` (on failure too)
//! and always quits the browser. Stories with several people (an administrator and a
//! member, a requestor and two approvers) run through [`with_scene`]: one server, one
//! browser per person at the size that person uses, each quit at the end and pictured
//! when the story fails; [`TestApp::count`] checks the directory itself. Nothing sleeps
//! for a fixed time: every wait polls a condition until [`DEADLINE`].

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, LazyLock, Weak};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use entrada_server::{App, Clock, Config, ManualClock};
use futures_util::FutureExt;
use serde_json::Value;
use sqlx::AnyPool;
use thirtyfour::prelude::*;
use time::OffsetDateTime;
use tokio::sync::{oneshot, Mutex};
use tokio::task::JoinHandle;

pub use entrada_server::demo::DEMO_PASSWORD;

pub mod mail;
pub mod requests;
pub mod wizard;

/// How long any wait lasts before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// How often a wait checks its condition again.
const POLL: Duration = Duration::from_millis(50);

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Flags for a headless Chromium that never reaches for hosts this machine cannot reach
/// (toolchain.md, "Browser tests from Rust").
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// A viewport, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// `innerWidth`.
    pub width: u32,
    /// `innerHeight`.
    pub height: u32,
}

impl Size {
    /// Whether this is the phone-sized viewport.
    pub fn is_narrow(self) -> bool {
        self.width < 600
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// A laptop screen.
pub const DESKTOP: Size = Size {
    width: 1280,
    height: 800,
};
/// A phone held upright.
pub const PHONE: Size = Size {
    width: 390,
    height: 844,
};
/// Every behaviour is checked at both.
pub const SIZES: [Size; 2] = [DESKTOP, PHONE];

/// The workspace root (this crate lives in `<root>/tests`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The built SPA: `$ENTRADA_E2E_DIST` when set, otherwise `<repo>/dist`. Fails (never
/// skips) when it has not been built.
pub fn dist_dir() -> Result<PathBuf> {
    let dist = std::env::var_os("ENTRADA_E2E_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("dist"));
    ensure!(
        dist.join("index.html").is_file(),
        "the built SPA is missing: {} has no index.html. Run `cargo xtask test`, which \
         builds it (`trunk build --release --offline`) before the browser tests.",
        dist.display()
    );
    Ok(dist)
}

/// Where screenshots go.
pub fn screenshot_dir() -> PathBuf {
    repo_root().join("target").join("screenshots")
}

/// The running server with the demo organisation, on its own database and port.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The server's clock; it stands still unless a test advances it.
    pub clock: Arc<ManualClock>,
    db: AnyPool,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

/// A directory entry for [`TestApp::spawn_with_directory`]: its DN and its attributes
/// with their values.
pub type LdifEntry<'a> = (&'a str, Vec<(&'a str, Vec<&'a str>)>);

impl TestApp {
    /// Builds the real `App` on a fresh SQLite file serving the built SPA, loads the demo
    /// organisation and serves on `127.0.0.1:0`.
    pub async fn spawn() -> Result<TestApp> {
        Self::spawn_configured(|_| {}).await
    }

    /// [`TestApp::spawn`], signing people in through the OpenID provider `cargo xtask
    /// test` starts (`ENTRADA_TEST_OIDC_ISSUER`, "Lakeshore ID"), with which it registers
    /// its own redirect URI.
    pub async fn spawn_with_provider() -> Result<TestApp> {
        let issuer = std::env::var("ENTRADA_TEST_OIDC_ISSUER").context(
            "ENTRADA_TEST_OIDC_ISSUER is not set: run the browser tests with `cargo xtask test`, \
             which starts an OpenID provider",
        )?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let redirect = format!("http://127.0.0.1:{port}/api/v1/session/oidc/callback");
        let registered: Value = reqwest::Client::new()
            .post(format!("{issuer}/reg"))
            .json(&serde_json::json!({
                "redirect_uris": [redirect],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
            }))
            .send()
            .await
            .context("registering with the OpenID provider")?
            .json()
            .await?;
        let text = |field: &str| -> Result<String> {
            registered[field]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("no {field} in {registered}"))
        };
        let (client_id, client_secret) = (text("client_id")?, text("client_secret")?);
        Self::spawn_configured(move |config| {
            config.bind = SocketAddr::from(([127, 0, 0, 1], port));
            config.oidc = Some(entrada_server::oidc::OidcConfig {
                issuer,
                client_id,
                client_secret,
                name: "Lakeshore ID".to_owned(),
                claim: entrada_server::oidc::MatchClaim::Email,
            });
        })
        .await
    }

    /// [`TestApp::spawn`], syncing from the slapd `cargo xtask test` starts
    /// (`ENTRADA_TEST_LDAP_*`) under a fresh subtree holding `ldif` (its entries' DNs end
    /// in `BASE`, replaced by the subtree's). The scheduled sync runs once at start.
    pub async fn spawn_with_directory(ldif: &[LdifEntry<'_>]) -> Result<TestApp> {
        let var = |name: &str| {
            std::env::var(name).with_context(|| {
                format!("{name} is not set: run the browser tests with `cargo xtask test`, which starts slapd")
            })
        };
        let (url, bind_dn, password, suffix) = (
            var("ENTRADA_TEST_LDAP_URL")?,
            var("ENTRADA_TEST_LDAP_BIND_DN")?,
            var("ENTRADA_TEST_LDAP_PASSWORD")?,
            var("ENTRADA_TEST_LDAP_SUFFIX")?,
        );
        let unit = unique("e2e");
        let base = format!("ou={unit},{suffix}");
        let (conn, mut ldap) = ldap3::LdapConnAsync::new(&url).await?;
        ldap3::drive!(conn);
        ldap.simple_bind(&bind_dn, &password).await?.success()?;
        let unit_entry: Vec<(&str, Vec<&str>)> = vec![
            ("objectClass", vec!["organizationalUnit"]),
            ("ou", vec![unit.as_str()]),
        ];
        for (dn, attrs) in std::iter::once(&("BASE", unit_entry)).chain(ldif) {
            let dn = dn.replace("BASE", &base);
            let attrs: Vec<(String, std::collections::HashSet<String>)> = attrs
                .iter()
                .map(|(name, values)| {
                    let values = values.iter().map(|value| value.replace("BASE", &base));
                    ((*name).to_owned(), values.collect())
                })
                .collect();
            ldap.add(&dn, attrs)
                .await?
                .success()
                .with_context(|| format!("adding {dn}"))?;
        }
        let _ = ldap.unbind().await;
        Self::spawn_configured(move |config| {
            config.ldap = Some(entrada_server::directory_sync::LdapConfig {
                url,
                bind_dn,
                password,
                base_dn: base,
                user_filter: entrada_server::directory_sync::LdapConfig::USER_FILTER.to_owned(),
                group_filter: entrada_server::directory_sync::LdapConfig::GROUP_FILTER.to_owned(),
                every: std::time::Duration::from_secs(15 * 60),
            });
        })
        .await
    }

    async fn spawn_configured(configure: impl FnOnce(&mut Config)) -> Result<TestApp> {
        let dist = dist_dir()?;
        let dir = tempfile::tempdir().context("creating a folder for the database")?;
        let url = format!("sqlite://{}/e.db", dir.path().display());
        let mut config = Config::new(SocketAddr::from(([127, 0, 0, 1], 0)), url);
        config.static_dir = Some(dist);
        config.smtp_url = mail::smtp_url();
        configure(&mut config);
        let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
        let app = App::build(config, clock.clone())
            .await
            .context("starting the server")?;
        entrada_server::demo::load(app.db(), clock.now())
            .await
            .context("loading the demo organisation")?;
        let base_url = format!("http://{}", app.local_addr());
        let db = app.db().clone();
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stop.await;
        }));
        Ok(TestApp {
            base_url,
            clock,
            db,
            shutdown: Some(shutdown),
            server: Some(server),
            _dir: dir,
        })
    }

    /// The server's database, to check what it holds (the directory's real grants).
    pub fn db(&self) -> &AnyPool {
        &self.db
    }

    /// The number `sql` (a `SELECT COUNT(*) …` with `$1`, `$2`… placeholders) answers.
    pub async fn count(&self, sql: &str, binds: &[&str]) -> Result<i64> {
        let mut query = sqlx::query_scalar::<_, i64>(sql);
        for bind in binds {
            query = query.bind(*bind);
        }
        query
            .fetch_one(&self.db)
            .await
            .with_context(|| format!("querying {sql}"))
    }

    /// The whole number in the first column of the first row of `sql`, if there is a row
    /// and the value is not NULL.
    pub async fn number(&self, sql: &str, binds: &[&str]) -> Result<Option<i64>> {
        let mut query = sqlx::query_scalar::<_, Option<i64>>(sql);
        for bind in binds {
            query = query.bind(*bind);
        }
        let row = query
            .fetch_optional(&self.db)
            .await
            .with_context(|| format!("querying {sql}"))?;
        Ok(row.flatten())
    }

    /// Stops serving and waits for the server to finish.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .context("the server task failed")?
                .context("the server stopped with an error")?;
        }
        Ok(())
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// Debian's chromedriver, started as a child on a free port in its own process group and
/// killed (with any browser it still runs) on drop. Shared by the tests of a process
/// while any of them runs; see [`chromedriver`].
pub struct Chromedriver {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

static CHROMEDRIVER_SLOT: LazyLock<Mutex<Weak<Chromedriver>>> =
    LazyLock::new(|| Mutex::new(Weak::new()));

/// The chromedriver of this test process, started when no test holds one.
pub async fn chromedriver() -> Result<Arc<Chromedriver>> {
    let mut slot = CHROMEDRIVER_SLOT.lock().await;
    if let Some(driver) = slot.upgrade() {
        return Ok(driver);
    }
    let driver = Arc::new(tokio::task::spawn_blocking(Chromedriver::start).await??);
    *slot = Arc::downgrade(&driver);
    Ok(driver)
}

impl Chromedriver {
    /// Starts chromedriver and waits until `/status` says it is ready. A port taken
    /// between choosing and binding it is retried on another port.
    pub fn start() -> Result<Chromedriver> {
        ensure!(
            Path::new(CHROMEDRIVER).is_file() && Path::new(CHROMIUM).is_file(),
            "{CHROMEDRIVER} and {CHROMIUM} are needed: apt-get install -y chromium chromium-driver"
        );
        let mut last_error = anyhow!("chromedriver never started");
        for _ in 0..3 {
            let port = free_port()?;
            let child = spawn_in_own_group(
                Command::new(CHROMEDRIVER)
                    .arg(format!("--port={port}"))
                    .arg("--allowed-ips=127.0.0.1")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            )
            .with_context(|| format!("starting {CHROMEDRIVER}"))?;
            let mut driver = Chromedriver {
                child,
                url: format!("http://127.0.0.1:{port}"),
            };
            match driver.wait_until_ready(port) {
                Ok(()) => return Ok(driver),
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }

    fn wait_until_ready(&mut self, port: u16) -> Result<()> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("chromedriver exited before it was ready ({status})");
            }
            if status_says_ready(port, deadline).unwrap_or(false) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("chromedriver on port {port} was not ready within {DEADLINE:?}");
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// Asks chromedriver's `/status` once. chromedriver keeps the connection open, so the
/// answer is read in chunks until it holds the `ready` flag, never to the end.
fn status_says_ready(port: u16, deadline: Instant) -> Result<bool> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let timeout = Duration::from_millis(500);
    let mut stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    let mut chunk = [0_u8; 1024];
    while Instant::now() < deadline && answer.len() < 64 * 1024 {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..read]);
        let text: String = String::from_utf8_lossy(&answer)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if text.contains("\"ready\":true") {
            return Ok(true);
        }
        if text.contains("\"ready\":false") {
            return Ok(false);
        }
    }
    Ok(false)
}

/// A port that was free a moment ago.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn spawn_in_own_group(command: &mut Command) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    command.process_group(0).spawn()
}

/// Kills the child's process group (the child is its leader, so the group id is its pid)
/// and reaps the child.
fn kill_group(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: `kill` has no memory-safety preconditions; the group is the one this
        // harness created for its own child.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The vendored axe-core (`tests/vendor/axe-core`, from the npm registry).
pub const AXE_VERSION: &str = "4.11.0";
const AXE_SOURCE: &str = include_str!("../vendor/axe-core/axe.min.js");

/// Runs axe-core on the page `driver` shows now (injecting it first when the page does not
/// have it yet) and fails on any serious or critical violation, naming each rule, its help
/// text and the first few elements it flagged. `state` says what was on screen.
pub async fn audit_accessibility(driver: &WebDriver, state: &str) -> Result<()> {
    let loaded = driver
        .execute("return typeof window.axe === 'object';", Vec::new())
        .await?;
    if loaded.json() != &Value::Bool(true) {
        driver
            .execute(&format!("{AXE_SOURCE}\nreturn true;"), Vec::new())
            .await
            .context("injecting axe-core")?;
    }
    let ret = driver
        .execute_async(
            r#"
            const done = arguments[arguments.length - 1];
            window.axe.run(document, {
                runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice', 'experimental'] },
                resultTypes: ['violations'],
            }).then(
                (results) => done(results.violations
                    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                    .map((v) => ({
                        id: v.id,
                        impact: v.impact,
                        help: v.help,
                        nodes: v.nodes.length,
                        targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\s+/g, ' ')),
                    }))),
                (error) => done([{ id: 'axe-error', impact: 'critical', help: String(error), nodes: 0, targets: [] }]),
            );
            "#,
            Vec::new(),
        )
        .await
        .context("running axe-core")?;
    let violations = ret.json().as_array().cloned().unwrap_or_default();
    if violations.is_empty() {
        return Ok(());
    }
    let url = driver
        .current_url()
        .await
        .map(|url| url.to_string())
        .unwrap_or_default();
    let report: Vec<String> = violations
        .iter()
        .map(|violation| {
            format!(
                "{} ({}, {} elements): {}\n      {}",
                violation["id"].as_str().unwrap_or_default(),
                violation["impact"].as_str().unwrap_or_default(),
                violation["nodes"],
                violation["help"].as_str().unwrap_or_default(),
                violation["targets"]
                    .as_array()
                    .map(|targets| targets
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n      "))
                    .unwrap_or_default(),
            )
        })
        .collect();
    bail!(
        "axe-core {AXE_VERSION} found {} serious or critical violation(s) on {url} ({state}):\n  {}",
        violations.len(),
        report.join("\n  ")
    )
}

/// Polls `check` until it succeeds or [`DEADLINE`] passes; then fails with `what` and the
/// last reason `check` gave.
pub async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Result<T>) -> Result<T> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match check().await {
            Ok(value) => return Ok(value),
            Err(error) if Instant::now() >= deadline => {
                return Err(error.context(format!("waited {DEADLINE:?} for {what}")));
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// An XPath string literal for `text`: single-quoted, double-quoted when it holds a `'`,
/// and a `concat(…)` when it holds both kinds of quote.
pub fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        return format!("'{text}'");
    }
    if !text.contains('"') {
        return format!("\"{text}\"");
    }
    let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
    format!("concat({})", parts.join(", \"'\", "))
}

/// The XPath of the input whose `<label>` reads `label`.
pub fn input_labelled(label: &str) -> String {
    format!(
        "//input[@id=//label[normalize-space()={}]/@for]",
        xpath_literal(label)
    )
}

/// The XPath of the `<input>`, `<textarea>` or `<select>` whose `<label>` reads `label`,
/// alone or followed by a note in brackets ("Why do you need this access? (required)").
pub fn control_labelled(label: &str) -> String {
    let text = xpath_literal(label);
    let noted = xpath_literal(&format!("{label} ("));
    format!(
        "//*[self::input or self::textarea or self::select]\
         [@id=//label[normalize-space()={text} or starts-with(normalize-space(), {noted})]/@for]"
    )
}

/// The XPath of the button reading `text` (hidden words for screen readers included).
pub fn button_reading(text: &str) -> String {
    format!("//button[normalize-space()={}]", xpath_literal(text))
}

/// The XPath of the link reading `text`.
pub fn link_reading(text: &str) -> String {
    format!("//a[normalize-space()={}]", xpath_literal(text))
}

/// A name no earlier run used: `prefix` and a few characters from the clock.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_nanos())
        .unwrap_or_default();
    format!("{prefix} {:05x}", (nanos / 1_000) % 0xf_ffff)
}

/// A headless Chromium session whose viewport is exactly one [`Size`], pointed at one
/// [`TestApp`].
pub struct Browser {
    driver: WebDriver,
    base_url: String,
    test: String,
    size: Size,
    _chromedriver: Arc<Chromedriver>,
}

impl Browser {
    /// Opens a session and sizes the window so that `innerWidth`×`innerHeight` is `size`:
    /// the window includes browser chrome, so the first measurement corrects the second.
    pub async fn open(app: &TestApp, size: Size, test: &str) -> Result<Browser> {
        let chromedriver = chromedriver().await?;
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM)?;
        for arg in CHROMIUM_ARGS {
            caps.add_arg(arg)?;
        }
        let driver = WebDriver::new(chromedriver.url.as_str(), caps)
            .await
            .context("creating a Chromium session")?;
        let browser = Browser {
            driver,
            base_url: app.base_url.clone(),
            test: test.to_owned(),
            size,
            _chromedriver: chromedriver,
        };
        if let Err(error) = browser.fit_viewport().await {
            browser.quit().await;
            return Err(error);
        }
        Ok(browser)
    }

    async fn fit_viewport(&self) -> Result<()> {
        let want = (i64::from(self.size.width), i64::from(self.size.height));
        // A window comfortably larger than the viewport, then the DevTools protocol pins
        // the viewport itself: exact whatever the browser chrome or the machine's load
        // (resizing the window until innerWidth fits proved flaky on a busy machine).
        self.driver
            .set_window_rect(0, 0, self.size.width + 200, self.size.height + 200)
            .await?;
        let metrics = serde_json::json!({
            "width": self.size.width,
            "height": self.size.height,
            "deviceScaleFactor": 1,
            "mobile": self.size.is_narrow(),
        });
        self.driver
            .cdp()
            .send_raw("Emulation.setDeviceMetricsOverride", metrics)
            .await
            .context("pinning the viewport with Emulation.setDeviceMetricsOverride")?;
        // A phone is emulated as one (overlay scrollbars, and pages laid out by their
        // `<meta name="viewport">`), so before the app loads the blank page reports the
        // emulated screen rather than a layout width.
        let measure = match self.size.is_narrow() {
            true => "return [screen.width, screen.height];",
            false => "return [window.innerWidth, window.innerHeight];",
        };
        eventually(&format!("a {} viewport", self.size), async || {
            let measured: (i64, i64) = serde_json::from_value(self.script(measure).await?)?;
            if measured == want {
                return Ok(());
            }
            bail!("the viewport was {}x{}", measured.0, measured.1)
        })
        .await
    }

    /// `innerWidth` and `innerHeight`.
    pub async fn inner_size(&self) -> Result<(i64, i64)> {
        let value = self
            .script("return [window.innerWidth, window.innerHeight];")
            .await?;
        let pair: (i64, i64) = serde_json::from_value(value)?;
        Ok(pair)
    }

    /// The viewport this browser was opened at.
    pub fn size(&self) -> Size {
        self.size
    }

    /// The WebDriver session, for what the helpers don't cover.
    pub fn driver(&self) -> &WebDriver {
        &self.driver
    }

    /// Runs a script (the body of a function) and returns its JSON result.
    pub async fn script(&self, body: &str) -> Result<Value> {
        let ret = self.driver.execute(body, Vec::new()).await?;
        Ok(ret.json().clone())
    }

    /// Runs a script with arguments (`arguments[0]`, …).
    pub async fn script_with(&self, body: &str, args: Vec<Value>) -> Result<Value> {
        let ret = self.driver.execute(body, args).await?;
        Ok(ret.json().clone())
    }

    /// Opens a path of the app, as typing it into the address bar would.
    pub async fn goto(&self, path: &str) -> Result<()> {
        self.driver
            .goto(format!("{}{path}", self.base_url))
            .await
            .with_context(|| format!("opening {path}"))
    }

    /// Reloads the page.
    pub async fn reload(&self) -> Result<()> {
        Ok(self.driver.refresh().await?)
    }

    /// The current path and query, e.g. `/sign-in?next=/access`.
    pub async fn location(&self) -> Result<String> {
        let value = self
            .script("return location.pathname + location.search;")
            .await?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("location is not text: {value}"))
    }

    /// The JS file the running page started from (`/entrada-….js`,
    /// `/portal/entrada-portal-….js`, …): which build of the web app it is.
    pub async fn running_build(&self) -> Result<String> {
        let script =
            "return document.querySelector('link[rel=modulepreload]').getAttribute('href');";
        let value = self.script(script).await?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("the page preloads no JS: {value}"))
    }

    /// Waits until the path (without the query) is `path`.
    pub async fn wait_for_path(&self, path: &str) -> Result<String> {
        eventually(&format!("the path {path}"), async || {
            let location = self.location().await?;
            let current = location.split('?').next().unwrap_or_default();
            ensure!(current == path, "the location is {location}");
            Ok(location)
        })
        .await
    }

    /// The displayed element at `xpath`, once there is one.
    pub async fn wait_for(&self, xpath: &str) -> Result<WebElement> {
        eventually(&format!("a visible {xpath}"), async || {
            for element in self.driver.find_all(By::XPath(xpath)).await? {
                if element.is_displayed().await? {
                    return Ok(element);
                }
            }
            bail!("none shown")
        })
        .await
    }

    /// Whether a displayed element matches `xpath` right now.
    pub async fn is_shown(&self, xpath: &str) -> Result<bool> {
        for element in self.driver.find_all(By::XPath(xpath)).await? {
            if element.is_displayed().await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The visible text of the page (`document.body.innerText`).
    pub async fn page_text(&self) -> Result<String> {
        let value = self
            .script("return document.body ? document.body.innerText : '';")
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Waits until `text` is visible somewhere on the page.
    pub async fn wait_for_text(&self, text: &str) -> Result<()> {
        eventually(&format!("the text {text:?}"), async || {
            let page = self.page_text().await?;
            ensure!(page.contains(text), "the page reads: {page}");
            Ok(())
        })
        .await
    }

    /// Waits for the `<h1>` reading exactly `text`.
    /// Every page a test reaches this way is audited with axe-core ([`audit_accessibility`]).
    pub async fn wait_for_heading(&self, text: &str) -> Result<WebElement> {
        let heading = self
            .wait_for(&format!("//h1[normalize-space()={}]", xpath_literal(text)))
            .await?;
        self.audit(&format!("the page headed {text:?}")).await?;
        Ok(heading)
    }

    /// Audits what the page shows now with axe-core: fails on any serious or critical
    /// violation. Pages reached through [`Browser::wait_for_heading`], states pictured with
    /// [`Browser::screenshot`] and the last state of every test are audited already.
    pub async fn audit(&self, state: &str) -> Result<()> {
        audit_accessibility(&self.driver, state).await
    }

    /// What has keyboard focus now, described for a failure message and for matching:
    /// its tag, id, accessible name (`aria-label`, the text of its `<label>`s, else its own
    /// text, or its `value` for buttons) and role. `"body"` when focus fell to the page.
    pub async fn focused(&self) -> Result<String> {
        let value = self
            .script(
                r#"
                const el = document.activeElement;
                if (!el || el === document.body) return 'body';
                const labels = el.labels ? Array.from(el.labels).map((l) => l.innerText).join(' ') : '';
                const name = el.getAttribute('aria-label') || labels || el.innerText || el.value || '';
                return [el.tagName.toLowerCase(), el.id ? '#' + el.id : '', name.replace(/\s+/g, ' ').trim().slice(0, 120), el.getAttribute('role') || ''].filter(Boolean).join(' ');
                "#,
            )
            .await?;
        Ok(value.as_str().unwrap_or("body").to_owned())
    }

    /// Waits until the element with keyboard focus matches `xpath` (its outcome after a
    /// submit: an error summary, a field, a result's heading); fails saying what has focus.
    pub async fn wait_for_focus(&self, xpath: &str) -> Result<()> {
        eventually(&format!("focus on {xpath}"), async || {
            ensure!(
                self.has_focus(xpath).await?,
                "focus is on {}",
                self.focused().await?
            );
            Ok(())
        })
        .await
    }

    /// Whether the element with keyboard focus matches `xpath` right now.
    pub async fn has_focus(&self, xpath: &str) -> Result<bool> {
        let found = self
            .script_with(
                "const r = document.evaluate(arguments[0], document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);\
                 for (let i = 0; i < r.snapshotLength; i++) { if (r.snapshotItem(i) === document.activeElement) return true; }\
                 return false;",
                vec![Value::String(xpath.to_owned())],
            )
            .await?;
        Ok(found == Value::Bool(true))
    }

    /// Calls the API from the page with the browser's session (to set a scene or check
    /// one, not as a step of a journey); returns the status and the body (JSON, or `null`
    /// when empty).
    pub async fn api(&self, method: &str, path: &str, body: Value) -> Result<(u16, Value)> {
        let answer = self
            .script_with(
                "return fetch('/api/v1' + arguments[1], {
                     method: arguments[0],
                     headers: { 'content-type': 'application/json' },
                     body: arguments[2] === null ? undefined : JSON.stringify(arguments[2]),
                 }).then(async (response) => [response.status, await response.text()]);",
                vec![Value::from(method), Value::from(path), body],
            )
            .await?;
        let status = answer[0].as_u64().context("no status")?;
        let text = answer[1].as_str().unwrap_or_default();
        let body = match text.is_empty() {
            true => Value::Null,
            false => serde_json::from_str(text)?,
        };
        Ok((u16::try_from(status)?, body))
    }

    /// Presses keys on whatever has focus, as a person at a keyboard would: text, or
    /// special keys such as `Key::Tab`, `Key::Enter` or `Key::Space` (`thirtyfour::Key`).
    pub async fn press(&self, keys: impl Into<TypingData>) -> Result<()> {
        self.driver.action_chain().send_keys(keys).perform().await?;
        Ok(())
    }

    /// Presses Tab (or Shift+Tab when `backwards`) until the focused element's description
    /// ([`Browser::focused`]) contains `name`, at most 80 times; fails listing where focus
    /// went on the way.
    pub async fn tab_to(&self, name: &str) -> Result<()> {
        let mut seen = Vec::new();
        for _ in 0..80 {
            self.press(Key::Tab).await?;
            let focused = self.focused().await?;
            if focused.contains(name) {
                return Ok(());
            }
            if seen.last() != Some(&focused) {
                seen.push(focused);
            }
        }
        bail!(
            "Tab never reached {name:?}; focus went to: {}",
            seen.join(" | ")
        )
    }

    /// The input labelled `label`, once it is shown.
    pub async fn input(&self, label: &str) -> Result<WebElement> {
        self.wait_for(&input_labelled(label)).await
    }

    /// The button reading `text`, once it is shown.
    pub async fn button(&self, text: &str) -> Result<WebElement> {
        self.wait_for(&format!(
            "//button[normalize-space()={}]",
            xpath_literal(text)
        ))
        .await
    }

    /// Scrolls `element` to the middle of the viewport (for a screenshot, or clear of
    /// sticky headers and bars).
    pub async fn scroll_to(&self, element: &WebElement) -> Result<()> {
        self.script_with(
            "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'}); return null;",
            vec![element.to_json()?],
        )
        .await?;
        Ok(())
    }

    /// Scrolls `element` to the middle of the viewport and clicks it.
    pub async fn click(&self, element: &WebElement) -> Result<()> {
        self.scroll_to(element).await?;
        element.click().await?;
        Ok(())
    }

    /// Clicks the button reading `text`, once it is shown.
    pub async fn click_button(&self, text: &str) -> Result<()> {
        let button = self.button(text).await?;
        self.click(&button).await
    }

    /// Clicks the link reading `text`, once it is shown.
    pub async fn click_link(&self, text: &str) -> Result<()> {
        let link = self.wait_for(&link_reading(text)).await?;
        self.click(&link).await
    }

    /// The input, text area or select labelled `label` (see [`control_labelled`]).
    pub async fn control(&self, label: &str) -> Result<WebElement> {
        self.wait_for(&control_labelled(label)).await
    }

    /// Types `text` into the field labelled `label`.
    pub async fn fill(&self, label: &str, text: &str) -> Result<WebElement> {
        let field = self.control(label).await?;
        self.scroll_to(&field).await?;
        field.send_keys(text).await?;
        Ok(field)
    }

    /// Ticks the checkbox or radio button labelled `label` (by clicking its label, as a
    /// person would), unless it is already ticked.
    pub async fn tick(&self, label: &str) -> Result<()> {
        self.tick_at(&input_labelled(label)).await
    }

    /// Ticks the checkbox or radio button at `xpath` by clicking its label, unless it is
    /// already ticked.
    pub async fn tick_at(&self, xpath: &str) -> Result<()> {
        let input = self.wait_for_present(xpath).await?;
        if input.is_selected().await? {
            return Ok(());
        }
        let id = input
            .attr("id")
            .await?
            .ok_or_else(|| anyhow!("the input at {xpath} has no id"))?;
        let label = self
            .wait_for(&format!("//label[@for={}]", xpath_literal(&id)))
            .await?;
        self.click(&label).await?;
        eventually(&format!("{xpath} to be ticked"), async || {
            ensure!(input.is_selected().await?, "it is not ticked");
            Ok(())
        })
        .await
    }

    /// Chooses the option reading `option` in the select labelled `label` (once the
    /// option has loaded).
    pub async fn choose_option(&self, label: &str, option: &str) -> Result<()> {
        let select = self.control(label).await?;
        eventually(&format!("the option {option:?} of {label:?}"), async || {
            let choice = thirtyfour::components::SelectElement::new(&select).await?;
            choice.select_by_exact_text(option).await?;
            Ok(())
        })
        .await
    }

    /// Searches the person picker labelled `label` for `query` and picks `name` from
    /// its results.
    pub async fn pick_person(&self, label: &str, query: &str, name: &str) -> Result<()> {
        let search = self.fill(label, query).await?;
        let id = search
            .attr("id")
            .await?
            .ok_or_else(|| anyhow!("the person search {label:?} has no id"))?;
        let result = self
            .wait_for(&format!(
                "//ul[@id={}]//button[.//*[contains(@class, 'pick-name')][normalize-space()={}]]",
                xpath_literal(&format!("{id}-results")),
                xpath_literal(name)
            ))
            .await?;
        self.click(&result).await
    }

    /// The element at `xpath` once it is in the page, shown or not (checkboxes styled as
    /// custom controls may be hidden behind their label).
    pub async fn wait_for_present(&self, xpath: &str) -> Result<WebElement> {
        eventually(&format!("{xpath} in the page"), async || {
            let found = self.driver.find_all(By::XPath(xpath)).await?;
            found
                .into_iter()
                .next()
                .ok_or_else(|| anyhow!("not in the page"))
        })
        .await
    }

    /// Waits until no displayed element matches `xpath`.
    pub async fn wait_until_gone(&self, xpath: &str) -> Result<()> {
        eventually(&format!("{xpath} to go"), async || {
            ensure!(!self.is_shown(xpath).await?, "it is still shown");
            Ok(())
        })
        .await
    }

    /// Fails unless the page is at most as wide as the viewport.
    pub async fn ensure_no_sideways_scrolling(&self, page: &str) -> Result<()> {
        let widths = self
            .script("return [document.documentElement.scrollWidth, window.innerWidth];")
            .await?;
        let (scroll, inner): (i64, i64) = serde_json::from_value(widths)?;
        ensure!(
            scroll <= inner,
            "{page} scrolls sideways at {}: {scroll} px wide in a {inner} px viewport",
            self.size
        );
        Ok(())
    }

    /// Whether `element` lies wholly inside the viewport as it is scrolled now and is the
    /// topmost thing at its own centre (nothing covers it).
    pub async fn wholly_on_screen(&self, element: &WebElement) -> Result<bool> {
        let value = self
            .script_with(
                "const e = arguments[0];
                 const r = e.getBoundingClientRect();
                 const inside = r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
                   && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
                 const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                 return inside && top !== null && (top === e || e.contains(top));",
                vec![element.to_json()?],
            )
            .await?;
        Ok(value.as_bool().unwrap_or(false))
    }

    /// Signs out with the header's button and waits for the sign-in page.
    pub async fn sign_out(&self) -> Result<()> {
        self.click_button("Sign out").await?;
        self.wait_for_path("/sign-in").await?;
        Ok(())
    }

    /// Waits until My Access lists `name` (among others).
    pub async fn wait_until_listed(&self, name: &str) -> Result<Vec<String>> {
        eventually(&format!("My Access to list {name:?}"), async || {
            let listed = self.listed_packages().await?;
            ensure!(
                listed.iter().any(|listed| listed == name),
                "it lists {listed:?}"
            );
            Ok(listed)
        })
        .await
    }

    /// Fills the sign-in form (which must be showing) and submits it, without waiting for
    /// the outcome.
    pub async fn submit_sign_in(&self, email: &str, password: &str) -> Result<()> {
        self.wait_for_heading("Sign in").await?;
        let email_input = self.input("E-mail").await?;
        email_input.clear().await?;
        if !email.is_empty() {
            email_input.send_keys(email).await?;
        }
        let password_input = self.input("Password").await?;
        password_input.clear().await?;
        if !password.is_empty() {
            password_input.send_keys(password).await?;
        }
        self.button("Sign in").await?.click().await?;
        Ok(())
    }

    /// Signs in on the sign-in page that is showing and waits until the app has left it.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<()> {
        self.submit_sign_in(email, password).await?;
        eventually(&format!("signing in as {email}"), async || {
            let location = self.location().await?;
            if location == "/sign-in" || location.starts_with("/sign-in?") {
                let alert = self.alert_text().await.unwrap_or_default();
                bail!("still on {location}; alert: {alert:?}");
            }
            Ok(())
        })
        .await
    }

    /// Opens `/sign-in`, signs in and waits for My Access.
    pub async fn sign_in_from_start(&self, email: &str) -> Result<()> {
        self.goto("/sign-in").await?;
        self.sign_in(email, DEMO_PASSWORD).await?;
        self.wait_for_path("/").await?;
        self.wait_for_heading("My Access").await?;
        Ok(())
    }

    /// The text of the shown `role="alert"` elements, joined.
    pub async fn alert_text(&self) -> Result<String> {
        let mut texts = Vec::new();
        for element in self
            .driver
            .find_all(By::XPath("//*[@role='alert']"))
            .await?
        {
            if element.is_displayed().await? {
                let text = element.text().await?;
                if !text.trim().is_empty() {
                    texts.push(text.trim().to_owned());
                }
            }
        }
        Ok(texts.join(" | "))
    }

    /// The names of the packages listed on My Access (the links in the list labelled
    /// "Access packages"), in page order.
    pub async fn listed_packages(&self) -> Result<Vec<String>> {
        let links = self
            .driver
            .find_all(By::XPath(
                "//ul[@aria-label='Access packages']//a[starts-with(@href, '/access-packages/')]",
            ))
            .await?;
        let mut names = Vec::new();
        for link in links {
            if link.is_displayed().await? {
                names.push(link.text().await?.trim().to_owned());
            }
        }
        Ok(names)
    }

    /// Waits until My Access lists exactly `expected` (in any order).
    pub async fn wait_for_packages(&self, expected: &[&str]) -> Result<Vec<String>> {
        let mut want: Vec<String> = expected.iter().map(|name| (*name).to_owned()).collect();
        want.sort();
        eventually(&format!("My Access to list exactly {want:?}"), async || {
            let mut listed = self.listed_packages().await?;
            listed.sort();
            ensure!(listed == want, "it lists {listed:?}");
            Ok(listed)
        })
        .await
    }

    /// The texts of the links in the main navigation, in order.
    pub async fn navigation_links(&self) -> Result<Vec<String>> {
        let links = self
            .driver
            .find_all(By::XPath("//nav[@aria-label='Main']//a"))
            .await?;
        let mut names = Vec::new();
        for link in links {
            if link.is_displayed().await? {
                names.push(link.text().await?.trim().to_owned());
            }
        }
        Ok(names)
    }

    /// Saves a PNG of the viewport as `target/screenshots/<test>-<step>-<size>.png`.
    /// The state pictured is audited with axe-core first.
    pub async fn screenshot(&self, step: &str) -> Result<PathBuf> {
        let path = self
            .save_screenshot(&format!("{}-{step}-{}", self.test, self.size))
            .await?;
        self.audit(&format!("the state {step:?}")).await?;
        Ok(path)
    }

    async fn save_screenshot(&self, name: &str) -> Result<PathBuf> {
        save_png(&self.driver, name).await
    }

    /// Ends the session (and its Chromium).
    pub async fn quit(self) {
        let _ = self.driver.quit().await;
    }
}

/// Saves a PNG of `driver`'s viewport as `target/screenshots/<name>.png`.
async fn save_png(driver: &WebDriver, name: &str) -> Result<PathBuf> {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{name}.png"));
    let png = driver.screenshot_as_png().await?;
    std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// One server shared by the people of a story, each in their own browser (one
/// chromedriver serves them all). See [`with_scene`].
pub struct Scene {
    /// The server.
    pub app: TestApp,
    test: String,
    opened: std::sync::Mutex<Vec<(String, WebDriver)>>,
    _chromedriver: Arc<Chromedriver>,
}

impl Scene {
    /// Opens a browser for `who` at `size`. Its screenshots are named
    /// `<test>-<who>-<step>-<size>.png`; [`with_scene`] quits it at the end.
    pub async fn browser(&self, who: &str, size: Size) -> Result<Browser> {
        let browser = Browser::open(&self.app, size, &format!("{}-{who}", self.test)).await?;
        let name = format!("{}-{who}-failure-{size}", self.test);
        self.opened
            .lock()
            .map_err(|_| anyhow!("the list of browsers is poisoned"))?
            .push((name, browser.driver.clone()));
        Ok(browser)
    }

    /// Opens a browser for `who` at `size` and signs `email` in from the sign-in page.
    pub async fn signed_in(&self, who: &str, size: Size, email: &str) -> Result<Browser> {
        let browser = self.browser(who, size).await?;
        browser.sign_in_from_start(email).await?;
        Ok(browser)
    }
}

/// Runs `body` against one fresh server, in which it opens as many browsers as the story
/// needs ([`Scene::browser`]). Afterwards every browser is quit; when the body failed or
/// panicked, each first saves `target/screenshots/<test>-<who>-failure-<size>.png`.
pub async fn with_scene(test: &str, body: impl AsyncFn(&Scene) -> Result<()>) -> Result<()> {
    dist_dir()?;
    with_scene_of(test, TestApp::spawn().await?, body).await
}

/// [`with_scene`] on a server the caller started (e.g. [`TestApp::spawn_with_provider`]).
pub async fn with_scene_of(
    test: &str,
    app: TestApp,
    body: impl AsyncFn(&Scene) -> Result<()>,
) -> Result<()> {
    let scene = Scene {
        app,
        test: test.to_owned(),
        opened: std::sync::Mutex::new(Vec::new()),
        _chromedriver: chromedriver().await?,
    };
    let mut outcome = AssertUnwindSafe(body(&scene)).catch_unwind().await;
    let opened = match scene.opened.lock() {
        Ok(mut opened) => std::mem::take(&mut *opened),
        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    };
    if matches!(outcome, Ok(Ok(()))) {
        for (name, driver) in &opened {
            if let Err(error) = audit_accessibility(
                driver,
                &format!("the last state of {}", name.replace("-failure", "")),
            )
            .await
            {
                outcome = Ok(Err(error));
                break;
            }
        }
    }
    let failed = !matches!(outcome, Ok(Ok(())));
    let mut shots = Vec::new();
    for (name, driver) in opened {
        if failed {
            if let Ok(path) = save_png(&driver, &name).await {
                shots.push(path.display().to_string());
            }
        }
        let _ = driver.quit().await;
    }
    let stopped = scene.app.stop().await;
    match outcome {
        Err(panic) => std::panic::resume_unwind(panic),
        Ok(Ok(())) => stopped,
        Ok(Err(error)) if shots.is_empty() => Err(error),
        Ok(Err(error)) => Err(error.context(format!("screenshots: {}", shots.join(", ")))),
    }
}

/// What a test body gets: the server and a browser pointed at it.
pub struct Session {
    /// The server.
    pub app: TestApp,
    /// The browser, at one of [`SIZES`].
    pub browser: Browser,
}

/// Runs `body` once at each of [`SIZES`], each time with a fresh server and browser.
/// After each run it saves `target/screenshots/<test>-<size>.png` (the failure's picture
/// when the body failed) and quits the browser, whether the body succeeded, failed or
/// panicked. Failures at both sizes are reported together.
pub async fn at_each_size(test: &str, body: impl AsyncFn(&Session) -> Result<()>) -> Result<()> {
    dist_dir()?;
    let mut failures = Vec::new();
    for size in SIZES {
        if let Err(error) = at_size(test, size, &body).await {
            failures.push(format!("at {size}: {error:#}"));
        }
    }
    match failures.is_empty() {
        true => Ok(()),
        false => Err(anyhow!("{test} failed\n{}", failures.join("\n"))),
    }
}

async fn at_size(
    test: &str,
    size: Size,
    body: &impl AsyncFn(&Session) -> Result<()>,
) -> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::open(&app, size, test).await?;
    let session = Session { app, browser };
    let outcome = AssertUnwindSafe(async {
        body(&session).await?;
        session.browser.audit("the end of the test").await
    })
    .catch_unwind()
    .await;
    let shot = session
        .browser
        .save_screenshot(&format!("{test}-{size}"))
        .await;
    let Session { app, browser } = session;
    browser.quit().await;
    let stopped = app.stop().await;
    let result = match outcome {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    match (result, shot) {
        (Ok(()), shot) => {
            shot?;
            stopped
        }
        (Err(error), Ok(path)) => Err(error.context(format!("screenshot: {}", path.display()))),
        (Err(error), Err(_)) => Err(error),
    }
}

/// The name of the enclosing test function, for screenshot names.
#[macro_export]
macro_rules! test_name {
    () => {{
        fn here() {}
        $crate::function_name(::std::any::type_name_of_val(&here))
    }};
}

/// `crate::module::test_fn::{{closure}}::here` → `test_fn`.
#[doc(hidden)]
pub fn function_name(path: &str) -> &str {
    let segments: Vec<&str> = path
        .split("::")
        .filter(|segment| !segment.starts_with('{'))
        .collect();
    match segments.as_slice() {
        [.., name, _here] => name,
        _ => "browser-test",
    }
}
