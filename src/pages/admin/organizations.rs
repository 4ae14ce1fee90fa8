//! `/admin/connected-organizations`: the partners whose people may request access
//! (administrators): the list, a form to connect or edit one (name, description, e-mail
//! domains, sponsors), and deleting one after confirming.

use entrada_domain::admin::OrganizationPatch;
use entrada_domain::directory::User;
use entrada_domain::ids::{ConnectedOrgId, UserId};
use entrada_domain::organization::{
    validate_organization, ConnectedOrgState, ConnectedOrganization, OrganizationDraft,
};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::directory::{DirectoryCache, PersonPicker};
use crate::components::focus::focus_outcome;
use crate::components::form::{
    dom_id, ErrorSummary, Feedback, FieldMessage, RadioOption, TextInput,
};
use crate::components::{set_page_title, Loading, ProblemPanel};

use super::shared::{administers_organization, load, perform, server_problem, Status};

/// What the form is doing: connecting a new organisation or editing one.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Editing {
    New,
    Existing(ConnectedOrgId),
}

/// `/admin/connected-organizations`.
#[component]
pub(crate) fn OrganizationsPage() -> impl IntoView {
    set_page_title("Connected organisations");
    let allowed = administers_organization();
    if !allowed {
        return view! {
            <h1>"Connected organisations"</h1>
            <p class="lead">
                "Connected organisations are for administrators. You aren't one. "
                <A href="/admin">"Back to Admin"</A>
            </p>
        }
        .into_any();
    }
    let cache = DirectoryCache::get();
    let reload = RwSignal::new(0_u32);
    let organizations = load(
        move || reload.get(),
        move |_| async move {
            // The sponsors' names: the directory's people (the list shows them by name).
            if let Ok(people) = api::directory_users(String::new()).await {
                cache.remember_all(people);
            }
            api::organizations().await
        },
    );
    let editing = RwSignal::new(None::<Editing>);
    let notice = RwSignal::new(None::<String>);
    let saved = Callback::new(move |text: String| {
        editing.set(None);
        notice.set(Some(text));
        reload.update(|count| *count += 1);
        focus_outcome("organizations-notice");
    });
    let start = move |what: Editing| {
        notice.set(None);
        editing.set(Some(what));
        focus_outcome("organization-form-heading");
    };
    let list = move || {
        match organizations.get() {
        None => view! { <Loading text="Loading connected organisations…"/> }.into_any(),
        Some(Err(error)) => {
            let retry = Callback::new(move |()| reload.update(|count| *count += 1));
            view! { <ProblemPanel error retry/> }.into_any()
        }
        Some(Ok(list)) if list.is_empty() => {
            view! { <p class="empty">"No organisation is connected yet."</p> }.into_any()
        }
        Some(Ok(list)) => view! {
            <ul class="cards org-list" aria-label="Connected organisations">
                {list.into_iter().map(|organization| view! {
                    <li><OrganizationCard organization editing notice reload start=Callback::new(start)/></li>
                }).collect_view()}
            </ul>
        }
        .into_any(),
    }
    };
    let form = move || {
        let what = editing.get()?;
        let current = match &what {
            Editing::New => None,
            Editing::Existing(id) => organizations
                .get_untracked()
                .and_then(Result::ok)
                .and_then(|list| list.into_iter().find(|o| &o.id == id)),
        };
        Some(view! { <OrganizationForm current editing saved/> })
    };
    view! {
        <p class="breadcrumb"><A href="/admin">"Admin"</A></p>
        <h1>"Connected organisations"</h1>
        <p class="lead">"Partners whose people may request access packages open to them. People are recognised by the e-mail domains listed here."</p>
        <p class="notice org-notice" id="organizations-notice" role="status" class:hidden=move || notice.with(Option::is_none)>
            {move || notice.get()}
        </p>
        <div class="toolbar">
            <button type="button" class="button" id="connect-organization"
                disabled=move || editing.get().is_some()
                on:click=move |_| start(Editing::New)>
                "Connect an organisation"
            </button>
        </div>
        {form}
        <section aria-labelledby="organizations-heading" class="admin-section">
            <h2 id="organizations-heading">"Organisations"</h2>
            {list}
        </section>
    }
    .into_any()
}

