//! Pieces the admin pages share: the signed-in person, the status line of changes, the
//! guard against leaving unsaved work, and the catalog and package fields.

use std::cell::{Cell, RefCell};
use std::future::Future;

use entrada_domain::admin::{CatalogDraft, PackageDraft};
use entrada_domain::api::Me;
use entrada_domain::catalog::{group_roles, ResourceKind, ResourceRole};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::api::ApiError;
use crate::components::form::{Checkbox, Feedback, TextInput};
use crate::components::MeResource;

/// The signed-in person (the layout loads them before any admin page renders).
pub(crate) fn me() -> Option<Me> {
    use_context::<MeResource>()
        .and_then(|me| me.get_untracked())
        .and_then(Result::ok)
}

/// Whether the signed-in person administers the organisation (the outbox, settings,
/// connected organisations and integrations are theirs).
pub(crate) fn administers_organization() -> bool {
    me().is_some_and(|me| {
        entrada_domain::permission::may(
            &me.actor(),
            entrada_domain::permission::Action::ManageOrganization,
            &entrada_domain::permission::Target::Organization,
        )
    })
}

/// Where a change started from a page stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Status {
    #[default]
    Idle,
    Busy(String),
    Done(String),
    Failed(ApiError),
}

impl Status {
    pub(crate) fn is_busy(&self) -> bool {
        matches!(self, Status::Busy(_))
    }

    /// What is under way, for a status line next to a form's button.
    pub(crate) fn busy_text(&self) -> Option<String> {
        match self {
            Status::Busy(text) => Some(text.clone()),
            _ => None,
        }
    }
}

/// Runs one change: says it is under way, then that it worked (and calls `done`) or what
/// the server said. 401s are the API client's: it is already taking the person to sign in.
pub(crate) fn perform<T: 'static>(
    status: RwSignal<Status>,
    busy: &str,
    success: String,
    change: impl Future<Output = Result<T, ApiError>> + 'static,
    done: impl FnOnce(T) + 'static,
) {
    if matches!(status.get_untracked(), Status::Busy(_)) {
        return;
    }
    status.set(Status::Busy(busy.to_owned()));
    leptos::task::spawn_local(async move {
        match change.await {
            Ok(value) => {
                status.set(Status::Done(success));
                done(value);
            }
            Err(error) => status.set(Status::Failed(error)),
        }
    });
}

/// The failure of the last change when it is not about one field (those go to the
/// fields); a 422's field errors are handed to `feedback`.
pub(crate) fn server_problem(
    status: RwSignal<Status>,
    feedback: Feedback,
) -> Signal<Option<String>> {
    Effect::new(move |_| {
        if let Status::Failed(error) = status.get() {
            if !error.errors.is_empty() {
                feedback.set_server(error.errors);
            }
        }
    });
    Signal::derive(move || match status.get() {
        Status::Failed(error) if error.errors.is_empty() && error.status != 401 => {
            Some(error.message().to_owned())
        }
        _ => None,
    })
}

/// What an async load holds: nothing yet, then the answer.
pub(crate) type Loaded<T> = RwSignal<Option<Result<T, ApiError>>>;

/// Loads data into a plain signal, again whenever a signal that `source` reads changes.
///
/// Unlike `LocalResource::get`, reading the signal never suspends: the pages render
/// inside the layout's `<Suspense>`, which would otherwise swap the whole page for its
/// fallback while this loads (losing focus and what was on screen).
pub(crate) fn load<S, T, F>(
    source: impl Fn() -> S + 'static,
    fetch: impl Fn(S) -> F + 'static,
) -> Loaded<T>
where
    S: 'static,
    T: Send + Sync + 'static,
    F: Future<Output = Result<T, ApiError>> + 'static,
{
    let value: Loaded<T> = RwSignal::new(None);
    let generation = StoredValue::new(0_u64);
    Effect::new(move |_| {
        let input = source();
        generation.update_value(|count| *count += 1);
        let mine = generation.get_value();
        let answer = fetch(input);
        leptos::task::spawn_local(async move {
            let answer = answer.await;
            if generation.try_get_value() == Some(mine) {
                value.try_set(Some(answer));
            }
        });
    });
    value
}

/// Asks the person to confirm something that can't be undone.
pub(crate) fn confirm(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}

/// The line that reports the page's changes: polite while working or done, an alert when
/// something failed.
#[component]
pub(crate) fn StatusLine(status: RwSignal<Status>) -> impl IntoView {
    let polite = move || match status.get() {
        Status::Busy(text) | Status::Done(text) => Some(text),
        _ => None,
    };
    let failed = move || match status.get() {
        Status::Failed(error) if error.status != 401 => Some(view! {
            <div class="alert-box">
                <p><strong>{error.title.clone()}</strong></p>
                <p>{error.message().to_owned()}</p>
                {(!error.errors.is_empty()).then(|| view! {
                    <ul>{error.errors.iter().map(|e| view! { <li>{e.message.clone()}</li> }).collect_view()}</ul>
                })}
            </div>
        }),
        _ => None,
    };
    view! {
        <div class="page-status">
            <p class="status-line" role="status" aria-live="polite">{polite}</p>
            <div role="alert">{failed}</div>
        </div>
    }
}

