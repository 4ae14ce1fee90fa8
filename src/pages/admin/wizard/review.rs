//! The review step (everything before anything is saved) and the last step (what was
//! created, and the link to send).

use entrada_domain::policy::{Approver, QuestionKind, RequestorScope};
use leptos::prelude::*;
use leptos_router::components::A;

use super::{CatalogMode, Scenario, Step, Wizard};
use crate::components::directory::DirectoryCache;
use crate::components::policy_editor::ScopeKind;
use crate::components::LinkBox;
use crate::pages::admin::shared::kind_label;
use crate::url::{encode_path_segment, package_link};

#[component]
pub(super) fn ReviewStep(wizard: Wizard) -> impl IntoView {
    let cache = DirectoryCache::get();
    let change = move |step: Step, what: &'static str| {
        view! {
            <button type="button" class="button secondary small" on:click=move |_| wizard.go_to(step)>
                "Change" <span class="visually-hidden">{format!(" {what}")}</span>
            </button>
        }
    };
    let catalog = move || {
        let rows = match wizard.mode.get() {
            CatalogMode::Existing => {
                let id = wizard.existing.get();
                let name = wizard
                    .catalogs
                    .get()
                    .and_then(Result::ok)
                    .and_then(|catalogs| {
                        catalogs
                            .into_iter()
                            .find(|summary| Some(&summary.catalog.id) == id.as_ref())
                            .map(|summary| summary.catalog.name)
                    })
                    .unwrap_or_else(|| "(none chosen)".to_owned());
                view! {
                    <dt>"Catalog"</dt><dd>{name}" (existing)"</dd>
                }
                .into_any()
            }
            CatalogMode::New => {
                let draft = wizard.new_catalog.get();
                let external = wizard.scenario.external() || draft.external_users_allowed;
                view! {
                    <dt>"New catalog"</dt><dd>{draft.name.clone()}</dd>
                    {(!draft.description.trim().is_empty()).then(|| view! { <dt>"Description"</dt><dd>{draft.description.clone()}</dd> })}
                    <dt>"External users"</dt><dd>{if external { "May request its packages" } else { "No" }}</dd>
                }
                .into_any()
            }
        };
        rows
    };
    let owners = move || {
        (wizard.scenario == Scenario::Department).then(|| {
            let names: Vec<String> = wizard.owners.get().into_iter().map(|o| o.display_name).collect();
            let text = match names.is_empty() {
                true => "Only you".to_owned(),
                false => format!("You, {}", names.join(", ")),
            };
            view! {
                <section class="review-block" aria-labelledby="review-owners">
                    <div class="review-head"><h3 id="review-owners">"Owners"</h3>{change(Step::Owners, "owners")}</div>
                    <p>{text}</p>
                </section>
            }
        })
    };
    let roles = move || {
        let roles = wizard.roles.get();
        match roles.is_empty() {
            true => view! { <p class="field-error">"Nothing chosen."</p> }.into_any(),
            false => view! {
                <ul class="plain-list">
                    {roles.into_iter().map(|role| view! {
                        <li>{format!("{} ({}) · {}", role.resource_name, kind_label(role.kind).to_lowercase(), role.role_name)}</li>
                    }).collect_view()}
                </ul>
            }
            .into_any(),
        }
    };
    let package = move || {
        let package = wizard.package.get();
        view! {
            <dl class="review-list">
                <dt>"Name"</dt><dd>{package.name.clone()}</dd>
                {(!package.description.trim().is_empty()).then(|| view! { <dt>"Description"</dt><dd>{package.description.clone()}</dd> })}
                <dt>"In My Access"</dt><dd>{if package.hidden { "Hidden: by link only" } else { "Listed" }}</dd>
            </dl>
        }
    };
    let approver_name = move |approver: &Approver| match approver {
        Approver::User { id } => cache.person_name(id),
        Approver::GroupMembers { id } => format!("members of {}", cache.group_name(id)),
        Approver::Manager => "the requestor's manager".to_owned(),
        Approver::Sponsors => "the organisation's sponsors".to_owned(),
        Approver::InternalSponsors => "the organisation's internal sponsors".to_owned(),
        Approver::ExternalSponsors => "the organisation's external sponsors".to_owned(),
    };
    let policy = move || {
        let policy = wizard.policy.get();
        let scope = match &policy.requestor_scope {
            RequestorScope::SpecificDirectoryUsers { users, groups } => {
                let mut names: Vec<String> = users.iter().map(|id| cache.person_name(id)).collect();
                names.extend(
                    groups
                        .iter()
                        .map(|id| format!("members of {}", cache.group_name(id))),
                );
                format!(
                    "{}: {}",
                    ScopeKind::of(&policy.requestor_scope).label(),
                    names.join(", ")
                )
            }
            RequestorScope::SpecificConnectedOrganizations { organizations } => {
                let names: Vec<String> = organizations
                    .iter()
                    .map(|id| cache.organization_name(id))
                    .collect();
                format!(
                    "{}: {}",
                    ScopeKind::of(&policy.requestor_scope).label(),
                    names.join(", ")
                )
            }
            scope => ScopeKind::of(scope).label().to_owned(),
        };
        let stages = match policy.stages.is_empty() {
            true => view! { <dd>"No approval"</dd> }.into_any(),
            false => view! {
                <dd>
                    <ol class="plain-list">
                        {policy.stages.iter().map(|stage| {
                            let approvers = stage.approvers.iter().map(approver_name).collect::<Vec<_>>().join(", ");
                            let fallback = stage.fallback_approvers.iter().map(approver_name).collect::<Vec<_>>().join(", ");
                            let escalation = stage.escalation.as_ref().map(|e| format!(
                                "; after {} days also {}",
                                e.after_days,
                                e.approvers.iter().map(approver_name).collect::<Vec<_>>().join(", ")
                            )).unwrap_or_default();
                            view! {
                                <li>
                                    {format!("{approvers}, within {} days{escalation}", stage.decision_timeout_days)}
                                    {(!fallback.is_empty()).then(|| format!(" (fallback: {fallback})"))}
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                </dd>
            }
            .into_any(),
        };
        let questions = policy
            .questions
            .iter()
            .map(|q| match &q.kind {
                QuestionKind::Choice { options } => format!("{} ({})", q.text, options.join(" / ")),
                _ => q.text.clone(),
            })
            .collect::<Vec<_>>();
        view! {
            <dl class="review-list">
                <dt>"Name"</dt><dd>{policy.name.clone()}</dd>
                <dt>"Who can request"</dt><dd>{scope}</dd>
                <dt>"Requestor gives a reason"</dt><dd>{yes_no(policy.requestor_justification_required)}</dd>
                {(!questions.is_empty()).then(|| view! { <dt>"Questions"</dt><dd>{questions.join("; ")}</dd> })}
                <dt>"Approval"</dt>{stages}
                <dt>"Expiration"</dt><dd>{policy.expiration.describe()}</dd>
                <dt>"Extension"</dt><dd>{if policy.extension_allowed { "Allowed" } else { "Not allowed" }}</dd>
                <dt>"Requestor chooses dates"</dt><dd>{yes_no(policy.requestor_may_choose_schedule)}</dd>
                <dt>"Accepting requests"</dt><dd>{yes_no(policy.accepting_requests)}</dd>
            </dl>
        }
    };
    view! {
        <p class="lead">"Nothing is saved yet. Check everything, then create it all at once."</p>
        <div class="card review">
            <section class="review-block" aria-labelledby="review-catalog">
                <div class="review-head"><h3 id="review-catalog">"Catalog"</h3>{change(Step::Catalog, "catalog")}</div>
                <dl class="review-list">{catalog}</dl>
            </section>
            {owners}
            <section class="review-block" aria-labelledby="review-resources">
                <div class="review-head"><h3 id="review-resources">"Resources and roles"</h3>{change(Step::Resources, "resources")}</div>
                {roles}
            </section>
            <section class="review-block" aria-labelledby="review-package">
                <div class="review-head"><h3 id="review-package">"Access package"</h3>{change(Step::Package, "access package")}</div>
                {package}
            </section>
            <section class="review-block" aria-labelledby="review-policy">
                <div class="review-head"><h3 id="review-policy">"Policy"</h3>{change(Step::Policy, "policy")}</div>
                {policy}
            </section>
        </div>
        <p class="status-line" role="status" aria-live="polite">{move || wizard.status.get().busy_text()}</p>
    }
}

fn yes_no(value: bool) -> &'static str {
    match value {
        true => "Yes",
        false => "No",
    }
}

#[component]
pub(super) fn DoneStep(wizard: Wizard) -> impl IntoView {
    let Some(result) = wizard.result.get_untracked() else {
        return ().into_any();
    };
    let origin = window().location().origin().unwrap_or_default();
    let link = package_link(&origin, result.package.id.as_str());
    let package_href = format!(
        "/admin/access-packages/{}",
        encode_path_segment(result.package.id.as_str())
    );
    let catalog_href = format!(
        "/admin/catalogs/{}",
        encode_path_segment(result.catalog.id.as_str())
    );
    let advice = match wizard.scenario {
        Scenario::SpecificPartners => "Send this link to your partner's contact person, who shares it with the people who need access. They sign in (or sign up) and request the package.",
        Scenario::AnyPartner => "Share this link wherever the people who need access will find it; colleagues can pass it on.",
        _ => "People who may request the package find it in My Access, or open it directly with this link.",
    };
    view! {
        <p class="lead">
            {format!("The access package “{}” with its policy “{}” is ready in the catalog “{}”.",
                result.package.name, result.policy.rules.name, result.catalog.name)}
        </p>
        <div class="card">
            <p>{advice}</p>
            <LinkBox id="created-link" label="My Access link" link/>
        </div>
        <ul class="next-links">
            <li><A href=package_href>"Open the access package"</A></li>
            <li><A href=catalog_href>"Open the catalog"</A></li>
            <li><A href="/admin">"Back to Admin"</A></li>
        </ul>
    }
    .into_any()
}
