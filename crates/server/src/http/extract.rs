//! Extractors: `ApiJson<T>` turns a malformed body into a 400 problem, and `SignedIn` turns
//! the session cookie into the signed-in person (or a 401 problem).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use entrada_domain::directory::User;
use entrada_domain::permission::Actor;
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;
use crate::http::AppState;
use crate::store;

/// The name of the session cookie over plain HTTP.
pub(crate) const SESSION_COOKIE: &str = "entrada_session";

/// The name of the session cookie when it is `Secure`: the `__Host-` prefix makes the
/// browser refuse it unless it is Secure, has `Path=/` and no `Domain`, so a sibling
/// subdomain or a plain-HTTP page cannot plant or overwrite it.
pub(crate) const SECURE_SESSION_COOKIE: &str = "__Host-entrada_session";

/// The session cookie's name for this configuration.
pub(crate) fn session_cookie_name(secure_cookies: bool) -> &'static str {
    match secure_cookies {
        true => SECURE_SESSION_COOKIE,
        false => SESSION_COOKIE,
    }
}

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

/// The address a request came from: the peer of the TCP connection (the server is served
/// with connect info), or, behind a trusted proxy (`--trust-forwarded-for`), the last
/// address in `X-Forwarded-For` (the one the proxy itself saw); "unknown" where there is
/// neither.
pub(crate) struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let forwarded = app
            .config
            .trust_forwarded_for
            .then(|| {
                parts
                    .headers
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|value| value.to_str().ok())
                    .flat_map(|value| value.split(','))
                    .filter_map(|entry| entry.trim().parse::<std::net::IpAddr>().ok())
                    .next_back()
            })
            .flatten();
        let peer = || {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip())
        };
        let address = forwarded
            .or_else(peer)
            .map(|ip| ip.to_canonical().to_string())
            .unwrap_or_else(|| "unknown".to_owned());
        Ok(ClientAddress(address))
    }
}

/// The signed-in person, from the session cookie.
pub(crate) struct SignedIn {
    pub user: User,
    pub actor: Actor,
    pub token_hash: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let cookie_name = session_cookie_name(app.config.secure_cookies);
        let token = session_token(&parts.headers, cookie_name).ok_or(ApiError::NotSignedIn)?;
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
        let actor = store::users::actor(&mut conn, &user).await?;
        Ok(SignedIn {
            user,
            actor,
            token_hash: store::sessions::hash_token(&token),
        })
    }
}

/// The session token in the request's cookie named `cookie_name`, if any.
pub(crate) fn session_token(headers: &HeaderMap, cookie_name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == cookie_name && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// Applies a JSON merge patch (RFC 7396) to `target`: objects merge key by key, `null`
/// removes a key, anything else replaces.
pub(crate) fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(fields) = target {
        for (key, value) in changes {
            match value {
                Value::Null => {
                    fields.remove(key);
                }
                _ => merge_patch(fields.entry(key.clone()).or_insert(Value::Null), value),
            }
        }
    }
}

/// `current` with the merge patch `patch` applied, read back as `T`; a patch that is not
/// a JSON object, or that leaves the value in the wrong shape, is a 400.
pub(crate) fn patched<T>(current: &T, patch: &serde_json::Value) -> Result<T, ApiError>
where
    T: serde::Serialize + DeserializeOwned,
{
    if !patch.is_object() {
        return Err(ApiError::BadRequest(
            "a PATCH body is a JSON object of the fields to change".to_owned(),
        ));
    }
    let mut value =
        serde_json::to_value(current).map_err(|error| ApiError::BadRequest(error.to_string()))?;
    merge_patch(&mut value, patch);
    serde_json::from_value(value)
        .map_err(|error| ApiError::BadRequest(format!("it has the wrong shape ({error})")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::merge_patch;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({ "a": "b", "c": { "d": "e", "f": "g" } });
        merge_patch(&mut target, &json!({ "a": "z", "c": { "f": null } }));
        assert_eq!(target, json!({ "a": "z", "c": { "d": "e" } }));
    }
}
