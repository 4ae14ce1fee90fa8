//! The Entrada SPA: the My Access portal, approvals and the admin area, rendered in the
//! browser by Leptos and built by Trunk into `dist/`.
//!
//! It is built three times, as three binaries of this one library (issue 12: the first
//! load's size), and the server sends for each page the build that holds it:
//! - `entrada` (`src/main.rs`, `dist/`): sign-in and My Access, the pages every visit
//!   opens first;
//! - `entrada-portal` (`src/bin/portal.rs`, `dist/portal/`): every page but the admin
//!   area: a package's page and its request form, your access, requests, approvals,
//!   sign-up, e-mail settings. The first load prefetches it once it has loaded, so that
//!   following a link to one of these pages costs no download;
//! - `entrada-admin` (`src/bin/admin.rs`, `dist/admin/`): the whole app with the admin
//!   area, which most people never open, so they never download it.
//!
//! A link to a page the running build does not hold loads the page ([`app::rel_for`]).
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

/// Starts the first-load app: sign-in and My Access.
pub fn start_first_load() {
    start(app::FirstLoadApp);
}

/// Starts the portal: every page but the admin area.
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
