//! `entrada demo --scale N`: the demo organisation grown to the size of a real company,
//! for benchmarks (issue 12). At `N = 1`, the reference size, it adds 10,000 people,
//! 2,000 groups, 500 access packages (in 10 catalogs), 100,000 assignments with their
//! grants, 1,000 pending requests (200 of them waiting for one approver) and audit events
//! up to 1,000,000 in all; other values scale each figure (at least one of each).
//!
//! It goes through the product's own code: the store's inserts, `submit` and the request
//! lifecycle for requests, delivery for grants, and the audit chain's `append_many` for
//! every chunk's events, committing every [`CHUNK`] items so that memory stays flat.

use entrada_domain::assignment::{self, Assignment, AssignmentState};
use entrada_domain::audit::{AuditAction, AuditEvent};
use entrada_domain::catalog::{
    group_roles, AccessPackage, Catalog, CatalogRole, CatalogRoleAssignment, PackageResourceRole,
    Resource, ResourceKind,
};
use entrada_domain::directory::{Group, User, UserKind, UserState};
use entrada_domain::ids::{
    AssignmentId, AuditEventId, CatalogId, GroupId, PackageId, PackageResourceRoleId, PolicyId,
    RequestId, ResourceId, RoleAssignmentId, UserId,
};
use entrada_domain::policy::{
    ApprovalStage, Approver, AssignmentPolicy, Expiration, PolicyDraft, RequestorScope,
};
use entrada_domain::request::{RequestDraft, RequestEvent, RequestType};
use entrada_domain::submit::{self, SubmitContext};
use sqlx::AnyPool;
use time::OffsetDateTime;

use crate::{delivery, lifecycle, password, store};

/// Items written per transaction.
pub const CHUNK: usize = 2_000;

/// How many of each thing a scale adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleSize {
    /// People (members of the directory).
    pub people: usize,
    /// Groups.
    pub groups: usize,
    /// Catalogs.
    pub catalogs: usize,
    /// Access packages.
    pub packages: usize,
    /// Assignments, each with its grants.
    pub assignments: usize,
    /// Requests waiting for a decision.
    pub pending_requests: usize,
    /// Of those, how many wait for the one busy approver.
    pub busiest_inbox: usize,
    /// Audit events in all, at least.
    pub audit_events: usize,
}

impl ScaleSize {
    /// The reference size times `factor` (each figure at least 1; the catalogs at most
    /// as many as the packages).
    pub fn times(factor: f64) -> ScaleSize {
        let of = |reference: f64| ((reference * factor).round() as usize).max(1);
        let packages = of(500.0);
        let people = of(10_000.0);
        ScaleSize {
            people,
            groups: of(2_000.0),
            catalogs: of(10.0).min(packages),
            packages,
            assignments: of(100_000.0),
            pending_requests: of(1_000.0).min(people),
            busiest_inbox: of(200.0).min(people.saturating_sub(1)).max(1),
            audit_events: of(1_000_000.0),
        }
    }
}

/// Why growing failed.
#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    /// The database refused.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The demo could not be loaded first.
    #[error("{0}")]
    Demo(#[from] crate::demo::DemoError),
    /// The factor is not a positive number.
    #[error("the scale must be a positive number, such as 1 (the reference size) or 0.1")]
    Factor,
    /// The database already holds a scaled organisation.
    #[error("the database already holds a scaled organisation")]
    AlreadyScaled,
    /// A request of the generator was refused by the product's own rules.
    #[error("a generated request was refused: {0}")]
    Refused(String),
}

/// The person at position `index` of the scaled directory.
pub fn person_id(index: usize) -> UserId {
    UserId(format!("user-s{index}"))
}

/// The sign-in address of the person at `index` (demo password).
pub fn person_email(index: usize) -> String {
    format!("s{index}@scale.lakeshore.example")
}

/// Who the person at `index` reports to: the first `busiest_inbox` people report to
/// person 0 (the busy approver), the rest to the first of their team of 20, and the
/// leads (and person 0) to Maya, the demo's chief executive.
fn manager_of(index: usize, size: &ScaleSize) -> Option<UserId> {
    let maya = || Some(UserId("user-maya.lindqvist".to_owned()));
    if index == 0 {
        return maya();
    }
    if index <= size.busiest_inbox {
        return Some(person_id(0));
    }
    let lead = size.busiest_inbox + 1 + (index - size.busiest_inbox - 1) / 20 * 20;
    match lead == index {
        true => maya(),
        false => Some(person_id(lead)),
    }
}

