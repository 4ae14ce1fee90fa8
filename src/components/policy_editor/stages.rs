//! Approval: zero to three stages, each with its approvers, fallback approvers, decision
//! timeout and optional escalation.

use entrada_domain::directory::User;
use entrada_domain::ids::GroupId;
use entrada_domain::policy::{
    ApprovalStage, Approver, Escalation, PolicyDraft, RequestorScope, MAX_STAGES,
};
use leptos::prelude::*;

use super::{read, Level};
use crate::components::directory::{DirectoryCache, GroupPicker, PersonPicker};
use crate::components::form::{dom_id, Checkbox, Feedback, FieldMessage, NumberInput};

/// A new stage: the requestor's manager (or, for partners, their sponsors) decides within
/// 14 days.
pub(crate) fn new_stage(external: bool) -> ApprovalStage {
    ApprovalStage {
        approvers: vec![match external {
            true => Approver::Sponsors,
            false => Approver::Manager,
        }],
        fallback_approvers: Vec::new(),
        approver_justification_required: true,
        decision_timeout_days: 14,
        escalation: None,
    }
}

#[component]
pub(super) fn ApprovalSection(
    draft: RwSignal<PolicyDraft>,
    feedback: Feedback,
    level: Level,
) -> impl IntoView {
    let heading_id = dom_id(&feedback.path("stages"));
    let count = read(draft, |d| d.stages.len());
    let admin_only = read(draft, |d| {
        d.requestor_scope == RequestorScope::NoneAdminOnly
    });
    let message = Signal::derive(move || feedback.message("stages"));
    let add = move |_| {
        draft.update(|d| {
            let external = d.requestor_scope.is_external();
            d.stages.push(new_stage(external));
        });
        feedback.touch("stages");
    };
    let summary = move || match (admin_only.get(), count.get()) {
        (true, 0) => "Direct assignment only: there is nothing to approve.".to_owned(),
        (_, 0) => "No approval: requests are granted at once.".to_owned(),
        (_, 1) => "One approval stage.".to_owned(),
        (_, n) => format!("{n} approval stages, one after the other."),
    };
    let labelled_by = heading_id.clone();
    view! {
        <section class="card form-section" aria-labelledby=labelled_by>
            {level.heading(heading_id.clone(), "Approval")}
            <p class="muted" aria-live="polite">{summary}</p>
            <For each=move || 0..count.get() key=|index| *index let(index)>
                <StageEditor draft feedback index level/>
            </For>
            <Show when=move || { count.get() < MAX_STAGES && !(admin_only.get() && count.get() == 0) }>
                <button type="button" class="button secondary small" on:click=add>
                    {move || match count.get() {
                        0 => "Require approval",
                        _ => "Add another approval stage",
                    }}
                </button>
            </Show>
            <FieldMessage id=heading_id message/>
        </section>
    }
}

/// A change to a list of the draft.
pub(super) type ListEdit<T> = Box<dyn FnOnce(&mut Vec<T>)>;

fn edit_stage(draft: RwSignal<PolicyDraft>, index: usize, change: impl FnOnce(&mut ApprovalStage)) {
    draft.update(|d| {
        if let Some(stage) = d.stages.get_mut(index) {
            change(stage);
        }
    });
}

