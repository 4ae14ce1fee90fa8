//! A partner's journey at phone size (issue 10): from a shared package link, signed out,
//! sign up, confirm the address with the code from the message, land back on the package
//! signed in, request it; the sponsor approves; the package shows as held.

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
        let field = kim.control("E-mail").await?;
        field.clear().await?;
        field.send_keys(address).await?;
        kim.fill("Password (at least 10 characters)", "correct horse battery")
            .await?;
        kim.click_button("Sign up").await?;
        kim.wait_for_heading("Check your e-mail").await?;
        kim.wait_for_text(address).await?;
        kim.audit("check your e-mail").await?;
        kim.screenshot("2-code-entry").await?;

        let (link, code) = verification_mail(scene, address).await?;
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
