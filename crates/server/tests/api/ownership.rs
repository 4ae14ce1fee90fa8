//! Issue 8, part 1: only an administrator or an owner of a group, application or site may
//! add it to a catalog (the API, every wizard through `POST /setup`, the pickers); delivery
//! takes back only what Entrada granted; direct assignment checks the person.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};
use crate::on_both_backends;

async fn send(app: &TestApp, method: Method, path: &str, body: Value) -> reqwest::Response {
    app.client
        .request(method, app.api(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let response = send(app, Method::POST, path, body).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Whether `user` holds `role` of the group, application or site `origin` in the directory.
async fn holds(app: &TestApp, kind: &str, origin: &str, role: &str, user: &str) -> bool {
    let sql = match kind {
        "group" => "SELECT COUNT(*) FROM group_members WHERE group_id = $1 AND user_id = $2",
        "application" => "SELECT COUNT(*) FROM application_role_members WHERE application_id = $1 AND user_id = $2 AND role_id = $3",
        _ => "SELECT COUNT(*) FROM site_role_members WHERE site_id = $1 AND user_id = $2 AND role_id = $3",
    };
    let mut query = sqlx::query_scalar::<_, i64>(sql).bind(origin).bind(user);
    if kind != "group" {
        query = query.bind(role);
    }
    query.fetch_one(&app.db).await.unwrap() > 0
}

fn open_policy() -> Value {
    json!({
        "name": "Admin only", "description": "", "requestorScope": { "kind": "allMembers" },
        "acceptingRequests": true, "requestorJustificationRequired": false, "questions": [],
        "stages": [], "expiration": { "kind": "never" }, "extensionAllowed": false, "requestorMayChooseSchedule": false
    })
}

/// Olivia (catalog creator) makes a catalog of her own and returns its id.
async fn olivias_catalog(app: &TestApp) -> String {
    app.sign_in("olivia.grant").await;
    let (status, catalog) = post(app, "/catalogs", json!({ "name": "Olivia's tools" })).await;
    assert_eq!(status, StatusCode::CREATED, "{catalog}");
    catalog["id"].as_str().unwrap().to_owned()
}

async fn resource_count(app: &TestApp, catalog: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM catalog_resources WHERE catalog_id = $1")
        .bind(catalog)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Assigns `user` to `package` directly as the signed-in person; returns the status and body.
async fn assign(app: &TestApp, user: &str, package: &str, policy: &str) -> (StatusCode, Value) {
    post(
        app,
        "/assignments",
        json!({ "userId": user, "accessPackageId": package, "policyId": policy }),
    )
    .await
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|object| object["id"].as_str().unwrap())
        .collect()
}

on_both_backends! {
    a_catalog_owner_cannot_add_a_group_application_or_site_they_do_not_own => |app: TestApp| async move {
        let catalog = olivias_catalog(&app).await;
        for (kind, origin, name) in [
            ("group", "grp-finance-approvers", "Finance Approvers"),
            ("application", "app-ledger", "Ledger"),
            ("site", "site-partner-portal", "Partner Portal"),
        ] {
            let response = send(&app, Method::POST, &format!("/catalogs/{catalog}/resources"), json!({ "kind": kind, "originId": origin })).await;
            let problem = assert_problem(response, StatusCode::FORBIDDEN).await;
            assert_eq!(problem["detail"], format!("Only an administrator or an owner of {name} may add it to a catalog."));
        }
        assert_eq!(resource_count(&app, &catalog).await, 0, "nothing was added");
    };

    the_finance_approvers_escalation_is_refused_end_to_end => |app: TestApp| async move {
        // The attack of the issue: add Finance Approvers, put its Member role in a package
        // with an administrator-only policy, assign herself.
        let catalog = olivias_catalog(&app).await;
        let (status, _) = post(&app, &format!("/catalogs/{catalog}/resources"), json!({ "kind": "group", "originId": "grp-finance-approvers" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = post(&app, "/setup", json!({
            "catalog": { "kind": "existing", "id": catalog },
            "package": { "catalogId": "", "name": "Approvers" },
            "roles": [{ "kind": "group", "originId": "grp-finance-approvers", "roleId": "member" }],
            "policy": open_policy()
        })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let packages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_packages WHERE catalog_id = $1").bind(&catalog).fetch_one(&app.db).await.unwrap();
        assert_eq!(packages, 0);
        assert!(!holds(&app, "group", "grp-finance-approvers", "member", "user-olivia.grant").await, "Olivia is no Finance approver");
    };

    every_wizard_refuses_objects_the_caller_does_not_own_and_saves_nothing => |app: TestApp| async move {
        app.sign_in("olivia.grant").await;
        for (kind, origin, role) in [
            ("group", "grp-finance-approvers", "member"),
            ("application", "app-ledger", "controller"),
            ("site", "site-partner-portal", "owner"),
        ] {
            let body = json!({
                "catalog": { "kind": "new", "catalog": { "name": format!("Sneaky {kind}") } },
                "package": { "catalogId": "", "name": "Sneaky" },
                // The first role is hers; the second is not: the whole setup is refused.
                "roles": [{ "kind": "group", "originId": "grp-marketing", "roleId": "member" }, { "kind": kind, "originId": origin, "roleId": role }],
                "policy": open_policy()
            });
            let response = send(&app, Method::POST, "/setup", body).await;
            assert_problem(response, StatusCode::FORBIDDEN).await;
            let catalogs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM catalogs WHERE name = $1").bind(format!("Sneaky {kind}")).fetch_one(&app.db).await.unwrap();
            assert_eq!(catalogs, 0, "the new catalog was rolled back too");
        }

        // An owner of an existing catalog is held to the same rule.
        app.sign_in("priya.shah").await;
        let response = send(&app, Method::POST, "/setup", json!({
            "catalog": { "kind": "existing", "id": "cat-engineering" },
            "package": { "catalogId": "", "name": "Ledger for engineers" },
            "roles": [{ "kind": "application", "originId": "app-ledger", "roleId": "viewer" }],
            "policy": open_policy()
        })).await;
        assert_problem(response, StatusCode::FORBIDDEN).await;
        let packages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_packages WHERE name = 'Ledger for engineers'").fetch_one(&app.db).await.unwrap();
        assert_eq!(packages, 0);
    };

    owners_of_an_object_add_it_to_their_catalog => |app: TestApp| async move {
        let catalog = olivias_catalog(&app).await;
        let (status, resource) = post(&app, &format!("/catalogs/{catalog}/resources"), json!({ "kind": "group", "originId": "grp-marketing" })).await;
        assert_eq!(status, StatusCode::CREATED, "{resource}");
        let (status, result) = post(&app, "/setup", json!({
            "catalog": { "kind": "new", "catalog": { "name": "Campaigns" } },
            "package": { "catalogId": "", "name": "Campaign wiki" },
            "roles": [{ "kind": "application", "originId": "app-atlas", "roleId": "editor" }],
            "policy": open_policy()
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{result}");

        // Fatima owns both the Business Applications catalog and Finance Approvers.
        app.sign_in("fatima.rahman").await;
        let (status, resource) = post(&app, "/catalogs/cat-business-apps/resources", json!({ "kind": "group", "originId": "grp-finance-approvers" })).await;
        assert_eq!(status, StatusCode::CREATED, "{resource}");

        // An administrator adds anything.
        app.sign_in("alex.morgan").await;
        let (status, _) = post(&app, &format!("/catalogs/{catalog}/resources"), json!({ "kind": "site", "originId": "site-partner-portal" })).await;
        assert_eq!(status, StatusCode::CREATED);
    };

    the_directory_shows_owners_and_pickers_offer_only_what_the_caller_may_add => |app: TestApp| async move {
        app.sign_in("olivia.grant").await;
        let (status, groups) = app.get_json("/directory/groups").await;
        assert_eq!(status, StatusCode::OK);
        let approvers = groups.as_array().unwrap().iter().find(|g| g["id"] == "grp-finance-approvers").unwrap();
        assert_eq!(approvers["owners"], json!(["user-fatima.rahman", "user-victor.novak"]));
        assert!(ids(&groups).len() > 1, "without the filter every group is listed");

        let (_, groups) = app.get_json("/directory/groups?addable=true").await;
        assert_eq!(ids(&groups), ["grp-marketing"]);
        let (_, applications) = app.get_json("/directory/applications?addable=true").await;
        assert_eq!(ids(&applications), ["app-atlas"]);
        let (_, sites) = app.get_json("/directory/sites?addable=true").await;
        assert_eq!(ids(&sites), Vec::<&str>::new());

        app.sign_in("alex.morgan").await;
        let (_, all) = app.get_json("/directory/sites").await;
        let (_, addable) = app.get_json("/directory/sites?addable=true").await;
        assert_eq!(ids(&addable), ids(&all), "an administrator may add every site");
        assert_eq!(ids(&all).len(), 3);
        let response = app.client.get(app.api("/directory/groups?addable=maybe")).send().await.unwrap();
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    };

    access_held_before_a_package_survives_the_end_of_the_assignment => |app: TestApp| async move {
        // Omar is in Project Falcon in the directory; Sam is not. The Project Falcon
        // package grants the group and the Engineering Hub as a visitor.
        app.sign_in("priya.shah").await;
        assert!(holds(&app, "group", "grp-project-falcon", "member", "user-omar.haddad").await);
        assert!(!holds(&app, "group", "grp-project-falcon", "member", "user-sam.taylor").await);
        let mut assignments = Vec::new();
        for user in ["user-omar.haddad", "user-sam.taylor"] {
            let (status, view) = assign(&app, user, "ap-project-falcon", "pol-project-falcon").await;
            assert_eq!(status, StatusCode::CREATED, "{view}");
            assignments.push(view["assignment"]["id"].as_str().unwrap().to_owned());
            assert!(holds(&app, "group", "grp-project-falcon", "member", user).await);
            assert!(holds(&app, "site", "site-eng-hub", "visitor", user).await);
        }
        // Provenance: each grant is recorded with its assignment, and whether it was held.
        let held: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT user_id, origin_id, already_held FROM assignment_grants \
             WHERE user_id IN ('user-omar.haddad', 'user-sam.taylor') ORDER BY user_id, origin_id",
        )
        .fetch_all(&app.db)
        .await
        .unwrap();
        assert_eq!(held, [
            ("user-omar.haddad".to_owned(), "grp-project-falcon".to_owned(), 1),
            ("user-omar.haddad".to_owned(), "site-eng-hub".to_owned(), 0),
            ("user-sam.taylor".to_owned(), "grp-project-falcon".to_owned(), 0),
            ("user-sam.taylor".to_owned(), "site-eng-hub".to_owned(), 0),
        ]);

        for id in &assignments {
            let (status, ended) = post(&app, &format!("/assignments/{id}/remove"), json!({})).await;
            assert_eq!(status, StatusCode::OK, "{ended}");
        }
        assert!(holds(&app, "group", "grp-project-falcon", "member", "user-omar.haddad").await, "Omar was in the group before: he stays");
        assert!(!holds(&app, "site", "site-eng-hub", "visitor", "user-omar.haddad").await, "the site role came from Entrada: it goes");
        assert!(!holds(&app, "group", "grp-project-falcon", "member", "user-sam.taylor").await, "Sam got it only through Entrada: it goes");
        assert!(!holds(&app, "site", "site-eng-hub", "visitor", "user-sam.taylor").await);
    };

    access_held_before_survives_taking_the_resource_role_off_the_package => |app: TestApp| async move {
        app.sign_in("priya.shah").await;
        for user in ["user-omar.haddad", "user-sam.taylor"] {
            let (status, view) = assign(&app, user, "ap-project-falcon", "pol-project-falcon").await;
            assert_eq!(status, StatusCode::CREATED, "{view}");
        }
        let role: String = sqlx::query_scalar(
            "SELECT p.id FROM package_resource_roles p JOIN catalog_resources r ON r.id = p.resource_id \
             WHERE p.package_id = 'ap-project-falcon' AND r.origin_id = 'grp-project-falcon'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        let response = send(&app, Method::DELETE, &format!("/access-packages/ap-project-falcon/resource-roles/{role}"), json!({})).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert!(holds(&app, "group", "grp-project-falcon", "member", "user-omar.haddad").await, "Omar was in the group before: he stays");
        assert!(!holds(&app, "group", "grp-project-falcon", "member", "user-sam.taylor").await, "Sam got it only through Entrada: it goes");
        assert!(holds(&app, "site", "site-eng-hub", "visitor", "user-sam.taylor").await, "the package's other role stays");
    };

    direct_assignment_refuses_blocked_people_and_guests_outside_external_catalogs => |app: TestApp| async move {
        app.sign_in("alex.morgan").await;
        sqlx::query("UPDATE users SET state = 'blocked' WHERE id = 'user-sam.taylor'").execute(&app.db).await.unwrap();
        let response = send(&app, Method::POST, "/assignments", json!({ "userId": "user-sam.taylor", "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki" })).await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["errors"][0]["field"], "userId");
        assert_eq!(problem["errors"][0]["message"], "Sam Taylor is blocked and cannot be assigned access.");

        // Engineering is not open to external users; Business Applications is.
        let response = send(&app, Method::POST, "/assignments", json!({ "userId": "user-pat.quinn", "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki" })).await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["errors"][0]["field"], "userId");
        assert_eq!(problem["errors"][0]["message"], "Pat Quinn is a guest, and the catalog Engineering is not open to external users.");
        let assignments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assignments WHERE user_id IN ('user-sam.taylor', 'user-pat.quinn')").fetch_one(&app.db).await.unwrap();
        assert_eq!(assignments, 0, "nobody was assigned");

        let (status, view) = assign(&app, "user-pat.quinn", "ap-partner-collaboration", "pol-partner-collaboration").await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
    };
}
