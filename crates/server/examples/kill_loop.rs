//! The kill loop of `cargo xtask harden` (issue 13): the release server runs under load
//! (requests, approvals, extensions, removals, short direct assignments that expire and
//! scheduled starts) and is killed with SIGKILL at random moments, then restarted, again
//! and again. At the end it is stopped with SIGTERM under the same load, started once more
//! so that every due timer comes, and stopped again; then the database is checked:
//!
//! - every answer with a 2xx status is in the database (requests, decisions, direct
//!   assignments, removals);
//! - nothing is half-applied: a delivered request has exactly one assignment, no request
//!   is stuck approved or delivering, every live assignment has its grant and the group
//!   membership, and every membership Entrada made has a live assignment behind it;
//! - every timer fired exactly once: no live assignment is past its end, each ended
//!   assignment has one event, each scheduled start was delivered once, and nobody was
//!   told twice that their access ended;
//! - the audit chain verifies; no answer had a 5xx status; SIGTERM stopped the server
//!   with status 0.
//!
//! `kill_loop --entrada target/release/entrada --database-url URL --kills 20 --seed 1
//! --report FILE` writes one line of JSON with its figures to FILE and exits with status
//! 1 when a check failed. Run through `cargo xtask harden kill-loop`.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use clap::Parser;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Parser)]
struct Args {
    /// The server binary.
    #[arg(long)]
    entrada: PathBuf,
    /// The database the server runs on (created with the demo when empty).
    #[arg(long)]
    database_url: String,
    /// How many times the server is killed.
    #[arg(long, default_value_t = 20)]
    kills: u32,
    /// The seed of the kill moments and of the load's choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where the figures go (one line of JSON).
    #[arg(long)]
    report: PathBuf,
    /// Where the server's log goes.
    #[arg(long)]
    log: PathBuf,
}

/// The administrator who sets up, approves and assigns.
const ADMIN: &str = "alex.morgan@lakeshore.example";
/// The group the requested package grants.
const REQUESTED_GROUP: &str = "grp-security-champions";
/// The group the short direct assignments grant.
const SHORT_GROUP: &str = "grp-people-managers";

fn main() -> Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(args))
}

async fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut server = Server::new(&args)?;
    server.start().await?;
    let setup = set_up(&server.base).await?;
    let ledger = Arc::new(Ledger::default());

    // The kills, each at a random moment of the load; some land on the jobs' pass that
    // every start runs at once.
    let load = Load::start(&server.base, &setup, &ledger, args.seed);
    for kill in 1..=args.kills {
        let alive = match rng.gen_range(0..4) {
            0 => rng.gen_range(5..300),
            _ => rng.gen_range(300..2_500),
        };
        tokio::time::sleep(Duration::from_millis(alive)).await;
        server.kill()?;
        eprintln!("kill {kill} of {} after {alive} ms", args.kills);
        server.start().await?;
    }

    // SIGTERM under the same load: in-flight requests drain, the jobs stop, status 0.
    tokio::time::sleep(Duration::from_millis(rng.gen_range(300..1_500))).await;
    let answered_before = ledger.answered.load(Ordering::Relaxed);
    let terminated = server.terminate()?;
    load.stop().await;
    let drained = ledger.answered.load(Ordering::Relaxed) - answered_before;

    // Once every short assignment has ended and every scheduled start has come, a last
    // start runs the jobs' pass that handles them.
    let last_timer = ledger.last_timer();
    let now = OffsetDateTime::now_utc();
    if last_timer > now {
        let wait = (last_timer - now).unsigned_abs() + Duration::from_millis(200);
        tokio::time::sleep(wait).await;
    }
    server.start().await?;
    let pass_at = OffsetDateTime::now_utc();
    let db = entrada_server::db::connect(&args.database_url).await?.0;
    wait_for_jobs(&db, &setup, pass_at).await?;
    server.terminate()?;

    let failures = check(&db, &setup, &ledger, pass_at).await?;
    let mut failures = failures;
    if !terminated.success() {
        failures.push(format!("SIGTERM: the server stopped with {terminated}"));
    }
    let errors = ledger.server_errors.lock().unwrap().clone();
    for error in &errors {
        failures.push(format!("5xx: {error}"));
    }
    let figures = json!({
        "kills": args.kills,
        "sent": ledger.sent.load(Ordering::Relaxed),
        "answered": ledger.answered.load(Ordering::Relaxed),
        "lost": ledger.lost.load(Ordering::Relaxed),
        "statuses": *ledger.statuses.lock().unwrap(),
        "accepted": {
            "requests": ledger.requests.lock().unwrap().len(),
            "extensions": ledger.extensions.lock().unwrap().len(),
            "decisions": ledger.decisions.lock().unwrap().len(),
            "assignments": ledger.assignments.lock().unwrap().len(),
            "removals": ledger.removals.lock().unwrap().len(),
        },
        "drainedAfterSigterm": drained,
        "sigterm": terminated.code(),
        "failures": failures,
        "seconds": started.elapsed().as_secs(),
    });
    std::fs::write(&args.report, format!("{figures}\n")).context("writing the report")?;
    println!("{figures:#}");
    if !failures.is_empty() {
        bail!("{} check(s) failed", failures.len());
    }
    Ok(())
}