#[component]
fn StageEditor(
    draft: RwSignal<PolicyDraft>,
    feedback: Feedback,
    index: usize,
    level: Level,
) -> impl IntoView {
    let path = format!("stages[{index}]");
    let stage = move || draft.with(|d| d.stages.get(index).cloned());
    let external = read(draft, |d| d.requestor_scope.is_external());
    let remove = move |_| {
        draft.update(|d| {
            if index < d.stages.len() {
                d.stages.remove(index);
            }
        });
        feedback.touch("stages");
    };
    let escalates = Signal::derive(move || stage().is_some_and(|s| s.escalation.is_some()));
    let list = move |part: fn(&ApprovalStage) -> Vec<Approver>| {
        Signal::derive(move || stage().map(|s| part(&s)).unwrap_or_default())
    };
    let set = move |part: fn(&mut ApprovalStage, Vec<Approver>)| {
        Callback::new(move |approvers: Vec<Approver>| {
            edit_stage(draft, index, |stage| part(stage, approvers))
        })
    };
    view! {
        <div class="subcard policy-stage">
            <div class="subcard-head">
                {level.subheading(format!("Stage {}", index + 1))}
                <button type="button" class="button secondary small" on:click=remove>
                    "Remove stage"<span class="visually-hidden">{format!(" {}", index + 1)}</span>
                </button>
            </div>
            <ApproverList
                path=format!("{path}.approvers")
                legend="Approvers"
                value=list(|s| s.approvers.clone())
                on_change=set(|s, v| s.approvers = v)
                external
                feedback
            />
            <ApproverList
                path=format!("{path}.fallbackApprovers")
                legend="Fallback approvers (optional)"
                hint="They decide when the approvers above resolve to nobody, e.g. someone without a manager."
                value=list(|s| s.fallback_approvers.clone())
                on_change=set(|s, v| s.fallback_approvers = v)
                external
                feedback
            />
            <Checkbox
                path=format!("{path}.approverJustificationRequired")
                label="Approvers must give a reason"
                checked=Signal::derive(move || stage().is_some_and(|s| s.approver_justification_required))
                on_change=Callback::new(move |on: bool| edit_stage(draft, index, |s| s.approver_justification_required = on))
                feedback
            />
            <NumberInput
                path=format!("{path}.decisionTimeoutDays")
                label="Days to decide"
                hint="From 1 to 14. A request nobody decides in time is denied."
                min=1
                max=14
                value=Signal::derive(move || stage().map(|s| s.decision_timeout_days).unwrap_or(0))
                on_change=Callback::new(move |days: u32| edit_stage(draft, index, |s| s.decision_timeout_days = days))
                feedback
            />
            <Checkbox
                path=format!("{path}.escalation")
                label="Escalate to alternate approvers if nobody decides"
                checked=escalates
                on_change=Callback::new(move |on: bool| edit_stage(draft, index, |s| {
                    s.escalation = on.then(|| Escalation {
                        after_days: (s.decision_timeout_days / 2).max(1),
                        approvers: Vec::new(),
                    });
                }))
                feedback
            />
            <Show when=move || escalates.get()>
                <div class="nested-block">
                    <NumberInput
                        path=format!("stages[{index}].escalation.afterDays")
                        label="Escalate after (days)"
                        hint="At least 1, and fewer than the days to decide."
                        min=1
                        max=13
                        value=Signal::derive(move || stage().and_then(|s| s.escalation).map(|e| e.after_days).unwrap_or(0))
                        on_change=Callback::new(move |days: u32| edit_stage(draft, index, |s| {
                            if let Some(escalation) = &mut s.escalation {
                                escalation.after_days = days;
                            }
                        }))
                        feedback
                    />
                    <ApproverList
                        path=format!("stages[{index}].escalation.approvers")
                        legend="Alternate approvers"
                        value=Signal::derive(move || stage().and_then(|s| s.escalation).map(|e| e.approvers).unwrap_or_default())
                        on_change=Callback::new(move |approvers: Vec<Approver>| edit_stage(draft, index, |s| {
                            if let Some(escalation) = &mut s.escalation {
                                escalation.approvers = approvers;
                            }
                        }))
                        external
                        feedback
                    />
                </div>
            </Show>
        </div>
    }
}

