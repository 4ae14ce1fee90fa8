//! The setup wizards and the policy editor as people walk them (issue 9): a taken name is
//! flagged while it is typed, a refused Create shows and focuses its summary, a reload
//! resumes the draft, Back asks before dropping it, the preview says what stops it, the
//! package page reads like the rest of the app, and a whole setup works by keyboard alone.

use anyhow::{ensure, Context, Result};
use entrada_e2e::wizard::{
    add_requesting_group, next, offer_role, wait_for_chosen_group, wait_for_step, CATALOG_STEP,
    DONE_STEP, OWNERS_STEP, PACKAGE_STEP, POLICY_STEP, RESOURCES_STEP, REVIEW_STEP, STEP_HEADING,
};
use entrada_e2e::{
    button_reading, control_labelled, eventually, test_name, unique, with_scene, xpath_literal,
    Browser, Scene, Size, DESKTOP, PHONE,
};
use serde_json::Value;
use thirtyfour::Key;

const ALEX: &str = "alex.morgan@lakeshore.example";
const OLIVIA: &str = "olivia.grant@lakeshore.example";

const SUMMARY: &str = "//*[@id='wizard-errors']";
const PACKAGE_NAME_TAKEN: &str =
    "An access package with this name already exists in the catalog. Choose another name.";

/// The message under the field with this id, once it says something.
async fn field_message(browser: &Browser, id: &str) -> Result<String> {
    eventually(&format!("the message of #{id}"), async || {
        let text = browser
            .wait_for(&format!("//*[@id='{id}-error']"))
            .await?
            .text()
            .await?;
        ensure!(!text.trim().is_empty(), "#{id} has no message");
        Ok(text.trim().to_owned())
    })
    .await
}

/// Replaces what the field labelled `label` holds with `text`, as a person would: select
/// all, delete, type.
async fn retype(browser: &Browser, label: &str, text: &str) -> Result<()> {
    let field = browser.control(label).await?;
    field.send_keys(Key::Control + "a").await?;
    field.send_keys(Key::Backspace).await?;
    field.send_keys(text).await?;
    Ok(())
}

/// Alex walks the directory-users wizard to the package step (Engineering, Security
/// Champions · Member).
async fn to_package_step(alex: &Browser) -> Result<()> {
    alex.goto("/admin/wizards/directory-users").await?;
    wait_for_step(alex, CATALOG_STEP).await?;
    alex.tick("Engineering").await?;
    next(alex, RESOURCES_STEP).await?;
    alex.tick_at(&offer_role("Security Champions", "Member"))
        .await?;
    next(alex, PACKAGE_STEP).await
}

