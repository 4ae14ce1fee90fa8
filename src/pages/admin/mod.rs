use entrada_domain::permission::GlobalRole;
use leptos::prelude::*;
use leptos_router::components::Outlet;

use crate::components::{set_page_title, MeResource};

/// `/admin/…`: the frame of the admin area. Its sections (catalogs, packages, policies,
/// connected organisations, audit, reports, settings) will be routes below it.
#[component]
pub(crate) fn AdminArea() -> impl IntoView {
    view! {
        <div class="admin-area">
            <Outlet/>
        </div>
    }
}

/// `/admin`: what the person may administer.
#[component]
pub(crate) fn AdminHome() -> impl IntoView {
    set_page_title("Admin");
    let me = use_context::<MeResource>()
        .and_then(|me| me.get_untracked())
        .and_then(Result::ok);
    let roles = me.map(|me| {
        let mut roles: Vec<String> = me
            .global_roles
            .iter()
            .map(|role| match role {
                GlobalRole::Administrator => "Administrator".to_owned(),
                GlobalRole::CatalogCreator => "Catalog creator".to_owned(),
            })
            .collect();
        roles.extend(
            me.catalog_roles
                .iter()
                .map(|grant| format!("{} of {}", grant.role.label(), grant.catalog_name)),
        );
        roles
    });
    let roles = roles.unwrap_or_default();
    if roles.is_empty() {
        return view! {
            <h1>"Admin"</h1>
            <p>"You don't hold any administrative role, so there is nothing for you to manage here."</p>
        }
        .into_any();
    }
    view! {
        <h1>"Admin"</h1>
        <p>"Your roles:"</p>
        <ul class="plain-list">{roles.into_iter().map(|role| view! { <li>{role}</li> }).collect_view()}</ul>
        <p>
            "Catalogs, access packages, policies, connected organisations, the audit log and reports will be managed here. "
            "This part of Entrada isn't built yet."
        </p>
    }
    .into_any()
}
