//! Who has what (administrators; catalog owners and readers for their catalogs):
//! `GET /reports/access-packages/{id}`, `/reports/resources/{id}`, `/reports/people/{id}`,
//! each also as `.csv`. `?at=` (RFC 3339) describes a past moment instead of now.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use entrada_domain::api::Problem;
use entrada_domain::audit::{parse_moment, Named};
use entrada_domain::ids::{PackageId, ResourceId, UserId};
use entrada_domain::permission::{audit_scope, AuditScope};
use entrada_domain::report::{
    PackageReport, PersonReport, ResourceReport, RoleHolder, RoleHolders,
};
use entrada_domain::FieldErrors;
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::SignedIn;
use crate::http::{ApiError, AppState};
use crate::store;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(package_report))
        .routes(routes!(resource_report))
        .routes(routes!(person_report))
}

fn scope_of(signed_in: &SignedIn) -> Result<AuditScope, ApiError> {
    audit_scope(&signed_in.actor).ok_or(ApiError::Forbidden)
}

fn covers(scope: &AuditScope, catalog: &str) -> bool {
    match scope {
        AuditScope::Everything => true,
        AuditScope::Catalogs(catalogs) => catalogs.iter().any(|id| id.as_str() == catalog),
    }
}

/// The id a path names, and whether it asked for CSV (`…/{id}.csv`: the router allows one
/// parameter per path segment, so the suffix is read here).
fn id_and_format(id: String) -> (String, bool) {
    match id.strip_suffix(".csv") {
        Some(bare) => (bare.to_owned(), true),
        None => (id, false),
    }
}

/// The report as JSON, or as CSV when the path ended in `.csv`.
fn respond<T: serde::Serialize>(
    report: T,
    as_csv: bool,
    to_csv: impl Fn(&T) -> String,
    name: &str,
) -> Response {
    match as_csv {
        true => csv(to_csv(&report), name),
        false => Json(report).into_response(),
    }
}

/// The moment `?at=` names, or now.
fn moment(
    params: &HashMap<String, String>,
    now: OffsetDateTime,
) -> Result<(OffsetDateTime, bool), ApiError> {
    match parse_moment("at", params.get("at").map(String::as_str)) {
        Ok(Some(at)) => Ok((at, false)),
        Ok(None) => Ok((now, true)),
        Err(error) => Err(FieldErrors(vec![error]).into()),
    }
}

fn csv(body: String, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn build_package_report(
    app: &AppState,
    signed_in: &SignedIn,
    id: String,
    params: &HashMap<String, String>,
) -> Result<PackageReport, ApiError> {
    const PACKAGE: &str = "access package";
    let scope = scope_of(signed_in)?;
    let (at, _) = moment(params, app.clock.now())?;
    let mut conn = app.db.acquire().await?;
    let package = store::catalogs::get_package(&mut conn, &PackageId(id))
        .await?
        .filter(|package| covers(&scope, package.catalog_id.as_str()))
        .ok_or(ApiError::NotFound(PACKAGE))?;
    let catalog = store::catalogs::get_catalog(&mut conn, &package.catalog_id).await?;
    let holders = store::reports::package_holders(&mut conn, package.id.as_str(), at).await?;
    Ok(PackageReport {
        package: Named {
            id: package.id.as_str().to_owned(),
            name: Some(package.name.clone()),
        },
        catalog: Named {
            id: package.catalog_id.as_str().to_owned(),
            name: catalog.map(|catalog| catalog.name),
        },
        at,
        holders,
    })
}

/// `GET /reports/access-packages/{id}`.
#[utoipa::path(get, path = "/reports/access-packages/{id}", tag = "reports", summary = "Who has an access package: since when, until when, through which policy and request", params(("id" = String, Path, description = "Access package; add `.csv` for CSV"), ("at" = Option<String>, Query, description = "A past moment (RFC 3339); default now")), responses((status = 200, description = "The report; with `.csv` after the id, the same as CSV (text/csv)", body = PackageReport), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn package_report(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (id, as_csv) = id_and_format(id);
    let report = build_package_report(&app, &signed_in, id, &params).await?;
    Ok(respond(
        report,
        as_csv,
        PackageReport::to_csv,
        "entrada-access-package",
    ))
}

