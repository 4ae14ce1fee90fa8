//! The Entrada SPA: the My Access portal, approvals and the admin area, rendered in the
//! browser by Leptos and built by Trunk into `dist/`.
//!
//! Architecture invariant: `api.rs` is the only module that talks to the network, and the
//! SPA decides nothing on its own. It validates forms with the same `entrada-domain`
//! functions the server runs again, and it only hides what the server would refuse.

mod api;
mod app;
mod components;
mod pages;
mod url;

use leptos::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    // The static shell of index.html painted while the web app downloaded; the app's own
    // header and page replace it.
    if let Some(shell) = document().get_element_by_id("boot") {
        shell.remove();
    }
    mount_to_body(app::App);
}
