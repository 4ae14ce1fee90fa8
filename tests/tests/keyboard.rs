//! Journeys walked by keyboard alone: Tab, typing, Space and Enter, never a click. After
//! every submit the tests check where focus went, as a keyboard or screen-reader user
//! would notice it (issue 9, finding 8 and the journeys 9, 10 and 11 of product.md).

use anyhow::{ensure, Context, Result};
use entrada_e2e::{
    at_each_size, test_name, with_scene, Browser, Scene, Session, DEMO_PASSWORD, DESKTOP,
};
use serde_json::json;
use thirtyfour::Key;

const SAM: &str = "sam.taylor@lakeshore.example";
const DANIEL: &str = "daniel.kim@lakeshore.example";

/// The sign-in page's message saying what stopped the form.
const SIGN_IN_ERROR: &str = "//*[@id='sign-in-error']";

/// Requests a demo package through its one policy; returns the request's id.
async fn send(browser: &Browser, package: &str) -> Result<String> {
    let body = json!({
        "accessPackageId": package,
        "policyId": package.replacen("ap-", "pol-", 1),
        "type": "userAdd",
        "justification": "For the quarterly review.",
        "answers": [],
    });
    let (status, view) = browser.api("POST", "/requests", body).await?;
    ensure!(status == 201, "requesting {package}: {status} {view}");
    Ok(view["request"]["id"].as_str().context("no id")?.to_owned())
}

/// Tabs to the control whose description contains `name` and presses `key` on it.
async fn activate(browser: &Browser, name: &str, key: Key) -> Result<()> {
    browser.tab_to(name).await?;
    browser.press(key).await
}

/// Fails when focus fell to the page body.
async fn ensure_focus_kept(browser: &Browser, after: &str) -> Result<String> {
    let focused = browser.focused().await?;
    ensure!(
        focused != "body",
        "after {after}, focus fell to the page body"
    );
    Ok(focused)
}

/// Sign-in by keyboard: an empty submit and a wrong password each move focus to the
/// message that says what is wrong; the right password leads to My Access, focus on its
/// content.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_by_keyboard_moves_focus_to_each_outcome() -> Result<()> {
    at_each_size(test_name!(), async |s: &Session| {
        let browser = &s.browser;
        browser.goto("/sign-in").await?;
        browser.wait_for_heading("Sign in").await?;

        // Enter in the empty e-mail field.
        browser.tab_to("E-mail").await?;
        browser.press(Key::Enter).await?;
        browser.wait_for_focus(SIGN_IN_ERROR).await?;
        let focused = browser.focused().await?;
        ensure!(
            focused.contains("Check the fields marked below"),
            "after an empty submit focus is on {focused}"
        );
        browser.audit("the empty sign-in's error").await?;

        // A wrong password, sent with the button.
        browser.tab_to("E-mail").await?;
        browser.press(SAM).await?;
        browser.press(Key::Tab).await?;
        browser.press("not-the-password").await?;
        activate(browser, "button Sign in", Key::Enter).await?;
        browser.wait_for_focus(SIGN_IN_ERROR).await?;
        let focused = browser.focused().await?;
        ensure!(
            focused.contains("That e-mail and password don't match an account."),
            "after a wrong password focus is on {focused}"
        );
        browser.audit("the wrong password's error").await?;

        // The right password, sent with Space on the button.
        browser.tab_to("Password").await?;
        for _ in 0.."not-the-password".len() {
            browser.press(Key::Backspace).await?;
        }
        browser.press(DEMO_PASSWORD).await?;
        activate(browser, "button Sign in", Key::Space).await?;
        browser.wait_for_path("/").await?;
        browser.wait_for_heading("My Access").await?;
        browser.wait_for_focus("//main").await?;
        Ok(())
    })
    .await
}

