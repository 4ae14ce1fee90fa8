//! The policy preview: while an administrator edits a policy, who could request the
//! package and who would approve each stage for a chosen person. It calls the very
//! functions that decide real requests ([`requestable_policies`], [`stage_approvers`]), so
//! the preview cannot disagree with what happens later.

use serde::{Deserialize, Serialize};

use crate::catalog::{AccessPackage, Catalog};
use crate::directory::{DirectoryView, SponsorKind, User, UserState};
use crate::ids::{ConnectedOrgId, GroupId, PackageId, PolicyId, UserId};
use crate::organization::ConnectedOrganization;
use crate::policy::{
    requestable_policies, stage_approvers, Approver, AssignmentPolicy, PolicyDraft, Requestor,
};

/// A person with the groups they belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DirectoryPerson {
    /// The person.
    pub user: User,
    /// Their groups.
    pub groups: Vec<GroupId>,
}

/// The directory loaded into memory: what policy evaluation needs, as data, indexed by
/// person and by group so that a lookup costs the same at 30 people and at 10,000.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectorySnapshot {
    /// Everyone, with their groups.
    pub people: Vec<DirectoryPerson>,
    /// The connected organisations.
    pub organizations: Vec<ConnectedOrganization>,
    by_id: std::collections::HashMap<UserId, usize>,
    by_group: std::collections::HashMap<GroupId, Vec<usize>>,
}

impl DirectorySnapshot {
    /// The snapshot of these people and organisations, with its indexes.
    pub fn new(people: Vec<DirectoryPerson>, organizations: Vec<ConnectedOrganization>) -> Self {
        let mut by_id = std::collections::HashMap::with_capacity(people.len());
        let mut by_group: std::collections::HashMap<GroupId, Vec<usize>> =
            std::collections::HashMap::new();
        for (index, person) in people.iter().enumerate() {
            by_id.insert(person.user.id.clone(), index);
            for group in &person.groups {
                by_group.entry(group.clone()).or_default().push(index);
            }
        }
        Self {
            people,
            organizations,
            by_id,
            by_group,
        }
    }

    /// One person by id.
    pub fn person(&self, id: &UserId) -> Option<&DirectoryPerson> {
        self.by_id.get(id).map(|&index| &self.people[index])
    }
}

impl DirectoryView for DirectorySnapshot {
    fn manager_of(&self, user: &UserId) -> Option<UserId> {
        self.person(user)
            .and_then(|person| person.user.manager.clone())
    }

    fn members_of(&self, group: &GroupId) -> Vec<UserId> {
        self.by_group
            .get(group)
            .into_iter()
            .flatten()
            .map(|&index| self.people[index].user.id.clone())
            .collect()
    }

    fn sponsors_of(&self, organization: &ConnectedOrgId, kind: SponsorKind) -> Vec<UserId> {
        self.organizations
            .iter()
            .filter(|org| &org.id == organization)
            .flat_map(|org| match kind {
                SponsorKind::Internal => org.internal_sponsors.clone(),
                SponsorKind::External => org.external_sponsors.clone(),
            })
            .collect()
    }

    fn organization_of(&self, person: &User) -> Option<ConnectedOrgId> {
        crate::policy::partner_of(person, &self.organizations).map(|org| org.id.clone())
    }

    fn is_active(&self, user: &UserId) -> bool {
        self.person(user)
            .is_some_and(|person| person.user.state == UserState::Active)
    }
}

/// Body of the preview endpoint: the policy as edited, and optionally a person to trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PreviewRequest {
    /// The policy's fields as they stand in the editor.
    pub policy: PolicyDraft,
    /// A person whose approvers to show.
    #[serde(default)]
    pub requestor_id: Option<UserId>,
}

/// A person as the preview lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PersonSummary {
    /// Identifier.
    pub id: UserId,
    /// Name.
    pub display_name: String,
    /// E-mail.
    pub email: String,
    /// Department, if any.
    pub department: Option<String>,
}

impl PersonSummary {
    /// The summary of a user.
    pub fn of(user: &User) -> Self {
        Self {
            id: user.id.clone(),
            display_name: user.display_name.clone(),
            email: user.email.clone(),
            department: user.department.clone(),
        }
    }
}

/// Who would approve one stage for the chosen person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StagePreview {
    /// 0-based stage.
    pub stage: usize,
    /// The people who could decide.
    pub approvers: Vec<PersonSummary>,
    /// Whether the fallback approvers act because the primary ones resolved to nobody.
    pub fallback_used: bool,
    /// Why nobody could approve, when that is so.
    pub problem: Option<String>,
}

