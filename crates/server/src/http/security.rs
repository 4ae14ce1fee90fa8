//! Web security for every response: state-changing calls from other origins are refused,
//! and every answer carries the security headers and a cache policy.
//!
//! - Cross-origin: a non-GET/HEAD/OPTIONS request whose `Sec-Fetch-Site` is not
//!   `same-origin` or `none`, or (without that header) whose `Origin` is not this server's,
//!   is a 403 problem. A request with neither header cannot come from a browser page on
//!   another site (browsers send `Origin` on every cross-origin POST), so scripts and curl
//!   keep working.
//! - Headers: a Content-Security-Policy without `'unsafe-inline'` scripts (the inline
//!   module loader Trunk writes into `index.html` is allowed by its SHA-256, computed when
//!   the server starts), `frame-ancestors 'none'`, `nosniff`, `Referrer-Policy`, and HSTS
//!   when cookies are Secure (that is, when served over HTTPS).
//! - Caching: the API is `no-store` (set on its router); Trunk's content-hashed files are
//!   immutable for a year; `index.html` and every other file must be revalidated.

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use entrada_domain::web_build::WebBuild;
use sha2::{Digest, Sha256};

use crate::http::ApiError;

/// What the middleware needs, worked out once at start-up.
#[derive(Debug, Clone)]
pub(crate) struct Security {
    /// The policy for the web app's pages and files.
    spa_policy: HeaderValue,
    /// Whether to send Strict-Transport-Security.
    hsts: bool,
    /// The origin the server is reached at (`https://entrada.example`), if configured; a
    /// request's `Origin` may match it or the request's own `Host`.
    public_origin: Option<String>,
}

/// The policy for API answers and health checks: they are data, never a page.
const API_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// HSTS for a year, only sent over HTTPS deployments (`--secure-cookies`).
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Hashed assets never change under their name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

impl Security {
    /// The settings for a server whose web app (if any) is in `static_dir`.
    pub(crate) fn new(
        static_dir: Option<&Path>,
        secure_cookies: bool,
        public_origin: Option<&str>,
    ) -> Security {
        // Every build's page (`http::spa`).
        let hashes: Vec<String> = static_dir
            .into_iter()
            .flat_map(|dir| WebBuild::ALL.map(|build| dir.join(build.folder())))
            .filter_map(|dir| std::fs::read_to_string(dir.join("index.html")).ok())
            .flat_map(|index| inline_script_hashes(&index))
            .collect();
        let policy = spa_policy(&hashes);
        Security {
            spa_policy: HeaderValue::from_str(&policy)
                .unwrap_or_else(|_| HeaderValue::from_static(API_POLICY)),
            hsts: secure_cookies,
            public_origin: public_origin.map(|origin| origin.trim_end_matches('/').to_lowercase()),
        }
    }

    /// Whether a state-changing request may go ahead.
    fn allows(&self, headers: &HeaderMap) -> bool {
        if let Some(site) = headers.get("sec-fetch-site") {
            return matches!(site.to_str(), Ok("same-origin" | "none"));
        }
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = origin.trim_end_matches('/').to_lowercase();
        if self.public_origin.as_deref() == Some(origin.as_str()) {
            return true;
        }
        let authority = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        let host = headers
            .get(header::HOST)
            .and_then(|host| host.to_str().ok())
            .map(str::to_lowercase);
        matches!((authority, host), (Some(authority), Some(host)) if authority == host)
    }
}

