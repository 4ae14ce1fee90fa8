//! How a request reads on every page that shows one: its state, the requestor's reason and
//! answers, and each approval stage with its decision (who, when, why).

use entrada_domain::api::{RequestView, StageView};
use entrada_domain::request::{DecisionKind, RequestState, RequestType};
use leptos::prelude::*;

use crate::components::request_time;

/// "Access request", "Extension", "Removal".
pub(crate) fn type_label(request_type: RequestType) -> &'static str {
    match request_type {
        RequestType::UserAdd => "Access request",
        RequestType::UserExtend => "Extension request",
        RequestType::UserRemove => "Removal of access",
        RequestType::AdminAdd => "Assigned by an administrator",
        RequestType::AdminRemove => "Removed by an administrator",
    }
}

/// The state as a badge, with "stage 1 of 2" while pending.
#[component]
pub(crate) fn RequestStateBadge(view: RequestView) -> impl IntoView {
    let state = view.request.state;
    let text = match (state, view.request.current_stage) {
        (RequestState::PendingApproval, Some(stage)) if view.stages.len() > 1 => format!(
            "Pending approval · stage {} of {}",
            stage + 1,
            view.stages.len()
        ),
        (state, _) => capitalise(state.label()),
    };
    view! { <span class=format!("state-badge state-{}", tone(state))>{text}</span> }
}

/// For an open extension: "Access now ends 31 Dec 2026 → would end 31 Mar 2027", which an
/// approver weighs the extension by. Nothing for other requests.
#[component]
pub(crate) fn ExtensionEnds(view: RequestView) -> impl IntoView {
    let end = |at: Option<time::OffsetDateTime>| match at {
        Some(at) => request_time::date(at),
        None => "never".to_owned(),
    };
    view.extension.map(|dates| {
        let (now, then) = (end(dates.current_end), end(dates.requested_end));
        view! {
            <p class="extension-ends">
                <span>"Access now ends " <strong>{now}</strong></span>
                <span aria-hidden="true">" → "</span>
                <span>"would end " <strong>{then}</strong></span>
            </p>
        }
    })
}

/// "Decide by 3 Dec 2026, 14:00 (in 2 days)": when the current stage times out, as text
/// that a phone shows (no hover tooltip).
pub(crate) fn decide_by(at: time::OffsetDateTime) -> String {
    format!(
        "Decide by {} ({})",
        request_time::date_time(at),
        request_time::relative(at, request_time::now())
    )
}

/// The requestor's reason and answers, as a description list.
#[component]
pub(crate) fn RequestAnswers(
    view: RequestView,
    /// Leaves the reason out when none was given (the requestor's own history).
    #[prop(optional)]
    quiet: bool,
) -> impl IntoView {
    let request = view.request;
    let answers: Vec<(String, String)> = request
        .answers
        .iter()
        .map(|answer| {
            let question = view
                .questions
                .iter()
                .find(|question| question.id == answer.question_id)
                .map(|question| question.text.clone())
                .unwrap_or_else(|| "Answer".to_owned());
            (question, answer.value.clone())
        })
        .collect();
    let schedule = schedule_text(&request.schedule);
    view! {
        <dl class="request-answers">
            {match (request.justification, quiet) {
                (Some(reason), _) => Some(view! {
                    <div>
                        <dt>"Reason"</dt>
                        <dd>{reason}</dd>
                    </div>
                }
                .into_any()),
                (None, false) => Some(view! {
                    <div>
                        <dt>"Reason"</dt>
                        <dd class="muted">"No reason given."</dd>
                    </div>
                }
                .into_any()),
                (None, true) => None,
            }}
            {answers
                .into_iter()
                .map(|(question, answer)| view! {
                    <div>
                        <dt>{question}</dt>
                        <dd>{answer}</dd>
                    </div>
                })
                .collect_view()}
            {schedule.map(|text| view! {
                <div>
                    <dt>"When"</dt>
                    <dd>{text}</dd>
                </div>
            })}
        </dl>
    }
}