/// Finding 1 at `size`: a name the catalog already uses is flagged as it is typed, before
/// Create; when the server refuses Create (someone took the name meanwhile), the summary
/// says so, is on screen and has focus.
async fn taken_names(scene: &Scene, size: Size) -> Result<()> {
    let alex = scene.signed_in("alex", size, ALEX).await?;
    to_package_step(&alex).await?;

    alex.fill("Access package name", "Engineering Onboarding")
        .await?;
    let message = field_message(&alex, "f-package-name").await?;
    ensure!(
        message == PACKAGE_NAME_TAKEN,
        "a taken name reads {message:?}"
    );
    alex.screenshot("1-taken-name").await?;
    // Next is refused, and focus goes to the summary, which links to the field.
    alex.click_button("Next").await?;
    alex.wait_for_focus(SUMMARY).await?;
    let link = alex
        .wait_for(&format!(
            "{SUMMARY}//a[normalize-space()={}]",
            xpath_literal(PACKAGE_NAME_TAKEN)
        ))
        .await?;
    alex.click(&link).await?;
    alex.wait_for_focus("//input[@id='f-package-name']").await?;

    let package = unique("Champions Hub");
    retype(&alex, "Access package name", &package).await?;
    alex.wait_until_gone("//*[@id='f-package-name-error'][normalize-space()!='']")
        .await?;
    next(&alex, POLICY_STEP).await?;
    add_requesting_group(&alex, "Engineering").await?;
    next(&alex, REVIEW_STEP).await?;

    // Another administrator takes the name before Alex creates.
    sqlx::query(
        "INSERT INTO access_packages (id, catalog_id, name, description, hidden, created_at) \
         VALUES ($1, 'cat-engineering', $2, '', 0, 0)",
    )
    .bind(unique("ap-taken"))
    .bind(&package)
    .execute(scene.app.db())
    .await?;
    alex.click_button("Create").await?;
    alex.wait_for_focus(SUMMARY).await?;
    let summary = alex.wait_for(SUMMARY).await?;
    let text = summary.text().await?;
    ensure!(
        text.contains("Nothing was created.") && text.contains("already exists"),
        "the summary reads {text:?}"
    );
    ensure!(
        alex.wholly_on_screen(&summary).await?,
        "the error summary is not on screen"
    );
    // The names were looked up again: the summary names the field and leads to it.
    let change = alex
        .wait_for(&format!(
            "{SUMMARY}//li[contains(normalize-space(), {})]//button[starts-with(normalize-space(), 'Change it')]",
            xpath_literal(PACKAGE_NAME_TAKEN)
        ))
        .await?;
    alex.wait_for_focus(SUMMARY).await?;
    alex.audit("a refused Create").await?;
    let shot = alex.screenshot("2-create-refused").await?;
    if size.is_narrow() {
        let target = entrada_e2e::repo_root().join("docs/screenshots/wizard-error-phone.png");
        std::fs::create_dir_all(target.parent().context("no parent")?)?;
        std::fs::copy(&shot, &target)
            .with_context(|| format!("copying {} to {}", shot.display(), target.display()))?;
    }

    alex.click(&change).await?;
    wait_for_step(&alex, PACKAGE_STEP).await?;
    alex.wait_for_focus("//input[@id='f-package-name']").await?;
    let message = field_message(&alex, "f-package-name").await?;
    ensure!(
        message == PACKAGE_NAME_TAKEN,
        "after the refusal the name reads {message:?}"
    );
    let saved = scene
        .app
        .count(
            "SELECT COUNT(*) FROM access_packages WHERE name = $1",
            &[&package],
        )
        .await?;
    ensure!(saved == 1, "{saved} packages are named {package:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wizard_flags_a_taken_name_and_focuses_the_summary_when_create_is_refused() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        taken_names(scene, DESKTOP).await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wizard_flags_a_taken_name_and_focuses_the_summary_when_create_is_refused_on_a_phone(
) -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        taken_names(scene, PHONE).await
    })
    .await
}

/// Finding 1 for catalogs: a new catalog's name that another catalog has is flagged as it
/// is typed, and Next stays on the step with focus on the summary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wizard_flags_a_taken_catalog_name_while_typing() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        alex.goto("/admin/wizards/any-partner").await?;
        wait_for_step(&alex, CATALOG_STEP).await?;
        alex.tick("Create a new catalog").await?;
        alex.fill("Catalog name", "Engineering").await?;
        let message = field_message(&alex, "f-catalog-name").await?;
        ensure!(
            message == "A catalog with this name already exists. Choose another name.",
            "a taken catalog name reads {message:?}"
        );
        alex.click_button("Next").await?;
        alex.wait_for_focus(SUMMARY).await?;
        wait_for_step(&alex, CATALOG_STEP).await?;
        alex.screenshot("taken-catalog-name").await?;
        retype(&alex, "Catalog name", &unique("Harbour Bid")).await?;
        alex.wait_until_gone("//*[@id='f-catalog-name-error'][normalize-space()!='']")
            .await?;
        next(&alex, RESOURCES_STEP).await
    })
    .await
}

