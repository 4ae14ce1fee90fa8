//! `/admin/…`: catalogs, access packages, policies and the guided setup wizards. Every
//! page shows only what the person may do (`may` for the organisation, the catalog's
//! `permissions` inside a catalog); the server checks every call again.

mod audit;
mod catalog;
mod integrations;
mod organizations;
mod outbox;
mod package;
mod policy;
mod reports;
mod settings;
mod shared;
mod wizard;

use entrada_domain::admin::{validate_catalog, CatalogDraft};
use entrada_domain::api::CatalogSummary;
use entrada_domain::permission::{may, Action, GlobalRole, Target};
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::components::directory::DirectoryCache;
use crate::components::form::{ErrorSummary, Feedback};
use crate::components::{set_page_title, Loading, ProblemPanel};

pub(crate) use audit::AuditPage;
pub(crate) use catalog::CatalogPage;
pub(crate) use integrations::IntegrationsPage;
pub(crate) use organizations::OrganizationsPage;
pub(crate) use outbox::OutboxPage;
pub(crate) use package::PackagePage;
pub(crate) use policy::{EditPolicyPage, NewPolicyPage};
pub(crate) use reports::{PackageReportPage, PersonReportPage, ResourceReportPage};
pub(crate) use settings::SettingsPage;
pub(crate) use wizard::{
    AnyPartnerWizard, DepartmentWizard, DirectoryUsersWizard, SpecificPartnersWizard,
};

use shared::{me, perform, server_problem, CatalogFields, Status};
use wizard::Scenario;

/// `/admin/…`: the frame of the admin area. It loads the directory's names once for the
/// pickers and lists below it.
#[component]
pub(crate) fn AdminArea() -> impl IntoView {
    DirectoryCache::provide();
    view! {
        <div class="admin-area">
            <Outlet/>
        </div>
    }
}

/// `/admin`: the catalogs the person may see, creating a catalog for those who may, and
/// the guided setups they can start.
#[component]
pub(crate) fn AdminHome() -> impl IntoView {
    set_page_title("Admin");
    let Some(me) = me() else {
        return view! { <Loading text="Loading your account…"/> }.into_any();
    };
    let actor = me.actor();
    let roles = role_names(&me);
    let may_create = may(&actor, Action::CreateCatalog, &Target::Organization);
    let catalogs = LocalResource::new(api::catalogs);
    let list = move || {
        let actor = actor.clone();
        Suspend::new(async move {
            match catalogs.await {
                Ok(catalogs) => {
                    view! { <CatalogList catalogs=catalogs.clone()/> <Wizards catalogs actor may_create/> }
                        .into_any()
                }
                Err(error) => {
                    let retry = Callback::new(move |()| catalogs.refetch());
                    view! { <ProblemPanel error retry/> }.into_any()
                }
            }
        })
    };
    view! {
        <h1>"Admin"</h1>
        <p class="lead">
            {match roles.is_empty() {
                true => "You don't hold any administrative role.".to_owned(),
                false => format!("You are: {}.", roles.join("; ")),
            }}
        </p>
        {may(&me.actor(), Action::ManageOrganization, &Target::Organization).then(|| view! {
            <section aria-labelledby="organisation-heading" class="admin-section">
                <h2 id="organisation-heading">"Organisation"</h2>
                <p><A href="/admin/connected-organizations">"Connected organisations"</A>
                    " — partners whose people may request access, their e-mail domains and sponsors."</p>
                <p><A href="/admin/settings">"Settings"</A>
                    " — what happens to external people when their access ends."</p>
                <p><A href="/admin/outbox">"Outbox"</A>" — every e-mail Entrada wrote and how its delivery went."</p>
                <p><A href="/admin/integrations">"Integrations"</A>" — the OpenID provider people sign in through, and how it is doing."</p>
            </section>
        })}
        {entrada_domain::permission::audit_scope(&me.actor()).is_some().then(|| view! {
            <section aria-labelledby="audit-heading" class="admin-section">
                <h2 id="audit-heading">"Audit and reports"</h2>
                <p><A href="/admin/audit">"Audit log"</A>
                    " — every change and decision: who, what, when; filter it and export it as CSV."</p>
                <PersonReportPicker/>
            </section>
        })}
        {may_create.then(|| view! { <CreateCatalog/> })}
        <Transition fallback=|| view! { <Loading text="Loading catalogs…"/> }>{list}</Transition>
    }
    .into_any()
}

fn role_names(me: &entrada_domain::api::Me) -> Vec<String> {
    let mut roles: Vec<String> = me
        .global_roles
        .iter()
        .map(|role| match role {
            GlobalRole::Administrator => "Administrator".to_owned(),
            GlobalRole::CatalogCreator => "Catalog creator".to_owned(),
        })
        .collect();
    roles.extend(
        me.catalog_roles
            .iter()
            .map(|grant| format!("{} of {}", grant.role.label(), grant.catalog_name)),
    );
    roles
}

#[component]
fn CatalogList(catalogs: Vec<CatalogSummary>) -> impl IntoView {
    let body = match catalogs.is_empty() {
        true => view! { <p class="empty">"There are no catalogs you can see yet."</p> }.into_any(),
        false => view! {
            <ul class="cards" aria-label="Catalogs">
                {catalogs.into_iter().map(|summary| view! { <li><CatalogCard summary/></li> }).collect_view()}
            </ul>
        }
        .into_any(),
    };
    view! {
        <section aria-labelledby="catalogs-heading" class="admin-section">
            <h2 id="catalogs-heading">"Catalogs"</h2>
            {body}
        </section>
    }
}

