//! Directory sync from LDAP / Active Directory, and write-back of Entrada's grants to the
//! directory's groups (the rules are the domain's `directory_sync`).
//!
//! A sync first writes back (so that what Entrada wrote is known before the directory is
//! read), then reads every group and the people (all of them, or in an incremental sync
//! those changed since the last sync's `modifyTimestamp`, plus every person's id to find
//! who left), and applies the changes in one transaction with their audit events: a crash
//! leaves the last sync's state whole. One instance syncs at a time (a lease in the
//! database); `entrada directory sync` takes the same lease.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use entrada_domain::audit::{AuditAction, AuditEvent};
use entrada_domain::catalog::ResourceKind;
use entrada_domain::directory::{Group, User, UserKind, UserState};
use entrada_domain::directory_sync::{
    flatten_members, membership_change, normalize_dn, person_from_entry, write_back_plan,
    DirectoryGroup, DirectoryPerson, SyncFigures, SyncMode,
};
use entrada_domain::ids::{AuditEventId, GroupId, UserId};
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Mod, Scope, SearchEntry};
use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;

use crate::store;
use crate::store::directory_sync::{Link, PersonFields, SyncRecord, Write};

/// How to reach the directory.
#[derive(Clone)]
pub struct LdapConfig {
    /// `ldap://HOST:PORT` or `ldaps://HOST:PORT`.
    pub url: String,
    /// The DN Entrada binds as; it must read people and groups, and write the `member`
    /// attribute of the groups whose grants are written back.
    pub bind_dn: String,
    /// Its password.
    pub password: String,
    /// Where people and groups are looked for (the whole subtree).
    pub base_dn: String,
    /// Which entries are people.
    pub user_filter: String,
    /// Which entries are groups.
    pub group_filter: String,
    /// How often the server syncs.
    pub every: Duration,
}

impl std::fmt::Debug for LdapConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapConfig")
            .field("url", &self.url)
            .field("bind_dn", &self.bind_dn)
            .field("password", &"…")
            .field("base_dn", &self.base_dn)
            .field("user_filter", &self.user_filter)
            .field("group_filter", &self.group_filter)
            .field("every", &self.every)
            .finish()
    }
}

impl LdapConfig {
    /// The default filter for people (OpenLDAP's inetOrgPerson; for Active Directory use
    /// `(&(objectCategory=person)(objectClass=user))`).
    pub const USER_FILTER: &'static str = "(objectClass=inetOrgPerson)";
    /// The default filter for groups (groupOfNames, and Active Directory's group).
    pub const GROUP_FILTER: &'static str = "(|(objectClass=groupOfNames)(objectClass=group))";
}

/// Why a sync did not happen or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The directory could not be reached, bound to or read.
    #[error("the directory: {0}")]
    Directory(String),
    /// The directory answered, but what it said would do harm.
    #[error("{0}")]
    Refused(String),
    /// Another instance is syncing.
    #[error("another sync is running; try again in a minute")]
    Busy,
    /// The database.
    #[error("the database: {0}")]
    Db(#[from] sqlx::Error),
}

impl From<ldap3::LdapError> for SyncError {
    fn from(error: ldap3::LdapError) -> Self {
        SyncError::Directory(error.to_string())
    }
}

/// What a sync did, as the command and the API report it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncOutcome {
    /// Full or incremental.
    pub mode: SyncMode,
    /// The figures.
    pub figures: SyncFigures,
    /// Entries that could not be taken, each with why.
    pub problems: Vec<String>,
}

const PERSON: &str = "person";
const GROUP: &str = "group";
const LEASE: time::Duration = time::Duration::minutes(10);
const TIMEOUT: Duration = Duration::from_secs(30);
const MAX_PROBLEMS: usize = 50;

/// Runs one sync now: `mode` none is incremental when an earlier sync succeeded, else
/// full. `started_by` is recorded ("command", "schedule", or an administrator's id).
pub async fn sync(
    db: &AnyPool,
    config: &LdapConfig,
    mode: Option<SyncMode>,
    started_by: &str,
    now: OffsetDateTime,
) -> Result<SyncOutcome, SyncError> {
    {
        let mut conn = db.acquire().await?;
        if !store::directory_sync::take_lease(&mut conn, now, now + LEASE).await? {
            return Err(SyncError::Busy);
        }
    }
    let result = sync_holding_lease(db, config, mode, started_by, now).await;
    let mut conn = db.acquire().await?;
    store::directory_sync::release_lease(&mut conn).await?;
    result
}

