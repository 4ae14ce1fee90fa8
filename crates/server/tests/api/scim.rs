//! SCIM 2.0 provisioning at `/scim/v2` (issue 14), on both backends: what an identity
//! provider's SCIM client sees and what people in Entrada notice afterwards (blocked
//! people cannot sign in, deleted people lose their access, Entrada's own group grants
//! survive the provider's member lists). The last test runs scim2-tester's checks
//! (`xtask/scim/check.py`, installed by `cargo xtask test`) against the server.

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{in_group, TestApp};
use crate::on_both_backends;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A SCIM client with a token of its own.
struct Scim {
    client: Client,
    base: String,
    token: String,
}

impl Scim {
    async fn new(app: &TestApp, name: &str) -> Scim {
        let now = entrada_server::Clock::now(app.clock.as_ref());
        let token = entrada_server::scim::create_token(&app.db, name, now)
            .await
            .expect("token");
        Scim {
            client: client_with(Some(&token)),
            base: app.url("/scim/v2"),
            token,
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, HeaderMap) {
        send(&self.client, method, &format!("{}{path}", self.base), body).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (status, body, _) = self.call(Method::GET, path, None).await;
        (status, body)
    }

    async fn create_user(&self, user_name: &str) -> Value {
        let (status, body, _) = self
            .call(Method::POST, "/Users", Some(json!({ "schemas": [USER_SCHEMA], "userName": user_name, "displayName": user_name })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    async fn patch(&self, path: &str, operations: Value) -> (StatusCode, Value) {
        let (status, body, _) = self
            .call(
                Method::PATCH,
                path,
                Some(json!({ "schemas": [PATCH_SCHEMA], "Operations": operations })),
            )
            .await;
        (status, body)
    }
}

fn client_with(token: Option<&str>) -> Client {
    let mut headers = HeaderMap::new();
    if let Some(token) = token {
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
    }
    Client::builder().default_headers(headers).build().unwrap()
}

async fn send(
    client: &Client,
    method: Method,
    url: &str,
    body: Option<Value>,
) -> (StatusCode, Value, HeaderMap) {
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request
            .header(CONTENT_TYPE, "application/scim+json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
    )
}

/// Asserts a SCIM error of `status` (and `scim_type`, when given).
fn assert_scim_error(
    status: StatusCode,
    body: &Value,
    headers: &HeaderMap,
    expected: StatusCode,
    scim_type: Option<&str>,
) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(headers[CONTENT_TYPE], "application/scim+json", "{body}");
    assert_eq!(body["schemas"], json!([ERROR_SCHEMA]), "{body}");
    assert_eq!(
        body["status"],
        json!(expected.as_u16().to_string()),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|detail| !detail.is_empty()),
        "{body}"
    );
    if let Some(scim_type) = scim_type {
        assert_eq!(body["scimType"], scim_type, "{body}");
    }
}

/// The SCIM audit events so far: (action, actor, target, details).
async fn scim_events(app: &TestApp) -> Vec<(String, Option<String>, String, String)> {
    sqlx::query_as("SELECT action, actor_id, target_id, details_json FROM audit_events WHERE action LIKE 'scim.%' ORDER BY seq")
        .fetch_all(&app.db)
        .await
        .unwrap()
}

/// Priya (owner of Engineering) assigns Project Falcon to Sam: Entrada makes Sam a member
/// of the Falcon group (provenance 'entrada'). Returns the assignment's id.
async fn falcon_for_sam(app: &TestApp) -> String {
    let priya = crate::helpers::as_person(app, "priya.shah").await;
    let (status, body) = crate::helpers::send(
        app,
        &priya,
        Method::POST,
        "/assignments",
        json!({ "userId": "user-sam.taylor", "accessPackageId": "ap-project-falcon", "policyId": "pol-project-falcon" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(in_group(app, "grp-project-falcon", "user-sam.taylor").await);
    body["assignment"]["id"].as_str().unwrap().to_owned()
}

/// A bad request: method, path, body, the status and `scimType` it gets.
type BadCase = (
    Method,
    String,
    Option<Value>,
    StatusCode,
    Option<&'static str>,
);

on_both_backends! {
    requests_without_a_live_token_are_refused_with_a_scim_401 => |app: TestApp| async move {
        let scim = Scim::new(&app, "okta").await;
        let url = app.url("/scim/v2/Users");
        for client in [client_with(None), client_with(Some("scim_not-a-token"))] {
            let (status, body, headers) = send(&client, Method::GET, &url, None).await;
            assert_scim_error(status, &body, &headers, StatusCode::UNAUTHORIZED, None);
            assert!(headers.get("www-authenticate").is_some());
        }
        let (status, _) = scim.get("/Users").await;
        assert_eq!(status, StatusCode::OK);
        let now = entrada_server::Clock::now(app.clock.as_ref());
        entrada_server::scim::revoke_token(&app.db, "okta", now).await.unwrap();
        let (status, body, headers) = send(&client_with(Some(&scim.token)), Method::POST, &url, Some(json!({ "userName": "x@example.com" }))).await;
        assert_scim_error(status, &body, &headers, StatusCode::UNAUTHORIZED, None);
        let created: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = 'x@example.com'").fetch_one(&app.db).await.unwrap();
        assert_eq!(created, 0, "a revoked token writes nothing");
        let tokens = entrada_server::scim::list_tokens(&app.db).await.unwrap();
        assert!(tokens[0].revoked && tokens[0].last_used_at.is_some(), "{tokens:?}");
    };

    a_provisioned_person_is_found_by_user_name_and_a_second_one_with_it_is_a_conflict => |app: TestApp| async move {
        let scim = Scim::new(&app, "okta").await;
        let (status, created, headers) = scim.call(Method::POST, "/Users", Some(json!({
            "schemas": [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": "Nina.Okafor@Lakeshore.example",
            "externalId": "00u1abc",
            "name": { "formatted": "Nina Okafor" },
            "title": "Analyst",
            "active": true,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "Finance", "manager": { "value": "user-alex.morgan" } }
        }))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap().to_owned();
        let location = created["meta"]["location"].as_str().unwrap();
        assert_eq!(location, app.url(&format!("/scim/v2/Users/{id}")));
        assert_eq!(headers["location"], location);
        assert_eq!(headers["etag"], created["meta"]["version"].as_str().unwrap());
        assert_eq!(created["meta"]["resourceType"], "User");
        assert!(created["meta"]["created"].is_string() && created["meta"]["lastModified"].is_string(), "{created}");
        assert_eq!(created["userName"], "nina.okafor@lakeshore.example");
        assert_eq!(created["displayName"], "Nina Okafor");
        assert_eq!(created["externalId"], "00u1abc");
        assert_eq!(created["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"], "user-alex.morgan");

        // Entrada's own directory shows the new member to the people who pick from it.
        let admin = crate::helpers::as_person(&app, "alex.morgan").await;
        let users: Value = admin.get(app.api("/directory/users")).send().await.unwrap().json().await.unwrap();
        let nina = users.as_array().unwrap().iter().find(|user| user["id"] == id.as_str()).expect("in the directory");
        assert_eq!(nina["kind"], "member");
        assert_eq!(nina["department"], "Finance");

        let (status, again, headers) = scim.call(Method::POST, "/Users", Some(json!({ "schemas": [USER_SCHEMA], "userName": "NINA.OKAFOR@lakeshore.example" }))).await;
        assert_scim_error(status, &again, &headers, StatusCode::CONFLICT, Some("uniqueness"));
        let (status, again, headers) = scim.call(Method::POST, "/Users", Some(json!({ "userName": "sam.taylor@lakeshore.example" }))).await;
        assert_scim_error(status, &again, &headers, StatusCode::CONFLICT, Some("uniqueness"));

        let (status, found) = scim.get("/Users?filter=userName%20eq%20%22nina.OKAFOR%40lakeshore.example%22").await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(found["totalResults"], 1, "{found}");
        assert_eq!(found["Resources"][0]["id"], id.as_str());
        let (_, none) = scim.get("/Users?filter=userName%20eq%20%22nobody%40lakeshore.example%22").await;
        assert_eq!(none["totalResults"], 0);
        assert_eq!(none["Resources"], json!([]));

        let (status, fetched) = scim.get(&format!("/Users/{id}?attributes=userName")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(fetched["userName"], "nina.okafor@lakeshore.example");
        assert!(fetched.get("title").is_none(), "{fetched}");

        let events = scim_events(&app).await;
        let created_events: Vec<_> = events.iter().filter(|event| event.0 == "scim.userCreated").collect();
        assert_eq!(created_events.len(), 1, "{events:?}");
        assert_eq!(created_events[0].1, None, "no person acts");
        assert_eq!(created_events[0].2, id);
        assert!(created_events[0].3.contains("okta"), "the event names the token: {}", created_events[0].3);
    };

    pages_of_ten_cover_twenty_five_people_once_each => |app: TestApp| async move {
        let scim = Scim::new(&app, "okta").await;
        for n in 0..25 {
            scim.create_user(&format!("page-{n:02}@example.com")).await;
        }
        let mut seen = Vec::new();
        for (start, expected) in [(1, 10), (11, 10), (21, 5)] {
            let (status, page) = scim.get(&format!("/Users?filter=userName%20sw%20%22page-%22&startIndex={start}&count=10")).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert_eq!(page["totalResults"], 25, "{page}");
            assert_eq!(page["startIndex"], start);
            assert_eq!(page["itemsPerPage"], expected);
            let resources = page["Resources"].as_array().unwrap();
            assert_eq!(resources.len(), expected);
            seen.extend(resources.iter().map(|user| user["userName"].as_str().unwrap().to_owned()));
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 25, "every person once: {seen:?}");
        let (_, past) = scim.get("/Users?filter=userName%20sw%20%22page-%22&startIndex=40&count=10").await;
        assert_eq!((past["totalResults"].as_u64(), past["itemsPerPage"].as_u64()), (Some(25), Some(0)));
        let (_, counted) = scim.get("/Users?filter=userName%20sw%20%22page-%22&count=0").await;
        assert_eq!(counted["totalResults"], 25);
        assert_eq!(counted["Resources"], json!([]));
    };

    deactivating_a_person_blocks_them_and_ends_their_session => |app: TestApp| async move {
        let scim = Scim::new(&app, "okta").await;
        let sam = crate::helpers::as_person(&app, "sam.taylor").await;
        assert_eq!(sam.get(app.api("/me")).send().await.unwrap().status(), StatusCode::OK);

        let (status, blocked) = scim.patch("/Users/user-sam.taylor", json!([{ "op": "Replace", "value": { "active": false } }])).await;
        assert_eq!(status, StatusCode::OK, "{blocked}");
        assert_eq!(blocked["active"], false);
        assert_eq!(sam.get(app.api("/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED, "the session ended");
        let again = app.sign_in_as(&app.new_client(), "sam.taylor").await;
        assert_eq!(again.status(), StatusCode::FORBIDDEN, "a blocked person cannot sign in");
        let events = scim_events(&app).await;
        let blocked_event = events.iter().find(|event| event.0 == "scim.userBlocked").expect("audited");
        assert_eq!(blocked_event.2, "user-sam.taylor");
        assert!(blocked_event.3.contains("\"sessionsEnded\":\"1\""), "{}", blocked_event.3);

        let (status, filtered) = scim.get("/Users?filter=active%20eq%20false").await;
        assert_eq!(status, StatusCode::OK);
        assert!(filtered["Resources"].as_array().unwrap().iter().any(|user| user["id"] == "user-sam.taylor"));

        let (status, active) = scim.patch("/Users/user-sam.taylor", json!([{ "op": "replace", "path": "active", "value": true }])).await;
        assert_eq!(status, StatusCode::OK, "{active}");
        assert_eq!(app.sign_in_as(&app.new_client(), "sam.taylor").await.status(), StatusCode::OK, "active again");
        assert!(scim_events(&app).await.iter().any(|event| event.0 == "scim.userUnblocked"));
    };

    patch_changes_names_titles_and_the_enterprise_extension => |app: TestApp| async move {
        let scim = Scim::new(&app, "okta").await;
        let user = scim.create_user("omar@example.com").await;
        let id = user["id"].as_str().unwrap();
        let version = user["meta"]["version"].as_str().unwrap().to_owned();
        let (status, patched) = scim.patch(&format!("/Users/{id}"), json!([
            { "op": "add", "path": "name.formatted", "value": "Omar Haddad" },
            { "op": "replace", "path": "displayName", "value": "Omar H." },
            { "op": "replace", "path": "title", "value": "Buyer" },
            { "op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Purchasing" },
        ])).await;
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(patched["name"]["formatted"], "Omar Haddad");
        assert_eq!(patched["displayName"], "Omar H.");
        assert_eq!(patched["title"], "Buyer");
        assert_eq!(patched["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"], "Purchasing");
        assert_ne!(patched["meta"]["version"].as_str().unwrap(), version, "a write makes a new version");

        // A write naming the old version is refused and changes nothing.
        let (status, refused, headers) = {
            let mut request = scim.client.put(format!("{}/Users/{id}", scim.base)).header("if-match", version.as_str()).header(CONTENT_TYPE, "application/scim+json");
            request = request.body(json!({ "userName": "omar@example.com", "title": "Chief" }).to_string());
            let response = request.send().await.unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            (status, response.json::<Value>().await.unwrap(), headers)
        };
        assert_scim_error(status, &refused, &headers, StatusCode::PRECONDITION_FAILED, None);
        let (_, fetched) = scim.get(&format!("/Users/{id}")).await;
        assert_eq!(fetched["title"], "Buyer");
        assert!(scim_events(&app).await.iter().any(|event| event.0 == "scim.userChanged" && event.2 == id));
    };

    groups_take_members_and_patch_removes_one => |app: TestApp| async move {
        let scim = Scim::new(&app, "okta").await;
        let (status, group, headers) = scim.call(Method::POST, "/Groups", Some(json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": "Travel approvers",
            "members": [{ "value": "user-sam.taylor" }, { "value": "user-lena.fischer", "type": "User" }]
        }))).await;
        assert_eq!(status, StatusCode::CREATED, "{group}");
        assert_eq!(headers["location"], group["meta"]["location"].as_str().unwrap());
        let id = group["id"].as_str().unwrap().to_owned();
        assert!(in_group(&app, &id, "user-sam.taylor").await && in_group(&app, &id, "user-lena.fischer").await);

        let (status, patched) = scim.patch(&format!("/Groups/{id}"), json!([{ "op": "remove", "path": "members[value eq \"user-sam.taylor\"]" }])).await;
        assert_eq!(status, StatusCode::OK, "{patched}");
        let members: Vec<&str> = patched["members"].as_array().unwrap().iter().map(|member| member["value"].as_str().unwrap()).collect();
        assert_eq!(members, ["user-lena.fischer"]);
        assert!(!in_group(&app, &id, "user-sam.taylor").await);

        let (status, found) = scim.get("/Groups?filter=displayName%20eq%20%22travel%20APPROVERS%22").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(found["totalResults"], 1, "{found}");
        let (status, duplicate, headers) = scim.call(Method::POST, "/Groups", Some(json!({ "displayName": "TRAVEL approvers" }))).await;
        assert_scim_error(status, &duplicate, &headers, StatusCode::CONFLICT, Some("uniqueness"));
        let (status, not_a_person, headers) = scim.call(Method::POST, "/Groups", Some(json!({ "displayName": "Nested", "members": [{ "value": id, "type": "Group" }] }))).await;
        assert_scim_error(status, &not_a_person, &headers, StatusCode::BAD_REQUEST, Some("invalidValue"));

        let (status, _, _) = scim.call(Method::DELETE, &format!("/Groups/{id}"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = scim.get(&format!("/Groups/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let actions: Vec<String> = scim_events(&app).await.into_iter().map(|event| event.0).collect();
        assert_eq!(actions, ["scim.tokenCreated", "scim.groupCreated", "scim.groupChanged", "scim.groupDeleted"]);
    };

    replacing_a_groups_members_keeps_the_membership_entrada_granted => |app: TestApp| async move {
        falcon_for_sam(&app).await;
        let scim = Scim::new(&app, "okta").await;
        let (status, replaced, _) = scim.call(Method::PUT, "/Groups/grp-project-falcon", Some(json!({
            "schemas": [GROUP_SCHEMA], "displayName": "Project Falcon", "members": [{ "value": "user-lena.fischer" }]
        }))).await;
        assert_eq!(status, StatusCode::OK, "{replaced}");
        assert!(in_group(&app, "grp-project-falcon", "user-sam.taylor").await, "Sam keeps what his assignment gave");
        assert!(in_group(&app, "grp-project-falcon", "user-lena.fischer").await);
        let members: Vec<&str> = replaced["members"].as_array().unwrap().iter().map(|member| member["value"].as_str().unwrap()).collect();
        assert!(members.contains(&"user-sam.taylor") && members.contains(&"user-lena.fischer"), "GET shows every member: {members:?}");

        for operations in [
            json!([{ "op": "remove", "path": "members[value eq \"user-sam.taylor\"]" }]),
            json!([{ "op": "replace", "path": "members", "value": [] }]),
            json!([{ "op": "remove", "path": "members" }]),
        ] {
            let (status, body) = scim.patch("/Groups/grp-project-falcon", operations.clone()).await;
            assert_eq!(status, StatusCode::OK, "{operations}: {body}");
            assert!(in_group(&app, "grp-project-falcon", "user-sam.taylor").await, "{operations} leaves Entrada's grant");
        }
        assert!(!in_group(&app, "grp-project-falcon", "user-lena.fischer").await, "the directory's own member went");
        let source: String = sqlx::query_scalar("SELECT source FROM group_members WHERE group_id = 'grp-project-falcon' AND user_id = 'user-sam.taylor'")
            .fetch_one(&app.db).await.unwrap();
        assert_eq!(source, "entrada");
    };

    a_deleted_person_is_gone_cannot_sign_in_and_loses_their_access => |app: TestApp| async move {
        let assignment = falcon_for_sam(&app).await;
        let sam = crate::helpers::as_person(&app, "sam.taylor").await;
        // Sam also waits for an approval: deleting him cancels it, so nothing is delivered to him.
        let admin = crate::helpers::as_person(&app, "alex.morgan").await;
        let fixture = crate::matrix::fixture(&app, &admin, 0).await;
        let (status, view) = crate::matrix::call(&sam, Method::POST, app.api("/requests"), Some(json!({
            "accessPackageId": fixture.package, "policyId": fixture.policy, "type": "userAdd", "justification": "Needed", "answers": []
        }))).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        assert_eq!(view["request"]["state"], "pendingApproval", "{view}");
        let request = view["request"]["id"].as_str().unwrap().to_owned();
        let scim = Scim::new(&app, "okta").await;
        let (status, _, _) = scim.call(Method::DELETE, "/Users/user-sam.taylor", None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body, headers) = scim.call(Method::GET, "/Users/user-sam.taylor", None).await;
        assert_scim_error(status, &body, &headers, StatusCode::NOT_FOUND, None);
        let (_, all) = scim.get("/Users?filter=userName%20eq%20%22sam.taylor%40lakeshore.example%22").await;
        assert_eq!(all["totalResults"], 0);
        assert_eq!(sam.get(app.api("/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.sign_in_as(&app.new_client(), "sam.taylor").await.status(), StatusCode::UNAUTHORIZED);
        let state: String = sqlx::query_scalar("SELECT state FROM assignments WHERE id = $1").bind(&assignment).fetch_one(&app.db).await.unwrap();
        assert_eq!(state, "removed");
        assert!(!in_group(&app, "grp-project-falcon", "user-sam.taylor").await, "the grant was taken back");
        let state: String = sqlx::query_scalar("SELECT state FROM access_requests WHERE id = $1").bind(&request).fetch_one(&app.db).await.unwrap();
        assert_eq!(state, "canceled", "his open request was withdrawn");
        let (status, body, headers) = scim.call(Method::DELETE, "/Users/user-sam.taylor", None).await;
        assert_scim_error(status, &body, &headers, StatusCode::NOT_FOUND, None);
        let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_events WHERE action IN ('request.canceled', 'assignment.removed', 'scim.userDeleted') ORDER BY seq")
            .fetch_all(&app.db).await.unwrap();
        assert_eq!(actions, ["request.canceled", "assignment.removed", "scim.userDeleted"]);
        // The address is free again: the provider may provision someone new with it.
        scim.create_user("sam.taylor@lakeshore.example").await;
    };

    bad_requests_get_scim_errors_never_a_500 => |app: TestApp| async move {
        let scim = Scim::new(&app, "okta").await;
        for filter in ["userName%20eq", "userName%20zz%20%22a%22", "(userName%20eq%20%22a%22", "emails%5Btype%20eq%20%22work%22"] {
            let (status, body, headers) = scim.call(Method::GET, &format!("/Users?filter={filter}"), None).await;
            assert_scim_error(status, &body, &headers, StatusCode::BAD_REQUEST, Some("invalidFilter"));
        }
        let user = scim.create_user("ada@example.com").await;
        let id = user["id"].as_str().unwrap();
        let cases: Vec<BadCase> = vec![
            (Method::PATCH, format!("/Users/{id}"), Some(json!({ "schemas": [PATCH_SCHEMA], "Operations": [{ "op": "replace", "path": "shoeSize", "value": 1 }] })), StatusCode::BAD_REQUEST, Some("invalidPath")),
            (Method::PATCH, format!("/Users/{id}"), Some(json!({ "schemas": [PATCH_SCHEMA], "Operations": [{ "op": "replace", "path": "emails[type eq \"home\"].value", "value": "x" }] })), StatusCode::BAD_REQUEST, Some("noTarget")),
            (Method::PATCH, format!("/Users/{id}"), Some(json!({ "Operations": [] })), StatusCode::BAD_REQUEST, Some("invalidSyntax")),
            (Method::PATCH, "/Users/nobody".to_owned(), Some(json!({ "schemas": [PATCH_SCHEMA], "Operations": [{ "op": "remove", "path": "title" }] })), StatusCode::NOT_FOUND, None),
            (Method::PUT, format!("/Users/{id}"), Some(json!({ "displayName": "No user name" })), StatusCode::BAD_REQUEST, Some("invalidValue")),
            (Method::PUT, format!("/Users/{id}"), Some(json!({ "userName": "ada@example.com", "title": "nul\u{0}" })), StatusCode::BAD_REQUEST, Some("invalidValue")),
            (Method::PUT, format!("/Users/{id}"), Some(json!({ "userName": "ada@example.com", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "manager": { "value": "nobody" } } })), StatusCode::BAD_REQUEST, Some("invalidValue")),
            (Method::POST, "/Users".to_owned(), Some(json!("just a string")), StatusCode::BAD_REQUEST, Some("invalidSyntax")),
            (Method::GET, "/Groups/nothing".to_owned(), None, StatusCode::NOT_FOUND, None),
            (Method::GET, "/Schemas/urn:nope".to_owned(), None, StatusCode::NOT_FOUND, None),
            (Method::GET, "/Nothing".to_owned(), None, StatusCode::NOT_FOUND, None),
            (Method::GET, "/Users?count=many".to_owned(), None, StatusCode::BAD_REQUEST, Some("invalidValue")),
        ];
        for (method, path, body, expected, scim_type) in cases {
            let (status, answer, headers) = scim.call(method.clone(), &path, body).await;
            assert_scim_error(status, &answer, &headers, expected, scim_type);
        }
        let (status, body, headers) = {
            let response = scim.client.post(format!("{}/Users", scim.base)).header(CONTENT_TYPE, "application/scim+json").body("{ not json").send().await.unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            (status, response.json::<Value>().await.unwrap(), headers)
        };
        assert_scim_error(status, &body, &headers, StatusCode::BAD_REQUEST, Some("invalidSyntax"));
        let big = "x".repeat(300 * 1024);
        let (status, body, headers) = scim.call(Method::POST, "/Users", Some(json!({ "userName": "big@example.com", "title": big }))).await;
        assert_scim_error(status, &body, &headers, StatusCode::PAYLOAD_TOO_LARGE, None);
    };

    discovery_documents_declare_what_entrada_keeps => |app: TestApp| async move {
        let scim = Scim::new(&app, "okta").await;
        let (status, config) = scim.get("/ServiceProviderConfig").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(config["patch"]["supported"], true);
        assert_eq!(config["bulk"]["supported"], false);
        assert_eq!(config["filter"]["maxResults"], 200);
        let (_, schemas) = scim.get("/Schemas").await;
        assert_eq!(schemas["totalResults"], 3);
        let (status, user) = scim.get(&format!("/Schemas/{USER_SCHEMA}")).await;
        assert_eq!(status, StatusCode::OK);
        let names: Vec<&str> = user["attributes"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["userName", "name", "displayName", "title", "active", "emails"]);
        let (_, types) = scim.get("/ResourceTypes").await;
        assert_eq!(types["totalResults"], 2);
        let (status, group) = scim.get("/ResourceTypes/Group").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(group["endpoint"], "/Groups");
    };

    administrators_see_the_tokens_and_scims_writes_on_integrations => |app: TestApp| async move {
        let scim = Scim::new(&app, "okta").await;
        scim.create_user("ines@example.com").await;
        scim.create_user("jon@example.com").await;
        scim.patch("/Users/user-sam.taylor", json!([{ "op": "replace", "path": "title", "value": "Lead" }])).await;
        let admin = crate::helpers::as_person(&app, "alex.morgan").await;
        let response = admin.get(app.api("/integrations")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.unwrap();
        assert!(!text.contains(&scim.token), "the token itself is never shown");
        let integrations: Value = serde_json::from_str(&text).unwrap();
        let tokens = integrations["scim"]["tokens"].as_array().unwrap();
        assert_eq!(tokens.len(), 1, "{integrations}");
        assert_eq!(tokens[0]["name"], "okta");
        assert!(tokens[0]["lastUsedAt"].is_string(), "{integrations}");
        assert_eq!(tokens[0]["revoked"], false);
        assert_eq!(
            integrations["scim"]["writesLast30Days"],
            json!([{ "action": "scim.userChanged", "count": 1 }, { "action": "scim.userCreated", "count": 2 }])
        );
    };

    scim2_tester_finds_every_check_passing_but_the_listed_ones => |app: TestApp| async move {
        run_scim2_tester(&app).await;
    };
}

/// Checks of scim2-tester that do not pass, with why (the README lists them too): (title,
/// the status it gets, why). Every other check must succeed.
const EXCEPTIONS: &[(&str, &str, &str)] = &[(
    "search_with_attributes",
    "SKIPPED",
    "POST /.search across every resource type is not offered (501); GET /Users and GET /Groups take the same query",
)];

/// scim2-tester's python and Entrada's check script, or none (skipped, said on stderr)
/// outside CI.
fn scim2_tester() -> Option<(String, String)> {
    let python = std::env::var("ENTRADA_TEST_SCIM_PYTHON");
    let check = std::env::var("ENTRADA_TEST_SCIM_CHECK");
    match (python, check) {
        (Ok(python), Ok(check)) => Some((python, check)),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("ENTRADA_TEST_SCIM_PYTHON and ENTRADA_TEST_SCIM_CHECK are not set under CI=true: use `cargo xtask test`")
        }
        _ => {
            eprintln!("skipped: ENTRADA_TEST_SCIM_PYTHON / ENTRADA_TEST_SCIM_CHECK are not set; run `cargo xtask test`");
            None
        }
    }
}

async fn run_scim2_tester(app: &TestApp) {
    let Some((python, check)) = scim2_tester() else {
        return;
    };
    let scim = Scim::new(app, "scim2-tester").await;
    let (base, token) = (scim.base.clone(), scim.token.clone());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&python)
            .arg(&check)
            .arg(&base)
            .arg(&token)
            .output()
    })
    .await
    .expect("join")
    .expect("run scim2-tester");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "scim2-tester failed to run:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut failures = Vec::new();
    let mut passed = 0;
    let mut report = String::new();
    for line in stdout.lines() {
        let Ok(result) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let Some(totals) = result.get("totals") {
            report.push_str(&format!("totals: {totals}\n"));
            continue;
        }
        let title = result["title"].as_str().unwrap_or_default();
        let status = result["status"].as_str().unwrap_or_default();
        let resource = result["resourceType"].as_str().unwrap_or("-");
        report.push_str(&format!(
            "{status:<10} {resource:<6} {title}: {}\n",
            result["reason"].as_str().unwrap_or_default()
        ));
        match status {
            "SUCCESS" | "COMPLIANT" => passed += 1,
            _ if EXCEPTIONS
                .iter()
                .any(|(known, expected, _)| *known == title && *expected == status) => {}
            _ => failures.push(format!("{status} {resource} {title}: {}", result["reason"])),
        }
    }
    eprintln!("scim2-tester:\n{report}");
    assert!(passed > 20, "scim2-tester ran too few checks:\n{report}");
    assert!(
        failures.is_empty(),
        "{} scim2-tester check(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
