//! The assignment policy editor: every field of `PolicyDraft`, each with its message from
//! `validate_policy` next to it. The policy pages and the setup wizards share it.

mod scope;
mod stages;

use entrada_domain::ids::QuestionId;
use entrada_domain::policy::{Expiration, PolicyDraft, Question, QuestionKind, RequestorScope};
use leptos::prelude::*;
use time::OffsetDateTime;

use crate::components::form::{
    dom_id, Checkbox, DateInput, Feedback, NumberInput, RadioOption, TextInput,
};

pub(crate) use scope::ScopeKind;
use scope::ScopeSection;
use stages::ApprovalSection;

/// The editor. `scopes` lists the requestor scopes on offer (the wizards narrow them);
/// `read_only` shows the policy to people who may read but not change it.
#[component]
pub(crate) fn PolicyEditor(
    draft: RwSignal<PolicyDraft>,
    feedback: Feedback,
    scopes: Vec<ScopeKind>,
    #[prop(optional)] read_only: bool,
    /// Whether the editor sits inside a page section (its headings are then `h3`).
    #[prop(optional)]
    nested: bool,
) -> impl IntoView {
    let level = Level(nested);
    view! {
        <fieldset class="plain policy-editor" disabled=read_only>
            <legend class="visually-hidden">"Policy settings"</legend>
            <BasicsSection draft feedback level/>
            <ScopeSection draft feedback scopes level/>
            <RequestSection draft feedback level/>
            <ApprovalSection draft feedback level/>
            <ExpirationSection draft feedback level/>
        </fieldset>
    }
}

/// A new policy's starting point: anyone in the directory may ask, one stage with the
/// requestor's manager, a year of access that may be extended.
pub(crate) fn default_policy() -> PolicyDraft {
    PolicyDraft {
        name: String::new(),
        description: String::new(),
        requestor_scope: RequestorScope::AllMembers,
        accepting_requests: true,
        requestor_justification_required: true,
        questions: Vec::new(),
        stages: vec![stages::new_stage(false)],
        expiration: Expiration::AfterDays { days: 365 },
        extension_allowed: true,
        requestor_may_choose_schedule: false,
    }
}

/// Whether section headings are `h2` (a page of their own) or `h3` (inside a step).
#[derive(Clone, Copy)]
pub(crate) struct Level(bool);

impl Level {
    /// The heading of a question or stage inside a section, one level below it.
    pub(crate) fn subheading(self, text: String) -> AnyView {
        match self.0 {
            true => view! { <h4>{text}</h4> }.into_any(),
            false => view! { <h3 class="subheading">{text}</h3> }.into_any(),
        }
    }

    pub(crate) fn heading(self, id: String, text: &'static str) -> AnyView {
        match self.0 {
            true => view! { <h3 id=id>{text}</h3> }.into_any(),
            false => view! { <h2 id=id>{text}</h2> }.into_any(),
        }
    }
}

/// A signal over one part of the draft.
pub(crate) fn read<T>(
    draft: RwSignal<PolicyDraft>,
    part: impl Fn(&PolicyDraft) -> T + Send + Sync + 'static,
) -> Signal<T>
where
    T: Clone + Send + Sync + 'static,
{
    Signal::derive(move || draft.with(|draft| part(draft)))
}

/// A callback that writes one part of the draft.
pub(crate) fn write<T: 'static>(
    draft: RwSignal<PolicyDraft>,
    part: impl Fn(&mut PolicyDraft, T) + Send + Sync + 'static,
) -> Callback<T> {
    Callback::new(move |value| draft.update(|draft| part(draft, value)))
}

#[component]
fn BasicsSection(draft: RwSignal<PolicyDraft>, feedback: Feedback, level: Level) -> impl IntoView {
    let heading_id = dom_id(&feedback.path("basics"));
    let labelled_by = heading_id.clone();
    view! {
        <section class="card form-section" aria-labelledby=labelled_by>
            {level.heading(heading_id, "Policy")}
            <TextInput
                path="name"
                label="Policy name"
                hint="Requestors see it when they choose how to ask."
                value=read(draft, |d| d.name.clone())
                on_change=write(draft, |d, v| d.name = v)
                feedback
            />
            <TextInput
                path="description"
                label="Description (optional)"
                multiline=true
                value=read(draft, |d| d.description.clone())
                on_change=write(draft, |d, v| d.description = v)
                feedback
            />
        </section>
    }
}

