//! Administrators in a real headless Chromium (issue 4): the four guided setups of
//! Entra's "common steps" end to end, what a wizard does with invalid input, and
//! delegation (each person sees only the admin controls their catalog roles allow).
//!
//! Each test is one story on one fresh server, with a browser per person
//! (`entrada_e2e::with_scene`). Screenshots of every step go to `target/screenshots/`.

use anyhow::{bail, ensure, Context, Result};
use entrada_e2e::{
    button_reading, control_labelled, eventually, link_reading, test_name, unique, with_scene,
    xpath_literal, Browser, Scene, Size, DESKTOP, PHONE,
};

use entrada_e2e::wizard::{
    add_requesting_group, choose_role, current_step, next, wait_for_step, CATALOG_STEP, DONE_STEP,
    OWNERS_STEP, PACKAGE_STEP, POLICY_STEP, RESOURCES_STEP, REVIEW_STEP,
};

const ALEX: &str = "alex.morgan@lakeshore.example";
const OLIVIA: &str = "olivia.grant@lakeshore.example";
const PRIYA: &str = "priya.shah@lakeshore.example";
const AISHA: &str = "aisha.bello@lakeshore.example";
const LENA: &str = "lena.fischer@lakeshore.example";
const SAM: &str = "sam.taylor@lakeshore.example";
const BEN: &str = "ben.cohen@lakeshore.example";
const PAT: &str = "pat.quinn@fabrikam.example";

/// The demo's catalogs, before any test adds to them.
const DEMO_CATALOGS: i64 = 2;

/// Clicks "Create" on the review step, waits for the last step and returns the path of
/// the package's My Access link (`/access-packages/<id>`).
async fn create(browser: &Browser, base_url: &str, package: &str) -> Result<String> {
    browser.click_button("Create").await?;
    wait_for_step(browser, DONE_STEP).await?;
    browser
        .wait_for_text(&format!("The access package “{package}”"))
        .await?;
    let link = browser
        .control("My Access link")
        .await?
        .value()
        .await?
        .unwrap_or_default();
    let path = link
        .strip_prefix(base_url)
        .with_context(|| format!("the link {link:?} is not on {base_url}"))?
        .to_owned();
    ensure!(
        path.starts_with("/access-packages/"),
        "the link {link:?} does not lead to a package"
    );
    browser
        .wait_for(&link_reading("Open the access package"))
        .await?;
    Ok(path)
}

/// The package of that name in the database: (id, hidden).
async fn saved_package(scene: &Scene, name: &str) -> Result<(String, i64)> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT id, CAST(hidden AS BIGINT) FROM access_packages WHERE name = $1")
            .bind(name)
            .fetch_optional(scene.app.db())
            .await?;
    row.with_context(|| format!("no access package named {name:?} was saved"))
}

/// Waits until My Access lists `package` and scrolls to it.
async fn show_listed(browser: &Browser, package: &str) -> Result<()> {
    browser.wait_until_listed(package).await?;
    let link = browser
        .wait_for(&format!(
            "//ul[@aria-label='Access packages']//a[normalize-space()={}]",
            xpath_literal(package)
        ))
        .await?;
    browser.scroll_to(&link).await
}

/// Someone who may request `package` signs in and finds it in My Access, then opens its
/// link and sees the request form.
async fn member_finds_it(
    scene: &Scene,
    who: &str,
    email: &str,
    size: Size,
    package: &str,
    link: &str,
) -> Result<()> {
    let member = scene.signed_in(who, size, email).await?;
    show_listed(&member, package).await?;
    member.screenshot("my-access").await?;
    member.goto(link).await?;
    member.wait_for_heading(package).await?;
    member.button("Request access").await?;
    member.screenshot("package").await?;
    Ok(())
}

