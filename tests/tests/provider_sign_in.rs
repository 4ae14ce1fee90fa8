//! Signing in through the organisation's OpenID provider, end to end at phone size
//! (issue 14): a signed-out person opens a page of My Access, chooses "Sign in with
//! Lakeshore ID", signs in on the provider's own page (the npm registry's oidc-provider,
//! started by `cargo xtask test`), and lands back on the page they opened, signed in.
//! Someone the directory does not know comes back to the sign-in page with the reason,
//! and an administrator sees the provider, its health and its sign-ins in Admin.

use anyhow::Result;
use entrada_e2e::{test_name, with_scene_of, Scene, TestApp, DESKTOP, PHONE};

#[tokio::test]
async fn a_member_signs_in_with_the_organisations_provider_on_a_phone() -> Result<()> {
    let app = TestApp::spawn_with_provider().await?;
    with_scene_of(test_name!(), app, async |scene: &Scene| {
        let sam = scene.browser("sam", PHONE).await?;
        sam.goto("/access").await?;
        sam.wait_for_heading("Sign in").await?;
        sam.wait_for_text("Sign in with Lakeshore ID").await?;
        sam.screenshot("sign-in-page").await?;
        sam.click_link("Sign in with Lakeshore ID").await?;

        // The provider's own page: it asks for the address.
        sam.wait_for_heading("Test identity provider").await?;
        sam.fill("E-mail address", "sam.taylor@lakeshore.example")
            .await?;
        sam.click_button("Sign in").await?;

        // Back in Entrada, signed in, on the page first opened.
        sam.wait_for_path("/access").await?;
        sam.wait_for_heading("Your access").await?;
        sam.wait_for_text("Sam Taylor").await?;
        sam.screenshot("signed-in").await?;

        // Someone the directory does not know: back on the sign-in page, told why.
        let stranger = scene.browser("stranger", PHONE).await?;
        stranger.goto("/sign-in").await?;
        stranger.click_link("Sign in with Lakeshore ID").await?;
        stranger.wait_for_heading("Test identity provider").await?;
        stranger
            .fill("E-mail address", "nobody@elsewhere.example")
            .await?;
        stranger.click_button("Sign in").await?;
        stranger.wait_for_heading("Sign in").await?;
        stranger
            .wait_for_text("nobody with that address has access to Entrada here")
            .await?;
        stranger.screenshot("unknown-person").await?;

        // An administrator sees the provider answering, with one sign-in and one refusal.
        let alex = scene.browser("alex", DESKTOP).await?;
        alex.sign_in_from_start("alex.morgan@lakeshore.example")
            .await?;
        alex.goto("/admin").await?;
        alex.click_link("Integrations").await?;
        alex.wait_for_heading("Integrations").await?;
        alex.wait_for_text("Reachable").await?;
        alex.wait_for_text("Sign in with Lakeshore ID").await?;
        let text = alex.page_text().await?;
        anyhow::ensure!(
            text.contains("Sign-ins, last 30 days\n1") && text.contains("Refused, last 30 days\n1"),
            "the figures are not shown: {text}"
        );
        alex.screenshot("integrations").await?;

        // The two pages at the other size: the sign-in page on a desktop, Integrations on
        // a phone.
        let visitor = scene.browser("visitor", DESKTOP).await?;
        visitor.goto("/sign-in").await?;
        visitor.wait_for_text("Sign in with Lakeshore ID").await?;
        visitor.screenshot("sign-in-page").await?;
        let alex_phone = scene.browser("alex-phone", PHONE).await?;
        alex_phone
            .sign_in_from_start("alex.morgan@lakeshore.example")
            .await?;
        alex_phone.goto("/admin/integrations").await?;
        alex_phone.wait_for_text("Reachable").await?;
        alex_phone.screenshot("integrations").await?;
        Ok(())
    })
    .await
}
