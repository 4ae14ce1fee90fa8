//! The directory, for the pickers of the admin pages and wizards.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use entrada_domain::directory::{Application, Group, Site, User};
use entrada_domain::organization::ConnectedOrganization;
use entrada_domain::permission::Action;

use crate::http::authorize::in_organization;
use crate::http::extract::SignedIn;
use crate::http::{ApiError, AppState};
use crate::store;

/// At most this many people come back from one search.
const USER_LIMIT: usize = 50;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/directory/users", get(users))
        .route("/directory/groups", get(groups))
        .route("/directory/applications", get(applications))
        .route("/directory/sites", get(sites))
        .route("/directory/connected-organizations", get(organizations))
}

/// `GET /directory/users?search=`: people whose name, e-mail or department contains every
/// word, at most 50.
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

async fn groups(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<Group>>, ApiError> {
    in_organization(&signed_in, Action::ReadDirectory)?;
    let mut conn = app.db.acquire().await?;
    Ok(Json(store::directory::all_groups(&mut conn).await?))
}

async fn applications(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<Application>>, ApiError> {
    in_organization(&signed_in, Action::ReadDirectory)?;
    let mut conn = app.db.acquire().await?;
    Ok(Json(store::directory::all_applications(&mut conn).await?))
}

async fn sites(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<Site>>, ApiError> {
    in_organization(&signed_in, Action::ReadDirectory)?;
    let mut conn = app.db.acquire().await?;
    Ok(Json(store::directory::all_sites(&mut conn).await?))
}

async fn organizations(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<ConnectedOrganization>>, ApiError> {
    in_organization(&signed_in, Action::ReadDirectory)?;
    let mut conn = app.db.acquire().await?;
    Ok(Json(store::directory::all_organizations(&mut conn).await?))
}
