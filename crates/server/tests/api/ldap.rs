//! Directory sync from LDAP and write-back (issue 14), against a real directory: Debian's
//! slapd, started by `cargo xtask test` (ENTRADA_TEST_LDAP_URL). Each test generates its
//! own organisation under a subtree of its own: 300 people in 6 departments with a
//! manager chain (everyone reports to someone up to the CEO), two entries without an
//! address, department groups nested in "everyone", two teams nested in engineering, and
//! group owners.

use std::collections::HashSet;

use entrada_server::directory_sync::LdapConfig;
use entrada_server::Backend;
use ldap3::{Ldap, LdapConnAsync, Mod, Scope, SearchEntry};
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::Duration;

use crate::helpers::{send, TestApp};

const PEOPLE: usize = 300;
const DEPARTMENTS: [&str; 6] = [
    "Engineering",
    "Finance",
    "Sales",
    "Marketing",
    "Support",
    "People",
];

/// A department's group.
fn dept(department: &str) -> String {
    format!("dept-{}", department.to_lowercase())
}

/// The directory's address and credentials, or none (skipped, said on stderr) outside CI.
fn directory() -> Option<(String, String, String, String)> {
    let read = |name: &str| std::env::var(name).ok();
    match (
        read("ENTRADA_TEST_LDAP_URL"),
        read("ENTRADA_TEST_LDAP_BIND_DN"),
        read("ENTRADA_TEST_LDAP_PASSWORD"),
        read("ENTRADA_TEST_LDAP_SUFFIX"),
    ) {
        (Some(url), Some(dn), Some(password), Some(suffix)) => Some((url, dn, password, suffix)),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("ENTRADA_TEST_LDAP_URL is not set under CI=true: use `cargo xtask test`")
        }
        _ => {
            eprintln!("skipped: ENTRADA_TEST_LDAP_URL is not set; run `cargo xtask test`");
            None
        }
    }
}

/// One test's organisation in the directory.
struct Org {
    ldap: Ldap,
    base: String,
    config: LdapConfig,
}

impl Org {
    fn person_dn(&self, index: usize) -> String {
        format!("uid=p{index:03},ou=People,{}", self.base)
    }

    fn group_dn(&self, name: &str) -> String {
        format!("cn={name},ou=Groups,{}", self.base)
    }

    fn email(index: usize) -> String {
        format!("p{index:03}@corp.example")
    }

    async fn add(&mut self, dn: &str, attrs: Vec<(&str, Vec<String>)>) {
        let attrs: Vec<(String, HashSet<String>)> = attrs
            .into_iter()
            .map(|(name, values)| (name.to_owned(), values.into_iter().collect()))
            .collect();
        self.ldap
            .add(dn, attrs)
            .await
            .expect("add")
            .success()
            .unwrap_or_else(|error| panic!("adding {dn}: {error}"));
    }

    async fn add_person(&mut self, index: usize, manager: Option<usize>) {
        let department = DEPARTMENTS[index % DEPARTMENTS.len()];
        let mut attrs = vec![
            (
                "objectClass",
                vec![
                    "inetOrgPerson".to_owned(),
                    "organizationalPerson".to_owned(),
                ],
            ),
            ("uid", vec![format!("p{index:03}")]),
            ("cn", vec![format!("Person {index:03}")]),
            ("sn", vec![format!("{index:03}")]),
            ("displayName", vec![format!("Person {index:03}")]),
            ("departmentNumber", vec![department.to_owned()]),
            ("title", vec![format!("{department} associate")]),
            ("mail", vec![Self::email(index)]),
        ];
        if let Some(manager) = manager {
            attrs.push(("manager", vec![self.person_dn(manager)]));
        }
        let dn = self.person_dn(index);
        self.add(&dn, attrs).await;
    }

