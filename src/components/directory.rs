//! The directory as the admin pages need it: names for the ids that policies and catalogs
//! hold, and pickers to choose people and groups.

use std::collections::HashMap;
use std::time::Duration;

use entrada_domain::directory::{Group, User};
use entrada_domain::ids::{ConnectedOrgId, GroupId, UserId};
use entrada_domain::organization::ConnectedOrganization;
use leptos::prelude::*;

use crate::api;

/// How long typing in a people search pauses before it runs.
const SEARCH_DELAY: Duration = Duration::from_millis(250);

/// Names of people, groups and connected organisations, loaded once for the admin area and
/// added to as people are picked, so that chosen ids read as names.
#[derive(Clone, Copy)]
pub(crate) struct DirectoryCache {
    people: RwSignal<HashMap<UserId, User>>,
    groups: RwSignal<Option<Vec<Group>>>,
    organizations: RwSignal<Option<Vec<ConnectedOrganization>>>,
}

impl DirectoryCache {
    /// Starts loading the directory and shares the cache with the pages below.
    pub(crate) fn provide() -> DirectoryCache {
        let cache = DirectoryCache {
            people: RwSignal::new(HashMap::new()),
            groups: RwSignal::new(None),
            organizations: RwSignal::new(None),
        };
        leptos::task::spawn_local(async move {
            if let Ok(people) = api::directory_users(String::new()).await {
                cache.remember_all(people);
            }
        });
        leptos::task::spawn_local(async move {
            let groups = api::directory_groups().await.unwrap_or_default();
            cache.groups.set(Some(groups));
        });
        leptos::task::spawn_local(async move {
            let organizations = api::connected_organizations().await.unwrap_or_default();
            cache.organizations.set(Some(organizations));
        });
        provide_context(cache);
        cache
    }

    /// The cache of the admin area.
    pub(crate) fn get() -> DirectoryCache {
        use_context::<DirectoryCache>().unwrap_or_else(DirectoryCache::provide)
    }

    /// Remembers people seen in a search or a list.
    pub(crate) fn remember_all(&self, people: Vec<User>) {
        self.people.update(|known| {
            for person in people {
                known.insert(person.id.clone(), person);
            }
        });
    }

    /// A person's name, or their id when the directory did not say.
    pub(crate) fn person_name(&self, id: &UserId) -> String {
        self.people.with(|known| {
            known
                .get(id)
                .map(|person| person.display_name.clone())
                .unwrap_or_else(|| id.to_string())
        })
    }

    /// A group's name, or its id.
    pub(crate) fn group_name(&self, id: &GroupId) -> String {
        self.groups.with(|groups| {
            groups
                .iter()
                .flatten()
                .find(|group| &group.id == id)
                .map(|group| group.name.clone())
                .unwrap_or_else(|| id.to_string())
        })
    }

    /// Every group, sorted by name (empty while loading).
    pub(crate) fn groups(&self) -> Vec<Group> {
        let mut groups = self.groups.get().unwrap_or_default();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        groups
    }

    /// Every connected organisation (none while loading).
    pub(crate) fn organizations(&self) -> Option<Vec<ConnectedOrganization>> {
        self.organizations.get()
    }

    /// An organisation's name, or its id.
    pub(crate) fn organization_name(&self, id: &ConnectedOrgId) -> String {
        self.organizations.with(|organizations| {
            organizations
                .iter()
                .flatten()
                .find(|org| &org.id == id)
                .map(|org| org.name.clone())
                .unwrap_or_else(|| id.to_string())
        })
    }
}

