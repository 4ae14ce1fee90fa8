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

/// RFC 9457 problem details, as every API error is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI naming the problem type; `about:blank` when the status says it all.
    #[serde(rename = "type", default = "about_blank")]
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

fn about_blank() -> String {
    "about:blank".to_owned()
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
    pub justification: Option<String>,
    /// Answers to the policy's questions.
    #[serde(default)]
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
