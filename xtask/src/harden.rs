//! `cargo xtask harden`: the long hostile checks kept out of `cargo xtask test`.
//!
//! `kill-loop`: the release server, under load, is killed with SIGKILL at random moments
//! [`KILLS`] times per backend and restarted each time, then stopped with SIGTERM; the
//! database is then checked (see `crates/server/examples/kill_loop.rs`): every 2xx answer
//! is in it, nothing is half-applied, every timer fired once, the audit chain verifies.
//!
//! `properties`: the domain's property tests (policy validation, reading and checking a
//! request's body, the request and assignment state machines, domain matching) with
//! [`PROPERTY_CASES`] cases each instead of the few hundred `cargo xtask test` runs.
//!
//! `schemathesis`: the release server with the demo organisation, on SQLite and on a
//! throwaway PostgreSQL cluster, is fuzzed by schemathesis (PyPI) from its own OpenAPI
//! document, signed in as an administrator and as a plain member. It passes when no
//! response is a 5xx and none contradicts the document (status codes, content types and
//! bodies as documented). Writes `target/harden/report.md` and exits with status 1 when
//! anything failed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::postgres::Cluster;
use crate::tools::ensure_pypi_tool;
use crate::{cargo, run, step};

/// The parts of `harden`, by name.
const PARTS: &[&str] = &["kill-loop", "properties", "schemathesis"];

/// Cases per property test.
const PROPERTY_CASES: u32 = 200_000;

/// SIGKILLs per backend.
const KILLS: u32 = 25;

/// The pinned schemathesis.
const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// Test cases per operation, phase and role (schemathesis' `--max-examples`).
const EXAMPLES: u32 = 25;

/// The seed, so a run can be repeated.
const SEED: u32 = 20261201;

/// The checks: no server error, and nothing the document does not say.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

/// Who schemathesis signs in as.
const ROLES: [(&str, &str); 2] = [
    ("administrator", "alex.morgan@lakeshore.example"),
    ("member", "sam.taylor@lakeshore.example"),
];

/// One schemathesis run's result.
struct Fuzzed {
    backend: &'static str,
    role: &'static str,
    operations: u64,
    cases: u64,
    failures: u64,
}

pub(crate) fn run_harden(root: &Path, args: &[String]) -> Result<()> {
    let chosen = crate::chosen(args, PARTS, "part")?;
    step("Building the server and the kill loop (release)");
    run(Command::new(cargo()).current_dir(root).args([
        "build",
        "--release",
        "--package",
        "entrada-server",
        "--bin",
        "entrada",
        "--example",
        "kill_loop",
    ]))?;
    let entrada = root.join("target/release/entrada");
    let out = root.join("target/harden");
    std::fs::create_dir_all(&out).context("creating target/harden")?;
    let mut killed = Vec::new();
    if chosen.contains(&"kill-loop") {
        let folder = tempfile_dir("entrada-kill-loop")?;
        for backend in ["sqlite", "postgres"] {
            let cluster;
            let url = match backend {
                "sqlite" => format!("sqlite://{}/kill.db", folder.display()),
                _ => {
                    cluster = Cluster::start().context("PostgreSQL for the kill loop")?;
                    cluster.url.clone()
                }
            };
            step(&format!("kill loop ({backend}): {KILLS} kills under load"));
            killed.push(kill_loop(root, &entrada, &url, backend, &out)?);
        }
        let _ = std::fs::remove_dir_all(&folder);
    }
    let properties = match chosen.contains(&"properties") {
        true => Some(properties(root)?),
        false => None,
    };
    let mut fuzzed = Vec::new();
    if chosen.contains(&"schemathesis") {
        let st = ensure_pypi_tool(root, "schemathesis", SCHEMATHESIS_VERSION, "st")?;
        let folder = tempfile_dir("entrada-harden")?;
        for backend in ["sqlite", "postgres"] {
            let cluster;
            let url = match backend {
                "sqlite" => format!("sqlite://{}/fuzz.db", folder.display()),
                _ => {
                    cluster = Cluster::start().context("PostgreSQL for the fuzzing")?;
                    cluster.url.clone()
                }
            };
            let server = crate::bench::Server::start_with(&entrada, &url, root, &["--demo"])?;
            for (role, email) in ROLES {
                step(&format!("schemathesis as the {role} ({backend})"));
                let cookie = crate::bench::sign_in(&server.base, email)?;
                fuzzed.push(schemathesis(
                    &st,
                    &server.base,
                    &cookie,
                    backend,
                    role,
                    &out,
                )?);
            }
        }
        let _ = std::fs::remove_dir_all(&folder);
    }
    let report = render(&killed, properties.as_ref(), &fuzzed);
    std::fs::write(out.join("report.md"), &report).context("writing the report")?;
    println!("\n{report}");
    let failures: u64 = fuzzed.iter().map(|run| run.failures).sum::<u64>()
        + killed
            .iter()
            .map(|run| run.failures.len() as u64)
            .sum::<u64>();
    if failures > 0 {
        bail!("{failures} failure(s); see target/harden/ for the reports and the servers' logs");
    }
    Ok(())
}

