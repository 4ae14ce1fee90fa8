//! Assignment policies: who may request an access package, who approves, how long access
//! lasts; and the pure evaluation of those rules.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{AccessPackage, Catalog};
use crate::directory::{DirectoryView, User, UserKind, UserState};
use crate::ids::{ConnectedOrgId, GroupId, PackageId, PolicyId, QuestionId, UserId};
use crate::organization::{ConnectedOrgState, ConnectedOrganization};

/// Who may request access through a policy (Entra's "Users who can request access").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RequestorScope {
    /// Nobody requests: administrators and assignment managers assign directly.
    #[serde(rename_all = "camelCase")]
    NoneAdminOnly,
    /// Specific people and members of specific groups of the directory.
    #[serde(rename_all = "camelCase")]
    SpecificDirectoryUsers {
        /// People named one by one.
        users: Vec<UserId>,
        /// Groups whose members may request.
        groups: Vec<GroupId>,
    },
    /// Every member of the directory (not guests).
    #[serde(rename_all = "camelCase")]
    AllMembers,
    /// Everyone in the directory, members and guests.
    #[serde(rename_all = "camelCase")]
    AllDirectoryUsers,
    /// People of the chosen connected organisations, including ones not yet in the directory.
    #[serde(rename_all = "camelCase")]
    SpecificConnectedOrganizations {
        /// The organisations.
        organizations: Vec<ConnectedOrgId>,
    },
    /// People of every configured connected organisation.
    #[serde(rename_all = "camelCase")]
    AllConfiguredConnectedOrganizations,
    /// Anyone: all connected organisations and any new external person.
    #[serde(rename_all = "camelCase")]
    AllExternalUsers,
}

impl RequestorScope {
    /// Whether the scope is about people outside the directory.
    pub fn is_external(&self) -> bool {
        matches!(
            self,
            RequestorScope::SpecificConnectedOrganizations { .. }
                | RequestorScope::AllConfiguredConnectedOrganizations
                | RequestorScope::AllExternalUsers
        )
    }
}

/// Someone who approves at a stage.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Approver {
    /// A named person.
    #[serde(rename_all = "camelCase")]
    User {
        /// The person.
        id: UserId,
    },
    /// Every member of a group.
    #[serde(rename_all = "camelCase")]
    GroupMembers {
        /// The group.
        id: GroupId,
    },
    /// The requestor's manager.
    #[serde(rename_all = "camelCase")]
    Manager,
    /// The sponsors of the requestor's connected organisation.
    #[serde(rename_all = "camelCase")]
    Sponsors,
}

/// Alternate approvers who take over a stage that waited too long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Escalation {
    /// Days without a decision after which the alternates are asked (less than the timeout).
    pub after_days: u32,
    /// The alternate approvers.
    pub approvers: Vec<Approver>,
}

/// One stage of approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalStage {
    /// The primary approvers.
    pub approvers: Vec<Approver>,
    /// Who approves when no primary approver resolves to a person.
    pub fallback_approvers: Vec<Approver>,
    /// Whether the approver must give a reason.
    pub approver_justification_required: bool,
    /// Days after which an undecided request is denied (1–14).
    pub decision_timeout_days: u32,
    /// Optional escalation to alternate approvers.
    pub escalation: Option<Escalation>,
}

/// How long an assignment lasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Expiration {
    /// Access lasts until removed.
    #[serde(rename_all = "camelCase")]
    Never,
    /// Access ends a number of days after it starts.
    #[serde(rename_all = "camelCase")]
    AfterDays {
        /// Days.
        days: u32,
    },
    /// Access ends a number of hours after it starts.
    #[serde(rename_all = "camelCase")]
    AfterHours {
        /// Hours.
        hours: u32,
    },
    /// Access ends on a fixed date.
    #[serde(rename_all = "camelCase")]
    OnDate {
        /// The end.
        #[serde(with = "time::serde::rfc3339")]
        date: OffsetDateTime,
    },
}

