//! Signing in and out, and who the signed-in person is.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use entrada_domain::api::{validate_sign_in, Me, SignInBody};
use entrada_domain::audit::AuditEvent;
use entrada_domain::directory::{User, UserState};
use entrada_domain::ids::AuditEventId;
use sqlx::AnyConnection;

use crate::http::extract::{ApiJson, SignedIn, SESSION_COOKIE};
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

#[utoipa::path(post, path = "/session", tag = "session", summary = "Sign in with e-mail and password; sets the session cookie", request_body = SignInBody, responses((status = 200, body = Me), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn sign_in(
    State(app): State<AppState>,
    ApiJson(body): ApiJson<SignInBody>,
) -> Result<impl IntoResponse, ApiError> {
    validate_sign_in(&body)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let found = store::users::by_email_with_password(&mut tx, &body.email).await?;
    let (user, stored_hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    if !password::verify(body.password.clone(), stored_hash).await {
        return Err(ApiError::BadCredentials);
    }
    let user = user.ok_or(ApiError::BadCredentials)?;
    if user.state != UserState::Active {
        return Err(ApiError::AccountBlocked);
    }
    let token = store::sessions::create(&mut tx, &user.id, now, &app.config.sessions).await?;
    let event = AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        Some(user.id.clone()),
        "session.signedIn",
        "user",
        user.id.as_str(),
    );
    store::audit::append(&mut tx, &event).await?;
    let me = me_of(&mut tx, user).await?;
    tx.commit().await?;

    let max_age = app.config.sessions.absolute.whole_seconds();
    let cookie = session_cookie(&token, max_age, app.config.secure_cookies);
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, cookie);
    Ok((headers, Json(me)))
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
        "session.signedOut",
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

async fn me_of(conn: &mut AnyConnection, user: User) -> Result<Me, sqlx::Error> {
    let global_roles = store::users::global_roles(conn, &user.id).await?;
    let catalog_roles = store::users::catalog_roles(conn, &user.id).await?;
    Ok(Me {
        user,
        global_roles,
        catalog_roles,
    })
}

fn session_cookie(token: &str, max_age_seconds: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_seconds}{secure}");
    HeaderValue::from_str(&value)
        .unwrap_or_else(|_| HeaderValue::from_static("entrada_session=; Max-Age=0"))
}
