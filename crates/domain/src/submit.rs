//! The rules for making a request and for deciding one, for every request type: who may
//! ask through a policy, what they must fill in, when they already hold the package or
//! already asked. `POST /requests` and `POST /requests/{id}/decisions` apply them, and the
//! SPA's forms call the same functions for instant feedback.

use time::OffsetDateTime;

use crate::assignment::Assignment;
use crate::catalog::{AccessPackage, Catalog};
use crate::error::{FieldError, FieldErrors};
use crate::ids::RequestId;
use crate::organization::ConnectedOrganization;
use crate::policy::{package_visible, requestable_policies, AssignmentPolicy, Requestor};
use crate::request::{
    validate_request_draft, AccessRequest, RequestDraft, RequestState, RequestType, Schedule,
    MAX_JUSTIFICATION_CHARS,
};

/// Everything the submission rules look at, loaded by the caller.
#[derive(Debug, Clone, Copy)]
pub struct SubmitContext<'a> {
    /// The person asking, with their groups.
    pub requestor: Requestor<'a>,
    /// The catalog of the package.
    pub catalog: &'a Catalog,
    /// The package asked about.
    pub package: &'a AccessPackage,
    /// The policy named in the request.
    pub policy: &'a AssignmentPolicy,
    /// The connected organisations (for requestor scopes naming them).
    pub organizations: &'a [ConnectedOrganization],
    /// The person's live assignment of the package, if any.
    pub holding: Option<&'a Assignment>,
    /// Whether the person already has an open request for the package.
    pub open_request: bool,
}

/// Why a request can't be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// Something the person filled in (or chose) is wrong; each field says what (422).
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    /// The person may not ask through this policy: out of its scope, the policy no longer
    /// accepts requests, the catalog is disabled, or the person is blocked (403).
    #[error("You can't request this access package through this policy.")]
    NotEligible,
    /// The request contradicts what the person holds or already asked for (409).
    #[error("{0}")]
    Conflict(String),
}

fn field(name: &str, message: &str) -> SubmitError {
    SubmitError::Invalid(FieldErrors(vec![FieldError::new(name, message)]))
}

