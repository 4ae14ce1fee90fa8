//! `entrada demo --scale` (issue 12): a small scaled organisation is what the product
//! itself would have made: people sign in, My Access marks what each holds and has asked
//! for, the busy approver's inbox holds their requests, and the audit chain verifies.

use reqwest::StatusCode;
use serde_json::Value;

use entrada_server::clock::Clock;

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

on_both_backends! {
    a_scaled_organisation_is_whole_and_usable => |app: TestApp| async move {
        let size = entrada_server::scale::grow(&app.db, app.clock.now(), 0.005).await.unwrap();
        assert_eq!((size.people, size.groups, size.packages, size.pending_requests, size.busiest_inbox), (50, 10, 3, 5, 1));
        // Three packages: each person holds all three.
        assert_eq!(size.assignments, 150);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE email LIKE '%@scale.lakeshore.example'").await, 50);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM assignments WHERE id LIKE 'asg-s%' AND state = 'delivered'").await, 150);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM access_requests WHERE state = 'pendingApproval'").await, 5);
        assert!(count(&app, "SELECT COUNT(*) FROM audit_events").await >= 5_000);

        // Person 7 signs in: My Access offers the all-members packages, marking the ones held.
        let client = app.new_client();
        let response = app.sign_in_as(&client, &entrada_server::scale::person_email(7)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let offers: Value = client.get(app.api("/my/access-packages?search=scale")).send().await.unwrap().json().await.unwrap();
        let offers = offers.as_array().unwrap();
        assert!(!offers.is_empty());
        assert!(offers.iter().all(|offer| offer["assignment"]["userId"] == "user-s7"), "{offers:?}");
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assignments WHERE user_id = 'user-s7'").fetch_one(&app.db).await.unwrap();
        assert_eq!(held, 3);

        // Person 1 asked person 0, the busy approver.
        let approver = app.new_client();
        app.sign_in_as(&approver, &entrada_server::scale::person_email(0)).await;
        let inbox: Value = approver.get(app.api("/approvals")).send().await.unwrap().json().await.unwrap();
        let requestors: Vec<&str> = inbox.as_array().unwrap().iter().map(|view| view["request"]["requestor"].as_str().unwrap()).collect();
        assert_eq!(requestors, ["user-s1"]);

        // Everything the generator wrote is on the chain.
        let admin = app.new_client();
        app.sign_in_as(&admin, "alex.morgan").await;
        let check: Value = admin.get(app.api("/audit/verify")).send().await.unwrap().json().await.unwrap();
        assert!(check["firstBad"].is_null(), "{check}");

        // A second run refuses rather than doubling the organisation.
        let again = entrada_server::scale::grow(&app.db, app.clock.now(), 0.005).await;
        assert!(matches!(again, Err(entrada_server::scale::ScaleError::AlreadyScaled)));
    };
}
