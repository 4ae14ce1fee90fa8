//! Directory sync's reads and writes (migration 0016): the links between directory entries
//! and Entrada's people and groups, the memberships Entrada wrote to the directory, the
//! record of each sync and the lease that lets one instance sync at a time.

use std::collections::{BTreeSet, HashMap};

use entrada_domain::directory_sync::{SyncFigures, SyncMode};
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::{from_millis, to_millis};
use crate::store::{from_json, new_id, to_json};

/// A directory entry and what it became.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub directory_id: String,
    pub dn: String,
    pub local_id: String,
    pub left: bool,
}

/// The links of one kind ("person" or "group"), by directory id.
pub(crate) async fn links(
    conn: &mut AnyConnection,
    kind: &str,
) -> Result<HashMap<String, Link>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT directory_id, dn, local_id, left_at FROM directory_links WHERE kind = $1",
    )
    .bind(kind)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let link = Link {
                directory_id: row.try_get("directory_id")?,
                dn: row.try_get("dn")?,
                local_id: row.try_get("local_id")?,
                left: row.try_get::<Option<i64>, _>("left_at")?.is_some(),
            };
            Ok((link.directory_id.clone(), link))
        })
        .collect()
}

/// Records (or moves) a link.
pub(crate) async fn upsert_link(
    conn: &mut AnyConnection,
    kind: &str,
    directory_id: &str,
    dn: &str,
    local_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO directory_links (kind, directory_id, dn, local_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (kind, directory_id) DO UPDATE SET dn = excluded.dn",
    )
    .bind(kind)
    .bind(directory_id)
    .bind(dn)
    .bind(local_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a link (its entry was made again under another id).
pub(crate) async fn delete_link(
    conn: &mut AnyConnection,
    kind: &str,
    directory_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM directory_links WHERE kind = $1 AND directory_id = $2")
        .bind(kind)
        .bind(directory_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks a link as left (at `now`) or back (none).
pub(crate) async fn set_left(
    conn: &mut AnyConnection,
    kind: &str,
    directory_id: &str,
    left_at: Option<OffsetDateTime>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE directory_links SET left_at = $3 WHERE kind = $1 AND directory_id = $2")
        .bind(kind)
        .bind(directory_id)
        .bind(left_at.map(to_millis))
        .execute(conn)
        .await?;
    Ok(())
}

/// The people of a group held as the directory's.
pub(crate) async fn directory_members(
    conn: &mut AnyConnection,
    group: &str,
) -> Result<BTreeSet<String>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT user_id FROM group_members WHERE group_id = $1 AND source = 'directory'",
    )
    .bind(group)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().collect())
}

/// Removes a membership held as the directory's (never one Entrada granted).
pub(crate) async fn remove_directory_member(
    conn: &mut AnyConnection,
    group: &str,
    user: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2 AND source = 'directory'",
    )
    .bind(group)
    .bind(user)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The owners of a group.
pub(crate) async fn group_owners(
    conn: &mut AnyConnection,
    group: &str,
) -> Result<BTreeSet<String>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT user_id FROM resource_owners WHERE resource_kind = 'group' AND origin_id = $1",
    )
    .bind(group)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().collect())
}

/// Takes a group's ownership from a person.
pub(crate) async fn remove_group_owner(
    conn: &mut AnyConnection,
    group: &str,
    user: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM resource_owners WHERE resource_kind = 'group' AND origin_id = $1 AND user_id = $2",
    )
    .bind(group)
    .bind(user)
    .execute(conn)
    .await?;
    Ok(())
}

/// A membership to write to the directory, or to take back from it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Write {
    pub group_id: String,
    pub user_id: String,
    pub group_dn: String,
    pub person_dn: String,
}

const WRITE_JOINS: &str = "JOIN directory_links g ON g.kind = 'group' AND g.local_id = m.group_id \
     AND g.left_at IS NULL \
     JOIN directory_links p ON p.kind = 'person' AND p.local_id = m.user_id";

fn writes_from(rows: Vec<sqlx::any::AnyRow>) -> Result<BTreeSet<Write>, sqlx::Error> {
    rows.iter()
        .map(|row| {
            Ok(Write {
                group_id: row.try_get("group_id")?,
                user_id: row.try_get("user_id")?,
                group_dn: row.try_get("group_dn")?,
                person_dn: row.try_get("person_dn")?,
            })
        })
        .collect()
}

/// The memberships Entrada grants now in groups that came from the directory, to people
/// who came from it.
pub(crate) async fn granted_in_directory_groups(
    conn: &mut AnyConnection,
) -> Result<BTreeSet<Write>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT m.group_id, m.user_id, g.dn AS group_dn, p.dn AS person_dn \
         FROM group_members m {WRITE_JOINS} WHERE m.source = 'entrada'"
    ))
    .fetch_all(conn)
    .await?;
    writes_from(rows)
}

/// The memberships Entrada has written to the directory.
pub(crate) async fn written(conn: &mut AnyConnection) -> Result<BTreeSet<Write>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT m.group_id, m.user_id, g.dn AS group_dn, p.dn AS person_dn \
         FROM directory_writes m \
         JOIN directory_links g ON g.kind = 'group' AND g.local_id = m.group_id \
         JOIN directory_links p ON p.kind = 'person' AND p.local_id = m.user_id",
    )
    .fetch_all(conn)
    .await?;
    writes_from(rows)
}

