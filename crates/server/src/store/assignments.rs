//! Assignments and the grants they make in the directory (group membership, application
//! roles, site roles).

use entrada_domain::assignment::{Assignment, AssignmentState, Grant};
use entrada_domain::catalog::ResourceKind;
use entrada_domain::ids::{AssignmentId, PackageId, PolicyId, RequestId, UserId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::{from_millis, to_millis};
use std::collections::{HashMap, HashSet};

use crate::store::{bad_value, positional, rows_for_values, IN_LIST_PAGE};

const COLUMNS: &str =
    "id, user_id, package_id, policy_id, request_id, state, start_at, end_at, created_at";

/// Inserts an assignment.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    assignment: &Assignment,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO assignments (id, user_id, package_id, policy_id, request_id, state, start_at, end_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(assignment.id.as_str())
    .bind(assignment.user_id.as_str())
    .bind(assignment.access_package_id.as_str())
    .bind(assignment.policy_id.as_str())
    .bind(assignment.request_id.as_ref().map(RequestId::as_str))
    .bind(assignment.state.as_str())
    .bind(to_millis(assignment.start))
    .bind(assignment.end.map(to_millis))
    .bind(to_millis(assignment.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves an assignment to `next` only if it is still in `from` (a guarded update, so a
/// second caller racing the first changes nothing). Returns whether it changed.
pub(crate) async fn transition(
    conn: &mut AnyConnection,
    next: &Assignment,
    from: AssignmentState,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE assignments SET state = $1, end_at = $2, updated_at = $3 WHERE id = $4 AND state = $5")
        .bind(next.state.as_str())
        .bind(next.end.map(to_millis))
        .bind(to_millis(now))
        .bind(next.id.as_str())
        .bind(from.as_str())
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Moves each of `ids` that is still in `from` to `to` (end dates unchanged), in one
/// guarded update per page; returns those it moved (an assignment another transaction
/// changed first is left as it is, and not returned).
pub(crate) async fn end_many(
    conn: &mut AnyConnection,
    ids: &[&AssignmentId],
    from: AssignmentState,
    to: AssignmentState,
    now: OffsetDateTime,
) -> Result<HashSet<AssignmentId>, sqlx::Error> {
    let mut moved = HashSet::new();
    for page in ids.chunks(IN_LIST_PAGE) {
        let n = page.len();
        // The list comes last, so its placeholders are in order (`store::positional`).
        let list: Vec<String> = (4..4 + n).map(|index| format!("${index}")).collect();
        let sql = positional(
            conn,
            format!(
                "UPDATE assignments SET state = $1, updated_at = $2 WHERE state = $3 AND id IN ({}) RETURNING id",
                list.join(", ")
            ),
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql)
            .bind(to.as_str())
            .bind(to_millis(now))
            .bind(from.as_str());
        for id in page {
            query = query.bind(id.as_str());
        }
        let rows = query.fetch_all(&mut *conn).await?;
        moved.extend(rows.into_iter().map(AssignmentId));
    }
    Ok(moved)
}

/// One assignment by id.
pub(crate) async fn get(
    conn: &mut AnyConnection,
    id: &AssignmentId,
) -> Result<Option<Assignment>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM assignments WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Assignments, newest first, optionally of one package.
pub(crate) async fn list(
    conn: &mut AnyConnection,
    package: Option<&PackageId>,
) -> Result<Vec<Assignment>, sqlx::Error> {
    let rows = match package {
        Some(id) => {
            sqlx::query(&format!(
            "SELECT {COLUMNS} FROM assignments WHERE package_id = $1 ORDER BY created_at DESC, id"
        ))
            .bind(id.as_str())
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM assignments ORDER BY created_at DESC, id"
            ))
            .fetch_all(conn)
            .await?
        }
    };
    rows.iter().map(from_row).collect()
}

/// How many live assignments a package has.
pub(crate) async fn live_count(
    conn: &mut AnyConnection,
    package: &PackageId,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM assignments WHERE package_id = $1 AND state IN ('delivering', 'delivered')")
        .bind(package.as_str())
        .fetch_one(conn)
        .await
}

/// Every grant that the person's live assignments give, other than those of `except`.
pub(crate) async fn live_grants_of(
    conn: &mut AnyConnection,
    user: &UserId,
    except: &AssignmentId,
) -> Result<Vec<Grant>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.kind, r.origin_id, p.role_id FROM assignments a \
         JOIN package_resource_roles p ON p.package_id = a.package_id \
         JOIN catalog_resources r ON r.id = p.resource_id \
         WHERE a.user_id = $1 AND a.id <> $2 AND a.state IN ('delivering', 'delivered')",
    )
    .bind(user.as_str())
    .bind(except.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter().map(grant_from_row).collect()
}

/// The grants each of several people still has through a live assignment.
pub(crate) async fn live_grants_of_users(
    conn: &mut AnyConnection,
    users: &[&UserId],
) -> Result<HashMap<UserId, Vec<Grant>>, sqlx::Error> {
    let users: Vec<&str> = users.iter().map(|user| user.as_str()).collect();
    let rows = rows_for_values(conn, &users, &[], |list, _| {
        format!(
            "SELECT a.user_id, r.kind, r.origin_id, p.role_id FROM assignments a \
             JOIN package_resource_roles p ON p.package_id = a.package_id \
             JOIN catalog_resources r ON r.id = p.resource_id \
             WHERE a.user_id IN ({list}) AND a.state IN ('delivering', 'delivered')"
        )
    })
    .await?;
    let mut given: HashMap<UserId, Vec<Grant>> = HashMap::new();
    for row in rows {
        given
            .entry(UserId(row.try_get("user_id")?))
            .or_default()
            .push(grant_from_row(&row)?);
    }
    Ok(given)
}

/// The grants each of several packages gives.
pub(crate) async fn grants_of_packages(
    conn: &mut AnyConnection,
    packages: &[&PackageId],
) -> Result<HashMap<PackageId, Vec<Grant>>, sqlx::Error> {
    let packages: Vec<&str> = packages.iter().map(|package| package.as_str()).collect();
    let rows = rows_for_values(conn, &packages, &[], |list, _| {
        format!(
            "SELECT p.package_id, r.kind, r.origin_id, p.role_id FROM package_resource_roles p \
             JOIN catalog_resources r ON r.id = p.resource_id WHERE p.package_id IN ({list})"
        )
    })
    .await?;
    let mut grants: HashMap<PackageId, Vec<Grant>> = HashMap::new();
    for row in rows {
        grants
            .entry(PackageId(row.try_get("package_id")?))
            .or_default()
            .push(grant_from_row(&row)?);
    }
    Ok(grants)
}

/// Takes back the directory rows of several (person, grant) pairs, only where Entrada made
/// them (`source = 'entrada'`: a row from outside Entrada stays), a page of them per
/// statement and kind; returns the pairs whose row was taken back.
pub(crate) async fn revoke_many(
    conn: &mut AnyConnection,
    revocations: &[(&UserId, &Grant)],
) -> Result<HashSet<(UserId, Grant)>, sqlx::Error> {
    let mut removed = HashSet::new();
    for kind in [
        ResourceKind::Group,
        ResourceKind::Application,
        ResourceKind::Site,
    ] {
        let of_kind: Vec<&(&UserId, &Grant)> = revocations
            .iter()
            .filter(|(_, grant)| grant.resource_kind == kind)
            .collect();
        let (table, object) = grant_table(kind);
        let with_role = kind != ResourceKind::Group;
        let per_row = if with_role { 3 } else { 2 };
        for page in of_kind.chunks(IN_LIST_PAGE / per_row) {
            let terms: Vec<String> = (0..page.len())
                .map(|index| {
                    let first = index * per_row;
                    match with_role {
                        true => format!(
                            "({object} = ${} AND user_id = ${} AND role_id = ${})",
                            first + 1,
                            first + 2,
                            first + 3
                        ),
                        false => {
                            format!("({object} = ${} AND user_id = ${})", first + 1, first + 2)
                        }
                    }
                })
                .collect();
            let returned = match with_role {
                true => format!("{object}, user_id, role_id"),
                false => format!("{object}, user_id"),
            };
            let sql = positional(
                conn,
                format!(
                    "DELETE FROM {table} WHERE source = 'entrada' AND ({}) RETURNING {returned}",
                    terms.join(" OR ")
                ),
            );
            let mut query = sqlx::query(&sql);
            for (user, grant) in page {
                query = query.bind(&grant.origin_id).bind(user.as_str());
                if with_role {
                    query = query.bind(&grant.role_id);
                }
            }
            let rows = query.fetch_all(&mut *conn).await?;
            let mut gone = HashSet::new();
            for row in rows {
                let origin: String = row.try_get(0)?;
                let user: String = row.try_get(1)?;
                let role: Option<String> = match with_role {
                    true => Some(row.try_get(2)?),
                    false => None,
                };
                gone.insert((user, origin, role));
            }
            for (user, grant) in page {
                let role = with_role.then(|| grant.role_id.clone());
                if gone.contains(&(user.as_str().to_owned(), grant.origin_id.clone(), role)) {
                    removed.insert(((*user).clone(), (*grant).clone()));
                }
            }
        }
    }
    Ok(removed)
}

/// The grants a package gives.
pub(crate) async fn grants_of_package(
    conn: &mut AnyConnection,
    package: &PackageId,
) -> Result<Vec<Grant>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.kind, r.origin_id, p.role_id FROM package_resource_roles p \
         JOIN catalog_resources r ON r.id = p.resource_id WHERE p.package_id = $1",
    )
    .bind(package.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter().map(grant_from_row).collect()
}

/// The directory table of a kind of grant, and the column naming its object.
fn grant_table(kind: ResourceKind) -> (&'static str, &'static str) {
    match kind {
        ResourceKind::Group => ("group_members", "group_id"),
        ResourceKind::Application => ("application_role_members", "application_id"),
        ResourceKind::Site => ("site_role_members", "site_id"),
    }
}

/// Makes a grant of `assignment` in the directory (idempotent), marked as Entrada's, and
/// records it with the assignment it came from. A row the person already had stays as it
/// was (`ON CONFLICT DO NOTHING`), so access from outside Entrada keeps its origin and is
/// recorded as already held.
pub(crate) async fn apply_grant(
    conn: &mut AnyConnection,
    assignment: &AssignmentId,
    user: &UserId,
    grant: &Grant,
) -> Result<(), sqlx::Error> {
    let (table, object) = grant_table(grant.resource_kind);
    let inserted = match grant.resource_kind {
        ResourceKind::Group => {
            sqlx::query(&format!(
                "INSERT INTO {table} ({object}, user_id, source) VALUES ($1, $2, 'entrada') ON CONFLICT DO NOTHING"
            ))
            .bind(&grant.origin_id)
            .bind(user.as_str())
            .execute(&mut *conn)
            .await?
        }
        ResourceKind::Application | ResourceKind::Site => {
            sqlx::query(&format!(
                "INSERT INTO {table} ({object}, user_id, role_id, source) VALUES ($1, $2, $3, 'entrada') ON CONFLICT DO NOTHING"
            ))
            .bind(&grant.origin_id)
            .bind(user.as_str())
            .bind(&grant.role_id)
            .execute(&mut *conn)
            .await?
        }
    }
    .rows_affected();
    sqlx::query(
        "INSERT INTO assignment_grants (assignment_id, user_id, resource_kind, origin_id, role_id, already_held) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(assignment.as_str())
    .bind(user.as_str())
    .bind(grant.resource_kind.as_str())
    .bind(&grant.origin_id)
    .bind(&grant.role_id)
    .bind(i64::from(inserted == 0))
    .execute(conn)
    .await?;
    Ok(())
}

/// The grants among `candidates` that Entrada put in the directory for `user` (rows whose
/// source is 'entrada'); the rest the person had from outside Entrada, or no longer has.
pub(crate) async fn made_by_entrada(
    conn: &mut AnyConnection,
    user: &UserId,
    candidates: &[Grant],
) -> Result<Vec<Grant>, sqlx::Error> {
    let mut made = Vec::new();
    for grant in candidates {
        let (table, object) = grant_table(grant.resource_kind);
        let count: i64 = match grant.resource_kind {
            ResourceKind::Group => {
                sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM {table} WHERE {object} = $1 AND user_id = $2 AND source = 'entrada'"
                ))
                .bind(&grant.origin_id)
                .bind(user.as_str())
                .fetch_one(&mut *conn)
                .await?
            }
            ResourceKind::Application | ResourceKind::Site => {
                sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM {table} WHERE {object} = $1 AND user_id = $2 AND role_id = $3 AND source = 'entrada'"
                ))
                .bind(&grant.origin_id)
                .bind(user.as_str())
                .bind(&grant.role_id)
                .fetch_one(&mut *conn)
                .await?
            }
        };
        if count > 0 {
            made.push(grant.clone());
        }
    }
    Ok(made)
}

