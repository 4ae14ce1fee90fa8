//! Wire types of the HTTP API that are not domain objects themselves: request bodies,
//! views and the problem+json body. The SPA and the server both use these, so a renamed
//! field fails to compile on the other side.

use serde::{Deserialize, Serialize};

use crate::catalog::{AccessPackage, CatalogRole};
use crate::directory::User;
use crate::error::{FieldError, FieldErrors};
use crate::ids::{CatalogId, PackageId};
use crate::permission::{Actor, CatalogGrant, GlobalRole};
use crate::policy::AssignmentPolicy;

/// `GET /session/methods`: how people may sign in here, for the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignInMethods {
    /// Whether the e-mail and password form is offered.
    pub password: bool,
    /// The OpenID provider's name, for "Sign in with …", when one is configured.
    pub provider: Option<String>,
}

/// `GET /integrations`: the identity systems Entrada works with here, for administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Integrations {
    /// Whether people may sign in with a password.
    pub password_sign_in: bool,
    /// The OpenID provider people sign in through, when one is configured.
    pub open_id_provider: Option<OpenIdProviderStatus>,
    /// The LDAP / Active Directory directory Entrada syncs from, when one is configured.
    #[serde(default)]
    pub directory: Option<DirectoryStatus>,
    /// SCIM provisioning at `/scim/v2`: its tokens and what it wrote lately.
    #[serde(default)]
    pub scim: ScimStatus,
}

/// The directory Entrada syncs people and groups from, and how its syncs went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DirectoryStatus {
    /// The server's address.
    pub url: String,
    /// The DN Entrada binds as.
    pub bind_dn: String,
    /// Where people and groups are looked for.
    pub base_dn: String,
    /// Which entries are people.
    pub user_filter: String,
    /// Which entries are groups.
    pub group_filter: String,
    /// Minutes between scheduled syncs.
    pub every_minutes: u64,
    /// People in Entrada that came from the directory and are still in it.
    pub people_linked: u64,
    /// Groups in Entrada that came from the directory and are still in it.
    pub groups_linked: u64,
    /// The last sync, whether it worked or not.
    pub last_sync: Option<DirectorySync>,
    /// When the last sync that worked started.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_success_at: Option<time::OffsetDateTime>,
}

/// One directory sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DirectorySync {
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: time::OffsetDateTime,
    /// When it ended.
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: time::OffsetDateTime,
    /// Full or incremental.
    pub mode: crate::directory_sync::SyncMode,
    /// What started it: the schedule, the command line, or an administrator.
    pub started_by: String,
    /// What it did.
    pub figures: crate::directory_sync::SyncFigures,
    /// Entries it could not take, each with why.
    pub problems: Vec<String>,
    /// Why it failed; none when it worked.
    pub error: Option<String>,
}

impl DirectorySync {
    /// "full sync" or "incremental sync".
    pub fn mode_words(&self) -> &'static str {
        match self.mode {
            crate::directory_sync::SyncMode::Full => "full sync",
            crate::directory_sync::SyncMode::Incremental => "incremental sync",
        }
    }

    /// Who started it, in words.
    pub fn started_by_words(&self) -> String {
        match self.started_by.as_str() {
            "schedule" => "on the schedule".to_owned(),
            "command" => "from the command line".to_owned(),
            _ => "by an administrator".to_owned(),
        }
    }
}

/// `POST /integrations/directory-sync`: sync now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirectorySyncRun {
    /// Read every person again, not only those changed since the last sync.
    #[serde(default)]
    pub full: bool,
}

/// SCIM provisioning's tokens (never the tokens themselves) and its writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScimStatus {
    /// Every token made with `entrada scim token create`, oldest first.
    pub tokens: Vec<ScimTokenView>,
    /// SCIM's writes in the last 30 days, by audit action (only those that happened).
    pub writes_last_30_days: Vec<ScimWriteCount>,
}

