//! A request as its pages show it, and who may see and decide it, computed from data the
//! caller loaded once: the request, its policy and package, and one directory snapshot.
//! The server builds every request view through here, so one operation needs one
//! directory load however many requests, stages and approvers it shows.

use time::OffsetDateTime;

use crate::api::{ExtensionDates, RequestView, StageView};
use crate::assignment::{extended_end, Assignment};
use crate::catalog::AccessPackage;
use crate::ids::UserId;
use crate::permission::{may, Action, Actor, Target};
use crate::policy::{stage_approvers, AssignmentPolicy};
use crate::preview::{DirectorySnapshot, PersonSummary};
use crate::request::{stage_deadline, AccessRequest, RequestState, RequestType};

/// The people who may decide the current stage of `request` now (none unless it is
/// pending at a stage of `policy`, or when its requestor left the directory).
pub fn current_approvers(
    request: &AccessRequest,
    policy: &AssignmentPolicy,
    directory: &DirectorySnapshot,
) -> Vec<UserId> {
    let Some(stage) = request.current_stage else {
        return Vec::new();
    };
    let Some(requestor) = directory.person(&request.requestor) else {
        return Vec::new();
    };
    stage_approvers(
        policy,
        usize::from(stage),
        request.escalated,
        &requestor.user,
        directory,
    )
    .map(|resolved| resolved.people)
    .unwrap_or_default()
}

/// Whether `person` approves some stage of `request` (as a primary, fallback or
/// escalation approver), whatever stage the request has reached: such a person may see it,
/// and learns "already decided" rather than "not found" when someone else was quicker.
pub fn approves_some_stage(
    request: &AccessRequest,
    policy: &AssignmentPolicy,
    directory: &DirectorySnapshot,
    person: &UserId,
) -> bool {
    let Some(requestor) = directory.person(&request.requestor) else {
        return false;
    };
    let approves = |escalated: bool| {
        (0..policy.rules.stages.len()).any(|stage| {
            stage_approvers(policy, stage, escalated, &requestor.user, directory)
                .is_some_and(|resolved| resolved.people.contains(person))
        })
    };
    approves(false) || approves(true)
}

/// What the views of these requests need from the directory, short of everyone: their
/// requestors and deciders, the people and groups their policies' stages name, and the
/// connected organisations' sponsors. The requestors' managers are the caller's to add
/// once the requestors are loaded.
pub fn directory_needs<'a>(
    requests: impl IntoIterator<Item = (&'a AccessRequest, Option<&'a AssignmentPolicy>)>,
    organizations: &[crate::organization::ConnectedOrganization],
) -> (
    std::collections::BTreeSet<UserId>,
    std::collections::BTreeSet<crate::ids::GroupId>,
) {
    use crate::policy::Approver;
    let mut people = std::collections::BTreeSet::new();
    let mut groups = std::collections::BTreeSet::new();
    for (request, policy) in requests {
        people.insert(request.requestor.clone());
        people.extend(request.decisions.iter().map(|d| d.approver.clone()));
        let stages = policy
            .map(|p| p.rules.stages.as_slice())
            .unwrap_or_default();
        for stage in stages {
            let escalation = stage.escalation.iter().flat_map(|e| e.approvers.iter());
            for approver in stage
                .approvers
                .iter()
                .chain(&stage.fallback_approvers)
                .chain(escalation)
            {
                match approver {
                    Approver::User { id } => {
                        people.insert(id.clone());
                    }
                    Approver::GroupMembers { id } => {
                        groups.insert(id.clone());
                    }
                    _ => {}
                }
            }
        }
    }
    for organization in organizations {
        people.extend(organization.internal_sponsors.iter().cloned());
        people.extend(organization.external_sponsors.iter().cloned());
    }
    (people, groups)
}

