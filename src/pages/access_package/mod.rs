use entrada_domain::api::PackageOffer;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::{set_page_title, CopyLink, Grants, Loading, PolicySummary, ProblemPanel};

/// `/access-packages/:id`: the stable direct link to one package, as the person may see it
/// (hidden packages too).
#[component]
pub(crate) fn AccessPackagePage() -> impl IntoView {
    set_page_title("Access package");
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let offer = LocalResource::new(move || api::access_package(id.get()));

    let content = move || {
        Suspend::new(async move {
            match offer.await {
                Ok(offer) => view! { <PackageDetail offer/> }.into_any(),
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
        <Transition fallback=|| view! { <Loading text="Loading access package…"/> }>{content}</Transition>
    }
}

#[component]
fn PackageDetail(offer: PackageOffer) -> impl IntoView {
    set_page_title(&offer.package.name);
    let requestable = offer.requestable();
    let package = offer.package;
    let policy_names: Vec<String> = offer
        .policies
        .iter()
        .map(|policy| policy.rules.name.clone())
        .collect();
    let link_path = format!("/access-packages/{}", package.id);
    view! {
        <article class="package-detail">
            <h1>{package.name}</h1>
            <p class="catalog">"Catalog: " {offer.catalog_name}</p>
            {(!package.description.is_empty()).then(|| view! { <p class="lead">{package.description.clone()}</p> })}
            {package.hidden.then(|| view! {
                <p class="muted">"This package isn't listed in My Access; people reach it through its link."</p>
            })}
            <CopyLink path=link_path/>

            <section class="card" aria-labelledby="grants-heading">
                <h2 id="grants-heading">"What it grants"</h2>
                <Grants roles=package.resource_roles/>
            </section>

            <section class="card" aria-labelledby="policies-heading">
                <h2 id="policies-heading">"Policies you can request through"</h2>
                {match requestable {
                    true => offer
                        .policies
                        .into_iter()
                        .map(|policy| view! { <PolicySummary policy detailed=true/> })
                        .collect_view()
                        .into_any(),
                    false => view! {
                        <p>"None of this package's policies lets you request it. Ask the people who manage it if you need this access."</p>
                    }
                    .into_any(),
                }}
            </section>

            <section class="card" aria-labelledby="request-heading">
                <h2 id="request-heading">"Request access"</h2>
                {requestable.then(|| {
                    let through = policy_names.join(", ");
                    view! { <p>"You could request this package through: " <strong>{through}</strong> "."</p> }
                })}
                <p class="notice">"Requests can't be submitted yet."</p>
            </section>
        </article>
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
