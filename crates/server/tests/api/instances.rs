//! Several server instances on one PostgreSQL database (issue 13): requests, decisions and
//! direct assignments go through all three; then all three run the background jobs at the
//! same moment, and every timer fires exactly once, every start is delivered once, and
//! the audit chain verifies. (SQLite serves one instance: see
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

    let check = entrada_server::audit::verify(&a.db).await.unwrap();
    assert!(check.first_bad.is_none(), "{:?}", check.first_bad);
}
