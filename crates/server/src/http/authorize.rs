//! The one place where the permission check's answer becomes a status: an object the
//! caller may not even read is a 404 (api.md), one they may read but not change is a 403.

use entrada_domain::audit::AuditAction;
use entrada_domain::audit::AuditEvent;
use entrada_domain::ids::{AuditEventId, CatalogId, PackageId};
use entrada_domain::permission::{may, Action, Target};
use time::OffsetDateTime;

use crate::http::extract::SignedIn;
use crate::http::ApiError;
use crate::store;

/// Allows `action` in `catalog`, or says 404 (`what` names the thing) or 403.
pub(crate) fn in_catalog(
    signed_in: &SignedIn,
    action: Action,
    catalog: &CatalogId,
    what: &'static str,
) -> Result<(), ApiError> {
    let target = Target::Catalog(catalog);
    if may(&signed_in.actor, action, &target) {
        return Ok(());
    }
    match may(&signed_in.actor, Action::ReadCatalog, &target) {
        true => Err(ApiError::Forbidden),
        false => Err(ApiError::NotFound(what)),
    }
}

/// Allows an organisation-wide action, or says 403.
pub(crate) fn in_organization(signed_in: &SignedIn, action: Action) -> Result<(), ApiError> {
    match may(&signed_in.actor, action, &Target::Organization) {
        true => Ok(()),
        false => Err(ApiError::Forbidden),
    }
}

/// An audit event by the signed-in person.
pub(crate) fn event(
    signed_in: &SignedIn,
    now: OffsetDateTime,
    action: AuditAction,
    target_kind: &str,
    target_id: &str,
    catalog: Option<&CatalogId>,
    package: Option<&PackageId>,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        Some(signed_in.user.id.clone()),
        action,
        target_kind,
        target_id,
    );
    event.catalog_id = catalog.cloned();
    event.package_id = package.cloned();
    event
}
