//! Entrada in a real headless Chromium, against the real server serving the built SPA,
//! at 1280×800 and at 390×844. Each test body runs once per size with its own server,
//! database and browser session (see `entrada_e2e::at_each_size`).

use anyhow::{ensure, Result};
use entrada_e2e::{at_each_size, eventually, input_labelled, test_name, Session, DEMO_PASSWORD};
use time::Duration;

const SAM: &str = "sam.taylor@lakeshore.example";
const ETHAN: &str = "ethan.brooks@lakeshore.example";
const ALEX: &str = "alex.morgan@lakeshore.example";

const WIKI: &str = "Company Wiki Editors";
const ONBOARDING: &str = "Engineering Onboarding";
const FINANCE: &str = "Finance Reporting";
const CRM: &str = "Sales CRM";
const FALCON: &str = "Project Falcon";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_shows_my_access_with_the_packages_the_person_may_request() -> Result<()> {
    at_each_size(test_name!(), async |s: &Session| {
        let browser = &s.browser;
        browser.goto("/").await?;
        browser.wait_for_path("/sign-in").await?;
        browser.sign_in(SAM, DEMO_PASSWORD).await?;
        browser.wait_for_path("/").await?;
        browser.wait_for_heading("My Access").await?;
        let listed = browser
            .wait_for_packages(&[WIKI, ONBOARDING, FINANCE])
            .await?;
        ensure!(
            !listed.iter().any(|name| name == FALCON),
            "hidden {FALCON} is listed"
        );

        browser.button("Sign out").await?.click().await?;
        browser.wait_for_path("/sign-in").await?;
        browser.sign_in(ETHAN, DEMO_PASSWORD).await?;
        browser.wait_for_heading("My Access").await?;
        let listed = browser.wait_for_packages(&[WIKI, FINANCE, CRM]).await?;
        ensure!(
            !listed.iter().any(|name| name == ONBOARDING),
            "a salesperson is offered {ONBOARDING}"
        );
        ensure!(
            !listed.iter().any(|name| name == FALCON),
            "hidden {FALCON} is listed"
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_filters_my_access() -> Result<()> {
    at_each_size(test_name!(), async |s: &Session| {
        let browser = &s.browser;
        browser.sign_in_from_start(SAM).await?;
        browser
            .wait_for_packages(&[WIKI, ONBOARDING, FINANCE])
            .await?;

        browser
            .input("Search access packages")
            .await?
            .send_keys("wiki")
            .await?;
        // Engineering Onboarding matches because it grants the Atlas Wiki.
        browser.wait_for_packages(&[WIKI, ONBOARDING]).await?;
        eventually("the search in the URL", async || {
            let location = browser.location().await?;
            ensure!(
                location.contains("search=wiki"),
                "the location is {location}"
            );
            Ok(())
        })
        .await?;
        browser.screenshot("searched").await?;

        // The URL is the search: opening it again shows the same result.
        browser.reload().await?;
        browser.wait_for_heading("My Access").await?;
        browser.wait_for_packages(&[WIKI, ONBOARDING]).await?;
        let value = browser
            .input("Search access packages")
            .await?
            .value()
            .await?;
        ensure!(
            value.as_deref() == Some("wiki"),
            "the search box holds {value:?}"
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_link_opened_cold_returns_to_package_after_sign_in() -> Result<()> {
    at_each_size(test_name!(), async |s: &Session| {
        let browser = &s.browser;
        browser.goto("/access-packages/ap-project-falcon").await?;
        let location = browser.wait_for_path("/sign-in").await?;
        ensure!(
            location.contains("next=/access-packages/ap-project-falcon"),
            "sign-in does not remember the package: {location}"
        );
        browser.sign_in(SAM, DEMO_PASSWORD).await?;
        browser
            .wait_for_path("/access-packages/ap-project-falcon")
            .await?;
        browser.wait_for_heading(FALCON).await?;
        browser.screenshot("package").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_shows_a_clear_error() -> Result<()> {
    at_each_size(test_name!(), async |s: &Session| {
        let browser = &s.browser;
        browser.goto("/sign-in").await?;
        browser.wait_for_heading("Sign in").await?;
        // Count the sign-in calls the page makes from here on.
        browser
            .script(
                "window.__signInCalls = 0;
                 const fetch = window.fetch;
                 window.fetch = function (input, init) {
                   const url = typeof input === 'string' ? input : input.url;
                   if (String(url).includes('/api/v1/session')) window.__signInCalls += 1;
                   return fetch.apply(this, arguments);
                 };
                 return null;",
            )
            .await?;
        let sign_in_calls = async || -> Result<i64> {
            let calls = browser.script("return window.__signInCalls;").await?;
            Ok(calls.as_i64().unwrap_or(-1))
        };

        // An empty e-mail address is caught next to the field, before any request.
        browser.submit_sign_in("", "some password").await?;
        let email = browser.input("E-mail").await?;
        let message = eventually("the e-mail field's error", async || {
            ensure!(
                email.attr("aria-invalid").await?.as_deref() == Some("true"),
                "the e-mail field is not marked invalid"
            );
            let described_by = email.attr("aria-describedby").await?.unwrap_or_default();
            ensure!(!described_by.is_empty(), "the field points at no message");
            // The message sits in the field's own container, next to the input.
            let xpath = format!("{}/../*[@id='{described_by}']", input_labelled("E-mail"));
            let message = browser.wait_for(&xpath).await?.text().await?;
            ensure!(!message.trim().is_empty(), "the field's message is empty");
            Ok(message)
        })
        .await?;
        ensure!(
            message.contains("Enter your e-mail address"),
            "the e-mail field says {message:?}"
        );
        ensure!(
            browser.location().await?.starts_with("/sign-in"),
            "left sign-in"
        );
        ensure!(
            sign_in_calls().await? == 0,
            "an empty form was sent to the server"
        );
        browser.screenshot("empty-email").await?;

        // A wrong password: the server's answer, in the alert, still on sign-in.
        browser.submit_sign_in(SAM, "not-the-password").await?;
        eventually("the wrong-password message", async || {
            let alert = browser.alert_text().await?;
            ensure!(
                alert.contains("That e-mail and password don't match an account."),
                "the alert reads {alert:?}"
            );
            Ok(())
        })
        .await?;
        ensure!(
            sign_in_calls().await? == 1,
            "the sign-in call was not counted once"
        );
        browser.wait_for_path("/sign-in").await?;
        browser.input("Password").await?;
        browser.screenshot("wrong-password").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_sign_in_says_how_long_to_wait() -> Result<()> {
    at_each_size(test_name!(), async |s: &Session| {
        let browser = &s.browser;
        // Ten failed sign-ins for Sam in the last minutes (as a password-guessing script
        // would leave them): the next try is paused, even with the right password.
        let now = entrada_server::Clock::now(s.app.clock.as_ref());
        let millis = i64::try_from(now.unix_timestamp_nanos() / 1_000_000)?;
        for attempt in 0..10 {
            sqlx::query(
                "INSERT INTO sign_in_attempts (id, account, address, attempted_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(format!("guess-{attempt}"))
            .bind(SAM)
            .bind("203.0.113.7")
            .bind(millis - 60_000)
            .execute(s.app.db())
            .await?;
        }
        browser.goto("/sign-in").await?;
        browser.submit_sign_in(SAM, DEMO_PASSWORD).await?;
        eventually("the throttled sign-in message", async || {
            let alert = browser.alert_text().await?;
            ensure!(
                alert.contains("Too many failed sign-ins") && alert.contains("try again in 14 minutes"),
                "the alert reads {alert:?}"
            );
            Ok(())
        })
        .await?;
        browser.wait_for_path("/sign-in").await?;
        browser.screenshot("throttled-sign-in").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_package_shows_not_found() -> Result<()> {
    at_each_size(test_name!(), async |s: &Session| {
        let browser = &s.browser;
        browser.sign_in_from_start(SAM).await?;
        browser.goto("/access-packages/does-not-exist").await?;
        browser.wait_for_heading("Access package not found").await?;
        browser
            .wait_for_text("This access package doesn't exist or you can't see it.")
            .await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_session_sends_the_person_back_to_sign_in() -> Result<()> {
    at_each_size(test_name!(), async |s: &Session| {
        let browser = &s.browser;
        browser.sign_in_from_start(SAM).await?;
        browser
            .wait_for_packages(&[WIKI, ONBOARDING, FINANCE])
            .await?;

        // Sessions end after 12 idle hours.
        s.app.clock.advance(Duration::hours(13));
        browser.reload().await?;
        browser.wait_for_path("/sign-in").await?;
        browser.wait_for_text("Your session has ended").await?;
        browser.screenshot("session-ended").await?;
        browser.sign_in(SAM, DEMO_PASSWORD).await?;
        browser.wait_for_path("/").await?;
        browser
            .wait_for_packages(&[WIKI, ONBOARDING, FINANCE])
            .await?;

        // Ending while the page is open: the next call sends the person to sign in, and
        // signing in returns to the search they were making.
        s.app.clock.advance(Duration::hours(13));
        browser
            .input("Search access packages")
            .await?
            .send_keys("wiki")
            .await?;
        let location = browser.wait_for_path("/sign-in").await?;
        ensure!(
            location.contains("search"),
            "sign-in does not remember the search: {location}"
        );
        browser.wait_for_text("Your session has ended").await?;
        browser.sign_in(SAM, DEMO_PASSWORD).await?;
        browser.wait_for_path("/").await?;
        browser.wait_for_packages(&[WIKI, ONBOARDING]).await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrator_sees_admin_navigation_and_member_does_not() -> Result<()> {
    at_each_size(test_name!(), async |s: &Session| {
        let browser = &s.browser;
        browser.sign_in_from_start(ALEX).await?;
        let links = eventually("the Admin link", async || {
            let links = browser.navigation_links().await?;
            ensure!(
                links.iter().any(|link| link == "Admin"),
                "the navigation shows {links:?}"
            );
            Ok(links)
        })
        .await?;
        ensure!(
            links == ["My Access", "Access", "Requests", "Approvals", "Admin"],
            "an administrator's navigation shows {links:?}"
        );
        browser.screenshot("admin").await?;

        browser.button("Sign out").await?.click().await?;
        browser.wait_for_path("/sign-in").await?;
        browser.sign_in(SAM, DEMO_PASSWORD).await?;
        // My Access renders only once the person is known, so the navigation is final.
        browser.wait_for_heading("My Access").await?;
        browser
            .wait_for_packages(&[WIKI, ONBOARDING, FINANCE])
            .await?;
        let links = browser.navigation_links().await?;
        ensure!(
            links == ["My Access", "Access", "Requests", "Approvals"],
            "a member's navigation shows {links:?}"
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_fit_the_viewport_without_sideways_scrolling() -> Result<()> {
    at_each_size(test_name!(), async |s: &Session| {
        let browser = &s.browser;
        let fits = async |page: &str| -> Result<()> {
            let widths = browser
                .script("return [document.documentElement.scrollWidth, window.innerWidth];")
                .await?;
            let (scroll, inner): (i64, i64) = serde_json::from_value(widths)?;
            ensure!(
                scroll <= inner,
                "{page} scrolls sideways at {}: {scroll} px wide in a {inner} px viewport",
                browser.size()
            );
            Ok(())
        };

        browser.goto("/sign-in").await?;
        browser.input("E-mail").await?;
        browser.screenshot("sign-in").await?;
        fits("sign-in").await?;

        browser.sign_in(SAM, DEMO_PASSWORD).await?;
        browser.wait_for_heading("My Access").await?;
        browser
            .wait_for_packages(&[WIKI, ONBOARDING, FINANCE])
            .await?;
        browser.screenshot("my-access").await?;
        fits("My Access").await?;

        browser
            .goto("/access-packages/ap-engineering-onboarding")
            .await?;
        browser.wait_for_heading(ONBOARDING).await?;
        browser.screenshot("package").await?;
        fits("the package page").await?;
        Ok(())
    })
    .await
}
