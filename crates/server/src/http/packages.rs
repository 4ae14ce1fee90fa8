//! My Access: the packages a person may request, and one package by its stable link.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use entrada_domain::api::{offer_matches, PackageOffer};
use entrada_domain::catalog::{AccessPackage, Catalog};
use entrada_domain::ids::{PackageId, UserId};
use entrada_domain::organization::ConnectedOrganization;
use entrada_domain::policy::{package_visible, requestable_policies, AssignmentPolicy, Requestor};

use crate::cache::Answer;
use crate::http::cached::{self, Computed};
use crate::http::extract::SignedIn;
use crate::http::{ApiError, AppState};
use crate::store;
use entrada_domain::api::Problem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(my_access_packages))
}

/// `GET /my/access-packages?search=`: every listed (not hidden) package the caller may
/// request now, filtered by the search words, by name.
#[utoipa::path(get, path = "/my/access-packages", tag = "my access", summary = "Packages the caller may request now", params(("search" = Option<String>, Query, description = "Words that must all appear")), responses((status = 200, body = Vec<PackageOffer>), (status = 304, description = "Not modified: the ETag sent in If-None-Match is still current"), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn my_access_packages(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let search = query
        .get("search")
        .map(|text| text.trim())
        .unwrap_or("")
        .to_owned();
    let key = Answer::MyAccess {
        user: signed_in.user.id.clone(),
        search: search.clone(),
    };
    cached::answer(&app, signed_in.versions, key, &headers, async {
        let offers = offers_for(&app, &signed_in, &search).await?;
        Ok(Computed {
            value: offers,
            keep: true,
        })
    })
    .await
}

/// The packages `signed_in` may request now whose text matches `search`, with what they
/// already hold or asked for: the catalog from the cache, and three queries of their own.
async fn offers_for(
    app: &AppState,
    signed_in: &SignedIn,
    search: &str,
) -> Result<Vec<PackageOffer>, ApiError> {
    let mut conn = app.db.acquire().await?;
    let catalog = app.cache.catalog(&mut conn, signed_in.versions).await?;
    let groups = store::users::groups_of(&mut conn, &signed_in.user.id).await?;
    let requestor = Requestor {
        user: &signed_in.user,
        groups: &groups,
    };

    // What the person already has, in two queries rather than two per package.
    let mut assignments =
        store::assignments::live_by_package(&mut conn, &signed_in.user.id).await?;
    let mut open = store::requests::open_by_package(&mut conn, &signed_in.user.id).await?;
    let mut offers = Vec::new();
    for package in catalog
        .packages
        .iter()
        .filter(|package| !package.hidden && !package.archived)
    {
        let Some(owner) = catalog
            .catalogs
            .iter()
            .find(|owner| owner.id == package.catalog_id)
        else {
            continue;
        };
        let offer = offer_for(
            owner,
            package.clone(),
            &catalog.policies,
            &requestor,
            &catalog.organizations,
        );
        if offer.requestable() && offer_matches(&offer, search) {
            let id = &offer.package.id;
            offers.push(PackageOffer {
                assignment: assignments.remove(id),
                pending_request: open.remove(id),
                ..offer
            });
        }
    }
    Ok(offers)
}

/// `GET /access-packages/{id}`: one package, hidden ones too, with the policies the caller
/// may request it through (none when out of scope). A guest sees only a package one of
/// whose policies could admit them, or that they hold or asked for (`package_visible`);
/// anything else is a 404, as for an unknown id.
#[utoipa::path(get, path = "/access-packages/{id}", tag = "my access", summary = "One package as the caller may see it (hidden ones too, by id)", params(("id" = String, Path, description = "Identifier")), responses((status = 200, body = PackageOffer), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn access_package(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<PackageOffer>, ApiError> {
    const WHAT: &str = "access package";
    let mut conn = app.db.acquire().await?;
    let package = store::catalogs::get_package(&mut conn, &PackageId(id))
        .await?
        .ok_or(ApiError::NotFound(WHAT))?;
    let catalog = store::catalogs::get_catalog(&mut conn, &package.catalog_id)
        .await?
        .ok_or(ApiError::NotFound(WHAT))?;
    let policies = store::catalogs::policies(&mut conn, Some(&package.id)).await?;
    let organizations = store::directory::all_organizations(&mut conn).await?;
    let groups = store::users::groups_of(&mut conn, &signed_in.user.id).await?;
    let requestor = Requestor {
        user: &signed_in.user,
        groups: &groups,
    };
    let offer = offer_for(&catalog, package, &policies, &requestor, &organizations);
    let offer = with_holdings(&mut conn, &signed_in.user.id, offer).await?;
    let involved = offer.assignment.is_some() || offer.pending_request.is_some();
    if !package_visible(
        &catalog,
        &offer.package,
        &policies,
        &requestor,
        &organizations,
        involved,
    ) {
        return Err(ApiError::NotFound(WHAT));
    }
    Ok(Json(offer))
}

fn offer_for(
    catalog: &Catalog,
    package: AccessPackage,
    policies: &[AssignmentPolicy],
    requestor: &Requestor<'_>,
    organizations: &[ConnectedOrganization],
) -> PackageOffer {
    let policies = requestable_policies(catalog, &package, policies, requestor, organizations)
        .into_iter()
        .cloned()
        .collect();
    PackageOffer {
        package,
        catalog_name: catalog.name.clone(),
        policies,
        assignment: None,
        pending_request: None,
    }
}

/// Adds what the person already has of the package: a live assignment, an open request.
async fn with_holdings(
    conn: &mut sqlx::AnyConnection,
    user: &UserId,
    offer: PackageOffer,
) -> Result<PackageOffer, sqlx::Error> {
    let assignment = store::assignments::live_of(conn, user, &offer.package.id).await?;
    let pending_request = store::requests::open_for(conn, user, &offer.package.id).await?;
    Ok(PackageOffer {
        assignment,
        pending_request,
        ..offer
    })
}
