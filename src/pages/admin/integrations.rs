//! `/admin/integrations` (administrators): the identity systems Entrada works with here —
//! the OpenID provider people sign in through (its settings, whether it answers now, its
//! sign-ins and refusals over 30 days), whether passwords are still accepted, and SCIM
//! provisioning (its tokens and its writes over 30 days).

use entrada_domain::api::{Integrations, OpenIdProviderStatus, ScimStatus};
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
        <ScimSection scim=integrations.scim/>
    }
}

/// SCIM provisioning: the identity provider's tokens and what it wrote in 30 days.
#[component]
fn ScimSection(scim: ScimStatus) -> impl IntoView {
    let tokens = match scim.tokens.is_empty() {
        true => view! {
            <p>"No tokens yet. Make one on the server with "<code>"entrada scim token create --name okta"</code>
                " and give the identity provider the address "<code>"https://HOST/scim/v2"</code>" with it."</p>
        }.into_any(),
        false => view! {
            <table>
                <thead><tr><th scope="col">"Token"</th><th scope="col">"Made"</th><th scope="col">"Last used"</th></tr></thead>
                <tbody>
                    {scim.tokens.into_iter().map(|token| view! {
                        <tr>
                            <td>{token.name}{token.revoked.then_some(" (revoked)")}</td>
                            <td>{date_time(token.created_at)}</td>
                            <td>{token.last_used_at.map(date_time).unwrap_or_else(|| "never".to_owned())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }.into_any(),
    };
    let writes = match scim.writes_last_30_days.is_empty() {
        true => view! { <p class="muted">"No SCIM writes in the last 30 days."</p> }.into_any(),
        false => view! {
            <dl class="review-list">
                {scim.writes_last_30_days.into_iter().map(|write| view! {
                    <dt>{write.action.label()}</dt><dd>{write.count}</dd>
                }).collect_view()}
            </dl>
        }
        .into_any(),
    };
    view! {
        <section class="card integration" aria-labelledby="scim-heading">
            <h2 id="scim-heading">"Provisioning: SCIM"</h2>
            {tokens}
            <h3>"Last 30 days"</h3>
            {writes}
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
