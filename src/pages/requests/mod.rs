use leptos::prelude::*;

use crate::components::set_page_title;

/// `/requests`: the history of the person's requests.
#[component]
pub(crate) fn RequestsPage() -> impl IntoView {
    set_page_title("Requests");
    view! {
        <h1>"Requests"</h1>
        <p>
            "Your requests will be listed here, with each decision and their state. "
            "This part of Entrada isn't built yet."
        </p>
    }
}
