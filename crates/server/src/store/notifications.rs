//! What the notifications need besides the outbox (migration 0009): each person's opt-outs
//! of the optional kinds, the reminder marks on assignments, and the link base.

use entrada_domain::ids::{AssignmentId, PackageId, UserId};
use entrada_domain::notification::MessageKind;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::{from_millis, to_millis};
use crate::store::bad_value;

/// The kinds `user` turned off.
pub(crate) async fn opt_outs(
    conn: &mut AnyConnection,
    user: &UserId,
) -> Result<Vec<MessageKind>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT kind FROM notification_opt_outs WHERE user_id = $1 ORDER BY kind")
            .bind(user.as_str())
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get(0)?;
            MessageKind::parse(&kind).ok_or_else(|| bad_value("notification_opt_outs.kind", &kind))
        })
        .collect()
}

/// Which of `users` turned `kind` off.
pub(crate) async fn opted_out_of(
    conn: &mut AnyConnection,
    users: &[&UserId],
    kind: MessageKind,
) -> Result<std::collections::HashSet<UserId>, sqlx::Error> {
    let users: Vec<&str> = users.iter().map(|user| user.as_str()).collect();
    let rows = super::rows_for_values(conn, &users, &[kind.as_str()], |list, next| {
        format!("SELECT user_id FROM notification_opt_outs WHERE user_id IN ({list}) AND kind = ${next}")
    })
    .await?;
    rows.iter().map(|row| row.try_get(0).map(UserId)).collect()
}

/// Replaces `user`'s opt-outs with `off`.
pub(crate) async fn set_opt_outs(
    conn: &mut AnyConnection,
    user: &UserId,
    off: &[MessageKind],
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM notification_opt_outs WHERE user_id = $1")
        .bind(user.as_str())
        .execute(&mut *conn)
        .await?;
    for kind in off {
        sqlx::query(
            "INSERT INTO notification_opt_outs (user_id, kind, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user.as_str())
        .bind(kind.as_str())
        .bind(to_millis(now))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Records the address deep links start with (each server, when it starts).
pub(crate) async fn save_link_base(
    conn: &mut AnyConnection,
    base: &str,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO link_base (id, base, updated_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET base = excluded.base, updated_at = excluded.updated_at",
    )
    .bind(base)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// The address deep links start with.
pub(crate) async fn link_base(conn: &mut AnyConnection) -> Result<String, sqlx::Error> {
    let row = sqlx::query("SELECT base FROM link_base WHERE id = 1")
        .fetch_optional(conn)
        .await?;
    match row {
        Some(row) => row.try_get(0),
        None => Ok("http://localhost:8080".to_owned()),
    }
}

/// Which reminder: 7 days or 1 day before the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reminder {
    SevenDays,
    OneDay,
}

impl Reminder {
    pub(crate) fn kind(self) -> MessageKind {
        match self {
            Reminder::SevenDays => MessageKind::AccessEndingIn7Days,
            Reminder::OneDay => MessageKind::AccessEndingIn1Day,
        }
    }

    pub(crate) fn ahead(self) -> time::Duration {
        match self {
            Reminder::SevenDays => time::Duration::days(7),
            Reminder::OneDay => time::Duration::days(1),
        }
    }

    fn column(self) -> &'static str {
        match self {
            Reminder::SevenDays => "reminded_7d_for",
            Reminder::OneDay => "reminded_1d_for",
        }
    }
}

/// A delivered assignment due for a reminder.
#[derive(Debug, Clone)]
pub(crate) struct DueReminder {
    pub assignment: AssignmentId,
    pub user: UserId,
    pub package: PackageId,
    pub end: OffsetDateTime,
}

/// Delivered assignments whose end is at most `reminder.ahead()` away (and still to come),
/// that started before that window opened (someone granted access for a few hours is not
/// told it ends tomorrow), and whose reminder for this end has not gone.
pub(crate) async fn due_reminders(
    conn: &mut AnyConnection,
    reminder: Reminder,
    now: OffsetDateTime,
) -> Result<Vec<DueReminder>, sqlx::Error> {
    let ahead = reminder.ahead().whole_milliseconds() as i64;
    let column = reminder.column();
    let rows = sqlx::query(&format!(
        "SELECT id, user_id, package_id, end_at FROM assignments \
         WHERE state = 'delivered' AND end_at IS NOT NULL AND end_at > $1 AND end_at <= $2 \
         AND start_at < end_at - $3 \
         AND ({column} IS NULL OR {column} <> end_at) ORDER BY end_at, id"
    ))
    .bind(to_millis(now))
    .bind(to_millis(now) + ahead)
    .bind(ahead)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DueReminder {
                assignment: AssignmentId(row.try_get("id")?),
                user: UserId(row.try_get("user_id")?),
                package: PackageId(row.try_get("package_id")?),
                end: from_millis(row.try_get("end_at")?),
            })
        })
        .collect()
}

/// Marks the reminder for this end as sent: a guarded update, false when another instance
/// marked it first or the end moved meanwhile.
pub(crate) async fn mark_reminded(
    conn: &mut AnyConnection,
    due: &DueReminder,
    reminder: Reminder,
) -> Result<bool, sqlx::Error> {
    let column = reminder.column();
    let end = to_millis(due.end);
    let done = sqlx::query(&format!(
        "UPDATE assignments SET {column} = $1 WHERE id = $2 AND state = 'delivered' \
         AND end_at = $1 AND ({column} IS NULL OR {column} <> $1)"
    ))
    .bind(end)
    .bind(due.assignment.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