/// Takes back a grant Entrada made in the directory (idempotent). A row from outside
/// Entrada (source 'directory') is never deleted.
pub(crate) async fn revoke_grant(
    conn: &mut AnyConnection,
    user: &UserId,
    grant: &Grant,
) -> Result<(), sqlx::Error> {
    let (table, object) = grant_table(grant.resource_kind);
    match grant.resource_kind {
        ResourceKind::Group => {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE {object} = $1 AND user_id = $2 AND source = 'entrada'"
            ))
            .bind(&grant.origin_id)
            .bind(user.as_str())
            .execute(conn)
            .await?
        }
        ResourceKind::Application | ResourceKind::Site => {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE {object} = $1 AND user_id = $2 AND role_id = $3 AND source = 'entrada'"
            ))
            .bind(&grant.origin_id)
            .bind(user.as_str())
            .bind(&grant.role_id)
            .execute(conn)
            .await?
        }
    };
    Ok(())
}

fn grant_from_row(row: &AnyRow) -> Result<Grant, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let resource_kind =
        ResourceKind::parse(&kind).ok_or_else(|| bad_value("catalog_resources.kind", &kind))?;
    let role_id: String = row.try_get("role_id")?;
    Ok(Grant {
        resource_kind,
        origin_id: row.try_get("origin_id")?,
        role_id,
    })
}

