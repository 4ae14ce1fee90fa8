//! The Entrada SPA: the My Access portal, approvals and the admin area, rendered in the
//! browser by Leptos and built by Trunk into `dist/`.
//!
//! It is built twice, as two binaries of this one library: `entrada` (`src/main.rs`, the
//! first load of everyone: My Access, requests, approvals, sign-in and sign-up) and
//! `entrada-admin` (`src/bin/admin.rs`, the whole app with the admin area, which Trunk puts
//! in `dist/admin/` and the server sends for `/admin/…`). Most people never open the admin
//! area, so they never download it (issue 12: the first load's size).
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

/// Starts the first-load app: every page but the admin area, which it leaves to the server
/// to answer with the other build.
pub fn start_portal() {
    start(app::PortalApp);
}

/// Starts the whole app, admin area included.
pub fn start_admin() {
    start(app::AdminApp);
}

fn start<V: IntoView + 'static>(app: fn() -> V) {
    console_error_panic_hook::set_once();
    // The static shell of index.html painted while the web app downloaded; the app's own
    // header and page replace it.
    if let Some(shell) = document().get_element_by_id("boot") {
        shell.remove();
    }
    mount_to_body(app);
}
