use std::time::Duration;

use entrada_domain::api::{PackageOffer, RequestView};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api;
use crate::app::rel_for;
use crate::components::request_time;
use crate::components::{set_page_title, Grants, Loading, PolicySummary, ProblemPanel};
use crate::url::my_access_path;

/// How long typing pauses before the search runs (and the URL changes).
const SEARCH_DELAY: Duration = Duration::from_millis(250);

/// `/` (My Access): the access packages the person may request, searchable. The search
/// lives in the URL (`/?search=…`), so a search can be shared and survives a reload.
#[component]
pub(crate) fn MyAccessPage() -> impl IntoView {
    set_page_title("My Access");
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("search").unwrap_or_default());
    let offers = LocalResource::new(move || api::my_access_packages(search.get()));
    // The person's requests, to say since when a pending one waits.
    let requests = LocalResource::new(api::my_requests);

    // The box holds what is typed; the URL follows after a pause. `pushed` remembers what
    // this page put in the URL, so that only outside changes (back, forward, a link)
    // overwrite the box and typing is never undone by a late URL update.
    let text = RwSignal::new(search.get_untracked());
    let pushed = StoredValue::new(search.get_untracked());
    Effect::new(move |_| {
        let search = search.get();
        if search != pushed.get_value() {
            pushed.set_value(search.clone());
            text.set(search);
        }
    });
    let navigate = use_navigate();
    let show_search = move |value: String| {
        if value == pushed.get_value() {
            return;
        }
        pushed.set_value(value.clone());
        navigate(
            &my_access_path(&value),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let cancel_timer = move || {
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        timer.set_value(None);
    };
    let on_input = {
        let show_search = show_search.clone();
        move |event: leptos::ev::Event| {
            text.set(event_target_value(&event));
            cancel_timer();
            let show_search = show_search.clone();
            let handle =
                set_timeout_with_handle(move || show_search(text.get_untracked()), SEARCH_DELAY)
                    .ok();
            timer.set_value(handle);
        }
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        cancel_timer();
        show_search(text.get_untracked());
    };
    on_cleanup(cancel_timer);

    let searching = RwSignal::new(false);
    let results = move || {
        Suspend::new(async move {
            // Without the requests the cards still say a request is pending, only not since when.
            let requests = requests.await.unwrap_or_default();
            let answer = offers.await;
            crate::app::prefetch_the_portal();
            match answer {
                Ok(offers) => {
                    view! { <OfferList offers requests search=search.get_untracked()/> }.into_any()
                }
                Err(error) => {
                    let retry = Callback::new(move |()| offers.refetch());
                    view! { <ProblemPanel error retry/> }.into_any()
                }
            }
        })
    };

    view! {
        <h1>"My Access"</h1>
        <p class="lead">"Find the access you need and ask for it."</p>
        <form role="search" class="search" on:submit=on_submit>
            <label for="package-search">"Search access packages"</label>
            <input
                id="package-search"
                name="search"
                type="search"
                autocomplete="off"
                prop:value=move || text.get()
                on:input=on_input
            />
        </form>
        <p class="status-line" role="status" aria-live="polite">
            {move || searching.get().then_some("Searching…")}
        </p>
        <Transition
            fallback=|| view! { <Loading text="Loading access packages…"/> }
            set_pending=searching
        >
            {results}
        </Transition>
    }
}

/// The cards, or a sentence saying why there are none.
#[component]
fn OfferList(
    offers: Vec<PackageOffer>,
    requests: Vec<RequestView>,
    search: String,
) -> impl IntoView {
    let search = search.trim().to_owned();
    if offers.is_empty() {
        let text = match search.is_empty() {
            true => "There are no access packages you can request right now.".to_owned(),
            false => format!(
                "No access packages match “{search}”. Try other words, or clear the search."
            ),
        };
        return view! { <p class="empty">{text}</p> }.into_any();
    }
    let count = match (offers.len(), search.is_empty()) {
        (1, true) => "1 access package you can request".to_owned(),
        (n, true) => format!("{n} access packages you can request"),
        (1, false) => format!("1 access package matches “{search}”"),
        (n, false) => format!("{n} access packages match “{search}”"),
    };
    view! {
        <p class="muted count">{count}</p>
        <ul class="cards" aria-label="Access packages">
            {offers
                .into_iter()
                .map(|offer| {
                    let pending = offer.pending_request.as_ref().and_then(|id| {
                        requests.iter().find(|view| &view.request.id == id).cloned()
                    });
                    view! { <li><OfferCard offer pending/></li> }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// One access package in the list: what it grants and how to get it, and first what the
/// person already has of it (until when they hold it, since when a request waits) with
/// what they can do about that.
#[component]
fn OfferCard(offer: PackageOffer, pending: Option<RequestView>) -> impl IntoView {
    let href = format!("/access-packages/{}", offer.package.id);
    let heading_id = format!("offer-{}", offer.package.id);
    let labelled_by = heading_id.clone();
    let package = offer.package;
    let may_extend = offer.assignment.as_ref().is_some_and(|assignment| {
        assignment.end.is_some()
            && offer.pending_request.is_none()
            && offer
                .policies
                .iter()
                .any(|policy| policy.id == assignment.policy_id && policy.rules.extension_allowed)
    });
    let status = match (&offer.assignment, &offer.pending_request) {
        (Some(assignment), _) => {
            let text = match assignment.end {
                Some(end) => format!("You have this until {}", request_time::date(end)),
                None => "You have this, with no end date".to_owned(),
            };
            let note = offer.pending_request.is_some().then(|| {
                view! { <p class="holding-note">"A request about it is pending. " <A href="/requests" attr:rel=rel_for("/requests")>"View request"</A></p> }
            });
            Some(view! {
                <div class="holding holding-active">
                    <p class="holding-text"><span class="holding-mark" aria-hidden="true">"✓"</span> {text}</p>
                    {note}
                    <p class="holding-actions">
                        <A href="/access" attr:rel=rel_for("/access")>{if may_extend { "Request more time" } else { "See your access" }}</A>
                    </p>
                </div>
            }
            .into_any())
        }
        (None, Some(_)) => {
            let text = match &pending {
                Some(view) => format!(
                    "Request pending since {}",
                    request_time::date(view.request.created_at)
                ),
                None => "Request pending".to_owned(),
            };
            Some(view! {
                <div class="holding holding-pending">
                    <p class="holding-text"><span class="holding-mark" aria-hidden="true">"…"</span> {text}</p>
                    <p class="holding-actions"><A href="/requests" attr:rel=rel_for("/requests")>"View request"</A></p>
                </div>
            }
            .into_any())
        }
        (None, None) => None,
    };
    let held = offer.assignment.is_some() || offer.pending_request.is_some();
    view! {
        <article class="card package-card" class:held=held aria-labelledby=labelled_by>
            <h2 id=heading_id><A href=href.clone() attr:rel=rel_for(&href)>{package.name}</A></h2>
            <p class="catalog">"Catalog: " {offer.catalog_name}</p>
            {status}
            {(!package.description.is_empty()).then(|| view! { <p>{package.description.clone()}</p> })}
            <h3>"Grants"</h3>
            <Grants roles=package.resource_roles/>
            <h3>"How to get it"</h3>
            {offer.policies.into_iter().map(|policy| view! { <PolicySummary policy/> }).collect_view()}
        </article>
    }
}
