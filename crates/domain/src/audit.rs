//! The audit event: who did what, when, to what. Every state change stores one in the same
//! transaction as the change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{FieldError, FieldErrors};
use crate::ids::{AuditEventId, CatalogId, PackageId, UserId};

macro_rules! audit_actions {
    ($($variant:ident => $name:literal, $label:literal;)*) => {
        /// What an audited step did: a closed set, stored and sent by its name
        /// (e.g. `request.approved`), shown by its label.
        // The OpenAPI schema is written by hand below: the derive took the variants' Rust
        // names, not the names on the wire (schemathesis found `catalog.created` contradict
        // the document).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum AuditAction {
            $(
                #[doc = $label]
                #[serde(rename = $name)]
                $variant,
            )*
        }

        impl AuditAction {
            /// Every action, in a stable order.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant),*];

            /// The stored name, e.g. `request.approved`.
            pub fn as_str(self) -> &'static str {
                match self { $(AuditAction::$variant => $name,)* }
            }

            /// Words for people, e.g. "Request approved".
            pub fn label(self) -> &'static str {
                match self { $(AuditAction::$variant => $label,)* }
            }
        }
    };
}

/// The schema of [`AuditAction`]: a string, one of the stored names.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for AuditAction {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "What an audited step did, by its stored name (e.g. `request.approved`).",
            ))
            .enum_values(Some(AuditAction::ALL.iter().map(|action| action.as_str())))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for AuditAction {}

audit_actions! {
    AccessPackageArchived => "accessPackage.archived", "Access package archived";
    AccessPackageCreated => "accessPackage.created", "Access package created";
    AccessPackageDeleted => "accessPackage.deleted", "Access package deleted";
    AccessPackageUpdated => "accessPackage.updated", "Access package changed";
    AssignmentCreated => "assignment.created", "Access granted";
    AssignmentExpired => "assignment.expired", "Access expired";
    AssignmentExtended => "assignment.extended", "Access extended";
    AssignmentRemoved => "assignment.removed", "Access removed";
    CatalogCreated => "catalog.created", "Catalog created";
    CatalogDeleted => "catalog.deleted", "Catalog deleted";
    CatalogUpdated => "catalog.updated", "Catalog changed";
    CatalogRoleAdded => "catalogRole.added", "Catalog role given";
    CatalogRoleRemoved => "catalogRole.removed", "Catalog role taken away";
    ConnectedOrganizationCreated => "connectedOrganization.created", "Connected organisation created";
    ConnectedOrganizationDeleted => "connectedOrganization.deleted", "Connected organisation deleted";
    ConnectedOrganizationUpdated => "connectedOrganization.updated", "Connected organisation changed";
    ConnectedOrganizationProposed => "connectedOrganization.proposed", "Connected organisation proposed";
    DemoLoaded => "demo.loaded", "Demo organisation loaded";
    PackageResourceRoleAdded => "packageResourceRole.added", "Resource role added to a package";
    PackageResourceRoleRemoved => "packageResourceRole.removed", "Resource role removed from a package";
    PolicyCreated => "policy.created", "Policy created";
    PolicyDeleted => "policy.deleted", "Policy deleted";
    PolicyUpdated => "policy.updated", "Policy changed";
    RequestApproved => "request.approved", "Request approved";
    RequestCanceled => "request.canceled", "Request canceled";
    RequestChanged => "request.changed", "Request changed";
    RequestDelivered => "request.delivered", "Request delivered";
    RequestDeliveryFailed => "request.deliveryFailed", "Request delivery failed";
    RequestDenied => "request.denied", "Request denied";
    RequestEscalated => "request.escalated", "Request escalated";
    RequestStageApproved => "request.stageApproved", "Request stage approved";
    RequestSubmitted => "request.submitted", "Request submitted";
    RequestSubmittedAndApproved => "request.submittedAndApproved", "Request submitted and approved";
    RequestTimedOut => "request.timedOut", "Request timed out";
    ResourceAdded => "resource.added", "Resource added to a catalog";
    ResourceRemoved => "resource.removed", "Resource removed from a catalog";
    SessionSignedIn => "session.signedIn", "Signed in";
    SessionSignedOut => "session.signedOut", "Signed out";
    SettingsChanged => "settings.changed", "Settings changed";
    SignInFailed => "signIn.failed", "Sign-in failed";
    SignInThrottled => "signIn.throttled", "Sign-in throttled";
    UserCreated => "user.created", "Person created";
    SignupRequested => "signup.requested", "Sign-up started";
    SignupExistingAccount => "signup.existingAccount", "Sign-up with an address that has an account";
    SignupVerified => "signup.verified", "Sign-up verified";
    UserGuestCreated => "user.guestCreated", "Guest created";
    UserBlocked => "user.blocked", "Person blocked";
    UserUnblocked => "user.unblocked", "Person unblocked";
    UserDeleted => "user.deleted", "Person deleted";
    NotificationsChanged => "notifications.changed", "E-mail preferences changed";
    AuditPruned => "audit.pruned", "Audit log pruned";
    DirectorySynced => "directory.synced", "Directory synchronised";
    DirectoryWrittenBack => "directory.writtenBack", "Membership written to the directory";
    DirectoryTakenBack => "directory.takenBack", "Membership taken back from the directory";
    UserImported => "user.imported", "Person imported from the directory";
    UserLeftDirectory => "user.leftDirectory", "Person left the directory and was blocked";
    UserReturnedToDirectory => "user.returnedToDirectory", "Person back in the directory and unblocked";
    ScimUserCreated => "scim.userCreated", "Person provisioned by SCIM";
    ScimUserChanged => "scim.userChanged", "Person changed by SCIM";
    ScimUserBlocked => "scim.userBlocked", "Person blocked by SCIM";
    ScimUserUnblocked => "scim.userUnblocked", "Person unblocked by SCIM";
    ScimUserDeleted => "scim.userDeleted", "Person deleted by SCIM";
    ScimGroupCreated => "scim.groupCreated", "Group created by SCIM";
    ScimGroupChanged => "scim.groupChanged", "Group changed by SCIM";
    ScimGroupDeleted => "scim.groupDeleted", "Group deleted by SCIM";
    ScimTokenCreated => "scim.tokenCreated", "SCIM token created";
    ScimTokenRevoked => "scim.tokenRevoked", "SCIM token revoked";
}

