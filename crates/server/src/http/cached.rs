//! The busiest reads, served from the instance's cache (see `cache`): each answer has an
//! ETag naming the data version it was computed at, a client that sends it back in
//! `If-None-Match` gets a 304 while nothing has changed, and an answer is computed once per
//! person, query and version.

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;

use crate::cache::{Answer, Versions};
use crate::http::{ApiError, AppState};

/// What a handler computed: the answer, and whether it may be kept (an answer that
/// depends on the time of day, not only on the data, may not).
pub(crate) struct Computed<T> {
    pub value: T,
    pub keep: bool,
}

/// Serves the answer `key` at `versions`: a 304 when the client holds it, the kept body
/// when there is one, or else what `compute` gives (kept when it may be).
pub(crate) async fn answer<T: Serialize>(
    app: &AppState,
    versions: Versions,
    key: Answer,
    request_headers: &HeaderMap,
    compute: impl Future<Output = Result<Computed<T>, ApiError>>,
) -> Result<Response, ApiError> {
    let etag = key.etag(versions);
    if holds(request_headers, &etag) {
        return Ok(respond(
            StatusCode::NOT_MODIFIED,
            Body::empty(),
            Some(&etag),
        ));
    }
    if let Some(body) = app.cache.answer(versions, &key) {
        return Ok(respond(StatusCode::OK, Body::from(body), Some(&etag)));
    }
    let computed = compute.await?;
    let body = Bytes::from(crate::store::to_json(&computed.value)?);
    if !computed.keep {
        return Ok(respond(StatusCode::OK, Body::from(body), None));
    }
    app.cache.keep_answer(versions, key, body.clone());
    Ok(respond(StatusCode::OK, Body::from(body), Some(&etag)))
}

/// Whether `If-None-Match` names `etag` (compared weakly, as RFC 9110 asks for GET).
fn holds(headers: &HeaderMap, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let wanted = bare(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| tag.trim() == "*" || bare(tag) == wanted)
}

fn respond(status: StatusCode, body: Body, etag: Option<&str>) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if status == StatusCode::OK {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    match etag.and_then(|etag| HeaderValue::from_str(etag).ok()) {
        Some(etag) => {
            headers.insert(header::ETAG, etag);
            // The browser keeps it but asks each time; only this person may see it.
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-cache"),
            );
        }
        None => {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn if_none_match_is_compared_weakly_and_as_a_list() {
        let etag = "W/\"7-00ff\"";
        assert!(holds(&with("W/\"7-00ff\""), etag));
        assert!(holds(&with("\"7-00ff\""), etag));
        assert!(holds(&with("\"1-aa\", W/\"7-00ff\""), etag));
        assert!(holds(&with("*"), etag));
        assert!(!holds(&with("W/\"8-00ff\""), etag));
        assert!(!holds(&HeaderMap::new(), etag));
    }
}