/// Finding 2: a reload on step 3 resumes step 3 with the draft; Back asks, and staying
/// keeps the wizard; leaving drops the draft.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wizard_resumes_after_a_reload_and_back_asks_before_leaving() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        alex.goto("/admin").await?;
        alex.wait_for_heading("Admin").await?;
        to_package_step(&alex).await?;
        let package = unique("Kept Draft");
        alex.fill("Access package name", &package).await?;

        alex.reload().await?;
        wait_for_step(&alex, PACKAGE_STEP).await?;
        let value = alex
            .control("Access package name")
            .await?
            .value()
            .await?
            .unwrap_or_default();
        ensure!(value == package, "after a reload the name reads {value:?}");
        alex.screenshot("1-resumed").await?;
        // The earlier steps kept their choices too.
        alex.click_button("Back").await?;
        wait_for_step(&alex, RESOURCES_STEP).await?;
        alex.wait_for_focus(STEP_HEADING).await?;
        ensure!(
            alex.wait_for(&offer_role("Security Champions", "Member"))
                .await?
                .is_selected()
                .await?,
            "the chosen role was lost"
        );

        // Back asks; staying keeps the wizard as it was.
        alex.driver().back().await?;
        let question = eventually("the question before leaving", async || {
            Ok(alex.driver().get_alert_text().await?)
        })
        .await?;
        ensure!(
            question.contains("What you entered will be lost"),
            "Back asks {question:?}"
        );
        alex.driver().dismiss_alert().await?;
        wait_for_step(&alex, RESOURCES_STEP).await?;
        let location = alex.location().await?;
        ensure!(
            location.ends_with("/admin/wizards/directory-users"),
            "after staying the page is {location}"
        );

        // Asked again, leaving goes back to Admin, and the draft is gone.
        alex.driver().back().await?;
        eventually("the question before leaving", async || {
            Ok(alex.driver().get_alert_text().await?)
        })
        .await?;
        alex.driver().accept_alert().await?;
        alex.wait_for_heading("Admin").await?;
        alex.goto("/admin/wizards/directory-users").await?;
        wait_for_step(&alex, CATALOG_STEP).await?;
        let value = alex.control("Engineering").await?.is_selected().await?;
        ensure!(!value, "the dropped draft came back");
        Ok(())
    })
    .await
}

/// Finding 9: the preview names what stops it, as a working link, on a fresh policy step
/// and after choosing direct assignment, which offers to remove the stages in place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_names_what_stops_it_and_admin_only_offers_to_remove_the_stages() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        to_package_step(&alex).await?;
        alex.fill("Access package name", &unique("Preview Check"))
            .await?;
        next(&alex, POLICY_STEP).await?;
        let link = alex
            .wait_for(
                "//aside[contains(@class, 'preview')]//a[normalize-space()='Choose at least one user or group who may request access.']",
            )
            .await?;
        alex.screenshot("1-fresh-policy-step").await?;
        alex.click(&link).await?;
        alex.wait_for_focus("//fieldset[@id='f-policy-requestorScope-users']")
            .await?;
        add_requesting_group(&alex, "Engineering").await?;
        // The preview lists who could request, each with an "Approvers" button whose
        // accessible name starts with what it shows.
        alex.wait_for(&button_reading("Approvers")).await?;
        alex.audit("policy editor").await?;
        alex.screenshot("2-preview").await?;

        // Direct assignment on the policy page (the wizards don't offer it).
        alex.goto("/admin/access-packages/ap-engineering-onboarding/policies/new")
            .await?;
        alex.wait_for_heading("New policy").await?;
        alex.wait_for(
            "//aside[contains(@class, 'preview')]//a[normalize-space()='Enter a name for the policy.']",
        )
        .await?;
        alex.fill("Policy name", "Assigned by administrators").await?;
        alex.tick("Nobody: administrators assign directly").await?;
        let message = "Policies for direct assignment only have no approval stages.";
        alex.wait_for(&format!(
            "//aside[contains(@class, 'preview')]//a[normalize-space()={}]",
            xpath_literal(message)
        ))
        .await?;
        alex.screenshot("3-admin-only").await?;
        alex.audit("direct assignment with a stage left").await?;
        alex.click_button("Remove the approval stage").await?;
        alex.wait_for_text("Direct assignment only: there is nothing to approve.")
            .await?;
        alex.wait_until_gone("//aside[contains(@class, 'preview')]//a[contains(@class, 'field-link')]")
            .await?;
        alex.wait_for_text("Nobody could request this package through this policy.")
            .await?;
        ensure!(
            !alex.is_shown(&button_reading("Remove the approval stage")).await?,
            "the offer to remove the stages is still shown"
        );
        alex.screenshot("4-stages-removed").await?;
        Ok(())
    })
    .await
}

