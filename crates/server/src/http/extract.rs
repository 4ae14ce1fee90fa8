//! Extractors: `ApiJson<T>` turns a malformed body into a 400 problem (a NUL in any text
//! into a 422), and `SignedIn` turns
//! the session cookie into the signed-in person (or a 401 problem).

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use entrada_domain::directory::User;
use entrada_domain::permission::Actor;
use entrada_domain::{FieldError, FieldErrors};
use serde::de::DeserializeOwned;

use std::sync::Arc;

use crate::cache::Versions;
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
        if !json_content_type(request.headers()) {
            return Err(ApiError::BadRequest(
                "send the body as JSON with Content-Type: application/json".to_owned(),
            ));
        }
        let bytes = match Bytes::from_request(request, state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge)
            }
            Err(rejection) => return Err(ApiError::BadRequest(rejection.body_text())),
        };
        refuse_nul(&bytes)?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Refuses a body with a NUL character in any string (PostgreSQL stores no NUL in TEXT,
/// so it would otherwise fail as a 500): a 422 naming the field's path, e.g. `name` or
/// `answers[0].value`.
fn refuse_nul(bytes: &[u8]) -> Result<(), ApiError> {
    // A NUL can only appear in JSON as the escape `\u0000`; most bodies skip the parse.
    if !bytes
        .windows(6)
        .any(|window| window.eq_ignore_ascii_case(b"\\u0000"))
    {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(()); // the typed parse reports the syntax error
    };
    match nul_path(&value, String::new()) {
        Some(path) => Err(FieldErrors(vec![FieldError::new(
            path,
            "Remove the NUL character (\\u0000): text may not contain it.",
        )])
        .into()),
        None => Ok(()),
    }
}

/// The path of the first string (or key) holding a NUL, in api.md's field-path form.
fn nul_path(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(text) if text.contains('\0') => Some(match path.is_empty() {
            true => "body".to_owned(),
            false => path,
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| nul_path(item, format!("{path}[{index}]"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let inner = match path.is_empty() {
                true => key.clone(),
                false => format!("{path}.{key}"),
            };
            match key.contains('\0') {
                true => Some(inner),
                false => nul_path(item, inner),
            }
        }),
        _ => None,
    }
}

/// Middleware: a path or query with an encoded NUL (`%00`) is refused with a 400 before it
/// reaches a handler, so no id or search text with a NUL reaches the database.
pub(crate) async fn refuse_nul_in_uri(
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let uri = request.uri();
    let encoded = format!("{}?{}", uri.path(), uri.query().unwrap_or_default());
    match encoded.to_ascii_lowercase().contains("%00") {
        true => ApiError::BadRequest(
            "the address contains a NUL character (%00), which no id or search may hold".to_owned(),
        )
        .into_response(),
        false => next.run(request).await,
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

/// The signed-in person, from the session cookie, with the data versions read with it.
pub(crate) struct SignedIn {
    pub user: User,
    pub actor: Actor,
    pub token_hash: String,
    /// The database's data versions when the session was checked: what cached answers
    /// are valid at (see `cache`).
    pub versions: Versions,
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
        let session =
            store::sessions::touch(&app.sessions, &app.db, &token, now, &app.config.sessions)
                .await?;
        let touched = session.ok_or(ApiError::SessionExpired)?;
        let versions = touched.versions;
        let person = match app.cache.person(versions, &touched.user_id) {
            Some(person) => person,
            None => {
                let mut conn = app.db.acquire().await?;
                let user = store::users::get(&mut conn, &touched.user_id)
                    .await?
                    .ok_or(ApiError::SessionExpired)?;
                let actor = store::users::actor(&mut conn, &user).await?;
                let person = Arc::new((user, actor));
                app.cache.keep_person(versions, person.clone());
                person
            }
        };
        let (user, actor) = person.as_ref();
        if user.state != entrada_domain::directory::UserState::Active {
            return Err(ApiError::SessionExpired);
        }
        Ok(SignedIn {
            user: user.clone(),
            actor: actor.clone(),
            token_hash: store::sessions::hash_token(&token),
            versions,
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::nul_path;

    #[test]
    fn a_nul_is_found_by_its_field_path() {
        let body = json!({ "name": "ok", "answers": [{ "value": "a" }, { "value": "b\u{0}" }] });
        assert_eq!(
            nul_path(&body, String::new()).as_deref(),
            Some("answers[1].value")
        );
        assert_eq!(nul_path(&json!({ "name": "fine" }), String::new()), None);
        assert_eq!(
            nul_path(&json!("x\u{0}"), String::new()).as_deref(),
            Some("body")
        );
    }
}
