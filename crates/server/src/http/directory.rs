//! The directory, for the pickers of the admin pages and wizards.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use entrada_domain::directory::{Application, Group, Site, User};
use entrada_domain::organization::ConnectedOrganization;
use entrada_domain::permission::{may_offer_directory_object, Action};

use crate::http::authorize::in_organization;
use crate::http::extract::SignedIn;
use crate::http::{ApiError, AppState};
use crate::store;
use entrada_domain::api::Problem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `?addable=true`: only the objects the caller may add to a catalog (an administrator
/// every object, anyone else those they own). The resource pickers ask for this. Any value
/// other than `true` or `false` is a 400 problem.
fn addable_only(query: &HashMap<String, String>) -> Result<bool, ApiError> {
    match query.get("addable").map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::BadRequest(
            "addable must be true or false".to_owned(),
        )),
    }
}

/// At most this many people come back from one search.
const USER_LIMIT: usize = 50;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(users))
        .routes(routes!(groups))
        .routes(routes!(applications))
        .routes(routes!(sites))
        .routes(routes!(organizations))
}

/// `GET /directory/users?search=`: people whose name, e-mail or department contains every
/// word, at most 50.
#[utoipa::path(get, path = "/directory/users", tag = "directory", summary = "People, for pickers (at most 50)", params(("search" = Option<String>, Query, description = "Words that must all appear")), responses((status = 200, body = Vec<User>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn users(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<User>>, ApiError> {
    in_organization(&signed_in, Action::ReadDirectory)?;
    let search = query
        .get("search")
        .map(|text| text.to_lowercase())
        .unwrap_or_default();
    let mut conn = app.db.acquire().await?;
    let people = store::users::all(&mut conn)
        .await?
        .into_iter()
        // People who signed up are not in the directory until a first approval.
        .filter(|user| user.kind.in_directory())
        .filter(|user| {
            let text = format!(
                "{} {} {}",
                user.display_name,
                user.email,
                user.department.as_deref().unwrap_or("")
            )
            .to_lowercase();
            search.split_whitespace().all(|word| text.contains(word))
        })
        .take(USER_LIMIT)
        .collect();
    Ok(Json(people))
}

#[utoipa::path(get, path = "/directory/groups", tag = "directory", summary = "Groups with their owners, for pickers", params(("addable" = Option<bool>, Query, description = "Only the groups the caller may add to a catalog (administrators: all; others: those they own)")), responses((status = 200, body = Vec<Group>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn groups(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Group>>, ApiError> {
    in_organization(&signed_in, Action::ReadDirectory)?;
    let addable = addable_only(&query)?;
    let mut conn = app.db.acquire().await?;
    let mut objects = store::directory::all_groups(&mut conn).await?;
    if addable {
        objects.retain(|object| may_offer_directory_object(&signed_in.actor, &object.owners));
    }
    Ok(Json(objects))
}

#[utoipa::path(get, path = "/directory/applications", tag = "directory", summary = "Applications with their roles and owners", params(("addable" = Option<bool>, Query, description = "Only the applications the caller may add to a catalog (administrators: all; others: those they own)")), responses((status = 200, body = Vec<Application>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn applications(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Application>>, ApiError> {
    in_organization(&signed_in, Action::ReadDirectory)?;
    let addable = addable_only(&query)?;
    let mut conn = app.db.acquire().await?;
    let mut objects = store::directory::all_applications(&mut conn).await?;
    if addable {
        objects.retain(|object| may_offer_directory_object(&signed_in.actor, &object.owners));
    }
    Ok(Json(objects))
}

#[utoipa::path(get, path = "/directory/sites", tag = "directory", summary = "Sites with their roles and owners", params(("addable" = Option<bool>, Query, description = "Only the sites the caller may add to a catalog (administrators: all; others: those they own)")), responses((status = 200, body = Vec<Site>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn sites(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Site>>, ApiError> {
    in_organization(&signed_in, Action::ReadDirectory)?;
    let addable = addable_only(&query)?;
    let mut conn = app.db.acquire().await?;
    let mut objects = store::directory::all_sites(&mut conn).await?;
    if addable {
        objects.retain(|object| may_offer_directory_object(&signed_in.actor, &object.owners));
    }
    Ok(Json(objects))
}

#[utoipa::path(get, path = "/directory/connected-organizations", tag = "directory", summary = "Connected organisations", responses((status = 200, body = Vec<ConnectedOrganization>), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn organizations(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<ConnectedOrganization>>, ApiError> {
    in_organization(&signed_in, Action::ReadDirectory)?;
    let mut conn = app.db.acquire().await?;
    Ok(Json(store::directory::all_organizations(&mut conn).await?))
}
