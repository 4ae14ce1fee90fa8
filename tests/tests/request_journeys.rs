//! Issue 9, requesting and approving: what a person notices at the size it was found — the
//! required-reason message in view above the phone's Deny/Approve bar, a live character
//! count whose message moves nothing under the finger, a denial that asks first, the two
//! end dates of an extension — and journeys 6, 7 and 8 of the product brief walked by
//! keyboard alone, checking after each submit where focus went.

use anyhow::{ensure, Context, Result};
use entrada_e2e::{
    eventually, test_name, with_scene, xpath_literal, Browser, Scene, DESKTOP, PHONE,
};
use serde_json::Value;
use thirtyfour::Key;

use entrada_e2e::requests::{request, request_id, WHY};

const SAM: &str = "sam.taylor@lakeshore.example";
const DANIEL: &str = "daniel.kim@lakeshore.example";
const VICTOR: &str = "victor.novak@lakeshore.example";
const ETHAN: &str = "ethan.brooks@lakeshore.example";

const WIKI: (&str, &str) = ("ap-company-wiki", "Company Wiki Editors");
const FINANCE: (&str, &str) = ("ap-finance-reporting", "Finance Reporting");
const FALCON: (&str, &str) = ("ap-project-falcon", "Project Falcon");

/// How many of Sam's requests for `package` are in `state`.
async fn sams_requests(scene: &Scene, package: &str, state: &str) -> Result<i64> {
    scene
        .app
        .count(
            "SELECT COUNT(*) FROM access_requests \
             WHERE requestor_id = 'user-sam.taylor' AND package_id = $1 AND state = $2",
            &[package, state],
        )
        .await
}

/// The top and bottom of the element at `xpath` in the viewport, in CSS pixels.
async fn rect(browser: &Browser, xpath: &str) -> Result<(f64, f64)> {
    let value = browser
        .script_with(
            "const e = document.evaluate(arguments[0], document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
             if (!e) return null;
             const r = e.getBoundingClientRect();
             return [r.top, r.bottom];",
            vec![Value::String(xpath.to_owned())],
        )
        .await?;
    let (top, bottom): (f64, f64) =
        serde_json::from_value(value).with_context(|| format!("nothing at {xpath}"))?;
    Ok((top, bottom))
}

