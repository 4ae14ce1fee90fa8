//! My Access and package links.

use reqwest::StatusCode;

use crate::helpers::{assert_problem, TestApp};
use crate::on_both_backends;

on_both_backends! {
    my_access_lists_what_each_person_may_request => |mut app: TestApp| async move {
        app.sign_in("sam.taylor").await;
        assert_eq!(app.my_package_names(None).await, ["Company Wiki Editors", "Engineering Onboarding", "Finance Reporting"]);

        app.client = app.new_client();
        app.sign_in("ethan.brooks").await;
        assert_eq!(app.my_package_names(None).await, ["Company Wiki Editors", "Finance Reporting", "Sales CRM"]);

        app.client = app.new_client();
        app.sign_in("pat.quinn@fabrikam.example").await;
        assert_eq!(app.my_package_names(None).await, ["Contract Bids", "Partner Collaboration"]);
    };

    offers_carry_the_policies_the_person_may_request_through => |app: TestApp| async move {
        app.sign_in("sam.taylor").await;
        let (_, offers) = app.get_json("/my/access-packages?search=finance").await;
        let offer = &offers[0];
        assert_eq!(offer["catalogName"], "Business Applications");
        assert_eq!(offer["package"]["resourceRoles"][0]["resourceName"], "Ledger");
        assert_eq!(offer["policies"][0]["stages"].as_array().unwrap().len(), 2);
        assert_eq!(offer["policies"][0]["expiration"], serde_json::json!({ "kind": "afterDays", "days": 90 }));
    };

    search_matches_every_word_in_names_descriptions_and_resources => |app: TestApp| async move {
        app.sign_in("sam.taylor").await;
        assert_eq!(app.my_package_names(Some("wiki")).await, ["Company Wiki Editors", "Engineering Onboarding"]);
        assert_eq!(app.my_package_names(Some("LEDGER")).await, ["Finance Reporting"]);
        assert_eq!(app.my_package_names(Some("wiki%20hub")).await, ["Engineering Onboarding"]);
        assert!(app.my_package_names(Some("nothing-matches-this")).await.is_empty());
    };

    hidden_package_is_not_listed_but_opens_by_its_link => |app: TestApp| async move {
        app.sign_in("sam.taylor").await;
        assert!(!app.my_package_names(Some("falcon")).await.contains(&"Project Falcon".to_owned()));
        let (status, offer) = app.get_json("/access-packages/ap-project-falcon").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(offer["package"]["name"], "Project Falcon");
        assert_eq!(offer["package"]["hidden"], true);
        assert_eq!(offer["policies"].as_array().unwrap().len(), 1, "Sam may request it");
    };

    package_out_of_scope_opens_without_policies => |app: TestApp| async move {
        app.sign_in("ethan.brooks").await;
        let (status, offer) = app.get_json("/access-packages/ap-engineering-onboarding").await;
        assert_eq!(status, StatusCode::OK);
        assert!(offer["policies"].as_array().unwrap().is_empty());
    };

    unknown_package_id_gets_404_problem_json => |app: TestApp| async move {
        app.sign_in("sam.taylor").await;
        let response = app.client.get(app.api("/access-packages/does-not-exist")).send().await.unwrap();
        let problem = assert_problem(response, StatusCode::NOT_FOUND).await;
        assert_eq!(problem["detail"], "This access package doesn't exist or you can't see it.");
    };

    guest_gets_404_for_a_package_of_an_internal_catalog => |app: TestApp| async move {
        app.sign_in("pat.quinn@fabrikam.example").await;
        let response = app.client.get(app.api("/access-packages/ap-engineering-onboarding")).send().await.unwrap();
        assert_problem(response, StatusCode::NOT_FOUND).await;
        assert_eq!(app.get_json("/access-packages/ap-partner-collaboration").await.0, StatusCode::OK);
    };

    guest_cannot_open_an_internal_package_of_an_open_catalog_by_its_url => |mut app: TestApp| async move {
        // Issue 9, finding 10: Business Applications is open to partners (Partner
        // Collaboration), but Finance Reporting is for members only. Pat, from Fabrikam,
        // must not learn that it exists, let alone that it grants Ledger Viewer.
        app.sign_in("pat.quinn@fabrikam.example").await;
        let unknown = app.client.get(app.api("/access-packages/does-not-exist")).send().await.unwrap();
        let unknown = assert_problem(unknown, StatusCode::NOT_FOUND).await;
        let response = app.client.get(app.api("/access-packages/ap-finance-reporting")).send().await.unwrap();
        let problem = assert_problem(response, StatusCode::NOT_FOUND).await;
        assert_eq!(problem["detail"], unknown["detail"], "indistinguishable from an unknown id");
        assert!(!problem.to_string().contains("Ledger"), "{problem}");
        assert_eq!(app.get_json("/access-packages/ap-partner-collaboration").await.0, StatusCode::OK);

        // Asking for it through its policy says the same: no such access package.
        let response = app
            .client
            .post(app.api("/requests"))
            .json(&serde_json::json!({ "accessPackageId": "ap-finance-reporting", "policyId": "pol-finance-reporting", "type": "userAdd", "justification": "Reports", "answers": [] }))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["errors"][0]["field"], "accessPackageId", "{problem}");

        // A member still opens it by its link.
        app.client = app.new_client();
        app.sign_in("sam.taylor").await;
        assert_eq!(app.get_json("/access-packages/ap-finance-reporting").await.0, StatusCode::OK);
    };

    packages_need_a_session => |app: TestApp| async move {
        let response = app.client.get(app.api("/my/access-packages")).send().await.unwrap();
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
        let response = app.client.get(app.api("/access-packages/ap-company-wiki")).send().await.unwrap();
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
    };
}
