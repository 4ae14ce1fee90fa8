//! Answers each instance keeps in memory (My Access list, approvals inbox, the signed-in
//! person): an unchanged answer costs a 304, and any change is seen by the very next
//! request on every instance, whoever made it: a request on another instance, a job, or
//! a write straight to the database.

use reqwest::{header, Client, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{as_person, send, TestApp};
use crate::on_both_backends;

/// GET `path` with `If-None-Match: etag` (when given): the status, the ETag and the body.
async fn fetch(
    app: &TestApp,
    client: &Client,
    path: &str,
    etag: Option<&str>,
) -> (StatusCode, String, Value) {
    let mut request = client.get(app.api(path));
    if let Some(etag) = etag {
        request = request.header(header::IF_NONE_MATCH, etag);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let etag = response
        .headers()
        .get(header::ETAG)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if status == StatusCode::OK {
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "private, no-cache",
            "{path}"
        );
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/json",
            "{path}"
        );
    }
    let text = response.text().await.unwrap();
    let body = match status {
        StatusCode::NOT_MODIFIED => {
            assert!(text.is_empty(), "a 304 has no body");
            Value::Null
        }
        _ => serde_json::from_str(&text).unwrap(),
    };
    (status, etag, body)
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|offer| offer["package"]["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn post(
    app: &TestApp,
    client: &Client,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> StatusCode {
    let (status, answer) = send(app, client, method, path, body).await;
    assert!(status.is_success(), "{path}: {status} {answer}");
    status
}

on_both_backends! {
    my_access_answers_304_until_another_instance_changes_a_package => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let (status, etag, list) = fetch(&app, &sam, "/my/access-packages", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(etag.starts_with("W/\""), "{etag}");
        assert!(names(&list).contains(&"Company Wiki Editors".to_owned()));

        let (status, same, _) = fetch(&app, &sam, "/my/access-packages", Some(&etag)).await;
        assert_eq!((status, same.as_str()), (StatusCode::NOT_MODIFIED, etag.as_str()));
        let (status, _, again) = fetch(&app, &sam, "/my/access-packages", None).await;
        assert_eq!((status, &again), (StatusCode::OK, &list), "the kept answer is the same answer");
        let (status, searched, _) = fetch(&app, &sam, "/my/access-packages?search=wiki", Some(&etag)).await;
        assert_eq!(status, StatusCode::OK, "another search is another answer");
        assert_ne!(searched, etag);

        // Priya renames the package through a second instance on the same database.
        let other = app.another_instance().await;
        let priya = as_person(&other, "priya.shah").await;
        post(&other, &priya, reqwest::Method::PATCH, "/access-packages/ap-company-wiki", json!({ "name": "Wiki Writers" })).await;

        let (status, changed, list) = fetch(&app, &sam, "/my/access-packages", Some(&etag)).await;
        assert_eq!(status, StatusCode::OK, "the change made elsewhere is seen at once");
        assert_ne!(changed, etag);
        assert!(names(&list).contains(&"Wiki Writers".to_owned()), "{list}");
        assert!(!names(&list).contains(&"Company Wiki Editors".to_owned()));
    };

    my_access_shows_a_request_and_a_direct_database_change_at_once => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let (_, etag, list) = fetch(&app, &sam, "/my/access-packages?search=finance", None).await;
        assert!(list[0]["pendingRequest"].is_null());
        let request = json!({ "accessPackageId": "ap-finance-reporting", "policyId": "pol-finance-reporting", "type": "userAdd", "justification": "Planning", "answers": [] });
        post(&app, &sam, reqwest::Method::POST, "/requests", request).await;
        let (status, _, list) = fetch(&app, &sam, "/my/access-packages?search=finance", Some(&etag)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(list[0]["pendingRequest"].is_string(), "{list}");

        // A write that no request of this server made (a script, a restore, a job).
        sqlx::query("UPDATE access_packages SET description = 'Edited by hand' WHERE id = 'ap-finance-reporting'")
            .execute(&app.db).await.unwrap();
        let (_, _, list) = fetch(&app, &sam, "/my/access-packages?search=finance", None).await;
        assert_eq!(list[0]["package"]["description"], "Edited by hand");

        // Blocking someone in the database ends their kept session at once.
        sqlx::query("UPDATE users SET state = 'blocked' WHERE id = 'user-sam.taylor'").execute(&app.db).await.unwrap();
        let (status, _, _) = fetch(&app, &sam, "/my/access-packages", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    };

    a_write_that_changes_no_row_keeps_the_304_and_a_bulk_change_is_seen_at_once => |app: TestApp| async move {
        let sam = as_person(&app, "sam.taylor").await;
        let (_, etag, _) = fetch(&app, &sam, "/my/access-packages", None).await;

        // Statements that match nothing (a job with nothing due, a script's no-op) change
        // nothing any answer shows, so the kept answer stays current.
        sqlx::query("UPDATE access_packages SET description = 'Nobody' WHERE id = 'no-such-package'")
            .execute(&app.db).await.unwrap();
        sqlx::query("DELETE FROM assignments WHERE id = 'no-such-assignment'")
            .execute(&app.db).await.unwrap();
        assert_eq!(fetch(&app, &sam, "/my/access-packages", Some(&etag)).await.0, StatusCode::NOT_MODIFIED);

        // Every package changed in one transaction, in one statement and then one more.
        let mut tx = app.db.begin().await.unwrap();
        sqlx::query("UPDATE access_packages SET description = 'Edited in bulk'")
            .execute(&mut *tx).await.unwrap();
        sqlx::query("UPDATE access_packages SET name = name || '.' WHERE id = 'ap-finance-reporting'")
            .execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        let (status, _, list) = fetch(&app, &sam, "/my/access-packages", Some(&etag)).await;
        assert_eq!(status, StatusCode::OK, "the bulk change is seen by the next request");
        let offers = list.as_array().unwrap();
        assert!(offers.len() > 1, "{list}");
        assert!(offers.iter().all(|offer| offer["package"]["description"] == "Edited in bulk"), "{list}");
        assert!(names(&list).contains(&"Finance Reporting.".to_owned()), "{list}");
        // No note of a change outlives its transaction (PostgreSQL notes them there).
        let notes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM data_version_changes")
            .fetch_one(&app.db).await.unwrap();
        assert_eq!(notes, 0);
    };

    the_approvals_inbox_is_current_on_every_instance => |app: TestApp| async move {
        let daniel = as_person(&app, "daniel.kim").await;
        let (status, etag, inbox) = fetch(&app, &daniel, "/approvals", None).await;
        assert_eq!((status, inbox.as_array().unwrap().len()), (StatusCode::OK, 0));
        assert_eq!(fetch(&app, &daniel, "/approvals", Some(&etag)).await.0, StatusCode::NOT_MODIFIED);

        let other = app.another_instance().await;
        let sam = as_person(&other, "sam.taylor").await;
        let request = json!({ "accessPackageId": "ap-finance-reporting", "policyId": "pol-finance-reporting", "type": "userAdd", "justification": "Planning", "answers": [] });
        post(&other, &sam, reqwest::Method::POST, "/requests", request).await;

        let (status, etag, inbox) = fetch(&app, &daniel, "/approvals", Some(&etag)).await;
        assert_eq!(status, StatusCode::OK);
        let id = inbox[0]["request"]["id"].as_str().unwrap().to_owned();
        assert_eq!(inbox[0]["request"]["requestor"], "user-sam.taylor");

        // Daniel decides on the other instance; this one's inbox empties at once.
        let daniel_there = as_person(&other, "daniel.kim").await;
        post(&other, &daniel_there, reqwest::Method::POST, &format!("/requests/{id}/decisions"), json!({ "decision": "approve" })).await;
        let (status, _, inbox) = fetch(&app, &daniel, "/approvals", Some(&etag)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(inbox.as_array().unwrap().len(), 0, "{inbox}");
    };
}
