//! The whole route table of the SPA (api.md, "SPA routes"), read in one place, for each of
//! the three builds (src/lib.rs; which holds which page is `entrada_domain::web_build`).

use entrada_domain::web_build::WebBuild;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes, A};
use leptos_router::hooks::use_navigate;
use leptos_router::{path, NavigateOptions};

use crate::api;
use crate::components::{set_page_title, Loading, MeResource, PublicLayout, SignedInLayout};
use crate::pages::access::AccessPage;
use crate::pages::access_package::AccessPackagePage;
use crate::pages::admin::{
    AdminArea, AdminHome, AnyPartnerWizard, AuditPage, CatalogPage, DepartmentWizard,
    DirectoryUsersWizard, EditPolicyPage, IntegrationsPage, NewPolicyPage, OrganizationsPage,
    OutboxPage, PackagePage, PackageReportPage, PersonReportPage, ResourceReportPage, SettingsPage,
    SpecificPartnersWizard,
};
use crate::pages::approvals::{ApprovalPage, ApprovalsPage};
use crate::pages::my_access::MyAccessPage;
use crate::pages::not_found::NotFoundPage;
use crate::pages::notifications::NotificationsPage;
use crate::pages::requests::RequestsPage;
use crate::pages::sign_in::SignInPage;
use crate::pages::sign_up::{SignUpPage, VerifySignUpPage};

/// The route table, written once for the three builds: `$fallback` answers a path the
/// build does not hold, `$public` are the pages outside the signed-in frame beside
/// `/sign-in`, and `$signed_in` the pages inside it beside My Access.
macro_rules! app {
    (fallback: $fallback:ident, public: { $($public:tt)* }, signed_in: { $($signed_in:tt)* }) => {
        view! {
            <Router>
                <NavigatorBridge/>
                <Routes fallback=$fallback>
                    <Route path=path!("/sign-in") view=SignInPage/>
                    $($public)*
                    <ParentRoute path=path!("") view=SignedInLayout>
                        <Route path=path!("/") view=MyAccessPage/>
                        $($signed_in)*
                    </ParentRoute>
                </Routes>
            </Router>
        }
    };
}

/// The portal's pages beside sign-in and My Access: requests, approvals, sign-up, your
/// access, e-mail settings (the `public` and `signed_in` halves of [`app!`]).
macro_rules! portal_routes {
    ($($admin:tt)*) => {
        app! {
            fallback: NotFoundPage,
            public: {
                <Route path=path!("/sign-up") view=SignUpPage/>
                <Route path=path!("/sign-up/verify") view=VerifySignUpPage/>
            },
            signed_in: {
                <Route path=path!("/access-packages/:id") view=AccessPackagePage/>
                <Route path=path!("/access") view=AccessPage/>
                <Route path=path!("/requests") view=RequestsPage/>
                <Route path=path!("/approvals") view=ApprovalsPage/>
                <Route path=path!("/approvals/:id") view=ApprovalPage/>
                <Route path=path!("/notifications") view=NotificationsPage/>
                $($admin)*
            }
        }
    };
}

/// `rel="external"` for a link to a page the running build does not hold, so that
/// following it loads the page from the server (which sends the build that holds it)
/// instead of the router answering it here.
pub(crate) fn rel_for(path: &str) -> Option<&'static str> {
    // Which build is running: each app provides it; without one, the whole app.
    let build = use_context::<WebBuild>().unwrap_or(WebBuild::Admin);
    (!build.holds(path)).then_some("external")
}

/// Once My Access has shown its list: asks the browser to fetch, at its idle priority, the
/// portal's wasm and JS, which the first load's page names (`<meta name="entrada-prefetch">`,
/// written by `cargo xtask build`), so that following a link to a package's page costs no
/// download. Waiting for the list keeps the download from slowing it on a slow network.
/// Once per page load; the other builds' pages name nothing.
pub(crate) fn prefetch_the_portal() {
    let document = document();
    let Ok(Some(meta)) = document.query_selector("meta[name=entrada-prefetch]") else {
        return;
    };
    let files = meta.get_attribute("content").unwrap_or_default();
    meta.remove();
    let Ok(Some(head)) = document.query_selector("head") else {
        return;
    };
    for file in files.split_whitespace() {
        if let Ok(link) = document.create_element("link") {
            let _ = link.set_attribute("rel", "prefetch");
            let _ = link.set_attribute("href", file);
            let _ = link.set_attribute("crossorigin", "anonymous");
            let _ = head.append_child(&link);
        }
    }
}

/// The first-load app: sign-in and My Access, which every visit opens first. Any other
/// page loads again from the server, which sends the build that holds it.
#[component]
pub(crate) fn FirstLoadApp() -> impl IntoView {
    provide_context(WebBuild::FirstLoad);
    app! { fallback: LoadOtherBuild, public: {}, signed_in: {} }
}