async fn sync_holding_lease(
    db: &AnyPool,
    config: &LdapConfig,
    mode: Option<SyncMode>,
    started_by: &str,
    now: OffsetDateTime,
) -> Result<SyncOutcome, SyncError> {
    let (_, last_good) = {
        let mut conn = db.acquire().await?;
        store::directory_sync::last_syncs(&mut conn).await?
    };
    let mark = last_good.as_ref().and_then(|sync| sync.mark.clone());
    let mode = match (mode, &mark) {
        (Some(mode), _) => mode,
        (None, Some(_)) => SyncMode::Incremental,
        (None, None) => SyncMode::Full,
    };
    // The directory's answers are parsed by ldap3, which panics on a malformed one: run it
    // in a task of its own so that a broken server is an error, never a crashed process.
    let task = {
        let (db, config, mark) = (db.clone(), config.clone(), mark.clone());
        tokio::spawn(async move { run(&db, &config, mode, mark, now).await })
    };
    let result = match task.await {
        Ok(result) => result,
        Err(error) => Err(SyncError::Directory(format!(
            "its answer could not be read ({error})"
        ))),
    };
    let finished_at = OffsetDateTime::now_utc().max(now);
    let mut conn = db.acquire().await?;
    match result {
        Ok((figures, problems, new_mark)) => {
            let record = SyncRecord {
                started_at: now,
                finished_at,
                mode,
                started_by: started_by.to_owned(),
                figures: figures.clone(),
                problems: problems.clone(),
                error: None,
                mark: new_mark.or(mark),
            };
            store::directory_sync::record_sync(&mut conn, &record).await?;
            Ok(SyncOutcome {
                mode,
                figures,
                problems,
            })
        }
        Err(error) => {
            let record = SyncRecord {
                started_at: now,
                finished_at,
                mode,
                started_by: started_by.to_owned(),
                figures: SyncFigures::default(),
                problems: Vec::new(),
                error: Some(error.to_string()),
                mark: None,
            };
            store::directory_sync::record_sync(&mut conn, &record).await?;
            Err(error)
        }
    }
}

async fn connect(config: &LdapConfig) -> Result<Ldap, SyncError> {
    let settings = LdapConnSettings::new().set_conn_timeout(Duration::from_secs(10));
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &config.url).await?;
    ldap3::drive!(conn);
    ldap.with_timeout(TIMEOUT)
        .simple_bind(&config.bind_dn, &config.password)
        .await?
        .success()
        .map_err(|error| SyncError::Directory(format!("binding as {}: {error}", config.bind_dn)))?;
    Ok(ldap)
}

/// An entry as read: its stable id, DN and text attributes.
struct Entry {
    id: String,
    dn: String,
    attrs: HashMap<String, Vec<String>>,
}

fn stable_id(entry: &SearchEntry) -> String {
    let text = entry
        .attrs
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("entryUUID"))
        .and_then(|(_, values)| values.first().cloned());
    let binary = entry
        .bin_attrs
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("objectGUID"))
        .and_then(|(_, values)| values.first())
        .map(|bytes| bytes.iter().map(|byte| format!("{byte:02x}")).collect());
    text.or(binary).unwrap_or_else(|| normalize_dn(&entry.dn))
}

async fn search(
    ldap: &mut Ldap,
    base: &str,
    filter: &str,
    attrs: &[&str],
) -> Result<Vec<Entry>, SyncError> {
    let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![
        Box::new(EntriesOnly::new()),
        Box::new(PagedResults::new(500)),
    ];
    let mut attrs: Vec<&str> = attrs.to_vec();
    attrs.extend(["entryUUID", "objectGUID", "modifyTimestamp"]);
    let mut stream = ldap
        .with_timeout(TIMEOUT)
        .streaming_search_with(adapters, base, Scope::Subtree, filter, attrs)
        .await?;
    let mut entries = Vec::new();
    while let Some(entry) = stream.next().await? {
        let entry = SearchEntry::construct(entry);
        entries.push(Entry {
            id: stable_id(&entry),
            dn: entry.dn,
            attrs: entry.attrs,
        });
    }
    stream
        .finish()
        .await
        .success()
        .map_err(|error| SyncError::Directory(format!("searching {base} for {filter}: {error}")))?;
    Ok(entries)
}

