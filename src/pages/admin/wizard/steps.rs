//! The steps that collect the setup: catalog, owners, resources, package and policy.

use entrada_domain::api::CatalogSummary;
use entrada_domain::catalog::{ResourceKind, ResourceRole};
use entrada_domain::directory::User;
use entrada_domain::permission::{may, Action, Actor, Target};
use leptos::prelude::*;

use super::{CatalogMode, ChosenRole, Scenario, Wizard};
use crate::api::ApiError;
use crate::components::directory::{person_details, PersonPicker};
use crate::components::form::{dom_id, FieldMessage};
use crate::components::policy_editor::PolicyEditor;
use crate::components::policy_preview::PolicyPreviewPanel;
use crate::components::Loading;
use crate::pages::admin::plural;
use crate::pages::admin::shared::{
    directory_objects, kind_label, load, CatalogFields, PackageFields,
};

#[component]
pub(super) fn CatalogStep(wizard: Wizard) -> impl IntoView {
    let scenario = wizard.scenario;
    let existing_allowed = scenario != Scenario::Department;
    let new_allowed = wizard.may_create && scenario != Scenario::DirectoryUsers;
    let intro = match scenario {
        Scenario::DirectoryUsers => "The access package goes into a catalog you manage. Its resources and the new ones you add become available to it.",
        Scenario::Department => "A catalog holds one department's resources and access packages; its owners manage them from then on. You become an owner too.",
        Scenario::SpecificPartners | Scenario::AnyPartner => "Partners can only request packages of catalogs that are open to external users. Use such a catalog, or create one.",
    };
    let mode_choice = (existing_allowed && new_allowed).then(|| {
        let option = move |mode: CatalogMode, value: &'static str, label: &'static str| {
            let id = format!("catalog-mode-{value}");
            view! {
                <div class="radio">
                    <input type="radio" id=id.clone() name="catalog-mode" value=value
                        prop:checked=move || wizard.mode.get() == mode
                        on:change=move |_| wizard.mode.set(mode)/>
                    <label for=id>{label}</label>
                </div>
            }
        };
        view! {
            <fieldset class="group">
                <legend>"Catalog"</legend>
                <div class="radios">
                    {option(CatalogMode::Existing, "existing", "Use an existing catalog")}
                    {option(CatalogMode::New, "new", "Create a new catalog")}
                </div>
            </fieldset>
        }
    });
    let body = move || {
        match wizard.mode.get() {
        CatalogMode::Existing => view! { <ExistingCatalogs wizard/> }.into_any(),
        CatalogMode::New => view! {
            <div class="card form-section narrow-form">
                <CatalogFields draft=wizard.new_catalog feedback=wizard.feedback.part("catalog.") external_fixed=scenario.external()/>
            </div>
        }
        .into_any(),
    }
    };
    view! {
        <p class="lead">{intro}</p>
        {mode_choice}
        {body}
    }
}