#[component]
fn RequestSection(draft: RwSignal<PolicyDraft>, feedback: Feedback, level: Level) -> impl IntoView {
    let heading_id = dom_id(&feedback.path("requests"));
    let admin_only = read(draft, |d| {
        d.requestor_scope == RequestorScope::NoneAdminOnly
    });
    let labelled_by = heading_id.clone();
    view! {
        <section class="card form-section" aria-labelledby=labelled_by>
            {level.heading(heading_id, "Requests")}
            <Checkbox
                path="acceptingRequests"
                label="Accepting requests"
                hint="Turn off to stop new requests without deleting the policy."
                checked=read(draft, |d| d.accepting_requests)
                on_change=write(draft, |d, v| d.accepting_requests = v)
                feedback
            />
            <Show when=move || !admin_only.get()>
                <Checkbox
                    path="requestorJustificationRequired"
                    label="Requestors must say why they need access"
                    checked=read(draft, |d| d.requestor_justification_required)
                    on_change=write(draft, |d, v| d.requestor_justification_required = v)
                    feedback
                />
                <QuestionsEditor draft feedback level/>
            </Show>
        </section>
    }
}

#[component]
fn QuestionsEditor(
    draft: RwSignal<PolicyDraft>,
    feedback: Feedback,
    level: Level,
) -> impl IntoView {
    let count = read(draft, |d| d.questions.len());
    let add = move |_| {
        draft.update(|d| {
            let id = next_question_id(&d.questions);
            d.questions.push(Question {
                id,
                text: String::new(),
                required: true,
                kind: QuestionKind::ShortText,
            });
        });
        feedback.touch("questions");
    };
    view! {
        <fieldset class="group">
            <legend>"Questions for the requestor"</legend>
            <Show when=move || count.get() == 0>
                <p class="muted">"No questions: requestors only give the details above."</p>
            </Show>
            <For each=move || 0..count.get() key=|index| *index let(index)>
                <QuestionEditor draft feedback index level/>
            </For>
            <button type="button" class="button secondary small" on:click=add>"Add a question"</button>
        </fieldset>
    }
}

#[component]
fn QuestionEditor(
    draft: RwSignal<PolicyDraft>,
    feedback: Feedback,
    index: usize,
    level: Level,
) -> impl IntoView {
    let path = format!("questions[{index}]");
    let question = move || draft.with(|d| d.questions.get(index).cloned());
    let edit = move |change: Box<dyn FnOnce(&mut Question)>| {
        draft.update(|d| {
            if let Some(question) = d.questions.get_mut(index) {
                change(question);
            }
        })
    };
    let kind_id = dom_id(&feedback.path(&format!("{path}.kind")));
    let kind_value = move || match question().map(|q| q.kind) {
        Some(QuestionKind::LongText) => "longText",
        Some(QuestionKind::Choice { .. }) => "choice",
        _ => "shortText",
    };
    let on_kind = {
        let path = path.clone();
        move |event: leptos::ev::Event| {
            let kind = match event_target_value(&event).as_str() {
                "longText" => QuestionKind::LongText,
                "choice" => QuestionKind::Choice {
                    options: vec![String::new(), String::new()],
                },
                _ => QuestionKind::ShortText,
            };
            edit(Box::new(move |q| {
                if !matches!(
                    (&q.kind, &kind),
                    (QuestionKind::Choice { .. }, QuestionKind::Choice { .. })
                ) {
                    q.kind = kind;
                }
            }));
            feedback.touch(&format!("{path}.kind"));
        }
    };
    let remove = move |_| {
        draft.update(|d| {
            if index < d.questions.len() {
                d.questions.remove(index);
            }
        });
    };
    let is_choice = move || {
        matches!(
            question().map(|q| q.kind),
            Some(QuestionKind::Choice { .. })
        )
    };
    view! {
        <div class="subcard">
            <div class="subcard-head">
                {level.subheading(format!("Question {}", index + 1))}
                <button type="button" class="button secondary small" on:click=remove>
                    "Remove question"
                    <span class="visually-hidden">{format!(" {}", index + 1)}</span>
                </button>
            </div>
            <TextInput
                path=format!("{path}.text")
                label="Question"
                value=Signal::derive(move || question().map(|q| q.text).unwrap_or_default())
                on_change=Callback::new(move |text: String| edit(Box::new(move |q| q.text = text)))
                feedback
            />
            <div class="field">
                <label for=kind_id.clone()>"Answer"</label>
                <select id=kind_id prop:value=kind_value on:change=on_kind>
                    <option value="shortText">"Short text"</option>
                    <option value="longText">"Long text"</option>
                    <option value="choice">"One of a list of choices"</option>
                </select>
            </div>
            <Show when=is_choice>
                <ChoiceOptions draft feedback index/>
            </Show>
            <Checkbox
                path=format!("{path}.required")
                label="An answer is required"
                checked=Signal::derive(move || question().is_some_and(|q| q.required))
                on_change=Callback::new(move |required: bool| edit(Box::new(move |q| q.required = required)))
                feedback
            />
        </div>
    }
}

