//! The sender: delivers the outbox by SMTP (the `lettre` crate) when `--smtp-url` is set.
//! It claims due messages one by one with a guarded update (so several instances never
//! send one twice), sends each as multipart/alternative plain text and HTML, and marks it
//! sent; a failed attempt is retried with a growing backoff (1, 2, 4 … minutes, at most an
//! hour) until [`MAX_ATTEMPTS`], then the message is marked failed (at once when
//! retrying cannot help: an invalid address, a permanent refusal). One failing message
//! never stops the others. Without SMTP nothing is sent: messages stay pending, readable on
//! the admin Outbox page.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::AnyPool;
use time::OffsetDateTime;

use crate::clock::Clock;
use crate::store;
use crate::store::outbox::Claimed;
use crate::Config;

/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: u32 = 8;

/// How long a claim lasts: a sender that dies mid-send leaves the message to another after
/// this (longer than the SMTP timeout, so a live sender always finishes first).
const CLAIM: time::Duration = time::Duration::minutes(5);

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the sender looks for due messages.
const TICK: Duration = Duration::from_secs(2);

/// The wait before the next attempt after `failures` failed attempts (1 or more): 1, 2, 4,
/// 8 … minutes, at most an hour.
pub fn backoff(failures: u32) -> time::Duration {
    let minutes = 1_i64 << failures.saturating_sub(1).min(6);
    time::Duration::minutes(minutes.min(60))
}

/// Why the SMTP settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    /// The SMTP URL is not one lettre understands.
    #[error("--smtp-url: {0}")]
    Url(String),
    /// The sender address is not an address.
    #[error(
        "--mail-from {0:?} is not an e-mail address such as \"Entrada <entrada@example.com>\""
    )]
    From(String),
}

/// An SMTP server to send through, and the sender address.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    /// `smtp://host:port` (plain, or `?tls=required` for STARTTLS), or `smtps://host:port`
    /// (TLS), optionally with `user:password@`; `from` as `Name <address>`.
    pub fn new(url: &str, from: &str) -> Result<Smtp, MailConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|error| MailConfigError::Url(error.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|_| MailConfigError::From(from.to_owned()))?;
        Ok(Smtp { transport, from })
    }

    /// The SMTP settings of `config`, when it has an SMTP URL.
    pub fn of(config: &Config) -> Result<Option<Smtp>, MailConfigError> {
        config
            .smtp_url
            .as_deref()
            .map(|url| Smtp::new(url, &config.mail_from))
            .transpose()
    }

    /// Sends one message; on failure, why, and whether trying again cannot help (an
    /// invalid address, or a permanent 5xx answer from the server).
    async fn send(&self, claimed: &Claimed) -> Result<(), (String, bool)> {
        let to = claimed.to_address.parse::<Mailbox>().map_err(|error| {
            (
                format!("the address {:?} is not valid: {error}", claimed.to_address),
                true,
            )
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(claimed.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                claimed.text.clone(),
                claimed.html.clone(),
            ))
            .map_err(|error| (format!("the message could not be built: {error}"), true))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|error| (error.to_string(), error.is_permanent()))
    }
}

/// What one pass of the sender did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    /// Messages the SMTP server accepted.
    pub sent: u64,
    /// Messages whose attempt failed and that will be tried again.
    pub retrying: u64,
    /// Messages given up after their last attempt.
    pub failed: u64,
}

/// Sends every message due at `now`, one by one; a failure is recorded on its message and
/// the pass goes on with the next.
pub async fn send_due(
    db: &AnyPool,
    smtp: &Smtp,
    now: OffsetDateTime,
) -> Result<SendOutcome, sqlx::Error> {
    let mut outcome = SendOutcome::default();
    // Bounded, so one pass always ends; the next pass takes the rest.
    for _ in 0..1000 {
        let claimed = {
            let mut conn = db.acquire().await?;
            store::outbox::claim_next(&mut conn, now, now + CLAIM).await?
        };
        let Some(claimed) = claimed else {
            break;
        };
        let result = smtp.send(&claimed).await;
        let mut conn = db.acquire().await?;
        match result {
            Ok(()) => {
                store::outbox::mark_sent(&mut conn, &claimed, now).await?;
                outcome.sent += 1;
            }
            Err((error, permanent)) => {
                let failures = claimed.attempts + 1;
                let retry_at =
                    (!permanent && failures < MAX_ATTEMPTS).then(|| now + backoff(failures));
                tracing::warn!(message = %claimed.id, attempt = failures, %error, "a message could not be sent");
                store::outbox::mark_attempt_failed(&mut conn, &claimed, &error, retry_at).await?;
                match retry_at {
                    Some(_) => outcome.retrying += 1,
                    None => outcome.failed += 1,
                }
            }
        }
    }
    Ok(outcome)
}

/// Records where deep links start (see migration 0009), so jobs know it without a request.
pub(crate) async fn on_start(
    db: &AnyPool,
    config: &Config,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let mut conn = db.acquire().await?;
    store::notifications::save_link_base(&mut conn, &config.link_base(), now).await
}

/// Starts the sender loop when this instance runs jobs and has SMTP.
pub(crate) fn start(
    db: &AnyPool,
    clock: &Arc<dyn Clock>,
    config: &Config,
) -> Option<tokio::task::JoinHandle<()>> {
    if !config.run_jobs {
        return None;
    }
    let smtp = match Smtp::of(config) {
        Ok(Some(smtp)) => smtp,
        Ok(None) => {
            tracing::info!("no --smtp-url: messages stay in the outbox, unsent");
            return None;
        }
        Err(error) => {
            tracing::error!(%error, "mail is not sent");
            return None;
        }
    };
    let (db, clock) = (db.clone(), clock.clone());
    Some(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match send_due(&db, &smtp, clock.now()).await {
                Ok(outcome) if outcome != SendOutcome::default() => {
                    tracing::info!(?outcome, "mail sent")
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "the sender failed; retrying on the next tick")
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_from_a_minute_up_to_an_hour() {
        let waits: Vec<i64> = (1..=9).map(|n| backoff(n).whole_minutes()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn bad_settings_are_refused_with_the_flag_they_came_from() {
        assert!(Smtp::new("smtp://127.0.0.1:2525", "Entrada <entrada@localhost>").is_ok());
        let error = Smtp::new("smtp://127.0.0.1:2525", "not an address")
            .err()
            .unwrap();
        assert!(error.to_string().starts_with("--mail-from"));
        let error = Smtp::new("ftp://x", "Entrada <entrada@localhost>")
            .err()
            .unwrap();
        assert!(error.to_string().starts_with("--smtp-url"));
    }
}