/// Journey 9 by keyboard: Sam goes to what he holds, asks for more time on the wiki and
/// gives up Engineering Onboarding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_9_your_access_extension_and_removal_by_keyboard() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        let wiki = send(&sam, "ap-company-wiki").await?;
        send(&sam, "ap-engineering-onboarding").await?;
        let daniel = scene.signed_in("daniel", DESKTOP, DANIEL).await?;
        let (status, _) = daniel
            .api(
                "POST",
                &format!("/requests/{wiki}/decisions"),
                json!({ "decision": "approve" }),
            )
            .await?;
        ensure!(status == 200, "Daniel's approval: {status}");
        sam.reload().await?;
        sam.wait_for_heading("My Access").await?;

        activate(&sam, "a Your access", Key::Enter).await?;
        sam.wait_for_heading("Your access").await?;
        sam.wait_for_text("Company Wiki Editors").await?;
        sam.wait_for_focus("//main").await?;

        // More time on the wiki.
        activate(&sam, "button Request extension", Key::Enter).await?;
        sam.wait_for_text("Request an extension").await?;
        sam.tab_to("Why do you need more time?").await?;
        sam.press("The release process doc needs another month.")
            .await?;
        activate(&sam, "button Request extension", Key::Enter).await?;
        sam.wait_for_text(
            "You asked for more time with Company Wiki Editors. The approvers have been asked.",
        )
        .await?;
        let focused = ensure_focus_kept(&sam, "the extension request").await?;
        ensure!(
            focused.contains("You asked for more time"),
            "after the extension request focus is on {focused}"
        );
        sam.audit("the extension sent").await?;

        // Give up Engineering Onboarding: the confirmation takes focus, Enter confirms.
        activate(&sam, "button Remove my access", Key::Enter).await?;
        sam.wait_for_text("Remove your access to Engineering Onboarding?")
            .await?;
        let focused = ensure_focus_kept(&sam, "opening the removal").await?;
        ensure!(
            focused.contains("Remove my access"),
            "the confirmation does not have focus: {focused}"
        );
        sam.press(Key::Enter).await?;
        sam.wait_for_text("Your access to Engineering Onboarding was removed.")
            .await?;
        let focused = ensure_focus_kept(&sam, "the removal").await?;
        ensure!(
            focused.contains("was removed"),
            "after the removal focus is on {focused}"
        );
        Ok(())
    })
    .await
}

/// Journey 10 by keyboard: Sam opens his request history and cancels a pending request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_10_request_history_and_cancel_by_keyboard() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        send(&sam, "ap-company-wiki").await?;
        sam.reload().await?;
        sam.wait_for_heading("My Access").await?;

        activate(&sam, "a Requests", Key::Enter).await?;
        sam.wait_for_heading("Requests").await?;
        sam.wait_for_text("Pending approval").await?;
        activate(&sam, "button Cancel request", Key::Enter).await?;
        sam.wait_for_text("Cancel this request? The approvers won't be asked any more.")
            .await?;
        activate(&sam, "button Yes, cancel it", Key::Space).await?;
        sam.wait_for_text("Your request for Company Wiki Editors was canceled.")
            .await?;
        let focused = ensure_focus_kept(&sam, "canceling").await?;
        ensure!(
            focused.contains("was canceled"),
            "after canceling focus is on {focused}"
        );
        Ok(())
    })
    .await
}

/// Journey 11 by keyboard: Sam opens a package from My Access and copies its request link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_11_share_a_package_link_by_keyboard() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        sam.wait_for_text("Company Wiki Editors").await?;
        activate(&sam, "a Company Wiki Editors", Key::Enter).await?;
        sam.wait_for_heading("Company Wiki Editors").await?;
        activate(&sam, "button Copy link", Key::Space).await?;
        // Copied, or (where the browser refuses the clipboard) the link shown to copy.
        let link = format!("{}/access-packages/ap-company-wiki", scene.app.base_url);
        entrada_e2e::eventually("the link copied or shown", async || {
            let text = sam.wait_for("//main").await?.text().await?;
            if text.contains("Link copied.") {
                return Ok(());
            }
            let shown = sam
                .script("const input = document.querySelector('input.link-text'); return input ? input.value : '';")
                .await?;
            ensure!(shown.as_str() == Some(link.as_str()), "the page shows {text:?}, link {shown}");
            Ok(())
        })
        .await?;
        ensure_focus_kept(&sam, "copying the link").await?;
        Ok(())
    })
    .await
}
