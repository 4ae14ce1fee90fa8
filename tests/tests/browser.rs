//! Entrada in a real headless Chromium, against the real server serving the built SPA,
//! at 1280×800 and at 390×844. Each test body runs once per size with its own server,
//! database and browser session (see `entrada_e2e::at_each_size`).

use anyhow::{ensure, Context, Result};
use entrada_e2e::{
    at_each_size, eventually, input_labelled, test_name, with_scene, Browser, Scene, Session,
    DEMO_PASSWORD, PHONE,
};
use serde_json::json;
use time::Duration;

const SAM: &str = "sam.taylor@lakeshore.example";
const ETHAN: &str = "ethan.brooks@lakeshore.example";
const ALEX: &str = "alex.morgan@lakeshore.example";

const WIKI: &str = "Company Wiki Editors";
const ONBOARDING: &str = "Engineering Onboarding";
const FINANCE: &str = "Finance Reporting";
const CRM: &str = "Sales CRM";
const FALCON: &str = "Project Falcon";

/// The sign-in page's message saying what stopped the form.
const SIGN_IN_ERROR: &str = "//*[@id='sign-in-error']";

/// On a phone the main navigation sits behind the header's Menu button: opens it.
async fn open_menu(browser: &Browser) -> Result<()> {
    if browser.size() != PHONE {
        return Ok(());
    }
    let button = browser.button("Menu").await?;
    if button.attr("aria-expanded").await?.as_deref() != Some("true") {
        browser.click(&button).await?;
    }
    browser.wait_for("//nav[@aria-label='Main']//a").await?;
    Ok(())
}

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

