//! The pinned tool versions, in one place, and their installation from the package
//! registries only (crates.io, npm, Debian): nothing is downloaded from anywhere else.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{cargo, run, step};

/// Trunk builds the SPA. 0.22 needs a newer rustc than this machine has.
pub(crate) const TRUNK_VERSION: &str = "0.21.14";
/// Must equal the `wasm-bindgen` crate version in Cargo.lock (pinned with `=` in Cargo.toml).
pub(crate) const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// binaryen from the npm registry; Debian's binaryen 108 produces a blank page.
pub(crate) const BINARYEN_NPM_VERSION: &str = "123";

/// Where the npm-installed wasm-opt lives (outside the clone, so clones share it).
pub(crate) fn tools_dir() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    home.join(".cache/entrada-tools")
        .join(format!("binaryen-{BINARYEN_NPM_VERSION}"))
}

fn cargo_bin_dir() -> PathBuf {
    match std::env::var_os("CARGO_HOME") {
        Some(home) => PathBuf::from(home).join("bin"),
        None => {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/root"));
            home.join(".cargo/bin")
        }
    }
}

/// The trunk binary.
pub(crate) fn trunk_path() -> PathBuf {
    cargo_bin_dir().join("trunk")
}

/// PATH with the pinned wasm-opt and cargo's bin folder first, so Trunk finds the right
/// versions and never tries to download its own.
pub(crate) fn path_with_tools() -> String {
    let current = std::env::var("PATH").unwrap_or_default();
    format!(
        "{}:{}:{current}",
        tools_dir().join("node_modules/.bin").display(),
        cargo_bin_dir().display()
    )
}

/// Installs what building the SPA needs, where missing or at another version.
pub(crate) fn ensure_spa_tools() -> Result<()> {
    step("Checking the wasm32 target, trunk, wasm-bindgen-cli and wasm-opt");
    let targets =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !targets
        .lines()
        .any(|line| line.trim() == "wasm32-unknown-unknown")
    {
        step("Adding the wasm32-unknown-unknown target");
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    if !version_matches(trunk_path(), "--version", TRUNK_VERSION) {
        step(&format!(
            "Installing trunk {TRUNK_VERSION} from crates.io (compiles for about 7 minutes the first time)"
        ));
        run(Command::new(cargo()).args([
            "install",
            "--locked",
            &format!("trunk@{TRUNK_VERSION}"),
        ]))?;
    }
    if !version_matches(
        cargo_bin_dir().join("wasm-bindgen"),
        "--version",
        WASM_BINDGEN_VERSION,
    ) {
        step(&format!(
            "Installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} from crates.io (a few minutes)"
        ));
        // Not --locked: its lock file pins a webpki-roots release the registry no longer serves.
        run(Command::new(cargo()).args([
            "install",
            "--force",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
        ]))?;
    }
    let wasm_opt = tools_dir().join("node_modules/.bin/wasm-opt");
    if !version_matches(
        wasm_opt,
        "--version",
        &format!("version {BINARYEN_NPM_VERSION}"),
    ) {
        step(&format!(
            "Installing wasm-opt (binaryen {BINARYEN_NPM_VERSION}) from the npm registry"
        ));
        std::fs::create_dir_all(tools_dir()).context("creating the tools folder")?;
        run(Command::new("npm")
            .current_dir(tools_dir())
            .args(["install", "--no-audit", "--no-fund", "--prefix", "."])
            .arg(format!("binaryen@{BINARYEN_NPM_VERSION}")))?;
    }
    Ok(())
}

/// Installs Debian's Chromium and chromedriver where missing.
pub(crate) fn ensure_browser() -> Result<()> {
    step("Checking Chromium and chromedriver");
    if PathBuf::from("/usr/bin/chromium").is_file()
        && PathBuf::from("/usr/bin/chromedriver").is_file()
    {
        return Ok(());
    }
    step("Installing Debian's chromium and chromium-driver (about a minute)");
    apt_install(&["chromium", "chromium-driver"])
}

/// aiosmtpd, the SMTP server the tests send mail to, from PyPI.
pub(crate) const AIOSMTPD_VERSION: &str = "1.4.6";

/// The Python of a venv under `target/tools` holding the pinned aiosmtpd.
pub(crate) fn ensure_aiosmtpd(root: &Path) -> Result<PathBuf> {
    step(&format!(
        "Checking aiosmtpd {AIOSMTPD_VERSION} (the test SMTP server)"
    ));
    ensure_pypi_tool(root, "aiosmtpd", AIOSMTPD_VERSION, "python")
}

/// scim2-tester, the SCIM 2.0 checks the API tests run against the server, from PyPI.
pub(crate) const SCIM2_TESTER_VERSION: &str = "0.5.2";

/// The Python of a venv under `target/tools` holding scim2-tester and exactly the versions
/// of what it pulls in (`xtask/scim/requirements.txt`), and the script that runs its checks
/// (`xtask/scim/check.py`).
pub(crate) fn ensure_scim2_tester(root: &Path) -> Result<(PathBuf, PathBuf)> {
    step(&format!(
        "Checking scim2-tester {SCIM2_TESTER_VERSION} (the SCIM checks)"
    ));
    let scim = root.join("xtask/scim");
    let requirements = scim.join("requirements.txt").display().to_string();
    let python = ensure_venv(
        root,
        "scim2-tester",
        SCIM2_TESTER_VERSION,
        &["-r", &requirements],
        "python",
    )?;
    Ok((python, scim.join("check.py")))
}

/// `bin/<program>` of a venv under `target/tools` holding `package` at `version`, made
/// (python3 -m venv; pip install from PyPI, nothing else) where missing or at another
/// version.
pub(crate) fn ensure_pypi_tool(
    root: &Path,
    package: &str,
    version: &str,
    program: &str,
) -> Result<PathBuf> {
    ensure_venv(
        root,
        package,
        version,
        &[&format!("{package}=={version}")],
        program,
    )
}

/// `bin/<program>` of the venv `target/tools/<package>-<version>`, made where missing or
/// holding another version of `package`: python3 -m venv, then `pip install` with `install`
/// (requirements from PyPI, nothing else).
fn ensure_venv(
    root: &Path,
    package: &str,
    version: &str,
    install: &[&str],
    program: &str,
) -> Result<PathBuf> {
    let venv = root
        .join("target/tools")
        .join(format!("{package}-{version}"));
    let python = venv.join("bin/python");
    let installed = output(Command::new(&python).args([
        "-c",
        &format!("import importlib.metadata as m; print(m.version({package:?}))"),
    ]))
    .is_ok_and(|found| found.trim() == version);
    if installed {
        return Ok(venv.join("bin").join(program));
    }
    if !Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .output()
        .is_ok_and(|out| out.status.success())
    {
        step("Installing Debian's python3-venv");
        apt_install(&["python3-venv"])?;
    }
    step(&format!("Installing {package} {version} from PyPI"));
    let _ = std::fs::remove_dir_all(&venv);
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv))
        .with_context(|| format!("making the venv for {package}"))?;
    run(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(install))
    .with_context(|| format!("installing {package} from PyPI"))?;
    Ok(venv.join("bin").join(program))
}

