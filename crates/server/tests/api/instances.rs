//! Several server instances on one PostgreSQL database (issue 13): requests, decisions,
//! direct assignments and a partner's sign-up go through all three; then all three run the
//! background jobs at the same moment, and every timer fires exactly once (expiries,
//! timeouts, scheduled starts, the partner blocked and later deleted), every start is
//! delivered once, and the audit chain verifies. (SQLite serves one instance: see
//! `platform::a_second_server_running_the_jobs_on_one_sqlite_database_is_refused`.)

use entrada_server::jobs::Outcome;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::helpers::{as_person, TestApp};

fn now(app: &TestApp) -> OffsetDateTime {
    entrada_server::Clock::now(app.clock.as_ref())
}

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    crate::helpers::send(app, client, reqwest::Method::POST, path, body).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

/// The jobs of all three instances at once, each through its own pool.
async fn run_everywhere(instances: &[&TestApp; 3], at: OffsetDateTime) -> Vec<Outcome> {
    let [a, b, c] = *instances;
    let (x, y, z) = tokio::join!(
        entrada_server::jobs::run_once(&a.db, at),
        entrada_server::jobs::run_once(&b.db, at),
        entrada_server::jobs::run_once(&c.db, at),
    );
    vec![x.unwrap(), y.unwrap(), z.unwrap()]
}

fn total(outcomes: &[Outcome], field: impl Fn(&Outcome) -> u64) -> u64 {
    outcomes.iter().map(field).sum()
}

