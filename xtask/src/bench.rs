//! `cargo xtask bench [NAME…]`: the speed and memory budgets of issue 12, measured on this
//! machine. Absolute times are noise on shared machines, so each throughput figure is
//! reported as a ratio to a baseline measured in the same run: `bench-baseline`, axum on
//! the same runtime answering the same-size body from memory. Load comes from a separate
//! process, Debian's `wrk`, at 64 connections.
//!
//! Each HTTP benchmark runs on SQLite and on a throwaway PostgreSQL cluster, against the
//! demo grown by `entrada demo --scale` (`--scale X` or `ENTRADA_BENCH_SCALE`, default 1:
//! the reference size). Writes `target/bench/report.md`, `report.json` and `chart.svg`, and
//! fails when a budget is missed.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::postgres::Cluster;
use crate::{run, step, tools};

/// The benchmarks, by name.
const NAMES: &[&str] = &[
    "my-access",
    "approvals",
    "audit",
    "memory",
    "delivery",
    "expiry",
    "wasm-size",
    "first-paint",
];

/// The demo password (api.md).
const PASSWORD: &str = "entrada-demo";

/// One measured figure against its budget.
struct Figure {
    benchmark: String,
    backend: &'static str,
    what: String,
    value: f64,
    unit: &'static str,
    /// The baseline's value, for throughput figures.
    baseline: Option<f64>,
    budget: Budget,
}

#[derive(Clone, Copy)]
enum Budget {
    /// The ratio to the baseline must be at least this.
    RatioAtLeast(f64),
    /// The value must be below this.
    Below(f64),
    /// The value must be at most this.
    AtMost(f64),
    /// Reported only.
    Report,
}

impl Figure {
    fn ratio(&self) -> Option<f64> {
        self.baseline.filter(|b| *b > 0.0).map(|b| self.value / b)
    }

    fn met(&self) -> bool {
        match self.budget {
            Budget::RatioAtLeast(min) => self.ratio().is_some_and(|r| r >= min),
            Budget::Below(max) => self.value < max,
            Budget::AtMost(max) => self.value <= max,
            Budget::Report => true,
        }
    }

    fn budget_text(&self) -> String {
        match self.budget {
            Budget::RatioAtLeast(min) => format!("≥ {min} × baseline"),
            Budget::Below(max) => format!("< {max} {}", self.unit),
            Budget::AtMost(max) => format!("≤ {max} {}", self.unit),
            Budget::Report => "reported".to_owned(),
        }
    }
}

