//! A throwaway SMTP server for the tests: aiosmtpd on a free port of 127.0.0.1, writing
//! every message it receives to a maildir the tests read. Stopped, and its maildir
//! deleted, when the guard drops.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::tools::ensure_aiosmtpd;

/// A running SMTP server.
pub(crate) struct SmtpServer {
    child: Child,
    /// `smtp://127.0.0.1:PORT`.
    pub url: String,
    /// The maildir it delivers to (`new/` holds the messages).
    pub maildir: PathBuf,
    folder: PathBuf,
}

impl SmtpServer {
    /// Installs aiosmtpd where missing and starts it.
    pub(crate) fn start(root: &Path) -> Result<SmtpServer> {
        let python = ensure_aiosmtpd(root)?;
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
            listener.local_addr()?.port()
        };
        let folder = std::env::temp_dir().join(format!("entrada-smtp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        let maildir = folder.join("maildir");
        // Python's Maildir makes its folders only for a maildir that does not exist yet;
        // make them all so it never depends on that.
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).context("creating the maildir")?;
        }
        let log = std::fs::File::create(folder.join("aiosmtpd.log"))
            .context("creating the SMTP server's log")?;
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting aiosmtpd")?;
        let mut server = SmtpServer {
            child,
            url: format!("smtp://127.0.0.1:{port}"),
            maildir,
            folder,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                bail!(
                    "aiosmtpd exited with {status}; its log is {}",
                    server.folder.join("aiosmtpd.log").display()
                );
            }
            if Instant::now() > deadline {
                bail!("aiosmtpd did not listen on port {port} within 20 seconds");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }

    /// The variables the API and browser tests read.
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ENTRADA_TEST_SMTP_URL", self.url.clone()),
            ("ENTRADA_TEST_MAILDIR", self.maildir.display().to_string()),
        ]
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}
