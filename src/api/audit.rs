//! The audit log and the reports: read-only calls for administrators, catalog owners and
//! readers.

use entrada_domain::audit::{AuditPage, ChainCheck};
use entrada_domain::report::{PackageReport, PersonReport, ResourceReport};
use gloo_net::http::Method;

use super::{request, ApiError, Call, BASE};
use crate::url;

/// The audit filter's URL parameters, in a stable order (the page's own URL uses the same).
pub(crate) type AuditParams = Vec<(&'static str, String)>;

/// The query string of `params` (without `?`), values encoded.
pub(crate) fn query_string(params: &AuditParams) -> String {
    params
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", url::encode_query_value(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// One page of audit events, newest first, after `cursor` when given.
pub(crate) async fn audit_page(
    params: AuditParams,
    cursor: Option<String>,
) -> Result<AuditPage, ApiError> {
    let mut call = Call::new(Method::GET, "/audit");
    for (name, value) in params.iter().filter(|(_, value)| !value.is_empty()) {
        call = call.query(name, value);
    }
    if let Some(cursor) = cursor {
        call = call.query("cursor", &cursor);
    }
    request(call).await
}

/// The address of the CSV export of `params` (a plain link: the browser downloads it).
pub(crate) fn audit_csv_href(params: &AuditParams) -> String {
    match query_string(params) {
        query if query.is_empty() => format!("{BASE}/audit.csv"),
        query => format!("{BASE}/audit.csv?{query}"),
    }
}

/// Walks the audit log's hash chain (administrators).
pub(crate) async fn verify_audit() -> Result<ChainCheck, ApiError> {
    request(Call::new(Method::GET, "/audit/verify")).await
}

fn at_query(call: Call, at: &Option<String>) -> Call {
    match at {
        Some(at) => call.query("at", at),
        None => call,
    }
}

/// Who has a package (now, or at `at`).
pub(crate) async fn package_report(
    id: String,
    at: Option<String>,
) -> Result<PackageReport, ApiError> {
    let path = format!("/reports/access-packages/{}", url::encode_path_segment(&id));
    request(at_query(Call::new(Method::GET, &path), &at)).await
}

/// Who holds each role of a resource (now, or at `at`).
pub(crate) async fn resource_report(
    id: String,
    at: Option<String>,
) -> Result<ResourceReport, ApiError> {
    let path = format!("/reports/resources/{}", url::encode_path_segment(&id));
    request(at_query(Call::new(Method::GET, &path), &at)).await
}

/// Everything a person holds and requested.
pub(crate) async fn person_report(id: String) -> Result<PersonReport, ApiError> {
    let path = format!("/reports/people/{}", url::encode_path_segment(&id));
    request(Call::new(Method::GET, &path)).await
}

/// The CSV address of a report (`kind` is `access-packages`, `resources` or `people`).
pub(crate) fn report_csv_href(kind: &str, id: &str, at: &Option<String>) -> String {
    let base = format!("{BASE}/reports/{kind}/{}.csv", url::encode_path_segment(id));
    match at {
        Some(at) => format!("{base}?at={}", url::encode_query_value(at)),
        None => base,
    }
}
