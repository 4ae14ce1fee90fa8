//! Organisation-wide settings (administrators): `GET` and `PATCH /settings`.

use axum::extract::State;
use axum::Json;
use entrada_domain::api::Problem;
use entrada_domain::audit::AuditAction;
use entrada_domain::permission::Action;
use entrada_domain::settings::{Settings, SettingsPatch};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::authorize::{event, in_organization};
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::{ApiError, AppState};
use crate::store;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read, change))
}

/// `GET /settings`.
#[utoipa::path(get, path = "/settings", tag = "settings", summary = "Organisation-wide settings (administrators)", responses((status = 200, body = Settings), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn read(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Settings>, ApiError> {
    in_organization(&signed_in, Action::ManageOrganization)?;
    let mut conn = app.db.acquire().await?;
    Ok(Json(store::settings::get(&mut conn).await?))
}

/// `PATCH /settings`: a merge patch; answers the settings as they now are. Each change is
/// an audit event with the values before and after.
#[utoipa::path(patch, path = "/settings", tag = "settings", summary = "Change settings (JSON merge patch)", request_body = SettingsPatch, responses((status = 200, body = Settings), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn change(
    State(app): State<AppState>,
    signed_in: SignedIn,
    ApiJson(patch): ApiJson<SettingsPatch>,
) -> Result<Json<Settings>, ApiError> {
    in_organization(&signed_in, Action::ManageOrganization)?;
    let now = app.clock.now();
    let mut tx = crate::db::begin(&app.db).await?;
    store::settings::lock(&mut tx, now).await?;
    let before = store::settings::get(&mut tx).await?;
    let after = patch.apply(&before)?;
    if after != before {
        store::settings::save(&mut tx, &after, now).await?;
        let (was, now_is) = (before.external_lifecycle, after.external_lifecycle);
        let audit = event(
            &signed_in,
            now,
            AuditAction::SettingsChanged,
            "settings",
            "settings",
            None,
            None,
        )
        .with_detail(
            "externalLifecycle.onLastAssignmentEnd",
            format!(
                "{} → {}",
                was.on_last_assignment_end.as_str(),
                now_is.on_last_assignment_end.as_str()
            ),
        )
        .with_detail(
            "externalLifecycle.deleteAfterDays",
            format!("{} → {}", was.delete_after_days, now_is.delete_after_days),
        )
        .with_detail(
            "audit.retentionDays",
            format!(
                "{} → {}",
                retention_words(before.audit.retention_days),
                retention_words(after.audit.retention_days)
            ),
        );
        store::audit::append(&mut tx, &audit).await?;
    }
    tx.commit().await?;
    Ok(Json(after))
}

fn retention_words(days: Option<u32>) -> String {
    days.map_or_else(|| "for ever".to_owned(), |days| format!("{days} days"))
}