/// Signing in on the first load's page with a later page to go to (one the portal holds):
/// the first load cannot show it, so it loads the page, which the server answers with the
/// portal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_on_the_first_load_goes_on_to_a_page_the_portal_holds() -> Result<()> {
    at_each_size(test_name!(), async |s: &Session| {
        let browser = &s.browser;
        browser.goto("/sign-in?next=/requests").await?;
        browser.wait_for_heading("Sign in").await?;
        let first = browser.running_build().await?;
        ensure!(
            first.starts_with("/entrada-"),
            "/sign-in runs the first load, not {first}"
        );
        browser.sign_in(SAM, DEMO_PASSWORD).await?;
        browser.wait_for_path("/requests").await?;
        browser.wait_for_heading("Requests").await?;
        let portal = browser.running_build().await?;
        ensure!(
            portal.starts_with("/portal/entrada-portal-"),
            "/requests runs the portal, not {portal}"
        );
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
        // Issue 9, finding 8: the refused submit moves focus to what stopped it, not left
        // on the button.
        browser.wait_for_focus(SIGN_IN_ERROR).await?;
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
        // Focus is on the message, not dropped to the page body.
        browser.wait_for_focus(SIGN_IN_ERROR).await?;
        let focused = browser.focused().await?;
        ensure!(
            focused.contains("don't match an account"),
            "focus is on {focused}"
        );
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
            open_menu(browser).await?;
            let links = browser.navigation_links().await?;
            ensure!(
                links.iter().any(|link| link == "Admin"),
                "the navigation shows {links:?}"
            );
            Ok(links)
        })
        .await?;
        // On a phone the menu also holds the e-mail settings (the header has no room).
        let mut expected = vec!["Access packages", "Your access", "Requests", "Admin"];
        if browser.size().is_narrow() {
            expected.push("E-mail settings");
        }
        ensure!(
            links == expected,
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
        open_menu(browser).await?;
        let links = browser.navigation_links().await?;
        let mut expected = vec!["Access packages", "Your access", "Requests"];
        if browser.size().is_narrow() {
            expected.push("E-mail settings");
        }
        ensure!(links == expected, "a member's navigation shows {links:?}");
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

const DANIEL: &str = "daniel.kim@lakeshore.example";
const PAT: &str = "pat.quinn@fabrikam.example";

/// Sends a request of `kind` for a demo package through its one policy; returns its id.
async fn send(browser: &Browser, package: &str, kind: &str) -> Result<String> {
    let policy = package.replacen("ap-", "pol-", 1);
    let body = json!({
        "accessPackageId": package,
        "policyId": policy,
        "type": kind,
        "justification": "For the quarterly review.",
        "answers": [],
    });
    let (status, view) = browser.api("POST", "/requests", body).await?;
    ensure!(status == 201, "requesting {package}: {status} {view}");
    Ok(view["request"]["id"]
        .as_str()
        .context("the request has no id")?
        .to_owned())
}

/// The My Access card of the package named `name`.
fn offer_card(name: &str) -> String {
    format!("//article[contains(@class, 'package-card')][.//h2[normalize-space()='{name}']]")
}

/// Waits until the element at `xpath` reads every one of `texts`; returns its text.
async fn wait_for_reading(browser: &Browser, xpath: &str, texts: &[&str]) -> Result<String> {
    eventually(&format!("{xpath} to read {texts:?}"), async || {
        let text = browser.wait_for(xpath).await?.text().await?;
        ensure!(
            texts.iter().all(|want| text.contains(want)),
            "it reads {text:?}"
        );
        Ok(text)
    })
    .await
}

/// Issue 9, finding 5: on a phone, a package Sam holds says so and until when, one he asked
/// for says since when it is pending, each with what he can do next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_access_cards_say_what_you_hold_and_what_you_asked_for() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", PHONE, SAM).await?;
        let wiki = send(&sam, "ap-company-wiki", "userAdd").await?;
        let daniel = scene.signed_in("daniel", PHONE, DANIEL).await?;
        let (status, decided) = daniel
            .api(
                "POST",
                &format!("/requests/{wiki}/decisions"),
                json!({ "decision": "approve" }),
            )
            .await?;
        ensure!(status == 200, "Daniel approves: {status} {decided}");
        send(&sam, "ap-finance-reporting", "userAdd").await?;

        sam.reload().await?;
        sam.wait_for_heading("My Access").await?;
        let held = wait_for_reading(&sam, &offer_card(WIKI), &["You have this until"]).await?;
        ensure!(!held.contains("pending"), "the wiki card reads {held:?}");
        sam.wait_for(&format!(
            "{}//a[normalize-space()='Request more time'][@href='/access']",
            offer_card(WIKI)
        ))
        .await?;
        let pending =
            wait_for_reading(&sam, &offer_card(FINANCE), &["Request pending since"]).await?;
        ensure!(
            !pending.contains("You have this"),
            "the finance card reads {pending:?}"
        );
        let untouched = wait_for_reading(&sam, &offer_card(ONBOARDING), &[ONBOARDING]).await?;
        ensure!(
            !untouched.contains("You have this") && !untouched.contains("pending"),
            "a package Sam neither holds nor asked for reads {untouched:?}"
        );

        // Asking for more time on the wiki: its card says both.
        send(&sam, "ap-company-wiki", "userExtend").await?;
        sam.reload().await?;
        sam.wait_for_heading("My Access").await?;
        let both = wait_for_reading(
            &sam,
            &offer_card(WIKI),
            &[
                "You have this until",
                "A request about it is pending",
                "View request",
            ],
        )
        .await?;
        ensure!(
            !both.contains("Request more time"),
            "an extension is offered while one is pending: {both:?}"
        );
        let card = sam.wait_for(&offer_card(WIKI)).await?;
        sam.scroll_to(&card).await?;
        sam.screenshot("card").await?;

        // The pending request's action opens the request history.
        let view = sam
            .wait_for(&format!(
                "{}//a[normalize-space()='View request']",
                offer_card(FINANCE)
            ))
            .await?;
        sam.click(&view).await?;
        sam.wait_for_heading("Requests").await?;
        Ok(())
    })
    .await
}

