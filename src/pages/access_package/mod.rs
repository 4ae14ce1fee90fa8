use entrada_domain::api::{PackageOffer, RequestView};
use entrada_domain::assignment::{Assignment, AssignmentState};
use entrada_domain::ids::RequestId;
use entrada_domain::request::RequestState;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::focus::focus_outcome;
use crate::components::request_summary::{RequestStages, RequestStateBadge};
use crate::components::request_time;
use crate::components::{
    set_page_title, CopyLink, Grants, Loading, ProblemPanel, RequestForm, ShareLink,
};

/// `/access-packages/:id`: the stable direct link to one package, as the person may see it
/// (hidden packages too), with the request form its policies generate, or what the person
/// already has of it.
#[component]
pub(crate) fn AccessPackagePage() -> impl IntoView {
    set_page_title("Access package");
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let offer = LocalResource::new(move || api::access_package(id.get()));
    // Said above the package, so that it stays while the package reloads (after a cancel).
    let notice = RwSignal::new(None::<String>);
    let reload = Callback::new(move |()| offer.refetch());

    let content = move || {
        Suspend::new(async move {
            match offer.await {
                Ok(offer) => view! { <PackageDetail offer reload notice/> }.into_any(),
                Err(error) if error.is_not_found() => view! { <NotFoundPanel/> }.into_any(),
                Err(error) => {
                    let retry = Callback::new(move |()| offer.refetch());
                    view! { <ProblemPanel error retry/> }.into_any()
                }
            }
        })
    };
    view! {
        <p class="breadcrumb"><A href="/">"My Access"</A></p>
        <div class="page-notice" id="package-notice" role="status" aria-live="polite" tabindex="-1">
            {move || notice.get().map(|text| view! { <p class="notice success">{text}</p> })}
        </div>
        <Transition fallback=|| view! { <Loading text="Loading access package…"/> }>{content}</Transition>
    }
}

#[component]
fn PackageDetail(
    offer: PackageOffer,
    reload: Callback<()>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    set_page_title(&offer.package.name);
    let package = offer.package.clone();
    let link_path = format!("/access-packages/{}", package.id);
    view! {
        <article class="package-detail">
            <h1>{package.name.clone()}</h1>
            <p class="catalog">"Catalog: " {offer.catalog_name.clone()}</p>
            {(!package.description.is_empty()).then(|| view! { <p class="lead">{package.description.clone()}</p> })}
            {package.hidden.then(|| view! {
                <p class="muted">"This package isn't listed in My Access; people reach it through its link."</p>
            })}
            <div class="share-row">
                <CopyLink path=link_path.clone()/>
                <ShareLink path=link_path title=package.name.clone()/>
            </div>

            <section class="card" aria-labelledby="grants-heading">
                <h2 id="grants-heading">"What it grants"</h2>
                <Grants roles=package.resource_roles.clone()/>
            </section>

            <section class="card request-section" aria-labelledby="request-heading">
                <RequestSection offer reload notice/>
            </section>
        </article>
    }
}

/// What the person can do about this package now: nothing (they hold it), wait (a request
/// is open), or request it.
#[component]
fn RequestSection(
    offer: PackageOffer,
    reload: Callback<()>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    if let Some(assignment) = offer.assignment.clone() {
        return view! {
            <h2 id="request-heading">"Your access"</h2>
            <HeldPanel assignment/>
            {offer.pending_request.map(|id| view! { <PendingPanel id reload notice/> })}
        }
        .into_any();
    }
    if let Some(id) = offer.pending_request.clone() {
        return view! {
            <h2 id="request-heading">"Your request"</h2>
            <PendingPanel id reload notice/>
        }
        .into_any();
    }
    if !offer.requestable() {
        return view! {
            <h2 id="request-heading">"Request access"</h2>
            <p>"None of this package's policies lets you request it. Ask the people who manage it if you need this access."</p>
        }
        .into_any();
    }
    let sent = RwSignal::new(None::<RequestView>);
    let on_sent = Callback::new(move |view: RequestView| {
        notice.set(None);
        sent.set(Some(view));
    });
    let package_id = offer.package.id.clone();
    let policies = offer.policies.clone();
    view! {
        <h2 id="request-heading">"Request access"</h2>
        {move || match sent.get() {
            Some(view) => view! { <SentPanel view/> }.into_any(),
            None => view! {
                <RequestForm package_id=package_id.clone() policies=policies.clone() on_sent/>
            }
            .into_any(),
        }}
    }
    .into_any()
}

/// "You have this access package until …".
#[component]
fn HeldPanel(assignment: Assignment) -> impl IntoView {
    let text = match (assignment.state, assignment.end) {
        (AssignmentState::Delivering, _) => {
            "Your access to this package is being set up.".to_owned()
        }
        (_, Some(end)) => format!(
            "You have this access package until {}.",
            request_time::date(end)
        ),
        (_, None) => "You have this access package. It doesn't expire.".to_owned(),
    };
    view! {
        <p class="held"><strong>{text}</strong></p>
        <p><A href="/access">"See all your access"</A> " · " <A href="/requests">"Your requests"</A></p>
    }
}