/// Installs Debian packages (as root, or through sudo).
pub(crate) fn apt_install(packages: &[&str]) -> Result<()> {
    let as_root = output(Command::new("id").arg("-u"))
        .map(|id| id.trim() == "0")
        .unwrap_or(false);
    let prefix: Vec<&str> = if as_root { vec![] } else { vec!["sudo"] };
    let apt = |args: &[&str]| {
        let mut all: Vec<&str> = prefix.clone();
        all.push("apt-get");
        all.extend_from_slice(args);
        let mut command = Command::new(all[0]);
        command
            .args(&all[1..])
            .env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    run(&mut apt(&["update", "-q"]))?;
    let mut args = vec!["install", "-y", "-q"];
    args.extend_from_slice(packages);
    run(&mut apt(&args)).with_context(|| format!("installing {}", packages.join(" ")))
}

fn version_matches(binary: PathBuf, flag: &str, expected: &str) -> bool {
    output(Command::new(binary).arg(flag)).is_ok_and(|text| text.contains(expected))
}

/// A command's standard output.
pub(crate) fn output(command: &mut Command) -> Result<String> {
    let result = command
        .output()
        .with_context(|| format!("starting {command:?}"))?;
    if !result.status.success() {
        bail!("{command:?} failed with {}", result.status);
    }
    Ok(String::from_utf8_lossy(&result.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_file(path: &str) -> String {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        std::fs::read_to_string(root.join(path))
            .unwrap_or_else(|error| panic!("reading {path}: {error}"))
    }

    #[test]
    fn trunk_toml_names_the_pinned_wasm_bindgen_and_wasm_opt() {
        let trunk = repo_file("Trunk.toml");
        assert!(
            trunk.contains(&format!("wasm_bindgen = \"{WASM_BINDGEN_VERSION}\"")),
            "{trunk}"
        );
        assert!(
            trunk.contains(&format!("wasm_opt = \"version_{BINARYEN_NPM_VERSION}\"")),
            "{trunk}"
        );
    }

    #[test]
    fn cargo_toml_pins_the_wasm_bindgen_crate_to_the_cli_version() {
        let manifest = repo_file("Cargo.toml");
        assert!(
            manifest.contains(&format!("wasm-bindgen = \"={WASM_BINDGEN_VERSION}\"")),
            "{manifest}"
        );
        let lock = repo_file("Cargo.lock");
        assert!(lock.contains(&format!(
            "name = \"wasm-bindgen\"\nversion = \"{WASM_BINDGEN_VERSION}\""
        )));
    }
}
