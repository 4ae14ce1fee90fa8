use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{set_page_title, PublicLayout};

/// `/sign-up`: where people from partner organisations will create an account.
#[component]
pub(crate) fn SignUpPage() -> impl IntoView {
    set_page_title("Sign up");
    view! {
        <PublicLayout>
            <div class="narrow">
                <h1>"Sign up"</h1>
                <p>
                    "People from partner organisations will be able to sign up here with their e-mail address. "
                    "This part of Entrada isn't built yet."
                </p>
                <p><A href="/sign-in">"Sign in with an existing account"</A></p>
            </div>
        </PublicLayout>
    }
}
