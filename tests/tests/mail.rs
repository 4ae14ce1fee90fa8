//! E-mail in a real headless Chromium (issue 10): an approver opens the deep link of the
//! "approval needed" mail the SMTP server received and lands on that request, and the
//! requestor opens the decision mail's link to that request among theirs; an
//! administrator reads the Outbox; a person turns an optional message off on a phone.

use anyhow::{ensure, Context, Result};
use entrada_e2e::mail::{maildir, wait_for_mail};
use entrada_e2e::requests::{request, request_id};
use entrada_e2e::{input_labelled, test_name, with_scene, xpath_literal, Scene, DESKTOP, PHONE};

const SAM: &str = "sam.taylor@lakeshore.example";
const DANIEL: &str = "daniel.kim@lakeshore.example";
const ALEX: &str = "alex.morgan@lakeshore.example";
const WIKI: (&str, &str) = ("ap-company-wiki", "Company Wiki Editors");

#[tokio::test]
async fn the_approver_opens_the_waiting_request_from_its_mail() -> Result<()> {
    let Some(maildir) = maildir() else {
        return Ok(());
    };
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", PHONE, SAM).await?;
        request(&sam, WIKI, "Writing the onboarding guide").await?;
        let id = request_id(scene, "user-sam.taylor", WIKI.0, "pendingApproval").await?;

        let mail = wait_for_mail(&scene.app, &maildir, DANIEL, &format!("/approvals/{id}")).await?;
        ensure!(
            mail.subject == "Approval needed: Sam Taylor requests Company Wiki Editors",
            "subject: {}",
            mail.subject
        );
        let link = mail
            .link(&scene.app.base_url)
            .context("the mail has a link")?;
        let path = link
            .strip_prefix(&scene.app.base_url)
            .context("the link is the server's")?;
        ensure!(path == format!("/approvals/{id}"), "the link is {link}");

        let daniel = scene.signed_in("daniel", PHONE, DANIEL).await?;
        daniel.goto(path).await?;
        daniel
            .wait_for_heading("Sam Taylor asks for Company Wiki Editors")
            .await?;
        daniel.screenshot("opened-from-mail").await?;

        // Daniel approves; Sam's decision mail leads to that request, marked and in view.
        daniel.click_button("Approve").await?;
        daniel.wait_for_text("Sam Taylor has the access now.").await?;
        let decided = wait_for_mail(&scene.app, &maildir, SAM, &format!("/requests?id={id}")).await?;
        let link = decided.link(&scene.app.base_url).context("the decision has a link")?;
        let path = link
            .strip_prefix(&scene.app.base_url)
            .context("the link is the server's")?;
        sam.goto(path).await?;
        sam.wait_for_heading("Requests").await?;
        let card = format!("//article[@id='request-card-{id}']");
        sam.wait_for_focus(&card).await?;
        let chosen = sam.wait_for(&format!("{card}[@aria-current='true']")).await?;
        ensure!(
            chosen.text().await?.contains("Company Wiki Editors"),
            "the marked card is the Wiki request"
        );
        let top = sam
            .script_with(
                "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight;",
                vec![chosen.to_json()?],
            )
            .await?;
        ensure!(top.as_bool() == Some(true), "the marked card's top is on screen");
        ensure!(
            !sam.is_shown("//p[@id='request-not-found']").await?,
            "no 'not yours' notice for Sam's own request"
        );
        sam.screenshot("decision-opened-from-mail").await?;

        // Someone else's request id: Daniel is told it is not among his, nothing is marked.
        daniel.goto(path).await?;
        daniel.wait_for("//p[@id='request-not-found']").await?;
        ensure!(
            !daniel.is_shown("//article[@aria-current='true']").await?,
            "nothing is marked for someone else's request"
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn administrators_read_what_was_written_in_the_outbox() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        request(&sam, WIKI, "Writing the onboarding guide").await?;
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        alex.goto("/admin").await?;
        alex.wait_for_heading("Admin").await?;
        alex.click_link("Outbox").await?;
        alex.wait_for_heading("Outbox").await?;
        let subject = "Approval needed: Sam Taylor requests Company Wiki Editors";
        alex.wait_for(&format!(
            "//table//summary[normalize-space()={}]",
            xpath_literal(subject)
        ))
        .await?;
        // Without SMTP the page says the message is not sent; with it, it is sent soon.
        let state = match entrada_e2e::mail::smtp_url() {
            Some(_) => "Sent",
            None => "Not sent: SMTP is not configured",
        };
        if state == "Sent" {
            entrada_e2e::eventually("the message to be sent", async || {
                alex.reload().await?;
                alex.wait_for_heading("Outbox").await?;
                alex.wait_for(&format!(
                    "//td[@data-label='State']/span[normalize-space()={}]",
                    xpath_literal(state)
                ))
                .await
            })
            .await?;
        } else {
            alex.wait_for_text("SMTP is not configured: messages are not sent.")
                .await?;
            alex.wait_for(&format!(
                "//td[@data-label='State']/span[normalize-space()={}]",
                xpath_literal(state)
            ))
            .await?;
        }
        let to = alex
            .wait_for("//table//tbody/tr[1]/td[@data-label='To']")
            .await?
            .text()
            .await?;
        ensure!(
            to.trim() == DANIEL,
            "the newest message goes to Daniel, not {to}"
        );
        alex.click(
            &alex
                .wait_for(&format!(
                    "//summary[normalize-space()={}]",
                    xpath_literal(subject)
                ))
                .await?,
        )
        .await?;
        alex.wait_for_text("Sam Taylor asks for access to \"Company Wiki Editors\"")
            .await?;
        alex.screenshot("outbox").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn people_turn_off_an_optional_message_on_a_phone() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", PHONE, SAM).await?;
        // On a phone the link is in the menu.
        sam.click_button("Menu").await?;
        sam.click_link("E-mail settings").await?;
        sam.wait_for_heading("E-mail notifications").await?;
        sam.wait_for_text("A request waits for your decision")
            .await?;
        sam.screenshot("1-all-on").await?;
        let removed = sam
            .wait_for(&input_labelled("Your access was removed or expired"))
            .await?;
        sam.click(&removed).await?;
        sam.click_button("Save").await?;
        sam.wait_for_text("Saved. Your e-mail settings are up to date.")
            .await?;
        let off = scene
            .app
            .count(
                "SELECT COUNT(*) FROM notification_opt_outs WHERE user_id = $1 AND kind = $2",
                &["user-sam.taylor", "accessRemoved"],
            )
            .await?;
        ensure!(off == 1, "the opt-out was saved ({off})");
        sam.reload().await?;
        sam.wait_for_heading("E-mail notifications").await?;
        let checked = sam
            .script("return document.getElementById('notify-accessRemoved').checked;")
            .await?;
        ensure!(
            checked == serde_json::json!(false),
            "still off after a reload"
        );
        sam.screenshot("2-saved").await?;
        Ok(())
    })
    .await
}