/// The packages the person at `index` holds: `per_person` consecutive ones.
fn held_by(index: usize, per_person: usize, size: &ScaleSize) -> impl Iterator<Item = usize> {
    let packages = size.packages;
    (0..per_person.min(packages)).map(move |k| (index + k) % packages)
}

/// Grows the database: loads the demo organisation first when it is empty, then adds the
/// scaled organisation. Returns what it added (at small scales, fewer assignments than
/// asked when there are fewer packages than a person's share).
pub async fn grow(db: &AnyPool, now: OffsetDateTime, factor: f64) -> Result<ScaleSize, ScaleError> {
    if !(factor.is_finite() && factor > 0.0) {
        return Err(ScaleError::Factor);
    }
    let mut size = ScaleSize::times(factor);
    crate::demo::load(db, now).await?;
    {
        let mut conn = db.acquire().await?;
        if store::users::get(&mut conn, &person_id(0)).await?.is_some() {
            return Err(ScaleError::AlreadyScaled);
        }
    }
    let hash = password::hash(crate::demo::DEMO_PASSWORD.to_owned())
        .await
        .map_err(crate::demo::DemoError::Password)?;

    // People, in teams with managers.
    for chunk in (0..size.people).collect::<Vec<_>>().chunks(CHUNK) {
        let mut tx = crate::db::begin(db).await?;
        for &index in chunk {
            let user = User {
                id: person_id(index),
                email: person_email(index),
                display_name: format!("Scale Person {index}"),
                kind: UserKind::Member,
                state: UserState::Active,
                department: Some(format!("Department {}", index / 200)),
                job_title: Some("Analyst".to_owned()),
                manager: manager_of(index, &size),
                connected_organization: None,
            };
            store::users::insert(&mut tx, &user, Some(&hash), now).await?;
        }
        tx.commit().await?;
    }

    // Groups: each person is a member of three.
    let mut tx = crate::db::begin(db).await?;
    for group in 0..size.groups {
        let group = Group {
            id: GroupId(format!("grp-s{group}")),
            name: format!("Scale Group {group}"),
            description: "A group of the scaled organisation.".to_owned(),
            owners: Vec::new(),
        };
        store::directory::insert_group(&mut tx, &group).await?;
    }
    tx.commit().await?;
    for chunk in (0..size.people).collect::<Vec<_>>().chunks(CHUNK) {
        let mut tx = crate::db::begin(db).await?;
        for &index in chunk {
            for k in 0..3.min(size.groups) {
                let group = GroupId(format!("grp-s{}", (index + k) % size.groups));
                store::directory::add_group_member(&mut tx, &group, &person_id(index)).await?;
            }
        }
        tx.commit().await?;
    }

    // Catalogs, owned by Priya; packages granting a group's membership, each with one
    // policy: even ones open to all members, odd ones to their group's members. Every
    // policy asks the requestor's manager.
    let mut tx = crate::db::begin(db).await?;
    let catalogs: Vec<Catalog> = (0..size.catalogs)
        .map(|c| Catalog {
            id: CatalogId(format!("cat-s{c}")),
            name: format!("Scale Catalog {c}"),
            description: "A catalog of the scaled organisation.".to_owned(),
            enabled: true,
            external_users_allowed: false,
            created_by: None,
            created_at: now,
        })
        .collect();
    for (c, catalog) in catalogs.iter().enumerate() {
        store::catalogs::insert_catalog(&mut tx, catalog).await?;
        let grant = CatalogRoleAssignment {
            id: RoleAssignmentId(format!("role-s{c}-priya")),
            catalog_id: catalog.id.clone(),
            user_id: UserId("user-priya.shah".to_owned()),
            role: CatalogRole::Owner,
        };
        store::catalogs::insert_role(&mut tx, &grant).await?;
    }
    let mut packages = Vec::with_capacity(size.packages);
    for p in 0..size.packages {
        let catalog = &catalogs[p % catalogs.len()];
        let catalog_id = &catalog.id;
        let group = GroupId(format!("grp-s{}", p % size.groups));
        let resource = Resource {
            id: ResourceId(format!("res-s{p}")),
            catalog_id: catalog_id.clone(),
            kind: ResourceKind::Group,
            origin_id: group.as_str().to_owned(),
            name: format!("Scale Group {} (package {p})", p % size.groups),
            roles: group_roles(),
        };
        store::catalogs::insert_resource(&mut tx, &resource).await?;
        let role = PackageResourceRole::of(
            PackageResourceRoleId(format!("prr-s{p}")),
            &resource,
            &resource.roles[0],
        );
        let package = AccessPackage {
            id: PackageId(format!("ap-s{p}")),
            catalog_id: catalog_id.clone(),
            name: format!("Scale Package {p}"),
            description: format!(
                "Membership of Scale Group {}, for the benchmarks.",
                p % size.groups
            ),
            hidden: false,
            archived: false,
            resource_roles: vec![role],
            created_at: now,
        };
        store::catalogs::insert_package(&mut tx, &package).await?;
        let scope = match p % 2 {
            0 => RequestorScope::AllMembers,
            _ => RequestorScope::SpecificDirectoryUsers {
                users: Vec::new(),
                groups: vec![group],
            },
        };
        let policy = AssignmentPolicy {
            id: PolicyId(format!("pol-s{p}")),
            access_package_id: package.id.clone(),
            rules: PolicyDraft {
                name: "Manager approval".to_owned(),
                description: String::new(),
                requestor_scope: scope,
                accepting_requests: true,
                requestor_justification_required: false,
                questions: Vec::new(),
                stages: vec![ApprovalStage {
                    approvers: vec![Approver::Manager],
                    fallback_approvers: vec![Approver::User {
                        id: UserId("user-priya.shah".to_owned()),
                    }],
                    approver_justification_required: false,
                    decision_timeout_days: 14,
                    escalation: None,
                }],
                expiration: Expiration::AfterDays { days: 365 },
                extension_allowed: true,
                requestor_may_choose_schedule: false,
            },
        };
        store::catalogs::insert_policy(&mut tx, &policy, now).await?;
        packages.push((catalog.clone(), package, policy));
    }
    tx.commit().await?;

    // Assignments, delivered with their grants, each audited as delivery does.
    let per_person = size.assignments.div_ceil(size.people);
    let mut written = 0;
    let mut events = 0;
    'people: for chunk in (0..size.people)
        .collect::<Vec<_>>()
        .chunks((CHUNK / per_person.max(1)).max(1))
    {
        let mut tx = crate::db::begin(db).await?;
        let mut audited = Vec::new();
        for &index in chunk {
            for p in held_by(index, per_person, &size) {
                if written == size.assignments {
                    store::audit::append_many(&mut tx, &audited).await?;
                    tx.commit().await?;
                    break 'people;
                }
                let (_, package, policy) = &packages[p];
                let assignment = Assignment {
                    id: AssignmentId(format!("asg-s{index}-{p}")),
                    user_id: person_id(index),
                    access_package_id: package.id.clone(),
                    policy_id: policy.id.clone(),
                    request_id: None,
                    state: AssignmentState::Delivered,
                    start: now,
                    end: assignment::expires_at(&policy.rules.expiration, now),
                    created_at: now,
                };
                store::assignments::insert(&mut tx, &assignment).await?;
                let grants = delivery::grant_all(&mut tx, &assignment).await?;
                let mut event = AuditEvent::new(
                    AuditEventId(store::new_id()),
                    now,
                    Some(UserId("user-priya.shah".to_owned())),
                    AuditAction::AssignmentCreated,
                    "assignment",
                    assignment.id.as_str(),
                )
                .with_detail("user", assignment.user_id.as_str())
                .with_detail("grants", grants.to_string())
                .with_detail("type", "adminAdd");
                event.catalog_id = Some(package.catalog_id.clone());
                event.package_id = Some(package.id.clone());
                audited.push(event);
                written += 1;
                events += 1;
            }
        }
        store::audit::append_many(&mut tx, &audited).await?;
        tx.commit().await?;
    }

    // Fewer packages than a person's share hold fewer assignments: say what was made.
    size.assignments = written;

    // Pending requests, submitted through the product's rules: the first `busiest_inbox`
    // people ask person 0; the rest ask their team leads.
    let directory = {
        let mut conn = db.acquire().await?;
        store::snapshot(&mut conn).await?
    };
    let people: std::collections::HashMap<&UserId, _> = directory
        .people
        .iter()
        .map(|person| (&person.user.id, person))
        .collect();
    for chunk in (1..=size.pending_requests)
        .collect::<Vec<_>>()
        .chunks(CHUNK)
    {
        let mut tx = crate::db::begin(db).await?;
        for &index in chunk {
            let index = index % size.people;
            // An all-members package the person does not hold.
            let p = (0..size.packages)
                .map(|k| (index + per_person + k) % size.packages)
                .find(|p| p % 2 == 0 && !held_by(index, per_person, &size).any(|held| held == *p))
                .unwrap_or(0);
            let (catalog, package, policy) = &packages[p];
            let person = people[&person_id(index)];
            let context = SubmitContext {
                requestor: entrada_domain::policy::Requestor {
                    user: &person.user,
                    groups: &person.groups,
                },
                catalog,
                package,
                policy,
                organizations: &directory.organizations,
                holding: None,
                open_request: false,
            };
            let draft = RequestDraft {
                justification: Some("For the quarterly report".to_owned()),
                ..RequestDraft::default()
            };
            let request = submit::submit(
                &context,
                RequestId(format!("req-s{index}")),
                RequestType::UserAdd,
                &draft,
                now,
            )
            .map_err(|error| ScaleError::Refused(error.to_string()))?;
            store::requests::insert(&mut tx, &request).await?;
            let stored = store::requests::Stored {
                request,
                version: 1,
            };
            lifecycle::advance_with(
                &mut tx,
                &directory,
                &stored,
                policy,
                package,
                &RequestEvent::Submit,
                Some(&person.user.id),
                now,
            )
            .await
            .map_err(|error| ScaleError::Refused(format!("{error:?}")))?;
            events += 1;
        }
        tx.commit().await?;
    }

    size.audit_events = size.audit_events.max(events);

    // The rest of the audit log: people signing in, over the past year.
    let mut index = 0;
    while events < size.audit_events {
        let mut tx = crate::db::begin(db).await?;
        let mut audited = Vec::with_capacity(CHUNK);
        for _ in 0..CHUNK.min(size.audit_events - events) {
            let person = person_id(index % size.people);
            let at = now - time::Duration::seconds(((size.audit_events - events) * 30) as i64);
            let event = AuditEvent::new(
                AuditEventId(store::new_id()),
                at,
                Some(person.clone()),
                AuditAction::SessionSignedIn,
                "user",
                person.as_str(),
            )
            .with_detail("address", "127.0.0.1");
            audited.push(event);
            events += 1;
            index += 1;
        }
        store::audit::append_many(&mut tx, &audited).await?;
        tx.commit().await?;
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_size_is_the_issues_and_small_scales_keep_one_of_each() {
        let reference = ScaleSize::times(1.0);
        assert_eq!(
            (
                reference.people,
                reference.groups,
                reference.packages,
                reference.assignments,
                reference.pending_requests,
                reference.busiest_inbox,
                reference.audit_events
            ),
            (10_000, 2_000, 500, 100_000, 1_000, 200, 1_000_000)
        );
        let tiny = ScaleSize::times(0.0001);
        assert_eq!((tiny.people, tiny.packages, tiny.catalogs), (1, 1, 1));
        assert_eq!(tiny.busiest_inbox, 1);
    }

    #[test]
    fn the_busy_approver_manages_the_first_people_and_teams_have_leads() {
        let size = ScaleSize::times(1.0);
        assert_eq!(manager_of(1, &size), Some(person_id(0)));
        assert_eq!(manager_of(200, &size), Some(person_id(0)));
        let maya = Some(UserId("user-maya.lindqvist".to_owned()));
        assert_eq!(manager_of(201, &size), maya, "a lead reports to Maya");
        assert_eq!(manager_of(202, &size), Some(person_id(201)));
        assert_eq!(manager_of(221, &size), maya);
        assert_eq!(manager_of(222, &size), Some(person_id(221)));
    }
}
