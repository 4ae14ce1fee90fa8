//! Requestors and approvers in a real headless Chromium (issue 5): a two-stage request
//! decided on a phone and then on a desktop, denial, cancelation, extension, removal, a
//! direct link opened cold, and the decision page on a phone.
//!
//! Each test is one story on one fresh server, with a browser per person
//! (`entrada_e2e::with_scene`); the directory is checked in the server's database, so a
//! grant the page shows is a grant that exists. Screenshots of every step go to
//! `target/screenshots/`.

use anyhow::{ensure, Context, Result};
use entrada_e2e::{
    button_reading, eventually, test_name, with_scene, xpath_literal, Browser, Scene, DESKTOP,
    PHONE,
};

use entrada_e2e::requests::{open_package, request, request_id, send_request, WHY};

const SAM: &str = "sam.taylor@lakeshore.example";
const DANIEL: &str = "daniel.kim@lakeshore.example";
const VICTOR: &str = "victor.novak@lakeshore.example";
const ETHAN: &str = "ethan.brooks@lakeshore.example";

const WIKI: (&str, &str) = ("ap-company-wiki", "Company Wiki Editors");
const ONBOARDING: (&str, &str) = ("ap-engineering-onboarding", "Engineering Onboarding");
const FINANCE: (&str, &str) = ("ap-finance-reporting", "Finance Reporting");
const FALCON: (&str, &str) = ("ap-project-falcon", "Project Falcon");

/// The approval card link for `requestor`'s request of `package` on `/approvals`.
fn approval_link(requestor: &str, package: &str) -> String {
    format!(
        "//ul[@aria-label='Requests waiting for your decision']//h2/a\
         [contains(normalize-space(), {})][contains(normalize-space(), {})]",
        xpath_literal(requestor),
        xpath_literal(package)
    )
}

/// Opens `/approvals`, then the request of `requestor` for `package`, and waits for the
/// decision page headed `heading`.
async fn open_approval(
    browser: &Browser,
    requestor: &str,
    package: &str,
    heading: &str,
) -> Result<()> {
    browser.goto("/approvals").await?;
    browser.wait_for_heading("Approvals").await?;
    let link = browser.wait_for(&approval_link(requestor, package)).await?;
    browser.screenshot("approvals").await?;
    browser.click(&link).await?;
    browser.wait_for_heading(heading).await?;
    Ok(())
}

/// How many times the directory gives `user` the role `role` of application `app`.
async fn app_role_members(scene: &Scene, app: &str, role: &str, user: &str) -> Result<i64> {
    scene
        .app
        .count(
            "SELECT COUNT(*) FROM application_role_members \
             WHERE application_id = $1 AND role_id = $2 AND user_id = $3",
            &[app, role, user],
        )
        .await
}

/// The card of `package` on `/access`.
fn access_card(package: &str) -> String {
    format!(
        "//article[contains(@class, 'assignment-card')][.//h3[normalize-space()={}]]",
        xpath_literal(package)
    )
}

/// The card of the newest request for `package` on `/requests`.
fn request_card(package: &str) -> String {
    format!(
        "(//article[contains(@class, 'request-card')][.//h2[normalize-space()={}]])[1]",
        xpath_literal(package)
    )
}