pub(crate) fn run_benches(root: &Path, args: &[String]) -> Result<()> {
    let mut scale = std::env::var("ENTRADA_BENCH_SCALE").unwrap_or_else(|_| "1".to_owned());
    let mut wanted = Vec::new();
    let mut only_backend: Option<String> = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--scale" => scale = rest.next().context("--scale needs a number")?.clone(),
            "--backend" => {
                let backend = rest.next().context("--backend needs sqlite or postgres")?;
                match backend.as_str() {
                    "sqlite" | "postgres" => only_backend = Some(backend.clone()),
                    other => bail!("--backend {other:?}: sqlite or postgres"),
                }
            }
            name if NAMES.contains(&name) => wanted.push(name.to_owned()),
            other => bail!("unknown benchmark {other:?}; the benchmarks are {NAMES:?}"),
        }
    }
    if wanted.is_empty() {
        wanted = NAMES.iter().map(|name| (*name).to_owned()).collect();
    }
    let wants = |name: &str| wanted.iter().any(|w| w == name);
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out)?;
    let mut figures = Vec::new();

    let needs_server = [
        "my-access",
        "approvals",
        "audit",
        "memory",
        "delivery",
        "expiry",
        "first-paint",
    ]
    .iter()
    .any(|name| wants(name));
    let build_spa = || -> Result<()> {
        if wants("wasm-size") || wants("first-paint") {
            // Always from the current sources: an older dist/ would measure an older app.
            tools::ensure_spa_tools()?;
            crate::build_spa(root)?;
        }
        Ok(())
    };
    match needs_server {
        true => crate::beside_the_server_build(root, build_spa)?,
        false => build_spa()?,
    }
    if wants("wasm-size") {
        figures.extend(wasm_size(root)?);
    }
    if needs_server {
        ensure_wrk()?;
        let bin = root.join("target/release");
        // The first paint is the browser's: measured once, against SQLite.
        let server_side = wanted
            .iter()
            .any(|name| !["first-paint", "wasm-size"].contains(&name.as_str()));
        let backends: Vec<&str> = ["sqlite", "postgres"]
            .into_iter()
            .filter(|backend| *backend == "sqlite" || server_side)
            .filter(|backend| only_backend.as_deref().is_none_or(|only| only == *backend))
            .collect();
        // Both organisations are grown before any benchmark, side by side: each growth
        // leaves a core mostly idle (SQLite has one writer; PostgreSQL's is split between
        // two processes), and nothing is measured while they run.
        let sqlite_file = out.join(format!("scale-{scale}.db"));
        let cluster = match backends.contains(&"postgres") {
            true => Some(Cluster::start()?),
            false => None,
        };
        let postgres_growth = match &cluster {
            Some(cluster) => Some(Running(start_growth(&bin, &cluster.url, &scale)?)),
            None => None,
        };
        if backends.contains(&"sqlite") && !sqlite_file.is_file() {
            grow(&bin, &format!("sqlite://{}", sqlite_file.display()), &scale)?;
        }
        if let Some(mut growth) = postgres_growth {
            crate::finished(&mut growth.0, "growing the demo on PostgreSQL")?;
        }
        for backend in backends {
            let url = match (backend, &cluster) {
                ("postgres", Some(cluster)) => cluster.url.clone(),
                _ => {
                    // Delivery and expiry change the data: they work on a copy, so the
                    // grown organisation is kept for the next run.
                    let work = out.join(format!("scale-{scale}-run.db"));
                    copy_sqlite(&sqlite_file, &work)?;
                    format!("sqlite://{}", work.display())
                }
            };
            let server = Server::start(&bin, &url, root)?;
            if wants("first-paint") && backend == "sqlite" {
                tools::ensure_browser()?;
                figures.extend(first_paint(&server, &out)?);
            }
            if wants("my-access") {
                figures.extend(throughput(
                    &bin,
                    &server,
                    backend,
                    "my-access",
                    "My Access list of one person",
                    "s7@scale.lakeshore.example",
                    "/api/v1/my/access-packages",
                    &out,
                )?);
            }
            if wants("approvals") {
                figures.extend(throughput(
                    &bin,
                    &server,
                    backend,
                    "approvals",
                    "approvals inbox of the busiest approver",
                    "s0@scale.lakeshore.example",
                    "/api/v1/approvals",
                    &out,
                )?);
            }
            if wants("audit") {
                figures.extend(audit(&server, backend)?);
            }
            if wants("memory") {
                figures.push(Figure {
                    benchmark: "memory".to_owned(),
                    backend,
                    what: "server peak RSS under the load above".to_owned(),
                    value: server.peak_rss_mib()?,
                    unit: "MiB",
                    baseline: None,
                    budget: Budget::Below(100.0),
                });
            }
            if wants("delivery") {
                figures.extend(delivery(&server, backend)?);
            }
            drop(server);
            if wants("expiry") {
                figures.extend(expiry(&bin, &url, backend)?);
            }
        }
    }

    write_report(&out, &scale, &figures)?;
    let missed: Vec<String> = figures
        .iter()
        .filter(|figure| !figure.met())
        .map(|figure| format!("{} ({})", figure.what, figure.backend))
        .collect();
    println!("\nReport: {}", out.join("report.md").display());
    if !missed.is_empty() {
        bail!("{} budget(s) missed: {}", missed.len(), missed.join("; "));
    }
    Ok(())
}

fn ensure_wrk() -> Result<()> {
    if Path::new("/usr/bin/wrk").is_file() {
        return Ok(());
    }
    step("Installing Debian's wrk (the load generator)");
    tools::apt_install(&["wrk"])
}

fn grow(bin: &Path, url: &str, scale: &str) -> Result<()> {
    crate::finished(&mut start_growth(bin, url, scale)?, "growing the demo")
}

/// Starts growing the demo at `url` to `scale` (`entrada demo --scale`).
fn start_growth(bin: &Path, url: &str, scale: &str) -> Result<Child> {
    let backend = url.split(':').next().unwrap_or_default();
    step(&format!(
        "Growing the demo to scale {scale} on {backend} (the reference size takes minutes)"
    ));
    Command::new(bin.join("entrada"))
        .args(["demo", "--scale", scale, "--database-url", url])
        .spawn()
        .context("starting entrada demo --scale")
}

/// Copies a SQLite database (with its write-ahead log, when there is one) that no process
/// has open.
fn copy_sqlite(from: &Path, to: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let source = PathBuf::from(format!("{}{suffix}", from.display()));
        let target = PathBuf::from(format!("{}{suffix}", to.display()));
        let _ = std::fs::remove_file(&target);
        if source.is_file() {
            std::fs::copy(&source, &target)
                .with_context(|| format!("copying {}", source.display()))?;
        }
    }
    Ok(())
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// A process stopped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The release server on a free port.
pub(crate) struct Server {
    process: Running,
    pub(crate) base: String,
}

