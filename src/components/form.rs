//! The one form kit of the SPA: the field-error model shared by every form ([`Feedback`])
//! and labelled inputs that show their message next to them ([`Field`], [`TextInput`], …).

use std::collections::BTreeSet;

use entrada_domain::FieldError;
use leptos::prelude::*;
use time::OffsetDateTime;

use crate::components::focus::{focus_now, focus_outcome};
use crate::components::request_time::{day_input_value, end_of_day_input};

/// What a form says about its fields: the domain's validation of what is typed (`local`),
/// the server's answer to the last save (`server`), which fields the person has edited and
/// whether they tried to go on (after which every message shows).
///
/// Paths are the API's (`stages[1].approvers`); `prefix` lets one form part live inside a
/// larger draft (the wizard's `policy.` part) while its fields name their own paths.
#[derive(Clone, Copy)]
pub(crate) struct Feedback {
    local: Signal<Vec<FieldError>>,
    server: RwSignal<Vec<FieldError>>,
    touched: RwSignal<BTreeSet<String>>,
    show_all: RwSignal<bool>,
    /// Counts refused submits (a refused "Next", a save the server answered with errors),
    /// so that the summary takes focus after each one, even when its text is the same.
    attempts: RwSignal<u32>,
    prefix: &'static str,
}

impl Feedback {
    /// Feedback over the errors that `local` computes as the person types.
    pub(crate) fn new(local: Signal<Vec<FieldError>>) -> Feedback {
        Feedback {
            local,
            server: RwSignal::new(Vec::new()),
            touched: RwSignal::new(BTreeSet::new()),
            show_all: RwSignal::new(false),
            attempts: RwSignal::new(0),
            prefix: "",
        }
    }

    /// The same feedback, for a part whose paths start with `prefix` (`"policy."`).
    pub(crate) fn part(self, prefix: &'static str) -> Feedback {
        Feedback { prefix, ..self }
    }

    /// The full path of a field of this part.
    pub(crate) fn path(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    /// The message to show next to `field`, if any: the server's after a save, else the
    /// domain's once the field was edited or the person tried to go on.
    pub(crate) fn message(&self, field: &str) -> Option<String> {
        let path = self.path(field);
        let server = self
            .server
            .with(|errors| find(errors, &path).map(str::to_owned));
        if server.is_some() {
            return server;
        }
        let shown = self.show_all.get() || self.touched.with(|touched| touched.contains(&path));
        if !shown {
            return None;
        }
        self.local
            .with(|errors| find(errors, &path).map(str::to_owned))
    }

    /// Notes that the person edited `field`: its message now follows what they type, and
    /// the server's answer to the last save no longer stands.
    pub(crate) fn touch(&self, field: &str) {
        let path = self.path(field);
        if !self
            .touched
            .with_untracked(|touched| touched.contains(&path))
        {
            self.touched.update(|touched| {
                touched.insert(path);
            });
        }
        if !self.server.with_untracked(Vec::is_empty) {
            self.server.set(Vec::new());
        }
    }

    /// The message of `field` as a signal, for a field component.
    pub(crate) fn signal(self, field: impl Into<String>) -> Signal<Option<String>> {
        let field = field.into();
        Signal::derive(move || self.message(&field))
    }

    /// Notes that the person left `field`: from now on its own message shows (the server's
    /// word about other fields stands).
    pub(crate) fn left(&self, field: &str) {
        let path = self.path(field);
        if !self
            .touched
            .with_untracked(|touched| touched.contains(&path))
        {
            self.touched.update(|touched| {
                touched.insert(path);
            });
        }
    }

    /// Notes that the person edited `field`: the server's word about it no longer applies.
    pub(crate) fn edited(&self, field: &str) {
        let path = self.path(field);
        if self
            .server
            .with_untracked(|errors| errors.iter().any(|error| error.field == path))
        {
            self.server
                .update(|errors| errors.retain(|error| error.field != path));
        }
    }

    /// Forgets the server's answer to the last save (a new save is on its way).
    pub(crate) fn clear_server(&self) {
        self.server.set(Vec::new());
    }

    /// Shows every message (after a save or "Next" was refused), or hides the untouched
    /// ones again (on a fresh step).
    pub(crate) fn show_all(&self, show: bool) {
        self.show_all.set(show);
        if show {
            self.attempts.update(|attempts| *attempts += 1);
        }
    }

    /// Whether every message is showing.
    pub(crate) fn showing_all(&self) -> bool {
        self.show_all.get()
    }

    /// Shows the server's field errors (paths as the server names them, prefix included).
    pub(crate) fn set_server(&self, errors: Vec<FieldError>) {
        self.server.set(errors);
        self.show_all(true);
    }

    /// How many submits were refused so far (see [`ErrorSummary`]).
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts.get()
    }