/// A SCIM token as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScimTokenView {
    /// Its name, e.g. `okta`.
    pub name: String,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// When a SCIM request last came with it.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<time::OffsetDateTime>,
    /// Whether it was revoked (`entrada scim token revoke`).
    pub revoked: bool,
}

/// How many SCIM writes of one kind the audit log holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScimWriteCount {
    /// The audit action (`scim.userCreated`, …).
    pub action: crate::audit::AuditAction,
    /// How many.
    pub count: i64,
}

/// The OpenID provider's settings and how it is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OpenIdProviderStatus {
    /// The name on the sign-in page.
    pub name: String,
    /// The issuer.
    pub issuer: String,
    /// Entrada's client id there.
    pub client_id: String,
    /// The claim people are matched by.
    pub claim: String,
    /// Why its discovery document could not be read just now; none when it could.
    pub error: Option<String>,
    /// Sign-ins through it in the last 30 days.
    pub sign_ins_last_30_days: i64,
    /// Sign-ins through it refused in the last 30 days.
    pub refused_last_30_days: i64,
    /// The last sign-in through it.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_sign_in: Option<time::OffsetDateTime>,
}

/// Why a sign-in through the OpenID provider ended back on the sign-in page
/// (`/sign-in?error=…`).
pub fn provider_sign_in_error(code: &str) -> Option<&'static str> {
    Some(match code {
        "unknownPerson" => "Your organisation's sign-in worked, but nobody with that address has access to Entrada here. Ask an administrator to add you.",
        "blocked" => "Your account is blocked. Ask an administrator.",
        "expired" => "That sign-in took too long or was already used. Try again.",
        "refused" => "The sign-in was cancelled or refused at your organisation's sign-in.",
        "invalidToken" => "Your organisation's sign-in answered with something Entrada could not trust. Try again; if it happens again, tell an administrator.",
        "providerUnavailable" => "Your organisation's sign-in could not be reached. Try again in a moment.",
        _ => return None,
    })
}

/// Body of `POST /session`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignInBody {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// Checks a sign-in form before it is sent (and again on the server).
pub fn validate_sign_in(body: &SignInBody) -> Result<(), FieldErrors> {
    let mut errors = Vec::new();
    let email = body.email.trim();
    if email.is_empty() {
        errors.push(FieldError::new("email", "Enter your e-mail address."));
    } else if !looks_like_email(email) {
        errors.push(FieldError::new(
            "email",
            "Enter an e-mail address such as name@example.com.",
        ));
    }
    if body.password.is_empty() {
        errors.push(FieldError::new("password", "Enter your password."));
    }
    FieldErrors::into_result(errors, || ())
}

/// A light check that text is shaped like an e-mail address: one `@`, something before it,
/// a dotted domain after it, no spaces.
pub fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

/// Body of `GET /me`: the signed-in person and what they may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// The person.
    pub user: User,
    /// Organisation-wide roles.
    pub global_roles: Vec<GlobalRole>,
    /// Roles in catalogs, with the catalog's name.
    pub catalog_roles: Vec<CatalogRoleView>,
}

impl Me {
    /// The permission check's view of this person.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user.id.clone(),
            kind: self.user.kind,
            global_roles: self.global_roles.clone(),
            catalog_roles: self
                .catalog_roles
                .iter()
                .map(|grant| CatalogGrant {
                    catalog_id: grant.catalog_id.clone(),
                    role: grant.role,
                })
                .collect(),
        }
    }
}

/// A catalog role with the catalog's name, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogRoleView {
    /// The catalog.
    pub catalog_id: CatalogId,
    /// Its name.
    pub catalog_name: String,
    /// The role.
    pub role: CatalogRole,
}

