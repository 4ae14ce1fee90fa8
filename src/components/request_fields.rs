//! The fields of the request form: text boxes, the policy's questions and the schedule,
//! each with its label, hint and message, and the rules for what message shows when.

use std::collections::BTreeMap;

use entrada_domain::policy::{Expiration, Question, QuestionKind};
use entrada_domain::request::Schedule;
use leptos::prelude::*;
use time::OffsetDateTime;

use crate::components::request_time;

/// Choices with at most this many options are radio buttons; longer lists are a select.
const MAX_RADIO_OPTIONS: usize = 5;

pub(crate) use crate::components::form::Feedback;

/// A labelled multi-line text box with its hint and message.
#[component]
pub(crate) fn TextArea(
    id: String,
    /// The field path the domain and the server use.
    #[prop(into)]
    field: String,
    #[prop(into)] label: String,
    #[prop(into, optional)] hint: Option<String>,
    required: bool,
    value: RwSignal<String>,
    feedback: Feedback,
    /// The most characters the field takes: shown in the hint, with a live count under the
    /// box.
    #[prop(optional)]
    max_chars: Option<usize>,
) -> impl IntoView {
    let error = feedback.signal(field.clone());
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let count_id = format!("{id}-count");
    let hint = match (hint, max_chars) {
        (Some(hint), Some(max)) => Some(format!("{hint} At most {} characters.", thousands(max))),
        (None, Some(max)) => Some(format!("At most {} characters.", thousands(max))),
        (hint, None) => hint,
    };
    let described_by = {
        let hint_id = hint.as_ref().map(|_| hint_id.clone());
        let count_id = max_chars.map(|_| count_id.clone());
        let error_id = error_id.clone();
        move || {
            let ids: Vec<String> = hint_id
                .iter()
                .cloned()
                .chain(error.get().map(|_| error_id.clone()))
                .chain(count_id.iter().cloned())
                .collect();
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let counter = max_chars.map(|max| view! { <CharCount id=count_id value max/> });
    let field_on_input = field.clone();
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id.clone()>{label} " " <RequiredMark required/></label>
            {hint.map(|hint| view! { <p class="hint" id=hint_id>{hint}</p> })}
            <textarea
                id=id.clone()
                name=id
                rows="3"
                aria-required=required.then_some("true")
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described_by
                prop:value=move || value.get()
                on:input=move |event| {
                    value.set(event_target_value(&event));
                    feedback.edited(&field_on_input);
                }
                on:blur=move |_| feedback.left(&field)
            ></textarea>
            {counter}
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}

/// "312 of 1,000 characters" under a text box, counted as the domain counts (without the
/// spaces around the text). Screen readers hear it with the field (`aria-describedby`) and,
/// near and past the limit, in steps of ten as the person types (a polite live region).
#[component]
pub(crate) fn CharCount(id: String, value: RwSignal<String>, max: usize) -> impl IntoView {
    let count = Memo::new(move |_| value.with(|text| text.trim().chars().count()));
    let over = move || count.get() > max;
    let shown = move || {
        let count = count.get();
        match count > max {
            true => format!(
                "{} of {} characters: {} too many",
                thousands(count),
                thousands(max),
                thousands(count - max)
            ),
            false => format!("{} of {} characters", thousands(count), thousands(max)),
        }
    };
    // Announced only near the limit, in steps of ten, and once on going over it.
    let step = Memo::new(move |_| {
        let count = count.get();
        match count {
            count if count > max => {
                Some(format!("Over the limit of {} characters.", thousands(max)))
            }
            count if max - count <= 100 => Some(format!(
                "{} characters left.",
                thousands((max - count) / 10 * 10)
            )),
            _ => None,
        }
    });
    view! {
        <p class="char-count" class:over=over id=id>{shown}</p>
        <p class="sr-only" aria-live="polite">{move || step.get()}</p>
    }
}

/// 1000 → "1,000".
pub(crate) fn thousands(number: usize) -> String {
    let digits = number.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// "(required)" or "(optional)" after a label.
#[component]
fn RequiredMark(required: bool) -> impl IntoView {
    match required {
        true => view! { <span class="required">"(required)"</span> }.into_any(),
        false => view! { <span class="optional">"(optional)"</span> }.into_any(),
    }
}

/// One of the policy's questions: a line, a box, radio buttons or a list.
#[component]
pub(crate) fn QuestionField(
    id: String,
    question: Question,
    answers: RwSignal<BTreeMap<String, String>>,
    feedback: Feedback,
) -> impl IntoView {
    let key = question.id.as_str().to_owned();
    let field = format!("answers[{key}]");
    let value = {
        let key = key.clone();
        move || answers.with(|answers| answers.get(&key).cloned().unwrap_or_default())
    };
    let set = {
        let key = key.clone();
        let field = field.clone();
        move |text: String| {
            answers.update(|answers| {
                answers.insert(key.clone(), text);
            });
            feedback.edited(&field);
        }
    };
    let error = feedback.signal(field.clone());
    let error_id = format!("{id}-error");
    let invalid = move || {
        if error.get().is_some() {
            "true"
        } else {
            "false"
        }
    };
    let described_by = {
        let error_id = error_id.clone();
        move || error.get().map(|_| error_id.clone())
    };
    let required = question.required;
    let touch = {
        let field = field.clone();
        move || feedback.left(&field)
    };
    let message = move || error.get();

    match question.kind {
        QuestionKind::Choice { options } if options.len() <= MAX_RADIO_OPTIONS => {
            let name = id.clone();
            let choices = options
                .into_iter()
                .enumerate()
                .map(|(index, option)| {
                    let option_id = format!("{id}-{index}");
                    let checked = {
                        let option = option.clone();
                        let value = value.clone();
                        move || value() == option
                    };
                    let set = set.clone();
                    let touch = touch.clone();
                    let chosen = option.clone();
                    view! {
                        <div class="choice">
                            <input
                                type="radio"
                                id=option_id.clone()
                                name=name.clone()
                                value=option.clone()
                                prop:checked=checked
                                on:change=move |_| {
                                    set(chosen.clone());
                                    touch();
                                }
                            />
                            <label for=option_id>{option}</label>
                        </div>
                    }
                })
                .collect_view();
            view! {
                // A radio group (not a plain fieldset's `group` role), which may say that it
                // is required and invalid.
                <fieldset
                    class="choice-group field"
                    role="radiogroup"
                    class:invalid=move || error.get().is_some()
                    aria-invalid=invalid
                    aria-describedby=described_by
                >
                    // A group takes no aria-required (axe: aria-allowed-attr); the legend
                    // says "(required)".
                    <legend>{question.text} " " <RequiredMark required/></legend>
                    {choices}
                    <p class="field-error" id=error_id>{message}</p>
                </fieldset>
            }
            .into_any()
        }
        QuestionKind::Choice { options } => {
            let current = value.clone();
            view! {
                <div class="field" class:invalid=move || error.get().is_some()>
                    <label for=id.clone()>{question.text} " " <RequiredMark required/></label>
                    <select
                        id=id.clone()
                        name=id
                        aria-required=required.then_some("true")
                        aria-invalid=invalid
                        aria-describedby=described_by
                        on:change=move |event| {
                            set(event_target_value(&event));
                            touch();
                        }
                    >
                        <option value="" selected=move || current().is_empty()>"Choose…"</option>
                        {options
                            .into_iter()
                            .map(|option| {
                                let selected = {
                                    let option = option.clone();
                                    let value = value.clone();
                                    move || value() == option
                                };
                                let label = option.clone();
                                view! { <option value=option selected=selected>{label}</option> }
                            })
                            .collect_view()}
                    </select>
                    <p class="field-error" id=error_id>{message}</p>
                </div>
            }
            .into_any()
        }
        kind => {
            let long = matches!(kind, QuestionKind::LongText);
            let on_input = move |event: leptos::ev::Event| set(event_target_value(&event));
            let control = match long {
                true => view! {
                    <textarea
                        id=id.clone()
                        name=id.clone()
                        rows="3"
                        aria-required=required.then_some("true")
                        aria-invalid=invalid
                        aria-describedby=described_by.clone()
                        prop:value=value.clone()
                        on:input=on_input.clone()
                        on:blur=move |_| touch()
                    ></textarea>
                }
                .into_any(),
                false => view! {
                    <input
                        type="text"
                        id=id.clone()
                        name=id.clone()
                        aria-required=required.then_some("true")
                        aria-invalid=invalid
                        aria-describedby=described_by
                        prop:value=value
                        on:input=on_input
                        on:blur=move |_| touch()
                    />
                }
                .into_any(),
            };
            view! {
                <div class="field" class:invalid=move || error.get().is_some()>
                    <label for=id>{question.text} " " <RequiredMark required/></label>
                    {control}
                    <p class="field-error" id=error_id>{message}</p>
                </div>
            }
            .into_any()
        }
    }
}

/// "When do you need it?": an optional first and last day, within the policy's limits.
#[component]
pub(crate) fn ScheduleFields(
    prefix: String,
    expiration: Expiration,
    start: RwSignal<String>,
    end: RwSignal<String>,
    feedback: Feedback,
) -> impl IntoView {
    let today = request_time::date_input_value(request_time::now());
    let start_max = match &expiration {
        Expiration::OnDate { date } => Some(request_time::date_input_value(
            *date - time::Duration::days(1),
        )),
        _ => None,
    };
    let end_min = {
        let today = today.clone();
        move || {
            Some(
                Some(start.get())
                    .filter(|start| !start.is_empty())
                    .unwrap_or_else(|| today.clone()),
            )
        }
    };
    let end_max = {
        let expiration = expiration.clone();
        move || {
            let first = start_instant(&start.get()).unwrap_or_else(request_time::now);
            expiration
                .end_for(first)
                .map(request_time::date_input_value)
        }
    };
    let hint = match &expiration {
        Expiration::Never => {
            "Leave both empty to start when your request is approved and keep access until it is removed."
                .to_owned()
        }
        expiration => format!(
            "Leave both empty to start when your request is approved. {}.",
            expiration.describe()
        ),
    };
    let hint_id = format!("{prefix}-schedule-hint");
    let described_by = hint_id.clone();
    let group_error = feedback.signal("schedule".to_owned());
    view! {
        <fieldset class="schedule" aria-describedby=described_by>
            <legend>"When do you need it? " <span class="optional">"(optional)"</span></legend>
            <p class="hint" id=hint_id>{hint}</p>
            <div class="schedule-dates">
                <DateField
                    id=format!("{prefix}-start")
                    field="schedule.start"
                    label="First day"
                    value=start
                    min=Signal::derive(move || Some(today.clone()))
                    max=Signal::derive(move || start_max.clone())
                    feedback
                />
                <DateField
                    id=format!("{prefix}-end")
                    field="schedule.end"
                    label="Last day"
                    value=end
                    min=Signal::derive(end_min)
                    max=Signal::derive(end_max)
                    feedback
                />
            </div>
            <p class="field-error">{move || group_error.get()}</p>
        </fieldset>
    }
}

#[component]
fn DateField(
    id: String,
    #[prop(into)] field: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    min: Signal<Option<String>>,
    max: Signal<Option<String>>,
    feedback: Feedback,
) -> impl IntoView {
    let error = feedback.signal(field.clone());
    let error_id = format!("{id}-error");
    let described_by = {
        let error_id = error_id.clone();
        move || error.get().map(|_| error_id.clone())
    };
    let field_on_input = field.clone();
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                type="date"
                id=id.clone()
                name=id
                min=move || min.get()
                max=move || max.get()
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described_by
                prop:value=move || value.get()
                on:input=move |event| {
                    value.set(event_target_value(&event));
                    feedback.edited(&field_on_input);
                }
                on:blur=move |_| feedback.left(&field)
            />
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}

/// When access starts for a typed first day: none for an empty box or today (access starts
/// on approval), the start of the day otherwise. A malformed day reads as the epoch, which
/// the domain refuses as a start in the past.
fn start_instant(text: &str) -> Option<OffsetDateTime> {
    if text.trim().is_empty() {
        return None;
    }
    let now = request_time::now();
    match request_time::parse_date_input(text) {
        Some(_) if text.trim() == request_time::date_input_value(now) => None,
        Some((first, _)) => Some(first),
        None => Some(OffsetDateTime::UNIX_EPOCH),
    }
}

/// The schedule for the typed days. The last day ends at its last second, except on the
/// day the policy's limit falls, where access ends at the limit itself.
pub(crate) fn schedule_of(expiration: &Expiration, start: &str, end: &str) -> Schedule {
    let start = start_instant(start);
    let end = match end.trim() {
        "" => None,
        text => Some(match request_time::parse_date_input(text) {
            Some((_, last)) => {
                let limit = expiration.end_for(start.unwrap_or_else(request_time::now));
                match limit {
                    Some(limit)
                        if request_time::date_input_value(limit) == text.trim() && limit < last =>
                    {
                        limit
                    }
                    _ => last,
                }
            }
            None => OffsetDateTime::UNIX_EPOCH,
        }),
    };
    Schedule { start, end }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn counts_read_with_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(312), "312");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