/// The text of the element at `xpath`, whitespace collapsed.
async fn text_of(browser: &Browser, xpath: &str) -> Result<String> {
    let text = browser.wait_for(xpath).await?.text().await?;
    Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Waits until the element at `xpath` reads exactly `expected` (whitespace collapsed).
async fn wait_for_reading(browser: &Browser, xpath: &str, expected: &str) -> Result<()> {
    eventually(&format!("{xpath} to read {expected:?}"), async || {
        let text = text_of(browser, xpath).await?;
        ensure!(text == expected, "it reads {text:?}");
        Ok(())
    })
    .await
}

const REASON_BOX: &str = "//textarea[@id='decision-reason']";
const REASON_ERROR: &str = "//p[@id='decision-reason-error']";
const BAR: &str = "//div[contains(@class, 'decision-bar')]";

/// Finding 3: on a phone, Approve without the reason this stage requires brings the
/// reason box and its message into view above the fixed Deny/Approve bar, and focuses
/// the box.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_approval_without_the_required_reason_shows_the_message_above_the_bar() -> Result<()>
{
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        // A long reason puts the reason box below the first screen.
        let reason = "Quarterly budget reviews for the platform team, line by line. ".repeat(8);
        request(&sam, FINANCE, reason.trim()).await?;
        let id = request_id(scene, "user-sam.taylor", FINANCE.0, "pendingApproval").await?;
        let daniel = scene.signed_in("daniel", DESKTOP, DANIEL).await?;
        daniel.goto(&format!("/approvals/{id}")).await?;
        daniel
            .wait_for_heading("Sam Taylor asks for Finance Reporting")
            .await?;
        daniel.click_button("Approve").await?;
        daniel.wait_for_text("You approved").await?;

        let victor = scene.signed_in("victor", PHONE, VICTOR).await?;
        victor.goto(&format!("/approvals/{id}")).await?;
        victor
            .wait_for_heading("Sam Taylor asks for Finance Reporting")
            .await?;
        let (bar_top, _) = rect(&victor, BAR).await?;
        let (box_top, _) = rect(&victor, REASON_BOX).await?;
        ensure!(
            box_top > bar_top,
            "the reason box ({box_top}) is already above the bar ({bar_top}), so the check proves nothing"
        );
        victor.click_button("Approve").await?;
        victor.wait_for_focus(REASON_BOX).await?;
        wait_for_reading(&victor, REASON_ERROR, "Give a reason for your decision.").await?;
        let (bar_top, _) = rect(&victor, BAR).await?;
        for (what, xpath) in [("message", REASON_ERROR), ("reason box", REASON_BOX)] {
            let (top, bottom) = rect(&victor, xpath).await?;
            ensure!(
                top >= 0.0 && bottom <= bar_top,
                "the {what} ({top}–{bottom}) is not wholly above the bar (top {bar_top})"
            );
            let element = victor.wait_for(xpath).await?;
            ensure!(
                victor.wholly_on_screen(&element).await?,
                "the {what} is covered or off screen"
            );
        }
        ensure!(
            sams_requests(scene, FINANCE.0, "pendingApproval").await? == 1,
            "the approval went through without the reason"
        );
        victor.audit("the required reason's message").await?;
        // The README's docs/screenshots/approval-error-phone.png is this step.
        victor.screenshot("reason-required").await?;

        victor.press("Budget owner confirmed.").await?;
        victor.click_button("Approve").await?;
        victor
            .wait_for_focus("//h2[@id='decision-outcome']")
            .await?;
        victor.wait_for_text("You approved").await?;
        Ok(())
    })
    .await
}

/// Finding 4: the justification shows its limit and a live count; going over it and then
/// tapping the question below shows the message without moving the question, and the tap
/// ticks the radio button.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_justification_shows_a_live_count_and_its_message_moves_nothing_below() -> Result<()>
{
    with_scene(test_name!(), async |scene: &Scene| {
        let ethan = scene.signed_in("ethan", PHONE, ETHAN).await?;
        ethan
            .goto(&format!("/access-packages/{}", FALCON.0))
            .await?;
        ethan.wait_for_heading(FALCON.1).await?;
        let count = "//p[@id='request-justification-count']";
        let hint = text_of(&ethan, "//p[@id='request-justification-hint']").await?;
        ensure!(
            hint.contains("At most 1,000 characters."),
            "the hint doesn't say the limit: {hint:?}"
        );
        wait_for_reading(&ethan, count, "0 of 1,000 characters").await?;
        let field = ethan.fill(WHY, &"x".repeat(312)).await?;
        wait_for_reading(&ethan, count, "312 of 1,000 characters").await?;
        let described = field.attr("aria-describedby").await?.unwrap_or_default();
        ensure!(
            described.contains("request-justification-count"),
            "the count is not read with the field: {described:?}"
        );
        field.send_keys("y".repeat(700)).await?;
        wait_for_reading(
            &ethan,
            count,
            "1,012 of 1,000 characters: 12 too many",
        )
        .await?;
        // The polite live region is visually hidden: read its text content.
        let live = ethan
            .script("return document.querySelector('#request-justification-count + [aria-live=polite]').textContent;")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        ensure!(
            live == "Over the limit of 1,000 characters.",
            "the live region says {live:?}"
        );
        ethan.screenshot("1-over-the-limit").await?;

        // Leave the box for the question below it: its message appears, nothing moves.
        let radio = "//input[@type='radio'][@id=//label[normalize-space()='Hardware']/@for]";
        let label = "//label[normalize-space()='Hardware']";
        let before = rect(&ethan, radio).await?;
        let element = ethan.wait_for(label).await?;
        element.click().await?;
        wait_for_reading(
            &ethan,
            "//p[@id='request-justification-error']",
            "Use at most 1000 characters.",
        )
        .await?;
        let after = rect(&ethan, radio).await?;
        ensure!(
            before == after,
            "the radio button moved from {before:?} to {after:?} when the message appeared"
        );
        let ticked = ethan.wait_for_present(radio).await?;
        ensure!(
            ticked.is_selected().await?,
            "the tap on Hardware didn't tick it"
        );
        ethan.audit("the justification over its limit").await?;
        ethan.screenshot("2-message").await?;
        Ok(())
    })
    .await
}

