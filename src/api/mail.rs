//! E-mail: the signed-in person's preferences and, for administrators, the outbox.

use entrada_domain::notification::{
    NotificationPreferences, NotificationPreferencesPatch, OutboxPage,
};
use gloo_net::http::Method;

use super::{request, ApiError, Call};

/// Which e-mail the signed-in person gets.
pub(crate) async fn notification_preferences() -> Result<NotificationPreferences, ApiError> {
    request(Call::new(Method::GET, "/my/notifications")).await
}

/// Turns optional kinds on or off; answers the preferences as they now are.
pub(crate) async fn change_notification_preferences(
    patch: NotificationPreferencesPatch,
) -> Result<NotificationPreferences, ApiError> {
    request(Call::new(Method::PATCH, "/my/notifications").json(&patch)?).await
}

/// One page of the outbox, newest first; `cursor` is the previous page's `nextCursor`.
pub(crate) async fn outbox(cursor: Option<String>) -> Result<OutboxPage, ApiError> {
    let mut call = Call::new(Method::GET, "/outbox");
    if let Some(cursor) = cursor {
        call = call.query("cursor", &cursor);
    }
    request(call).await
}
