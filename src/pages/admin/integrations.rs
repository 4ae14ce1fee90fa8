//! `/admin/integrations` (administrators): the identity systems Entrada works with here —
//! the OpenID provider people sign in through (its settings, whether it answers now, its
//! sign-ins and refusals over 30 days) and whether passwords are still accepted; the
//! LDAP / Active Directory directory Entrada syncs from, its last sync's figures and
//! errors, and "Sync now"; and SCIM provisioning (its tokens and its writes over 30 days).

use entrada_domain::api::{
    DirectoryStatus, DirectorySync, Integrations, OpenIdProviderStatus, ScimStatus,
};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::request_time::date_time;
use crate::components::{set_page_title, Loading, ProblemPanel};

use super::plural;
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
        <section class="card integration" aria-labelledby="directory-heading">
            <h2 id="directory-heading">"Directory: LDAP / Active Directory"</h2>
            {match integrations.directory {
                Some(directory) => view! { <Directory directory/> }.into_any(),
                None => view! {
                    <p>"Not configured. Start Entrada with "<code>"--ldap-url"</code>", "
                        <code>"--bind-dn"</code>", "<code>"--password-file"</code>" and "
                        <code>"--base-dn"</code>" to import people and groups from it and write grants back to its groups."</p>
                }.into_any(),
            }}
        </section>
        <ScimSection scim=integrations.scim/>
    }
}

#[component]
fn Directory(directory: DirectoryStatus) -> impl IntoView {
    let last = RwSignal::new(directory.last_sync.clone());
    let last_success = RwSignal::new(directory.last_success_at);
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let run = move |full: bool| {
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            match api::sync_directory(full).await {
                Ok(sync) => {
                    if sync.error.is_none() {
                        last_success.try_set(Some(sync.started_at));
                    }
                    last.try_set(Some(sync));
                }
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
            busy.try_set(false);
        });
    };
    let success = move || {
        last_success
            .get()
            .map(date_time)
            .unwrap_or_else(|| "never".to_owned())
    };
    view! {
        <dl class="review-list">
            <dt>"Server"</dt><dd><code>{directory.url}</code></dd>
            <dt>"Bound as"</dt><dd><code>{directory.bind_dn}</code></dd>
            <dt>"Base"</dt><dd><code>{directory.base_dn}</code></dd>
            <dt>"People are"</dt><dd><code>{directory.user_filter}</code></dd>
            <dt>"Groups are"</dt><dd><code>{directory.group_filter}</code></dd>
            <dt>"Synced"</dt><dd>{format!("every {} minutes", directory.every_minutes)}</dd>
            <dt>"From the directory"</dt><dd>{format!(
                "{}, {}",
                plural(directory.people_linked, "person", "people"),
                plural(directory.groups_linked, "group", "groups")
            )}</dd>
            <dt>"Last sync that worked"</dt><dd>{success}</dd>
        </dl>
        {move || last.get().map(|sync| view! { <LastSync sync/> })}
        {move || problem.get().map(|text| view! { <p class="alert-box" role="alert">{text}</p> })}
        <div class="actions">
            <button type="button" class="button" disabled=move || busy.get() on:click=move |_| run(false)>
                {move || if busy.get() { "Syncing…" } else { "Sync now" }}
            </button>
            <button type="button" class="button secondary" disabled=move || busy.get() on:click=move |_| run(true)>"Full sync"</button>
        </div>
    }
}

#[component]
fn LastSync(sync: DirectorySync) -> impl IntoView {
    let heading = format!(
        "Last sync: {} ({}, {})",
        date_time(sync.started_at),
        sync.mode_words(),
        sync.started_by_words()
    );
    let figures = sync.figures;
    let outcome = match sync.error {
        Some(error) => view! { <p class="alert-box" role="alert">"It failed: " {error}</p> }.into_any(),
        None => view! {
            <table class="figures">
                <thead><tr><th scope="col"></th><th scope="col">"Seen"</th><th scope="col">"New"</th><th scope="col">"Changed"</th><th scope="col">"Gone"</th></tr></thead>
                <tbody>
                    <tr><th scope="row">"People"</th><td>{figures.people_seen}</td><td>{figures.people_added}</td><td>{figures.people_changed}</td><td>{figures.people_blocked}</td></tr>
                    <tr><th scope="row">"Groups"</th><td>{figures.groups_seen}</td><td>{figures.groups_added}</td><td>{figures.groups_changed}</td><td>{figures.groups_removed}</td></tr>
                    <tr><th scope="row">"Members"</th><td></td><td>{figures.memberships_added}</td><td></td><td>{figures.memberships_removed}</td></tr>
                </tbody>
            </table>
            <p class="muted">{format!(
                "Members: group memberships from the directory. Gone: people who left it, blocked; groups and memberships it no longer has, removed. {} came back and were unblocked. Grants written to the directory: {}, taken back: {}.",
                figures.people_unblocked, figures.written_back, figures.taken_back
            )}</p>
        }.into_any(),
    };
    let problems = sync.problems;
    let count = problems.len();
    view! {
        <h3>{heading}</h3>
        {outcome}
        {(count > 0).then(|| view! {
            <details class="sync-problems">
                <summary>{format!("{} could not be taken", plural(count as u64, "entry", "entries"))}</summary>
                <ul>{problems.into_iter().map(|text| view! { <li>{text}</li> }).collect_view()}</ul>
            </details>
        })}
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
