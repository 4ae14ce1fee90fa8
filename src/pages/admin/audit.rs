//! `/admin/audit`: the audit log. Administrators see every event; catalog owners and
//! readers the events of their catalogs. The filter lives in the URL (so a filtered view
//! can be shared, reloaded and gone back to), the events come newest first a page at a
//! time, each expands to its details and links to what it is about, and the same filter
//! exports as CSV.

use entrada_domain::audit::{AuditAction, AuditEntry, Named};
use entrada_domain::permission::{audit_scope, may, Action, Target};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api::{self, AuditParams};
use crate::components::directory::{DirectoryCache, PersonPicker};
use crate::components::focus::focus_outcome;
use crate::components::{set_page_title, Loading, ProblemPanel};
use crate::url;

use super::shared::{load, me};

/// The filter as the page's URL and the form hold it: dates as `YYYY-MM-DD` (whole days,
/// UTC), people and catalog by id, the action by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Filter {
    from: String,
    to: String,
    actor: String,
    target: String,
    catalog: String,
    package: String,
    action: String,
}

impl Filter {
    fn from_url(query: &leptos_router::params::ParamsMap) -> Filter {
        let get = |name: &str| query.get(name).unwrap_or_default();
        Filter {
            from: get("from"),
            to: get("to"),
            actor: get("actor"),
            target: get("target"),
            catalog: get("catalog"),
            package: get("package"),
            action: get("action"),
        }
    }

    /// The page's own URL for this filter.
    fn path(&self) -> String {
        let pairs: AuditParams = vec![
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("actor", self.actor.clone()),
            ("target", self.target.clone()),
            ("catalog", self.catalog.clone()),
            ("package", self.package.clone()),
            ("action", self.action.clone()),
        ];
        match api::query_string(&pairs) {
            query if query.is_empty() => "/admin/audit".to_owned(),
            query => format!("/admin/audit?{query}"),
        }
    }

    /// The API's parameters: a day's start for `from`, the next day's start for `to` (so
    /// the "to" day is included).
    fn api_params(&self) -> AuditParams {
        vec![
            ("from", day_start(&self.from, 0)),
            ("to", day_start(&self.to, 1)),
            ("actor", self.actor.clone()),
            ("target", self.target.clone()),
            ("catalog", self.catalog.clone()),
            ("package", self.package.clone()),
            ("action", self.action.clone()),
        ]
    }

    fn is_empty(&self) -> bool {
        self == &Filter::default()
    }
}

