//! The submission rules for every request type, applied by the domain: an extension needs
//! the same eligibility as the first request, a removal keeps the justification limit, and
//! an approved request waiting for its start can still be cancelled by its requestor or an
//! administrator.

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::Duration;

use crate::helpers::{as_person, send, TestApp};
use crate::on_both_backends;

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    send(app, client, Method::POST, path, body).await
}

fn wiki(kind: &str, justification: Option<&str>) -> Value {
    json!({ "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": kind, "justification": justification })
}

async fn has_wiki_role(app: &TestApp, user: &str) -> bool {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM application_role_members WHERE application_id = 'app-atlas' AND role_id = 'editor' AND user_id = $1")
        .bind(user).fetch_one(&app.db).await.unwrap();
    count > 0
}

async fn run_jobs(app: &TestApp) -> entrada_server::jobs::Outcome {
    entrada_server::jobs::run_once(&app.db, entrada_server::Clock::now(app.clock.as_ref()))
        .await
        .unwrap()
}

/// Sam holds Company Wiki (approved by his manager Daniel); returns Sam's client.
async fn sam_holds_the_wiki(app: &TestApp) -> Client {
    let sam = as_person(app, "sam.taylor").await;
    let daniel = as_person(app, "daniel.kim").await;
    let (status, view) = post(app, &sam, "/requests", wiki("userAdd", Some("Docs"))).await;
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
    assert_eq!(view["request"]["state"], "delivered");
    sam
}