/// Whether any element inside the preview scrolls on its own (a scroll area in another).
async fn nested_scroll_areas(browser: &Browser) -> Result<Vec<String>> {
    let found = browser
        .script(
            "const out = [];
             for (const el of document.querySelectorAll('aside.preview *')) {
               const style = getComputedStyle(el);
               if (['auto', 'scroll'].includes(style.overflowY) && el.scrollHeight > el.clientHeight) {
                 out.push(el.tagName.toLowerCase() + '.' + el.className);
               }
             }
             return out;",
        )
        .await?;
    Ok(found
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default())
}

/// Finding 12: the package page writes dates like the rest of the app; the preview has no
/// scroll area inside its own; on a phone the preview comes before Save.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn package_page_dates_and_policy_preview_read_like_the_rest_of_the_app() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        alex.goto("/admin/access-packages/ap-engineering-onboarding")
            .await?;
        alex.wait_for_heading("Engineering Onboarding").await?;
        // Lena is assigned directly, so that the list shows dates.
        alex.pick_person("Person", "Lena", "Lena Fischer").await?;
        let policy = alex
            .wait_for_present("//select[@id='assign-policy']/option[@value!='']")
            .await?
            .text()
            .await?;
        alex.choose_option("Under policy", policy.trim()).await?;
        alex.click_button("Assign").await?;
        let assignments = alex
            .wait_for("//section[@aria-labelledby='assignments-heading']//ul[contains(@class, 'item-list')][li]")
            .await?;
        let text = assignments.text().await?;
        let iso = regex_like_iso(&text);
        ensure!(iso.is_none(), "the assignments show {iso:?}: {text:?}");
        ensure!(
            has_written_date(&text),
            "no date reads like \"Nov 30, 2026\": {text:?}"
        );
        alex.screenshot("1-package").await?;

        // The preview with everyone in the directory: one scroll area at most.
        alex.goto("/admin/access-packages/ap-engineering-onboarding/policies/new")
            .await?;
        alex.wait_for_heading("New policy").await?;
        alex.fill("Policy name", "Everyone").await?;
        alex.wait_for(&button_reading("Approvers")).await?;
        let nested = nested_scroll_areas(&alex).await?;
        ensure!(nested.is_empty(), "the preview scrolls inside: {nested:?}");
        alex.screenshot("2-policy-desktop").await?;

        let phone = scene.signed_in("alex-phone", PHONE, ALEX).await?;
        phone
            .goto("/admin/access-packages/ap-engineering-onboarding/policies/new")
            .await?;
        phone.wait_for_heading("New policy").await?;
        phone.fill("Policy name", "Everyone").await?;
        phone.wait_for(&button_reading("Approvers")).await?;
        let order = phone
            .script(
                "const preview = document.querySelector('aside.preview');
                 const save = Array.from(document.querySelectorAll('button')).find((b) => b.innerText.trim() === 'Save policy');
                 return [preview.getBoundingClientRect().top, save.getBoundingClientRect().top];",
            )
            .await?;
        let tops: Vec<f64> = order
            .as_array()
            .map(|v| v.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        ensure!(
            tops.len() == 2 && tops[0] < tops[1],
            "on a phone the preview is not before Save: {order}"
        );
        let nested = nested_scroll_areas(&phone).await?;
        ensure!(
            nested.len() <= 1,
            "the phone's preview has several scroll areas: {nested:?}"
        );
        phone.ensure_no_sideways_scrolling("the policy editor").await?;
        phone.screenshot("3-policy-phone").await?;
        Ok(())
    })
    .await
}

