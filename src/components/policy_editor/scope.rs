//! "Who can request": every requestor scope, with pickers for the specific ones.

use entrada_domain::directory::User;
use entrada_domain::ids::{ConnectedOrgId, GroupId, UserId};
use entrada_domain::policy::{PolicyDraft, RequestorScope};
use leptos::prelude::*;

use super::{read, Level};
use crate::components::directory::{DirectoryCache, GroupPicker, PersonPicker};
use crate::components::focus::focus_now;
use crate::components::form::{dom_id, Feedback, FieldMessage, RadioOption};

/// The kinds of requestor scope, as the editor offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScopeKind {
    NoneAdminOnly,
    SpecificDirectoryUsers,
    AllMembers,
    AllDirectoryUsers,
    SpecificConnectedOrganizations,
    AllConfiguredConnectedOrganizations,
    AllExternalUsers,
}

impl ScopeKind {
    /// Every scope, in the order Entra lists them.
    pub(crate) const ALL: [ScopeKind; 7] = [
        ScopeKind::SpecificDirectoryUsers,
        ScopeKind::AllMembers,
        ScopeKind::AllDirectoryUsers,
        ScopeKind::SpecificConnectedOrganizations,
        ScopeKind::AllConfiguredConnectedOrganizations,
        ScopeKind::AllExternalUsers,
        ScopeKind::NoneAdminOnly,
    ];

    /// The scopes for people already in the directory.
    pub(crate) const DIRECTORY: [ScopeKind; 3] = [
        ScopeKind::SpecificDirectoryUsers,
        ScopeKind::AllMembers,
        ScopeKind::AllDirectoryUsers,
    ];

    pub(crate) fn of(scope: &RequestorScope) -> ScopeKind {
        match scope {
            RequestorScope::NoneAdminOnly => ScopeKind::NoneAdminOnly,
            RequestorScope::SpecificDirectoryUsers { .. } => ScopeKind::SpecificDirectoryUsers,
            RequestorScope::AllMembers => ScopeKind::AllMembers,
            RequestorScope::AllDirectoryUsers => ScopeKind::AllDirectoryUsers,
            RequestorScope::SpecificConnectedOrganizations { .. } => {
                ScopeKind::SpecificConnectedOrganizations
            }
            RequestorScope::AllConfiguredConnectedOrganizations => {
                ScopeKind::AllConfiguredConnectedOrganizations
            }
            RequestorScope::AllExternalUsers => ScopeKind::AllExternalUsers,
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            ScopeKind::NoneAdminOnly => "Nobody: administrators assign directly",
            ScopeKind::SpecificDirectoryUsers => "Specific people and groups in your directory",
            ScopeKind::AllMembers => "All members of your directory (not guests)",
            ScopeKind::AllDirectoryUsers => "All users in your directory, guests included",
            ScopeKind::SpecificConnectedOrganizations => "Specific connected organisations",
            ScopeKind::AllConfiguredConnectedOrganizations => {
                "All configured connected organisations"
            }
            ScopeKind::AllExternalUsers => "All external users (anyone)",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            ScopeKind::NoneAdminOnly => "No one requests; access is only assigned directly.",
            ScopeKind::SpecificDirectoryUsers => {
                "Choose people one by one, or groups whose members may ask."
            }
            ScopeKind::AllMembers => "Every employee and other member.",
            ScopeKind::AllDirectoryUsers => "Members and the guests already invited.",
            ScopeKind::SpecificConnectedOrganizations => {
                "People of the partners you choose, including people not yet in your directory."
            }
            ScopeKind::AllConfiguredConnectedOrganizations => {
                "People of every partner an administrator set up."
            }
            ScopeKind::AllExternalUsers => {
                "Anyone from outside, including people from organisations you haven't connected."
            }
        }
    }