/// Every approval stage: decided ones with who, when and why; the current one with who
/// may decide and when it times out; later ones as still to come.
#[component]
pub(crate) fn RequestStages(
    view: RequestView,
    /// Shows only the stages decided so far (the decision page says the rest elsewhere).
    #[prop(optional)]
    compact: bool,
) -> impl IntoView {
    if view.stages.is_empty() {
        return view! { <p class="muted">"No approval needed."</p> }.into_any();
    }
    let current = match view.request.state {
        RequestState::PendingApproval => view.request.current_stage,
        _ => None,
    };
    let count = view.stages.len();
    let times_out_at = view.times_out_at;
    let ended = view.request.state.is_final();
    view! {
        <ol class="stages" aria-label="Approval stages">
            {view
                .stages
                .into_iter()
                .filter(|stage| !compact || stage.decision.is_some())
                .map(|stage| {
                    let is_current = current == Some(stage.stage);
                    view! { <StageItem stage count is_current times_out_at ended/> }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}

#[component]
fn StageItem(
    stage: StageView,
    count: usize,
    is_current: bool,
    times_out_at: Option<time::OffsetDateTime>,
    ended: bool,
) -> impl IntoView {
    let title = match count {
        1 => "Approval".to_owned(),
        _ => format!("Stage {} of {count}", stage.stage + 1),
    };
    let (class, body) = match (&stage.decision, is_current) {
        (Some(decision), _) => {
            let verb = match decision.decision {
                DecisionKind::Approve => "Approved",
                DecisionKind::Deny => "Denied",
            };
            let who = stage
                .decided_by
                .clone()
                .unwrap_or_else(|| "an approver".to_owned());
            let reason = decision.justification.clone();
            let class = match decision.decision {
                DecisionKind::Approve => "stage approved",
                DecisionKind::Deny => "stage denied",
            };
            (
                class,
                view! {
                    <p>
                        <strong>{verb}</strong> " by " {who} " · "
                        <time datetime=decision.decided_at.to_string()>{request_time::date_time(decision.decided_at)}</time>
                    </p>
                    {reason.map(|reason| view! { <p class="stage-reason">"“" {reason} "”"</p> })}
                }
                .into_any(),
            )
        }
        (None, true) => {
            let approvers = stage
                .approvers
                .iter()
                .map(|person| person.display_name.clone())
                .collect::<Vec<_>>()
                .join(", ");
            let waiting = match approvers.is_empty() {
                true => "Waiting for a decision".to_owned(),
                false => format!("Waiting for {approvers}"),
            };
            let deadline = times_out_at.map(|at| {
                format!(
                    "Times out {} ({})",
                    request_time::relative(at, request_time::now()),
                    request_time::date(at)
                )
            });
            (
                "stage current",
                view! {
                    <p><strong>{waiting}</strong></p>
                    {deadline.map(|text| view! { <p class="muted">{text}</p> })}
                }
                .into_any(),
            )
        }
        (None, false) => {
            let text = match ended {
                true => "Not reached",
                false => "Still to come",
            };
            (
                "stage later",
                view! { <p class="muted">{text}</p> }.into_any(),
            )
        }
    };
    view! {
        <li class=class>
            <p class="stage-title">{title}</p>
            {body}
        </li>
    }
}

/// "Starts 3 Mar 2026 · ends 2 Apr 2026", or nothing when the requestor chose neither.
fn schedule_text(schedule: &entrada_domain::request::Schedule) -> Option<String> {
    match (schedule.start, schedule.end) {
        (None, None) => None,
        (Some(start), None) => Some(format!("From {}", request_time::date(start))),
        (None, Some(end)) => Some(format!("From approval until {}", request_time::date(end))),
        (Some(start), Some(end)) => Some(format!(
            "{} until {}",
            request_time::date(start),
            request_time::date(end)
        )),
    }
}

/// The colour family of a state's badge.
fn tone(state: RequestState) -> &'static str {
    match state {
        RequestState::Submitted | RequestState::PendingApproval => "pending",
        RequestState::Approved | RequestState::Delivering | RequestState::Delivered => "good",
        RequestState::Denied | RequestState::TimedOut | RequestState::DeliveryFailed => "bad",
        RequestState::Canceled => "neutral",
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
