use entrada_domain::api::{provider_sign_in_error, validate_sign_in, SignInBody};
use entrada_domain::FieldErrors;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api::{self, ApiError};
use crate::app::rel_for;
use crate::components::focus::focus_outcome;
use crate::components::{focus_main, set_page_title, Field, PublicLayout};
use crate::url::safe_next;

/// The id of the message that says what stopped the form; every refused submit moves
/// focus there.
const SUMMARY_ID: &str = "sign-in-error";

/// `/sign-in?next=…&expired=1&error=…`: signs a person in and takes them back to `next`,
/// with a password or through the organisation's OpenID provider ("Sign in with …", a
/// full-page trip to the provider and back), whichever the server offers. `error` is why a
/// trip through the provider came back without signing in.
///
/// Fields are checked with the domain's `validate_sign_in` as the person types (once
/// they have left the field or tried to submit); after a submit the server's answer
/// replaces that until the person edits again.
#[component]
pub(crate) fn SignInPage() -> impl IntoView {
    set_page_title("Sign in");
    let query = use_query_map();
    let next = Memo::new(move |_| {
        query
            .read()
            .get("next")
            .and_then(|next| safe_next(&next).map(str::to_owned))
            .unwrap_or_else(|| "/".to_owned())
    });
    let expired = move || query.read().get("expired").is_some();
    let provider_error = move || {
        query
            .read()
            .get("error")
            .and_then(|code| provider_sign_in_error(&code))
    };
    let methods = LocalResource::new(api::sign_in_methods);
    // Until the server says otherwise, the password form shows (as it always did).
    let password_on = move || {
        methods
            .get()
            .and_then(Result::ok)
            .is_none_or(|methods| methods.password)
    };
    let provider = move || methods.get().and_then(Result::ok).and_then(|m| m.provider);
    let provider_start = move || {
        format!(
            "/api/v1/session/oidc/start?returnTo={}",
            String::from(js_sys::encode_uri_component(&next.get()))
        )
    };

    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let email_left = RwSignal::new(false);
    let password_left = RwSignal::new(false);
    let tried = RwSignal::new(false);
    let server_error = RwSignal::new(None::<ApiError>);

    let body = move || SignInBody {
        email: email.get(),
        password: password.get(),
    };
    let local_errors = Memo::new(move |_| {
        validate_sign_in(&body())
            .err()
            .unwrap_or(FieldErrors(Vec::new()))
    });

    let sign_in = Action::new_local(|body: &SignInBody| api::sign_in(body.clone()));
    let navigate = use_navigate();
    Effect::new(move |_| match sign_in.value().get() {
        Some(Ok(_)) => {
            navigate(
                &next.get_untracked(),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
            // The outcome is the page the person came for: focus its content, not the
            // page body the sign-in form leaves behind.
            request_animation_frame(focus_main);
        }
        Some(Err(error)) => {
            server_error.set(Some(error));
            focus_outcome(SUMMARY_ID);
        }
        None => {}
    });

    let field_error = move |field: &'static str, left: RwSignal<bool>| {
        Signal::derive(move || {
            if let Some(message) = server_error
                .read()
                .as_ref()
                .and_then(|error| error.for_field(field))
            {
                return Some(message.to_owned());
            }
            if !(left.get() || tried.get()) {
                return None;
            }
            local_errors.read().for_field(field).map(str::to_owned)
        })
    };
    let email_error = field_error("email", email_left);
    let password_error = field_error("password", password_left);
    let edited = Callback::new(move |()| server_error.set(None));

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        tried.set(true);
        server_error.set(None);
        if sign_in.pending().get_untracked() {
            return;
        }
        if !local_errors.read_untracked().0.is_empty() {
            focus_outcome(SUMMARY_ID);
            return;
        }
        sign_in.dispatch_local(body());
    };

    // The summary names what stops the form: the server's message (a wrong password, a
    // blocked account) or, after a submit attempt, that fields below need attention.
    let summary = move || {
        if let Some(error) = server_error.get() {
            let text = match error.errors.is_empty() {
                true => error.message().to_owned(),
                false => "Check the fields marked below.".to_owned(),
            };
            return Some(text);
        }
        if tried.get() && !local_errors.read().0.is_empty() {
            return Some("Check the fields marked below.".to_owned());
        }
        provider_error().map(str::to_owned)
    };

    view! {
        <PublicLayout>
            <div class="narrow">
                <h1>"Sign in"</h1>
                <Show when=expired>
                    <p class="notice" role="status">"Your session has ended. Sign in again."</p>
                </Show>
                <div role="alert" class="form-alert">
                    {move || summary().map(|text| view! { <p class="alert-box" id=SUMMARY_ID>{text}</p> })}
                </div>
                {move || provider().map(|name| view! {
                    <div class="card provider-sign-in">
                        // A full-page trip: the router must not take this link.
                        <a class="button" rel="external" href=provider_start>
                            {format!("Sign in with {name}")}
                        </a>
                    </div>
                    <Show when=password_on>
                        <p class="or-divider" aria-hidden="true"><span>"or"</span></p>
                    </Show>
                })}
                <Show when=password_on>
                <form class="card form" on:submit=submit novalidate>
                    <Field
                        id="email"
                        label="E-mail"
                        input_type="email"
                        autocomplete="username"
                        value=email
                        error=email_error
                        on_input=edited
                        on_blur=Callback::new(move |()| email_left.set(true))
                    />
                    <Field
                        id="password"
                        label="Password"
                        input_type="password"
                        autocomplete="current-password"
                        value=password
                        error=password_error
                        on_input=edited
                        on_blur=Callback::new(move |()| password_left.set(true))
                    />
                    <button type="submit" class="button" disabled=move || sign_in.pending().get()>
                        {move || if sign_in.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </form>
                <p class="muted">
                    "New here? "
                    <A href=move || sign_up_link(&next.get()) attr:rel=rel_for("/sign-up")>"Sign up"</A>
                    " with your e-mail address."
                </p>
                </Show>
            </div>
        </PublicLayout>
    }
}

/// The sign-up page, carrying where the person was going (a shared package link).
pub(crate) fn sign_up_link(next: &str) -> String {
    match next {
        "/" | "" => "/sign-up".to_owned(),
        next => format!(
            "/sign-up?next={}",
            String::from(js_sys::encode_uri_component(next))
        ),
    }
}
