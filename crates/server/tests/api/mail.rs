//! E-mail end to end: each message arrives at a real SMTP server (the one `cargo xtask
//! test` starts, named by `ENTRADA_TEST_SMTP_URL`, writing to the maildir
//! `ENTRADA_TEST_MAILDIR`), to the right people only, with its deep link; failed sends are
//! retried with backoff and delivered once; opt-outs; the admin outbox.
//!
//! Tests run in parallel against one maildir and the demo's fixed people, so each reads
//! only the mail whose links start with its own server's address (a port of its own).

use std::path::{Path, PathBuf};

use entrada_server::mail::{send_due, SendOutcome, Smtp as SmtpServer};
use entrada_server::Clock;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use time::Duration;

use crate::helpers::{as_person, TestApp};
use crate::on_both_backends;

pub const SMTP_URL_VAR: &str = "ENTRADA_TEST_SMTP_URL";
pub const MAILDIR_VAR: &str = "ENTRADA_TEST_MAILDIR";

/// The test SMTP server and the maildir it writes.
pub struct Smtp {
    pub url: String,
    pub maildir: PathBuf,
}

/// The test SMTP server; `None` (skipped, said on stderr) outside CI when there is none.
/// Under `CI=true` a missing server fails the test: mail tests never skip in CI.
pub fn smtp() -> Option<Smtp> {
    match (std::env::var(SMTP_URL_VAR), std::env::var(MAILDIR_VAR)) {
        (Ok(url), Ok(maildir)) => Some(Smtp {
            url,
            maildir: maildir.into(),
        }),
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

/// One delivered message, parsed.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub content_type: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// The first link in the plain text that starts with `base`.
    pub fn link(&self, base: &str) -> Option<String> {
        let at = self.text.find(base)?;
        Some(
            self.text[at..]
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned(),
        )
    }
}

/// Every message in the maildir.
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
                content_type: parsed.ctype.mimetype.clone(),
                text: part("text/plain"),
                html: part("text/html"),
            });
        }
    }
    mails
}

/// The mail of `app` (its links start with the app's own address).
pub fn mail_of(app: &TestApp, smtp: &Smtp) -> Vec<Mail> {
    let base = app.url("/");
    delivered(&smtp.maildir)
        .into_iter()
        .filter(|mail| mail.text.contains(&base))
        .collect()
}

/// Runs the sender once through `url` at the app's time.
pub async fn send_through(app: &TestApp, url: &str) -> SendOutcome {
    let server = SmtpServer::new(url, "Entrada <entrada@localhost>").expect("SMTP settings");
    send_due(&app.db, &server, app.clock.now())
        .await
        .expect("the sender runs")
}

/// Runs the sender once through the app's own SMTP server.
pub async fn send(app: &TestApp) -> SendOutcome {
    let url = app.smtp_url.clone().expect("the app was started with SMTP");
    send_through(app, &url).await
}