    async fn add_group(&mut self, name: &str, members: Vec<String>, owners: Vec<String>) {
        let mut attrs = vec![
            ("objectClass", vec!["groupOfNames".to_owned()]),
            ("cn", vec![name.to_owned()]),
            ("description", vec![format!("The {name} group")]),
            ("member", members),
        ];
        if !owners.is_empty() {
            attrs.push(("owner", owners));
        }
        let dn = self.group_dn(name);
        self.add(&dn, attrs).await;
    }

    async fn modify(&mut self, dn: &str, mods: Vec<Mod<String>>) {
        self.ldap
            .modify(dn, mods)
            .await
            .expect("modify")
            .success()
            .unwrap_or_else(|error| panic!("modifying {dn}: {error}"));
    }

    async fn members(&mut self, group: &str) -> HashSet<String> {
        let dn = self.group_dn(group);
        let (entries, _) = self
            .ldap
            .search(&dn, Scope::Base, "(objectClass=*)", vec!["member"])
            .await
            .expect("search")
            .success()
            .expect("the group is there");
        let entry = SearchEntry::construct(entries.into_iter().next().expect("one entry"));
        entry
            .attrs
            .get("member")
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|dn| dn.to_lowercase())
            .collect()
    }

    /// Generates the organisation under a fresh subtree.
    async fn generate() -> Option<Org> {
        let (url, bind_dn, password, suffix) = directory()?;
        let (conn, mut ldap) = LdapConnAsync::new(&url).await.expect("connect to slapd");
        ldap3::drive!(conn);
        ldap.simple_bind(&bind_dn, &password)
            .await
            .expect("bind")
            .success()
            .expect("bound");
        let name = format!("t{}", uuid::Uuid::new_v4().simple());
        let base = format!("ou={name},{suffix}");
        let config = LdapConfig {
            url,
            bind_dn,
            password,
            base_dn: base.clone(),
            user_filter: LdapConfig::USER_FILTER.to_owned(),
            group_filter: LdapConfig::GROUP_FILTER.to_owned(),
            every: std::time::Duration::from_secs(24 * 3600),
        };
        let mut org = Org { ldap, base, config };
        let unit = |ou: &str| {
            (
                vec![
                    ("objectClass", vec!["organizationalUnit".to_owned()]),
                    ("ou", vec![ou.to_owned()]),
                ],
                ou.to_owned(),
            )
        };
        let (attrs, _) = unit(&name);
        let base = org.base.clone();
        org.add(&base, attrs).await;
        for ou in ["People", "Groups"] {
            let (attrs, _) = unit(ou);
            org.add(&format!("ou={ou},{base}"), attrs).await;
        }
        // A manager chain: p000 is the CEO; everyone else reports to (i - 1) / 5.
        for index in 0..PEOPLE {
            let manager = (index > 0).then(|| (index - 1) / 5);
            org.add_person(index, manager).await;
        }
        for (index, uid) in ["contractor-a", "contractor-b"].iter().enumerate() {
            let dn = format!("uid={uid},ou=People,{base}");
            org.add(
                &dn,
                vec![
                    ("objectClass", vec!["inetOrgPerson".to_owned()]),
                    ("uid", vec![(*uid).to_owned()]),
                    ("cn", vec![format!("Contractor {index}")]),
                    ("sn", vec![format!("{index}")]),
                ],
            )
            .await;
        }
        for (index, department) in DEPARTMENTS.iter().enumerate() {
            let members = (0..PEOPLE)
                .filter(|person| person % DEPARTMENTS.len() == index)
                .map(|person| org.person_dn(person))
                .collect();
            let owners = vec![org.person_dn(index + 1)];
            org.add_group(&dept(department), members, owners).await;
        }
        let departments = DEPARTMENTS
            .iter()
            .map(|department| org.group_dn(&dept(department)))
            .collect();
        org.add_group("everyone", departments, vec![org.person_dn(0)])
            .await;
        // Two teams of engineers, nested in "builders" with one more person directly.
        let platform = (0..6).map(|i| org.person_dn(i * 6)).collect();
        org.add_group("platform", platform, vec![org.person_dn(6)])
            .await;
        let web = (6..12).map(|i| org.person_dn(i * 6)).collect();
        org.add_group("web", web, Vec::new()).await;
        let builders = vec![
            org.group_dn("platform"),
            org.group_dn("web"),
            org.person_dn(1),
        ];
        org.add_group("builders", builders, Vec::new()).await;
        Some(org)
    }
}