/// The server process, started and killed on one port.
struct Server {
    entrada: PathBuf,
    database_url: String,
    log: PathBuf,
    port: u16,
    base: String,
    child: Option<Child>,
    probe: Client,
}

impl Server {
    fn new(args: &Args) -> Result<Server> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        Ok(Server {
            entrada: args.entrada.clone(),
            database_url: args.database_url.clone(),
            log: args.log.clone(),
            port,
            base: format!("http://127.0.0.1:{port}"),
            child: None,
            probe: Client::builder().timeout(Duration::from_secs(2)).build()?,
        })
    }

    /// Starts the server and waits until it is ready.
    async fn start(&mut self) -> Result<()> {
        let log = File::options().create(true).append(true).open(&self.log)?;
        let child = Command::new(&self.entrada)
            .args([
                "serve",
                "--demo",
                "--bind",
                &format!("127.0.0.1:{}", self.port),
            ])
            .args(["--database-url", &self.database_url])
            .args(["--static-dir", "/nonexistent"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting the server")?;
        self.child = Some(child);
        let since = Instant::now();
        loop {
            let ready = self
                .probe
                .get(format!("{}/readyz", self.base))
                .send()
                .await
                .is_ok_and(|response| response.status() == StatusCode::OK);
            if ready {
                return Ok(());
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                bail!(
                    "the server stopped at start with {status}; see {}",
                    self.log.display()
                );
            }
            ensure!(
                since.elapsed() < Duration::from_secs(60),
                "the server was not ready within a minute; see {}",
                self.log.display()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// SIGKILL: the process ends where it is.
    fn kill(&mut self) -> Result<()> {
        let mut child = self.child.take().context("no server to kill")?;
        child.kill()?;
        child.wait()?;
        Ok(())
    }

    /// SIGTERM, then waits (up to a minute) for the process to end.
    fn terminate(&mut self) -> Result<ExitStatus> {
        let mut child = self.child.take().context("no server to stop")?;
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        ensure!(sent.success(), "kill -TERM failed");
        let since = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            if since.elapsed() > Duration::from_secs(60) {
                child.kill()?;
                bail!("the server did not stop within a minute of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What the set-up made: two packages in a catalog of their own, and the people.
struct Setup {
    /// Requested through a one-stage approval by the administrator; extensions allowed;
    /// the requestor may choose a start.
    requested: (String, String),
    /// Assigned directly, with an end seconds away.
    short: (String, String),
    /// The administrator's client.
    admin: Client,
    /// Members who request, each signed in with their own client: (user id, client).
    members: Vec<(String, Client)>,
}

async fn set_up(base: &str) -> Result<Setup> {
    let admin = signed_in(base, ADMIN).await?;
    let catalog = expect(
        &admin,
        base,
        "/catalogs",
        json!({ "name": "Crash test", "description": "The kill loop's packages" }),
    )
    .await?;
    let catalog_id = text(&catalog, "id")?;
    let mut packages = Vec::new();
    for (name, group, stages, schedule) in [
        (
            "Crash test: requested",
            REQUESTED_GROUP,
            json!([{ "approvers": [{ "kind": "user", "id": "user-alex.morgan" }], "fallbackApprovers": [], "approverJustificationRequired": false, "decisionTimeoutDays": 14, "escalation": null }]),
            true,
        ),
        ("Crash test: short", SHORT_GROUP, json!([]), false),
    ] {
        let resource = expect(
            &admin,
            base,
            &format!("/catalogs/{catalog_id}/resources"),
            json!({ "kind": "group", "originId": group }),
        )
        .await?;
        let package = expect(
            &admin,
            base,
            "/access-packages",
            json!({ "catalogId": catalog_id, "name": name }),
        )
        .await?;
        let package_id = text(&package, "id")?;
        expect(
            &admin,
            base,
            &format!("/access-packages/{package_id}/resource-roles"),
            json!({ "resourceId": resource["id"], "roleId": "member" }),
        )
        .await?;
        let policy = expect(
            &admin,
            base,
            &format!("/access-packages/{package_id}/policies"),
            json!({
                "name": "Crash test", "description": "", "requestorScope": { "kind": "allMembers" },
                "acceptingRequests": true, "requestorJustificationRequired": false, "questions": [],
                "stages": stages, "expiration": { "kind": "afterDays", "days": 30 },
                "extensionAllowed": true, "requestorMayChooseSchedule": schedule,
            }),
        )
        .await?;
        packages.push((package_id, text(&policy, "id")?));
    }
    let short = packages.pop().context("two packages")?;
    let requested = packages.pop().context("two packages")?;

    let people = admin
        .get(format!("{base}/api/v1/directory/users"))
        .send()
        .await?
        .error_for_status()?
        .json::<Value>()
        .await?;
    let mut members = Vec::new();
    for person in people.as_array().context("a list of people")? {
        let email = text(person, "email")?;
        if person["kind"] != "member" || person["state"] != "active" || email == ADMIN {
            continue;
        }
        members.push((text(person, "id")?, signed_in(base, &email).await?));
    }
    ensure!(members.len() >= 10, "only {} members", members.len());
    Ok(Setup {
        requested,
        short,
        admin,
        members,
    })
}

/// A client signed in as `email` (the demo password).
async fn signed_in(base: &str, email: &str) -> Result<Client> {
    let client = Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(20))
        .build()?;
    let response = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "email": email, "password": entrada_server::demo::DEMO_PASSWORD }))
        .send()
        .await?;
    ensure!(
        response.status().is_success(),
        "{email} could not sign in: {}",
        response.status()
    );
    Ok(client)
}

/// A POST during the set-up, which must succeed.
async fn expect(client: &Client, base: &str, path: &str, body: Value) -> Result<Value> {
    let response = client
        .post(format!("{base}/api/v1{path}"))
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    ensure!(status.is_success(), "POST {path}: {status} {body}");
    Ok(body)
}

fn text(value: &Value, field: &str) -> Result<String> {
    value[field]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no {field} in {value}"))
}

/// What the server answered, and which of its 2xx answers must be in the database.
#[derive(Default)]
struct Ledger {
    sent: AtomicU64,
    answered: AtomicU64,
    /// Calls that got no answer: the server was killed or not yet back.
    lost: AtomicU64,
    statuses: Mutex<BTreeMap<u16, u64>>,
    server_errors: Mutex<Vec<String>>,
    /// Requests submitted (201): id, and the start when one was chosen.
    requests: Mutex<Vec<(String, Option<OffsetDateTime>)>>,
    /// Extension requests submitted (201).
    extensions: Mutex<Vec<String>>,
    /// Approvals answered 200: request id.
    decisions: Mutex<Vec<String>>,
    /// Direct assignments made (201): id and end.
    assignments: Mutex<Vec<(String, OffsetDateTime)>>,
    /// Assignments removed (200).
    removals: Mutex<Vec<String>>,
}

impl Ledger {
    /// The latest end or start the load asked for.
    fn last_timer(&self) -> OffsetDateTime {
        let ends = self.assignments.lock().unwrap();
        let starts = self.requests.lock().unwrap();
        ends.iter()
            .map(|(_, end)| *end)
            .chain(starts.iter().filter_map(|(_, start)| *start))
            .max()
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// One call: its status and body, or none when the server did not answer.
async fn call(
    ledger: &Ledger,
    client: &Client,
    base: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Option<(StatusCode, Value)> {
    ledger.sent.fetch_add(1, Ordering::Relaxed);
    let mut builder = client.request(method.clone(), format!("{base}/api/v1{path}"));
    if let Some(body) = body {
        builder = builder.json(&body);
    }
    let answer = async {
        let response = builder.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        Ok::<_, reqwest::Error>((status, bytes))
    }
    .await;
    let Ok((status, bytes)) = answer else {
        ledger.lost.fetch_add(1, Ordering::Relaxed);
        return None;
    };
    ledger.answered.fetch_add(1, Ordering::Relaxed);
    *ledger
        .statuses
        .lock()
        .unwrap()
        .entry(status.as_u16())
        .or_default() += 1;
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
        ledger
            .server_errors
            .lock()
            .unwrap()
            .push(format!("{method} {path}: {status} {value}"));
    }
    Some((status, value))
}

/// The load: tasks that submit, approve, extend, remove and assign until stopped.
struct Load {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(base: &str, setup: &Setup, ledger: &Arc<Ledger>, seed: u64) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            base: base.to_owned(),
            requested: setup.requested.clone(),
            short: setup.short.clone(),
            admin: setup.admin.clone(),
            members: setup.members.clone(),
        });
        let mut tasks = Vec::new();
        type Work = fn(Arc<Shared>, Arc<Ledger>, StdRng) -> BoxedStep;
        let kinds: [(Work, usize); 4] = [
            (request_step, 3),
            (approve_step, 2),
            (assign_step, 1),
            (remove_step, 1),
        ];
        let mut n = 0;
        for (work, copies) in kinds {
            for _ in 0..copies {
                n += 1;
                let (stop, shared, ledger) = (stop.clone(), shared.clone(), ledger.clone());
                let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(1_000).wrapping_add(n));
                tasks.push(tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let seed = rng.gen();
                        let answered =
                            work(shared.clone(), ledger.clone(), StdRng::seed_from_u64(seed)).await;
                        if !answered {
                            // The server is down: try again shortly.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }));
            }
        }
        Load { stop, tasks }
    }

    async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

struct Shared {
    base: String,
    requested: (String, String),
    short: (String, String),
    admin: Client,
    members: Vec<(String, Client)>,
}

/// One step of a load task; resolves to whether the server answered.
type BoxedStep = std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>;

/// A member asks for the requested package (a third of the time with a start seconds
/// away), or for more time when they already hold it.
fn request_step(shared: Arc<Shared>, ledger: Arc<Ledger>, mut rng: StdRng) -> BoxedStep {
    Box::pin(async move {
        let (_, client) = shared.members.choose(&mut rng).expect("members");
        let start = (rng.gen_range(0..3) == 0).then(|| {
            OffsetDateTime::now_utc() + time::Duration::milliseconds(rng.gen_range(1_000..4_000))
        });
        let Some(created) = submit(&shared, &ledger, client, "userAdd", start).await else {
            return false;
        };
        if let Some(id) = created {
            ledger.requests.lock().unwrap().push((id, start));
            return true;
        }
        let Some(created) = submit(&shared, &ledger, client, "userExtend", None).await else {
            return false;
        };
        if let Some(id) = created {
            ledger.extensions.lock().unwrap().push(id);
        }
        true
    })
}

/// Submits a request of `kind` for the requested package, starting at `start` when given:
/// none when the server did not answer, else the new request's id when it was created.
async fn submit(
    shared: &Shared,
    ledger: &Ledger,
    client: &Client,
    kind: &str,
    start: Option<OffsetDateTime>,
) -> Option<Option<String>> {
    let (package, policy) = &shared.requested;
    let mut body = json!({
        "accessPackageId": package, "policyId": policy, "type": kind,
        "justification": "Crash test", "answers": [],
    });
    if let Some(start) = start {
        body["schedule"] = json!({ "start": start.format(&Rfc3339).expect("a time") });
    }
    let (status, view) = call(
        ledger,
        client,
        &shared.base,
        Method::POST,
        "/requests",
        Some(body),
    )
    .await?;
    Some(
        (status == StatusCode::CREATED)
            .then(|| view["request"]["id"].as_str().map(str::to_owned))
            .flatten(),
    )
}

/// The administrator approves a request of the requested package from their inbox.
fn approve_step(shared: Arc<Shared>, ledger: Arc<Ledger>, mut rng: StdRng) -> BoxedStep {
    Box::pin(async move {
        let Some((status, inbox)) = call(
            &ledger,
            &shared.admin,
            &shared.base,
            Method::GET,
            "/approvals",
            None,
        )
        .await
        else {
            return false;
        };
        let ids: Vec<String> = match status {
            StatusCode::OK => inbox
                .as_array()
                .into_iter()
                .flatten()
                .filter(|view| view["request"]["accessPackageId"] == shared.requested.0.as_str())
                .filter_map(|view| view["request"]["id"].as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        let Some(id) = ids.choose(&mut rng) else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            return true;
        };
        let path = format!("/requests/{id}/decisions");
        let Some((status, _)) = call(
            &ledger,
            &shared.admin,
            &shared.base,
            Method::POST,
            &path,
            Some(json!({ "decision": "approve" })),
        )
        .await
        else {
            return false;
        };
        if status == StatusCode::OK {
            ledger.decisions.lock().unwrap().push(id.clone());
        }
        true
    })
}

/// The administrator assigns the short package directly, ending one to six seconds on.
fn assign_step(shared: Arc<Shared>, ledger: Arc<Ledger>, mut rng: StdRng) -> BoxedStep {
    Box::pin(async move {
        let (user, _) = shared.members.choose(&mut rng).expect("members");
        let end =
            OffsetDateTime::now_utc() + time::Duration::milliseconds(rng.gen_range(1_000..6_000));
        let (package, policy) = &shared.short;
        let body = json!({
            "userId": user, "accessPackageId": package, "policyId": policy,
            "end": end.format(&Rfc3339).expect("a time"),
        });
        let Some((status, view)) = call(
            &ledger,
            &shared.admin,
            &shared.base,
            Method::POST,
            "/assignments",
            Some(body),
        )
        .await
        else {
            return false;
        };
        if status == StatusCode::CREATED {
            if let Some(id) = view["assignment"]["id"].as_str() {
                ledger
                    .assignments
                    .lock()
                    .unwrap()
                    .push((id.to_owned(), end));
            }
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        true
    })
}

/// The administrator removes a live assignment of the requested package, so that its
/// holder may ask again.
fn remove_step(shared: Arc<Shared>, ledger: Arc<Ledger>, mut rng: StdRng) -> BoxedStep {
    Box::pin(async move {
        let path = format!("/assignments?accessPackageId={}", shared.requested.0);
        let Some((status, list)) = call(
            &ledger,
            &shared.admin,
            &shared.base,
            Method::GET,
            &path,
            None,
        )
        .await
        else {
            return false;
        };
        let live: Vec<String> = match status {
            StatusCode::OK => list
                .as_array()
                .into_iter()
                .flatten()
                .filter(|view| view["assignment"]["state"] == "delivered")
                .filter_map(|view| view["assignment"]["id"].as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        if live.len() < 4 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            return true;
        }
        let id = live.choose(&mut rng).expect("some");
        let path = format!("/assignments/{id}/remove");
        let Some((status, _)) = call(
            &ledger,
            &shared.admin,
            &shared.base,
            Method::POST,
            &path,
            Some(json!({})),
        )
        .await
        else {
            return false;
        };
        if status == StatusCode::OK {
            ledger.removals.lock().unwrap().push(id.clone());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        true
    })
}

/// Waits (up to a minute) for the last start's jobs pass: no live assignment of the
/// packages is past its end and no approved request's start has passed.
async fn wait_for_jobs(db: &sqlx::AnyPool, setup: &Setup, at: OffsetDateTime) -> Result<()> {
    let since = Instant::now();
    while since.elapsed() < Duration::from_secs(60) {
        let waiting: i64 = sqlx::query_scalar(&format!(
            "SELECT (SELECT COUNT(*) FROM assignments WHERE package_id IN ({packages}) \
               AND state IN ('delivering', 'delivered') AND end_at <= {at}) \
             + (SELECT COUNT(*) FROM access_requests WHERE package_id IN ({packages}) \
               AND state IN ('approved', 'delivering'))",
            packages = packages(setup),
            at = millis(at),
        ))
        .fetch_one(db)
        .await?;
        if waiting == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The checks name what is left.
    Ok(())
}

fn packages(setup: &Setup) -> String {
    format!("'{}', '{}'", setup.requested.0, setup.short.0)
}

fn millis(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The checks on the database after the last stop; each failure named.
async fn check(
    db: &sqlx::AnyPool,
    setup: &Setup,
    ledger: &Ledger,
    pass_at: OffsetDateTime,
) -> Result<Vec<String>> {
    let mut checks = Checks {
        db,
        failures: Vec::new(),
    };
    let packages = packages(setup);

    // Every 2xx is in the database.
    let mut submitted: Vec<String> = ledger
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    submitted.extend(ledger.extensions.lock().unwrap().iter().cloned());
    let decided = ledger.decisions.lock().unwrap().clone();
    let assigned: Vec<String> = ledger
        .assignments
        .lock()
        .unwrap()
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    let removed = ledger.removals.lock().unwrap().clone();
    checks
        .all_found("requests answered 201", "access_requests", &submitted)
        .await?;
    checks
        .all_found("direct assignments answered 201", "assignments", &assigned)
        .await?;
    checks
        .zero(
            "approvals answered 200 with no approval in the database",
            format!("SELECT COUNT(*) FROM access_requests r WHERE r.id IN ({}) AND NOT EXISTS \
                     (SELECT 1 FROM request_decisions d WHERE d.request_id = r.id AND d.decision = 'approve')", in_list(&decided)),
        )
        .await?;
    checks
        .zero(
            "removals answered 200 whose assignment is not removed",
            format!(
                "SELECT COUNT(*) FROM assignments WHERE id IN ({}) AND state <> 'removed'",
                in_list(&removed)
            ),
        )
        .await?;

    // Nothing half-applied.
    checks
        .zero(
            "delivered requests to add without exactly one assignment",
            format!(
                "SELECT COUNT(*) FROM access_requests r WHERE r.package_id IN ({packages}) \
                     AND r.state = 'delivered' AND r.request_type = 'userAdd' \
                     AND (SELECT COUNT(*) FROM assignments a WHERE a.request_id = r.id) <> 1"
            ),
        )
        .await?;
    checks
        .zero(
            "requests stuck approved or delivering",
            format!("SELECT COUNT(*) FROM access_requests WHERE package_id IN ({packages}) AND state IN ('approved', 'delivering')"),
        )
        .await?;
    checks
        .zero(
            "assignments stuck delivering",
            format!("SELECT COUNT(*) FROM assignments WHERE package_id IN ({packages}) AND state = 'delivering'"),
        )
        .await?;
    checks
        .zero(
            "live assignments without their grant",
            format!("SELECT COUNT(*) FROM assignments a WHERE a.package_id IN ({packages}) AND a.state = 'delivered' \
                     AND NOT EXISTS (SELECT 1 FROM assignment_grants g WHERE g.assignment_id = a.id)"),
        )
        .await?;
    checks
        .zero(
            "live assignments whose holder is not in the group",
            format!("SELECT COUNT(*) FROM assignments a JOIN assignment_grants g ON g.assignment_id = a.id \
                     WHERE a.package_id IN ({packages}) AND a.state = 'delivered' \
                     AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.origin_id AND m.user_id = a.user_id)"),
        )
        .await?;
    checks
        .zero(
            "group memberships Entrada made with no live assignment behind them",
            format!("SELECT COUNT(*) FROM group_members m WHERE m.source = 'entrada' \
                     AND m.group_id IN ('{REQUESTED_GROUP}', '{SHORT_GROUP}') \
                     AND NOT EXISTS (SELECT 1 FROM assignments a JOIN assignment_grants g ON g.assignment_id = a.id \
                       WHERE a.user_id = m.user_id AND g.origin_id = m.group_id AND a.state IN ('delivering', 'delivered'))"),
        )
        .await?;

    // Every timer fired exactly once.
    checks
        .zero(
            "live assignments past their end",
            format!(
                "SELECT COUNT(*) FROM assignments WHERE package_id IN ({packages}) \
                     AND state IN ('delivering', 'delivered') AND end_at <= {}",
                millis(pass_at)
            ),
        )
        .await?;
    checks
        .zero(
            "assignments whose end was audited more than once",
            "SELECT COUNT(*) FROM (SELECT target_id FROM audit_events WHERE action = 'assignment.expired' \
             GROUP BY target_id HAVING COUNT(*) > 1) twice".to_owned(),
        )
        .await?;
    checks
        .zero(
            "expired assignments without exactly one event",
            format!("SELECT COUNT(*) FROM assignments a WHERE a.package_id IN ({packages}) AND a.state = 'expired' \
                     AND (SELECT COUNT(*) FROM audit_events e WHERE e.action = 'assignment.expired' AND e.target_id = a.id) <> 1"),
        )
        .await?;
    checks
        .zero(
            "removed assignments without exactly one event",
            format!("SELECT COUNT(*) FROM assignments a WHERE a.package_id IN ({packages}) AND a.state = 'removed' \
                     AND (SELECT COUNT(*) FROM audit_events e WHERE e.action = 'assignment.removed' AND e.target_id = a.id) <> 1"),
        )
        .await?;
    checks
        .zero(
            "requests delivered more than once",
            "SELECT COUNT(*) FROM (SELECT target_id FROM audit_events WHERE action = 'request.delivered' \
             GROUP BY target_id HAVING COUNT(*) > 1) twice".to_owned(),
        )
        .await?;
    checks
        .zero(
            "people not told exactly once for each access that ended",
            format!("SELECT COUNT(*) FROM (SELECT user_id, package_id, COUNT(*) AS ended FROM assignments \
                     WHERE package_id IN ({packages}) AND state IN ('expired', 'removed') \
                     GROUP BY user_id, package_id) e \
                     WHERE e.ended <> (SELECT COUNT(*) FROM outbox o WHERE o.kind = 'accessRemoved' \
                       AND o.to_user_id = e.user_id AND o.link LIKE '%' || e.package_id)"),
        )
        .await?;

    let chain = entrada_server::audit::verify(db).await?;
    if let Some(bad) = chain.first_bad {
        checks
            .failures
            .push(format!("the audit chain does not verify: {bad:?}"));
    }
    Ok(checks.failures)
}

/// The checks' findings so far.
struct Checks<'a> {
    db: &'a sqlx::AnyPool,
    failures: Vec<String>,
}

impl Checks<'_> {
    async fn count(&self, sql: &str) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, i64>(sql).fetch_one(self.db).await?)
    }

    /// `sql` counts what must not exist.
    async fn zero(&mut self, what: &str, sql: String) -> Result<()> {
        let found = self.count(&sql).await?;
        if found != 0 {
            self.failures.push(format!("{what}: {found}"));
        }
        Ok(())
    }

    /// Every id of `ids` is a row of `table`.
    async fn all_found(&mut self, what: &str, table: &str, ids: &[String]) -> Result<()> {
        let found = self
            .count(&format!(
                "SELECT COUNT(*) FROM {table} WHERE id IN ({})",
                in_list(ids)
            ))
            .await?;
        let missing = ids.len() as i64 - found;
        if missing != 0 {
            self.failures
                .push(format!("{what} but not in the database: {missing}"));
        }
        Ok(())
    }
}

/// Ids as an SQL list (never empty: an empty list matches nothing).
fn in_list(ids: &[String]) -> String {
    if ids.is_empty() {
        return "NULL".to_owned();
    }
    let quoted: Vec<String> = ids
        .iter()
        .map(|id| format!("'{}'", id.replace('\'', "''")))
        .collect();
    quoted.join(", ")
}
