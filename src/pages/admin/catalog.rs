//! `/admin/catalogs/:id`: one catalog, its resources, the people who manage it and its
//! access packages, with only the controls the catalog's `permissions` allow.

use entrada_domain::admin::{
    validate_catalog, validate_package, CatalogDraft, CatalogPatch, CatalogRoleDraft, PackageDraft,
    ResourceDraft,
};
use entrada_domain::api::{CatalogDetail, CatalogPermissions, CatalogRoleMember};
use entrada_domain::catalog::{AccessPackage, Catalog, CatalogRole, Resource, ResourceKind};
use entrada_domain::directory::User;
use entrada_domain::ids::CatalogId;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::shared::{
    confirm, directory_objects, kind_label, load, perform, server_problem, CatalogFields,
    PackageFields, Status, StatusLine,
};
use crate::api;
use crate::components::directory::PersonPicker;
use crate::components::form::{ErrorSummary, Feedback};
use crate::components::{set_page_title, Loading, ProblemPanel};
use crate::url::encode_path_segment;

#[component]
pub(crate) fn CatalogPage() -> impl IntoView {
    set_page_title("Catalog");
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let detail = LocalResource::new(move || api::catalog(id.get()));
    let status = RwSignal::new(Status::Idle);
    let refresh = Callback::new(move |()| detail.refetch());
    let content = move || {
        Suspend::new(async move {
            match detail.await {
                Ok(detail) => view! { <CatalogView detail refresh status/> }.into_any(),
                Err(error) if error.is_not_found() || error.status == 403 => {
                    view! { <NotYours what="catalog"/> }.into_any()
                }
                Err(error) => view! { <ProblemPanel error retry=refresh/> }.into_any(),
            }
        })
    };
    view! {
        <p class="breadcrumb"><A href="/admin">"Admin"</A></p>
        <StatusLine status/>
        <Transition fallback=|| view! { <Loading text="Loading the catalog…"/> }>{content}</Transition>
    }
}

/// What someone sees for a catalog or package they may not manage (or that doesn't exist):
/// the server answers 404 for both, so the page can't tell them apart either.
#[component]
pub(crate) fn NotYours(what: &'static str) -> impl IntoView {
    set_page_title(&format!("No such {what}"));
    view! {
        <section class="problem" role="alert">
            <h1>{format!("No such {what}")}</h1>
            <p>{format!("This {what} doesn't exist, or you don't have a role that lets you see it.")}</p>
            <p><A href="/admin">"Back to Admin"</A></p>
        </section>
    }
}

#[component]
fn CatalogView(
    detail: CatalogDetail,
    refresh: Callback<()>,
    status: RwSignal<Status>,
) -> impl IntoView {
    set_page_title(&detail.catalog.name);
    let permissions = detail.permissions;
    let catalog_id = detail.catalog.id.clone();
    view! {
        <CatalogHeader catalog=detail.catalog.clone() permissions refresh status/>
        <ResourcesSection catalog_id=catalog_id.clone() resources=detail.resources permissions refresh status/>
        <RolesSection catalog_id=catalog_id.clone() roles=detail.roles permissions refresh status/>
        <PackagesSection catalog_id packages=detail.packages permissions status/>
    }
}