impl AuditAction {
    /// The action a stored name names.
    pub fn parse(name: &str) -> Option<AuditAction> {
        AuditAction::ALL
            .iter()
            .copied()
            .find(|action| action.as_str() == name)
    }

    /// The part of Entrada that takes this action when no person does: delivery after an
    /// approval, the expiry job, the request timers, the guest lifecycle job, retention,
    /// the demo loader, the command line. `None` for actions only a person takes, or a visitor who is not
    /// signed in (a failed sign-in, a sign-up).
    pub fn system_job(self) -> Option<&'static str> {
        use AuditAction as A;
        match self {
            A::AssignmentCreated
            | A::AssignmentExtended
            | A::RequestDelivered
            | A::RequestDeliveryFailed
            | A::UserGuestCreated
            | A::UserUnblocked
            | A::ConnectedOrganizationProposed => Some("delivery"),
            A::AssignmentExpired => Some("expiry job"),
            A::RequestTimedOut | A::RequestEscalated | A::RequestApproved => Some("request timers"),
            A::UserBlocked | A::UserDeleted => Some("guest lifecycle job"),
            A::AuditPruned => Some("audit retention"),
            A::DirectorySynced
            | A::DirectoryWrittenBack
            | A::DirectoryTakenBack
            | A::UserImported
            | A::UserLeftDirectory
            | A::UserReturnedToDirectory => Some("directory sync"),
            A::DemoLoaded => Some("demo loader"),
            // `entrada user add`; a sign-up's account is created by its own person.
            A::UserCreated => Some("command line"),
            // The identity provider's SCIM client; the event names the token it used.
            A::ScimUserCreated
            | A::ScimUserChanged
            | A::ScimUserBlocked
            | A::ScimUserUnblocked
            | A::ScimUserDeleted
            | A::ScimGroupCreated
            | A::ScimGroupChanged
            | A::ScimGroupDeleted => Some("SCIM provisioning"),
            A::ScimTokenCreated | A::ScimTokenRevoked => Some("command line"),
            _ => None,
        }
    }
}

