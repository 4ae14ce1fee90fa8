//! `/admin/outbox` (administrators): every message Entrada wrote, newest first, with how
//! its delivery went, and whether this server sends mail at all. A table at desktop
//! width; each row becomes a card on a phone (see `style/mail.css`).

use entrada_domain::notification::{OutboxMessage, OutboxState};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{self, ApiError};
use crate::components::{set_page_title, Loading, ProblemPanel};

use super::shared::administers_organization;

/// `/admin/outbox`.
#[component]
pub(crate) fn OutboxPage() -> impl IntoView {
    set_page_title("Outbox");
    let allowed = administers_organization();
    if !allowed {
        return view! {
            <h1>"Outbox"</h1>
            <p class="lead">"The outbox is for administrators. You aren't one. " <A href="/admin">"Back to Admin"</A></p>
        }
        .into_any();
    }
    let messages = RwSignal::new(Vec::<OutboxMessage>::new());
    let smtp = RwSignal::new(None::<bool>);
    let next = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<ApiError>);
    let loading = RwSignal::new(false);
    let fetch = move |cursor: Option<String>| {
        loading.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            match api::outbox(cursor.clone()).await {
                Ok(page) => {
                    smtp.try_set(Some(page.smtp_configured));
                    next.try_set(page.next_cursor);
                    messages.try_update(|list| {
                        if cursor.is_none() {
                            list.clear();
                        }
                        list.extend(page.messages);
                    });
                }
                Err(error) => {
                    problem.try_set(Some(error));
                }
            }
            loading.try_set(false);
        });
    };
    fetch(None);
    let smtp_line = move || {
        match smtp.get() {
        None => None,
        Some(true) => Some(view! {
            <p class="notice smtp-on" role="status">"SMTP is configured: messages are sent, and retried when sending fails."</p>
        }.into_any()),
        Some(false) => Some(view! {
            <p class="notice smtp-off" role="status">"SMTP is not configured: messages are not sent. Start Entrada with --smtp-url to send them."</p>
        }.into_any()),
    }
    };
    let table = move || {
        let list = messages.get();
        if list.is_empty() {
            return match (loading.get(), smtp.get()) {
                (true, _) | (_, None) => view! { <Loading text="Loading the outbox…"/> }.into_any(),
                _ => view! { <p class="empty">"No message has been written yet."</p> }.into_any(),
            };
        }
        let smtp_on = smtp.get().unwrap_or(false);
        view! {
            <table class="outbox-table">
                <caption class="visually-hidden">"Messages, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Written"</th>
                        <th scope="col">"To"</th>
                        <th scope="col">"Subject"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Attempts"</th>
                        <th scope="col">"Sent"</th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|message| view! { <MessageRow message smtp_on/> }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    let error = move || {
        problem.get().map(|error| {
            let retry = Callback::new(move |()| fetch(None));
            view! { <ProblemPanel error retry/> }
        })
    };
    view! {
        <p class="breadcrumb"><A href="/admin">"Admin"</A></p>
        <h1>"Outbox"</h1>
        <p class="lead">"Every e-mail Entrada wrote, newest first: to whom, about what, and how its delivery went."</p>
        {smtp_line}
        {error}
        <section aria-label="Messages" class="admin-section">
            {table}
            <Show when=move || next.get().is_some()>
                <div class="toolbar">
                    <button type="button" class="button secondary" disabled=move || loading.get()
                        on:click=move |_| fetch(next.get_untracked())>
                        {move || if loading.get() { "Loading…" } else { "Show older messages" }}
                    </button>
                </div>
            </Show>
        </section>
    }
    .into_any()
}

fn moment(at: time::OffsetDateTime) -> String {
    format!(
        "{} {} {} {:02}:{:02} UTC",
        at.day(),
        &at.month().to_string()[..3],
        at.year(),
        at.hour(),
        at.minute()
    )
}

#[component]
fn MessageRow(message: OutboxMessage, smtp_on: bool) -> impl IntoView {
    let (state, class) = match (message.state, smtp_on) {
        (OutboxState::Sent, _) => ("Sent".to_owned(), "state sent"),
        (OutboxState::Failed, _) => ("Failed: given up".to_owned(), "state failed"),
        (OutboxState::Pending, false) => (
            "Not sent: SMTP is not configured".to_owned(),
            "state pending",
        ),
        (OutboxState::Pending, true) if message.attempts > 0 => (
            format!(
                "Waiting to retry{}",
                message
                    .next_attempt_at
                    .map(|at| format!(" at {}", moment(at)))
                    .unwrap_or_default()
            ),
            "state pending",
        ),
        (OutboxState::Pending, true) => ("Waiting to be sent".to_owned(), "state pending"),
    };
    let sent = message
        .sent_at
        .map(moment)
        .unwrap_or_else(|| "—".to_owned());
    view! {
        <tr>
            <td data-label="Written">{moment(message.created_at)}</td>
            <td data-label="To" class="to">{message.to_address.clone()}</td>
            <td data-label="Subject" class="subject">
                <span class="kind">{message.kind.label()}</span>
                <details>
                    <summary>{message.subject.clone()}</summary>
                    <pre class="message-text">{message.text.clone()}</pre>
                    <p><a href=message.link.clone()>"Open the link in this message"</a></p>
                </details>
            </td>
            <td data-label="State"><span class=class>{state}</span>
                {message.last_error.clone().map(|error| view! { <span class="last-error">{format!("Last error: {error}")}</span> })}
            </td>
            <td data-label="Attempts">{message.attempts}</td>
            <td data-label="Sent">{sent}</td>
        </tr>
    }
}
