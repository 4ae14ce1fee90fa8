//! A partner's journey at phone size (issue 10): from a shared package link, signed out,
//! sign up, confirm the address with the code from the message, land back on the package
//! signed in, request it; the sponsor approves; the package shows as held. And anyone
//! with a personal address does the same for the demo's open package, confirming by the
//! mailed link; the approver decides on a phone.

use anyhow::{Context, Result};
use entrada_e2e::requests::{request_id, send_request};
use entrada_e2e::{test_name, with_scene, Scene, PHONE};
use serde_json::json;

const HANNAH: &str = "hannah.becker@lakeshore.example";
const PACKAGE: (&str, &str) = ("ap-partner-collaboration", "Partner Collaboration");

/// The link and the 6-digit code of the newest verification message to `address`. Read
/// from the outbox table for now; the one place to switch to the SMTP server's mailbox.
async fn verification_mail(scene: &Scene, address: &str) -> Result<(String, String)> {
    // From the real SMTP server `cargo xtask test` starts (required under CI=true); run
    // alone without it, from the outbox the server wrote the message to.
    let (subject, link) = match entrada_e2e::mail::maildir() {
        Some(maildir) => {
            let mail =
                entrada_e2e::mail::wait_for_mail(&scene.app, &maildir, address, "/sign-up/verify")
                    .await?;
            let link = mail
                .link(&format!("{}/sign-up/verify", scene.app.base_url))
                .context("no verification link in the mail")?;
            (mail.subject, link)
        }
        None => sqlx::query_as(
            "SELECT subject, link FROM outbox WHERE to_address = $1 AND kind = 'signUpVerification' \
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(address)
        .fetch_optional(scene.app.db())
        .await?
        .with_context(|| format!("no verification message to {address}"))?,
    };
    let code = subject
        .rsplit(' ')
        .next()
        .context("no code in the subject")?
        .to_owned();
    Ok((link, code))
}

/// Opens a package's link signed out, signs up from the sign-in page and lands on the
/// "Check your e-mail" step; returns the link and code of the verification message.
async fn sign_up_from_link(
    scene: &Scene,
    browser: &entrada_e2e::Browser,
    package: (&str, &str),
    address: &str,
    name: &str,
) -> Result<(String, String)> {
    browser
        .goto(&format!("/access-packages/{}", package.0))
        .await?;
    browser.wait_for_heading("Sign in").await?;
    browser.click_link("Sign up").await?;
    browser.wait_for_heading("Sign up").await?;
    browser.fill("E-mail", address).await?;
    browser.fill("Your name", name).await?;
    browser
        .fill("Password (at least 10 characters)", "correct horse battery")
        .await?;
    browser.click_button("Sign up").await?;
    browser.wait_for_heading("Check your e-mail").await?;
    browser.wait_for_text(address).await?;
    verification_mail(scene, address).await
}

#[tokio::test]
async fn a_partner_signs_up_from_a_shared_link_and_gets_the_package() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let kim = scene.browser("kim", PHONE).await?;
        let address = "kim.lee@fabrikam.example";
        kim.goto(&format!("/access-packages/{}", PACKAGE.0)).await?;
        kim.wait_for_heading("Sign in").await?;
        kim.click_link("Sign up").await?;
        kim.wait_for_heading("Sign up").await?;
        // Live validation, next to the field.
        kim.fill("E-mail", "kim.lee@").await?;
        kim.fill("Your name", "Kim Lee").await?;
        kim.wait_for("//p[@id='email-error'][contains(., 'name@example.com')]")
            .await?;
        kim.screenshot("1-sign-up-form").await?;
        let (link, code) = sign_up_from_link(scene, &kim, PACKAGE, address, "Kim Lee").await?;
        kim.audit("check your e-mail").await?;
        kim.screenshot("2-code-entry").await?;

        anyhow::ensure!(link.contains("/sign-up/verify?token="), "{link}");
        kim.fill("Code from the message", &code).await?;
        kim.click_button("Confirm").await?;
        kim.wait_for_heading(PACKAGE.1).await?;
        kim.wait_for_path(&format!("/access-packages/{}", PACKAGE.0))
            .await?;
        kim.screenshot("3-package").await?;
        let title = send_request(&kim, "Joint bid for the harbour project").await?;
        anyhow::ensure!(!title.is_empty());

        let kim_id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(address)
            .fetch_one(scene.app.db())
            .await?;
        let request = request_id(scene, &kim_id, PACKAGE.0, "pendingApproval").await?;
        let hannah = scene.signed_in("hannah", PHONE, HANNAH).await?;
        let (status, body) = hannah
            .api(
                "POST",
                &format!("/requests/{request}/decisions"),
                json!({ "decision": "approve" }),
            )
            .await?;
        anyhow::ensure!(status == 200, "approve: {status} {body}");

        kim.reload().await?;
        kim.wait_for_heading(PACKAGE.1).await?;
        kim.wait_for_text("You have this access package").await?;
        kim.screenshot("4-held").await?;
        Ok(())
    })
    .await
}

/// The seed's "anyone" scenario on a phone: someone with a personal address opens the
/// demo's Contract Bids link, signs up, confirms by the link in the mail, answers the
/// policy's question and asks; Hannah approves on her phone; the bidder holds the package
/// and their domain is a proposed connected organisation.
#[tokio::test]
async fn anyone_signs_up_by_the_mailed_link_and_bids() -> Result<()> {
    const BIDS: (&str, &str) = ("ap-contract-bids", "Contract Bids");
    with_scene(test_name!(), async |scene: &Scene| {
        let lee = scene.browser("lee", PHONE).await?;
        let address = "lee.morgan@gmail.example";
        let (link, _) = sign_up_from_link(scene, &lee, BIDS, address, "Lee Morgan").await?;
        let path = link
            .strip_prefix(&scene.app.base_url)
            .context("the link is the server's")?;
        lee.goto(path).await?;
        lee.wait_for_heading(BIDS.1).await?;
        lee.wait_for_path(&format!("/access-packages/{}", BIDS.0)).await?;
        lee.fill("Which company do you bid for?", "Northwind Facilities").await?;
        lee.screenshot("1-request-form").await?;
        let title = send_request(&lee, "Bidding for the 2027 facilities contract").await?;
        anyhow::ensure!(!title.is_empty());
        lee.screenshot("2-sent").await?;

        let lee_id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(address)
            .fetch_one(scene.app.db())
            .await?;
        let request = request_id(scene, &lee_id, BIDS.0, "pendingApproval").await?;
        let hannah = scene.signed_in("hannah", PHONE, HANNAH).await?;
        hannah.goto(&format!("/approvals/{request}")).await?;
        hannah.wait_for_heading("Lee Morgan asks for Contract Bids").await?;
        hannah.wait_for_text("Northwind Facilities").await?;
        hannah.click_button("Approve").await?;
        hannah.wait_for_text("Lee Morgan has the access now.").await?;

        lee.reload().await?;
        lee.wait_for_heading(BIDS.1).await?;
        lee.wait_for_text("You have this access package").await?;
        lee.screenshot("3-held").await?;
        let proposed = scene
            .app
            .count(
                "SELECT COUNT(*) FROM connected_organizations WHERE name = $1 AND state = 'proposed'",
                &["gmail.example"],
            )
            .await?;
        anyhow::ensure!(proposed == 1, "no proposed organisation for gmail.example");
        Ok(())
    })
    .await
}