#[component]
fn CatalogHeader(
    catalog: Catalog,
    permissions: CatalogPermissions,
    refresh: Callback<()>,
    status: RwSignal<Status>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let id = catalog.id.to_string();
    let enabled = catalog.enabled;
    let toggle = {
        let id = id.clone();
        move |_| {
            let (busy, done) = match enabled {
                true => (
                    "Disabling the catalog…",
                    "Catalog disabled: its packages can't be requested.",
                ),
                false => ("Enabling the catalog…", "Catalog enabled."),
            };
            perform(
                status,
                busy,
                done.to_owned(),
                api::edit_catalog(
                    id.clone(),
                    CatalogPatch {
                        enabled: Some(!enabled),
                        ..CatalogPatch::default()
                    },
                ),
                move |_| refresh.run(()),
            );
        }
    };
    let navigate = use_navigate();
    let delete = {
        let id = id.clone();
        let name = catalog.name.clone();
        move |_| {
            if !confirm(&format!(
                "Delete the catalog “{name}”? This can't be undone."
            )) {
                return;
            }
            let navigate = navigate.clone();
            perform(
                status,
                "Deleting the catalog…",
                "Catalog deleted.".to_owned(),
                api::delete_catalog(id.clone()),
                move |()| navigate("/admin", Default::default()),
            );
        }
    };
    let description = catalog.description.clone();
    view! {
        <header class="page-head">
            <h1>{catalog.name.clone()}</h1>
            <ul class="facts">
                <li>{if enabled { "Enabled" } else { "Disabled: nothing in it can be requested" }}</li>
                <li>{if catalog.external_users_allowed { "Open to external users" } else { "Directory users only" }}</li>
            </ul>
            {(!description.is_empty()).then(|| view! { <p class="lead">{description.clone()}</p> })}
            {(!permissions.edit_catalog).then(|| view! { <p class="muted">"You can read this catalog; its owners change it."</p> })}
        </header>
        {permissions.edit_catalog.then(|| view! {
            <div class="toolbar">
                <button type="button" class="button secondary" aria-expanded=move || editing.get().to_string()
                    aria-controls="edit-catalog" on:click=move |_| editing.update(|open| *open = !*open)>"Edit details"</button>
                <button type="button" class="button secondary" on:click=toggle.clone()>
                    {if enabled { "Disable catalog" } else { "Enable catalog" }}
                </button>
                <button type="button" class="button danger" on:click=delete.clone()>"Delete catalog"</button>
            </div>
        })}
        <Show when=move || editing.get()>
            <EditCatalog catalog=catalog.clone() editing refresh status/>
        </Show>
    }
}

#[component]
fn EditCatalog(
    catalog: Catalog,
    editing: RwSignal<bool>,
    refresh: Callback<()>,
    status: RwSignal<Status>,
) -> impl IntoView {
    let draft = RwSignal::new(CatalogDraft {
        name: catalog.name.clone(),
        description: catalog.description.clone(),
        enabled: catalog.enabled,
        external_users_allowed: catalog.external_users_allowed,
    });
    let local = Memo::new(move |_| {
        draft.with(|d| validate_catalog(d).err().map(|e| e.0).unwrap_or_default())
    });
    let feedback = Feedback::new(local.into());
    let form_status = RwSignal::new(Status::Idle);
    let problem = server_problem(form_status, feedback);
    let id = catalog.id.to_string();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if !local.get_untracked().is_empty() {
            feedback.show_all(true);
            return;
        }
        let draft = draft.get_untracked();
        let patch = CatalogPatch {
            name: Some(draft.name),
            description: Some(Some(draft.description)),
            external_users_allowed: Some(draft.external_users_allowed),
            ..CatalogPatch::default()
        };
        perform(
            form_status,
            "Saving the catalog…",
            "Catalog saved.".to_owned(),
            api::edit_catalog(id.clone(), patch),
            move |_| {
                status.set(Status::Done("Catalog saved.".to_owned()));
                editing.set(false);
                refresh.run(());
            },
        );
    };
    view! {
        <form id="edit-catalog" class="card form-section narrow-form" on:submit=submit novalidate>
            <h2>"Edit catalog"</h2>
            <ErrorSummary feedback problem/>
            <CatalogFields draft feedback/>
            <p class="status-line" role="status">{move || form_status.get().busy_text()}</p>
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || form_status.get().is_busy()>"Save"</button>
                <button type="button" class="button secondary" on:click=move |_| editing.set(false)>"Cancel"</button>
            </div>
        </form>
    }
}