/// The portal: every page but the admin area.
#[component]
pub(crate) fn PortalApp() -> impl IntoView {
    provide_context(WebBuild::Portal);
    forget_reload();
    portal_routes! {
        <Route path=path!("/admin/*rest") view=LoadOtherBuild/>
        <Route path=path!("/admin") view=LoadOtherBuild/>
    }
}

/// The whole app: the portal's routes and the admin area.
#[component]
pub(crate) fn AdminApp() -> impl IntoView {
    provide_context(WebBuild::Admin);
    forget_reload();
    portal_routes! {
        <ParentRoute path=path!("/admin") view=AdminGate>
            <Route path=path!("") view=AdminHome/>
            <Route path=path!("/catalogs/:id") view=CatalogPage/>
            <Route path=path!("/connected-organizations") view=OrganizationsPage/>
            <Route path=path!("/audit") view=AuditPage/>
            <Route path=path!("/reports/access-packages/:id") view=PackageReportPage/>
            <Route path=path!("/reports/resources/:id") view=ResourceReportPage/>
            <Route path=path!("/reports/people/:id") view=PersonReportPage/>
            <Route path=path!("/settings") view=SettingsPage/>
            <Route path=path!("/outbox") view=OutboxPage/>
            <Route path=path!("/integrations") view=IntegrationsPage/>
            <Route path=path!("/access-packages/:id") view=PackagePage/>
            <Route path=path!("/access-packages/:id/policies/new") view=NewPolicyPage/>
            <Route path=path!("/policies/:id") view=EditPolicyPage/>
            <Route path=path!("/wizards/directory-users") view=DirectoryUsersWizard/>
            <Route path=path!("/wizards/department") view=DepartmentWizard/>
            <Route path=path!("/wizards/specific-partners") view=SpecificPartnersWizard/>
            <Route path=path!("/wizards/any-partner") view=AnyPartnerWizard/>
        </ParentRoute>
    }
}

/// The path a build last reloaded to reach another build (session storage).
const BUILD_RELOAD: &str = "entrada-build-reload";

/// A build that holds more did load: a later link from a smaller build reloads again
/// instead of taking it for a loop.
fn forget_reload() {
    if let Some(storage) = window().session_storage().ok().flatten() {
        let _ = storage.remove_item(BUILD_RELOAD);
    }
}

/// A page this build does not hold, reached without a page load (a link followed inside
/// the app, or a navigation after signing in): loads the page again, which the server
/// answers with the build that holds it. Should the server answer with this build again
/// (a `dist/` without the other builds), it says so instead of reloading forever.
#[component]
fn LoadOtherBuild() -> impl IntoView {
    let location = window().location();
    let here = location.pathname().unwrap_or_default();
    let storage = window().session_storage().ok().flatten();
    let tried = storage
        .as_ref()
        .and_then(|storage| storage.get_item(BUILD_RELOAD).ok().flatten())
        .is_some_and(|tried| tried == here);
    if !tried {
        if let Some(storage) = &storage {
            let _ = storage.set_item(BUILD_RELOAD, &here);
        }
        let _ = location.reload();
        return view! { <Loading text="Opening the page…"/> }.into_any();
    }
    if let Some(storage) = &storage {
        let _ = storage.remove_item(BUILD_RELOAD);
    }
    set_page_title("Page not available");
    let page = view! {
        <h1>"Page not available"</h1>
        <p class="lead">
            "This server was built without the part of the web app that holds this page. Build the web app with "
            <code>"cargo xtask build"</code>
            ", which makes every part. "
            <a href="/">"Go to My Access"</a>
        </p>
    };
    // Inside the signed-in frame (the portal's `/admin`) the frame is already there; as the
    // first load's fallback it needs its own.
    match use_context::<MeResource>() {
        Some(_) => page.into_any(),
        None => view! { <PublicLayout><div class="narrow">{page}</div></PublicLayout> }.into_any(),
    }
}

/// Hands the router's navigate function to the API client, so that an ended session
/// leads to the sign-in page without reloading the app.
#[component]
fn NavigatorBridge() -> impl IntoView {
    let navigate = use_navigate();
    api::install_navigator(move |path| navigate(path, NavigateOptions::default()));
}

/// `/admin/…` for people without any administrative role (a guest, a member who owns no
/// catalog): one sentence saying so, instead of the admin pages each failing on their own.
/// Everyone else gets the admin area.
#[component]
fn AdminGate() -> impl IntoView {
    let sees_admin = use_context::<MeResource>()
        .and_then(|me| me.get_untracked())
        .and_then(Result::ok)
        .is_some_and(|me| me.actor().sees_admin());
    if sees_admin {
        return view! { <AdminArea/> }.into_any();
    }
    set_page_title("Admin");
    view! {
        <h1>"Admin"</h1>
        <p class="lead">
            "The admin area is for administrators and catalog owners and managers. You don't hold any of these roles. "
            <A href="/">"Find access packages"</A>
        </p>
    }
    .into_any()
}