/// Checks a new request of `request_type` against its context and returns it, submitted
/// (not yet routed), with id `id`. The rules:
/// - every type: the policy belongs to the package; a guest sees only packages of catalogs
///   open to external users whose policy could admit them ([`package_visible`], else "no
///   such access package", as for an unknown id); one open request per package;
/// - `userAdd`: the person may request through the policy (enabled catalog, active person,
///   in the policy's scope, policy accepting requests) and does not hold the package;
/// - `userExtend`: the person holds the package under this very policy, is still eligible
///   for it exactly as for `userAdd`, and the policy allows extensions;
/// - `userRemove`: the person holds the package; only a justification (at most
///   [`MAX_JUSTIFICATION_CHARS`]) is kept;
/// - `adminAdd` and `adminRemove` are not requests a person makes here.
///
/// The draft is validated by [`validate_draft_for`].
pub fn submit(
    context: &SubmitContext<'_>,
    id: RequestId,
    request_type: RequestType,
    draft: &RequestDraft,
    now: OffsetDateTime,
) -> Result<AccessRequest, SubmitError> {
    let SubmitContext {
        requestor,
        catalog,
        package,
        policy,
        holding,
        ..
    } = *context;
    let involved = holding.is_some() || context.open_request;
    if request_type != RequestType::UserRemove
        && !package_visible(
            catalog,
            package,
            std::slice::from_ref(policy),
            &requestor,
            context.organizations,
            involved,
        )
    {
        return Err(field("accessPackageId", "No such access package."));
    }
    if policy.access_package_id != package.id {
        return Err(field("policyId", "Choose a policy of this access package."));
    }
    let eligible = || {
        !requestable_policies(
            catalog,
            package,
            std::slice::from_ref(policy),
            &requestor,
            context.organizations,
        )
        .is_empty()
    };
    match request_type {
        RequestType::UserAdd => {
            if !eligible() {
                return Err(SubmitError::NotEligible);
            }
            if holding.is_some() {
                return Err(SubmitError::Conflict(format!(
                    "You already have {}.",
                    package.name
                )));
            }
        }
        RequestType::UserExtend => {
            let assignment = holding.ok_or_else(|| {
                SubmitError::Conflict(format!("You don't have {} to extend.", package.name))
            })?;
            if assignment.policy_id != policy.id {
                return Err(field(
                    "policyId",
                    "Extend through the policy your access was granted under.",
                ));
            }
            if !eligible() {
                return Err(SubmitError::NotEligible);
            }
            if !policy.rules.extension_allowed {
                return Err(SubmitError::Conflict(
                    "The policy of this access package does not allow extensions.".to_owned(),
                ));
            }
        }
        RequestType::UserRemove => {
            if holding.is_none() {
                return Err(SubmitError::Conflict(format!(
                    "You don't have {} to remove.",
                    package.name
                )));
            }
        }
        RequestType::AdminAdd | RequestType::AdminRemove => {
            return Err(field(
                "type",
                "Administrators assign and remove people with /assignments.",
            ));
        }
    }
    let draft = validate_draft_for(request_type, policy, draft, now)?;
    if context.open_request {
        return Err(SubmitError::Conflict(format!(
            "You already have a pending request for {}.",
            package.name
        )));
    }
    Ok(AccessRequest {
        id,
        request_type,
        requestor: requestor.user.id.clone(),
        created_by: requestor.user.id.clone(),
        access_package_id: package.id.clone(),
        policy_id: policy.id.clone(),
        state: RequestState::Submitted,
        current_stage: None,
        stage_started_at: None,
        escalated: false,
        justification: draft.justification,
        answers: draft.answers,
        schedule: draft.schedule,
        decisions: Vec::new(),
        created_at: now,
        updated_at: now,
    })
}

/// Whether the holder of `assignment` is offered an extension: it is live and has an end,
/// it was granted under `policy`, the policy allows extensions, and the person may still
/// request through it (exactly what [`submit`] checks for `userExtend`).
pub fn extension_offered(
    requestor: &Requestor<'_>,
    catalog: &Catalog,
    package: &AccessPackage,
    policy: &AssignmentPolicy,
    organizations: &[ConnectedOrganization],
    assignment: &Assignment,
) -> bool {
    assignment.state.is_live()
        && assignment.end.is_some()
        && assignment.policy_id == policy.id
        && policy.rules.extension_allowed
        && !requestable_policies(
            catalog,
            package,
            std::slice::from_ref(policy),
            requestor,
            organizations,
        )
        .is_empty()
}

/// What a person fills in for a request of `request_type`, checked field by field (the
/// request form calls this as the person types): asking for access or an extension is
/// checked against the policy ([`validate_request_draft`]); giving access up keeps only a
/// justification of at most [`MAX_JUSTIFICATION_CHARS`] characters.
pub fn validate_draft_for(
    request_type: RequestType,
    policy: &AssignmentPolicy,
    draft: &RequestDraft,
    now: OffsetDateTime,
) -> Result<RequestDraft, FieldErrors> {
    match request_type {
        RequestType::UserAdd | RequestType::UserExtend => {
            validate_request_draft(policy, draft, now)
        }
        RequestType::UserRemove | RequestType::AdminAdd | RequestType::AdminRemove => {
            let justification = checked_justification(draft.justification.as_deref(), false)?;
            Ok(RequestDraft {
                justification,
                answers: Vec::new(),
                schedule: Schedule::default(),
            })
        }
    }
}