/// Waits until the element at `xpath` reads `text` (among other words) and returns all
/// it reads.
async fn wait_for_text_in(browser: &Browser, xpath: &str, text: &str) -> Result<String> {
    eventually(&format!("{xpath} to read {text:?}"), async || {
        let element = browser.wait_for(xpath).await?;
        let read = element.text().await?;
        ensure!(read.contains(text), "it reads {read:?}");
        Ok(read)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finance_request_approved_on_a_phone_then_on_a_desktop_grants_the_ledger_role() -> Result<()>
{
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        open_package(&sam, FINANCE).await?;
        sam.wait_for_text("Approval: 2 stages").await?;
        let title = send_request(&sam, "Quarterly budget reviews for the platform team.").await?;
        ensure!(
            title == "Request sent — waiting for approval",
            "after sending, the page says {title:?}"
        );
        sam.wait_for_text("Daniel Kim can decide now.").await?;
        sam.screenshot("1-sent").await?;
        ensure!(
            app_role_members(scene, "app-ledger", "viewer", "user-sam.taylor").await? == 0,
            "Sam holds the Ledger role before anyone approved"
        );

        // Stage 1: Sam's manager, on his phone.
        let daniel = scene.signed_in("daniel", PHONE, DANIEL).await?;
        open_approval(
            &daniel,
            "Sam Taylor",
            FINANCE.1,
            "Sam Taylor asks for Finance Reporting",
        )
        .await?;
        daniel
            .wait_for_text("Quarterly budget reviews for the platform team.")
            .await?;
        daniel.screenshot("2-decision").await?;
        daniel.click_button("Approve").await?;
        daniel.wait_for_text("You approved").await?;
        daniel
            .wait_for_text("It now waits for stage 2 of 2")
            .await?;
        daniel.screenshot("3-approved").await?;
        ensure!(
            app_role_members(scene, "app-ledger", "viewer", "user-sam.taylor").await? == 0,
            "Sam holds the Ledger role after one stage of two"
        );

        // Stage 2: Finance Approvers, at a desk, with the reason this stage requires.
        let victor = scene.signed_in("victor", DESKTOP, VICTOR).await?;
        open_approval(
            &victor,
            "Sam Taylor",
            FINANCE.1,
            "Sam Taylor asks for Finance Reporting",
        )
        .await?;
        victor.wait_for_text("Decisions so far").await?;
        victor.wait_for_text("Approved by Daniel Kim").await?;
        victor.click_button("Approve").await?;
        let reason = victor.control("Your reason").await?;
        eventually("the reason's message", async || {
            ensure!(
                reason.attr("aria-invalid").await?.as_deref() == Some("true"),
                "the reason is not marked invalid"
            );
            Ok(())
        })
        .await?;
        let message = victor
            .wait_for("//p[@id='decision-reason-error']")
            .await?
            .text()
            .await?;
        ensure!(
            message == "Give a reason for your decision.",
            "without a reason the page says {message:?}"
        );
        ensure!(
            !victor.page_text().await?.contains("You approved"),
            "the decision went through without the required reason"
        );
        victor.screenshot("4-reason-required").await?;
        victor
            .fill(
                "Your reason",
                "Budget owner confirmed; read-only is enough.",
            )
            .await?;
        victor.click_button("Approve").await?;
        victor.wait_for_text("You approved").await?;
        victor
            .wait_for_text("Sam Taylor has the access now.")
            .await?;
        victor.screenshot("5-approved").await?;

        // The grant is real in the directory, and Sam sees the access.
        ensure!(
            app_role_members(scene, "app-ledger", "viewer", "user-sam.taylor").await? == 1,
            "Sam does not hold the Ledger viewer role after both approvals"
        );
        sam.click_link("Your access").await?;
        sam.wait_for_heading("Your access").await?;
        let card = wait_for_text_in(&sam, &access_card(FINANCE.1), "Active").await?;
        ensure!(card.contains("Ledger"), "the access card reads {card:?}");
        sam.scroll_to(&sam.wait_for(&access_card(FINANCE.1)).await?)
            .await?;
        sam.screenshot("6-access").await?;

        sam.click_link("Requests").await?;
        let history = wait_for_text_in(&sam, &request_card(FINANCE.1), "Delivered").await?;
        for text in [
            "Approved by Daniel Kim",
            "Approved by Victor Novak",
            "Budget owner confirmed; read-only is enough.",
        ] {
            ensure!(
                history.contains(text),
                "the history lacks {text:?}: {history:?}"
            );
        }
        sam.screenshot("7-history").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_request_shows_the_approvers_reason_in_the_requestors_history() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        request(&sam, WIKI, "To document the deploy process.").await?;

        let daniel = scene.signed_in("daniel", DESKTOP, DANIEL).await?;
        open_approval(
            &daniel,
            "Sam Taylor",
            WIKI.1,
            "Sam Taylor asks for Company Wiki Editors",
        )
        .await?;
        daniel
            .fill("Your reason", "Please use the team space for this instead.")
            .await?;
        daniel.screenshot("1-deny").await?;
        daniel.click_button("Deny").await?;
        // Asked once more before anything is sent.
        daniel.wait_for_text("Deny Sam Taylor's request?").await?;
        daniel.click_button("Deny").await?;
        daniel.wait_for_text("You denied").await?;
        daniel
            .wait_for_text("Sam Taylor will see your decision and your reason.")
            .await?;
        daniel.screenshot("2-denied").await?;

        sam.click_link("Requests").await?;
        sam.wait_for_heading("Requests").await?;
        let card = wait_for_text_in(&sam, &request_card(WIKI.1), "Denied").await?;
        for text in [
            "Denied by Daniel Kim",
            "Please use the team space for this instead.",
            "To document the deploy process.",
        ] {
            ensure!(card.contains(text), "the history lacks {text:?}: {card:?}");
        }
        ensure!(
            !sam.is_shown(&format!(
                "{}{}",
                request_card(WIKI.1),
                button_reading("Cancel request")
            ))
            .await?,
            "a denied request can still be canceled"
        );
        sam.screenshot("3-history").await?;
        ensure!(
            app_role_members(scene, "app-atlas", "editor", "user-sam.taylor").await? == 0,
            "a denied request granted the wiki"
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_request_is_canceled_from_the_history_and_leaves_the_approvers_queue() -> Result<()>
{
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        request(&sam, WIKI, "To write the on-call handbook.").await?;
        let id = request_id(scene, "user-sam.taylor", WIKI.0, "pendingApproval").await?;

        sam.click_link("See your requests").await?;
        sam.wait_for_heading("Requests").await?;
        let card = request_card(WIKI.1);
        wait_for_text_in(&sam, &card, "Pending approval").await?;
        sam.screenshot("1-pending").await?;
        let cancel = sam
            .wait_for(&format!("{card}{}", button_reading("Cancel request")))
            .await?;
        sam.click(&cancel).await?;
        sam.wait_for_text("Cancel this request? The approvers won't be asked any more.")
            .await?;
        sam.screenshot("2-confirm").await?;
        sam.click_button("Yes, cancel it").await?;
        sam.wait_for_text("Your request for Company Wiki Editors was canceled.")
            .await?;
        sam.wait_for_focus("//div[@id='requests-notice']").await?;
        wait_for_text_in(&sam, &card, "Canceled").await?;
        ensure!(
            !sam.is_shown(&format!("{card}{}", button_reading("Cancel request")))
                .await?,
            "a canceled request still offers to cancel it"
        );
        sam.screenshot("3-canceled").await?;

        let state: String = sqlx::query_scalar("SELECT state FROM access_requests WHERE id = $1")
            .bind(&id)
            .fetch_one(scene.app.db())
            .await?;
        ensure!(state == "canceled", "the request is {state:?}");

        let daniel = scene.signed_in("daniel", DESKTOP, DANIEL).await?;
        daniel.goto("/approvals").await?;
        daniel
            .wait_for_text("Nothing is waiting for your decision.")
            .await?;
        daniel.screenshot("4-queue").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_approved_by_the_manager_moves_the_end_date_later() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        request(&sam, WIKI, "To document the release process.").await?;
        let daniel = scene.signed_in("daniel", DESKTOP, DANIEL).await?;
        open_approval(
            &daniel,
            "Sam Taylor",
            WIKI.1,
            "Sam Taylor asks for Company Wiki Editors",
        )
        .await?;
        daniel.click_button("Approve").await?;
        daniel
            .wait_for_text("Sam Taylor has the access now.")
            .await?;

        let end_of = async || -> Result<i64> {
            scene
                .app
                .number(
                    "SELECT end_at FROM assignments \
                     WHERE user_id = $1 AND package_id = $2 AND state = 'delivered'",
                    &["user-sam.taylor", WIKI.0],
                )
                .await?
                .context("Sam's wiki access has no end")
        };
        let first_end = end_of().await?;

        sam.click_link("Your access").await?;
        sam.wait_for_heading("Your access").await?;
        let card = access_card(WIKI.1);
        let before = wait_for_text_in(&sam, &card, "(in 30 days)").await?;
        sam.screenshot("1-granted").await?;

        let open = sam
            .wait_for(&format!("{card}{}", button_reading("Request extension")))
            .await?;
        sam.click(&open).await?;
        sam.wait_for_text("Request an extension").await?;
        sam.fill(
            "Why do you need more time?",
            "The release process doc needs another month.",
        )
        .await?;
        sam.screenshot("2-extension-form").await?;
        let send = sam
            .wait_for(&format!(
                "{card}//form{}",
                button_reading("Request extension")
            ))
            .await?;
        sam.click(&send).await?;
        sam.wait_for_text(
            "You asked for more time with Company Wiki Editors. The approvers have been asked.",
        )
        .await?;
        wait_for_text_in(&sam, &card, "You asked for an extension").await?;
        sam.screenshot("3-extension-sent").await?;

        open_approval(
            &daniel,
            "Sam Taylor",
            WIKI.1,
            "Sam Taylor asks to keep Company Wiki Editors",
        )
        .await?;
        daniel.wait_for_text("Extension request").await?;
        daniel.screenshot("4-extension-decision").await?;
        daniel.click_button("Approve").await?;
        daniel.wait_for_text("You approved").await?;

        let second_end = end_of().await?;
        ensure!(
            second_end == first_end + 30 * 24 * 60 * 60 * 1000,
            "the end moved from {first_end} to {second_end}, not 30 days later"
        );
        sam.reload().await?;
        sam.wait_for_heading("Your access").await?;
        let after = wait_for_text_in(&sam, &card, "(in 60 days)").await?;
        ensure!(
            !after.contains("You asked for an extension"),
            "the extension still shows as pending: {after:?}"
        );
        ensure!(before != after, "the card did not change: {after:?}");
        sam.scroll_to(&sam.wait_for(&card).await?).await?;
        sam.screenshot("5-extended").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_my_own_access_takes_the_grants_out_of_the_directory() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        let title = request(&sam, ONBOARDING, "First week on the team.").await?;
        ensure!(
            title == "You have access now",
            "after sending, the page says {title:?}"
        );
        let site_members = async || -> Result<i64> {
            scene
                .app
                .count(
                    "SELECT COUNT(*) FROM site_role_members \
                     WHERE site_id = 'site-eng-hub' AND role_id = 'member' AND user_id = $1",
                    &["user-sam.taylor"],
                )
                .await
        };
        ensure!(
            app_role_members(scene, "app-buildbox", "developer", "user-sam.taylor").await? == 1
                && site_members().await? == 1,
            "Engineering Onboarding was not delivered to the directory"
        );

        sam.click_link("See your access").await?;
        sam.wait_for_heading("Your access").await?;
        let card = access_card(ONBOARDING.1);
        wait_for_text_in(&sam, &card, "no end date").await?;
        sam.screenshot("1-access").await?;
        let remove = sam
            .wait_for(&format!("{card}{}", button_reading("Remove my access")))
            .await?;
        sam.click(&remove).await?;
        let confirm = sam
            .wait_for(&format!(
                "{card}//div[@aria-label='Confirm removal']{}",
                button_reading("Remove my access")
            ))
            .await?;
        sam.wait_for_text("Remove your access to Engineering Onboarding?")
            .await?;
        sam.screenshot("2-confirm").await?;
        sam.click(&confirm).await?;
        sam.wait_for_text("Your access to Engineering Onboarding was removed.")
            .await?;
        sam.wait_for_focus("//div[@id='access-notice']").await?;
        let ended = format!(
            "//section[contains(@class, 'ended-section')]{}",
            access_card(ONBOARDING.1)
        );
        wait_for_text_in(&sam, &ended, "Removed").await?;
        sam.screenshot("3-removed").await?;

        ensure!(
            app_role_members(scene, "app-buildbox", "developer", "user-sam.taylor").await? == 0,
            "Sam still holds the BuildBox developer role"
        );
        ensure!(
            site_members().await? == 0,
            "Sam is still a member of the Engineering Hub"
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colleague_opens_a_shared_link_cold_signs_in_and_requests_the_package() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        // Ethan got the link to hidden Project Falcon from a colleague, on his phone.
        let ethan = scene.browser("ethan", PHONE).await?;
        let path = format!("/access-packages/{}", FALCON.0);
        ethan.goto(&path).await?;
        let location = ethan.wait_for_path("/sign-in").await?;
        ensure!(
            location.contains(&format!("next={path}")),
            "sign-in does not remember the link: {location}"
        );
        ethan.screenshot("1-sign-in").await?;
        ethan.sign_in(ETHAN, entrada_e2e::DEMO_PASSWORD).await?;
        ethan.wait_for_path(&path).await?;
        ethan.wait_for_heading(FALCON.1).await?;
        ethan.screenshot("2-package").await?;

        // The policy's question must be answered.
        ethan.click_button("Request access").await?;
        ethan.wait_for_text("Check the fields marked below.").await?;
        let question = ethan
            .wait_for(
                "//fieldset[legend[starts-with(normalize-space(), 'Which workstream will you join?')]]",
            )
            .await?;
        eventually("the question's message", async || {
            ensure!(
                question.attr("aria-invalid").await?.as_deref() == Some("true"),
                "the question is not marked invalid"
            );
            Ok(())
        })
        .await?;
        ethan.scroll_to(&question).await?;
        ethan.screenshot("3-unanswered").await?;
        ensure!(
            scene
                .app
                .count(
                    "SELECT COUNT(*) FROM access_requests WHERE requestor_id = $1",
                    &["user-ethan.brooks"],
                )
                .await?
                == 0,
            "an unanswered request was saved"
        );

        ethan.tick("Go-to-market").await?;
        ethan
            .fill(WHY, "Leading the Falcon launch with our key accounts.")
            .await?;
        ethan.click_button("Request access").await?;
        ethan
            .wait_for_text("Request sent — waiting for approval")
            .await?;
        ethan.wait_for_text("Hannah Becker can decide now.").await?;
        ethan.screenshot("4-sent").await?;
        request_id(scene, "user-ethan.brooks", FALCON.0, "pendingApproval").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decision_page_on_a_phone_shows_approve_and_deny_without_scrolling_and_fits_its_width(
) -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        // A long reason makes the page taller than the phone's screen.
        let reason = "I am writing the runbooks for the new deploy pipeline. ".repeat(12);
        request(&sam, WIKI, reason.trim()).await?;
        let id = request_id(scene, "user-sam.taylor", WIKI.0, "pendingApproval").await?;

        let daniel = scene.signed_in("daniel", PHONE, DANIEL).await?;
        daniel.goto(&format!("/approvals/{id}")).await?;
        daniel
            .wait_for_heading("Sam Taylor asks for Company Wiki Editors")
            .await?;
        let approve = daniel.button("Approve").await?;
        let deny = daniel.button("Deny").await?;
        daniel.screenshot("1-top").await?;

        let (scroll_y, scroll_height, inner_height): (f64, i64, i64) = serde_json::from_value(
            daniel
                .script(
                    "return [window.scrollY, document.documentElement.scrollHeight, window.innerHeight];",
                )
                .await?,
        )?;
        ensure!(scroll_y == 0.0, "the page opened scrolled to {scroll_y}");
        ensure!(
            scroll_height > inner_height,
            "the page ({scroll_height} px) is no taller than the phone ({inner_height} px), \
             so the check proves nothing"
        );
        daniel
            .ensure_no_sideways_scrolling("the decision page")
            .await?;
        for (name, button) in [("Approve", &approve), ("Deny", &deny)] {
            ensure!(
                daniel.wholly_on_screen(button).await?,
                "{name} is not wholly on screen without scrolling"
            );
        }

        // Read to the end of the reason: the buttons are still at hand.
        daniel
            .script("window.scrollTo(0, document.documentElement.scrollHeight); return null;")
            .await?;
        for (name, button) in [("Approve", &approve), ("Deny", &deny)] {
            ensure!(
                daniel.wholly_on_screen(button).await?,
                "{name} is not on screen at the end of the page"
            );
        }
        daniel
            .ensure_no_sideways_scrolling("the decision page, scrolled down")
            .await?;
        daniel.screenshot("2-bottom").await?;
        Ok(())
    })
    .await
}