impl Server {
    fn start(bin: &Path, url: &str, root: &Path) -> Result<Server> {
        Self::start_with(&bin.join("entrada"), url, root, &[])
    }

    /// The server `entrada` (a path to the binary) on `url`, with `extra` arguments to
    /// `serve`.
    pub(crate) fn start_with(
        entrada: &Path,
        url: &str,
        root: &Path,
        extra: &[&str],
    ) -> Result<Server> {
        let port = free_port()?;
        let process = Command::new(entrada)
            .current_dir(root)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(["--database-url", url, "--static-dir", "dist"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the server")?;
        let server = Server {
            process: Running(process),
            base: format!("http://127.0.0.1:{port}"),
        };
        wait_until_up(&format!("{}/healthz", server.base))?;
        Ok(server)
    }

    /// The server's peak resident memory so far, in MiB (`VmHWM`).
    fn peak_rss_mib(&self) -> Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.process.0.id()))?;
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .context("no VmHWM in /proc/PID/status")?;
        Ok(kib / 1024.0)
    }
}

fn wait_until_up(url: &str) -> Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let ok = Command::new("curl")
            .args(["-sf", "-o", "/dev/null", url])
            .status()
            .is_ok_and(|status| status.success());
        if ok {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("{url} did not answer within a minute")
}

/// A GET's body, signed in with `cookie` (a `name=value` pair).
fn get_with_cookie(url: &str, cookie: &str) -> Result<String> {
    crate::tools::output(Command::new("curl").args([
        "-sf",
        "-H",
        &format!("Cookie: {cookie}"),
        url,
    ]))
}

/// The time `date -d` reads `when` as (e.g. "30 days ago"), in UTC, RFC 3339.
fn utc_time(when: &str) -> Result<String> {
    let text =
        crate::tools::output(Command::new("date").args(["-u", "-d", when, "+%Y-%m-%dT%H:%M:%SZ"]))?;
    Ok(text.trim().to_owned())
}

/// Signs in and returns the `Cookie` header value.
pub(crate) fn sign_in(base: &str, email: &str) -> Result<String> {
    let body = format!(r#"{{"email":"{email}","password":"{PASSWORD}"}}"#);
    let headers = crate::tools::output(Command::new("curl").args([
        "-sf",
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-H",
        "Content-Type: application/json",
        "--data",
        &body,
        &format!("{base}/api/v1/session"),
    ]))
    .with_context(|| format!("signing in as {email}"))?;
    headers
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie").then(|| {
                value
                    .trim()
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
        })
        .context("the sign-in set no cookie")
}

/// Requests/s and p99 of the server at `path` as `email`, and of the baseline answering
/// the same body from memory.
#[allow(clippy::too_many_arguments)]
fn throughput(
    bin: &Path,
    server: &Server,
    backend: &'static str,
    benchmark: &str,
    what: &str,
    email: &str,
    path: &str,
    out: &Path,
) -> Result<Vec<Figure>> {
    step(&format!("{what} ({backend})"));
    let cookie = sign_in(&server.base, email)?;
    let url = format!("{}{path}", server.base);
    let body = get_with_cookie(&url, &cookie)?;
    let body_file = out.join(format!("{benchmark}-{backend}.json"));
    std::fs::write(&body_file, &body)?;
    let port = free_port()?;
    let baseline = Running(
        Command::new(bin.join("bench-baseline"))
            .arg(format!("127.0.0.1:{port}"))
            .arg(&body_file)
            .spawn()
            .context("starting bench-baseline")?,
    );
    let baseline_url = format!("http://127.0.0.1:{port}{path}");
    wait_until_up(&baseline_url)?;
    let measured = wrk(&url, Some(&cookie))?;
    let reference = wrk(&baseline_url, None)?;
    drop(baseline);
    println!(
        "    server {:.0} req/s, p99 {:.1} ms; baseline {:.0} req/s; body {} KB",
        measured.rate,
        measured.p99_ms,
        reference.rate,
        body.len() / 1024
    );
    Ok(vec![
        Figure {
            benchmark: benchmark.to_owned(),
            backend,
            what: format!("{what}: requests/s ({} KB body)", body.len() / 1024),
            value: measured.rate,
            unit: "req/s",
            baseline: Some(reference.rate),
            budget: Budget::RatioAtLeast(0.5),
        },
        Figure {
            benchmark: benchmark.to_owned(),
            backend,
            what: format!("{what}: p99 latency"),
            value: measured.p99_ms,
            unit: "ms",
            baseline: None,
            budget: Budget::Below(20.0),
        },
    ])
}