#[component]
fn ChoiceOptions(draft: RwSignal<PolicyDraft>, feedback: Feedback, index: usize) -> impl IntoView {
    let path = format!("questions[{index}].kind.options");
    let options = move || {
        draft.with(|d| match d.questions.get(index).map(|q| &q.kind) {
            Some(QuestionKind::Choice { options }) => options.clone(),
            _ => Vec::new(),
        })
    };
    let edit = move |change: stages::ListEdit<String>| {
        draft.update(|d| {
            if let Some(QuestionKind::Choice { options }) =
                d.questions.get_mut(index).map(|q| &mut q.kind)
            {
                change(options);
            }
        })
    };
    let id = dom_id(&feedback.path(&path));
    let message = {
        let path = path.clone();
        Signal::derive(move || feedback.message(&path))
    };
    let touch = {
        let path = path.clone();
        move || feedback.touch(&path)
    };
    let count = Signal::derive(move || options().len());
    let error_id = format!("{id}-error");
    let describedby = error_id.clone();
    view! {
        <fieldset class="group choices" class:invalid=move || message.get().is_some()
            aria-describedby=describedby>
            <legend>"Choices"</legend>
            <For each=move || 0..count.get() key=|option| *option let(option)>
                {
                    let touch = touch.clone();
                    let touch_remove = touch.clone();
                    let option_id = format!("{id}-{option}");
                    view! {
                        <div class="inline-row option-row">
                            <label for=option_id.clone() class="visually-hidden">{format!("Choice {}", option + 1)}</label>
                            <input
                                id=option_id
                                type="text"
                                placeholder=format!("Choice {}", option + 1)
                                prop:value=move || options().get(option).cloned().unwrap_or_default()
                                on:input=move |event| {
                                    let text = event_target_value(&event);
                                    edit(Box::new(move |options| {
                                        if let Some(slot) = options.get_mut(option) {
                                            *slot = text;
                                        }
                                    }));
                                    touch();
                                }
                            />
                            <button type="button" class="button secondary small"
                                on:click=move |_| {
                                    edit(Box::new(move |options| {
                                        if option < options.len() {
                                            options.remove(option);
                                        }
                                    }));
                                    touch_remove();
                                }
                            >
                                "Remove"
                                <span class="visually-hidden">{format!(" choice {}", option + 1)}</span>
                            </button>
                        </div>
                    }
                }
            </For>
            <button type="button" class="button secondary small"
                on:click=move |_| edit(Box::new(|options| options.push(String::new())))>
                "Add a choice"
            </button>
            <p class="field-error" id=error_id>{move || message.get()}</p>
        </fieldset>
    }
}

/// `q1`, `q2`, …: the first id no question uses yet. Requestors never see ids.
fn next_question_id(questions: &[Question]) -> QuestionId {
    let taken = |n: usize| questions.iter().any(|q| q.id.as_str() == format!("q{n}"));
    let n = (1..).find(|n| !taken(*n)).unwrap_or(1);
    QuestionId::new(format!("q{n}"))
}

