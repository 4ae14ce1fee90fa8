//! Assignment policies: who may request an access package, who approves, how long access
//! lasts; and the pure evaluation of those rules.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{AccessPackage, Catalog};
use crate::directory::{DirectoryView, SponsorKind, User, UserKind, UserState};
use crate::error::{FieldError, FieldErrors};
use crate::ids::{ConnectedOrgId, GroupId, PackageId, PolicyId, QuestionId, UserId};
use crate::organization::{ConnectedOrgState, ConnectedOrganization};

/// Who may request access through a policy (Entra's "Users who can request access").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// The sponsors of the requestor's connected organisation, internal and external.
    #[serde(rename_all = "camelCase")]
    Sponsors,
    /// The internal sponsors (people of this organisation) of the requestor's connected
    /// organisation.
    #[serde(rename_all = "camelCase")]
    InternalSponsors,
    /// The external sponsors (people of the partner itself) of the requestor's connected
    /// organisation.
    #[serde(rename_all = "camelCase")]
    ExternalSponsors,
}

impl Approver {
    /// The kinds of sponsors this approver names; empty when it names no sponsors.
    pub fn sponsor_kinds(&self) -> &'static [SponsorKind] {
        match self {
            Approver::Sponsors => &[SponsorKind::Internal, SponsorKind::External],
            Approver::InternalSponsors => &[SponsorKind::Internal],
            Approver::ExternalSponsors => &[SponsorKind::External],
            Approver::User { .. } | Approver::GroupMembers { .. } | Approver::Manager => &[],
        }
    }

    /// Whether this approver names sponsors of the requestor's organisation.
    pub fn is_sponsors(&self) -> bool {
        !self.sponsor_kinds().is_empty()
    }
}

/// Alternate approvers who take over a stage that waited too long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Escalation {
    /// Days without a decision after which the alternates are asked (less than the timeout).
    pub after_days: u32,
    /// The alternate approvers.
    pub approvers: Vec<Approver>,
}

/// One stage of approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApprovalStage {
    /// The primary approvers.
    #[cfg_attr(feature = "openapi", schema(max_items = 25))]
    pub approvers: Vec<Approver>,
    /// Who approves when no primary approver resolves to a person.
    #[cfg_attr(feature = "openapi", schema(max_items = 25))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// The latest end an expiration rule computes: ends that would overflow the calendar
/// saturate here.
pub const LATEST_END: OffsetDateTime = time::macros::datetime!(9999-12-31 23:59:59 UTC);

impl Expiration {
    /// When an assignment that starts at `start` ends under this rule, if ever. An end past
    /// the last representable instant saturates to [`LATEST_END`] (never a panic).
    pub fn end_for(&self, start: OffsetDateTime) -> Option<OffsetDateTime> {
        let after = |duration: time::Duration| {
            Some(start.checked_add(duration).unwrap_or(LATEST_END.max(start)))
        };
        match self {
            Expiration::Never => None,
            Expiration::AfterDays { days } => after(time::Duration::days(i64::from(*days))),
            Expiration::AfterHours { hours } => after(time::Duration::hours(i64::from(*hours))),
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
                format!(
                    "Expires on {}-{:02}-{:02}",
                    date.year(),
                    u8::from(date.month()),
                    date.day()
                )
            }
        }
    }
}

/// The kind of answer a question expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Question {
    /// Identifier, unique within the policy.
    #[cfg_attr(feature = "openapi", schema(value_type = String, max_length = 64))]
    pub id: QuestionId,
    /// The question.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub text: String,
    /// Whether an answer is required.
    pub required: bool,
    /// The kind of answer.
    pub kind: QuestionKind,
}

/// Every editable field of an assignment policy, as a form or the API sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PolicyDraft {
    /// Display name.
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: String,
    /// What the policy is for.
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub description: String,
    /// Who may request.
    pub requestor_scope: RequestorScope,
    /// Whether new requests are accepted (a policy can stop without being deleted).
    pub accepting_requests: bool,
    /// Whether the requestor must give a reason.
    pub requestor_justification_required: bool,
    /// Questions asked of the requestor.
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub questions: Vec<Question>,
    /// Zero to three approval stages; zero means no approval.
    #[cfg_attr(feature = "openapi", schema(max_items = 3))]
    pub stages: Vec<ApprovalStage>,
    /// How long access lasts.
    pub expiration: Expiration,
    /// Whether the holder may ask to extend before the end.
    pub extension_allowed: bool,
    /// Whether the requestor may choose a start and end within the expiration.
    pub requestor_may_choose_schedule: bool,
}

/// An assignment policy of one access package.
///
/// On the wire its rules sit beside its id (`#[serde(flatten)]`). It is read through
/// [`AssignmentPolicyWire`] rather than serde's flatten, which buffers every field and
/// compiles a second reader of the whole policy: 170 KB of the web app's first load (issue 12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", from = "AssignmentPolicyWire")]
pub struct AssignmentPolicy {
    /// Identifier.
    pub id: PolicyId,
    /// The package it belongs to.
    pub access_package_id: PackageId,
    /// The rules.
    #[serde(flatten)]
    pub rules: PolicyDraft,
}

/// [`AssignmentPolicy`] as it is read: the same fields, flat.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssignmentPolicyWire {
    id: PolicyId,
    access_package_id: PackageId,
    name: String,
    description: String,
    requestor_scope: RequestorScope,
    accepting_requests: bool,
    requestor_justification_required: bool,
    questions: Vec<Question>,
    stages: Vec<ApprovalStage>,
    expiration: Expiration,
    extension_allowed: bool,
    requestor_may_choose_schedule: bool,
}

impl From<AssignmentPolicyWire> for AssignmentPolicy {
    fn from(wire: AssignmentPolicyWire) -> Self {
        AssignmentPolicy {
            id: wire.id,
            access_package_id: wire.access_package_id,
            rules: PolicyDraft {
                name: wire.name,
                description: wire.description,
                requestor_scope: wire.requestor_scope,
                accepting_requests: wire.accepting_requests,
                requestor_justification_required: wire.requestor_justification_required,
                questions: wire.questions,
                stages: wire.stages,
                expiration: wire.expiration,
                extension_allowed: wire.extension_allowed,
                requestor_may_choose_schedule: wire.requestor_may_choose_schedule,
            },
        }
    }
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
pub fn in_scope(
    scope: &RequestorScope,
    person: &Requestor<'_>,
    organizations: &[ConnectedOrganization],
) -> bool {
    let user = person.user;
    let organization = partner_of(user, organizations);
    match scope {
        RequestorScope::NoneAdminOnly => false,
        // People outside the directory (sign-ups) are never in a directory scope.
        RequestorScope::SpecificDirectoryUsers { users, groups } => {
            user.kind.in_directory()
                && (users.contains(&user.id)
                    || person.groups.iter().any(|group| groups.contains(group)))
        }
        RequestorScope::AllMembers => user.kind == UserKind::Member,
        RequestorScope::AllDirectoryUsers => user.kind.in_directory(),
        RequestorScope::SpecificConnectedOrganizations {
            organizations: chosen,
        } => user.kind.is_external() && organization.is_some_and(|org| chosen.contains(&org.id)),
        RequestorScope::AllConfiguredConnectedOrganizations => {
            user.kind.is_external()
                && organization.is_some_and(|org| org.state == ConnectedOrgState::Configured)
        }
        RequestorScope::AllExternalUsers => user.kind.is_external(),
    }
}

/// The connected organisation an external person (a guest or a sign-up) belongs to: the one
/// recorded on the account, else the one owning the e-mail domain (exact or a subdomain;
/// look-alikes never match).
pub fn partner_of<'o>(
    user: &User,
    organizations: &'o [ConnectedOrganization],
) -> Option<&'o ConnectedOrganization> {
    if !user.kind.is_external() {
        return None;
    }
    if let Some(id) = &user.connected_organization {
        if let Some(found) = organizations.iter().find(|org| &org.id == id) {
            return Some(found);
        }
    }
    organizations
        .iter()
        .find(|org| org.owns_domain(user.email_domain()))
}