/// An ISO date (`2026-11-30`) in `text`, if any.
fn regex_like_iso(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(10).find_map(|w| {
        let digits = |range: std::ops::Range<usize>| range.clone().all(|i| w[i].is_ascii_digit());
        (digits(0..4) && w[4] == '-' && digits(5..7) && w[7] == '-' && digits(8..10))
            .then(|| w.iter().collect())
    })
}

/// Whether `text` holds a date written like "Nov 30, 2026".
fn has_written_date(text: &str) -> bool {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS.iter().any(|month| {
        text.match_indices(&format!("{month} ")).any(|(at, _)| {
            let rest = &text[at + 4..];
            let day: String = rest.chars().take_while(char::is_ascii_digit).collect();
            !day.is_empty()
                && rest[day.len()..].starts_with(", ")
                && rest[day.len() + 2..]
                    .chars()
                    .take(4)
                    .all(|c| c.is_ascii_digit())
        })
    })
}

// ---- Keyboard journeys ------------------------------------------------------------------

/// Presses Tab until the focused element matches `xpath` (at most 300 times: the resources
/// step lists every group, application and site with its roles).
async fn tab_to_element(browser: &Browser, xpath: &str) -> Result<()> {
    for _ in 0..300 {
        browser.press(Key::Tab).await?;
        if browser.has_focus(xpath).await? {
            return Ok(());
        }
    }
    anyhow::bail!(
        "Tab never reached {xpath}; focus is on {}",
        browser.focused().await?
    )
}

/// Presses the down arrow (moving through a radio group) until focus matches `xpath`.
async fn arrow_to_element(browser: &Browser, xpath: &str) -> Result<()> {
    for _ in 0..20 {
        if browser.has_focus(xpath).await? {
            return Ok(());
        }
        browser.press(Key::Down).await?;
    }
    anyhow::bail!(
        "the arrows never reached {xpath}; focus is on {}",
        browser.focused().await?
    )
}

/// Tabs to the button reading `text` and presses Enter.
async fn press_button(browser: &Browser, text: &str) -> Result<()> {
    tab_to_element(browser, &button_reading(text)).await?;
    browser.press(Key::Enter).await
}

/// Tabs to "Next", presses Enter, and checks that focus went to the heading of `to`.
async fn keyboard_next(browser: &Browser, to: &str) -> Result<()> {
    press_button(browser, "Next").await?;
    wait_for_step(browser, to).await?;
    browser.wait_for_focus(STEP_HEADING).await
}

/// Tabs to the group picker, types the group's name into its list, and adds it.
async fn keyboard_add_group(browser: &Browser, group: &str) -> Result<()> {
    tab_to_element(
        browser,
        &control_labelled("Add a group (its members may request)"),
    )
    .await?;
    browser.press(group).await?;
    press_button(browser, "Add group").await?;
    wait_for_chosen_group(browser, group).await
}

