//! The SCIM 2.0 service provider at `/scim/v2` (RFC 7644), for an identity provider's
//! provisioning client: `Users`, `Groups` and the discovery documents. Every request
//! carries a bearer token from `entrada scim token create`; every answer is
//! `application/scim+json`, errors included (RFC 7644 §3.12).
//!
//! Handlers are thin: the domain reads bodies, applies PATCH operations and answers list
//! queries; `crate::scim` writes in one transaction with the audit event.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use entrada_domain::scim::schema::{self, ResourceKind};
use entrada_domain::scim::{
    patch, project, GroupFields, ListQuery, Meta, ScimError, ScimErrorType, UserFields, LIST_SCHEMA,
};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::{ApiError, AppState};
use crate::store;

/// Where the service provider lives.
pub(crate) const PREFIX: &str = "/scim/v2";

/// The media type of every SCIM answer.
const SCIM_JSON: &str = "application/scim+json";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, replace_user, patch_user, delete_user))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, replace_group, patch_group, delete_group))
        .routes(routes!(service_provider_config))
        .routes(routes!(list_schemas))
        .routes(routes!(get_schema))
        .routes(routes!(list_resource_types))
        .routes(routes!(get_resource_type))
        .routes(routes!(search_everything))
}

/// Names the SCIM bearer token as a security scheme of the OpenAPI document.
pub(crate) fn describe_token(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
    let components = document.components.get_or_insert_with(Default::default);
    let mut scheme = Http::new(HttpAuthScheme::Bearer);
    scheme.description =
        Some("A SCIM token, made with `entrada scim token create --name NAME`.".to_owned());
    components.add_security_scheme("scim_token", SecurityScheme::Http(scheme));
}

/// A SCIM error as RFC 7644 §3.12 writes it (documentation only: [`ScimError::to_json`]
/// writes the body).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct ScimErrorBody {
    /// `["urn:ietf:params:scim:api:messages:2.0:Error"]`.
    schemas: Vec<String>,
    /// The HTTP status, as a string.
    status: String,
    /// The error type, where RFC 7644 names one (`invalidFilter`, `uniqueness`, …).
    #[schema(nullable = false)]
    scim_type: Option<String>,
    /// What went wrong.
    detail: String,
}

/// The SCIM answer for an [`ApiError::Scim`] or [`ApiError::NoRouteInScim`].
pub(crate) fn error_response(status: StatusCode, error: &ApiError) -> Response {
    let body = match error {
        ApiError::Scim(scim) => scim.to_json(),
        other => ScimError::status(status.as_u16(), other.to_string()).to_json(),
    };
    let mut response = (
        status,
        [(header::CONTENT_TYPE, SCIM_JSON)],
        body.to_string(),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"scim\""),
        );
    }
    response
}

/// The name of the token a request came with; a missing, unknown or revoked token is a
/// 401.
pub(crate) struct ScimToken(String);

impl FromRequestParts<AppState> for ScimToken {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let refused = |detail: &str| ApiError::Scim(ScimError::status(401, detail));
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(refused("Send a SCIM token: Authorization: Bearer TOKEN (made with `entrada scim token create`)."));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|token| !token.is_empty())
            .ok_or_else(|| refused("The Authorization header must be Bearer TOKEN."))?;
        let mut conn = app.db.acquire().await?;
        match store::scim::authenticate(&mut conn, token, app.clock.now()).await? {
            Some(name) => Ok(ScimToken(name)),
            None => Err(refused("This SCIM token is not known or was revoked.")),
        }
    }
}

/// A JSON body (`application/scim+json` or `application/json`); anything else, a body
/// that is not JSON, or text with a NUL character, is a SCIM 400; too large a 413.
pub(crate) struct ScimBody(Value);