fn modified(entry: &Entry) -> Option<&String> {
    entry
        .attrs
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("modifyTimestamp"))
        .and_then(|(_, values)| values.first())
}

fn values(attrs: &HashMap<String, Vec<String>>, name: &str) -> Vec<String> {
    attrs
        .iter()
        .filter(|(key, _)| key.eq_ignore_ascii_case(name))
        .flat_map(|(_, values)| values.iter().cloned())
        .collect()
}

const PERSON_ATTRS: &[&str] = &[
    "mail",
    "displayName",
    "cn",
    "department",
    "departmentNumber",
    "title",
    "manager",
];
const GROUP_ATTRS: &[&str] = &["cn", "description", "member", "owner", "managedBy"];

/// What the directory holds, as read for one sync.
struct Snapshot {
    /// Every person's (id, dn), to find who left and to name managers.
    everyone: Vec<(String, String)>,
    /// The people read with their attributes (all, or those changed).
    people: Vec<DirectoryPerson>,
    skipped: Vec<String>,
    groups: Vec<DirectoryGroup>,
    mark: Option<String>,
}

async fn read(
    ldap: &mut Ldap,
    config: &LdapConfig,
    mode: SyncMode,
    mark: Option<&str>,
) -> Result<Snapshot, SyncError> {
    let filter = match (mode, mark) {
        (SyncMode::Incremental, Some(mark)) => format!(
            "(&{}(modifyTimestamp>={}))",
            config.user_filter,
            ldap3::ldap_escape(mark)
        ),
        _ => config.user_filter.clone(),
    };
    let read_people = search(ldap, &config.base_dn, &filter, PERSON_ATTRS).await?;
    let everyone = match filter == config.user_filter {
        true => read_people
            .iter()
            .map(|entry| (entry.id.clone(), entry.dn.clone()))
            .collect(),
        false => search(ldap, &config.base_dn, &config.user_filter, &["1.1"])
            .await?
            .into_iter()
            .map(|entry| (entry.id, entry.dn))
            .collect(),
    };
    let groups = search(ldap, &config.base_dn, &config.group_filter, GROUP_ATTRS).await?;
    let mark = read_people
        .iter()
        .chain(&groups)
        .filter_map(modified)
        .max()
        .cloned();
    let mut people = Vec::new();
    let mut skipped = Vec::new();
    for entry in read_people {
        match person_from_entry(entry.id, entry.dn.clone(), &entry.attrs) {
            Some(person) => people.push(person),
            None => skipped.push(entry.dn),
        }
    }
    let groups = groups
        .into_iter()
        .filter_map(|entry| {
            let name = values(&entry.attrs, "cn").into_iter().next()?;
            let mut owners = values(&entry.attrs, "owner");
            owners.extend(values(&entry.attrs, "managedBy"));
            Some(DirectoryGroup {
                id: entry.id,
                name: name.chars().take(200).collect(),
                description: values(&entry.attrs, "description")
                    .into_iter()
                    .next()
                    .unwrap_or_default(),
                member_dns: values(&entry.attrs, "member"),
                owner_dns: owners,
                dn: entry.dn,
            })
        })
        .collect();
    Ok(Snapshot {
        everyone,
        people,
        skipped,
        groups,
        mark,
    })
}

type Ran = (SyncFigures, Vec<String>, Option<String>);

async fn run(
    db: &AnyPool,
    config: &LdapConfig,
    mode: SyncMode,
    mark: Option<String>,
    now: OffsetDateTime,
) -> Result<Ran, SyncError> {
    let mut ldap = connect(config).await?;
    let mut figures = SyncFigures::default();
    let mut problems = Vec::new();
    let (written, taken) = write_back_with(db, &mut ldap, now, &mut problems).await?;
    figures.written_back = written;
    figures.taken_back = taken;
    let snapshot = read(&mut ldap, config, mode, mark.as_deref()).await?;
    let _ = ldap.unbind().await;
    let mut tx = crate::db::begin(db).await?;
    apply(&mut tx, config, &snapshot, now, &mut figures, &mut problems).await?;
    figures.people_skipped = snapshot.skipped.len() as u64;
    for dn in &snapshot.skipped {
        problem(&mut problems, format!("{dn}: no e-mail address; skipped"));
    }
    let mut event = event(
        now,
        AuditAction::DirectorySynced,
        "directory",
        &config.base_dn,
    )
    .with_detail("mode", mode.as_str())
    .with_detail("url", &config.url);
    for (key, value) in figure_details(&figures) {
        event = event.with_detail(key, value.to_string());
    }
    if !problems.is_empty() {
        event = event.with_detail("problems", problems.len().to_string());
    }
    store::audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok((figures, problems, snapshot.mark))
}