    /// The domain's errors under this part's prefix, whether shown or not.
    pub(crate) fn pending(&self) -> Vec<FieldError> {
        let prefix = self.prefix;
        self.local.with(|errors| {
            errors
                .iter()
                .filter(|error| error.field.starts_with(prefix))
                .cloned()
                .collect()
        })
    }

    /// Every message a summary should list now: the server's, or the domain's ones under
    /// this part's prefix once they all show.
    pub(crate) fn visible(&self) -> Vec<FieldError> {
        let prefix = self.prefix;
        let server: Vec<FieldError> = self.server.with(|errors| {
            errors
                .iter()
                .filter(|error| error.field.starts_with(prefix))
                .cloned()
                .collect()
        });
        if !server.is_empty() {
            return server;
        }
        match self.show_all.get() {
            true => self.pending(),
            false => Vec::new(),
        }
    }
}

fn find<'e>(errors: &'e [FieldError], path: &str) -> Option<&'e str> {
    errors
        .iter()
        .find(|error| error.field == path)
        .map(|error| error.message.as_str())
}

/// One labelled text field with its error next to it, for forms that manage their own
/// messages (sign-in). The input says `aria-invalid` and
/// points at the message with `aria-describedby`, so screen readers read it with the field.
#[component]
pub(crate) fn Field(
    /// The input's id and name; also the field path that validation errors use.
    #[prop(into)]
    id: String,
    /// The visible label.
    #[prop(into)]
    label: String,
    /// The input type (`text`, `email`, `password`, …).
    #[prop(into, default = "text".to_owned())]
    input_type: String,
    /// The browser's autofill hint.
    #[prop(into, optional)]
    autocomplete: Option<String>,
    /// The text in the field.
    value: RwSignal<String>,
    /// The message to show, if the field needs attention.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// Called when the person edits the field.
    #[prop(optional)]
    on_input: Option<Callback<()>>,
    /// Called when the field loses focus.
    #[prop(optional)]
    on_blur: Option<Callback<()>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described_by = {
        let error_id = error_id.clone();
        move || error.get().map(|_| error_id.clone())
    };
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name=id
                type=input_type
                autocomplete=autocomplete
                prop:value=move || value.get()
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described_by
                on:input=move |event| {
                    value.set(event_target_value(&event));
                    if let Some(on_input) = on_input {
                        on_input.run(());
                    }
                }
                on:blur=move |_| {
                    if let Some(on_blur) = on_blur {
                        on_blur.run(());
                    }
                }
            />
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}

/// An element id for a field path: `policy.stages[1].approvers` → `f-policy-stages-1-approvers`.
pub(crate) fn dom_id(path: &str) -> String {
    let mut id = String::from("f-");
    let mut dash = false;
    for c in path.chars() {
        match c.is_ascii_alphanumeric() {
            true => {
                id.push(c);
                dash = false;
            }
            false if !dash => {
                id.push('-');
                dash = true;
            }
            false => {}
        }
    }
    id.trim_end_matches('-').to_owned()
}

/// The message line under a field; its id is `{id}-error`, which the field names in
/// `aria-describedby`.
#[component]
pub(crate) fn FieldMessage(
    #[prop(into)] id: String,
    #[prop(into)] message: Signal<Option<String>>,
) -> impl IntoView {
    view! { <p class="field-error" id=format!("{id}-error")>{move || message.get()}</p> }
}

/// A labelled text input (or text area) bound to part of a draft. Every edit marks the
/// field as touched, so the domain's message for it shows as the person types.
#[component]
pub(crate) fn TextInput(
    /// The field's path, as the API names it (inside `feedback`'s part).
    #[prop(into)]
    path: String,
    #[prop(into)] label: String,
    #[prop(into)] value: Signal<String>,
    on_change: Callback<String>,
    feedback: Feedback,
    /// A line of help under the label.
    #[prop(optional, into)]
    hint: Option<String>,
    /// A text area instead of a single line.
    #[prop(optional)]
    multiline: bool,
    #[prop(optional)] disabled: bool,
    #[prop(into, optional)] autocomplete: Option<String>,
) -> impl IntoView {
    let id = dom_id(&feedback.path(&path));
    let message = {
        let path = path.clone();
        Signal::derive(move || feedback.message(&path))
    };
    let described_by = described_by(&id, hint.is_some(), message);
    let on_input = {
        let path = path.clone();
        move |event: leptos::ev::Event| {
            on_change.run(event_target_value(&event));
            feedback.touch(&path);
        }
    };
    let input = match multiline {
        true => view! {
            <textarea
                id=id.clone()
                rows="3"
                disabled=disabled
                prop:value=move || value.get()
                aria-invalid=move || invalid(message)
                aria-describedby=described_by
                on:input=on_input
            ></textarea>
        }
        .into_any(),
        false => view! {
            <input
                id=id.clone()
                type="text"
                disabled=disabled
                autocomplete=autocomplete
                prop:value=move || value.get()
                aria-invalid=move || invalid(message)
                aria-describedby=described_by
                on:input=on_input
            />
        }
        .into_any(),
    };
    view! {
        <div class="field" class:invalid=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|hint| view! { <p class="hint" id=format!("{id}-hint")>{hint}</p> })}
            {input}
            <FieldMessage id=id.clone() message/>
        </div>
    }
}