async fn build_resource_report(
    app: &AppState,
    signed_in: &SignedIn,
    id: String,
    params: &HashMap<String, String>,
) -> Result<ResourceReport, ApiError> {
    const RESOURCE: &str = "resource";
    let scope = scope_of(signed_in)?;
    let (at, now) = moment(params, app.clock.now())?;
    let mut conn = app.db.acquire().await?;
    let resource = store::catalogs::get_resource(&mut conn, &ResourceId(id))
        .await?
        .filter(|resource| covers(&scope, resource.catalog_id.as_str()))
        .ok_or(ApiError::NotFound(RESOURCE))?;
    let catalog = store::catalogs::get_catalog(&mut conn, &resource.catalog_id).await?;
    let entrada = store::reports::granted_by_entrada(&mut conn, &resource, at).await?;
    let outside = match now {
        true => store::reports::granted_outside(&mut conn, &resource).await?,
        false => Vec::new(),
    };
    let roles = resource
        .roles
        .iter()
        .map(|role| {
            let mut holders: Vec<RoleHolder> = entrada
                .iter()
                .filter(|(role_id, _)| role_id == &role.id)
                .map(|(_, holding)| RoleHolder {
                    person: holding.person.clone(),
                    via: Some(holding.clone()),
                })
                .collect();
            holders.extend(
                outside
                    .iter()
                    .filter(|(role_id, _, _)| role_id == &role.id)
                    .map(|(_, person, name)| RoleHolder {
                        person: Named {
                            id: person.clone(),
                            name: name.clone(),
                        },
                        via: None,
                    }),
            );
            holders.sort_by(|a, b| a.person.name.cmp(&b.person.name));
            RoleHolders {
                role: Named {
                    id: role.id.clone(),
                    name: Some(role.name.clone()),
                },
                holders,
            }
        })
        .collect();
    Ok(ResourceReport {
        resource: Named {
            id: resource.id.as_str().to_owned(),
            name: Some(resource.name.clone()),
        },
        kind: resource.kind,
        catalog: Named {
            id: resource.catalog_id.as_str().to_owned(),
            name: catalog.map(|catalog| catalog.name),
        },
        at,
        now,
        roles,
    })
}

/// `GET /reports/resources/{id}` (a catalog resource's id).
#[utoipa::path(get, path = "/reports/resources/{id}", tag = "reports", summary = "Who holds each role of a resource, through which package or outside Entrada", params(("id" = String, Path, description = "Catalog resource; add `.csv` for CSV"), ("at" = Option<String>, Query, description = "A past moment (RFC 3339); default now")), responses((status = 200, description = "The report; with `.csv` after the id, the same as CSV (text/csv)", body = ResourceReport), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn resource_report(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (id, as_csv) = id_and_format(id);
    let report = build_resource_report(&app, &signed_in, id, &params).await?;
    Ok(respond(
        report,
        as_csv,
        ResourceReport::to_csv,
        "entrada-resource",
    ))
}

async fn build_person_report(
    app: &AppState,
    signed_in: &SignedIn,
    id: String,
) -> Result<PersonReport, ApiError> {
    const PERSON: &str = "person";
    let scope = scope_of(signed_in)?;
    let mut conn = app.db.acquire().await?;
    let person = store::users::get(&mut conn, &UserId(id))
        .await?
        .ok_or(ApiError::NotFound(PERSON))?;
    let in_scope = |catalog: &Named| covers(&scope, &catalog.id);
    let mut holdings = store::reports::person_holdings(&mut conn, &person.id).await?;
    holdings.retain(|holding| in_scope(&holding.catalog));
    let mut requests = store::reports::person_requests(&mut conn, &person.id).await?;
    requests.retain(|request| in_scope(&request.catalog));
    Ok(PersonReport {
        person: Named {
            id: person.id.as_str().to_owned(),
            name: Some(person.display_name.clone()),
        },
        email: person.email,
        holdings,
        requests,
    })
}

/// `GET /reports/people/{id}`.
#[utoipa::path(get, path = "/reports/people/{id}", tag = "reports", summary = "Everything a person holds and requested (in the catalogs the caller may audit)", params(("id" = String, Path, description = "Person; add `.csv` for CSV")), responses((status = 200, description = "The report; with `.csv` after the id, the same as CSV (text/csv)", body = PersonReport), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn person_report(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (id, as_csv) = id_and_format(id);
    let report = build_person_report(&app, &signed_in, id).await?;
    Ok(respond(
        report,
        as_csv,
        PersonReport::to_csv,
        "entrada-person",
    ))
}
