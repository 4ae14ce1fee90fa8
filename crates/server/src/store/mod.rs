//! Persistence: one module per aggregate, each taking a connection (a pooled one or a
//! transaction's) and returning domain types. Row shapes stay private to their module; the
//! SQL is portable between SQLite and PostgreSQL (see architecture.md).

pub(crate) mod assignments;
pub(crate) mod audit;
pub(crate) mod backlog;
pub(crate) mod catalogs;
pub(crate) mod directory;
pub(crate) mod directory_sync;
pub(crate) mod guests;
pub(crate) mod notifications;
pub(crate) mod oidc;
pub(crate) mod outbox;
pub(crate) mod reports;
pub(crate) mod requests;
pub(crate) mod scim;
pub(crate) mod sessions;
pub(crate) mod settings;
pub(crate) mod signups;
pub(crate) mod users;

/// A fresh unique identifier.
pub(crate) fn new_id() -> String {
    // Time-ordered (UUIDv7): a new row's id lands at the end of its primary key's index
    // rather than on a random page, which a job writing a hundred thousand rows feels
    // (the expiry benchmark). Ids are names, never secrets: tokens are made elsewhere.
    uuid::Uuid::now_v7().to_string()
}

/// Serialises a value kept as a JSON TEXT column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|error| sqlx::Error::Encode(Box::new(error)))
}

/// Reads a value kept as a JSON TEXT column.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(text).map_err(|error| sqlx::Error::Decode(Box::new(error)))
}

/// A stored text value that does not name a known variant.
pub(crate) fn bad_value(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected value {value:?} in column {column}").into())
}

/// The part of the directory that the views of `requests` need (see
/// [`entrada_domain::request_view::directory_needs`]): their people, the requestors'
/// managers, and the members of the groups their stages name, each with those groups.
/// The approvals inbox loads this instead of everyone.
/// [`snapshot_for`] one request: what deciding, cancelling or showing it needs.
pub(crate) async fn snapshot_of(
    conn: &mut sqlx::AnyConnection,
    request: &entrada_domain::request::AccessRequest,
    policy: Option<&entrada_domain::policy::AssignmentPolicy>,
) -> Result<entrada_domain::preview::DirectorySnapshot, sqlx::Error> {
    snapshot_for(conn, std::iter::once((request, policy))).await
}

pub(crate) async fn snapshot_for<'a>(
    conn: &mut sqlx::AnyConnection,
    requests: impl IntoIterator<
        Item = (
            &'a entrada_domain::request::AccessRequest,
            Option<&'a entrada_domain::policy::AssignmentPolicy>,
        ),
    >,
) -> Result<entrada_domain::preview::DirectorySnapshot, sqlx::Error> {
    use entrada_domain::preview::DirectorySnapshot;
    let organizations = directory::all_organizations(conn).await?;
    let (mut wanted, groups) =
        entrada_domain::request_view::directory_needs(requests, &organizations);
    let groups: Vec<_> = groups.iter().collect();
    let memberships = directory::memberships_of_groups(conn, &groups).await?;
    wanted.extend(memberships.iter().map(|(_, member)| member.clone()));
    let ids: Vec<_> = wanted.iter().collect();
    let mut people = users::by_ids(conn, &ids).await?;
    let managers: std::collections::BTreeSet<_> = people
        .iter()
        .filter_map(|person| person.manager.clone())
        .filter(|manager| !wanted.contains(manager))
        .collect();
    let managers: Vec<_> = managers.iter().collect();
    people.extend(users::by_ids(conn, &managers).await?);
    Ok(DirectorySnapshot::new(
        with_groups(people, memberships),
        organizations,
    ))
}

/// The directory as data: everyone with their groups, and the connected organisations.
pub(crate) async fn snapshot(
    conn: &mut sqlx::AnyConnection,
) -> Result<entrada_domain::preview::DirectorySnapshot, sqlx::Error> {
    let memberships = directory::all_memberships(conn).await?;
    let people = users::all(conn).await?;
    let organizations = directory::all_organizations(conn).await?;
    Ok(entrada_domain::preview::DirectorySnapshot::new(
        with_groups(people, memberships),
        organizations,
    ))
}

/// Each person with their groups among `memberships`, by one pass over the memberships
/// rather than one per person.
fn with_groups(
    people: Vec<entrada_domain::directory::User>,
    memberships: Vec<(entrada_domain::ids::GroupId, entrada_domain::ids::UserId)>,
) -> Vec<entrada_domain::preview::DirectoryPerson> {
    let mut groups_of: std::collections::HashMap<_, Vec<_>> = std::collections::HashMap::new();
    for (group, member) in memberships {
        groups_of.entry(member).or_default().push(group);
    }
    people
        .into_iter()
        .map(|user| {
            let groups = groups_of.remove(&user.id).unwrap_or_default();
            entrada_domain::preview::DirectoryPerson { user, groups }
        })
        .collect()
}

