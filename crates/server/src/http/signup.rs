//! Signing up from outside the organisation (anyone may call these): `POST /signup` and
//! `POST /signup/verify`. The logic lives in `crate::signups`.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use entrada_domain::api::Problem;
use entrada_domain::signup::{
    validate_sign_up, validate_verification, SignUpAccepted, SignUpBody, SignUpVerified,
    VerifySignUpBody, VERIFICATION_VALID_HOURS,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{session_cookie_name, session_token, ApiJson, ClientAddress};
use crate::http::session::{me_of, session_cookie};
use crate::http::{ApiError, AppState};
use crate::signups;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(verify))
}

/// `POST /signup`.
#[utoipa::path(post, path = "/signup", tag = "session", summary = "Sign up from outside the organisation; a verification link and code go to the address", description = "Answers 202 with the same body whether or not the address already has an account (an existing account's owner gets a message saying so instead of a verification). A new sign-up for an address replaces its pending one. `returnTo` is kept only when it is a local path.", request_body = SignUpBody, responses((status = 202, body = SignUpAccepted), (status = 429, description = "Too many failed attempts from this address or network", body = Problem, content_type = "application/problem+json"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn sign_up(
    State(app): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<SignUpBody>,
) -> Result<(StatusCode, Json<SignUpAccepted>), ApiError> {
    let form = validate_sign_up(&body)?;
    let email = form.email.clone();
    let now = app.clock.now();
    signups::sign_up(&app.db, &app.config.link_base(), form, &address, now).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SignUpAccepted {
            email,
            valid_hours: VERIFICATION_VALID_HOURS,
        }),
    ))
}

/// `POST /signup/verify`.
#[utoipa::path(post, path = "/signup/verify", tag = "session", summary = "Confirm a sign-up by its link's token or by address and code; signs the person in", description = "Creates the person (kind external: not in the directory until a first request is approved) and sets the session cookie like POST /session. A used, forged or expired link is a 409; a wrong code a 422 on `code` (after 5 wrong codes the sign-up is void).", request_body = VerifySignUpBody, responses((status = 200, body = SignUpVerified), (status = 409, description = "The link has expired or was already used", body = Problem, content_type = "application/problem+json"), (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn verify(
    State(app): State<AppState>,
    ClientAddress(address): ClientAddress,
    request_headers: HeaderMap,
    ApiJson(body): ApiJson<VerifySignUpBody>,
) -> Result<impl IntoResponse, ApiError> {
    let proof = validate_verification(&body)?;
    let now = app.clock.now();
    let cookie_name = session_cookie_name(app.config.secure_cookies);
    let previous = session_token(&request_headers, cookie_name);
    let verified = signups::verify(
        &app.db,
        proof,
        &address,
        previous.as_deref(),
        &app.config.sessions,
        now,
    )
    .await?;
    let mut conn = app.db.acquire().await?;
    let me = me_of(&mut conn, verified.user).await?;
    drop(conn);
    let max_age = app.config.sessions.absolute.whole_seconds();
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        session_cookie(&verified.session_token, max_age, app.config.secure_cookies),
    );
    Ok((
        headers,
        Json(SignUpVerified {
            me,
            return_to: verified.return_to,
        }),
    ))
}
