//! The audit log and reports (issue 11) in a real headless Chromium: an administrator
//! answers "who approved Sam's access to Finance Reporting, and when" by filtering the log,
//! expands the event, exports the same filter as CSV, and opens Sam's report; the log and
//! a report read well on a phone.

use anyhow::{ensure, Context, Result};
use entrada_e2e::{test_name, with_scene, Browser, Scene, DESKTOP, PHONE};
use serde_json::json;

const ALEX: &str = "alex.morgan@lakeshore.example";
const SAM: &str = "sam.taylor@lakeshore.example";
const DANIEL: &str = "daniel.kim@lakeshore.example";
const FATIMA: &str = "fatima.rahman@lakeshore.example";

/// Sam asks for Finance Reporting; Daniel and Fatima approve its two stages.
async fn approved_request(scene: &Scene) -> Result<String> {
    let sam = scene.signed_in("sam", DESKTOP, SAM).await?;
    let (status, view) = sam
        .api(
            "POST",
            "/requests",
            json!({ "accessPackageId": "ap-finance-reporting", "policyId": "pol-finance-reporting", "type": "userAdd", "justification": "Quarterly planning", "answers": [] }),
        )
        .await?;
    ensure!(status == 201, "the request was refused: {view}");
    let id = view["request"]["id"]
        .as_str()
        .context("request id")?
        .to_owned();
    for (who, email, reason) in [
        ("daniel", DANIEL, "Manager"),
        ("fatima", FATIMA, "Budget owner"),
    ] {
        let approver = scene.signed_in(who, DESKTOP, email).await?;
        let (status, body) = approver
            .api(
                "POST",
                &format!("/requests/{id}/decisions"),
                json!({ "decision": "approve", "justification": reason }),
            )
            .await?;
        ensure!(status == 200, "{who} could not approve: {body}");
    }
    Ok(id)
}

async fn open_audit(alex: &Browser) -> Result<()> {
    alex.goto("/admin").await?;
    alex.wait_for_heading("Admin").await?;
    alex.click_link("Audit log").await?;
    alex.wait_for_heading("Audit log").await?;
    alex.wait_for("//ol[contains(@class, 'audit-events')]/li")
        .await?;
    Ok(())
}

#[tokio::test]
async fn an_administrator_finds_who_approved_filters_expands_and_exports() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        approved_request(scene).await?;
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        open_audit(&alex).await?;
        alex.screenshot("1-log").await?;

        alex.choose_option("Action", "Request approved").await?;
        alex.pick_person("About (person)", "Sam", "Sam Taylor").await?;
        alex.click_button("Show events").await?;
        let location = entrada_e2e::eventually("the filter in the URL", async || {
            let location = alex.location().await?;
            ensure!(location.contains("action="), "{location}");
            Ok(location)
        })
        .await?;
        ensure!(location.contains("action=request.approved") && location.contains("target=user-sam.taylor"), "the filter is in the URL: {location}");
        let row = "//li[contains(@class, 'audit-event')][.//summary[contains(., 'Request approved')][contains(., 'by Fatima Rahman')]]";
        let event = alex.wait_for(row).await?;
        let rows = alex.driver().find_all(thirtyfour::By::XPath("//li[contains(@class, 'audit-event')]")).await?;
        ensure!(rows.len() == 1, "one event matches, {} shown", rows.len());
        let summary = event.find(thirtyfour::By::Tag("summary")).await?;
        alex.click(&summary).await?;
        alex.wait_for(&format!("{row}//dd[normalize-space()='Budget owner']")).await?;
        alex.wait_for(&format!("{row}//dd/a[normalize-space()='Sam Taylor']")).await?;
        alex.audit("an expanded event").await?;
        alex.screenshot("2-filtered-and-expanded").await?;

        // The export link carries the same filter; the file holds the same event.
        let link = alex.wait_for("//a[normalize-space()='Export these events as CSV']").await?;
        let href = link.attr("href").await?.context("the export link has an address")?;
        ensure!(href.contains("action=request.approved") && href.contains("target=user-sam.taylor"), "{href}");
        let csv = alex
            .script_with("return fetch(arguments[0]).then((r) => r.text());", vec![json!(href)])
            .await?;
        let csv = csv.as_str().context("CSV text")?;
        let lines: Vec<&str> = csv.lines().collect();
        ensure!(lines.len() == 2, "the header and one event: {csv}");
        ensure!(lines[1].contains("request.approved") && lines[1].contains("Fatima Rahman") && lines[1].contains("Sam Taylor"), "{csv}");

        // From the event to Sam's report: what he holds, and who decided.
        let person = alex.wait_for(&format!("{row}//dd/a[normalize-space()='Sam Taylor']")).await?;
        alex.click(&person).await?;
        alex.wait_for_heading("What Sam Taylor holds").await?;
        alex.wait_for("//table[contains(@class, 'report-table')]//a[normalize-space()='Finance Reporting']").await?;
        alex.wait_for_text("decided by Daniel Kim, Fatima Rahman").await?;
        alex.screenshot("3-person-report").await?;

        // The administrator checks that nobody altered the log.
        open_audit(&alex).await?;
        alex.click_button("Check that the log is intact").await?;
        alex.wait_for_focus("//*[@id='chain-result']").await?;
        alex.wait_for_text("The log is intact").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn the_audit_log_and_a_report_work_on_a_phone() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        approved_request(scene).await?;
        let alex = scene.signed_in("alex", PHONE, ALEX).await?;
        open_audit(&alex).await?;
        let first = alex
            .wait_for("(//li[contains(@class, 'audit-event')]//summary)[1]")
            .await?;
        alex.click(&first).await?;
        alex.wait_for("(//li[contains(@class, 'audit-event')])[1]//dl")
            .await?;
        alex.ensure_no_sideways_scrolling("the audit log").await?;
        alex.screenshot("1-log").await?;

        alex.goto("/admin/reports/access-packages/ap-finance-reporting")
            .await?;
        alex.wait_for_heading("Who has Finance Reporting").await?;
        alex.wait_for(
            "//table[contains(@class, 'report-table')]//a[normalize-space()='Sam Taylor']",
        )
        .await?;
        alex.ensure_no_sideways_scrolling("the package report")
            .await?;
        alex.screenshot("2-package-report").await?;

        // Sam, a member, has no audit log.
        let sam = scene.signed_in("sam-phone", PHONE, SAM).await?;
        sam.goto("/admin/audit").await?;
        sam.wait_for_text("The admin area is for administrators")
            .await?;
        Ok(())
    })
    .await
}