/// The policies of `package` through which `person` may request it now, in the given order.
/// Nothing is requestable from a disabled catalog or an archived package, by a blocked
/// person, through a policy that stopped accepting requests, or by a guest when the catalog
/// is closed to external users.
pub fn requestable_policies<'p>(
    catalog: &Catalog,
    package: &AccessPackage,
    policies: &'p [AssignmentPolicy],
    person: &Requestor<'_>,
    organizations: &[ConnectedOrganization],
) -> Vec<&'p AssignmentPolicy> {
    if !catalog.enabled || package.archived || person.user.state != UserState::Active {
        return Vec::new();
    }
    if person.user.kind.is_external() && !catalog.external_users_allowed {
        return Vec::new();
    }
    policies
        .iter()
        .filter(|policy| policy.access_package_id == package.id)
        .filter(|policy| policy.rules.accepting_requests)
        .filter(|policy| in_scope(&policy.rules.requestor_scope, person, organizations))
        .collect()
}

/// Whether `person` may see `package` at all: open it by its link, find it named on a
/// card, or ask for it. Members see every package, hidden ones too (by their link). A
/// guest sees a package only when its catalog is open to external users and one of its
/// `policies` could admit them (in scope, whether or not it accepts requests today), or
/// when `involved` (they hold it or have a request for it). To anyone else it is "not
/// found", exactly like an id that doesn't exist, so that its name and what it grants
/// stay private.
pub fn package_visible(
    catalog: &Catalog,
    package: &AccessPackage,
    policies: &[AssignmentPolicy],
    person: &Requestor<'_>,
    organizations: &[ConnectedOrganization],
    involved: bool,
) -> bool {
    if !person.user.kind.is_external() || involved {
        return true;
    }
    catalog.external_users_allowed
        && policies
            .iter()
            .filter(|policy| policy.access_package_id == package.id)
            .any(|policy| in_scope(&policy.rules.requestor_scope, person, organizations))
}

/// Who decides at one stage for one requestor, and whether the fallback was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
            Approver::Sponsors | Approver::InternalSponsors | Approver::ExternalSponsors => {
                if let Some(org) = directory.organization_of(requestor) {
                    for kind in approver.sponsor_kinds() {
                        people.extend(directory.sponsors_of(&org, *kind));
                    }
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
        return Some(ResolvedApprovers {
            people: primary,
            fallback_used: false,
            escalated: false,
        });
    }
    Some(ResolvedApprovers {
        people: resolve_approvers(&definition.fallback_approvers, requestor, directory),
        fallback_used: true,
        escalated: false,
    })
}

/// The most approval stages a policy may have.
pub const MAX_STAGES: usize = 3;
/// The longest policy name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest policy description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// The longest question text, in characters.
pub const MAX_QUESTION_CHARS: usize = 500;
/// The most questions a policy asks.
pub const MAX_QUESTIONS: usize = 20;
/// The longest question id, in characters.
pub const MAX_QUESTION_ID_CHARS: usize = 64;
/// The most choices a multiple-choice question offers.
pub const MAX_CHOICES: usize = 30;
/// The longest choice, in characters.
pub const MAX_CHOICE_CHARS: usize = 200;
/// The longest answer to a question, in characters.
pub const MAX_ANSWER_CHARS: usize = 1000;
/// The most approvers in one list of a stage (primary, fallback or escalation).
pub const MAX_APPROVERS: usize = 25;
/// The most people, groups or organisations a requestor scope names.
pub const MAX_SCOPE_ENTRIES: usize = 100;
/// The allowed decision timeouts of a stage, in days.
pub const DECISION_TIMEOUT_DAYS: std::ops::RangeInclusive<u32> = 1..=14;
/// The allowed "expires after N days" values (ten years at most).
pub const EXPIRATION_DAYS: std::ops::RangeInclusive<u32> = 1..=3650;
/// The allowed "expires after N hours" values (one year at most).
pub const EXPIRATION_HOURS: std::ops::RangeInclusive<u32> = 1..=8760;

/// Checks every clock-free rule of a policy draft and returns every field error at once,
/// with paths as the API names the fields (`stages[1].approvers`, `questions[0].kind.options`).
/// On success it returns the draft with its name and description trimmed.
///
/// Whether an `OnDate` expiration lies in the future needs the current time: use
/// [`validate_policy_at`] for that.
pub fn validate_policy(draft: &PolicyDraft) -> Result<PolicyDraft, FieldErrors> {
    let errors = policy_errors(draft);
    FieldErrors::into_result(errors, || trimmed_policy(draft))
}

/// [`validate_policy`], and also that an `OnDate` expiration lies after `now`.
pub fn validate_policy_at(
    draft: &PolicyDraft,
    now: OffsetDateTime,
) -> Result<PolicyDraft, FieldErrors> {
    let mut errors = policy_errors(draft);
    if let Expiration::OnDate { date } = &draft.expiration {
        if *date <= now {
            errors.push(FieldError::new(
                "expiration.date",
                "Choose an end date in the future.",
            ));
        }
    }
    FieldErrors::into_result(errors, || trimmed_policy(draft))
}

fn trimmed_policy(draft: &PolicyDraft) -> PolicyDraft {
    PolicyDraft {
        name: draft.name.trim().to_owned(),
        description: draft.description.trim().to_owned(),
        ..draft.clone()
    }
}

fn policy_errors(draft: &PolicyDraft) -> Vec<FieldError> {
    let mut errors = Vec::new();

    let name = draft.name.trim();
    if name.is_empty() {
        errors.push(FieldError::new("name", "Enter a name for the policy."));
    } else if name.chars().count() > MAX_NAME_CHARS {
        errors.push(FieldError::new(
            "name",
            format!("Use at most {MAX_NAME_CHARS} characters for the name."),
        ));
    }
    if draft.description.trim().chars().count() > MAX_DESCRIPTION_CHARS {
        errors.push(FieldError::new(
            "description",
            format!("Use at most {MAX_DESCRIPTION_CHARS} characters for the description."),
        ));
    }

    scope_errors(&draft.requestor_scope, &mut errors);
    stages_errors(draft, &mut errors);
    question_errors(&draft.questions, &mut errors);
    expiration_errors(draft, &mut errors);
    errors
}

fn scope_errors(scope: &RequestorScope, errors: &mut Vec<FieldError>) {
    let too_many = |count: usize, field: &str, errors: &mut Vec<FieldError>| {
        if count > MAX_SCOPE_ENTRIES {
            errors.push(FieldError::new(
                field,
                format!("Name at most {MAX_SCOPE_ENTRIES}; use a group for more people."),
            ));
        }
    };
    match scope {
        RequestorScope::SpecificDirectoryUsers { users, groups } => {
            too_many(users.len(), "requestorScope.users", errors);
            too_many(groups.len(), "requestorScope.groups", errors);
        }
        RequestorScope::SpecificConnectedOrganizations { organizations } => {
            too_many(organizations.len(), "requestorScope.organizations", errors);
        }
        _ => {}
    }
    match scope {
        RequestorScope::SpecificDirectoryUsers { users, groups }
            if users.is_empty() && groups.is_empty() =>
        {
            errors.push(FieldError::new(
                "requestorScope.users",
                "Choose at least one user or group who may request access.",
            ));
        }
        RequestorScope::SpecificConnectedOrganizations { organizations }
            if organizations.is_empty() =>
        {
            errors.push(FieldError::new(
                "requestorScope.organizations",
                "Choose at least one connected organization.",
            ));
        }
        _ => {}
    }
}

