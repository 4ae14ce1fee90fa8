//! The policy preview beside the editor: who could request the package through the policy
//! as it stands, and who would approve each stage for one chosen person. The server
//! computes it with the very functions that decide real requests.

use std::time::Duration;

use entrada_domain::api::PolicyPreviewBody;
use entrada_domain::directory::User;
use entrada_domain::ids::{CatalogId, PackageId, UserId};
use entrada_domain::policy::PolicyDraft;
use entrada_domain::preview::{PersonSummary, PolicyPreview, PreviewRequest, StagePreview};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::directory::PersonPicker;
use crate::components::form::FieldLink;
use entrada_domain::FieldError;

/// How long editing pauses before the preview asks the server again.
const PREVIEW_DELAY: Duration = Duration::from_millis(300);
/// The most people the list shows at once; the filter finds the others.
const LIST_LIMIT: usize = 100;

#[component]
pub(crate) fn PolicyPreviewPanel(
    /// The policy as edited.
    #[prop(into)]
    draft: Signal<PolicyDraft>,
    /// Whether the draft passes validation; the preview only asks for valid drafts.
    #[prop(into)]
    valid: Signal<bool>,
    /// The catalog, when it exists already.
    #[prop(into)]
    catalog_id: Signal<Option<CatalogId>>,
    /// The package, when it exists already.
    #[prop(into, optional)]
    package_id: Signal<Option<PackageId>>,
    /// The id prefix of the panel's elements (two panels never share a page, but the
    /// wizard and the editor name theirs apart anyway).
    #[prop(into, default = "preview".to_owned())]
    id: String,
    /// Whether the panel sits inside a page section (its heading is then `h3`).
    #[prop(optional)]
    nested: bool,
    /// What stops the preview while the draft is invalid: the editor's first message, with
    /// its field's full path (the panel links to the field).
    #[prop(into, optional)]
    blocking: Signal<Vec<FieldError>>,
) -> impl IntoView {
    let requestor = RwSignal::new(None::<UserId>);
    let outcome = RwSignal::new(None::<Result<PolicyPreview, ApiError>>);
    let loading = RwSignal::new(false);
    let generation = StoredValue::new(0_u64);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let cancel_timer = move || {
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        timer.set_value(None);
    };
    on_cleanup(cancel_timer);

    Effect::new(move |_| {
        let body = PolicyPreviewBody {
            catalog_id: catalog_id.get(),
            access_package_id: package_id.get(),
            preview: PreviewRequest {
                policy: draft.get(),
                requestor_id: requestor.get(),
            },
        };
        let valid = valid.get();
        cancel_timer();
        generation.update_value(|value| *value += 1);
        if !valid {
            loading.set(false);
            return;
        }
        let mine = generation.get_value();
        let ask = move || {
            loading.set(true);
            leptos::task::spawn_local(async move {
                let answer = api::policy_preview(body).await;
                if generation.get_value() == mine {
                    outcome.set(Some(answer));
                    loading.set(false);
                }
            });
        };
        timer.set_value(set_timeout_with_handle(ask, PREVIEW_DELAY).ok());
    });

    let filter = RwSignal::new(String::new());
    let filter_id = format!("{id}-filter");
    let heading_id = format!("{id}-heading");
    let pick = Callback::new(move |person: User| requestor.set(Some(person.id)));
    let trace = Callback::new(move |id: UserId| requestor.set(Some(id)));

    let body = move || {
        if !valid.get() {
            // Name what stops it, as a link to its field (which may be far below or not
            // yet highlighted).
            let errors = blocking.get();
            let Some(first) = errors.first().cloned() else {
                return view! { <p class="notice">"Complete the policy to see the preview."</p> }
                    .into_any();
            };
            let more = match errors.len() {
                1 => String::new(),
                2 => " (and 1 more field)".to_owned(),
                n => format!(" (and {} more fields)", n - 1),
            };
            return view! {
                <p class="notice preview-blocked">
                    "The preview shows once the policy is complete. First: "
                    <FieldLink path=first.field>{first.message}</FieldLink>
                    {more}
                </p>
            }
            .into_any();
        }
        match outcome.get() {
            None => view! { <p class="muted">"Working out who could request…"</p> }.into_any(),
            Some(Err(error)) => view! {
                <p class="alert-box">{format!("The preview didn't load: {}", error.message())}</p>
            }
            .into_any(),
            Some(Ok(preview)) => view! {
                <PreviewResult preview filter filter_id=filter_id.clone() trace/>
            }
            .into_any(),
        }
    };
    let labelled_by = heading_id.clone();
    view! {
        <aside class="card preview" aria-labelledby=labelled_by>
            {match nested {
                true => view! { <h3 id=heading_id class="panel-title">"Preview"</h3> }.into_any(),
                false => view! { <h2 id=heading_id>"Preview"</h2> }.into_any(),
            }}
            <p class="status-line" role="status" aria-live="polite">
                {move || loading.get().then_some("Updating the preview…")}
            </p>
            {body}
            <PersonPicker id=format!("{id}-person") label="Check who approves for someone" on_pick=pick/>
        </aside>
    }
}

