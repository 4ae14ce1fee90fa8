//! The guided setups, one per scenario of Entra's "common steps": a sequence of steps
//! (catalog, owners, resources, package, policy, review) that saves nothing until the
//! review step's "Create", which sends one `POST /setup` (one transaction on the server).
//!
//! Every step shows the domain's `validate_setup` messages next to its fields as the
//! person types (and whether a name is already taken, against the names the page knows),
//! and "Next" stays put while the step has errors.
//!
//! The draft lives in session storage until it is created or cancelled, so a reload
//! resumes it at the same step; leaving with a link, a reload or the browser's Back button
//! asks first. Focus goes to the new step's heading after Next and Back, and to the error
//! summary after a refused Next or Create.

mod review;
mod steps;

use entrada_domain::admin::{
    name_in_use, validate_setup, CatalogDraft, PackageDraft, SetupCatalog, SetupDraft, SetupResult,
    SetupRole, CATALOG_NAME_TAKEN, PACKAGE_NAME_TAKEN,
};
use entrada_domain::api::{CatalogDetail, CatalogSummary};
use entrada_domain::catalog::ResourceKind;
use entrada_domain::directory::User;
use entrada_domain::ids::{CatalogId, UserId};
use entrada_domain::permission::{may, Action, Actor, Target};
use entrada_domain::policy::{Approver, Expiration, PolicyDraft, RequestorScope};
use entrada_domain::FieldError;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use serde::{Deserialize, Serialize};

use super::shared::{confirm, focus_soon, load, me, LeaveGuard, Loaded, Status};
use crate::api;
use crate::components::focus::focus_field;
use crate::components::form::{Feedback, FieldLink};
use crate::components::policy_editor::{default_policy, ScopeKind};
use crate::components::request_time::now;
use crate::components::set_page_title;

use review::{DoneStep, ReviewStep};
use steps::{CatalogStep, OwnersStep, PackageStep, PolicyStep, ResourcesStep};

/// The four administrator setups of the seed document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// Share resources with users in your directory.
    DirectoryUsers,
    /// Share resources of another department (a new catalog with its owners).
    Department,
    /// Share with specific business partners (chosen connected organisations).
    SpecificPartners,
    /// Share with any business partner, or with anyone.
    AnyPartner,
}

impl Scenario {
    pub(crate) const ALL: [Scenario; 4] = [
        Scenario::DirectoryUsers,
        Scenario::Department,
        Scenario::SpecificPartners,
        Scenario::AnyPartner,
    ];

