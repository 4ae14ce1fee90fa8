//! `/admin/access-packages/:id/policies/new` and `/admin/policies/:id`: the policy
//! editor with its preview beside it.

use entrada_domain::admin::PolicyPatch;
use entrada_domain::api::CatalogDetail;
use entrada_domain::catalog::AccessPackage;
use entrada_domain::policy::{validate_policy_at, AssignmentPolicy, PolicyDraft};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::catalog::NotYours;
use super::package::package_and_catalog;
use super::shared::{focus_soon, perform, LeaveGuard, Status};
use crate::api::{self, ApiError};
use crate::components::form::{ErrorSummary, Feedback};
use crate::components::policy_editor::{default_policy, PolicyEditor, ScopeKind};
use crate::components::policy_preview::PolicyPreviewPanel;
use crate::components::request_time::now;
use crate::components::{set_page_title, Loading, ProblemPanel};
use crate::url::encode_path_segment;

/// `/admin/access-packages/:id/policies/new`.
#[component]
pub(crate) fn NewPolicyPage() -> impl IntoView {
    set_page_title("New policy");
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let data = LocalResource::new(move || package_and_catalog(id.get()));
    let content = move || {
        Suspend::new(async move {
            match data.await {
                Ok((package, catalog)) => {
                    view! { <PolicyForm package catalog existing=None/> }.into_any()
                }
                Err(error) => failed(error, Callback::new(move |()| data.refetch())),
            }
        })
    };
    view! { <Transition fallback=|| view! { <Loading text="Loading the access package…"/> }>{content}</Transition> }
}

/// `/admin/policies/:id`.
#[component]
pub(crate) fn EditPolicyPage() -> impl IntoView {
    set_page_title("Policy");
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let data = LocalResource::new(move || async move {
        let policy = api::policy(id.get()).await?;
        let (package, catalog) = package_and_catalog(policy.access_package_id.to_string()).await?;
        Ok::<_, ApiError>((policy, package, catalog))
    });
    let content = move || {
        Suspend::new(async move {
            match data.await {
                Ok((policy, package, catalog)) => {
                    view! { <PolicyForm package catalog existing=Some(policy)/> }.into_any()
                }
                Err(error) => failed(error, Callback::new(move |()| data.refetch())),
            }
        })
    };
    view! { <Transition fallback=|| view! { <Loading text="Loading the policy…"/> }>{content}</Transition> }
}

fn failed(error: ApiError, retry: Callback<()>) -> AnyView {
    match error.is_not_found() || error.status == 403 {
        true => view! { <NotYours what="policy"/> }.into_any(),
        false => view! { <ProblemPanel error retry/> }.into_any(),
    }
}

#[component]
fn PolicyForm(
    package: AccessPackage,
    catalog: CatalogDetail,
    existing: Option<AssignmentPolicy>,
) -> impl IntoView {
    let read_only = !catalog.permissions.manage_packages;
    let title = match &existing {
        Some(policy) => format!("Policy: {}", policy.rules.name),
        None => "New policy".to_owned(),
    };
    set_page_title(&title);
    let initial: PolicyDraft = existing
        .as_ref()
        .map(|policy| policy.rules.clone())
        .unwrap_or_else(default_policy);
    let draft = RwSignal::new(initial.clone());
    let local = Memo::new(move |_| {
        draft.with(|d| {
            validate_policy_at(d, now())
                .err()
                .map(|e| e.0)
                .unwrap_or_default()
        })
    });
    let feedback = Feedback::new(local.into());
    if existing.is_some() {
        feedback.show_all(true);
    }
    let valid = Signal::derive(move || local.with(Vec::is_empty));
    let saved = RwSignal::new(false);
    let dirty = Signal::derive(move || !saved.get() && draft.with(|d| *d != initial));
    let status = RwSignal::new(Status::Idle);
    let problem = Signal::derive(move || match status.get() {
        Status::Failed(error) if error.errors.is_empty() && error.status != 401 => {
            Some(format!("{} {}", error.title, error.message()))
        }
        _ => None,
    });
    Effect::new(move |_| {
        if let Status::Failed(error) = status.get() {
            if !error.errors.is_empty() {
                feedback.set_server(error.errors);
            }
            focus_soon("policy-summary");
        }
    });

    let package_path = format!(
        "/admin/access-packages/{}",
        encode_path_segment(package.id.as_str())
    );
    let navigate = use_navigate();
    let submit = {
        let package_path = package_path.clone();
        let package_id = package.id.to_string();
        let policy_id = existing.as_ref().map(|policy| policy.id.to_string());
        move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            if read_only {
                return;
            }
            if !local.get_untracked().is_empty() {
                feedback.show_all(true);
                focus_soon("policy-summary");
                return;
            }
            let rules = draft.get_untracked();
            let navigate = navigate.clone();
            let package_path = package_path.clone();
            let done = move |_| {
                saved.set(true);
                navigate(&package_path, Default::default());
            };
            match &policy_id {
                Some(id) => {
                    let patch = PolicyPatch::replace_with(&rules);
                    perform(
                        status,
                        "Saving the policy…",
                        "Policy saved.".to_owned(),
                        api::edit_policy(id.clone(), patch),
                        done,
                    );
                }
                None => perform(
                    status,
                    "Saving the policy…",
                    "Policy added.".to_owned(),
                    api::create_policy(package_id.clone(), rules),
                    done,
                ),
            }
        }
    };
    let catalog_id = catalog.catalog.id.clone();
    let package_id = package.id.clone();
    let heading = match &existing {
        Some(_) => "Edit policy",
        None => "New policy",
    };
    view! {
        <LeaveGuard dirty/>
        <p class="breadcrumb"><A href=package_path.clone()>{format!("Access package: {}", package.name)}</A></p>
        <h1>{heading}</h1>
        {read_only.then(|| view! { <p class="notice">"You can read this policy; the catalog's owners and access package managers change it."</p> })}
        // The Save bar sits outside the form (its button names the form), after the preview,
        // so that on a phone the preview comes before Save; wide screens put it beside.
        <div class="editor-layout">
            <form id="policy-form" class="editor-main" on:submit=submit novalidate>
                <div id="policy-summary" tabindex="-1">
                    <ErrorSummary feedback problem/>
                </div>
                <PolicyEditor draft feedback scopes=ScopeKind::ALL.to_vec() read_only/>
            </form>
            <PolicyPreviewPanel
                draft=Signal::derive(move || draft.get())
                valid
                blocking=Signal::derive(move || local.get())
                catalog_id=Signal::derive(move || Some(catalog_id.clone()))
                package_id=Signal::derive(move || Some(package_id.clone()))
            />
            {(!read_only).then(|| view! {
                <div class="form-actions">
                    <button type="submit" form="policy-form" class="button" disabled=move || status.get().is_busy()>
                        {move || if status.get().is_busy() { "Saving…" } else { "Save policy" }}
                    </button>
                    <A href=package_path.clone() attr:class="button secondary">"Cancel"</A>
                    <p class="status-line" role="status">{move || status.get().busy_text()}</p>
                </div>
            })}
        </div>
    }
}
