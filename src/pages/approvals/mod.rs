use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::set_page_title;

/// `/approvals`: requests waiting for the person's decision.
#[component]
pub(crate) fn ApprovalsPage() -> impl IntoView {
    set_page_title("Approvals");
    view! {
        <h1>"Approvals"</h1>
        <p>
            "Requests waiting for your decision will be listed here. "
            "This part of Entrada isn't built yet."
        </p>
    }
}

/// `/approvals/:id`: one request to approve or deny.
#[component]
pub(crate) fn ApprovalPage() -> impl IntoView {
    set_page_title("Approval");
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    view! {
        <h1>"Approval"</h1>
        <p>
            "Request " <code>{id}</code> " will be shown here, so that you can approve or deny it with a reason. "
            "This part of Entrada isn't built yet."
        </p>
        <p><A href="/approvals">"Back to Approvals"</A></p>
    }
}
