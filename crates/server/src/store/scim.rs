//! SCIM provisioning's reads and writes (migration 0017): bearer tokens, kept as their
//! SHA-256 only; the people and directory groups SCIM serves, with the externalId and
//! meta SCIM keeps beside them; and group membership with its provenance (migration 0004):
//! SCIM writes and removes only `source = 'directory'` rows, never Entrada's grants.

use entrada_domain::scim::{Meta, ScimGroup, ScimUser, UserFields};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::{from_millis, to_millis};

/// A token as listed: never the token itself.
#[derive(Debug, Clone)]
pub(crate) struct TokenRow {
    pub name: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked: bool,
}

/// The SHA-256 of a token, hex: what the database keeps.
pub(crate) fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Stores a new token's hash under `name`.
pub(crate) async fn insert_token(
    conn: &mut AnyConnection,
    name: &str,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO scim_tokens (name, token_hash, created_at, revoked) VALUES ($1, $2, $3, 0)",
    )
    .bind(name)
    .bind(token_hash)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Every token, oldest first.
pub(crate) async fn tokens(conn: &mut AnyConnection) -> Result<Vec<TokenRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT name, created_at, last_used_at, revoked FROM scim_tokens ORDER BY created_at, name",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TokenRow {
                name: row.try_get("name")?,
                created_at: from_millis(row.try_get("created_at")?),
                last_used_at: row
                    .try_get::<Option<i64>, _>("last_used_at")?
                    .map(from_millis),
                revoked: row.try_get::<i64, _>("revoked")? != 0,
            })
        })
        .collect()
}