/// The audit page filtered by one person and the last 30 days (first page), under load;
/// then the CSV export of every event, with the server's peak memory before and after.
fn audit(server: &Server, backend: &'static str) -> Result<Vec<Figure>> {
    step(&format!(
        "Audit log: a filtered first page, and the CSV of every event ({backend})"
    ));
    let cookie = sign_in(&server.base, "alex.morgan@lakeshore.example")?;
    let since = utc_time("30 days ago")?;
    let url = format!("{}/api/v1/audit?actor=user-s7&from={}", server.base, since);
    // One person at a time: the time the query itself takes, not a queue's.
    let filtered = wrk_with(&url, Some(&cookie), 1)?;
    let before = server.peak_rss_mib()?;
    let started = Instant::now();
    let size: f64 = crate::tools::output(Command::new("curl").args([
        "-sf",
        "-o",
        "/dev/null",
        "-w",
        "%{size_download}",
        "-H",
        &format!("Cookie: {cookie}"),
        &format!("{}/api/v1/audit.csv", server.base),
    ]))?
    .trim()
    .parse()
    .context("curl's size")?;
    let seconds = started.elapsed().as_secs_f64();
    let after = server.peak_rss_mib()?;
    println!(
        "    filter p99 {:.1} ms ({:.0} req/s); CSV {:.0} MB in {seconds:.1} s, peak RSS {before:.1} → {after:.1} MiB",
        filtered.p99_ms,
        filtered.rate,
        size / 1e6
    );
    Ok(vec![
        Figure {
            benchmark: "audit".to_owned(),
            backend,
            what: "audit filter (actor + 30 days), first page, one client: p99 latency".to_owned(),
            value: filtered.p99_ms,
            unit: "ms",
            baseline: None,
            budget: Budget::Below(50.0),
        },
        Figure {
            benchmark: "audit".to_owned(),
            backend,
            what: format!(
                "audit CSV export of every event ({:.0} MB in {seconds:.1} s): growth of peak RSS",
                size / 1e6
            ),
            value: after - before,
            unit: "MiB",
            baseline: None,
            budget: Budget::Below(20.0),
        },
    ])
}

/// The busiest approver approves every request waiting for them, one after another. Each
/// is the last approval its request needs, and delivery runs in the approval's own
/// transaction: the answer comes once every grant is delivered, and says so. The figure is
/// the p99 of the time from sending the approval to that answer.
fn delivery(server: &Server, backend: &'static str) -> Result<Vec<Figure>> {
    step(&format!(
        "Last approval to every grant delivered, the busiest approver's inbox ({backend})"
    ));
    let cookie = sign_in(&server.base, "s0@scale.lakeshore.example")?;
    let cookie_header = format!("Cookie: {cookie}");
    let inbox = get_with_cookie(&format!("{}/api/v1/approvals", server.base), &cookie)?;
    let inbox: serde_json::Value = serde_json::from_str(&inbox).context("reading the inbox")?;
    let ids: Vec<String> = inbox
        .as_array()
        .context("the inbox is a list")?
        .iter()
        .filter_map(|view| view["request"]["id"].as_str().map(str::to_owned))
        .collect();
    if ids.is_empty() {
        bail!("the busiest approver has nothing to approve");
    }
    let mut millis = Vec::with_capacity(ids.len());
    for id in &ids {
        let answer = crate::tools::output(Command::new("curl").args([
            "-s",
            "-H",
            &cookie_header,
            "-H",
            "Content-Type: application/json",
            "--data",
            r#"{"decision":"approve"}"#,
            "-w",
            "\n%{http_code} %{time_total}",
            &format!("{}/api/v1/requests/{id}/decisions", server.base),
        ]))?;
        let (body, timing) = answer.rsplit_once('\n').context("curl's timing")?;
        let (status, seconds) = timing.split_once(' ').context("curl's timing")?;
        let view: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        if status != "200" || view["request"]["state"] != "delivered" {
            bail!("approving {id} answered {status}, not a delivered request: {body}");
        }
        millis.push(seconds.trim().parse::<f64>().context("curl's time")? * 1000.0);
    }
    millis.sort_by(f64::total_cmp);
    let p99 = millis[((millis.len() as f64 * 0.99).ceil() as usize).clamp(1, millis.len()) - 1];
    println!(
        "    {} approvals delivered: median {:.1} ms, p99 {p99:.1} ms",
        millis.len(),
        millis[millis.len() / 2]
    );
    Ok(vec![Figure {
        benchmark: "delivery".to_owned(),
        backend,
        what: format!(
            "last approval to every grant delivered ({} requests, one after another): p99",
            millis.len()
        ),
        value: p99,
        unit: "ms",
        baseline: None,
        budget: Budget::Below(100.0),
    }])
}

