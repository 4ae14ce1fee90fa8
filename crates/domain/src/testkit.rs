//! Fixtures shared by the unit tests of several modules: a small organisation, a valid
//! policy draft and an in-memory directory view.

use std::collections::{BTreeMap, BTreeSet};

use time::macros::datetime;
use time::OffsetDateTime;

use crate::catalog::Catalog;
use crate::directory::{DirectoryView, SponsorKind, User, UserKind, UserState};
use crate::ids::{CatalogId, ConnectedOrgId, GroupId, PackageId, PolicyId, RequestId, UserId};
use crate::organization::{ConnectedOrgState, ConnectedOrganization};
use crate::policy::{
    ApprovalStage, Approver, AssignmentPolicy, Expiration, PolicyDraft, RequestorScope,
};
use crate::request::{AccessRequest, RequestState, RequestType, Schedule};

/// How many cases a property test runs: `default`, or `ENTRADA_PROPTEST_CASES` when it is
/// set (`cargo xtask harden properties` sets it far higher).
pub(crate) fn proptest_cases(default: u32) -> u32 {
    std::env::var("ENTRADA_PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}

/// The moment every test starts at.
pub(crate) fn t0() -> OffsetDateTime {
    datetime!(2026-03-02 09:00 UTC)
}

/// An active member of the directory, `{id}@contoso.example`.
pub(crate) fn member(id: &str) -> User {
    User {
        id: UserId::new(id),
        email: format!("{id}@contoso.example"),
        display_name: id.to_owned(),
        kind: UserKind::Member,
        state: UserState::Active,
        department: None,
        job_title: None,
        manager: None,
        connected_organization: None,
    }
}

/// An active guest with an e-mail address at `domain` and no recorded organisation.
pub(crate) fn guest(id: &str, domain: &str) -> User {
    User {
        email: format!("{id}@{domain}"),
        kind: UserKind::Guest,
        ..member(id)
    }
}

/// A connected organisation owning one e-mail domain.
pub(crate) fn organization(
    id: &str,
    domain: &str,
    state: ConnectedOrgState,
) -> ConnectedOrganization {
    ConnectedOrganization {
        id: ConnectedOrgId::new(id),
        name: id.to_owned(),
        description: String::new(),
        domains: vec![domain.to_owned()],
        state,
        internal_sponsors: Vec::new(),
        external_sponsors: Vec::new(),
    }
}

/// An enabled catalog open to external users.
pub(crate) fn catalog() -> Catalog {
    Catalog {
        id: CatalogId::new("cat-1"),
        name: "General".to_owned(),
        description: String::new(),
        enabled: true,
        external_users_allowed: true,
        created_by: None,
        created_at: t0(),
    }
}

/// A named-person approver.
pub(crate) fn named(id: &str) -> Approver {
    Approver::User {
        id: UserId::new(id),
    }
}

/// A stage with these approvers, no fallback, no escalation and a 7-day timeout.
pub(crate) fn stage(approvers: Vec<Approver>) -> ApprovalStage {
    ApprovalStage {
        approvers,
        fallback_approvers: Vec::new(),
        approver_justification_required: false,
        decision_timeout_days: 7,
        escalation: None,
    }
}

/// A valid draft: all members, one stage approved by `bob`, 90 days.
pub(crate) fn valid_draft() -> PolicyDraft {
    PolicyDraft {
        name: "All employees".to_owned(),
        description: "Any member may ask; Bob approves.".to_owned(),
        requestor_scope: RequestorScope::AllMembers,
        accepting_requests: true,
        requestor_justification_required: false,
        questions: Vec::new(),
        stages: vec![stage(vec![named("bob")])],
        expiration: Expiration::AfterDays { days: 90 },
        extension_allowed: true,
        requestor_may_choose_schedule: false,
    }
}

/// The policy `pol-1` of package `ap-1` with these rules.
pub(crate) fn policy_with(rules: PolicyDraft) -> AssignmentPolicy {
    AssignmentPolicy {
        id: PolicyId::new("pol-1"),
        access_package_id: PackageId::new("ap-1"),
        rules,
    }
}

/// A freshly submitted `userAdd` request by `alice` through `pol-1`, made at [`t0`].
pub(crate) fn submitted_request() -> AccessRequest {
    AccessRequest {
        id: RequestId::new("req-1"),
        request_type: RequestType::UserAdd,
        requestor: UserId::new("alice"),
        created_by: UserId::new("alice"),
        access_package_id: PackageId::new("ap-1"),
        policy_id: PolicyId::new("pol-1"),
        state: RequestState::Submitted,
        current_stage: None,
        stage_started_at: None,
        escalated: false,
        justification: None,
        answers: Vec::new(),
        schedule: Schedule::default(),
        decisions: Vec::new(),
        created_at: t0(),
        updated_at: t0(),
    }
}

/// An in-memory directory: managers, group members, sponsors and blocked people.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    pub(crate) managers: BTreeMap<UserId, UserId>,
    pub(crate) groups: BTreeMap<GroupId, Vec<UserId>>,
    /// Internal sponsors by organisation.
    pub(crate) sponsors: BTreeMap<ConnectedOrgId, Vec<UserId>>,
    /// External sponsors by organisation.
    pub(crate) external_sponsors: BTreeMap<ConnectedOrgId, Vec<UserId>>,
    pub(crate) blocked: BTreeSet<UserId>,
}

impl DirectoryView for Directory {
    fn manager_of(&self, user: &UserId) -> Option<UserId> {
        self.managers.get(user).cloned()
    }

    fn members_of(&self, group: &GroupId) -> Vec<UserId> {
        self.groups.get(group).cloned().unwrap_or_default()
    }

    fn sponsors_of(&self, organization: &ConnectedOrgId, kind: SponsorKind) -> Vec<UserId> {
        let sponsors = match kind {
            SponsorKind::Internal => &self.sponsors,
            SponsorKind::External => &self.external_sponsors,
        };
        sponsors.get(organization).cloned().unwrap_or_default()
    }

    fn is_active(&self, user: &UserId) -> bool {
        !self.blocked.contains(user)
    }
}
