//! Requesting a package and finding the request, as the request tests do
//! (`tests/requests.rs`, `tests/request_journeys.rs`).

use anyhow::{Context, Result};

use crate::{Browser, Scene};

/// The request form's justification box.
pub const WHY: &str = "Why do you need this access?";

/// Opens a package's page (`(id, name)`) and waits for its heading.
pub async fn open_package(browser: &Browser, package: (&str, &str)) -> Result<()> {
    browser
        .goto(&format!("/access-packages/{}", package.0))
        .await?;
    browser.wait_for_heading(package.1).await?;
    Ok(())
}

/// Opens a package's page, gives a reason and requests it; waits for the panel that says
/// what became of the request and returns its title.
pub async fn request(browser: &Browser, package: (&str, &str), reason: &str) -> Result<String> {
    open_package(browser, package).await?;
    send_request(browser, reason).await
}

/// On a package's page, gives a reason and requests it; returns the title of the panel
/// that says what became of the request.
pub async fn send_request(browser: &Browser, reason: &str) -> Result<String> {
    browser.fill(WHY, reason).await?;
    browser.click_button("Request access").await?;
    let title = browser
        .wait_for("//div[contains(@class, 'sent-panel')]//h3")
        .await?;
    Ok(title.text().await?.trim().to_owned())
}

/// The id of `user`'s request of `package` that is in `state`, from the database.
pub async fn request_id(scene: &Scene, user: &str, package: &str, state: &str) -> Result<String> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT id FROM access_requests WHERE requestor_id = $1 AND package_id = $2 AND state = $3",
    )
    .bind(user)
    .bind(package)
    .bind(state)
    .fetch_optional(scene.app.db())
    .await?;
    id.with_context(|| format!("{user} has no {state} request for {package}"))
}