/// Every assignment of the grown organisation comes to its end (365 days): the expiry job
/// runs once, a year and two days on, through `entrada jobs run`. The budget is 10 s for
/// 100,000, scaled to the number actually expired; the audit chain must verify after.
fn expiry(bin: &Path, url: &str, backend: &'static str) -> Result<Vec<Figure>> {
    step(&format!(
        "Expiry of every assignment by the job ({backend})"
    ));
    let at = utc_time("367 days")?;
    let entrada = bin.join("entrada");
    let report = crate::tools::output(Command::new(&entrada).args([
        "jobs",
        "run",
        "--only",
        "expiry",
        "--at",
        &at,
        "--database-url",
        url,
    ]))?;
    let report: serde_json::Value =
        serde_json::from_str(report.trim()).context("reading the jobs' report")?;
    let expired = report["expired"].as_f64().context("expired")?;
    let seconds = report["seconds"].as_f64().context("seconds")?;
    if expired < 1.0 {
        bail!("the expiry job expired nothing: {report}");
    }
    run(Command::new(&entrada).args(["audit", "verify", "--database-url", url]))?;
    println!("    {expired} assignments expired in {seconds:.1} s");
    Ok(vec![Figure {
        benchmark: "expiry".to_owned(),
        backend,
        what: format!(
            "expiry of {expired} due assignments by the job, grants taken back and audited (budget: 10 s per 100,000)"
        ),
        value: seconds,
        unit: "s",
        baseline: None,
        budget: Budget::Below(10.0 * expired / 100_000.0),
    }])
}

struct Load {
    rate: f64,
    p99_ms: f64,
}

/// `wrk` with 2 threads and 64 connections for 10 seconds.
fn wrk(url: &str, cookie: Option<&str>) -> Result<Load> {
    wrk_with(url, cookie, 64)
}

/// `wrk` with `connections` connections (and at most 2 threads) for 10 seconds.
fn wrk_with(url: &str, cookie: Option<&str>, connections: u32) -> Result<Load> {
    let mut command = Command::new("wrk");
    command.args([
        &format!("-t{}", connections.min(2)),
        &format!("-c{connections}"),
        "-d10s",
        "--latency",
    ]);
    if let Some(cookie) = cookie {
        command.args(["-H", &format!("Cookie: {cookie}")]);
    }
    let text = crate::tools::output(command.arg(url))?;
    parse_wrk(&text).with_context(|| format!("reading wrk's output:\n{text}"))
}

fn parse_wrk(text: &str) -> Option<Load> {
    if text.contains("Non-2xx or 3xx responses") {
        return None;
    }
    let rate = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))?
        .trim()
        .parse()
        .ok()?;
    let p99 = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("99%"))?
        .trim();
    Some(Load {
        rate,
        p99_ms: millis(p99)?,
    })
}

/// "1.23ms", "850.00us", "1.02s" in milliseconds.
fn millis(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        _ => return None,
    })
}

/// Flags for a headless Chromium that reaches for no other host (as in the browser tests).
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
    "--window-size=390,844",
];

/// DevTools' "Fast 3G" profile: 562.5 ms of latency, 1.6 Mbit/s down and 750 kbit/s up,
/// each at 90 % (as DevTools applies them), in bytes per second.
const FAST_3G: (f64, f64, f64) = (562.5, 1.6e6 / 8.0 * 0.9, 750e3 / 8.0 * 0.9);