/// Journey 1 at `size`: alex shares a group of the Engineering catalog with the members
/// of the Engineering group.
async fn share_with_directory_users(scene: &Scene, size: Size, member: (&str, &str)) -> Result<()> {
    let alex = scene.signed_in("alex", size, ALEX).await?;
    let package = unique("Security Champions Onboarding");

    alex.goto("/admin/wizards/directory-users").await?;
    alex.wait_for_heading("Share resources with users in your directory")
        .await?;
    wait_for_step(&alex, CATALOG_STEP).await?;
    alex.tick("Engineering").await?;
    alex.screenshot("1-catalog").await?;

    next(&alex, RESOURCES_STEP).await?;
    choose_role(&alex, "Security Champions", "Member").await?;
    alex.screenshot("2-resources").await?;

    next(&alex, PACKAGE_STEP).await?;
    alex.fill("Access package name", &package).await?;
    alex.fill(
        "Description (optional)",
        "Join the Security Champions and their reviews.",
    )
    .await?;
    alex.screenshot("3-package").await?;

    next(&alex, POLICY_STEP).await?;
    add_requesting_group(&alex, "Engineering").await?;
    alex.screenshot("4-policy").await?;

    next(&alex, REVIEW_STEP).await?;
    for text in [
        package.as_str(),
        "Engineering (existing)",
        "Security Champions (group) · Member",
        "Specific people and groups in your directory: members of Engineering",
        "the requestor's manager",
    ] {
        alex.wait_for_text(text).await?;
    }
    alex.screenshot("5-review").await?;

    let link = create(&alex, &scene.app.base_url, &package).await?;
    alex.screenshot("6-created").await?;
    let (id, hidden) = saved_package(scene, &package).await?;
    ensure!(
        link == format!("/access-packages/{id}"),
        "the link is {link}"
    );
    ensure!(hidden == 0, "the package was saved hidden");

    member_finds_it(scene, member.0, member.1, size, &package, &link).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_users_wizard_creates_a_package_that_group_members_find_in_my_access(
) -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        share_with_directory_users(scene, DESKTOP, ("lena", LENA)).await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_users_wizard_works_end_to_end_on_a_phone() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        share_with_directory_users(scene, PHONE, ("sam", SAM)).await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn department_wizard_creates_a_catalog_that_its_new_owner_manages_and_members_request_from(
) -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        // Olivia is a catalog creator, not an administrator.
        let olivia = scene.signed_in("olivia", DESKTOP, OLIVIA).await?;
        let catalog = unique("Marketing Tools");
        let package = unique("Campaign Pipeline Access");

        olivia.goto("/admin/wizards/department").await?;
        olivia
            .wait_for_heading("Share resources of another department")
            .await?;
        wait_for_step(&olivia, CATALOG_STEP).await?;
        olivia.fill("Catalog name", &catalog).await?;
        olivia
            .fill("Description (optional)", "Tools the Marketing team runs.")
            .await?;
        olivia.screenshot("1-catalog").await?;

        next(&olivia, OWNERS_STEP).await?;
        olivia
            .pick_person("Add an owner", "Ben", "Ben Cohen")
            .await?;
        olivia
            .wait_for(
                "//ul[@aria-label='Chosen owners']/li[contains(normalize-space(), 'Ben Cohen')]",
            )
            .await?;
        olivia.screenshot("2-owners").await?;

        next(&olivia, RESOURCES_STEP).await?;
        choose_role(&olivia, "Atlas Wiki", "Reader").await?;
        // The picker offers only what Olivia may add: what she owns (issue 8).
        let offered = olivia.page_text().await?;
        for foreign in [
            "Pipeline CRM",
            "Ledger",
            "Finance Approvers",
            "Project Falcon",
        ] {
            ensure!(
                !offered.contains(foreign),
                "Olivia is offered {foreign}, which she does not own: {offered:?}"
            );
        }
        olivia.screenshot("3-resources").await?;

        next(&olivia, PACKAGE_STEP).await?;
        olivia.fill("Access package name", &package).await?;
        olivia.screenshot("4-package").await?;

        next(&olivia, POLICY_STEP).await?;
        add_requesting_group(&olivia, "Marketing").await?;
        olivia.screenshot("5-policy").await?;

        next(&olivia, REVIEW_STEP).await?;
        for text in [
            catalog.as_str(),
            package.as_str(),
            "You, Ben Cohen",
            "Atlas Wiki (application) · Reader",
            "members of Marketing",
        ] {
            olivia.wait_for_text(text).await?;
        }
        olivia.screenshot("6-review").await?;

        let link = create(&olivia, &scene.app.base_url, &package).await?;
        olivia
            .wait_for_text(&format!("is ready in the catalog “{catalog}”"))
            .await?;
        olivia.screenshot("7-created").await?;
        saved_package(scene, &package).await?;

        // Ben, in Marketing, may request it, and now co-owns the new catalog.
        member_finds_it(scene, "ben", BEN, DESKTOP, &package, &link).await?;
        let ben = scene.browser("ben-admin", DESKTOP).await?;
        ben.goto("/sign-in?next=/admin").await?;
        ben.sign_in(BEN, entrada_e2e::DEMO_PASSWORD).await?;
        ben.wait_for_heading("Admin").await?;
        let card = ben
            .wait_for(&format!(
                "//ul[@aria-label='Catalogs']//article[.//a[normalize-space()={}]]",
                xpath_literal(&catalog)
            ))
            .await?;
        let card_text = card.text().await?;
        ensure!(
            card_text.contains("Your role: Catalog owner"),
            "Ben's card of the new catalog reads {card_text:?}"
        );
        ben.screenshot("admin").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn specific_partners_wizard_gives_a_link_that_a_fabrikam_guest_requests_from() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        let package = unique("Fabrikam Bid Room");

        alex.goto("/admin/wizards/specific-partners").await?;
        alex.wait_for_heading("Share resources with specific business partners")
            .await?;
        wait_for_step(&alex, CATALOG_STEP).await?;
        alex.tick("Use an existing catalog").await?;
        alex.tick("Business Applications").await?;
        alex.screenshot("1-catalog").await?;

        next(&alex, RESOURCES_STEP).await?;
        choose_role(&alex, "Partner Portal", "Visitor").await?;
        alex.screenshot("2-resources").await?;

        next(&alex, PACKAGE_STEP).await?;
        alex.fill("Access package name", &package).await?;
        alex.screenshot("3-package").await?;

        next(&alex, POLICY_STEP).await?;
        alex.tick("Fabrikam").await?;
        ensure!(
            alex.control("Sponsors of the requestor's connected organisation")
                .await?
                .is_selected()
                .await?,
            "the partner's sponsors are not the approvers"
        );
        alex.screenshot("4-policy").await?;

        next(&alex, REVIEW_STEP).await?;
        for text in [
            package.as_str(),
            "Business Applications (existing)",
            "Partner Portal (site) · Visitor",
            "Specific connected organisations: Fabrikam",
            "the organisation's sponsors",
        ] {
            alex.wait_for_text(text).await?;
        }
        alex.screenshot("5-review").await?;

        let link = create(&alex, &scene.app.base_url, &package).await?;
        alex.wait_for_text("Send this link to your partner's contact person")
            .await?;
        alex.screenshot("6-created").await?;
        saved_package(scene, &package).await?;

        // The partner's contact passes the link on: Pat opens it before signing in.
        let pat = scene.browser("pat", DESKTOP).await?;
        pat.goto(&link).await?;
        let location = pat.wait_for_path("/sign-in").await?;
        ensure!(
            location.contains("next=/access-packages/"),
            "sign-in does not remember the link: {location}"
        );
        pat.sign_in(PAT, entrada_e2e::DEMO_PASSWORD).await?;
        pat.wait_for_path(&link).await?;
        pat.wait_for_heading(&package).await?;
        pat.button("Request access").await?;
        pat.screenshot("package").await?;
        pat.click_link("Access packages").await?;
        show_listed(&pat, &package).await?;
        pat.screenshot("my-access").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_partner_wizard_creates_a_hidden_package_that_a_guest_reaches_only_by_its_link(
) -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        let catalog = unique("Harbour Contract Bid");
        let package = unique("Bid Documents");

        alex.goto("/admin/wizards/any-partner").await?;
        alex.wait_for_heading("Share resources with any business partner or anyone")
            .await?;
        wait_for_step(&alex, CATALOG_STEP).await?;
        alex.tick("Create a new catalog").await?;
        alex.fill("Catalog name", &catalog).await?;
        alex.wait_for_text("People outside your directory may request this catalog's packages.")
            .await?;
        alex.screenshot("1-catalog").await?;

        next(&alex, RESOURCES_STEP).await?;
        choose_role(&alex, "Sales Enablement", "Visitor").await?;
        alex.screenshot("2-resources").await?;

        next(&alex, PACKAGE_STEP).await?;
        alex.fill("Access package name", &package).await?;
        alex.tick("Hidden: leave it out of My Access; people reach it by its link")
            .await?;
        alex.screenshot("3-package").await?;

        next(&alex, POLICY_STEP).await?;
        alex.tick("All external users (anyone)").await?;
        alex.screenshot("4-policy").await?;

        next(&alex, REVIEW_STEP).await?;
        for text in [
            catalog.as_str(),
            package.as_str(),
            "May request its packages",
            "Hidden: by link only",
            "All external users (anyone)",
        ] {
            alex.wait_for_text(text).await?;
        }
        alex.screenshot("5-review").await?;

        let link = create(&alex, &scene.app.base_url, &package).await?;
        alex.screenshot("6-created").await?;
        let (_, hidden) = saved_package(scene, &package).await?;
        ensure!(hidden == 1, "the package was not saved hidden");

        // My Access does not list it (Pat's other package shows the list has loaded)…
        let pat = scene.signed_in("pat", DESKTOP, PAT).await?;
        let listed = pat.wait_until_listed("Partner Collaboration").await?;
        ensure!(
            !listed.contains(&package),
            "the hidden package is listed: {listed:?}"
        );
        pat.screenshot("my-access").await?;
        // …but its link opens it, ready to request.
        pat.goto(&link).await?;
        pat.wait_for_heading(&package).await?;
        pat.wait_for_text(
            "This package isn't listed in My Access; people reach it through its link.",
        )
        .await?;
        pat.button("Request access").await?;
        pat.screenshot("package").await?;
        Ok(())
    })
    .await
}