/// The Content-Security-Policy of the web app, allowing exactly the given inline scripts.
pub(crate) fn spa_policy(script_hashes: &[String]) -> String {
    let hashes: String = script_hashes
        .iter()
        .map(|hash| format!(" 'sha256-{hash}'"))
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The base64 SHA-256 of the content of every inline `<script>` (one without `src`) in
/// `html`, as CSP `'sha256-…'` sources expect.
pub(crate) fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut hashes = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<script").map(|at| at + from) {
        let Some(open_end) = lower[start..].find('>').map(|at| at + start + 1) else {
            break;
        };
        let Some(close) = lower[open_end..].find("</script").map(|at| at + open_end) else {
            break;
        };
        let tag = &lower[start..open_end];
        if !tag.contains(" src=") && !tag.contains("\tsrc=") && !tag.contains("\nsrc=") {
            hashes.push(base64(&Sha256::digest(&html.as_bytes()[open_end..close])));
        }
        from = close;
    }
    hashes
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            match i <= chunk.len() {
                true => out.push(char::from(ALPHABET[((n >> shift) & 63) as usize])),
                false => out.push('='),
            }
        }
    }
    out
}

/// Whether a file name is one of Trunk's content-hashed outputs, such as
/// `entrada-3f2a9c0d1e4b5a69_bg.wasm` or `main-0123456789abcdef.css`.
pub(crate) fn is_hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or(name);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        hash.len() >= 16 && hash.bytes().all(|byte| byte.is_ascii_hexdigit())
    })
}

/// Whether a path is the API's or the operator's (answered with problems, not the web app).
pub(crate) fn is_api(path: &str) -> bool {
    path == "/api"
        || path.starts_with("/api/")
        || path.starts_with("/scim/")
        || crate::http::platform::PATHS.contains(&path)
}

/// The middleware: refuses cross-origin writes, then adds the headers to whatever answers.
pub(crate) async fn middleware(
    State(security): State<Arc<Security>>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let path = request.uri().path().to_owned();
    let mut response = match safe || security.allows(request.headers()) {
        true => next.run(request).await,
        false => {
            tracing::warn!(%path, "refused a cross-origin request");
            ApiError::CrossOrigin.into_response()
        }
    };
    let api = is_api(&path);
    let headers = response.headers_mut();
    let policy = match api {
        true => HeaderValue::from_static(API_POLICY),
        false => security.spa_policy.clone(),
    };
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if security.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    if !api {
        // index.html answers unknown paths too, so a missing hashed file gets the page, which
        // must not be cached as if it were that file.
        let is_html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/html"));
        let cache = match is_hashed_asset(&path) && !is_html && response.status().is_success() {
            true => IMMUTABLE,
            false => "no-cache",
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = "<html><head><script src=\"/a.js\"></script>\
            <SCRIPT type=\"module\">import init from '/x.js';</SCRIPT></head></html>";
        let hashes = inline_script_hashes(html);
        let expected = base64(&Sha256::digest(b"import init from '/x.js';"));
        assert_eq!(hashes, vec![expected]);
        let policy = spa_policy(&hashes);
        let script_src = policy
            .split(';')
            .find(|directive| directive.trim().starts_with("script-src"))
            .expect("a script-src");
        assert!(!script_src.contains("unsafe-inline"), "{policy}");
        assert!(
            script_src.contains(&format!("'sha256-{}'", hashes[0])),
            "{policy}"
        );
    }

    #[test]
    fn only_trunk_hashed_names_count_as_hashed() {
        assert!(is_hashed_asset("/entrada-3f2a9c0d1e4b5a69_bg.wasm"));
        assert!(is_hashed_asset("/entrada-3f2a9c0d1e4b5a69.js"));
        assert!(is_hashed_asset("/main-0123456789abcdef.css"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/requests/new"));
        assert!(!is_hashed_asset("/favicon.ico"));
        assert!(!is_hashed_asset("/my-page"));
    }

    #[test]
    fn writes_need_the_same_origin_when_a_browser_says_where_they_come_from() {
        let security = Security::new(None, false, Some("https://entrada.example/"));
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        assert!(security.allows(&headers(&[])));
        assert!(security.allows(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(security.allows(&headers(&[("sec-fetch-site", "none")])));
        assert!(!security.allows(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!security.allows(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(security.allows(&headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(security.allows(&headers(&[("origin", "https://entrada.example")])));
        assert!(!security.allows(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(!security.allows(&headers(&[("origin", "null"), ("host", "x")])));
    }
}