#[tokio::test]
async fn three_instances_on_one_postgresql_database_fire_every_timer_exactly_once() {
    let Some(a) = TestApp::spawn_postgres().await else {
        return;
    };
    let b = a.another_instance().await;
    let c = a.another_instance().await;
    let instances = [&a, &b, &c];
    let start = now(&a);

    // Direct assignments of the Company Wiki, ending over the next five days, each made
    // through the next instance in turn.
    let people: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM users WHERE kind = 'member' AND state = 'active' \
         AND id NOT IN ('user-sam.taylor', 'user-lena.fischer') ORDER BY id",
    )
    .fetch_all(&a.db)
    .await
    .unwrap();
    let mut assigned = 0;
    for (n, person) in people.iter().enumerate() {
        let app = instances[n % 3];
        let alex = as_person(app, "alex.morgan").await;
        let end = start + Duration::days(1 + (n as i64 % 5));
        let (status, view) = post(app, &alex, "/assignments", json!({
            "userId": person, "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki",
            "end": end.format(&Rfc3339).unwrap(),
        }))
        .await;
        match status {
            StatusCode::CREATED => assigned += 1,
            StatusCode::CONFLICT => {} // already holds it (the demo's own)
            other => panic!("{other} {view}"),
        }
    }
    assert!(assigned >= 20, "{assigned}");

    // Two requests whose access starts in three days: asked through one instance, approved
    // by the manager through another.
    let mut scheduled = Vec::new();
    for (n, requestor) in ["sam.taylor", "lena.fischer"].into_iter().enumerate() {
        let asked_at = instances[n];
        let decided_at = instances[n + 1];
        let client = as_person(asked_at, requestor).await;
        let (status, view) = post(asked_at, &client, "/requests", json!({
            "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": "userAdd",
            "justification": "Next sprint", "answers": [],
            "schedule": { "start": (start + Duration::days(3)).format(&Rfc3339).unwrap() },
        }))
        .await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        let daniel = as_person(decided_at, "daniel.kim").await;
        let (status, view) = post(
            decided_at,
            &daniel,
            &format!("/requests/{id}/decisions"),
            json!({ "decision": "approve" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["request"]["state"], "approved");
        scheduled.push(id);
    }
    // Requests for Finance Reporting, asked through each instance: nobody decides, so
    // their first stage times out after seven days.
    for (n, requestor) in ["omar.haddad", "ben.cohen", "aisha.bello"]
        .into_iter()
        .enumerate()
    {
        let app = instances[n];
        let client = as_person(app, requestor).await;
        let (status, view) = post(
            app,
            &client,
            "/requests",
            json!({
                "accessPackageId": "ap-finance-reporting", "policyId": "pol-finance-reporting",
                "type": "userAdd", "justification": "Quarterly planning", "answers": [],
            }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{requestor}: {view}");
    }
    // A partner signs up through the first instance, verifies through the second, asks
    // through the third, and the fallback approver approves through the first: a guest
    // with 30 days of access.
    let partner = a.new_client();
    let email = "kim@fabrikam.example";
    let (status, body) = post(
        &a,
        &partner,
        "/signup",
        json!({
            "email": email, "displayName": "Kim Lee", "password": "correct horse battery",
        }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let link: String = sqlx::query_scalar(
        "SELECT link FROM outbox WHERE to_address = $1 AND kind = 'signUpVerification'",
    )
    .bind(email)
    .fetch_one(&a.db)
    .await
    .unwrap();
    let token = link.split_once("token=").expect("a token").1;
    let (status, body) = post(&b, &partner, "/signup/verify", json!({ "token": token })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, view) = post(
        &c,
        &partner,
        "/requests",
        json!({
            "accessPackageId": "ap-partner-collaboration", "policyId": "pol-partner-collaboration",
            "type": "userAdd", "justification": "Joint bid", "answers": [],
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let id = view["request"]["id"].as_str().unwrap();
    let hannah = as_person(&a, "hannah.becker").await;
    let path = format!("/requests/{id}/decisions");
    let (status, view) = post(&a, &hannah, &path, json!({ "decision": "approve" })).await;
    assert_eq!(view["request"]["state"], "delivered", "{status} {view}");
    let partner_id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&a.db)
        .await
        .unwrap();
    let events_about_partner = |action: &'static str| {
        let (db, partner_id) = (a.db.clone(), partner_id.clone());
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM audit_events WHERE action = $1 AND target_id = $2",
            )
            .bind(action)
            .bind(partner_id)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    assert_eq!(events_about_partner("user.guestCreated").await, 1);

    let pending = count(
        &a,
        "SELECT COUNT(*) FROM access_requests WHERE state = 'pendingApproval'",
    )
    .await;
    assert!(pending >= 3, "{pending}");
    const EXPIRED_EVENTS: &str =
        "SELECT COUNT(*) FROM audit_events WHERE action = 'assignment.expired'";
    const EXPIRED: &str = "SELECT COUNT(*) FROM assignments WHERE state = 'expired'";
    const TIMED_OUT: &str = "SELECT COUNT(*) FROM access_requests WHERE state = 'timedOut'";
    const TIMED_OUT_EVENTS: &str =
        "SELECT COUNT(*) FROM audit_events WHERE action = 'request.timedOut'";
    let before = [
        count(&a, EXPIRED_EVENTS).await,
        count(&a, EXPIRED).await,
        count(&a, TIMED_OUT).await,
        count(&a, TIMED_OUT_EVENTS).await,
    ];

    // Forty days on, on every instance's clock: every pending stage has timed out, every
    // start has come, and every assignment made above (and the scheduled ones) has ended.
    for app in instances {
        app.clock.advance(Duration::days(40));
    }
    let at = now(&a);
    let mut outcomes = run_everywhere(&instances, at).await;
    outcomes.extend(run_everywhere(&instances, at).await);
    let again = run_everywhere(&instances, at).await;
    assert_eq!(
        again,
        vec![Outcome::default(); 3],
        "nothing is left to do twice"
    );
    assert_eq!(total(&outcomes, |o| o.failed), 0, "{outcomes:?}");

    // Every timer fired once: one event per item, and the outcomes add up to the events.
    let expired_events = count(&a, EXPIRED_EVENTS).await - before[0];
    let expired_assignments = count(&a, EXPIRED).await - before[1];
    let twice = count(&a, "SELECT COUNT(*) FROM (SELECT target_id FROM audit_events WHERE action = 'assignment.expired' GROUP BY target_id HAVING COUNT(*) > 1) AS twice").await;
    assert_eq!(twice, 0, "an assignment expired twice");
    assert_eq!(expired_events, expired_assignments);
    assert_eq!(total(&outcomes, |o| o.expired) as i64, expired_events);
    assert!(expired_events >= assigned, "{expired_events} < {assigned}");
    let overdue = count(&a, &format!(
        "SELECT COUNT(*) FROM assignments WHERE state IN ('delivering', 'delivered') AND end_at <= {}",
        at.unix_timestamp() * 1000
    ))
    .await;
    assert_eq!(overdue, 0, "an assignment past its end is still live");

    let timed_out = count(&a, TIMED_OUT).await - before[2];
    let timed_out_events = count(&a, TIMED_OUT_EVENTS).await - before[3];
    assert_eq!(timed_out, pending);
    assert_eq!(timed_out_events, pending);
    assert_eq!(total(&outcomes, |o| o.timed_out) as i64, pending);

    // Each scheduled start was delivered once: one assignment, one delivery event.
    assert_eq!(total(&outcomes, |o| o.started), 2, "{outcomes:?}");
    for id in &scheduled {
        let assignments: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM assignments WHERE request_id = $1")
                .bind(id)
                .fetch_one(&a.db)
                .await
                .unwrap();
        assert_eq!(assignments, 1, "{id}");
        let delivered: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'request.delivered' AND target_id = $1")
            .bind(id).fetch_one(&a.db).await.unwrap();
        assert_eq!(delivered, 1, "{id}");
    }

    // Each ended access was told once.
    let told_twice = count(&a, "SELECT COUNT(*) FROM (SELECT to_user_id, link FROM outbox WHERE kind = 'accessRemoved' GROUP BY to_user_id, link HAVING COUNT(*) > 1) AS twice").await;
    assert_eq!(
        told_twice, 0,
        "someone was told twice that their access ended"
    );

    // The partner's last access ended: blocked once, whichever instance got there.
    assert_eq!(events_about_partner("user.blocked").await, 1);
    let blocked: i64 = count(
        &a,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'user.blocked'",
    )
    .await;
    assert_eq!(total(&outcomes, |o| o.guests_blocked) as i64, blocked);

    // Thirty-five days on, past the 30 days a blocked guest is kept: deleted once.
    for app in instances {
        app.clock.advance(Duration::days(35));
    }
    let later = run_everywhere(&instances, now(&a)).await;
    assert_eq!(total(&later, |o| o.failed), 0, "{later:?}");
    assert_eq!(events_about_partner("user.deleted").await, 1);
    let deleted: i64 = count(
        &a,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'user.deleted'",
    )
    .await;
    assert_eq!(
        total(&later, |o| o.guests_deleted) as i64,
        deleted,
        "{later:?}"
    );
    let again = run_everywhere(&instances, now(&a)).await;
    assert_eq!(total(&again, |o| o.guests_deleted), 0, "{again:?}");

    let check = entrada_server::audit::verify(&a.db).await.unwrap();
    assert!(check.first_bad.is_none(), "{:?}", check.first_bad);
}
