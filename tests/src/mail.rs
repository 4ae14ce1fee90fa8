//! The mail the server sent, as the test SMTP server received it: `cargo xtask test`
//! starts aiosmtpd and names it in `ENTRADA_TEST_SMTP_URL`, with the maildir it writes in
//! `ENTRADA_TEST_MAILDIR`; the harness's server sends through it. Tests run in parallel
//! against one maildir, so each looks only at mail carrying its own server's address.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::{eventually, TestApp};

/// The test SMTP server's URL.
pub const SMTP_URL_VAR: &str = "ENTRADA_TEST_SMTP_URL";
/// The maildir it writes.
pub const MAILDIR_VAR: &str = "ENTRADA_TEST_MAILDIR";

/// The SMTP URL the harness's server sends through, when there is a test SMTP server.
pub fn smtp_url() -> Option<String> {
    std::env::var(SMTP_URL_VAR).ok()
}

/// The maildir; `None` (the test returns early, said on stderr) outside CI when there is
/// no test SMTP server. Under `CI=true` a missing one fails the test: never skipped in CI.
pub fn maildir() -> Option<PathBuf> {
    match (std::env::var(SMTP_URL_VAR), std::env::var(MAILDIR_VAR)) {
        (Ok(_), Ok(maildir)) => Some(maildir.into()),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("{SMTP_URL_VAR} and {MAILDIR_VAR} are not set under CI=true: mail tests must run (use `cargo xtask test`)")
        }
        _ => {
            eprintln!(
                "skipped: {SMTP_URL_VAR} is not set; run `cargo xtask test` for the mail tests"
            );
            None
        }
    }
}

/// One message as received.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The `To` header.
    pub to: String,
    /// The `Subject` header.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

impl Mail {
    /// The first link in the text that starts with `base`.
    pub fn link(&self, base: &str) -> Option<String> {
        let at = self.text.find(base)?;
        self.text[at..].split_whitespace().next().map(str::to_owned)
    }
}

/// Every message in `maildir`.
pub fn delivered(maildir: &Path) -> Vec<Mail> {
    let mut mails = Vec::new();
    for folder in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(bytes) = std::fs::read(entry.path()) else {
                continue;
            };
            let Ok(parsed) = mailparse::parse_mail(&bytes) else {
                continue;
            };
            let header = |name: &str| {
                parsed
                    .headers
                    .iter()
                    .find(|h| h.get_key().eq_ignore_ascii_case(name))
                    .map(|h| h.get_value())
                    .unwrap_or_default()
            };
            let part = |mime: &str| {
                parsed
                    .subparts
                    .iter()
                    .find(|part| part.ctype.mimetype == mime)
                    .and_then(|part| part.get_body().ok())
                    .unwrap_or_default()
            };
            mails.push(Mail {
                to: header("To"),
                subject: header("Subject"),
                text: part("text/plain"),
                html: part("text/html"),
            });
        }
    }
    mails
}

/// Waits until a message of `app`'s to `to` whose text contains `containing` arrives.
pub async fn wait_for_mail(
    app: &TestApp,
    maildir: &Path,
    to: &str,
    containing: &str,
) -> Result<Mail> {
    let base = format!("{}/", app.base_url);
    eventually(&format!("mail to {to} about {containing:?}"), async || {
        let found = delivered(maildir).into_iter().find(|mail| {
            mail.to == to && mail.text.contains(&base) && mail.text.contains(containing)
        });
        match found {
            Some(mail) => Ok(mail),
            None => bail!("nothing yet"),
        }
    })
    .await
}