    fn value(self) -> &'static str {
        match self {
            ScopeKind::NoneAdminOnly => "noneAdminOnly",
            ScopeKind::SpecificDirectoryUsers => "specificDirectoryUsers",
            ScopeKind::AllMembers => "allMembers",
            ScopeKind::AllDirectoryUsers => "allDirectoryUsers",
            ScopeKind::SpecificConnectedOrganizations => "specificConnectedOrganizations",
            ScopeKind::AllConfiguredConnectedOrganizations => "allConfiguredConnectedOrganizations",
            ScopeKind::AllExternalUsers => "allExternalUsers",
        }
    }
}

/// What the specific scopes held, so that switching away and back keeps the choices.
#[derive(Clone, Default)]
struct Remembered {
    users: Vec<UserId>,
    groups: Vec<GroupId>,
    organizations: Vec<ConnectedOrgId>,
}

#[component]
pub(super) fn ScopeSection(
    draft: RwSignal<PolicyDraft>,
    feedback: Feedback,
    scopes: Vec<ScopeKind>,
    level: Level,
) -> impl IntoView {
    let heading_id = dom_id(&feedback.path("requestorScope"));
    let radio_name = dom_id(&feedback.path("requestorScope.kind"));
    let remembered = StoredValue::new(Remembered::default());
    let kind = read(draft, |d| ScopeKind::of(&d.requestor_scope));

    let choose = move |choice: ScopeKind| {
        let mut memory = remembered.get_value();
        draft.update(|d| {
            match &d.requestor_scope {
                RequestorScope::SpecificDirectoryUsers { users, groups } => {
                    memory.users = users.clone();
                    memory.groups = groups.clone();
                }
                RequestorScope::SpecificConnectedOrganizations { organizations } => {
                    memory.organizations = organizations.clone();
                }
                _ => {}
            }
            d.requestor_scope = match choice {
                ScopeKind::NoneAdminOnly => RequestorScope::NoneAdminOnly,
                ScopeKind::SpecificDirectoryUsers => RequestorScope::SpecificDirectoryUsers {
                    users: memory.users.clone(),
                    groups: memory.groups.clone(),
                },
                ScopeKind::AllMembers => RequestorScope::AllMembers,
                ScopeKind::AllDirectoryUsers => RequestorScope::AllDirectoryUsers,
                ScopeKind::SpecificConnectedOrganizations => {
                    RequestorScope::SpecificConnectedOrganizations {
                        organizations: memory.organizations.clone(),
                    }
                }
                ScopeKind::AllConfiguredConnectedOrganizations => {
                    RequestorScope::AllConfiguredConnectedOrganizations
                }
                ScopeKind::AllExternalUsers => RequestorScope::AllExternalUsers,
            };
        });
        remembered.set_value(memory);
        feedback.touch("requestorScope");
    };

    // A scope the draft holds but the editor doesn't offer (a policy made elsewhere)
    // stays on offer, so that opening the policy never changes it.
    let current = kind.get_untracked();
    let mut offered = scopes;
    if !offered.contains(&current) {
        offered.push(current);
    }
    let choices = match offered.len() {
        1 => view! {
            <p class="fixed-choice"><strong>{current.label()}</strong><br/><span class="hint">{current.hint()}</span></p>
        }
        .into_any(),
        _ => offered
            .into_iter()
            .map(|choice| {
                view! {
                    <RadioOption
                        name=radio_name.clone()
                        key=choice.value()
                        label=choice.label()
                        hint=choice.hint()
                        checked=Signal::derive(move || kind.get() == choice)
                        on_choose=Callback::new(move |()| choose(choice))
                    />
                }
            })
            .collect_view()
            .into_any(),
    };

    // Direct assignment has nothing to approve: offer, right here, to drop the stages the
    // draft still has (the approval section, far below, says why they must go).
    let stage_count = read(draft, |d| d.stages.len());
    let stale_stages = move || kind.get() == ScopeKind::NoneAdminOnly && stage_count.get() > 0;
    let admin_radio = format!("{radio_name}-{}", ScopeKind::NoneAdminOnly.value());
    let remove_stages = move |_| {
        draft.update(|d| d.stages.clear());
        feedback.touch("stages");
        // The button goes away: focus stays on the choice that made it appear.
        focus_now(&admin_radio);
    };
    let remove_label = move || match stage_count.get() {
        1 => "Remove the approval stage".to_owned(),
        n => format!("Remove the {n} approval stages"),
    };

    let labelled_by = heading_id.clone();
    view! {
        <section class="card form-section" aria-labelledby=labelled_by>
            {level.heading(heading_id, "Who can request")}
            <fieldset class="group">
                <legend>"Users who can request access"</legend>
                <div class="radios">{choices}</div>
            </fieldset>
            <Show when=stale_stages>
                <div class="notice stale-stages">
                    <p>"Nobody requests through this policy, so there is nothing to approve."</p>
                    <button type="button" class="button secondary small" on:click=remove_stages.clone()>{remove_label}</button>
                </div>
            </Show>
            <Show when=move || kind.get() == ScopeKind::SpecificDirectoryUsers>
                <SpecificPeople draft feedback/>
            </Show>
            <Show when=move || kind.get() == ScopeKind::SpecificConnectedOrganizations>
                <SpecificOrganizations draft feedback/>
            </Show>
        </section>
    }
}