    pub(crate) fn path(self) -> &'static str {
        match self {
            Scenario::DirectoryUsers => "/admin/wizards/directory-users",
            Scenario::Department => "/admin/wizards/department",
            Scenario::SpecificPartners => "/admin/wizards/specific-partners",
            Scenario::AnyPartner => "/admin/wizards/any-partner",
        }
    }

    pub(crate) fn title(self) -> &'static str {
        match self {
            Scenario::DirectoryUsers => "Share resources with users in your directory",
            Scenario::Department => "Share resources of another department",
            Scenario::SpecificPartners => "Share resources with specific business partners",
            Scenario::AnyPartner => "Share resources with any business partner or anyone",
        }
    }

    pub(crate) fn summary(self) -> &'static str {
        match self {
            Scenario::DirectoryUsers => "People in specific groups of your directory request time-limited access to groups, applications and sites of a catalog you manage.",
            Scenario::Department => "Create a catalog for a department, name its owners, and set up the first access package they manage.",
            Scenario::SpecificPartners => "People of the connected organisations you choose, including people not yet in your directory, request access with approval. You get a link to send to the partner's contact.",
            Scenario::AnyPartner => "People of any connected organisation, or anyone at all (for example for a contract bid), request access with a reason and approval.",
        }
    }

    fn steps(self) -> &'static [Step] {
        match self {
            Scenario::Department => &[
                Step::Catalog,
                Step::Owners,
                Step::Resources,
                Step::Package,
                Step::Policy,
                Step::Review,
                Step::Done,
            ],
            _ => &[
                Step::Catalog,
                Step::Resources,
                Step::Package,
                Step::Policy,
                Step::Review,
                Step::Done,
            ],
        }
    }

    /// Whether the scenario is about people outside the directory.
    pub(crate) fn external(self) -> bool {
        matches!(self, Scenario::SpecificPartners | Scenario::AnyPartner)
    }

    /// The requestor scopes the policy step offers.
    pub(crate) fn scopes(self) -> Vec<ScopeKind> {
        match self {
            Scenario::DirectoryUsers | Scenario::Department => ScopeKind::DIRECTORY.to_vec(),
            Scenario::SpecificPartners => vec![ScopeKind::SpecificConnectedOrganizations],
            Scenario::AnyPartner => vec![
                ScopeKind::AllConfiguredConnectedOrganizations,
                ScopeKind::AllExternalUsers,
            ],
        }
    }

    fn initial_policy(self) -> PolicyDraft {
        let mut policy = default_policy();
        match self {
            Scenario::DirectoryUsers | Scenario::Department => {
                policy.name = "Members of chosen groups".to_owned();
                policy.requestor_scope = RequestorScope::SpecificDirectoryUsers {
                    users: Vec::new(),
                    groups: Vec::new(),
                };
            }
            Scenario::SpecificPartners => {
                policy.name = "Partner organisations".to_owned();
                policy.requestor_scope = RequestorScope::SpecificConnectedOrganizations {
                    organizations: Vec::new(),
                };
                policy.stages[0].approvers = vec![Approver::Sponsors];
                policy.expiration = Expiration::AfterDays { days: 90 };
            }
            Scenario::AnyPartner => {
                policy.name = "Any partner".to_owned();
                policy.requestor_scope = RequestorScope::AllConfiguredConnectedOrganizations;
                policy.requestor_justification_required = true;
                policy.stages[0].approvers = vec![Approver::Sponsors];
                policy.expiration = Expiration::AfterDays { days: 90 };
            }
        }
        policy
    }
}

/// One step of a wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Catalog,
    Owners,
    Resources,
    Package,
    Policy,
    Review,
    Done,
}

impl Step {
    fn label(self) -> &'static str {
        match self {
            Step::Catalog => "Catalog",
            Step::Owners => "Owners",
            Step::Resources => "Resources",
            Step::Package => "Access package",
            Step::Policy => "Policy",
            Step::Review => "Review",
            Step::Done => "Done",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Step::Catalog => "Choose the catalog",
            Step::Owners => "Add catalog owners",
            Step::Resources => "Choose resources and roles",
            Step::Package => "Describe the access package",
            Step::Policy => "Set the policy",
            Step::Review => "Review and create",
            Step::Done => "Created",
        }
    }

    /// Whether an error at `field` (a `validate_setup` path) belongs to this step.
    fn owns(self, field: &str) -> bool {
        match self {
            Step::Catalog => field.starts_with("catalog.") && !field.starts_with("catalog.owners"),
            Step::Owners => field.starts_with("catalog.owners"),
            Step::Resources => field == "roles" || field.starts_with("roles["),
            Step::Package => field.starts_with("package."),
            Step::Policy => field.starts_with("policy."),
            Step::Review | Step::Done => false,
        }
    }
}

/// Where the package goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum CatalogMode {
    Existing,
    New,
}

/// A resource role chosen in the resources step, with the names the review shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ChosenRole {
    pub kind: ResourceKind,
    pub origin_id: String,
    pub role_id: String,
    pub resource_name: String,
    pub role_name: String,
}

/// Everything a wizard holds while the person goes through it.
#[derive(Clone, Copy)]
pub(crate) struct Wizard {
    pub scenario: Scenario,
    pub step: RwSignal<usize>,
    pub mode: RwSignal<CatalogMode>,
    pub existing: RwSignal<Option<CatalogId>>,
    pub new_catalog: RwSignal<CatalogDraft>,
    pub owners: RwSignal<Vec<User>>,
    pub roles: RwSignal<Vec<ChosenRole>>,
    pub package: RwSignal<PackageDraft>,
    pub policy: RwSignal<PolicyDraft>,
    pub errors: Memo<Vec<FieldError>>,
    pub feedback: Feedback,
    pub result: RwSignal<Option<SetupResult>>,
    pub status: RwSignal<Status>,
    pub catalogs: Loaded<Vec<CatalogSummary>>,
    pub detail: Loaded<Option<CatalogDetail>>,
    /// Bumped to load the catalogs (and the chosen one) again, for their names.
    pub lookups: RwSignal<u32>,
    pub may_create: bool,
}