/// A list of approvers: named people, group members, the requestor's manager or the
/// sponsors of the requestor's organisation (the last two only where they make sense,
/// unless the list already holds them, so they can be removed).
#[component]
fn ApproverList(
    #[prop(into)] path: String,
    legend: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    value: Signal<Vec<Approver>>,
    on_change: Callback<Vec<Approver>>,
    external: Signal<bool>,
    feedback: Feedback,
) -> impl IntoView {
    let cache = DirectoryCache::get();
    let id = dom_id(&feedback.path(&path));
    let message = {
        let path = path.clone();
        Signal::derive(move || feedback.message(&path))
    };
    let change = {
        let path = path.clone();
        move |edit: ListEdit<Approver>| {
            let mut approvers = value.get_untracked();
            edit(&mut approvers);
            on_change.run(approvers);
            feedback.touch(&path);
        }
    };
    let has = move |approver: &Approver| value.with(|list| list.contains(approver));
    let toggle = {
        let change = change.clone();
        move |approver: Approver, on: bool| {
            change(Box::new(move |list| {
                list.retain(|known| *known != approver);
                if on {
                    list.push(approver);
                }
            }))
        }
    };
    let chips = {
        let change = change.clone();
        move || {
            value
                .get()
                .into_iter()
                .filter_map(|approver| {
                    let name = match &approver {
                        Approver::User { id } => cache.person_name(id),
                        Approver::GroupMembers { id } => format!("Members of {}", cache.group_name(id)),
                        // Manager and sponsors show as checkboxes below.
                        Approver::Manager
                        | Approver::Sponsors
                        | Approver::InternalSponsors
                        | Approver::ExternalSponsors => return None,
                    };
                    let label = format!("Remove {name}");
                    let change = change.clone();
                    Some(view! {
                        <li class="chip">
                            <span>{name}</span>
                            <button type="button" class="chip-remove" aria-label=label
                                on:click=move |_| {
                                    let approver = approver.clone();
                                    change(Box::new(move |list| list.retain(|known| *known != approver)))
                                }>"×"</button>
                        </li>
                    })
                })
                .collect_view()
        }
    };
    let manager_id = format!("{id}-manager");
    let sponsors_id = format!("{id}-sponsors");
    let show_manager = move || !external.get() || has(&Approver::Manager);
    let show_sponsors =
        move || external.get() || value.with(|list| list.iter().any(Approver::is_sponsors));
    let internal_sponsors_id = format!("{id}-internal-sponsors");
    let external_sponsors_id = format!("{id}-external-sponsors");
    let toggle_internal = toggle.clone();
    let toggle_external = toggle.clone();
    let add_person = {
        let change = change.clone();
        Callback::new(move |person: User| {
            let approver = Approver::User { id: person.id };
            change(Box::new(move |list| {
                if !list.contains(&approver) {
                    list.push(approver);
                }
            }))
        })
    };
    let add_group = {
        let change = change.clone();
        Callback::new(move |group: GroupId| {
            let approver = Approver::GroupMembers { id: group };
            change(Box::new(move |list| {
                if !list.contains(&approver) {
                    list.push(approver);
                }
            }))
        })
    };
    let named = Signal::derive(move || {
        value
            .get()
            .into_iter()
            .filter_map(|approver| match approver {
                Approver::User { id } => Some(id),
                _ => None,
            })
            .collect::<Vec<_>>()
    });
    let grouped = Signal::derive(move || {
        value
            .get()
            .into_iter()
            .filter_map(|approver| match approver {
                Approver::GroupMembers { id } => Some(id),
                _ => None,
            })
            .collect::<Vec<_>>()
    });
    let toggle_manager = toggle.clone();
    let error_id = format!("{id}-error");
    let described = Signal::derive(move || message.get().map(|_| error_id.clone()));
    view! {
        <fieldset id=id.clone() class="group approvers" class:invalid=move || message.get().is_some()
            aria-describedby=move || described.get()>
            <legend>{legend}</legend>
            {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
            <Show when=show_manager>
                <div class="field check">
                    <input type="checkbox" id=manager_id.clone()
                        prop:checked=move || has(&Approver::Manager)
                        on:change={
                            let toggle = toggle_manager.clone();
                            move |event| toggle(Approver::Manager, event_target_checked(&event))
                        }/>
                    <label for=manager_id.clone()>"The requestor's manager"</label>
                </div>
            </Show>
            <Show when=show_sponsors>
                <div class="field check">
                    <input type="checkbox" id=sponsors_id.clone()
                        prop:checked=move || has(&Approver::Sponsors)
                        on:change={
                            let toggle = toggle.clone();
                            move |event| toggle(Approver::Sponsors, event_target_checked(&event))
                        }/>
                    <label for=sponsors_id.clone()>"Sponsors of the requestor's connected organisation"</label>
                </div>
                <div class="field check">
                    <input type="checkbox" id=internal_sponsors_id.clone()
                        prop:checked=move || has(&Approver::InternalSponsors)
                        on:change={
                            let toggle = toggle_internal.clone();
                            move |event| toggle(Approver::InternalSponsors, event_target_checked(&event))
                        }/>
                    <label for=internal_sponsors_id.clone()>"Internal sponsors of the requestor's organisation"</label>
                </div>
                <div class="field check">
                    <input type="checkbox" id=external_sponsors_id.clone()
                        prop:checked=move || has(&Approver::ExternalSponsors)
                        on:change={
                            let toggle = toggle_external.clone();
                            move |event| toggle(Approver::ExternalSponsors, event_target_checked(&event))
                        }/>
                    <label for=external_sponsors_id.clone()>"External sponsors of the requestor's organisation"</label>
                </div>
            </Show>
            <ul class="chips" aria-label=format!("{legend}: people and groups")>{chips}</ul>
            <div class="picker-pair">
                <PersonPicker id=format!("{id}-person") label="Add a person" on_pick=add_person exclude=named described_by=described/>
                <GroupPicker id=format!("{id}-group") label="Add a group" on_pick=add_group exclude=grouped/>
            </div>
            <FieldMessage id=id.clone() message/>
        </fieldset>
    }
}