fn stages_errors(draft: &PolicyDraft, errors: &mut Vec<FieldError>) {
    let scope = &draft.requestor_scope;
    if *scope == RequestorScope::NoneAdminOnly && !draft.stages.is_empty() {
        errors.push(FieldError::new(
            "stages",
            "Policies for direct assignment only have no approval stages.",
        ));
    } else if draft.stages.len() > MAX_STAGES {
        errors.push(FieldError::new(
            "stages",
            "Use at most three approval stages.",
        ));
    }

    for (index, stage) in draft.stages.iter().enumerate() {
        let path = format!("stages[{index}]");
        if stage.approvers.is_empty() {
            errors.push(FieldError::new(
                format!("{path}.approvers"),
                "Choose at least one approver.",
            ));
        }
        approver_kind_errors(
            &stage.approvers,
            scope,
            &format!("{path}.approvers"),
            errors,
        );
        approver_kind_errors(
            &stage.fallback_approvers,
            scope,
            &format!("{path}.fallbackApprovers"),
            errors,
        );
        let timeout = stage.decision_timeout_days;
        if !DECISION_TIMEOUT_DAYS.contains(&timeout) {
            errors.push(FieldError::new(
                format!("{path}.decisionTimeoutDays"),
                "Choose a decision timeout from 1 to 14 days.",
            ));
        }
        if let Some(escalation) = &stage.escalation {
            if escalation.after_days < 1 || escalation.after_days >= timeout {
                errors.push(FieldError::new(
                    format!("{path}.escalation.afterDays"),
                    format!(
                        "Escalate after at least 1 day and before the decision timeout \
                         ({timeout} days)."
                    ),
                ));
            }
            let escalation_path = format!("{path}.escalation.approvers");
            if escalation.approvers.is_empty() {
                errors.push(FieldError::new(
                    escalation_path.as_str(),
                    "Choose at least one alternate approver.",
                ));
            }
            approver_kind_errors(&escalation.approvers, scope, &escalation_path, errors);
        }
    }
}

/// Manager and sponsor approvers only make sense for some requestor scopes.
fn approver_kind_errors(
    approvers: &[Approver],
    scope: &RequestorScope,
    path: &str,
    errors: &mut Vec<FieldError>,
) {
    if approvers.len() > MAX_APPROVERS {
        errors.push(FieldError::new(
            path,
            format!("Choose at most {MAX_APPROVERS} approvers; use a group for more people."),
        ));
    }
    if scope.is_external() && approvers.contains(&Approver::Manager) {
        errors.push(FieldError::new(
            path,
            "People from connected organizations have no manager in the directory; \
             choose their sponsors or named approvers instead.",
        ));
    }
    if !scope.is_external() && approvers.iter().any(Approver::is_sponsors) {
        errors.push(FieldError::new(
            path,
            "Sponsors approve only for people from connected organizations; \
             choose the manager or named approvers instead.",
        ));
    }
}

fn question_errors(questions: &[Question], errors: &mut Vec<FieldError>) {
    if questions.len() > MAX_QUESTIONS {
        // One error for the list: checking thousands of questions one by one would only
        // bury it.
        errors.push(FieldError::new(
            "questions",
            format!("Ask at most {MAX_QUESTIONS} questions."),
        ));
        return;
    }
    let mut seen_ids = std::collections::BTreeSet::new();
    for (index, question) in questions.iter().enumerate() {
        let path = format!("questions[{index}]");
        if question.id.as_str().trim().is_empty() {
            errors.push(FieldError::new(
                format!("{path}.id"),
                "Give the question an id.",
            ));
        } else if question.id.as_str().chars().count() > MAX_QUESTION_ID_CHARS {
            errors.push(FieldError::new(
                format!("{path}.id"),
                format!("Use at most {MAX_QUESTION_ID_CHARS} characters for the id."),
            ));
        } else if !seen_ids.insert(question.id.as_str()) {
            errors.push(FieldError::new(
                format!("{path}.id"),
                "Another question already uses this id.",
            ));
        }
        let text = question.text.trim();
        if text.is_empty() {
            errors.push(FieldError::new(
                format!("{path}.text"),
                "Enter the question.",
            ));
        } else if text.chars().count() > MAX_QUESTION_CHARS {
            errors.push(FieldError::new(
                format!("{path}.text"),
                format!("Use at most {MAX_QUESTION_CHARS} characters for the question."),
            ));
        }
        if let QuestionKind::Choice { options } = &question.kind {
            if let Some(message) = choice_options_problem(options) {
                errors.push(FieldError::new(format!("{path}.kind.options"), message));
            }
        }
    }
}

fn choice_options_problem(options: &[String]) -> Option<String> {
    if options.len() > MAX_CHOICES {
        return Some(format!("Offer at most {MAX_CHOICES} choices."));
    }
    if options
        .iter()
        .any(|option| option.trim().chars().count() > MAX_CHOICE_CHARS)
    {
        return Some(format!(
            "Use at most {MAX_CHOICE_CHARS} characters for each choice."
        ));
    }
    let mut distinct = std::collections::BTreeSet::new();
    let mut blank = false;
    let mut repeated = false;
    for option in options {
        let option = option.trim();
        if option.is_empty() {
            blank = true;
        } else if !distinct.insert(option) {
            repeated = true;
        }
    }
    let problem = if distinct.len() < 2 {
        "Give at least two different choices."
    } else if blank {
        "Fill in every choice or remove the empty ones."
    } else if repeated {
        "Each choice must be different."
    } else {
        return None;
    };
    Some(problem.to_owned())
}

