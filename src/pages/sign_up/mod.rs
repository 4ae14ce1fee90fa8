//! Signing up from outside the organisation: the form, "check your e-mail" with the code,
//! and `/sign-up/verify?token=` for the link in the message.

use entrada_domain::signup::{
    normalize_code, safe_return_path, validate_sign_up, SignUpBody, VerifySignUpBody,
};
use entrada_domain::FieldErrors;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api::{self, ApiError};
use crate::components::focus::focus_outcome;
use crate::components::{focus_main, set_page_title, Field, PublicLayout};

/// The id of the message that says what stopped the form.
const SUMMARY_ID: &str = "sign-up-error";

/// Opens `path` (the package the person came from) once they are signed in.
fn land(navigate: &impl Fn(&str, NavigateOptions), path: &str) {
    navigate(
        path,
        NavigateOptions {
            replace: true,
            ..Default::default()
        },
    );
    request_animation_frame(focus_main);
}

/// `/sign-up?next=…`: an e-mail address, a name and a password; then a 6-digit code (or
/// the link in the message) confirms the address.
#[component]
pub(crate) fn SignUpPage() -> impl IntoView {
    set_page_title("Sign up");
    let query = use_query_map();
    let next = Memo::new(move |_| {
        query
            .read()
            .get("next")
            .and_then(|next| safe_return_path(&next))
    });

    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let left = [
        RwSignal::new(false),
        RwSignal::new(false),
        RwSignal::new(false),
    ];
    let tried = RwSignal::new(false);
    let server_error = RwSignal::new(None::<ApiError>);
    let sent_to = RwSignal::new(None::<String>);

    let body = move || SignUpBody {
        email: email.get(),
        display_name: name.get(),
        password: password.get(),
        return_to: next.get(),
    };
    let local_errors = Memo::new(move |_| {
        validate_sign_up(&body())
            .err()
            .unwrap_or(FieldErrors(Vec::new()))
    });

    let sign_up = Action::new_local(|body: &SignUpBody| api::sign_up(body.clone()));
    Effect::new(move |_| match sign_up.value().get() {
        Some(Ok(accepted)) => {
            sent_to.set(Some(accepted.email));
            request_animation_frame(|| focus_outcome("check-mail"));
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
    let edited = Callback::new(move |()| server_error.set(None));
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        tried.set(true);
        server_error.set(None);
        if sign_up.pending().get_untracked() {
            return;
        }
        if !local_errors.read_untracked().0.is_empty() {
            focus_outcome(SUMMARY_ID);
            return;
        }
        sign_up.dispatch_local(body());
    };
    let summary = move || {
        if let Some(error) = server_error.get() {
            return Some(match error.errors.is_empty() {
                true => error.message().to_owned(),
                false => "Check the fields marked below.".to_owned(),
            });
        }
        (tried.get() && !local_errors.read().0.is_empty())
            .then(|| "Check the fields marked below.".to_owned())
    };
    let send_again = Callback::new(move |()| {
        if !sign_up.pending().get_untracked() {
            sign_up.dispatch_local(body());
        }
    });
    let sign_in_href = move || match next.get() {
        Some(next) => format!(
            "/sign-in?next={}",
            String::from(js_sys::encode_uri_component(&next))
        ),
        None => "/sign-in".to_owned(),
    };

    view! {
        <PublicLayout>
            <div class="narrow">
                {move || match sent_to.get() {
                    Some(address) => view! {
                        <CodeEntry address=address send_again=send_again sending=Signal::derive(move || sign_up.pending().get())/>
                    }.into_any(),
                    None => view! {
                        <h1>"Sign up"</h1>
                        <p>"Partners and guests sign up with their own e-mail address. We send a link and a code to confirm it."</p>
                        <div role="alert" class="form-alert">
                            {move || summary().map(|text| view! { <p class="alert-box" id=SUMMARY_ID tabindex="-1">{text}</p> })}
                        </div>
                        <form class="card form" on:submit=submit novalidate>
                            <Field id="email" label="E-mail" input_type="email" autocomplete="email" value=email
                                error=field_error("email", left[0]) on_input=edited
                                on_blur=Callback::new(move |()| left[0].set(true))/>
                            <Field id="displayName" label="Your name" autocomplete="name" value=name
                                error=field_error("displayName", left[1]) on_input=edited
                                on_blur=Callback::new(move |()| left[1].set(true))/>
                            <Field id="password" label="Password (at least 10 characters)" input_type="password" autocomplete="new-password" value=password
                                error=field_error("password", left[2]) on_input=edited
                                on_blur=Callback::new(move |()| left[2].set(true))/>
                            <button type="submit" class="button" disabled=move || sign_up.pending().get()>
                                {move || if sign_up.pending().get() { "Signing up…" } else { "Sign up" }}
                            </button>
                        </form>
                        <p class="muted">"Already have an account? " <A href=sign_in_href>"Sign in"</A></p>
                    }.into_any(),
                }}
            </div>
        </PublicLayout>
    }
}

/// "Check your e-mail": the 6-digit code from the message, or its link.
#[component]
fn CodeEntry(
    address: String,
    send_again: Callback<()>,
    #[prop(into)] sending: Signal<bool>,
) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let resent = RwSignal::new(false);
    let verify = Action::new_local(|body: &VerifySignUpBody| api::verify_sign_up(body.clone()));
    let navigate = use_navigate();
    Effect::new(move |_| match verify.value().get() {
        Some(Ok(verified)) => land(&navigate, &verified.return_to),
        Some(Err(problem)) => {
            error.set(Some(
                problem
                    .for_field("code")
                    .unwrap_or(problem.message())
                    .to_owned(),
            ));
            focus_outcome("code");
        }
        None => {}
    });
    let email = address.clone();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        match normalize_code(&code.get_untracked()) {
            Err(message) => {
                error.set(Some(message));
                focus_outcome("code");
            }
            Ok(digits) => {
                error.set(None);
                if !verify.pending().get_untracked() {
                    verify.dispatch_local(VerifySignUpBody {
                        token: None,
                        email: Some(email.clone()),
                        code: Some(digits),
                    });
                }
            }
        }
    };
    view! {
        <h1 id="check-mail" tabindex="-1">"Check your e-mail"</h1>
        <p role="status">
            "We sent a link and a 6-digit code to " <strong>{address}</strong>
            ". Open the link, or type the code here. Both work once, for 24 hours."
        </p>
        <form class="card form" on:submit=submit novalidate>
            <div class="field" class:invalid=move || error.get().is_some()>
                <label for="code">"Code from the message"</label>
                <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                    maxlength="7" pattern="[0-9 ]*"
                    prop:value=move || code.get()
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    aria-describedby=move || error.get().map(|_| "code-error")
                    on:input=move |event| { code.set(event_target_value(&event)); error.set(None); }/>
                <p class="field-error" id="code-error">{move || error.get()}</p>
            </div>
            <button type="submit" class="button" disabled=move || verify.pending().get()>
                {move || if verify.pending().get() { "Confirming…" } else { "Confirm" }}
            </button>
        </form>
        <p class="muted">
            "No message? Check your spam folder, or "
            <button type="button" class="link-button" disabled=move || sending.get()
                on:click=move |_| { resent.set(true); send_again.run(()); }>"send it again"</button>
            "."
            <Show when=move || resent.get() && !sending.get()>
                <span role="status">" Sent again: only the newest code works."</span>
            </Show>
        </p>
    }
}

