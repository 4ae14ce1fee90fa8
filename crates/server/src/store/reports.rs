//! Who has what, read for the reports: assignments with their package, catalog, policy and
//! request; the holders of a resource's roles, through Entrada (from the grants delivery
//! recorded, with their assignment's period) or from outside it (directory rows Entrada
//! did not make).

use entrada_domain::assignment::AssignmentState;
use entrada_domain::audit::Named;
use entrada_domain::catalog::{Resource, ResourceKind};
use entrada_domain::ids::UserId;
use entrada_domain::report::{Holding, RequestLine};
use entrada_domain::request::RequestState;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::clock::{from_millis, to_millis};
use crate::store::bad_value;

const HOLDING: &str =
    "SELECT a.id, a.user_id, u.display_name, u.email, a.package_id, p.name, p.catalog_id, c.name, \
     a.state, a.start_at, a.end_at, a.updated_at, a.policy_id, pol.name, a.request_id \
     FROM assignments a \
     JOIN users u ON u.id = a.user_id \
     JOIN access_packages p ON p.id = a.package_id \
     JOIN catalogs c ON c.id = p.catalog_id \
     LEFT JOIN assignment_policies pol ON pol.id = a.policy_id";

/// Assignments live at the moment bound as `$n`: started by then, and not yet ended (an
/// ended assignment ended when it last changed; a live one at its planned end, if any).
fn live_at(n: usize) -> String {
    format!(
        "a.start_at <= ${n} AND (CASE WHEN a.state IN ('expired', 'removed') THEN a.updated_at \
         ELSE COALESCE(a.end_at, 9223372036854775807) END) > ${n}"
    )
}

fn holding_of(row: &AnyRow, offset: usize) -> Result<Holding, sqlx::Error> {
    let at = |i: usize| offset + i;
    let state: String = row.try_get(at(8))?;
    let state =
        AssignmentState::parse(&state).ok_or_else(|| bad_value("assignments.state", &state))?;
    let end: Option<i64> = row.try_get(at(10))?;
    let changed: i64 = row.try_get(at(11))?;
    let until = match state.is_live() {
        true => end.map(from_millis),
        false => Some(from_millis(changed)),
    };
    let policy_id: String = row.try_get(at(12))?;
    Ok(Holding {
        assignment_id: row.try_get(at(0))?,
        person: Named {
            id: row.try_get(at(1))?,
            name: row.try_get(at(2))?,
        },
        email: row.try_get(at(3))?,
        package: Named {
            id: row.try_get(at(4))?,
            name: row.try_get(at(5))?,
        },
        catalog: Named {
            id: row.try_get(at(6))?,
            name: row.try_get(at(7))?,
        },
        state,
        since: from_millis(row.try_get(at(9))?),
        until,
        policy: Some(Named {
            id: policy_id,
            name: row.try_get(at(13))?,
        }),
        request_id: row.try_get(at(14))?,
    })
}

/// The assignments of a package live at `at`, by person name.
pub(crate) async fn package_holders(
    conn: &mut AnyConnection,
    package: &str,
    at: OffsetDateTime,
) -> Result<Vec<Holding>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{HOLDING} WHERE a.package_id = $1 AND {} ORDER BY u.display_name, a.start_at",
        live_at(2)
    ))
    .bind(package)
    .bind(to_millis(at))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|row| holding_of(row, 0)).collect()
}

/// Every assignment of a person, live and ended, newest first.
pub(crate) async fn person_holdings(
    conn: &mut AnyConnection,
    person: &UserId,
) -> Result<Vec<Holding>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{HOLDING} WHERE a.user_id = $1 ORDER BY a.start_at DESC, a.id"
    ))
    .bind(person.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|row| holding_of(row, 0)).collect()
}

