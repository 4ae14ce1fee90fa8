use entrada_domain::api::RequestView;
use entrada_domain::request::RequestState;
use leptos::html;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api;
use crate::components::focus::focus_outcome;
use crate::components::request_summary::{
    type_label, RequestAnswers, RequestStages, RequestStateBadge,
};
use crate::components::request_time;
use crate::components::{set_page_title, Loading, ProblemPanel};

/// `/requests`: the history of the person's requests, newest first, with each state and
/// decision; pending ones can be canceled here (journey 10).
#[component]
pub(crate) fn RequestsPage() -> impl IntoView {
    set_page_title("Requests");
    let requests = LocalResource::new(api::my_requests);
    let notice = RwSignal::new(None::<String>);
    let canceled = Callback::new(move |package: String| {
        notice.set(Some(format!("Your request for {package} was canceled.")));
        requests.refetch();
        focus_outcome("requests-notice");
    });
    // `/requests?id=…`, where a decision e-mail leads: that request is marked and in view.
    let query = use_query_map();
    let selected = Memo::new(move |_| query.with(|q| q.get("id")).filter(|id| !id.is_empty()));
    let content = move || {
        Suspend::new(async move {
            match requests.await {
                Ok(views) => {
                    let selected = selected.get_untracked();
                    view! { <RequestList views canceled selected/> }.into_any()
                }
                Err(error) => {
                    let retry = Callback::new(move |()| requests.refetch());
                    view! { <ProblemPanel error retry/> }.into_any()
                }
            }
        })
    };
    view! {
        <h1>"Requests"</h1>
        <p class="lead">"Everything you have asked for, newest first, with each decision."</p>
        <div class="page-notice" id="requests-notice" role="status" aria-live="polite" tabindex="-1">
            {move || notice.get().map(|text| view! { <p class="notice success">{text}</p> })}
        </div>
        <Transition fallback=|| view! { <Loading text="Loading your requests…"/> }>{content}</Transition>
    }
}

#[component]
fn RequestList(
    views: Vec<RequestView>,
    canceled: Callback<String>,
    selected: Option<String>,
) -> impl IntoView {
    let found = selected.as_ref().filter(|id| {
        views
            .iter()
            .any(|view| view.request.id.as_str() == id.as_str())
    });
    let missing = selected.is_some() && found.is_none();
    if let Some(id) = found {
        focus_outcome(card_id(id));
    }
    let missing = missing.then(|| {
        view! {
            <p class="notice" role="status" id="request-not-found">
                "That request isn't among yours: it may belong to someone else, or the link is mistyped. Your requests are below."
            </p>
        }
    });
    if views.is_empty() {
        return view! {
            {missing}
            <div class="empty">
                <p>"You haven't requested any access yet."</p>
                <p><A href="/">"Find access packages in My Access"</A></p>
            </div>
        }
        .into_any();
    }
    view! {
        {missing}
        <ul class="request-list" aria-label="Your requests">
            {views
                .into_iter()
                .map(|view| {
                    let chosen = found.is_some_and(|id| id.as_str() == view.request.id.as_str());
                    view! { <li><RequestCard view canceled chosen/></li> }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

fn card_id(request_id: &str) -> String {
    format!("request-card-{request_id}")
}

/// One request: what, its state, when, the reason and answers, and every stage's decision.
#[component]
fn RequestCard(view: RequestView, canceled: Callback<String>, chosen: bool) -> impl IntoView {
    let request = &view.request;
    let href = format!("/access-packages/{}", request.access_package_id);
    let heading_id = format!("request-{}", request.id);
    let labelled_by = heading_id.clone();
    let package = view.package_name.clone();
    let now = request_time::now();
    let sent = format!(
        "Sent {} ({})",
        request_time::date_time(request.created_at),
        request_time::relative(request.created_at, now)
    );
    let ended = match request.state {
        RequestState::Canceled => Some("Canceled"),
        RequestState::TimedOut => Some("Timed out"),
        RequestState::Delivered => Some("Done"),
        RequestState::DeliveryFailed => Some("Failed"),
        _ => None,
    }
    .map(|word| format!("{word} {}", request_time::date_time(request.updated_at)));
    // Pending, or approved and waiting for its start: the requestor may still cancel.
    let open = matches!(
        request.state,
        RequestState::Submitted | RequestState::PendingApproval
    ) || (request.state == RequestState::Approved
        && entrada_domain::request::starts_later(request, now));
    let id = request.id.to_string();
    let kind = type_label(request.request_type);
    let card = card_id(&id);
    view! {
        <article class="card request-card" class:chosen=chosen id=card
            tabindex=chosen.then_some("-1") aria-current=chosen.then_some("true")
            aria-labelledby=labelled_by>
            <div class="request-head">
                <h2 id=heading_id><A href=href>{package}</A></h2>
                <RequestStateBadge view=view.clone()/>
            </div>
            <p class="muted">
                {kind} " · " {sent}
                {ended.map(|text| format!(" · {text}"))}
            </p>
            <RequestAnswers view=view.clone() quiet=true/>
            <RequestStages view=view.clone()/>
            {open.then(|| view! { <CancelRequest id package=view.package_name.clone() canceled/> })}
        </article>
    }
}

/// "Cancel request", asked once more before it happens.
#[component]
fn CancelRequest(id: String, package: String, canceled: Callback<String>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let cancel = Action::new_local(|id: &String| api::cancel_request(id.clone()));
    let error = RwSignal::new(None::<String>);
    let package = StoredValue::new(package);
    let error_id = StoredValue::new(format!("cancel-error-{id}"));
    Effect::new(move |_| match cancel.value().get() {
        Some(Ok(_)) => canceled.run(package.get_value()),
        Some(Err(problem)) => {
            error.set(Some(problem.message().to_owned()));
            focus_outcome(error_id.get_value());
        }
        None => {}
    });
    let confirm_ref = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = confirm_ref.get() {
            let _ = button.focus();
        }
    });
    let id = StoredValue::new(id);
    view! {
        <div class="request-actions">
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button type="button" class="button secondary" on:click=move |_| confirming.set(true)>
                        "Cancel request"
                    </button>
                }
            >
                <p class="confirm-text">"Cancel this request? The approvers won't be asked any more."</p>
                <button
                    type="button"
                    class="button danger"
                    node_ref=confirm_ref
                    disabled=move || cancel.pending().get()
                    on:click=move |_| {
                        error.set(None);
                        cancel.dispatch_local(id.get_value());
                    }
                >
                    {move || if cancel.pending().get() { "Canceling…" } else { "Yes, cancel it" }}
                </button>
                <button type="button" class="button secondary" on:click=move |_| confirming.set(false)>
                    "Keep it"
                </button>
            </Show>
        </div>
        <p class="field-error" id=error_id.get_value() role="alert">{move || error.get()}</p>
    }
}