/// A package offered in My Access, with what it grants and how it is requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PackageOffer {
    /// The package.
    pub package: AccessPackage,
    /// Name of its catalog.
    pub catalog_name: String,
    /// The policies through which the caller may request it now (may be empty when the
    /// package was opened by its link and the caller is not in scope of any policy).
    pub policies: Vec<AssignmentPolicy>,
    /// The caller's live assignment of this package, if they hold it.
    #[serde(default)]
    pub assignment: Option<crate::assignment::Assignment>,
    /// The caller's open request for this package, if any.
    #[serde(default)]
    pub pending_request: Option<crate::ids::RequestId>,
}

impl PackageOffer {
    /// Whether the caller may request this package now.
    pub fn requestable(&self) -> bool {
        !self.policies.is_empty()
    }

    /// The package's id.
    pub fn id(&self) -> &PackageId {
        &self.package.id
    }
}

/// Whether a package matches a My Access search: every word of the query appears in its
/// name, description, catalog name or the names of what it grants, ignoring case.
pub fn offer_matches(offer: &PackageOffer, query: &str) -> bool {
    let haystack = {
        let mut text = format!(
            "{} {} {}",
            offer.package.name, offer.package.description, offer.catalog_name
        );
        for role in &offer.package.resource_roles {
            text.push(' ');
            text.push_str(&role.resource_name);
        }
        text.to_lowercase()
    };
    query
        .split_whitespace()
        .all(|word| haystack.contains(&word.to_lowercase()))
}

/// RFC 9457 problem details, as every API error is sent. `type` is one of the URIs of
/// [`ProblemType`]; clients branch on it, never on the wording of `title` or `detail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI naming the kind of problem (see `ProblemType`).
    #[serde(rename = "type", default = "about_blank")]
    #[cfg_attr(feature = "openapi", schema(value_type = ProblemType))]
    pub problem_type: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened, for people.
    #[serde(default)]
    pub detail: String,
    /// Field-level validation errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    /// The kind of problem, when `type` is one Entrada documents.
    pub fn kind(&self) -> Option<ProblemType> {
        ProblemType::from_uri(&self.problem_type)
    }
}

fn about_blank() -> String {
    "about:blank".to_owned()
}

/// The stable `type` URIs of Entrada's problems. The server picks one for every error; the
/// SPA decides what to do (send to sign-in, show field errors) from it alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ProblemType {
    /// 400: the body is not JSON, has the wrong shape or an unknown field.
    #[serde(rename = "https://entrada.dev/problems/bad-request")]
    BadRequest,
    /// 401: no session cookie was sent.
    #[serde(rename = "https://entrada.dev/problems/not-signed-in")]
    NotSignedIn,
    /// 401: the session cookie names a session that ended.
    #[serde(rename = "https://entrada.dev/problems/session-expired")]
    SessionExpired,
    /// 401: wrong e-mail address or password.
    #[serde(rename = "https://entrada.dev/problems/bad-credentials")]
    BadCredentials,
    /// 403: signed in, but not allowed to do this.
    #[serde(rename = "https://entrada.dev/problems/forbidden")]
    Forbidden,
    /// 403: the account is blocked.
    #[serde(rename = "https://entrada.dev/problems/account-blocked")]
    AccountBlocked,
    /// 403: a state-changing call came from another site.
    #[serde(rename = "https://entrada.dev/problems/cross-origin")]
    CrossOrigin,
    /// 404: no such thing, or one the caller may not see; or no such API path.
    #[serde(rename = "https://entrada.dev/problems/not-found")]
    NotFound,
    /// 405: the path does not take this HTTP method.
    #[serde(rename = "https://entrada.dev/problems/method-not-allowed")]
    MethodNotAllowed,
    /// 409: the state does not allow it (already decided, duplicate name, …).
    #[serde(rename = "https://entrada.dev/problems/conflict")]
    Conflict,
    /// 413: the body is larger than the server reads.
    #[serde(rename = "https://entrada.dev/problems/body-too-large")]
    BodyTooLarge,
    /// 422: some fields need attention; `errors` lists them by path.
    #[serde(rename = "https://entrada.dev/problems/validation")]
    Validation,
    /// 429: too many attempts; try again after `Retry-After` seconds.
    #[serde(rename = "https://entrada.dev/problems/too-many-requests")]
    TooManyRequests,
    /// 500: the server failed; the cause is logged, never shown.
    #[serde(rename = "https://entrada.dev/problems/server-error")]
    ServerError,
}