/// Checks an approver's reason: required when the stage says so, at most
/// [`MAX_JUSTIFICATION_CHARS`] characters. Returns it trimmed, a blank one as `None`.
pub fn validate_decision(
    justification_required: bool,
    justification: Option<&str>,
) -> Result<Option<String>, FieldErrors> {
    checked_justification(justification, justification_required)
}

fn checked_justification(
    text: Option<&str>,
    required: bool,
) -> Result<Option<String>, FieldErrors> {
    let text = text.map(str::trim).filter(|text| !text.is_empty());
    match text {
        None if required => Err(FieldErrors(vec![FieldError::new(
            "justification",
            "Give a reason for your decision.",
        )])),
        Some(text) if text.chars().count() > MAX_JUSTIFICATION_CHARS => {
            Err(FieldErrors(vec![FieldError::new(
                "justification",
                format!("Use at most {MAX_JUSTIFICATION_CHARS} characters."),
            )]))
        }
        text => Ok(text.map(str::to_owned)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assignment::AssignmentState;
    use crate::directory::{User, UserState};
    use crate::ids::{AssignmentId, CatalogId, GroupId, PackageId, PolicyId, UserId};
    use crate::policy::RequestorScope;
    use crate::testkit::{catalog, guest, member, policy_with, t0, valid_draft};

    fn package() -> AccessPackage {
        AccessPackage {
            id: PackageId::new("ap-1"),
            catalog_id: CatalogId::new("cat-1"),
            name: "Wiki".to_owned(),
            description: String::new(),
            hidden: false,
            archived: false,
            resource_roles: Vec::new(),
            created_at: t0(),
        }
    }

    fn holding(policy: &str) -> Assignment {
        Assignment {
            id: AssignmentId::new("as-1"),
            user_id: UserId::new("alice"),
            access_package_id: PackageId::new("ap-1"),
            policy_id: PolicyId::new(policy),
            request_id: None,
            state: AssignmentState::Delivered,
            start: t0(),
            end: Some(t0() + time::Duration::days(10)),
            created_at: t0(),
        }
    }

    /// The world one submission sees; each test edits it.
    struct World {
        user: User,
        groups: Vec<GroupId>,
        catalog: Catalog,
        package: AccessPackage,
        policy: AssignmentPolicy,
        holding: Option<Assignment>,
        open_request: bool,
    }

    fn world() -> World {
        World {
            user: member("alice"),
            groups: Vec::new(),
            catalog: catalog(),
            package: package(),
            policy: policy_with(valid_draft()),
            holding: None,
            open_request: false,
        }
    }

    fn run(
        world: &World,
        request_type: RequestType,
        draft: &RequestDraft,
    ) -> Result<AccessRequest, SubmitError> {
        let context = SubmitContext {
            requestor: Requestor {
                user: &world.user,
                groups: &world.groups,
            },
            catalog: &world.catalog,
            package: &world.package,
            policy: &world.policy,
            organizations: &[],
            holding: world.holding.as_ref(),
            open_request: world.open_request,
        };
        submit(&context, RequestId::new("req-1"), request_type, draft, t0())
    }

    fn fields(result: Result<AccessRequest, SubmitError>) -> Vec<String> {
        match result {
            Err(SubmitError::Invalid(FieldErrors(errors))) => {
                errors.into_iter().map(|error| error.field).collect()
            }
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    fn reason(text: &str) -> RequestDraft {
        RequestDraft {
            justification: Some(text.to_owned()),
            ..RequestDraft::default()
        }
    }

    fn extending() -> World {
        World {
            holding: Some(holding("pol-1")),
            ..world()
        }
    }

    #[test]
    fn an_eligible_person_asks_and_gets_a_submitted_request() {
        let request = run(&world(), RequestType::UserAdd, &reason("  Docs ")).expect("submitted");
        assert_eq!(request.state, RequestState::Submitted);
        assert_eq!(request.requestor, UserId::new("alice"));
        assert_eq!(request.created_by, UserId::new("alice"));
        assert_eq!(request.justification.as_deref(), Some("Docs"));
        assert_eq!((request.created_at, request.updated_at), (t0(), t0()));
    }

    #[test]
    fn add_outside_the_policys_scope_or_rules_is_not_eligible() {
        let mut out_of_scope = world();
        out_of_scope.policy.rules.requestor_scope = RequestorScope::SpecificDirectoryUsers {
            users: vec![UserId::new("bob")],
            groups: Vec::new(),
        };
        let mut closed = world();
        closed.policy.rules.accepting_requests = false;
        let mut disabled = world();
        disabled.catalog.enabled = false;
        let mut blocked = world();
        blocked.user.state = UserState::Blocked;
        for world in [out_of_scope, closed, disabled, blocked] {
            assert_eq!(
                run(&world, RequestType::UserAdd, &RequestDraft::default()),
                Err(SubmitError::NotEligible)
            );
        }
    }

    #[test]
    fn add_when_already_holding_is_a_conflict() {
        let result = run(&extending(), RequestType::UserAdd, &RequestDraft::default());
        assert_eq!(
            result,
            Err(SubmitError::Conflict("You already have Wiki.".to_owned()))
        );
    }

    #[test]
    fn a_guest_does_not_see_a_catalog_closed_to_external_users() {
        let mut world = world();
        world.user = guest("gina", "partner.example");
        world.catalog.external_users_allowed = false;
        assert_eq!(
            fields(run(&world, RequestType::UserAdd, &RequestDraft::default())),
            ["accessPackageId"]
        );
    }

    #[test]
    fn the_policy_must_belong_to_the_package() {
        let mut world = world();
        world.policy.access_package_id = PackageId::new("ap-2");
        assert_eq!(
            fields(run(&world, RequestType::UserAdd, &RequestDraft::default())),
            ["policyId"]
        );
    }

    #[test]
    fn add_checks_the_draft_against_the_policy() {
        let mut world = world();
        world.policy.rules.requestor_justification_required = true;
        assert_eq!(
            fields(run(&world, RequestType::UserAdd, &RequestDraft::default())),
            ["justification"]
        );
    }

    #[test]
    fn one_open_request_per_package() {
        let mut world = world();
        world.open_request = true;
        assert_eq!(
            run(&world, RequestType::UserAdd, &RequestDraft::default()),
            Err(SubmitError::Conflict(
                "You already have a pending request for Wiki.".to_owned()
            ))
        );
    }

    #[test]
    fn a_holder_extends_through_their_policy() {
        let request = run(&extending(), RequestType::UserExtend, &reason("More time")).expect("ok");
        assert_eq!(request.request_type, RequestType::UserExtend);
    }

    #[test]
    fn extension_needs_the_package_and_its_own_policy() {
        assert_eq!(
            run(&world(), RequestType::UserExtend, &RequestDraft::default()),
            Err(SubmitError::Conflict(
                "You don't have Wiki to extend.".to_owned()
            ))
        );
        let mut other = extending();
        other.holding = Some(holding("pol-2"));
        assert_eq!(
            fields(run(
                &other,
                RequestType::UserExtend,
                &RequestDraft::default()
            )),
            ["policyId"]
        );
    }

    #[test]
    fn extension_is_refused_to_someone_no_longer_eligible() {
        let mut left_scope = extending();
        left_scope.policy.rules.requestor_scope = RequestorScope::SpecificDirectoryUsers {
            users: Vec::new(),
            groups: vec![GroupId::new("grp-sales")],
        };
        let mut closed = extending();
        closed.policy.rules.accepting_requests = false;
        let mut disabled = extending();
        disabled.catalog.enabled = false;
        for world in [left_scope, closed, disabled] {
            assert_eq!(
                run(&world, RequestType::UserExtend, &RequestDraft::default()),
                Err(SubmitError::NotEligible)
            );
        }
        let mut back_in = extending();
        back_in.policy.rules.requestor_scope = RequestorScope::SpecificDirectoryUsers {
            users: Vec::new(),
            groups: vec![GroupId::new("grp-sales")],
        };
        back_in.groups = vec![GroupId::new("grp-sales")];
        assert!(run(&back_in, RequestType::UserExtend, &RequestDraft::default()).is_ok());
    }

    #[test]
    fn extension_is_offered_only_where_it_would_be_accepted() {
        let offered = |world: &World| {
            extension_offered(
                &Requestor {
                    user: &world.user,
                    groups: &world.groups,
                },
                &world.catalog,
                &world.package,
                &world.policy,
                &[],
                world.holding.as_ref().expect("holding"),
            )
        };
        assert!(offered(&extending()));
        let mut closed = extending();
        closed.policy.rules.accepting_requests = false;
        let mut disabled = extending();
        disabled.catalog.enabled = false;
        let mut no_extensions = extending();
        no_extensions.policy.rules.extension_allowed = false;
        let mut forever = extending();
        forever.holding.as_mut().expect("holding").end = None;
        for world in [closed, disabled, no_extensions, forever] {
            assert!(!offered(&world));
        }
    }

    #[test]
    fn extension_only_where_the_policy_allows_it() {
        let mut world = extending();
        world.policy.rules.extension_allowed = false;
        assert!(matches!(
            run(&world, RequestType::UserExtend, &RequestDraft::default()),
            Err(SubmitError::Conflict(_))
        ));
    }

    #[test]
    fn removal_needs_the_package_and_a_short_reason_only() {
        assert!(matches!(
            run(&world(), RequestType::UserRemove, &RequestDraft::default()),
            Err(SubmitError::Conflict(_))
        ));
        let mut closed = extending();
        closed.policy.rules.accepting_requests = false;
        closed.policy.rules.requestor_justification_required = true;
        let request = run(&closed, RequestType::UserRemove, &RequestDraft::default())
            .expect("giving access up needs no eligibility and no reason");
        assert_eq!(request.justification, None);
        assert_eq!(
            fields(run(
                &extending(),
                RequestType::UserRemove,
                &reason(&"x".repeat(1001))
            )),
            ["justification"]
        );
        assert!(run(
            &extending(),
            RequestType::UserRemove,
            &reason(&"x".repeat(1000))
        )
        .is_ok());
    }

    #[test]
    fn removal_drops_answers_and_schedule() {
        let mut draft = reason("Done");
        draft.schedule.start = Some(t0() + time::Duration::days(1));
        draft.answers = vec![crate::request::Answer {
            question_id: crate::ids::QuestionId::new("q9"),
            value: "x".to_owned(),
        }];
        let request = run(&extending(), RequestType::UserRemove, &draft).expect("ok");
        assert_eq!(request.schedule, Schedule::default());
        assert!(request.answers.is_empty());
    }

    #[test]
    fn administrators_use_direct_assignment() {
        for request_type in [RequestType::AdminAdd, RequestType::AdminRemove] {
            assert_eq!(
                fields(run(&world(), request_type, &RequestDraft::default())),
                ["type"]
            );
        }
    }

    #[test]
    fn decision_reason_is_required_when_the_stage_says_so() {
        assert!(validate_decision(true, None).is_err());
        assert!(validate_decision(true, Some("  ")).is_err());
        assert_eq!(
            validate_decision(true, Some(" ok ")),
            Ok(Some("ok".to_owned()))
        );
        assert_eq!(validate_decision(false, Some(" ")), Ok(None));
        assert_eq!(validate_decision(false, None), Ok(None));
    }

    #[test]
    fn decision_reason_has_at_most_1000_characters() {
        let error = validate_decision(false, Some(&"x".repeat(1001))).expect_err("too long");
        assert_eq!(error.0[0].field, "justification");
        assert!(validate_decision(false, Some(&"x".repeat(1000))).is_ok());
    }
}
