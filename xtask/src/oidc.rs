//! A throwaway OpenID provider for the tests: the npm registry's `oidc-provider` (a
//! certified implementation), pinned in `xtask/oidc/package-lock.json`, installed with
//! `npm ci` into `target/tools/`, and run by `xtask/oidc/provider.mjs` on a free port of
//! 127.0.0.1. Stopped when the guard drops.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::tools::{apt_install, output};
use crate::{run, step};

/// The pinned oidc-provider (also in `xtask/oidc/package.json`).
const VERSION: &str = "9.13.3";

/// A running OpenID provider.
pub(crate) struct OidcProvider {
    child: Child,
    /// The issuer, `http://127.0.0.1:PORT`.
    pub url: String,
    log: PathBuf,
}

impl OidcProvider {
    /// Installs the provider where missing and starts it.
    pub(crate) fn start(root: &Path) -> Result<OidcProvider> {
        let folder = ensure_installed(root)?;
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
            listener.local_addr()?.port()
        };
        let log = folder.join(format!("provider-{port}.log"));
        let file = std::fs::File::create(&log).context("creating the provider's log")?;
        let child = Command::new("node")
            .current_dir(&folder)
            .arg("provider.mjs")
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .context("starting the OpenID provider (node)")?;
        let mut provider = OidcProvider {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        let discovery = format!("{}/.well-known/openid-configuration", provider.url);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let up = Command::new("curl")
                .args(["-sf", "-o", "/dev/null", &discovery])
                .status()
                .is_ok_and(|status| status.success());
            if up {
                return Ok(provider);
            }
            if let Ok(Some(status)) = provider.child.try_wait() {
                bail!(
                    "the OpenID provider exited with {status}; its log is {}",
                    provider.log.display()
                );
            }
            if Instant::now() > deadline {
                bail!("the OpenID provider did not answer within 30 seconds");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The variable the API and browser tests read.
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        vec![("ENTRADA_TEST_OIDC_ISSUER", self.url.clone())]
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/tools/oidc-provider-VERSION` with the pinned packages and the script.
fn ensure_installed(root: &Path) -> Result<PathBuf> {
    let folder = root
        .join("target/tools")
        .join(format!("oidc-provider-{VERSION}"));
    let source = root.join("xtask/oidc");
    let installed = std::fs::read_to_string(folder.join("node_modules/oidc-provider/package.json"))
        .is_ok_and(|text| text.contains(&format!("\"version\": \"{VERSION}\"")))
        && std::fs::read(folder.join("package-lock.json")).ok()
            == std::fs::read(source.join("package-lock.json")).ok();
    if !installed {
        if output(Command::new("npm").arg("--version")).is_err() {
            step("Installing Debian's nodejs and npm");
            apt_install(&["nodejs", "npm"])?;
        }
        step(&format!(
            "Installing oidc-provider {VERSION} from the npm registry"
        ));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).context("creating the provider's folder")?;
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(source.join(file), folder.join(file))
                .with_context(|| format!("copying {file}"))?;
        }
        run(Command::new("npm").current_dir(&folder).args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ]))
        .context("installing oidc-provider from the npm registry")?;
    }
    // The script always comes from the source tree.
    std::fs::copy(source.join("provider.mjs"), folder.join("provider.mjs"))
        .context("copying provider.mjs")?;
    Ok(folder)
}
