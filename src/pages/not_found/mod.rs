use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{set_page_title, PublicLayout};

/// Any path the SPA doesn't know.
#[component]
pub(crate) fn NotFoundPage() -> impl IntoView {
    set_page_title("Page not found");
    view! {
        <PublicLayout>
            <div class="narrow">
                <h1>"Page not found"</h1>
                <p>"There is no page at this address. Check the link, or start again from My Access."</p>
                <p><A href="/">"Go to My Access"</A></p>
            </div>
        </PublicLayout>
    }
}