#[component]
fn ResourcesSection(
    catalog_id: CatalogId,
    resources: Vec<Resource>,
    permissions: CatalogPermissions,
    refresh: Callback<()>,
    status: RwSignal<Status>,
) -> impl IntoView {
    let manage = permissions.manage_resources;
    let audits = super::shared::me().is_some_and(|me| {
        entrada_domain::permission::may(
            &me.actor(),
            entrada_domain::permission::Action::ReadAudit,
            &entrada_domain::permission::Target::Catalog(&catalog_id),
        )
    });
    let present: Vec<(ResourceKind, String)> = resources
        .iter()
        .map(|resource| (resource.kind, resource.origin_id.clone()))
        .collect();
    let rows = match resources.is_empty() {
        true => view! { <p class="empty">"No resources yet."</p> }.into_any(),
        false => view! {
            <ul class="item-list">
                {resources.into_iter().map(|resource| {
                    let roles = resource.roles.iter().map(|role| role.name.clone()).collect::<Vec<_>>().join(", ");
                    let name = resource.name.clone();
                    let report_href = format!(
                        "/admin/reports/resources/{}",
                        crate::url::encode_path_segment(resource.id.as_str())
                    );
                    let report_label = format!(" in {name}");
                    let remove = {
                        let catalog = catalog_id.to_string();
                        let resource_id = resource.id.to_string();
                        let name = name.clone();
                        move |_| {
                            if !confirm(&format!("Remove “{name}” from the catalog?")) {
                                return;
                            }
                            perform(status, "Removing the resource…", format!("“{name}” removed from the catalog."),
                                api::remove_resource(catalog.clone(), resource_id.clone()), move |()| refresh.run(()));
                        }
                    };
                    view! {
                        <li class="item">
                            <div class="item-main">
                                <span class="item-name">{name.clone()}</span>
                                <span class="tag">{kind_label(resource.kind)}</span>
                                <span class="muted item-detail">{format!("Roles: {roles}")}</span>
                                {audits.then(|| view! {
                                    <span class="item-detail"><A href=report_href.clone()>"Who holds its roles"<span class="visually-hidden">{report_label.clone()}</span></A></span>
                                })}
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
        <section class="card admin-section" aria-labelledby="resources-heading">
            <h2 id="resources-heading">"Resources"</h2>
            <p class="muted">"Groups, applications and sites that this catalog's packages can grant."</p>
            {rows}
            {manage.then(|| view! { <AddResource catalog_id=catalog_id.clone() present=present.clone() refresh status/> })}
        </section>
    }
}

#[component]
fn AddResource(
    catalog_id: CatalogId,
    present: Vec<(ResourceKind, String)>,
    refresh: Callback<()>,
    status: RwSignal<Status>,
) -> impl IntoView {
    let objects = load(|| (), |()| directory_objects());
    let kind = RwSignal::new("group".to_owned());
    let chosen = RwSignal::new(String::new());
    let present = StoredValue::new(present);
    let options = move || {
        let kind = ResourceKind::parse(&kind.get()).unwrap_or(ResourceKind::Group);
        match objects.get() {
            Some(Ok(objects)) => objects
                .into_iter()
                .filter(|object| object.kind == kind)
                .filter(|object| {
                    present.with_value(|present| !present.contains(&(object.kind, object.origin_id.clone())))
                })
                .map(|object| view! { <option value=object.origin_id.clone()>{object.name.clone()}</option> })
                .collect_view()
                .into_any(),
            _ => ().into_any(),
        }
    };
    let loading = move || match objects.get() {
        None => Some("Loading the directory…".to_owned()),
        Some(Err(error)) => Some(format!("The directory didn't load: {}", error.message())),
        Some(Ok(_)) => None,
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let origin_id = chosen.get_untracked();
        if origin_id.is_empty() {
            return;
        }
        let draft = ResourceDraft {
            kind: ResourceKind::parse(&kind.get_untracked()).unwrap_or(ResourceKind::Group),
            origin_id,
        };
        perform(
            status,
            "Adding the resource…",
            "Resource added.".to_owned(),
            api::add_resource(catalog_id.to_string(), draft),
            move |_| refresh.run(()),
        );
    };
    view! {
        <form class="inline-form" on:submit=submit>
            <h3>"Add a resource"</h3>
            <div class="form-row">
                <div class="field">
                    <label for="resource-kind">"Kind"</label>
                    <select id="resource-kind" prop:value=move || kind.get()
                        on:change=move |event| { kind.set(event_target_value(&event)); chosen.set(String::new()); }>
                        <option value="group">"Group"</option>
                        <option value="application">"Application"</option>
                        <option value="site">"Site"</option>
                    </select>
                </div>
                <div class="field grow">
                    <label for="resource-object">"Resource"</label>
                    <select id="resource-object" prop:value=move || chosen.get()
                        on:change=move |event| chosen.set(event_target_value(&event))>
                        <option value="">"Choose…"</option>
                        {options}
                    </select>
                </div>
                <button type="submit" class="button" disabled=move || chosen.get().is_empty()>"Add"</button>
            </div>
            <p class="hint">
                "Listed: the groups, applications and sites you may add. Besides administrators, only an owner of one in the directory may add it to a catalog."
            </p>
            <p class="status-line" role="status">{loading}</p>
        </form>
    }
}

#[component]
fn RolesSection(
    catalog_id: CatalogId,
    roles: Vec<CatalogRoleMember>,
    permissions: CatalogPermissions,
    refresh: Callback<()>,
    status: RwSignal<Status>,
) -> impl IntoView {
    let manage = permissions.manage_roles;
    let mut roles = roles;
    roles.sort_by(|a, b| (a.role, &a.person.display_name).cmp(&(b.role, &b.person.display_name)));
    let rows = roles
        .into_iter()
        .map(|member| {
            let name = member.person.display_name.clone();
            let remove = {
                let catalog = catalog_id.to_string();
                let grant = member.id.to_string();
                let name = name.clone();
                let role = member.role.label();
                move |_| {
                    if !confirm(&format!("Take the role “{role}” away from {name}?")) {
                        return;
                    }
                    perform(status, "Removing the role…", format!("{name} is no longer {role}."),
                        api::remove_catalog_role(catalog.clone(), grant.clone()), move |()| refresh.run(()));
                }
            };
            view! {
                <li class="item">
                    <div class="item-main">
                        <span class="item-name">{name.clone()}</span>
                        <span class="tag">{member.role.label()}</span>
                        <span class="muted item-detail">{member.person.email.clone()}</span>
                    </div>
                    {manage.then(|| view! {
                        <button type="button" class="button secondary small" on:click=remove.clone()>
                            "Remove" <span class="visually-hidden">{format!(" {name} as {}", member.role.label())}</span>
                        </button>
                    })}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card admin-section" aria-labelledby="roles-heading">
            <h2 id="roles-heading">"Who manages it"</h2>
            <ul class="item-list">{rows}</ul>
            {manage.then(|| view! { <AddRole catalog_id=catalog_id.clone() refresh status/> })}
        </section>
    }
}

#[component]
fn AddRole(
    catalog_id: CatalogId,
    refresh: Callback<()>,
    status: RwSignal<Status>,
) -> impl IntoView {
    let person = RwSignal::new(None::<User>);
    let role = RwSignal::new(CatalogRole::Owner.as_str().to_owned());
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(chosen) = person.get_untracked() else {
            return;
        };
        let role = CatalogRole::parse(&role.get_untracked()).unwrap_or(CatalogRole::Reader);
        let draft = CatalogRoleDraft {
            user_id: chosen.id.clone(),
            role,
        };
        perform(
            status,
            "Adding the role…",
            format!("{} is now {}.", chosen.display_name, role.label()),
            api::add_catalog_role(catalog_id.to_string(), draft),
            move |_| refresh.run(()),
        );
    };
    let chosen = move || {
        person.get().map(|chosen| view! {
            <p class="chosen">
                "Chosen: " <strong>{chosen.display_name.clone()}</strong> " " <span class="muted">{chosen.email.clone()}</span>
                " " <button type="button" class="button secondary small" on:click=move |_| person.set(None)>"Change"</button>
            </p>
        })
    };
    view! {
        <form class="inline-form" on:submit=submit>
            <h3>"Add someone"</h3>
            <Show when=move || person.get().is_none() fallback=chosen>
                <PersonPicker id="role-person" label="Person" on_pick=Callback::new(move |user| person.set(Some(user)))/>
            </Show>
            <div class="form-row">
                <div class="field grow">
                    <label for="role-kind">"Role"</label>
                    <select id="role-kind" prop:value=move || role.get() on:change=move |event| role.set(event_target_value(&event))>
                        {CatalogRole::ALL.into_iter().map(|role| view! { <option value=role.as_str()>{role.label()}</option> }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="button" disabled=move || person.get().is_none()>"Add role"</button>
            </div>
        </form>
    }
}

#[component]
fn PackagesSection(
    catalog_id: CatalogId,
    packages: Vec<AccessPackage>,
    permissions: CatalogPermissions,
    status: RwSignal<Status>,
) -> impl IntoView {
    let rows = match packages.is_empty() {
        true => view! { <p class="empty">"No access packages yet."</p> }.into_any(),
        false => view! {
            <ul class="item-list">
                {packages.into_iter().map(|package| {
                    let href = format!("/admin/access-packages/{}", encode_path_segment(package.id.as_str()));
                    let grants = super::plural(package.resource_roles.len() as u32, "resource role", "resource roles");
                    view! {
                        <li class="item">
                            <div class="item-main">
                                <A href=href><span class="item-name">{package.name.clone()}</span></A>
                                {package.hidden.then(|| view! { <span class="tag">"Hidden"</span> })}
                                {package.archived.then(|| view! { <span class="tag">"Archived"</span> })}
                                <span class="muted item-detail">{grants}</span>
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any(),
    };
    view! {
        <section class="card admin-section" aria-labelledby="packages-heading">
            <h2 id="packages-heading">"Access packages"</h2>
            {rows}
            {permissions.manage_packages.then(|| view! { <CreatePackage catalog_id=catalog_id.clone() status/> })}
        </section>
    }
}

#[component]
fn CreatePackage(catalog_id: CatalogId, status: RwSignal<Status>) -> impl IntoView {
    let open = RwSignal::new(false);
    let draft = RwSignal::new(PackageDraft {
        catalog_id: catalog_id.clone(),
        ..PackageDraft::default()
    });
    let local = Memo::new(move |_| {
        draft.with(|d| validate_package(d).err().map(|e| e.0).unwrap_or_default())
    });
    let feedback = Feedback::new(local.into());
    let form_status = RwSignal::new(Status::Idle);
    let problem = server_problem(form_status, feedback);
    let navigate = use_navigate();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if !local.get_untracked().is_empty() {
            feedback.show_all(true);
            return;
        }
        let navigate = navigate.clone();
        perform(
            form_status,
            "Creating the access package…",
            "Access package created.".to_owned(),
            api::create_package(draft.get_untracked()),
            move |package| {
                status.set(Status::Done("Access package created.".to_owned()));
                let path = format!(
                    "/admin/access-packages/{}",
                    encode_path_segment(package.id.as_str())
                );
                navigate(&path, Default::default());
            },
        );
    };
    view! {
        <div class="toolbar">
            <button type="button" class="button" aria-expanded=move || open.get().to_string()
                aria-controls="create-package" on:click=move |_| open.update(|open| *open = !*open)>"New access package"</button>
        </div>
        <Show when=move || open.get()>
            <form id="create-package" class="inline-form narrow-form" on:submit=submit.clone() novalidate>
                <h3>"New access package"</h3>
                <ErrorSummary feedback problem/>
                <PackageFields draft feedback/>
                <p class="status-line" role="status">{move || form_status.get().busy_text()}</p>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || form_status.get().is_busy()>"Create access package"</button>
                    <button type="button" class="button secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                </div>
            </form>
        </Show>
    }
}