/// Journey 1 by keyboard alone: Tab, arrows, typing, Space and Enter, no clicks; after
/// each Next and Create, focus is where the person reads on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_users_wizard_is_completed_by_keyboard_alone() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        let package = unique("Keyboard Champions");
        alex.goto("/admin/wizards/directory-users").await?;
        wait_for_step(&alex, CATALOG_STEP).await?;

        // A refused Next puts focus on the summary.
        press_button(&alex, "Next").await?;
        alex.wait_for_focus(SUMMARY).await?;
        // The catalogs are one radio group: Tab enters it, the arrows choose.
        tab_to_element(&alex, "//input[@name='existing-catalog']").await?;
        arrow_to_element(
            &alex,
            "//input[@name='existing-catalog'][@id=//label[normalize-space()='Engineering']/@for]",
        )
        .await?;
        alex.press(Key::Space).await?;
        keyboard_next(&alex, RESOURCES_STEP).await?;

        let role = offer_role("Security Champions", "Member");
        tab_to_element(&alex, &role).await?;
        alex.press(Key::Space).await?;
        alex.wait_for("//ul[@aria-label='Chosen resource roles']/li[contains(normalize-space(), 'Security Champions · Member')]")
            .await?;
        keyboard_next(&alex, PACKAGE_STEP).await?;

        tab_to_element(&alex, &control_labelled("Access package name")).await?;
        alex.press(package.as_str()).await?;
        keyboard_next(&alex, POLICY_STEP).await?;

        keyboard_add_group(&alex, "Engineering").await?;
        alex.screenshot("1-policy").await?;
        keyboard_next(&alex, REVIEW_STEP).await?;
        alex.wait_for_text("Specific people and groups in your directory: members of Engineering")
            .await?;

        press_button(&alex, "Create").await?;
        wait_for_step(&alex, DONE_STEP).await?;
        alex.wait_for_focus(STEP_HEADING).await?;
        alex.wait_for_text(&format!("The access package “{package}”"))
            .await?;
        alex.screenshot("2-created").await?;
        let saved = scene
            .app
            .count(
                "SELECT COUNT(*) FROM access_packages WHERE name = $1",
                &[&package],
            )
            .await?;
        ensure!(saved == 1, "{saved} packages are named {package:?}");
        Ok(())
    })
    .await
}

/// The checkbox labelled `label` (anywhere on the step).
fn checkbox(label: &str) -> String {
    format!(
        "//input[@type='checkbox'][@id=//label[normalize-space()={}]/@for]",
        xpath_literal(label)
    )
}

/// The radio button labelled `label`.
fn radio(label: &str) -> String {
    format!(
        "//input[@type='radio'][@id=//label[normalize-space()={}]/@for]",
        xpath_literal(label)
    )
}

/// Tabs to a resource role's checkbox and ticks it with Space.
async fn keyboard_role(browser: &Browser, resource: &str, role: &str) -> Result<()> {
    tab_to_element(browser, &offer_role(resource, role)).await?;
    browser.press(Key::Space).await?;
    browser
        .wait_for(&format!(
            "//ul[@aria-label='Chosen resource roles']/li[contains(normalize-space(), {})]",
            xpath_literal(&format!("{resource} · {role}"))
        ))
        .await?;
    Ok(())
}

/// Tabs to the text field labelled `label` and types `text`.
async fn keyboard_type(browser: &Browser, label: &str, text: &str) -> Result<()> {
    tab_to_element(browser, &control_labelled(label)).await?;
    browser.press(text).await
}

/// Presses Create and checks that focus went to the heading of the last step.
async fn keyboard_create(scene: &Scene, browser: &Browser, package: &str) -> Result<()> {
    press_button(browser, "Create").await?;
    wait_for_step(browser, DONE_STEP).await?;
    browser.wait_for_focus(STEP_HEADING).await?;
    browser
        .wait_for_text(&format!("The access package “{package}”"))
        .await?;
    let saved = scene
        .app
        .count(
            "SELECT COUNT(*) FROM access_packages WHERE name = $1",
            &[package],
        )
        .await?;
    ensure!(saved == 1, "{saved} packages are named {package:?}");
    Ok(())
}

/// Journey 2 by keyboard alone: Olivia creates a department's catalog with Ben as a
/// co-owner (the person search's results are buttons reached with Tab).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn department_wizard_is_completed_by_keyboard_alone() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let olivia = scene.signed_in("olivia", DESKTOP, OLIVIA).await?;
        let catalog = unique("Keyboard Marketing");
        let package = unique("Keyboard Campaigns");
        olivia.goto("/admin/wizards/department").await?;
        wait_for_step(&olivia, CATALOG_STEP).await?;
        keyboard_type(&olivia, "Catalog name", &catalog).await?;
        keyboard_next(&olivia, OWNERS_STEP).await?;

        keyboard_type(&olivia, "Add an owner", "Ben").await?;
        tab_to_element(
            &olivia,
            "//button[contains(@class, 'pick')][.//*[contains(@class, 'pick-name')][normalize-space()='Ben Cohen']]",
        )
        .await?;
        olivia.press(Key::Enter).await?;
        olivia
            .wait_for("//ul[@aria-label='Chosen owners']/li[contains(normalize-space(), 'Ben Cohen')]")
            .await?;
        keyboard_next(&olivia, RESOURCES_STEP).await?;

        keyboard_role(&olivia, "Atlas Wiki", "Reader").await?;
        keyboard_next(&olivia, PACKAGE_STEP).await?;
        keyboard_type(&olivia, "Access package name", &package).await?;
        keyboard_next(&olivia, POLICY_STEP).await?;
        keyboard_add_group(&olivia, "Marketing").await?;
        keyboard_next(&olivia, REVIEW_STEP).await?;
        olivia.wait_for_text("You, Ben Cohen").await?;
        keyboard_create(scene, &olivia, &package).await?;
        olivia.screenshot("created").await?;
        Ok(())
    })
    .await
}

