//! The directory beyond people: groups and their members, applications, sites, and the
//! role grants on them, and connected organisations.

use std::collections::HashMap;

use entrada_domain::catalog::ResourceKind;
use entrada_domain::directory::{Application, Group, Site};
use entrada_domain::ids::{ApplicationId, ConnectedOrgId, GroupId, SiteId, UserId};
use entrada_domain::organization::{ConnectedOrgState, ConnectedOrganization};
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::to_millis;
use crate::store::{bad_value, from_json, to_json};

/// Inserts a group.
pub(crate) async fn insert_group(
    conn: &mut AnyConnection,
    group: &Group,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO directory_groups (id, name, description) VALUES ($1, $2, $3)")
        .bind(group.id.as_str())
        .bind(&group.name)
        .bind(&group.description)
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds a person to a group (idempotent).
pub(crate) async fn add_group_member(
    conn: &mut AnyConnection,
    group: &GroupId,
    user: &UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(group.as_str())
    .bind(user.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts an application with its roles.
pub(crate) async fn insert_application(
    conn: &mut AnyConnection,
    application: &Application,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO applications (id, name, description, roles_json) VALUES ($1, $2, $3, $4)",
    )
    .bind(application.id.as_str())
    .bind(&application.name)
    .bind(&application.description)
    .bind(to_json(&application.roles)?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives a person an application role (idempotent).
pub(crate) async fn add_application_role_member(
    conn: &mut AnyConnection,
    application: &ApplicationId,
    role: &str,
    user: &UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO application_role_members (application_id, role_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(application.as_str())
    .bind(role)
    .bind(user.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts a site with its roles.
pub(crate) async fn insert_site(conn: &mut AnyConnection, site: &Site) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sites (id, name, url, roles_json) VALUES ($1, $2, $3, $4)")
        .bind(site.id.as_str())
        .bind(&site.name)
        .bind(&site.url)
        .bind(to_json(&site.roles)?)
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives a person a site role (idempotent).
pub(crate) async fn add_site_role_member(
    conn: &mut AnyConnection,
    site: &SiteId,
    role: &str,
    user: &UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO site_role_members (site_id, role_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(site.as_str())
        .bind(role)
        .bind(user.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Makes a person an owner of a group, application or site (idempotent).
pub(crate) async fn add_owner(
    conn: &mut AnyConnection,
    kind: ResourceKind,
    origin: &str,
    user: &UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO resource_owners (resource_kind, origin_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(kind.as_str())
    .bind(origin)
    .bind(user.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// The owners of every object of one kind, by object id, each list sorted.
async fn owners_by_object(
    conn: &mut AnyConnection,
    kind: ResourceKind,
) -> Result<HashMap<String, Vec<UserId>>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT origin_id, user_id FROM resource_owners WHERE resource_kind = $1 ORDER BY origin_id, user_id",
    )
    .bind(kind.as_str())
    .fetch_all(conn)
    .await?;
    let mut owners: HashMap<String, Vec<UserId>> = HashMap::new();
    for row in &rows {
        owners
            .entry(row.try_get("origin_id")?)
            .or_default()
            .push(UserId(row.try_get("user_id")?));
    }
    Ok(owners)
}

/// Inserts a connected organisation.
pub(crate) async fn insert_organization(
    conn: &mut AnyConnection,
    organization: &ConnectedOrganization,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO connected_organizations (id, name, description, domains_json, state, internal_sponsors_json, \
         external_sponsors_json, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(organization.id.as_str())
    .bind(&organization.name)
    .bind(&organization.description)
    .bind(to_json(&organization.domains)?)
    .bind(state_text(organization.state))
    .bind(to_json(&organization.internal_sponsors)?)
    .bind(to_json(&organization.external_sponsors)?)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Every connected organisation, by name.
pub(crate) async fn all_organizations(
    conn: &mut AnyConnection,
) -> Result<Vec<ConnectedOrganization>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, description, domains_json, state, internal_sponsors_json, external_sponsors_json \
         FROM connected_organizations ORDER BY name",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let state: String = row.try_get("state")?;
            Ok(ConnectedOrganization {
                id: ConnectedOrgId(row.try_get("id")?),
                name: row.try_get("name")?,
                description: row.try_get("description")?,
                domains: from_json(&row.try_get::<String, _>("domains_json")?)?,
                state: match state.as_str() {
                    "configured" => ConnectedOrgState::Configured,
                    "proposed" => ConnectedOrgState::Proposed,
                    _ => return Err(bad_value("connected_organizations.state", &state)),
                },
                internal_sponsors: from_json(&row.try_get::<String, _>("internal_sponsors_json")?)?,
                external_sponsors: from_json(&row.try_get::<String, _>("external_sponsors_json")?)?,
            })
        })
        .collect()
}

/// Every group, by name.
pub(crate) async fn all_groups(conn: &mut AnyConnection) -> Result<Vec<Group>, sqlx::Error> {
    let mut owners = owners_by_object(&mut *conn, ResourceKind::Group).await?;
    let rows = sqlx::query("SELECT id, name, description FROM directory_groups ORDER BY name")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            Ok(Group {
                owners: owners.remove(&id).unwrap_or_default(),
                id: GroupId(id),
                name: row.try_get("name")?,
                description: row.try_get("description")?,
            })
        })
        .collect()
}

/// Every application, by name.
pub(crate) async fn all_applications(
    conn: &mut AnyConnection,
) -> Result<Vec<Application>, sqlx::Error> {
    let mut owners = owners_by_object(&mut *conn, ResourceKind::Application).await?;
    let rows =
        sqlx::query("SELECT id, name, description, roles_json FROM applications ORDER BY name")
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            Ok(Application {
                owners: owners.remove(&id).unwrap_or_default(),
                id: ApplicationId(id),
                name: row.try_get("name")?,
                description: row.try_get("description")?,
                roles: from_json(&row.try_get::<String, _>("roles_json")?)?,
            })
        })
        .collect()
}

/// Every site, by name.
pub(crate) async fn all_sites(conn: &mut AnyConnection) -> Result<Vec<Site>, sqlx::Error> {
    let mut owners = owners_by_object(&mut *conn, ResourceKind::Site).await?;
    let rows = sqlx::query("SELECT id, name, url, roles_json FROM sites ORDER BY name")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            Ok(Site {
                owners: owners.remove(&id).unwrap_or_default(),
                id: SiteId(id),
                name: row.try_get("name")?,
                url: row.try_get("url")?,
                roles: from_json(&row.try_get::<String, _>("roles_json")?)?,
            })
        })
        .collect()
}

/// The memberships of these groups as (group, person), a page of groups per query.
pub(crate) async fn memberships_of_groups(
    conn: &mut AnyConnection,
    groups: &[&GroupId],
) -> Result<Vec<(GroupId, UserId)>, sqlx::Error> {
    let groups: Vec<&str> = groups.iter().map(|group| group.as_str()).collect();
    let rows = super::rows_for_values(conn, &groups, &[], |list, _| {
        format!("SELECT group_id, user_id FROM group_members WHERE group_id IN ({list})")
    })
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                GroupId(row.try_get("group_id")?),
                UserId(row.try_get("user_id")?),
            ))
        })
        .collect()
}

