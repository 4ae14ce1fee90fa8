use leptos::prelude::*;

/// A status line while something loads; screen readers hear it through `role="status"`.
#[component]
pub(crate) fn Loading(#[prop(into)] text: String) -> impl IntoView {
    view! {
        <p class="loading" role="status">
            <span class="spinner" aria-hidden="true"></span>
            {text}
        </p>
    }
}