/// Finding 6: Deny asks "Deny Sam Taylor's request?" first, and nothing is denied until
/// that is confirmed; the texts say what Sam will see, with or without a reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_asks_first_and_says_what_the_requestor_will_see() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        request(&sam, WIKI, "To document the deploy process.").await?;
        let id = request_id(scene, "user-sam.taylor", WIKI.0, "pendingApproval").await?;

        let daniel = scene.signed_in("daniel", PHONE, DANIEL).await?;
        daniel.goto(&format!("/approvals/{id}")).await?;
        daniel
            .wait_for_heading("Sam Taylor asks for Company Wiki Editors")
            .await?;
        // Finding 12: the deadline as text, and "optional" said once.
        let deadline = text_of(&daniel, "//header//span[@class='deadline']").await?;
        ensure!(
            deadline.starts_with("Decide by ") && deadline.ends_with(" days)"),
            "the deadline reads {deadline:?}"
        );
        let field = text_of(&daniel, "//form[contains(@class, 'decision-form')]//div[contains(@class, 'field')]").await?;
        ensure!(
            field.matches("ptional").count() == 1,
            "the reason says optional more than once: {field:?}"
        );
        daniel.click_button("Deny").await?;
        daniel
            .wait_for_focus("//p[@id='deny-question']")
            .await?;
        let question = text_of(&daniel, "//p[@id='deny-question']").await?;
        ensure!(
            question
                == "Deny Sam Taylor's request? Sam Taylor will see that you denied it. You gave no reason.",
            "the question reads {question:?}"
        );
        let confirm = daniel.button("Deny").await?;
        ensure!(
            daniel.wholly_on_screen(&confirm).await?,
            "the confirming Deny is not on screen"
        );
        ensure!(
            sams_requests(scene, WIKI.0, "denied").await? == 0
                && sams_requests(scene, WIKI.0, "pendingApproval").await? == 1,
            "one tap on Deny denied the request"
        );
        daniel.audit("the denial's question").await?;
        daniel.screenshot("1-asks").await?;

        daniel.click_button("Go back").await?;
        daniel.wait_for_focus("//button[@id='deny-button']").await?;
        ensure!(
            sams_requests(scene, WIKI.0, "pendingApproval").await? == 1,
            "going back denied the request"
        );

        // Without a reason.
        daniel.click_button("Deny").await?;
        daniel
            .wait_for_focus("//p[@id='deny-question']")
            .await?;
        daniel.click_button("Deny").await?;
        daniel
            .wait_for_focus("//h2[@id='decision-outcome']")
            .await?;
        daniel.wait_for_text("You denied").await?;
        daniel
            .wait_for_text("Sam Taylor will see that you denied it.")
            .await?;
        ensure!(
            !daniel.page_text().await?.contains("and your reason"),
            "the outcome mentions a reason that wasn't given"
        );
        ensure!(
            sams_requests(scene, WIKI.0, "denied").await? == 1,
            "the confirmed denial was not recorded"
        );
        daniel.screenshot("2-denied").await?;

        // With a reason, the texts say so.
        request(&sam, WIKI, "To document the release process.").await?;
        let id = request_id(scene, "user-sam.taylor", WIKI.0, "pendingApproval").await?;
        daniel.goto(&format!("/approvals/{id}")).await?;
        daniel
            .wait_for_heading("Sam Taylor asks for Company Wiki Editors")
            .await?;
        daniel
            .fill("Your reason", "Please use the team space instead.")
            .await?;
        daniel.click_button("Deny").await?;
        wait_for_reading(
            &daniel,
            "//p[@id='deny-question']",
            "Deny Sam Taylor's request? Sam Taylor will see that you denied it, and your reason.",
        )
        .await?;
        daniel.click_button("Deny").await?;
        daniel
            .wait_for_text("Sam Taylor will see your decision and your reason.")
            .await?;
        ensure!(
            sams_requests(scene, WIKI.0, "denied").await? == 2,
            "the second denial was not recorded"
        );
        Ok(())
    })
    .await
}

