//! Sign-up from outside, verification by link and by code, external people in the app,
//! and guests created on approval (issue 10), on both backends.

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

async fn get(app: &TestApp, client: &Client, path: &str) -> (StatusCode, Value) {
    let response = client.get(app.api(path)).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn count(app: &TestApp, sql: &str, value: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(value)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn users_with(app: &TestApp, email: &str) -> i64 {
    count(app, "SELECT COUNT(*) FROM users WHERE email = $1", email).await
}

async fn pending_for(app: &TestApp, email: &str) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM pending_signups WHERE email = $1",
        email,
    )
    .await
}

/// The newest message of `kind` to `address` in the outbox: (subject, link).
async fn newest_mail(app: &TestApp, address: &str, kind: &str) -> Option<(String, String)> {
    sqlx::query_as::<_, (String, String)>(
        "SELECT subject, link FROM outbox WHERE to_address = $1 AND kind = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(address)
    .bind(kind)
    .fetch_optional(&app.db)
    .await
    .unwrap()
}

/// The token and the code of the newest verification message to `address`.
async fn verification(app: &TestApp, address: &str) -> (String, String) {
    let (subject, link) = newest_mail(app, address, "signUpVerification")
        .await
        .expect("a verification message");
    let token = link
        .split_once("token=")
        .expect("a token in the link")
        .1
        .to_owned();
    let code = subject.rsplit(' ').next().unwrap().to_owned();
    assert_eq!(code.len(), 6, "{subject}");
    (token, code)
}

async fn sign_up(app: &TestApp, client: &Client, email: &str, return_to: Option<&str>) -> Value {
    let (status, body) = post(app, client, "/signup", json!({ "email": email, "displayName": "Kim Lee", "password": "correct horse battery", "returnTo": return_to })).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body
}

fn add(package: &str, policy: &str, justification: Option<&str>) -> Value {
    json!({ "accessPackageId": package, "policyId": policy, "type": "userAdd", "justification": justification, "answers": [] })
}

async fn user_row(app: &TestApp, email: &str) -> (String, String, Option<String>) {
    sqlx::query_as::<_, (String, String, Option<String>)>(
        "SELECT id, kind, connected_org_id FROM users WHERE email = $1",
    )
    .bind(email)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

/// Adds an "anyone" policy (one named approver) to the partner package.
async fn anyone_policy(app: &TestApp) -> String {
    let admin = as_person(app, "alex.morgan").await;
    let (status, policy) = post(app, &admin, "/access-packages/ap-partner-collaboration/policies", json!({
        "name": "Anyone, bids",
        "description": "",
        "requestorScope": { "kind": "allExternalUsers" },
        "acceptingRequests": true,
        "requestorJustificationRequired": false,
        "questions": [],
        "stages": [{ "approvers": [{ "kind": "user", "id": "user-hannah.becker" }], "fallbackApprovers": [], "approverJustificationRequired": false, "decisionTimeoutDays": 7, "escalation": null }],
        "expiration": { "kind": "afterDays", "days": 30 },
        "extensionAllowed": false,
        "requestorMayChooseSchedule": false
    })).await;
    assert_eq!(status, StatusCode::CREATED, "{policy}");
    policy["id"].as_str().unwrap().to_owned()
}

async fn approve(app: &TestApp, request: &str) -> Value {
    let hannah = as_person(app, "hannah.becker").await;
    let (status, view) = post(
        app,
        &hannah,
        &format!("/requests/{request}/decisions"),
        json!({ "decision": "approve" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view
}

on_both_backends! {
    a_partner_signs_up_verifies_by_link_and_becomes_a_guest_with_grants_on_approval => |app: TestApp| async move {
        let kim = app.new_client();
        let email = "kim@fabrikam.example";
        let accepted = sign_up(&app, &kim, "Kim@Fabrikam.example", Some("/access-packages/ap-partner-collaboration")).await;
        assert_eq!(accepted, json!({ "email": email, "validHours": 24 }));
        assert_eq!(pending_for(&app, email).await, 1);
        assert_eq!(users_with(&app, email).await, 0, "only a pending sign-up until verified");

        let (token, _) = verification(&app, email).await;
        let (status, verified) = post(&app, &kim, "/signup/verify", json!({ "token": token })).await;
        assert_eq!(status, StatusCode::OK, "{verified}");
        assert_eq!(verified["returnTo"], "/access-packages/ap-partner-collaboration");
        assert_eq!(verified["me"]["user"]["kind"], "external");
        assert_eq!(verified["me"]["user"]["connectedOrganization"], "org-fabrikam");
        assert_eq!(pending_for(&app, email).await, 0);
        let (_, me) = get(&app, &kim, "/me").await;
        assert_eq!(me["user"]["kind"], "external", "signed in by the verification");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_events WHERE action = $1", "signup.verified").await, 1);

        // The link works once.
        let (status, problem) = post(&app, &app.new_client(), "/signup/verify", json!({ "token": token })).await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("expired or was already used"));
        assert_eq!(users_with(&app, email).await, 1);

        // Not in the directory, no admin endpoint, no members-only package.
        let admin = as_person(&app, "alex.morgan").await;
        let (_, people) = get(&app, &admin, "/directory/users?search=kim@fabrikam").await;
        assert_eq!(people, json!([]), "sign-ups are not in the directory");
        for path in ["/catalogs", "/connected-organizations", "/directory/users", "/settings", "/assignments"] {
            let (status, _) = get(&app, &kim, path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "GET {path}");
        }
        assert_eq!(get(&app, &kim, "/access-packages/ap-sales-crm").await.0, StatusCode::NOT_FOUND);
        let (status, refused) = post(&app, &kim, "/requests", add("ap-sales-crm", "pol-sales-crm", Some("please"))).await;
        // As for any package the person may not see: "no such access package".
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(refused["errors"][0]["field"], "accessPackageId");
        let (kim_id, _, _) = user_row(&app, email).await;
        assert_eq!(count(&app, "SELECT COUNT(*) FROM access_requests WHERE requestor_id = $1", &kim_id).await, 0);
        let (status, offer) = get(&app, &kim, "/access-packages/ap-partner-collaboration").await;
        assert_eq!(status, StatusCode::OK, "{offer}");

        // Request; before approval nothing is granted and they stay outside the directory.
        let (status, view) = post(&app, &kim, "/requests", add("ap-partner-collaboration", "pol-partner-collaboration", Some("Joint bid for the harbour project"))).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        assert_eq!(view["request"]["state"], "pendingApproval");
        let (id, kind, _) = user_row(&app, email).await;
        assert_eq!(kind, "external");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM assignments WHERE user_id = $1", &id).await, 0);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM site_role_members WHERE user_id = $1", &id).await, 0);

        // The sponsor approves: a guest of Fabrikam, with the package and its grants.
        let request = view["request"]["id"].as_str().unwrap();
        let decided = approve(&app, request).await;
        assert_eq!(decided["request"]["state"], "delivered", "{decided}");
        let (_, kind, organization) = user_row(&app, email).await;
        assert_eq!((kind.as_str(), organization.as_deref()), ("guest", Some("org-fabrikam")));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM site_role_members WHERE user_id = $1", &id).await, 1);
        let (_, mine) = get(&app, &kim, "/my/assignments").await;
        assert_eq!(mine[0]["package"]["name"], "Partner Collaboration", "{mine}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_events WHERE action = $1", "user.guestCreated").await, 1);
        let (_, people) = get(&app, &admin, "/directory/users?search=kim@fabrikam").await;
        assert_eq!(people.as_array().unwrap().len(), 1, "a guest is in the directory");
    };

    someone_from_an_unknown_domain_verifies_by_code_and_an_anyone_policy_proposes_their_organisation => |app: TestApp| async move {
        let policy = anyone_policy(&app).await;
        let lee = app.new_client();
        let email = "lee@newpartner.example";
        sign_up(&app, &lee, email, None).await;
        let (_, code) = verification(&app, email).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let (status, problem) = post(&app, &lee, "/signup/verify", json!({ "email": email, "code": wrong })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "code");
        assert_eq!(users_with(&app, email).await, 0, "a wrong code changes nothing");

        let (status, verified) = post(&app, &lee, "/signup/verify", json!({ "email": "Lee@NewPartner.example", "code": code })).await;
        assert_eq!(status, StatusCode::OK, "{verified}");
        assert_eq!(verified["returnTo"], "/");
        assert!(verified["me"]["user"]["connectedOrganization"].is_null());
        assert_eq!(count(&app, "SELECT COUNT(*) FROM connected_organizations WHERE name = $1", "newpartner.example").await, 0);

        let (status, view) = post(&app, &lee, "/requests", add("ap-partner-collaboration", &policy, None)).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        let decided = approve(&app, view["request"]["id"].as_str().unwrap()).await;
        assert_eq!(decided["request"]["state"], "delivered", "{decided}");

        let (org, state, domains): (String, String, String) = sqlx::query_as("SELECT id, state, domains_json FROM connected_organizations WHERE name = $1")
            .bind("newpartner.example").fetch_one(&app.db).await.unwrap();
        assert_eq!(state, "proposed");
        assert_eq!(domains, "[\"newpartner.example\"]");
        let (id, kind, organization) = user_row(&app, email).await;
        assert_eq!((kind.as_str(), organization.as_deref()), ("guest", Some(org.as_str())));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM assignments WHERE user_id = $1", &id).await, 1);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_events WHERE action = $1", "connectedOrganization.proposed").await, 1);

        // An administrator confirms the proposed organisation: it is configured from now on.
        let admin = as_person(&app, "alex.morgan").await;
        let response = admin
            .patch(app.api(&format!("/connected-organizations/{org}")))
            .json(&json!({ "state": "configured" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let confirmed: Value = response.json().await.unwrap();
        assert_eq!((confirmed["state"].as_str(), confirmed["name"].as_str()), (Some("configured"), Some("newpartner.example")));
        let (_, listed) = get(&app, &admin, "/connected-organizations").await;
        let listed = listed.as_array().unwrap().iter().find(|o| o["id"] == org.as_str()).cloned().unwrap();
        assert_eq!(listed["state"], "configured");
        let detail: String = sqlx::query_scalar("SELECT details_json FROM audit_events WHERE action = $1 AND target_id = $2")
            .bind("connectedOrganization.updated").bind(&org).fetch_one(&app.db).await.unwrap();
        assert!(detail.contains("proposed → configured"), "{detail}");
        let response = admin
            .patch(app.api(&format!("/connected-organizations/{org}")))
            .json(&json!({ "state": "approved" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "an unknown state is refused");
    };

    reused_forged_and_expired_links_and_wrong_codes_are_refused_and_change_nothing => |app: TestApp| async move {
        let client = app.new_client();
        let users_before = count(&app, "SELECT COUNT(*) FROM users WHERE id <> $1", "").await;

        let (status, problem) = post(&app, &client, "/signup/verify", json!({ "token": "f".repeat(64) })).await;
        assert_eq!(status, StatusCode::CONFLICT, "forged: {problem}");

        // A second sign-up replaces the first: the first link is dead.
        let email = "ana@gmail.example";
        sign_up(&app, &client, email, None).await;
        let (first, _) = verification(&app, email).await;
        app.clock.advance(Duration::minutes(1));
        sign_up(&app, &client, email, None).await;
        let (second, _) = verification(&app, email).await;
        assert_ne!(first, second);
        assert_eq!(pending_for(&app, email).await, 1);
        assert_eq!(post(&app, &client, "/signup/verify", json!({ "token": first })).await.0, StatusCode::CONFLICT);

        // Expired: refused, then deleted by the job.
        app.clock.advance(Duration::hours(25));
        assert_eq!(post(&app, &client, "/signup/verify", json!({ "token": second })).await.0, StatusCode::CONFLICT);
        assert_eq!(pending_for(&app, email).await, 1);
        entrada_server::jobs::run_once(&app.db, entrada_server::Clock::now(app.clock.as_ref())).await.unwrap();
        assert_eq!(pending_for(&app, email).await, 0, "the job deleted the expired sign-up");

        // Five wrong codes void the sign-up; the right one no longer works then.
        sign_up(&app, &client, email, None).await;
        let (_, code) = verification(&app, email).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for attempt in 1..=5 {
            let (status, problem) = post(&app, &client, "/signup/verify", json!({ "email": email, "code": wrong })).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {attempt}: {problem}");
        }
        assert_eq!(pending_for(&app, email).await, 0, "void after 5 wrong codes");
        let (status, problem) = post(&app, &client, "/signup/verify", json!({ "email": email, "code": code })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("Sign up again"), "{problem}");

        assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE id <> $1", "").await, users_before, "no person was created");
        assert_eq!(get(&app, &client, "/me").await.0, StatusCode::UNAUTHORIZED, "nobody was signed in");
    };

    signing_up_with_a_members_address_answers_the_same_and_mails_the_owner => |app: TestApp| async move {
        let client = app.new_client();
        let member = "sam.taylor@lakeshore.example";
        let answer_member = sign_up(&app, &client, member, None).await;
        let answer_new = sign_up(&app, &client, "new.person@gmail.example", None).await;
        assert_eq!(answer_member, json!({ "email": member, "validHours": 24 }));
        assert_eq!(answer_new, json!({ "email": "new.person@gmail.example", "validHours": 24 }));
        assert!(newest_mail(&app, member, "signUpExistingAccount").await.is_some());
        assert!(newest_mail(&app, member, "signUpVerification").await.is_none());
        assert_eq!(pending_for(&app, member).await, 0);
        assert!(newest_mail(&app, "new.person@gmail.example", "signUpVerification").await.is_some());
        let (_, kind, _) = user_row(&app, member).await;
        assert_eq!(kind, "member", "the member's account is unchanged");

        // Bad input: field errors, nothing stored.
        let (status, problem) = post(&app, &client, "/signup", json!({ "email": "kim@", "displayName": " ", "password": "short" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["email", "displayName", "password"]);
        assert_eq!(pending_for(&app, "kim@").await, 0);
        // A foreign return path is ignored.
        sign_up(&app, &client, "ron@gmail.example", Some("https://evil.test/")).await;
        let (_, code) = verification(&app, "ron@gmail.example").await;
        let (_, verified) = post(&app, &client, "/signup/verify", json!({ "email": "ron@gmail.example", "code": code })).await;
        assert_eq!(verified["returnTo"], "/");
    };

    a_look_alike_domain_is_not_the_partner => |app: TestApp| async move {
        for email in ["eve@fabrikam.example.evil.test", "eve@evilfabrikam.example"] {
            let client = app.new_client();
            sign_up(&app, &client, email, Some("/access-packages/ap-partner-collaboration")).await;
            let (token, _) = verification(&app, email).await;
            let (status, verified) = post(&app, &client, "/signup/verify", json!({ "token": token })).await;
            assert_eq!(status, StatusCode::OK, "{verified}");
            assert!(verified["me"]["user"]["connectedOrganization"].is_null(), "{email}");
            assert_eq!(get(&app, &client, "/access-packages/ap-partner-collaboration").await.0, StatusCode::NOT_FOUND, "{email}");
            let (status, _) = post(&app, &client, "/requests", add("ap-partner-collaboration", "pol-partner-collaboration", Some("x"))).await;
            assert!(!status.is_success(), "{email}");
        }
        // A real subdomain of the partner is the partner.
        let client = app.new_client();
        sign_up(&app, &client, "eve@eu.fabrikam.example", None).await;
        let (token, _) = verification(&app, "eve@eu.fabrikam.example").await;
        let (_, verified) = post(&app, &client, "/signup/verify", json!({ "token": token })).await;
        assert_eq!(verified["me"]["user"]["connectedOrganization"], "org-fabrikam");
        assert_eq!(get(&app, &client, "/access-packages/ap-partner-collaboration").await.0, StatusCode::OK);
    };
}
