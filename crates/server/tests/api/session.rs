//! Signing in and out, sessions, and the errors around them.

use reqwest::StatusCode;
use serde_json::json;
use time::Duration;

use crate::helpers::{assert_problem, TestApp};
use crate::on_both_backends;

on_both_backends! {
    sign_in_returns_the_person_and_sets_an_http_only_session_cookie => |app: TestApp| async move {
        let response = app.sign_in_as(&app.client, "sam.taylor").await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(cookie.starts_with("entrada_session="), "{cookie}");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
        let me: serde_json::Value = response.json().await.unwrap();
        assert_eq!(me["user"]["displayName"], "Sam Taylor");
        assert_eq!(me["user"]["kind"], "member");

        let (status, me) = app.get_json("/me").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["user"]["email"], "sam.taylor@lakeshore.example");
        assert_eq!(me["globalRoles"], json!([]));
    };

    me_lists_roles_of_an_administrator_and_a_catalog_owner => |app: TestApp| async move {
        app.sign_in("alex.morgan").await;
        let (_, me) = app.get_json("/me").await;
        assert_eq!(me["globalRoles"], json!(["administrator"]));

        let owner = app.new_client();
        app.sign_in_as(&owner, "priya.shah").await;
        let me: serde_json::Value = owner.get(app.api("/me")).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["catalogRoles"], json!([{ "catalogId": "cat-engineering", "catalogName": "Engineering", "role": "owner" }]));
    };

    sign_in_is_case_insensitive_on_the_email => |app: TestApp| async move {
        let response = app.sign_in_as(&app.client, "Sam.Taylor@LAKESHORE.example").await;
        assert_eq!(response.status(), StatusCode::OK);
    };

    wrong_password_gets_401_problem_json => |app: TestApp| async move {
        let response = app.client.post(app.api("/session"))
            .json(&json!({ "email": "sam.taylor@lakeshore.example", "password": "not-the-password" }))
            .send().await.unwrap();
        let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(problem["detail"], "That e-mail and password don't match an account.");
        assert_eq!(app.get_json("/me").await.0, StatusCode::UNAUTHORIZED);
    };

    unknown_email_gets_the_same_401_as_a_wrong_password => |app: TestApp| async move {
        let response = app.client.post(app.api("/session"))
            .json(&json!({ "email": "nobody@lakeshore.example", "password": "entrada-demo" }))
            .send().await.unwrap();
        let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(problem["detail"], "That e-mail and password don't match an account.");
    };

    empty_fields_get_422_naming_each_field => |app: TestApp| async move {
        let response = app.client.post(app.api("/session")).json(&json!({ "email": "not-an-email", "password": "" })).send().await.unwrap();
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["email", "password"]);
    };

    malformed_json_gets_400_problem_json => |app: TestApp| async move {
        let response = app.client.post(app.api("/session")).header("content-type", "application/json").body("{\"email\":").send().await.unwrap();
        let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
        assert!(problem["detail"].as_str().unwrap().contains("not valid JSON"), "{problem}");

        let wrong_shape = app.client.post(app.api("/session")).json(&json!({ "email": 42 })).send().await.unwrap();
        assert_problem(wrong_shape, StatusCode::BAD_REQUEST).await;

        let not_json = app.client.post(app.api("/session")).body("email=a").send().await.unwrap();
        assert_problem(not_json, StatusCode::BAD_REQUEST).await;
    };

    body_over_the_limit_gets_413_problem_json => |app: TestApp| async move {
        let huge = format!("{{\"email\":\"a@b.example\",\"password\":\"{}\"}}", "x".repeat(300 * 1024));
        let response = app.client.post(app.api("/session")).header("content-type", "application/json").body(huge).send().await.unwrap();
        assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    };

    me_without_a_session_gets_401_problem_json => |app: TestApp| async move {
        let response = app.client.get(app.api("/me")).send().await.unwrap();
        let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(problem["title"], "Not signed in");
    };

    expired_session_gets_401_problem_json => |app: TestApp| async move {
        app.sign_in("sam.taylor").await;
        app.clock.advance(Duration::hours(11));
        assert_eq!(app.get_json("/me").await.0, StatusCode::OK, "used within the idle limit");
        app.clock.advance(Duration::hours(12) + Duration::minutes(1));
        let response = app.client.get(app.api("/me")).send().await.unwrap();
        let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(problem["title"], "Session expired");
    };

    a_session_in_use_still_ends_after_seven_days => |app: TestApp| async move {
        app.sign_in("sam.taylor").await;
        for _ in 0..15 {
            app.clock.advance(Duration::hours(11));
            assert_eq!(app.get_json("/me").await.0, StatusCode::OK);
        }
        app.clock.advance(Duration::hours(11));
        assert_eq!(app.get_json("/me").await.0, StatusCode::UNAUTHORIZED);
    };

    sign_out_ends_the_session => |app: TestApp| async move {
        app.sign_in("sam.taylor").await;
        let response = app.client.delete(app.api("/session")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let cookie = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(cookie.contains("Max-Age=0"), "{cookie}");
        assert_eq!(app.get_json("/me").await.0, StatusCode::UNAUTHORIZED);
    };

    a_burst_of_requests_each_gets_its_own_person_and_an_ended_session_none => |app: TestApp| async move {
        // Sessions are read together under load (one query for many requests): each
        // answer must still be its own person's, and a session ended a moment before the
        // burst must be refused in every request of it.
        let names = ["sam.taylor", "lena.fischer", "omar.haddad", "daniel.kim", "alex.morgan", "priya.shah"];
        let mut cookies = Vec::new();
        for name in names {
            let response = app.sign_in_as(&app.new_client(), name).await;
            assert_eq!(response.status(), StatusCode::OK, "{name} signs in");
            let set = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("");
            let cookie = set.split(';').next().unwrap_or("").to_owned();
            assert!(cookie.starts_with("entrada_session="), "{set}");
            cookies.push((name, cookie));
        }
        let plain = reqwest::Client::new();
        let (omar, omars_cookie) = &cookies[2];
        let out = plain.delete(app.api("/session")).header("cookie", omars_cookie).send().await.unwrap();
        assert_eq!(out.status(), StatusCode::NO_CONTENT, "{omar} signs out");

        let mut burst = tokio::task::JoinSet::new();
        for _ in 0..8 {
            for (name, cookie) in &cookies {
                let request = plain.get(app.api("/me")).header("cookie", cookie.clone());
                let name = name.to_string();
                burst.spawn(async move {
                    let response = request.send().await.unwrap();
                    let status = response.status();
                    let body: serde_json::Value = response.json().await.unwrap();
                    (name, status, body)
                });
            }
        }
        let (mut answered, mut refused) = (0, 0);
        while let Some(joined) = burst.join_next().await {
            let (name, status, body) = joined.unwrap();
            if name == *omar {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
                refused += 1;
            } else {
                assert_eq!(status, StatusCode::OK, "{name}: {body}");
                assert_eq!(body["user"]["email"], format!("{name}@lakeshore.example"), "{name} gets their own person");
                answered += 1;
            }
        }
        assert_eq!((answered, refused), (40, 8));
    };

    sign_in_and_out_are_audited => |app: TestApp| async move {
        app.sign_in("sam.taylor").await;
        app.client.delete(app.api("/session")).send().await.unwrap();
        let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_events WHERE actor_id = $1 ORDER BY at, action")
            .bind("user-sam.taylor").fetch_all(&app.db).await.unwrap();
        assert_eq!(actions, ["session.signedIn", "session.signedOut"]);
    };

    ended_sessions_are_deleted_by_the_job => |app: TestApp| async move {
        app.sign_in("sam.taylor").await;
        app.clock.advance(Duration::hours(13));
        let outcome = entrada_server::jobs::run_once(&app.db, entrada_server::Clock::now(app.clock.as_ref())).await.unwrap();
        assert_eq!(outcome.sessions_deleted, 1);
        let again = entrada_server::jobs::run_once(&app.db, entrada_server::Clock::now(app.clock.as_ref())).await.unwrap();
        assert_eq!(again.sessions_deleted, 0, "the job is idempotent");
    };

    accounts_added_from_the_command_line_can_sign_in => |app: TestApp| async move {
        use entrada_server::accounts::{add_member, AddUserError, NewMember};
        let member = NewMember { email: "Jo.New@Lakeshore.example".into(), display_name: "Jo New".into(), administrator: true, password: "a-long-password".into() };
        add_member(&app.db, member.clone(), time::OffsetDateTime::now_utc()).await.unwrap();
        let duplicate = add_member(&app.db, member.clone(), time::OffsetDateTime::now_utc()).await;
        assert!(matches!(duplicate, Err(AddUserError::Duplicate(_))), "{duplicate:?}");
        let short = add_member(&app.db, NewMember { email: "x@y.example".into(), password: "short".into(), ..member }, time::OffsetDateTime::now_utc()).await;
        assert!(matches!(short, Err(AddUserError::ShortPassword)), "{short:?}");

        let response = app.client.post(app.api("/session")).json(&json!({ "email": "jo.new@lakeshore.example", "password": "a-long-password" })).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let (_, me) = app.get_json("/me").await;
        assert_eq!(me["globalRoles"], json!(["administrator"]));
    };
}