/// `/sign-up/verify?token=…`: the link in the verification message. Confirms the address,
/// signs the person in and opens the page they came from.
#[component]
pub(crate) fn VerifySignUpPage() -> impl IntoView {
    set_page_title("Confirming your address");
    let query = use_query_map();
    let token = query.read_untracked().get("token").unwrap_or_default();
    let verify = Action::new_local(|body: &VerifySignUpBody| api::verify_sign_up(body.clone()));
    if token.trim().is_empty() {
        verify.value().set(Some(Err(ApiError {
            status: 400,
            kind: None,
            title: "Incomplete link".to_owned(),
            detail:
                "This link is incomplete. Open the link from the message again, or sign up again."
                    .to_owned(),
            errors: Vec::new(),
        })));
    } else {
        verify.dispatch_local(VerifySignUpBody {
            token: Some(token),
            email: None,
            code: None,
        });
    }
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(verified)) = verify.value().get() {
            land(&navigate, &verified.return_to);
        }
    });
    view! {
        <PublicLayout>
            <div class="narrow">
                {move || match verify.value().get() {
                    Some(Err(problem)) => view! {
                        <h1>"This link doesn't work"</h1>
                        <p class="alert-box" role="alert">{problem.message().to_owned()}</p>
                        <p><A href="/sign-up">"Sign up again"</A>" or "<A href="/sign-in">"sign in"</A>"."</p>
                    }.into_any(),
                    _ => view! {
                        <h1>"Confirming your address…"</h1>
                        <p role="status">"One moment."</p>
                    }.into_any(),
                }}
            </div>
        </PublicLayout>
    }
}