/// Runs tests on both backends against a server configured with the test SMTP server.
#[macro_export]
macro_rules! with_smtp {
    ($($name:ident => $body:expr;)*) => {$(
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let Some(smtp) = $crate::mail::smtp() else { return };
                let url = smtp.url.clone();
                let app = TestApp::spawn_with(entrada_server::Backend::Sqlite, |config| config.smtp_url = Some(url)).await.expect("SQLite");
                ($body)(app, smtp).await;
            }
            #[tokio::test]
            async fn postgres() {
                let Some(smtp) = $crate::mail::smtp() else { return };
                let url = smtp.url.clone();
                let Some(app) = TestApp::spawn_with(entrada_server::Backend::Postgres, |config| config.smtp_url = Some(url)).await else { return };
                ($body)(app, smtp).await;
            }
        }
    )*};
}

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    let response = client.post(app.api(path)).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn patch(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    let response = client
        .patch(app.api(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, client: &Client, path: &str) -> (StatusCode, Value) {
    let response = client.get(app.api(path)).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn wiki(kind: &str) -> Value {
    json!({ "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": kind, "justification": "Docs", "answers": [] })
}

async fn run_jobs(app: &TestApp) -> entrada_server::jobs::Outcome {
    entrada_server::jobs::run_once(&app.db, app.clock.now())
        .await
        .unwrap()
}

/// Who got mail of `subject_part`, sorted.
fn recipients(mails: &[Mail], subject_part: &str) -> Vec<String> {
    let mut to: Vec<String> = mails
        .iter()
        .filter(|mail| mail.subject.contains(subject_part))
        .map(|mail| mail.to.clone())
        .collect();
    to.sort();
    to
}

fn one<'a>(mails: &'a [Mail], subject_part: &str) -> &'a Mail {
    let found: Vec<&Mail> = mails
        .iter()
        .filter(|mail| mail.subject.contains(subject_part))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one mail about {subject_part:?}: {:#?}",
        mails
            .iter()
            .map(|m| (&m.to, &m.subject))
            .collect::<Vec<_>>()
    );
    found[0]
}

/// Company Wiki decided by either of two people, so one's decision is news to the other.
async fn two_approvers(app: &TestApp) {
    let admin = as_person(app, "alex.morgan").await;
    let stages = json!([{ "approvers": [{ "kind": "user", "id": "user-daniel.kim" }, { "kind": "user", "id": "user-aisha.bello" }], "fallbackApprovers": [], "approverJustificationRequired": false, "decisionTimeoutDays": 5 }]);
    let (status, body) = patch(
        app,
        &admin,
        "/policies/pol-company-wiki",
        json!({ "stages": stages }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

with_smtp! {
    a_request_mails_its_approvers_the_decider_s_peers_and_the_requestor_each_with_the_deep_link => |app: TestApp, smtp: Smtp| async move {
        two_approvers(&app).await;
        let sam = as_person(&app, "sam.taylor").await;
        let (status, view) = post(&app, &sam, "/requests", wiki("userAdd")).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        assert_eq!(send(&app).await.sent, 2);
        let mails = mail_of(&app, &smtp);
        assert_eq!(recipients(&mails, "Approval needed"), ["aisha.bello@lakeshore.example", "daniel.kim@lakeshore.example"]);
        let waiting = mails.iter().find(|mail| mail.to == "daniel.kim@lakeshore.example").unwrap();
        assert_eq!(waiting.subject, "Approval needed: Sam Taylor requests Company Wiki Editors");
        assert_eq!(waiting.content_type, "multipart/alternative");
        assert_eq!(waiting.link(&app.url("/")), Some(app.url(&format!("/approvals/{id}"))));
        assert!(waiting.html.contains(&format!("href=\"{}\"", app.url(&format!("/approvals/{id}")))), "{}", waiting.html);

        let daniel = as_person(&app, "daniel.kim").await;
        let (status, view) = post(&app, &daniel, &format!("/requests/{id}/decisions"), json!({ "decision": "approve", "justification": "Welcome aboard" })).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(send(&app).await.sent, 2);
        let mails = mail_of(&app, &smtp);
        assert_eq!(recipients(&mails, "Already decided by Daniel Kim"), ["aisha.bello@lakeshore.example"], "only the other approver");
        assert_eq!(one(&mails, "Already decided").link(&app.url("/")), Some(app.url(&format!("/approvals/{id}"))));
        let approved = one(&mails, "Approved: your request for Company Wiki");
        assert_eq!(approved.to, "sam.taylor@lakeshore.example");
        assert!(approved.text.contains("Welcome aboard"));
        assert_eq!(approved.link(&app.url("/")), Some(app.url(&format!("/requests?id={id}"))));
        assert_eq!(mails.len(), 4, "nobody else got anything");
        assert_eq!(send(&app).await, SendOutcome::default(), "each message goes once");

        // The access ends in 30 days: reminders at 7 days and 1 day, each once even with
        // two instances running the jobs at the same moment.
        // (The second instance records its own address for links, as a restart would.)
        let other = app.another_instance().await;
        app.clock.advance(Duration::days(23) + Duration::minutes(1));
        other.clock.advance(Duration::days(23) + Duration::minutes(1));
        let (a, b) = tokio::join!(run_jobs(&app), run_jobs(&other));
        assert_eq!(a.reminders_sent + b.reminders_sent, 1);
        assert_eq!(run_jobs(&app).await.reminders_sent, 0, "once");
        send(&app).await;
        let mail_of = |_: &TestApp, smtp: &Smtp| [mail_of(&app, smtp), mail_of(&other, smtp)].concat();
        let mails = mail_of(&app, &smtp);
        let week = one(&mails, "ends in 7 days");
        assert_eq!(week.to, "sam.taylor@lakeshore.example");
        assert_eq!(week.link(&other.url("/")), Some(other.url("/access-packages/ap-company-wiki")));
        app.clock.advance(Duration::days(6));
        assert_eq!(run_jobs(&app).await.reminders_sent, 1);
        assert_eq!(run_jobs(&app).await.reminders_sent, 0, "once");
        app.clock.advance(Duration::days(1));
        assert_eq!(run_jobs(&app).await.expired, 1);
        send(&app).await;
        let mails = mail_of(&app, &smtp);
        assert_eq!(recipients(&mails, "ends tomorrow"), ["sam.taylor@lakeshore.example"]);
        let expired = one(&mails, "Your access to Company Wiki Editors expired");
        assert_eq!(expired.to, "sam.taylor@lakeshore.example");
        assert_eq!(mails.len(), 7);
    };

    escalation_mails_only_the_alternates_and_a_timeout_tells_the_requestor => |app: TestApp, smtp: Smtp| async move {
        let admin = as_person(&app, "alex.morgan").await;
        let stages = json!([{ "approvers": [{ "kind": "manager" }], "fallbackApprovers": [], "approverJustificationRequired": false, "decisionTimeoutDays": 5,
            "escalation": { "afterDays": 2, "approvers": [{ "kind": "user", "id": "user-aisha.bello" }] } }]);
        let (status, body) = patch(&app, &admin, "/policies/pol-company-wiki", json!({ "stages": stages })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let sam = as_person(&app, "sam.taylor").await;
        let (_, view) = post(&app, &sam, "/requests", wiki("userAdd")).await;
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        app.clock.advance(Duration::days(2) + Duration::minutes(1));
        assert_eq!(run_jobs(&app).await.escalated, 1);
        send(&app).await;
        let mails = mail_of(&app, &smtp);
        assert_eq!(recipients(&mails, "Approval needed"), ["aisha.bello@lakeshore.example", "daniel.kim@lakeshore.example"], "the manager at the start, the alternate on escalation, each once");
        app.clock.advance(Duration::days(3));
        assert_eq!(run_jobs(&app).await.timed_out, 1);
        send(&app).await;
        let mails = mail_of(&app, &smtp);
        let timed_out = one(&mails, "Timed out");
        assert_eq!(timed_out.to, "sam.taylor@lakeshore.example");
        assert_eq!(timed_out.link(&app.url("/")), Some(app.url(&format!("/requests?id={id}"))));
    };

    a_send_that_fails_is_retried_with_backoff_and_delivered_once => |app: TestApp, smtp: Smtp| async move {
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("smtp://{}", listener.local_addr().unwrap())
        };
        let sam = as_person(&app, "sam.taylor").await;
        let (_, view) = post(&app, &sam, "/requests", wiki("userAdd")).await;
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        let admin = as_person(&app, "alex.morgan").await;

        assert_eq!(send_through(&app, &closed).await, SendOutcome { sent: 0, retrying: 1, failed: 0 });
        let (_, outbox) = get(&app, &admin, "/outbox").await;
        let message = &outbox["messages"][0];
        assert_eq!(message["state"], "pending");
        assert_eq!(message["attempts"], 1);
        assert!(message["lastError"].as_str().is_some_and(|e| !e.is_empty()), "{message}");
        assert_eq!(send(&app).await, SendOutcome::default(), "not due again before its backoff");

        app.clock.advance(Duration::minutes(1));
        assert_eq!(send_through(&app, &closed).await.retrying, 1, "due after a minute; fails again");
        app.clock.advance(Duration::minutes(1));
        assert_eq!(send(&app).await, SendOutcome::default(), "the second wait is two minutes");
        app.clock.advance(Duration::minutes(1));
        assert_eq!(send(&app).await.sent, 1);
        assert_eq!(send(&app).await, SendOutcome::default());
        let (_, outbox) = get(&app, &admin, "/outbox").await;
        assert_eq!(outbox["messages"][0]["state"], "sent");
        assert_eq!(outbox["messages"][0]["attempts"], 3);
        assert!(outbox["messages"][0]["sentAt"].is_string());
        let approval = app.url(&format!("/approvals/{id}"));
        let arrived = mail_of(&app, &smtp).into_iter().filter(|mail| mail.text.contains(&approval)).count();
        assert_eq!(arrived, 1, "delivered exactly once");
    };

    a_message_is_given_up_after_its_last_attempt_and_the_others_still_go => |app: TestApp, smtp: Smtp| async move {
        // An address no SMTP server takes fails for good at once; the other message goes.
        sqlx::query("UPDATE users SET email = 'not an address' WHERE id = 'user-daniel.kim'").execute(&app.db).await.unwrap();
        two_approvers(&app).await;
        let sam = as_person(&app, "sam.taylor").await;
        post(&app, &sam, "/requests", wiki("userAdd")).await;
        assert_eq!(send(&app).await, SendOutcome { sent: 1, retrying: 0, failed: 1 });
        assert_eq!(recipients(&mail_of(&app, &smtp), "Approval needed"), ["aisha.bello@lakeshore.example"]);

        // A server that stays down: tried MAX_ATTEMPTS times, then given up.
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("smtp://{}", listener.local_addr().unwrap())
        };
        let ethan = as_person(&app, "ethan.brooks").await;
        post(&app, &ethan, "/requests", wiki("userAdd")).await;
        let mut outcome = SendOutcome::default();
        for _ in 0..entrada_server::mail::MAX_ATTEMPTS + 2 {
            let pass = send_through(&app, &closed).await;
            outcome.retrying += pass.retrying;
            outcome.failed += pass.failed;
            app.clock.advance(Duration::hours(1));
        }
        assert_eq!(outcome.failed, 2, "Daniel's at once, Aisha's after her last attempt: {outcome:?}");
        assert_eq!(outcome.retrying, u64::from(entrada_server::mail::MAX_ATTEMPTS) - 1);
        let admin = as_person(&app, "alex.morgan").await;
        let (_, outbox) = get(&app, &admin, "/outbox").await;
        assert_eq!(outbox["smtpConfigured"], true);
        let failed: Vec<&Value> = outbox["messages"].as_array().unwrap().iter().filter(|m| m["state"] == "failed").collect();
        assert_eq!(failed.len(), 3, "{outbox}");
        let aisha = failed.iter().find(|m| m["toAddress"] == "aisha.bello@lakeshore.example").unwrap();
        assert_eq!(aisha["attempts"], entrada_server::mail::MAX_ATTEMPTS);
        assert!(aisha["subject"].as_str().unwrap().contains("Ethan Brooks"));
    };
}

async fn outbox_count(app: &TestApp, kind: &str, to: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = $1 AND to_address = $2")
        .bind(kind)
        .bind(to)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

on_both_backends! {
    a_turned_off_optional_kind_is_not_written_and_a_required_one_cannot_be_turned_off => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let (status, prefs) = get(&app, &sam, "/my/notifications").await;
        assert_eq!(status, StatusCode::OK);
        let removed = prefs["kinds"].as_array().unwrap().iter().find(|k| k["kind"] == "accessRemoved").unwrap().clone();
        assert_eq!((removed["optional"].clone(), removed["enabled"].clone()), (json!(true), json!(true)));

        let (status, problem) = patch(&app, &sam, "/my/notifications", json!({ "kinds": { "requestDecided": false } })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "kinds.requestDecided");
        let (status, _) = patch(&app, &sam, "/my/notifications", json!({ "kinds": { "nonsense": false } })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let (status, prefs) = patch(&app, &sam, "/my/notifications", json!({ "kinds": { "accessRemoved": false } })).await;
        assert_eq!(status, StatusCode::OK, "{prefs}");
        let removed = prefs["kinds"].as_array().unwrap().iter().find(|k| k["kind"] == "accessRemoved").unwrap().clone();
        assert_eq!(removed["enabled"], false);
        let onboarding = |kind: &str| json!({ "accessPackageId": "ap-engineering-onboarding", "policyId": "pol-engineering-onboarding", "type": kind, "answers": [] });
        let (status, view) = post(&app, &sam, "/requests", onboarding("userAdd")).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        let (status, view) = post(&app, &sam, "/requests", onboarding("userRemove")).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        assert_eq!(outbox_count(&app, "accessRemoved", "sam.taylor@lakeshore.example").await, 0, "turned off: not written");

        patch(&app, &sam, "/my/notifications", json!({ "kinds": { "accessRemoved": true } })).await;
        post(&app, &sam, "/requests", onboarding("userAdd")).await;
        post(&app, &sam, "/requests", onboarding("userRemove")).await;
        assert_eq!(outbox_count(&app, "accessRemoved", "sam.taylor@lakeshore.example").await, 1, "on again: written");
    };

    the_outbox_pages_newest_first_for_administrators_only_and_says_smtp_is_off => |app: TestApp| async move {
        two_approvers(&app).await;
        let sam = as_person(&app, "sam.taylor").await;
        post(&app, &sam, "/requests", wiki("userAdd")).await;
        app.clock.advance(Duration::seconds(1));
        let ethan = as_person(&app, "ethan.brooks").await;
        post(&app, &ethan, "/requests", wiki("userAdd")).await;
        let admin = as_person(&app, "alex.morgan").await;
        let (status, first) = get(&app, &admin, "/outbox?limit=3").await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(first["smtpConfigured"], false);
        let messages = first["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 3);
        assert!(messages[0]["subject"].as_str().unwrap().contains("Ethan Brooks"), "newest first: {first}");
        assert_eq!(messages[0]["state"], "pending", "without SMTP nothing is sent");
        assert!(messages[0]["text"].as_str().unwrap().contains(&app.url("/approvals/")));
        assert!(messages[0]["html"].as_str().unwrap().contains("<a href="));
        let cursor = first["nextCursor"].as_str().unwrap();
        let (_, second) = get(&app, &admin, &format!("/outbox?limit=3&cursor={cursor}")).await;
        assert_eq!(second["messages"].as_array().unwrap().len(), 1, "four in all: {second}");
        assert!(second["nextCursor"].is_null());
        assert!(second["messages"][0]["subject"].as_str().unwrap().contains("Sam Taylor"));

        let (status, problem) = get(&app, &admin, "/outbox?limit=0&cursor=nope").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["limit", "cursor"]);
        let (status, _) = get(&app, &sam, "/outbox").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    };
}
