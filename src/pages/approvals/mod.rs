//! `/approvals` and `/approvals/:id`: the requests waiting for the signed-in person's
//! decision, and one of them to approve or deny (journey 6, phone first).

mod decision;

use entrada_domain::api::RequestView;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::request_summary::{decide_by, type_label, ExtensionEnds, RequestAnswers};
use crate::components::request_time;
use crate::components::{set_page_title, Loading, ProblemPanel};

pub(crate) use decision::ApprovalPage;

/// `/approvals`: requests waiting for the person's decision, oldest first.
#[component]
pub(crate) fn ApprovalsPage() -> impl IntoView {
    set_page_title("Approvals");
    let approvals = LocalResource::new(api::approvals);
    let content = move || {
        Suspend::new(async move {
            match approvals.await {
                Ok(views) => view! { <ApprovalList views/> }.into_any(),
                Err(error) => {
                    let retry = Callback::new(move |()| approvals.refetch());
                    view! { <ProblemPanel error retry/> }.into_any()
                }
            }
        })
    };
    view! {
        <h1>"Approvals"</h1>
        <p class="lead">"Requests waiting for your decision."</p>
        <Transition fallback=|| view! { <Loading text="Loading requests waiting for you…"/> }>{content}</Transition>
    }
}

#[component]
fn ApprovalList(views: Vec<RequestView>) -> impl IntoView {
    if views.is_empty() {
        return view! {
            <p class="empty">"Nothing is waiting for your decision. Requests you need to approve will show up here."</p>
        }
        .into_any();
    }
    let count = match views.len() {
        1 => "1 request waiting for you".to_owned(),
        n => format!("{n} requests waiting for you"),
    };
    view! {
        <p class="muted count">{count}</p>
        <ul class="cards approval-list" aria-label="Requests waiting for your decision">
            {views.into_iter().map(|view| view! { <li><ApprovalCard view/></li> }).collect_view()}
        </ul>
    }
    .into_any()
}

/// One waiting request: who, what, why, how long it has waited and when it times out.
#[component]
fn ApprovalCard(view: RequestView) -> impl IntoView {
    let href = format!("/approvals/{}", view.request.id);
    let now = request_time::now();
    let waiting_since = view
        .request
        .stage_started_at
        .unwrap_or(view.request.created_at);
    let stage = match (view.request.current_stage, view.stages.len()) {
        (Some(stage), count) if count > 1 => Some(format!("Stage {} of {count}", stage + 1)),
        _ => None,
    };
    let times_out = view.times_out_at.map(decide_by);
    let kind = type_label(view.request.request_type);
    let who = view.requestor.display_name.clone();
    let department = view.requestor.department.clone();
    let heading_id = format!("approval-{}", view.request.id);
    let labelled_by = heading_id.clone();
    let package = view.package_name.clone();
    view! {
        <article class="card approval-card" aria-labelledby=labelled_by>
            <h2 id=heading_id>
                <A href=href.clone()>{who} <span class="muted">" · "</span> {package}</A>
            </h2>
            <p class="muted">
                {kind}
                {department.map(|department| format!(" · {department}"))}
            </p>
            <ul class="facts">
                <li>{format!("Waiting {}", request_time::elapsed(waiting_since, now))}</li>
                {stage.map(|stage| view! { <li>{stage}</li> })}
                {times_out.map(|text| view! { <li class="deadline">{text}</li> })}
            </ul>
            <ExtensionEnds view=view.clone()/>
            <RequestAnswers view/>
            <p class="card-action"><A href=href attr:class="button">"Review and decide"</A></p>
        </article>
    }
}
