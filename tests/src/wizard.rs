//! Walking the admin setup wizards: their step headings and the steps every wizard test
//! takes (`tests/admin.rs`, `tests/wizard_journeys.rs`).

use anyhow::Result;

use crate::{button_reading, xpath_literal, Browser};

/// The step headings every wizard shows, in order.
pub const CATALOG_STEP: &str = "Choose the catalog";
/// The department wizard's second step.
pub const OWNERS_STEP: &str = "Add catalog owners";
/// Resources and their roles.
pub const RESOURCES_STEP: &str = "Choose resources and roles";
/// Name and description of the package.
pub const PACKAGE_STEP: &str = "Describe the access package";
/// The policy editor with its live preview.
pub const POLICY_STEP: &str = "Set the policy";
/// Everything at once, before Create.
pub const REVIEW_STEP: &str = "Review and create";
/// After Create.
pub const DONE_STEP: &str = "Created";

/// The heading of the step on screen, which takes focus after every Next and Back.
pub const STEP_HEADING: &str = "//h2[@id='wizard-step-heading']";

/// Waits for the wizard step whose heading reads `heading`.
pub async fn wait_for_step(browser: &Browser, heading: &str) -> Result<()> {
    browser
        .wait_for(&format!(
            "{STEP_HEADING}[normalize-space()={}]",
            xpath_literal(heading)
        ))
        .await?;
    Ok(())
}

/// The heading of the step on screen.
pub async fn current_step(browser: &Browser) -> Result<String> {
    let heading = browser.wait_for(STEP_HEADING).await?;
    Ok(heading.text().await?.trim().to_owned())
}

/// Clicks "Next", waits for the step `to` and checks that focus went to its heading. On a
/// phone, every step must fit the width.
pub async fn next(browser: &Browser, to: &str) -> Result<()> {
    browser.click_button("Next").await?;
    wait_for_step(browser, to).await?;
    browser.wait_for_focus(STEP_HEADING).await?;
    if browser.size().is_narrow() {
        browser.ensure_no_sideways_scrolling(to).await?;
    }
    Ok(())
}

/// The checkbox of `role` on the resource `resource` in the resources step.
pub fn offer_role(resource: &str, role: &str) -> String {
    format!(
        "//fieldset[contains(concat(' ', normalize-space(@class), ' '), ' offer ')]\
         [legend[starts-with(normalize-space(), {})]]\
         //input[@type='checkbox'][@id=//label[normalize-space()={}]/@for]",
        xpath_literal(resource),
        xpath_literal(role)
    )
}

/// Ticks a resource role and waits for its chip.
pub async fn choose_role(browser: &Browser, resource: &str, role: &str) -> Result<()> {
    browser.tick_at(&offer_role(resource, role)).await?;
    browser
        .wait_for(&format!(
            "//ul[@aria-label='Chosen resource roles']/li[contains(normalize-space(), {})]",
            xpath_literal(&format!("{resource} · {role}"))
        ))
        .await?;
    Ok(())
}

/// Adds a group whose members may request, in the policy step.
pub async fn add_requesting_group(browser: &Browser, group: &str) -> Result<()> {
    let label = "Add a group (its members may request)";
    browser.choose_option(label, group).await?;
    let add = browser
        .wait_for(&format!(
            "//div[contains(@class, 'group-picker')][.//label[normalize-space()={}]]{}",
            xpath_literal(label),
            button_reading("Add group")
        ))
        .await?;
    browser.click(&add).await?;
    wait_for_chosen_group(browser, group).await
}

/// Waits for `group`'s chip among the people and groups who may request.
pub async fn wait_for_chosen_group(browser: &Browser, group: &str) -> Result<()> {
    browser
        .wait_for(&format!(
            "//ul[@aria-label='Chosen people and groups']/li[contains(normalize-space(), {})]",
            xpath_literal(&format!("{group} (group)"))
        ))
        .await?;
    Ok(())
}