/// Who an event names as its actor, in words: the person, else the part of Entrada that
/// acted ("Entrada (delivery)"), else a visitor who was not signed in.
pub fn actor_words(actor: Option<&str>, action: AuditAction) -> String {
    match (actor, action.system_job()) {
        (Some(name), _) => name.to_owned(),
        (None, Some(job)) => format!("Entrada ({job})"),
        (None, None) => "Someone not signed in".to_owned(),
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One audited step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// Identifier.
    pub id: AuditEventId,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who did it; none for the system (background jobs, demo loading).
    pub actor: Option<UserId>,
    /// What was done, e.g. `session.signedIn`, `request.approved`.
    pub action: AuditAction,
    /// The kind of thing acted on, e.g. `user`, `accessPackage`.
    pub target_kind: String,
    /// The id of the thing acted on.
    pub target_id: String,
    /// The catalog concerned, for filtering.
    pub catalog_id: Option<CatalogId>,
    /// The access package concerned, for filtering.
    pub package_id: Option<PackageId>,
    /// Anything else worth keeping, as text.
    pub details: BTreeMap<String, String>,
}

impl AuditEvent {
    /// An event with no catalog, package or details.
    pub fn new(
        id: AuditEventId,
        at: OffsetDateTime,
        actor: Option<UserId>,
        action: AuditAction,
        target_kind: impl Into<String>,
        target_id: impl Into<String>,
    ) -> Self {
        Self {
            id,
            at,
            actor,
            action,
            target_kind: target_kind.into(),
            target_id: target_id.into(),
            catalog_id: None,
            package_id: None,
            details: BTreeMap::new(),
        }
    }

    /// Adds one detail.
    pub fn with_detail(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }
}

/// The outcome of walking the audit log's hash chain (`GET /audit/verify`,
/// `entrada audit verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChainCheck {
    /// Events checked and found intact, in sequence order, before the first bad one.
    pub events: u64,
    /// The first sequence number kept (1 unless retention pruned older events).
    pub first_seq: Option<i64>,
    /// The newest sequence number checked.
    pub last_seq: Option<i64>,
    /// The first event that does not verify; none when the whole chain does.
    pub first_bad: Option<BadEvent>,
}

impl ChainCheck {
    /// Whether the whole chain verified.
    pub fn verified(&self) -> bool {
        self.first_bad.is_none()
    }
}

/// Where the audit chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BadEvent {
    /// Its sequence number (or the first one missing).
    pub seq: i64,
    /// Its id, when the event exists.
    pub id: Option<String>,
    /// What is wrong, in words.
    pub reason: String,
}

/// The audit page's filter as the URL carries it (`GET /audit?from=&to=&actor=&target=&
/// catalog=&package=&action=&cursor=&limit=`): every value optional text, checked by
/// [`AuditQuery::validate`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct AuditQuery {
    /// Events at or after this time (RFC 3339, e.g. `2026-11-01T00:00:00Z`).
    pub from: Option<String>,
    /// Events before this time (RFC 3339).
    pub to: Option<String>,
    /// Events done by this person (a user id).
    pub actor: Option<String>,
    /// Events about this person (the target person, a request's requestor, an
    /// assignment's holder) or with this target id.
    pub target: Option<String>,
    /// Events in this catalog.
    pub catalog: Option<String>,
    /// Events about this access package.
    pub package: Option<String>,
    /// Events of this action, e.g. `request.approved`.
    pub action: Option<String>,
    /// Where the previous page ended (its `nextCursor`).
    pub cursor: Option<String>,
    /// Events per page, 1 to 200 (default 50).
    pub limit: Option<String>,
}

/// The most events one page holds.
pub const MAX_AUDIT_PAGE: u32 = 200;
/// Events per page unless asked otherwise.
pub const DEFAULT_AUDIT_PAGE: u32 = 50;

/// A checked audit filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// At or after.
    pub from: Option<OffsetDateTime>,
    /// Before.
    pub to: Option<OffsetDateTime>,
    /// Done by.
    pub actor: Option<UserId>,
    /// About (person or target id).
    pub target: Option<String>,
    /// In catalog.
    pub catalog: Option<CatalogId>,
    /// About package.
    pub package: Option<PackageId>,
    /// Of action.
    pub action: Option<AuditAction>,
    /// After this position, newest first: (time in unix milliseconds, sequence number).
    pub cursor: Option<(i64, i64)>,
    /// Page size.
    pub limit: u32,
}

