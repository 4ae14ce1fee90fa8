use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::Loading;

/// A failed load, explained in the server's words, with a way to try again when that can
/// help. A 401 shows no problem at all: the API client is already taking the person to
/// sign in.
#[component]
pub(crate) fn ProblemPanel(
    error: ApiError,
    /// Called by the "Try again" button; without it there is no button.
    #[prop(optional)]
    retry: Option<Callback<()>>,
) -> impl IntoView {
    if error.status == 401 {
        return view! { <Loading text="Taking you to sign in…"/> }.into_any();
    }
    let retry = retry.filter(|_| error.status == 0 || error.status >= 500);
    view! {
        <section class="problem" role="alert">
            <h2>{error.title.clone()}</h2>
            <p>{error.message().to_owned()}</p>
            {retry.map(|retry| view! {
                <button type="button" class="button secondary" on:click=move |_| retry.run(())>"Try again"</button>
            })}
        </section>
    }
    .into_any()
}