/// While `dirty`, closing or reloading the tab asks first (`beforeunload`), and so does
/// following any link inside the app (a click listener that runs before the router's) and
/// the browser's Back button: the page adds a history entry of its own (same address) when
/// it opens, so Back first lands on that; then, if there is unsaved work and the person
/// chooses to stay, the entry is added again, else the page goes back for real.
#[component]
pub(crate) fn LeaveGuard(
    #[prop(into)] dirty: Signal<bool>,
    /// Called when the person leaves the page with a link or Back (after confirming, if
    /// there was unsaved work), not on a reload: the wizard drops its kept draft.
    #[prop(optional)]
    on_leave: Option<Callback<()>>,
) -> impl IntoView {
    let unload = window_event_listener(leptos::ev::beforeunload, move |event| {
        if dirty.try_get_untracked().unwrap_or(false) {
            event.prevent_default();
            event.set_return_value("");
        }
    });
    install_link_guard();
    LEAVE_CHECK.with(|check| *check.borrow_mut() = Some(dirty));
    LEAVE_HOOK.with(|hook| *hook.borrow_mut() = on_leave);

    // The guard entry: armed while the page's own history entry is the current one.
    let armed = StoredValue::new(push_guard_entry());
    let back = window_event_listener(leptos::ev::popstate, move |_| {
        if !armed.try_get_value().unwrap_or(false) {
            return;
        }
        armed.set_value(false);
        let stay = dirty.try_get_untracked().unwrap_or(false)
            && !confirm("Leave this page? What you entered will be lost.");
        match stay {
            true => armed.set_value(push_guard_entry()),
            false => {
                // The page goes away with this Back; nothing asks again on the way.
                LEAVE_CHECK.with(|check| *check.borrow_mut() = None);
                left();
                if let Ok(history) = window().history() {
                    let _ = history.back();
                }
            }
        }
    });
    on_cleanup(move || {
        unload.remove();
        back.remove();
        LEAVE_CHECK.with(|check| *check.borrow_mut() = None);
        LEAVE_HOOK.with(|hook| *hook.borrow_mut() = None);
    });
}

/// Tells the page on screen that the person is leaving it (see [`LeaveGuard`]).
fn left() {
    if let Some(hook) = LEAVE_HOOK.with(|hook| hook.borrow_mut().take()) {
        hook.run(());
    }
}

/// Adds a history entry for the same address, marked as the guard's (see [`LeaveGuard`]),
/// unless the current entry is one already (after a reload); whether one is current.
fn push_guard_entry() -> bool {
    const MARK: &str = "entradaLeaveGuard";
    let Ok(history) = window().history() else {
        return false;
    };
    let current = history.state().unwrap_or(wasm_bindgen::JsValue::NULL);
    let marked = current.is_object()
        && js_sys::Reflect::get(&current, &MARK.into())
            .map(|value| value.is_truthy())
            .unwrap_or(false);
    if marked {
        return true;
    }
    let state = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&state, &MARK.into(), &true.into());
    history.push_state_with_url(&state, "", None).is_ok()
}

thread_local! {
    /// Whether the page on screen holds unsaved work, for the link guard.
    static LEAVE_CHECK: RefCell<Option<Signal<bool>>> = const { RefCell::new(None) };
    /// What the page on screen does when the person leaves it.
    static LEAVE_HOOK: RefCell<Option<Callback<()>>> = const { RefCell::new(None) };
    static LINK_GUARD_INSTALLED: Cell<bool> = const { Cell::new(false) };
}

/// One click listener for the app's lifetime, in the capture phase on `window`, so it runs
/// before the router's own listener; when it prevents the default, the router leaves the
/// click alone.
fn install_link_guard() {
    if LINK_GUARD_INSTALLED.with(|installed| installed.replace(true)) {
        return;
    }
    let click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(|event: web_sys::MouseEvent| {
        let dirty = LEAVE_CHECK
            .with(|check| *check.borrow())
            .and_then(|dirty| dirty.try_get_untracked())
            .unwrap_or(false);
        if !dirty || event.default_prevented() || event.button() != 0 {
            return;
        }
        if event.meta_key() || event.ctrl_key() || event.shift_key() || event.alt_key() {
            return;
        }
        let link = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .and_then(|element| element.closest("a[href]").ok().flatten());
        let Some(link) = link else { return };
        // A link within the page (an error summary's link to its field) leaves nothing.
        if link
            .get_attribute("href")
            .is_some_and(|href| href.starts_with('#'))
        {
            return;
        }
        if link
            .get_attribute("target")
            .is_some_and(|target| !target.is_empty())
        {
            return;
        }
        if !confirm("Leave this page? What you entered will be lost.") {
            event.prevent_default();
            event.stop_immediate_propagation();
            return;
        }
        left();
    });
    let options = web_sys::AddEventListenerOptions::new();
    options.set_capture(true);
    let _ = window().add_event_listener_with_callback_and_add_event_listener_options(
        "click",
        click.as_ref().unchecked_ref(),
        &options,
    );
    // The listener lives as long as the app.
    click.forget();
}

