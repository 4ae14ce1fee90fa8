//! The whole route table of the SPA (api.md, "SPA routes"), read in one place.

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes, A};
use leptos_router::hooks::use_navigate;
use leptos_router::{path, NavigateOptions};

use crate::api;
use crate::components::{set_page_title, Loading, MeResource, SignedInLayout};
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

/// The route table, written once for both builds: `$admin` is what the signed-in frame
/// holds under `/admin`.
macro_rules! app {
    ($($admin:tt)*) => {
        view! {
            <Router>
                <NavigatorBridge/>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/sign-in") view=SignInPage/>
                    <Route path=path!("/sign-up") view=SignUpPage/>
                    <Route path=path!("/sign-up/verify") view=VerifySignUpPage/>
                    <ParentRoute path=path!("") view=SignedInLayout>
                        <Route path=path!("/") view=MyAccessPage/>
                        <Route path=path!("/access-packages/:id") view=AccessPackagePage/>
                        <Route path=path!("/access") view=AccessPage/>
                        <Route path=path!("/requests") view=RequestsPage/>
                        <Route path=path!("/approvals") view=ApprovalsPage/>
                        <Route path=path!("/approvals/:id") view=ApprovalPage/>
                        <Route path=path!("/notifications") view=NotificationsPage/>
                        $($admin)*
                    </ParentRoute>
                </Routes>
            </Router>
        }
    };
}

/// Which build is running: whether it holds the admin area, or must load it from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HoldsAdmin(pub(crate) bool);

/// The first-load app: every page but the admin area. Every page except sign-in, sign-up
/// and "not found" sits inside [`SignedInLayout`], which makes sure someone is signed in.
#[component]
pub(crate) fn PortalApp() -> impl IntoView {
    provide_context(HoldsAdmin(false));
    app! {
        <Route path=path!("/admin/*rest") view=LoadAdminArea/>
        <Route path=path!("/admin") view=LoadAdminArea/>
    }
}

/// The whole app: the portal's routes and the admin area.
#[component]
pub(crate) fn AdminApp() -> impl IntoView {
    provide_context(HoldsAdmin(true));
    // The admin build did load: a later link to /admin from the first-load build reloads
    // again instead of taking it for a loop.
    if let Some(storage) = window().session_storage().ok().flatten() {
        let _ = storage.remove_item(ADMIN_RELOAD);
    }
    app! {
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

/// The path the first-load build last reloaded to reach the admin build (session storage).
const ADMIN_RELOAD: &str = "entrada-admin-reload";

/// `/admin/…` reached inside the first-load app (a link followed without a page load):
/// loads the page again, which the server answers with the build that holds the admin
/// area. Should the server answer with this build again (an app built without its admin
/// half), it says so instead of reloading forever.
#[component]
fn LoadAdminArea() -> impl IntoView {
    let location = window().location();
    let here = location.pathname().unwrap_or_default();
    let storage = window().session_storage().ok().flatten();
    let tried = storage
        .as_ref()
        .and_then(|storage| storage.get_item(ADMIN_RELOAD).ok().flatten())
        .is_some_and(|tried| tried == here);
    if !tried {
        if let Some(storage) = &storage {
            let _ = storage.set_item(ADMIN_RELOAD, &here);
        }
        let _ = location.reload();
        return view! { <Loading text="Opening the admin area…"/> }.into_any();
    }
    if let Some(storage) = &storage {
        let _ = storage.remove_item(ADMIN_RELOAD);
    }
    set_page_title("Admin");
    view! {
        <h1>"Admin"</h1>
        <p class="lead">
            "This server was built without the admin area. Build the web app with "
            <code>"cargo xtask build"</code>
            ", which makes both halves."
        </p>
    }
    .into_any()
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
