use entrada_domain::api::{DecisionBody, RequestView};
use entrada_domain::request::{DecisionKind, RequestState, RequestType, MAX_JUSTIFICATION_CHARS};
use entrada_domain::submit::validate_decision;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::{self, ApiError};
use crate::components::focus::focus_outcome;
use crate::components::request_form::{thousands, CharCount};
use crate::components::request_summary::{
    decide_by, type_label, ExtensionEnds, RequestAnswers, RequestStages, RequestStateBadge,
};
use crate::components::request_time;
use crate::components::{set_page_title, Loading, ProblemPanel};

/// `/approvals/:id`: one request to approve or deny, laid out for a phone first: who asks
/// for what and why, earlier stages' decisions, a reason box, and Approve / Deny within
/// reach of a thumb.
#[component]
pub(crate) fn ApprovalPage() -> impl IntoView {
    set_page_title("Approval");
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let request = LocalResource::new(move || api::access_request(id.get()));
    // What this person decided here, kept above the reloads that follow a decision.
    let outcome = RwSignal::new(None::<Outcome>);
    let reload = Callback::new(move |()| request.refetch());

    let content = move || {
        Suspend::new(async move {
            match request.await {
                Ok(view) => view! { <DecisionView view outcome reload/> }.into_any(),
                Err(error) if error.is_not_found() => view! {
                    <section class="problem" role="alert">
                        <h1>"Request not found"</h1>
                        <p>"This request doesn't exist or isn't one you can see."</p>
                    </section>
                }
                .into_any(),
                Err(error) => {
                    let retry = Callback::new(move |()| request.refetch());
                    view! { <ProblemPanel error retry/> }.into_any()
                }
            }
        })
    };
    view! {
        <div class="decision-page">
            <p class="breadcrumb"><A href="/approvals">"Approvals"</A></p>
            <Transition fallback=|| view! { <Loading text="Loading the request…"/> }>{content}</Transition>
        </div>
    }
}

/// What happened to this person's decision.
#[derive(Clone)]
enum Outcome {
    /// The server took the decision; the request as it is now.
    Decided(DecisionKind, Box<RequestView>),
    /// Another approver decided first (409).
    Conflict(String),
    /// The request left this person's sight meanwhile (404: canceled, timed out, or
    /// decided by another approver of the stage); there is nothing to reload.
    Gone,
}