/// Issue 9, finding 10: Pat (Fabrikam) opens Finance Reporting, a members-only package of
/// a catalog open to partners, by its address: it is not found, and nothing of it shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_opening_an_internal_package_by_its_link_finds_nothing() -> Result<()> {
    at_each_size(test_name!(), async |s: &Session| {
        let browser = &s.browser;
        browser.sign_in_from_start(PAT).await?;
        browser
            .goto("/access-packages/ap-finance-reporting")
            .await?;
        browser.wait_for_heading("Access package not found").await?;
        browser
            .wait_for_text("This access package doesn't exist or you can't see it.")
            .await?;
        let text = browser.wait_for("//main").await?.text().await?;
        ensure!(
            !text.contains(FINANCE) && !text.contains("Ledger"),
            "the page gives the package away: {text:?}"
        );
        browser.screenshot("not-found").await?;

        // Her own partner package still opens by its link.
        browser
            .goto("/access-packages/ap-partner-collaboration")
            .await?;
        browser.wait_for_heading("Partner Collaboration").await?;
        Ok(())
    })
    .await
}

/// Issue 9, finding 11: the phone header is one row for an administrator, with the
/// navigation behind a Menu button; Approvals shows, with how many wait, only to someone
/// who has something to decide; a guest opening /admin reads one message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_header_is_one_row_and_approvals_say_how_many_wait() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", PHONE, SAM).await?;
        send(&sam, "ap-company-wiki", "userAdd").await?;

        let alex = scene.signed_in("alex", PHONE, ALEX).await?;
        let rows = alex
            .script(
                "const top = (el) => el.getBoundingClientRect().top;
                 const bar = document.querySelector('.site-header .bar');
                 const parts = ['.brand', '.menu-button', '.account button']
                     .map((selector) => bar.querySelector(selector));
                 if (parts.some((part) => !part)) return null;
                 const centre = (el) => { const r = el.getBoundingClientRect(); return r.top + r.height / 2; };
                 return [bar.getBoundingClientRect().height, ...parts.map(centre),
                         document.documentElement.scrollWidth, window.innerWidth, top(bar)];",
            )
            .await?;
        let rows: Vec<f64> = serde_json::from_value(rows)?;
        let (height, brand, menu, account) = (rows[0], rows[1], rows[2], rows[3]);
        ensure!(
            height < 64.0,
            "the header bar is {height} px high: more than one row"
        );
        ensure!(
            (brand - menu).abs() < 6.0 && (brand - account).abs() < 6.0,
            "brand, Menu and Sign out are not on one row: {rows:?}"
        );
        ensure!(rows[4] <= rows[5], "the header scrolls sideways: {rows:?}");
        alex.screenshot("header").await?;

        // The menu opens below the row with every link, and Escape closes it again.
        open_menu(&alex).await?;
        let links = alex.navigation_links().await?;
        ensure!(
            links == ["Access packages", "Your access", "Requests", "Admin", "E-mail settings"],
            "Alex's menu shows {links:?}"
        );
        alex.screenshot("menu").await?;
        alex.press(thirtyfour::Key::Escape).await?;
        alex.wait_for_focus("//button[normalize-space()='Menu']").await?;
        ensure!(
            alex.navigation_links().await?.is_empty(),
            "the menu stays open after Escape"
        );

        // Daniel decides Sam's request: Approvals shows, with the one waiting.
        let daniel = scene.signed_in("daniel", PHONE, DANIEL).await?;
        open_menu(&daniel).await?;
        let links = daniel.navigation_links().await?;
        ensure!(
            links == ["Access packages", "Your access", "Requests", "Approvals 1", "Admin", "E-mail settings"],
            "Daniel's menu shows {links:?}"
        );
        let approvals = daniel.wait_for("//nav[@aria-label='Main']//a[@href='/approvals']").await?;
        let label = approvals.attr("aria-label").await?;
        ensure!(
            label.as_deref() == Some("Approvals, 1 waiting"),
            "the Approvals link is named {label:?}"
        );
        daniel.click(&approvals).await?;
        daniel.wait_for_heading("Approvals").await?;

        // Sam has nothing to decide: no Approvals.
        sam.reload().await?;
        sam.wait_for_heading("My Access").await?;
        open_menu(&sam).await?;
        let links = sam.navigation_links().await?;
        ensure!(
            links == ["Access packages", "Your access", "Requests", "E-mail settings"],
            "Sam's menu shows {links:?}"
        );

        // Pat, a guest, opens /admin: one message, not two.
        let pat = scene.signed_in("pat", PHONE, PAT).await?;
        pat.goto("/admin").await?;
        pat.wait_for_heading("Admin").await?;
        pat.wait_for_text("You don't hold any of these roles.").await?;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let main = pat.wait_for("//main").await?.text().await?;
        ensure!(
            main.matches("roles").count() == 1 && !main.to_lowercase().contains("permission"),
            "a guest's /admin reads {main:?}"
        );
        pat.screenshot("guest-admin").await?;
        Ok(())
    })
    .await
}