impl ProblemType {
    /// Every problem type, in the order the API documents them.
    pub const ALL: [ProblemType; 14] = [
        ProblemType::BadRequest,
        ProblemType::NotSignedIn,
        ProblemType::SessionExpired,
        ProblemType::BadCredentials,
        ProblemType::Forbidden,
        ProblemType::AccountBlocked,
        ProblemType::CrossOrigin,
        ProblemType::NotFound,
        ProblemType::MethodNotAllowed,
        ProblemType::Conflict,
        ProblemType::BodyTooLarge,
        ProblemType::Validation,
        ProblemType::TooManyRequests,
        ProblemType::ServerError,
    ];

    /// The URI sent as the problem's `type`.
    pub fn uri(self) -> &'static str {
        match self {
            ProblemType::BadRequest => "https://entrada.dev/problems/bad-request",
            ProblemType::NotSignedIn => "https://entrada.dev/problems/not-signed-in",
            ProblemType::SessionExpired => "https://entrada.dev/problems/session-expired",
            ProblemType::BadCredentials => "https://entrada.dev/problems/bad-credentials",
            ProblemType::Forbidden => "https://entrada.dev/problems/forbidden",
            ProblemType::AccountBlocked => "https://entrada.dev/problems/account-blocked",
            ProblemType::CrossOrigin => "https://entrada.dev/problems/cross-origin",
            ProblemType::NotFound => "https://entrada.dev/problems/not-found",
            ProblemType::MethodNotAllowed => "https://entrada.dev/problems/method-not-allowed",
            ProblemType::Conflict => "https://entrada.dev/problems/conflict",
            ProblemType::BodyTooLarge => "https://entrada.dev/problems/body-too-large",
            ProblemType::Validation => "https://entrada.dev/problems/validation",
            ProblemType::TooManyRequests => "https://entrada.dev/problems/too-many-requests",
            ProblemType::ServerError => "https://entrada.dev/problems/server-error",
        }
    }

    /// The HTTP status that goes with this type.
    pub fn status(self) -> u16 {
        match self {
            ProblemType::BadRequest => 400,
            ProblemType::NotSignedIn
            | ProblemType::SessionExpired
            | ProblemType::BadCredentials => 401,
            ProblemType::Forbidden | ProblemType::AccountBlocked | ProblemType::CrossOrigin => 403,
            ProblemType::NotFound => 404,
            ProblemType::MethodNotAllowed => 405,
            ProblemType::Conflict => 409,
            ProblemType::BodyTooLarge => 413,
            ProblemType::Validation => 422,
            ProblemType::TooManyRequests => 429,
            ProblemType::ServerError => 500,
        }
    }

    /// What the type means, for the API's documentation.
    pub fn meaning(self) -> &'static str {
        match self {
            ProblemType::BadRequest => {
                "the body is not JSON, has the wrong shape or a field the endpoint does not know"
            }
            ProblemType::NotSignedIn => "no session cookie was sent; sign in",
            ProblemType::SessionExpired => "the session ended; sign in again",
            ProblemType::BadCredentials => "wrong e-mail address or password",
            ProblemType::Forbidden => "signed in, but not allowed to do this",
            ProblemType::AccountBlocked => "the account is blocked",
            ProblemType::CrossOrigin => {
                "a state-changing call came from another site (Origin or Sec-Fetch-Site)"
            }
            ProblemType::NotFound => {
                "no such thing, one the caller may not see, or no such API path"
            }
            ProblemType::MethodNotAllowed => "the path does not take this HTTP method",
            ProblemType::Conflict => {
                "the current state does not allow it (already decided, duplicate name)"
            }
            ProblemType::BodyTooLarge => "the body is larger than the server reads",
            ProblemType::Validation => {
                "some fields need attention; `errors` lists each by its path"
            }
            ProblemType::TooManyRequests => {
                "too many attempts; retry after the Retry-After header's seconds"
            }
            ProblemType::ServerError => "the server failed; the cause is logged, never shown",
        }
    }

    /// The type a URI names, if it is one of Entrada's.
    pub fn from_uri(uri: &str) -> Option<ProblemType> {
        ProblemType::ALL.into_iter().find(|kind| kind.uri() == uri)
    }

    /// A Markdown list of every type with its status and meaning, for the OpenAPI document.
    pub fn documentation() -> String {
        let mut text = String::from(
            "RFC 9457 problem details, as every API error is sent. Clients branch on `type`, \
             one of:\n",
        );
        for kind in ProblemType::ALL {
            text.push_str(&format!(
                "\n- `{}` ({}): {}",
                kind.uri(),
                kind.status(),
                kind.meaning()
            ));
        }
        text
    }
}