/// A change to the chosen people and groups.
type PeopleEdit = Box<dyn FnOnce(&mut Vec<UserId>, &mut Vec<GroupId>)>;

#[component]
fn SpecificPeople(draft: RwSignal<PolicyDraft>, feedback: Feedback) -> impl IntoView {
    let cache = DirectoryCache::get();
    let lists = read(draft, |d| match &d.requestor_scope {
        RequestorScope::SpecificDirectoryUsers { users, groups } => (users.clone(), groups.clone()),
        _ => (Vec::new(), Vec::new()),
    });
    let edit = move |change: PeopleEdit| {
        draft.update(|d| {
            if let RequestorScope::SpecificDirectoryUsers { users, groups } = &mut d.requestor_scope
            {
                change(users, groups);
            }
        });
        feedback.touch("requestorScope.users");
        feedback.touch("requestorScope.groups");
    };
    let users_id = dom_id(&feedback.path("requestorScope.users"));
    let groups_id = dom_id(&feedback.path("requestorScope.groups"));
    let users_message = Signal::derive(move || feedback.message("requestorScope.users"));
    let groups_message = Signal::derive(move || feedback.message("requestorScope.groups"));
    let chips = move || {
        let (users, groups) = lists.get();
        let people = users.into_iter().map(|id| {
            let name = cache.person_name(&id);
            let label = format!("Remove {name}");
            view! {
                <li class="chip">
                    <span>{name}</span>
                    <button type="button" class="chip-remove" aria-label=label
                        on:click=move |_| {
                            let id = id.clone();
                            edit(Box::new(move |users, _| users.retain(|user| *user != id)))
                        }>"×"</button>
                </li>
            }
            .into_any()
        });
        let groups = groups.into_iter().map(|id| {
            let name = cache.group_name(&id);
            let label = format!("Remove group {name}");
            view! {
                <li class="chip group">
                    <span>{format!("{name} (group)")}</span>
                    <button type="button" class="chip-remove" aria-label=label
                        on:click=move |_| {
                            let id = id.clone();
                            edit(Box::new(move |_, groups| groups.retain(|group| *group != id)))
                        }>"×"</button>
                </li>
            }
            .into_any()
        });
        people.chain(groups).collect_view()
    };
    let empty = move || {
        let (users, groups) = lists.get();
        users.is_empty() && groups.is_empty()
    };
    let add_person = Callback::new(move |person: User| {
        edit(Box::new(move |users, _| {
            if !users.contains(&person.id) {
                users.push(person.id);
            }
        }))
    });
    let add_group = Callback::new(move |group: GroupId| {
        edit(Box::new(move |_, groups| {
            if !groups.contains(&group) {
                groups.push(group);
            }
        }))
    });
    let described =
        Signal::derive(move || users_message.get().map(|_| format!("{users_id}-error")));
    view! {
        <fieldset id=dom_id(&feedback.path("requestorScope.users")) class="group nested"
            class:invalid=move || users_message.get().is_some() || groups_message.get().is_some()>
            <legend>"People and groups who may request"</legend>
            <Show when=empty>
                <p class="muted">"Nobody chosen yet."</p>
            </Show>
            <ul class="chips" aria-label="Chosen people and groups">{chips}</ul>
            <PersonPicker
                id=dom_id(&feedback.path("requestorScope.users.add"))
                label="Add a person"
                on_pick=add_person
                exclude=Signal::derive(move || lists.get().0)
                described_by=described
            />
            <GroupPicker
                id=dom_id(&feedback.path("requestorScope.groups.add"))
                label="Add a group (its members may request)"
                on_pick=add_group
                exclude=Signal::derive(move || lists.get().1)
            />
            <FieldMessage id=dom_id(&feedback.path("requestorScope.users")) message=users_message/>
            <FieldMessage id=groups_id message=groups_message/>
        </fieldset>
    }
}