/// Issue 12, the first load's size: `/` and `/sign-in` come with the small first-load build;
/// once My Access has shown its list it prefetches the portal, so following a package's
/// link loads the portal's page without downloading it again; inside the portal, My Access
/// is a link followed without a page load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_access_is_the_small_first_load_and_a_package_opens_in_the_prefetched_portal(
) -> Result<()> {
    at_each_size(test_name!(), async |s: &Session| {
        let browser = &s.browser;
        browser.goto("/").await?;
        browser.wait_for_path("/sign-in").await?;
        browser.sign_in(SAM, DEMO_PASSWORD).await?;
        browser.wait_for_heading("My Access").await?;
        browser.wait_for_packages(&[WIKI, ONBOARDING, FINANCE]).await?;
        let first = browser.running_build().await?;
        ensure!(first.starts_with("/entrada-"), "My Access runs the first load, not {first}");

        // The portal's wasm and JS are fetched once the list is shown.
        let fetched = "return performance.getEntriesByType('resource').map(e => e.name)\
                       .filter(n => n.includes('/portal/entrada-portal-')).length;";
        eventually("the portal's wasm and JS prefetched", async || {
            let fetched = browser.script(fetched).await?.as_i64().unwrap_or_default();
            ensure!(fetched == 2, "{fetched} of the portal's files fetched");
            Ok(())
        })
        .await?;

        browser.click_link(WIKI).await?;
        browser.wait_for_heading(WIKI).await?;
        ensure!(
            browser.location().await?.starts_with("/access-packages/"),
            "{WIKI}'s link leads to its page"
        );
        let portal = browser.running_build().await?;
        ensure!(portal.starts_with("/portal/entrada-portal-"), "a package's page runs the portal, not {portal}");
        browser.wait_for_text("Request access").await?;
        // Nothing of the portal crossed the network again: both came from the cache.
        let downloaded = "return performance.getEntriesByType('resource')\
                          .filter(e => e.name.includes('/portal/entrada-portal-') && e.transferSize > 0)\
                          .map(e => e.name);";
        let downloaded = browser.script(downloaded).await?;
        ensure!(downloaded == json!([]), "the portal was downloaded again: {downloaded}");
        browser.screenshot("package-in-portal").await?;

        // Inside the portal, My Access is followed without loading the page again.
        browser.script("window.entradaStayed = true; return null;").await?;
        open_menu(browser).await?;
        browser.click_link("Access packages").await?;
        browser.wait_for_heading("My Access").await?;
        browser.wait_for_packages(&[WIKI, ONBOARDING, FINANCE]).await?;
        let stayed = browser.script("return window.entradaStayed === true;").await?;
        ensure!(stayed == json!(true), "going back to My Access reloaded the page");
        Ok(())
    })
    .await
}