/// A labelled whole-number input. What is typed stays as typed (an empty box stays empty
/// while the draft holds 0, which the domain refuses with a message), and changes made
/// elsewhere to the number show up in the box.
#[component]
pub(crate) fn NumberInput(
    #[prop(into)] path: String,
    #[prop(into)] label: String,
    #[prop(into)] value: Signal<u32>,
    on_change: Callback<u32>,
    feedback: Feedback,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] min: Option<u32>,
    #[prop(optional)] max: Option<u32>,
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    let id = dom_id(&feedback.path(&path));
    let text = RwSignal::new(value.get_untracked().to_string());
    Effect::new(move |_| {
        let number = value.get();
        if parse_number(&text.get_untracked()) != number {
            text.set(number.to_string());
        }
    });
    let message = {
        let path = path.clone();
        Signal::derive(move || feedback.message(&path))
    };
    let described_by = described_by(&id, hint.is_some(), message);
    let on_input = {
        let path = path.clone();
        move |event: leptos::ev::Event| {
            let typed = event_target_value(&event);
            text.set(typed.clone());
            on_change.run(parse_number(&typed));
            feedback.touch(&path);
        }
    };
    view! {
        <div class="field number" class:invalid=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|hint| view! { <p class="hint" id=format!("{id}-hint")>{hint}</p> })}
            <input
                id=id.clone()
                type="number"
                inputmode="numeric"
                min=min
                max=max
                disabled=disabled
                prop:value=move || text.get()
                aria-invalid=move || invalid(message)
                aria-describedby=described_by
                on:input=on_input
            />
            <FieldMessage id=id.clone() message/>
        </div>
    }
}

/// A labelled date input for an end date. Its value is the end of the chosen day (UTC);
/// an empty box holds the Unix epoch, which the domain refuses as not in the future.
#[component]
pub(crate) fn DateInput(
    #[prop(into)] path: String,
    #[prop(into)] label: String,
    #[prop(into)] value: Signal<OffsetDateTime>,
    on_change: Callback<OffsetDateTime>,
    feedback: Feedback,
    #[prop(optional, into)] hint: Option<String>,
) -> impl IntoView {
    let id = dom_id(&feedback.path(&path));
    let text = RwSignal::new(day_input_value(value.get_untracked()));
    Effect::new(move |_| {
        let date = value.get();
        if end_of_day_input(&text.get_untracked()) != date {
            text.set(day_input_value(date));
        }
    });
    let message = {
        let path = path.clone();
        Signal::derive(move || feedback.message(&path))
    };
    let described_by = described_by(&id, hint.is_some(), message);
    let on_input = {
        let path = path.clone();
        move |event: leptos::ev::Event| {
            let typed = event_target_value(&event);
            text.set(typed.clone());
            on_change.run(end_of_day_input(&typed));
            feedback.touch(&path);
        }
    };
    view! {
        <div class="field date" class:invalid=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|hint| view! { <p class="hint" id=format!("{id}-hint")>{hint}</p> })}
            <input
                id=id.clone()
                type="date"
                prop:value=move || text.get()
                aria-invalid=move || invalid(message)
                aria-describedby=described_by
                on:input=on_input.clone()
                on:change=on_input
            />
            <FieldMessage id=id.clone() message/>
        </div>
    }
}

/// One radio button of a group, with its label and (unless `hint` is empty) a hint under
/// it that the input is described by. The input's id is `{name}-{key}`.
#[component]
pub(crate) fn RadioOption(
    #[prop(into)] name: String,
    #[prop(into)] key: String,
    #[prop(into)] label: String,
    #[prop(into)] hint: String,
    #[prop(into)] checked: Signal<bool>,
    on_choose: Callback<()>,
) -> impl IntoView {
    let id = format!("{name}-{key}");
    let hint_id = (!hint.is_empty()).then(|| format!("{id}-hint"));
    view! {
        <div class="radio">
            <input
                type="radio"
                id=id.clone()
                name=name
                value=key
                aria-describedby=hint_id.clone()
                prop:checked=move || checked.get()
                on:change=move |_| on_choose.run(())
            />
            <label for=id>{label}</label>
            {hint_id.map(|hint_id| view! { <p class="hint" id=hint_id>{hint}</p> })}
        </div>
    }
}

