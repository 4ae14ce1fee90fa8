//! Connected organisations in the admin area (issue 10), in a real headless Chromium: an
//! administrator connects, edits and deletes a partner; a partner a policy names can't be
//! deleted and the page says which policy; members get no access; the create flow works by
//! keyboard alone; the list and form fit a phone.

use anyhow::{ensure, Result};
use entrada_e2e::{
    button_reading, control_labelled, test_name, unique, with_scene, xpath_literal, Browser, Scene,
    DESKTOP, PHONE,
};
use thirtyfour::Key;

const ALEX: &str = "alex.morgan@lakeshore.example";
const SAM: &str = "sam.taylor@lakeshore.example";

const PAGE: &str = "/admin/connected-organizations";

/// The number of organisations of that name in the database.
async fn saved(scene: &Scene, name: &str) -> Result<i64> {
    scene
        .app
        .count(
            "SELECT COUNT(*) FROM connected_organizations WHERE name = $1",
            &[name],
        )
        .await
}

/// The card of the organisation `name` in the list.
fn card(name: &str) -> String {
    format!(
        "//article[contains(@class, 'org-card')][.//h3[normalize-space()={}]]",
        xpath_literal(name)
    )
}

async fn open_page(browser: &Browser) -> Result<()> {
    browser.goto("/admin").await?;
    browser.wait_for_heading("Admin").await?;
    browser.click_link("Connected organisations").await?;
    browser.wait_for_heading("Connected organisations").await?;
    browser.wait_for(&card("Fabrikam")).await?;
    Ok(())
}