fn figure_details(figures: &SyncFigures) -> Vec<(&'static str, u64)> {
    vec![
        ("peopleSeen", figures.people_seen),
        ("peopleAdded", figures.people_added),
        ("peopleChanged", figures.people_changed),
        ("peopleBlocked", figures.people_blocked),
        ("peopleUnblocked", figures.people_unblocked),
        ("groupsSeen", figures.groups_seen),
        ("groupsAdded", figures.groups_added),
        ("groupsChanged", figures.groups_changed),
        ("groupsRemoved", figures.groups_removed),
        ("membershipsAdded", figures.memberships_added),
        ("membershipsRemoved", figures.memberships_removed),
        ("writtenBack", figures.written_back),
        ("takenBack", figures.taken_back),
    ]
}

fn problem(problems: &mut Vec<String>, text: String) {
    if problems.len() < MAX_PROBLEMS {
        problems.push(text);
    }
}

fn event(now: OffsetDateTime, action: AuditAction, kind: &str, target: &str) -> AuditEvent {
    AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        None,
        action,
        kind,
        target,
    )
}

async fn apply(
    tx: &mut AnyConnection,
    config: &LdapConfig,
    snapshot: &Snapshot,
    now: OffsetDateTime,
    figures: &mut SyncFigures,
    problems: &mut Vec<String>,
) -> Result<(), SyncError> {
    let person_links = store::directory_sync::links(tx, PERSON).await?;
    if snapshot.everyone.is_empty() && person_links.values().any(|link| !link.left) {
        return Err(SyncError::Refused(format!(
            "the directory returned nobody under {} for {}; nobody was blocked (check the base DN and the filter)",
            config.base_dn, config.user_filter
        )));
    }
    let mut fields = store::directory_sync::person_fields(tx).await?;
    let mut by_email: HashMap<String, String> = fields
        .iter()
        .map(|(id, fields)| (fields.0.clone(), id.clone()))
        .collect();
    let linked: BTreeSet<String> = person_links
        .values()
        .map(|link| link.local_id.clone())
        .collect();

    let present: BTreeSet<&String> = snapshot.everyone.iter().map(|(id, _)| id).collect();
    let link_of_local: HashMap<String, &Link> = person_links
        .values()
        .map(|link| (link.local_id.clone(), link))
        .collect();
    // People: new ones, changed ones (managers after everyone has an id).
    let mut local_of: HashMap<String, String> = person_links
        .iter()
        .map(|(id, link)| (id.clone(), link.local_id.clone()))
        .collect();
    let mut pending_manager: Vec<(&DirectoryPerson, String)> = Vec::new();
    let mut added: BTreeSet<String> = BTreeSet::new();
    for person in &snapshot.people {
        let local = match local_of.get(&person.id) {
            Some(local) => local.clone(),
            None => match by_email.get(&person.email) {
                // Someone Entrada already knows by this address and no other entry claims.
                Some(existing) if !linked.contains(existing) => existing.clone(),
                // Their entry left and this one came with their address: the entry was
                // made again (deleted and re-added), so the person moves to it.
                Some(existing)
                    if link_of_local
                        .get(existing)
                        .is_some_and(|old| !present.contains(&old.directory_id)) =>
                {
                    let old = link_of_local[existing];
                    store::directory_sync::delete_link(tx, PERSON, &old.directory_id).await?;
                    if old.left && store::users::unblock(tx, existing).await? {
                        store::audit::append(
                            tx,
                            &event(now, AuditAction::UserReturnedToDirectory, "user", existing)
                                .with_detail("dn", &person.dn),
                        )
                        .await?;
                        figures.people_unblocked += 1;
                    }
                    existing.clone()
                }
                Some(_) => {
                    problem(
                        problems,
                        format!(
                            "{}: {} belongs to another directory entry; skipped",
                            person.dn, person.email
                        ),
                    );
                    continue;
                }
                None => {
                    let user = User {
                        id: UserId(store::new_id()),
                        email: person.email.clone(),
                        display_name: person.display_name.clone(),
                        kind: UserKind::Member,
                        state: UserState::Active,
                        department: person.department.clone(),
                        job_title: person.job_title.clone(),
                        manager: None,
                        connected_organization: None,
                    };
                    store::users::insert(tx, &user, None, now).await?;
                    store::audit::append(
                        tx,
                        &event(now, AuditAction::UserImported, "user", user.id.as_str())
                            .with_detail("email", &user.email)
                            .with_detail("displayName", &user.display_name)
                            .with_detail("dn", &person.dn),
                    )
                    .await?;
                    figures.people_added += 1;
                    fields.insert(
                        user.id.0.clone(),
                        (
                            user.email.clone(),
                            user.display_name.clone(),
                            user.department.clone(),
                            user.job_title.clone(),
                            None,
                        ),
                    );
                    by_email.insert(user.email.clone(), user.id.0.clone());
                    added.insert(user.id.0.clone());
                    user.id.0
                }
            },
        };
        store::directory_sync::upsert_link(tx, PERSON, &person.id, &person.dn, &local).await?;
        local_of.insert(person.id.clone(), local.clone());
        pending_manager.push((person, local));
    }
    // Entries without an address never get a link: the rest are the people seen.
    figures.people_seen = snapshot
        .everyone
        .iter()
        .filter(|(id, _)| local_of.contains_key(id))
        .count() as u64;
    // Every person's DN now, to name managers and to write back.
    let dn_to_local: HashMap<String, String> = snapshot
        .everyone
        .iter()
        .filter_map(|(id, dn)| Some((normalize_dn(dn), local_of.get(id)?.clone())))
        .collect();
    for (id, dn) in &snapshot.everyone {
        if let Some(link) = person_links.get(id) {
            if link.dn != *dn {
                store::directory_sync::upsert_link(tx, PERSON, id, dn, &link.local_id).await?;
            }
        }
    }
    for (person, local) in pending_manager {
        let manager = person
            .manager_dn
            .as_deref()
            .and_then(|dn| dn_to_local.get(&normalize_dn(dn)))
            .filter(|manager| **manager != local)
            .cloned();
        let wanted: PersonFields = (
            person.email.clone(),
            person.display_name.clone(),
            person.department.clone(),
            person.job_title.clone(),
            manager,
        );
        let Some(current) = fields.get(&local) else {
            continue;
        };
        if *current != wanted {
            if current.0 != wanted.0 {
                if let Some(other) = by_email.get(&wanted.0).filter(|other| **other != local) {
                    problem(
                        problems,
                        format!(
                            "{}: {} is already the address of another person ({other}); not changed",
                            person.dn, wanted.0
                        ),
                    );
                    continue;
                }
            }
            store::directory_sync::update_person(tx, &local, &wanted).await?;
            by_email.remove(&current.0);
            by_email.insert(wanted.0.clone(), local.clone());
            if !added.contains(&local) {
                figures.people_changed += 1;
            }
            fields.insert(local.clone(), wanted);
        }
    }

    // Who left, and who came back.
    let person_links = store::directory_sync::links(tx, PERSON).await?;
    for link in person_links.values() {
        let user = UserId(link.local_id.clone());
        let here = present.contains(&link.directory_id);
        if !here && !link.left && store::users::block(tx, &link.local_id, now).await? {
            let sessions = store::guests::end_sessions(tx, &user).await?;
            // Their access ends with them: grants taken back, each end audited.
            let ended = crate::lifecycle::end_all_of(tx, &user, now)
                .await
                .map_err(|error| match error {
                    crate::lifecycle::LifecycleError::Database(error) => SyncError::Db(error),
                    other => SyncError::Refused(format!(
                        "ending the access of {} who left: {other}",
                        link.dn
                    )),
                })?;
            store::directory_sync::set_left(tx, PERSON, &link.directory_id, Some(now)).await?;
            store::audit::append(
                tx,
                &event(now, AuditAction::UserLeftDirectory, "user", &link.local_id)
                    .with_detail("dn", &link.dn)
                    .with_detail("sessionsEnded", sessions.to_string())
                    .with_detail("assignmentsEnded", ended.to_string()),
            )
            .await?;
            figures.people_blocked += 1;
        } else if here && link.left {
            store::directory_sync::set_left(tx, PERSON, &link.directory_id, None).await?;
            if store::users::unblock(tx, &link.local_id).await? {
                store::audit::append(
                    tx,
                    &event(
                        now,
                        AuditAction::UserReturnedToDirectory,
                        "user",
                        &link.local_id,
                    )
                    .with_detail("dn", &link.dn),
                )
                .await?;
                figures.people_unblocked += 1;
            }
        }
    }

    apply_groups(tx, snapshot, &local_of, now, figures, problems).await
}