impl Expiration {
    /// When an assignment that starts at `start` ends under this rule, if ever.
    pub fn end_for(&self, start: OffsetDateTime) -> Option<OffsetDateTime> {
        match self {
            Expiration::Never => None,
            Expiration::AfterDays { days } => Some(start + time::Duration::days(i64::from(*days))),
            Expiration::AfterHours { hours } => Some(start + time::Duration::hours(i64::from(*hours))),
            Expiration::OnDate { date } => Some(*date),
        }
    }

    /// A short description for people ("90 days", "never expires").
    pub fn describe(&self) -> String {
        match self {
            Expiration::Never => "Never expires".to_owned(),
            Expiration::AfterDays { days: 1 } => "Expires after 1 day".to_owned(),
            Expiration::AfterDays { days } => format!("Expires after {days} days"),
            Expiration::AfterHours { hours: 1 } => "Expires after 1 hour".to_owned(),
            Expiration::AfterHours { hours } => format!("Expires after {hours} hours"),
            Expiration::OnDate { date } => {
                format!("Expires on {}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
            }
        }
    }
}

/// The kind of answer a question expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum QuestionKind {
    /// One line of text.
    #[serde(rename_all = "camelCase")]
    ShortText,
    /// Several lines of text.
    #[serde(rename_all = "camelCase")]
    LongText,
    /// One of a fixed list of choices.
    #[serde(rename_all = "camelCase")]
    Choice {
        /// The choices.
        options: Vec<String>,
    },
}

/// A question asked of the requestor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    /// Identifier, unique within the policy.
    pub id: QuestionId,
    /// The question.
    pub text: String,
    /// Whether an answer is required.
    pub required: bool,
    /// The kind of answer.
    pub kind: QuestionKind,
}

/// Every editable field of an assignment policy, as a form or the API sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyDraft {
    /// Display name.
    pub name: String,
    /// What the policy is for.
    pub description: String,
    /// Who may request.
    pub requestor_scope: RequestorScope,
    /// Whether new requests are accepted (a policy can stop without being deleted).
    pub accepting_requests: bool,
    /// Whether the requestor must give a reason.
    pub requestor_justification_required: bool,
    /// Questions asked of the requestor.
    pub questions: Vec<Question>,
    /// Zero to three approval stages; zero means no approval.
    pub stages: Vec<ApprovalStage>,
    /// How long access lasts.
    pub expiration: Expiration,
    /// Whether the holder may ask to extend before the end.
    pub extension_allowed: bool,
    /// Whether the requestor may choose a start and end within the expiration.
    pub requestor_may_choose_schedule: bool,
}

/// An assignment policy of one access package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentPolicy {
    /// Identifier.
    pub id: PolicyId,
    /// The package it belongs to.
    pub access_package_id: PackageId,
    /// The rules.
    #[serde(flatten)]
    pub rules: PolicyDraft,
}

impl AssignmentPolicy {
    /// Whether a request through this policy needs approval.
    pub fn approval_required(&self) -> bool {
        !self.rules.stages.is_empty()
    }
}

/// What evaluation needs to know about a prospective requestor.
#[derive(Debug, Clone, Copy)]
pub struct Requestor<'a> {
    /// The person.
    pub user: &'a User,
    /// Groups the person is a member of.
    pub groups: &'a [GroupId],
}

/// Whether the person falls within a policy's requestor scope. `organizations` are the
/// connected organisations known to the directory (to match e-mail domains and state).
pub fn in_scope(scope: &RequestorScope, person: &Requestor<'_>, organizations: &[ConnectedOrganization]) -> bool {
    let user = person.user;
    let organization = partner_of(user, organizations);
    match scope {
        RequestorScope::NoneAdminOnly => false,
        RequestorScope::SpecificDirectoryUsers { users, groups } => {
            users.contains(&user.id) || person.groups.iter().any(|group| groups.contains(group))
        }
        RequestorScope::AllMembers => user.kind == UserKind::Member,
        RequestorScope::AllDirectoryUsers => true,
        RequestorScope::SpecificConnectedOrganizations { organizations: chosen } => {
            user.kind == UserKind::Guest && organization.is_some_and(|org| chosen.contains(&org.id))
        }
        RequestorScope::AllConfiguredConnectedOrganizations => {
            user.kind == UserKind::Guest && organization.is_some_and(|org| org.state == ConnectedOrgState::Configured)
        }
        RequestorScope::AllExternalUsers => user.kind == UserKind::Guest,
    }
}

