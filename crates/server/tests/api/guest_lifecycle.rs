//! Issue 10, items 4 and 5: the guest lifecycle (a guest whose last access ends is blocked,
//! told why at sign-in, unblocked by new access, deleted after the set days as a tombstone
//! that keeps the audit trail readable), run by the jobs with an injected clock; and the
//! internal or external sponsors of the requestor's organisation as approvers.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use crate::helpers::{as_person, assert_problem, TestApp};
use crate::on_both_backends;

const PAT: &str = "user-pat.quinn";
const PAT_EMAIL: &str = "pat.quinn@fabrikam.example";
const PARTNER_PACKAGE: &str = "ap-partner-collaboration";
const PARTNER_POLICY: &str = "pol-partner-collaboration";

async fn send(
    app: &TestApp,
    client: &Client,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client.request(method, app.api(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    send(app, client, reqwest::Method::POST, path, Some(body)).await
}

async fn patch(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    send(app, client, reqwest::Method::PATCH, path, Some(body)).await
}

async fn get(app: &TestApp, client: &Client, path: &str) -> Value {
    let (status, body) = send(app, client, reqwest::Method::GET, path, None).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

fn now(app: &TestApp) -> OffsetDateTime {
    entrada_server::Clock::now(app.clock.as_ref())
}

async fn run_jobs(app: &TestApp) -> entrada_server::jobs::Outcome {
    entrada_server::jobs::run_once(&app.db, now(app))
        .await
        .unwrap()
}

/// Sets the external-user lifecycle as the administrator.
async fn set_lifecycle(app: &TestApp, action: &str, days: u32) {
    let admin = as_person(app, "alex.morgan").await;
    let body =
        json!({ "externalLifecycle": { "onLastAssignmentEnd": action, "deleteAfterDays": days } });
    let (status, settings) = patch(app, &admin, "/settings", body).await;
    assert_eq!(status, StatusCode::OK, "{settings}");
}

/// The administrator gives Pat the partner package directly (30 days, by its policy);
/// answers the status and body.
async fn assign_pat(app: &TestApp) -> (StatusCode, Value) {
    let admin = as_person(app, "alex.morgan").await;
    let body =
        json!({ "userId": PAT, "accessPackageId": PARTNER_PACKAGE, "policyId": PARTNER_POLICY });
    post(app, &admin, "/assignments", body).await
}

async fn pat_state(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT state FROM users WHERE id = $1")
        .bind(PAT)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn events(app: &TestApp, action: &str, target: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = $1 AND target_id = $2")
        .bind(action)
        .bind(target)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn sign_in_pat(app: &TestApp, client: &Client, password: &str) -> reqwest::Response {
    client
        .post(app.api("/session"))
        .json(&json!({ "email": PAT_EMAIL, "password": password }))
        .send()
        .await
        .unwrap()
}

/// Pat holds the partner package, then it expires (30 days later) and the jobs run.
async fn pat_holds_then_expires(app: &TestApp) -> entrada_server::jobs::Outcome {
    let (status, view) = assign_pat(app).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    app.clock.advance(Duration::days(31));
    run_jobs(app).await
}

on_both_backends! {
    expiry_blocks_the_guest_then_deletes_them_after_the_set_days => |app: TestApp| async move {
        set_lifecycle(&app, "blockThenDelete", 10).await;
        let pat = as_person(&app, PAT_EMAIL).await;
        let outcome = pat_holds_then_expires(&app).await;
        assert_eq!((outcome.expired, outcome.guests_blocked, outcome.failed), (1, 1, 0), "{outcome:?}");
        assert_eq!(pat_state(&app).await, "blocked");

        // Pat's session ended with the blocking.
        let (status, _) = send(&app, &pat, reqwest::Method::GET, "/me", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // The right password learns why and what to do; a wrong one learns nothing.
        let problem = assert_problem(sign_in_pat(&app, &app.new_client(), entrada_server::demo::DEMO_PASSWORD).await, StatusCode::FORBIDDEN).await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("Your access ended, so this account was blocked on"), "{detail}");
        assert!(detail.contains("request it again"), "{detail}");
        let wrong = assert_problem(sign_in_pat(&app, &app.new_client(), "not-the-password").await, StatusCode::UNAUTHORIZED).await;
        assert!(!wrong["detail"].as_str().unwrap().contains("blocked"), "{wrong}");

        // A second run the same moment changes nothing.
        let again = run_jobs(&app).await;
        assert_eq!((again.guests_blocked, again.guests_deleted), (0, 0));
        assert_eq!(events(&app, "user.blocked", PAT).await, 1);

        // Nine days later Pat is still only blocked; on the tenth, deleted.
        app.clock.advance(Duration::days(9));
        assert_eq!(run_jobs(&app).await.guests_deleted, 0);
        assert_eq!(pat_state(&app).await, "blocked");
        app.clock.advance(Duration::days(1));
        assert_eq!(run_jobs(&app).await.guests_deleted, 1);
        assert_eq!(run_jobs(&app).await.guests_deleted, 0, "deleted once");
        assert_eq!(events(&app, "user.deleted", PAT).await, 1);

        let (state, email, name, hash): (String, String, String, Option<String>) = sqlx::query_as(
            "SELECT state, email, display_name, password_hash FROM users WHERE id = $1",
        )
        .bind(PAT)
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(state, "deleted");
        assert_ne!(email, PAT_EMAIL, "the address is free again");
        assert_eq!(name, "Pat Quinn", "the name survives for the audit trail");
        assert!(hash.is_none());
        assert!(events(&app, "session.signedIn", PAT).await >= 1, "Pat's own audit events stay");

        // Signing in as Pat now answers exactly what an unknown account gets.
        let gone = assert_problem(sign_in_pat(&app, &app.new_client(), entrada_server::demo::DEMO_PASSWORD).await, StatusCode::UNAUTHORIZED).await;
        let unknown = app
            .new_client()
            .post(app.api("/session"))
            .json(&json!({ "email": "nobody@fabrikam.example", "password": entrada_server::demo::DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        let unknown = assert_problem(unknown, StatusCode::UNAUTHORIZED).await;
        assert_eq!(gone["detail"], unknown["detail"]);

        // Pat is gone from the directory's lists and pickers.
        let admin = as_person(&app, "alex.morgan").await;
        let found = get(&app, &admin, "/directory/users?search=quinn").await;
        assert_eq!(found, json!([]), "{found}");
        // And the address may be used by a new account.
        sqlx::query("INSERT INTO users (id, email, display_name, kind, state, created_at) VALUES ('user-new-pat', $1, 'Pat Quinn', 'guest', 'active', 0)")
            .bind(PAT_EMAIL)
            .execute(&app.db)
            .await
            .expect("the address is free");
    };

    the_setting_nothing_keeps_the_guest_active => |app: TestApp| async move {
        set_lifecycle(&app, "nothing", 10).await;
        let outcome = pat_holds_then_expires(&app).await;
        assert_eq!((outcome.expired, outcome.guests_blocked), (1, 0));
        app.clock.advance(Duration::days(400));
        let later = run_jobs(&app).await;
        assert_eq!((later.guests_blocked, later.guests_deleted), (0, 0));
        assert_eq!(pat_state(&app).await, "active");
        let response = sign_in_pat(&app, &app.new_client(), entrada_server::demo::DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
    };

    the_setting_block_never_deletes => |app: TestApp| async move {
        set_lifecycle(&app, "block", 1).await;
        assert_eq!(pat_holds_then_expires(&app).await.guests_blocked, 1);
        app.clock.advance(Duration::days(1000));
        assert_eq!(run_jobs(&app).await.guests_deleted, 0);
        assert_eq!(pat_state(&app).await, "blocked");
        assert_eq!(events(&app, "user.deleted", PAT).await, 0);
    };

    new_access_before_deletion_unblocks_and_a_deleted_guest_stays_deleted => |app: TestApp| async move {
        set_lifecycle(&app, "blockThenDelete", 5).await;
        assert_eq!(pat_holds_then_expires(&app).await.guests_blocked, 1);
        app.clock.advance(Duration::days(2));

        // The administrator assigns Pat again before the deletion: active, date cleared.
        let (status, view) = assign_pat(&app).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        assert_eq!(pat_state(&app).await, "active");
        assert_eq!(events(&app, "user.unblocked", PAT).await, 1);
        let response = sign_in_pat(&app, &app.new_client(), entrada_server::demo::DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "Pat signs in again");
        app.clock.advance(Duration::days(5));
        let outcome = run_jobs(&app).await;
        assert_eq!((outcome.guests_blocked, outcome.guests_deleted), (0, 0), "Pat holds access");
        assert_eq!(pat_state(&app).await, "active");

        // That access ends too: blocked again, and deleted five days after that.
        app.clock.advance(Duration::days(30));
        assert_eq!(run_jobs(&app).await.guests_blocked, 1);
        app.clock.advance(Duration::days(5));
        assert_eq!(run_jobs(&app).await.guests_deleted, 1);

        // Nothing brings a deleted guest back.
        let (status, problem) = assign_pat(&app).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "userId", "{problem}");
        assert_eq!(pat_state(&app).await, "deleted");
        assert_eq!(events(&app, "user.unblocked", PAT).await, 1);
    };

    a_request_in_progress_keeps_the_guest_active_until_it_is_decided => |app: TestApp| async move {
        set_lifecycle(&app, "block", 30).await;
        let (status, view) = assign_pat(&app).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        let assignment = view["assignment"]["id"].as_str().or(view["id"].as_str()).unwrap().to_owned();
        let admin = as_person(&app, "alex.morgan").await;
        let (status, removed) = post(&app, &admin, &format!("/assignments/{assignment}/remove"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{removed}");

        // Before the job comes by, Pat asks for the package again.
        let pat = as_person(&app, PAT_EMAIL).await;
        let body = json!({ "accessPackageId": PARTNER_PACKAGE, "policyId": PARTNER_POLICY, "type": "userAdd", "justification": "The next phase", "answers": [] });
        let (status, created) = post(&app, &pat, "/requests", body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["request"]["id"].as_str().unwrap().to_owned();
        assert_eq!(run_jobs(&app).await.guests_blocked, 0, "an approver is deciding");
        assert_eq!(pat_state(&app).await, "active");

        // The sponsor denies it: now nothing is in progress, and Pat is blocked.
        let hannah = as_person(&app, "hannah.becker").await;
        let (status, decided) = post(&app, &hannah, &format!("/requests/{id}/decisions"), json!({ "decision": "deny", "justification": "Not this phase" })).await;
        assert_eq!(status, StatusCode::OK, "{decided}");
        assert_eq!(run_jobs(&app).await.guests_blocked, 1);
        assert_eq!(pat_state(&app).await, "blocked");
    };

    two_instances_at_once_block_the_guest_once => |app: TestApp| async move {
        set_lifecycle(&app, "blockThenDelete", 3).await;
        let (status, view) = assign_pat(&app).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        app.clock.advance(Duration::days(31));
        let at = now(&app);
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let db = app.db.clone();
                tokio::spawn(async move { entrada_server::jobs::run_once(&db, at).await.unwrap() })
            })
            .collect();
        let mut blocked = 0;
        for run in runs {
            let outcome = run.await.unwrap();
            assert_eq!(outcome.failed, 0, "{outcome:?}");
            blocked += outcome.guests_blocked;
        }
        assert_eq!(blocked, 1);
        assert_eq!(events(&app, "user.blocked", PAT).await, 1);
        assert_eq!(events(&app, "assignment.expired", view["assignment"]["id"].as_str().or(view["id"].as_str()).unwrap()).await, 1);

        app.clock.advance(Duration::days(3));
        let at = now(&app);
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let db = app.db.clone();
                tokio::spawn(async move { entrada_server::jobs::run_once(&db, at).await.unwrap() })
            })
            .collect();
        let mut deleted = 0;
        for run in runs {
            deleted += run.await.unwrap().guests_deleted;
        }
        assert_eq!(deleted, 1);
        assert_eq!(events(&app, "user.deleted", PAT).await, 1);
    };

    external_sponsors_approve_when_the_stage_names_them => |app: TestApp| async move {
        sponsors_approve(&app, "externalSponsors", "lee", "hannah.becker").await;
    };

    internal_sponsors_approve_when_the_stage_names_them => |app: TestApp| async move {
        sponsors_approve(&app, "internalSponsors", "hannah.becker", "lee").await;
    };
}

/// Lee Wong of Fabrikam becomes Fabrikam's external sponsor (Hannah is its internal one);
/// the partner policy's stage names `approver_kind`; Pat's request waits for `approver`
/// only, who approves it, and Pat holds the package.
async fn sponsors_approve(app: &TestApp, approver_kind: &str, approver: &str, not_approver: &str) {
    sqlx::query(
        "INSERT INTO users (id, email, display_name, kind, state, connected_org_id, password_hash, created_at) \
         SELECT 'user-lee', 'lee.wong@fabrikam.example', 'Lee Wong', kind, state, connected_org_id, password_hash, created_at \
         FROM users WHERE id = $1",
    )
    .bind(PAT)
    .execute(&app.db)
    .await
    .unwrap();
    let admin = as_person(app, "alex.morgan").await;
    let (status, org) = patch(
        app,
        &admin,
        "/connected-organizations/org-fabrikam",
        json!({ "externalSponsors": ["user-lee"] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{org}");
    let policy = get(app, &admin, &format!("/policies/{PARTNER_POLICY}")).await;
    let mut stages = policy["rules"]["stages"].clone();
    if stages.is_null() {
        stages = policy["stages"].clone();
    }
    stages[0]["approvers"] = json!([{ "kind": approver_kind }]);
    let (status, changed) = patch(
        app,
        &admin,
        &format!("/policies/{PARTNER_POLICY}"),
        json!({ "stages": stages }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");

    let pat = as_person(app, PAT_EMAIL).await;
    let body = json!({ "accessPackageId": PARTNER_PACKAGE, "policyId": PARTNER_POLICY, "type": "userAdd", "justification": "Joint project", "answers": [] });
    let (status, created) = post(app, &pat, "/requests", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["request"]["id"].as_str().unwrap().to_owned();

    let email = |name: &str| match name {
        "lee" => "lee.wong@fabrikam.example".to_owned(),
        other => other.to_owned(),
    };
    let chosen = as_person(app, &email(approver)).await;
    let other = as_person(app, &email(not_approver)).await;
    let waiting = get(app, &chosen, "/approvals").await;
    assert!(
        waiting
            .as_array()
            .unwrap()
            .iter()
            .any(|view| view["request"]["id"] == id.as_str()),
        "{waiting}"
    );
    let not_waiting = get(app, &other, "/approvals").await;
    assert!(
        !not_waiting
            .as_array()
            .unwrap()
            .iter()
            .any(|view| view["request"]["id"] == id.as_str()),
        "{not_waiting}"
    );
    let (status, view) = post(
        app,
        &chosen,
        &format!("/requests/{id}/decisions"),
        json!({ "decision": "approve", "justification": "Known partner" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["request"]["state"], "delivered", "{view}");
}
