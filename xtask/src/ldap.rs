//! A throwaway LDAP server for the tests: Debian's slapd (installed where missing) with a
//! generated configuration and an empty `dc=entrada,dc=test` tree in a temporary folder,
//! on a free port of 127.0.0.1. Each test makes its own subtree in it (a generated
//! organisation of a few hundred people, nested groups and a manager chain). Stopped, and
//! its folder deleted, when the guard drops.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::tools::apt_install;

const SLAPD: &str = "/usr/sbin/slapd";
const SLAPADD: &str = "/usr/sbin/slapadd";
/// The suffix, administrator and password the tests use.
pub(crate) const SUFFIX: &str = "dc=entrada,dc=test";
const ADMIN: &str = "cn=admin,dc=entrada,dc=test";
const PASSWORD: &str = "entrada-test-secret";

/// A running slapd.
pub(crate) struct LdapServer {
    child: Child,
    /// `ldap://127.0.0.1:PORT`.
    pub url: String,
    folder: PathBuf,
}

impl LdapServer {
    /// Installs slapd where missing and starts it on an empty tree.
    pub(crate) fn start() -> Result<LdapServer> {
        if !Path::new(SLAPD).is_file() {
            apt_install(&["slapd"]).context("installing Debian's slapd")?;
        }
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
            listener.local_addr()?.port()
        };
        let folder = std::env::temp_dir().join(format!("entrada-slapd-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(folder.join("db")).context("creating slapd's folder")?;
        let config = folder.join("slapd.conf");
        std::fs::write(
            &config,
            format!(
                "include /etc/ldap/schema/core.schema\n\
                 include /etc/ldap/schema/cosine.schema\n\
                 include /etc/ldap/schema/inetorgperson.schema\n\
                 modulepath /usr/lib/ldap\n\
                 moduleload back_mdb\n\
                 pidfile {folder}/slapd.pid\n\
                 sizelimit unlimited\n\
                 database mdb\n\
                 suffix \"{SUFFIX}\"\n\
                 rootdn \"{ADMIN}\"\n\
                 rootpw {PASSWORD}\n\
                 directory {folder}/db\n\
                 maxsize 1073741824\n\
                 index objectClass,entryUUID eq\n",
                folder = folder.display()
            ),
        )
        .context("writing slapd.conf")?;
        let base = folder.join("base.ldif");
        std::fs::write(
            &base,
            format!("dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Entrada tests\ndc: entrada\n"),
        )?;
        let added = Command::new(SLAPADD)
            .arg("-f")
            .arg(&config)
            .arg("-l")
            .arg(&base)
            .output()
            .context("running slapadd")?;
        if !added.status.success() {
            bail!(
                "slapadd failed: {}",
                String::from_utf8_lossy(&added.stderr).trim()
            );
        }
        let log = std::fs::File::create(folder.join("slapd.log"))?;
        let child = Command::new(SLAPD)
            .arg("-f")
            .arg(&config)
            .arg("-h")
            .arg(format!("ldap://127.0.0.1:{port}/"))
            // In the foreground, logging nothing but what goes wrong.
            .args(["-d", "0"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting slapd")?;
        let mut server = LdapServer {
            child,
            url: format!("ldap://127.0.0.1:{port}"),
            folder,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                bail!(
                    "slapd exited with {status}; its log is {}",
                    server.folder.join("slapd.log").display()
                );
            }
            if Instant::now() > deadline {
                bail!("slapd did not listen on port {port} within 20 seconds");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }

    /// The variables the API tests read.
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ENTRADA_TEST_LDAP_URL", self.url.clone()),
            ("ENTRADA_TEST_LDAP_BIND_DN", ADMIN.to_owned()),
            ("ENTRADA_TEST_LDAP_PASSWORD", PASSWORD.to_owned()),
            ("ENTRADA_TEST_LDAP_SUFFIX", SUFFIX.to_owned()),
        ]
    }
}

impl Drop for LdapServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}