async fn apply_groups(
    tx: &mut AnyConnection,
    snapshot: &Snapshot,
    local_of: &HashMap<String, String>,
    now: OffsetDateTime,
    figures: &mut SyncFigures,
    problems: &mut Vec<String>,
) -> Result<(), SyncError> {
    let group_links = store::directory_sync::links(tx, GROUP).await?;
    let mut group_fields = store::directory_sync::group_fields(tx).await?;
    let linked: BTreeSet<&String> = group_links.values().map(|link| &link.local_id).collect();
    let mut by_name: HashMap<String, String> = group_fields
        .iter()
        .map(|(id, (name, _))| (name.to_lowercase(), id.clone()))
        .collect();
    // The people of the directory, flattened, as Entrada's ids.
    let everyone: Vec<DirectoryPerson> = snapshot
        .everyone
        .iter()
        .map(|(id, dn)| DirectoryPerson {
            id: id.clone(),
            dn: dn.clone(),
            email: String::new(),
            display_name: String::new(),
            department: None,
            job_title: None,
            manager_dn: None,
        })
        .collect();
    let flat = flatten_members(&snapshot.groups, &everyone);
    let dn_to_local: HashMap<String, &String> = snapshot
        .everyone
        .iter()
        .filter_map(|(id, dn)| Some((normalize_dn(dn), local_of.get(id)?)))
        .collect();
    figures.groups_seen = snapshot.groups.len() as u64;
    let mut seen = BTreeSet::new();
    for group in &snapshot.groups {
        let local = match group_links.get(&group.id) {
            Some(link) => {
                if link.left {
                    store::directory_sync::set_left(tx, GROUP, &group.id, None).await?;
                }
                link.local_id.clone()
            }
            None => match by_name.get(&group.name.to_lowercase()) {
                Some(existing) if !linked.contains(existing) => existing.clone(),
                Some(_) => {
                    problem(
                        problems,
                        format!(
                            "{}: another directory group is already named {}; skipped",
                            group.dn, group.name
                        ),
                    );
                    continue;
                }
                None => {
                    let new = Group {
                        id: GroupId(store::new_id()),
                        name: group.name.clone(),
                        description: group.description.clone(),
                        owners: Vec::new(),
                    };
                    store::directory::insert_group(tx, &new).await?;
                    figures.groups_added += 1;
                    group_fields.insert(
                        new.id.0.clone(),
                        (new.name.clone(), new.description.clone()),
                    );
                    by_name.insert(new.name.to_lowercase(), new.id.0.clone());
                    new.id.0
                }
            },
        };
        seen.insert(group.id.clone());
        store::directory_sync::upsert_link(tx, GROUP, &group.id, &group.dn, &local).await?;
        let mut changed = false;
        if let Some((name, description)) = group_fields.get(&local) {
            if *name != group.name || *description != group.description {
                let taken = by_name
                    .get(&group.name.to_lowercase())
                    .is_some_and(|other| *other != local);
                match taken {
                    true => problem(
                        problems,
                        format!(
                            "{}: another group is already named {}; not renamed",
                            group.dn, group.name
                        ),
                    ),
                    false => {
                        store::directory_sync::update_group(
                            tx,
                            &local,
                            &group.name,
                            &group.description,
                        )
                        .await?;
                        changed = true;
                    }
                }
            }
        }
        // Members.
        let in_directory: BTreeSet<String> = flat
            .get(&group.id)
            .into_iter()
            .flatten()
            .filter_map(|person| local_of.get(person).cloned())
            .collect();
        let held = store::directory_sync::directory_members(tx, &local).await?;
        let written = store::directory_sync::written_to(tx, &local).await?;
        let change = membership_change(&in_directory, &held, &written);
        for user in &change.add {
            store::directory::add_group_member(tx, &GroupId(local.clone()), &UserId(user.clone()))
                .await?;
            figures.memberships_added += 1;
        }
        for user in &change.remove {
            if store::directory_sync::remove_directory_member(tx, &local, user).await? {
                figures.memberships_removed += 1;
            }
        }
        changed |= !change.add.is_empty() || !change.remove.is_empty();
        // Owners: the directory's say, for its groups.
        let owners: BTreeSet<String> = group
            .owner_dns
            .iter()
            .filter_map(|dn| dn_to_local.get(&normalize_dn(dn)).map(|id| (*id).clone()))
            .collect();
        let current = store::directory_sync::group_owners(tx, &local).await?;
        for owner in owners.difference(&current) {
            store::directory::add_owner(tx, ResourceKind::Group, &local, &UserId(owner.clone()))
                .await?;
            changed = true;
        }
        for owner in current.difference(&owners) {
            store::directory_sync::remove_group_owner(tx, &local, owner).await?;
            changed = true;
        }
        if changed && group_links.contains_key(&group.id) {
            figures.groups_changed += 1;
        }
    }
    // Groups that left the directory: their directory memberships go.
    for link in group_links.values() {
        if link.left || seen.contains(&link.directory_id) {
            continue;
        }
        for user in store::directory_sync::directory_members(tx, &link.local_id).await? {
            if store::directory_sync::remove_directory_member(tx, &link.local_id, &user).await? {
                figures.memberships_removed += 1;
            }
        }
        store::directory_sync::set_left(tx, GROUP, &link.directory_id, Some(now)).await?;
        figures.groups_removed += 1;
    }
    Ok(())
}