async fn spawn(backend: Backend, config: &LdapConfig) -> Option<TestApp> {
    let config = config.clone();
    TestApp::spawn_with(backend, move |app| app.ldap = Some(config)).await
}

async fn post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    send(app, &app.client, reqwest::Method::POST, path, body).await
}

async fn sync(app: &TestApp, full: bool) -> Value {
    let (status, sync) = post(app, "/integrations/directory-sync", json!({ "full": full })).await;
    assert_eq!(status, StatusCode::OK, "{sync}");
    assert!(sync["error"].is_null(), "{sync}");
    sync
}

async fn user_by_email(app: &TestApp, email: &str) -> Option<(String, String, Value)> {
    use sqlx::Row;
    let row = sqlx::query("SELECT id, state, display_name, department, job_title, manager_id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&app.db)
        .await
        .expect("people")?;
    let text = |column: &str| row.try_get::<Option<String>, _>(column).expect(column);
    let id = text("id").expect("id");
    let state = text("state").expect("state");
    let person = json!({
        "id": id,
        "displayName": text("display_name"),
        "department": text("department"),
        "jobTitle": text("job_title"),
        "managerId": text("manager_id"),
    });
    Some((id, state, person))
}

async fn group_id(app: &TestApp, name: &str) -> String {
    sqlx::query_scalar("SELECT id FROM directory_groups WHERE name = $1")
        .bind(name)
        .fetch_one(&app.db)
        .await
        .expect("the group was imported")
}

async fn members_of(app: &TestApp, group: &str) -> HashSet<String> {
    let group = group_id(app, group).await;
    let emails: Vec<String> = sqlx::query_scalar(
        "SELECT u.email FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = $1",
    )
    .bind(group)
    .fetch_all(&app.db)
    .await
    .expect("members");
    emails.into_iter().collect()
}

fn emails(indexes: impl IntoIterator<Item = usize>) -> HashSet<String> {
    indexes.into_iter().map(Org::email).collect()
}

macro_rules! with_directory {
    ($($name:ident => $body:expr;)*) => {$(
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let Some(org) = Org::generate().await else { return };
                let Some(app) = spawn(Backend::Sqlite, &org.config).await else { return };
                ($body)(app, org).await;
            }
            #[tokio::test]
            async fn postgres() {
                let Some(org) = Org::generate().await else { return };
                let Some(app) = spawn(Backend::Postgres, &org.config).await else { return };
                ($body)(app, org).await;
            }
        }
    )*};
}