/// What ends a job's `SELECT` of due items so that it claims them for its transaction:
/// on PostgreSQL `FOR UPDATE SKIP LOCKED`, so instances sharing one database each take
/// different items, none waits for another and none takes an item another holds. SQLite
/// needs nothing: one server runs the jobs there (`db::lock_sqlite_jobs`), and a write
/// transaction holds the whole database. The one place the backends differ in how the
/// jobs claim work (architecture.md).
pub(crate) fn skip_locked(conn: &sqlx::AnyConnection) -> &'static str {
    match conn.backend_name() {
        "SQLite" => "",
        _ => " FOR UPDATE SKIP LOCKED",
    }
}

/// `sql` as `conn`'s backend binds it fastest. On SQLite, a statement whose `$1, $2, …`
/// each appear once and in order gets plain `?`s instead: SQLite finds a numbered
/// parameter by a linear search of its names, once per bind, so a statement of a few
/// hundred costs the square of that (a tenth of the expiry job's time), while `?`s have no
/// names to search. Anything else, and every statement on PostgreSQL, is left as written.
pub(crate) fn positional(conn: &sqlx::AnyConnection, sql: String) -> String {
    if conn.backend_name() != "SQLite" {
        return sql;
    }
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let (mut expected, mut copied, mut at) = (1usize, 0usize, 0usize);
    while at < bytes.len() {
        if bytes[at] == b'$' {
            let digits = bytes[at + 1..]
                .iter()
                .take_while(|byte| byte.is_ascii_digit())
                .count();
            if digits > 0 {
                if sql[at + 1..at + 1 + digits].parse::<usize>().ok() != Some(expected) {
                    return sql;
                }
                out.push_str(&sql[copied..at]);
                out.push('?');
                expected += 1;
                at += 1 + digits;
                copied = at;
                continue;
            }
        }
        at += 1;
    }
    out.push_str(&sql[copied..]);
    out
}

/// `$1, $2, … $n`: the placeholders of an `IN (…)` list of `n` values.
pub(crate) fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|index| format!("${index}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rows of a query over many values, a page of them per query: `sql` is given the
/// page's `IN (…)` placeholders (`$1, …`) and the number of the first parameter after them,
/// from which `then` is bound (the same on every page).
pub(crate) async fn rows_for_values(
    conn: &mut sqlx::AnyConnection,
    values: &[&str],
    then: &[&str],
    sql: impl Fn(&str, usize) -> String,
) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
    let mut rows = Vec::new();
    for page in values.chunks(IN_LIST_PAGE) {
        let text = positional(conn, sql(&placeholders(page.len()), page.len() + 1));
        let mut query = sqlx::query(&text);
        for value in page.iter().chain(then) {
            query = query.bind(*value);
        }
        rows.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

/// How many values one `IN (…)` list binds: well under both backends' limits.
pub(crate) const IN_LIST_PAGE: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    #[tokio::test]
    async fn sqlite_gets_plain_question_marks_only_for_placeholders_in_order() {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        let ordered = "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)".to_owned();
        assert_eq!(
            positional(&conn, ordered),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        // Out of order, repeated or skipped: left as written, since `?`s would bind wrongly.
        for kept in [
            "UPDATE t SET a = $2 WHERE b = $1",
            "SELECT * FROM t WHERE a = $1 OR b = $1",
            "SELECT * FROM t WHERE a = $1 OR b = $3",
            "SELECT json_extract(x, '$.a') FROM t WHERE id = $2",
        ] {
            assert_eq!(positional(&conn, kept.to_owned()), kept);
        }
        // `$` not followed by a digit is not a placeholder.
        assert_eq!(
            positional(
                &conn,
                "SELECT json_extract(x, '$.a') FROM t WHERE id = $1".to_owned()
            ),
            "SELECT json_extract(x, '$.a') FROM t WHERE id = ?"
        );
        // And the rewritten statement binds as the numbered one did.
        sqlx::query("CREATE TABLE t (a TEXT, b INTEGER)")
            .execute(&mut conn)
            .await
            .unwrap();
        let sql = positional(
            &conn,
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)".to_owned(),
        );
        sqlx::query(&sql)
            .bind("x")
            .bind(1i64)
            .bind("y")
            .bind(2i64)
            .execute(&mut conn)
            .await
            .unwrap();
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT a, b FROM t ORDER BY b")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(rows, [("x".to_owned(), 1), ("y".to_owned(), 2)]);
    }
}
