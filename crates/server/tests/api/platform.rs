//! Health, unknown paths, the SPA fallback and the demo loader.

use reqwest::StatusCode;

use crate::helpers::{assert_problem, TestApp};
use crate::on_both_backends;

on_both_backends! {
    healthz_answers_ok => |app: TestApp| async move {
        let response = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await.unwrap(), "ok");
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