impl<S: Send + Sync> FromRequest<S> for ScimBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let syntax = |detail: String| {
            ApiError::Scim(ScimError::bad_request(ScimErrorType::InvalidSyntax, detail))
        };
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                value
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            });
        if let Some(content_type) = &content_type {
            if content_type != "application/json" && content_type != SCIM_JSON {
                return Err(syntax(format!(
                    "Send the body as {SCIM_JSON} (or application/json), not {content_type}."
                )));
            }
        }
        let bytes = match Bytes::from_request(request, state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::Scim(ScimError::status(
                    413,
                    "The request body is larger than the server accepts.",
                )))
            }
            Err(rejection) => return Err(syntax(rejection.body_text())),
        };
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|error| syntax(format!("The body is not JSON: {error}.")))?;
        if has_nul(&value) {
            return Err(ApiError::Scim(ScimError::bad_request(
                ScimErrorType::InvalidValue,
                "Text may not contain the NUL character (\\u0000).",
            )));
        }
        Ok(ScimBody(value))
    }
}

fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(object) => object
            .iter()
            .any(|(key, value)| key.contains('\0') || has_nul(value)),
        _ => false,
    }
}

/// The service provider's absolute base URL: the configured public origin, else the
/// `Host` the request came to.
fn base_url(app: &AppState, headers: &HeaderMap) -> String {
    let origin = match &app.config.public_origin {
        Some(origin) => origin.trim_end_matches('/').to_owned(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|host| host.to_str().ok())
                .unwrap_or("localhost");
            let scheme = match app.config.secure_cookies {
                true => "https",
                false => "http",
            };
            format!("{scheme}://{host}")
        }
    };
    format!("{origin}{PREFIX}")
}

/// A SCIM answer: the JSON, and the resource's ETag and Location where given.
fn answer(status: StatusCode, body: &Value, meta: Option<&Meta>) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, SCIM_JSON)],
        body.to_string(),
    )
        .into_response();
    if let Some(meta) = meta {
        if let Ok(etag) = HeaderValue::from_str(&meta.etag()) {
            response.headers_mut().insert(header::ETAG, etag);
        }
        if status == StatusCode::CREATED {
            if let Some(location) = body["meta"]["location"]
                .as_str()
                .and_then(|l| HeaderValue::from_str(l).ok())
            {
                response.headers_mut().insert(header::LOCATION, location);
            }
        }
    }
    response
}

fn list_query(query: Option<&str>) -> Result<ListQuery, ApiError> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    Ok(ListQuery::from_pairs(
        pairs
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str())),
    )?)
}

/// A single resource's answer to `?attributes=` and `?excludedAttributes=`.
fn projected(resource: Value, query: Option<&str>) -> Result<Value, ApiError> {
    let query = list_query(query)?;
    Ok(project(
        resource,
        &query.attributes,
        &query.excluded_attributes,
    ))
}

/// `If-Match`: the write goes ahead only when the resource is still at the given version.
fn check_if_match(headers: &HeaderMap, meta: &Meta) -> Result<(), ApiError> {
    let Some(expected) = headers
        .get(header::IF_MATCH)
        .and_then(|value| value.to_str().ok())
    else {
        return Ok(());
    };
    let current = meta.etag();
    let matches = expected.split(',').map(str::trim).any(|tag| {
        tag == "*"
            || tag == current
            || tag.trim_start_matches("W/") == current.trim_start_matches("W/")
    });
    match matches {
        true => Ok(()),
        false => Err(ApiError::Scim(ScimError::status(
            412,
            format!("The resource is at version {current}, not {expected}: read it again."),
        ))),
    }
}

fn user_not_found(id: &str) -> ApiError {
    ApiError::Scim(ScimError::not_found("User", id))
}

fn group_not_found(id: &str) -> ApiError {
    ApiError::Scim(ScimError::not_found("Group", id))
}

