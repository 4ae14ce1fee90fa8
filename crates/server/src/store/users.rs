//! People, their passwords and their roles.

use entrada_domain::api::CatalogRoleView;
use entrada_domain::catalog::CatalogRole;
use entrada_domain::directory::{User, UserKind, UserState};
use entrada_domain::ids::{CatalogId, ConnectedOrgId, GroupId, UserId};
use entrada_domain::permission::{Actor, CatalogGrant, GlobalRole};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::to_millis;
use crate::store::bad_value;

const USER_COLUMNS: &str =
    "id, email, display_name, kind, state, department, job_title, manager_id, connected_org_id";

/// Inserts a person; `password_hash` is a PHC string or none for accounts that cannot sign in.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    user: &User,
    password_hash: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (id, email, display_name, kind, state, department, job_title, manager_id, \
         connected_org_id, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(user.id.as_str())
    .bind(user.email.to_lowercase())
    .bind(&user.display_name)
    .bind(kind_name(user.kind))
    .bind(state_name(user.state))
    .bind(user.department.as_deref())
    .bind(user.job_title.as_deref())
    .bind(user.manager.as_ref().map(UserId::as_str))
    .bind(user.connected_organization.as_ref().map(ConnectedOrgId::as_str))
    .bind(password_hash)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// One person by id.
pub(crate) async fn get(
    conn: &mut AnyConnection,
    id: &UserId,
) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// One person and their password hash, by e-mail (case-insensitive).
pub(crate) async fn by_email_with_password(
    conn: &mut AnyConnection,
    email: &str,
) -> Result<Option<(User, Option<String>)>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"
    ))
    .bind(email.trim().to_lowercase())
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) => Ok(Some((user_from_row(&row)?, row.try_get("password_hash")?))),
        None => Ok(None),
    }
}

/// Every person but the deleted (their tombstones only keep the audit trail readable), by
/// display name.
pub(crate) async fn all(conn: &mut AnyConnection) -> Result<Vec<User>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE state <> 'deleted' ORDER BY display_name, id"
    ))
    .fetch_all(conn)
    .await?;
    rows.iter().map(user_from_row).collect()
}

/// The people with these ids (deleted ones left out), a page of ids per query.
pub(crate) async fn by_ids(
    conn: &mut AnyConnection,
    ids: &[&UserId],
) -> Result<Vec<User>, sqlx::Error> {
    let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    let rows = super::rows_for_values(conn, &ids, &[], |list, _| {
        format!("SELECT {USER_COLUMNS} FROM users WHERE state <> 'deleted' AND id IN ({list})")
    })
    .await?;
    rows.iter().map(user_from_row).collect()
}

/// How many people there are.
pub(crate) async fn count(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(conn)
        .await
}

/// Gives a person an organisation-wide role (idempotent).
pub(crate) async fn grant_global_role(
    conn: &mut AnyConnection,
    user: &UserId,
    role: GlobalRole,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO global_roles (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(user.as_str())
        .bind(role.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// The groups a person is a member of.
pub(crate) async fn groups_of(
    conn: &mut AnyConnection,
    user: &UserId,
) -> Result<Vec<GroupId>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id",
    )
    .bind(user.as_str())
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(GroupId).collect())
}

/// The permission check's view of a person: their global and catalog roles.
pub(crate) async fn actor(conn: &mut AnyConnection, user: &User) -> Result<Actor, sqlx::Error> {
    let global_roles = global_roles(conn, &user.id).await?;
    let catalog_roles = catalog_roles(conn, &user.id)
        .await?
        .into_iter()
        .map(|view| CatalogGrant {
            catalog_id: view.catalog_id,
            role: view.role,
        })
        .collect();
    Ok(Actor {
        user_id: user.id.clone(),
        kind: user.kind,
        global_roles,
        catalog_roles,
    })
}

/// A person's organisation-wide roles.
pub(crate) async fn global_roles(
    conn: &mut AnyConnection,
    user: &UserId,
) -> Result<Vec<GlobalRole>, sqlx::Error> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT role FROM global_roles WHERE user_id = $1 ORDER BY role")
            .bind(user.as_str())
            .fetch_all(conn)
            .await?;
    names
        .iter()
        .map(|name| GlobalRole::parse(name).ok_or_else(|| bad_value("global_roles.role", name)))
        .collect()
}

/// A person's catalog roles with the catalogs' names.
pub(crate) async fn catalog_roles(
    conn: &mut AnyConnection,
    user: &UserId,
) -> Result<Vec<CatalogRoleView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.catalog_id, c.name, r.role FROM catalog_roles r JOIN catalogs c ON c.id = r.catalog_id \
         WHERE r.user_id = $1 ORDER BY c.name, r.role",
    )
    .bind(user.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let role: String = row.try_get("role")?;
            Ok(CatalogRoleView {
                catalog_id: CatalogId(row.try_get("catalog_id")?),
                catalog_name: row.try_get("name")?,
                role: CatalogRole::parse(&role)
                    .ok_or_else(|| bad_value("catalog_roles.role", &role))?,
            })
        })
        .collect()
}

fn user_from_row(row: &AnyRow) -> Result<User, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    Ok(User {
        id: UserId(row.try_get("id")?),
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        kind: match kind.as_str() {
            "member" => UserKind::Member,
            "guest" => UserKind::Guest,
            "external" => UserKind::External,
            _ => return Err(bad_value("users.kind", &kind)),
        },
        state: match state.as_str() {
            "active" => UserState::Active,
            "blocked" => UserState::Blocked,
            "deleted" => UserState::Deleted,
            _ => return Err(bad_value("users.state", &state)),
        },
        department: row.try_get("department")?,
        job_title: row.try_get("job_title")?,
        manager: row.try_get::<Option<String>, _>("manager_id")?.map(UserId),
        connected_organization: row
            .try_get::<Option<String>, _>("connected_org_id")?
            .map(ConnectedOrgId),
    })
}

fn kind_name(kind: UserKind) -> &'static str {
    match kind {
        UserKind::Member => "member",
        UserKind::Guest => "guest",
        UserKind::External => "external",
    }
}

fn state_name(state: UserState) -> &'static str {
    match state {
        UserState::Active => "active",
        UserState::Blocked => "blocked",
        UserState::Deleted => "deleted",
    }
}

/// Blocks an active person (whatever their kind); false when they were not active.
pub(crate) async fn block(
    conn: &mut AnyConnection,
    id: &str,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE users SET state = 'blocked', blocked_at = $2 WHERE id = $1 AND state = 'active'",
    )
    .bind(id)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Makes a blocked person active again; false when they were not blocked.
pub(crate) async fn unblock(conn: &mut AnyConnection, id: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE users SET state = 'active', blocked_at = NULL WHERE id = $1 AND state = 'blocked'",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}