#[component]
fn ExpirationSection(
    draft: RwSignal<PolicyDraft>,
    feedback: Feedback,
    level: Level,
) -> impl IntoView {
    let heading_id = dom_id(&feedback.path("expiration"));
    let radio_name = dom_id(&feedback.path("expiration.kind"));
    // Switching the kind back and forth keeps what was typed for each.
    let remembered = StoredValue::new((365_u32, 8_u32, OffsetDateTime::UNIX_EPOCH));
    let kind = read(draft, |d| match d.expiration {
        Expiration::Never => "never",
        Expiration::AfterDays { .. } => "days",
        Expiration::AfterHours { .. } => "hours",
        Expiration::OnDate { .. } => "date",
    });
    let choose = move |choice: &'static str| {
        let (days, hours, date) = remembered.get_value();
        draft.update(|d| {
            d.expiration = match choice {
                "days" => Expiration::AfterDays { days },
                "hours" => Expiration::AfterHours { hours },
                "date" => Expiration::OnDate { date },
                _ => Expiration::Never,
            }
        });
        feedback.touch("expiration");
    };
    let options = [
        ("never", "Never", "Access lasts until someone removes it."),
        ("days", "After a number of days", ""),
        ("hours", "After a number of hours", ""),
        ("date", "On a date", ""),
    ];
    let radios = options
        .into_iter()
        .map(|(value, label, hint)| {
            view! {
                <RadioOption
                    name=radio_name.clone()
                    key=value
                    label=label
                    hint=hint
                    checked=Signal::derive(move || kind.get() == value)
                    on_choose=Callback::new(move |()| choose(value))
                />
            }
        })
        .collect_view();
    let days = read(draft, |d| match d.expiration {
        Expiration::AfterDays { days } => days,
        _ => 0,
    });
    let hours = read(draft, |d| match d.expiration {
        Expiration::AfterHours { hours } => hours,
        _ => 0,
    });
    let date = read(draft, |d| match d.expiration {
        Expiration::OnDate { date } => date,
        _ => OffsetDateTime::UNIX_EPOCH,
    });
    let labelled_by = heading_id.clone();
    view! {
        <section class="card form-section" aria-labelledby=labelled_by>
            {level.heading(heading_id, "Expiration")}
            <fieldset class="group">
                <legend>"Access ends"</legend>
                <div class="radios">{radios}</div>
            </fieldset>
            <Show when=move || kind.get() == "days">
                <NumberInput
                    path="expiration.days"
                    label="Days of access"
                    hint="From 1 to 3650."
                    min=1
                    max=3650
                    value=days
                    on_change=Callback::new(move |days: u32| {
                        remembered.update_value(|r| r.0 = days);
                        draft.update(|d| d.expiration = Expiration::AfterDays { days });
                    })
                    feedback
                />
            </Show>
            <Show when=move || kind.get() == "hours">
                <NumberInput
                    path="expiration.hours"
                    label="Hours of access"
                    hint="From 1 to 8760."
                    min=1
                    max=8760
                    value=hours
                    on_change=Callback::new(move |hours: u32| {
                        remembered.update_value(|r| r.1 = hours);
                        draft.update(|d| d.expiration = Expiration::AfterHours { hours });
                    })
                    feedback
                />
            </Show>
            <Show when=move || kind.get() == "date">
                <DateInput
                    path="expiration.date"
                    label="Last day of access"
                    hint="Access ends at the end of this day (UTC)."
                    value=date
                    on_change=Callback::new(move |date: OffsetDateTime| {
                        remembered.update_value(|r| r.2 = date);
                        draft.update(|d| d.expiration = Expiration::OnDate { date });
                    })
                    feedback
                />
            </Show>
            <Checkbox
                path="extensionAllowed"
                label="People may ask to extend their access"
                hint="Only for access that expires."
                checked=read(draft, |d| d.extension_allowed)
                on_change=write(draft, |d, v| d.extension_allowed = v)
                feedback
            />
            <Checkbox
                path="requestorMayChooseSchedule"
                label="Requestors may choose when access starts and ends (within these limits)"
                checked=read(draft, |d| d.requestor_may_choose_schedule)
                on_change=write(draft, |d, v| d.requestor_may_choose_schedule = v)
                feedback
            />
        </section>
    }
}
