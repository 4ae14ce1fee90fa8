//! The typed client of Entrada's HTTP API: the only code in the SPA that calls the network.
//!
//! Every endpoint is an `async fn` over the domain crate's wire types, built on one private
//! [`request`]. A problem+json answer becomes an [`ApiError`]; a 401 from anything but the
//! sign-in call sends the person to `/sign-in?next=…` and comes back there afterwards.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use entrada_domain::api::{Me, PackageOffer, Problem, ProblemType, SignInBody};
use entrada_domain::FieldError;
use gloo_net::http::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::url;

mod admin;
mod audit;
mod mail;

pub(crate) use admin::*;
pub(crate) use audit::*;
pub(crate) use mail::*;

/// Signs in. A wrong password or an unknown e-mail address is a 401 problem, which this
/// call returns to the form instead of redirecting.
pub(crate) async fn sign_in(body: SignInBody) -> Result<Me, ApiError> {
    let call = Call::new(Method::POST, "/session")
        .json(&body)?
        .unauthorized(Unauthorized::Return);
    request(call).await
}

/// Signs up from outside; a verification link and code go to the address.
pub(crate) async fn sign_up(
    body: entrada_domain::signup::SignUpBody,
) -> Result<entrada_domain::signup::SignUpAccepted, ApiError> {
    let call = Call::new(Method::POST, "/signup")
        .json(&body)?
        .unauthorized(Unauthorized::Return);
    request(call).await
}

/// Confirms a sign-up by its link's token or by address and code; signs the person in.
pub(crate) async fn verify_sign_up(
    body: entrada_domain::signup::VerifySignUpBody,
) -> Result<entrada_domain::signup::SignUpVerified, ApiError> {
    let call = Call::new(Method::POST, "/signup/verify")
        .json(&body)?
        .unauthorized(Unauthorized::Return);
    request(call).await
}

/// Signs out. A session that already ended counts as signed out.
pub(crate) async fn sign_out() -> Result<(), ApiError> {
    let call = Call::new(Method::DELETE, "/session").unauthorized(Unauthorized::Return);
    match request::<()>(call).await {
        Err(error) if error.status == 401 => Ok(()),
        result => result,
    }
}

/// How people may sign in here (a password, the organisation's OpenID provider).
pub(crate) async fn sign_in_methods() -> Result<entrada_domain::api::SignInMethods, ApiError> {
    request(Call::new(Method::GET, "/session/methods")).await
}

/// The signed-in person and their roles.
pub(crate) async fn me() -> Result<Me, ApiError> {
    request(Call::new(Method::GET, "/me")).await
}

/// The access packages the signed-in person may request now, filtered by `search`.
pub(crate) async fn my_access_packages(search: String) -> Result<Vec<PackageOffer>, ApiError> {
    let mut call = Call::new(Method::GET, "/my/access-packages");
    let search = search.trim();
    if !search.is_empty() {
        call = call.query("search", search);
    }
    request(call).await
}

/// One access package as the signed-in person may see it (hidden ones too, by id).
pub(crate) async fn access_package(id: String) -> Result<PackageOffer, ApiError> {
    let path = format!("/access-packages/{}", url::encode_query_value(&id));
    request(Call::new(Method::GET, &path)).await
}

/// Lets [`request`] navigate inside the SPA (without reloading it) when a session ends.
/// `App` installs the router's navigate function once; before that, a full page load is used.
pub(crate) fn install_navigator(navigate: impl Fn(&str) + 'static) {
    NAVIGATOR.with(|navigator| *navigator.borrow_mut() = Some(Rc::new(navigate)));
}

/// What went wrong with an API call, as the server's problem+json said it, or as the SPA
/// describes a failure that never reached the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// HTTP status; 0 when the server could not be reached.
    pub status: u16,
    /// The documented kind of problem, when the server sent one.
    pub kind: Option<ProblemType>,
    /// Short summary.
    pub title: String,
    /// What happened, for people.
    pub detail: String,
    /// Field-level validation errors, to show next to each field.
    pub errors: Vec<FieldError>,
}

impl ApiError {
    /// The sentence to show a person: the detail, or the title when there is none.
    pub(crate) fn message(&self) -> &str {
        match self.detail.is_empty() {
            true => &self.title,
            false => &self.detail,
        }
    }

    /// The server's message for one form field, if it sent one.
    pub(crate) fn for_field(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }

    /// Whether the thing asked for does not exist or may not be seen.
    pub(crate) fn is_not_found(&self) -> bool {
        self.status == 404
    }

    /// Whether a 401 says that a session ended, rather than that there never was one.
    fn session_expired(&self) -> bool {
        self.kind == Some(ProblemType::SessionExpired)
    }

    fn unreachable() -> ApiError {
        ApiError {
            status: 0,
            kind: None,
            title: "Entrada can't be reached".to_owned(),
            detail: "Check your connection and try again.".to_owned(),
            errors: Vec::new(),
        }
    }

    fn unexpected(status: u16) -> ApiError {
        ApiError {
            status,
            kind: None,
            title: "Unexpected answer from the server".to_owned(),
            detail: format!("The server answered with status {status}, which this page doesn't understand. Try again."),
            errors: Vec::new(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.title, self.detail)
    }
}

impl std::error::Error for ApiError {}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        ApiError {
            kind: problem.kind(),
            status: problem.status,
            title: problem.title,
            detail: problem.detail,
            errors: problem.errors,
        }
    }
}

const BASE: &str = "/api/v1";

/// The router's navigate function, shared with [`send_to_sign_in`].
type Navigate = Rc<dyn Fn(&str)>;

thread_local! {
    static NAVIGATOR: RefCell<Option<Navigate>> = const { RefCell::new(None) };
}

