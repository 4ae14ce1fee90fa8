//! Signing in through the organisation's OpenID provider: what the sign-in page offers,
//! the departure to the provider and the return from it. Both ends of the trip are browser
//! navigations, so they answer with redirects: to the provider, then to where the person
//! was going, or back to the sign-in page with `?error=` naming why (see
//! `entrada_domain::api::provider_sign_in_error`).

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use entrada_domain::api::{Problem, SignInMethods};
use entrada_domain::audit::AuditAction;
use entrada_domain::directory::UserState;
use entrada_domain::organization::configured_owner_of;
use entrada_domain::signup::safe_return_path;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::ClientAddress;
use crate::http::session::{open_session, sign_in_event};
use crate::http::{ApiError, AppState};
use crate::oidc::{Identity, OidcError, LOGIN_TTL};
use crate::signups::{create_external, NewExternal};
use crate::store;
use crate::store::oidc::Waiting;

/// Where the provider sends people back to (registered with the provider).
pub(crate) const CALLBACK_PATH: &str = "/api/v1/session/oidc/callback";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(methods))
        .routes(routes!(start))
        .routes(routes!(callback))
}

/// `GET /session/methods`.
#[utoipa::path(get, path = "/session/methods", tag = "session", summary = "How people may sign in here: with a password, through the organisation's OpenID provider, or both", responses((status = 200, body = SignInMethods), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn methods(State(app): State<AppState>) -> Json<SignInMethods> {
    Json(SignInMethods {
        password: app.config.password_sign_in,
        provider: app.config.oidc.as_ref().map(|oidc| oidc.name.clone()),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartQuery {
    return_to: Option<String>,
    login_hint: Option<String>,
}

/// `GET /session/oidc/start`.
#[utoipa::path(get, path = "/session/oidc/start", tag = "session", summary = "Leave for the organisation's OpenID provider to sign in", description = "Answers 303 to the provider's authorization endpoint (the authorization code flow with PKCE, a fresh state and nonce), or to `/sign-in?error=providerUnavailable` when the provider cannot be reached. `returnTo` (a local path) is where the person lands once signed in; `loginHint` is passed on to the provider.", params(("returnTo" = Option<String>, Query, description = "A local path to land on once signed in"), ("loginHint" = Option<String>, Query, description = "The address the person typed, passed on as login_hint")), responses((status = 303, description = "To the provider, or back to the sign-in page"), (status = "4XX", description = "Problem details (RFC 9457); 404 when no OpenID provider is configured", body = Problem, content_type = "application/problem+json")))]
async fn start(
    State(app): State<AppState>,
    Query(query): Query<StartQuery>,
) -> Result<Response, ApiError> {
    let oidc = app
        .oidc
        .clone()
        .ok_or(ApiError::NotFound("OpenID provider"))?;
    let return_to = query.return_to.as_deref().and_then(safe_return_path);
    let hint = query
        .login_hint
        .as_deref()
        .map(str::trim)
        .filter(|hint| !hint.is_empty() && hint.len() <= 320);
    let departure = match oidc.depart(hint).await {
        Ok(departure) => departure,
        Err(error) => {
            tracing::warn!(%error, "the OpenID provider could not be reached");
            return Ok(back_to_sign_in("providerUnavailable", return_to.as_deref()));
        }
    };
    let now = app.clock.now();
    let waiting = Waiting {
        nonce: departure.nonce,
        pkce_verifier: departure.pkce_verifier,
        return_to,
    };
    let mut tx = crate::db::begin(&app.db).await?;
    store::oidc::insert(&mut tx, &departure.state, &waiting, now, now + LOGIN_TTL).await?;
    tx.commit().await?;
    Ok(see_other(&departure.url))
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /session/oidc/callback`.
#[utoipa::path(get, path = "/session/oidc/callback", tag = "session", summary = "Come back from the OpenID provider", description = "The provider's redirect. The state must be one this server gave out within the last 10 minutes and not used yet; the code is exchanged with the PKCE verifier; the ID token's signature, issuer, audience, expiry and nonce are verified. The person is matched by the configured claim (their e-mail address by default). Someone unknown from a connected organisation's domain, whose address the provider verified, becomes an external person of that organisation, as a sign-up would make them. Answers 303 with the session cookie to the path the sign-in began for, or 303 to `/sign-in?error=…` (unknownPerson, blocked, expired, refused, invalidToken, providerUnavailable) without one.", params(("code" = Option<String>, Query, description = "The authorization code"), ("state" = Option<String>, Query, description = "The state given at departure"), ("error" = Option<String>, Query, description = "The provider's error, when it refused")), responses((status = 303, description = "Signed in, or back to the sign-in page with the reason"), (status = "4XX", description = "Problem details (RFC 9457); 404 when no OpenID provider is configured", body = Problem, content_type = "application/problem+json")))]
async fn callback(
    State(app): State<AppState>,
    ClientAddress(address): ClientAddress,
    request_headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, ApiError> {
    let oidc = app
        .oidc
        .clone()
        .ok_or(ApiError::NotFound("OpenID provider"))?;
    let now = app.clock.now();
    // The state is taken (deleted) first, whatever happens next: it works once.
    let waiting = match &query.state {
        Some(state) => {
            let mut tx = crate::db::begin(&app.db).await?;
            let waiting = store::oidc::take(&mut tx, state, now).await?;
            tx.commit().await?;
            waiting
        }
        None => None,
    };
    let Some(waiting) = waiting else {
        refused(&app, &address, "expired", Refusal::default()).await?;
        return Ok(back_to_sign_in("expired", None));
    };
    let return_to = waiting.return_to.as_deref();
    let code = match (&query.error, &query.code) {
        (None, Some(code)) => code,
        (error, _) => {
            let reason = error.as_deref().unwrap_or("no code");
            let refusal = Refusal {
                error: Some(reason),
                ..Refusal::default()
            };
            refused(&app, &address, "refused", refusal).await?;
            return Ok(back_to_sign_in("refused", return_to));
        }
    };
    let identity = match oidc
        .arrive(code, &waiting.pkce_verifier, &waiting.nonce, now)
        .await
    {
        Ok(identity) => identity,
        Err(error) => {
            tracing::warn!(%error, "a sign-in through the OpenID provider failed");
            let why = match error {
                OidcError::Discovery(_) => "providerUnavailable",
                _ => "invalidToken",
            };
            let error = error.to_string();
            let refusal = Refusal {
                error: Some(&error),
                ..Refusal::default()
            };
            refused(&app, &address, why, refusal).await?;
            return Ok(back_to_sign_in(why, return_to));
        }
    };

    let mut tx = crate::db::begin(&app.db).await?;
    let user = match store::users::by_email_with_password(&mut tx, &identity.login).await? {
        Some((user, _)) => user,
        None => match partner(&mut tx, &identity, now).await? {
            Some(user) => user,
            None => {
                drop(tx);
                let refusal = Refusal {
                    login: Some(&identity.login),
                    ..Refusal::default()
                };
                refused(&app, &address, "unknownPerson", refusal).await?;
                return Ok(back_to_sign_in("unknownPerson", return_to));
            }
        },
    };
    if user.state != UserState::Active {
        drop(tx);
        let refusal = Refusal {
            login: Some(&identity.login),
            user: Some(user.id.clone()),
            error: None,
        };
        refused(&app, &address, "blocked", refusal).await?;
        return Ok(back_to_sign_in("blocked", return_to));
    }
    let cookie = open_session(
        &mut tx,
        &app,
        &request_headers,
        &user,
        &address,
        "openIdProvider",
        now,
    )
    .await?;
    tx.commit().await?;
    let mut response = see_other(return_to.unwrap_or("/"));
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Someone unknown whose address the provider verified and whose domain is a configured
/// connected organisation's: an external person of that organisation, as a sign-up makes
/// them. None for anyone else.
async fn partner(
    conn: &mut sqlx::AnyConnection,
    identity: &Identity,
    now: time::OffsetDateTime,
) -> Result<Option<entrada_domain::directory::User>, sqlx::Error> {
    let Some(email) = identity
        .email
        .as_deref()
        .filter(|email| *email == identity.login)
    else {
        return Ok(None);
    };
    let organizations = store::directory::all_organizations(conn).await?;
    if configured_owner_of(email, &organizations).is_none() {
        return Ok(None);
    }
    let person = NewExternal {
        email,
        display_name: identity.name.as_deref().unwrap_or(email),
        password_hash: None,
        via: "openIdProvider",
    };
    create_external(conn, &person, now).await
}

/// What is known of a refused sign-in through the provider.
#[derive(Default)]
struct Refusal<'a> {
    /// The address (or other claim) the provider named.
    login: Option<&'a str>,
    /// The person it matched.
    user: Option<entrada_domain::ids::UserId>,
    /// The provider's or the verification's error.
    error: Option<&'a str>,
}

/// Audits a refused sign-in through the provider.
async fn refused(
    app: &AppState,
    address: &str,
    why: &'static str,
    refusal: Refusal<'_>,
) -> Result<(), ApiError> {
    let now = app.clock.now();
    let login = refusal.login.unwrap_or("(unknown)");
    let mut event = sign_in_event(refusal.user, AuditAction::SignInFailed, login, address, now)
        .with_detail("method", "openIdProvider")
        .with_detail("reason", why);
    if let Some(error) = refusal.error {
        event = event.with_detail("error", error.chars().take(500).collect::<String>());
    }
    let mut tx = crate::db::begin(&app.db).await?;
    store::audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// 303 to `location`.
fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, "/sign-in")]).into_response(),
    }
}

/// 303 to the sign-in page, saying why, keeping where the person was going (the page's
/// `next`).
fn back_to_sign_in(why: &str, return_to: Option<&str>) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("error", why);
    if let Some(path) = return_to {
        query.append_pair("next", path);
    }
    see_other(&format!("/sign-in?{}", query.finish()))
}