#[component]
fn CatalogCard(summary: CatalogSummary) -> impl IntoView {
    let catalog = summary.catalog;
    let href = format!(
        "/admin/catalogs/{}",
        crate::url::encode_path_segment(catalog.id.as_str())
    );
    let counts = format!(
        "{} · {}",
        plural(summary.package_count, "access package", "access packages"),
        plural(summary.resource_count, "resource", "resources")
    );
    let my_roles = summary
        .my_roles
        .iter()
        .map(|role| role.label())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <article class="card catalog-card">
            <h3 class="card-title"><A href=href>{catalog.name}</A></h3>
            <ul class="facts">
                <li>{if catalog.enabled { "Enabled" } else { "Disabled" }}</li>
                {catalog.external_users_allowed.then(|| view! { <li>"Open to external users"</li> })}
                <li>{counts}</li>
            </ul>
            {(!catalog.description.is_empty()).then(|| view! { <p>{catalog.description.clone()}</p> })}
            {(!my_roles.is_empty()).then(|| view! { <p class="muted">"Your role: " {my_roles}</p> })}
        </article>
    }
}

pub(crate) fn plural(count: impl Into<u64>, one: &str, many: &str) -> String {
    match count.into() {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// "Create catalog": a small form behind a button; the new catalog opens afterwards.
#[component]
fn CreateCatalog() -> impl IntoView {
    let open = RwSignal::new(false);
    let draft = RwSignal::new(CatalogDraft {
        enabled: true,
        ..CatalogDraft::default()
    });
    let local = Memo::new(move |_| {
        draft.with(|d| validate_catalog(d).err().map(|e| e.0).unwrap_or_default())
    });
    let feedback = Feedback::new(local.into());
    let status = RwSignal::new(Status::Idle);
    let problem = server_problem(status, feedback);
    let navigate = use_navigate();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if !local.get_untracked().is_empty() {
            feedback.show_all(true);
            return;
        }
        let navigate = navigate.clone();
        perform(
            status,
            "Creating the catalog…",
            "Catalog created.".to_owned(),
            api::create_catalog(draft.get_untracked()),
            move |catalog| {
                let path = format!(
                    "/admin/catalogs/{}",
                    crate::url::encode_path_segment(catalog.id.as_str())
                );
                navigate(&path, Default::default());
            },
        );
    };
    view! {
        <div class="toolbar">
            <button type="button" class="button" aria-expanded=move || open.get().to_string()
                aria-controls="create-catalog" on:click=move |_| open.update(|open| *open = !*open)>
                "Create catalog"
            </button>
        </div>
        <Show when=move || open.get()>
            <form id="create-catalog" class="card form-section narrow-form" on:submit=submit.clone() novalidate>
                <h2>"New catalog"</h2>
                <ErrorSummary feedback problem/>
                <CatalogFields draft feedback/>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || status.get().is_busy()>"Create catalog"</button>
                    <button type="button" class="button secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                </div>
                <p class="status-line" role="status">{move || status.get().busy_text()}</p>
            </form>
        </Show>
    }
}

/// The guided setups this person can start: each needs a catalog they may manage
/// packages in, or the right to create one.
#[component]
fn Wizards(
    catalogs: Vec<CatalogSummary>,
    actor: entrada_domain::permission::Actor,
    may_create: bool,
) -> impl IntoView {
    let manages = |summary: &CatalogSummary| {
        may(
            &actor,
            Action::ManagePackages,
            &Target::Catalog(&summary.catalog.id),
        )
    };
    let any_managed = catalogs.iter().any(manages);
    let any_external = catalogs
        .iter()
        .any(|summary| manages(summary) && summary.catalog.external_users_allowed);
    let offered: Vec<Scenario> = Scenario::ALL
        .into_iter()
        .filter(|scenario| match scenario {
            Scenario::DirectoryUsers => any_managed,
            Scenario::Department => may_create,
            Scenario::SpecificPartners | Scenario::AnyPartner => may_create || any_external,
        })
        .collect();
    if offered.is_empty() {
        return ().into_any();
    }
    view! {
        <section aria-labelledby="wizards-heading" class="admin-section">
            <h2 id="wizards-heading">"Guided setup"</h2>
            <p class="muted">"Each guide walks through catalog, resources, access package and policy, and saves everything at the end."</p>
            <ul class="cards" aria-label="Guided setups">
                {offered.into_iter().map(|scenario| view! {
                    <li>
                        <article class="card wizard-card">
                            <h3 class="card-title"><A href=scenario.path()>{scenario.title()}</A></h3>
                            <p>{scenario.summary()}</p>
                        </article>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

/// Opens the report of what one person holds and requested.
#[component]
fn PersonReportPicker() -> impl IntoView {
    let navigate = use_navigate();
    let open = Callback::new(move |user: entrada_domain::directory::User| {
        navigate(
            &format!(
                "/admin/reports/people/{}",
                crate::url::encode_path_segment(user.id.as_str())
            ),
            Default::default(),
        );
    });
    view! {
        <crate::components::directory::PersonPicker id="report-person" label="What does a person hold? Find them" on_pick=open/>
    }
}
