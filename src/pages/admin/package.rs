//! `/admin/access-packages/:id`: one access package: its details, what it grants, its
//! policies, who holds it, and its My Access link.

use entrada_domain::admin::{
    validate_direct_assignment, validate_package, DirectAssignmentDraft, PackageDraft,
    PackagePatch, PackageResourceRoleDraft, PolicyPatch,
};
use entrada_domain::api::{AssignmentView, CatalogDetail, CatalogPermissions};
use entrada_domain::assignment::AssignmentState;
use entrada_domain::catalog::{AccessPackage, PackageResourceRole, Resource};
use entrada_domain::directory::User;
use entrada_domain::ids::{PackageId, PolicyId};
use entrada_domain::policy::{AssignmentPolicy, Expiration};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use time::OffsetDateTime;

use super::catalog::NotYours;
use super::shared::{
    confirm, kind_label, load, perform, server_problem, PackageFields, Status, StatusLine,
};
use crate::api::{self, ApiError};
use crate::components::directory::PersonPicker;
use crate::components::form::{ErrorSummary, Feedback, FieldMessage};
use crate::components::policy_editor::ScopeKind;
use crate::components::request_time::{date, end_of_day_input, now};
use crate::components::{set_page_title, LinkBox, Loading, ProblemPanel};
use crate::url::{encode_path_segment, package_link};

/// The package and the catalog it belongs to (with the caller's permissions there).
pub(crate) async fn package_and_catalog(
    id: String,
) -> Result<(AccessPackage, CatalogDetail), ApiError> {
    let offer = api::access_package(id.clone()).await?;
    let catalog = api::catalog(offer.package.catalog_id.to_string()).await?;
    let package = catalog
        .packages
        .iter()
        .find(|package| package.id.as_str() == id)
        .cloned()
        .unwrap_or(offer.package);
    Ok((package, catalog))
}

#[component]
pub(crate) fn PackagePage() -> impl IntoView {
    set_page_title("Access package");
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let data = LocalResource::new(move || package_and_catalog(id.get()));
    let status = RwSignal::new(Status::Idle);
    let refresh = Callback::new(move |()| data.refetch());
    let content = move || {
        Suspend::new(async move {
            match data.await {
                Ok((package, catalog)) => {
                    view! { <PackageView package catalog refresh status/> }.into_any()
                }
                Err(error) if error.is_not_found() || error.status == 403 => {
                    view! { <NotYours what="access package"/> }.into_any()
                }
                Err(error) => view! { <ProblemPanel error retry=refresh/> }.into_any(),
            }
        })
    };
    view! {
        <StatusLine status/>
        <Transition fallback=|| view! { <Loading text="Loading the access package…"/> }>{content}</Transition>
    }
}

#[component]
fn PackageView(
    package: AccessPackage,
    catalog: CatalogDetail,
    refresh: Callback<()>,
    status: RwSignal<Status>,
) -> impl IntoView {
    set_page_title(&package.name);
    let permissions = catalog.permissions;
    let catalog_href = format!(
        "/admin/catalogs/{}",
        encode_path_segment(catalog.catalog.id.as_str())
    );
    let policies = {
        let id = package.id.to_string();
        LocalResource::new(move || api::policies(id.clone()))
    };
    let link = package_link(
        &window().location().origin().unwrap_or_default(),
        package.id.as_str(),
    );
    view! {
        <p class="breadcrumb"><A href=catalog_href>{format!("Catalog: {}", catalog.catalog.name)}</A></p>
        <PackageHeader package=package.clone() permissions refresh status/>
        <section class="card admin-section" aria-labelledby="link-heading">
            <h2 id="link-heading">"Request link"</h2>
            <p class="muted">"Send this link to the people who should ask for this package, for example a partner's contact person."</p>
            <LinkBox id="package-link" label="My Access link" link/>
        </section>
        <GrantsSection package_id=package.id.clone() resources=catalog.resources.clone()
            manage=permissions.manage_packages status/>
        <PoliciesSection package_id=package.id.clone() policies manage=permissions.manage_packages status/>
        <AssignmentsSection package_id=package.id.clone() policies permissions status/>
    }
}