/// Whether `caller` may decide `request` now: it waits for a decision and they may
/// decide its current stage. The approvals inbox keeps only such requests before it
/// builds any view.
pub fn may_decide_now(
    request: &AccessRequest,
    policy: Option<&AssignmentPolicy>,
    directory: &DirectorySnapshot,
    caller: &Actor,
) -> bool {
    request.state == RequestState::PendingApproval
        && decides(
            request,
            &policy
                .map(|policy| current_approvers(request, policy, directory))
                .unwrap_or_default(),
            caller,
        )
}

fn decides(request: &AccessRequest, approvers: &[UserId], caller: &Actor) -> bool {
    let target = Target::Request {
        requestor: &request.requestor,
        current_approvers: approvers,
    };
    request.state == RequestState::PendingApproval && may(caller, Action::DecideRequest, &target)
}

/// A request with names, stages, and whether `caller` may decide it now. `policy` is
/// `None` when the policy was deleted. People are looked up in `directory`.
pub fn request_view(
    request: AccessRequest,
    policy: Option<&AssignmentPolicy>,
    package: &AccessPackage,
    directory: &DirectorySnapshot,
    caller: &Actor,
) -> RequestView {
    let approvers = policy
        .map(|policy| current_approvers(&request, policy, directory))
        .unwrap_or_default();
    let requestor = match directory.person(&request.requestor) {
        Some(person) => PersonSummary::of(&person.user),
        None => PersonSummary {
            id: request.requestor.clone(),
            display_name: "Unknown person".to_owned(),
            email: String::new(),
            department: None,
        },
    };
    let stages = policy
        .map(|policy| policy.rules.stages.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(index, definition)| {
            let stage = u8::try_from(index).unwrap_or(u8::MAX);
            let decision = request
                .decisions
                .iter()
                .find(|decision| decision.stage == stage)
                .cloned();
            let decided_by = decision.as_ref().and_then(|decision| {
                directory
                    .person(&decision.approver)
                    .map(|person| person.user.display_name.clone())
            });
            let people = match request.current_stage == Some(stage) {
                true => approvers
                    .iter()
                    .filter_map(|id| directory.person(id))
                    .map(|person| PersonSummary::of(&person.user))
                    .collect(),
                false => Vec::new(),
            };
            StageView {
                stage,
                approvers: people,
                approver_justification_required: definition.approver_justification_required,
                decision,
                decided_by,
            }
        })
        .collect();
    let caller_may_decide = decides(&request, &approvers, caller);
    let times_out_at = policy.and_then(|policy| stage_deadline(&request, policy));
    RequestView {
        requestor,
        package_name: package.name.clone(),
        policy_name: policy
            .map(|policy| policy.rules.name.clone())
            .unwrap_or_else(|| "Deleted policy".to_owned()),
        questions: policy
            .map(|policy| policy.rules.questions.clone())
            .unwrap_or_default(),
        stages,
        times_out_at,
        caller_may_decide,
        extension: None,
        request,
    }
}

/// For an open extension request whose requestor holds `held` (the live assignment of the
/// package): when that access ends now and when it would end if the extension were granted
/// at `now`. `None` for other requests, decided ones, and when nothing is held.
pub fn extension_dates(
    request: &AccessRequest,
    policy: &AssignmentPolicy,
    held: Option<&Assignment>,
    now: OffsetDateTime,
) -> Option<ExtensionDates> {
    let open = matches!(
        request.state,
        RequestState::Submitted | RequestState::PendingApproval | RequestState::Approved
    );
    if request.request_type != RequestType::UserExtend || !open {
        return None;
    }
    let held = held.filter(|held| {
        held.state.is_live()
            && held.user_id == request.requestor
            && held.access_package_id == request.access_package_id
    })?;
    Some(ExtensionDates {
        current_end: held.end,
        requested_end: extended_end(
            held.end,
            request.schedule.end,
            &policy.rules.expiration,
            now,
        ),
    })
}