with_directory! {
    a_full_sync_imports_people_managers_departments_and_nested_groups_then_an_incremental_one_takes_the_changes =>
    |app: TestApp, mut org: Org| async move {
        app.sign_in("alex.morgan").await;
        let first = sync(&app, false).await;
        assert_eq!(first["mode"], "full", "the first sync reads everything");
        let figures = &first["figures"];
        assert_eq!(figures["peopleSeen"], PEOPLE, "{first}");
        assert_eq!(figures["peopleSkipped"], 2, "the two entries without an address");
        assert_eq!(figures["peopleAdded"], PEOPLE);
        assert_eq!(figures["peopleChanged"], 0);
        assert_eq!(figures["groupsSeen"], 10);
        assert_eq!(figures["groupsAdded"], 10);
        let problems = first["problems"].as_array().expect("problems");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].as_str().unwrap().contains("no e-mail address"));

        // A person with their department, title and manager.
        let (id, state, person) = user_by_email(&app, &Org::email(12)).await.expect("imported");
        assert_eq!(state, "active");
        assert_eq!(person["displayName"], "Person 012");
        assert_eq!(person["department"], "Engineering");
        assert_eq!(person["jobTitle"], "Engineering associate");
        let (manager, _, _) = user_by_email(&app, &Org::email(2)).await.expect("manager");
        let (_, _, person) = user_by_email(&app, &Org::email(12)).await.unwrap();
        assert_eq!(person["managerId"].as_str(), Some(manager.as_str()), "p012 reports to p002");
        assert_ne!(id, manager);
        // Nested groups are flattened: everyone holds all 300; builders holds both teams and p001.
        assert_eq!(members_of(&app, "everyone").await, emails(0..PEOPLE));
        let mut builders = emails((0..12).map(|i| i * 6));
        builders.insert(Org::email(1));
        assert_eq!(members_of(&app, "builders").await, builders);
        // Owners come from the directory.
        let platform = group_id(&app, "platform").await;
        let owners: Vec<String> = sqlx::query_scalar("SELECT u.email FROM resource_owners o JOIN users u ON u.id = o.user_id WHERE o.resource_kind = 'group' AND o.origin_id = $1")
            .bind(&platform).fetch_all(&app.db).await.unwrap();
        assert_eq!(owners, [Org::email(6)]);
        // The Integrations page shows it.
        let (_, integrations) = app.get_json("/integrations").await;
        let directory = &integrations["directory"];
        assert_eq!(directory["peopleLinked"], PEOPLE);
        assert_eq!(directory["groupsLinked"], 10);
        assert_eq!(directory["lastSync"]["figures"]["peopleAdded"], PEOPLE);
        assert!(directory.get("password").is_none() && !integrations.to_string().contains("entrada-test-secret"), "never the password");

        // A second sync with nothing changed changes nothing.
        let again = sync(&app, false).await;
        assert_eq!(again["mode"], "incremental");
        for figure in ["peopleAdded", "peopleChanged", "peopleBlocked", "groupsAdded", "groupsChanged", "membershipsAdded", "membershipsRemoved"] {
            assert_eq!(again["figures"][figure], 0, "{figure}: {again}");
        }

        // Changes made in the directory: a promotion, a move, a leaver, a joiner, a team change.
        org.modify(&org.person_dn(12), vec![
            Mod::Replace("title".to_owned(), HashSet::from(["Staff engineer".to_owned()])),
            Mod::Replace("manager".to_owned(), HashSet::from([org.person_dn(0)])),
        ]).await;
        let leaver = org.person_dn(299);
        org.modify(&org.group_dn(&dept(DEPARTMENTS[299 % 6])), vec![Mod::Delete("member".to_owned(), HashSet::from([leaver.clone()]))]).await;
        org.ldap.delete(&leaver).await.unwrap().success().expect("deleted");
        org.add_person(300, Some(12)).await;
        let joiner = org.person_dn(300);
        org.modify(&org.group_dn("web"), vec![
            Mod::Add("member".to_owned(), HashSet::from([joiner])),
            Mod::Delete("member".to_owned(), HashSet::from([org.person_dn(36)])),
        ]).await;

        let incremental = sync(&app, false).await;
        assert_eq!(incremental["mode"], "incremental");
        let figures = &incremental["figures"];
        assert_eq!(figures["peopleSeen"], PEOPLE, "300 - 1 + 1: {incremental}");
        assert_eq!(figures["peopleAdded"], 1);
        assert_eq!(figures["peopleChanged"], 1);
        assert_eq!(figures["peopleBlocked"], 1);
        // web and builders (through web) change, and p299's department and everyone.
        assert_eq!(figures["groupsChanged"], 4, "{incremental}");
        let (_, _, promoted) = user_by_email(&app, &Org::email(12)).await.unwrap();
        assert_eq!(promoted["jobTitle"], "Staff engineer");
        let (ceo, _, _) = user_by_email(&app, &Org::email(0)).await.unwrap();
        assert_eq!(promoted["managerId"].as_str(), Some(ceo.as_str()));
        let (_, state, _) = user_by_email(&app, &Org::email(299)).await.expect("kept, blocked");
        assert_eq!(state, "blocked", "who left the directory is blocked");
        let (_, state, joined) = user_by_email(&app, &Org::email(300)).await.expect("the joiner");
        assert_eq!(state, "active");
        assert_eq!(joined["managerId"].as_str(), Some(promoted["id"].as_str().unwrap()));
        let web = members_of(&app, "web").await;
        assert!(web.contains(&Org::email(300)) && !web.contains(&Org::email(36)), "{web:?}");
        let everyone = members_of(&app, "everyone").await;
        assert!(!everyone.contains(&Org::email(299)) && !everyone.contains(&Org::email(300)), "p300 is in no department");

        // The audit log has each step.
        let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_events WHERE action LIKE 'directory.%' OR action IN ('user.imported', 'user.leftDirectory')")
            .fetch_all(&app.db).await.unwrap();
        assert_eq!(actions.iter().filter(|a| *a == "directory.synced").count(), 3);
        assert_eq!(actions.iter().filter(|a| *a == "user.imported").count(), PEOPLE + 1);
        assert_eq!(actions.iter().filter(|a| *a == "user.leftDirectory").count(), 1);

        // Someone who comes back is unblocked.
        org.add_person(299, Some(0)).await;
        let back = sync(&app, false).await;
        assert_eq!(back["figures"]["peopleUnblocked"], 1, "{back}");
        let (_, state, _) = user_by_email(&app, &Org::email(299)).await.unwrap();
        assert_eq!(state, "active");
    };

    a_grant_is_written_to_the_directory_group_and_taken_back_on_expiry_while_a_membership_made_outside_entrada_stays =>
    |app: TestApp, mut org: Org| async move {
        app.sign_in("alex.morgan").await;
        sync(&app, false).await;
        let platform = group_id(&app, "platform").await;
        let (status, resource) = post(&app, "/catalogs/cat-engineering/resources", json!({ "kind": "group", "originId": platform })).await;
        assert_eq!(status, StatusCode::CREATED, "{resource}");
        let (_, package) = post(&app, "/access-packages", json!({ "catalogId": "cat-engineering", "name": "Platform team" })).await;
        let package = package["id"].as_str().unwrap().to_owned();
        let (status, _) = post(&app, &format!("/access-packages/{package}/resource-roles"), json!({ "resourceId": resource["id"], "roleId": "member" })).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, policy) = post(&app, &format!("/access-packages/{package}/policies"), json!({
            "name": "Thirty days", "description": "", "requestorScope": { "kind": "allMembers" },
            "acceptingRequests": true, "requestorJustificationRequired": false, "questions": [],
            "stages": [], "expiration": { "kind": "afterDays", "days": 30 }, "extensionAllowed": false, "requestorMayChooseSchedule": false
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{policy}");

        // p100 is not in platform; p000 is, from the directory.
        let (newcomer, _, _) = user_by_email(&app, &Org::email(100)).await.unwrap();
        let (insider, _, _) = user_by_email(&app, &Org::email(0)).await.unwrap();
        let (leaver, _, _) = user_by_email(&app, &Org::email(101)).await.unwrap();
        for user in [&newcomer, &insider, &leaver] {
            let (status, assigned) = post(&app, "/assignments", json!({ "userId": user, "accessPackageId": package, "policyId": policy["id"] })).await;
            assert_eq!(status, StatusCode::CREATED, "{assigned}");
        }
        let written = sync(&app, false).await;
        assert_eq!(written["figures"]["writtenBack"], 2, "only the new memberships are written: {written}");
        let members = org.members("platform").await;
        assert!(members.contains(&org.person_dn(100).to_lowercase()), "written to the directory group");
        assert!(members.contains(&org.person_dn(0).to_lowercase()));
        // Reading the directory back does not make Entrada's grant the directory's.
        let source: String = sqlx::query_scalar("SELECT source FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(&platform).bind(&newcomer).fetch_one(&app.db).await.unwrap();
        assert_eq!(source, "entrada");

        // p101 leaves the directory: blocked, their access removed, the membership Entrada
        // wrote for them taken back.
        assert!(org.members("platform").await.contains(&org.person_dn(101).to_lowercase()));
        let dn = org.person_dn(101);
        org.ldap.delete(&dn).await.unwrap().success().expect("deleted");
        let left = sync(&app, false).await;
        assert_eq!(left["figures"]["peopleBlocked"], 1, "{left}");
        let state: String = sqlx::query_scalar("SELECT state FROM assignments WHERE user_id = $1").bind(&leaver).fetch_one(&app.db).await.unwrap();
        assert_eq!(state, "removed", "who leaves the directory loses their access");
        assert!(!members_of(&app, "platform").await.contains(&Org::email(101)));
        let again = sync(&app, false).await;
        assert_eq!(again["figures"]["takenBack"], 1, "{again}");
        assert!(!org.members("platform").await.contains(&org.person_dn(101).to_lowercase()));

        // Thirty-one days on the access expires; the next sync takes back only what Entrada wrote.
        app.clock.advance(Duration::days(31));
        let outcome = entrada_server::jobs::run_once(&app.db, entrada_server::Clock::now(app.clock.as_ref())).await.unwrap();
        assert_eq!(outcome.failed, 0);
        assert_eq!(outcome.expired, 2, "{outcome:?}");
        app.sign_in("alex.morgan").await;
        let taken = sync(&app, false).await;
        assert_eq!(taken["figures"]["takenBack"], 1, "{taken}");
        let members = org.members("platform").await;
        assert!(!members.contains(&org.person_dn(100).to_lowercase()), "taken back from the directory group");
        assert!(members.contains(&org.person_dn(0).to_lowercase()), "the membership made outside Entrada stays");
        let platform_members = members_of(&app, "platform").await;
        assert!(!platform_members.contains(&Org::email(100)) && platform_members.contains(&Org::email(0)));
        let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_events WHERE action IN ('directory.writtenBack', 'directory.takenBack') ORDER BY seq")
            .fetch_all(&app.db).await.unwrap();
        assert_eq!(actions, ["directory.writtenBack", "directory.writtenBack", "directory.takenBack", "directory.takenBack"]);
    };

    a_directory_that_answers_nobody_blocks_nobody_and_an_unreachable_one_is_reported =>
    |app: TestApp, _org: Org| async move {
        app.sign_in("alex.morgan").await;
        sync(&app, false).await;
        // The same settings against an empty subtree: a wrong base DN must not block 300 people.
        let mut config = _org.config.clone();
        config.base_dn = format!("ou=Groups,{}", config.base_dn);
        let outcome = entrada_server::directory_sync::sync(&app.db, &config, None, "test", entrada_server::Clock::now(app.clock.as_ref())).await;
        let error = outcome.expect_err("refused").to_string();
        assert!(error.contains("nobody was blocked"), "{error}");
        let blocked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE state = 'blocked'").fetch_one(&app.db).await.unwrap();
        assert_eq!(blocked, 0);
        let mut config = _org.config.clone();
        config.url = "ldap://127.0.0.1:9".to_owned();
        let error = entrada_server::directory_sync::sync(&app.db, &config, None, "test", entrada_server::Clock::now(app.clock.as_ref())).await.expect_err("unreachable");
        assert!(error.to_string().contains("the directory"), "{error}");
        let (_, integrations) = app.get_json("/integrations").await;
        let last = &integrations["directory"]["lastSync"];
        assert!(last["error"].as_str().is_some_and(|e| e.contains("the directory")), "{last}");
        assert!(integrations["directory"]["lastSuccessAt"].is_string());
        // Only administrators may sync.
        let member = crate::helpers::as_person(&app, "sam.taylor").await;
        let status = member.post(app.api("/integrations/directory-sync")).json(&json!({})).send().await.unwrap().status();
        assert_eq!(status, StatusCode::FORBIDDEN);
    };
}
