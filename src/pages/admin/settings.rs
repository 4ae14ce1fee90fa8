//! `/admin/settings`: organisation-wide settings (administrators). The first says what
//! happens to an external person when their last access package assignment ends: nothing,
//! block their sign-in, or block it and delete the account a number of days later. The
//! domain's validation runs as one types; the server checks again.

use entrada_domain::settings::{
    ExternalLifecycle, ExternalLifecyclePatch, ExternalUserAction, Settings, SettingsPatch,
    DELETE_AFTER_DAYS,
};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::focus::focus_outcome;
use crate::components::form::{ErrorSummary, Feedback, NumberInput, RadioOption};
use crate::components::{set_page_title, Loading, ProblemPanel};

use super::shared::{administers_organization, load, perform, server_problem, Status};

const DAYS_PATH: &str = "externalLifecycle.deleteAfterDays";

/// `/admin/settings`.
#[component]
pub(crate) fn SettingsPage() -> impl IntoView {
    set_page_title("Settings");
    let allowed = administers_organization();
    if !allowed {
        return view! {
            <h1>"Settings"</h1>
            <p class="lead">
                "Settings are for administrators. You aren't one. "
                <A href="/admin">"Back to Admin"</A>
            </p>
        }
        .into_any();
    }
    let reload = RwSignal::new(0_u32);
    let settings = load(move || reload.get(), move |_| api::settings());
    let body = move || match settings.get() {
        None => view! { <Loading text="Loading the settings…"/> }.into_any(),
        Some(Err(error)) => {
            let retry = Callback::new(move |()| reload.update(|count| *count += 1));
            view! { <ProblemPanel error retry/> }.into_any()
        }
        Some(Ok(current)) => view! { <LifecycleForm current/> }.into_any(),
    };
    view! {
        <p class="breadcrumb"><A href="/admin">"Admin"</A></p>
        <h1>"Settings"</h1>
        <p class="lead">"Settings that apply to the whole organisation."</p>
        {body}
    }
    .into_any()
}

/// The patch that saves `lifecycle`: the days only when they matter (a hidden field
/// never blocks saving).
fn patch_of(lifecycle: ExternalLifecycle) -> SettingsPatch {
    let deletes = lifecycle.on_last_assignment_end == ExternalUserAction::BlockThenDelete;
    SettingsPatch {
        external_lifecycle: Some(ExternalLifecyclePatch {
            on_last_assignment_end: Some(lifecycle.on_last_assignment_end),
            delete_after_days: deletes.then_some(lifecycle.delete_after_days),
        }),
        ..SettingsPatch::default()
    }
}

/// The external-user lifecycle form.
#[component]
fn LifecycleForm(current: Settings) -> impl IntoView {
    let draft = RwSignal::new(current.external_lifecycle);
    let local = Memo::new(move |_| {
        let patch = patch_of(draft.get());
        patch
            .apply(&Settings::default())
            .err()
            .map(|errors| errors.0)
            .unwrap_or_default()
    });
    let feedback = Feedback::new(local.into());
    let status = RwSignal::new(Status::Idle);
    let problem = server_problem(status, feedback);
    let notice = RwSignal::new(None::<String>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        notice.set(None);
        if !local.get_untracked().is_empty() {
            feedback.show_all(true);
            return;
        }
        feedback.clear_server();
        perform(
            status,
            "Saving…",
            "Settings saved.".to_owned(),
            api::change_settings(patch_of(draft.get_untracked())),
            move |saved: Settings| {
                draft.set(saved.external_lifecycle);
                notice.set(Some(describe(saved.external_lifecycle)));
                focus_outcome("settings-notice");
            },
        );
    };
    let options = [
        (
            ExternalUserAction::Nothing,
            "Do nothing",
            "They keep their account and can still sign in.",
        ),
        (
            ExternalUserAction::Block,
            "Block sign-in",
            "They can no longer sign in. Access granted again (an approved request, or a direct assignment) unblocks them.",
        ),
        (
            ExternalUserAction::BlockThenDelete,
            "Block sign-in, then delete the account",
            "Deleted after the number of days below, unless they are granted access again meanwhile. Their name stays in the audit log.",
        ),
    ];
    let radios = options
        .into_iter()
        .map(|(action, label, hint)| {
            view! {
                <RadioOption
                    name="on-end"
                    key=action.as_str()
                    label=label
                    hint=hint
                    checked=Signal::derive(move || draft.with(|d| d.on_last_assignment_end == action))
                    on_choose=Callback::new(move |()| draft.update(|d| d.on_last_assignment_end = action))
                />
            }
        })
        .collect_view();
    let deletes =
        move || draft.with(|d| d.on_last_assignment_end == ExternalUserAction::BlockThenDelete);
    view! {
        <form class="card form-section settings-form" on:submit=submit novalidate>
            <h2 id="lifecycle-heading">"External people"</h2>
            <p class="notice" id="settings-notice" role="status" tabindex="-1"
                class:hidden=move || notice.with(Option::is_none)>
                {move || notice.get()}
            </p>
            <ErrorSummary feedback problem/>
            <fieldset class="group" id="f-externalLifecycle-onLastAssignmentEnd">
                <legend>"When an external person's last access package assignment ends"</legend>
                <div class="radios">{radios}</div>
            </fieldset>
            <Show when=deletes>
                <NumberInput
                    path=DAYS_PATH
                    label="Days between blocking and deleting"
                    hint=format!("From {} to {} days.", DELETE_AFTER_DAYS.start(), DELETE_AFTER_DAYS.end())
                    min=*DELETE_AFTER_DAYS.start()
                    max=*DELETE_AFTER_DAYS.end()
                    value=Signal::derive(move || draft.with(|d| d.delete_after_days))
                    on_change=Callback::new(move |days| draft.update(|d| d.delete_after_days = days))
                    feedback
                />
            </Show>
            <div class="form-actions">
                <button type="submit" class="button" id="save-settings"
                    disabled=move || status.get().is_busy()>
                    "Save settings"
                </button>
            </div>
            <p class="status-line" role="status">{move || status.get().busy_text()}</p>
        </form>
    }
}

/// What the saved setting means, for the notice after saving.
fn describe(lifecycle: ExternalLifecycle) -> String {
    match lifecycle.on_last_assignment_end {
        ExternalUserAction::Nothing => {
            "Settings saved. External people keep their account when their access ends."
                .to_owned()
        }
        ExternalUserAction::Block => {
            "Settings saved. External people are blocked when their last access ends.".to_owned()
        }
        ExternalUserAction::BlockThenDelete => format!(
            "Settings saved. External people are blocked when their last access ends, and deleted {} days later.",
            lifecycle.delete_after_days
        ),
    }
}