/// Writes Entrada's grants in directory groups to the directory, and takes back those
/// that ended; returns (written, taken back). Used by every sync and, between syncs, by
/// the server every 20 seconds, so a grant reaches the directory within a minute.
pub async fn write_back(
    db: &AnyPool,
    config: &LdapConfig,
    now: OffsetDateTime,
) -> Result<(u64, u64, Vec<String>), SyncError> {
    if !pending_writes(&mut *db.acquire().await?).await? {
        return Ok((0, 0, Vec::new()));
    }
    let mut ldap = connect(config).await?;
    let mut problems = Vec::new();
    let (written, taken) = write_back_with(db, &mut ldap, now, &mut problems).await?;
    let _ = ldap.unbind().await;
    Ok((written, taken, problems))
}

/// Whether write-back has anything to write or take back.
async fn pending_writes(conn: &mut AnyConnection) -> Result<bool, sqlx::Error> {
    let granted = store::directory_sync::granted_in_directory_groups(conn).await?;
    let written = store::directory_sync::written(conn).await?;
    let (to_write, to_take) = write_back_plan(&granted, &written);
    Ok(!to_write.is_empty() || !to_take.is_empty())
}

/// LDAP result codes a write-back accepts: the value was already there (20) or already
/// gone (16).
const NO_SUCH_ATTRIBUTE: u32 = 16;
const ALREADY_THERE: u32 = 20;