/// The property tests' run.
struct Properties {
    /// Property tests run (each with [`PROPERTY_CASES`] cases).
    tests: usize,
    seconds: u64,
}

/// Runs the domain's tests in release with [`PROPERTY_CASES`] cases per property test.
fn properties(root: &Path) -> Result<Properties> {
    step(&format!(
        "property tests, {PROPERTY_CASES} cases each (entrada-domain, release)"
    ));
    let started = std::time::Instant::now();
    run(Command::new(cargo())
        .current_dir(root)
        .env("ENTRADA_PROPTEST_CASES", PROPERTY_CASES.to_string())
        .args(["test", "--release", "--package", "entrada-domain", "--lib"]))?;
    Ok(Properties {
        tests: property_tests(&root.join("crates/domain/src"))?,
        seconds: started.elapsed().as_secs(),
    })
}

/// How many `#[test]`s the `proptest!` blocks under `folder` hold.
fn property_tests(folder: &Path) -> Result<usize> {
    let mut count = 0;
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        for (at, _) in text.match_indices("proptest! {") {
            let block = &text[at..];
            let mut depth = 0;
            let end = block
                .char_indices()
                .find_map(|(i, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => return None,
                    }
                    (depth == 0).then_some(i)
                })
                .unwrap_or(block.len());
            count += block[..end].matches("#[test]").count();
        }
    }
    Ok(count)
}

/// One kill loop's figures, as `kill_loop` wrote them.
struct Killed {
    backend: &'static str,
    kills: u64,
    answered: u64,
    lost: u64,
    accepted: String,
    drained: u64,
    seconds: u64,
    failures: Vec<String>,
}

/// Runs the kill loop on `url`, reading the figures it writes.
fn kill_loop(
    root: &Path,
    entrada: &Path,
    url: &str,
    backend: &'static str,
    out: &Path,
) -> Result<Killed> {
    let report = out.join(format!("kill-loop-{backend}.json"));
    let _ = std::fs::remove_file(&report);
    let log = out.join(format!("kill-loop-{backend}.log"));
    let _ = std::fs::remove_file(&log);
    let status = Command::new(root.join("target/release/examples/kill_loop"))
        .current_dir(root)
        .arg("--entrada")
        .arg(entrada)
        .args(["--database-url", url])
        .args(["--kills", &KILLS.to_string()])
        .args(["--seed", &SEED.to_string()])
        .arg("--report")
        .arg(&report)
        .arg("--log")
        .arg(&log)
        .status()
        .context("running the kill loop")?;
    let text = std::fs::read_to_string(&report)
        .with_context(|| format!("the kill loop wrote no figures ({status})"))?;
    let figures: serde_json::Value = serde_json::from_str(&text)?;
    let number = |field: &str| figures[field].as_u64().unwrap_or(0);
    let accepted = &figures["accepted"];
    let accepted = [
        ("requests", "requests"),
        ("extensions", "extensions"),
        ("decisions", "approvals"),
        ("assignments", "direct assignments"),
        ("removals", "removals"),
    ]
    .iter()
    .map(|(field, name)| format!("{} {name}", accepted[*field].as_u64().unwrap_or(0)))
    .collect::<Vec<_>>()
    .join(", ");
    Ok(Killed {
        backend,
        kills: number("kills"),
        answered: number("answered"),
        lost: number("lost"),
        accepted,
        drained: number("drainedAfterSigterm"),
        seconds: number("seconds"),
        failures: figures["failures"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|failure| failure.as_str().map(str::to_owned))
            .collect(),
    })
}