/// The text of Sam's access card for the wiki, and the end date in it ("until …").
async fn wiki_end_on_access_page(sam: &Browser) -> Result<String> {
    let card = "//article[contains(@class, 'assignment-card')][.//h3[normalize-space()='Company Wiki Editors']]//p[@class='dates']";
    let dates = text_of(sam, card).await?;
    let end = dates
        .split(" · until ")
        .nth(1)
        .and_then(|rest| rest.split(" (").next())
        .with_context(|| format!("no end date in {dates:?}"))?;
    Ok(end.to_owned())
}

/// Finding 7 (and 8 for the extension's submit): the approvals list and the decision page
/// show when the access ends now and when it would end, at both sizes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extension_shows_its_approver_the_current_end_and_the_new_one() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        request(&sam, WIKI, "To document the release process.").await?;
        let id = request_id(scene, "user-sam.taylor", WIKI.0, "pendingApproval").await?;
        let daniel = scene.signed_in("daniel", DESKTOP, DANIEL).await?;
        daniel.goto(&format!("/approvals/{id}")).await?;
        daniel
            .wait_for_heading("Sam Taylor asks for Company Wiki Editors")
            .await?;
        daniel.click_button("Approve").await?;
        daniel
            .wait_for_text("Sam Taylor has the access now.")
            .await?;

        sam.goto("/access").await?;
        sam.wait_for_heading("Your access").await?;
        let now_ends = wiki_end_on_access_page(&sam).await?;
        sam.click_button("Request extension").await?;
        // Sent empty, the form's summary takes focus (the reason is required).
        let send = sam
            .wait_for("//form//button[normalize-space()='Request extension']")
            .await?;
        sam.click(&send).await?;
        sam.wait_for_focus("//form//div[contains(@class, 'form-alert')]")
            .await?;
        sam.fill(
            "Why do you need more time?",
            "The release process doc needs another month.",
        )
        .await?;
        let send = sam
            .wait_for("//form//button[normalize-space()='Request extension']")
            .await?;
        sam.click(&send).await?;
        sam.wait_for_focus("//div[@id='access-notice']").await?;
        sam.wait_for_text("You asked for more time with Company Wiki Editors.")
            .await?;

        let expected_start = format!("Access now ends {now_ends} → would end ");
        for (who, size) in [("daniel-desk", DESKTOP), ("daniel-phone", PHONE)] {
            let approver = scene.signed_in(who, size, DANIEL).await?;
            approver.goto("/approvals").await?;
            approver.wait_for_heading("Approvals").await?;
            let in_list = text_of(
                &approver,
                "//article[contains(@class, 'approval-card')]//p[@class='extension-ends']",
            )
            .await?;
            ensure!(
                in_list.starts_with(&expected_start) && in_list.len() > expected_start.len(),
                "{who}: the list item reads {in_list:?}, not {expected_start:?} and a new end"
            );
            let card = approver
                .wait_for("//article[contains(@class, 'approval-card')]")
                .await?;
            approver.scroll_to(&card).await?;
            approver.screenshot("1-list").await?;
            approver.click_link("Review and decide").await?;
            approver
                .wait_for_heading("Sam Taylor asks to keep Company Wiki Editors")
                .await?;
            let on_page = text_of(&approver, "//header//p[@class='extension-ends']").await?;
            ensure!(
                on_page == in_list,
                "{who}: the decision page reads {on_page:?}, the list {in_list:?}"
            );
            let shown = approver
                .wait_for("//header//p[@class='extension-ends']")
                .await?;
            ensure!(
                approver.wholly_on_screen(&shown).await?,
                "{who}: the dates are not on the first screen"
            );
            approver.screenshot("2-decision").await?;
        }

        // The end shown is the end granted.
        let extension = request_id(scene, "user-sam.taylor", WIKI.0, "pendingApproval").await?;
        daniel.goto(&format!("/approvals/{extension}")).await?;
        let on_page = text_of(&daniel, "//header//p[@class='extension-ends']").await?;
        let new_end = on_page
            .split(" → would end ")
            .nth(1)
            .context("no new end")?
            .to_owned();
        daniel.click_button("Approve").await?;
        daniel.wait_for_text("You approved").await?;
        sam.reload().await?;
        sam.wait_for_heading("Your access").await?;
        eventually("the new end on Sam's access page", async || {
            let end = wiki_end_on_access_page(&sam).await?;
            ensure!(
                end == new_end,
                "Sam's access ends {end}, the approver was shown {new_end}"
            );
            Ok(())
        })
        .await?;
        Ok(())
    })
    .await
}