fn expiration_errors(draft: &PolicyDraft, errors: &mut Vec<FieldError>) {
    match &draft.expiration {
        Expiration::AfterDays { days } if !EXPIRATION_DAYS.contains(days) => {
            errors.push(FieldError::new(
                "expiration.days",
                "Choose from 1 to 3650 days.",
            ));
        }
        Expiration::AfterHours { hours } if !EXPIRATION_HOURS.contains(hours) => {
            errors.push(FieldError::new(
                "expiration.hours",
                "Choose from 1 to 8760 hours.",
            ));
        }
        _ => {}
    }
    if draft.extension_allowed && draft.expiration == Expiration::Never {
        errors.push(FieldError::new(
            "extensionAllowed",
            "Access that never expires can't be extended; choose an expiration first.",
        ));
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::datetime;

    use super::*;
    use crate::organization::ConnectedOrgState;
    use crate::testkit::{
        catalog, guest, member, named, organization, policy_with, stage, t0, valid_draft, Directory,
    };

    // ---- validate_policy -------------------------------------------------------------

    /// Edits a valid draft and checks which fields `validate_policy_at` (at `t0`) reports.
    fn check(edit: impl FnOnce(&mut PolicyDraft), expected_fields: &[&str]) {
        let mut draft = valid_draft();
        edit(&mut draft);
        let fields: Vec<String> = match validate_policy_at(&draft, t0()) {
            Ok(_) => Vec::new(),
            Err(FieldErrors(errors)) => {
                assert!(errors.iter().all(|error| !error.message.is_empty()));
                errors.into_iter().map(|error| error.field).collect()
            }
        };
        assert_eq!(fields, expected_fields, "draft: {draft:#?}");
    }

    fn long(chars: usize) -> String {
        "x".repeat(chars)
    }

    fn external() -> RequestorScope {
        RequestorScope::AllExternalUsers
    }

    fn escalation(after_days: u32, approvers: Vec<Approver>) -> Option<Escalation> {
        Some(Escalation {
            after_days,
            approvers,
        })
    }

    fn question(id: &str, text: &str, kind: QuestionKind) -> Question {
        Question {
            id: QuestionId::new(id),
            text: text.to_owned(),
            required: true,
            kind,
        }
    }

    fn choice(options: &[&str]) -> QuestionKind {
        QuestionKind::Choice {
            options: options.iter().map(|option| (*option).to_owned()).collect(),
        }
    }

    #[test]
    fn valid_draft_passes_with_name_and_description_trimmed() {
        let mut draft = valid_draft();
        draft.name = "  All employees \n".to_owned();
        draft.description = "\tAny member may ask. ".to_owned();
        let valid = validate_policy(&draft).expect("valid");
        assert_eq!(valid.name, "All employees");
        assert_eq!(valid.description, "Any member may ask.");
        assert_eq!(valid.stages, draft.stages);
    }

    #[test]
    fn name_must_not_be_blank() {
        check(|d| d.name = "   ".to_owned(), &["name"]);
    }

    #[test]
    fn name_may_have_100_characters_after_trimming() {
        check(|d| d.name = format!("  {}  ", long(100)), &[]);
        check(|d| d.name = "é".repeat(100), &[]);
    }

    #[test]
    fn name_longer_than_100_characters_is_refused() {
        check(|d| d.name = long(101), &["name"]);
    }

    #[test]
    fn description_longer_than_1000_characters_is_refused() {
        check(|d| d.description = long(1000), &[]);
        check(|d| d.description = long(1001), &["description"]);
    }

    #[test]
    fn specific_directory_users_need_a_user_or_a_group() {
        let scope = |users: Vec<&str>, groups: Vec<&str>| RequestorScope::SpecificDirectoryUsers {
            users: users.into_iter().map(UserId::new).collect(),
            groups: groups.into_iter().map(GroupId::new).collect(),
        };
        check(
            |d| d.requestor_scope = scope(vec![], vec![]),
            &["requestorScope.users"],
        );
        check(|d| d.requestor_scope = scope(vec!["carol"], vec![]), &[]);
        check(
            |d| d.requestor_scope = scope(vec![], vec!["grp-sales"]),
            &[],
        );
    }

    #[test]
    fn specific_connected_organizations_need_an_organization() {
        let scope = |ids: Vec<&str>| RequestorScope::SpecificConnectedOrganizations {
            organizations: ids.into_iter().map(ConnectedOrgId::new).collect(),
        };
        check(
            |d| {
                d.requestor_scope = scope(vec![]);
                d.stages = vec![stage(vec![Approver::Sponsors])];
            },
            &["requestorScope.organizations"],
        );
        check(
            |d| {
                d.requestor_scope = scope(vec!["org-fabrikam"]);
                d.stages = vec![stage(vec![Approver::Sponsors])];
            },
            &[],
        );
    }

    #[test]
    fn at_most_three_stages() {
        check(|d| d.stages = vec![stage(vec![named("bob")]); 3], &[]);
        check(
            |d| d.stages = vec![stage(vec![named("bob")]); 4],
            &["stages"],
        );
    }

    #[test]
    fn no_stages_is_valid() {
        check(|d| d.stages.clear(), &[]);
    }

    #[test]
    fn direct_assignment_only_policies_have_no_stages() {
        check(
            |d| {
                d.requestor_scope = RequestorScope::NoneAdminOnly;
                d.stages.clear();
            },
            &[],
        );
        let mut draft = valid_draft();
        draft.requestor_scope = RequestorScope::NoneAdminOnly;
        let errors = validate_policy(&draft).expect_err("stages with admin-only");
        assert_eq!(
            errors.for_field("stages"),
            Some("Policies for direct assignment only have no approval stages.")
        );
    }

    #[test]
    fn every_stage_needs_an_approver() {
        check(
            |d| d.stages = vec![stage(vec![named("bob")]), stage(vec![])],
            &["stages[1].approvers"],
        );
    }

    #[test]
    fn decision_timeout_is_1_to_14_days() {
        for (days, expected) in [
            (0, &["stages[0].decisionTimeoutDays"][..]),
            (1, &[]),
            (14, &[]),
            (15, &["stages[0].decisionTimeoutDays"]),
        ] {
            check(|d| d.stages[0].decision_timeout_days = days, expected);
        }
    }

    #[test]
    fn escalation_comes_after_at_least_a_day_and_before_the_timeout() {
        for (after_days, expected) in [
            (0, &["stages[0].escalation.afterDays"][..]),
            (1, &[]),
            (6, &[]),
            (7, &["stages[0].escalation.afterDays"]),
            (8, &["stages[0].escalation.afterDays"]),
        ] {
            check(
                |d| d.stages[0].escalation = escalation(after_days, vec![named("dave")]),
                expected,
            );
        }
    }

    #[test]
    fn escalation_needs_alternate_approvers() {
        check(
            |d| d.stages[0].escalation = escalation(3, vec![]),
            &["stages[0].escalation.approvers"],
        );
    }

    #[test]
    fn manager_does_not_approve_for_external_scopes() {
        check(
            |d| {
                d.requestor_scope = external();
                d.stages[0].approvers = vec![Approver::Manager];
            },
            &["stages[0].approvers"],
        );
        let mut draft = valid_draft();
        draft.requestor_scope = external();
        draft.stages[0].approvers = vec![Approver::Manager];
        let errors = validate_policy(&draft).expect_err("manager for guests");
        let message = errors.for_field("stages[0].approvers").unwrap_or_default();
        assert!(message.contains("sponsors"), "{message}");
    }

    #[test]
    fn manager_is_refused_in_fallback_and_escalation_of_external_scopes() {
        check(
            |d| {
                d.requestor_scope = external();
                d.stages[0].fallback_approvers = vec![Approver::Manager];
            },
            &["stages[0].fallbackApprovers"],
        );
        check(
            |d| {
                d.requestor_scope = external();
                d.stages[0].escalation = escalation(2, vec![Approver::Manager]);
            },
            &["stages[0].escalation.approvers"],
        );
    }

    #[test]
    fn manager_approves_for_directory_scopes() {
        check(|d| d.stages[0].approvers = vec![Approver::Manager], &[]);
    }

    #[test]
    fn sponsors_approve_only_for_external_scopes() {
        check(
            |d| d.stages[0].approvers = vec![Approver::Sponsors],
            &["stages[0].approvers"],
        );
        check(
            |d| {
                d.requestor_scope = external();
                d.stages[0].approvers = vec![Approver::Sponsors];
            },
            &[],
        );
        for approver in [Approver::InternalSponsors, Approver::ExternalSponsors] {
            check(
                |d| d.stages[0].approvers = vec![approver.clone()],
                &["stages[0].approvers"],
            );
            check(
                |d| {
                    d.requestor_scope = external();
                    d.stages[0].approvers = vec![approver.clone()];
                },
                &[],
            );
        }
    }

    #[test]
    fn question_text_must_not_be_blank() {
        check(
            |d| {
                d.questions = vec![
                    question("q1", "Why?", QuestionKind::ShortText),
                    question("q2", "Team?", QuestionKind::LongText),
                    question("q3", "  ", QuestionKind::ShortText),
                ]
            },
            &["questions[2].text"],
        );
    }

    #[test]
    fn question_text_has_at_most_500_characters() {
        check(
            |d| d.questions = vec![question("q1", &long(500), QuestionKind::ShortText)],
            &[],
        );
        check(
            |d| d.questions = vec![question("q1", &long(501), QuestionKind::ShortText)],
            &["questions[0].text"],
        );
    }

    fn questions(count: usize) -> Vec<Question> {
        (0..count)
            .map(|index| question(&format!("q{index}"), "Why?", QuestionKind::ShortText))
            .collect()
    }

    #[test]
    fn a_policy_asks_at_most_twenty_questions() {
        check(|d| d.questions = questions(MAX_QUESTIONS), &[]);
        check(
            |d| d.questions = questions(MAX_QUESTIONS + 1),
            &["questions"],
        );
        // The attack of issue 8: 3,000 questions get one clear error, not 3,000.
        check(|d| d.questions = questions(3000), &["questions"]);
    }

    #[test]
    fn choices_are_bounded_in_number_and_length() {
        let many: Vec<String> = (0..=MAX_CHOICES).map(|index| format!("c{index}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        check(
            |d| d.questions = vec![question("q1", "Which?", choice(&many[..MAX_CHOICES]))],
            &[],
        );
        check(
            |d| d.questions = vec![question("q1", "Which?", choice(&many))],
            &["questions[0].kind.options"],
        );
        let wide = long(MAX_CHOICE_CHARS + 1);
        check(
            |d| d.questions = vec![question("q1", "Which?", choice(&["a", &wide]))],
            &["questions[0].kind.options"],
        );
        check(
            |d| {
                d.questions = vec![question(
                    &long(MAX_QUESTION_ID_CHARS + 1),
                    "Why?",
                    QuestionKind::ShortText,
                )]
            },
            &["questions[0].id"],
        );
    }

    #[test]
    fn approver_lists_and_scopes_are_bounded() {
        let people = |count: usize| {
            (0..count)
                .map(|i| named(&format!("u{i}")))
                .collect::<Vec<_>>()
        };
        check(|d| d.stages = vec![stage(people(MAX_APPROVERS))], &[]);
        check(
            |d| d.stages = vec![stage(people(MAX_APPROVERS + 1))],
            &["stages[0].approvers"],
        );
        check(
            |d| {
                let mut with_fallback = stage(people(1));
                with_fallback.fallback_approvers = people(MAX_APPROVERS + 1);
                d.stages = vec![with_fallback];
            },
            &["stages[0].fallbackApprovers"],
        );
        check(
            |d| {
                d.requestor_scope = RequestorScope::SpecificDirectoryUsers {
                    users: (0..=MAX_SCOPE_ENTRIES)
                        .map(|i| UserId::new(format!("u{i}")))
                        .collect(),
                    groups: vec![],
                }
            },
            &["requestorScope.users"],
        );
    }

    #[test]
    fn question_ids_are_unique_and_not_blank() {
        check(
            |d| {
                d.questions = vec![
                    question("q1", "Why?", QuestionKind::ShortText),
                    question("q1", "Team?", QuestionKind::ShortText),
                ]
            },
            &["questions[1].id"],
        );
        check(
            |d| d.questions = vec![question(" ", "Why?", QuestionKind::ShortText)],
            &["questions[0].id"],
        );
    }

    #[test]
    fn choice_questions_need_two_distinct_filled_in_options() {
        for (options, expected) in [
            (&["Hardware", "Firmware"][..], &[][..]),
            (&[], &["questions[0].kind.options"]),
            (&["Hardware"], &["questions[0].kind.options"]),
            (&["Hardware", " Hardware "], &["questions[0].kind.options"]),
            (
                &["Hardware", "Firmware", "  "],
                &["questions[0].kind.options"],
            ),
            (
                &["Hardware", "Firmware", "Firmware"],
                &["questions[0].kind.options"],
            ),
        ] {
            check(
                |d| d.questions = vec![question("q1", "Which?", choice(options))],
                expected,
            );
        }
    }

    #[test]
    fn expiration_after_days_is_1_to_3650() {
        for (days, expected) in [
            (0, &["expiration.days"][..]),
            (1, &[]),
            (3650, &[]),
            (3651, &["expiration.days"]),
        ] {
            check(|d| d.expiration = Expiration::AfterDays { days }, expected);
        }
    }

    #[test]
    fn expiration_after_hours_is_1_to_8760() {
        for (hours, expected) in [
            (0, &["expiration.hours"][..]),
            (1, &[]),
            (8760, &[]),
            (8761, &["expiration.hours"]),
        ] {
            check(
                |d| d.expiration = Expiration::AfterHours { hours },
                expected,
            );
        }
    }

    #[test]
    fn expiration_date_must_lie_after_now() {
        let on = |date| Expiration::OnDate { date };
        check(|d| d.expiration = on(t0()), &["expiration.date"]);
        check(
            |d| d.expiration = on(datetime!(2020-01-01 0:00 UTC)),
            &["expiration.date"],
        );
        check(|d| d.expiration = on(datetime!(2026-12-31 0:00 UTC)), &[]);
    }

    #[test]
    fn clock_free_validation_does_not_judge_the_expiration_date() {
        let mut draft = valid_draft();
        draft.expiration = Expiration::OnDate {
            date: datetime!(2020-01-01 0:00 UTC),
        };
        assert!(validate_policy(&draft).is_ok());
    }

    #[test]
    fn extension_needs_an_expiration() {
        check(
            |d| {
                d.expiration = Expiration::Never;
                d.extension_allowed = true;
            },
            &["extensionAllowed"],
        );
        check(
            |d| {
                d.expiration = Expiration::Never;
                d.extension_allowed = false;
            },
            &[],
        );
    }

    #[test]
    fn every_error_is_reported_at_once() {
        check(
            |d| {
                d.name = String::new();
                d.stages = vec![stage(vec![]), stage(vec![named("bob")])];
                d.stages[1].decision_timeout_days = 20;
                d.questions = vec![question("q1", "", choice(&["only"]))];
                d.expiration = Expiration::AfterHours { hours: 0 };
            },
            &[
                "name",
                "stages[0].approvers",
                "stages[1].decisionTimeoutDays",
                "questions[0].text",
                "questions[0].kind.options",
                "expiration.hours",
            ],
        );
    }

    #[test]
    fn expiration_end_saturates_instead_of_overflowing() {
        let late = datetime!(9999-12-01 0:00 UTC);
        let rule = Expiration::AfterDays { days: u32::MAX };
        assert_eq!(rule.end_for(late), Some(LATEST_END));
        assert_eq!(
            Expiration::AfterHours { hours: 2 }.end_for(t0()),
            Some(datetime!(2026-03-02 11:00 UTC))
        );
        assert_eq!(Expiration::Never.end_for(t0()), None);
    }

    // ---- in_scope and requestable_policies ------------------------------------------

    /// The people the scope table is about.
    #[derive(Debug, Clone, Copy)]
    enum Person {
        /// A member outside any group named by the policies.
        Member,
        /// A member of `grp-sales`.
        MemberInGroup,
        /// A member named one by one.
        NamedMember,
        /// A guest from the configured organisation `org-fabrikam` (by e-mail domain).
        GuestConfigured,
        /// A guest from the proposed organisation `org-tailspin` (recorded on the account).
        GuestProposed,
        /// A guest from no known organisation.
        GuestUnknown,
        /// Signed up (not in the directory) with an address at `fabrikam.example`; named
        /// one by one and in `grp-sales` too, which a directory scope must still ignore.
        ExternalConfigured,
        /// Signed up with an address at `eu.fabrikam.example` (a subdomain).
        ExternalSubdomain,
        /// Signed up with an address at `tailspin.example` (a proposed organisation's).
        ExternalProposed,
        /// Signed up with an address at a domain no organisation owns.
        ExternalUnknown,
        /// Signed up at `fabrikam.example.evil.test`: a look-alike, not Fabrikam.
        ExternalLookalikeSuffix,
        /// Signed up at `evilfabrikam.example`: a look-alike, not Fabrikam.
        ExternalLookalikePrefix,
    }

    const PEOPLE: [Person; 12] = [
        Person::Member,
        Person::MemberInGroup,
        Person::NamedMember,
        Person::GuestConfigured,
        Person::GuestProposed,
        Person::GuestUnknown,
        Person::ExternalConfigured,
        Person::ExternalSubdomain,
        Person::ExternalProposed,
        Person::ExternalUnknown,
        Person::ExternalLookalikeSuffix,
        Person::ExternalLookalikePrefix,
    ];

    fn organizations() -> Vec<ConnectedOrganization> {
        vec![
            organization(
                "org-fabrikam",
                "fabrikam.example",
                ConnectedOrgState::Configured,
            ),
            organization(
                "org-tailspin",
                "tailspin.example",
                ConnectedOrgState::Proposed,
            ),
        ]
    }

    fn signed_up(id: &str, domain: &str) -> User {
        User {
            kind: UserKind::External,
            ..guest(id, domain)
        }
    }

    fn person_user(person: Person) -> User {
        match person {
            Person::Member | Person::MemberInGroup => member("mia"),
            Person::NamedMember => member("nina"),
            Person::GuestConfigured => guest("gus", "fabrikam.example"),
            Person::GuestProposed => User {
                connected_organization: Some(ConnectedOrgId::new("org-tailspin")),
                ..guest("gia", "gmail.example")
            },
            Person::GuestUnknown => guest("gil", "gmail.example"),
            Person::ExternalConfigured => signed_up("eve", "fabrikam.example"),
            Person::ExternalSubdomain => signed_up("eli", "eu.fabrikam.example"),
            Person::ExternalProposed => signed_up("eda", "tailspin.example"),
            Person::ExternalUnknown => signed_up("emy", "gmail.example"),
            Person::ExternalLookalikeSuffix => signed_up("evi", "fabrikam.example.evil.test"),
            Person::ExternalLookalikePrefix => signed_up("eze", "evilfabrikam.example"),
        }
    }

    fn person_groups(person: Person) -> Vec<GroupId> {
        match person {
            Person::MemberInGroup | Person::ExternalConfigured => vec![GroupId::new("grp-sales")],
            _ => vec![GroupId::new("grp-other")],
        }
    }

    fn is_external(person: Person) -> bool {
        person_user(person).kind.is_external()
    }

    /// The scopes, with whom each admits, in [`PEOPLE`] order: members, guests
    /// (configured, proposed, unknown), then sign-ups (configured, subdomain, proposed,
    /// unknown, two look-alikes).
    fn scope_table() -> Vec<(RequestorScope, [bool; 12])> {
        const F: bool = false;
        const T: bool = true;
        vec![
            (
                RequestorScope::NoneAdminOnly,
                [F, F, F, F, F, F, F, F, F, F, F, F],
            ),
            (
                RequestorScope::SpecificDirectoryUsers {
                    users: vec![UserId::new("nina"), UserId::new("eve")],
                    groups: vec![GroupId::new("grp-sales")],
                },
                [F, T, T, F, F, F, F, F, F, F, F, F],
            ),
            (
                RequestorScope::AllMembers,
                [T, T, T, F, F, F, F, F, F, F, F, F],
            ),
            (
                RequestorScope::AllDirectoryUsers,
                [T, T, T, T, T, T, F, F, F, F, F, F],
            ),
            (
                RequestorScope::SpecificConnectedOrganizations {
                    organizations: vec![ConnectedOrgId::new("org-tailspin")],
                },
                [F, F, F, F, T, F, F, F, T, F, F, F],
            ),
            (
                RequestorScope::SpecificConnectedOrganizations {
                    organizations: vec![ConnectedOrgId::new("org-fabrikam")],
                },
                [F, F, F, T, F, F, T, T, F, F, F, F],
            ),
            (
                RequestorScope::AllConfiguredConnectedOrganizations,
                [F, F, F, T, F, F, T, T, F, F, F, F],
            ),
            (
                RequestorScope::AllExternalUsers,
                [F, F, F, T, T, T, T, T, T, T, T, T],
            ),
        ]
    }

    fn check_in_scope(scope: &RequestorScope, person: Person, expected: bool) {
        let user = person_user(person);
        let groups = person_groups(person);
        let requestor = Requestor {
            user: &user,
            groups: &groups,
        };
        assert_eq!(
            in_scope(scope, &requestor, &organizations()),
            expected,
            "{scope:?} for {person:?}"
        );
    }

    #[test]
    fn each_scope_admits_exactly_its_people() {
        for (scope, admitted) in scope_table() {
            for (person, expected) in PEOPLE.into_iter().zip(admitted) {
                check_in_scope(&scope, person, expected);
            }
        }
    }

    /// Whether `person` may request package `ap-1` through a policy with `scope`, after
    /// `adjust` changed the catalog, the person or the policy.
    fn requestable(
        scope: &RequestorScope,
        person: Person,
        adjust: impl FnOnce(&mut Catalog, &mut User, &mut AssignmentPolicy),
    ) -> bool {
        let mut catalog = catalog();
        let mut user = person_user(person);
        let mut rules = valid_draft();
        rules.requestor_scope = scope.clone();
        let mut policy = policy_with(rules);
        adjust(&mut catalog, &mut user, &mut policy);
        let package = crate::catalog::AccessPackage {
            id: PackageId::new("ap-1"),
            catalog_id: catalog.id.clone(),
            name: "Package".to_owned(),
            description: String::new(),
            hidden: false,
            archived: false,
            resource_roles: Vec::new(),
            created_at: t0(),
        };
        let groups = person_groups(person);
        let requestor = Requestor {
            user: &user,
            groups: &groups,
        };
        let policies = [policy];
        let found =
            requestable_policies(&catalog, &package, &policies, &requestor, &organizations());
        !found.is_empty()
    }

    /// Whether `person` sees package `ap-1` whose one policy has `scope`.
    fn visible(
        scope: &RequestorScope,
        person: Person,
        external_catalog: bool,
        involved: bool,
    ) -> bool {
        let mut catalog = catalog();
        catalog.external_users_allowed = external_catalog;
        let user = person_user(person);
        let mut rules = valid_draft();
        rules.requestor_scope = scope.clone();
        rules.accepting_requests = false;
        let policies = [policy_with(rules)];
        let package = crate::catalog::AccessPackage {
            id: PackageId::new("ap-1"),
            catalog_id: catalog.id.clone(),
            name: "Package".to_owned(),
            description: String::new(),
            hidden: true,
            archived: false,
            resource_roles: Vec::new(),
            created_at: t0(),
        };
        let groups = person_groups(person);
        let requestor = Requestor {
            user: &user,
            groups: &groups,
        };
        package_visible(
            &catalog,
            &package,
            &policies,
            &requestor,
            &organizations(),
            involved,
        )
    }

    #[test]
    fn members_see_every_package_and_guests_only_those_a_policy_could_admit_them_to() {
        for (scope, admitted) in scope_table() {
            for (person, in_scope) in PEOPLE.into_iter().zip(admitted) {
                let guest = is_external(person);
                assert_eq!(
                    visible(&scope, person, true, false),
                    !guest || in_scope,
                    "{scope:?} {person:?}"
                );
                assert_eq!(
                    visible(&scope, person, false, false),
                    !guest,
                    "{scope:?} {person:?} (internal catalog)"
                );
                assert!(
                    visible(&scope, person, false, true),
                    "{scope:?} {person:?} holds it"
                );
            }
        }
    }

    #[test]
    fn requestable_through_a_policy_exactly_when_in_scope() {
        for (scope, admitted) in scope_table() {
            for (person, expected) in PEOPLE.into_iter().zip(admitted) {
                assert_eq!(
                    requestable(&scope, person, |_, _, _| {}),
                    expected,
                    "{scope:?} {person:?}"
                );
            }
        }
    }

    #[test]
    fn blocked_people_request_nothing_under_any_scope() {
        for (scope, _) in scope_table() {
            for person in PEOPLE {
                let blocked = |_: &mut Catalog, user: &mut User, _: &mut AssignmentPolicy| {
                    user.state = UserState::Blocked
                };
                assert!(
                    !requestable(&scope, person, blocked),
                    "{scope:?} {person:?}"
                );
            }
        }
    }

    #[test]
    fn disabled_catalogs_offer_nothing_under_any_scope() {
        for (scope, _) in scope_table() {
            for person in PEOPLE {
                let disabled = |catalog: &mut Catalog, _: &mut User, _: &mut AssignmentPolicy| {
                    catalog.enabled = false
                };
                assert!(
                    !requestable(&scope, person, disabled),
                    "{scope:?} {person:?}"
                );
            }
        }
    }

    #[test]
    fn guests_request_nothing_from_catalogs_closed_to_external_users() {
        for (scope, admitted) in scope_table() {
            for (person, in_scope) in PEOPLE.into_iter().zip(admitted) {
                let closed = |catalog: &mut Catalog, _: &mut User, _: &mut AssignmentPolicy| {
                    catalog.external_users_allowed = false
                };
                let is_guest = is_external(person);
                let expected = in_scope && !is_guest;
                assert_eq!(
                    requestable(&scope, person, closed),
                    expected,
                    "{scope:?} {person:?}"
                );
            }
        }
    }

    #[test]
    fn policies_not_accepting_requests_offer_nothing_under_any_scope() {
        for (scope, _) in scope_table() {
            for person in PEOPLE {
                let stopped = |_: &mut Catalog, _: &mut User, policy: &mut AssignmentPolicy| {
                    policy.rules.accepting_requests = false
                };
                assert!(
                    !requestable(&scope, person, stopped),
                    "{scope:?} {person:?}"
                );
            }
        }
    }

    #[test]
    fn policies_of_other_packages_are_not_offered() {
        let other_package = |_: &mut Catalog, _: &mut User, policy: &mut AssignmentPolicy| {
            policy.access_package_id = PackageId::new("ap-2")
        };
        assert!(!requestable(
            &RequestorScope::AllMembers,
            Person::Member,
            other_package
        ));
    }

    // ---- stage_approvers ----------------------------------------------------------------

    fn directory() -> Directory {
        let mut directory = Directory::default();
        directory
            .managers
            .insert(UserId::new("alice"), UserId::new("mgr"));
        directory.groups.insert(
            GroupId::new("grp-approvers"),
            vec![UserId::new("zoe"), UserId::new("alice"), UserId::new("yan")],
        );
        directory.sponsors.insert(
            ConnectedOrgId::new("org-fabrikam"),
            vec![UserId::new("sam"), UserId::new("sue")],
        );
        directory.external_sponsors.insert(
            ConnectedOrgId::new("org-fabrikam"),
            vec![UserId::new("ext"), UserId::new("gus")],
        );
        directory.blocked.insert(UserId::new("blocked"));
        directory
    }

    /// Resolves stage 0 of a policy whose stage is `stage_def`, for `requestor`.
    fn check_approvers(
        stage_def: ApprovalStage,
        requestor: &User,
        escalated: bool,
        expected_people: &[&str],
        expected_fallback: bool,
    ) {
        let mut rules = valid_draft();
        rules.stages = vec![stage_def];
        let policy = policy_with(rules);
        let resolved = stage_approvers(&policy, 0, escalated, requestor, &directory())
            .expect("stage 0 exists");
        let people: Vec<&str> = resolved.people.iter().map(UserId::as_str).collect();
        assert_eq!(people, expected_people);
        assert_eq!(resolved.fallback_used, expected_fallback);
    }

    #[test]
    fn manager_is_resolved_from_the_directory() {
        check_approvers(
            stage(vec![Approver::Manager]),
            &member("alice"),
            false,
            &["mgr"],
            false,
        );
    }

    #[test]
    fn groups_are_expanded_sorted_and_without_the_requestor() {
        let approvers = vec![Approver::GroupMembers {
            id: GroupId::new("grp-approvers"),
        }];
        check_approvers(
            stage(approvers),
            &member("alice"),
            false,
            &["yan", "zoe"],
            false,
        );
    }

    #[test]
    fn requestor_is_removed_even_when_named() {
        let approvers = vec![named("alice"), named("bob")];
        check_approvers(stage(approvers), &member("alice"), false, &["bob"], false);
    }

    #[test]
    fn fallback_approvers_act_when_the_manager_is_missing() {
        let mut definition = stage(vec![Approver::Manager]);
        definition.fallback_approvers = vec![named("fallback")];
        check_approvers(definition, &member("nomanager"), false, &["fallback"], true);
    }

    #[test]
    fn fallback_approvers_act_when_only_the_requestor_is_named() {
        let mut definition = stage(vec![named("alice")]);
        definition.fallback_approvers = vec![named("fallback")];
        check_approvers(definition, &member("alice"), false, &["fallback"], true);
    }

    #[test]
    fn escalated_stages_use_the_alternate_approvers() {
        let mut definition = stage(vec![named("bob")]);
        definition.escalation = escalation(2, vec![named("dave"), named("carl")]);
        check_approvers(
            definition.clone(),
            &member("alice"),
            true,
            &["carl", "dave"],
            false,
        );
        check_approvers(definition, &member("alice"), false, &["bob"], false);
    }

    #[test]
    fn blocked_approvers_are_skipped() {
        let approvers = vec![named("blocked"), named("bob")];
        check_approvers(stage(approvers), &member("alice"), false, &["bob"], false);
    }

    #[test]
    fn sponsors_of_the_guests_organization_approve() {
        let requestor = User {
            connected_organization: Some(ConnectedOrgId::new("org-fabrikam")),
            ..guest("gus", "fabrikam.example")
        };
        check_approvers(
            stage(vec![Approver::Sponsors]),
            &requestor,
            false,
            &["ext", "sam", "sue"],
            false,
        );
    }

    #[test]
    fn internal_or_external_sponsors_alone_approve_when_named() {
        let requestor = User {
            connected_organization: Some(ConnectedOrgId::new("org-fabrikam")),
            ..guest("gus", "fabrikam.example")
        };
        check_approvers(
            stage(vec![Approver::InternalSponsors]),
            &requestor,
            false,
            &["sam", "sue"],
            false,
        );
        // The requestor, an external sponsor too, never approves their own request.
        check_approvers(
            stage(vec![Approver::ExternalSponsors]),
            &requestor,
            false,
            &["ext"],
            false,
        );
    }

    #[test]
    fn sponsors_of_a_member_or_of_a_guest_of_no_organisation_are_nobody() {
        for requestor in [member("alice"), guest("gus", "elsewhere.example")] {
            for approver in [
                Approver::Sponsors,
                Approver::InternalSponsors,
                Approver::ExternalSponsors,
            ] {
                let resolved = resolve_approvers(&[approver], &requestor, &directory());
                assert!(resolved.is_empty(), "{requestor:?}: {resolved:?}");
            }
        }
    }

    #[test]
    fn the_snapshot_finds_the_organisation_by_domain_when_none_is_recorded() {
        use crate::preview::{DirectoryPerson, DirectorySnapshot};
        let mut fabrikam = crate::testkit::organization(
            "org-fabrikam",
            "fabrikam.example",
            ConnectedOrgState::Configured,
        );
        fabrikam.internal_sponsors = vec![UserId::new("hannah")];
        fabrikam.external_sponsors = vec![UserId::new("ext")];
        let person = |user: User| DirectoryPerson {
            user,
            groups: vec![],
        };
        let snapshot = DirectorySnapshot::new(
            vec![
                person(member("hannah")),
                person(guest("ext", "fabrikam.example")),
            ],
            vec![fabrikam],
        );
        // No organisation recorded on the account: its e-mail domain finds it.
        let requestor = guest("new", "sales.fabrikam.example");
        assert_eq!(
            resolve_approvers(&[Approver::ExternalSponsors], &requestor, &snapshot),
            vec![UserId::new("ext")]
        );
        assert_eq!(
            resolve_approvers(&[Approver::InternalSponsors], &requestor, &snapshot),
            vec![UserId::new("hannah")]
        );
        let look_alike = guest("evil", "fabrikam.example.evil.test");
        assert!(resolve_approvers(&[Approver::Sponsors], &look_alike, &snapshot).is_empty());
    }

    #[test]
    fn missing_stage_resolves_to_none() {
        let policy = policy_with(valid_draft());
        assert_eq!(
            stage_approvers(&policy, 1, false, &member("alice"), &directory()),
            None
        );
    }

    // ---- serde -------------------------------------------------------------------------

    fn full_policy() -> AssignmentPolicy {
        let mut rules = valid_draft();
        rules.questions = vec![question("q1", "Which?", choice(&["A", "B"]))];
        rules.stages = vec![
            ApprovalStage {
                approvers: vec![Approver::Manager],
                fallback_approvers: vec![named("bob")],
                approver_justification_required: true,
                decision_timeout_days: 7,
                escalation: escalation(
                    3,
                    vec![Approver::GroupMembers {
                        id: GroupId::new("grp-a"),
                    }],
                ),
            },
            stage(vec![named("carol")]),
        ];
        rules.expiration = Expiration::OnDate {
            date: datetime!(2026-12-31 17:00 UTC),
        };
        policy_with(rules)
    }

    #[test]
    fn policy_round_trips_through_json() {
        let policy = full_policy();
        let json = serde_json::to_string(&policy).expect("serialize");
        let back: AssignmentPolicy = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, policy);
    }

    #[test]
    fn policy_json_is_flat_camel_case_with_tagged_kinds() {
        let json = serde_json::to_string(&full_policy()).expect("serialize");
        for expected in [
            r#""id":"pol-1""#,
            r#""accessPackageId":"ap-1""#,
            r#""name":"All employees""#,
            r#""requestorScope":{"kind":"allMembers"}"#,
            r#""acceptingRequests":true"#,
            r#""requestorJustificationRequired":false"#,
            r#""questions":[{"id":"q1","text":"Which?","required":true,"kind":{"kind":"choice","options":["A","B"]}}]"#,
            r#""approvers":[{"kind":"manager"}]"#,
            r#""fallbackApprovers":[{"kind":"user","id":"bob"}]"#,
            r#""approverJustificationRequired":true"#,
            r#""decisionTimeoutDays":7"#,
            r#""escalation":{"afterDays":3,"approvers":[{"kind":"groupMembers","id":"grp-a"}]}"#,
            r#""escalation":null"#,
            r#""expiration":{"kind":"onDate","date":"2026-12-31T17:00:00Z"}"#,
            r#""extensionAllowed":true"#,
            r#""requestorMayChooseSchedule":false"#,
        ] {
            assert!(json.contains(expected), "{expected} missing from {json}");
        }
    }

    #[test]
    fn scope_with_fields_serializes_its_lists() {
        let scope = RequestorScope::SpecificDirectoryUsers {
            users: vec![UserId::new("nina")],
            groups: vec![GroupId::new("grp-sales")],
        };
        assert_eq!(
            serde_json::to_string(&scope).expect("serialize"),
            r#"{"kind":"specificDirectoryUsers","users":["nina"],"groups":["grp-sales"]}"#
        );
        assert_eq!(
            serde_json::to_string(&Expiration::AfterDays { days: 90 }).expect("serialize"),
            r#"{"kind":"afterDays","days":90}"#
        );
    }

    // ---- properties --------------------------------------------------------------------

    fn any_approver() -> impl Strategy<Value = Approver> {
        prop_oneof![
            3 => "[a-c]".prop_map(|id| Approver::User { id: UserId::new(id) }),
            3 => "grp-[a-b]".prop_map(|id| Approver::GroupMembers { id: GroupId::new(id) }),
            1 => Just(Approver::Manager),
            1 => Just(Approver::Sponsors),
            1 => Just(Approver::InternalSponsors),
            1 => Just(Approver::ExternalSponsors),
        ]
    }

    fn any_stage() -> impl Strategy<Value = ApprovalStage> {
        (
            prop::collection::vec(any_approver(), 0..3),
            prop::collection::vec(any_approver(), 0..2),
            any::<bool>(),
            prop_oneof![4 => 1u32..=14, 1 => 0u32..20],
            prop::option::weighted(0.3, (0u32..20, prop::collection::vec(any_approver(), 0..2))),
        )
            .prop_map(
                |(approvers, fallback, justification, timeout, escalation)| ApprovalStage {
                    approvers,
                    fallback_approvers: fallback,
                    approver_justification_required: justification,
                    decision_timeout_days: timeout,
                    escalation: escalation.map(|(after_days, approvers)| Escalation {
                        after_days,
                        approvers,
                    }),
                },
            )
    }

    fn any_scope() -> impl Strategy<Value = RequestorScope> {
        prop_oneof![
            Just(RequestorScope::NoneAdminOnly),
            (
                prop::collection::vec("[a-c]", 0..2),
                prop::collection::vec("grp-[a-b]", 0..2)
            )
                .prop_map(|(users, groups)| RequestorScope::SpecificDirectoryUsers {
                    users: users.into_iter().map(UserId::new).collect(),
                    groups: groups.into_iter().map(GroupId::new).collect(),
                }),
            Just(RequestorScope::AllMembers),
            Just(RequestorScope::AllDirectoryUsers),
            prop::collection::vec("org-[a-b]", 0..2).prop_map(|ids| {
                RequestorScope::SpecificConnectedOrganizations {
                    organizations: ids.into_iter().map(ConnectedOrgId::new).collect(),
                }
            }),
            Just(RequestorScope::AllConfiguredConnectedOrganizations),
            Just(RequestorScope::AllExternalUsers),
        ]
    }

    fn any_question() -> impl Strategy<Value = Question> {
        let kind = prop_oneof![
            Just(QuestionKind::ShortText),
            Just(QuestionKind::LongText),
            prop::collection::vec("[ ab]{0,2}|[a-z]{3,8}", 0..4)
                .prop_map(|options| QuestionKind::Choice { options }),
        ];
        let id = prop_oneof![6 => "q[1-6]", 1 => " "];
        let text = prop_oneof![6 => "[A-Z][a-z]{0,10}\\?", 1 => "\\PC{0,3}|x{499,502}"];
        (id, text, any::<bool>(), kind).prop_map(|(id, text, required, kind)| Question {
            id: QuestionId::new(id),
            text,
            required,
            kind,
        })
    }

    fn any_expiration() -> impl Strategy<Value = Expiration> {
        prop_oneof![
            Just(Expiration::Never),
            (0u32..5000).prop_map(|days| Expiration::AfterDays { days }),
            any::<u32>().prop_map(|days| Expiration::AfterDays { days }),
            (0u32..10000).prop_map(|hours| Expiration::AfterHours { hours }),
            (-1000i64..1000).prop_map(|days| Expiration::OnDate {
                date: t0() + time::Duration::days(days),
            }),
        ]
    }

    prop_compose! {
        fn any_draft()(
            name in prop_oneof![4 => "[A-Z][a-z ]{0,20}", 1 => "\\PC{0,4}| *x{98,102} *"],
            description in prop_oneof![4 => "[a-z ]{0,20}", 1 => "\\PC{0,4}|x{999,1001}"],
            requestor_scope in any_scope(),
            accepting_requests in any::<bool>(),
            requestor_justification_required in any::<bool>(),
            questions in prop::collection::vec(any_question(), 0..3),
            stages in prop_oneof![
                4 => prop::collection::vec(any_stage(), 0..=3),
                1 => prop::collection::vec(any_stage(), 0..6),
            ],
            expiration in any_expiration(),
            extension_allowed in any::<bool>(),
            requestor_may_choose_schedule in any::<bool>(),
        ) -> PolicyDraft {
            PolicyDraft {
                name,
                description,
                requestor_scope,
                accepting_requests,
                requestor_justification_required,
                questions,
                stages,
                expiration,
                extension_allowed,
                requestor_may_choose_schedule,
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::testkit::proptest_cases(1024)))]

        #[test]
        fn valid_policies_keep_every_invariant(draft in any_draft()) {
            let Ok(valid) = validate_policy_at(&draft, t0()) else {
                return Ok(());
            };
            prop_assert!(!valid.name.is_empty() && valid.name.chars().count() <= MAX_NAME_CHARS);
            prop_assert_eq!(valid.name.trim(), valid.name.as_str());
            prop_assert!(valid.stages.len() <= MAX_STAGES);
            if valid.requestor_scope == RequestorScope::NoneAdminOnly {
                prop_assert!(valid.stages.is_empty());
            }
            for stage in &valid.stages {
                prop_assert!(!stage.approvers.is_empty());
                prop_assert!(DECISION_TIMEOUT_DAYS.contains(&stage.decision_timeout_days));
                if let Some(escalation) = &stage.escalation {
                    prop_assert!(escalation.after_days >= 1);
                    prop_assert!(escalation.after_days < stage.decision_timeout_days);
                    prop_assert!(!escalation.approvers.is_empty());
                }
            }
            let ids: std::collections::BTreeSet<_> = valid.questions.iter().map(|q| &q.id).collect();
            prop_assert_eq!(ids.len(), valid.questions.len());
            if valid.extension_allowed {
                prop_assert!(valid.expiration != Expiration::Never);
            }
            // Validating what validation returned changes nothing.
            prop_assert_eq!(validate_policy_at(&valid, t0()), Ok(valid.clone()));
        }

        #[test]
        fn refused_policies_name_at_least_one_field(draft in any_draft()) {
            if let Err(FieldErrors(errors)) = validate_policy(&draft) {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.iter().all(|e| !e.field.is_empty() && !e.message.is_empty()));
            }
        }
    }
}
