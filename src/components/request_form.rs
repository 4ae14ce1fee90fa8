//! The request form that a policy generates: the policy to request through (when there
//! are several), the justification, the policy's questions and, where the policy allows,
//! when access should start and end.
//!
//! Every field is checked with the domain's `validate_draft_for` as the person types
//! (once they have left the field or tried to send); after a send the server's field errors
//! take that place until the field is edited again.

use std::collections::BTreeMap;

use entrada_domain::api::{NewRequestBody, RequestView};
use entrada_domain::ids::PackageId;
use entrada_domain::policy::{AssignmentPolicy, Expiration, Question};
use entrada_domain::request::{
    Answer, RequestDraft, RequestType, Schedule, MAX_JUSTIFICATION_CHARS,
};
use entrada_domain::submit::validate_draft_for;
use entrada_domain::FieldError;
use leptos::html;
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::focus::focus_element;
use crate::components::request_fields::{
    schedule_of, Feedback, QuestionField, ScheduleFields, TextArea,
};
use crate::components::request_time;

/// The character count under a text box, for the decision page's reason too.
pub(crate) use crate::components::request_fields::{thousands, CharCount};

/// A request for `package` through one of `policies`: a new assignment (`userAdd`) or an
/// extension of the one the person holds (`userExtend`, without a schedule).
#[component]
pub(crate) fn RequestForm(
    package_id: PackageId,
    /// The policies the person may request through; the first is chosen at the start.
    policies: Vec<AssignmentPolicy>,
    /// `UserAdd` or `UserExtend`.
    #[prop(default = RequestType::UserAdd)]
    request_type: RequestType,
    /// Makes the form's element ids unique when several forms share a page.
    #[prop(into, default = "request".to_owned())]
    id_prefix: String,
    /// Called with the server's answer once the request was made.
    on_sent: Callback<RequestView>,
    /// Shows a "Cancel" button that calls this (for forms opened inside a card).
    #[prop(optional)]
    on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    let extending = request_type == RequestType::UserExtend;
    let policies = StoredValue::new(policies);
    let chosen = RwSignal::new(0usize);
    let policy =
        Memo::new(move |_| policies.with_value(|policies| policies.get(chosen.get()).cloned()));

    let justification = RwSignal::new(String::new());
    let answers = RwSignal::new(BTreeMap::<String, String>::new());
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());

    let draft = move || {
        let Some(policy) = policy.get() else {
            return RequestDraft::default();
        };
        let schedule = match extending || !policy.rules.requestor_may_choose_schedule {
            true => Schedule::default(),
            false => schedule_of(&policy.rules.expiration, &start.get(), &end.get()),
        };
        RequestDraft {
            justification: Some(justification.get()).filter(|text| !text.trim().is_empty()),
            answers: answers.with(|answers| answers_for(&policy.rules.questions, answers)),
            schedule,
        }
    };
    let local = Memo::new(move |_| match policy.get() {
        Some(policy) => validate_draft_for(request_type, &policy, &draft(), request_time::now())
            .err()
            .map(|errors| errors.0)
            .unwrap_or_default(),
        None => Vec::new(),
    });
    let feedback = Feedback::new(local.into());
    let problem = RwSignal::new(None::<ApiError>);

    let send = Action::new_local(|body: &NewRequestBody| api::create_request(body.clone()));
    let summary_ref = NodeRef::<html::Div>::new();
    Effect::new(move |_| match send.value().get() {
        Some(Ok(view)) => on_sent.run(view),
        Some(Err(error)) => {
            feedback.set_server(error.errors.clone());
            problem.set(Some(error));
            focus(summary_ref);
        }
        None => {}
    });

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        feedback.show_all(true);
        feedback.clear_server();
        problem.set(None);
        if send.pending().get_untracked() {
            return;
        }
        if !local.read_untracked().is_empty() {
            focus(summary_ref);
            return;
        }
        let Some(policy) = policy.get_untracked() else {
            return;
        };
        let draft = draft();
        send.dispatch_local(NewRequestBody {
            access_package_id: package_id.clone(),
            policy_id: policy.id,
            request_type,
            justification: draft.justification,
            answers: draft.answers,
            schedule: draft.schedule,
        });
    };

    let several = policies.with_value(|policies| policies.len() > 1);
    // The server's messages about fields this form doesn't show (the policy changed since
    // the page loaded) go into the summary, so that none is lost.
    let unshown = move |errors: &[FieldError]| -> Vec<String> {
        let Some(policy) = policy.get() else {
            return Vec::new();
        };
        let shown = |field: &str| match field {
            "justification" => true,
            "policyId" => several,
            "schedule" | "schedule.start" | "schedule.end" => {
                !extending && policy.rules.requestor_may_choose_schedule
            }
            field => policy
                .rules
                .questions
                .iter()
                .any(|question| field == format!("answers[{}]", question.id)),
        };
        errors
            .iter()
            .filter(|error| !shown(&error.field))
            .map(|error| match error.field.starts_with("answers[") {
                true => "The policy now asks a question this page doesn't show yet. Reload the page to answer it.".to_owned(),
                false => error.message.clone(),
            })
            .collect()
    };
    let summary = move || {
        if let Some(error) = problem.get() {
            return Some(match error.errors.is_empty() {
                true => (error.message().to_owned(), Vec::new()),
                false => (
                    "Check the fields marked below.".to_owned(),
                    unshown(&error.errors),
                ),
            });
        }
        (feedback.showing_all() && !local.read().is_empty())
            .then(|| ("Check the fields marked below.".to_owned(), Vec::new()))
    };

    let prefix = StoredValue::new(id_prefix);
    let fields = move || {
        let policy = policy.get()?;
        let prefix = prefix.get_value();
        let questions = policy
            .rules
            .questions
            .iter()
            .enumerate()
            .map(|(index, question)| {
                view! {
                    <QuestionField
                        id=format!("{prefix}-q{index}")
                        question=question.clone()
                        answers
                        feedback
                    />
                }
            })
            .collect_view();
        let schedule = (!extending && policy.rules.requestor_may_choose_schedule).then(|| {
            view! {
                <ScheduleFields
                    prefix=prefix.clone()
                    expiration=policy.rules.expiration.clone()
                    start
                    end
                    feedback
                />
            }
        });
        Some(view! {
            <ApprovalFacts policy=policy.clone() extending/>
            <TextArea
                id=format!("{prefix}-justification")
                field="justification"
                label=match extending {
                    true => "Why do you need more time?",
                    false => "Why do you need this access?",
                }
                hint="The approvers read this."
                required=policy.rules.requestor_justification_required
                max_chars=MAX_JUSTIFICATION_CHARS
                value=justification
                feedback
            />
            {questions}
            {schedule}
        })
    };

    let label = match extending {
        true => ("Request extension", "Sending request…"),
        false => ("Request access", "Sending request…"),
    };
    view! {
        <form class="request-form" on:submit=submit novalidate>
            <div class="form-alert" role="alert" tabindex="-1" node_ref=summary_ref>
                {move || {
                    summary()
                        .map(|(text, more)| {
                            view! {
                                <div class="alert-box">
                                    <p>{text}</p>
                                    {(!more.is_empty()).then(|| view! {
                                        <ul>{more.into_iter().map(|message| view! { <li>{message}</li> }).collect_view()}</ul>
                                    })}
                                </div>
                            }
                        })
                }}
            </div>
            {several.then(|| view! { <PolicyChoice prefix=prefix.get_value() policies=policies.get_value() chosen feedback/> })}
            {fields}
            <div class="request-actions">
                <button type="submit" class="button" disabled=move || send.pending().get()>
                    {move || if send.pending().get() { label.1 } else { label.0 }}
                </button>
                {on_cancel.map(|cancel| view! {
                    <button type="button" class="button secondary" on:click=move |_| cancel.run(())>"Cancel"</button>
                })}
            </div>
            <p class="status-line" role="status" aria-live="polite">
                {move || send.pending().get().then_some("Sending your request…")}
            </p>
        </form>
    }
}