/// Presses Tab until `name` has focus, then `key`.
async fn tab_and_press(browser: &Browser, name: &str, key: Key) -> Result<()> {
    browser.tab_to(name).await?;
    browser.press(key).await
}

/// Journey 6 by keyboard: an approver opens the list, approves one request and denies
/// another (confirming the denial), focus on each outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_6_approve_and_deny_by_keyboard() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        request(&sam, WIKI, "To document the deploy process.").await?;
        request(&sam, FINANCE, "Quarterly budget reviews.").await?;

        let daniel = scene.signed_in("daniel", DESKTOP, DANIEL).await?;
        daniel.goto("/approvals").await?;
        daniel.wait_for_heading("Approvals").await?;
        tab_and_press(&daniel, "Company Wiki Editors", Key::Enter).await?;
        daniel
            .wait_for_heading("Sam Taylor asks for Company Wiki Editors")
            .await?;
        daniel.tab_to("Your reason").await?;
        daniel.press("Welcome aboard.").await?;
        tab_and_press(&daniel, "Approve", Key::Enter).await?;
        daniel
            .wait_for_focus("//h2[@id='decision-outcome']")
            .await?;
        daniel.wait_for_text("You approved").await?;
        ensure!(
            sams_requests(scene, WIKI.0, "delivered").await? == 1,
            "the keyboard approval was not recorded"
        );

        daniel.goto("/approvals").await?;
        daniel.wait_for_heading("Approvals").await?;
        tab_and_press(&daniel, "Finance Reporting", Key::Enter).await?;
        daniel
            .wait_for_heading("Sam Taylor asks for Finance Reporting")
            .await?;
        daniel.tab_to("Your reason").await?;
        daniel.press("Use the shared dashboard instead.").await?;
        tab_and_press(&daniel, "Deny", Key::Space).await?;
        daniel.wait_for_focus("//p[@id='deny-question']").await?;
        ensure!(
            sams_requests(scene, FINANCE.0, "denied").await? == 0,
            "Deny denied without asking"
        );
        daniel.screenshot("deny-question").await?;
        // Escape steps back to Deny; asked again, Tab reaches Go back, then Deny.
        daniel.press(Key::Escape).await?;
        daniel.wait_for_focus("//button[@id='deny-button']").await?;
        daniel.press(Key::Space).await?;
        daniel.wait_for_focus("//p[@id='deny-question']").await?;
        daniel.press(Key::Tab).await?;
        let focused = daniel.focused().await?;
        ensure!(focused.contains("Go back"), "Tab went to {focused}");
        daniel.press(Key::Tab).await?;
        let focused = daniel.focused().await?;
        ensure!(focused.contains("Deny"), "Tab went to {focused}");
        daniel.press(Key::Enter).await?;
        daniel
            .wait_for_focus("//h2[@id='decision-outcome']")
            .await?;
        daniel.wait_for_text("You denied").await?;
        daniel
            .wait_for_text("Sam Taylor will see your decision and your reason.")
            .await?;
        ensure!(
            sams_requests(scene, FINANCE.0, "denied").await? == 1,
            "the keyboard denial was not recorded"
        );
        Ok(())
    })
    .await
}

