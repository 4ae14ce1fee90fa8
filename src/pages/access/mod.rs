use leptos::prelude::*;

use crate::components::set_page_title;

/// `/access`: the access packages the person holds.
#[component]
pub(crate) fn AccessPage() -> impl IntoView {
    set_page_title("Access");
    view! {
        <h1>"Access"</h1>
        <p>
            "Your active and expired access will be listed here, with end dates. "
            "This part of Entrada isn't built yet."
        </p>
    }
}
