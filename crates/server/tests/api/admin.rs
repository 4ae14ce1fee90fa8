//! Administrator setup through the API: catalogs, packages, policies, delivery of grants,
//! validation, audit and the policy preview.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, in_group, TestApp};
use crate::on_both_backends;

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = app
        .client
        .request(method, app.api(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    send(app, reqwest::Method::POST, path, body).await
}

fn manager_policy() -> Value {
    json!({
        "name": "Members", "description": "", "requestorScope": { "kind": "allMembers" },
        "acceptingRequests": true, "requestorJustificationRequired": false, "questions": [],
        "stages": [], "expiration": { "kind": "never" }, "extensionAllowed": false, "requestorMayChooseSchedule": false
    })
}

on_both_backends! {
    a_catalog_creator_becomes_owner_of_the_catalog_they_create => |app: TestApp| async move {
        app.sign_in("olivia.grant").await;
        let (status, catalog) = post(&app, "/catalogs", json!({ "name": "  Marketing  ", "description": "Campaign tools" })).await;
        assert_eq!(status, StatusCode::CREATED, "{catalog}");
        assert_eq!(catalog["name"], "Marketing");
        let (_, me) = app.get_json("/me").await;
        assert_eq!(me["catalogRoles"][0]["catalogName"], "Marketing");
        assert_eq!(me["catalogRoles"][0]["role"], "owner");
        let (status, duplicate) = post(&app, "/catalogs", json!({ "name": "Marketing" })).await;
        assert_eq!(status, StatusCode::CONFLICT, "{duplicate}");
    };

    invalid_input_gets_422_naming_each_field_and_saves_nothing => |app: TestApp| async move {
        app.sign_in("alex.morgan").await;
        let (status, problem) = post(&app, "/catalogs", json!({ "name": " " })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "name");

        let mut policy = manager_policy();
        policy["name"] = json!("");
        policy["stages"] = json!([{ "approvers": [], "fallbackApprovers": [], "approverJustificationRequired": false, "decisionTimeoutDays": 30, "escalation": null }]);
        let (status, problem) = post(&app, "/access-packages/ap-company-wiki/policies", policy).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&"name") && fields.contains(&"stages[0].approvers") && fields.contains(&"stages[0].decisionTimeoutDays"), "{fields:?}");
        let (_, policies) = app.get_json("/access-packages/ap-company-wiki/policies").await;
        assert_eq!(policies.as_array().unwrap().len(), 1, "nothing was saved");

        let mut unknown_group = manager_policy();
        unknown_group["requestorScope"] = json!({ "kind": "specificDirectoryUsers", "users": [], "groups": ["grp-nope"] });
        let (status, problem) = post(&app, "/access-packages/ap-company-wiki/policies", unknown_group).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "requestorScope.groups");
    };

    a_policy_that_stops_accepting_requests_leaves_my_access => |app: TestApp| async move {
        app.sign_in("alex.morgan").await;
        let (status, _) = send(&app, reqwest::Method::PATCH, "/policies/pol-company-wiki", json!({ "acceptingRequests": false })).await;
        assert_eq!(status, StatusCode::OK);
        let member = app.new_client();
        app.sign_in_as(&member, "sam.taylor").await;
        let offers: Value = member.get(app.api("/my/access-packages")).send().await.unwrap().json().await.unwrap();
        let names: Vec<&str> = offers.as_array().unwrap().iter().map(|o| o["package"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Engineering Onboarding", "Finance Reporting"]);
    };

    direct_assignment_grants_each_role_and_removal_takes_back_what_nothing_else_gives => |app: TestApp| async move {
        app.sign_in("priya.shah").await;
        assert!(!in_group(&app, "grp-project-falcon", "user-sam.taylor").await);
        let (status, first) = post(&app, "/assignments", json!({ "userId": "user-sam.taylor", "accessPackageId": "ap-project-falcon", "policyId": "pol-project-falcon" })).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        assert_eq!(first["assignment"]["state"], "delivered");
        assert!(first["assignment"]["end"].is_string(), "90-day policy sets an end");
        assert!(in_group(&app, "grp-project-falcon", "user-sam.taylor").await);

        let (status, again) = post(&app, "/assignments", json!({ "userId": "user-sam.taylor", "accessPackageId": "ap-project-falcon", "policyId": "pol-project-falcon" })).await;
        assert_eq!(status, StatusCode::CONFLICT, "{again}");

        // A second package that also grants Falcon membership keeps it after the first ends.
        let (_, package) = post(&app, "/access-packages", json!({ "catalogId": "cat-engineering", "name": "Falcon reviewers" })).await;
        let package_id = package["id"].as_str().unwrap().to_owned();
        let (status, _) = post(&app, &format!("/access-packages/{package_id}/resource-roles"), json!({ "resourceId": "res-engineering-grp-project-falcon", "roleId": "member" })).await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, policy) = post(&app, &format!("/access-packages/{package_id}/policies"), manager_policy()).await;
        let (status, second) = post(&app, "/assignments", json!({ "userId": "user-sam.taylor", "accessPackageId": package_id, "policyId": policy["id"] })).await;
        assert_eq!(status, StatusCode::CREATED, "{second}");

        let first_id = first["assignment"]["id"].as_str().unwrap();
        let (status, removed) = post(&app, &format!("/assignments/{first_id}/remove"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{removed}");
        assert_eq!(removed["state"], "removed");
        assert!(in_group(&app, "grp-project-falcon", "user-sam.taylor").await, "the other assignment still gives it");

        let second_id = second["assignment"]["id"].as_str().unwrap();
        post(&app, &format!("/assignments/{second_id}/remove"), json!({})).await;
        assert!(!in_group(&app, "grp-project-falcon", "user-sam.taylor").await, "nothing gives it any more");
        let (status, _) = post(&app, &format!("/assignments/{second_id}/remove"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "removing twice is a conflict");
    };

    resource_role_changes_reach_existing_holders => |app: TestApp| async move {
        app.sign_in("priya.shah").await;
        let (_, package) = post(&app, "/access-packages", json!({ "catalogId": "cat-engineering", "name": "On-call" })).await;
        let id = package["id"].as_str().unwrap().to_owned();
        let (_, policy) = post(&app, &format!("/access-packages/{id}/policies"), manager_policy()).await;
        let (status, _) = post(&app, "/assignments", json!({ "userId": "user-lena.fischer", "accessPackageId": id, "policyId": policy["id"] })).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, resource) = post(&app, "/catalogs/cat-engineering/resources", json!({ "kind": "group", "originId": "grp-security-champions" })).await;
        assert_eq!(status, StatusCode::CREATED, "{resource}");
        let (_, role) = post(&app, &format!("/access-packages/{id}/resource-roles"), json!({ "resourceId": resource["id"], "roleId": "member" })).await;
        assert!(in_group(&app, "grp-security-champions", "user-lena.fischer").await, "added role granted to the holder");
        let role_id = role["id"].as_str().unwrap();
        let (status, _) = send(&app, reqwest::Method::DELETE, &format!("/access-packages/{id}/resource-roles/{role_id}"), json!({})).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(!in_group(&app, "grp-security-champions", "user-lena.fischer").await, "removed role taken back");
    };

    unknown_roles_and_foreign_resources_are_field_errors => |app: TestApp| async move {
        app.sign_in("alex.morgan").await;
        let (status, problem) = post(&app, "/access-packages/ap-company-wiki/resource-roles", json!({ "resourceId": "res-business-apps-app-crm", "roleId": "reader" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a resource of another catalog");
        assert_eq!(problem["errors"][0]["field"], "resourceId");
        let (status, problem) = post(&app, "/access-packages/ap-company-wiki/resource-roles", json!({ "resourceId": "res-engineering-app-atlas", "roleId": "superuser" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "roleId");
        let (status, problem) = post(&app, "/catalogs/cat-engineering/resources", json!({ "kind": "group", "originId": "grp-nope" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "originId");
        let response = app.client.patch(app.api("/catalogs/cat-engineering")).json(&json!(["not", "an", "object"])).send().await.unwrap();
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    };

    the_last_owner_of_a_catalog_cannot_be_removed => |app: TestApp| async move {
        app.sign_in("priya.shah").await;
        let (_, roles) = app.get_json("/catalogs/cat-engineering/roles").await;
        let owner = roles.as_array().unwrap().iter().find(|r| r["role"] == "owner").unwrap();
        let id = owner["id"].as_str().unwrap();
        let response = app.client.delete(app.api(&format!("/catalogs/cat-engineering/roles/{id}"))).send().await.unwrap();
        let problem = assert_problem(response, StatusCode::CONFLICT).await;
        assert!(problem["detail"].as_str().unwrap().contains("at least one owner"));
    };

    admin_changes_are_audited_with_catalog_and_package => |app: TestApp| async move {
        app.sign_in("priya.shah").await;
        send(&app, reqwest::Method::PATCH, "/access-packages/ap-company-wiki", json!({ "hidden": true })).await;
        let row: (String, Option<String>, Option<String>) = sqlx::query_as("SELECT actor_id, catalog_id, package_id FROM audit_events WHERE action = 'accessPackage.updated'")
            .fetch_one(&app.db).await.unwrap();
        assert_eq!(row, ("user-priya.shah".to_owned(), Some("cat-engineering".to_owned()), Some("ap-company-wiki".to_owned())));
    };

    the_preview_agrees_with_my_access_for_every_person_in_the_demo => |app: TestApp| async move {
        app.sign_in("alex.morgan").await;
        let (_, people) = app.get_json("/directory/users").await;
        let emails: Vec<String> = people.as_array().unwrap().iter().map(|p| p["email"].as_str().unwrap().to_owned()).collect();
        assert_eq!(emails.len(), 33);
        let (_, packages) = app.get_json("/access-packages").await;
        for package in packages.as_array().unwrap() {
            let id = package["id"].as_str().unwrap();
            let (_, policies) = app.get_json(&format!("/access-packages/{id}/policies")).await;
            for policy in policies.as_array().unwrap() {
                let (status, preview) = post(&app, "/policy-preview", json!({ "catalogId": package["catalogId"], "accessPackageId": id, "policy": policy })).await;
                assert_eq!(status, StatusCode::OK, "{preview}");
                let mut previewed: Vec<String> = preview["eligible"].as_array().unwrap().iter().map(|p| p["email"].as_str().unwrap().to_owned()).collect();
                previewed.sort();
                let mut actual = Vec::new();
                for email in &emails {
                    let client = app.new_client();
                    app.sign_in_as(&client, email).await;
                    let offer: Value = client.get(app.api(&format!("/access-packages/{id}"))).send().await.unwrap().json().await.unwrap();
                    let through: Vec<&str> = offer["policies"].as_array().map(|p| p.iter().filter_map(|x| x["id"].as_str()).collect()).unwrap_or_default();
                    if through.contains(&policy["id"].as_str().unwrap()) {
                        actual.push(email.clone());
                    }
                }
                actual.sort();
                assert_eq!(previewed, actual, "policy {} of {id}", policy["id"]);
            }
        }
    };

    the_preview_names_each_stage_approver_for_a_person => |app: TestApp| async move {
        app.sign_in("alex.morgan").await;
        let (_, policy) = app.get_json("/policies/pol-finance-reporting").await;
        let (status, preview) = post(&app, "/policy-preview", json!({ "catalogId": "cat-business-apps", "policy": policy, "requestorId": "user-sam.taylor" })).await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(preview["requestorEligible"], true);
        assert_eq!(preview["stages"][0]["approvers"][0]["displayName"], "Daniel Kim");
        let second: Vec<&str> = preview["stages"][1]["approvers"].as_array().unwrap().iter().map(|p| p["displayName"].as_str().unwrap()).collect();
        assert_eq!(second, ["Fatima Rahman", "Victor Novak"]);

        let (_, preview) = post(&app, "/policy-preview", json!({ "catalogId": "cat-business-apps", "policy": policy, "requestorId": "user-maya.lindqvist" })).await;
        assert_eq!(preview["stages"][0]["fallbackUsed"], true, "the CEO has no manager: Priya is the fallback");
        assert_eq!(preview["stages"][0]["approvers"][0]["displayName"], "Priya Shah");
    };

    a_wizard_setup_creates_catalog_resources_package_and_policy_in_one_go => |app: TestApp| async move {
        app.sign_in("olivia.grant").await;
        let body = json!({
            "catalog": { "kind": "new", "catalog": { "name": "Marketing", "description": "Campaign tools" }, "owners": ["user-lucas.moreau"] },
            "package": { "catalogId": "", "name": "Campaign Wiki", "description": "Edit the campaign pages", "hidden": false },
            "roles": [{ "kind": "application", "originId": "app-atlas", "roleId": "editor" }, { "kind": "group", "originId": "grp-marketing", "roleId": "member" }],
            "policy": manager_policy()
        });
        let (status, result) = post(&app, "/setup", body).await;
        assert_eq!(status, StatusCode::CREATED, "{result}");
        assert_eq!(result["package"]["resourceRoles"].as_array().unwrap().len(), 2);
        let catalog = result["catalog"]["id"].as_str().unwrap();
        let (_, detail) = app.get_json(&format!("/catalogs/{catalog}")).await;
        let owners: Vec<&str> = detail["roles"].as_array().unwrap().iter().map(|r| r["person"]["displayName"].as_str().unwrap()).collect();
        assert_eq!(owners, ["Lucas Moreau", "Olivia Grant"]);
        assert_eq!(detail["resources"].as_array().unwrap().len(), 2);

        let member = app.new_client();
        app.sign_in_as(&member, "ben.cohen").await;
        let offers: Value = member.get(app.api("/my/access-packages?search=campaign")).send().await.unwrap().json().await.unwrap();
        assert_eq!(offers[0]["package"]["name"], "Campaign Wiki");
    };

    a_failing_setup_saves_nothing => |app: TestApp| async move {
        app.sign_in("alex.morgan").await;
        let mut policy = manager_policy();
        policy["requestorScope"] = json!({ "kind": "specificDirectoryUsers", "users": ["user-nobody"], "groups": [] });
        let body = json!({
            "catalog": { "kind": "new", "catalog": { "name": "Half" } },
            "package": { "catalogId": "", "name": "Half package" },
            "roles": [{ "kind": "site", "originId": "site-partner-portal", "roleId": "visitor" }],
            "policy": policy
        });
        let (status, problem) = post(&app, "/setup", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "policy.requestorScope.users");
        let catalogs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM catalogs WHERE name = 'Half'").fetch_one(&app.db).await.unwrap();
        assert_eq!(catalogs, 0, "the transaction rolled back");

        let (status, problem) = post(&app, "/setup", json!({
            "catalog": { "kind": "new", "catalog": { "name": "" } },
            "package": { "catalogId": "", "name": "" }, "roles": [], "policy": manager_policy()
        })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["catalog.name", "package.name", "roles"]);
    };

    a_package_manager_may_not_add_resources_through_a_wizard => |app: TestApp| async move {
        app.sign_in("daniel.kim").await;
        let body = json!({
            "catalog": { "kind": "existing", "id": "cat-engineering" },
            "package": { "catalogId": "", "name": "Needs a new resource" },
            "roles": [{ "kind": "group", "originId": "grp-security-champions", "roleId": "member" }],
            "policy": manager_policy()
        });
        let (status, _) = post(&app, "/setup", body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let mut allowed = body;
        allowed["roles"] = json!([{ "kind": "application", "originId": "app-atlas", "roleId": "reader" }]);
        let (status, result) = post(&app, "/setup", allowed).await;
        assert_eq!(status, StatusCode::CREATED, "{result}");
    };

    administrators_connect_edit_and_delete_partner_organisations => |app: TestApp| async move {
        app.sign_in("alex.morgan").await;
        let (status, problem) = post(&app, "/connected-organizations", json!({ "name": "Contoso", "domains": ["contoso"], "internalSponsors": ["user-nobody"] })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["domains[0]"]);
        let (status, created) = post(&app, "/connected-organizations", json!({ "name": "Contoso", "domains": ["Contoso.Example"], "internalSponsors": ["user-hannah.becker"] })).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["domains"], json!(["contoso.example"]));
        assert_eq!(created["state"], "configured");
        let id = created["id"].as_str().unwrap().to_owned();
        let (status, edited) = send(&app, reqwest::Method::PATCH, &format!("/connected-organizations/{id}"), json!({ "domains": ["contoso.example", "contoso-labs.example"] })).await;
        assert_eq!(status, StatusCode::OK, "{edited}");
        assert_eq!(edited["domains"].as_array().unwrap().len(), 2);
        let (status, _) = send(&app, reqwest::Method::DELETE, &format!("/connected-organizations/{id}"), json!({})).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, problem) = send(&app, reqwest::Method::DELETE, "/connected-organizations/org-fabrikam", json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("“Fabrikam” of Partner Collaboration"), "{problem}");
        assert!(detail.contains("guest"), "{problem}");
    };
}
