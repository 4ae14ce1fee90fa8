//! The audit log (issue 11): a hash chain that verifies after a realistic run and names the
//! first bad event after a row is altered by hand; triggers that refuse UPDATE and DELETE;
//! the filtered, paged page; the CSV export matching the page; and who may read what.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{as_person, TestApp};
use crate::on_both_backends;

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    let response = client.post(app.api(path)).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, client: &Client, path: &str) -> (StatusCode, Value) {
    let response = client.get(app.api(path)).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn add(package: &str, policy: &str) -> Value {
    json!({ "accessPackageId": package, "policyId": policy, "type": "userAdd", "justification": "Quarterly planning", "answers": [] })
}

/// Sam asks for Finance Reporting (Business catalog), Daniel and Fatima approve both
/// stages; Sam also takes Engineering Onboarding (Engineering catalog), delivered at once;
/// Alex changes a setting. Returns the Finance Reporting request's id.
async fn realistic_run(app: &TestApp) -> String {
    let sam = as_person(app, "sam.taylor").await;
    let (status, view) = post(
        app,
        &sam,
        "/requests",
        add("ap-finance-reporting", "pol-finance-reporting"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let id = view["request"]["id"].as_str().unwrap().to_owned();
    let daniel = as_person(app, "daniel.kim").await;
    let (status, _) = post(
        app,
        &daniel,
        &format!("/requests/{id}/decisions"),
        json!({ "decision": "approve" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let fatima = as_person(app, "fatima.rahman").await;
    let (status, view) = post(
        app,
        &fatima,
        &format!("/requests/{id}/decisions"),
        json!({ "decision": "approve", "justification": "Budget owner" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let (status, _) = post(
        app,
        &sam,
        "/requests",
        add("ap-engineering-onboarding", "pol-engineering-onboarding"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let alex = as_person(app, "alex.morgan").await;
    let response = alex
        .patch(app.api("/settings"))
        .json(&json!({ "externalLifecycle": { "deleteAfterDays": 45 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    id
}

fn is_sqlite(app: &TestApp) -> bool {
    app.database_url.starts_with("sqlite")
}

async fn drop_triggers(app: &TestApp) {
    let sql = match is_sqlite(app) {
        true => "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;",
        false => "DROP TRIGGER audit_events_append_only ON audit_events;",
    };
    sqlx::raw_sql(sql).execute(&app.db).await.unwrap();
}

async fn seq_of(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT seq FROM audit_events WHERE action = $1 ORDER BY seq LIMIT 1")
        .bind(action)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

on_both_backends! {
    the_chain_verifies_after_a_realistic_run_and_names_the_first_altered_event => |app: TestApp| async move {
        realistic_run(&app).await;
        let alex = as_person(&app, "alex.morgan").await;
        let (status, check) = get(&app, &alex, "/audit/verify").await;
        assert_eq!(status, StatusCode::OK, "{check}");
        assert!(check["firstBad"].is_null(), "{check}");
        let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&app.db).await.unwrap();
        assert!(events >= 10, "a realistic run writes events: {events}");
        assert_eq!(check["events"], events, "{check}");
        assert_eq!(check["firstSeq"], 1);
        assert_eq!(check["lastSeq"], events);

        // Someone with database access drops the guard and rewrites an approval's reason.
        drop_triggers(&app).await;
        let approved = seq_of(&app, "request.approved").await;
        sqlx::query("UPDATE audit_events SET details_json = REPLACE(details_json, 'Budget owner', 'Looks fine') WHERE seq = $1")
            .bind(approved)
            .execute(&app.db)
            .await
            .unwrap();
        let (_, check) = get(&app, &alex, "/audit/verify").await;
        assert_eq!(check["firstBad"]["seq"], approved, "{check}");
        assert!(check["firstBad"]["reason"].as_str().unwrap().contains("altered"), "{check}");
        assert_eq!(check["events"], approved - 1, "every event before it verifies");
        let direct = entrada_server::audit::verify(&app.db).await.unwrap();
        assert_eq!(direct.first_bad.unwrap().seq, approved);
    };

    a_removed_event_is_named_as_missing => |app: TestApp| async move {
        realistic_run(&app).await;
        drop_triggers(&app).await;
        let signed_in = seq_of(&app, "session.signedIn").await;
        sqlx::query("DELETE FROM audit_events WHERE seq = $1").bind(signed_in).execute(&app.db).await.unwrap();
        let check = entrada_server::audit::verify(&app.db).await.unwrap();
        let bad = check.first_bad.expect("the gap is found");
        assert_eq!(bad.seq, signed_in + 1, "the event after the gap is named");
        assert!(bad.reason.contains("missing"), "{}", bad.reason);

        // Removing the newest event is found too: the head remembers it.
        let last: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM audit_events").fetch_one(&app.db).await.unwrap();
        sqlx::query("DELETE FROM audit_events WHERE seq = $1").bind(last).execute(&app.db).await.unwrap();
        sqlx::query("DELETE FROM audit_events WHERE seq <> $1").bind(last - 1).execute(&app.db).await.unwrap();
        let bad = entrada_server::audit::verify(&app.db).await.unwrap().first_bad.unwrap();
        assert!(bad.reason.contains("missing"), "{}", bad.reason);
    };

    the_database_refuses_to_update_or_delete_audit_events => |app: TestApp| async move {
        realistic_run(&app).await;
        let update = sqlx::query("UPDATE audit_events SET action = 'request.denied' WHERE action = 'request.approved'")
            .execute(&app.db)
            .await;
        assert!(update.is_err(), "UPDATE is refused");
        let delete = sqlx::query("DELETE FROM audit_events").execute(&app.db).await;
        assert!(delete.is_err(), "DELETE is refused");
        let check = entrada_server::audit::verify(&app.db).await.unwrap();
        assert!(check.verified(), "{check:?}");
        if !is_sqlite(&app) {
            let truncate = sqlx::query("TRUNCATE audit_events").execute(&app.db).await;
            assert!(truncate.is_err(), "TRUNCATE is refused");
        }
    };

    the_page_filters_pages_by_cursor_and_the_csv_matches_it => |app: TestApp| async move {
        let request = realistic_run(&app).await;
        let alex = as_person(&app, "alex.morgan").await;

        // Who approved Sam's Finance Reporting request, and when.
        let (status, page) = get(&app, &alex, "/audit?target=user-sam.taylor&action=request.approved").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let events = page["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{page}");
        assert_eq!(events[0]["actor"]["name"], "Fatima Rahman");
        assert_eq!(events[0]["subject"]["name"], "Sam Taylor");
        assert_eq!(events[0]["package"]["name"], "Finance Reporting");
        assert_eq!(events[0]["targetId"], request.as_str());
        assert_eq!(events[0]["details"]["justification"], "Budget owner");

        // Everything about Sam, two at a time, newest first, pages that join up.
        let (_, all) = get(&app, &alex, "/audit?target=user-sam.taylor&limit=200").await;
        let all: Vec<Value> = all["events"].as_array().unwrap().clone();
        assert!(all.len() >= 5, "{all:?}");
        let mut paged = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                None => "/audit?target=user-sam.taylor&limit=2".to_owned(),
                Some(cursor) => format!("/audit?target=user-sam.taylor&limit=2&cursor={cursor}"),
            };
            let (status, page) = get(&app, &alex, &path).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            paged.extend(page["events"].as_array().unwrap().iter().cloned());
            match page["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(paged, all, "the pages together are the whole list, in order");
        let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first: {seqs:?}");

        // The CSV of the same filter has the same events in the same order.
        let response = alex.get(app.api("/audit.csv?target=user-sam.taylor")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = response.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].starts_with("time,sequence,action,actor id,actor"), "{}", lines[0]);
        assert_eq!(lines.len() - 1, all.len(), "{csv}");
        for (line, event) in lines[1..].iter().zip(&all) {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields[1], event["seq"].as_i64().unwrap().to_string());
            assert_eq!(fields[2], event["action"].as_str().unwrap());
        }

        // Bad filters are named field by field.
        let (status, problem) = get(&app, &alex, "/audit?from=yesterday&action=request.teleported&limit=0").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["from", "action", "limit"]);
    };

    a_catalog_owner_reads_only_their_catalogs_events => |app: TestApp| async move {
        realistic_run(&app).await;
        // Priya owns Engineering; Sam's Finance Reporting request is in Business.
        let priya = as_person(&app, "priya.shah").await;
        let (status, page) = get(&app, &priya, "/audit?limit=200").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let events = page["events"].as_array().unwrap();
        assert!(!events.is_empty());
        assert!(events.iter().all(|e| e["catalog"]["id"] == "cat-engineering"), "{page}");
        let (_, business) = get(&app, &priya, "/audit?catalog=cat-business-apps").await;
        assert_eq!(business["events"], json!([]), "asking for another catalog shows nothing");
        let csv = priya.get(app.api("/audit.csv")).send().await.unwrap().text().await.unwrap();
        assert!(!csv.contains("Finance Reporting"), "{csv}");
        // Settings and sign-ins belong to no catalog: administrators only.
        assert!(events.iter().all(|e| e["action"] != "settings.changed"));

        let sam = as_person(&app, "sam.taylor").await;
        let (status, _) = get(&app, &sam, "/audit").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = get(&app, &priya, "/audit/verify").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    };
}

on_both_backends! {
    retention_prunes_old_events_and_the_chain_verifies_from_the_first_kept => |app: TestApp| async move {
        realistic_run(&app).await;
        let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&app.db).await.unwrap();

        // Kept for ever by default: the job prunes nothing however old events are.
        app.clock.advance(time::Duration::days(400));
        let outcome = entrada_server::jobs::run_once(&app.db, entrada_server::Clock::now(app.clock.as_ref())).await.unwrap();
        assert_eq!(outcome.audit_pruned, 0);

        let alex = as_person(&app, "alex.morgan").await;
        let response = alex.patch(app.api("/settings")).json(&json!({ "audit": { "retentionDays": 30 } })).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let outcome = entrada_server::jobs::run_once(&app.db, entrada_server::Clock::now(app.clock.as_ref())).await.unwrap();
        // Everything before today's sign-in is older than 30 days.
        assert_eq!(outcome.audit_pruned as i64, before, "{outcome:?}");
        let check = entrada_server::audit::verify(&app.db).await.unwrap();
        assert!(check.verified(), "{check:?}");
        assert_eq!(check.first_seq, Some(before + 1), "today's sign-in is the first kept");
        let (_, page) = get(&app, &alex, "/audit?action=audit.pruned").await;
        assert_eq!(page["events"][0]["details"]["deleted"], before.to_string(), "{page}");
        assert!(page["events"][0]["actor"].is_null(), "the system pruned");

        // Running again prunes nothing more.
        let outcome = entrada_server::jobs::run_once(&app.db, entrada_server::Clock::now(app.clock.as_ref())).await.unwrap();
        assert_eq!(outcome.audit_pruned, 0);

        // Deleting the first kept event by hand is still found.
        drop_triggers(&app).await;
        sqlx::query("DELETE FROM audit_events WHERE seq = $1").bind(before + 1).execute(&app.db).await.unwrap();
        let check = entrada_server::audit::verify(&app.db).await.unwrap();
        assert!(check.first_bad.unwrap().reason.contains("prune"), "an unrecorded gap at the start");
    };
}

on_both_backends! {
    reports_say_who_has_what_since_when_and_through_which_policy_and_request => |app: TestApp| async move {
        let before_run = entrada_server::Clock::now(app.clock.as_ref());
        app.clock.advance(time::Duration::hours(1));
        let request = realistic_run(&app).await;
        let alex = as_person(&app, "alex.morgan").await;

        let (status, report) = get(&app, &alex, "/reports/access-packages/ap-finance-reporting").await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let holders = report["holders"].as_array().unwrap();
        let sam = holders.iter().find(|h| h["person"]["id"] == "user-sam.taylor").expect("Sam holds it");
        assert_eq!(sam["requestId"], request.as_str());
        assert!(sam["policy"]["name"].as_str().is_some_and(|name| !name.is_empty()), "{sam}");
        assert_eq!(sam["state"], "delivered");

        // Who had the Ledger Viewer role, now and before Sam's request.
        let (status, now) = get(&app, &alex, "/reports/resources/res-business-apps-app-ledger").await;
        assert_eq!(status, StatusCode::OK, "{now}");
        let viewers = now["roles"].as_array().unwrap().iter().find(|r| r["role"]["id"] == "viewer").unwrap().clone();
        let sam_viewer = viewers["holders"].as_array().unwrap().iter().find(|h| h["person"]["id"] == "user-sam.taylor").expect("Sam is a viewer").clone();
        assert_eq!(sam_viewer["via"]["package"]["name"], "Finance Reporting");
        let outside = now["roles"].as_array().unwrap().iter().flat_map(|r| r["holders"].as_array().unwrap().clone()).filter(|h| h["via"].is_null()).count();
        assert!(outside >= 1, "access granted outside Entrada is listed too: {now}");
        let at = before_run.format(&time::format_description::well_known::Rfc3339).unwrap();
        let (status, earlier) = get(&app, &alex, &format!("/reports/resources/res-business-apps-app-ledger?at={at}")).await;
        assert_eq!(status, StatusCode::OK, "{earlier}");
        assert_eq!(earlier["now"], false);
        assert!(!earlier.to_string().contains("user-sam.taylor"), "Sam was not a viewer then: {earlier}");

        // Everything Sam holds and requested, with who decided.
        let (status, person) = get(&app, &alex, "/reports/people/user-sam.taylor").await;
        assert_eq!(status, StatusCode::OK, "{person}");
        assert_eq!(person["holdings"].as_array().unwrap().len(), 2, "{person}");
        let finance = person["requests"].as_array().unwrap().iter().find(|r| r["requestId"] == request.as_str()).unwrap().clone();
        let deciders: Vec<&str> = finance["deciders"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert_eq!(deciders, ["Daniel Kim", "Fatima Rahman"]);

        // Each as CSV.
        let csv = alex.get(app.api("/reports/people/user-sam.taylor.csv")).send().await.unwrap();
        assert_eq!(csv.status(), StatusCode::OK);
        let csv = csv.text().await.unwrap();
        assert!(csv.lines().any(|l| l.starts_with("holds,Sam Taylor,") && l.contains("Finance Reporting")), "{csv}");
        assert!(csv.lines().any(|l| l.starts_with("requested,") && l.contains("Daniel Kim; Fatima Rahman")), "{csv}");
        let csv = alex.get(app.api("/reports/access-packages/ap-finance-reporting.csv")).send().await.unwrap().text().await.unwrap();
        assert!(csv.contains(&request), "{csv}");
        let csv = alex.get(app.api("/reports/resources/res-business-apps-app-ledger.csv")).send().await.unwrap().text().await.unwrap();
        assert!(csv.lines().any(|l| l.starts_with("Viewer,Sam Taylor,access package,Finance Reporting")), "{csv}");

        // Priya (Engineering) may not read a Business report; Sam may read none; bad input is named.
        let priya = as_person(&app, "priya.shah").await;
        let (status, _) = get(&app, &priya, "/reports/access-packages/ap-finance-reporting").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, priya_sees) = get(&app, &priya, "/reports/people/user-sam.taylor").await;
        assert_eq!(priya_sees["holdings"].as_array().unwrap().len(), 1, "only Engineering: {priya_sees}");
        let sam = as_person(&app, "sam.taylor").await;
        let (status, _) = get(&app, &sam, "/reports/people/user-sam.taylor").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, problem) = get(&app, &alex, "/reports/access-packages/ap-finance-reporting?at=last-week").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "at");
    };
}

// schemathesis (`cargo xtask harden`) found the document naming the actions by their Rust
// variants (`CatalogCreated`) while the API sends their stored names (`catalog.created`).
on_both_backends! {
    the_audit_log_sends_only_actions_its_document_names => |app: TestApp| async move {
        let alex = as_person(&app, "alex.morgan").await;
        let (status, _) = post(&app, &alex, "/catalogs", json!({ "name": "Documented" })).await;
        assert_eq!(status, StatusCode::CREATED);
        let document = crate::helpers::openapi_document(&app).await;
        let documented: Vec<&str> = document["components"]["schemas"]["AuditAction"]["enum"]
            .as_array()
            .expect("AuditAction lists its values")
            .iter()
            .map(|value| value.as_str().unwrap())
            .collect();
        let every: Vec<&str> = entrada_domain::audit::AuditAction::ALL.iter().map(|action| action.as_str()).collect();
        assert_eq!(documented, every);
        let (status, page) = get(&app, &alex, "/audit").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let sent: Vec<&str> = page["events"].as_array().unwrap().iter().map(|event| event["action"].as_str().unwrap()).collect();
        assert!(sent.contains(&"catalog.created"), "{sent:?}");
        for action in sent {
            assert!(documented.contains(&action), "{action} is sent but not documented");
        }
    };
}