#[component]
fn PackageHeader(
    package: AccessPackage,
    permissions: CatalogPermissions,
    refresh: Callback<()>,
    status: RwSignal<Status>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let navigate = use_navigate();
    let catalog_path = format!(
        "/admin/catalogs/{}",
        encode_path_segment(package.catalog_id.as_str())
    );
    let delete = {
        let id = package.id.to_string();
        let name = package.name.clone();
        move |_| {
            if !confirm(&format!(
                "Delete the access package “{name}” and its policies? If anyone ever requested or held it, it is archived instead: kept for audit and reports, and nobody can request it."
            )) {
                return;
            }
            let navigate = navigate.clone();
            let catalog_path = catalog_path.clone();
            perform(
                status,
                "Deleting the access package…",
                "Access package deleted (archived when it has history).".to_owned(),
                api::delete_package(id.clone()),
                move |()| navigate(&catalog_path, Default::default()),
            );
        }
    };
    let description = package.description.clone();
    let audits = super::shared::me().is_some_and(|me| {
        entrada_domain::permission::may(
            &me.actor(),
            entrada_domain::permission::Action::ReadAudit,
            &entrada_domain::permission::Target::Catalog(&package.catalog_id),
        )
    });
    let report_href = format!(
        "/admin/reports/access-packages/{}",
        crate::url::encode_path_segment(package.id.as_str())
    );
    let audit_href = format!(
        "/admin/audit?package={}",
        crate::url::encode_query_value(package.id.as_str())
    );
    view! {
        <header class="page-head">
            <h1>{package.name.clone()}</h1>
            {audits.then(|| view! {
                <p class="report-links"><A href=report_href>"Who has it"</A>" · "<A href=audit_href>"Its audit trail"</A></p>
            })}
            <ul class="facts">
                <li>{match (package.archived, package.hidden) {
                    (true, _) => "Archived: kept for audit and reports; nobody can request it",
                    (false, true) => "Hidden: reachable by its link only",
                    (false, false) => "Listed in My Access",
                }}</li>
            </ul>
            {(!description.is_empty()).then(|| view! { <p class="lead">{description.clone()}</p> })}
        </header>
        {permissions.manage_packages.then(|| view! {
            <div class="toolbar">
                <button type="button" class="button secondary" aria-expanded=move || editing.get().to_string()
                    aria-controls="edit-package" on:click=move |_| editing.update(|open| *open = !*open)>"Edit details"</button>
                <button type="button" class="button danger" on:click=delete.clone()>"Delete access package"</button>
            </div>
        })}
        <Show when=move || editing.get()>
            <EditPackage package=package.clone() editing refresh status/>
        </Show>
    }
}

#[component]
fn EditPackage(
    package: AccessPackage,
    editing: RwSignal<bool>,
    refresh: Callback<()>,
    status: RwSignal<Status>,
) -> impl IntoView {
    let draft = RwSignal::new(PackageDraft {
        catalog_id: package.catalog_id.clone(),
        name: package.name.clone(),
        description: package.description.clone(),
        hidden: package.hidden,
    });
    let local = Memo::new(move |_| {
        draft.with(|d| validate_package(d).err().map(|e| e.0).unwrap_or_default())
    });
    let feedback = Feedback::new(local.into());
    let form_status = RwSignal::new(Status::Idle);
    let problem = server_problem(form_status, feedback);
    let id = package.id.to_string();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if !local.get_untracked().is_empty() {
            feedback.show_all(true);
            return;
        }
        let draft = draft.get_untracked();
        let patch = PackagePatch {
            name: Some(draft.name),
            description: Some(Some(draft.description)),
            hidden: Some(draft.hidden),
        };
        perform(
            form_status,
            "Saving the access package…",
            "Saved.".to_owned(),
            api::edit_package(id.clone(), patch),
            move |_| {
                status.set(Status::Done("Access package saved.".to_owned()));
                editing.set(false);
                refresh.run(());
            },
        );
    };
    view! {
        <form id="edit-package" class="card form-section narrow-form" on:submit=submit novalidate>
            <h2>"Edit access package"</h2>
            <ErrorSummary feedback problem/>
            <PackageFields draft feedback/>
            <p class="status-line" role="status">{move || form_status.get().busy_text()}</p>
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || form_status.get().is_busy()>"Save"</button>
                <button type="button" class="button secondary" on:click=move |_| editing.set(false)>"Cancel"</button>
            </div>
        </form>
    }
}

