//! `/access`: the access packages the person has and had, with their dates and what each
//! grants; where the policy allows, a request for more time, and the person's own removal
//! (journey 9).

use entrada_domain::api::{MyAssignment, NewRequestBody, RequestView};
use entrada_domain::assignment::{Assignment, AssignmentState};
use entrada_domain::request::{RequestState, RequestType};
use leptos::html;
use leptos::prelude::*;
use leptos_router::components::A;
use time::OffsetDateTime;

use crate::api::{self, ApiError};
use crate::components::request_summary::{type_label, RequestStateBadge};
use crate::components::request_time;
use crate::components::{set_page_title, Grants, Loading, ProblemPanel, RequestForm};

/// `/access`: active access first, then what expired or was removed.
#[component]
pub(crate) fn AccessPage() -> impl IntoView {
    set_page_title("Your access");
    let assignments = LocalResource::new(api::my_assignments);
    // Open extension and removal requests, to say what each pending one is.
    let requests = LocalResource::new(api::my_requests);
    let notice = RwSignal::new(None::<String>);
    let notice_ref = NodeRef::<html::Div>::new();
    let changed = Callback::new(move |text: String| {
        notice.set(Some(text));
        assignments.refetch();
        requests.refetch();
        if let Some(element) = notice_ref.get_untracked() {
            crate::components::focus::focus_element(&element);
        }
    });
    let content = move || {
        Suspend::new(async move {
            // Without the requests the page still lists the access, only less precisely.
            let requests = requests.await.unwrap_or_default();
            match assignments.await {
                Ok(mine) => view! { <AccessList mine requests changed/> }.into_any(),
                Err(error) => {
                    let retry = Callback::new(move |()| assignments.refetch());
                    view! { <ProblemPanel error retry/> }.into_any()
                }
            }
        })
    };
    view! {
        <h1>"Your access"</h1>
        <p class="lead">"The access packages you have, with their end dates, and those that ended."</p>
        <div class="page-notice" role="status" aria-live="polite" tabindex="-1" node_ref=notice_ref>
            {move || notice.get().map(|text| view! { <p class="notice success">{text}</p> })}
        </div>
        <Transition fallback=|| view! { <Loading text="Loading your access…"/> }>{content}</Transition>
    }
}

