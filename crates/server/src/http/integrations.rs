//! Admin → Integrations: the identity systems Entrada works with here and how they are
//! doing, and "sync now" for the directory.

use axum::extract::State;
use axum::Json;
use entrada_domain::api::{
    DirectoryStatus, DirectorySync, DirectorySyncRun, Integrations, OpenIdProviderStatus, Problem,
};
use entrada_domain::permission::Action;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::directory_sync::{self, SyncError};
use crate::http::authorize::in_organization;
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::{ApiError, AppState};
use crate::store;
use crate::store::directory_sync::SyncRecord;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(integrations))
        .routes(routes!(sync_directory))
}

/// `GET /integrations`.
#[utoipa::path(get, path = "/integrations", tag = "settings", summary = "The identity systems Entrada works with here, and how they are doing (administrators)", description = "The OpenID provider's settings (never its secret), whether its discovery document can be read now, and its sign-ins and refusals over the last 30 days; the directory Entrada syncs from (never its password), the people and groups it holds from it, and its last sync with its figures and errors.", responses((status = 200, body = Integrations), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn integrations(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Integrations>, ApiError> {
    in_organization(&signed_in, Action::ManageOrganization)?;
    let open_id_provider = match &app.oidc {
        None => None,
        Some(oidc) => {
            let error = oidc.check().await.err().map(|error| error.to_string());
            let since = app.clock.now() - time::Duration::days(30);
            let mut conn = app.db.acquire().await?;
            let figures = store::oidc::sign_in_figures(&mut conn, since).await?;
            let config = oidc.config();
            Some(OpenIdProviderStatus {
                name: config.name.clone(),
                issuer: config.issuer.clone(),
                client_id: config.client_id.clone(),
                claim: config.claim.as_str().to_owned(),
                error,
                sign_ins_last_30_days: figures.signed_in,
                refused_last_30_days: figures.refused,
                last_sign_in: figures.last_sign_in,
            })
        }
    };
    let directory = match &app.config.ldap {
        None => None,
        Some(ldap) => {
            let mut conn = app.db.acquire().await?;
            let (last, good) = store::directory_sync::last_syncs(&mut conn).await?;
            let (people_linked, groups_linked) = directory_sync::linked_counts(&mut conn).await?;
            Some(DirectoryStatus {
                url: ldap.url.clone(),
                bind_dn: ldap.bind_dn.clone(),
                base_dn: ldap.base_dn.clone(),
                user_filter: ldap.user_filter.clone(),
                group_filter: ldap.group_filter.clone(),
                every_minutes: ldap.every.as_secs() / 60,
                people_linked,
                groups_linked,
                last_sync: last.map(view),
                last_success_at: good.map(|sync| sync.started_at),
            })
        }
    };
    let since = app.clock.now() - time::Duration::days(30);
    Ok(Json(Integrations {
        password_sign_in: app.config.password_sign_in,
        open_id_provider,
        directory,
        scim: crate::scim::status(&app.db, since).await?,
    }))
}

fn view(sync: SyncRecord) -> DirectorySync {
    DirectorySync {
        started_at: sync.started_at,
        finished_at: sync.finished_at,
        mode: sync.mode,
        started_by: sync.started_by,
        figures: sync.figures,
        problems: sync.problems,
        error: sync.error,
    }
}

/// `POST /integrations/directory-sync`.
#[utoipa::path(post, path = "/integrations/directory-sync", tag = "settings", summary = "Sync people and groups from the directory now (administrators)", description = "Writes Entrada's grants back to the directory's groups, then reads the directory and applies what changed, as the scheduled sync does: incremental when an earlier sync worked, unless `full`. Answers the sync as recorded; a sync the directory made fail is answered too, with its `error`. 404 when no directory is configured, 409 while another sync runs.", request_body = DirectorySyncRun, responses((status = 200, body = DirectorySync), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn sync_directory(
    State(app): State<AppState>,
    signed_in: SignedIn,
    ApiJson(run): ApiJson<DirectorySyncRun>,
) -> Result<Json<DirectorySync>, ApiError> {
    in_organization(&signed_in, Action::ManageOrganization)?;
    let ldap = app
        .config
        .ldap
        .as_ref()
        .ok_or(ApiError::NotFound("directory"))?;
    let mode = run
        .full
        .then_some(entrada_domain::directory_sync::SyncMode::Full);
    let started_by = signed_in.user.id.as_str().to_owned();
    // A write-back pass holds the lease for a moment: wait for it a little before saying
    // that another sync runs.
    let mut tries = 0;
    loop {
        match directory_sync::sync(&app.db, ldap, mode, &started_by, app.clock.now()).await {
            Ok(_) | Err(SyncError::Directory(_)) | Err(SyncError::Refused(_)) => break,
            Err(SyncError::Busy) if tries < 10 => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            Err(SyncError::Busy) => {
                return Err(ApiError::Conflict(
                    "Another directory sync is running; try again in a minute.".to_owned(),
                ))
            }
            Err(SyncError::Db(error)) => return Err(error.into()),
        }
    }
    let mut conn = app.db.acquire().await?;
    let (last, _) = store::directory_sync::last_syncs(&mut conn).await?;
    last.map(view)
        .map(Json)
        .ok_or(ApiError::NotFound("directory sync"))
}