/// A catalog in the administrators' list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogSummary {
    /// The catalog.
    pub catalog: crate::catalog::Catalog,
    /// How many access packages it holds.
    pub package_count: u32,
    /// How many resources it holds.
    pub resource_count: u32,
    /// The caller's roles in it (empty for administrators who hold none).
    pub my_roles: Vec<CatalogRole>,
}

/// One person holding one role in a catalog, with the person's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogRoleMember {
    /// The grant's id (for removal).
    pub id: crate::ids::RoleAssignmentId,
    /// The role.
    pub role: CatalogRole,
    /// The person.
    pub person: crate::preview::PersonSummary,
}

/// A catalog with everything in it, as its detail page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogDetail {
    /// The catalog.
    pub catalog: crate::catalog::Catalog,
    /// Who manages it.
    pub roles: Vec<CatalogRoleMember>,
    /// Its resources with their roles.
    pub resources: Vec<crate::catalog::Resource>,
    /// Its access packages.
    pub packages: Vec<AccessPackage>,
    /// What the caller may do here.
    pub permissions: CatalogPermissions,
}

/// What the caller may do in one catalog, from the permission check, so the SPA shows
/// only what the person may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogPermissions {
    /// Edit, enable, disable or delete the catalog.
    pub edit_catalog: bool,
    /// Add or remove owners, readers and managers.
    pub manage_roles: bool,
    /// Add or remove resources.
    pub manage_resources: bool,
    /// Create and edit packages and policies.
    pub manage_packages: bool,
    /// Assign people directly and remove assignments.
    pub manage_assignments: bool,
}

impl CatalogPermissions {
    /// The permissions of `actor` in `catalog`.
    pub fn of(actor: &Actor, catalog: &CatalogId) -> Self {
        use crate::permission::{may, Action, Target};
        let target = Target::Catalog(catalog);
        Self {
            edit_catalog: may(actor, Action::EditCatalog, &target),
            manage_roles: may(actor, Action::ManageCatalogRoles, &target),
            manage_resources: may(actor, Action::ManageCatalogResources, &target),
            manage_packages: may(actor, Action::ManagePackages, &target),
            manage_assignments: may(actor, Action::ManageAssignments, &target),
        }
    }
}

/// An assignment with the names a list shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AssignmentView {
    /// The assignment.
    pub assignment: crate::assignment::Assignment,
    /// The holder.
    pub person: crate::preview::PersonSummary,
    /// The package's name.
    pub package_name: String,
}

/// Body of `POST /policy-preview`: the catalog the package lives in (none for a catalog
/// that a wizard has not created yet) and the preview request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PolicyPreviewBody {
    /// The catalog, when it exists already.
    #[serde(default)]
    pub catalog_id: Option<CatalogId>,
    /// The package, when it exists already.
    #[serde(default)]
    pub access_package_id: Option<PackageId>,
    /// The policy and the person to trace.
    #[serde(flatten)]
    pub preview: crate::preview::PreviewRequest,
}