#[component]
fn ExistingCatalogs(wizard: Wizard) -> impl IntoView {
    let actor = use_context::<Actor>();
    let external = wizard.scenario.external();
    let eligible = move |summary: &CatalogSummary| {
        let manages = actor.as_ref().is_some_and(|actor| {
            may(
                actor,
                Action::ManagePackages,
                &Target::Catalog(&summary.catalog.id),
            )
        });
        manages && (!external || summary.catalog.external_users_allowed)
    };
    // A plain reactive closure rather than `Suspend`: the view below reads wizard-wide
    // signals, and a suspended view's effects could outlive this step when the mode
    // changes (seen as "reactive value already disposed").
    let list = move || {
        let catalogs = match wizard.catalogs.get() {
                None => return view! { <Loading text="Loading catalogs…"/> }.into_any(),
                Some(Ok(catalogs)) => catalogs,
                Some(Err(error)) => {
                    return view! { <p class="alert-box">{format!("The catalogs didn't load: {}", error.message())}</p> }
                        .into_any()
                }
            };
        let catalogs: Vec<CatalogSummary> = catalogs.into_iter().filter(|c| eligible(c)).collect();
        let message = move || wizard.feedback.message("catalog.id");
        if catalogs.is_empty() {
            let text = match (external, wizard.may_create) {
                    (true, true) => "None of the catalogs you manage is open to external users. Create a new catalog instead.",
                    (true, false) => "None of the catalogs you manage is open to external users. A catalog owner can open one, or an administrator can create one.",
                    (false, _) => "You don't manage access packages in any catalog yet.",
                };
            let offer_new = external && wizard.may_create;
            return view! {
                <div class="notice">
                    <p>{text}</p>
                    {offer_new.then(|| view! {
                        <button type="button" class="button secondary small"
                            on:click=move |_| wizard.mode.set(CatalogMode::New)>"Create a new catalog"</button>
                    })}
                </div>
            }
            .into_any();
        }
        view! {
                <fieldset id="f-catalog-id" class="group" class:invalid=move || message().is_some()
                    aria-describedby="f-catalog-id-error">
                    <legend>"Catalogs you manage"</legend>
                    <div class="radios">
                        {catalogs.into_iter().map(|summary| {
                            let id = summary.catalog.id.clone();
                            let checked_id = id.clone();
                            let element_id = format!("catalog-{}", dom_id(id.as_str()));
                            let detail = format!(
                                "{} · {}{}",
                                plural(summary.package_count, "access package", "access packages"),
                                plural(summary.resource_count, "resource", "resources"),
                                if summary.catalog.external_users_allowed { " · open to external users" } else { "" },
                            );
                            let hint_id = format!("{element_id}-hint");
                            view! {
                                <div class="radio">
                                    <input type="radio" id=element_id.clone() name="existing-catalog"
                                        aria-describedby=hint_id.clone()
                                        prop:checked=move || wizard.existing.get().as_ref() == Some(&checked_id)
                                        on:change=move |_| {
                                            if wizard.existing.get_untracked().as_ref() != Some(&id) {
                                                wizard.existing.set(Some(id.clone()));
                                                wizard.roles.set(Vec::new());
                                            }
                                            wizard.feedback.touch("catalog.id");
                                        }/>
                                    <label for=element_id>{summary.catalog.name.clone()}</label>
                                    <p class="hint" id=hint_id>{detail}</p>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                    <p class="field-error" id="f-catalog-id-error">{message}</p>
                </fieldset>
            }
            .into_any()
    };
    view! { {list} }
}

#[component]
pub(super) fn OwnersStep(wizard: Wizard) -> impl IntoView {
    let add = Callback::new(move |person: User| {
        wizard.owners.update(|owners| {
            if !owners.iter().any(|owner| owner.id == person.id) {
                owners.push(person);
            }
        });
        wizard.feedback.touch("catalog.owners");
    });
    let message = Signal::derive(move || {
        let errors = wizard.feedback.visible();
        errors
            .into_iter()
            .find(|error| error.field.starts_with("catalog.owners"))
            .map(|error| error.message)
    });
    let chips = move || {
        wizard
            .owners
            .get()
            .into_iter()
            .map(|owner| {
                let label = format!("Remove {}", owner.display_name);
                let id = owner.id.clone();
                view! {
                    <li class="chip">
                        <span>{owner.display_name.clone()}</span>
                        <span class="muted chip-detail">{person_details(&owner)}</span>
                        <button type="button" class="chip-remove" aria-label=label
                            on:click=move |_| wizard.owners.update(|owners| owners.retain(|o| o.id != id))>"×"</button>
                    </li>
                }
            })
            .collect_view()
    };
    let exclude = Signal::derive(move || {
        wizard
            .owners
            .with(|owners| owners.iter().map(|o| o.id.clone()).collect::<Vec<_>>())
    });
    view! {
        <p class="lead">"Catalog owners manage the catalog's resources, packages and policies, and can name more owners. You become an owner as well."</p>
        <div class="card form-section narrow-form">
            <fieldset id="f-catalog-owners" class="group" class:invalid=move || message.get().is_some()>
                <legend>"Owners"</legend>
                <Show when=move || wizard.owners.with(Vec::is_empty)>
                    <p class="muted">"No other owners yet (optional)."</p>
                </Show>
                <ul class="chips" aria-label="Chosen owners">{chips}</ul>
                <PersonPicker id="owner-search" label="Add an owner" on_pick=add exclude/>
                <FieldMessage id="f-catalog-owners" message/>
            </fieldset>
        </div>
    }
}

/// A group, application or site the person may choose roles of.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Offer {
    kind: ResourceKind,
    origin_id: String,
    name: String,
    detail: String,
    roles: Vec<ResourceRole>,
    in_catalog: bool,
}

#[component]
pub(super) fn ResourcesStep(wizard: Wizard) -> impl IntoView {
    let objects = load(|| (), |()| directory_objects());
    // What the person may choose from: the catalog's resources, and the directory's
    // objects when they may add resources. A plain closure, not `Suspend` (see the
    // catalog step).
    let offers = move || -> Option<Result<(Vec<Offer>, bool), ApiError>> {
        let detail = match wizard.detail.get()? {
            Ok(detail) => detail,
            Err(error) => return Some(Err(error)),
        };
        let may_add = match &detail {
            Some(detail) => detail.permissions.manage_resources,
            None => wizard.new_catalog_chosen(),
        };
        let mut offers: Vec<Offer> = detail
            .iter()
            .flat_map(|detail| detail.resources.iter())
            .map(|resource| Offer {
                kind: resource.kind,
                origin_id: resource.origin_id.clone(),
                name: resource.name.clone(),
                detail: String::new(),
                roles: resource.roles.clone(),
                in_catalog: true,
            })
            .collect();
        if may_add {
            let objects = match objects.get()? {
                Ok(objects) => objects,
                Err(error) => return Some(Err(error)),
            };
            for object in objects {
                let present = offers
                    .iter_mut()
                    .find(|offer| offer.kind == object.kind && offer.origin_id == object.origin_id);
                match present {
                    Some(offer) => offer.detail = object.detail,
                    None => offers.push(Offer {
                        kind: object.kind,
                        origin_id: object.origin_id,
                        name: object.name,
                        detail: object.detail,
                        roles: object.roles,
                        in_catalog: false,
                    }),
                }
            }
        }
        Some(Ok((offers, may_add)))
    };
    let content = move || match offers() {
        None => view! { <Loading text="Loading resources…"/> }.into_any(),
        Some(Ok((offers, may_add))) => view! { <OfferList wizard offers may_add/> }.into_any(),
        Some(Err(error)) => view! {
            <p class="alert-box">{format!("The resources didn't load: {}", error.message())}</p>
        }
        .into_any(),
    };
    let message = Signal::derive(move || {
        wizard.feedback.message("roles").or_else(|| {
            wizard
                .feedback
                .visible()
                .into_iter()
                .find(|error| error.field.starts_with("roles["))
                .map(|error| error.message)
        })
    });
    let chips = move || {
        wizard
            .roles
            .get()
            .into_iter()
            .map(|role| {
                let text = format!("{} · {}", role.resource_name, role.role_name);
                let label = format!("Remove {text}");
                view! {
                    <li class="chip">
                        <span>{text}</span>
                        <button type="button" class="chip-remove" aria-label=label
                            on:click=move |_| {
                                wizard.roles.update(|roles| roles.retain(|r| *r != role));
                                wizard.feedback.touch("roles");
                            }>"×"</button>
                    </li>
                }
            })
            .collect_view()
    };
    let count = move || match wizard.roles.with(Vec::len) {
        0 => "Nothing chosen yet.".to_owned(),
        1 => "1 resource role chosen:".to_owned(),
        n => format!("{n} resource roles chosen:"),
    };
    view! {
        <p class="lead">"Choose what the access package grants: membership of groups, roles in applications, roles on sites."</p>
        <div id="f-roles" class="card chosen-roles" class:invalid=move || message.get().is_some()>
            <p aria-live="polite">{count}</p>
            <ul class="chips" aria-label="Chosen resource roles">{chips}</ul>
            <FieldMessage id="f-roles" message/>
        </div>
        {content}
    }
}

#[component]
fn OfferList(wizard: Wizard, offers: Vec<Offer>, may_add: bool) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let offers = StoredValue::new(offers);
    let note = (!may_add).then(|| view! {
        <p class="notice">"You can choose among the catalog's resources; its owners add new ones."</p>
    });
    let section = move |kind: ResourceKind, heading: &'static str| {
        let list = move || {
            let words: Vec<String> = filter
                .get()
                .split_whitespace()
                .map(str::to_lowercase)
                .collect();
            let shown: Vec<Offer> = offers.with_value(|offers| {
                offers
                    .iter()
                    .filter(|offer| offer.kind == kind)
                    .filter(|offer| {
                        let text = format!("{} {}", offer.name, offer.detail).to_lowercase();
                        words.iter().all(|word| text.contains(word))
                    })
                    .cloned()
                    .collect()
            });
            match shown.is_empty() {
                true => view! { <p class="muted">"None."</p> }.into_any(),
                false => shown
                    .into_iter()
                    .map(|offer| view! { <OfferChoice wizard offer/> })
                    .collect_view()
                    .into_any(),
            }
        };
        let heading_id = format!("offers-{}", kind.as_str());
        let labelled_by = heading_id.clone();
        view! {
            <section class="offer-kind" aria-labelledby=labelled_by>
                <h3 id=heading_id>{heading}</h3>
                <div class="offer-grid">{list}</div>
            </section>
        }
    };
    view! {
        {note}
        <div class="field">
            <label for="resource-filter">"Filter resources"</label>
            <input id="resource-filter" type="search" autocomplete="off"
                prop:value=move || filter.get()
                on:input=move |event| filter.set(event_target_value(&event))/>
        </div>
        {section(ResourceKind::Group, "Groups")}
        {section(ResourceKind::Application, "Applications")}
        {section(ResourceKind::Site, "Sites")}
    }
}

#[component]
fn OfferChoice(wizard: Wizard, offer: Offer) -> impl IntoView {
    let base = format!("offer-{}-{}", offer.kind.as_str(), dom_id(&offer.origin_id));
    let roles = offer
        .roles
        .iter()
        .map(|role| {
            let chosen = ChosenRole {
                kind: offer.kind,
                origin_id: offer.origin_id.clone(),
                role_id: role.id.clone(),
                resource_name: offer.name.clone(),
                role_name: role.name.clone(),
            };
            let id = format!("{base}-{}", dom_id(&role.id));
            let checked_role = chosen.clone();
            view! {
                <div class="field check">
                    <input type="checkbox" id=id.clone()
                        prop:checked=move || wizard.roles.with(|roles| roles.contains(&checked_role))
                        on:change=move |event| {
                            let on = event_target_checked(&event);
                            let chosen = chosen.clone();
                            wizard.roles.update(|roles| {
                                roles.retain(|r| *r != chosen);
                                if on {
                                    roles.push(chosen);
                                }
                            });
                            wizard.feedback.touch("roles");
                        }/>
                    <label for=id>{role.name.clone()}</label>
                </div>
            }
        })
        .collect_view();
    view! {
        <fieldset class="offer">
            <legend>
                {offer.name.clone()}
                {offer.in_catalog.then(|| view! { <span class="tag">"In catalog"</span> })}
            </legend>
            {(!offer.detail.is_empty()).then(|| view! { <p class="hint">{offer.detail.clone()}</p> })}
            <span class="visually-hidden">{kind_label(offer.kind)}</span>
            {roles}
        </fieldset>
    }
}

#[component]
pub(super) fn PackageStep(wizard: Wizard) -> impl IntoView {
    view! {
        <p class="lead">"People find the access package by its name and description in My Access."</p>
        <div class="card form-section narrow-form">
            <PackageFields draft=wizard.package feedback=wizard.feedback.part("package.")/>
        </div>
    }
}

#[component]
pub(super) fn PolicyStep(wizard: Wizard) -> impl IntoView {
    let intro = match wizard.scenario {
        Scenario::DirectoryUsers | Scenario::Department => "Choose who in your directory may request the package, who approves, and how long access lasts.",
        Scenario::SpecificPartners => "Choose the partner organisations whose people may request, who approves (their sponsors or people you name), and how long access lasts.",
        Scenario::AnyPartner => "Choose whether people of every connected organisation or anyone at all may request. Requestors give a reason, and approvers decide.",
    };
    let feedback = wizard.feedback.part("policy.");
    let blocking = Signal::derive(move || {
        wizard.errors.with(|errors| {
            errors
                .iter()
                .filter(|error| error.field.starts_with("policy."))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let valid = Signal::derive(move || blocking.with(Vec::is_empty));
    let catalog_id = Signal::derive(move || match wizard.mode.get() {
        CatalogMode::Existing => wizard.existing.get(),
        CatalogMode::New => None,
    });
    view! {
        <p class="lead">{intro}</p>
        <div class="editor-layout">
            <div class="editor-main">
                <PolicyEditor draft=wizard.policy feedback scopes=wizard.scenario.scopes() nested=true/>
            </div>
            <PolicyPreviewPanel draft=Signal::derive(move || wizard.policy.get()) valid catalog_id id="wizard-preview" nested=true blocking/>
        </div>
    }
}
