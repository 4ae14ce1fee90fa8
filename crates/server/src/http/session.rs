//! Signing in and out, and who the signed-in person is.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use entrada_domain::api::{validate_sign_in, Me, SignInBody};
use entrada_domain::audit::AuditAction;
use entrada_domain::audit::AuditEvent;
use entrada_domain::directory::{User, UserState};
use entrada_domain::ids::{AuditEventId, UserId};
use sqlx::AnyConnection;

use crate::http::extract::{session_cookie_name, session_token, ApiJson, ClientAddress, SignedIn};
use crate::http::{ApiError, AppState};
use crate::{password, store};
use entrada_domain::api::Problem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(me))
}

#[utoipa::path(post, path = "/session", tag = "session", summary = "Sign in with e-mail and password; sets the session cookie", description = "After 10 failed sign-ins within 15 minutes for one account, or from one address, further tries are refused with 429 and Retry-After until the oldest failure is 15 minutes old. A session cookie the browser already sent is ended.", request_body = SignInBody, responses((status = 200, body = Me), (status = 429, description = "Too many failed sign-ins; the Retry-After header says how many seconds to wait", body = Problem, content_type = "application/problem+json"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn sign_in(
    State(app): State<AppState>,
    ClientAddress(address): ClientAddress,
    request_headers: HeaderMap,
    ApiJson(body): ApiJson<SignInBody>,
) -> Result<impl IntoResponse, ApiError> {
    if !app.config.password_sign_in {
        let how = match &app.config.oidc {
            Some(oidc) => format!("sign in with {}", oidc.name),
            None => "ask an administrator".to_owned(),
        };
        return Err(ApiError::ForbiddenBecause(format!(
            "Signing in with a password is turned off here; {how}."
        )));
    }
    validate_sign_in(&body)?;
    let now = app.clock.now();
    let account = body.email.trim().to_lowercase();

    // Everything up to the password check only reads: argon2 is slow on purpose, and no
    // write transaction (on SQLite, the database's one write lock) may be held through it.
    let mut conn = app.db.acquire().await?;
    if let Some(until) =
        store::sessions::sign_in_blocked_until(&mut conn, &account, &address, now).await?
    {
        drop(conn);
        // Whole seconds, rounded up: asking again after Retry-After must not be refused.
        let millis = (until - now).whole_milliseconds().max(1).unsigned_abs();
        let retry_after_seconds = u64::try_from(millis.div_ceil(1000)).unwrap_or(u64::MAX);
        let mut tx = crate::db::begin(&app.db).await?;
        let event = sign_in_event(None, AuditAction::SignInThrottled, &account, &address, now)
            .with_detail("retryAfterSeconds", retry_after_seconds.to_string());
        store::audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        return Err(ApiError::TooManyAttempts {
            retry_after_seconds,
        });
    }
    let found = store::users::by_email_with_password(&mut conn, &account).await?;
    drop(conn);
    let (user, stored_hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    let verified = password::verify(body.password.clone(), stored_hash).await;
    let user = match (verified, user) {
        (true, Some(user)) => user,
        (_, user) => {
            let mut tx = crate::db::begin(&app.db).await?;
            store::sessions::record_sign_in_failure(&mut tx, &account, &address, now).await?;
            let target = user.as_ref().map(|user| user.id.clone());
            let event = sign_in_event(target, AuditAction::SignInFailed, &account, &address, now);
            store::audit::append(&mut tx, &event).await?;
            tx.commit().await?;
            return Err(ApiError::BadCredentials);
        }
    };
    if user.state != UserState::Active {
        // Only now, with the right password, is the reason told.
        let mut conn = app.db.acquire().await?;
        let detail = crate::guest_lifecycle::blocked_sign_in_detail(&mut conn, &user.id).await?;
        return Err(ApiError::AccountBlocked(detail));
    }

    let mut tx = crate::db::begin(&app.db).await?;
    store::sessions::clear_sign_in_failures(&mut tx, &account).await?;
    let cookie = open_session(
        &mut tx,
        &app,
        &request_headers,
        &user,
        &address,
        "password",
        now,
    )
    .await?;
    let me = me_of(&mut tx, user).await?;
    tx.commit().await?;

    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, cookie);
    Ok((headers, Json(me)))
}