/// What the package grants, from `GET /access-packages/{id}/resource-roles`, reloaded on
/// its own after each change.
#[component]
fn GrantsSection(
    package_id: PackageId,
    resources: Vec<Resource>,
    manage: bool,
    status: RwSignal<Status>,
) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let roles = {
        let id = package_id.to_string();
        load(
            move || version.get(),
            move |_| api::package_resource_roles(id.clone()),
        )
    };
    let refresh = Callback::new(move |()| version.update(|version| *version += 1));
    let body = move || {
        match roles.get() {
        None => view! { <Loading text="Loading what the package grants…"/> }.into_any(),
        Some(Err(error)) => view! {
            <p class="alert-box">{format!("What the package grants didn't load: {}", error.message())}</p>
        }
        .into_any(),
        Some(Ok(roles)) => view! {
            <GrantList package_id=package_id.clone() roles resources=resources.clone() manage refresh status/>
        }
        .into_any(),
    }
    };
    view! {
        <section class="card admin-section" aria-labelledby="grants-heading">
            <h2 id="grants-heading">"What it grants"</h2>
            {body}
        </section>
    }
}

#[component]
fn GrantList(
    package_id: PackageId,
    roles: Vec<PackageResourceRole>,
    resources: Vec<Resource>,
    manage: bool,
    refresh: Callback<()>,
    status: RwSignal<Status>,
) -> impl IntoView {
    let granted: Vec<(String, String)> = roles
        .iter()
        .map(|role| (role.resource_id.to_string(), role.role_id.clone()))
        .collect();
    let rows = match roles.is_empty() {
        true => view! { <p class="empty">"This package grants nothing yet."</p> }.into_any(),
        false => view! {
            <ul class="item-list">
                {roles.into_iter().map(|role| {
                    let name = format!("{} · {}", role.resource_name, role.role_name);
                    let remove = {
                        let package = package_id.to_string();
                        let role_id = role.id.to_string();
                        let name = name.clone();
                        move |_| {
                            if !confirm(&format!("Stop granting “{name}”? People who hold the package lose it unless another assignment gives it.")) {
                                return;
                            }
                            perform(status, "Removing the resource role…", format!("“{name}” removed."),
                                api::remove_package_resource_role(package.clone(), role_id.clone()), move |()| refresh.run(()));
                        }
                    };
                    view! {
                        <li class="item">
                            <div class="item-main">
                                <span class="item-name">{role.resource_name.clone()}</span>
                                <span class="tag">{kind_label(role.resource_kind)}</span>
                                <span class="item-detail">{format!("Role: {}", role.role_name)}</span>
                            </div>
                            {manage.then(|| view! {
                                <button type="button" class="button secondary small" on:click=remove.clone()>
                                    "Remove" <span class="visually-hidden">{format!(" {name}")}</span>
                                </button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any(),
    };
    view! {
        {rows}
        {manage.then(|| view! { <AddGrant package_id=package_id.clone() resources=resources.clone() granted=granted.clone() refresh status/> })}
    }
}

#[component]
fn AddGrant(
    package_id: PackageId,
    resources: Vec<Resource>,
    granted: Vec<(String, String)>,
    refresh: Callback<()>,
    status: RwSignal<Status>,
) -> impl IntoView {
    if resources.is_empty() {
        return view! {
            <p class="muted">"The catalog has no resources yet; its owners add them on the catalog page."</p>
        }
        .into_any();
    }
    let resources = StoredValue::new(resources);
    let granted = StoredValue::new(granted);
    let resource = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let role_options = move || {
        let chosen = resource.get();
        resources.with_value(|resources| {
            resources.iter().find(|r| r.id.as_str() == chosen).map(|r| {
                r.roles
                    .iter()
                    .filter(|role| {
                        granted.with_value(|granted| {
                            !granted.contains(&(chosen.clone(), role.id.clone()))
                        })
                    })
                    .map(
                        |role| view! { <option value=role.id.clone()>{role.name.clone()}</option> },
                    )
                    .collect_view()
            })
        })
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let draft = PackageResourceRoleDraft {
            resource_id: resource.get_untracked().into(),
            role_id: role.get_untracked(),
        };
        if draft.role_id.is_empty() || draft.resource_id.as_str().is_empty() {
            return;
        }
        perform(
            status,
            "Adding the resource role…",
            "Resource role added; people who hold the package get it too.".to_owned(),
            api::add_package_resource_role(package_id.to_string(), draft),
            move |_| refresh.run(()),
        );
    };
    view! {
        <form class="inline-form" on:submit=submit>
            <h3>"Add a resource role"</h3>
            <div class="form-row">
                <div class="field grow">
                    <label for="grant-resource">"Resource of the catalog"</label>
                    <select id="grant-resource" prop:value=move || resource.get()
                        on:change=move |event| { resource.set(event_target_value(&event)); role.set(String::new()); }>
                        <option value="">"Choose…"</option>
                        {resources.with_value(|resources| resources.iter().map(|r| view! {
                            <option value=r.id.to_string()>{format!("{} ({})", r.name, kind_label(r.kind))}</option>
                        }).collect_view())}
                    </select>
                </div>
                <div class="field grow">
                    <label for="grant-role">"Role"</label>
                    <select id="grant-role" prop:value=move || role.get()
                        disabled=move || resource.get().is_empty()
                        on:change=move |event| role.set(event_target_value(&event))>
                        <option value="">"Choose…"</option>
                        {role_options}
                    </select>
                </div>
                <button type="submit" class="button" disabled=move || role.get().is_empty()>"Add"</button>
            </div>
        </form>
    }
    .into_any()
}

type PoliciesResource = LocalResource<Result<Vec<AssignmentPolicy>, ApiError>>;

#[component]
fn PoliciesSection(
    package_id: PackageId,
    policies: PoliciesResource,
    manage: bool,
    status: RwSignal<Status>,
) -> impl IntoView {
    let new_href = format!(
        "/admin/access-packages/{}/policies/new",
        encode_path_segment(package_id.as_str())
    );
    let list = move || {
        Suspend::new(async move {
            match policies.await {
                Ok(list) if list.is_empty() => view! {
                    <p class="empty">"No policies: nobody can request this package, and it can't be assigned yet."</p>
                }
                .into_any(),
                Ok(list) => view! {
                    <ul class="item-list">
                        {list.into_iter().map(|policy| view! { <PolicyRow policy manage policies status/> }).collect_view()}
                    </ul>
                }
                .into_any(),
                Err(error) => view! { <p class="alert-box">{format!("The policies didn't load: {}", error.message())}</p> }.into_any(),
            }
        })
    };
    view! {
        <section class="card admin-section" aria-labelledby="policies-heading">
            <h2 id="policies-heading">"Policies"</h2>
            <p class="muted">"Who can request the package, who approves, and how long access lasts."</p>
            <Transition fallback=|| view! { <Loading text="Loading policies…"/> }>{list}</Transition>
            {manage.then(|| view! { <p><A href=new_href.clone() attr:class="button">"Add a policy"</A></p> })}
        </section>
    }
}

#[component]
fn PolicyRow(
    policy: AssignmentPolicy,
    manage: bool,
    policies: PoliciesResource,
    status: RwSignal<Status>,
) -> impl IntoView {
    let href = format!(
        "/admin/policies/{}",
        encode_path_segment(policy.id.as_str())
    );
    let rules = policy.rules.clone();
    let name = rules.name.clone();
    let accepting = rules.accepting_requests;
    let stages = match rules.stages.len() {
        0 => "No approval".to_owned(),
        1 => "1 approval stage".to_owned(),
        n => format!("{n} approval stages"),
    };
    let toggle = {
        let id = policy.id.to_string();
        let name = name.clone();
        move |_| {
            let (busy, done) = match accepting {
                true => (
                    "Stopping requests…",
                    format!("“{name}” no longer accepts requests."),
                ),
                false => (
                    "Accepting requests again…",
                    format!("“{name}” accepts requests again."),
                ),
            };
            perform(
                status,
                busy,
                done,
                api::edit_policy(
                    id.clone(),
                    PolicyPatch {
                        accepting_requests: Some(!accepting),
                        ..PolicyPatch::default()
                    },
                ),
                move |_| policies.refetch(),
            );
        }
    };
    let delete = {
        let id = policy.id.to_string();
        let name = name.clone();
        move |_| {
            if !confirm(&format!(
                "Delete the policy “{name}”? Assignments made under it keep their dates."
            )) {
                return;
            }
            perform(
                status,
                "Deleting the policy…",
                format!("Policy “{name}” deleted."),
                api::delete_policy(id.clone()),
                move |()| policies.refetch(),
            );
        }
    };
    let link_name = name.clone();
    view! {
        <li class="item policy-item">
            <div class="item-main">
                <A href=href><span class="item-name">{link_name}</span></A>
                <ul class="facts">
                    <li>{ScopeKind::of(&rules.requestor_scope).label()}</li>
                    <li>{stages}</li>
                    <li>{expiration_text(&rules.expiration)}</li>
                    {(!accepting).then(|| view! { <li class="warn">"Not accepting requests"</li> })}
                </ul>
            </div>
            {manage.then(|| view! {
                <div class="item-actions">
                    <button type="button" class="button secondary small" on:click=toggle.clone()>
                        {if accepting { "Stop accepting requests" } else { "Accept requests" }}
                        <span class="visually-hidden">{format!(" for {name}")}</span>
                    </button>
                    <button type="button" class="button secondary small danger-text" on:click=delete.clone()>
                        "Delete" <span class="visually-hidden">{format!(" {name}")}</span>
                    </button>
                </div>
            })}
        </li>
    }
}

#[component]
fn AssignmentsSection(
    package_id: PackageId,
    policies: PoliciesResource,
    permissions: CatalogPermissions,
    status: RwSignal<Status>,
) -> impl IntoView {
    let manage = permissions.manage_assignments;
    let assignments = {
        let id = package_id.to_string();
        LocalResource::new(move || api::assignments(id.clone()))
    };
    let list = move || {
        Suspend::new(async move {
            let policy_list = policies.await.unwrap_or_default();
            match assignments.await {
                Ok(list) if list.is_empty() => {
                    view! { <p class="empty">"Nobody holds this package."</p> }.into_any()
                }
                Ok(list) => view! {
                    <ul class="item-list">
                        {list.into_iter().map(|view| {
                            let policy_name = policy_list.iter().find(|p| p.id == view.assignment.policy_id)
                                .map(|p| p.rules.name.clone()).unwrap_or_else(|| "a deleted policy".to_owned());
                            view! { <AssignmentRow view policy_name manage assignments status/> }
                        }).collect_view()}
                    </ul>
                }
                .into_any(),
                Err(error) => view! { <p class="alert-box">{format!("The assignments didn't load: {}", error.message())}</p> }.into_any(),
            }
        })
    };
    view! {
        <section class="card admin-section" aria-labelledby="assignments-heading">
            <h2 id="assignments-heading">"Assignments"</h2>
            <Transition fallback=|| view! { <Loading text="Loading assignments…"/> }>{list}</Transition>
            {manage.then(|| view! { <AssignDirectly package_id=package_id.clone() policies assignments status/> })}
        </section>
    }
}

type AssignmentsResource = LocalResource<Result<Vec<AssignmentView>, ApiError>>;

#[component]
fn AssignmentRow(
    view: AssignmentView,
    policy_name: String,
    manage: bool,
    assignments: AssignmentsResource,
    status: RwSignal<Status>,
) -> impl IntoView {
    let assignment = view.assignment;
    let name = view.person.display_name.clone();
    let state = match assignment.state {
        AssignmentState::Delivering => "Being delivered",
        AssignmentState::Delivered => "Active",
        AssignmentState::Expired => "Expired",
        AssignmentState::Removed => "Removed",
    };
    let dates = match assignment.end {
        Some(end) => format!("{} to {}", day(assignment.start), day(end)),
        None => format!("Since {}, no end", day(assignment.start)),
    };
    let live = assignment.state.is_live();
    let remove = {
        let id = assignment.id.to_string();
        let name = name.clone();
        move |_| {
            if !confirm(&format!(
                "Remove {name}'s access? Their grants are taken back."
            )) {
                return;
            }
            perform(
                status,
                "Removing the assignment…",
                format!("{name}'s assignment removed."),
                api::remove_assignment(id.clone()),
                move |_| assignments.refetch(),
            );
        }
    };
    view! {
        <li class="item">
            <div class="item-main">
                <span class="item-name">{name.clone()}</span>
                <span class="tag" class:muted-tag=!live>{state}</span>
                <span class="item-detail muted">{format!("{} · {dates} · {policy_name}", view.person.email)}</span>
            </div>
            {(manage && live).then(|| view! {
                <button type="button" class="button secondary small" on:click=remove.clone()>
                    "Remove" <span class="visually-hidden">{format!(" {name}'s access")}</span>
                </button>
            })}
        </li>
    }
}

/// A day as the other pages write it ("Nov 30, 2026" in the person's language).
fn day(at: OffsetDateTime) -> String {
    date(at)
}

/// How long access lasts, with a date written like the rest of the page.
fn expiration_text(expiration: &Expiration) -> String {
    match expiration {
        Expiration::OnDate { date: end } => format!("Expires on {}", day(*end)),
        other => other.describe(),
    }
}

#[component]
fn AssignDirectly(
    package_id: PackageId,
    policies: PoliciesResource,
    assignments: AssignmentsResource,
    status: RwSignal<Status>,
) -> impl IntoView {
    let person = RwSignal::new(None::<User>);
    let policy = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    let tried = RwSignal::new(false);
    let form_status = RwSignal::new(Status::Idle);
    let draft = move || DirectAssignmentDraft {
        user_id: person.get().map(|p| p.id).unwrap_or_default(),
        access_package_id: package_id.clone(),
        policy_id: PolicyId::new(policy.get()),
        end: match end.get().trim().is_empty() {
            true => None,
            false => Some(end_of_day_input(&end.get())),
        },
    };
    let errors = Memo::new({
        let draft = draft.clone();
        move |_| {
            validate_direct_assignment(&draft(), now())
                .err()
                .map(|e| e.0)
                .unwrap_or_default()
        }
    });
    let message = move |field: &'static str| {
        Signal::derive(move || {
            if let Status::Failed(error) = form_status.get() {
                if let Some(message) = error.for_field(field) {
                    return Some(message.to_owned());
                }
            }
            if !tried.get() {
                return None;
            }
            errors.with(|errors| {
                errors
                    .iter()
                    .find(|e| e.field == field)
                    .map(|e| e.message.clone())
            })
        })
    };
    let problem = move || match form_status.get() {
        Status::Failed(error) if error.errors.is_empty() && error.status != 401 => {
            Some(error.message().to_owned())
        }
        _ => None,
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        tried.set(true);
        if !errors.get_untracked().is_empty() {
            return;
        }
        let name = person
            .get_untracked()
            .map(|p| p.display_name)
            .unwrap_or_default();
        perform(
            form_status,
            "Assigning…",
            "Assigned.".to_owned(),
            api::assign(draft()),
            move |_| {
                status.set(Status::Done(format!("{name} now holds the package.")));
                person.set(None);
                end.set(String::new());
                tried.set(false);
                assignments.refetch();
            },
        );
    };
    let policy_options = move || {
        policies
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|p| view! { <option value=p.id.to_string()>{p.rules.name}</option> })
            .collect_view()
    };
    let chosen = move || {
        person.get().map(|chosen| view! {
            <p class="chosen">
                "Person: " <strong>{chosen.display_name.clone()}</strong> " " <span class="muted">{chosen.email.clone()}</span>
                " " <button type="button" class="button secondary small" on:click=move |_| person.set(None)>"Change"</button>
            </p>
        })
    };
    let user_message = message("userId");
    let policy_message = message("policyId");
    let end_message = message("end");
    view! {
        <form class="inline-form" on:submit=submit novalidate>
            <h3>"Assign someone directly"</h3>
            <p class="muted">"Direct assignments need no request and no approval."</p>
            <div role="alert">{move || problem().map(|text| view! { <p class="alert-box">{text}</p> })}</div>
            <Show when=move || person.get().is_none() fallback=chosen>
                <PersonPicker id="assign-person" label="Person" on_pick=Callback::new(move |user| person.set(Some(user)))
                    described_by=Signal::derive(move || user_message.get().map(|_| "f-assign-user-error".to_owned()))/>
            </Show>
            <FieldMessage id="f-assign-user" message=user_message/>
            <div class="form-row">
                <div class="field grow" class:invalid=move || policy_message.get().is_some()>
                    <label for="assign-policy">"Under policy"</label>
                    <select id="assign-policy" prop:value=move || policy.get()
                        aria-describedby="assign-policy-error"
                        on:change=move |event| policy.set(event_target_value(&event))>
                        <option value="">"Choose…"</option>
                        {policy_options}
                    </select>
                    <FieldMessage id="assign-policy" message=policy_message/>
                </div>
                <div class="field" class:invalid=move || end_message.get().is_some()>
                    <label for="assign-end">"Ends (optional)"</label>
                    <input id="assign-end" type="date" prop:value=move || end.get()
                        aria-describedby="assign-end-error"
                        on:input=move |event| end.set(event_target_value(&event))/>
                    <FieldMessage id="assign-end" message=end_message/>
                </div>
            </div>
            <p class="status-line" role="status">{move || form_status.get().busy_text()}</p>
            <button type="submit" class="button" disabled=move || form_status.get().is_busy()>"Assign"</button>
        </form>
    }
}