#[component]
fn SpecificOrganizations(draft: RwSignal<PolicyDraft>, feedback: Feedback) -> impl IntoView {
    let cache = DirectoryCache::get();
    let chosen = read(draft, |d| match &d.requestor_scope {
        RequestorScope::SpecificConnectedOrganizations { organizations } => organizations.clone(),
        _ => Vec::new(),
    });
    let path = "requestorScope.organizations";
    let id = dom_id(&feedback.path(path));
    let message = Signal::derive(move || feedback.message(path));
    let toggle = move |org: ConnectedOrgId, on: bool| {
        draft.update(|d| {
            if let RequestorScope::SpecificConnectedOrganizations { organizations } =
                &mut d.requestor_scope
            {
                organizations.retain(|known| *known != org);
                if on {
                    organizations.push(org);
                }
            }
        });
        feedback.touch(path);
    };
    let boxes = {
        let id = id.clone();
        move || {
            match cache.organizations() {
            None => view! { <p class="muted" role="status">"Loading connected organisations…"</p> }.into_any(),
            Some(organizations) if organizations.is_empty() => view! {
                <p class="notice">"There are no connected organisations yet. An administrator adds partners under connected organisations."</p>
            }
            .into_any(),
            Some(organizations) => organizations
                .into_iter()
                .map(|org| {
                    let box_id = format!("{id}-{}", dom_id(org.id.as_str()));
                    let org_id = org.id.clone();
                    let checked_id = org.id.clone();
                    let domains = org.domains.join(", ");
                    let state = match org.state {
                        entrada_domain::organization::ConnectedOrgState::Configured => "",
                        entrada_domain::organization::ConnectedOrgState::Proposed => " · proposed",
                    };
                    view! {
                        <div class="field check">
                            <input
                                type="checkbox"
                                id=box_id.clone()
                                prop:checked=move || chosen.get().contains(&checked_id)
                                on:change=move |event| toggle(org_id.clone(), event_target_checked(&event))
                            />
                            <label for=box_id>{org.name}</label>
                            <p class="hint">{format!("{domains}{state}")}</p>
                        </div>
                    }
                })
                .collect_view()
                .into_any(),
        }
        }
    };
    view! {
        <fieldset id=id.clone() class="group nested" class:invalid=move || message.get().is_some()
            aria-describedby=format!("{id}-error")>
            <legend>"Connected organisations whose people may request"</legend>
            {boxes}
            <FieldMessage id=id.clone() message/>
        </fieldset>
    }
}