/// The message shown next to the field with the given id, with the field marked invalid
/// and pointing at it.
async fn message_next_to(browser: &Browser, field_xpath: &str) -> Result<String> {
    eventually(&format!("a message next to {field_xpath}"), async || {
        let field = browser.wait_for(field_xpath).await?;
        ensure!(
            field.attr("aria-invalid").await?.as_deref() == Some("true"),
            "the field is not marked invalid"
        );
        let described = field.attr("aria-describedby").await?.unwrap_or_default();
        let Some(error_id) = described
            .split_whitespace()
            .find(|id| id.ends_with("-error"))
        else {
            bail!("the field points at no message ({described:?})");
        };
        // The message sits in the field's own container, right after it.
        let message = browser
            .wait_for(&format!("{field_xpath}/../*[@id='{error_id}']"))
            .await?
            .text()
            .await?;
        ensure!(!message.trim().is_empty(), "the message is empty");
        Ok(message.trim().to_owned())
    })
    .await
}

/// The text of the message element with `id`, once it says something.
async fn message_with_id(browser: &Browser, id: &str) -> Result<String> {
    eventually(&format!("the message #{id}"), async || {
        let text = browser
            .wait_for(&format!("//*[@id='{id}']"))
            .await?
            .text()
            .await?;
        ensure!(!text.trim().is_empty(), "#{id} is empty");
        Ok(text.trim().to_owned())
    })
    .await
}

