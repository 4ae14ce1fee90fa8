//! E-mail: a person's preferences (`GET`/`PATCH /my/notifications`), and the outbox for
//! administrators (`GET /outbox`).

use entrada_domain::audit::AuditAction;
use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use entrada_domain::api::Problem;
use entrada_domain::notification::{
    NotificationPreferences, NotificationPreferencesPatch, OutboxPage,
};
use entrada_domain::permission::Action;
use entrada_domain::{FieldError, FieldErrors};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::authorize::{event, in_organization};
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::{ApiError, AppState};
use crate::store;
use crate::store::outbox::Cursor;

/// Messages per outbox page unless `limit` says otherwise, and the most it may say.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(preferences, change_preferences))
        .routes(routes!(outbox))
}

/// `GET /my/notifications`.
#[utoipa::path(get, path = "/my/notifications", tag = "notifications", summary = "Which e-mail the signed-in person gets", responses((status = 200, body = NotificationPreferences), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn preferences(
    State(app): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<NotificationPreferences>, ApiError> {
    let mut conn = app.db.acquire().await?;
    let off = store::notifications::opt_outs(&mut conn, &signed_in.user.id).await?;
    Ok(Json(NotificationPreferences::from_opt_outs(&off)))
}

/// `PATCH /my/notifications`: turns optional kinds on or off; a required kind cannot be
/// turned off (422, field `kinds.<kind>`). Answers the preferences as they now are.
#[utoipa::path(patch, path = "/my/notifications", tag = "notifications", summary = "Turn optional e-mail on or off", request_body = NotificationPreferencesPatch, responses((status = 200, body = NotificationPreferences), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn change_preferences(
    State(app): State<AppState>,
    signed_in: SignedIn,
    ApiJson(patch): ApiJson<NotificationPreferencesPatch>,
) -> Result<Json<NotificationPreferences>, ApiError> {
    let now = app.clock.now();
    let user = &signed_in.user.id;
    let mut tx = crate::db::begin(&app.db).await?;
    let before = store::notifications::opt_outs(&mut tx, user).await?;
    let after = patch.apply(&before)?;
    if after != before {
        store::notifications::set_opt_outs(&mut tx, user, &after, now).await?;
        let off = after
            .iter()
            .map(|kind| kind.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let audit = event(
            &signed_in,
            now,
            AuditAction::NotificationsChanged,
            "user",
            user.as_str(),
            None,
            None,
        )
        .with_detail(
            "turnedOff",
            if off.is_empty() {
                "none".to_owned()
            } else {
                off
            },
        );
        store::audit::append(&mut tx, &audit).await?;
    }
    tx.commit().await?;
    Ok(Json(NotificationPreferences::from_opt_outs(&after)))
}

/// `GET /outbox?limit=&cursor=`: messages newest first, with their bodies and how their
/// delivery went; says whether this server sends mail at all.
#[utoipa::path(get, path = "/outbox", tag = "notifications", summary = "Messages written, and sent where SMTP is set (administrators)", params(("limit" = Option<u32>, Query, description = "Messages per page, 1 to 200 (default 50)"), ("cursor" = Option<String>, Query, description = "The `nextCursor` of the previous page")), responses((status = 200, body = OutboxPage), (status = "4XX", description = "Problem details (RFC 9457)", body = Problem, content_type = "application/problem+json")))]
async fn outbox(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<OutboxPage>, ApiError> {
    in_organization(&signed_in, Action::ManageOrganization)?;
    let mut errors = Vec::new();
    let limit = match query.get("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => match text.parse::<u32>() {
            Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => limit,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    format!("Give a whole number from 1 to {MAX_LIMIT}."),
                ));
                DEFAULT_LIMIT
            }
        },
    };
    let cursor = match query.get("cursor") {
        None => None,
        Some(text) => {
            let cursor = Cursor::decode(text);
            if cursor.is_none() {
                errors.push(FieldError::new(
                    "cursor",
                    "This is not a cursor this server gave: start from the first page.",
                ));
            }
            cursor
        }
    };
    if !errors.is_empty() {
        return Err(FieldErrors(errors).into());
    }
    let mut conn = app.db.acquire().await?;
    let (messages, next) = store::outbox::page(&mut conn, limit, cursor.as_ref()).await?;
    Ok(Json(OutboxPage {
        smtp_configured: app.config.smtp_url.is_some(),
        messages,
        next_cursor: next.map(|cursor| cursor.encode()),
    }))
}