/// Opens a session for `user`, who proved who they are by `method` (`password`,
/// `openIdProvider`): a session this browser already had ends (a session planted before
/// sign-in, session fixation, or one left over from someone else on a shared computer
/// does not live on), and the sign-in is audited. Returns the cookie to set.
pub(crate) async fn open_session(
    tx: &mut AnyConnection,
    app: &AppState,
    request_headers: &HeaderMap,
    user: &User,
    address: &str,
    method: &'static str,
    now: time::OffsetDateTime,
) -> Result<HeaderValue, sqlx::Error> {
    let cookie_name = session_cookie_name(app.config.secure_cookies);
    if let Some(previous) = session_token(request_headers, cookie_name) {
        store::sessions::delete(tx, &store::sessions::hash_token(&previous)).await?;
    }
    let token = store::sessions::create(tx, &user.id, now, &app.config.sessions).await?;
    let event = AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        Some(user.id.clone()),
        AuditAction::SessionSignedIn,
        "user",
        user.id.as_str(),
    )
    .with_detail("address", address.to_owned())
    .with_detail("method", method);
    store::audit::append(tx, &event).await?;
    let max_age = app.config.sessions.absolute.whole_seconds();
    Ok(session_cookie(&token, max_age, app.config.secure_cookies))
}

/// The audit event of a refused sign-in: about the account when it exists, else about the
/// e-mail that was tried.
pub(crate) fn sign_in_event(
    user: Option<UserId>,
    action: AuditAction,
    account: &str,
    address: &str,
    now: time::OffsetDateTime,
) -> AuditEvent {
    let (kind, target) = match &user {
        Some(user) => ("user", user.as_str().to_owned()),
        None => ("signIn", account.to_owned()),
    };
    AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        None,
        action,
        kind,
        &target,
    )
    .with_detail("email", account.to_owned())
    .with_detail("address", address.to_owned())
}

#[utoipa::path(delete, path = "/session", tag = "session", summary = "Sign out", responses((status = 204, description = "Signed out"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn sign_out(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<impl IntoResponse, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    store::sessions::delete(&mut tx, &signed_in.token_hash).await?;
    let user = &signed_in.user.id;
    let event = AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        Some(user.clone()),
        AuditAction::SessionSignedOut,
        "user",
        user.as_str(),
    );
    store::audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        session_cookie("", 0, app.config.secure_cookies),
    );
    Ok((StatusCode::NO_CONTENT, headers))
}

#[utoipa::path(get, path = "/me", tag = "session", summary = "The signed-in person, their roles and scopes", responses((status = 200, body = Me), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn me(State(app): State<AppState>, signed_in: SignedIn) -> Result<Json<Me>, ApiError> {
    let mut conn = app.db.acquire().await?;
    Ok(Json(me_of(&mut conn, signed_in.user).await?))
}

pub(crate) async fn me_of(conn: &mut AnyConnection, user: User) -> Result<Me, sqlx::Error> {
    let global_roles = store::users::global_roles(conn, &user.id).await?;
    let catalog_roles = store::users::catalog_roles(conn, &user.id).await?;
    Ok(Me {
        user,
        global_roles,
        catalog_roles,
    })
}

pub(crate) fn session_cookie(token: &str, max_age_seconds: i64, secure: bool) -> HeaderValue {
    let name = session_cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{name}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_seconds}{secure}"
    );
    HeaderValue::from_str(&value)
        .unwrap_or_else(|_| HeaderValue::from_static("entrada_session=; Max-Age=0"))
}
