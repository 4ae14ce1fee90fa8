//! A request as its pages show it, and who may see and decide it, computed from data the
//! caller loaded once: the request, its policy and package, and one directory snapshot.
//! The server builds every request view through here, so one operation needs one
//! directory load however many requests, stages and approvers it shows.

use crate::api::{RequestView, StageView};
use crate::catalog::AccessPackage;
use crate::ids::UserId;
use crate::permission::{may, Action, Actor, Target};
use crate::policy::{stage_approvers, AssignmentPolicy};
use crate::preview::{DirectorySnapshot, PersonSummary};
use crate::request::{stage_deadline, AccessRequest, RequestState};

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
    let target = Target::Request {
        requestor: &request.requestor,
        current_approvers: &approvers,
    };
    let caller_may_decide = request.state == RequestState::PendingApproval
        && may(caller, Action::DecideRequest, &target);
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
        request,
    }
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
        DirectorySnapshot {
            people: [alice, bob, mia, member("eve")]
                .into_iter()
                .map(|user| DirectoryPerson {
                    user,
                    groups: Vec::new(),
                })
                .collect(),
            organizations: Vec::new(),
        }
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
}
