//! Persistence: one module per aggregate, each taking a connection (a pooled one or a
//! transaction's) and returning domain types. Row shapes stay private to their module; the
//! SQL is portable between SQLite and PostgreSQL (see architecture.md).

pub(crate) mod assignments;
pub(crate) mod audit;
pub(crate) mod catalogs;
pub(crate) mod directory;
pub(crate) mod guests;
pub(crate) mod notifications;
pub(crate) mod outbox;
pub(crate) mod reports;
pub(crate) mod requests;
pub(crate) mod sessions;
pub(crate) mod settings;
pub(crate) mod signups;
pub(crate) mod users;

/// A fresh random identifier.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
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

/// The directory as data: everyone with their groups, and the connected organisations.
pub(crate) async fn snapshot(
    conn: &mut sqlx::AnyConnection,
) -> Result<entrada_domain::preview::DirectorySnapshot, sqlx::Error> {
    use entrada_domain::preview::{DirectoryPerson, DirectorySnapshot};
    // Each person's groups by one pass over the memberships, not one pass per person.
    let mut groups_of: std::collections::HashMap<_, Vec<_>> = std::collections::HashMap::new();
    for (group, member) in directory::all_memberships(conn).await? {
        groups_of.entry(member).or_default().push(group);
    }
    let people = users::all(conn)
        .await?
        .into_iter()
        .map(|user| {
            let groups = groups_of.remove(&user.id).unwrap_or_default();
            DirectoryPerson { user, groups }
        })
        .collect();
    let organizations = directory::all_organizations(conn).await?;
    Ok(DirectorySnapshot::new(people, organizations))
}