#[component]
fn DecisionView(
    view: RequestView,
    outcome: RwSignal<Option<Outcome>>,
    reload: Callback<()>,
) -> impl IntoView {
    let who = view.requestor.display_name.clone();
    let asks = match view.request.request_type {
        RequestType::UserExtend => format!("{who} asks to keep {}", view.package_name),
        RequestType::UserRemove => format!("{who} gives up {}", view.package_name),
        _ => format!("{who} asks for {}", view.package_name),
    };
    set_page_title(&asks);
    let now = request_time::now();
    let about = [
        view.requestor.department.clone(),
        Some(view.requestor.email.clone()),
        Some(format!(
            "sent {}",
            request_time::relative(view.request.created_at, now)
        )),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    // As text, not a tooltip: phones cannot hover.
    let times_out = view
        .times_out_at
        .filter(|_| view.request.state == RequestState::PendingApproval)
        .map(decide_by);
    let may_decide = view.caller_may_decide && outcome.get_untracked().is_none();
    let reason_required = view
        .request
        .current_stage
        .and_then(|stage| view.stages.get(usize::from(stage)))
        .is_some_and(|stage| stage.approver_justification_required);
    let state_view = view.clone();
    // Earlier stages' decisions matter to this approver; the stage count is in the badge.
    let decided_before = view.stages.iter().any(|stage| stage.decision.is_some());

    view! {
        <article class="decision" aria-labelledby="decision-heading">
            <header class="decision-head">
                <h1 id="decision-heading">{asks}</h1>
                <p class="muted">{about}</p>
                // Once the request is out of sight (404 on deciding), its old state would mislead.
                <Show when=move || outcome.with(|outcome| !matches!(outcome, Some(Outcome::Gone)))>
                    <p class="decision-state">
                        <RequestStateBadge view=state_view.clone()/>
                        {times_out.clone().map(|text| view! { <span class="deadline">{text}</span> })}
                    </p>
                    {times_out.is_some().then(|| view! {
                        <p class="muted deadline-note">"If nobody decides by then, the request is denied."</p>
                    })}
                </Show>
                <ExtensionEnds view=view.clone()/>
                <p class="muted policy-line">{type_label(view.request.request_type)} " · " {view.policy_name.clone()}</p>
            </header>
            <OutcomePanel outcome who=who.clone() state=view.request.state/>
            <section class="card" aria-label="What they wrote">
                <RequestAnswers view=view.clone()/>
            </section>
            {decided_before.then(|| view! {
                <section class="card" aria-labelledby="stages-heading">
                    <h2 id="stages-heading">"Decisions so far"</h2>
                    <RequestStages view=view.clone() compact=true/>
                </section>
            })}
            {match may_decide {
                true => {
                    let id = view.request.id.to_string();
                    view! {
                        <Show
                            when=move || outcome.with(Option::is_none)
                            fallback=|| view! { <p><A href="/approvals">"Back to approvals"</A></p> }
                        >
                            <DecisionForm id=id.clone() who=who.clone() reason_required outcome reload/>
                        </Show>
                    }
                    .into_any()
                }
                false => view! { <NotYours view outcome/> }.into_any(),
            }}
        </article>
    }
}

/// Why there is no form: the request was decided, or it isn't this person's to decide.
#[component]
fn NotYours(view: RequestView, outcome: RwSignal<Option<Outcome>>) -> impl IntoView {
    if outcome.get_untracked().is_some() {
        return view! { <p><A href="/approvals">"Back to approvals"</A></p> }.into_any();
    }
    let text = match view.request.state {
        RequestState::PendingApproval => {
            "This request is waiting for someone else's decision at its current stage."
        }
        RequestState::Submitted => "This request hasn't reached approval yet.",
        _ => "This request has been decided; nothing is waiting for you.",
    };
    view! {
        <p class="notice">{text}</p>
        <p><A href="/approvals">"Back to approvals"</A></p>
    }
    .into_any()
}

/// The result of this person's decision, announced and focused.
#[component]
fn OutcomePanel(
    outcome: RwSignal<Option<Outcome>>,
    who: String,
    /// Where the request stands now, which explains a refused decision.
    state: RequestState,
) -> impl IntoView {
    // Here on every render of the page (it re-renders when the request reloads after a
    // decision), so focus lands on the result's heading each time.
    Effect::new(move |_| {
        if outcome.with(Option::is_some) {
            focus_outcome("decision-outcome");
        }
    });
    let who = StoredValue::new(who);
    move || {
        let outcome = outcome.get()?;
        let (class, title, text) = match outcome {
            Outcome::Conflict(detail) => {
                let (title, text) = conflict_text(state, &who.get_value(), detail);
                ("result-panel conflict", title, text)
            }
            Outcome::Gone => (
                "result-panel conflict",
                "This request is no longer waiting for you.".to_owned(),
                "It was canceled, timed out or decided by another approver in the meantime. Your decision wasn't recorded.".to_owned(),
            ),
            Outcome::Decided(kind, view) => {
                let who = who.get_value();
                let next = what_happens_next(&view, &who);
                match kind {
                    DecisionKind::Approve => {
                        ("result-panel approved", "You approved".to_owned(), next)
                    }
                    DecisionKind::Deny => (
                        "result-panel denied",
                        "You denied".to_owned(),
                        match gave_reason(&view) {
                            true => format!("{who} will see your decision and your reason."),
                            false => format!("{who} will see that you denied it."),
                        },
                    ),
                }
            }
        };
        Some(view! {
            <section class=class role="status" aria-live="polite">
                <h2 id="decision-outcome" tabindex="-1">{title}</h2>
                <p>{text}</p>
            </section>
        })
    }
}

/// Whether the denial in `view` came with a reason.
fn gave_reason(view: &RequestView) -> bool {
    view.stages
        .iter()
        .filter_map(|stage| stage.decision.as_ref())
        .any(|decision| decision.decision == DecisionKind::Deny && decision.justification.is_some())
}

/// Why a decision was refused with a 409, in the light of where the request stands now.
fn conflict_text(state: RequestState, who: &str, detail: String) -> (String, String) {
    let not_recorded = "Your decision wasn't recorded.";
    match state {
        RequestState::Canceled => (
            format!("{who} canceled this request."),
            not_recorded.to_owned(),
        ),
        RequestState::TimedOut => (
            "This request timed out.".to_owned(),
            format!("It waited too long for a decision and was denied. {not_recorded}"),
        ),
        _ if detail.is_empty() || detail == "This request has already been decided." => (
            "Someone else already decided this request.".to_owned(),
            format!("{not_recorded} The page now shows where the request stands."),
        ),
        _ => (not_recorded.to_owned(), detail),
    }
}

fn what_happens_next(view: &RequestView, who: &str) -> String {
    match (view.request.state, view.request.current_stage) {
        (RequestState::PendingApproval, Some(stage)) => {
            let approvers = view
                .stages
                .get(usize::from(stage))
                .map(|stage| {
                    stage
                        .approvers
                        .iter()
                        .map(|person| person.display_name.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            match approvers.is_empty() {
                true => format!(
                    "It now waits for stage {} of {}.",
                    stage + 1,
                    view.stages.len()
                ),
                false => format!(
                    "It now waits for stage {} of {}: {approvers}.",
                    stage + 1,
                    view.stages.len()
                ),
            }
        }
        (RequestState::Delivered | RequestState::Delivering, _) => {
            format!("{who} has the access now.")
        }
        (RequestState::Approved, _) => match view.request.schedule.start {
            Some(start) => format!("{who}'s access starts on {}.", request_time::date(start)),
            None => format!("{who}'s access is being set up."),
        },
        (state, _) => format!("The request is {}.", state.label()),
    }
}

/// The reason box and the two big buttons; on a phone the buttons stay at the bottom of
/// the screen.
#[component]
fn DecisionForm(
    id: String,
    who: String,
    reason_required: bool,
    outcome: RwSignal<Option<Outcome>>,
    reload: Callback<()>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let tried = RwSignal::new(false);
    let server_error = RwSignal::new(None::<ApiError>);
    // The server's rule, run here for instant feedback.
    let local_error = Memo::new(move |_| {
        reason
            .with(|text| validate_decision(reason_required, Some(text.as_str())))
            .err()
            .and_then(|errors| errors.0.into_iter().next())
            .map(|error| error.message)
    });
    let reason_error = Signal::derive(move || {
        if let Some(message) = server_error
            .read()
            .as_ref()
            .and_then(|error| error.for_field("justification"))
        {
            return Some(message.to_owned());
        }
        tried.get().then(|| local_error.get()).flatten()
    });
    let summary = move || {
        let error = server_error.get()?;
        (error.for_field("justification").is_none()).then(|| error.message().to_owned())
    };

    // The answer comes back with the decision that was sent, which the outcome names.
    let decide = Action::new_local(|(id, body): &(String, DecisionBody)| {
        let (id, body) = (id.clone(), body.clone());
        async move { (body.decision, api::decide_request(id, body).await) }
    });
    // Deny asks once more ("Deny Sam Taylor's request?") before anything is sent.
    let confirming = RwSignal::new(false);
    Effect::new(move |_| {
        let Some((kind, result)) = decide.value().get() else {
            return;
        };
        match result {
            Ok(view) => {
                outcome.set(Some(Outcome::Decided(kind, Box::new(view))));
                reload.run(());
            }
            Err(error) if error.status == 409 => {
                outcome.set(Some(Outcome::Conflict(error.message().to_owned())));
                reload.run(());
            }
            Err(error) if error.is_not_found() => outcome.set(Some(Outcome::Gone)),
            Err(error) => {
                let about_reason = error.for_field("justification").is_some();
                server_error.set(Some(error));
                confirming.set(false);
                match about_reason {
                    true => focus_outcome("decision-reason"),
                    false => focus_outcome("decision-alert"),
                }
            }
        }
    });

    let send = move |kind: DecisionKind| {
        tried.set(true);
        server_error.set(None);
        if decide.pending().get_untracked() {
            return;
        }
        if local_error.get_untracked().is_some() {
            // The field and its message above it are scrolled clear of the action bar.
            confirming.set(false);
            focus_outcome("decision-reason");
            return;
        }
        let justification = Some(reason.get_untracked()).filter(|text| !text.trim().is_empty());
        decide.dispatch_local((
            id.clone(),
            DecisionBody {
                decision: kind,
                justification,
            },
        ));
    };
    let send_deny = send.clone();
    let ask_deny = move || {
        tried.set(true);
        server_error.set(None);
        if local_error.get_untracked().is_some() {
            focus_outcome("decision-reason");
            return;
        }
        confirming.set(true);
        focus_outcome("deny-question");
    };
    let keep = move || {
        confirming.set(false);
        focus_outcome("deny-button");
    };
    let who_denied = who.clone();
    let consequence = move || {
        let given = reason.with(|text| !text.trim().is_empty());
        match given {
            true => format!("{who_denied} will see that you denied it, and your reason."),
            false => format!("{who_denied} will see that you denied it. You gave no reason."),
        }
    };
    let question = format!("Deny {who}'s request?");
    let pending_kind = move || {
        decide
            .pending()
            .get()
            .then(|| decide.input().get().map(|(_, body)| body.decision))
            .flatten()
    };
    // The label says whether it is required; the hint says who reads it and the limit.
    let hint = format!(
        "{who} sees it. At most {} characters.",
        thousands(MAX_JUSTIFICATION_CHARS)
    );
    view! {
        <form class="decision-form" on:submit=|event: leptos::ev::SubmitEvent| event.prevent_default() novalidate>
            <div class="form-alert" id="decision-alert" role="alert">
                {move || summary().map(|text| view! { <p class="alert-box">{text}</p> })}
            </div>
            <div class="field" class:invalid=move || reason_error.get().is_some()>
                <label for="decision-reason">
                    "Your reason "
                    {match reason_required {
                        true => view! { <span class="required">"(required)"</span> }.into_any(),
                        false => view! { <span class="optional">"(optional)"</span> }.into_any(),
                    }}
                </label>
                <p class="hint" id="decision-reason-hint">{hint}</p>
                // Above the box, so that whenever the box is in view (clear of the action
                // bar), so is its message.
                <p class="field-error" id="decision-reason-error">{move || reason_error.get()}</p>
                <textarea
                    id="decision-reason"
                    name="justification"
                    rows="2"
                    aria-required=reason_required.then_some("true")
                    aria-invalid=move || if reason_error.get().is_some() { "true" } else { "false" }
                    aria-describedby=move || match reason_error.get() {
                        Some(_) => "decision-reason-hint decision-reason-error decision-reason-count",
                        None => "decision-reason-hint decision-reason-count",
                    }
                    prop:value=move || reason.get()
                    on:input=move |event| {
                        reason.set(event_target_value(&event));
                        server_error.set(None);
                    }
                ></textarea>
                <CharCount id="decision-reason-count".to_owned() value=reason max=MAX_JUSTIFICATION_CHARS/>
            </div>
            <div
                class="decision-bar"
                class:confirming=move || confirming.get()
                on:keydown=move |event: leptos::ev::KeyboardEvent| {
                    if event.key() == "Escape" && confirming.get_untracked() {
                        keep();
                    }
                }
            >
                <Show
                    when=move || confirming.get()
                    fallback=move || {
                        let send = send.clone();
                        view! {
                            <button
                                type="button"
                                id="deny-button"
                                class="button deny"
                                disabled=move || decide.pending().get()
                                on:click=move |_| ask_deny()
                            >
                                "Deny"
                            </button>
                            <button
                                type="button"
                                class="button approve"
                                disabled=move || decide.pending().get()
                                on:click=move |_| send(DecisionKind::Approve)
                            >
                                {move || match pending_kind() { Some(DecisionKind::Approve) => "Approving…", _ => "Approve" }}
                            </button>
                        }
                    }
                >
                    <p class="deny-question" id="deny-question">
                        <strong>{question.clone()}</strong> " " {consequence.clone()}
                    </p>
                    <button
                        type="button"
                        class="button secondary"
                        disabled=move || decide.pending().get()
                        on:click=move |_| keep()
                    >
                        "Go back"
                    </button>
                    <button
                        type="button"
                        class="button danger"
                        disabled=move || decide.pending().get()
                        on:click={
                            let send_deny = send_deny.clone();
                            move |_| send_deny(DecisionKind::Deny)
                        }
                    >
                        {move || match pending_kind() { Some(DecisionKind::Deny) => "Denying…", _ => "Deny" }}
                    </button>
                </Show>
            </div>
        </form>
    }
}
