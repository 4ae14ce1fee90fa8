//! The audit log: append-only. Every state change appends its event in the same
//! transaction as the change.

use entrada_domain::audit::AuditEvent;
use entrada_domain::ids::{CatalogId, PackageId, UserId};
use sqlx::AnyConnection;

use crate::clock::to_millis;
use crate::store::to_json;

/// Appends one event.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    event: &AuditEvent,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (id, at, actor_id, action, target_kind, target_id, catalog_id, package_id, details_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(event.id.as_str())
    .bind(to_millis(event.at))
    .bind(event.actor.as_ref().map(UserId::as_str))
    .bind(&event.action)
    .bind(&event.target_kind)
    .bind(&event.target_id)
    .bind(event.catalog_id.as_ref().map(CatalogId::as_str))
    .bind(event.package_id.as_ref().map(PackageId::as_str))
    .bind(to_json(&event.details)?)
    .execute(conn)
    .await?;
    Ok(())
}