/// Who may see a request: its requestor, those who decided a stage or approve one (as a
/// primary, fallback or escalation approver), and those who may read the catalog's
/// assignments.
pub fn may_see(
    view: &RequestView,
    policy: Option<&AssignmentPolicy>,
    package: &AccessPackage,
    directory: &DirectorySnapshot,
    caller: &Actor,
) -> bool {
    let me = &caller.user_id;
    view.request.requestor == *me
        || view.caller_may_decide
        || view
            .request
            .decisions
            .iter()
            .any(|decision| &decision.approver == me)
        || may(
            caller,
            Action::ReadAssignments,
            &Target::Catalog(&package.catalog_id),
        )
        || policy.is_some_and(|policy| approves_some_stage(&view.request, policy, directory, me))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::UserKind;
    use crate::ids::{CatalogId, PackageId};
    use crate::policy::Approver;
    use crate::preview::DirectoryPerson;
    use crate::request::{Decision, DecisionKind};
    use crate::testkit::{member, named, policy_with, stage, submitted_request, t0, valid_draft};

    fn directory() -> DirectorySnapshot {
        let mut alice = member("alice");
        alice.manager = Some(UserId::new("mia"));
        alice.display_name = "Alice A".to_owned();
        let mut bob = member("bob");
        bob.display_name = "Bob B".to_owned();
        let mut mia = member("mia");
        mia.display_name = "Mia M".to_owned();
        DirectorySnapshot::new(
            [alice, bob, mia, member("eve")]
                .into_iter()
                .map(|user| DirectoryPerson {
                    user,
                    groups: Vec::new(),
                })
                .collect(),
            Vec::new(),
        )
    }

    fn two_stages() -> AssignmentPolicy {
        let mut rules = valid_draft();
        rules.stages = vec![stage(vec![Approver::Manager]), stage(vec![named("bob")])];
        rules.stages[1].approver_justification_required = true;
        policy_with(rules)
    }

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

    fn actor(id: &str) -> Actor {
        Actor {
            user_id: UserId::new(id),
            kind: UserKind::Member,
            global_roles: Vec::new(),
            catalog_roles: Vec::new(),
        }
    }

    fn at_stage_one() -> AccessRequest {
        let mut request = submitted_request();
        request.state = RequestState::PendingApproval;
        request.current_stage = Some(1);
        request.stage_started_at = Some(t0());
        request.decisions = vec![Decision {
            stage: 0,
            approver: UserId::new("mia"),
            decision: DecisionKind::Approve,
            justification: None,
            decided_at: t0(),
        }];
        request
    }

    #[test]
    fn a_views_directory_needs_its_requestor_deciders_named_people_groups_and_sponsors() {
        let mut policy = two_stages();
        policy.rules.stages[0].fallback_approvers = vec![Approver::GroupMembers {
            id: crate::ids::GroupId::new("grp-leads"),
        }];
        let request = at_stage_one();
        let mut fabrikam = crate::testkit::organization(
            "org-fabrikam",
            "fabrikam.example",
            crate::organization::ConnectedOrgState::Configured,
        );
        fabrikam.internal_sponsors = vec![UserId::new("hannah")];
        let (people, groups) = directory_needs([(&request, Some(&policy))], &[fabrikam]);
        let people: Vec<&str> = people.iter().map(UserId::as_str).collect();
        // The requestor, Mia who decided stage 1, Bob whom stage 2 names, the sponsor.
        assert_eq!(people, [request.requestor.as_str(), "bob", "hannah", "mia"]);
        let groups: Vec<&str> = groups.iter().map(|g| g.as_str()).collect();
        assert_eq!(groups, ["grp-leads"]);
    }

    #[test]
    fn the_view_names_people_from_the_snapshot() {
        let policy = two_stages();
        let view = request_view(
            at_stage_one(),
            Some(&policy),
            &package(),
            &directory(),
            &actor("bob"),
        );
        assert_eq!(view.requestor.display_name, "Alice A");
        assert_eq!(view.stages.len(), 2);
        assert_eq!(view.stages[0].decided_by.as_deref(), Some("Mia M"));
        assert!(
            view.stages[0].approvers.is_empty(),
            "only the current stage lists approvers"
        );
        let names: Vec<&str> = view.stages[1]
            .approvers
            .iter()
            .map(|p| p.display_name.as_str())
            .collect();
        assert_eq!(names, ["Bob B"]);
        assert!(view.stages[1].approver_justification_required);
        assert!(view.caller_may_decide);
        assert_eq!(view.times_out_at, Some(t0() + time::Duration::days(7)));
        assert_eq!(view.package_name, "Wiki");
    }

    #[test]
    fn only_current_approvers_may_decide_and_who_may_see() {
        let policy = two_stages();
        let dir = directory();
        let view = request_view(
            at_stage_one(),
            Some(&policy),
            &package(),
            &dir,
            &actor("mia"),
        );
        assert!(
            !view.caller_may_decide,
            "Mia decided stage 1; stage 2 is Bob's"
        );
        assert!(may_see(
            &view,
            Some(&policy),
            &package(),
            &dir,
            &actor("mia")
        ));
        assert!(may_see(
            &view,
            Some(&policy),
            &package(),
            &dir,
            &actor("alice")
        ));
        assert!(!may_see(
            &view,
            Some(&policy),
            &package(),
            &dir,
            &actor("eve")
        ));
        let mut first = at_stage_one();
        first.current_stage = Some(0);
        first.decisions.clear();
        let view = request_view(first, Some(&policy), &package(), &dir, &actor("eve"));
        assert!(
            may_see(&view, Some(&policy), &package(), &dir, &actor("bob")),
            "Bob approves a later stage"
        );
    }

    #[test]
    fn a_deleted_policy_or_unknown_person_still_gives_a_view() {
        let mut request = at_stage_one();
        request.requestor = UserId::new("gone");
        let view = request_view(request, None, &package(), &directory(), &actor("bob"));
        assert_eq!(view.requestor.display_name, "Unknown person");
        assert_eq!(view.policy_name, "Deleted policy");
        assert!(view.stages.is_empty());
        assert!(!view.caller_may_decide);
    }

    #[test]
    fn an_open_extension_shows_the_current_end_and_the_one_it_would_bring() {
        use crate::assignment::AssignmentState;
        use crate::ids::{AssignmentId, PolicyId};
        let policy = two_stages();
        let days = time::Duration::days;
        let mut request = at_stage_one();
        request.request_type = RequestType::UserExtend;
        let held = Assignment {
            id: AssignmentId::new("as-1"),
            user_id: UserId::new("alice"),
            access_package_id: PackageId::new("ap-1"),
            policy_id: PolicyId::new("pol-1"),
            request_id: None,
            state: AssignmentState::Delivered,
            start: t0(),
            end: Some(t0() + days(30)),
            created_at: t0(),
        };
        let now = t0() + days(20);
        // The policy's 90 days count from the current end, not from today.
        assert_eq!(
            extension_dates(&request, &policy, Some(&held), now),
            Some(ExtensionDates {
                current_end: Some(t0() + days(30)),
                requested_end: Some(t0() + days(120)),
            })
        );
        // Past its end (not expired yet), the time counts from now.
        assert_eq!(
            extension_dates(&request, &policy, Some(&held), t0() + days(40))
                .and_then(|dates| dates.requested_end),
            Some(t0() + days(130))
        );
        // An end the requestor chose wins.
        let mut chosen = request.clone();
        chosen.schedule.end = Some(t0() + days(45));
        assert_eq!(
            extension_dates(&chosen, &policy, Some(&held), now)
                .and_then(|dates| dates.requested_end),
            Some(t0() + days(45))
        );
        // Not for other requests, decided ones, or without access held.
        let mut added = request.clone();
        added.request_type = RequestType::UserAdd;
        assert_eq!(extension_dates(&added, &policy, Some(&held), now), None);
        let mut denied = request.clone();
        denied.state = RequestState::Denied;
        assert_eq!(extension_dates(&denied, &policy, Some(&held), now), None);
        assert_eq!(extension_dates(&request, &policy, None, now), None);
        let mut ended = held.clone();
        ended.state = AssignmentState::Expired;
        assert_eq!(extension_dates(&request, &policy, Some(&ended), now), None);
    }
}
