//! Catalogs, their roles and resources, access packages and their policies.

use std::collections::HashMap;

use entrada_domain::catalog::{
    AccessPackage, Catalog, CatalogRoleAssignment, PackageResourceRole, Resource, ResourceKind,
};
use entrada_domain::ids::{
    CatalogId, PackageId, PackageResourceRoleId, PolicyId, ResourceId, UserId,
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
        "SELECT id, catalog_id, name, description, hidden, created_at FROM access_packages ORDER BY name, id",
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
    let row = sqlx::query("SELECT id, catalog_id, name, description, hidden, created_at FROM access_packages WHERE id = $1")
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
    rows.iter()
        .map(|row| {
            let rules: PolicyDraft = from_json(&row.try_get::<String, _>("rules_json")?)?;
            Ok(AssignmentPolicy {
                id: PolicyId(row.try_get("id")?),
                access_package_id: PackageId(row.try_get("package_id")?),
                rules,
            })
        })
        .collect()
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
        resource_roles: Vec::new(),
        created_at: from_millis(row.try_get("created_at")?),
    })
}