/// First contentful paint of My Access for a signed-in person on a phone: headless
/// Chromium at 390×844 with the CPU 4× slower and DevTools' "Fast 3G" network, nothing
/// cached. Also reports when the list of packages itself appeared.
fn first_paint(server: &Server, out: &Path) -> Result<Vec<Figure>> {
    step(
        "First contentful paint of My Access on a phone profile (Chromium, CPU 4× slower, Fast 3G)",
    );
    let cookie = sign_in(&server.base, "s7@scale.lakeshore.example")?;
    let (name, value) = cookie.split_once('=').context("the cookie")?;
    let port = free_port()?;
    let _driver = Running(
        Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver")?,
    );
    let driver = format!("http://127.0.0.1:{port}");
    wait_until_up(&format!("{driver}/status"))?;
    let session = webdriver(
        "POST",
        &format!("{driver}/session"),
        serde_json::json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": CHROMIUM_ARGS }
        }}}),
    )?;
    let id = session["value"]["sessionId"]
        .as_str()
        .context("chromedriver gave no session")?
        .to_owned();
    let session_url = format!("{driver}/session/{id}");
    let result = (|| -> Result<(f64, f64)> {
        // The cookie needs a page of the server's origin first (unthrottled).
        webdriver(
            "POST",
            &format!("{session_url}/url"),
            serde_json::json!({ "url": format!("{}/healthz", server.base) }),
        )?;
        webdriver(
            "POST",
            &format!("{session_url}/cookie"),
            serde_json::json!({ "cookie": { "name": name, "value": value, "path": "/" } }),
        )?;
        let cdp = |cmd: &str, params: serde_json::Value| {
            webdriver(
                "POST",
                &format!("{session_url}/goog/cdp/execute"),
                serde_json::json!({ "cmd": cmd, "params": params }),
            )
        };
        cdp("Network.enable", serde_json::json!({}))?;
        cdp(
            "Network.setCacheDisabled",
            serde_json::json!({ "cacheDisabled": true }),
        )?;
        let (latency, down, up) = FAST_3G;
        cdp(
            "Network.emulateNetworkConditions",
            serde_json::json!({
                "offline": false, "latency": latency, "downloadThroughput": down, "uploadThroughput": up
            }),
        )?;
        cdp(
            "Emulation.setCPUThrottlingRate",
            serde_json::json!({ "rate": 4 }),
        )?;
        cdp(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({ "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true }),
        )?;
        webdriver(
            "POST",
            &format!("{session_url}/url"),
            serde_json::json!({ "url": format!("{}/", server.base) }),
        )?;
        let started = Instant::now();
        let (mut paint, mut list) = (None, None);
        while (paint.is_none() || list.is_none()) && started.elapsed() < Duration::from_secs(90) {
            let seen = webdriver(
                "POST",
                &format!("{session_url}/execute/sync"),
                serde_json::json!({ "script": "const p = performance.getEntriesByName('first-contentful-paint')[0]; \
                    if (document.querySelector('.package-card') && !window.__listAt) window.__listAt = performance.now(); \
                    return [p ? p.startTime : null, window.__listAt || null];", "args": [] }),
            )?;
            if paint.is_none() && seen["value"][0].as_f64().is_some() {
                // What the person sees at the first paint (the shell, before the app runs).
                save_screenshot(&session_url, &out.join("first-paint-390x844.png"))?;
            }
            paint = paint.or(seen["value"][0].as_f64());
            list = list.or(seen["value"][1].as_f64());
            std::thread::sleep(Duration::from_millis(50));
        }
        save_screenshot(&session_url, &out.join("my-access-loaded-390x844.png"))?;
        Ok((
            paint.context("no first contentful paint within 90 s")?,
            list.context("My Access showed no package within 90 s")?,
        ))
    })();
    let _ = webdriver("DELETE", &session_url, serde_json::json!({}));
    let (paint, list) = result?;
    println!("    first contentful paint {paint:.0} ms; the list of packages at {list:.0} ms");
    Ok(vec![
        Figure {
            benchmark: "first-paint".to_owned(),
            backend: "-",
            what: "My Access on a phone (CPU 4× slower, Fast 3G): first contentful paint"
                .to_owned(),
            value: paint,
            unit: "ms",
            baseline: None,
            budget: Budget::Below(1500.0),
        },
        Figure {
            benchmark: "first-paint".to_owned(),
            backend: "-",
            what: "My Access on a phone (CPU 4× slower, Fast 3G): the list of packages shown"
                .to_owned(),
            value: list,
            unit: "ms",
            baseline: None,
            budget: Budget::Report,
        },
    ])
}

/// Saves the browser's viewport as a PNG file.
fn save_screenshot(session_url: &str, file: &Path) -> Result<()> {
    use base64::Engine;
    let shot = webdriver(
        "GET",
        &format!("{session_url}/screenshot"),
        serde_json::Value::Null,
    )?;
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot["value"].as_str().context("no screenshot")?)
        .context("the screenshot's base64")?;
    std::fs::write(file, png)?;
    Ok(())
}