/// The name, description and "external users" flag of a catalog.
#[component]
pub(crate) fn CatalogFields(
    draft: RwSignal<CatalogDraft>,
    feedback: Feedback,
    /// Whether the person chooses if external users may request (the partner wizards
    /// fix it to yes).
    #[prop(optional)]
    external_fixed: bool,
) -> impl IntoView {
    view! {
        <TextInput
            path="name"
            label="Catalog name"
            value=Signal::derive(move || draft.with(|d| d.name.clone()))
            on_change=Callback::new(move |v| draft.update(|d| d.name = v))
            feedback
        />
        <TextInput
            path="description"
            label="Description (optional)"
            multiline=true
            value=Signal::derive(move || draft.with(|d| d.description.clone()))
            on_change=Callback::new(move |v| draft.update(|d| d.description = v))
            feedback
        />
        {match external_fixed {
            true => view! {
                <p class="fixed-choice">"People outside your directory may request this catalog's packages."</p>
            }
            .into_any(),
            false => view! {
                <Checkbox
                    path="externalUsersAllowed"
                    label="People outside your directory may request its packages"
                    checked=Signal::derive(move || draft.with(|d| d.external_users_allowed))
                    on_change=Callback::new(move |v| draft.update(|d| d.external_users_allowed = v))
                    feedback
                />
            }
            .into_any(),
        }}
    }
}

/// The name, description and "hidden" flag of an access package.
#[component]
pub(crate) fn PackageFields(draft: RwSignal<PackageDraft>, feedback: Feedback) -> impl IntoView {
    view! {
        <TextInput
            path="name"
            label="Access package name"
            value=Signal::derive(move || draft.with(|d| d.name.clone()))
            on_change=Callback::new(move |v| draft.update(|d| d.name = v))
            feedback
        />
        <TextInput
            path="description"
            label="Description (optional)"
            hint="Requestors read it in My Access to decide whether this is what they need."
            multiline=true
            value=Signal::derive(move || draft.with(|d| d.description.clone()))
            on_change=Callback::new(move |v| draft.update(|d| d.description = v))
            feedback
        />
        <Checkbox
            path="hidden"
            label="Hidden: leave it out of My Access; people reach it by its link"
            checked=Signal::derive(move || draft.with(|d| d.hidden))
            on_change=Callback::new(move |v| draft.update(|d| d.hidden = v))
            feedback
        />
    }
}

/// "group", "application", "site".
pub(crate) fn kind_label(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Group => "Group",
        ResourceKind::Application => "Application",
        ResourceKind::Site => "Site",
    }
}

/// Focuses an element by id once the current render is on screen (and scrolls it into view).
pub(crate) fn focus_soon(id: &'static str) {
    crate::components::focus::focus_outcome(id);
}

/// A group, application or site of the directory, with the roles a package can grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirectoryObject {
    pub kind: ResourceKind,
    pub origin_id: String,
    pub name: String,
    pub detail: String,
    pub roles: Vec<ResourceRole>,
}

/// Every group, application and site of the directory the signed-in person may add to a
/// catalog (an administrator: all of them; a catalog owner: those they own), groups first.
/// The server checks the same rule again when one is added.
pub(crate) async fn directory_objects() -> Result<Vec<DirectoryObject>, ApiError> {
    let groups = crate::api::addable_groups().await?;
    let applications = crate::api::addable_applications().await?;
    let sites = crate::api::addable_sites().await?;
    let mut objects: Vec<DirectoryObject> = groups
        .into_iter()
        .map(|group| DirectoryObject {
            kind: ResourceKind::Group,
            origin_id: group.id.0,
            name: group.name,
            detail: group.description,
            roles: group_roles(),
        })
        .collect();
    objects.extend(applications.into_iter().map(|app| {
        DirectoryObject {
            kind: ResourceKind::Application,
            origin_id: app.id.0,
            name: app.name,
            detail: app.description,
            roles: app
                .roles
                .into_iter()
                .map(|role| ResourceRole {
                    id: role.id,
                    name: role.name,
                })
                .collect(),
        }
    }));
    objects.extend(sites.into_iter().map(|site| {
        DirectoryObject {
            kind: ResourceKind::Site,
            origin_id: site.id.0,
            name: site.name,
            detail: site.url,
            roles: site
                .roles
                .into_iter()
                .map(|role| ResourceRole {
                    id: role.id,
                    name: role.name,
                })
                .collect(),
        }
    }));
    Ok(objects)
}