fn from_row(row: &AnyRow) -> Result<Assignment, sqlx::Error> {
    let state: String = row.try_get("state")?;
    Ok(Assignment {
        id: AssignmentId(row.try_get("id")?),
        user_id: UserId(row.try_get("user_id")?),
        access_package_id: PackageId(row.try_get("package_id")?),
        policy_id: PolicyId(row.try_get("policy_id")?),
        request_id: row
            .try_get::<Option<String>, _>("request_id")?
            .map(RequestId),
        state: AssignmentState::parse(&state)
            .ok_or_else(|| bad_value("assignments.state", &state))?,
        start: from_millis(row.try_get("start_at")?),
        end: row.try_get::<Option<i64>, _>("end_at")?.map(from_millis),
        created_at: from_millis(row.try_get("created_at")?),
    })
}

/// The live assignment of a person for a package, if any.
pub(crate) async fn live_of(
    conn: &mut AnyConnection,
    user: &UserId,
    package: &PackageId,
) -> Result<Option<Assignment>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM assignments WHERE user_id = $1 AND package_id = $2 AND state IN ('delivering', 'delivered')"
    ))
    .bind(user.as_str())
    .bind(package.as_str())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A person's live assignments, by package: one query for the whole My Access list.
pub(crate) async fn live_by_package(
    conn: &mut AnyConnection,
    user: &UserId,
) -> Result<std::collections::HashMap<PackageId, Assignment>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM assignments WHERE user_id = $1 AND state IN ('delivering', 'delivered')"
    ))
    .bind(user.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            from_row(row).map(|assignment| (assignment.access_package_id.clone(), assignment))
        })
        .collect()
}