impl Wizard {
    fn new(scenario: Scenario, actor: &Actor) -> Wizard {
        let may_create = may(actor, Action::CreateCatalog, &Target::Organization);
        let mode = RwSignal::new(match scenario {
            Scenario::Department => CatalogMode::New,
            _ => CatalogMode::Existing,
        });
        let existing = RwSignal::new(None::<CatalogId>);
        let new_catalog = RwSignal::new(CatalogDraft {
            enabled: true,
            external_users_allowed: scenario.external(),
            ..CatalogDraft::default()
        });
        let owners = RwSignal::new(Vec::<User>::new());
        let roles = RwSignal::new(Vec::<ChosenRole>::new());
        let package = RwSignal::new(PackageDraft::default());
        let policy = RwSignal::new(scenario.initial_policy());
        let draft = move || {
            setup_draft(
                scenario,
                mode,
                existing,
                new_catalog,
                owners,
                roles,
                package,
                policy,
            )
        };
        let lookups = RwSignal::new(0_u32);
        let catalogs = load(move || lookups.get(), |_| api::catalogs());
        let detail = load(
            move || (mode.get(), existing.get(), lookups.get()),
            |(mode, id, _)| async move {
                match (mode, id) {
                    (CatalogMode::Existing, Some(id)) => {
                        api::catalog(id.to_string()).await.map(Some)
                    }
                    _ => Ok(None),
                }
            },
        );
        let errors = Memo::new(move |_| {
            let mut errors = validate_setup(&draft(), now())
                .err()
                .map(|errors| errors.0)
                .unwrap_or_default();
            taken_names(&mut errors, mode, new_catalog, package, catalogs, detail);
            errors
        });
        Wizard {
            scenario,
            step: RwSignal::new(0),
            mode,
            existing,
            new_catalog,
            owners,
            roles,
            package,
            policy,
            errors,
            feedback: Feedback::new(errors.into()),
            result: RwSignal::new(None),
            status: RwSignal::new(Status::Idle),
            catalogs,
            detail,
            lookups,
            may_create,
        }
    }

    /// The draft as `POST /setup` takes it.
    pub(crate) fn draft(&self) -> SetupDraft {
        setup_draft(
            self.scenario,
            self.mode,
            self.existing,
            self.new_catalog,
            self.owners,
            self.roles,
            self.package,
            self.policy,
        )
    }

