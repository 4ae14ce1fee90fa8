use entrada_domain::api::Me;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::{use_location, use_navigate};
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};
use crate::app::rel_for;
use crate::components::focus::focus_now;
use crate::components::{Loading, ProblemPanel};

/// The signed-in person, loaded once by [`SignedInLayout`] and shared through context.
pub(crate) type MeResource = LocalResource<Result<Me, ApiError>>;

/// The frame of every signed-in page: the header with the main navigation and the
/// person's name, and `<main>`. It loads `Me` once; when that answers 401 the API client
/// has already sent the person to sign in, so the pages below render only for a known
/// person.
#[component]
pub(crate) fn SignedInLayout() -> impl IntoView {
    let me: MeResource = LocalResource::new(api::me);
    provide_context(me);
    let person = move || me.get().and_then(Result::ok);
    let name = move || person().map(|me| me.user.display_name);
    let sees_admin = move || person().is_some_and(|me| me.actor().sees_admin());

    let sign_out = Action::new_local(|_: &()| api::sign_out());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            navigate("/sign-in", Default::default());
        }
    });
    let sign_out_error = move || match sign_out.value().get() {
        Some(Err(error)) => Some(format!("Signing out didn't work: {}", error.message())),
        _ => None,
    };

    // After a navigation to another page, move keyboard focus to the start of the new
    // page's content, so that screen readers announce it instead of staying on the link.
    // A link to a page another build holds loads the page (src/app.rs): that too is a
    // navigation inside the app, and focus goes to the same place.
    let location = use_location();
    let menu_open = RwSignal::new(false);
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        let arrived = match &previous {
            Some(previous) => *previous != path,
            None => loaded_from_another_page_of_the_app(&path),
        };
        if arrived {
            menu_open.set(false);
            focus_main();
        }
        path
    });
    let close_on_escape = move |event: leptos::ev::KeyboardEvent| {
        if event.key() == "Escape" && menu_open.get_untracked() {
            menu_open.set(false);
            focus_now("site-menu-button");
        }
    };

    // Approvals shows for people with requests waiting for their decision, with how many
    // (asked once per load), and on the approvals pages themselves.
    let approvals = LocalResource::new(api::approvals);
    let waiting = Signal::derive(move || {
        approvals
            .get()
            .and_then(Result::ok)
            .map_or(0, |waiting| waiting.len())
    });
    let shows_approvals =
        move || waiting.get() > 0 || location.pathname.get().starts_with("/approvals");
    let approvals_label = move || match waiting.get() {
        0 => "Approvals".to_owned(),
        n => format!("Approvals, {n} waiting"),
    };

    let content = move || {
        Suspend::new(async move {
            match me.await {
                Ok(_) => view! { <Outlet/> }.into_any(),
                Err(error) => {
                    let retry = Callback::new(move |()| me.refetch());
                    view! { <ProblemPanel error retry/> }.into_any()
                }
            }
        })
    };

    view! {
        <SkipLink/>
        <header class="site-header" on:keydown=close_on_escape>
            <div class="bar">
                <a class="brand" href="/">"Entrada"</a>
                <button
                    type="button"
                    id="site-menu-button"
                    class="menu-button"
                    aria-controls="site-menu"
                    aria-expanded=move || menu_open.get().to_string()
                    on:click=move |_| menu_open.update(|open| *open = !*open)
                >
                    <span class="menu-icon" aria-hidden="true"></span>
                    "Menu"
                </button>
                <nav
                    id="site-menu"
                    aria-label="Main"
                    class="site-menu"
                    class:open=move || menu_open.get()
                >
                    <ul>
                        <li><A href="/">"Access packages"</A></li>
                        <li><A href="/access" attr:rel=rel_for("/access")>"Your access"</A></li>
                        <li><A href="/requests" attr:rel=rel_for("/requests")>"Requests"</A></li>
                        <Show when=shows_approvals>
                            <li>
                                <A href="/approvals" attr:rel=rel_for("/approvals") attr:aria-label=approvals_label>
                                    "Approvals"
                                    {move || (waiting.get() > 0).then(|| view! {
                                        " " <span class="nav-badge">{waiting.get()}</span>
                                    })}
                                </A>
                            </li>
                        </Show>
                        <Show when=sees_admin>
                            <li><A href="/admin" attr:rel=rel_for("/admin")>"Admin"</A></li>
                        </Show>
                        <li class="menu-only"><A href="/notifications" attr:rel=rel_for("/notifications")>"E-mail settings"</A></li>
                    </ul>
                </nav>
                <div class="account">
                    <span class="person">{name}</span>
                    <A href="/notifications" attr:rel=rel_for("/notifications") attr:class="account-link">"E-mail settings"</A>
                    <button
                        type="button"
                        class="button secondary small"
                        on:click=move |_| { sign_out.dispatch_local(()); }
                        disabled=move || sign_out.pending().get()
                    >
                        {move || if sign_out.pending().get() { "Signing out…" } else { "Sign out" }}
                    </button>
                </div>
            </div>
            <p class="header-alert" role="alert">{sign_out_error}</p>
        </header>
        <main id="main" tabindex="-1">
            <Suspense fallback=|| view! { <Loading text="Loading your account…"/> }>{content}</Suspense>
        </main>
    }
}

/// The frame of pages that need no session: sign-in, sign-up and "not found".
#[component]
pub(crate) fn PublicLayout(children: Children) -> impl IntoView {
    view! {
        <SkipLink/>
        <header class="site-header">
            <div class="bar">
                <a class="brand" href="/">"Entrada"</a>
            </div>
        </header>
        <main id="main" tabindex="-1">{children()}</main>
    }
}

/// "Skip to main content": moves keyboard focus past the header. It focuses `<main>`
/// itself because the router would otherwise treat `#main` as a navigation.
#[component]
fn SkipLink() -> impl IntoView {
    let skip = |event: leptos::ev::MouseEvent| {
        event.prevent_default();
        focus_main();
    };
    view! { <a class="skip-link" href="#main" on:click=skip>"Skip to main content"</a> }
}

/// Whether this page load came from following a link on another page of the app (the
/// server's `Referrer-Policy: same-origin` gives the page it came from), rather than from
/// an e-mail, a bookmark or the address bar.
fn loaded_from_another_page_of_the_app(path: &str) -> bool {
    let origin = window().location().origin().unwrap_or_default();
    let referrer = document().referrer();
    referrer
        .strip_prefix(&origin)
        .and_then(|rest| rest.split(['?', '#']).next())
        .is_some_and(|from| from.starts_with('/') && from != path)
}

/// Moves keyboard focus to the start of the page's content, `<main>`:
/// after a navigation, and after signing in.
pub(crate) fn focus_main() {
    let main = document()
        .get_element_by_id("main")
        .and_then(|main| main.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(main) = main {
        let _ = main.focus();
    }
}