/// One WebDriver call through curl; the answer's JSON, or an error naming WebDriver's.
fn webdriver(method: &str, url: &str, body: serde_json::Value) -> Result<serde_json::Value> {
    let mut curl = Command::new("curl");
    curl.args(["-s", "-X", method]);
    if !body.is_null() {
        curl.args([
            "-H",
            "Content-Type: application/json",
            "--data",
            &body.to_string(),
        ]);
    }
    let answer = crate::tools::output(curl.arg(url))?;
    let answer: serde_json::Value = serde_json::from_str(&answer)
        .with_context(|| format!("WebDriver's answer to {method} {url}: {answer}"))?;
    if let Some(error) = answer["value"]["error"].as_str() {
        bail!(
            "WebDriver {method} {url}: {error}: {}",
            answer["value"]["message"]
        );
    }
    Ok(answer)
}

/// The web app's first load for My Access: every wasm, JS, CSS and HTML file at the top of
/// `dist/` (the styles are inlined in index.html), raw and brotli (best), as served; and,
/// reported beside it, the two builds loaded later (src/lib.rs): the portal in
/// `dist/portal/`, prefetched once the first load has loaded and run on following a link
/// to a package, a request or an approval, and the admin area in `dist/admin/`, loaded only
/// by those who open it.
fn wasm_size(root: &Path) -> Result<Vec<Figure>> {
    let dist = root.join("dist");
    step("Web app first load (dist/), the portal (dist/portal/) and the admin area (dist/admin/)");
    let (raw, brotli) = served_size(&dist)?;
    let (_, portal_brotli) = served_size(&dist.join("portal"))?;
    let (admin_raw, admin_brotli) = served_size(&dist.join("admin"))?;
    println!(
        "    first load: {} KB raw, {} KB brotli",
        raw / 1024,
        brotli / 1024
    );
    println!("    portal: {} KB brotli", portal_brotli / 1024);
    println!(
        "    admin area: {} KB raw, {} KB brotli",
        admin_raw / 1024,
        admin_brotli / 1024
    );
    let figure = |what: &str, bytes: usize, budget| Figure {
        benchmark: "wasm-size".to_owned(),
        backend: "-",
        what: what.to_owned(),
        value: bytes as f64 / 1024.0,
        unit: "KB",
        baseline: None,
        budget,
    };
    Ok(vec![
        figure(
            "web app first load, wasm + JS + HTML with its CSS, raw",
            raw,
            Budget::Report,
        ),
        figure(
            "web app first load, wasm + JS + HTML with its CSS, brotli",
            brotli,
            Budget::AtMost(250.0),
        ),
        figure(
            "portal (a package's page, requests, approvals), prefetched after the first load, brotli",
            portal_brotli,
            Budget::Report,
        ),
        figure(
            "admin area, loaded on opening it, brotli",
            admin_brotli,
            Budget::Report,
        ),
    ])
}

/// The raw and brotli (best) sizes of the wasm, JS, CSS and HTML files directly in `dir`.
fn served_size(dir: &Path) -> Result<(usize, usize)> {
    let (mut raw, mut brotli) = (0usize, 0usize);
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let path: PathBuf = entry?.path();
        let served = path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| ["wasm", "js", "css", "html"].contains(&ext));
        if !served {
            continue;
        }
        let mut bytes = Vec::new();
        std::fs::File::open(&path)?.read_to_end(&mut bytes)?;
        raw += bytes.len();
        let mut compressed = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut bytes.as_slice(), &mut compressed, &params)?;
        brotli += compressed.len();
    }
    Ok((raw, brotli))
}

