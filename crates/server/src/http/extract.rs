//! Extractors: `ApiJson<T>` turns a malformed body into a 400 problem, and `SignedIn` turns
//! the session cookie into the signed-in person (or a 401 problem).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use entrada_domain::directory::User;
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;
use crate::http::AppState;
use crate::store;

/// The name of the session cookie.
pub(crate) const SESSION_COOKIE: &str = "entrada_session";

/// A JSON body whose rejection is a problem+json 400 (or 413 when too large).
pub(crate) struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::PayloadTooLarge;
    }
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest(
            "send the body as JSON with Content-Type: application/json".to_owned(),
        ),
        JsonRejection::JsonSyntaxError(error) => {
            ApiError::BadRequest(format!("it is not valid JSON ({})", error.body_text()))
        }
        JsonRejection::JsonDataError(error) => {
            ApiError::BadRequest(format!("it has the wrong shape ({})", error.body_text()))
        }
        other => ApiError::BadRequest(other.body_text()),
    }
}

/// The signed-in person, from the session cookie.
pub(crate) struct SignedIn {
    pub user: User,
    pub token_hash: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = session_token(parts).ok_or(ApiError::NotSignedIn)?;
        let now = app.clock.now();
        let mut conn = app.db.acquire().await?;
        let session = store::sessions::touch(&mut conn, &token, now, &app.config.sessions).await?;
        let user_id = session.ok_or(ApiError::SessionExpired)?;
        let user = store::users::get(&mut conn, &user_id)
            .await?
            .ok_or(ApiError::SessionExpired)?;
        if user.state != entrada_domain::directory::UserState::Active {
            return Err(ApiError::SessionExpired);
        }
        Ok(SignedIn {
            user,
            token_hash: store::sessions::hash_token(&token),
        })
    }
}

fn session_token(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}
