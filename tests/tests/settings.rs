//! The settings page and the guest lifecycle (issue 10, item 4), in a real headless
//! Chromium: an administrator chooses what happens to external people when their access
//! ends, sees the domain's rule on the days live, saves, and a reload shows the saved
//! choice, at desktop size and on a phone; a blocked guest who signs in is told why.

use anyhow::{ensure, Result};
use entrada_e2e::{
    control_labelled, test_name, with_scene, Browser, Scene, DEMO_PASSWORD, DESKTOP, PHONE,
};

const ALEX: &str = "alex.morgan@lakeshore.example";
const PAT: &str = "pat.quinn@fabrikam.example";
const DAYS: &str = "Days between blocking and deleting";

async fn stored(scene: &Scene) -> Result<(String, i64)> {
    let row: (String, i64) = sqlx::query_as(
        "SELECT external_on_last_assignment_end, CAST(external_delete_after_days AS BIGINT) FROM settings WHERE id = 1",
    )
    .fetch_one(scene.app.db())
    .await?;
    Ok(row)
}

async fn open_page(browser: &Browser) -> Result<()> {
    browser.goto("/admin").await?;
    browser.wait_for_heading("Admin").await?;
    browser.click_link("Settings").await?;
    browser.wait_for_heading("Settings").await?;
    browser
        .wait_for("//input[@type='radio'][@value='blockThenDelete']")
        .await?;
    Ok(())
}

async fn change_and_save(scene: &Scene, alex: &Browser) -> Result<()> {
    open_page(alex).await?;
    // The default: block, then delete after 30 days; the days show for that choice only.
    let days = alex.control(DAYS).await?;
    ensure!(
        days.prop("value").await?.as_deref() == Some("30"),
        "the default days"
    );
    alex.screenshot("1-default").await?;

    // The domain's rule on the days shows as one types, and saving is refused with focus
    // on the summary.
    days.clear().await?;
    days.send_keys("0").await?;
    alex.wait_for("//*[contains(@class, 'field')][contains(., 'Choose between 1 and 3650 days.')]")
        .await?;
    alex.click_button("Save settings").await?;
    alex.wait_for_focus("//*[@id='error-summary']").await?;
    alex.audit("the refused settings").await?;
    alex.screenshot("2-refused").await?;
    ensure!(
        stored(scene).await? == ("blockThenDelete".to_owned(), 30),
        "a refused form was saved"
    );

    let days = alex.control(DAYS).await?;
    days.clear().await?;
    days.send_keys("45").await?;
    alex.click_button("Save settings").await?;
    alex.wait_for_focus("//*[@id='settings-notice']").await?;
    alex.wait_for_text("deleted 45 days later").await?;
    ensure!(
        stored(scene).await? == ("blockThenDelete".to_owned(), 45),
        "45 days were not saved"
    );
    alex.screenshot("3-saved").await?;

    // Block only: the days disappear; saved; a reload shows the choice.
    alex.tick("Block sign-in").await?;
    alex.wait_until_gone(&control_labelled(DAYS)).await?;
    alex.click_button("Save settings").await?;
    alex.wait_for_text("External people are blocked when their last access ends.")
        .await?;
    ensure!(stored(scene).await?.0 == "block", "block was not saved");
    alex.reload().await?;
    alex.wait_for_heading("Settings").await?;
    let block = alex
        .wait_for("//input[@type='radio'][@value='block']")
        .await?;
    ensure!(block.is_selected().await?, "the reload shows block chosen");
    ensure!(
        !alex.is_shown(&control_labelled(DAYS)).await?,
        "no days for block"
    );
    alex.audit("the reloaded settings").await?;
    alex.ensure_no_sideways_scrolling("settings").await?;
    alex.screenshot("4-reloaded").await?;
    Ok(())
}

#[tokio::test]
async fn administrators_change_the_external_lifecycle_at_desktop_size() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        change_and_save(scene, &alex).await
    })
    .await
}

#[tokio::test]
async fn administrators_change_the_external_lifecycle_on_a_phone() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", PHONE, ALEX).await?;
        change_and_save(scene, &alex).await
    })
    .await
}

#[tokio::test]
async fn a_blocked_guest_is_told_why_at_sign_in() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        // The lifecycle blocked Pat on 1 December 2026 (12:00 UTC).
        sqlx::query(
            "UPDATE users SET state = 'blocked', blocked_at = 1796126400000 WHERE email = $1",
        )
        .bind(PAT)
        .execute(scene.app.db())
        .await?;
        let pat = scene.browser("pat", PHONE).await?;
        pat.goto("/sign-in").await?;
        // A wrong password learns nothing about the account.
        pat.submit_sign_in(PAT, "not-the-password").await?;
        pat.wait_for_text("That e-mail and password don't match an account.")
            .await?;
        ensure!(
            !pat.page_text().await?.contains("blocked"),
            "the state leaked"
        );
        pat.submit_sign_in(PAT, DEMO_PASSWORD).await?;
        pat.wait_for_text("Your access ended, so this account was blocked on 1 December 2026.")
            .await?;
        pat.wait_for_text("Ask the person who shared access with you to request it again")
            .await?;
        pat.audit("the blocked sign-in").await?;
        pat.screenshot("blocked").await?;
        ensure!(
            pat.location().await?.starts_with("/sign-in"),
            "still on the sign-in page"
        );
        Ok(())
    })
    .await
}