const SUMMARY: &str = "//div[contains(@class, 'form-alert')]";
const SENT: &str = "//h3[@id='request-sent']";

/// Journey 7 by keyboard: find a package in My Access, open it, send the form empty (focus
/// on the summary), then give the reason and request it (focus on the result).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_7_find_a_package_and_request_it_by_keyboard() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        sam.goto("/").await?;
        sam.tab_to("Search access packages").await?;
        sam.press("wiki").await?;
        sam.wait_until_listed(WIKI.1).await?;
        tab_and_press(&sam, WIKI.1, Key::Enter).await?;
        sam.wait_for_heading(WIKI.1).await?;

        tab_and_press(&sam, "button Request access", Key::Enter).await?;
        sam.wait_for_focus(SUMMARY).await?;
        sam.wait_for_text("Check the fields marked below.").await?;
        ensure!(
            sams_requests(scene, WIKI.0, "pendingApproval").await? == 0,
            "an empty request was sent"
        );
        sam.tab_to(WHY).await?;
        sam.press("To document the deploy process.").await?;
        tab_and_press(&sam, "button Request access", Key::Enter).await?;
        sam.wait_for_focus(SENT).await?;
        sam.wait_for_text("Request sent — waiting for approval")
            .await?;
        ensure!(
            sams_requests(scene, WIKI.0, "pendingApproval").await? == 1,
            "the keyboard request was not saved"
        );
        Ok(())
    })
    .await
}

/// Journey 8 by keyboard: a direct link opened cold, sign in, send the form without
/// answering (focus on the summary), answer the radio question with the arrow keys and
/// request (focus on the result).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_8_direct_link_sign_in_and_request_by_keyboard() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let ethan = scene.browser("ethan", DESKTOP).await?;
        let path = format!("/access-packages/{}", FALCON.0);
        ethan.goto(&path).await?;
        ethan.wait_for_path("/sign-in").await?;
        ethan.tab_to("E-mail").await?;
        ethan.press(ETHAN).await?;
        ethan.tab_to("Password").await?;
        ethan.press(entrada_e2e::DEMO_PASSWORD).await?;
        ethan.press(Key::Enter).await?;
        ethan.wait_for_path(&path).await?;
        ethan.wait_for_heading(FALCON.1).await?;

        tab_and_press(&ethan, "button Request access", Key::Enter).await?;
        ethan.wait_for_focus(SUMMARY).await?;
        ethan
            .wait_for_text("Check the fields marked below.")
            .await?;
        ethan.tab_to(WHY).await?;
        ethan
            .press("Leading the Falcon launch with our key accounts.")
            .await?;
        ethan.tab_to("Hardware").await?;
        ethan.press(Key::Down).await?;
        ethan.press(Key::Down).await?;
        let chosen = ethan
            .wait_for_present(&format!(
                "//input[@type='radio'][@id=//label[normalize-space()={}]/@for]",
                xpath_literal("Go-to-market")
            ))
            .await?;
        ensure!(
            chosen.is_selected().await?,
            "the arrow keys didn't choose Go-to-market"
        );
        tab_and_press(&ethan, "button Request access", Key::Enter).await?;
        ethan.wait_for_focus(SENT).await?;
        ethan
            .wait_for_text("Request sent — waiting for approval")
            .await?;
        request_id(scene, "user-ethan.brooks", FALCON.0, "pendingApproval").await?;
        Ok(())
    })
    .await
}
