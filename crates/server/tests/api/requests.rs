//! The request lifecycle end to end through the API: request, multi-stage approval,
//! delivery, denial, cancel, timeout and escalation, expiry, extension, self-removal,
//! scheduled starts, restarts, and races decided by the database.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use time::Duration;

use crate::helpers::{as_person, TestApp};
use crate::on_both_backends;

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    let response = client.post(app.api(path)).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, client: &Client, path: &str) -> Value {
    let response = client.get(app.api(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.unwrap()
}

fn add(package: &str, policy: &str, justification: Option<&str>) -> Value {
    json!({ "accessPackageId": package, "policyId": policy, "type": "userAdd", "justification": justification, "answers": [] })
}

async fn approvals_of(app: &TestApp, client: &Client) -> Vec<String> {
    let list = get(app, client, "/approvals").await;
    list.as_array()
        .unwrap()
        .iter()
        .map(|view| view["request"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn has_app_role(app: &TestApp, application: &str, role: &str, user: &str) -> bool {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM application_role_members WHERE application_id = $1 AND role_id = $2 AND user_id = $3")
        .bind(application).bind(role).bind(user).fetch_one(&app.db).await.unwrap();
    count > 0
}

async fn run_jobs(app: &TestApp) -> entrada_server::jobs::Outcome {
    entrada_server::jobs::run_once(&app.db, entrada_server::Clock::now(app.clock.as_ref()))
        .await
        .unwrap()
}

on_both_backends! {
    a_package_without_approval_is_delivered_at_once => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let (status, view) = post(&app, &sam, "/requests", add("ap-engineering-onboarding", "pol-engineering-onboarding", None)).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        assert_eq!(view["request"]["state"], "delivered");
        assert!(has_app_role(&app, "app-buildbox", "developer", "user-sam.taylor").await);
        let mine = get(&app, &sam, "/my/assignments").await;
        assert_eq!(mine[0]["package"]["name"], "Engineering Onboarding");
        assert_eq!(mine[0]["assignment"]["state"], "delivered");
        assert!(mine[0]["assignment"]["end"].is_null(), "never expires");
        let offer = get(&app, &sam, "/access-packages/ap-engineering-onboarding").await;
        assert_eq!(offer["assignment"]["state"], "delivered", "the package page knows Sam holds it");
        let (status, again) = post(&app, &sam, "/requests", add("ap-engineering-onboarding", "pol-engineering-onboarding", None)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{again}");
        assert_eq!(again["detail"], "You already have Engineering Onboarding.");
    };

    two_stages_approve_in_order_and_then_deliver => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let daniel = as_person(&app, "daniel.kim").await;
        let victor = as_person(&app, "victor.novak").await;
        let (status, view) = post(&app, &sam, "/requests", add("ap-finance-reporting", "pol-finance-reporting", Some("Quarterly planning"))).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        assert_eq!(view["request"]["state"], "pendingApproval");
        assert_eq!(view["request"]["currentStage"], 0);
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        assert_eq!(approvals_of(&app, &daniel).await, [id.as_str()], "stage 1 waits for Sam's manager");
        assert!(approvals_of(&app, &victor).await.is_empty(), "stage 2 has not started");
        let (status, early) = post(&app, &victor, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{early}");

        let (status, view) = post(&app, &daniel, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["request"]["currentStage"], 1);
        assert_eq!(approvals_of(&app, &victor).await, [id.as_str()]);
        let (status, problem) = post(&app, &victor, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "stage 2 needs a reason: {problem}");
        assert_eq!(problem["errors"][0]["field"], "justification");
        let (status, view) = post(&app, &victor, &format!("/requests/{id}/decisions"), json!({ "decision": "approve", "justification": "Budget owner" })).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["request"]["state"], "delivered");
        assert!(has_app_role(&app, "app-ledger", "viewer", "user-sam.taylor").await);

        let history = get(&app, &sam, "/my/requests").await;
        let stages = history[0]["stages"].as_array().unwrap();
        assert_eq!(stages[0]["decidedBy"], "Daniel Kim");
        assert_eq!(stages[1]["decidedBy"], "Victor Novak");
        assert_eq!(stages[1]["decision"]["justification"], "Budget owner");
    };

    one_deny_ends_the_request_with_its_reason => |app: TestApp| async move {
        let ethan = as_person(&app, "ethan.brooks").await;
        let hannah = as_person(&app, "hannah.becker").await;
        let (_, view) = post(&app, &ethan, "/requests", add("ap-company-wiki", "pol-company-wiki", Some("Write the sales playbook"))).await;
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        let (status, view) = post(&app, &hannah, &format!("/requests/{id}/decisions"), json!({ "decision": "deny", "justification": "Use the sales site instead" })).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["request"]["state"], "denied");
        let history = get(&app, &ethan, "/my/requests").await;
        assert_eq!(history[0]["request"]["state"], "denied");
        assert_eq!(history[0]["stages"][0]["decision"]["justification"], "Use the sales site instead");
        let (status, _) = post(&app, &hannah, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        assert_eq!(status, StatusCode::CONFLICT, "already decided");
    };

    a_requestor_never_approves_their_own_request => |app: TestApp| async move {
        // Priya approves Company Wiki as the fallback; she asks for it herself.
        let priya = as_person(&app, "priya.shah").await;
        let (_, view) = post(&app, &priya, "/requests", add("ap-company-wiki", "pol-company-wiki", Some("Docs"))).await;
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        assert!(approvals_of(&app, &priya).await.is_empty());
        let (status, _) = post(&app, &priya, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let maya = as_person(&app, "maya.lindqvist").await;
        assert_eq!(approvals_of(&app, &maya).await, [id], "her manager, the CEO, decides");
    };

    fallback_approvers_act_when_the_requestor_has_no_manager => |app: TestApp| async move {
        let maya = as_person(&app, "maya.lindqvist").await;
        let (_, view) = post(&app, &maya, "/requests", add("ap-company-wiki", "pol-company-wiki", Some("Board notes"))).await;
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        let priya = as_person(&app, "priya.shah").await;
        assert_eq!(approvals_of(&app, &priya).await, [id]);
    };

    invalid_requests_get_field_errors_and_out_of_scope_gets_403 => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let (status, problem) = post(&app, &sam, "/requests", add("ap-project-falcon", "pol-project-falcon", None)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["justification", "answers[q-workstream]"]);
        let mut ok = add("ap-project-falcon", "pol-project-falcon", Some("Joining firmware"));
        ok["answers"] = json!([{ "questionId": "q-workstream", "value": "Firmware" }]);
        let (status, view) = post(&app, &sam, "/requests", ok).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        assert_eq!(view["request"]["answers"][0]["value"], "Firmware");
        let (status, _) = post(&app, &sam, "/requests", add("ap-sales-crm", "pol-sales-crm", None)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "Sam is not in Sales or Marketing");
        let (status, _) = post(&app, &sam, "/requests", add("ap-company-wiki", "pol-finance-reporting", Some("x"))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a policy of another package");
    };

    a_pending_request_can_be_cancelled_by_its_requestor_only => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let (_, view) = post(&app, &sam, "/requests", add("ap-company-wiki", "pol-company-wiki", Some("Docs"))).await;
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        let (status, _) = post(&app, &sam, "/requests", add("ap-company-wiki", "pol-company-wiki", Some("Docs"))).await;
        assert_eq!(status, StatusCode::CONFLICT, "one pending request per package");
        let admin = as_person(&app, "alex.morgan").await;
        let response = admin.delete(app.api("/policies/pol-company-wiki")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CONFLICT, "a policy with a pending request stays");
        let daniel = as_person(&app, "daniel.kim").await;
        let (status, _) = post(&app, &daniel, &format!("/requests/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "the approver may not cancel it");
        let (status, view) = post(&app, &sam, &format!("/requests/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["request"]["state"], "canceled");
        assert!(approvals_of(&app, &daniel).await.is_empty());
        let (status, _) = post(&app, &sam, &format!("/requests/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT);
    };

    a_stage_without_a_decision_times_out_once => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let (_, view) = post(&app, &sam, "/requests", add("ap-company-wiki", "pol-company-wiki", Some("Docs"))).await;
        assert!(view["timesOutAt"].is_string());
        app.clock.advance(Duration::days(6));
        assert_eq!(run_jobs(&app).await.timed_out, 0, "not yet");
        app.clock.advance(Duration::days(1) + Duration::minutes(1));
        assert_eq!(run_jobs(&app).await.timed_out, 1);
        assert_eq!(run_jobs(&app).await.timed_out, 0, "idempotent");
        let sam = as_person(&app, "sam.taylor").await;
        let history = get(&app, &sam, "/my/requests").await;
        assert_eq!(history[0]["request"]["state"], "timedOut");
    };

    an_escalated_stage_goes_to_the_alternate_approvers => |app: TestApp| async move {
        let admin = as_person(&app, "alex.morgan").await;
        let stages = json!([{ "approvers": [{ "kind": "manager" }], "fallbackApprovers": [], "approverJustificationRequired": false, "decisionTimeoutDays": 5,
            "escalation": { "afterDays": 2, "approvers": [{ "kind": "user", "id": "user-aisha.bello" }] } }]);
        let response = admin.patch(app.api("/policies/pol-company-wiki")).json(&json!({ "stages": stages })).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let sam = as_person(&app, "sam.taylor").await;
        let (_, view) = post(&app, &sam, "/requests", add("ap-company-wiki", "pol-company-wiki", Some("Docs"))).await;
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        let aisha = as_person(&app, "aisha.bello").await;
        assert!(approvals_of(&app, &aisha).await.is_empty());
        app.clock.advance(Duration::days(2) + Duration::minutes(1));
        assert_eq!(run_jobs(&app).await.escalated, 1);
        let aisha = as_person(&app, "aisha.bello").await;
        assert_eq!(approvals_of(&app, &aisha).await, [id.as_str()]);
        let (status, view) = post(&app, &aisha, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["request"]["state"], "delivered");
    };

    access_expires_after_its_policy_days_and_grants_go => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let daniel = as_person(&app, "daniel.kim").await;
        let (_, view) = post(&app, &sam, "/requests", add("ap-company-wiki", "pol-company-wiki", Some("Docs"))).await;
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        post(&app, &daniel, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        assert!(has_app_role(&app, "app-atlas", "editor", "user-sam.taylor").await);
        app.clock.advance(Duration::days(29));
        assert_eq!(run_jobs(&app).await.expired, 0);
        app.clock.advance(Duration::days(1) + Duration::minutes(1));
        assert_eq!(run_jobs(&app).await.expired, 1);
        assert_eq!(run_jobs(&app).await.expired, 0, "exactly once");
        assert!(!has_app_role(&app, "app-atlas", "editor", "user-sam.taylor").await);
        let sam = as_person(&app, "sam.taylor").await;
        let mine = get(&app, &sam, "/my/assignments").await;
        assert_eq!(mine[0]["assignment"]["state"], "expired");
    };

    one_expiry_run_ends_many_at_once_and_takes_back_only_what_entrada_gave => |app: TestApp| async move {
        // Lena already edits Atlas from outside Entrada; Sam and Ethan get it only from
        // Company Wiki. All three are assigned it directly, for its 30 days.
        sqlx::query("INSERT INTO application_role_members (application_id, role_id, user_id, source) VALUES ('app-atlas', 'editor', 'user-lena.fischer', 'directory')")
            .execute(&app.db).await.unwrap();
        let priya = as_person(&app, "priya.shah").await;
        for person in ["user-sam.taylor", "user-ethan.brooks", "user-lena.fischer"] {
            let (status, body) = post(&app, &priya, "/assignments", json!({ "userId": person, "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki" })).await;
            assert_eq!(status, StatusCode::CREATED, "{person}: {body}");
        }
        let events_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&app.db).await.unwrap();
        let mail_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'accessRemoved'").fetch_one(&app.db).await.unwrap();

        app.clock.advance(Duration::days(30) + Duration::minutes(1));
        assert_eq!(run_jobs(&app).await.expired, 3, "all three in one run");
        assert_eq!(run_jobs(&app).await.expired, 0, "exactly once");
        assert!(!has_app_role(&app, "app-atlas", "editor", "user-sam.taylor").await);
        assert!(!has_app_role(&app, "app-atlas", "editor", "user-ethan.brooks").await);
        assert!(has_app_role(&app, "app-atlas", "editor", "user-lena.fischer").await, "access from outside Entrada stays");

        let revoked: Vec<(String, String)> = sqlx::query_as(
            "SELECT subject_id, details_json FROM audit_events WHERE action = 'assignment.expired' ORDER BY seq",
        ).fetch_all(&app.db).await.unwrap();
        let revoked: Vec<(String, String)> = revoked.into_iter().map(|(who, details)| {
            let details: Value = serde_json::from_str(&details).unwrap();
            (who, details["grantsRevoked"].as_str().unwrap().to_owned())
        }).collect();
        let mut revoked_sorted = revoked.clone();
        revoked_sorted.sort();
        assert_eq!(revoked_sorted, [
            ("user-ethan.brooks".to_owned(), "1".to_owned()),
            ("user-lena.fischer".to_owned(), "0".to_owned()),
            ("user-sam.taylor".to_owned(), "1".to_owned()),
        ]);
        let events_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&app.db).await.unwrap();
        assert_eq!(events_after - events_before, 3, "one event for each, nothing else");
        let mail_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'accessRemoved'").fetch_one(&app.db).await.unwrap();
        assert_eq!(mail_after - mail_before, 3, "each holder is told");

        let alex = as_person(&app, "alex.morgan").await;
        let check = get(&app, &alex, "/audit/verify").await;
        assert!(check["firstBad"].is_null(), "{check}");
    };

    holders_extend_through_approval_and_remove_their_own_access => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let daniel = as_person(&app, "daniel.kim").await;
        let (_, view) = post(&app, &sam, "/requests", add("ap-company-wiki", "pol-company-wiki", Some("Docs"))).await;
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        post(&app, &daniel, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        let before = get(&app, &sam, "/my/assignments").await[0]["assignment"]["end"].as_str().unwrap().to_owned();
        assert_eq!(get(&app, &sam, "/my/assignments").await[0]["extensionAllowed"], true);

        let extend = json!({ "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": "userExtend", "justification": "Still writing" });
        let (status, view) = post(&app, &sam, "/requests", extend).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        assert_eq!(view["request"]["state"], "pendingApproval");
        let extension = view["request"]["id"].as_str().unwrap().to_owned();
        post(&app, &daniel, &format!("/requests/{extension}/decisions"), json!({ "decision": "approve" })).await;
        let after = get(&app, &sam, "/my/assignments").await[0]["assignment"]["end"].as_str().unwrap().to_owned();
        assert!(after > before, "{after} is later than {before}");

        let remove = json!({ "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": "userRemove" });
        let (status, view) = post(&app, &sam, "/requests", remove).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        assert_eq!(view["request"]["state"], "delivered", "removal needs no approval");
        assert_eq!(get(&app, &sam, "/my/assignments").await[0]["assignment"]["state"], "removed");
        assert!(!has_app_role(&app, "app-atlas", "editor", "user-sam.taylor").await);
    };

    an_extension_shows_its_approver_the_current_end_and_the_end_it_would_bring => |app: TestApp| async move {
        let parse = |value: &Value| {
            time::OffsetDateTime::parse(value.as_str().unwrap_or_else(|| panic!("not a time: {value}")), &time::format_description::well_known::Rfc3339).unwrap()
        };
        let sam = as_person(&app, "sam.taylor").await;
        let daniel = as_person(&app, "daniel.kim").await;
        let (_, view) = post(&app, &sam, "/requests", add("ap-company-wiki", "pol-company-wiki", Some("Docs"))).await;
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        let (_, decided) = post(&app, &daniel, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        assert!(decided["extension"].is_null(), "an access request has no extension dates: {decided}");
        let end = parse(&get(&app, &sam, "/my/assignments").await[0]["assignment"]["end"]);
        app.clock.advance(Duration::days(10));
        let sam = as_person(&app, "sam.taylor").await;
        let daniel = as_person(&app, "daniel.kim").await;

        let extend = json!({ "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": "userExtend", "justification": "Still writing" });
        let (status, view) = post(&app, &sam, "/requests", extend).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        let extension = view["request"]["id"].as_str().unwrap().to_owned();
        // The wiki's policy gives 30 days, counted from the current end.
        for (what, view) in [
            ("GET /requests/{id}", get(&app, &daniel, &format!("/requests/{extension}")).await),
            ("GET /approvals", get(&app, &daniel, "/approvals").await[0].clone()),
            ("GET /my/requests", get(&app, &sam, "/my/requests").await[0].clone()),
        ] {
            assert_eq!(view["request"]["id"], extension.as_str(), "{what}");
            assert_eq!(parse(&view["extension"]["currentEnd"]), end, "{what}: {view}");
            assert_eq!(parse(&view["extension"]["requestedEnd"]), end + Duration::days(30), "{what}: {view}");
        }
        post(&app, &daniel, &format!("/requests/{extension}/decisions"), json!({ "decision": "approve" })).await;
        let after = parse(&get(&app, &sam, "/my/assignments").await[0]["assignment"]["end"]);
        assert_eq!(after, end + Duration::days(30), "the end the approver was shown is the end granted");
        let view = get(&app, &daniel, &format!("/requests/{extension}")).await;
        assert!(view["extension"].is_null(), "a decided extension keeps no dates to weigh: {view}");
    };

    a_scheduled_request_starts_on_its_start_date => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let daniel = as_person(&app, "daniel.kim").await;
        let start = entrada_server::Clock::now(app.clock.as_ref()) + Duration::days(3);
        let mut body = add("ap-company-wiki", "pol-company-wiki", Some("Next sprint"));
        body["schedule"] = json!({ "start": start.format(&time::format_description::well_known::Rfc3339).unwrap() });
        let (status, view) = post(&app, &sam, "/requests", body).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        let (_, view) = post(&app, &daniel, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        assert_eq!(view["request"]["state"], "approved", "waits for its start");
        assert_eq!(run_jobs(&app).await.started, 0);
        app.clock.advance(Duration::days(3) + Duration::minutes(1));
        assert_eq!(run_jobs(&app).await.started, 1);
        assert!(has_app_role(&app, "app-atlas", "editor", "user-sam.taylor").await);
    };

    two_approvers_deciding_at_once_make_one_decision => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let daniel = as_person(&app, "daniel.kim").await;
        let (_, view) = post(&app, &sam, "/requests", add("ap-finance-reporting", "pol-finance-reporting", Some("Planning"))).await;
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        post(&app, &daniel, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        let fatima = as_person(&app, "fatima.rahman").await;
        let victor = as_person(&app, "victor.novak").await;
        let path = format!("/requests/{id}/decisions");
        let (first, second) = tokio::join!(
            post(&app, &fatima, &path, json!({ "decision": "approve", "justification": "ok" })),
            post(&app, &victor, &path, json!({ "decision": "deny", "justification": "no" })),
        );
        let mut statuses = [first.0.as_u16(), second.0.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{first:?} {second:?}");
        let loser = if first.0 == StatusCode::CONFLICT { &first.1 } else { &second.1 };
        assert_eq!(loser["detail"], "This request has already been decided.");
        let decisions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM request_decisions WHERE request_id = $1 AND stage = 1")
            .bind(&id).fetch_one(&app.db).await.unwrap();
        assert_eq!(decisions, 1);
    };

    the_same_request_sent_twice_at_once_makes_one_request => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let body = add("ap-company-wiki", "pol-company-wiki", Some("Docs"));
        let (first, second) = tokio::join!(post(&app, &sam, "/requests", body.clone()), post(&app, &sam, "/requests", body.clone()));
        let mut statuses = [first.0.as_u16(), second.0.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "{first:?} {second:?}");
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_requests WHERE requestor_id = 'user-sam.taylor'").fetch_one(&app.db).await.unwrap();
        assert_eq!(count, 1);
    };

    timers_survive_a_restart_and_fire_once_across_instances => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        post(&app, &sam, "/requests", add("ap-company-wiki", "pol-company-wiki", Some("Docs"))).await;
        let restarted = app.another_instance().await;
        let second = app.another_instance().await;
        restarted.clock.advance(Duration::days(8));
        second.clock.advance(Duration::days(8));
        let (a, b) = tokio::join!(run_jobs(&restarted), run_jobs(&second));
        assert_eq!(a.timed_out + b.timed_out, 1, "{a:?} {b:?}");
        let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'request.timedOut'").fetch_one(&app.db).await.unwrap();
        assert_eq!(audited, 1);
    };

    an_approver_who_was_too_late_hears_it_was_decided_not_that_it_vanished => |app: TestApp| async move {
        // Hannah is Ethan's manager and holds no role in the Engineering catalog.
        let ethan = as_person(&app, "ethan.brooks").await;
        let hannah = as_person(&app, "hannah.becker").await;
        let mut body = add("ap-project-falcon", "pol-project-falcon", Some("Go-to-market plan"));
        body["answers"] = json!([{ "questionId": "q-workstream", "value": "Go-to-market" }]);
        let (_, view) = post(&app, &ethan, "/requests", body).await;
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        post(&app, &ethan, &format!("/requests/{id}/cancel"), json!({})).await;
        let (status, problem) = post(&app, &hannah, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        let response = hannah.get(app.api(&format!("/requests/{id}"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "she may still see what happened");
        let stranger = as_person(&app, "ben.cohen").await;
        let response = stranger.get(app.api(&format!("/requests/{id}"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    };
}