/// Clicks "Next" and checks the wizard stays on `step`.
async fn next_is_refused(browser: &Browser, step: &str) -> Result<()> {
    browser.click_button("Next").await?;
    // The refusal shows the summary above the step; by then any move would have happened.
    browser
        .wait_for(
            "//div[@id='wizard-errors']//p[starts-with(normalize-space(), 'Before you go on')]",
        )
        .await?;
    let current = current_step(browser).await?;
    ensure!(
        current == step,
        "Next moved on from {step:?} to {current:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_wizard_input_shows_next_to_the_field_and_next_stays_on_the_step() -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        let before = scene
            .app
            .count("SELECT COUNT(*) FROM access_packages", &[])
            .await?;
        let alex = scene.signed_in("alex", DESKTOP, ALEX).await?;
        alex.goto("/admin/wizards/directory-users").await?;
        wait_for_step(&alex, CATALOG_STEP).await?;
        // Count the setups the page sends from here on (the SPA never reloads).
        alex.script(
            "window.__setupCalls = 0;
             const fetch = window.fetch;
             window.fetch = function (input, init) {
               const url = typeof input === 'string' ? input : input.url;
               if (String(url).includes('/api/v1/setup')) window.__setupCalls += 1;
               return fetch.apply(this, arguments);
             };
             return null;",
        )
        .await?;

        // No catalog chosen.
        next_is_refused(&alex, CATALOG_STEP).await?;
        let message = message_with_id(&alex, "f-catalog-id-error").await?;
        ensure!(
            message == "Choose a catalog.",
            "the catalog step says {message:?}"
        );
        alex.screenshot("1-no-catalog").await?;
        alex.tick("Engineering").await?;
        next(&alex, RESOURCES_STEP).await?;

        // Nothing to grant.
        next_is_refused(&alex, RESOURCES_STEP).await?;
        let message = message_with_id(&alex, "f-roles-error").await?;
        ensure!(
            message == "Choose at least one resource role for the package to grant.",
            "the resources step says {message:?}"
        );
        alex.screenshot("2-no-roles").await?;
        choose_role(&alex, "Security Champions", "Member").await?;
        next(&alex, PACKAGE_STEP).await?;

        // A name of blanks: the message shows as it is typed, next to the field.
        let name = control_labelled("Access package name");
        alex.fill("Access package name", "   ").await?;
        let message = message_next_to(&alex, &name).await?;
        ensure!(
            message == "Give the access package a name.",
            "the name field says {message:?}"
        );
        next_is_refused(&alex, PACKAGE_STEP).await?;
        alex.screenshot("3-blank-name").await?;
        let package = unique("Never Saved");
        alex.fill("Access package name", &package).await?;
        alex.wait_until_gone(&format!(
            "{name}/../*[@id='f-package-name-error'][normalize-space()!='']"
        ))
        .await?;
        next(&alex, POLICY_STEP).await?;

        // Nobody may request, and a decision timeout out of range.
        next_is_refused(&alex, POLICY_STEP).await?;
        let message = message_with_id(&alex, "f-policy-requestorScope-users-error").await?;
        ensure!(
            message == "Choose at least one user or group who may request access.",
            "the scope says {message:?}"
        );
        let days = control_labelled("Days to decide");
        let days_field = alex.control("Days to decide").await?;
        days_field.clear().await?;
        alex.fill("Days to decide", "30").await?;
        let message = message_next_to(&alex, &days).await?;
        ensure!(
            message == "Choose a decision timeout from 1 to 14 days.",
            "the timeout field says {message:?}"
        );
        next_is_refused(&alex, POLICY_STEP).await?;
        alex.scroll_to(&days_field).await?;
        alex.screenshot("4-policy-errors").await?;

        // Nothing reached the server, and nothing was saved.
        let calls = alex.script("return window.__setupCalls;").await?;
        ensure!(calls.as_i64() == Some(0), "the page sent {calls} setups");
        let packages = scene
            .app
            .count("SELECT COUNT(*) FROM access_packages", &[])
            .await?;
        ensure!(
            packages == before,
            "{packages} access packages exist, {before} before"
        );
        let catalogs = scene
            .app
            .count("SELECT COUNT(*) FROM catalogs", &[])
            .await?;
        ensure!(catalogs == DEMO_CATALOGS, "{catalogs} catalogs exist");
        let named = scene
            .app
            .count(
                "SELECT COUNT(*) FROM access_packages WHERE name = $1",
                &[&package],
            )
            .await?;
        ensure!(named == 0, "{package:?} was saved");
        Ok(())
    })
    .await
}

