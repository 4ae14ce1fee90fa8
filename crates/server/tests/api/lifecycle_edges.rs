//! Lifecycle edges found by trying (issue 8, parts 2, 7 and 9): one failing item never
//! stops the background jobs; an approved request is re-checked when its start comes; the
//! start is bounded; approving what is already held closes the request; a package with
//! history is archived, not deleted; an edit never strands requests at a removed stage;
//! and the database settles the races of owners removing each other and of a policy
//! deleted while a request is submitted.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::helpers::{as_person, TestApp};
use crate::on_both_backends;

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

async fn delete(app: &TestApp, client: &Client, path: &str) -> (StatusCode, Value) {
    send(app, client, reqwest::Method::DELETE, path, None).await
}

async fn get(app: &TestApp, client: &Client, path: &str) -> Value {
    let (status, body) = send(app, client, reqwest::Method::GET, path, None).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

fn now(app: &TestApp) -> OffsetDateTime {
    entrada_server::Clock::now(app.clock.as_ref())
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap()
}

async fn run_jobs(app: &TestApp) -> entrada_server::jobs::Outcome {
    entrada_server::jobs::run_once(&app.db, now(app))
        .await
        .unwrap()
}

/// A Company Wiki request by `requestor` whose access starts in three days, approved by
/// their manager Daniel; returns its id.
async fn approved_with_future_start(app: &TestApp, requestor: &str) -> String {
    let client = as_person(app, requestor).await;
    let daniel = as_person(app, "daniel.kim").await;
    let start = now(app) + Duration::days(3);
    let body = json!({
        "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": "userAdd",
        "justification": "Next sprint", "answers": [], "schedule": { "start": rfc3339(start) },
    });
    let (status, view) = post(app, &client, "/requests", body).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let id = view["request"]["id"].as_str().unwrap().to_owned();
    let (status, view) = post(
        app,
        &daniel,
        &format!("/requests/{id}/decisions"),
        json!({ "decision": "approve" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["request"]["state"], "approved", "waits for its start");
    id
}

async fn request_state(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT state FROM access_requests WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn live_assignments(app: &TestApp, user: &str, package: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM assignments WHERE user_id = $1 AND package_id = $2 AND state IN ('delivering', 'delivered')")
        .bind(user)
        .bind(package)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// The details of the audit events with `action` about `target`.
async fn audit_details(app: &TestApp, action: &str, target: &str) -> Vec<Value> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT details_json FROM audit_events WHERE action = $1 AND target_id = $2 ORDER BY at, id",
    )
    .bind(action)
    .bind(target)
    .fetch_all(&app.db)
    .await
    .unwrap();
    rows.iter()
        .map(|text| serde_json::from_str(text).unwrap())
        .collect()
}

/// Makes every attempt to give Sam an assignment fail inside the database, as a broken
/// constraint would: the one way to make a single item of a job fail on demand.
async fn break_assignments_of_sam(app: &TestApp) {
    let statements: &[&str] = match app.database_url.starts_with("sqlite") {
        true => &["CREATE TRIGGER refuse_sam BEFORE INSERT ON assignments \
                   WHEN NEW.user_id = 'user-sam.taylor' \
                   BEGIN SELECT RAISE(ABORT, 'injected failure'); END"],
        false => &[
            "CREATE FUNCTION refuse_sam() RETURNS trigger AS $body$ BEGIN \
             IF NEW.user_id = 'user-sam.taylor' THEN RAISE EXCEPTION 'injected failure'; END IF; \
             RETURN NEW; END $body$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_sam BEFORE INSERT ON assignments \
             FOR EACH ROW EXECUTE FUNCTION refuse_sam()",
        ],
    };
    for statement in statements {
        sqlx::raw_sql(statement).execute(&app.db).await.unwrap();
    }
}

on_both_backends! {
    one_failing_scheduled_start_stops_no_other_job => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        let sams = approved_with_future_start(&app, "sam.taylor").await;
        let lenas = approved_with_future_start(&app, "lena.fischer").await;
        let (status, view) = post(&app, &alex, "/assignments", json!({
            "userId": "user-omar.haddad", "accessPackageId": "ap-company-wiki",
            "policyId": "pol-company-wiki", "end": rfc3339(now(&app) + Duration::days(2)),
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        break_assignments_of_sam(&app).await;

        app.clock.advance(Duration::days(3) + Duration::minutes(1));
        let outcome = run_jobs(&app).await;
        assert_eq!(outcome.failed, 1, "Sam's start fails: {outcome:?}");
        assert_eq!(outcome.delivery_failed, 1, "and is marked: {outcome:?}");
        assert_eq!(outcome.started, 1, "Lena's start, after Sam's, still comes: {outcome:?}");
        assert_eq!(outcome.expired, 1, "Omar's assignment still expires: {outcome:?}");
        assert!(outcome.sessions_deleted >= 4, "ended sessions are still cleaned: {outcome:?}");

        assert_eq!(request_state(&app, &sams).await, "deliveryFailed");
        assert_eq!(live_assignments(&app, "user-sam.taylor", "ap-company-wiki").await, 0);
        let failed = audit_details(&app, "request.deliveryFailed", &sams).await;
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert!(failed[0]["reason"].as_str().unwrap().contains("injected failure"), "{failed:?}");
        assert_eq!(request_state(&app, &lenas).await, "delivered");
        assert_eq!(live_assignments(&app, "user-lena.fischer", "ap-company-wiki").await, 1);
        assert_eq!(live_assignments(&app, "user-omar.haddad", "ap-company-wiki").await, 0);

        let next = run_jobs(&app).await;
        assert_eq!(next, entrada_server::jobs::Outcome::default(), "a marked item is not retried for ever");
    };

    a_scheduled_start_for_a_package_assigned_meanwhile_closes_as_already_held => |app: TestApp| async move {
        // The repro: approved with a future start, then assigned directly.
        let alex = as_person(&app, "alex.morgan").await;
        let id = approved_with_future_start(&app, "sam.taylor").await;
        let direct_end = now(&app) + Duration::days(5);
        let (status, view) = post(&app, &alex, "/assignments", json!({
            "userId": "user-sam.taylor", "accessPackageId": "ap-company-wiki",
            "policyId": "pol-company-wiki", "end": rfc3339(direct_end),
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        app.clock.advance(Duration::days(3) + Duration::minutes(1));
        let outcome = run_jobs(&app).await;
        assert_eq!((outcome.failed, outcome.started), (0, 1), "{outcome:?}");
        assert_eq!(request_state(&app, &id).await, "delivered");
        assert_eq!(live_assignments(&app, "user-sam.taylor", "ap-company-wiki").await, 1);
        let end: i64 = sqlx::query_scalar("SELECT end_at FROM assignments WHERE user_id = $1 AND package_id = $2 AND state = 'delivered'")
            .bind("user-sam.taylor").bind("ap-company-wiki").fetch_one(&app.db).await.unwrap();
        let thirty_days_from_start = (now(&app) + Duration::days(30)).unix_timestamp() * 1000;
        assert!(end >= thirty_days_from_start - 60_000, "extended to the request's 30 days, not kept at the direct end");
        let delivered = audit_details(&app, "request.delivered", &id).await;
        assert_eq!(delivered[0]["how"], "alreadyHeld", "{delivered:?}");
    };

    approving_a_package_held_directly_meanwhile_closes_the_request => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        let sam = as_person(&app, "sam.taylor").await;
        let daniel = as_person(&app, "daniel.kim").await;
        let (status, view) = post(&app, &sam, "/requests", json!({
            "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": "userAdd",
            "justification": "Docs", "answers": [],
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        let (status, view) = post(&app, &alex, "/assignments", json!({
            "userId": "user-sam.taylor", "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki",
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        let (status, view) = post(&app, &daniel, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        assert_eq!(status, StatusCode::OK, "never a 500: {view}");
        assert_eq!(view["request"]["state"], "delivered", "not stuck pending");
        assert_eq!(live_assignments(&app, "user-sam.taylor", "ap-company-wiki").await, 1);
        let (_, view) = post(&app, &sam, "/requests", json!({
            "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": "userAdd",
            "justification": "Again", "answers": [],
        })).await;
        assert_ne!(view["detail"], "You already have a pending request for Company Wiki Editors.");
    };

    a_scheduled_start_is_not_delivered_once_the_policy_stopped_accepting_requests => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        let id = approved_with_future_start(&app, "sam.taylor").await;
        let (status, body) = patch(&app, &alex, "/policies/pol-company-wiki", json!({ "acceptingRequests": false })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        app.clock.advance(Duration::days(3) + Duration::minutes(1));
        let outcome = run_jobs(&app).await;
        assert_eq!((outcome.started, outcome.delivery_failed, outcome.failed), (0, 1, 0), "{outcome:?}");
        assert_eq!(request_state(&app, &id).await, "deliveryFailed");
        assert_eq!(live_assignments(&app, "user-sam.taylor", "ap-company-wiki").await, 0);
        let failed = audit_details(&app, "request.deliveryFailed", &id).await;
        assert_eq!(failed[0]["reason"], "The policy stopped accepting requests.");
    };

    a_scheduled_start_is_not_delivered_from_a_catalog_disabled_meanwhile => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        let id = approved_with_future_start(&app, "sam.taylor").await;
        let (status, body) = patch(&app, &alex, "/catalogs/cat-engineering", json!({ "enabled": false })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        app.clock.advance(Duration::days(3) + Duration::minutes(1));
        assert_eq!(run_jobs(&app).await.delivery_failed, 1);
        assert_eq!(request_state(&app, &id).await, "deliveryFailed");
        assert_eq!(live_assignments(&app, "user-sam.taylor", "ap-company-wiki").await, 0);
        let failed = audit_details(&app, "request.deliveryFailed", &id).await;
        assert_eq!(failed[0]["reason"], "The catalog of this access package was disabled.");
    };

    a_scheduled_start_is_not_delivered_to_someone_who_left_the_policys_scope => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        let id = approved_with_future_start(&app, "sam.taylor").await;
        let scope = json!({ "requestorScope": { "kind": "specificDirectoryUsers", "users": ["user-lena.fischer"], "groups": [] } });
        let (status, body) = patch(&app, &alex, "/policies/pol-company-wiki", scope).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        app.clock.advance(Duration::days(3) + Duration::minutes(1));
        assert_eq!(run_jobs(&app).await.delivery_failed, 1);
        assert_eq!(request_state(&app, &id).await, "deliveryFailed");
        assert_eq!(live_assignments(&app, "user-sam.taylor", "ap-company-wiki").await, 0);
        let failed = audit_details(&app, "request.deliveryFailed", &id).await;
        assert_eq!(failed[0]["reason"], "The person is no longer among the people this policy lets request access.");
    };

    a_start_more_than_a_year_ahead_is_refused => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        for start in [rfc3339(now(&app) + Duration::days(400)), "9999-12-31T00:00:00Z".to_owned()] {
            let (status, problem) = post(&app, &sam, "/requests", json!({
                "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": "userAdd",
                "justification": "Much later", "answers": [], "schedule": { "start": start },
            })).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
            assert_eq!(problem["errors"][0]["field"], "schedule.start", "{problem}");
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_requests WHERE requestor_id = 'user-sam.taylor'")
            .fetch_one(&app.db).await.unwrap();
        assert_eq!(count, 0, "nothing blocks Sam's later requests");
    };

    deleting_a_package_with_history_archives_it => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        let sam = as_person(&app, "sam.taylor").await;
        let (status, view) = post(&app, &sam, "/requests", json!({
            "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": "userAdd",
            "justification": "Docs", "answers": [],
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        let (status, problem) = delete(&app, &alex, "/access-packages/ap-company-wiki").await;
        assert_eq!(status, StatusCode::CONFLICT, "an open request blocks it: {problem}");
        let (status, _) = post(&app, &sam, &format!("/requests/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::OK);

        let (status, body) = delete(&app, &alex, "/access-packages/ap-company-wiki").await;
        assert_eq!(status, StatusCode::NO_CONTENT, "never a 500: {body}");
        let packages = get(&app, &alex, "/access-packages?catalogId=cat-engineering").await;
        let wiki = packages.as_array().unwrap().iter().find(|package| package["id"] == "ap-company-wiki")
            .expect("kept for audit and reports");
        assert_eq!(wiki["archived"], true, "administrators see it as archived");
        let offered = get(&app, &sam, "/my/access-packages").await;
        assert!(offered.as_array().unwrap().iter().all(|offer| offer.to_string().find("ap-company-wiki").is_none()), "{offered}");
        let (status, problem) = post(&app, &sam, "/requests", json!({
            "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": "userAdd",
            "justification": "Docs", "answers": [],
        })).await;
        assert!(status.is_client_error(), "unrequestable: {status} {problem}");
        let mine = get(&app, &sam, "/my/requests").await;
        assert!(mine.as_array().unwrap().iter().any(|view| view["request"]["id"] == id.as_str()), "history stays");
        assert_eq!(audit_details(&app, "accessPackage.archived", "ap-company-wiki").await.len(), 1);
    };

    deleting_a_package_without_history_deletes_it => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        let (status, package) = post(&app, &alex, "/access-packages", json!({
            "catalogId": "cat-engineering", "name": "Short-lived", "description": "Made by mistake.", "hidden": false,
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{package}");
        let id = package["id"].as_str().unwrap();
        let (status, _) = delete(&app, &alex, &format!("/access-packages/{id}")).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let packages = get(&app, &alex, "/access-packages?catalogId=cat-engineering").await;
        assert!(packages.as_array().unwrap().iter().all(|package| package["id"] != id));
        assert_eq!(audit_details(&app, "accessPackage.deleted", id).await.len(), 1);
    };

    removing_a_stage_that_requests_wait_at_is_refused => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        let sam = as_person(&app, "sam.taylor").await;
        let daniel = as_person(&app, "daniel.kim").await;
        let (status, view) = post(&app, &sam, "/requests", json!({
            "accessPackageId": "ap-finance-reporting", "policyId": "pol-finance-reporting", "type": "userAdd",
            "justification": "Planning", "answers": [],
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        let (_, view) = post(&app, &daniel, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        assert_eq!(view["request"]["currentStage"], 1, "waits at the second stage");
        let policy = get(&app, &alex, "/policies/pol-finance-reporting").await;
        let first_only = json!({ "stages": [policy["stages"][0].clone()] });
        let (status, problem) = patch(&app, &alex, "/policies/pol-finance-reporting", first_only.clone()).await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains(&id), "names the request: {problem}");
        let policy = get(&app, &alex, "/policies/pol-finance-reporting").await;
        assert_eq!(policy["stages"].as_array().unwrap().len(), 2, "unchanged");

        let (status, _) = post(&app, &sam, &format!("/requests/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = patch(&app, &alex, "/policies/pol-finance-reporting", first_only).await;
        assert_eq!(status, StatusCode::OK, "nobody waits there any more: {body}");
    };

    two_owners_removing_each_other_at_once_leave_an_owner => |app: TestApp| async move {
        let carlos = as_person(&app, "carlos.mendoza").await;
        let fatima = as_person(&app, "fatima.rahman").await;
        let owners_path = "/catalogs/cat-business-apps/roles";
        for round in 0..6 {
            let roles = get(&app, &carlos, owners_path).await;
            let grant_of = |person: &str| {
                roles.as_array().unwrap().iter()
                    .find(|grant| grant["role"] == "owner" && grant["person"]["id"] == person)
                    .map(|grant| grant["id"].as_str().unwrap().to_owned())
            };
            let (carlos_grant, fatima_grant) = (grant_of("user-carlos.mendoza").unwrap(), grant_of("user-fatima.rahman").unwrap());
            let (remove_fatima, remove_carlos) = (format!("{owners_path}/{fatima_grant}"), format!("{owners_path}/{carlos_grant}"));
            let (first, second) = tokio::join!(
                delete(&app, &carlos, &remove_fatima),
                delete(&app, &fatima, &remove_carlos),
            );
            let owners: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM catalog_roles WHERE catalog_id = 'cat-business-apps' AND role = 'owner'")
                .fetch_one(&app.db).await.unwrap();
            assert_eq!(owners, 1, "round {round}: {first:?} {second:?}");
            let mut statuses = [first.0.as_u16(), second.0.as_u16()];
            statuses.sort();
            assert!(statuses[0] == 204 && statuses[1] != 204 && statuses[1] < 500, "round {round}: {first:?} {second:?}");
            // The survivor makes the other an owner again for the next round.
            let (survivor, other) = match first.0 {
                StatusCode::NO_CONTENT => (&carlos, "user-fatima.rahman"),
                _ => (&fatima, "user-carlos.mendoza"),
            };
            let (status, body) = post(&app, survivor, owners_path, json!({ "userId": other, "role": "owner" })).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    };

    a_policy_deleted_while_a_request_is_submitted_leaves_no_orphan => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        let sam = as_person(&app, "sam.taylor").await;
        let template = get(&app, &alex, "/policies/pol-company-wiki").await;
        for round in 0..6 {
            let mut rules = template.clone();
            for key in ["id", "accessPackageId"] {
                rules.as_object_mut().unwrap().remove(key);
            }
            rules["name"] = json!(format!("Short-lived {round}"));
            let (status, policy) = post(&app, &alex, "/access-packages/ap-company-wiki/policies", rules).await;
            assert_eq!(status, StatusCode::CREATED, "{policy}");
            let policy_id = policy["id"].as_str().unwrap().to_owned();
            let policy_path = format!("/policies/{policy_id}");
            let (submitted, deleted) = tokio::join!(
                post(&app, &sam, "/requests", json!({
                    "accessPackageId": "ap-company-wiki", "policyId": policy_id, "type": "userAdd",
                    "justification": "Docs", "answers": [],
                })),
                delete(&app, &alex, &policy_path),
            );
            assert!(submitted.0.as_u16() < 500 && deleted.0.as_u16() < 500, "round {round}: {submitted:?} {deleted:?}");
            assert!(
                !(submitted.0 == StatusCode::CREATED && deleted.0 == StatusCode::NO_CONTENT),
                "round {round}: both won: {submitted:?} {deleted:?}"
            );
            let orphans: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM access_requests r WHERE r.state IN ('submitted', 'pendingApproval', 'approved', 'delivering') \
                 AND NOT EXISTS (SELECT 1 FROM assignment_policies p WHERE p.id = r.policy_id)",
            ).fetch_one(&app.db).await.unwrap();
            assert_eq!(orphans, 0, "round {round}");
            if submitted.0 == StatusCode::CREATED {
                let id = submitted.1["request"]["id"].as_str().unwrap();
                let (status, _) = post(&app, &sam, &format!("/requests/{id}/cancel"), json!({})).await;
                assert_eq!(status, StatusCode::OK);
            }
        }
    };
}