/// `YYYY-MM-DD` plus `days`, as the RFC 3339 start of that day in UTC; the text as it is
/// when it is not a date (the server then names the field).
fn day_start(date: &str, days: i64) -> String {
    let date = date.trim();
    if date.is_empty() {
        return String::new();
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(date, &format) {
        Ok(day) => {
            let day = day.saturating_add(time::Duration::days(days));
            format!("{}T00:00:00Z", day.format(&format).unwrap_or_default())
        }
        Err(_) => date.to_owned(),
    }
}

/// An event's time, to the minute, in UTC.
pub(super) fn when(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.format(&format).unwrap_or_default()
}

fn name_of(named: &Named) -> String {
    named.name.clone().unwrap_or_else(|| named.id.clone())
}

/// `/admin/audit`.
#[component]
pub(crate) fn AuditPage() -> impl IntoView {
    set_page_title("Audit log");
    let Some(me) = me() else {
        return view! { <Loading text="Loading your account…"/> }.into_any();
    };
    let actor = me.actor();
    let Some(scope) = audit_scope(&actor) else {
        return view! {
            <h1>"Audit log"</h1>
            <p class="lead">
                "The audit log is for administrators and for the owners and readers of catalogs. "
                <A href="/admin">"Back to Admin"</A>
            </p>
        }
        .into_any();
    };
    let administrator = may(&actor, Action::ReadAudit, &Target::Organization);
    let scope_text = match scope {
        entrada_domain::permission::AuditScope::Everything => {
            "Every change and decision in Entrada, newest first.".to_owned()
        }
        entrada_domain::permission::AuditScope::Catalogs(catalogs) => format!(
            "The changes and decisions in the {} you own or read, newest first.",
            match catalogs.len() {
                1 => "catalog".to_owned(),
                n => format!("{n} catalogs"),
            }
        ),
    };
    // Names of the people the filter names, learnt from the events and from the pickers.
    let names = RwSignal::new(std::collections::HashMap::<String, String>::new());
    let query = use_query_map();
    let applied = Memo::new(move |_| Filter::from_url(&query.read()));
    let first = load(
        move || applied.get(),
        move |filter: Filter| api::audit_page(filter.api_params(), None),
    );
    // Older pages, appended below the first one as they are asked for.
    let older = RwSignal::new(Vec::<AuditEntry>::new());
    let next = RwSignal::new(None::<String>);
    let loading_more = RwSignal::new(false);
    let more_failed = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(page)) = first.get() {
            older.set(Vec::new());
            more_failed.set(None);
            next.set(page.next_cursor.clone());
            for event in &page.events {
                for person in [&event.actor, &event.subject].into_iter().flatten() {
                    if let Some(name) = &person.name {
                        names.update(|known| {
                            known.insert(person.id.clone(), name.clone());
                        });
                    }
                }
            }
        }
    });
    let show_more = move |_| {
        let Some(cursor) = next.get_untracked() else {
            return;
        };
        loading_more.set(true);
        let params = applied.get_untracked().api_params();
        leptos::task::spawn_local(async move {
            match api::audit_page(params, Some(cursor)).await {
                Ok(page) => {
                    let first_new = page.events.first().map(|event| event.id.clone());
                    older.update(|events| events.extend(page.events));
                    next.set(page.next_cursor);
                    if let Some(id) = first_new {
                        focus_outcome(format!("event-{id}"));
                    }
                }
                Err(error) => more_failed.set(Some(error.message().to_owned())),
            }
            loading_more.set(false);
        });
    };

    let events = move || {
        match first.get() {
        None => view! { <Loading text="Loading events…"/> }.into_any(),
        Some(Err(error)) if !error.errors.is_empty() => view! {
            <div class="problem" role="alert" id="audit-problem">
                <p>"The filter needs attention:"</p>
                <ul>{error.errors.iter().map(|e| view! { <li>{filter_label(&e.field)}": "{e.message.clone()}</li> }).collect_view()}</ul>
            </div>
        }
        .into_any(),
        Some(Err(error)) => {
            let retry = Callback::new(move |()| first.set(None));
            view! { <ProblemPanel error retry/> }.into_any()
        }
        Some(Ok(page)) if page.events.is_empty() => {
            let text = match applied.get().is_empty() {
                true => "No events yet.",
                false => "No events match this filter.",
            };
            view! { <p class="empty" id="audit-empty">{text}</p> }.into_any()
        }
        Some(Ok(page)) => view! {
            <ol class="audit-events" aria-label="Events, newest first">
                {page.events.into_iter().map(|event| view! { <EventRow event/> }).collect_view()}
                <For each=move || older.get() key=|event| event.id.clone() let:event>
                    <EventRow event/>
                </For>
            </ol>
            <Show when=move || next.get().is_some()>
                <button type="button" class="button secondary" on:click=show_more disabled=move || loading_more.get()>
                    {move || match loading_more.get() {
                        true => "Loading older events…",
                        false => "Show older events",
                    }}
                </button>
            </Show>
            {move || more_failed.get().map(|text| view! { <p class="problem" role="alert">{text}</p> })}
        }
        .into_any(),
    }
    };
    let csv_href = move || api::audit_csv_href(&applied.get().api_params());

    view! {
        <p class="breadcrumb"><A href="/admin">"Admin"</A></p>
        <h1>"Audit log"</h1>
        <p class="lead">{scope_text}</p>
        <FilterForm applied names/>
        <div class="audit-actions">
            <a href=csv_href download="entrada-audit.csv" class="button secondary">"Export these events as CSV"</a>
            {administrator.then(|| view! { <VerifyChain/> })}
        </div>
        <section aria-labelledby="events-heading">
            <h2 id="events-heading" class="visually-hidden">"Events"</h2>
            {events}
        </section>
    }
    .into_any()
}

fn filter_label(field: &str) -> &'static str {
    match field {
        "from" => "From",
        "to" => "To",
        "action" => "Action",
        "actor" => "Done by",
        "target" => "About",
        "catalog" => "Catalog",
        "package" => "Access package",
        "cursor" => "Page",
        _ => "Filter",
    }
}

