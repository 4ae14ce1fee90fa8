//! The one row of organisation-wide settings (migration 0007), whose CHECK constraints keep
//! every stored value valid.

use entrada_domain::settings::{AuditRetention, ExternalLifecycle, ExternalUserAction, Settings};
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::to_millis;

/// The settings as stored.
pub(crate) async fn get(conn: &mut AnyConnection) -> Result<Settings, sqlx::Error> {
    let row = sqlx::query(
        "SELECT external_on_last_assignment_end, external_delete_after_days, audit_retention_days \
         FROM settings WHERE id = 1",
    )
    .fetch_one(&mut *conn)
    .await?;
    let action: String = row.try_get(0)?;
    let days: i64 = row.try_get(1)?;
    let on_last_assignment_end = ExternalUserAction::parse(&action).ok_or_else(|| {
        sqlx::Error::Decode(format!("unknown external-user action {action:?}").into())
    })?;
    let delete_after_days =
        u32::try_from(days).map_err(|error| sqlx::Error::Decode(Box::new(error)))?;
    let retention: Option<i64> = row.try_get(2)?;
    let retention_days = retention
        .map(u32::try_from)
        .transpose()
        .map_err(|error| sqlx::Error::Decode(Box::new(error)))?;
    Ok(Settings {
        audit: AuditRetention { retention_days },
        external_lifecycle: ExternalLifecycle {
            on_last_assignment_end,
            delete_after_days,
        },
    })
}

/// Takes the settings row's write lock for the rest of the transaction (an UPDATE locks
/// the row on PostgreSQL; SQLite's write transactions are serial already), so that two
/// administrators changing different settings at once both keep their change.
pub(crate) async fn lock(conn: &mut AnyConnection, now: OffsetDateTime) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE settings SET updated_at = $1 WHERE id = 1")
        .bind(to_millis(now))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Stores the settings.
pub(crate) async fn save(
    conn: &mut AnyConnection,
    settings: &Settings,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let lifecycle = settings.external_lifecycle;
    sqlx::query(
        "UPDATE settings SET external_on_last_assignment_end = $1, \
         external_delete_after_days = $2, updated_at = $3, audit_retention_days = $4 WHERE id = 1",
    )
    .bind(lifecycle.on_last_assignment_end.as_str())
    .bind(i64::from(lifecycle.delete_after_days))
    .bind(to_millis(now))
    .bind(settings.audit.retention_days.map(i64::from))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