/// `GET /scim/v2/Users`: people, filtered and paged.
#[utoipa::path(get, path = "/scim/v2/Users", tag = "scim", summary = "SCIM: list people (filter, startIndex, count, attributes, excludedAttributes)",
    security(("scim_token" = [])),
    params(("filter" = Option<String>, Query, description = "A SCIM filter, e.g. userName eq \"maria@example.com\""),
           ("startIndex" = Option<i64>, Query, description = "1-based index of the first result"),
           ("count" = Option<i64>, Query, description = "How many results at most (up to 200)")),
    responses((status = 200, description = "A ListResponse of Users", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error (RFC 7644 §3.12)", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn list_users(
    State(app): State<AppState>,
    _token: ScimToken,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = list_query(query.as_deref())?;
    let base = base_url(&app, &headers);
    let users = {
        let mut conn = app.db.acquire().await?;
        store::scim::users(&mut conn).await?
    };
    let resources = users.iter().map(|user| user.to_json(&base)).collect();
    Ok(answer(StatusCode::OK, &query.answer(resources), None))
}

/// `POST /scim/v2/Users`: provisions a person (a member).
#[utoipa::path(post, path = "/scim/v2/Users", tag = "scim", summary = "SCIM: create a person",
    security(("scim_token" = [])),
    request_body(content = serde_json::Value, content_type = "application/scim+json", description = "A User"),
    responses((status = 201, description = "The User, with Location and ETag", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error (409 uniqueness when the userName is taken)", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn create_user(
    State(app): State<AppState>,
    ScimToken(token): ScimToken,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let fields = UserFields::from_json(&body)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let id = crate::scim::create_user(&mut tx, &token, &fields, now).await?;
    let user = store::scim::user(&mut tx, &id)
        .await?
        .ok_or_else(|| user_not_found(&id))?;
    tx.commit().await?;
    Ok(answer(
        StatusCode::CREATED,
        &user.to_json(&base_url(&app, &headers)),
        Some(&user.meta),
    ))
}

/// `GET /scim/v2/Users/{id}`: one person.
#[utoipa::path(get, path = "/scim/v2/Users/{id}", tag = "scim", summary = "SCIM: one person",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The User id")),
    responses((status = 200, description = "The User", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error (404 for an unknown or deleted person)", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn get_user(
    State(app): State<AppState>,
    _token: ScimToken,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let user = {
        let mut conn = app.db.acquire().await?;
        store::scim::user(&mut conn, &id)
            .await?
            .ok_or_else(|| user_not_found(&id))?
    };
    let body = projected(user.to_json(&base_url(&app, &headers)), query.as_deref())?;
    Ok(answer(StatusCode::OK, &body, Some(&user.meta)))
}

/// `PUT /scim/v2/Users/{id}`: replaces a person's attributes.
#[utoipa::path(put, path = "/scim/v2/Users/{id}", tag = "scim", summary = "SCIM: replace a person (active false blocks them)",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The User id")),
    request_body(content = serde_json::Value, content_type = "application/scim+json", description = "A User"),
    responses((status = 200, description = "The User", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error (412 when If-Match names another version)", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn replace_user(
    State(app): State<AppState>,
    ScimToken(token): ScimToken,
    headers: HeaderMap,
    Path(id): Path<String>,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let fields = UserFields::from_json(&body)?;
    write_user(&app, &token, &headers, &id, |_| Ok(fields)).await
}

/// `PATCH /scim/v2/Users/{id}`: changes some of a person's attributes.
#[utoipa::path(patch, path = "/scim/v2/Users/{id}", tag = "scim", summary = "SCIM: change a person (PatchOp add, remove, replace)",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The User id")),
    request_body(content = serde_json::Value, content_type = "application/scim+json", description = "A PatchOp"),
    responses((status = 200, description = "The User", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error (400 invalidPath or noTarget for a bad path)", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn patch_user(
    State(app): State<AppState>,
    ScimToken(token): ScimToken,
    headers: HeaderMap,
    Path(id): Path<String>,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let operations = patch::parse(&body)?;
    let base = base_url(&app, &headers);
    write_user(&app, &token, &headers, &id, |current| {
        let patched = patch::apply(&current.to_json(&base), &operations, ResourceKind::User)?;
        Ok(UserFields::from_json(&patched)?)
    })
    .await
}

/// A PUT or PATCH of a person: reads them under their lock, checks `If-Match`, works out
/// the new attributes from the current person, saves, and answers the result.
async fn write_user(
    app: &AppState,
    token: &str,
    headers: &HeaderMap,
    id: &str,
    new_fields: impl FnOnce(&entrada_domain::scim::ScimUser) -> Result<UserFields, ApiError>,
) -> Result<Response, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    store::guests::lock(&mut tx, &entrada_domain::ids::UserId(id.to_owned())).await?;
    let current = store::scim::user(&mut tx, id)
        .await?
        .ok_or_else(|| user_not_found(id))?;
    check_if_match(headers, &current.meta)?;
    let fields = new_fields(&current)?;
    crate::scim::replace_user(&mut tx, token, &current, &fields, now).await?;
    let user = store::scim::user(&mut tx, id)
        .await?
        .ok_or_else(|| user_not_found(id))?;
    tx.commit().await?;
    Ok(answer(
        StatusCode::OK,
        &user.to_json(&base_url(app, headers)),
        Some(&user.meta),
    ))
}

/// `DELETE /scim/v2/Users/{id}`: deletes a person as Entrada deletes anyone.
#[utoipa::path(delete, path = "/scim/v2/Users/{id}", tag = "scim", summary = "SCIM: delete a person (their access ends; the audit trail keeps their name)",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The User id")),
    responses((status = 204, description = "Deleted"),
              (status = "4XX", description = "A SCIM error (404 for an unknown person)", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn delete_user(
    State(app): State<AppState>,
    ScimToken(token): ScimToken,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    store::guests::lock(&mut tx, &entrada_domain::ids::UserId(id.clone())).await?;
    let current = store::scim::user(&mut tx, &id)
        .await?
        .ok_or_else(|| user_not_found(&id))?;
    check_if_match(&headers, &current.meta)?;
    crate::scim::delete_user(&mut tx, &token, &current, now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /scim/v2/Groups`: directory groups, filtered and paged.
#[utoipa::path(get, path = "/scim/v2/Groups", tag = "scim", summary = "SCIM: list groups (filter, startIndex, count, attributes, excludedAttributes)",
    security(("scim_token" = [])),
    params(("filter" = Option<String>, Query, description = "A SCIM filter, e.g. displayName eq \"Sales\""),
           ("startIndex" = Option<i64>, Query, description = "1-based index of the first result"),
           ("count" = Option<i64>, Query, description = "How many results at most (up to 200)")),
    responses((status = 200, description = "A ListResponse of Groups", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error (RFC 7644 §3.12)", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn list_groups(
    State(app): State<AppState>,
    _token: ScimToken,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = list_query(query.as_deref())?;
    let base = base_url(&app, &headers);
    let groups = {
        let mut conn = app.db.acquire().await?;
        store::scim::groups(&mut conn).await?
    };
    let resources = groups.iter().map(|group| group.to_json(&base)).collect();
    Ok(answer(StatusCode::OK, &query.answer(resources), None))
}

/// `POST /scim/v2/Groups`: creates a directory group with its members.
#[utoipa::path(post, path = "/scim/v2/Groups", tag = "scim", summary = "SCIM: create a group",
    security(("scim_token" = [])),
    request_body(content = serde_json::Value, content_type = "application/scim+json", description = "A Group"),
    responses((status = 201, description = "The Group, with Location and ETag", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error (409 uniqueness when the name is taken)", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn create_group(
    State(app): State<AppState>,
    ScimToken(token): ScimToken,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let fields = GroupFields::from_json(&body)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    let id = crate::scim::create_group(&mut tx, &token, &fields, now).await?;
    let group = store::scim::group(&mut tx, &id)
        .await?
        .ok_or_else(|| group_not_found(&id))?;
    tx.commit().await?;
    Ok(answer(
        StatusCode::CREATED,
        &group.to_json(&base_url(&app, &headers)),
        Some(&group.meta),
    ))
}

/// `GET /scim/v2/Groups/{id}`: one group with every member.
#[utoipa::path(get, path = "/scim/v2/Groups/{id}", tag = "scim", summary = "SCIM: one group",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The Group id")),
    responses((status = 200, description = "The Group", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error (404 for an unknown group)", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn get_group(
    State(app): State<AppState>,
    _token: ScimToken,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let group = {
        let mut conn = app.db.acquire().await?;
        store::scim::group(&mut conn, &id)
            .await?
            .ok_or_else(|| group_not_found(&id))?
    };
    let body = projected(group.to_json(&base_url(&app, &headers)), query.as_deref())?;
    Ok(answer(StatusCode::OK, &body, Some(&group.meta)))
}

/// `PUT /scim/v2/Groups/{id}`: replaces a group's name and its directory members.
#[utoipa::path(put, path = "/scim/v2/Groups/{id}", tag = "scim", summary = "SCIM: replace a group (members Entrada's packages added stay)",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The Group id")),
    request_body(content = serde_json::Value, content_type = "application/scim+json", description = "A Group"),
    responses((status = 200, description = "The Group", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn replace_group(
    State(app): State<AppState>,
    ScimToken(token): ScimToken,
    headers: HeaderMap,
    Path(id): Path<String>,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let fields = GroupFields::from_json(&body)?;
    write_group(&app, &token, &headers, &id, |_| Ok(fields)).await
}

/// `PATCH /scim/v2/Groups/{id}`: changes a group's name or members.
#[utoipa::path(patch, path = "/scim/v2/Groups/{id}", tag = "scim", summary = "SCIM: change a group (PatchOp; members[value eq \"id\"] removes one)",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The Group id")),
    request_body(content = serde_json::Value, content_type = "application/scim+json", description = "A PatchOp"),
    responses((status = 200, description = "The Group", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn patch_group(
    State(app): State<AppState>,
    ScimToken(token): ScimToken,
    headers: HeaderMap,
    Path(id): Path<String>,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let operations = patch::parse(&body)?;
    let base = base_url(&app, &headers);
    write_group(&app, &token, &headers, &id, |current| {
        let patched = patch::apply(&current.to_json(&base), &operations, ResourceKind::Group)?;
        Ok(GroupFields::from_json(&patched)?)
    })
    .await
}

async fn write_group(
    app: &AppState,
    token: &str,
    headers: &HeaderMap,
    id: &str,
    new_fields: impl FnOnce(&entrada_domain::scim::ScimGroup) -> Result<GroupFields, ApiError>,
) -> Result<Response, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    store::scim::lock_group(&mut tx, id).await?;
    let current = store::scim::group(&mut tx, id)
        .await?
        .ok_or_else(|| group_not_found(id))?;
    check_if_match(headers, &current.meta)?;
    let fields = new_fields(&current)?;
    crate::scim::replace_group(&mut tx, token, &current, &fields, now).await?;
    let group = store::scim::group(&mut tx, id)
        .await?
        .ok_or_else(|| group_not_found(id))?;
    tx.commit().await?;
    Ok(answer(
        StatusCode::OK,
        &group.to_json(&base_url(app, headers)),
        Some(&group.meta),
    ))
}

/// `DELETE /scim/v2/Groups/{id}`: deletes a group no catalog holds.
#[utoipa::path(delete, path = "/scim/v2/Groups/{id}", tag = "scim", summary = "SCIM: delete a group (not one a catalog holds)",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The Group id")),
    responses((status = 204, description = "Deleted"),
              (status = "4XX", description = "A SCIM error (409 for a group a catalog holds)", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn delete_group(
    State(app): State<AppState>,
    ScimToken(token): ScimToken,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    store::scim::lock_group(&mut tx, &id).await?;
    let current = store::scim::group(&mut tx, &id)
        .await?
        .ok_or_else(|| group_not_found(&id))?;
    check_if_match(&headers, &current.meta)?;
    crate::scim::delete_group(&mut tx, &token, &current, now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /scim/v2/ServiceProviderConfig`: what this service provider supports.
#[utoipa::path(get, path = "/scim/v2/ServiceProviderConfig", tag = "scim", summary = "SCIM: the service provider's configuration",
    security(("scim_token" = [])),
    responses((status = 200, description = "The ServiceProviderConfig", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn service_provider_config(
    State(app): State<AppState>,
    _token: ScimToken,
    headers: HeaderMap,
) -> Response {
    let base = base_url(&app, &headers);
    let documentation = format!("{}/api/v1/openapi.json", base.trim_end_matches(PREFIX));
    answer(
        StatusCode::OK,
        &schema::service_provider_config(&base, &documentation),
        None,
    )
}

fn list_of(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// `GET /scim/v2/Schemas`: the schemas, with only the attributes Entrada keeps.
#[utoipa::path(get, path = "/scim/v2/Schemas", tag = "scim", summary = "SCIM: the schemas (only the attributes Entrada keeps)",
    security(("scim_token" = [])),
    responses((status = 200, description = "A ListResponse of Schemas", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn list_schemas(
    State(app): State<AppState>,
    _token: ScimToken,
    headers: HeaderMap,
) -> Response {
    answer(
        StatusCode::OK,
        &list_of(schema::schemas(&base_url(&app, &headers))),
        None,
    )
}

/// `GET /scim/v2/Schemas/{id}`: one schema, by its URN.
#[utoipa::path(get, path = "/scim/v2/Schemas/{id}", tag = "scim", summary = "SCIM: one schema, by URN",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The schema URN")),
    responses((status = 200, description = "The Schema", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error (404 for an unknown schema)", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn get_schema(
    State(app): State<AppState>,
    _token: ScimToken,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    schema::schemas(&base_url(&app, &headers))
        .into_iter()
        .find(|schema| {
            schema["id"]
                .as_str()
                .is_some_and(|urn| urn.eq_ignore_ascii_case(&id))
        })
        .map(|schema| answer(StatusCode::OK, &schema, None))
        .ok_or_else(|| ApiError::Scim(ScimError::not_found("Schema", &id)))
}

/// `GET /scim/v2/ResourceTypes`: User and Group.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes", tag = "scim", summary = "SCIM: the resource types (User, Group)",
    security(("scim_token" = [])),
    responses((status = 200, description = "A ListResponse of ResourceTypes", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn list_resource_types(
    State(app): State<AppState>,
    _token: ScimToken,
    headers: HeaderMap,
) -> Response {
    answer(
        StatusCode::OK,
        &list_of(schema::resource_types(&base_url(&app, &headers))),
        None,
    )
}

/// `GET /scim/v2/ResourceTypes/{id}`: one resource type.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes/{id}", tag = "scim", summary = "SCIM: one resource type",
    security(("scim_token" = [])), params(("id" = String, Path, description = "User or Group")),
    responses((status = 200, description = "The ResourceType", content_type = "application/scim+json", body = serde_json::Value),
              (status = "4XX", description = "A SCIM error (404 for an unknown type)", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn get_resource_type(
    State(app): State<AppState>,
    _token: ScimToken,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    schema::resource_types(&base_url(&app, &headers))
        .into_iter()
        .find(|kind| {
            kind["id"]
                .as_str()
                .is_some_and(|name| name.eq_ignore_ascii_case(&id))
        })
        .map(|kind| answer(StatusCode::OK, &kind, None))
        .ok_or_else(|| ApiError::Scim(ScimError::not_found("ResourceType", &id)))
}

/// `POST /scim/v2/.search`: searching every resource type at once is not offered (501, as
/// RFC 7644 §3.4.3 allows); `GET /Users` and `GET /Groups` take the same query.
#[utoipa::path(post, path = "/scim/v2/.search", tag = "scim", summary = "SCIM: searching every resource type at once is not offered (501)",
    security(("scim_token" = [])),
    responses((status = 501, description = "Not offered: search /Users or /Groups", content_type = "application/scim+json", body = ScimErrorBody),
              (status = "4XX", description = "A SCIM error", content_type = "application/scim+json", body = ScimErrorBody)))]
async fn search_everything(_token: ScimToken) -> ApiError {
    ApiError::Scim(ScimError::status(
        501,
        "Searching every resource type at once is not offered: query /Users or /Groups (GET with filter, startIndex, count).",
    ))
}