/// Body of `POST /requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewRequestBody {
    /// The package.
    pub access_package_id: PackageId,
    /// The policy to request through.
    pub policy_id: crate::ids::PolicyId,
    /// `userAdd`, `userExtend` or `userRemove`.
    #[serde(rename = "type")]
    pub request_type: crate::request::RequestType,
    /// The requestor's reason.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub justification: Option<String>,
    /// Answers to the policy's questions (one per question at most).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub answers: Vec<crate::request::Answer>,
    /// Requested start and end.
    #[serde(default)]
    pub schedule: crate::request::Schedule,
}

impl NewRequestBody {
    /// The parts that the policy validates.
    pub fn draft(&self) -> crate::request::RequestDraft {
        crate::request::RequestDraft {
            justification: self.justification.clone(),
            answers: self.answers.clone(),
            schedule: self.schedule.clone(),
        }
    }
}

/// Body of `POST /requests/{id}/decisions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DecisionBody {
    /// Approve or deny.
    pub decision: crate::request::DecisionKind,
    /// The approver's reason.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub justification: Option<String>,
}

/// One stage of a request as people see it: who may decide and what was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StageView {
    /// 0-based stage.
    pub stage: u8,
    /// Who may decide it now (only for the current stage).
    pub approvers: Vec<crate::preview::PersonSummary>,
    /// Whether the approver must give a reason.
    pub approver_justification_required: bool,
    /// The decision, once made.
    pub decision: Option<crate::request::Decision>,
    /// The name of whoever decided.
    pub decided_by: Option<String>,
}

/// A request with the names and times its pages show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RequestView {
    /// The request.
    pub request: crate::request::AccessRequest,
    /// Who it is for.
    pub requestor: crate::preview::PersonSummary,
    /// The package's name.
    pub package_name: String,
    /// The policy's name.
    pub policy_name: String,
    /// The policy's questions, to show the answers against.
    pub questions: Vec<crate::policy::Question>,
    /// Every stage of the policy for this request.
    pub stages: Vec<StageView>,
    /// When the current stage times out, while pending.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub times_out_at: Option<time::OffsetDateTime>,
    /// Whether the caller may decide the current stage now.
    pub caller_may_decide: bool,
    /// For an extension that is still open while its requestor holds the access: when the
    /// access ends now and when it would end if the extension were granted now.
    #[serde(default)]
    pub extension: Option<ExtensionDates>,
}

/// The two ends an approver weighs an extension by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExtensionDates {
    /// When the access ends now; `null` when it never ends.
    #[serde(with = "time::serde::rfc3339::option")]
    pub current_end: Option<time::OffsetDateTime>,
    /// When it would end if the extension were granted now; `null` for never.
    #[serde(with = "time::serde::rfc3339::option")]
    pub requested_end: Option<time::OffsetDateTime>,
}

/// An assignment of the caller with what it grants and what they may do with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MyAssignment {
    /// The assignment.
    pub assignment: crate::assignment::Assignment,
    /// The package with what it grants.
    pub package: AccessPackage,
    /// Whether the policy lets the holder ask for more time now.
    pub extension_allowed: bool,
    /// An open request about this assignment (extension or removal), if any.
    pub pending_request: Option<crate::ids::RequestId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_types_serialize_as_their_uri_and_read_back() {
        for kind in ProblemType::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.uri()));
            assert_eq!(ProblemType::from_uri(kind.uri()), Some(kind));
            assert!(ProblemType::documentation().contains(kind.uri()));
        }
        assert_eq!(ProblemType::from_uri("about:blank"), None);
    }

    #[test]
    fn a_problem_with_an_unknown_type_still_reads() {
        let problem: Problem =
            serde_json::from_str(r#"{"title":"Bad gateway","status":502}"#).unwrap();
        assert_eq!(problem.problem_type, "about:blank");
        assert_eq!(problem.kind(), None);
    }
}
