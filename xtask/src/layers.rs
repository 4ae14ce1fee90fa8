//! `cargo xtask test`: every test layer, with a throwaway PostgreSQL cluster, ending in one
//! `N passed, N failed, N skipped` line that sums them all.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use crate::ldap::LdapServer;
use crate::oidc::OidcProvider;
use crate::postgres::Cluster;
use crate::smtp::SmtpServer;
use crate::{build_spa, cargo, step, tools};

/// The layers, in the order they run. `cargo xtask test api browser` runs only those.
const LAYERS: &[&str] = &["lint", "domain", "xtask", "api", "browser"];

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    passed: u64,
    failed: u64,
    skipped: u64,
}

/// What each failing test said when it panicked, picked out of `cargo test`'s output so
/// the end of a long run shows why it failed (a CI log shows its head and tail).
#[derive(Debug, Default)]
struct Panics {
    lines: Vec<String>,
    current: Option<usize>,
}

impl Panics {
    /// Lines kept of one failing test's message.
    const PER_TEST: usize = 12;

    fn read(&mut self, line: &str) {
        if line.starts_with("---- ") && line.ends_with(" ----") {
            self.lines.push(line.to_owned());
            self.current = Some(0);
            return;
        }
        let Some(kept) = self.current else { return };
        let ends = line.is_empty() && kept > 0
            || line.starts_with("stack backtrace:")
            || line.starts_with("note: run with")
            || line == "failures:";
        if ends {
            self.current = None;
        } else if !line.is_empty() && kept < Self::PER_TEST {
            self.lines.push(format!("    {line}"));
            self.current = Some(kept + 1);
        }
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

pub(crate) fn run_all(root: &Path, args: &[String]) -> Result<()> {
    let chosen = crate::chosen(args, LAYERS, "test layer")?;
    tools::ensure_spa_tools()?;
    if chosen.contains(&"browser") {
        tools::ensure_browser()?;
        build_spa(root)?;
    }
    let cluster = match chosen.contains(&"api") {
        true => {
            step("Starting a throwaway PostgreSQL cluster");
            let cluster =
                Cluster::start().context("the PostgreSQL tests need their own cluster")?;
            println!("PostgreSQL is listening at {}", cluster.url);
            Some(cluster)
        }
        false => None,
    };
    let smtp = match chosen.contains(&"api") || chosen.contains(&"browser") {
        true => {
            step("Starting a throwaway SMTP server");
            let smtp = SmtpServer::start(root).context("the mail tests need an SMTP server")?;
            println!("SMTP is listening at {}", smtp.url);
            Some(smtp)
        }
        false => None,
    };
    let oidc = match chosen.contains(&"api") || chosen.contains(&"browser") {
        true => {
            step("Starting a throwaway OpenID provider");
            let oidc =
                OidcProvider::start(root).context("the sign-in tests need an OpenID provider")?;
            println!("The OpenID provider is listening at {}", oidc.url);
            Some(oidc)
        }
        false => None,
    };
    let ldap = match chosen.contains(&"api") || chosen.contains(&"browser") {
        true => {
            step("Starting a throwaway LDAP server");
            let ldap = LdapServer::start().context("the directory sync tests need slapd")?;
            println!("slapd is listening at {}", ldap.url);
            Some(ldap)
        }
        false => None,
    };
    let mut services_env = smtp.as_ref().map(SmtpServer::env).unwrap_or_default();
    services_env.extend(oidc.iter().flat_map(OidcProvider::env));
    services_env.extend(ldap.iter().flat_map(LdapServer::env));
    // The SCIM API test runs scim2-tester's checks against the server it starts.
    let scim_env = match chosen.contains(&"api") {
        true => {
            let (python, check) = tools::ensure_scim2_tester(root)?;
            vec![
                ("ENTRADA_TEST_SCIM_PYTHON", python.display().to_string()),
                ("ENTRADA_TEST_SCIM_CHECK", check.display().to_string()),
            ]
        }
        false => Vec::new(),
    };

    let mut results: Vec<(&str, Counts)> = Vec::new();
    let mut panics = Panics::default();
    for layer in chosen {
        step(&format!("Test layer: {layer}"));
        let counts = match layer {
            "lint" => lint(root),
            "domain" => cargo_test(root, &["--package", "entrada-domain"], &[], &mut panics),
            "xtask" => cargo_test(root, &["--package", "xtask"], &[], &mut panics),
            "api" => {
                let url = cluster
                    .as_ref()
                    .map(|cluster| cluster.url.clone())
                    .unwrap_or_default();
                let mut env = vec![("ENTRADA_TEST_POSTGRES_URL", url)];
                env.extend(services_env.iter().cloned());
                env.extend(scim_env.iter().cloned());
                cargo_test(root, &["--package", "entrada-server"], &env, &mut panics)
            }
            "browser" => cargo_test(
                root,
                &["--package", "entrada-e2e"],
                &services_env,
                &mut panics,
            ),
            _ => unreachable!("layers were checked above"),
        };
        results.push((layer, counts));
    }
    drop(cluster);
    drop(smtp);
    drop(oidc);
    drop(ldap);

    let mut total = Counts::default();
    println!("\nLayer      passed  failed  skipped");
    for (layer, counts) in &results {
        println!(
            "{layer:<10} {:>6}  {:>6}  {:>7}",
            counts.passed, counts.failed, counts.skipped
        );
        total += *counts;
    }
    println!(
        "{} passed, {} failed, {} skipped",
        total.passed, total.failed, total.skipped
    );
    if total.failed > 0 {
        if !panics.lines.is_empty() {
            println!("\nWhy they failed:");
            for line in &panics.lines {
                println!("{line}");
            }
        }
        // Exit here rather than return an error: with RUST_BACKTRACE set, an error from
        // main prints xtask's own backtrace, which would bury the lines above.
        println!("{} test(s) failed", total.failed);
        std::process::exit(1);
    }
    Ok(())
}

/// Formatting and clippy, each counted as one check.
fn lint(root: &Path) -> Counts {
    let checks: [(&str, Vec<&str>); 3] = [
        ("cargo fmt --check", vec!["fmt", "--all", "--check"]),
        (
            "clippy (native crates)",
            vec![
                "clippy",
                "--package",
                "entrada-domain",
                "--package",
                "entrada-server",
                "--package",
                "entrada-e2e",
                "--package",
                "xtask",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
        (
            "clippy (web app, wasm32)",
            vec![
                "clippy",
                "--package",
                "entrada",
                "--target",
                "wasm32-unknown-unknown",
                "--",
                "-D",
                "warnings",
            ],
        ),
    ];
    let mut counts = Counts::default();
    for (name, args) in checks {
        let ok = Command::new(cargo())
            .current_dir(root)
            .args(&args)
            .status()
            .is_ok_and(|status| status.success());
        println!("{name}: {}", if ok { "ok" } else { "FAILED" });
        match ok {
            true => counts.passed += 1,
            false => counts.failed += 1,
        }
    }
    counts
}

/// Runs `cargo test` with `args`, echoing its output and adding up its result lines. A run
/// that fails without a failing test (it did not build, or crashed) counts as one failure.
fn cargo_test(root: &Path, args: &[&str], env: &[(&str, String)], panics: &mut Panics) -> Counts {
    let mut command = Command::new(cargo());
    command
        .current_dir(root)
        .arg("test")
        // Every test binary runs even after one fails, so a run reports every failure.
        .arg("--no-fail-fast")
        .args(args)
        .stdout(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            println!("could not start cargo test: {error}");
            return Counts {
                failed: 1,
                ..Counts::default()
            };
        }
    };
    let mut counts = Counts::default();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            panics.read(&line);
            if let Some(result) = parse_result_line(&line) {
                counts += result;
            }
        }
    }
    let success = child.wait().is_ok_and(|status| status.success());
    if !success && counts.failed == 0 {
        println!(
            "cargo test {} failed before reporting a failing test (build error or crash)",
            args.join(" ")
        );
        counts.failed += 1;
    }
    counts
}

/// Reads `test result: ok. 5 passed; 1 failed; 2 ignored; …`.
fn parse_result_line(line: &str) -> Option<Counts> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let (_, numbers) = rest.split_once(". ")?;
    let mut counts = Counts::default();
    for part in numbers.split(';') {
        let mut words = part.split_whitespace();
        let (Some(number), Some(label)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(number) = number.parse::<u64>() else {
            continue;
        };
        match label {
            "passed" => counts.passed = number,
            "failed" => counts.failed = number,
            "ignored" => counts.skipped = number,
            _ => {}
        }
    }
    Some(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_of_cargo_test_are_counted() {
        let ok = parse_result_line("test result: ok. 54 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 1.65s");
        assert_eq!(
            ok,
            Some(Counts {
                passed: 54,
                failed: 0,
                skipped: 2
            })
        );
        let failed = parse_result_line(
            "test result: FAILED. 53 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out",
        );
        assert_eq!(
            failed,
            Some(Counts {
                passed: 53,
                failed: 1,
                skipped: 0
            })
        );
        assert_eq!(parse_result_line("running 5 tests"), None);
    }

    #[test]
    fn the_panic_of_each_failing_test_is_kept_without_its_backtrace() {
        let output = "test a::b ... FAILED\n\nfailures:\n\n---- a::b::postgres stdout ----\n\n\
            thread 'a::b::postgres' (12) panicked at tests/a.rs:9:5:\nassertion `left == right` failed: Sam's start fails\n  \
            left: 0\n right: 1\nstack backtrace:\n   0: std::panicking::begin_panic\n\nfailures:\n    a::b::postgres\n";
        let mut panics = Panics::default();
        output.lines().for_each(|line| panics.read(line));
        assert_eq!(
            panics.lines,
            [
                "---- a::b::postgres stdout ----",
                "    thread 'a::b::postgres' (12) panicked at tests/a.rs:9:5:",
                "    assertion `left == right` failed: Sam's start fails",
                "      left: 0",
                "     right: 1",
            ]
        );
    }
}