    fn steps(&self) -> &'static [Step] {
        self.scenario.steps()
    }

    pub(crate) fn current(&self) -> Step {
        self.steps()[self.step.get().min(self.steps().len() - 1)]
    }

    /// Whether the package goes into a new catalog.
    pub(crate) fn new_catalog_chosen(&self) -> bool {
        self.mode.get() == CatalogMode::New
    }

    /// The errors of one step.
    pub(crate) fn step_errors(&self, step: Step) -> Vec<FieldError> {
        self.errors.with(|errors| {
            errors
                .iter()
                .filter(|error| step.owns(&error.field))
                .cloned()
                .collect()
        })
    }

    /// Moves to a step (the review's "Change" buttons) and focuses its heading.
    pub(crate) fn go_to(&self, step: Step) {
        self.forget_failure();
        self.show(step);
        focus_soon("wizard-step-heading");
    }

    /// Moves to a step without moving focus.
    fn show(&self, step: Step) {
        if let Some(index) = self.steps().iter().position(|known| *known == step) {
            self.step.set(index);
        }
    }

    /// The first step, in the wizard's order, that owns one of `errors`.
    fn first_step_of(&self, errors: &[FieldError]) -> Option<Step> {
        self.steps()
            .iter()
            .copied()
            .find(|step| errors.iter().any(|error| step.owns(&error.field)))
    }

    /// The server's last refusal no longer stands once the person moves on.
    fn forget_failure(&self) {
        if matches!(self.status.get_untracked(), Status::Failed(_)) {
            self.status.set(Status::Idle);
        }
    }

    fn next(&self) {
        self.forget_failure();
        let current = self.current();
        if !self.step_errors(current).is_empty() {
            self.feedback.show_all(true);
            focus_soon("wizard-errors");
            return;
        }
        self.feedback.show_all(false);
        self.step.update(|step| *step += 1);
        focus_soon("wizard-step-heading");
    }

    fn back(&self) {
        self.forget_failure();
        self.feedback.show_all(false);
        self.step.update(|step| *step = step.saturating_sub(1));
        focus_soon("wizard-step-heading");
    }

    /// Sends the whole setup. Errors the page knows of lead to the step that owns the
    /// first of them; the server's refusal shows in the summary, which takes focus.
    pub(crate) fn create(&self) {
        let wizard = *self;
        let pending = self.errors.get_untracked();
        if let Some(step) = self.first_step_of(&pending) {
            self.feedback.show_all(true);
            self.show(step);
            focus_soon("wizard-errors");
            return;
        }
        let draft = self.draft();
        self.status.set(Status::Busy(
            "Creating the catalog, access package and policy…".to_owned(),
        ));
        leptos::task::spawn_local(async move {
            match api::setup(draft).await {
                Ok(result) => {
                    forget_saved(wizard.scenario);
                    wizard.status.set(Status::Done("Created.".to_owned()));
                    wizard.result.set(Some(result));
                    wizard.go_to(Step::Done);
                }
                Err(error) => {
                    if !error.errors.is_empty() {
                        wizard.feedback.set_server(error.errors.clone());
                        if let Some(step) = wizard.first_step_of(&error.errors) {
                            wizard.show(step);
                        }
                    } else {
                        // A name someone else took meanwhile, say: look the names up again,
                        // so that the step with the name flags it.
                        wizard.feedback.show_all(true);
                        wizard.lookups.update(|count| *count += 1);
                    }
                    wizard.status.set(Status::Failed(error));
                    focus_soon("wizard-errors");
                }
            }
        });
    }

    /// What the wizard keeps in session storage, for `owner`.
    fn saved(&self, owner: &UserId) -> Saved {
        Saved {
            owner: owner.clone(),
            step: self.step.get(),
            mode: self.mode.get(),
            existing: self.existing.get(),
            new_catalog: self.new_catalog.get(),
            owners: self.owners.get(),
            roles: self.roles.get(),
            package: self.package.get(),
            policy: self.policy.get(),
        }
    }

    /// Picks up a draft kept in session storage (after a reload), at the same step.
    fn restore(&self, saved: Saved) {
        let last = self.steps().len().saturating_sub(2);
        self.mode.set(saved.mode);
        self.existing.set(saved.existing);
        self.new_catalog.set(saved.new_catalog);
        self.owners.set(saved.owners);
        self.roles.set(saved.roles);
        self.package.set(saved.package);
        self.policy.set(saved.policy);
        self.step.set(saved.step.min(last));
    }
}

/// A wizard's draft as session storage keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Saved {
    /// Who entered it: someone else signing in on the same tab starts afresh.
    owner: UserId,
    step: usize,
    mode: CatalogMode,
    existing: Option<CatalogId>,
    new_catalog: CatalogDraft,
    owners: Vec<User>,
    roles: Vec<ChosenRole>,
    package: PackageDraft,
    policy: PolicyDraft,
}

fn storage_key(scenario: Scenario) -> String {
    format!("entrada.wizard:{}", scenario.path())
}

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

fn load_saved(scenario: Scenario, owner: &UserId) -> Option<Saved> {
    let text = session_storage()?
        .get_item(&storage_key(scenario))
        .ok()
        .flatten()?;
    serde_json::from_str::<Saved>(&text)
        .ok()
        .filter(|saved| saved.owner == *owner)
}

fn keep_saved(scenario: Scenario, saved: &Saved) {
    if let (Some(storage), Ok(text)) = (session_storage(), serde_json::to_string(saved)) {
        let _ = storage.set_item(&storage_key(scenario), &text);
    }
}

fn forget_saved(scenario: Scenario) {
    if let Some(storage) = session_storage() {
        let _ = storage.remove_item(&storage_key(scenario));
    }
}