impl AuditQuery {
    /// The query from a URL's parameters (unknown ones ignored).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> AuditQuery {
        let mut query = AuditQuery::default();
        for (key, value) in pairs {
            let slot = match key {
                "from" => &mut query.from,
                "to" => &mut query.to,
                "actor" => &mut query.actor,
                "target" => &mut query.target,
                "catalog" => &mut query.catalog,
                "package" => &mut query.package,
                "action" => &mut query.action,
                "cursor" => &mut query.cursor,
                "limit" => &mut query.limit,
                _ => continue,
            };
            *slot = Some(value.to_owned());
        }
        query
    }

    /// Checks every value; each bad one is a field error naming its parameter.
    pub fn validate(&self) -> Result<AuditFilter, FieldErrors> {
        let mut errors = Vec::new();
        let time = |field: &str, value: &Option<String>, errors: &mut Vec<FieldError>| {
            parse_moment(field, value.as_deref()).unwrap_or_else(|error| {
                errors.push(error);
                None
            })
        };
        let from = time("from", &self.from, &mut errors);
        let to = time("to", &self.to, &mut errors);
        if let (Some(from), Some(to)) = (from, to) {
            if to <= from {
                errors.push(FieldError::new("to", "The end must come after the start."));
            }
        }
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let action = match text(&self.action) {
            None => None,
            Some(name) => match AuditAction::parse(&name) {
                Some(action) => Some(action),
                None => {
                    errors.push(FieldError::new(
                        "action",
                        "Choose one of the listed actions.",
                    ));
                    None
                }
            },
        };
        let cursor = match text(&self.cursor) {
            None => None,
            Some(cursor) => match parse_cursor(&cursor) {
                Some(position) => Some(position),
                None => {
                    errors.push(FieldError::new(
                        "cursor",
                        "This page link is damaged: start again from the first page.",
                    ));
                    None
                }
            },
        };
        let limit = match text(&self.limit) {
            None => DEFAULT_AUDIT_PAGE,
            Some(limit) => limit.parse::<u32>().unwrap_or(0),
        };
        if limit == 0 || limit > MAX_AUDIT_PAGE {
            errors.push(FieldError::new(
                "limit",
                format!("Ask for 1 to {MAX_AUDIT_PAGE} events per page."),
            ));
        }
        FieldErrors::into_result(errors, || AuditFilter {
            from,
            to,
            actor: text(&self.actor).map(UserId),
            target: text(&self.target),
            catalog: text(&self.catalog).map(CatalogId),
            package: text(&self.package).map(PackageId),
            action,
            cursor,
            limit,
        })
    }
}

/// A moment a filter or report names (RFC 3339), none when blank; a bad one is an error on
/// `field`.
pub fn parse_moment(field: &str, text: Option<&str>) -> Result<Option<OffsetDateTime>, FieldError> {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(Some)
        .map_err(|_| FieldError::new(field, "Enter a date and time like 2026-11-30T09:00:00Z."))
}

/// The cursor that continues after an event: its time and sequence number.
pub fn audit_cursor(at_millis: i64, seq: i64) -> String {
    format!("{at_millis}.{seq}")
}

fn parse_cursor(text: &str) -> Option<(i64, i64)> {
    let (at, seq) = text.split_once('.')?;
    Some((at.parse().ok()?, seq.parse().ok()?))
}

/// Someone or something an event names, with the name to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Named {
    /// Identifier.
    pub id: String,
    /// Name now (or when it was last known: a deleted guest keeps theirs).
    pub name: Option<String>,
}

/// One event as the audit page and the CSV export show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Position in the hash chain.
    pub seq: i64,
    /// Identifier.
    pub id: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who; none for the system (a background job, the demo loader).
    pub actor: Option<Named>,
    /// What.
    pub action: AuditAction,
    /// The kind of thing acted on, e.g. `request`.
    pub target_kind: String,
    /// The thing acted on.
    pub target_id: String,
    /// The person the event is about, if any.
    pub subject: Option<Named>,
    /// The catalog concerned.
    pub catalog: Option<Named>,
    /// The access package concerned.
    pub package: Option<Named>,
    /// Everything else recorded.
    pub details: BTreeMap<String, String>,
    /// The page that shows the target, when there is one.
    pub link: Option<String>,
}

/// One page of audit events, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    /// The events.
    pub events: Vec<AuditEntry>,
    /// Pass as `cursor` for the next (older) page; none on the last page.
    pub next_cursor: Option<String>,
}

/// The page that shows an event's target, for the audit page's links.
pub fn target_link(
    target_kind: &str,
    target_id: &str,
    catalog: Option<&str>,
    package: Option<&str>,
) -> Option<String> {
    match target_kind {
        "catalog" => Some(format!("/admin/catalogs/{target_id}")),
        "accessPackage" => Some(format!("/admin/packages/{target_id}")),
        "request" => Some(format!("/approvals/{target_id}")),
        "user" => Some(format!("/admin/reports/people/{target_id}")),
        "connectedOrganization" => Some("/admin/connected-organizations".to_owned()),
        "settings" => Some("/admin/settings".to_owned()),
        _ => match (package, catalog) {
            (Some(package), _) => Some(format!("/admin/packages/{package}")),
            (None, Some(catalog)) => Some(format!("/admin/catalogs/{catalog}")),
            (None, None) => None,
        },
    }
}

/// The header row of the audit CSV export.
pub const AUDIT_CSV_HEADER: [&str; 12] = [
    "time",
    "sequence",
    "action",
    "actor id",
    "actor",
    "target kind",
    "target id",
    "person",
    "catalog",
    "access package",
    "details",
    "event id",
];