/// A search box over the directory's people: what is typed searches after a pause, and
/// each result is a button that picks that person.
#[component]
pub(crate) fn PersonPicker(
    /// The search box's id.
    #[prop(into)]
    id: String,
    #[prop(into)] label: String,
    on_pick: Callback<User>,
    /// People who are already chosen, left out of the results.
    #[prop(into, optional)]
    exclude: Signal<Vec<UserId>>,
    /// The id of a message the box should be described by (a field error).
    #[prop(into, optional)]
    described_by: Option<Signal<Option<String>>>,
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    let cache = DirectoryCache::get();
    let text = RwSignal::new(String::new());
    let results = RwSignal::new(None::<Result<Vec<User>, api::ApiError>>);
    let searching = RwSignal::new(false);
    let generation = StoredValue::new(0_u64);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let cancel_timer = move || {
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        timer.set_value(None);
    };
    on_cleanup(cancel_timer);

    let search = move |query: String| {
        generation.update_value(|value| *value += 1);
        let mine = generation.get_value();
        if query.trim().is_empty() {
            results.set(None);
            searching.set(false);
            return;
        }
        searching.set(true);
        leptos::task::spawn_local(async move {
            let found = api::directory_users(query).await;
            if generation.get_value() != mine {
                return;
            }
            if let Ok(people) = &found {
                cache.remember_all(people.clone());
            }
            results.set(Some(found));
            searching.set(false);
        });
    };
    let on_input = move |event: leptos::ev::Event| {
        let query = event_target_value(&event);
        text.set(query.clone());
        cancel_timer();
        timer.set_value(set_timeout_with_handle(move || search(query), SEARCH_DELAY).ok());
    };
    let pick = move |person: User| {
        cancel_timer();
        text.set(String::new());
        results.set(None);
        generation.update_value(|value| *value += 1);
        on_pick.run(person);
    };
    let results_id = format!("{id}-results");
    let status = move || {
        if searching.get() {
            return Some("Searching…".to_owned());
        }
        match results.get() {
            Some(Ok(people)) => {
                let excluded = exclude.get();
                let count = people
                    .iter()
                    .filter(|person| !excluded.contains(&person.id))
                    .count();
                Some(match count {
                    0 => "Nobody matches.".to_owned(),
                    1 => "1 person found.".to_owned(),
                    n => format!("{n} people found."),
                })
            }
            Some(Err(error)) => Some(format!("The search didn't work: {}", error.message())),
            None => None,
        }
    };
    let list = move || {
        let excluded = exclude.get();
        let people: Vec<User> = match results.get() {
            Some(Ok(people)) => people
                .into_iter()
                .filter(|person| !excluded.contains(&person.id))
                .collect(),
            _ => Vec::new(),
        };
        people
            .into_iter()
            .map(|person| {
                let details = person_details(&person);
                let name = person.display_name.clone();
                view! {
                    <li>
                        <button type="button" class="pick" on:click=move |_| pick(person.clone())>
                            <span class="pick-name">{name}</span>
                            <span class="pick-details">{details}</span>
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    let described = move || described_by.and_then(|signal| signal.get());
    view! {
        <div class="picker">
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                type="search"
                autocomplete="off"
                placeholder="Name, e-mail or department"
                disabled=disabled
                aria-controls=results_id.clone()
                aria-describedby=described
                prop:value=move || text.get()
                on:input=on_input
            />
            <p class="status-line" role="status" aria-live="polite">{status}</p>
            <ul class="pick-list" id=results_id>{list}</ul>
        </div>
    }
}

/// "e-mail · department" for a person in a list.
pub(crate) fn person_details(person: &User) -> String {
    match &person.department {
        Some(department) if !department.is_empty() => format!("{} · {department}", person.email),
        _ => person.email.clone(),
    }
}

/// A select over the directory's groups with an "Add" button.
#[component]
pub(crate) fn GroupPicker(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    on_pick: Callback<GroupId>,
    #[prop(into, optional)] exclude: Signal<Vec<GroupId>>,
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    let cache = DirectoryCache::get();
    let chosen = RwSignal::new(String::new());
    let options = move || {
        let excluded = exclude.get();
        cache
            .groups()
            .into_iter()
            .filter(|group| !excluded.contains(&group.id))
            .map(|group| {
                let value = group.id.to_string();
                view! { <option value=value>{group.name}</option> }
            })
            .collect_view()
    };
    let add = move |_| {
        let id = chosen.get_untracked();
        if id.is_empty() {
            return;
        }
        chosen.set(String::new());
        on_pick.run(GroupId::new(id));
    };
    view! {
        <div class="picker group-picker">
            <label for=id.clone()>{label}</label>
            <div class="inline-row">
                <select
                    id=id.clone()
                    disabled=disabled
                    prop:value=move || chosen.get()
                    on:change=move |event| chosen.set(event_target_value(&event))
                >
                    <option value="">"Choose a group…"</option>
                    {options}
                </select>
                <button
                    type="button"
                    class="button secondary small"
                    disabled=move || disabled || chosen.get().is_empty()
                    on:click=add
                >
                    "Add group"
                </button>
            </div>
        </div>
    }
}