/// The filter form: dates, action, catalog, and the people picked by name. Applying it
/// changes the URL; the list follows the URL.
#[component]
fn FilterForm(
    applied: Memo<Filter>,
    names: RwSignal<std::collections::HashMap<String, String>>,
) -> impl IntoView {
    let cache = DirectoryCache::get();
    let picked = move |user: &entrada_domain::directory::User| {
        names.update(|known| {
            known.insert(user.id.as_str().to_owned(), user.display_name.clone());
        });
        user.id.as_str().to_owned()
    };
    let draft = RwSignal::new(applied.get_untracked());
    Effect::new(move |_| draft.set(applied.get()));
    let navigate = use_navigate();
    let go = move |filter: Filter| {
        navigate(&filter.path(), NavigateOptions::default());
    };
    let apply = {
        let go = go.clone();
        move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            go(draft.get_untracked());
        }
    };
    let clear = {
        let go = go.clone();
        move |_| go(Filter::default())
    };
    let catalogs = LocalResource::new(api::catalogs);
    let mut actions: Vec<AuditAction> = AuditAction::ALL.to_vec();
    actions.sort_by_key(|action| action.label());
    let person_chip = move |id: String, label: &'static str, clear: Callback<()>| {
        let name = names
            .get_untracked()
            .get(&id)
            .cloned()
            .unwrap_or_else(|| cache.person_name(&entrada_domain::ids::UserId(id.clone())));
        view! {
            <p class="chip-line">
                <span class="chip">{label}": "{name.clone()}
                    <button type="button" class="chip-remove" on:click=move |_| clear.run(())
                        aria-label=format!("Remove {label}: {name}")>"×"</button>
                </span>
            </p>
        }
    };
    view! {
        <form class="audit-filter" on:submit=apply aria-label="Filter events">
            <div class="filter-grid">
                <div class="field">
                    <label for="audit-from">"From (UTC)"</label>
                    <input id="audit-from" type="date" prop:value=move || draft.get().from
                        on:input=move |ev| draft.update(|f| f.from = event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="audit-to">"To (UTC, included)"</label>
                    <input id="audit-to" type="date" prop:value=move || draft.get().to
                        on:input=move |ev| draft.update(|f| f.to = event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="audit-action">"Action"</label>
                    <select id="audit-action" on:change=move |ev| draft.update(|f| f.action = event_target_value(&ev))>
                        <option value="" selected=move || draft.get().action.is_empty()>"Any action"</option>
                        {actions.into_iter().map(|action| {
                            let name = action.as_str();
                            view! { <option value=name selected=move || draft.get().action == name>{action.label()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="audit-catalog">"Catalog"</label>
                    <select id="audit-catalog" on:change=move |ev| draft.update(|f| f.catalog = event_target_value(&ev))>
                        <option value="" selected=move || draft.get().catalog.is_empty()>"Any catalog"</option>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                catalogs.await.unwrap_or_default().into_iter().map(|summary| {
                                    let id = summary.catalog.id.as_str().to_owned();
                                    let selected = id.clone();
                                    view! { <option value=id selected=move || draft.get().catalog == selected>{summary.catalog.name}</option> }
                                }).collect_view()
                            })}
                        </Transition>
                    </select>
                </div>
            </div>
            <div class="filter-grid">
                <div class="field">
                    {move || match draft.get().actor {
                        actor if actor.is_empty() => view! {
                            <PersonPicker id="audit-actor" label="Done by"
                                on_pick=Callback::new(move |user: entrada_domain::directory::User| { let id = picked(&user); draft.update(|f| f.actor = id) })/>
                        }.into_any(),
                        actor => person_chip(actor, "Done by", Callback::new(move |()| draft.update(|f| f.actor.clear()))).into_any(),
                    }}
                </div>
                <div class="field">
                    {move || match draft.get().target {
                        target if target.is_empty() => view! {
                            <PersonPicker id="audit-target" label="About (person)"
                                on_pick=Callback::new(move |user: entrada_domain::directory::User| { let id = picked(&user); draft.update(|f| f.target = id) })/>
                        }.into_any(),
                        target => person_chip(target, "About", Callback::new(move |()| draft.update(|f| f.target.clear()))).into_any(),
                    }}
                </div>
            </div>
            {move || (!draft.get().package.is_empty()).then(|| {
                let package = draft.get().package;
                view! {
                    <p class="chip-line">
                        <span class="chip">"Access package: "{package.clone()}
                            <button type="button" class="chip-remove" on:click=move |_| draft.update(|f| f.package.clear())
                                aria-label="Remove the access package filter">"×"</button>
                        </span>
                    </p>
                }
            })}
            <div class="form-actions">
                <button type="submit" class="button">"Show events"</button>
                <button type="button" class="button secondary" on:click=clear>"Clear the filter"</button>
            </div>
        </form>
    }
}

/// One event: a line that says who did what to whom, expanding to everything recorded.
#[component]
fn EventRow(event: AuditEntry) -> impl IntoView {
    let who = entrada_domain::audit::actor_words(
        event.actor.as_ref().map(name_of).as_deref(),
        event.action,
    );
    let about = event
        .subject
        .as_ref()
        .map(name_of)
        .or_else(|| event.package.as_ref().map(name_of))
        .or_else(|| event.catalog.as_ref().map(name_of));
    let summary_id = format!("event-{}", event.id);
    let person_link = |named: &Named| {
        let href = format!(
            "/admin/reports/people/{}",
            url::encode_path_segment(&named.id)
        );
        let name = name_of(named);
        view! { <A href=href>{name}</A> }
    };
    let package_link = |named: &Named| {
        let href = format!(
            "/admin/reports/access-packages/{}",
            url::encode_path_segment(&named.id)
        );
        let name = name_of(named);
        view! { <A href=href>{name}</A> }
    };
    view! {
        <li class="audit-event">
            <details>
                <summary id=summary_id>
                    <span class="audit-when">{when(event.at)}</span>
                    <span class="audit-what"><strong>{event.action.label()}</strong>
                        {about.map(|about| view! { " · "{about} })}</span>
                    <span class="audit-who">"by "{who}</span>
                </summary>
                <dl class="audit-details">
                    <dt>"Action"</dt><dd><code>{event.action.as_str()}</code></dd>
                    <dt>"Done by"</dt>
                    <dd>{match &event.actor {
                        Some(actor) => person_link(actor).into_any(),
                        None => "Entrada (a background job)".into_any(),
                    }}</dd>
                    <dt>"Target"</dt>
                    <dd>{event.target_kind.clone()}" "<code>{event.target_id.clone()}</code>
                        {event.link.clone().map(|href| view! { " · "<A href=href>"Open"</A> })}</dd>
                    {event.subject.as_ref().map(|subject| view! { <dt>"About"</dt><dd>{person_link(subject)}</dd> })}
                    {event.catalog.as_ref().map(|catalog| view! { <dt>"Catalog"</dt><dd>{name_of(catalog)}</dd> })}
                    {event.package.as_ref().map(|package| view! { <dt>"Access package"</dt><dd>{package_link(package)}</dd> })}
                    {event.details.iter().map(|(key, value)| view! { <dt>{key.clone()}</dt><dd>{value.clone()}</dd> }).collect_view()}
                    <dt>"Sequence"</dt><dd>{event.seq}</dd>
                </dl>
            </details>
        </li>
    }
}

/// "Check the chain": walks the hash chain and says whether it verifies (administrators).
#[component]
fn VerifyChain() -> impl IntoView {
    let result = RwSignal::new(None::<Result<entrada_domain::audit::ChainCheck, String>>);
    let busy = RwSignal::new(false);
    let check = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = api::verify_audit()
                .await
                .map_err(|error| error.message().to_owned());
            result.set(Some(answer));
            busy.set(false);
            focus_outcome("chain-result");
        });
    };
    view! {
        <button type="button" class="button secondary" on:click=check disabled=move || busy.get()>
            {move || match busy.get() {
                true => "Checking the chain…",
                false => "Check that the log is intact",
            }}
        </button>
        {move || result.get().map(|answer| match answer {
            Ok(check) => match check.first_bad {
                None => view! {
                    <p id="chain-result" class="notice" role="status">
                        {format!("The log is intact: {} events verify, from sequence {} to {}.",
                            check.events, check.first_seq.unwrap_or(0), check.last_seq.unwrap_or(0))}
                    </p>
                }.into_any(),
                Some(bad) => view! {
                    <p id="chain-result" class="problem" role="alert">
                        {format!("The log was tampered with: {} events verify, then event {} fails: {}.",
                            check.events, bad.seq, bad.reason)}
                    </p>
                }.into_any(),
            },
            Err(text) => view! { <p id="chain-result" class="problem" role="alert">{text}</p> }.into_any(),
        })}
    }
}
