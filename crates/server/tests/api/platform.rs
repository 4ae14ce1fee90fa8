//! Health, readiness, metrics, unknown paths, the SPA fallback and the demo loader.

use reqwest::StatusCode;

use crate::helpers::{assert_problem, TestApp};
use crate::on_both_backends;

on_both_backends! {
    healthz_answers_ok => |app: TestApp| async move {
        let response = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await.unwrap(), "ok");
    };

    liveness_and_readiness_answer_ok => |app: TestApp| async move {
        for path in ["/livez", "/readyz"] {
            let response = app.client.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.text().await.unwrap(), "ok", "{path}");
        }
    };

    metrics_count_requests_by_route_and_report_the_backlog => |app: TestApp| async move {
        // Some traffic: a signed-in call, a refused one, a miss.
        app.sign_in("sam.taylor").await;
        let (status, _) = app.get_json("/me").await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app.get_json("/outbox").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        app.client.get(app.api("/no-such-thing/42")).send().await.unwrap();
        // A plain member may not read the metrics; signed out, nobody may.
        let response = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_problem(response, StatusCode::FORBIDDEN).await;
        let signed_out = app.new_client();
        let response = signed_out.get(app.url("/metrics")).send().await.unwrap();
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
        // A bearer token, on a server started without one, is refused and says why.
        let response = signed_out.get(app.url("/metrics")).bearer_auth("x".repeat(24)).send().await.unwrap();
        let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
        assert!(problem["detail"].as_str().unwrap().contains("--metrics-token-file"), "{problem}");

        let admin = crate::helpers::as_person(&app, "alex.morgan").await;
        let response = admin.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
        let text = response.text().await.unwrap();
        for line in [
            r#"entrada_http_requests_total{method="GET",route="/api/v1/me",status="200"} 1"#,
            r#"entrada_http_requests_total{method="GET",route="/api/v1/outbox",status="403"} 1"#,
            r#"entrada_http_requests_total{method="GET",route="/api/{*rest}",status="404"} 1"#,
            r#"entrada_http_requests_total{method="GET",route="/metrics",status="401"} 2"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from:\n{text}");
        }
        assert!(
            !text.contains("no-such-thing"),
            "the path asked never becomes a label: {text}"
        );
        assert!(text.contains(r#"entrada_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/v1/me"} 1"#)
            || text.contains(r#"entrada_http_request_duration_seconds_bucket{method="GET",route="/api/v1/me",le="+Inf"} 1"#), "{text}");
        // The backlog is the database's: the pending requests, and nothing overdue.
        let (status, view) = crate::helpers::send(&app, &app.client, reqwest::Method::POST, "/requests", serde_json::json!({
            "accessPackageId": "ap-finance-reporting", "policyId": "pol-finance-reporting", "type": "userAdd",
            "justification": "Quarterly planning", "answers": [],
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_requests WHERE state = 'pendingApproval'")
            .fetch_one(&app.db).await.unwrap();
        assert!(pending > 0);
        let text = admin.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(text.lines().any(|l| l == format!("entrada_open_requests {pending}")), "{text}");
        assert!(text.lines().any(|l| l == r#"entrada_http_requests_total{method="POST",route="/api/v1/requests",status="201"} 1"#), "{text}");
        assert!(text.lines().any(|l| l == r#"entrada_job_lag_seconds{job="expiry"} 0.0"#), "{text}");

        // Two days after an assignment's end, with the jobs not run, expiry's lag shows it.
        let now = entrada_server::Clock::now(app.clock.as_ref());
        let end = now + time::Duration::days(3);
        let (status, view) = crate::helpers::send(&app, &admin, reqwest::Method::POST, "/assignments", serde_json::json!({
            "userId": "user-lena.fischer", "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki",
            "end": end.format(&time::format_description::well_known::Rfc3339).unwrap(),
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        let first_end: Option<i64> = sqlx::query_scalar("SELECT MIN(end_at) FROM assignments WHERE state = 'delivered' AND end_at IS NOT NULL")
            .fetch_one(&app.db).await.unwrap();
        let first_end = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(first_end.unwrap()) * 1_000_000).unwrap();
        app.clock.advance(first_end + time::Duration::days(2) - now);
        let admin = crate::helpers::as_person(&app, "alex.morgan").await;
        let text = admin.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        let lag: f64 = text.lines()
            .find_map(|l| l.strip_prefix(r#"entrada_job_lag_seconds{job="expiry"} "#))
            .expect("expiry lag").parse().unwrap();
        assert!((lag - 2.0 * 86_400.0).abs() < 5.0, "{lag}");
    };

    unknown_api_paths_get_json_404 => |app: TestApp| async move {
        let response = app.client.get(app.api("/no-such-thing")).send().await.unwrap();
        let problem = assert_problem(response, StatusCode::NOT_FOUND).await;
        assert_eq!(problem["detail"], "There is no API endpoint at this path.");
        let response = app.client.put(app.api("/me")).send().await.unwrap();
        assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    };

    demo_loads_only_into_an_empty_database => |app: TestApp| async move {
        let outcome = entrada_server::demo::load(&app.db, time::OffsetDateTime::now_utc()).await.unwrap();
        assert_eq!(outcome, entrada_server::demo::DemoOutcome::AlreadyPopulated);
        let people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&app.db).await.unwrap();
        assert_eq!(people, 33);
        let managers: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT manager_id) FROM users WHERE manager_id IS NOT NULL").fetch_one(&app.db).await.unwrap();
        assert!(managers >= 4, "{managers}");
    };
}

#[tokio::test]
async fn a_scraper_reads_the_metrics_with_the_operators_token() {
    const TOKEN: &str = "scrape-3f9a1c07d2e84b6a";
    for backend in [
        entrada_server::Backend::Sqlite,
        entrada_server::Backend::Postgres,
    ] {
        let Some(app) = TestApp::spawn_with(backend, |config| {
            config.metrics_token = Some(TOKEN.to_owned())
        })
        .await
        else {
            continue;
        };
        let scraper = app.new_client();
        let response = scraper
            .get(app.url("/metrics"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{backend:?}");
        let text = response.text().await.unwrap();
        assert!(
            text.contains("# TYPE entrada_open_requests gauge"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE entrada_job_lag_seconds gauge"),
            "{text}"
        );
        let response = scraper
            .get(app.url("/metrics"))
            .bearer_auth("scrape-3f9a1c07d2e84b6b")
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("not this server's metrics token"),
            "{problem}"
        );
    }
}

#[tokio::test]
async fn client_routes_fall_back_to_the_spa_but_api_paths_stay_json() {
    let app = TestApp::spawn_with_spa("<!doctype html><title>Entrada SPA</title>").await;
    for path in [
        "/",
        "/access-packages/ap-company-wiki",
        "/approvals/r1",
        "/sign-in?next=%2Faccess",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response.text().await.unwrap().contains("Entrada SPA"),
            "{path}"
        );
    }
    let response = app
        .client
        .get(app.api("/access-packages/ap-company-wiki"))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn without_a_built_spa_the_server_says_how_to_build_it() {
    let app = TestApp::spawn(entrada_server::Backend::Sqlite).await;
    let response = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.text().await.unwrap().contains("cargo xtask serve"));
}

/// The routes the API serves so far, as api.md names them (plus the wizard's `/setup` and
/// the preview). Each must be in the OpenAPI document.
const EXPECTED_ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/livez"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    // SCIM 2.0 provisioning, with a bearer token (http/scim.rs).
    ("get", "/scim/v2/Users"),
    ("post", "/scim/v2/Users"),
    ("get", "/scim/v2/Users/{id}"),
    ("put", "/scim/v2/Users/{id}"),
    ("patch", "/scim/v2/Users/{id}"),
    ("delete", "/scim/v2/Users/{id}"),
    ("get", "/scim/v2/Groups"),
    ("post", "/scim/v2/Groups"),
    ("get", "/scim/v2/Groups/{id}"),
    ("put", "/scim/v2/Groups/{id}"),
    ("patch", "/scim/v2/Groups/{id}"),
    ("delete", "/scim/v2/Groups/{id}"),
    ("get", "/scim/v2/ServiceProviderConfig"),
    ("get", "/scim/v2/Schemas"),
    ("get", "/scim/v2/Schemas/{id}"),
    ("get", "/scim/v2/ResourceTypes"),
    ("get", "/scim/v2/ResourceTypes/{id}"),
    ("post", "/scim/v2/.search"),
    ("get", "/api/v1/openapi.json"),
    ("post", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("get", "/api/v1/session/methods"),
    ("get", "/api/v1/session/oidc/start"),
    ("get", "/api/v1/session/oidc/callback"),
    ("get", "/api/v1/integrations"),
    ("post", "/api/v1/integrations/directory-sync"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/my/access-packages"),
    ("get", "/api/v1/access-packages/{id}"),
    ("get", "/api/v1/catalogs"),
    ("post", "/api/v1/catalogs"),
    ("get", "/api/v1/catalogs/{id}"),
    ("patch", "/api/v1/catalogs/{id}"),
    ("delete", "/api/v1/catalogs/{id}"),
    ("get", "/api/v1/catalogs/{id}/roles"),
    ("post", "/api/v1/catalogs/{id}/roles"),
    ("delete", "/api/v1/catalogs/{id}/roles/{assignment_id}"),
    ("get", "/api/v1/catalogs/{id}/resources"),
    ("post", "/api/v1/catalogs/{id}/resources"),
    ("delete", "/api/v1/catalogs/{id}/resources/{resource_id}"),
    ("get", "/api/v1/access-packages"),
    ("post", "/api/v1/access-packages"),
    ("patch", "/api/v1/access-packages/{id}"),
    ("delete", "/api/v1/access-packages/{id}"),
    ("get", "/api/v1/access-packages/{id}/resource-roles"),
    ("post", "/api/v1/access-packages/{id}/resource-roles"),
    (
        "delete",
        "/api/v1/access-packages/{id}/resource-roles/{role_id}",
    ),
    ("get", "/api/v1/access-packages/{id}/policies"),
    ("post", "/api/v1/access-packages/{id}/policies"),
    ("get", "/api/v1/policies/{id}"),
    ("patch", "/api/v1/policies/{id}"),
    ("delete", "/api/v1/policies/{id}"),
    ("post", "/api/v1/policy-preview"),
    ("post", "/api/v1/setup"),
    ("get", "/api/v1/settings"),
    ("patch", "/api/v1/settings"),
    ("get", "/api/v1/my/notifications"),
    ("patch", "/api/v1/my/notifications"),
    ("get", "/api/v1/outbox"),
    ("get", "/api/v1/assignments"),
    ("post", "/api/v1/assignments"),
    ("post", "/api/v1/assignments/{id}/remove"),
    ("get", "/api/v1/directory/users"),
    ("get", "/api/v1/directory/groups"),
    ("get", "/api/v1/directory/applications"),
    ("get", "/api/v1/directory/sites"),
    ("get", "/api/v1/directory/connected-organizations"),
    ("post", "/api/v1/requests"),
    ("get", "/api/v1/requests/{id}"),
    ("post", "/api/v1/requests/{id}/cancel"),
    ("post", "/api/v1/requests/{id}/decisions"),
    ("get", "/api/v1/approvals"),
    ("get", "/api/v1/my/requests"),
    ("get", "/api/v1/my/assignments"),
    ("get", "/api/v1/connected-organizations"),
    ("post", "/api/v1/connected-organizations"),
    ("patch", "/api/v1/connected-organizations/{id}"),
    ("delete", "/api/v1/connected-organizations/{id}"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/audit.csv"),
    ("get", "/api/v1/audit/verify"),
    ("get", "/api/v1/reports/access-packages/{id}"),
    ("get", "/api/v1/reports/resources/{id}"),
    ("get", "/api/v1/reports/people/{id}"),
    ("post", "/api/v1/signup"),
    ("post", "/api/v1/signup/verify"),
];

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_every_route_answers() {
    let app = TestApp::spawn(entrada_server::Backend::Sqlite).await;
    let document = crate::helpers::openapi_document(&app).await;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    let documented = crate::helpers::operations_of(&document);
    for (method, path) in EXPECTED_ROUTES {
        assert!(
            documented.iter().any(|(m, p)| m == method && p == path),
            "{method} {path} is missing from openapi.json"
        );
    }
    assert_eq!(
        documented.len(),
        EXPECTED_ROUTES.len(),
        "a documented route is missing from EXPECTED_ROUTES: {documented:?}"
    );
    // Every documented route is really served: it answers something other than "no such endpoint".
    for (method, path) in &documented {
        let url = app.url(
            &path
                .replace("{id}", "x")
                .replace("{assignment_id}", "x")
                .replace("{resource_id}", "x")
                .replace("{role_id}", "x"),
        );
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = app
            .client
            .request(method.clone(), url)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("There is no API endpoint at this path"),
            "{method} {path} is documented but not served"
        );
    }
}

#[test]
fn no_route_is_added_outside_the_documented_router() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = !line.trim_start().starts_with("//");
            let undocumented =
                code && line.contains(".route(") && !line.contains("ApiError::NoRoute");
            assert!(!undocumented, "{}:{} adds a route without #[utoipa::path]: use routes!(…) so openapi.json describes it", path.display(), number + 1);
        }
    }
}

#[tokio::test]
async fn a_second_server_running_the_jobs_on_one_sqlite_database_is_refused() {
    use entrada_server::{App, Config, ManualClock};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/entrada.db", dir.path().display());
    let config = |run_jobs: bool| {
        let mut config = Config::new("127.0.0.1:0".parse().unwrap(), url.clone());
        config.run_jobs = run_jobs;
        config
    };
    let clock = std::sync::Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let first = App::build(config(true), clock.clone())
        .await
        .expect("the first server starts");
    let error = App::build(config(true), clock.clone())
        .await
        .err()
        .expect("a second server with the jobs is refused")
        .to_string();
    assert!(error.contains("SQLite serves one instance"), "{error}");
    assert!(error.contains("--no-jobs"), "{error}");
    // One that leaves the jobs to the first may serve beside it.
    App::build(config(false), clock.clone())
        .await
        .expect("a server with --no-jobs starts");
    drop(first);
    App::build(config(true), clock)
        .await
        .expect("once the first has stopped, another runs the jobs");
}

/// Any API call may be refused before its handler runs (a NUL in the address, a body too
/// large, a cross-origin write), with a problem+json 4xx: each API operation's document
/// says so. schemathesis found the OpenID sign-in's two routes answering a 400 their
/// document did not list.
#[tokio::test]
async fn every_api_operation_documents_that_it_may_be_refused_with_a_problem() {
    let app = TestApp::spawn(entrada_server::Backend::Sqlite).await;
    let document = crate::helpers::openapi_document(&app).await;
    let mut silent = Vec::new();
    for (method, path) in crate::helpers::operations_of(&document) {
        let responses = &document["paths"][&path][&method]["responses"];
        let documented = responses.get("4XX").or_else(|| responses.get("400"));
        let problem = documented
            .and_then(|response| response["content"].get("application/problem+json"))
            .is_some();
        if path.starts_with("/api/v1") && !problem {
            silent.push(format!("{method} {path}"));
        }
    }
    assert!(silent.is_empty(), "no 4XX problem documented: {silent:?}");
    // The refusal the document now lists, on the sign-in's departure.
    let response = app
        .client
        .get(app.api("/session/oidc/start?loginHint=a%00b"))
        .send()
        .await
        .expect("request");
    assert_problem(response, StatusCode::BAD_REQUEST).await;
}
