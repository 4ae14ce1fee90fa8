//! `/admin/integrations` (administrators): the identity systems Entrada works with here —
//! the OpenID provider people sign in through (its settings, whether it answers now, its
//! sign-ins and refusals over 30 days) and whether passwords are still accepted.

use entrada_domain::api::{Integrations, OpenIdProviderStatus};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::request_time::date_time;
use crate::components::{set_page_title, Loading, ProblemPanel};

use super::shared::administers_organization;

/// `/admin/integrations`.
#[component]
pub(crate) fn IntegrationsPage() -> impl IntoView {
    set_page_title("Integrations");
    let allowed = administers_organization();
    if !allowed {
        return view! {
            <h1>"Integrations"</h1>
            <p class="lead">"Integrations are for administrators. You aren't one. " <A href="/admin">"Back to Admin"</A></p>
        }
        .into_any();
    }
    let status = LocalResource::new(api::integrations);
    let retry = Callback::new(move |()| status.refetch());
    let body = move || {
        status.get().map(|result| match result {
            Ok(integrations) => view! { <IntegrationCards integrations/> }.into_any(),
            Err(error) => view! { <ProblemPanel error retry/> }.into_any(),
        })
    };
    view! {
        <h1>"Integrations"</h1>
        <p class="lead">"The identity systems Entrada works with here. They are set when the server starts (see the README)."</p>
        <Transition fallback=|| view! { <Loading text="Checking the integrations…"/> }>{body}</Transition>
    }
    .into_any()
}

#[component]
fn IntegrationCards(integrations: Integrations) -> impl IntoView {
    let passwords = match integrations.password_sign_in {
        true => "People may also sign in with an e-mail address and a password.",
        false => {
            "Signing in with a password is turned off: only the OpenID provider signs people in."
        }
    };
    view! {
        <section class="card integration" aria-labelledby="oidc-heading">
            <h2 id="oidc-heading">"Sign-in: OpenID provider"</h2>
            {match integrations.open_id_provider {
                Some(provider) => view! { <Provider provider/> }.into_any(),
                None => view! {
                    <p>"Not configured. Start Entrada with "<code>"--oidc-issuer"</code>", "
                        <code>"--oidc-client-id"</code>" and "<code>"--oidc-client-secret-file"</code>
                        " to offer “Sign in with …” on the sign-in page."</p>
                }.into_any(),
            }}
            <p class="muted">{passwords}</p>
        </section>
    }
}

#[component]
fn Provider(provider: OpenIdProviderStatus) -> impl IntoView {
    let health = match &provider.error {
        None => view! { <p class="notice smtp-on" role="status">"Reachable: its discovery document and keys were read just now."</p> }.into_any(),
        Some(error) => view! {
            <p class="alert-box" role="alert">"Not reachable: " {error.clone()}
                ". People cannot sign in through it until it answers."</p>
        }.into_any(),
    };
    let last = provider
        .last_sign_in
        .map(date_time)
        .unwrap_or_else(|| "never".to_owned());
    view! {
        {health}
        <dl class="review-list">
            <dt>"Shown as"</dt><dd>{format!("Sign in with {}", provider.name)}</dd>
            <dt>"Issuer"</dt><dd><code>{provider.issuer}</code></dd>
            <dt>"Client id"</dt><dd><code>{provider.client_id}</code></dd>
            <dt>"People matched by"</dt><dd>{format!("the {} claim, against their e-mail address", provider.claim)}</dd>
            <dt>"Sign-ins, last 30 days"</dt><dd>{provider.sign_ins_last_30_days}</dd>
            <dt>"Refused, last 30 days"</dt><dd>{provider.refused_last_30_days}</dd>
            <dt>"Last sign-in"</dt><dd>{last}</dd>
        </dl>
    }
}
