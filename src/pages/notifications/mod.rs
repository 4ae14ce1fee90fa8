//! `/notifications`: which e-mail the signed-in person gets. A checkbox for each kind they
//! may turn off; the kinds that always go out are listed as such.

use entrada_domain::notification::{KindPreference, NotificationPreferencesPatch};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{set_page_title, Loading, ProblemPanel};

/// `/notifications`.
#[component]
pub(crate) fn NotificationsPage() -> impl IntoView {
    set_page_title("E-mail notifications");
    let loaded = RwSignal::new(None::<Result<Vec<KindPreference>, ApiError>>);
    let load = move || {
        leptos::task::spawn_local(async move {
            let answer = api::notification_preferences()
                .await
                .map(|prefs| prefs.kinds);
            loaded.try_set(Some(answer));
        });
    };
    load();
    let body = move || match loaded.get() {
        None => view! { <Loading text="Loading your e-mail settings…"/> }.into_any(),
        Some(Err(error)) => {
            let retry = Callback::new(move |()| load());
            view! { <ProblemPanel error retry/> }.into_any()
        }
        Some(Ok(kinds)) => view! { <PreferencesForm kinds/> }.into_any(),
    };
    view! {
        <h1>"E-mail notifications"</h1>
        <p class="lead">"Entrada e-mails you when something needs you or changes your access. Choose which of the optional messages you get."</p>
        {body}
    }
}

#[component]
fn PreferencesForm(kinds: Vec<KindPreference>) -> impl IntoView {
    let (optional, required): (Vec<_>, Vec<_>) = kinds.into_iter().partition(|k| k.optional);
    let choices: Vec<(KindPreference, RwSignal<bool>)> = optional
        .into_iter()
        .map(|kind| {
            let on = RwSignal::new(kind.enabled);
            (kind, on)
        })
        .collect();
    let status = RwSignal::new(None::<Result<String, String>>);
    let saving = RwSignal::new(false);
    let to_save = choices.clone();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if saving.get_untracked() {
            return;
        }
        let patch = NotificationPreferencesPatch {
            kinds: to_save
                .iter()
                .map(|(kind, on)| (kind.kind, on.get_untracked()))
                .collect(),
        };
        saving.set(true);
        status.set(None);
        leptos::task::spawn_local(async move {
            let answer = api::change_notification_preferences(patch).await;
            saving.try_set(false);
            status.try_set(Some(match answer {
                Ok(_) => Ok("Saved. Your e-mail settings are up to date.".to_owned()),
                Err(error) => Err(error.message().to_owned()),
            }));
        });
    };
    let saved = move || status.get().and_then(Result::ok);
    let failed = move || status.get().and_then(Result::err);
    view! {
        <form class="card form-section narrow-form notification-form" on:submit=submit novalidate>
            <fieldset>
                <legend>"Messages you can turn off"</legend>
                {choices.into_iter().map(|(kind, on)| {
                    let id = format!("notify-{}", kind.kind.as_str());
                    view! {
                        <div class="field check">
                            <input id=id.clone() type="checkbox"
                                prop:checked=move || on.get()
                                on:change=move |event| on.set(event_target_checked(&event))/>
                            <label for=id>{kind.label.clone()}</label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <h2 class="always-heading">"Always sent"</h2>
            <p class="hint">"These tell you that something waits for you or what was decided about your requests, so they can't be turned off."</p>
            <ul class="always-sent">
                {required.into_iter().map(|kind| view! { <li>{kind.label}</li> }).collect_view()}
            </ul>
            <div class="actions">
                <button type="submit" class="button" disabled=move || saving.get()>
                    {move || if saving.get() { "Saving…" } else { "Save" }}
                </button>
            </div>
            <p class="status-line" role="status" aria-live="polite">{saved}</p>
            <p class="alert" role="alert">{failed}</p>
        </form>
    }
}