/// Asks for an extension of Company Wiki and expects the refusal a new request gets (403),
/// with no request stored.
async fn extension_is_refused(app: &TestApp, sam: &Client) {
    let (status, problem) =
        post(app, sam, "/requests", wiki("userExtend", Some("More time"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["status"], 403);
    let (status, again) = post(app, sam, "/requests", wiki("userAdd", Some("Docs"))).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a new request is refused the same way: {again}"
    );
    let extensions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM access_requests WHERE request_type = 'userExtend'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(extensions, 0, "no extension was stored");
    let mine: Value = sam
        .get(app.api("/my/assignments"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        mine[0]["extensionAllowed"], false,
        "My access no longer offers it: {mine}"
    );
}

/// Sam asks for Company Wiki starting in three days and Daniel approves: approved, waiting.
async fn approved_to_start_later(app: &TestApp, sam: &Client) -> String {
    let daniel = as_person(app, "daniel.kim").await;
    let start = entrada_server::Clock::now(app.clock.as_ref()) + Duration::days(3);
    let mut body = wiki("userAdd", Some("Next sprint"));
    body["schedule"] = json!({ "start": start.format(&Rfc3339).unwrap() });
    let (status, view) = post(app, sam, "/requests", body).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let id = view["request"]["id"].as_str().unwrap().to_owned();
    let (_, view) = post(
        app,
        &daniel,
        &format!("/requests/{id}/decisions"),
        json!({ "decision": "approve" }),
    )
    .await;
    assert_eq!(view["request"]["state"], "approved", "waits for its start");
    id
}

on_both_backends! {
    an_extension_is_refused_once_the_person_left_the_policys_scope => |app: TestApp| async move {
        let sam = sam_holds_the_wiki(&app).await;
        let admin = as_person(&app, "alex.morgan").await;
        let scope = json!({ "kind": "specificDirectoryUsers", "users": ["user-ethan.brooks"], "groups": [] });
        let (status, body) = send(&app, &admin, Method::PATCH, "/policies/pol-company-wiki", json!({ "requestorScope": scope })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        extension_is_refused(&app, &sam).await;
    };

    an_extension_is_refused_once_the_policy_stopped_accepting_requests => |app: TestApp| async move {
        let sam = sam_holds_the_wiki(&app).await;
        let admin = as_person(&app, "alex.morgan").await;
        let (status, body) = send(&app, &admin, Method::PATCH, "/policies/pol-company-wiki", json!({ "acceptingRequests": false })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        extension_is_refused(&app, &sam).await;
    };

    an_extension_is_refused_in_a_disabled_catalog => |app: TestApp| async move {
        let sam = sam_holds_the_wiki(&app).await;
        let admin = as_person(&app, "alex.morgan").await;
        let (status, body) = send(&app, &admin, Method::PATCH, "/catalogs/cat-engineering", json!({ "enabled": false })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        extension_is_refused(&app, &sam).await;
        // Giving access up needs no eligibility: Sam can still remove it.
        let (status, view) = post(&app, &sam, "/requests", wiki("userRemove", None)).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        assert_eq!(view["request"]["state"], "delivered");
        assert!(!has_wiki_role(&app, "user-sam.taylor").await);
    };

    an_eligible_holder_still_extends => |app: TestApp| async move {
        let sam = sam_holds_the_wiki(&app).await;
        let (status, view) = post(&app, &sam, "/requests", wiki("userExtend", Some("More time"))).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        assert_eq!(view["request"]["state"], "pendingApproval");
        assert_eq!(view["stages"][0]["approvers"][0]["displayName"], "Daniel Kim", "the view names the approver");
        let mine: Value = sam.get(app.api("/my/assignments")).send().await.unwrap().json().await.unwrap();
        assert_eq!(mine[0]["pendingRequest"], view["request"]["id"], "{mine}");
    };

    a_removal_with_an_overlong_justification_is_refused_on_its_field => |app: TestApp| async move {
        let sam = sam_holds_the_wiki(&app).await;
        let long = "x".repeat(1001);
        let (status, problem) = post(&app, &sam, "/requests", wiki("userRemove", Some(&long))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "justification");
        assert_eq!(problem["errors"][0]["message"], "Use at most 1000 characters.");
        assert!(has_wiki_role(&app, "user-sam.taylor").await, "nothing was removed");
        let removals: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_requests WHERE request_type = 'userRemove'")
            .fetch_one(&app.db).await.unwrap();
        assert_eq!(removals, 0);
        let (status, view) = post(&app, &sam, "/requests", wiki("userRemove", Some(&"x".repeat(1000)))).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        assert_eq!(view["request"]["justification"].as_str().map(str::len), Some(1000));
    };

    an_overlong_decision_reason_is_refused_on_its_field => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let daniel = as_person(&app, "daniel.kim").await;
        let (_, view) = post(&app, &sam, "/requests", wiki("userAdd", Some("Docs"))).await;
        let id = view["request"]["id"].as_str().unwrap().to_owned();
        let (status, problem) = post(&app, &daniel, &format!("/requests/{id}/decisions"), json!({ "decision": "deny", "justification": "n".repeat(1001) })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "justification");
        let (status, view) = post(&app, &daniel, &format!("/requests/{id}/decisions"), json!({ "decision": "deny", "justification": "  " })).await;
        assert_eq!(status, StatusCode::OK, "a blank reason is no reason: {view}");
        assert!(view["request"]["decisions"][0]["justification"].is_null());
    };

    the_requestor_cancels_an_approved_request_before_it_starts => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let id = approved_to_start_later(&app, &sam).await;
        let (status, view) = post(&app, &sam, &format!("/requests/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["request"]["state"], "canceled");
        app.clock.advance(Duration::days(3) + Duration::minutes(1));
        assert_eq!(run_jobs(&app).await.started, 0, "nothing to start");
        assert!(!has_wiki_role(&app, "user-sam.taylor").await, "no access was given");
        let sam = as_person(&app, "sam.taylor").await;
        let (status, view) = post(&app, &sam, "/requests", wiki("userAdd", Some("Docs"))).await;
        assert_eq!(status, StatusCode::CREATED, "the cancelled request no longer blocks a new one: {view}");
    };

    an_administrator_cancels_an_approved_request_before_it_starts => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let id = approved_to_start_later(&app, &sam).await;
        let daniel = as_person(&app, "daniel.kim").await;
        let (status, _) = post(&app, &daniel, &format!("/requests/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "the approver is not an administrator");
        let admin = as_person(&app, "alex.morgan").await;
        let (status, view) = post(&app, &admin, &format!("/requests/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["request"]["state"], "canceled");
        let actor: Option<String> = sqlx::query_scalar("SELECT actor_id FROM audit_events WHERE action = 'request.canceled' AND target_id = $1")
            .bind(&id).fetch_one(&app.db).await.unwrap();
        assert_eq!(actor.as_deref(), Some("user-alex.morgan"), "the audit names the administrator");
        app.clock.advance(Duration::days(3) + Duration::minutes(1));
        assert_eq!(run_jobs(&app).await.started, 0);
        assert!(!has_wiki_role(&app, "user-sam.taylor").await);
    };

    an_approved_request_whose_start_has_come_is_no_longer_cancelled => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let id = approved_to_start_later(&app, &sam).await;
        app.clock.advance(Duration::days(3) + Duration::minutes(1));
        let sam = as_person(&app, "sam.taylor").await;
        let (status, problem) = post(&app, &sam, &format!("/requests/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        let admin = as_person(&app, "alex.morgan").await;
        let (status, problem) = post(&app, &admin, &format!("/requests/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert_eq!(run_jobs(&app).await.started, 1);
        assert!(has_wiki_role(&app, "user-sam.taylor").await);
    };
}