/// A checkbox with its label (and an optional message, for fields the domain checks).
#[component]
pub(crate) fn Checkbox(
    #[prop(into)] path: String,
    #[prop(into)] label: String,
    #[prop(into)] checked: Signal<bool>,
    on_change: Callback<bool>,
    feedback: Feedback,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    let id = dom_id(&feedback.path(&path));
    let message = {
        let path = path.clone();
        Signal::derive(move || feedback.message(&path))
    };
    let described_by = described_by(&id, hint.is_some(), message);
    let on_input = {
        let path = path.clone();
        move |event: leptos::ev::Event| {
            on_change.run(event_target_checked(&event));
            feedback.touch(&path);
        }
    };
    view! {
        <div class="field check" class:invalid=move || message.get().is_some()>
            <input
                id=id.clone()
                type="checkbox"
                disabled=disabled
                prop:checked=move || checked.get()
                aria-invalid=move || invalid(message)
                aria-describedby=described_by
                on:change=on_input
            />
            <label for=id.clone()>{label}</label>
            {hint.map(|hint| view! { <p class="hint" id=format!("{id}-hint")>{hint}</p> })}
            <FieldMessage id=id.clone() message/>
        </div>
    }
}

/// The box at the top of a form that says what stops it, with every message listed as a
/// link to its field. After every refused submit (or a new problem from the server) it
/// scrolls into view and takes focus, so the person sees what happened and screen readers
/// read it; each link moves focus to its field.
#[component]
pub(crate) fn ErrorSummary(
    feedback: Feedback,
    /// A message that is not about one field (a 409, a 403), shown first.
    #[prop(into, optional)]
    problem: Signal<Option<String>>,
    /// The summary's element id (`error-summary` unless a page has several).
    #[prop(into, default = "error-summary".to_owned())]
    id: String,
) -> impl IntoView {
    let content = move || {
        let problem = problem.get();
        let errors = feedback.visible();
        if problem.is_none() && errors.is_empty() {
            return None;
        }
        let heading = match errors.len() {
            0 => None,
            1 => Some("1 field needs attention:".to_owned()),
            n => Some(format!("{n} fields need attention:")),
        };
        Some(view! {
            <div class="alert-box">
                {problem.map(|text| view! { <p>{text}</p> })}
                {heading.map(|text| view! { <p class="summary-heading">{text}</p> })}
                {(!errors.is_empty()).then(|| view! {
                    <ul>{errors.into_iter().map(|error| view! { <li><FieldLink path=error.field>{error.message}</FieldLink></li> }).collect_view()}</ul>
                })}
            </div>
        })
    };
    {
        let id = id.clone();
        Effect::new(move |seen: Option<(u32, Option<String>)>| {
            let now = (feedback.attempts(), problem.get());
            let changed = seen.as_ref().is_some_and(|seen| *seen != now);
            let showing = now.1.is_some() || !feedback.visible().is_empty();
            if changed && showing {
                focus_outcome(id.clone());
            }
            now
        });
    }
    view! { <div class="form-alert" id=id tabindex="-1" role="alert">{content}</div> }
}

/// A link to the field at an API path: following it focuses the field and scrolls it to the
/// middle of the screen (the router would otherwise treat `#id` as a navigation).
#[component]
pub(crate) fn FieldLink(#[prop(into)] path: String, children: Children) -> impl IntoView {
    let id = dom_id(&path);
    let href = format!("#{id}");
    let follow = move |event: leptos::ev::MouseEvent| {
        event.prevent_default();
        focus_now(&id);
    };
    view! { <a class="field-link" href=href on:click=follow>{children()}</a> }
}

fn invalid(message: Signal<Option<String>>) -> &'static str {
    match message.get().is_some() {
        true => "true",
        false => "false",
    }
}

fn described_by(
    id: &str,
    hint: bool,
    message: Signal<Option<String>>,
) -> impl Fn() -> Option<String> + Clone + Send + Sync + 'static {
    let hint_id = hint.then(|| format!("{id}-hint"));
    let error_id = format!("{id}-error");
    move || {
        let ids: Vec<&str> = [
            hint_id.as_deref(),
            message.get().is_some().then_some(error_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// A typed whole number; anything else (an empty box) is 0, which the domain refuses.
fn parse_number(text: &str) -> u32 {
    text.trim().parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dom_ids_follow_field_paths() {
        assert_eq!(
            dom_id("policy.stages[1].approvers"),
            "f-policy-stages-1-approvers"
        );
        assert_eq!(dom_id("name"), "f-name");
    }
}