#[tokio::test]
async fn administrators_connect_edit_and_delete_organisations() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        let name = unique("Contoso");
        open_page(&alex).await?;
        alex.screenshot("1-list").await?;

        alex.click_button("Connect an organisation").await?;
        alex.fill("Name", &name).await?;
        alex.fill("E-mail domain 1", "contoso.example").await?;
        alex.click_button("Add a domain").await?;
        alex.wait_for_focus(&control_labelled("E-mail domain 2")).await?;
        alex.press("not a domain").await?;
        // The domain's rule shows next to the field as it is typed.
        alex.wait_for("//p[@id='f-domains-1-error'][contains(., 'Enter a domain such as fabrikam.example.')]")
            .await?;
        alex.pick_person("Add an internal sponsor", "Hannah", "Hannah Becker")
            .await?;
        alex.wait_for("//ul[@aria-label='Internal sponsors']/li[contains(., 'Hannah Becker')]")
            .await?;
        alex.click_button("Connect organisation").await?;
        // Refused: the summary takes focus and links to the field.
        alex.wait_for_focus("//*[@id='error-summary']").await?;
        alex.wait_for("//*[@id='error-summary']//a[@href='#f-domains-1'][contains(., 'Enter a domain')]")
            .await?;
        alex.audit("the refused form").await?;
        alex.screenshot("2-refused").await?;
        ensure!(saved(scene, &name).await? == 0, "a refused form was saved");

        let second = alex.control("E-mail domain 2").await?;
        second.clear().await?;
        second.send_keys("contoso-labs.example").await?;
        alex.click_button("Connect organisation").await?;
        alex.wait_for_focus("//*[@id='organizations-notice']").await?;
        alex.wait_for_text(&format!("{name} connected.")).await?;
        let created = alex.wait_for(&card(&name)).await?;
        let text = created.text().await?;
        ensure!(
            text.contains("contoso.example, contoso-labs.example")
                && text.contains("Hannah Becker")
                && text.contains("Configured"),
            "the card reads {text:?}"
        );
        ensure!(saved(scene, &name).await? == 1, "the organisation was not saved");
        alex.screenshot("3-created").await?;

        // Edit: drop the second domain, rename.
        let renamed = format!("{name} Labs");
        let edit = alex
            .wait_for(&format!("{}{}", card(&name), button_reading("Edit")))
            .await?;
        alex.click(&edit).await?;
        alex.wait_for_focus("//h2[@id='organization-form-heading']").await?;
        let remove = alex
            .wait_for("//button[@aria-label='Remove e-mail domain 2']")
            .await?;
        alex.click(&remove).await?;
        alex.wait_until_gone(&control_labelled("E-mail domain 2")).await?;
        let field = alex.control("Name").await?;
        field.clear().await?;
        field.send_keys(&renamed).await?;
        // The state: configured (checked) or proposed, each saying what it means.
        let configured = alex.wait_for("//input[@id='org-state-configured']").await?;
        ensure!(configured.is_selected().await?, "a connected organisation is configured");
        let proposed = alex.wait_for("//input[@id='org-state-proposed']").await?;
        alex.click(&proposed).await?;
        alex.screenshot("3-editing").await?;
        alex.click_button("Save changes").await?;
        alex.wait_for_focus("//*[@id='organizations-notice']").await?;
        alex.wait_for_text(&format!("{renamed} saved.")).await?;
        ensure!(saved(scene, &renamed).await? == 1 && saved(scene, &name).await? == 0, "the rename was not saved");
        let domains = scene
            .app
            .count(
                "SELECT COUNT(*) FROM connected_organizations WHERE name = $1 AND domains_json LIKE '%contoso-labs%'",
                &[&renamed],
            )
            .await?;
        ensure!(domains == 0, "the removed domain is still saved");
        let proposed = scene
            .app
            .count(
                "SELECT COUNT(*) FROM connected_organizations WHERE name = $1 AND state = 'proposed'",
                &[&renamed],
            )
            .await?;
        ensure!(proposed == 1, "the state was not saved");
        alex.wait_for(&format!("{}//li[normalize-space()='Proposed']", card(&renamed)))
            .await?;

        // Delete, after confirming.
        let delete = alex
            .wait_for(&format!("{}{}", card(&renamed), button_reading("Delete")))
            .await?;
        alex.click(&delete).await?;
        alex.wait_for_focus(&format!("{}//p[contains(@class, 'confirm-text')]", card(&renamed)))
            .await?;
        alex.audit("the delete confirmation").await?;
        ensure!(saved(scene, &renamed).await? == 1, "deleted before confirming");
        let confirm = alex
            .wait_for(&format!("{}{}", card(&renamed), button_reading("Delete")))
            .await?;
        alex.click(&confirm).await?;
        alex.wait_for_focus("//*[@id='organizations-notice']").await?;
        alex.wait_for_text(&format!("{renamed} deleted.")).await?;
        alex.wait_until_gone(&card(&renamed)).await?;
        ensure!(saved(scene, &renamed).await? == 0, "the organisation is still saved");
        alex.screenshot("4-deleted").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn deleting_a_partner_a_policy_names_is_refused_naming_the_policy() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", PHONE, ALEX).await?;
        open_page(&alex).await?;
        alex.ensure_no_sideways_scrolling("the connected organisations")
            .await?;
        alex.screenshot("1-list").await?;
        let delete = alex
            .wait_for(&format!("{}{}", card("Fabrikam"), button_reading("Delete")))
            .await?;
        alex.click(&delete).await?;
        let confirm = alex
            .wait_for(&format!("{}{}", card("Fabrikam"), button_reading("Delete")))
            .await?;
        alex.click(&confirm).await?;
        let problem = format!(
            "{}//div[contains(@class, 'org-delete-problem')]",
            card("Fabrikam")
        );
        alex.wait_for_focus(&problem).await?;
        let message = alex.wait_for(&format!("{problem}//p")).await?;
        let text = message.text().await?;
        ensure!(
            text.contains("“Fabrikam” of Partner Collaboration"),
            "the refusal reads {text:?}"
        );
        ensure!(
            alex.wholly_on_screen(&message).await?,
            "the refusal is not in view"
        );
        alex.audit("the refused delete").await?;
        alex.screenshot("2-refused").await?;
        ensure!(saved(scene, "Fabrikam").await? == 1, "Fabrikam was deleted");

        // The form fits the phone too.
        alex.click_button("Connect an organisation").await?;
        alex.control("Name").await?;
        alex.ensure_no_sideways_scrolling("the organisation form")
            .await?;
        alex.screenshot("3-form").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn members_get_no_access_to_connected_organisations() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
        sam.goto(PAGE).await?;
        sam.wait_for_heading("Admin").await?;
        sam.wait_for_text("You don't hold any of these roles.")
            .await?;
        ensure!(
            !sam.is_shown(&button_reading("Connect an organisation"))
                .await?,
            "a member sees the form"
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn an_organisation_can_be_connected_by_keyboard_alone() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        let name = unique("Northwind");
        alex.goto(PAGE).await?;
        alex.wait_for_heading("Connected organisations").await?;
        alex.wait_for(&card("Fabrikam")).await?;
        alex.tab_to("Connect an organisation").await?;
        alex.press(Key::Enter).await?;
        alex.wait_for_focus("//h2[@id='organization-form-heading']")
            .await?;
        alex.tab_to("Name").await?;
        alex.press(name.as_str()).await?;
        alex.tab_to("E-mail domain 1").await?;
        alex.press("northwind.example").await?;
        alex.tab_to("Connect organisation").await?;
        alex.press(Key::Enter).await?;
        alex.wait_for_focus("//*[@id='organizations-notice']")
            .await?;
        alex.wait_for_text(&format!("{name} connected.")).await?;
        ensure!(
            saved(scene, &name).await? == 1,
            "the organisation was not saved"
        );
        Ok(())
    })
    .await
}
