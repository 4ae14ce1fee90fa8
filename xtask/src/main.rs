//! `cargo xtask`: installs the pinned tools, builds the SPA, serves the demo, runs every
//! test layer. Run `cargo xtask help` for the commands.

mod bench;
mod harden;
mod layers;
mod ldap;
mod oidc;
mod postgres;
mod smtp;
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_else(|| "help".to_owned());
    let rest: Vec<String> = args.collect();
    let root = project_root();
    match command.as_str() {
        "serve" => serve(&root, &rest),
        "build" => {
            tools::ensure_spa_tools()?;
            build_spa(&root)
        }
        "test" => layers::run_all(&root, &rest),
        "bench" => bench::run_benches(&root, &rest),
        "harden" => harden::run_harden(&root, &rest),
        "tools" => {
            tools::ensure_spa_tools()?;
            tools::ensure_browser()?;
            Ok(())
        }
        "help" | "--help" | "-h" => {
            print_help();
            Ok(())
        }
        other => {
            print_help();
            bail!("unknown command {other:?}")
        }
    }
}

fn print_help() {
    println!(
        "cargo xtask <command>

  serve [ARGS…]  install the pinned tools, build the web app and the server (release),
                 then run `entrada serve --demo` on http://127.0.0.1:8080 with
                 ./data/entrada.db; extra ARGS go to `entrada serve`
  test           run every test layer (lint, domain, API on SQLite and PostgreSQL,
                 browser) and print one `N passed, N failed, N skipped` line
  bench [NAME…] [--scale X]
                 measure the speed and memory budgets (my-access, approvals, memory,
                 wasm-size) on SQLite and PostgreSQL against the demo grown to scale X
                 (default 1, or ENTRADA_BENCH_SCALE); writes target/bench/report.md,
                 report.json and chart.svg, and fails when a budget is missed
  harden [PART…] the long hostile checks, kept out of `test`, on SQLite and PostgreSQL:
                 kill-loop (the server killed with SIGKILL under load 25 times, then
                 the database checked) and schemathesis (PyPI: the API fuzzed from its
                 OpenAPI document as an administrator and as a member); writes
                 target/harden/report.md
  build          install the pinned tools and build the web app into dist/
  tools          install the pinned tools, Chromium and chromedriver only"
    );
}

fn serve(root: &Path, extra: &[String]) -> Result<()> {
    tools::ensure_spa_tools()?;
    beside_the_server_build(root, || build_spa(root))?;
    step("Starting Entrada (loads the demo organisation into an empty database)");
    let binary = root.join("target/release/entrada");
    let mut command = Command::new(binary);
    command
        .current_dir(root)
        .args(["serve", "--demo", "--static-dir", "dist"])
        .args(extra);
    run(&mut command)
}

/// Builds the SPA into `dist/` with Trunk, offline, with the pinned wasm-bindgen and wasm-opt.
pub(crate) fn build_spa(root: &Path) -> Result<()> {
    // Three builds of one library (src/lib.rs): the first load into dist/, then the portal
    // into dist/portal/ and the whole app with the admin area into dist/admin/ (after, since
    // Trunk empties its dist folder); the server sends each page the build that holds it.
    // Cargo links the three binaries side by side first, on every core, so that each Trunk
    // run finds its binary built.
    step("Compiling the web app's three builds (release, for wasm)");
    run(Command::new(cargo()).current_dir(root).args([
        "build",
        "--package",
        "entrada",
        "--bins",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]))?;
    for (what, target, folder) in SPA_BUILDS {
        step(&format!(
            "Building the web app ({what}) with Trunk (release, offline)"
        ));
        let mut command = Command::new(tools::trunk_path());
        command
            .current_dir(root)
            .args(["build", target, "--release", "--offline"])
            .env("PATH", tools::path_with_tools());
        if !folder.is_empty() {
            command.args([
                "--dist",
                &format!("dist/{folder}"),
                "--public-url",
                &format!("/{folder}/"),
            ]);
        }
        run(&mut command).with_context(|| format!("building the web app ({what})"))?;
        let index = root.join("dist").join(folder).join("index.html");
        if !index.is_file() {
            bail!("trunk finished but {} is missing", index.display());
        }
    }
    prefetch_portal(&root.join("dist"))?;
    step("Compressing the web app's files (.br and .gz next to each)");
    let written = precompress(&root.join("dist"))?;
    println!("    {written} files compressed");
    Ok(())
}

/// The web app's builds (src/lib.rs): what each is, its Trunk page, and its folder in `dist/`.
const SPA_BUILDS: [(&str, &str, &str); 3] = [
    ("first load", "index.html", ""),
    ("portal", "portal.html", "portal"),
    ("admin area", "admin.html", "admin"),
];

/// Names, in the first load's page, the portal's wasm and JS for the web app to prefetch
/// (`<meta name="entrada-prefetch">`): once My Access has shown its list, it asks the
/// browser to fetch them at idle priority (src/app.rs, `prefetch_the_portal`), so that
/// following a link from My Access to a package's page (which the portal holds) costs no
/// download, and the download does not slow the list on a slow network.
fn prefetch_portal(dist: &Path) -> Result<()> {
    let first = dist.join("index.html");
    let page =
        std::fs::read_to_string(&first).with_context(|| format!("reading {}", first.display()))?;
    let portal = std::fs::read_to_string(dist.join("portal/index.html"))?;
    let files = preloaded(&portal);
    if files.is_empty() {
        bail!("dist/portal/index.html preloads no wasm or JS to prefetch");
    }
    let Some(head_end) = page.find("</head>") else {
        bail!("{} has no </head>", first.display());
    };
    let meta = format!(
        r#"<meta name="entrada-prefetch" content="{}">"#,
        files.join(" ")
    );
    let page = format!("{}{meta}{}", &page[..head_end], &page[head_end..]);
    std::fs::write(&first, page).with_context(|| format!("writing {}", first.display()))?;
    Ok(())
}