/// A person's assignments, newest first.
pub(crate) async fn of_user(
    conn: &mut AnyConnection,
    user: &UserId,
) -> Result<Vec<Assignment>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM assignments WHERE user_id = $1 ORDER BY created_at DESC, id"
    ))
    .bind(user.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Where [`claim_due_for_expiry`] goes on from: the end and id of the last assignment it
/// returned.
pub(crate) type ExpiryCursor = (i64, String);

/// Claims up to `limit` delivered assignments past their end for this transaction, in the
/// order of their end, after `after` (so a pass moves on past items it left alone); on
/// PostgreSQL those another instance holds are passed over (see `skip_locked`).
pub(crate) async fn claim_due_for_expiry(
    conn: &mut AnyConnection,
    now: OffsetDateTime,
    after: Option<&ExpiryCursor>,
    limit: usize,
) -> Result<(Vec<Assignment>, Option<ExpiryCursor>), sqlx::Error> {
    let (after_end, after_id) = match after {
        Some((end, id)) => (*end, id.as_str()),
        None => (i64::MIN, ""),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM assignments WHERE state = 'delivered' AND end_at IS NOT NULL \
         AND end_at <= $1 AND (end_at, id) > ($2, $3) \
         ORDER BY end_at, id LIMIT $4{}",
        super::skip_locked(conn)
    );
    let rows = sqlx::query(&sql)
        .bind(to_millis(now))
        .bind(after_end)
        .bind(after_id)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *conn)
        .await?;
    let cursor = match rows.last() {
        Some(last) => Some((last.try_get::<i64, _>("end_at")?, last.try_get("id")?)),
        None => None,
    };
    let due = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    Ok((due, cursor))
}