/// Every request of a person, newest first, with who decided each stage.
pub(crate) async fn person_requests(
    conn: &mut AnyConnection,
    person: &UserId,
) -> Result<Vec<RequestLine>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.id, r.package_id, p.name, p.catalog_id, c.name, r.state, r.created_at \
         FROM access_requests r \
         JOIN access_packages p ON p.id = r.package_id \
         JOIN catalogs c ON c.id = p.catalog_id \
         WHERE r.requestor_id = $1 ORDER BY r.created_at DESC, r.id",
    )
    .bind(person.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let decisions = sqlx::query(
        "SELECT d.request_id, d.approver_id, u.display_name FROM request_decisions d \
         JOIN access_requests r ON r.id = d.request_id \
         LEFT JOIN users u ON u.id = d.approver_id \
         WHERE r.requestor_id = $1 ORDER BY d.request_id, d.stage",
    )
    .bind(person.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut lines = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: String = row.try_get(0)?;
        let state: String = row.try_get(5)?;
        let mut deciders = Vec::new();
        for decision in &decisions {
            if decision.try_get::<String, _>(0)? == id {
                deciders.push(Named {
                    id: decision.try_get(1)?,
                    name: decision.try_get(2)?,
                });
            }
        }
        lines.push(RequestLine {
            request_id: id,
            package: Named {
                id: row.try_get(1)?,
                name: row.try_get(2)?,
            },
            catalog: Named {
                id: row.try_get(3)?,
                name: row.try_get(4)?,
            },
            state: RequestState::parse(&state)
                .ok_or_else(|| bad_value("access_requests.state", &state))?,
            created: from_millis(row.try_get(6)?),
            deciders,
        });
    }
    Ok(lines)
}

/// Who held each role of `resource` at `at` through an Entrada assignment: `(role id,
/// holding)` for each grant delivery made (not the ones the person already had).
pub(crate) async fn granted_by_entrada(
    conn: &mut AnyConnection,
    resource: &Resource,
    at: OffsetDateTime,
) -> Result<Vec<(String, Holding)>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT g.role_id, h.* FROM assignment_grants g JOIN ({HOLDING}) h ON h.id = g.assignment_id \
         WHERE g.resource_kind = $1 AND g.origin_id = $2 AND g.already_held = 0"
    ))
    .bind(resource.kind.as_str())
    .bind(&resource.origin_id)
    .fetch_all(&mut *conn)
    .await?;
    let at = to_millis(at);
    let mut held = Vec::new();
    for row in &rows {
        let holding = holding_of(row, 1)?;
        let ended = holding.until.map(to_millis);
        if to_millis(holding.since) <= at && ended.is_none_or(|end| end > at) {
            held.push((row.try_get(0)?, holding));
        }
    }
    Ok(held)
}

/// Who holds each role of `resource` now from outside Entrada: `(role id, person id,
/// name)` for every directory row Entrada did not make.
pub(crate) async fn granted_outside(
    conn: &mut AnyConnection,
    resource: &Resource,
) -> Result<Vec<(String, String, Option<String>)>, sqlx::Error> {
    let sql = match resource.kind {
        ResourceKind::Group => {
            "SELECT 'member', m.user_id, u.display_name FROM group_members m \
             LEFT JOIN users u ON u.id = m.user_id WHERE m.group_id = $1 AND m.source <> 'entrada' \
             ORDER BY u.display_name"
        }
        ResourceKind::Application => {
            "SELECT m.role_id, m.user_id, u.display_name FROM application_role_members m \
             LEFT JOIN users u ON u.id = m.user_id WHERE m.application_id = $1 AND m.source <> 'entrada' \
             ORDER BY u.display_name"
        }
        ResourceKind::Site => {
            "SELECT m.role_id, m.user_id, u.display_name FROM site_role_members m \
             LEFT JOIN users u ON u.id = m.user_id WHERE m.site_id = $1 AND m.source <> 'entrada' \
             ORDER BY u.display_name"
        }
    };
    let rows = sqlx::query(sql)
        .bind(&resource.origin_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
        .collect()
}