/// "How do you want to request it?": one radio button per policy, with what it involves.
#[component]
fn PolicyChoice(
    prefix: String,
    policies: Vec<AssignmentPolicy>,
    chosen: RwSignal<usize>,
    feedback: Feedback,
) -> impl IntoView {
    let name = format!("{prefix}-policy");
    let error = feedback.signal("policyId".to_owned());
    view! {
        <fieldset class="choice-group policy-choice">
            <legend>"How do you want to request it?"</legend>
            {policies
                .into_iter()
                .enumerate()
                .map(|(index, policy)| {
                    let id = format!("{prefix}-policy-{index}");
                    let facts = format!(
                        "{} · {}",
                        approval_text(&policy),
                        policy.rules.expiration.describe()
                    );
                    view! {
                        <div class="choice">
                            <input
                                type="radio"
                                id=id.clone()
                                name=name.clone()
                                prop:checked=move || chosen.get() == index
                                on:change=move |_| chosen.set(index)
                            />
                            <label for=id>
                                <span class="choice-title">{policy.rules.name.clone()}</span>
                                <span class="choice-hint">{facts}</span>
                            </label>
                        </div>
                    }
                })
                .collect_view()}
            <p class="field-error">{move || error.get()}</p>
        </fieldset>
    }
}

/// What happens after sending: how many approval stages, and how long access lasts.
#[component]
fn ApprovalFacts(policy: AssignmentPolicy, extending: bool) -> impl IntoView {
    let lasts = match (&policy.rules.expiration, extending) {
        (Expiration::Never, _) => "Never expires".to_owned(),
        (expiration, true) => format!("{}, counted from your current end", expiration.describe()),
        (expiration, false) => expiration.describe(),
    };
    view! {
        <ul class="facts request-facts" aria-label="What to expect">
            <li>{approval_text(&policy)}</li>
            <li>{lasts}</li>
        </ul>
    }
}

/// "Approval: 2 stages" or "No approval: access at once".
fn approval_text(policy: &AssignmentPolicy) -> String {
    match policy.rules.stages.len() {
        0 => "No approval needed: access at once".to_owned(),
        1 => "Approval: 1 stage".to_owned(),
        stages => format!("Approval: {stages} stages"),
    }
}

/// The answers to send: those to this policy's questions that hold text.
fn answers_for(questions: &[Question], answers: &BTreeMap<String, String>) -> Vec<Answer> {
    questions
        .iter()
        .filter_map(|question| {
            let value = answers.get(question.id.as_str())?;
            (!value.trim().is_empty()).then(|| Answer {
                question_id: question.id.clone(),
                value: value.clone(),
            })
        })
        .collect()
}

/// Moves keyboard focus to the form's summary once it shows, and scrolls it into the
/// middle of the screen, so that the person sees it and screen readers read it.
fn focus(node: NodeRef<html::Div>) {
    if let Some(element) = node.get_untracked() {
        focus_element(&element);
    }
}