/// The people Entrada wrote to one group.
pub(crate) async fn written_to(
    conn: &mut AnyConnection,
    group: &str,
) -> Result<BTreeSet<String>, sqlx::Error> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT user_id FROM directory_writes WHERE group_id = $1")
            .bind(group)
            .fetch_all(conn)
            .await?;
    Ok(ids.into_iter().collect())
}

/// Records that Entrada is writing a membership; false when it already had.
pub(crate) async fn record_write(
    conn: &mut AnyConnection,
    write: &Write,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO directory_writes (group_id, user_id, written_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&write.group_id)
    .bind(&write.user_id)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets a membership Entrada wrote; false when another instance already had.
pub(crate) async fn forget_write(
    conn: &mut AnyConnection,
    write: &Write,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM directory_writes WHERE group_id = $1 AND user_id = $2")
        .bind(&write.group_id)
        .bind(&write.user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// One sync as recorded.
#[derive(Debug, Clone)]
pub(crate) struct SyncRecord {
    pub started_at: OffsetDateTime,
    pub finished_at: OffsetDateTime,
    pub mode: SyncMode,
    pub started_by: String,
    pub figures: SyncFigures,
    pub problems: Vec<String>,
    pub error: Option<String>,
    pub mark: Option<String>,
}

/// Records a sync.
pub(crate) async fn record_sync(
    conn: &mut AnyConnection,
    sync: &SyncRecord,
) -> Result<(), sqlx::Error> {
    let figures = to_json(&(&sync.figures, &sync.problems))?;
    sqlx::query(
        "INSERT INTO directory_syncs (id, started_at, finished_at, mode, started_by, figures_json, \
         error, mark) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(to_millis(sync.started_at))
    .bind(to_millis(sync.finished_at))
    .bind(sync.mode.as_str())
    .bind(&sync.started_by)
    .bind(figures)
    .bind(sync.error.as_deref())
    .bind(sync.mark.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

fn record_from(row: &sqlx::any::AnyRow) -> Result<SyncRecord, sqlx::Error> {
    let mode: String = row.try_get("mode")?;
    let figures: String = row.try_get("figures_json")?;
    let (figures, problems): (SyncFigures, Vec<String>) = from_json(&figures)?;
    Ok(SyncRecord {
        started_at: from_millis(row.try_get("started_at")?),
        finished_at: from_millis(row.try_get("finished_at")?),
        mode: SyncMode::parse(&mode).unwrap_or(SyncMode::Full),
        started_by: row.try_get("started_by")?,
        figures,
        problems,
        error: row.try_get("error")?,
        mark: row.try_get("mark")?,
    })
}

/// The last sync, and the last that succeeded.
pub(crate) async fn last_syncs(
    conn: &mut AnyConnection,
) -> Result<(Option<SyncRecord>, Option<SyncRecord>), sqlx::Error> {
    let last = sqlx::query(
        "SELECT started_at, finished_at, mode, started_by, figures_json, error, mark \
         FROM directory_syncs ORDER BY started_at DESC, finished_at DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let good = sqlx::query(
        "SELECT started_at, finished_at, mode, started_by, figures_json, error, mark \
         FROM directory_syncs WHERE error IS NULL ORDER BY started_at DESC, finished_at DESC LIMIT 1",
    )
    .fetch_optional(conn)
    .await?;
    Ok((
        last.as_ref().map(record_from).transpose()?,
        good.as_ref().map(record_from).transpose()?,
    ))
}

/// Takes the sync lease until `until` when nobody holds it at `now`.
pub(crate) async fn take_lease(
    conn: &mut AnyConnection,
    now: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE directory_sync_lease SET held_until = $2 WHERE id = 1 AND held_until <= $1",
    )
    .bind(to_millis(now))
    .bind(to_millis(until))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Lets the lease go.
pub(crate) async fn release_lease(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE directory_sync_lease SET held_until = 0 WHERE id = 1")
        .execute(conn)
        .await?;
    Ok(())
}

/// A person's fields the directory sets: (email, display name, department, job title,
/// manager id).
pub(crate) type PersonFields = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The fields the directory sets, of every person, by id.
pub(crate) async fn person_fields(
    conn: &mut AnyConnection,
) -> Result<HashMap<String, PersonFields>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, email, display_name, department, job_title, manager_id FROM users \
         WHERE state <> 'deleted'",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                (
                    row.try_get("email")?,
                    row.try_get("display_name")?,
                    row.try_get("department")?,
                    row.try_get("job_title")?,
                    row.try_get("manager_id")?,
                ),
            ))
        })
        .collect()
}

/// Sets the fields the directory sets.
pub(crate) async fn update_person(
    conn: &mut AnyConnection,
    id: &str,
    fields: &PersonFields,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET email = $2, display_name = $3, department = $4, job_title = $5, \
         manager_id = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(&fields.0)
    .bind(&fields.1)
    .bind(fields.2.as_deref())
    .bind(fields.3.as_deref())
    .bind(fields.4.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

/// Every group's (name, description), by id.
pub(crate) async fn group_fields(
    conn: &mut AnyConnection,
) -> Result<HashMap<String, (String, String)>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, name, description FROM directory_groups")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                (row.try_get("name")?, row.try_get("description")?),
            ))
        })
        .collect()
}

/// Renames a group or changes its description.
pub(crate) async fn update_group(
    conn: &mut AnyConnection,
    id: &str,
    name: &str,
    description: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE directory_groups SET name = $2, description = $3 WHERE id = $1")
        .bind(id)
        .bind(name)
        .bind(description)
        .execute(conn)
        .await?;
    Ok(())
}