/// Revokes the token named `name`; false when there is no live token of that name.
pub(crate) async fn revoke(conn: &mut AnyConnection, name: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE scim_tokens SET revoked = 1 WHERE name = $1 AND revoked = 0")
        .bind(name)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// The name of the live token `token` is, noting its use (at most once a minute, so
/// reads do not each write); none for an unknown or revoked token.
pub(crate) async fn authenticate(
    conn: &mut AnyConnection,
    token: &str,
    now: OffsetDateTime,
) -> Result<Option<String>, sqlx::Error> {
    let hash = hash_token(token);
    let row = sqlx::query(
        "SELECT name, last_used_at FROM scim_tokens WHERE token_hash = $1 AND revoked = 0",
    )
    .bind(&hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let name: String = row.try_get("name")?;
    let last_used: Option<i64> = row.try_get("last_used_at")?;
    let now_ms = to_millis(now);
    if last_used.is_none_or(|at| now_ms - at >= 60_000) {
        sqlx::query("UPDATE scim_tokens SET last_used_at = $2 WHERE token_hash = $1")
            .bind(&hash)
            .bind(now_ms)
            .execute(conn)
            .await?;
    }
    Ok(Some(name))
}

const USER_SELECT: &str = "SELECT u.id, u.email, u.display_name, u.state, u.department, \
     u.job_title, u.manager_id, u.created_at AS user_created_at, r.external_id, \
     r.name_formatted, r.created_at, r.last_modified_at, r.version \
     FROM users u LEFT JOIN scim_resources r ON r.kind = 'user' AND r.local_id = u.id \
     WHERE u.state <> 'deleted'";

/// Every person who is not deleted, oldest first.
pub(crate) async fn users(conn: &mut AnyConnection) -> Result<Vec<ScimUser>, sqlx::Error> {
    let rows = sqlx::query(&format!("{USER_SELECT} ORDER BY u.created_at, u.id"))
        .fetch_all(conn)
        .await?;
    rows.iter().map(user_from_row).collect()
}

/// One person who is not deleted.
pub(crate) async fn user(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<ScimUser>, sqlx::Error> {
    let row = sqlx::query(&format!("{USER_SELECT} AND u.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

fn user_from_row(row: &AnyRow) -> Result<ScimUser, sqlx::Error> {
    let state: String = row.try_get("state")?;
    let display_name: String = row.try_get("display_name")?;
    Ok(ScimUser {
        id: row.try_get("id")?,
        fields: UserFields {
            external_id: row.try_get("external_id")?,
            user_name: row.try_get("email")?,
            display_name,
            name_formatted: row.try_get("name_formatted")?,
            active: state == "active",
            title: row.try_get("job_title")?,
            department: row.try_get("department")?,
            manager: row.try_get("manager_id")?,
        },
        meta: meta_from_row(row, Some(row.try_get("user_created_at")?))?,
    })
}

fn meta_from_row(row: &AnyRow, created: Option<i64>) -> Result<Meta, sqlx::Error> {
    let version: Option<i64> = row.try_get("version")?;
    let scim_created: Option<i64> = row.try_get("created_at")?;
    Ok(Meta {
        created: scim_created.or(created).map(from_millis),
        last_modified: row
            .try_get::<Option<i64>, _>("last_modified_at")?
            .map(from_millis),
        version: version.unwrap_or(0),
    })
}

/// Whether another person than `except` (deleted ones excepted: their address is gone)
/// has the address `email`, compared without case.
pub(crate) async fn email_taken(
    conn: &mut AnyConnection,
    email: &str,
    except: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM users WHERE LOWER(email) = $1 AND id <> $2 LIMIT 1")
            .bind(email.to_lowercase())
            .bind(except.unwrap_or(""))
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Whether `id` is a person who is not deleted.
pub(crate) async fn user_exists(conn: &mut AnyConnection, id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND state <> 'deleted'")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Changes a person's SCIM-kept attributes (not their state).
pub(crate) async fn update_user(
    conn: &mut AnyConnection,
    id: &str,
    fields: &UserFields,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET email = $2, display_name = $3, job_title = $4, department = $5, \
         manager_id = $6 WHERE id = $1 AND state <> 'deleted'",
    )
    .bind(id)
    .bind(&fields.user_name)
    .bind(&fields.display_name)
    .bind(fields.title.as_deref())
    .bind(fields.department.as_deref())
    .bind(fields.manager.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

/// Turns a person into a tombstone as the guest lifecycle does (`store::guests::tombstone`):
/// state deleted, the address replaced, no password. False when already deleted.
pub(crate) async fn tombstone(
    conn: &mut AnyConnection,
    id: &str,
    tombstone_email: &str,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE users SET state = 'deleted', email = $2, password_hash = NULL, \
         blocked_at = NULL, deleted_at = $3 WHERE id = $1 AND state <> 'deleted'",
    )
    .bind(id)
    .bind(tombstone_email)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Records a SCIM write of a resource: its externalId and formatted name, when it changed,
/// and its next version (the first write of a resource makes version 1). `created` is
/// when the resource came to be, kept from the first write.
pub(crate) async fn touch(
    conn: &mut AnyConnection,
    kind: &str,
    id: &str,
    external_id: Option<&str>,
    name_formatted: Option<&str>,
    created: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO scim_resources (kind, local_id, external_id, name_formatted, created_at, \
         last_modified_at, version) VALUES ($1, $2, $3, $4, $5, $6, 1) \
         ON CONFLICT (kind, local_id) DO UPDATE SET external_id = excluded.external_id, \
         name_formatted = excluded.name_formatted, last_modified_at = excluded.last_modified_at, \
         version = scim_resources.version + 1",
    )
    .bind(kind)
    .bind(id)
    .bind(external_id)
    .bind(name_formatted)
    .bind(to_millis(created))
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets what SCIM kept about a resource that is gone.
pub(crate) async fn forget(
    conn: &mut AnyConnection,
    kind: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM scim_resources WHERE kind = $1 AND local_id = $2")
        .bind(kind)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

const GROUP_SELECT: &str = "SELECT g.id, g.name, r.external_id, r.created_at, \
     r.last_modified_at, r.version \
     FROM directory_groups g LEFT JOIN scim_resources r ON r.kind = 'group' AND r.local_id = g.id";

/// Every directory group with every member (whoever added them), by name.
pub(crate) async fn groups(conn: &mut AnyConnection) -> Result<Vec<ScimGroup>, sqlx::Error> {
    let rows = sqlx::query(&format!("{GROUP_SELECT} ORDER BY g.name, g.id"))
        .fetch_all(&mut *conn)
        .await?;
    let members: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.group_id, m.user_id FROM group_members m JOIN users u ON u.id = m.user_id \
         WHERE u.state <> 'deleted' ORDER BY m.group_id, m.user_id",
    )
    .fetch_all(conn)
    .await?;
    let mut by_group: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (group, user) in members {
        by_group.entry(group).or_default().push(user);
    }
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            let members = by_group.remove(&id).unwrap_or_default();
            group_from_row(row, members)
        })
        .collect()
}

/// One directory group with its members.
pub(crate) async fn group(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<ScimGroup>, sqlx::Error> {
    let row = sqlx::query(&format!("{GROUP_SELECT} WHERE g.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let members: Vec<String> = sqlx::query_scalar(
        "SELECT m.user_id FROM group_members m JOIN users u ON u.id = m.user_id \
         WHERE m.group_id = $1 AND u.state <> 'deleted' ORDER BY m.user_id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    group_from_row(&row, members).map(Some)
}

fn group_from_row(row: &AnyRow, members: Vec<String>) -> Result<ScimGroup, sqlx::Error> {
    Ok(ScimGroup {
        id: row.try_get("id")?,
        external_id: row.try_get("external_id")?,
        display_name: row.try_get("name")?,
        members,
        meta: meta_from_row(row, None)?,
    })
}

/// Whether another group than `except` has the name `name`, compared without case.
pub(crate) async fn group_name_taken(
    conn: &mut AnyConnection,
    name: &str,
    except: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT id FROM directory_groups WHERE LOWER(name) = $1 AND id <> $2 LIMIT 1",
    )
    .bind(name.to_lowercase())
    .bind(except.unwrap_or(""))
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Takes a group's row lock for the rest of the transaction (a no-op UPDATE), so two SCIM
/// writes of one group happen one after the other.
pub(crate) async fn lock_group(conn: &mut AnyConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE directory_groups SET name = name WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Renames a group.
pub(crate) async fn rename_group(
    conn: &mut AnyConnection,
    id: &str,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE directory_groups SET name = $2 WHERE id = $1")
        .bind(id)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// Makes the directory's members of a group exactly `members`: adds those missing (a
/// person Entrada already made a member keeps that row, and its provenance) and removes
/// the directory's rows of everyone else. Entrada's rows are never removed. Returns how
/// many rows were added and removed.
pub(crate) async fn set_directory_members(
    conn: &mut AnyConnection,
    group: &str,
    members: &[String],
) -> Result<(u64, u64), sqlx::Error> {
    let current: Vec<String> = sqlx::query_scalar(
        "SELECT user_id FROM group_members WHERE group_id = $1 AND source = 'directory'",
    )
    .bind(group)
    .fetch_all(&mut *conn)
    .await?;
    let mut removed = 0;
    for gone in current.iter().filter(|user| !members.contains(user)) {
        removed += sqlx::query(
            "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2 AND source = 'directory'",
        )
        .bind(group)
        .bind(gone)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    let mut added = 0;
    for user in members {
        added += sqlx::query(
            "INSERT INTO group_members (group_id, user_id, source) VALUES ($1, $2, 'directory') \
             ON CONFLICT DO NOTHING",
        )
        .bind(group)
        .bind(user)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok((added, removed))
}

/// Whether a group is a resource of some catalog (then Entrada's packages grant it, and
/// it may not be deleted from outside).
pub(crate) async fn group_in_a_catalog(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<bool, sqlx::Error> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT id FROM catalog_resources WHERE kind = 'group' AND origin_id = $1 LIMIT 1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Deletes a group no catalog holds, with its memberships and owners; false when it was
/// already gone.
pub(crate) async fn delete_group(conn: &mut AnyConnection, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM group_members WHERE group_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM resource_owners WHERE resource_kind = 'group' AND origin_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let result = sqlx::query("DELETE FROM directory_groups WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// How many SCIM writes of each action the audit log holds since `since`.
pub(crate) async fn writes_since(
    conn: &mut AnyConnection,
    since: OffsetDateTime,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT action, COUNT(*) FROM audit_events WHERE action LIKE 'scim.%' AND at >= $1 \
         GROUP BY action ORDER BY action",
    )
    .bind(to_millis(since))
    .fetch_all(conn)
    .await
}
