//! Writers that meet on PostgreSQL's row locks. Every write appends to the audit log,
//! whose head is one row each writer locks until it commits; a transaction that held the
//! head and then waited for another row deadlocked against one holding that row and
//! waiting for the head. Found by the kill loop of `cargo xtask harden` (a 500 on
//! PostgreSQL); the test below orders the two writers so the deadlock happened every time.

use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Connection;

use crate::helpers::{as_person, send, TestApp};

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    send(app, client, Method::POST, path, body).await
}

/// Waits until `n` of this database's sessions wait for a lock.
async fn until_waiting(app: &TestApp, n: i64) {
    for _ in 0..500 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
             AND datname = current_database()",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        if waiting >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{n} sessions never waited for a lock");
}

#[tokio::test]
async fn an_approval_extending_an_assignment_and_the_removal_of_that_assignment_both_finish() {
    let Some(app) = TestApp::spawn_postgres().await else {
        return;
    };
    let sam = as_person(&app, "sam.taylor").await;
    let daniel = as_person(&app, "daniel.kim").await;
    let alex = as_person(&app, "alex.morgan").await;
    let wiki = json!({ "accessPackageId": "ap-company-wiki", "policyId": "pol-company-wiki", "justification": "Docs", "answers": [] });
    let mut add = wiki.clone();
    add["type"] = json!("userAdd");
    let (status, view) = post(&app, &sam, "/requests", add).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let id = view["request"]["id"].as_str().unwrap().to_owned();
    let path = format!("/requests/{id}/decisions");
    let (status, view) = post(&app, &daniel, &path, json!({ "decision": "approve" })).await;
    assert_eq!(view["request"]["state"], "delivered", "{status} {view}");
    let (_, held) = send(&app, &sam, Method::GET, "/my/assignments", Value::Null).await;
    let assignment = held[0]["assignment"]["id"].as_str().unwrap().to_owned();
    let mut extend = wiki.clone();
    extend["type"] = json!("userExtend");
    let (status, view) = post(&app, &sam, "/requests", extend).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let extension = view["request"]["id"].as_str().unwrap().to_owned();

    // Hold the audit log's head, so each writer stops where it first needs it.
    let mut holder = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let mut held_head = holder.begin().await.unwrap();
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
        .execute(&mut *held_head)
        .await
        .unwrap();

    // Daniel approves the extension first, then Alex removes the assignment.
    let approval = {
        let (app, daniel) = (&app, &daniel);
        let path = format!("/requests/{extension}/decisions");
        async move { post(app, daniel, &path, json!({ "decision": "approve" })).await }
    };
    let removal = {
        let (app, alex) = (&app, &alex);
        let path = format!("/assignments/{assignment}/remove");
        async move {
            until_waiting(app, 1).await;
            post(app, alex, &path, json!({})).await
        }
    };
    let release = async {
        until_waiting(&app, 2).await;
        held_head.rollback().await.unwrap();
    };
    let ((approved, approval), (removed, removal), ()) = tokio::join!(approval, removal, release);

    assert_eq!(approved, StatusCode::OK, "the approval: {approval}");
    assert_eq!(approval["request"]["state"], "delivered", "{approval}");
    assert_eq!(removed, StatusCode::OK, "the removal: {removal}");
    assert_eq!(removal["state"], "removed", "{removal}");
    let check = entrada_server::audit::verify(&app.db).await.unwrap();
    assert!(check.first_bad.is_none(), "{:?}", check.first_bad);
}