impl AuditEntry {
    /// The entry as one CSV row, in the order of [`AUDIT_CSV_HEADER`].
    pub fn csv_fields(&self) -> [String; 12] {
        let name = |named: &Option<Named>| {
            named
                .as_ref()
                .map(|n| n.name.clone().unwrap_or_else(|| n.id.clone()))
                .unwrap_or_default()
        };
        let details = self
            .details
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        [
            self.at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            self.seq.to_string(),
            self.action.as_str().to_owned(),
            self.actor
                .as_ref()
                .map(|a| a.id.clone())
                .unwrap_or_default(),
            actor_words(
                self.actor.as_ref().map(|_| name(&self.actor)).as_deref(),
                self.action,
            ),
            self.target_kind.clone(),
            self.target_id.clone(),
            name(&self.subject),
            name(&self.catalog),
            name(&self.package),
            details,
            self.id.clone(),
        ]
    }
}

/// One CSV line (with its line break): fields quoted where needed, and cells that a
/// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage
/// return) prefixed with `'` so an exported log can never execute anything.
pub fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = String::new();
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            line.push(',');
        }
        let field = field.as_ref();
        let guarded = match field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            true => format!("'{field}"),
            false => field.to_owned(),
        };
        if guarded.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&guarded.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&guarded);
        }
    }
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_without_a_person_names_the_job_or_says_nobody_was_signed_in() {
        assert_eq!(
            actor_words(Some("Daniel Kim"), AuditAction::RequestApproved),
            "Daniel Kim"
        );
        assert_eq!(
            actor_words(None, AuditAction::AssignmentCreated),
            "Entrada (delivery)"
        );
        assert_eq!(
            actor_words(None, AuditAction::AssignmentExpired),
            "Entrada (expiry job)"
        );
        assert_eq!(
            actor_words(None, AuditAction::SignInFailed),
            "Someone not signed in"
        );
        // Only a person edits a catalog: no job takes that action.
        assert_eq!(AuditAction::CatalogUpdated.system_job(), None);
    }

    #[test]
    fn every_action_round_trips_through_its_name_and_serde() {
        let mut names = std::collections::BTreeSet::new();
        for action in AuditAction::ALL {
            assert!(names.insert(action.as_str()), "{action} twice");
            assert_eq!(AuditAction::parse(action.as_str()), Some(*action));
            let json = serde_json::to_string(action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
            assert!(!action.label().is_empty());
        }
        assert_eq!(AuditAction::parse("request.teleported"), None);
    }

    #[test]
    fn a_query_names_each_bad_parameter() {
        let query = AuditQuery {
            from: Some("yesterday".into()),
            to: Some("2026-11-01T00:00:00Z".into()),
            action: Some("request.teleported".into()),
            cursor: Some("abc".into()),
            limit: Some("1000".into()),
            ..AuditQuery::default()
        };
        let errors = query.validate().unwrap_err();
        for field in ["from", "action", "cursor", "limit"] {
            assert!(errors.for_field(field).is_some(), "{field}: {errors:?}");
        }
        let backwards = AuditQuery {
            from: Some("2026-11-02T00:00:00Z".into()),
            to: Some("2026-11-01T00:00:00Z".into()),
            ..AuditQuery::default()
        };
        assert!(backwards.validate().unwrap_err().for_field("to").is_some());
    }

    #[test]
    fn a_good_query_becomes_a_filter_and_its_cursor_round_trips() {
        let query = AuditQuery {
            from: Some("2026-11-01T00:00:00Z".into()),
            actor: Some(" user-alex ".into()),
            action: Some("request.approved".into()),
            cursor: Some(audit_cursor(1_700_000_000_000, 42)),
            ..AuditQuery::default()
        };
        let filter = query.validate().unwrap();
        assert_eq!(filter.actor, Some(UserId("user-alex".into())));
        assert_eq!(filter.action, Some(AuditAction::RequestApproved));
        assert_eq!(filter.cursor, Some((1_700_000_000_000, 42)));
        assert_eq!(filter.limit, DEFAULT_AUDIT_PAGE);
        assert!(filter.to.is_none());
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(
            csv_line(&["a", "b,c", "say \"hi\""]),
            "a,\"b,c\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(
            csv_line(&["=HYPERLINK(\"x\")", "-1", "@x", "plain"]),
            "\"'=HYPERLINK(\"\"x\"\")\",'-1,'@x,plain\r\n"
        );
        assert_eq!(csv_line(&["two\nlines"]), "\"two\nlines\"\r\n");
    }
}