/// The person's open request for this package, with a way to cancel it while it waits.
#[component]
fn PendingPanel(
    id: RequestId,
    reload: Callback<()>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let request_id = id.to_string();
    let request = LocalResource::new(move || api::access_request(request_id.clone()));
    let cancel = Action::new_local(|id: &String| api::cancel_request(id.clone()));
    let cancel_error = RwSignal::new(None::<String>);
    Effect::new(move |_| match cancel.value().get() {
        Some(Ok(_)) => {
            notice.set(Some(
                "Your request was canceled. You can request the package again below.".to_owned(),
            ));
            reload.run(());
            focus_outcome("package-notice");
        }
        Some(Err(error)) => {
            cancel_error.set(Some(error.message().to_owned()));
            request.refetch();
            focus_outcome("cancel-error");
        }
        None => {}
    });
    let content = move || {
        let id = id.to_string();
        Suspend::new(async move {
            match request.await {
                Ok(view) => {
                    let waiting = matches!(
                        view.request.state,
                        RequestState::Submitted | RequestState::PendingApproval
                    );
                    let sent = format!(
                        "Sent {} ({}).",
                        request_time::relative(view.request.created_at, request_time::now()),
                        request_time::date(view.request.created_at)
                    );
                    let starts = match (view.request.state, view.request.schedule.start) {
                        (RequestState::Approved, Some(start)) => Some(format!(
                            "Approved. Your access starts on {}.",
                            request_time::date(start)
                        )),
                        _ => None,
                    };
                    view! {
                        <p class="pending-line">
                            <RequestStateBadge view=view.clone()/> " " <span class="muted">{sent}</span>
                        </p>
                        {starts.map(|text| view! { <p>{text}</p> })}
                        <RequestStages view/>
                        <div class="request-actions">
                            {waiting.then(|| {
                                let id = id.clone();
                                view! {
                                    <button
                                        type="button"
                                        class="button secondary"
                                        disabled=move || cancel.pending().get()
                                        on:click=move |_| {
                                            cancel_error.set(None);
                                            cancel.dispatch_local(id.clone());
                                        }
                                    >
                                        {move || if cancel.pending().get() { "Canceling…" } else { "Cancel request" }}
                                    </button>
                                }
                            })}
                            <A href="/requests">"All your requests"</A>
                        </div>
                    }
                    .into_any()
                }
                Err(error) => view! { <ProblemPanel error/> }.into_any(),
            }
        })
    };
    view! {
        <Transition fallback=|| view! { <Loading text="Loading your request…"/> }>{content}</Transition>
        <p class="field-error" id="cancel-error" role="alert">{move || cancel_error.get()}</p>
    }
}

/// What became of a request just sent; takes keyboard focus so that it is read out.
#[component]
fn SentPanel(view: RequestView) -> impl IntoView {
    Effect::new(move |_| focus_outcome("request-sent"));
    let request = &view.request;
    let (title, text) = match request.state {
        RequestState::Delivered | RequestState::Delivering => (
            "You have access now".to_owned(),
            "No approval was needed. What the package grants is yours.".to_owned(),
        ),
        RequestState::PendingApproval | RequestState::Submitted => {
            let approvers = request
                .current_stage
                .and_then(|stage| view.stages.get(usize::from(stage)))
                .map(|stage| {
                    stage
                        .approvers
                        .iter()
                        .map(|person| person.display_name.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let text = match approvers.is_empty() {
                true => "The approvers have been asked to decide.".to_owned(),
                false => format!("{approvers} can decide now."),
            };
            ("Request sent — waiting for approval".to_owned(), text)
        }
        RequestState::Approved => (
            "Request approved".to_owned(),
            match request.schedule.start {
                Some(start) => format!("Your access starts on {}.", request_time::date(start)),
                None => "Your access is being set up.".to_owned(),
            },
        ),
        state => (
            format!("Request {}", state.label()),
            "See your requests for details.".to_owned(),
        ),
    };
    let delivered = matches!(
        request.state,
        RequestState::Delivered | RequestState::Delivering
    );
    view! {
        <div class="sent-panel" role="status">
            <h3 class="sent-title" id="request-sent" tabindex="-1">{title}</h3>
            <p>{text}</p>
            <p>
                {delivered.then(|| view! { <A href="/access">"See your access"</A> " · " })}
                <A href="/requests">"See your requests"</A>
            </p>
        </div>
    }
}

#[component]
fn NotFoundPanel() -> impl IntoView {
    set_page_title("Access package not found");
    view! {
        <section class="problem" role="alert">
            <h1>"Access package not found"</h1>
            <p>"This access package doesn't exist or you can't see it."</p>
            <p><A href="/">"Browse the packages in My Access"</A></p>
        </section>
    }
}