#[component]
fn PreviewResult(
    preview: PolicyPreview,
    filter: RwSignal<String>,
    filter_id: String,
    trace: Callback<UserId>,
) -> impl IntoView {
    let count = preview.eligible.len();
    let headline = match count {
        0 => "Nobody could request this package through this policy.".to_owned(),
        1 => "1 person could request this package.".to_owned(),
        n => format!("{n} people could request this package."),
    };
    let eligible = StoredValue::new(preview.eligible);
    let shown = move || {
        let words: Vec<String> = filter
            .get()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        eligible.with_value(|people| {
            people
                .iter()
                .filter(|person| {
                    let text = format!(
                        "{} {} {}",
                        person.display_name,
                        person.email,
                        person.department.as_deref().unwrap_or("")
                    )
                    .to_lowercase();
                    words.iter().all(|word| text.contains(word))
                })
                .cloned()
                .collect::<Vec<PersonSummary>>()
        })
    };
    let list = move || {
        let people = shown();
        let more = people.len().saturating_sub(LIST_LIMIT);
        let items = people
            .into_iter()
            .take(LIST_LIMIT)
            .map(|person| {
                // The accessible name starts with the visible text (WCAG 2.5.3).
                let label = format!("Approvers for {}", person.display_name);
                let id = person.id.clone();
                view! {
                    <li>
                        <span class="person-line">
                            <span class="pick-name">{person.display_name}</span>
                            <span class="pick-details">{person.email.clone()}</span>
                            {person.department.clone().filter(|d| !d.is_empty()).map(|department| view! {
                                <span class="pick-details">{department}</span>
                            })}
                        </span>
                        <button type="button" class="button secondary small" aria-label=label
                            on:click=move |_| trace.run(id.clone())>"Approvers"</button>
                    </li>
                }
            })
            .collect_view();
        view! {
            <ul class="people-list">{items}</ul>
            {(more > 0).then(|| view! { <p class="muted">{format!("And {more} more; filter to find them.")}</p> })}
        }
    };
    let matching = move || {
        let filtered = !filter.get().trim().is_empty();
        filtered.then(|| match shown().len() {
            0 => "Nobody matches the filter.".to_owned(),
            1 => "1 person matches.".to_owned(),
            n => format!("{n} people match."),
        })
    };
    view! {
        <p class="preview-count"><strong>{headline}</strong></p>
        {(count > 0).then(|| view! {
            <div class="field">
                <label for=filter_id.clone()>"Filter these people"</label>
                <input id=filter_id.clone() type="search" autocomplete="off"
                    prop:value=move || filter.get()
                    on:input=move |event| filter.set(event_target_value(&event))/>
                <p class="status-line" role="status">{matching}</p>
            </div>
            <div class="people-scroll">{list}</div>
        })}
        <Trace preview_requestor=preview.requestor eligible=preview.requestor_eligible stages=preview.stages/>
    }
}

/// Who approves at each stage for the chosen person.
#[component]
fn Trace(
    preview_requestor: Option<PersonSummary>,
    eligible: bool,
    stages: Vec<StagePreview>,
) -> impl IntoView {
    let Some(person) = preview_requestor else {
        return view! {
            <p class="muted">"Choose someone to see who would approve their request."</p>
        }
        .into_any();
    };
    let standing = match eligible {
        true => format!("{} could request through this policy.", person.display_name),
        false => format!(
            "{} could not request through this policy.",
            person.display_name
        ),
    };
    let stages = match stages.is_empty() {
        true => view! { <p>"No approval: the request would be granted at once."</p> }.into_any(),
        false => view! {
            <ol class="trace">
                {stages.into_iter().map(|stage| {
                    let names = stage
                        .approvers
                        .iter()
                        .map(|approver| approver.display_name.clone())
                        .collect::<Vec<_>>()
                        .join(", ");
                    view! {
                        <li>
                            <strong>{format!("Stage {}: ", stage.stage + 1)}</strong>
                            {match stage.problem {
                                Some(problem) => view! { <span class="trace-problem">{problem}</span> }.into_any(),
                                None => view! { <span>{names}</span> }.into_any(),
                            }}
                            {stage.fallback_used.then(|| view! { <span class="tag">"fallback approvers"</span> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        }
        .into_any(),
    };
    view! {
        <div class="trace-box" aria-live="polite">
            <p class="trace-title">{format!("For {}", person.display_name)}</p>
            <p>{standing}</p>
            {stages}
        </div>
    }
    .into_any()
}