/// What a 401 answer means to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unauthorized {
    /// The session is missing or ended: go to sign-in and come back afterwards.
    SignIn,
    /// The caller handles it (signing in with a wrong password, signing out).
    Return,
}

/// One API call, before it is sent.
struct Call {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<String>,
    unauthorized: Unauthorized,
}

impl Call {
    fn new(method: Method, path: &str) -> Call {
        Call {
            method,
            path: path.to_owned(),
            query: Vec::new(),
            body: None,
            unauthorized: Unauthorized::SignIn,
        }
    }

    fn query(mut self, name: &'static str, value: &str) -> Call {
        self.query.push((name, value.to_owned()));
        self
    }

    fn json(mut self, body: &impl Serialize) -> Result<Call, ApiError> {
        let text = serde_json::to_string(body).map_err(|_| ApiError::unexpected(0))?;
        self.body = Some(text);
        Ok(self)
    }

    fn unauthorized(mut self, unauthorized: Unauthorized) -> Call {
        self.unauthorized = unauthorized;
        self
    }
}

/// Sends a call and reads its JSON answer. An empty answer (204) reads as JSON `null`, so
/// `T = ()` serves calls that return nothing.
async fn request<T: DeserializeOwned>(call: Call) -> Result<T, ApiError> {
    let (status, text) = send(call).await?;
    let text = match text.trim().is_empty() {
        true => "null",
        false => text.as_str(),
    };
    serde_json::from_str(text).map_err(|_| ApiError::unexpected(status))
}

/// Sends a call and returns the status and body of a 2xx answer; anything else is an
/// [`ApiError`]. Not generic and boxed, so the web app holds one copy of it rather than
/// one inlined into every answer type's future (issue 12: the first load's size).
fn send(call: Call) -> Pin<Box<dyn Future<Output = Sent>>> {
    Box::pin(send_now(call))
}

/// The status and body of a 2xx answer, or what went wrong.
type Sent = Result<(u16, String), ApiError>;

async fn send_now(call: Call) -> Sent {
    let mut builder = RequestBuilder::new(&format!("{BASE}{}", call.path))
        .method(call.method)
        .header("Accept", "application/json, application/problem+json");
    if !call.query.is_empty() {
        builder = builder.query(
            call.query
                .iter()
                .map(|(name, value)| (*name, value.as_str())),
        );
    }
    let request = match call.body {
        Some(body) => builder
            .header("Content-Type", "application/json")
            .body(body),
        None => builder.build(),
    }
    .map_err(|_| ApiError::unexpected(0))?;

    let response = request.send().await.map_err(|_| ApiError::unreachable())?;
    let status = response.status();
    let text = response.text().await.map_err(|_| ApiError::unreachable())?;

    if !(200..300).contains(&status) {
        let error = serde_json::from_str::<Problem>(&text)
            .map(ApiError::from)
            .unwrap_or_else(|_| ApiError::unexpected(status));
        if status == 401 && call.unauthorized == Unauthorized::SignIn {
            send_to_sign_in(&error);
        }
        return Err(error);
    }
    Ok((status, text))
}

/// Sends the person to sign in, remembering where they were (path and query).
fn send_to_sign_in(error: &ApiError) {
    let location = leptos::prelude::window().location();
    let path = location.pathname().unwrap_or_default();
    if path == "/sign-in" {
        return;
    }
    let here = format!("{path}{}", location.search().unwrap_or_default());
    let target = url::sign_in_path(&here, error.session_expired());
    let navigator = NAVIGATOR.with(|navigator| navigator.borrow().clone());
    match navigator {
        Some(navigate) => navigate(&target),
        None => {
            let _ = location.assign(&target);
        }
    }
}

/// Asks for a package (`userAdd`), more time (`userExtend`) or to give access up
/// (`userRemove`). A 409 says the person already holds it or already asked; a 422 names
/// the fields of the form that need attention.
pub(crate) async fn create_request(
    body: entrada_domain::api::NewRequestBody,
) -> Result<entrada_domain::api::RequestView, ApiError> {
    request(Call::new(Method::POST, "/requests").json(&body)?).await
}

/// One request with its stages and decisions, for its requestor and its approvers.
pub(crate) async fn access_request(
    id: String,
) -> Result<entrada_domain::api::RequestView, ApiError> {
    let path = format!("/requests/{}", url::encode_query_value(&id));
    request(Call::new(Method::GET, &path)).await
}

/// Withdraws a pending request of the signed-in person.
pub(crate) async fn cancel_request(
    id: String,
) -> Result<entrada_domain::api::RequestView, ApiError> {
    let path = format!("/requests/{}/cancel", url::encode_query_value(&id));
    request(Call::new(Method::POST, &path)).await
}

/// Approves or denies the current stage of a request. A 409 says that someone else
/// decided first.
pub(crate) async fn decide_request(
    id: String,
    body: entrada_domain::api::DecisionBody,
) -> Result<entrada_domain::api::RequestView, ApiError> {
    let path = format!("/requests/{}/decisions", url::encode_query_value(&id));
    request(Call::new(Method::POST, &path).json(&body)?).await
}

/// The requests waiting for the signed-in person's decision now.
pub(crate) async fn approvals() -> Result<Vec<entrada_domain::api::RequestView>, ApiError> {
    request(Call::new(Method::GET, "/approvals")).await
}

/// The signed-in person's requests, newest first.
pub(crate) async fn my_requests() -> Result<Vec<entrada_domain::api::RequestView>, ApiError> {
    request(Call::new(Method::GET, "/my/requests")).await
}

/// The signed-in person's access packages, active and ended.
pub(crate) async fn my_assignments() -> Result<Vec<entrada_domain::api::MyAssignment>, ApiError> {
    request(Call::new(Method::GET, "/my/assignments")).await
}