/// Runs schemathesis once against `base` with `cookie`, reading its JUnit report.
fn schemathesis(
    st: &Path,
    base: &str,
    cookie: &str,
    backend: &'static str,
    role: &'static str,
    out: &Path,
) -> Result<Fuzzed> {
    let junit = out.join(format!("schemathesis-{backend}-{role}.xml"));
    let printed = Command::new(st)
        // Its cache goes to the folder it runs in.
        .current_dir(out)
        .arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args(["--url", base])
        .args(["--checks", CHECKS])
        .args(["--max-examples", &EXAMPLES.to_string()])
        .args(["--seed", &SEED.to_string()])
        .args(["--workers", "2"])
        .args(["--header", &format!("Cookie: {cookie}")])
        // Signing out would end the session the rest of the run is signed in with.
        .args(["--exclude-operation-id", "sign_out"])
        .args(["--report", "junit"])
        .arg("--report-junit-path")
        .arg(&junit)
        .args(["--no-color", "--generation-database", "none"])
        .stdin(Stdio::null())
        .output()
        .context("running schemathesis")?;
    let text = String::from_utf8_lossy(&printed.stdout);
    println!("{text}");
    let xml = std::fs::read_to_string(&junit)
        .with_context(|| format!("schemathesis wrote no report ({})", printed.status))?;
    let count = |attribute: &str| -> u64 {
        xml.split("<testsuite ")
            .skip(1)
            .filter_map(|suite| {
                let start = suite.find(&format!(" {attribute}=\""))? + attribute.len() + 3;
                suite[start..].split('"').next()?.parse::<u64>().ok()
            })
            .sum()
    };
    // "Test cases:" is followed by "  N generated, …".
    let cases = text
        .lines()
        .find_map(|line| line.trim().split_once(" generated, ")?.0.parse().ok())
        .unwrap_or(0);
    Ok(Fuzzed {
        backend,
        role,
        operations: count("tests"),
        cases,
        failures: count("failures") + count("errors"),
    })
}

fn render(killed: &[Killed], properties: Option<&Properties>, fuzzed: &[Fuzzed]) -> String {
    let mut text = "# cargo xtask harden\n".to_owned();
    if !killed.is_empty() {
        text.push_str(&format!(
            "\n## Kill loop\n\nSIGKILL at random moments under load, seed {SEED}; then SIGTERM under load; then the database's checks.\n\n| backend | kills | calls answered | calls lost to a kill | accepted (2xx) and found after | answered after SIGTERM | failed checks | seconds |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
        ));
        for run in killed {
            text.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                run.backend,
                run.kills,
                run.answered,
                run.lost,
                run.accepted,
                run.drained,
                run.failures.len(),
                run.seconds
            ));
        }
        for run in killed {
            for failure in &run.failures {
                text.push_str(&format!("\n- {}: {failure}", run.backend));
            }
        }
    }
    if let Some(run) = properties {
        text.push_str(&format!(
            "\n## Property tests\n\n{} property tests of entrada-domain × {PROPERTY_CASES} cases = {} cases, all passed, in {} s.\n",
            run.tests,
            run.tests as u64 * u64::from(PROPERTY_CASES),
            run.seconds
        ));
    }
    if fuzzed.is_empty() {
        return text;
    }
    text.push_str(&format!(
        "\n## schemathesis\n\nschemathesis {SCHEMATHESIS_VERSION}, checks {CHECKS}, up to {EXAMPLES} cases per operation and phase, seed {SEED}.\n\n| backend | signed in as | operations | test cases | failures |\n| --- | --- | --- | --- | --- |\n"
    ));
    for run in fuzzed {
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            run.backend, run.role, run.operations, run.cases, run.failures
        ));
    }
    text
}

/// A fresh folder under the system's temporary folder.
fn tempfile_dir(prefix: &str) -> Result<PathBuf> {
    let folder = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).context("creating a temporary folder")?;
    Ok(folder)
}