/// Every group membership as (group, person).
pub(crate) async fn all_memberships(
    conn: &mut AnyConnection,
) -> Result<Vec<(GroupId, UserId)>, sqlx::Error> {
    let rows = sqlx::query("SELECT group_id, user_id FROM group_members")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                GroupId(row.try_get("group_id")?),
                UserId(row.try_get("user_id")?),
            ))
        })
        .collect()
}

/// Replaces a connected organisation's editable fields.
pub(crate) async fn update_organization(
    conn: &mut AnyConnection,
    organization: &ConnectedOrganization,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE connected_organizations SET name = $1, description = $2, domains_json = $3, \
         internal_sponsors_json = $4, external_sponsors_json = $5, state = $6 WHERE id = $7",
    )
    .bind(&organization.name)
    .bind(&organization.description)
    .bind(to_json(&organization.domains)?)
    .bind(to_json(&organization.internal_sponsors)?)
    .bind(to_json(&organization.external_sponsors)?)
    .bind(state_text(organization.state))
    .bind(organization.id.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

fn state_text(state: ConnectedOrgState) -> &'static str {
    match state {
        ConnectedOrgState::Configured => "configured",
        ConnectedOrgState::Proposed => "proposed",
    }
}

/// Deletes a connected organisation.
pub(crate) async fn delete_organization(
    conn: &mut AnyConnection,
    id: &ConnectedOrgId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM connected_organizations WHERE id = $1")
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// How many people belong to a connected organisation.
pub(crate) async fn organization_members(
    conn: &mut AnyConnection,
    id: &ConnectedOrgId,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE connected_org_id = $1")
        .bind(id.as_str())
        .fetch_one(conn)
        .await
}