/// The connected organisation a guest belongs to: the one recorded on the account, else the
/// one owning the e-mail domain.
pub fn partner_of<'o>(user: &User, organizations: &'o [ConnectedOrganization]) -> Option<&'o ConnectedOrganization> {
    if user.kind != UserKind::Guest {
        return None;
    }
    if let Some(id) = &user.connected_organization {
        if let Some(found) = organizations.iter().find(|org| &org.id == id) {
            return Some(found);
        }
    }
    organizations.iter().find(|org| org.owns_domain(user.email_domain()))
}

/// The policies of `package` through which `person` may request it now, in the given order.
/// Nothing is requestable from a disabled catalog, by a blocked person, through a policy that
/// stopped accepting requests, or by a guest when the catalog is closed to external users.
pub fn requestable_policies<'p>(
    catalog: &Catalog,
    package: &AccessPackage,
    policies: &'p [AssignmentPolicy],
    person: &Requestor<'_>,
    organizations: &[ConnectedOrganization],
) -> Vec<&'p AssignmentPolicy> {
    if !catalog.enabled || person.user.state != UserState::Active {
        return Vec::new();
    }
    if person.user.kind == UserKind::Guest && !catalog.external_users_allowed {
        return Vec::new();
    }
    policies
        .iter()
        .filter(|policy| policy.access_package_id == package.id)
        .filter(|policy| policy.rules.accepting_requests)
        .filter(|policy| in_scope(&policy.rules.requestor_scope, person, organizations))
        .collect()
}

/// Who decides at one stage for one requestor, and whether the fallback was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedApprovers {
    /// The people who may decide, sorted, without the requestor.
    pub people: Vec<UserId>,
    /// True when the primary approvers resolved to nobody and the fallback approvers act.
    pub fallback_used: bool,
    /// True when the alternate (escalation) approvers act.
    pub escalated: bool,
}

/// The people a list of approver rules names for a requestor: the manager resolved, groups
/// expanded, inactive people and the requestor removed.
pub fn resolve_approvers(
    approvers: &[Approver],
    requestor: &User,
    directory: &dyn DirectoryView,
) -> Vec<UserId> {
    let mut people = Vec::new();
    for approver in approvers {
        match approver {
            Approver::User { id } => people.push(id.clone()),
            Approver::GroupMembers { id } => people.extend(directory.members_of(id)),
            Approver::Manager => people.extend(directory.manager_of(&requestor.id)),
            Approver::Sponsors => {
                if let Some(org) = &requestor.connected_organization {
                    people.extend(directory.sponsors_of(org));
                }
            }
        }
    }
    people.retain(|person| person != &requestor.id && directory.is_active(person));
    people.sort();
    people.dedup();
    people
}

/// Who decides at `stage` (0-based) of `policy` for `requestor`; `escalated` when the stage
/// has been escalated to its alternate approvers. `None` when the stage does not exist.
pub fn stage_approvers(
    policy: &AssignmentPolicy,
    stage: usize,
    escalated: bool,
    requestor: &User,
    directory: &dyn DirectoryView,
) -> Option<ResolvedApprovers> {
    let definition = policy.rules.stages.get(stage)?;
    if escalated {
        if let Some(escalation) = &definition.escalation {
            return Some(ResolvedApprovers {
                people: resolve_approvers(&escalation.approvers, requestor, directory),
                fallback_used: false,
                escalated: true,
            });
        }
    }
    let primary = resolve_approvers(&definition.approvers, requestor, directory);
    if !primary.is_empty() {
        return Some(ResolvedApprovers { people: primary, fallback_used: false, escalated: false });
    }
    Some(ResolvedApprovers {
        people: resolve_approvers(&definition.fallback_approvers, requestor, directory),
        fallback_used: true,
        escalated: false,
    })
}