/// The names of the catalogs listed on `/admin`.
async fn listed_catalogs(browser: &Browser) -> Result<Vec<String>> {
    browser.wait_for("//h2[@id='catalogs-heading']").await?;
    let mut names = Vec::new();
    for link in browser
        .driver()
        .find_all(thirtyfour::By::XPath("//ul[@aria-label='Catalogs']//h3/a"))
        .await?
    {
        names.push(link.text().await?.trim().to_owned());
    }
    Ok(names)
}

/// Fails if any of these buttons or links is shown.
async fn ensure_none_shown(browser: &Browser, page: &str, controls: &[&str]) -> Result<()> {
    for control in controls {
        let xpath = format!("{}|{}", button_reading(control), link_reading(control));
        ensure!(
            !browser.is_shown(&xpath).await?,
            "{page} shows {control:?} to someone who may not use it"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_owner_sees_admin_controls_only_for_their_catalog_and_a_reader_sees_none(
) -> Result<()> {
    with_scene(test_name!(), async |scene: &Scene| {
        // Priya owns Engineering and holds no role in Business Applications.
        let priya = scene.signed_in("priya", DESKTOP, PRIYA).await?;
        // Her first load is the build without the admin area; the link loads the one with it
        // (src/lib.rs).
        ensure!(
            loaded_build(&priya).await? == "entrada",
            "My Access runs the first-load build"
        );
        priya.click_link("Admin").await?;
        priya.wait_for_heading("Admin").await?;
        ensure!(
            loaded_build(&priya).await? == "entrada-admin",
            "the admin area runs the admin build"
        );
        eventually("Priya's catalogs", async || {
            let listed = listed_catalogs(&priya).await?;
            ensure!(listed == ["Engineering"], "Priya's Admin lists {listed:?}");
            Ok(())
        })
        .await?;
        priya
            .wait_for(&link_reading(
                "Share resources with users in your directory",
            ))
            .await?;
        ensure_none_shown(
            &priya,
            "Priya's Admin",
            &["Create catalog", "Share resources of another department"],
        )
        .await?;
        priya.screenshot("1-admin").await?;

        priya.click_link("Engineering").await?;
        priya.wait_for_heading("Engineering").await?;
        for control in [
            "Edit details",
            "Disable catalog",
            "Delete catalog",
            "New access package",
            "Add role",
        ] {
            priya.button(control).await?;
        }
        priya.screenshot("2-engineering").await?;

        priya
            .goto("/admin/access-packages/ap-engineering-onboarding")
            .await?;
        priya.wait_for_heading("Engineering Onboarding").await?;
        priya.button("Edit details").await?;
        priya.button("Delete access package").await?;
        priya.wait_for(&link_reading("Add a policy")).await?;

        priya.goto("/admin/catalogs/cat-business-apps").await?;
        priya.wait_for_heading("No such catalog").await?;
        ensure_none_shown(
            &priya,
            "Business Applications",
            &["Edit details", "Delete catalog"],
        )
        .await?;
        priya.screenshot("3-business-applications").await?;
        priya
            .goto("/admin/access-packages/ap-finance-reporting")
            .await?;
        priya.wait_for_heading("No such access package").await?;

        // Aisha reads Engineering: she sees it all, and no control to change any of it.
        let aisha = scene.signed_in("aisha", PHONE, AISHA).await?;
        // On a phone the navigation sits behind the header's Menu button.
        aisha.click_button("Menu").await?;
        aisha.click_link("Admin").await?;
        aisha.wait_for_heading("Admin").await?;
        eventually("Aisha's catalogs", async || {
            let listed = listed_catalogs(&aisha).await?;
            ensure!(listed == ["Engineering"], "Aisha's Admin lists {listed:?}");
            Ok(())
        })
        .await?;
        ensure_none_shown(&aisha, "Aisha's Admin", &["Create catalog"]).await?;
        ensure!(
            !aisha.is_shown("//h2[@id='wizards-heading']").await?,
            "a reader is offered the guided setups"
        );
        aisha.screenshot("4-reader-admin").await?;

        aisha.click_link("Engineering").await?;
        aisha.wait_for_heading("Engineering").await?;
        aisha
            .wait_for_text("You can read this catalog; its owners change it.")
            .await?;
        aisha.wait_for_text("Engineering Onboarding").await?;
        ensure_none_shown(
            &aisha,
            "Engineering for a reader",
            &[
                "Edit details",
                "Disable catalog",
                "Delete catalog",
                "New access package",
                "Add role",
                "Add",
            ],
        )
        .await?;
        ensure!(
            !aisha
                .is_shown("//button[starts-with(normalize-space(), 'Remove')]")
                .await?,
            "a reader is offered to remove something"
        );
        aisha.screenshot("5-reader-engineering").await?;

        aisha
            .goto("/admin/access-packages/ap-engineering-onboarding")
            .await?;
        aisha.wait_for_heading("Engineering Onboarding").await?;
        aisha.wait_for_text("Policies").await?;
        ensure_none_shown(
            &aisha,
            "Engineering Onboarding for a reader",
            &[
                "Edit details",
                "Delete access package",
                "Add a policy",
                "Stop accepting requests",
                "Assign",
            ],
        )
        .await?;
        aisha.screenshot("6-reader-package").await?;

        // Typing a wizard's address leads nowhere either.
        aisha.goto("/admin/wizards/directory-users").await?;
        aisha
            .wait_for_text("You don't manage access packages in any catalog yet.")
            .await?;
        aisha.screenshot("7-reader-wizard").await?;
        Ok(())
    })
    .await
}

/// Which build of the web app the page runs: the file name of the module the loader
/// imported, without its hash (`entrada` or `entrada-admin`).
async fn loaded_build(browser: &Browser) -> Result<String> {
    let src = browser
        .script(
            "const loader = [...document.querySelectorAll('script[type=module]')].map(s => s.textContent).join(' ');\n\
             const found = loader.match(/from '([^']+)\\.js'/);\n\
             return found ? found[1] : '';",
        )
        .await?;
    let path = src.as_str().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default();
    Ok(name
        .rsplit_once('-')
        .map_or(name, |(build, _hash)| build)
        .to_owned())
}