/// Adds "already exists" to the names the page knows are taken: the chosen catalog's
/// package names, or the names of the catalogs the person can see for a new catalog. The
/// server checks again on Create (someone may take a name meanwhile).
fn taken_names(
    errors: &mut Vec<FieldError>,
    mode: RwSignal<CatalogMode>,
    new_catalog: RwSignal<CatalogDraft>,
    package: RwSignal<PackageDraft>,
    catalogs: Loaded<Vec<CatalogSummary>>,
    detail: Loaded<Option<CatalogDetail>>,
) {
    let flagged = |errors: &[FieldError], field: &str| errors.iter().any(|e| e.field == field);
    if mode.get() == CatalogMode::Existing && !flagged(errors, "package.name") {
        let taken = detail.with(|detail| match detail {
            Some(Ok(Some(detail))) => package.with(|draft| {
                name_in_use(&draft.name, detail.packages.iter().map(|p| p.name.as_str()))
            }),
            _ => false,
        });
        if taken {
            errors.push(FieldError::new("package.name", PACKAGE_NAME_TAKEN));
        }
    }
    if mode.get() == CatalogMode::New && !flagged(errors, "catalog.name") {
        let taken = catalogs.with(|catalogs| match catalogs {
            Some(Ok(catalogs)) => new_catalog.with(|draft| {
                name_in_use(
                    &draft.name,
                    catalogs.iter().map(|c| c.catalog.name.as_str()),
                )
            }),
            _ => false,
        });
        if taken {
            errors.push(FieldError::new("catalog.name", CATALOG_NAME_TAKEN));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn setup_draft(
    scenario: Scenario,
    mode: RwSignal<CatalogMode>,
    existing: RwSignal<Option<CatalogId>>,
    new_catalog: RwSignal<CatalogDraft>,
    owners: RwSignal<Vec<User>>,
    roles: RwSignal<Vec<ChosenRole>>,
    package: RwSignal<PackageDraft>,
    policy: RwSignal<PolicyDraft>,
) -> SetupDraft {
    let catalog = match mode.get() {
        CatalogMode::Existing => SetupCatalog::Existing {
            id: existing.get().unwrap_or_default(),
        },
        CatalogMode::New => SetupCatalog::New {
            catalog: CatalogDraft {
                external_users_allowed: scenario.external()
                    || new_catalog.with(|c| c.external_users_allowed),
                ..new_catalog.get()
            },
            owners: owners.with(|owners| owners.iter().map(|owner| owner.id.clone()).collect()),
        },
    };
    let catalog_id = match mode.get() {
        CatalogMode::Existing => existing.get().unwrap_or_default(),
        CatalogMode::New => CatalogId::default(),
    };
    SetupDraft {
        catalog,
        package: PackageDraft {
            catalog_id,
            ..package.get()
        },
        roles: roles.with(|roles| {
            roles
                .iter()
                .map(|role| SetupRole {
                    kind: role.kind,
                    origin_id: role.origin_id.clone(),
                    role_id: role.role_id.clone(),
                })
                .collect()
        }),
        policy: policy.get(),
    }
}

#[component]
pub(crate) fn DirectoryUsersWizard() -> impl IntoView {
    view! { <WizardPage scenario=Scenario::DirectoryUsers/> }
}

#[component]
pub(crate) fn DepartmentWizard() -> impl IntoView {
    view! { <WizardPage scenario=Scenario::Department/> }
}

#[component]
pub(crate) fn SpecificPartnersWizard() -> impl IntoView {
    view! { <WizardPage scenario=Scenario::SpecificPartners/> }
}

#[component]
pub(crate) fn AnyPartnerWizard() -> impl IntoView {
    view! { <WizardPage scenario=Scenario::AnyPartner/> }
}

#[component]
fn WizardPage(scenario: Scenario) -> impl IntoView {
    set_page_title(scenario.title());
    let Some(me) = me() else {
        return ().into_any();
    };
    let actor = me.actor();
    let wizard = Wizard::new(scenario, &actor);
    if scenario == Scenario::Department && !wizard.may_create {
        return view! {
            <p class="breadcrumb"><A href="/admin">"Admin"</A></p>
            <h1>{scenario.title()}</h1>
            <section class="problem" role="alert">
                <h2>"You can't create catalogs"</h2>
                <p>"This guide starts with a new catalog. Administrators and catalog creators can create one."</p>
            </section>
        }
        .into_any();
    }
    provide_context(actor);

    // Unsaved work: everything differs from how the wizard started, until it is created.
    let initial = StoredValue::new(untrack(|| snapshot(&wizard)));
    // A draft kept from before a reload picks up where it was.
    let owner = me.user.id.clone();
    if let Some(saved) = load_saved(scenario, &owner) {
        wizard.restore(saved);
    }
    let leaving = RwSignal::new(false);
    let dirty = Signal::derive(move || {
        !leaving.get()
            && wizard.result.with(Option::is_none)
            && initial.with_value(|initial| *initial != snapshot(&wizard))
    });
    // Keep the draft (and its step) in session storage while it is unsaved work.
    Effect::new(move |_| {
        let saved = wizard.saved(&owner);
        if leaving.get() || wizard.result.with(Option::is_some) {
            return;
        }
        match dirty.get() || saved.step > 0 {
            true => keep_saved(scenario, &saved),
            false => forget_saved(scenario),
        }
    });

    // Leaving the wizard with a link or Back (confirmed when there was unsaved work) drops
    // the draft, as Cancel does; a reload resumes it.
    let on_leave = Callback::new(move |()| forget_saved(scenario));

    let navigate = use_navigate();
    let cancel = move |_| {
        if dirty.get_untracked() && !confirm("Discard this setup? Nothing has been saved yet.") {
            return;
        }
        // Leaving now must not ask a second time.
        leaving.set(true);
        forget_saved(scenario);
        navigate("/admin", Default::default());
    };

    let steps = wizard.steps();
    let visible_steps = steps.iter().filter(|step| **step != Step::Done).count();
    let indicator = move || {
        let current = wizard.step.get();
        steps
            .iter()
            .enumerate()
            .filter(|(_, step)| **step != Step::Done)
            .map(|(index, step)| {
                let state = match index.cmp(&current) {
                    std::cmp::Ordering::Less => "done",
                    std::cmp::Ordering::Equal => "current",
                    std::cmp::Ordering::Greater => "todo",
                };
                view! {
                    <li class=state aria-current=(index == current).then_some("step")>
                        <span class="step-number" aria-hidden="true">{index + 1}</span>
                        <span class="step-label">{step.label()}</span>
                        {(state == "done").then(|| view! { <span class="visually-hidden">" (done)"</span> })}
                    </li>
                }
            })
            .collect_view()
    };
    let position = move || {
        let current = wizard.current();
        match current {
            Step::Done => "Finished".to_owned(),
            _ => format!("Step {} of {visible_steps}", wizard.step.get() + 1),
        }
    };
    let body = move || match wizard.current() {
        Step::Catalog => view! { <CatalogStep wizard/> }.into_any(),
        Step::Owners => view! { <OwnersStep wizard/> }.into_any(),
        Step::Resources => view! { <ResourcesStep wizard/> }.into_any(),
        Step::Package => view! { <PackageStep wizard/> }.into_any(),
        Step::Policy => view! { <PolicyStep wizard/> }.into_any(),
        Step::Review => view! { <ReviewStep wizard/> }.into_any(),
        Step::Done => view! { <DoneStep wizard/> }.into_any(),
    };
    // The step's error summary: what the server refused, and the step's messages, each a
    // link to its field. It takes focus after a refused Next or Create.
    let step_errors = move || {
        let current = wizard.current();
        let problem = match wizard.status.get() {
            Status::Failed(error) if error.status != 401 => Some(error.message().to_owned()),
            _ => None,
        };
        let server: Vec<FieldError> = wizard
            .feedback
            .visible()
            .into_iter()
            .filter(|error| current.owns(&error.field))
            .collect();
        let errors = match server.is_empty() && wizard.feedback.showing_all() {
            true => wizard.step_errors(current),
            false => server,
        };
        // On the review, what the page now knows is wrong on earlier steps (a name taken
        // meanwhile, once the names are looked up again), each a way to the field.
        let elsewhere: Vec<(Step, FieldError)> = match (current, &problem) {
            (Step::Review, Some(_)) => wizard
                .errors
                .get()
                .into_iter()
                .filter_map(|error| {
                    wizard
                        .first_step_of(std::slice::from_ref(&error))
                        .map(|step| (step, error))
                })
                .collect(),
            _ => Vec::new(),
        };
        if problem.is_none() && errors.is_empty() {
            return None;
        }
        let heading = match errors.len() {
            0 => None,
            1 => Some("Before you go on, 1 field needs attention:".to_owned()),
            n => Some(format!("Before you go on, {n} fields need attention:")),
        };
        Some(view! {
            <div class="alert-box">
                // The server's words, unless the list below says the same about a field.
                {problem.map(|text| {
                    let text = elsewhere.is_empty().then_some(text);
                    view! { <p><strong>"Nothing was created."</strong>{text.map(|text| format!(" {text}"))}</p> }
                })}
                {(!elsewhere.is_empty()).then(|| view! {
                    <ul>{elsewhere.into_iter().map(|(step, error)| {
                        let path = error.field.clone();
                        view! {
                            <li>
                                {error.message}" "
                                <button type="button" class="button secondary small" on:click=move |_| {
                                    wizard.forget_failure();
                                    wizard.show(step);
                                    focus_field(&path);
                                }>
                                    "Change it" <span class="visually-hidden">{format!(" on the step “{}”", step.label())}</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}</ul>
                })}
                {heading.map(|text| view! { <p class="summary-heading">{text}</p> })}
                {(!errors.is_empty()).then(|| view! {
                    <ul>{errors.into_iter().map(|error| view! {
                        <li><FieldLink path=error.field>{error.message}</FieldLink></li>
                    }).collect_view()}</ul>
                })}
            </div>
        })
    };
    let nav = move || {
        let current = wizard.current();
        let first = wizard.step.get() == 0;
        match current {
            Step::Done => ().into_any(),
            Step::Review => view! {
                <div class="wizard-nav">
                    <button type="button" class="button secondary" on:click=move |_| wizard.back()>"Back"</button>
                    <button type="button" class="button" disabled=move || wizard.status.get().is_busy()
                        on:click=move |_| wizard.create()>
                        {move || if wizard.status.get().is_busy() { "Creating…" } else { "Create" }}
                    </button>
                </div>
            }
            .into_any(),
            _ => view! {
                <div class="wizard-nav">
                    {(!first).then(|| view! {
                        <button type="button" class="button secondary" on:click=move |_| wizard.back()>"Back"</button>
                    })}
                    <button type="button" class="button" on:click=move |_| wizard.next()>"Next"</button>
                </div>
            }
            .into_any(),
        }
    };
    view! {
        <LeaveGuard dirty on_leave/>
        <p class="breadcrumb"><A href="/admin">"Admin"</A></p>
        <div class="wizard-head">
            <h1>{scenario.title()}</h1>
            <Show when=move || wizard.current() != Step::Done>
                <button type="button" class="button secondary small" on:click=cancel.clone()>"Cancel"</button>
            </Show>
        </div>
        <nav aria-label="Setup steps">
            <ol class="wizard-steps">{indicator}</ol>
        </nav>
        <section class="wizard-step" aria-labelledby="wizard-step-heading">
            <p class="step-position">{position}</p>
            <h2 id="wizard-step-heading" tabindex="-1">{move || wizard.current().heading()}</h2>
            <div id="wizard-errors" tabindex="-1" role="alert">{step_errors}</div>
            {body}
            {nav}
        </section>
    }
    .into_any()
}

/// Everything the person entered, to tell whether there is unsaved work.
fn snapshot(
    wizard: &Wizard,
) -> (
    CatalogMode,
    Option<CatalogId>,
    CatalogDraft,
    Vec<User>,
    Vec<ChosenRole>,
    PackageDraft,
    PolicyDraft,
) {
    (
        wizard.mode.get(),
        wizard.existing.get(),
        wizard.new_catalog.get(),
        wizard.owners.get(),
        wizard.roles.get(),
        wizard.package.get(),
        wizard.policy.get(),
    )
}
