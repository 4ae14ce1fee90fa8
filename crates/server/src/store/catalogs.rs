//! Catalogs, their roles and resources, access packages and their policies.

use std::collections::HashMap;

use entrada_domain::catalog::{
    AccessPackage, Catalog, CatalogRole, CatalogRoleAssignment, PackageResourceRole, Resource,
    ResourceKind,
};
use entrada_domain::ids::{
    CatalogId, PackageId, PackageResourceRoleId, PolicyId, ResourceId, RoleAssignmentId, UserId,
};
use entrada_domain::policy::{AssignmentPolicy, PolicyDraft};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::store::{bad_value, from_json, to_json};

/// Inserts a catalog.
pub(crate) async fn insert_catalog(
    conn: &mut AnyConnection,
    catalog: &Catalog,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO catalogs (id, name, description, enabled, external_users_allowed, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(catalog.id.as_str())
    .bind(&catalog.name)
    .bind(&catalog.description)
    .bind(i64::from(catalog.enabled))
    .bind(i64::from(catalog.external_users_allowed))
    .bind(catalog.created_by.as_ref().map(UserId::as_str))
    .bind(to_millis(catalog.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Every catalog, by name.
pub(crate) async fn all_catalogs(conn: &mut AnyConnection) -> Result<Vec<Catalog>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, description, enabled, external_users_allowed, created_by, created_at FROM catalogs ORDER BY name",
    )
    .fetch_all(conn)
    .await?;
    rows.iter().map(catalog_from_row).collect()
}

/// One catalog by id.
pub(crate) async fn get_catalog(
    conn: &mut AnyConnection,
    id: &CatalogId,
) -> Result<Option<Catalog>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, name, description, enabled, external_users_allowed, created_by, created_at FROM catalogs WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(catalog_from_row).transpose()
}

/// Gives someone a role in a catalog.
pub(crate) async fn insert_role(
    conn: &mut AnyConnection,
    grant: &CatalogRoleAssignment,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO catalog_roles (id, catalog_id, user_id, role) VALUES ($1, $2, $3, $4)",
    )
    .bind(grant.id.as_str())
    .bind(grant.catalog_id.as_str())
    .bind(grant.user_id.as_str())
    .bind(grant.role.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds a resource to a catalog.
pub(crate) async fn insert_resource(
    conn: &mut AnyConnection,
    resource: &Resource,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO catalog_resources (id, catalog_id, kind, origin_id, name, roles_json) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(resource.id.as_str())
    .bind(resource.catalog_id.as_str())
    .bind(resource.kind.as_str())
    .bind(&resource.origin_id)
    .bind(&resource.name)
    .bind(to_json(&resource.roles)?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts a package with its resource roles.
pub(crate) async fn insert_package(
    conn: &mut AnyConnection,
    package: &AccessPackage,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO access_packages (id, catalog_id, name, description, hidden, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(package.id.as_str())
    .bind(package.catalog_id.as_str())
    .bind(&package.name)
    .bind(&package.description)
    .bind(i64::from(package.hidden))
    .bind(to_millis(package.created_at))
    .execute(&mut *conn)
    .await?;
    for role in &package.resource_roles {
        sqlx::query(
            "INSERT INTO package_resource_roles (id, package_id, resource_id, role_id, role_name) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(role.id.as_str())
        .bind(package.id.as_str())
        .bind(role.resource_id.as_str())
        .bind(&role.role_id)
        .bind(&role.role_name)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Every package with its resource roles, by catalog and name.
pub(crate) async fn all_packages(
    conn: &mut AnyConnection,
) -> Result<Vec<AccessPackage>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, catalog_id, name, description, hidden, archived, created_at FROM access_packages ORDER BY name, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut roles = resource_roles(conn, None).await?;
    rows.iter()
        .map(|row| {
            let mut package = package_from_row(row)?;
            package.resource_roles = roles.remove(&package.id).unwrap_or_default();
            Ok(package)
        })
        .collect()
}

/// One package with its resource roles.
pub(crate) async fn get_package(
    conn: &mut AnyConnection,
    id: &PackageId,
) -> Result<Option<AccessPackage>, sqlx::Error> {
    let row = sqlx::query("SELECT id, catalog_id, name, description, hidden, archived, created_at FROM access_packages WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut package = package_from_row(&row)?;
    package.resource_roles = resource_roles(conn, Some(id))
        .await?
        .remove(id)
        .unwrap_or_default();
    Ok(Some(package))
}

/// Inserts a policy.
pub(crate) async fn insert_policy(
    conn: &mut AnyConnection,
    policy: &AssignmentPolicy,
    now: time::OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO assignment_policies (id, package_id, name, rules_json, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(policy.id.as_str())
        .bind(policy.access_package_id.as_str())
        .bind(&policy.rules.name)
        .bind(to_json(&policy.rules)?)
        .bind(to_millis(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// The policies of one package, or of every package when `package` is none, oldest first.
pub(crate) async fn policies(
    conn: &mut AnyConnection,
    package: Option<&PackageId>,
) -> Result<Vec<AssignmentPolicy>, sqlx::Error> {
    let rows = match package {
        Some(id) => {
            sqlx::query(
                "SELECT id, package_id, rules_json FROM assignment_policies WHERE package_id = $1 ORDER BY created_at, id",
            )
            .bind(id.as_str())
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query("SELECT id, package_id, rules_json FROM assignment_policies ORDER BY created_at, id")
                .fetch_all(conn)
                .await?
        }
    };
    rows.iter().map(policy_from_row).collect()
}

async fn resource_roles(
    conn: &mut AnyConnection,
    package: Option<&PackageId>,
) -> Result<HashMap<PackageId, Vec<PackageResourceRole>>, sqlx::Error> {
    let sql = "SELECT p.id, p.package_id, p.resource_id, r.kind, r.name, p.role_id, p.role_name \
               FROM package_resource_roles p JOIN catalog_resources r ON r.id = p.resource_id";
    let rows = match package {
        Some(id) => {
            sqlx::query(&format!(
                "{sql} WHERE p.package_id = $1 ORDER BY r.name, p.role_name"
            ))
            .bind(id.as_str())
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query(&format!("{sql} ORDER BY r.name, p.role_name"))
                .fetch_all(conn)
                .await?
        }
    };
    let mut by_package: HashMap<PackageId, Vec<PackageResourceRole>> = HashMap::new();
    for row in &rows {
        let kind: String = row.try_get("kind")?;
        by_package
            .entry(PackageId(row.try_get("package_id")?))
            .or_default()
            .push(PackageResourceRole {
                id: PackageResourceRoleId(row.try_get("id")?),
                resource_id: ResourceId(row.try_get("resource_id")?),
                resource_kind: ResourceKind::parse(&kind)
                    .ok_or_else(|| bad_value("catalog_resources.kind", &kind))?,
                resource_name: row.try_get("name")?,
                role_id: row.try_get("role_id")?,
                role_name: row.try_get("role_name")?,
            });
    }
    Ok(by_package)
}

fn catalog_from_row(row: &AnyRow) -> Result<Catalog, sqlx::Error> {
    Ok(Catalog {
        id: CatalogId(row.try_get("id")?),
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        external_users_allowed: row.try_get::<i64, _>("external_users_allowed")? != 0,
        created_by: row.try_get::<Option<String>, _>("created_by")?.map(UserId),
        created_at: from_millis(row.try_get("created_at")?),
    })
}

fn package_from_row(row: &AnyRow) -> Result<AccessPackage, sqlx::Error> {
    Ok(AccessPackage {
        id: PackageId(row.try_get("id")?),
        catalog_id: CatalogId(row.try_get("catalog_id")?),
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        hidden: row.try_get::<i64, _>("hidden")? != 0,
        archived: row.try_get::<i64, _>("archived")? != 0,
        resource_roles: Vec::new(),
        created_at: from_millis(row.try_get("created_at")?),
    })
}

/// Updates a catalog's editable fields.
pub(crate) async fn update_catalog(
    conn: &mut AnyConnection,
    catalog: &Catalog,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE catalogs SET name = $1, description = $2, enabled = $3, external_users_allowed = $4 WHERE id = $5")
        .bind(&catalog.name)
        .bind(&catalog.description)
        .bind(i64::from(catalog.enabled))
        .bind(i64::from(catalog.external_users_allowed))
        .bind(catalog.id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a catalog and its role grants (callers check it holds nothing else).
pub(crate) async fn delete_catalog(
    conn: &mut AnyConnection,
    id: &CatalogId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM catalog_roles WHERE catalog_id = $1")
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM catalogs WHERE id = $1")
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Locks a catalog's row until the transaction ends, so that changes which check a count
/// of its role grants first (a catalog keeps one owner) run one after the other. This is
/// where the backends differ: PostgreSQL takes a row lock; SQLite's single writer (every
/// write transaction begins with `BEGIN IMMEDIATE`, see `db::begin`) already serialises.
pub(crate) async fn lock_catalog(
    conn: &mut AnyConnection,
    id: &CatalogId,
) -> Result<(), sqlx::Error> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM catalogs WHERE id = $1 FOR UPDATE")
            .bind(id.as_str())
            .fetch_optional(conn)
            .await?;
    }
    Ok(())
}

/// How many packages and resources a catalog holds.
pub(crate) async fn catalog_contents(
    conn: &mut AnyConnection,
    id: &CatalogId,
) -> Result<(i64, i64), sqlx::Error> {
    let packages: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM access_packages WHERE catalog_id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *conn)
            .await?;
    let resources: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM catalog_resources WHERE catalog_id = $1")
            .bind(id.as_str())
            .fetch_one(conn)
            .await?;
    Ok((packages, resources))
}

/// The role grants of a catalog, by role then person.
pub(crate) async fn roles_of(
    conn: &mut AnyConnection,
    catalog: &CatalogId,
) -> Result<Vec<CatalogRoleAssignment>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, catalog_id, user_id, role FROM catalog_roles WHERE catalog_id = $1 ORDER BY role, user_id")
        .bind(catalog.as_str())
        .fetch_all(conn)
        .await?;
    rows.iter().map(role_from_row).collect()
}

/// Removes a role grant.
pub(crate) async fn delete_role(
    conn: &mut AnyConnection,
    id: &RoleAssignmentId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM catalog_roles WHERE id = $1")
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// The resources of a catalog, by name.
pub(crate) async fn resources_of(
    conn: &mut AnyConnection,
    catalog: &CatalogId,
) -> Result<Vec<Resource>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, catalog_id, kind, origin_id, name, roles_json FROM catalog_resources WHERE catalog_id = $1 ORDER BY name, id",
    )
    .bind(catalog.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter().map(resource_from_row).collect()
}

/// One resource by id.
pub(crate) async fn get_resource(
    conn: &mut AnyConnection,
    id: &ResourceId,
) -> Result<Option<Resource>, sqlx::Error> {
    let row = sqlx::query("SELECT id, catalog_id, kind, origin_id, name, roles_json FROM catalog_resources WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(resource_from_row).transpose()
}

/// How many package resource roles use a resource.
pub(crate) async fn resource_usage(
    conn: &mut AnyConnection,
    id: &ResourceId,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM package_resource_roles WHERE resource_id = $1")
        .bind(id.as_str())
        .fetch_one(conn)
        .await
}

/// Removes a resource from its catalog.
pub(crate) async fn delete_resource(
    conn: &mut AnyConnection,
    id: &ResourceId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM catalog_resources WHERE id = $1")
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// The packages of a catalog with their resource roles.
pub(crate) async fn packages_of(
    conn: &mut AnyConnection,
    catalog: &CatalogId,
) -> Result<Vec<AccessPackage>, sqlx::Error> {
    let packages = all_packages(conn).await?;
    Ok(packages
        .into_iter()
        .filter(|package| &package.catalog_id == catalog)
        .collect())
}

/// Updates a package's name, description and hidden flag.
pub(crate) async fn update_package(
    conn: &mut AnyConnection,
    package: &AccessPackage,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE access_packages SET name = $1, description = $2, hidden = $3 WHERE id = $4",
    )
    .bind(&package.name)
    .bind(&package.description)
    .bind(i64::from(package.hidden))
    .bind(package.id.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether any request or assignment, open or ended, names a package: such a package is
/// archived, never deleted, so its history stays.
pub(crate) async fn package_has_history(
    conn: &mut AnyConnection,
    id: &PackageId,
) -> Result<bool, sqlx::Error> {
    let count: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM access_requests WHERE package_id = $1) \
         + (SELECT COUNT(*) FROM assignments WHERE package_id = $1)",
    )
    .bind(id.as_str())
    .fetch_one(conn)
    .await?;
    Ok(count > 0)
}

/// Archives a package: it keeps its policies and history, and nobody can request it.
pub(crate) async fn archive_package(
    conn: &mut AnyConnection,
    id: &PackageId,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE access_packages SET archived = 1 WHERE id = $1")
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a package without history with its resource roles and policies (callers check
/// [`package_has_history`] first; a package with history is archived instead).
pub(crate) async fn delete_package(
    conn: &mut AnyConnection,
    id: &PackageId,
) -> Result<(), sqlx::Error> {
    for table in ["package_resource_roles", "assignment_policies"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE package_id = $1"))
            .bind(id.as_str())
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM access_packages WHERE id = $1")
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds one resource role to a package.
pub(crate) async fn insert_package_role(
    conn: &mut AnyConnection,
    package: &PackageId,
    role: &PackageResourceRole,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO package_resource_roles (id, package_id, resource_id, role_id, role_name) VALUES ($1, $2, $3, $4, $5)")
        .bind(role.id.as_str())
        .bind(package.as_str())
        .bind(role.resource_id.as_str())
        .bind(&role.role_id)
        .bind(&role.role_name)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes one resource role from a package.
pub(crate) async fn delete_package_role(
    conn: &mut AnyConnection,
    id: &PackageResourceRoleId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM package_resource_roles WHERE id = $1")
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// One policy by id.
pub(crate) async fn get_policy(
    conn: &mut AnyConnection,
    id: &PolicyId,
) -> Result<Option<AssignmentPolicy>, sqlx::Error> {
    let row =
        sqlx::query("SELECT id, package_id, rules_json FROM assignment_policies WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(conn)
            .await?;
    row.as_ref().map(policy_from_row).transpose()
}

/// Replaces a policy's rules.
pub(crate) async fn update_policy(
    conn: &mut AnyConnection,
    policy: &AssignmentPolicy,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE assignment_policies SET name = $1, rules_json = $2 WHERE id = $3")
        .bind(&policy.rules.name)
        .bind(to_json(&policy.rules)?)
        .bind(policy.id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a policy.
pub(crate) async fn delete_policy(
    conn: &mut AnyConnection,
    id: &PolicyId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM assignment_policies WHERE id = $1")
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

fn policy_from_row(row: &AnyRow) -> Result<AssignmentPolicy, sqlx::Error> {
    let rules: PolicyDraft = from_json(&row.try_get::<String, _>("rules_json")?)?;
    Ok(AssignmentPolicy {
        id: PolicyId(row.try_get("id")?),
        access_package_id: PackageId(row.try_get("package_id")?),
        rules,
    })
}

fn role_from_row(row: &AnyRow) -> Result<CatalogRoleAssignment, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(CatalogRoleAssignment {
        id: RoleAssignmentId(row.try_get("id")?),
        catalog_id: CatalogId(row.try_get("catalog_id")?),
        user_id: UserId(row.try_get("user_id")?),
        role: CatalogRole::parse(&role).ok_or_else(|| bad_value("catalog_roles.role", &role))?,
    })
}

fn resource_from_row(row: &AnyRow) -> Result<Resource, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(Resource {
        id: ResourceId(row.try_get("id")?),
        catalog_id: CatalogId(row.try_get("catalog_id")?),
        kind: ResourceKind::parse(&kind)
            .ok_or_else(|| bad_value("catalog_resources.kind", &kind))?,
        origin_id: row.try_get("origin_id")?,
        name: row.try_get("name")?,
        roles: from_json(&row.try_get::<String, _>("roles_json")?)?,
    })
}