#[component]
fn AccessList(
    mine: Vec<MyAssignment>,
    requests: Vec<RequestView>,
    changed: Callback<String>,
) -> impl IntoView {
    let open: Vec<&RequestView> = requests
        .iter()
        .filter(|view| view.request.state.is_open())
        .collect();
    let (active, ended): (Vec<_>, Vec<_>) = mine
        .into_iter()
        .partition(|mine| mine.assignment.state.is_live());
    let pending_of = |mine: &MyAssignment| {
        mine.pending_request.as_ref().and_then(|id| {
            open.iter()
                .find(|view| &view.request.id == id)
                .map(|view| (*view).clone())
        })
    };
    let active_count = match active.len() {
        1 => "1 access package".to_owned(),
        n => format!("{n} access packages"),
    };
    let active_view = match active.is_empty() {
        true => view! {
            <div class="empty">
                <p>"You don't have any access packages right now."</p>
                <p><A href="/">"Find access in My Access"</A></p>
            </div>
        }
        .into_any(),
        false => view! {
            <ul class="cards assignment-list" aria-labelledby="active-heading">
                {active
                    .into_iter()
                    .map(|mine| {
                        let pending = pending_of(&mine);
                        view! { <li><AssignmentCard mine pending removed_at=None changed/></li> }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any(),
    };
    view! {
        <section aria-labelledby="active-heading">
            <h2 id="active-heading">"Active" <span class="muted count">" · " {active_count}</span></h2>
            {active_view}
        </section>
        {(!ended.is_empty()).then(|| view! {
            <section class="ended-section" aria-labelledby="ended-heading">
                <h2 id="ended-heading">"Expired and removed"</h2>
                <ul class="cards assignment-list" aria-labelledby="ended-heading">
                    {ended
                        .into_iter()
                        .map(|mine| {
                            let removed_at = removal_time(&mine, &requests);
                            view! { <li><AssignmentCard mine pending=None removed_at changed/></li> }
                        })
                        .collect_view()}
                </ul>
            </section>
        })}
    }
}

/// When a removed assignment was removed: the time its removal request was carried out.
fn removal_time(mine: &MyAssignment, requests: &[RequestView]) -> Option<OffsetDateTime> {
    if mine.assignment.state != AssignmentState::Removed {
        return None;
    }
    requests
        .iter()
        .map(|view| &view.request)
        .filter(|request| {
            matches!(
                request.request_type,
                RequestType::UserRemove | RequestType::AdminRemove
            ) && request.state == RequestState::Delivered
                && request.access_package_id == mine.package.id
                && request.updated_at >= mine.assignment.start
        })
        .map(|request| request.updated_at)
        .min()
}

/// What the person may do with a live assignment, one at a time.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Nothing,
    Extension,
    Removal,
}

/// One assignment: its package, its dates and what it grants, and for live ones the
/// extension and removal.
#[component]
fn AssignmentCard(
    mine: MyAssignment,
    pending: Option<RequestView>,
    /// When a removed assignment was removed, where known.
    removed_at: Option<OffsetDateTime>,
    changed: Callback<String>,
) -> impl IntoView {
    let assignment = mine.assignment.clone();
    let package = mine.package.clone();
    let href = format!("/access-packages/{}", package.id);
    let heading_id = format!("assignment-{}", assignment.id);
    let labelled_by = heading_id.clone();
    let live = assignment.state.is_live();
    let now = request_time::now();
    let (state_class, state_text) = match assignment.state {
        AssignmentState::Delivering => ("state-pending", "Being set up"),
        AssignmentState::Delivered => ("state-good", "Active"),
        AssignmentState::Expired => ("state-neutral", "Expired"),
        AssignmentState::Removed => ("state-neutral", "Removed"),
    };
    let dates = match (assignment.state, removed_at) {
        (AssignmentState::Removed, Some(removed)) => format!(
            "{} – {} (removed)",
            request_time::date(assignment.start),
            request_time::date(removed)
        ),
        (AssignmentState::Removed, None) => {
            format!("Since {} · removed", request_time::date(assignment.start))
        }
        _ => dates_of(live, &assignment, now),
    };
    let open = RwSignal::new(Open::Nothing);
    let has_pending = pending.is_some() || mine.pending_request.is_some();
    let may_extend = live && mine.extension_allowed && !has_pending;
    let may_remove = live && !has_pending && assignment.state == AssignmentState::Delivered;
    let package_name = package.name.clone();
    view! {
        <article class="card assignment-card" aria-labelledby=labelled_by>
            <div class="request-head">
                <h3 id=heading_id><A href=href>{package_name}</A></h3>
                <span class=format!("state-badge {state_class}")>{state_text}</span>
            </div>
            <p class="dates">{dates}</p>
            <Grants roles=package.resource_roles.clone()/>
            {match pending {
                Some(view) => view! { <PendingNote view/> }.into_any(),
                None if has_pending => view! {
                    <p class="pending-note">"A request about this access is open. " <A href="/requests">"See your requests"</A></p>
                }
                .into_any(),
                None => ().into_any(),
            }}
            {(may_extend || may_remove).then(|| view! {
                <div class="request-actions" class:hidden=move || open.get() != Open::Nothing>
                    {may_extend.then(|| view! {
                        <button type="button" class="button secondary" on:click=move |_| open.set(Open::Extension)>
                            "Request extension"
                        </button>
                    })}
                    {may_remove.then(|| view! {
                        <button type="button" class="button secondary danger-text" on:click=move |_| open.set(Open::Removal)>
                            "Remove my access"
                        </button>
                    })}
                </div>
            })}
            {move || match open.get() {
                Open::Nothing => ().into_any(),
                Open::Extension => view! {
                    <ExtensionPanel mine=mine.clone() close=Callback::new(move |()| open.set(Open::Nothing)) changed/>
                }
                .into_any(),
                Open::Removal => view! {
                    <RemovalPanel mine=mine.clone() close=Callback::new(move |()| open.set(Open::Nothing)) changed/>
                }
                .into_any(),
            }}
        </article>
    }
}

/// "Since … · until … (in 30 days)", "Since … · no end date", or "… – …" once ended.
fn dates_of(live: bool, assignment: &Assignment, now: OffsetDateTime) -> String {
    // Access with a chosen start in the future is delivered ahead of it.
    let since = match assignment.start > now {
        true => "Starts",
        false => "Since",
    };
    match (live, assignment.end) {
        (true, Some(end)) => format!(
            "{since} {} · until {} ({})",
            request_time::date(assignment.start),
            request_time::date(end),
            request_time::relative(end, now)
        ),
        (true, None) => format!(
            "{since} {} · no end date",
            request_time::date(assignment.start)
        ),
        (false, Some(end)) => format!(
            "{} – {}",
            request_time::date(assignment.start),
            request_time::date(end)
        ),
        (false, None) => format!("From {}", request_time::date(assignment.start)),
    }
}

/// "Extension requested · pending approval".
#[component]
fn PendingNote(view: RequestView) -> impl IntoView {
    let what = match view.request.request_type {
        RequestType::UserExtend => "You asked for an extension",
        RequestType::UserRemove => "You asked to remove this access",
        other => type_label(other),
    };
    let sent = request_time::relative(view.request.created_at, request_time::now());
    view! {
        <p class="pending-note">
            {what} " " {sent} ". " <RequestStateBadge view/> " " <A href="/requests">"See the request"</A>
        </p>
    }
}

/// The extension form, generated from the policy the access was granted under.
#[component]
fn ExtensionPanel(
    mine: MyAssignment,
    close: Callback<()>,
    changed: Callback<String>,
) -> impl IntoView {
    let package_id = mine.package.id.clone();
    let policy_id = mine.assignment.policy_id.clone();
    let name = mine.package.name.clone();
    let offer = LocalResource::new({
        let package_id = package_id.to_string();
        move || api::access_package(package_id.clone())
    });
    let heading = NodeRef::<html::H4>::new();
    Effect::new(move |_| {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    let content = move || {
        let package_id = package_id.clone();
        let policy_id = policy_id.clone();
        let name = name.clone();
        Suspend::new(async move {
            let offer = match offer.await {
                Ok(offer) => offer,
                Err(error) => return view! { <ProblemPanel error/> }.into_any(),
            };
            let Some(policy) = offer
                .policies
                .into_iter()
                .find(|policy| policy.id == policy_id)
            else {
                return view! {
                    <p class="notice">"The policy you got this access through no longer lists you, so you can't ask for more time here. Ask the people who manage the package."</p>
                    <button type="button" class="button secondary" on:click=move |_| close.run(())>"Close"</button>
                }
                .into_any();
            };
            let on_sent = Callback::new(move |view: RequestView| {
                let text = match view.request.state {
                    RequestState::Delivered => format!("Your access to {name} was extended."),
                    _ => format!(
                        "You asked for more time with {name}. The approvers have been asked."
                    ),
                };
                changed.run(text);
            });
            view! {
                <RequestForm
                    package_id
                    policies=vec![policy]
                    request_type=RequestType::UserExtend
                    id_prefix=format!("extend-{}", offer.package.id)
                    on_sent
                    on_cancel=close
                />
            }
            .into_any()
        })
    };
    view! {
        <div class="inline-panel">
            <h4 tabindex="-1" node_ref=heading>"Request an extension"</h4>
            <Suspense fallback=|| view! { <Loading text="Loading the extension form…"/> }>{content}</Suspense>
        </div>
    }
}

/// "Remove my access": what will be lost, asked once more.
#[component]
fn RemovalPanel(
    mine: MyAssignment,
    close: Callback<()>,
    changed: Callback<String>,
) -> impl IntoView {
    let name = mine.package.name.clone();
    let body = NewRequestBody {
        access_package_id: mine.package.id.clone(),
        policy_id: mine.assignment.policy_id.clone(),
        request_type: RequestType::UserRemove,
        justification: None,
        answers: Vec::new(),
        schedule: Default::default(),
    };
    let remove = Action::new_local(|body: &NewRequestBody| api::create_request(body.clone()));
    let error = RwSignal::new(None::<ApiError>);
    {
        let name = name.clone();
        Effect::new(move |_| match remove.value().get() {
            Some(Ok(view)) => {
                let text = match view.request.state {
                    RequestState::Delivered => format!("Your access to {name} was removed."),
                    _ => format!("Your removal of {name} is being processed."),
                };
                changed.run(text);
            }
            Some(Err(problem)) => error.set(Some(problem)),
            None => {}
        });
    }
    let confirm_ref = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = confirm_ref.get() {
            let _ = button.focus();
        }
    });
    let lose = mine
        .package
        .resource_roles
        .iter()
        .map(|role| format!("{} ({})", role.resource_name, role.role_name))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <div class="inline-panel confirm-panel" role="group" aria-label="Confirm removal">
            <p class="confirm-text">
                <strong>{format!("Remove your access to {name}?")}</strong>
                " "
                {(!lose.is_empty()).then(|| format!("You lose {lose} right away. To get it back you'd request it again."))}
            </p>
            <div class="request-actions">
                <button
                    type="button"
                    class="button danger"
                    node_ref=confirm_ref
                    disabled=move || remove.pending().get()
                    on:click=move |_| {
                        error.set(None);
                        remove.dispatch_local(body.clone());
                    }
                >
                    {move || if remove.pending().get() { "Removing…" } else { "Remove my access" }}
                </button>
                <button type="button" class="button secondary" on:click=move |_| close.run(())>"Keep it"</button>
            </div>
            <p class="field-error" role="alert">{move || error.get().map(|error| error.message().to_owned())}</p>
        </div>
    }
}
