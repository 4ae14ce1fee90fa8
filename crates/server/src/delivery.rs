//! Delivery: making an assignment's grants real in the directory and taking them back.
//! The domain says what to revoke ([`grants_to_revoke`]); this module reads and writes.
//! Every grant is recorded with the assignment it came from, and the directory rows that
//! delivery inserted are marked as Entrada's: removal takes back only those, never access a
//! person had from outside Entrada.

use entrada_domain::assignment::{grants_to_revoke, Assignment, Grant};
use entrada_domain::catalog::PackageResourceRole;
use entrada_domain::ids::{AssignmentId, PackageId, UserId};
use std::collections::{HashMap, HashSet};

use sqlx::AnyConnection;

use crate::store;

/// Grants every resource role of the assignment's package to its holder.
pub(crate) async fn grant_all(
    conn: &mut AnyConnection,
    assignment: &Assignment,
) -> Result<usize, sqlx::Error> {
    let grants = store::assignments::grants_of_package(conn, &assignment.access_package_id).await?;
    for grant in &grants {
        store::assignments::apply_grant(conn, &assignment.id, &assignment.user_id, grant).await?;
    }
    Ok(grants.len())
}

/// Takes back, for each of several assignments that just ended, every grant its package
/// gave that no other live assignment of the same person still gives. Call it after the
/// assignments left their live state. Set-based (a handful of statements however many
/// assignments end); returns how many grants each assignment's ending took back.
///
/// The third condition of [`grants_to_revoke`], that Entrada made the directory row, is
/// checked by the database in the same statement that deletes it (`revoke_many` deletes
/// only rows whose source is Entrada).
pub(crate) async fn revoke_ended(
    conn: &mut AnyConnection,
    ended: &[Assignment],
) -> Result<HashMap<AssignmentId, usize>, sqlx::Error> {
    let packages: Vec<&PackageId> = unique(ended.iter().map(|a| &a.access_package_id));
    let users: Vec<&UserId> = unique(ended.iter().map(|a| &a.user_id));
    let ending = store::assignments::grants_of_packages(conn, &packages).await?;
    let still_given = store::assignments::live_grants_of_users(conn, &users).await?;
    let none = Vec::new();
    let mut wanted: Vec<(&UserId, Grant, &AssignmentId)> = Vec::new();
    let mut asked = HashSet::new();
    for assignment in ended {
        let ending = ending.get(&assignment.access_package_id).unwrap_or(&none);
        let kept = still_given.get(&assignment.user_id).unwrap_or(&none);
        for grant in grants_to_revoke(ending, kept, ending) {
            if asked.insert((&assignment.user_id, grant.clone())) {
                wanted.push((&assignment.user_id, grant, &assignment.id));
            }
        }
    }
    let pairs: Vec<(&UserId, &Grant)> = wanted
        .iter()
        .map(|(user, grant, _)| (*user, grant))
        .collect();
    let removed = store::assignments::revoke_many(conn, &pairs).await?;
    let mut counts: HashMap<AssignmentId, usize> = ended
        .iter()
        .map(|assignment| (assignment.id.clone(), 0))
        .collect();
    for (user, grant, assignment) in &wanted {
        if removed.contains(&((*user).clone(), grant.clone())) {
            *counts.entry((*assignment).clone()).or_default() += 1;
        }
    }
    Ok(counts)
}

fn unique<'a, T: Ord + 'a>(items: impl Iterator<Item = &'a T>) -> Vec<&'a T> {
    let set: std::collections::BTreeSet<&T> = items.collect();
    set.into_iter().collect()
}

/// The live assignments of a package as (assignment, holder).
pub(crate) async fn live_holders(
    conn: &mut AnyConnection,
    package: &PackageId,
) -> Result<Vec<(AssignmentId, UserId)>, sqlx::Error> {
    let assignments = store::assignments::list(conn, Some(package)).await?;
    Ok(assignments
        .into_iter()
        .filter(|assignment| assignment.state.is_live())
        .map(|assignment| (assignment.id, assignment.user_id))
        .collect())
}

/// Gives every live holder of the package all of its grants (after a role was added).
/// Returns how many holders there are.
pub(crate) async fn regrant_package(
    conn: &mut AnyConnection,
    package: &PackageId,
) -> Result<usize, sqlx::Error> {
    let holders = live_holders(conn, package).await?;
    let grants = store::assignments::grants_of_package(conn, package).await?;
    for (assignment, user) in &holders {
        for grant in &grants {
            store::assignments::apply_grant(conn, assignment, user, grant).await?;
        }
    }
    Ok(holders.len())
}

/// Takes a removed role of `package` back from the holders, except where the package's
/// remaining roles or another of their live assignments still give it, or the holder had
/// it from outside Entrada. Call it after the
/// role was deleted. Returns how many holders lost it.
pub(crate) async fn revoke_role_from_holders(
    conn: &mut AnyConnection,
    package: &PackageId,
    holders: &[(AssignmentId, UserId)],
    role: &PackageResourceRole,
) -> Result<usize, sqlx::Error> {
    let Some(resource) = store::catalogs::get_resource(conn, &role.resource_id).await? else {
        return Ok(0);
    };
    let removed = Grant {
        resource_kind: resource.kind,
        origin_id: resource.origin_id,
        role_id: role.role_id.clone(),
    };
    let remaining = store::assignments::grants_of_package(conn, package).await?;
    let mut revoked = 0;
    for (assignment, user) in holders {
        let mut still_given = store::assignments::live_grants_of(conn, user, assignment).await?;
        still_given.extend(remaining.iter().cloned());
        let taken_off = std::slice::from_ref(&removed);
        let made = store::assignments::made_by_entrada(conn, user, taken_off).await?;
        for grant in grants_to_revoke(taken_off, &still_given, &made) {
            store::assignments::revoke_grant(conn, user, &grant).await?;
            revoked += 1;
        }
    }
    Ok(revoked)
}
