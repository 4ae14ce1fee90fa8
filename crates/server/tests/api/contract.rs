//! One contract between browser and server: typed merge-patch bodies, documented problem
//! types, the limits of every list and text, and NUL characters refused before they reach
//! PostgreSQL (which stores no NUL in TEXT).

use entrada_domain::api::ProblemType;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{as_person, assert_problem, TestApp};
use crate::on_both_backends;

async fn send(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: Value,
) -> reqwest::Response {
    client
        .request(method, app.api(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Asserts a problem with `status` and the documented `type` of `kind`.
async fn assert_kind(response: reqwest::Response, kind: ProblemType) -> Value {
    let status = StatusCode::from_u16(kind.status()).unwrap();
    let problem = assert_problem(response, status).await;
    assert_eq!(problem["type"], kind.uri(), "{problem}");
    problem
}

fn questions(count: usize) -> Value {
    let list: Vec<Value> = (0..count)
        .map(|index| {
            json!({ "id": format!("q{index}"), "text": "Why?", "required": false, "kind": { "kind": "shortText" } })
        })
        .collect();
    Value::Array(list)
}

on_both_backends! {
    a_patch_with_an_unknown_field_is_a_bad_request => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        for (path, body) in [
            ("/catalogs/cat-engineering", json!({ "nmae": "Typo" })),
            ("/access-packages/ap-company-wiki", json!({ "catalogId": "cat-engineering" })),
            ("/policies/pol-company-wiki", json!({ "acceptingRequest": false })),
        ] {
            let response = send(&app, &alex, Method::PATCH, path, body).await;
            let problem = assert_kind(response, ProblemType::BadRequest).await;
            assert!(problem["detail"].as_str().unwrap().contains("unknown field"), "{path}: {problem}");
        }
        // Nothing changed.
        let response = alex.get(app.api("/catalogs/cat-engineering")).send().await.unwrap();
        let catalog: Value = response.json().await.unwrap();
        assert_eq!(catalog["catalog"]["name"], "Engineering");
    };

    a_patch_to_an_organisation_with_an_unknown_field_is_refused => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        let response = send(&app, &alex, Method::POST, "/connected-organizations",
            json!({ "name": "Contoso", "domains": ["contoso.example"] })).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: Value = response.json().await.unwrap();
        let id = created["id"].as_str().unwrap();
        let path = format!("/connected-organizations/{id}");
        let response = send(&app, &alex, Method::PATCH, &path, json!({ "sponsors": [] })).await;
        assert_kind(response, ProblemType::BadRequest).await;
        let response = send(&app, &alex, Method::PATCH, &path, json!({ "domains": null })).await;
        assert_kind(response, ProblemType::BadRequest).await;
        let response = send(&app, &alex, Method::PATCH, &path, json!({ "description": "Supplier", "internalSponsors": ["user-alex.morgan"] })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = send(&app, &alex, Method::PATCH, &path, json!({ "internalSponsors": null })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let edited: Value = response.json().await.unwrap();
        assert_eq!(edited["internalSponsors"], json!([]), "null clears");
        assert_eq!(edited["description"], "Supplier", "absent keeps");
        assert_eq!(edited["domains"], json!(["contoso.example"]));
    };

    a_patch_null_clears_a_nullable_field_and_absence_keeps => |app: TestApp| async move {
        app.sign_in("alex.morgan").await;
        let (_, before) = app.get_json("/catalogs/cat-engineering").await;
        assert!(!before["catalog"]["description"].as_str().unwrap().is_empty());
        let response = send(&app, &app.client, Method::PATCH, "/catalogs/cat-engineering", json!({ "description": null })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let catalog: Value = response.json().await.unwrap();
        assert_eq!(catalog["description"], "");
        assert_eq!(catalog["name"], before["catalog"]["name"]);
        assert_eq!(catalog["enabled"], before["catalog"]["enabled"]);
        // A field that cannot be empty cannot be nulled.
        let response = send(&app, &app.client, Method::PATCH, "/catalogs/cat-engineering", json!({ "name": null })).await;
        assert_kind(response, ProblemType::BadRequest).await;
        // A policy's questions are cleared by null; its other rules stay.
        let response = send(&app, &app.client, Method::PATCH, "/policies/pol-company-wiki", json!({ "questions": [{ "id": "q1", "text": "Team?", "required": true, "kind": { "kind": "shortText" } }] })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = send(&app, &app.client, Method::PATCH, "/policies/pol-company-wiki", json!({ "questions": null })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let policy: Value = response.json().await.unwrap();
        assert_eq!(policy["questions"], json!([]));
        assert_eq!(policy["name"].as_str().map(str::is_empty), Some(false));
        let response = send(&app, &app.client, Method::PATCH, "/access-packages/ap-company-wiki", json!({ "description": null, "hidden": true })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let package: Value = response.json().await.unwrap();
        assert_eq!(package["description"], "");
        assert_eq!(package["hidden"], true);
    };

    each_problem_kind_carries_its_documented_type => |app: TestApp| async move {
        let anonymous = app.new_client();
        let response = anonymous.get(app.api("/me")).send().await.unwrap();
        assert_kind(response, ProblemType::NotSignedIn).await;
        let response = anonymous.get(app.api("/me")).header("cookie", "entrada_session=no-such-session").send().await.unwrap();
        assert_kind(response, ProblemType::SessionExpired).await;
        let response = send(&app, &anonymous, Method::POST, "/session", json!({ "email": "alex.morgan@lakeshore.example", "password": "wrong-password" })).await;
        assert_kind(response, ProblemType::BadCredentials).await;
        let response = anonymous.get(app.api("/no-such-endpoint")).send().await.unwrap();
        assert_kind(response, ProblemType::NotFound).await;
        let sam = as_person(&app, "sam.taylor").await;
        let response = send(&app, &sam, Method::POST, "/catalogs", json!({ "name": "Sam's" })).await;
        assert_kind(response, ProblemType::Forbidden).await;
        let alex = as_person(&app, "alex.morgan").await;
        let response = alex.get(app.api("/catalogs/no-such-catalog")).send().await.unwrap();
        assert_kind(response, ProblemType::NotFound).await;
        let response = alex.put(app.api("/me")).send().await.unwrap();
        assert_kind(response, ProblemType::MethodNotAllowed).await;
        let response = send(&app, &alex, Method::POST, "/catalogs", json!({ "name": "Engineering" })).await;
        assert_kind(response, ProblemType::Conflict).await;
        let response = send(&app, &alex, Method::POST, "/catalogs", json!({ "name": "  " })).await;
        let problem = assert_kind(response, ProblemType::Validation).await;
        assert_eq!(problem["errors"][0]["field"], "name");
        let response = alex.post(app.api("/catalogs")).header("content-type", "application/json").body("{not json").send().await.unwrap();
        assert_kind(response, ProblemType::BadRequest).await;
        let huge = json!({ "name": "x".repeat(300 * 1024) });
        let response = send(&app, &alex, Method::POST, "/catalogs", huge).await;
        assert_kind(response, ProblemType::BodyTooLarge).await;
    };

    the_openapi_document_lists_the_problem_types_and_the_limits => |app: TestApp| async move {
        let (status, document) = app.get_json("/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        let schemas = &document["components"]["schemas"];
        let description = schemas["Problem"]["description"].as_str().unwrap();
        let listed: Vec<&str> = schemas["ProblemType"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for kind in ProblemType::ALL {
            assert!(description.contains(kind.uri()), "{} missing from {description}", kind.uri());
            assert!(listed.contains(&kind.uri()), "{} missing from the ProblemType enum", kind.uri());
        }
        use entrada_domain::policy::{MAX_APPROVERS, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, MAX_QUESTIONS, MAX_QUESTION_CHARS, MAX_STAGES};
        let policy = &schemas["PolicyDraft"]["properties"];
        assert_eq!(policy["questions"]["maxItems"], MAX_QUESTIONS);
        assert_eq!(policy["stages"]["maxItems"], MAX_STAGES);
        assert_eq!(policy["name"]["maxLength"], MAX_NAME_CHARS);
        assert_eq!(policy["description"]["maxLength"], MAX_DESCRIPTION_CHARS);
        assert_eq!(schemas["Question"]["properties"]["text"]["maxLength"], MAX_QUESTION_CHARS);
        assert_eq!(schemas["ApprovalStage"]["properties"]["approvers"]["maxItems"], MAX_APPROVERS);
        assert_eq!(schemas["CatalogDraft"]["properties"]["name"]["maxLength"], MAX_NAME_CHARS);
        assert_eq!(schemas["OrganizationDraft"]["properties"]["domains"]["maxItems"], entrada_domain::organization::MAX_DOMAINS);
        assert_eq!(schemas["NewRequestBody"]["properties"]["justification"]["maxLength"], entrada_domain::request::MAX_JUSTIFICATION_CHARS);
        assert!(schemas["CatalogPatch"]["properties"]["description"].is_object(), "the patch bodies are documented");
        let patch_body = &document["paths"]["/api/v1/catalogs/{id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(patch_body, "#/components/schemas/CatalogPatch");
    };

    a_policy_with_three_thousand_questions_is_refused => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        let response = send(&app, &alex, Method::PATCH, "/policies/pol-company-wiki", json!({ "questions": questions(3000) })).await;
        let problem = assert_kind(response, ProblemType::Validation).await;
        assert_eq!(problem["errors"], json!([{ "field": "questions", "message": "Ask at most 20 questions." }]));
        let options: Vec<String> = (0..10_000).map(|index| format!("c{index}")).collect();
        let many_choices = json!([{ "id": "q1", "text": "Which?", "required": true, "kind": { "kind": "choice", "options": options } }]);
        let response = send(&app, &alex, Method::PATCH, "/policies/pol-company-wiki", json!({ "questions": many_choices })).await;
        let problem = assert_kind(response, ProblemType::Validation).await;
        assert_eq!(problem["errors"][0]["field"], "questions[0].kind.options");
        let (_, policy) = {
            let response = alex.get(app.api("/policies/pol-company-wiki")).send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        };
        assert_eq!(policy["questions"], json!([]), "nothing was stored");
    };

    a_nul_in_a_catalog_name_is_a_field_error_not_a_server_error => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        let response = send(&app, &alex, Method::PATCH, "/catalogs/cat-engineering", json!({ "name": "Engi\u{0}neering" })).await;
        let problem = assert_kind(response, ProblemType::Validation).await;
        assert_eq!(problem["errors"][0]["field"], "name");
        let response = send(&app, &alex, Method::POST, "/catalogs", json!({ "name": "Nul\u{0}", "description": "ok" })).await;
        let problem = assert_kind(response, ProblemType::Validation).await;
        assert_eq!(problem["errors"][0]["field"], "name");
        let response = send(&app, &alex, Method::PATCH, "/policies/pol-company-wiki", json!({ "questions": [{ "id": "q1", "text": "Why?", "required": false, "kind": { "kind": "choice", "options": ["a", "b\u{0}"] } }] })).await;
        let problem = assert_kind(response, ProblemType::Validation).await;
        assert_eq!(problem["errors"][0]["field"], "questions[0].kind.options[1]");
        // A NUL in an id in the path or in a search never reaches the database either.
        let response = alex.get(app.api("/catalogs/cat-engineering%00")).send().await.unwrap();
        assert_kind(response, ProblemType::BadRequest).await;
        let response = alex.get(app.api("/my/access-packages?search=wiki%00")).send().await.unwrap();
        assert_kind(response, ProblemType::BadRequest).await;
        // An escaped backslash followed by "u0000" is plain text, not a NUL.
        let response = alex.patch(app.api("/catalogs/cat-engineering")).header("content-type", "application/json").body(r#"{"description":"path C:\\u0000"}"#).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    };

    a_nul_in_a_request_justification_is_a_field_error_not_a_server_error => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let app = &app;
        let count = |sam: Client| async move {
            let response = sam.get(app.api("/my/requests")).send().await.unwrap();
            response.json::<Value>().await.unwrap().as_array().map(Vec::len)
        };
        let before = count(sam.clone()).await;
        let body = json!({ "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "type": "userAdd", "justification": "Docs\u{0}" });
        let response = send(app, &sam, Method::POST, "/requests", body).await;
        let problem = assert_kind(response, ProblemType::Validation).await;
        assert_eq!(problem["errors"][0]["field"], "justification");
        assert_eq!(count(sam).await, before, "no request was stored");
    };
}