/// Journey 3 by keyboard alone: a package of Business Applications for Fabrikam.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn specific_partners_wizard_is_completed_by_keyboard_alone() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        let package = unique("Keyboard Bid Room");
        alex.goto("/admin/wizards/specific-partners").await?;
        wait_for_step(&alex, CATALOG_STEP).await?;
        tab_to_element(&alex, "//input[@name='existing-catalog']").await?;
        arrow_to_element(&alex, &radio("Business Applications")).await?;
        alex.press(Key::Space).await?;
        keyboard_next(&alex, RESOURCES_STEP).await?;

        keyboard_role(&alex, "Partner Portal", "Visitor").await?;
        keyboard_next(&alex, PACKAGE_STEP).await?;
        keyboard_type(&alex, "Access package name", &package).await?;
        keyboard_next(&alex, POLICY_STEP).await?;
        tab_to_element(&alex, &checkbox("Fabrikam")).await?;
        alex.press(Key::Space).await?;
        keyboard_next(&alex, REVIEW_STEP).await?;
        alex.wait_for_text("Specific connected organisations: Fabrikam")
            .await?;
        keyboard_create(scene, &alex, &package).await?;
        alex.screenshot("created").await?;
        Ok(())
    })
    .await
}

/// Journey 4 by keyboard alone: a new catalog open to anyone, a hidden package, a policy
/// for all external users (arrows move through each radio group).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_partner_wizard_is_completed_by_keyboard_alone() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        let catalog = unique("Keyboard Contract Bid");
        let package = unique("Keyboard Bid Documents");
        alex.goto("/admin/wizards/any-partner").await?;
        wait_for_step(&alex, CATALOG_STEP).await?;
        tab_to_element(&alex, "//input[@name='catalog-mode']").await?;
        arrow_to_element(&alex, &radio("Create a new catalog")).await?;
        alex.press(Key::Space).await?;
        keyboard_type(&alex, "Catalog name", &catalog).await?;
        keyboard_next(&alex, RESOURCES_STEP).await?;

        keyboard_role(&alex, "Sales Enablement", "Visitor").await?;
        keyboard_next(&alex, PACKAGE_STEP).await?;
        keyboard_type(&alex, "Access package name", &package).await?;
        tab_to_element(
            &alex,
            &checkbox("Hidden: leave it out of My Access; people reach it by its link"),
        )
        .await?;
        alex.press(Key::Space).await?;
        keyboard_next(&alex, POLICY_STEP).await?;
        tab_to_element(&alex, "//input[@type='radio'][@value='allConfiguredConnectedOrganizations' or @value='allExternalUsers']")
            .await?;
        arrow_to_element(&alex, &radio("All external users (anyone)")).await?;
        alex.press(Key::Space).await?;
        keyboard_next(&alex, REVIEW_STEP).await?;
        for text in [
            catalog.as_str(),
            "Hidden: by link only",
            "All external users (anyone)",
        ] {
            alex.wait_for_text(text).await?;
        }
        keyboard_create(scene, &alex, &package).await?;
        alex.screenshot("created").await?;
        Ok(())
    })
    .await
}