async fn write_back_with(
    db: &AnyPool,
    ldap: &mut Ldap,
    now: OffsetDateTime,
    problems: &mut Vec<String>,
) -> Result<(u64, u64), SyncError> {
    let (to_write, to_take) = {
        let mut conn = db.acquire().await?;
        let granted = store::directory_sync::granted_in_directory_groups(&mut conn).await?;
        let written = store::directory_sync::written(&mut conn).await?;
        write_back_plan(&granted, &written)
    };
    let (mut written, mut taken) = (0, 0);
    for write in &to_write {
        // Recorded first: if Entrada stops after writing, it still knows the membership is
        // its own to take back.
        {
            let mut conn = db.acquire().await?;
            if !store::directory_sync::record_write(&mut conn, write, now).await? {
                continue;
            }
        }
        let done = ldap
            .with_timeout(TIMEOUT)
            .modify(
                &write.group_dn,
                vec![Mod::Add("member", [write.person_dn.as_str()].into())],
            )
            .await?;
        let mut tx = crate::db::begin(db).await?;
        if done.rc == 0 || done.rc == ALREADY_THERE {
            store::audit::append(
                &mut tx,
                &write_event(now, AuditAction::DirectoryWrittenBack, write),
            )
            .await?;
            written += 1;
        } else {
            store::directory_sync::forget_write(&mut tx, write).await?;
            problem(
                problems,
                format!(
                    "writing {} to {}: {} ({})",
                    write.person_dn, write.group_dn, done.text, done.rc
                ),
            );
        }
        tx.commit().await?;
    }
    for write in &to_take {
        let done = ldap
            .with_timeout(TIMEOUT)
            .modify(
                &write.group_dn,
                vec![Mod::Delete("member", [write.person_dn.as_str()].into())],
            )
            .await?;
        if done.rc != 0 && done.rc != NO_SUCH_ATTRIBUTE {
            problem(
                problems,
                format!(
                    "taking {} back from {}: {} ({})",
                    write.person_dn, write.group_dn, done.text, done.rc
                ),
            );
            continue;
        }
        let mut tx = crate::db::begin(db).await?;
        if store::directory_sync::forget_write(&mut tx, write).await? {
            store::audit::append(
                &mut tx,
                &write_event(now, AuditAction::DirectoryTakenBack, write),
            )
            .await?;
            taken += 1;
        }
        tx.commit().await?;
    }
    Ok((written, taken))
}