/// One organisation in the list, with Edit and Delete (which asks first).
#[component]
fn OrganizationCard(
    organization: ConnectedOrganization,
    editing: RwSignal<Option<Editing>>,
    notice: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
    start: Callback<Editing>,
) -> impl IntoView {
    let cache = DirectoryCache::get();
    let key = dom_id(organization.id.as_str());
    let title_id = format!("org-{key}");
    let fallback_title = title_id.clone();
    let names = |ids: &[UserId]| {
        ids.iter()
            .map(|id| cache.person_name(id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let internal = names(&organization.internal_sponsors);
    let external = names(&organization.external_sponsors);
    let state = organization.state.label();
    let confirming = RwSignal::new(false);
    let status = RwSignal::new(Status::Idle);
    let question_id = format!("delete-question-{key}");
    let problem_id = format!("delete-problem-{key}");
    let delete_id = format!("delete-{key}");
    let name = organization.name.clone();
    let id = organization.id.clone();
    let ask = {
        let question_id = question_id.clone();
        move |_| {
            status.set(Status::Idle);
            confirming.set(true);
            focus_outcome(question_id.clone());
        }
    };
    let keep = {
        let delete_id = delete_id.clone();
        move || {
            confirming.set(false);
            focus_outcome(delete_id.clone());
        }
    };
    let delete = {
        let name = name.clone();
        move |_| {
            let done_name = name.clone();
            perform(
                status,
                "Deleting…",
                format!("{name} deleted."),
                api::delete_organization(id.as_str().to_owned()),
                move |()| {
                    notice.set(Some(format!("{done_name} deleted.")));
                    reload.update(|count| *count += 1);
                    focus_outcome("organizations-notice");
                },
            );
        }
    };
    // A refusal (a policy names it, people belong to it) shows in the card, in view.
    {
        let problem_id = problem_id.clone();
        Effect::new(move |_| {
            if let Status::Failed(_) = status.get() {
                confirming.set(false);
                focus_outcome(problem_id.clone());
            }
        });
    }
    let failure = move || match status.get() {
        Status::Failed(error) if error.status != 401 => {
            Some(view! { <p class="alert-box">{error.message().to_owned()}</p> })
        }
        _ => None,
    };
    let edit_id = organization.id.clone();
    let question = format!("Delete {name}?");
    let keep_key = keep.clone();
    view! {
        <article class="card org-card" aria-labelledby=title_id.clone()>
            <h3 class="card-title" id=title_id.clone()>{organization.name.clone()}</h3>
            <ul class="facts">
                <li>{state}</li>
                <li>{organization.domains.join(", ")}</li>
            </ul>
            {(!organization.description.is_empty()).then(|| view! { <p>{organization.description.clone()}</p> })}
            <dl class="org-sponsors">
                <dt>"Internal sponsors"</dt>
                <dd>{if internal.is_empty() { "None".to_owned() } else { internal }}</dd>
                <dt>"External sponsors"</dt>
                <dd>{if external.is_empty() { "None".to_owned() } else { external }}</dd>
            </dl>
            <div class="org-delete-problem" id=problem_id tabindex="-1" role="alert">{failure}</div>
            <div class="card-actions" on:keydown=move |event: leptos::ev::KeyboardEvent| {
                if event.key() == "Escape" && confirming.get_untracked() {
                    keep_key();
                }
            }>
                <Show
                    when=move || confirming.get()
                    fallback=move || {
                        let edit_id = edit_id.clone();
                        let ask = ask.clone();
                        let title_id = fallback_title.clone();
                        view! {
                            <button type="button" class="button secondary small"
                                aria-describedby=title_id.clone()
                                disabled=move || editing.get().is_some()
                                on:click=move |_| start.run(Editing::Existing(edit_id.clone()))>
                                "Edit"
                            </button>
                            <button type="button" class="button danger small" id=delete_id.clone()
                                aria-describedby=title_id
                                on:click=ask>
                                "Delete"
                            </button>
                        }
                    }
                >
                    <p class="confirm-text" id=question_id.clone()>
                        <strong>{question.clone()}</strong>
                        " People of this partner will no longer be recognised by its domains."
                    </p>
                    <button type="button" class="button secondary small"
                        disabled=move || status.get().is_busy()
                        on:click={
                            let keep = keep.clone();
                            move |_| keep()
                        }>
                        "Go back"
                    </button>
                    <button type="button" class="button danger small"
                        disabled=move || status.get().is_busy()
                        on:click=delete.clone()>
                        {move || if status.get().is_busy() { "Deleting…" } else { "Delete" }}
                    </button>
                </Show>
            </div>
        </article>
    }
}

/// The form that connects a new organisation (`current` is `None`) or edits one.
#[component]
fn OrganizationForm(
    current: Option<ConnectedOrganization>,
    editing: RwSignal<Option<Editing>>,
    saved: Callback<String>,
) -> impl IntoView {
    let cache = DirectoryCache::get();
    let existing = current.as_ref().map(|o| o.id.clone());
    let draft = RwSignal::new(match &current {
        Some(o) => OrganizationDraft {
            name: o.name.clone(),
            description: o.description.clone(),
            domains: o.domains.clone(),
            internal_sponsors: o.internal_sponsors.clone(),
            external_sponsors: o.external_sponsors.clone(),
        },
        None => OrganizationDraft {
            domains: vec![String::new()],
            ..OrganizationDraft::default()
        },
    });
    let state = RwSignal::new(
        current
            .as_ref()
            .map_or(ConnectedOrgState::Configured, |o| o.state),
    );
    let local = Memo::new(move |_| {
        draft.with(|d| {
            validate_organization(d)
                .err()
                .map(|e| e.0)
                .unwrap_or_default()
        })
    });
    let feedback = Feedback::new(local.into());
    let status = RwSignal::new(Status::Idle);
    let problem = server_problem(status, feedback);
    let heading = match &current {
        Some(o) => format!("Edit {}", o.name),
        None => "Connect an organisation".to_owned(),
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if !local.get_untracked().is_empty() {
            feedback.show_all(true);
            return;
        }
        feedback.clear_server();
        let body = draft.get_untracked();
        let name = body.name.trim().to_owned();
        match existing.clone() {
            None => perform(
                status,
                "Connecting the organisation…",
                format!("{name} connected."),
                api::create_organization(body),
                move |organization: ConnectedOrganization| {
                    saved.run(format!("{} connected.", organization.name))
                },
            ),
            Some(id) => {
                let patch = OrganizationPatch {
                    name: Some(body.name),
                    description: Some(Some(body.description)),
                    domains: Some(body.domains),
                    internal_sponsors: Some(Some(body.internal_sponsors)),
                    external_sponsors: Some(Some(body.external_sponsors)),
                    state: Some(state.get_untracked()),
                };
                perform(
                    status,
                    "Saving…",
                    format!("{name} saved."),
                    api::edit_organization(id.as_str().to_owned(), patch),
                    move |organization: ConnectedOrganization| {
                        saved.run(format!("{} saved.", organization.name))
                    },
                );
            }
        }
    };
    let add_domain = move |_| {
        let index = draft.with_untracked(|d| d.domains.len());
        draft.update(|d| d.domains.push(String::new()));
        focus_outcome(dom_id(&format!("domains[{index}]")));
    };
    let domains = move || {
        let count = draft.with(|d| d.domains.len());
        (0..count)
            .map(|index| {
                let path = format!("domains[{index}]");
                let remove = move |_| {
                    draft.update(|d| {
                        if index < d.domains.len() {
                            d.domains.remove(index);
                        }
                    });
                    focus_outcome("add-domain");
                };
                view! {
                    <li class="org-domain">
                        <TextInput
                            path=path
                            label=format!("E-mail domain {}", index + 1)
                            value=Signal::derive(move || draft.with(|d| d.domains.get(index).cloned().unwrap_or_default()))
                            on_change=Callback::new(move |v: String| draft.update(|d| if let Some(slot) = d.domains.get_mut(index) { *slot = v }))
                            feedback
                        />
                        {(count > 1).then(|| view! {
                            <button type="button" class="button secondary small org-domain-remove"
                                aria-label=format!("Remove e-mail domain {}", index + 1)
                                on:click=remove>
                                "Remove"
                            </button>
                        })}
                    </li>
                }
            })
            .collect_view()
    };
    let domains_message = feedback.signal("domains");
    view! {
        <form class="card form-section org-form" on:submit=submit novalidate>
            <h2 id="organization-form-heading" tabindex="-1">{heading}</h2>
            <ErrorSummary feedback problem/>
            <TextInput
                path="name"
                label="Name"
                value=Signal::derive(move || draft.with(|d| d.name.clone()))
                on_change=Callback::new(move |v| draft.update(|d| d.name = v))
                feedback
            />
            <TextInput
                path="description"
                label="Description (optional)"
                hint="What the relationship is."
                multiline=true
                value=Signal::derive(move || draft.with(|d| d.description.clone()))
                on_change=Callback::new(move |v| draft.update(|d| d.description = v))
                feedback
            />
            <fieldset class="org-domains" id="f-domains" tabindex="-1">
                <legend>"E-mail domains"</legend>
                <p class="hint">"Such as fabrikam.example. Its subdomains count too."</p>
                <ul class="org-domain-list">{domains}</ul>
                <FieldMessage id="f-domains" message=domains_message/>
                <button type="button" class="button secondary small" id="add-domain" on:click=add_domain>
                    "Add a domain"
                </button>
            </fieldset>
            <Sponsors
                draft
                cache
                internal=true
                legend="Internal sponsors"
                hint="People of your directory who look after this partner."
                search_label="Add an internal sponsor"
            />
            <Sponsors
                draft
                cache
                internal=false
                legend="External sponsors"
                hint="People of the partner (its guests) who vouch for its users."
                search_label="Add an external sponsor"
            />
            {current.is_some().then(|| view! { <StateChoice state/> })}
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || status.get().is_busy()>
                    {if existing_label(&current) { "Save changes" } else { "Connect organisation" }}
                </button>
                <button type="button" class="button secondary" on:click=move |_| {
                    editing.set(None);
                    focus_outcome("connect-organization");
                }>"Cancel"</button>
            </div>
            <p class="status-line" role="status">{move || status.get().busy_text()}</p>
        </form>
    }
}

/// Configured or proposed, with what each means for policies.
#[component]
fn StateChoice(state: RwSignal<ConnectedOrgState>) -> impl IntoView {
    let options = [
        (
            ConnectedOrgState::Configured,
            "configured",
            "Counts for policies open to “all configured connected organisations”.",
        ),
        (
            ConnectedOrgState::Proposed,
            "proposed",
            "Created when someone from an unknown domain was approved. Only policies that name it, or are open to anyone, admit its people.",
        ),
    ];
    let radios = options
        .into_iter()
        .map(|(value, key, hint)| {
            view! {
                <RadioOption
                    name="org-state"
                    key=key
                    label=value.label()
                    hint=hint
                    checked=Signal::derive(move || state.get() == value)
                    on_choose=Callback::new(move |()| state.set(value))
                />
            }
        })
        .collect_view();
    view! {
        <fieldset class="group" id="f-state">
            <legend>"State"</legend>
            <div class="radios">{radios}</div>
        </fieldset>
    }
}

fn existing_label(current: &Option<ConnectedOrganization>) -> bool {
    current.is_some()
}

/// The internal or external sponsors of the draft: chips to remove, and a search to add.
#[component]
fn Sponsors(
    draft: RwSignal<OrganizationDraft>,
    cache: DirectoryCache,
    internal: bool,
    legend: &'static str,
    hint: &'static str,
    search_label: &'static str,
) -> impl IntoView {
    let field = if internal {
        "internalSponsors"
    } else {
        "externalSponsors"
    };
    let chosen = move || {
        draft.with(|d| match internal {
            true => d.internal_sponsors.clone(),
            false => d.external_sponsors.clone(),
        })
    };
    let search_id = format!("{}-search", dom_id(field));
    let chips = move || {
        chosen()
            .into_iter()
            .map(|id| {
                let name = cache.person_name(&id);
                let label = format!("Remove {name}");
                view! {
                    <li class="chip">
                        <span>{name}</span>
                        <button type="button" class="chip-remove" aria-label=label
                            on:click=move |_| {
                                draft.update(|d| sponsors_of(d, internal).retain(|other| *other != id));
                            }>"×"</button>
                    </li>
                }
            })
            .collect_view()
    };
    let add = Callback::new(move |person: User| {
        let id = person.id.clone();
        cache.remember_all(vec![person]);
        draft.update(|d| {
            let list = sponsors_of(d, internal);
            if !list.contains(&id) {
                list.push(id);
            }
        });
    });
    let exclude = Signal::derive(chosen);
    view! {
        <fieldset class="org-sponsors-field" id=dom_id(field) tabindex="-1">
            <legend>{legend}</legend>
            <p class="hint">{hint}</p>
            <ul class="chips" aria-label=legend>{chips}</ul>
            <PersonPicker id=search_id label=search_label on_pick=add exclude/>
        </fieldset>
    }
}

/// The draft's internal or external sponsors.
fn sponsors_of(draft: &mut OrganizationDraft, internal: bool) -> &mut Vec<UserId> {
    match internal {
        true => &mut draft.internal_sponsors,
        false => &mut draft.external_sponsors,
    }
}
