//! Organisation-wide settings (issue 10, part 4): the external-user lifecycle, read and
//! changed by administrators, validated on its fields, kept valid by the database itself,
//! audited, and safe against two administrators changing different settings at once.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{as_person, TestApp};
use crate::on_both_backends;

async fn patch(client: &reqwest::Client, app: &TestApp, body: Value) -> (StatusCode, Value) {
    let response = client
        .request(Method::PATCH, app.api("/settings"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn settings_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'settings.changed'")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

on_both_backends! {
    administrators_read_and_change_the_external_user_lifecycle => |app: TestApp| async move {
        app.sign_in("alex.morgan").await;
        let (status, settings) = app.get_json("/settings").await;
        assert_eq!(status, StatusCode::OK, "{settings}");
        assert_eq!(
            settings,
            json!({ "audit": { "retentionDays": null }, "externalLifecycle": { "onLastAssignmentEnd": "blockThenDelete", "deleteAfterDays": 30 } })
        );

        let (status, changed) = patch(&app.client, &app, json!({ "externalLifecycle": { "onLastAssignmentEnd": "block" } })).await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["externalLifecycle"]["onLastAssignmentEnd"], "block");
        assert_eq!(changed["externalLifecycle"]["deleteAfterDays"], 30);
        let (_, read) = app.get_json("/settings").await;
        assert_eq!(read, changed, "the change was kept");

        // The change is audited with its values before and after, by the administrator.
        let (actor, details): (String, String) = sqlx::query_as(
            "SELECT actor_id, details_json FROM audit_events WHERE action = 'settings.changed'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(actor, "user-alex.morgan");
        assert!(details.contains("blockThenDelete → block"), "{details}");

        // A patch that changes nothing writes no event.
        let (status, _) = patch(&app.client, &app, json!({ "externalLifecycle": { "deleteAfterDays": 30 } })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(settings_events(&app).await, 1);
    };

    bad_settings_are_refused_on_their_field_and_change_nothing => |app: TestApp| async move {
        app.sign_in("alex.morgan").await;
        for days in [0, 3651] {
            let (status, problem) = patch(&app.client, &app, json!({ "externalLifecycle": { "onLastAssignmentEnd": "nothing", "deleteAfterDays": days } })).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
            assert_eq!(problem["errors"][0]["field"], "externalLifecycle.deleteAfterDays", "{problem}");
        }
        for body in [
            json!({ "externalLifecycle": { "onLastAssignmentEnd": "delete" } }),
            json!({ "externalLifecycle": { "deleteAfterDays": -3 } }),
            json!({ "externalLifecycle": null }),
            json!({ "auditRetentionDays": 10 }),
        ] {
            let (status, problem) = patch(&app.client, &app, body.clone()).await;
            assert!(status.is_client_error() && status != StatusCode::NOT_FOUND, "{body}: {status} {problem}");
            assert_eq!(problem["status"], status.as_u16(), "{body}: a problem+json body");
        }
        let (_, settings) = app.get_json("/settings").await;
        assert_eq!(settings["externalLifecycle"]["onLastAssignmentEnd"], "blockThenDelete", "nothing was half-applied");
        assert_eq!(settings_events(&app).await, 0);
    };

    the_database_keeps_the_settings_valid_whatever_writes_them => |app: TestApp| async move {
        for sql in [
            "UPDATE settings SET external_delete_after_days = 0 WHERE id = 1",
            "UPDATE settings SET external_on_last_assignment_end = 'purge' WHERE id = 1",
            "INSERT INTO settings (id) VALUES (2)",
        ] {
            assert!(sqlx::query(sql).execute(&app.db).await.is_err(), "the database accepted: {sql}");
        }
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM settings").fetch_one(&app.db).await.unwrap();
        assert_eq!(rows, 1);
    };

    two_administrators_changing_different_settings_at_once_both_keep_their_change => |app: TestApp| async move {
        let first = as_person(&app, "alex.morgan").await;
        let second = as_person(&app, "alex.morgan").await;
        for round in 0..6u32 {
            let days = 40 + round;
            let action = if round % 2 == 0 { "nothing" } else { "block" };
            let (a, b) = tokio::join!(
                patch(&first, &app, json!({ "externalLifecycle": { "onLastAssignmentEnd": action } })),
                patch(&second, &app, json!({ "externalLifecycle": { "deleteAfterDays": days } })),
            );
            assert_eq!(a.0, StatusCode::OK, "{}", a.1);
            assert_eq!(b.0, StatusCode::OK, "{}", b.1);
            let settings: Value = first.get(app.api("/settings")).send().await.unwrap().json().await.unwrap();
            assert_eq!(settings["externalLifecycle"]["onLastAssignmentEnd"], action, "round {round}: {settings}");
            assert_eq!(settings["externalLifecycle"]["deleteAfterDays"], days, "round {round}: {settings}");
        }
    };

    only_administrators_see_or_change_settings => |app: TestApp| async move {
        for person in ["priya.shah", "sam.taylor", "pat.quinn@fabrikam.example"] {
            let client = as_person(&app, person).await;
            let status = client.get(app.api("/settings")).send().await.unwrap().status();
            assert_eq!(status, StatusCode::FORBIDDEN, "{person} reads");
            let (status, _) = patch(&client, &app, json!({ "externalLifecycle": { "onLastAssignmentEnd": "nothing" } })).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{person} changes");
        }
        let (_, settings) = {
            app.sign_in("alex.morgan").await;
            app.get_json("/settings").await
        };
        assert_eq!(settings["externalLifecycle"]["onLastAssignmentEnd"], "blockThenDelete");
    };
}