fn write_event(now: OffsetDateTime, action: AuditAction, write: &Write) -> AuditEvent {
    event(now, action, "group", &write.group_id)
        .with_detail("userId", &write.user_id)
        .with_detail("groupDn", &write.group_dn)
        .with_detail("personDn", &write.person_dn)
}

/// Links of one kind, for the Integrations page's counts.
pub(crate) async fn linked_counts(conn: &mut AnyConnection) -> Result<(u64, u64), sqlx::Error> {
    let people = store::directory_sync::links(conn, PERSON).await?;
    let groups = store::directory_sync::links(conn, GROUP).await?;
    let live =
        |links: &HashMap<String, Link>| links.values().filter(|link| !link.left).count() as u64;
    Ok((live(&people), live(&groups)))
}

/// Syncs every `config.every`, and writes back every 20 seconds in between, until `stop`.
/// Failures are logged (and recorded, for the Integrations page) and retried next time.
pub(crate) async fn run_forever(
    db: AnyPool,
    config: LdapConfig,
    clock: std::sync::Arc<dyn crate::Clock>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(Duration::from_secs(20));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sync: Option<std::time::Instant> = None;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        if *stop.borrow() {
            return;
        }
        let due = last_sync.is_none_or(|at| at.elapsed() >= config.every);
        if due {
            last_sync = Some(std::time::Instant::now());
            match sync(&db, &config, None, "schedule", clock.now()).await {
                Ok(outcome) => tracing::info!(?outcome, "directory synced"),
                Err(SyncError::Busy) => {}
                Err(error) => tracing::warn!(%error, "directory sync failed; retrying later"),
            }
            continue;
        }
        let mut conn = match db.acquire().await {
            Ok(conn) => conn,
            Err(error) => {
                tracing::warn!(%error, "directory write-back could not start");
                continue;
            }
        };
        let now = clock.now();
        // Most passes have nothing to write: they take no lease, so "Sync now" is never
        // kept waiting by an idle pass.
        match pending_writes(&mut conn).await {
            Ok(false) => continue,
            Ok(true) => {}
            Err(error) => {
                tracing::warn!(%error, "directory write-back could not start");
                continue;
            }
        }
        match store::directory_sync::take_lease(&mut conn, now, now + LEASE).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(error) => {
                tracing::warn!(%error, "directory write-back could not start");
                continue;
            }
        }
        match write_back(&db, &config, now).await {
            Ok((0, 0, _)) => {}
            Ok((written, taken, problems)) => {
                tracing::info!(written, taken, ?problems, "directory written back")
            }
            Err(error) => tracing::warn!(%error, "directory write-back failed; retrying"),
        }
        if let Err(error) = store::directory_sync::release_lease(&mut conn).await {
            tracing::warn!(%error, "directory sync lease not released; it lapses");
        }
    }
}