fn write_report(out: &Path, scale: &str, figures: &[Figure]) -> Result<()> {
    let mut md = format!(
        "# Benchmarks\n\nScale {scale} (1 is the reference size: 10,000 people, 500 packages, \
         100,000 assignments, 1,000,000 audit events). Load: wrk, 2 threads, 64 connections, \
         10 s. Throughput is compared with `bench-baseline` answering the same body from \
         memory in the same run.\n\n\
         | benchmark | backend | figure | value | baseline | ratio | budget | met |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    );
    let mut json = String::from("{\n  \"scale\": ");
    json.push_str(&format!("{scale:?},\n  \"figures\": [\n"));
    for (index, figure) in figures.iter().enumerate() {
        let ratio = figure.ratio();
        md.push_str(&format!(
            "| {} | {} | {} | {:.1} {} | {} | {} | {} | {} |\n",
            figure.benchmark,
            figure.backend,
            figure.what,
            figure.value,
            figure.unit,
            figure
                .baseline
                .map_or("-".to_owned(), |b| format!("{b:.0} {}", figure.unit)),
            ratio.map_or("-".to_owned(), |r| format!("{r:.3}")),
            figure.budget_text(),
            if figure.met() { "yes" } else { "**no**" },
        ));
        json.push_str(&format!(
            "    {{\"benchmark\": {:?}, \"backend\": {:?}, \"figure\": {:?}, \"value\": {:.3}, \"unit\": {:?}, \"baseline\": {}, \"ratio\": {}, \"budget\": {:?}, \"met\": {}}}{}\n",
            figure.benchmark,
            figure.backend,
            figure.what,
            figure.value,
            figure.unit,
            figure.baseline.map_or("null".to_owned(), |b| format!("{b:.3}")),
            ratio.map_or("null".to_owned(), |r| format!("{r:.4}")),
            figure.budget_text(),
            figure.met(),
            if index + 1 < figures.len() { "," } else { "" },
        ));
    }
    json.push_str("  ]\n}\n");
    md.push_str("\n![How each figure stands against its budget](chart.svg)\n");
    std::fs::write(out.join("report.md"), md)?;
    std::fs::write(out.join("report.json"), json)?;
    std::fs::write(out.join("chart.svg"), chart(figures))?;
    // The README shows the last full run's chart and report (every benchmark, both backends).
    if figures
        .iter()
        .map(|f| f.benchmark.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len()
        == NAMES.len()
        && figures.iter().any(|f| f.backend == "postgres")
    {
        let docs = out.join("../../docs/bench");
        std::fs::create_dir_all(&docs)?;
        for file in ["report.md", "chart.svg"] {
            std::fs::copy(out.join(file), docs.join(file))?;
        }
    }
    Ok(())
}

/// One bar per figure with a budget: how much of the budget it uses (100% is the limit;
/// for a ratio budget, the budget's ratio over the measured one).
fn chart(figures: &[Figure]) -> String {
    let bars: Vec<(&Figure, f64)> = figures
        .iter()
        .filter_map(|figure| {
            let used = match figure.budget {
                Budget::RatioAtLeast(min) => min / figure.ratio()?.max(1e-9),
                Budget::Below(max) | Budget::AtMost(max) => figure.value / max,
                Budget::Report => return None,
            };
            Some((figure, used))
        })
        .collect();
    let (width, row) = (860.0, 28.0);
    let height = 50.0 + row * bars.len() as f64;
    // Bars stop at 3 × the budget; the figure says how far past it they go.
    let scale_x = |share: f64| 250.0 + share.min(3.0) * 150.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"20\" font-size=\"14\">Share of each budget used (the line is the budget)</text>\n"
    );
    for (index, (figure, used)) in bars.iter().enumerate() {
        let y = 36.0 + row * index as f64;
        let colour = if figure.met() { "#2e7d32" } else { "#c62828" };
        let label = format!("{} {} ({})", figure.benchmark, figure.unit, figure.backend);
        svg.push_str(&format!(
            "<text x=\"10\" y=\"{:.0}\">{}</text>\n<rect x=\"250\" y=\"{y:.0}\" width=\"{:.1}\" height=\"18\" fill=\"{colour}\"/>\n<text x=\"{:.1}\" y=\"{:.0}\">{:.0}% of budget</text>\n",
            y + 13.0,
            escape(&label),
            scale_x(*used) - 250.0,
            scale_x(*used) + 4.0,
            y + 13.0,
            used * 100.0,
        ));
    }
    svg.push_str(&format!(
        "<line x1=\"{x:.0}\" y1=\"30\" x2=\"{x:.0}\" y2=\"{height:.0}\" stroke=\"black\" stroke-dasharray=\"4 3\"/>\n</svg>\n",
        x = scale_x(1.0),
    ));
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rate_and_p99_from_wrk_and_refuses_a_run_with_errors() {
        let text = "Running 10s test @ http://127.0.0.1:1/x\n  2 threads and 64 connections\n  Latency Distribution\n     50%    1.10ms\n     75%    2.00ms\n     90%    3.00ms\n     99%  850.00us\n  1000 requests in 10.00s, 1.00MB read\nRequests/sec:   1234.50\nTransfer/sec:    100.00KB\n";
        let load = parse_wrk(text).expect("parsed");
        assert_eq!(load.rate, 1234.5);
        assert!((load.p99_ms - 0.85).abs() < 1e-9);
        assert_eq!(millis("1.02s"), Some(1020.0));
        let failing = format!("{text}  Non-2xx or 3xx responses: 12\n");
        assert!(parse_wrk(&failing).is_none(), "errors are not a throughput");
    }
}
