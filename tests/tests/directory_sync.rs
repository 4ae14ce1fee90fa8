//! Admin → Integrations with a directory (issue 14): the server syncs from the slapd
//! `cargo xtask test` starts when it starts, an administrator sees the directory and that
//! sync's figures, chooses "Sync now" after a change, and sees the new figures, at a
//! desktop and a phone size.

use anyhow::Result;
use entrada_e2e::{test_name, with_scene_of, Scene, TestApp, DESKTOP, PHONE};

type Entry<'a> = (&'a str, Vec<(&'a str, Vec<&'a str>)>);

fn person<'a>(
    dn: &'a str,
    uid: &'a str,
    name: &'a str,
    mail: Option<&'a str>,
    department: &'a str,
) -> Entry<'a> {
    let mut attrs = vec![
        ("objectClass", vec!["inetOrgPerson"]),
        ("uid", vec![uid]),
        ("cn", vec![name]),
        ("sn", vec![name]),
        ("departmentNumber", vec![department]),
    ];
    if let Some(mail) = mail {
        attrs.push(("mail", vec![mail]));
    }
    (dn, attrs)
}

#[tokio::test]
async fn an_administrator_sees_the_directory_sync_and_syncs_now() -> Result<()> {
    let tree = vec![
        person(
            "uid=dana,BASE",
            "dana",
            "Dana Lee",
            Some("dana.lee@lakeshore.example"),
            "Design",
        ),
        person(
            "uid=sam,BASE",
            "sam",
            "Sam Taylor",
            Some("sam.taylor@lakeshore.example"),
            "Design",
        ),
        person("uid=kiosk,BASE", "kiosk", "Lobby kiosk", None, "Facilities"),
        (
            "cn=design-studio,BASE",
            vec![
                ("objectClass", vec!["groupOfNames"]),
                ("cn", vec!["design-studio"]),
                ("description", vec!["Everyone in the design studio"]),
                ("member", vec!["uid=dana,BASE", "uid=sam,BASE"]),
                ("owner", vec!["uid=dana,BASE"]),
            ],
        ),
    ];
    let app = TestApp::spawn_with_directory(&tree).await?;
    with_scene_of(test_name!(), app, async |scene: &Scene| {
        let alex = scene.browser("alex", DESKTOP).await?;
        alex.sign_in_from_start("alex.morgan@lakeshore.example")
            .await?;
        alex.goto("/admin").await?;
        alex.click_link("Integrations").await?;
        alex.wait_for_heading("Integrations").await?;
        alex.wait_for_text("Directory: LDAP / Active Directory")
            .await?;
        // The sync the server ran when it started: Dana is new, Sam was already known.
        alex.wait_for_text("full sync, on the schedule").await?;
        let text = alex.page_text().await?;
        anyhow::ensure!(
            text.contains("People\t2\t1\t1\t0") || text.contains("People 2 1 1 0"),
            "the people figures (seen 2, added 1, changed 1) are not shown: {text}"
        );
        anyhow::ensure!(
            text.contains("1 entry could not be taken"),
            "the kiosk without an address is not reported: {text}"
        );
        alex.screenshot("integrations-directory").await?;

        alex.click_button("Sync now").await?;
        alex.wait_for_text("incremental sync, by an administrator")
            .await?;
        alex.screenshot("integrations-synced-now").await?;

        let phone = scene.browser("alex-phone", PHONE).await?;
        phone
            .sign_in_from_start("alex.morgan@lakeshore.example")
            .await?;
        phone.goto("/admin/integrations").await?;
        phone
            .wait_for_text("incremental sync, by an administrator")
            .await?;
        phone.click_button("Full sync").await?;
        phone
            .wait_for_text("full sync, by an administrator")
            .await?;
        phone.screenshot("integrations-directory").await?;
        Ok(())
    })
    .await
}