/// What the preview shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PolicyPreview {
    /// Everyone who could request the package through the policy now.
    pub eligible: Vec<PersonSummary>,
    /// The chosen person, if any.
    pub requestor: Option<PersonSummary>,
    /// Whether the chosen person could request through the policy.
    pub requestor_eligible: bool,
    /// Each stage's approvers for the chosen person (empty with no person or no stages).
    pub stages: Vec<StagePreview>,
}

/// Computes the preview of `rules` for `package` in `catalog` over the directory.
pub fn preview_policy(
    catalog: &Catalog,
    package: &AccessPackage,
    rules: &PolicyDraft,
    requestor: Option<&UserId>,
    directory: &DirectorySnapshot,
) -> PolicyPreview {
    let policy = AssignmentPolicy {
        id: PolicyId::new("preview"),
        access_package_id: package.id.clone(),
        rules: rules.clone(),
    };
    let policies = std::slice::from_ref(&policy);
    let may_request = |person: &DirectoryPerson| {
        let requestor = Requestor {
            user: &person.user,
            groups: &person.groups,
        };
        !requestable_policies(
            catalog,
            package,
            policies,
            &requestor,
            &directory.organizations,
        )
        .is_empty()
    };
    let eligible = directory
        .people
        .iter()
        .filter(|person| may_request(person))
        .map(|person| PersonSummary::of(&person.user))
        .collect();
    let chosen = requestor.and_then(|id| directory.person(id));
    let stages = match chosen {
        Some(person) => (0..rules.stages.len())
            .filter_map(|stage| stage_preview(&policy, stage, &person.user, directory))
            .collect(),
        None => Vec::new(),
    };
    PolicyPreview {
        eligible,
        requestor: chosen.map(|person| PersonSummary::of(&person.user)),
        requestor_eligible: chosen.is_some_and(may_request),
        stages,
    }
}

fn stage_preview(
    policy: &AssignmentPolicy,
    stage: usize,
    requestor: &User,
    directory: &DirectorySnapshot,
) -> Option<StagePreview> {
    let resolved = stage_approvers(policy, stage, false, requestor, directory)?;
    let approvers: Vec<PersonSummary> = resolved
        .people
        .iter()
        .filter_map(|id| directory.person(id))
        .map(|person| PersonSummary::of(&person.user))
        .collect();
    let problem = approvers
        .is_empty()
        .then(|| explain_nobody(policy, stage, requestor, directory));
    Some(StagePreview {
        stage,
        approvers,
        fallback_used: resolved.fallback_used,
        problem,
    })
}

fn explain_nobody(
    policy: &AssignmentPolicy,
    stage: usize,
    requestor: &User,
    directory: &DirectorySnapshot,
) -> String {
    let definition = &policy.rules.stages[stage];
    let mut reasons = Vec::new();
    if definition.approvers.contains(&Approver::Manager) && requestor.manager.is_none() {
        reasons.push(format!("{} has no manager", requestor.display_name));
    }
    if definition.approvers.iter().any(Approver::is_sponsors)
        && directory.organization_of(requestor).is_none()
    {
        reasons.push(format!(
            "{} belongs to no connected organisation with sponsors",
            requestor.display_name
        ));
    }
    let named_only_requestor = definition
        .approvers
        .iter()
        .all(|approver| matches!(approver, Approver::User { id } if id == &requestor.id));
    if named_only_requestor && !definition.approvers.is_empty() {
        reasons.push(format!(
            "{} cannot approve their own request",
            requestor.display_name
        ));
    }
    if reasons.is_empty() {
        reasons
            .push("the approvers resolve to no active person other than the requestor".to_owned());
    }
    let fallback = match definition.fallback_approvers.is_empty() {
        true => " and the stage has no fallback approvers",
        false => " and the fallback approvers resolve to nobody either",
    };
    format!(
        "Nobody could approve stage {}: {}{fallback}. The request would wait until it times out.",
        stage + 1,
        reasons.join("; ")
    )
}