/// The files a Trunk page preloads (its JS and its wasm).
fn preloaded(page: &str) -> Vec<&str> {
    page.match_indices("<link ")
        .filter_map(|(start, _)| {
            let tag = &page[start..start + page[start..].find('>')?];
            let preloads =
                tag.contains(r#"rel="modulepreload""#) || tag.contains(r#"rel="preload""#);
            let href = tag.split(r#"href=""#).nth(1)?.split('"').next()?;
            preloads.then_some(href)
        })
        .collect()
}

/// Builds the release server (`target/release/entrada` and the bench baseline) while `work`
/// runs, and returns once both are done. The web app's wasm builds spend minutes linking on
/// one core (link-time optimisation); the server's build takes the other, which on a fresh
/// clone saves minutes. The two builds lock different folders of `target/`, so neither waits.
pub(crate) fn beside_the_server_build<T>(
    root: &Path,
    work: impl FnOnce() -> Result<T>,
) -> Result<T> {
    step("Building the server (release; the first build takes a few minutes), beside the rest");
    let mut build = Command::new(cargo())
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--package",
            "entrada-server",
            "--bins",
        ])
        .spawn()
        .context("starting cargo to build the server")?;
    let done = work();
    if done.is_err() {
        let _ = build.kill();
    }
    let built = finished(&mut build, "building the server");
    let done = done?;
    built?;
    Ok(done)
}

/// Waits for a process started with `spawn`, failing with `what` when it fails.
pub(crate) fn finished(child: &mut std::process::Child, what: &str) -> Result<()> {
    let status = child
        .wait()
        .with_context(|| format!("waiting for {what}"))?;
    if !status.success() {
        bail!("{what} failed with {status}");
    }
    Ok(())
}

/// File types worth compressing; images and fonts are compressed already.
const COMPRESSIBLE: &[&str] = &[
    "html", "js", "mjs", "wasm", "css", "svg", "json", "txt", "map",
];

/// Writes `name.br` (brotli, best) and `name.gz` (gzip, best) next to every compressible
/// file under `dir`, so the server sends them as they are instead of compressing the wasm
/// on every load. Returns how many files were compressed.
fn precompress(dir: &Path) -> Result<usize> {
    let mut written = 0;
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            written += precompress(&path)?;
            continue;
        }
        let compressible = path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| COMPRESSIBLE.contains(&ext));
        if !compressible {
            continue;
        }
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut bytes.as_slice(), &mut br, &params)
            .with_context(|| format!("compressing {} with brotli", path.display()))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &bytes)?;
        let gz = gz.finish()?;
        for (suffix, compressed) in [("br", br), ("gz", gz)] {
            let mut target = path.clone().into_os_string();
            target.push(format!(".{suffix}"));
            std::fs::write(&target, compressed)
                .with_context(|| format!("writing {}", PathBuf::from(&target).display()))?;
        }
        written += 1;
    }
    Ok(written)
}

/// The names `args` picks from `all` (every one when `args` is empty); `what` names one
/// of them in the error for a name that is not in `all`.
pub(crate) fn chosen<'a>(args: &'a [String], all: &[&'a str], what: &str) -> Result<Vec<&'a str>> {
    if args.is_empty() {
        return Ok(all.to_vec());
    }
    let mut picked = Vec::new();
    for arg in args {
        match all.iter().find(|name| **name == arg.as_str()) {
            Some(name) => picked.push(*name),
            None => bail!("unknown {what} {arg:?}; they are {}", all.join(", ")),
        }
    }
    Ok(picked)
}

/// Prints a step so a person watching knows what is happening.
pub(crate) fn step(text: &str) {
    println!("\n==> {text}");
}

/// Runs a command, failing with its name when it fails.
pub(crate) fn run(command: &mut Command) -> Result<()> {
    let description = format!("{command:?}");
    let status = command
        .status()
        .with_context(|| format!("starting {description}"))?;
    if !status.success() {
        bail!("{description} failed with {status}");
    }
    Ok(())
}

/// The cargo that runs this xtask.
pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn project_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

#[cfg(test)]
mod tests {
    use super::{chosen, preloaded};

    #[test]
    fn the_first_load_prefetches_what_the_portal_preloads_and_nothing_else() {
        let portal = r#"<head><link rel="modulepreload" href="/portal/entrada-portal-ab.js" crossorigin="anonymous" integrity="sha384-x">
<link rel="preload" href="/portal/entrada-portal-ab_bg.wasm" crossorigin="anonymous" as="fetch" type="application/wasm">
<link rel="icon" href="/favicon.ico"><style>a{}</style></head>"#;
        assert_eq!(
            preloaded(portal),
            [
                "/portal/entrada-portal-ab.js",
                "/portal/entrada-portal-ab_bg.wasm"
            ]
        );
        assert!(preloaded("<head><title>x</title></head>").is_empty());
    }

    #[test]
    fn names_are_picked_in_the_order_given_and_unknown_ones_are_refused() {
        let all = ["lint", "domain", "api"];
        assert_eq!(chosen(&[], &all, "test layer").unwrap(), all);
        let args = ["api".to_owned(), "lint".to_owned()];
        assert_eq!(chosen(&args, &all, "test layer").unwrap(), ["api", "lint"]);
        let error = chosen(&["browsr".to_owned()], &all, "test layer")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "unknown test layer \"browsr\"; they are lint, domain, api"
        );
    }
}