/// The package id used when previewing a policy for a package that is not saved yet.
pub fn unsaved_package_id() -> PackageId {
    PackageId::new("unsaved")
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::catalog::Catalog;
    use crate::directory::UserKind;
    use crate::ids::CatalogId;
    use crate::policy::{ApprovalStage, Expiration, RequestorScope};

    fn person(id: &str, manager: Option<&str>, groups: &[&str]) -> DirectoryPerson {
        DirectoryPerson {
            user: User {
                id: UserId::new(id),
                email: format!("{id}@example.test"),
                display_name: id.to_owned(),
                kind: UserKind::Member,
                state: UserState::Active,
                department: None,
                job_title: None,
                manager: manager.map(UserId::new),
                connected_organization: None,
            },
            groups: groups.iter().map(|group| GroupId::new(*group)).collect(),
        }
    }

    fn directory() -> DirectorySnapshot {
        DirectorySnapshot::new(
            vec![
                person("boss", None, &["leads"]),
                person("ann", Some("boss"), &["eng"]),
                person("bob", Some("boss"), &["eng"]),
                person("cid", None, &["sales"]),
            ],
            Vec::new(),
        )
    }

    fn catalog() -> Catalog {
        Catalog {
            id: CatalogId::new("c"),
            name: "C".into(),
            description: String::new(),
            enabled: true,
            external_users_allowed: false,
            created_by: None,
            created_at: datetime!(2026-01-01 0:00 UTC),
        }
    }

    fn package() -> AccessPackage {
        AccessPackage {
            id: unsaved_package_id(),
            catalog_id: CatalogId::new("c"),
            name: "P".into(),
            description: String::new(),
            hidden: false,
            archived: false,
            resource_roles: Vec::new(),
            created_at: datetime!(2026-01-01 0:00 UTC),
        }
    }

    fn rules(scope: RequestorScope, stages: Vec<ApprovalStage>) -> PolicyDraft {
        PolicyDraft {
            name: "p".into(),
            description: String::new(),
            requestor_scope: scope,
            accepting_requests: true,
            requestor_justification_required: false,
            questions: Vec::new(),
            stages,
            expiration: Expiration::Never,
            extension_allowed: false,
            requestor_may_choose_schedule: false,
        }
    }

    fn manager_stage(fallback: Vec<Approver>) -> ApprovalStage {
        ApprovalStage {
            approvers: vec![Approver::Manager],
            fallback_approvers: fallback,
            approver_justification_required: false,
            decision_timeout_days: 7,
            escalation: None,
        }
    }

    fn ids(people: &[PersonSummary]) -> Vec<&str> {
        people.iter().map(|person| person.id.as_str()).collect()
    }

    #[test]
    fn eligible_people_follow_the_scope() {
        let scope = RequestorScope::SpecificDirectoryUsers {
            users: vec![UserId::new("cid")],
            groups: vec![GroupId::new("eng")],
        };
        let preview = preview_policy(
            &catalog(),
            &package(),
            &rules(scope, vec![]),
            None,
            &directory(),
        );
        assert_eq!(ids(&preview.eligible), ["ann", "bob", "cid"]);
        assert!(preview.stages.is_empty());
    }

    #[test]
    fn a_policy_that_stopped_accepting_requests_has_nobody_eligible() {
        let mut draft = rules(RequestorScope::AllMembers, vec![]);
        draft.accepting_requests = false;
        let preview = preview_policy(
            &catalog(),
            &package(),
            &draft,
            Some(&UserId::new("ann")),
            &directory(),
        );
        assert!(preview.eligible.is_empty());
        assert!(!preview.requestor_eligible);
    }

    #[test]
    fn the_manager_is_resolved_for_the_chosen_person() {
        let draft = rules(RequestorScope::AllMembers, vec![manager_stage(vec![])]);
        let preview = preview_policy(
            &catalog(),
            &package(),
            &draft,
            Some(&UserId::new("ann")),
            &directory(),
        );
        assert!(preview.requestor_eligible);
        assert_eq!(ids(&preview.stages[0].approvers), ["boss"]);
        assert!(!preview.stages[0].fallback_used);
    }

    #[test]
    fn fallback_approvers_act_for_a_person_without_a_manager() {
        let draft = rules(
            RequestorScope::AllMembers,
            vec![manager_stage(vec![Approver::User {
                id: UserId::new("boss"),
            }])],
        );
        let preview = preview_policy(
            &catalog(),
            &package(),
            &draft,
            Some(&UserId::new("cid")),
            &directory(),
        );
        assert_eq!(ids(&preview.stages[0].approvers), ["boss"]);
        assert!(preview.stages[0].fallback_used);
    }

    #[test]
    fn the_preview_says_why_nobody_could_approve() {
        let draft = rules(RequestorScope::AllMembers, vec![manager_stage(vec![])]);
        let preview = preview_policy(
            &catalog(),
            &package(),
            &draft,
            Some(&UserId::new("cid")),
            &directory(),
        );
        let problem = preview.stages[0].problem.clone().unwrap_or_default();
        assert!(problem.contains("cid has no manager"), "{problem}");
        assert!(problem.contains("no fallback approvers"), "{problem}");
    }

    #[test]
    fn the_requestor_is_removed_from_the_approvers() {
        let stage = ApprovalStage {
            approvers: vec![Approver::User {
                id: UserId::new("ann"),
            }],
            ..manager_stage(vec![])
        };
        let draft = rules(RequestorScope::AllMembers, vec![stage]);
        let preview = preview_policy(
            &catalog(),
            &package(),
            &draft,
            Some(&UserId::new("ann")),
            &directory(),
        );
        assert!(preview.stages[0].approvers.is_empty());
        assert!(preview.stages[0]
            .problem
            .clone()
            .unwrap_or_default()
            .contains("cannot approve their own request"));
    }
}
