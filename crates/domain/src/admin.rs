//! What administrators send to set things up: catalogs, catalog roles, resources, access
//! packages, their resource roles and direct assignments; and the validation of each,
//! shared by the setup wizards (instant feedback) and the server (authority).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{CatalogRole, ResourceKind};
use crate::error::{FieldError, FieldErrors};
use crate::ids::{CatalogId, PackageId, PolicyId, ResourceId, UserId};
use crate::policy::{MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};

/// The most resource roles a setup wizard grants in one go.
pub const MAX_SETUP_ROLES: usize = 50;
/// The most extra owners a setup wizard names for a new catalog.
pub const MAX_SETUP_OWNERS: usize = 50;
/// The longest directory id (a resource's origin id, a role id), in characters.
pub const MAX_DIRECTORY_ID_CHARS: usize = 200;

/// A catalog as the create and edit forms send it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogDraft {
    /// Display name, unique.
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: String,
    /// What the catalog holds.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub description: String,
    /// Whether its packages are offered to requestors.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Whether people outside the directory may request its packages.
    #[serde(default)]
    pub external_users_allowed: bool,
}

/// Checks a catalog draft; returns it with name and description trimmed.
pub fn validate_catalog(draft: &CatalogDraft) -> Result<CatalogDraft, FieldErrors> {
    let mut errors = Vec::new();
    let name = check_name(&draft.name, "name", "catalog", &mut errors);
    let description = check_description(&draft.description, "description", &mut errors);
    FieldErrors::into_result(errors, || CatalogDraft {
        name,
        description,
        ..draft.clone()
    })
}

/// An access package as the create and edit forms send it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PackageDraft {
    /// The catalog it belongs to (fixed once created).
    pub catalog_id: CatalogId,
    /// Display name, unique in its catalog.
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: String,
    /// What it is for.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub description: String,
    /// Whether it is left out of My Access (reachable by link only).
    #[serde(default)]
    pub hidden: bool,
}

/// Checks a package draft; returns it with name and description trimmed.
pub fn validate_package(draft: &PackageDraft) -> Result<PackageDraft, FieldErrors> {
    let mut errors = Vec::new();
    if draft.catalog_id.as_str().trim().is_empty() {
        errors.push(FieldError::new(
            "catalogId",
            "Choose the catalog the package belongs to.",
        ));
    }
    let name = check_name(&draft.name, "name", "access package", &mut errors);
    let description = check_description(&draft.description, "description", &mut errors);
    FieldErrors::into_result(errors, || PackageDraft {
        name,
        description,
        ..draft.clone()
    })
}

/// What a form says when an access package's name is already used in its catalog.
pub const PACKAGE_NAME_TAKEN: &str =
    "An access package with this name already exists in the catalog. Choose another name.";

/// What a form says when a catalog's name is already used.
pub const CATALOG_NAME_TAKEN: &str =
    "A catalog with this name already exists. Choose another name.";

/// Whether `name` is already one of `existing`: names are compared as saved, trimmed, and
/// must be unique (a package's in its catalog, a catalog's in the organisation), which the
/// database enforces too. Forms check it as the person types, against the names they know.
pub fn name_in_use<'a>(name: &str, existing: impl IntoIterator<Item = &'a str>) -> bool {
    let name = name.trim();
    !name.is_empty() && existing.into_iter().any(|other| other.trim() == name)
}

/// Gives someone a role in a catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogRoleDraft {
    /// The person.
    pub user_id: UserId,
    /// The role.
    pub role: CatalogRole,
}

/// Checks a catalog role draft.
pub fn validate_catalog_role(draft: &CatalogRoleDraft) -> Result<CatalogRoleDraft, FieldErrors> {
    let mut errors = Vec::new();
    if draft.user_id.as_str().trim().is_empty() {
        errors.push(FieldError::new("userId", "Choose a person."));
    }
    FieldErrors::into_result(errors, || draft.clone())
}

/// Adds a directory object to a catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ResourceDraft {
    /// Group, application or site.
    pub kind: ResourceKind,
    /// Its id in the directory.
    pub origin_id: String,
}

/// Checks a resource draft.
pub fn validate_resource(draft: &ResourceDraft) -> Result<ResourceDraft, FieldErrors> {
    let mut errors = Vec::new();
    if draft.origin_id.trim().is_empty() {
        errors.push(FieldError::new(
            "originId",
            "Choose a group, application or site.",
        ));
    } else if draft.origin_id.chars().count() > MAX_DIRECTORY_ID_CHARS {
        errors.push(FieldError::new(
            "originId",
            format!("Use at most {MAX_DIRECTORY_ID_CHARS} characters."),
        ));
    }
    FieldErrors::into_result(errors, || draft.clone())
}

/// Adds one role of a catalog resource to a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PackageResourceRoleDraft {
    /// The catalog resource.
    pub resource_id: ResourceId,
    /// The role's id within the resource.
    pub role_id: String,
}

/// Checks a package resource role draft.
pub fn validate_package_resource_role(
    draft: &PackageResourceRoleDraft,
) -> Result<PackageResourceRoleDraft, FieldErrors> {
    let mut errors = Vec::new();
    if draft.resource_id.as_str().trim().is_empty() {
        errors.push(FieldError::new(
            "resourceId",
            "Choose a resource of the catalog.",
        ));
    }
    if draft.role_id.trim().is_empty() {
        errors.push(FieldError::new("roleId", "Choose a role of the resource."));
    }
    FieldErrors::into_result(errors, || draft.clone())
}

/// A direct assignment by an administrator or assignment manager: no approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DirectAssignmentDraft {
    /// The person to assign.
    pub user_id: UserId,
    /// The package.
    pub access_package_id: PackageId,
    /// The policy the assignment falls under.
    pub policy_id: PolicyId,
    /// Optional end; none means the policy's expiration.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub end: Option<OffsetDateTime>,
}

/// Checks a direct assignment draft at `now` (an end must lie in the future).
pub fn validate_direct_assignment(
    draft: &DirectAssignmentDraft,
    now: OffsetDateTime,
) -> Result<DirectAssignmentDraft, FieldErrors> {
    let mut errors = Vec::new();
    if draft.user_id.as_str().trim().is_empty() {
        errors.push(FieldError::new("userId", "Choose the person to assign."));
    }
    if draft.access_package_id.as_str().trim().is_empty() {
        errors.push(FieldError::new(
            "accessPackageId",
            "Choose an access package.",
        ));
    }
    if draft.policy_id.as_str().trim().is_empty() {
        errors.push(FieldError::new(
            "policyId",
            "Choose the policy the assignment falls under.",
        ));
    }
    if draft.end.is_some_and(|end| end <= now) {
        errors.push(FieldError::new(
            "end",
            "Choose an end in the future, or none.",
        ));
    }
    FieldErrors::into_result(errors, || draft.clone())
}

/// Where a setup wizard puts its package: a catalog that exists, or a new one with owners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SetupCatalog {
    /// A catalog that exists (the caller must be allowed to manage its packages, and its
    /// resources when the wizard adds any).
    #[serde(rename_all = "camelCase")]
    Existing {
        /// The catalog.
        id: CatalogId,
    },
    /// A new catalog; the caller becomes an owner, and so do `owners`.
    #[serde(rename_all = "camelCase")]
    New {
        /// The catalog's fields.
        catalog: CatalogDraft,
        /// More owners (e.g. the department's lead).
        #[serde(default)]
        owners: Vec<UserId>,
    },
}

/// One resource role a setup wizard grants: a directory object (added to the catalog when
/// it is not there yet) and one of its roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SetupRole {
    /// Group, application or site.
    pub kind: ResourceKind,
    /// Its id in the directory.
    pub origin_id: String,
    /// The role's id within it.
    pub role_id: String,
}

/// Everything a setup wizard creates, saved in one transaction after the review step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SetupDraft {
    /// The catalog.
    pub catalog: SetupCatalog,
    /// The package's name, description and hidden flag (its catalog comes from `catalog`).
    pub package: PackageDraft,
    /// What the package grants.
    pub roles: Vec<SetupRole>,
    /// Its first assignment policy.
    pub policy: crate::policy::PolicyDraft,
}

/// Checks a whole setup at `now`, with field paths prefixed by part (`catalog.name`,
/// `package.name`, `roles`, `policy.stages[0].approvers`).
pub fn validate_setup(draft: &SetupDraft, now: OffsetDateTime) -> Result<SetupDraft, FieldErrors> {
    let mut errors = Vec::new();
    let mut prefixed =
        |prefix: &str, result: Result<(), FieldErrors>| {
            if let Err(FieldErrors(found)) = result {
                errors.extend(found.into_iter().map(|error| {
                    FieldError::new(format!("{prefix}.{}", error.field), error.message)
                }));
            }
        };
    let mut too_many_owners = None;
    let catalog = match &draft.catalog {
        SetupCatalog::Existing { id } => {
            let result = match id.as_str().trim().is_empty() {
                true => Err(FieldErrors(vec![FieldError::new(
                    "id",
                    "Choose a catalog.",
                )])),
                false => Ok(()),
            };
            prefixed("catalog", result);
            draft.catalog.clone()
        }
        SetupCatalog::New { catalog, owners } => {
            let checked = validate_catalog(catalog);
            let catalog = checked.clone().unwrap_or_else(|_| catalog.clone());
            prefixed("catalog", checked.map(|_| ()));
            if owners.len() > MAX_SETUP_OWNERS {
                too_many_owners = Some(FieldError::new(
                    "catalog.owners",
                    format!("Name at most {MAX_SETUP_OWNERS} owners."),
                ));
            }
            SetupCatalog::New {
                catalog,
                owners: owners.clone(),
            }
        }
    };
    let package_draft = PackageDraft {
        catalog_id: CatalogId::new("setup"),
        ..draft.package.clone()
    };
    let package = validate_package(&package_draft);
    prefixed("package", package.clone().map(|_| ()));
    let policy = crate::policy::validate_policy_at(&draft.policy, now);
    prefixed("policy", policy.clone().map(|_| ()));
    errors.extend(too_many_owners);
    if draft.roles.is_empty() {
        errors.push(FieldError::new(
            "roles",
            "Choose at least one resource role for the package to grant.",
        ));
    }
    if draft.roles.len() > MAX_SETUP_ROLES {
        errors.push(FieldError::new(
            "roles",
            format!("Choose at most {MAX_SETUP_ROLES} resource roles."),
        ));
    }
    for (index, role) in draft.roles.iter().enumerate().take(MAX_SETUP_ROLES) {
        let too_long = |id: &str| id.chars().count() > MAX_DIRECTORY_ID_CHARS;
        if too_long(&role.origin_id) || too_long(&role.role_id) {
            errors.push(FieldError::new(
                format!("roles[{index}]"),
                format!("Use at most {MAX_DIRECTORY_ID_CHARS} characters for each id."),
            ));
        } else if role.origin_id.trim().is_empty() || role.role_id.trim().is_empty() {
            errors.push(FieldError::new(
                format!("roles[{index}]"),
                "Choose a resource and one of its roles.",
            ));
        }
    }
    FieldErrors::into_result(errors, || SetupDraft {
        catalog,
        package: package
            .map(|p| PackageDraft {
                catalog_id: draft.package.catalog_id.clone(),
                ..p
            })
            .unwrap_or_else(|_| draft.package.clone()),
        roles: draft.roles.clone(),
        policy: policy.unwrap_or_else(|_| draft.policy.clone()),
    })
}

/// What a setup created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SetupResult {
    /// The catalog (new or existing).
    pub catalog: crate::catalog::Catalog,
    /// The package.
    pub package: crate::catalog::AccessPackage,
    /// Its policy.
    pub policy: crate::policy::AssignmentPolicy,
}

// ---- typed merge patches (RFC 7396) ----------------------------------------------------
//
// Each PATCH body names only the fields to change: an absent field keeps its value, a
// nullable field sent as `null` is cleared, and a field the endpoint does not know is
// refused (400), so a renamed field fails to compile in the SPA and fails loudly on the
// wire. `apply` turns a patch and the current values into the draft that is validated.

/// Reads a nullable patch field: absent → `None` (keep, with `#[serde(default)]`),
/// `null` → `Some(None)` (clear), a value → `Some(Some(value))` (replace).
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Reads a patch field that may be left out but not cleared: `null` is refused.
pub fn not_null<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    T::deserialize(deserializer).map(Some)
}

fn patched<T: Clone>(change: &Option<T>, current: &T) -> T {
    change.clone().unwrap_or_else(|| current.clone())
}

fn cleared<T: Clone + Default>(change: &Option<Option<T>>, current: &T) -> T {
    match change {
        None => current.clone(),
        Some(value) => value.clone().unwrap_or_default(),
    }
}

/// Body of `PATCH /catalogs/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CatalogPatch {
    /// New display name (unique).
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: Option<String>,
    /// New description; `null` clears it.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 1000))]
    pub description: Option<Option<String>>,
    /// Whether its packages are offered to requestors.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub enabled: Option<bool>,
    /// Whether people outside the directory may request its packages.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub external_users_allowed: Option<bool>,
}

impl CatalogPatch {
    /// `current` with this patch applied (not yet validated).
    pub fn apply(&self, current: &CatalogDraft) -> CatalogDraft {
        CatalogDraft {
            name: patched(&self.name, &current.name),
            description: cleared(&self.description, &current.description),
            enabled: patched(&self.enabled, &current.enabled),
            external_users_allowed: patched(
                &self.external_users_allowed,
                &current.external_users_allowed,
            ),
        }
    }
}

/// Body of `PATCH /access-packages/{id}` (a package stays in its catalog).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PackagePatch {
    /// New display name (unique in its catalog).
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: Option<String>,
    /// New description; `null` clears it.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 1000))]
    pub description: Option<Option<String>>,
    /// Whether it is left out of My Access (reachable by link only).
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub hidden: Option<bool>,
}

impl PackagePatch {
    /// `current` with this patch applied (not yet validated).
    pub fn apply(&self, current: &PackageDraft) -> PackageDraft {
        PackageDraft {
            catalog_id: current.catalog_id.clone(),
            name: patched(&self.name, &current.name),
            description: cleared(&self.description, &current.description),
            hidden: patched(&self.hidden, &current.hidden),
        }
    }
}

/// Body of `PATCH /policies/{id}`: any rule of the policy, e.g. `{"acceptingRequests": false}`.
/// A nested value (the scope, a stage, the expiration) is replaced as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyPatch {
    /// New display name.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: Option<String>,
    /// New description; `null` clears it.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 1000))]
    pub description: Option<Option<String>>,
    /// Who may request.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub requestor_scope: Option<crate::policy::RequestorScope>,
    /// Whether new requests are accepted.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub accepting_requests: Option<bool>,
    /// Whether the requestor must give a reason.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub requestor_justification_required: Option<bool>,
    /// Questions asked of the requestor; `null` removes them all.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::policy::Question>>, max_items = 20))]
    pub questions: Option<Option<Vec<crate::policy::Question>>>,
    /// Approval stages; `null` removes them all (no approval).
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::policy::ApprovalStage>>, max_items = 3))]
    pub stages: Option<Option<Vec<crate::policy::ApprovalStage>>>,
    /// How long access lasts.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration: Option<crate::policy::Expiration>,
    /// Whether the holder may ask to extend before the end.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub extension_allowed: Option<bool>,
    /// Whether the requestor may choose a start and end within the expiration.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub requestor_may_choose_schedule: Option<bool>,
}

impl PolicyPatch {
    /// A patch that sets every field of `draft` (what the policy editor sends).
    pub fn replace_with(draft: &crate::policy::PolicyDraft) -> Self {
        PolicyPatch {
            name: Some(draft.name.clone()),
            description: Some(Some(draft.description.clone())),
            requestor_scope: Some(draft.requestor_scope.clone()),
            accepting_requests: Some(draft.accepting_requests),
            requestor_justification_required: Some(draft.requestor_justification_required),
            questions: Some(Some(draft.questions.clone())),
            stages: Some(Some(draft.stages.clone())),
            expiration: Some(draft.expiration.clone()),
            extension_allowed: Some(draft.extension_allowed),
            requestor_may_choose_schedule: Some(draft.requestor_may_choose_schedule),
        }
    }

    /// `current` with this patch applied (not yet validated).
    pub fn apply(&self, current: &crate::policy::PolicyDraft) -> crate::policy::PolicyDraft {
        crate::policy::PolicyDraft {
            name: patched(&self.name, &current.name),
            description: cleared(&self.description, &current.description),
            requestor_scope: patched(&self.requestor_scope, &current.requestor_scope),
            accepting_requests: patched(&self.accepting_requests, &current.accepting_requests),
            requestor_justification_required: patched(
                &self.requestor_justification_required,
                &current.requestor_justification_required,
            ),
            questions: cleared(&self.questions, &current.questions),
            stages: cleared(&self.stages, &current.stages),
            expiration: patched(&self.expiration, &current.expiration),
            extension_allowed: patched(&self.extension_allowed, &current.extension_allowed),
            requestor_may_choose_schedule: patched(
                &self.requestor_may_choose_schedule,
                &current.requestor_may_choose_schedule,
            ),
        }
    }
}

/// Body of `PATCH /connected-organizations/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrganizationPatch {
    /// New display name (unique).
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: Option<String>,
    /// New description; `null` clears it.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 1000))]
    pub description: Option<Option<String>>,
    /// E-mail domains (at least one).
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub domains: Option<Vec<String>>,
    /// Members of our directory who sponsor the partner; `null` removes them all.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>, max_items = 50))]
    pub internal_sponsors: Option<Option<Vec<UserId>>>,
    /// People of the partner who sponsor its users; `null` removes them all.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>, max_items = 50))]
    pub external_sponsors: Option<Option<Vec<UserId>>>,
    /// Configured or proposed: confirming a proposed organisation makes it count for
    /// "all configured connected organisations"; marking one proposed takes it out.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub state: Option<crate::organization::ConnectedOrgState>,
}

impl OrganizationPatch {
    /// `current` with this patch applied (not yet validated).
    pub fn apply(
        &self,
        current: &crate::organization::OrganizationDraft,
    ) -> crate::organization::OrganizationDraft {
        crate::organization::OrganizationDraft {
            name: patched(&self.name, &current.name),
            description: cleared(&self.description, &current.description),
            domains: patched(&self.domains, &current.domains),
            internal_sponsors: cleared(&self.internal_sponsors, &current.internal_sponsors),
            external_sponsors: cleared(&self.external_sponsors, &current.external_sponsors),
        }
    }
}

fn check_name(name: &str, field: &str, what: &str, errors: &mut Vec<FieldError>) -> String {
    let name = name.trim();
    if name.is_empty() {
        errors.push(FieldError::new(field, format!("Give the {what} a name.")));
    } else if name.chars().count() > MAX_NAME_CHARS {
        errors.push(FieldError::new(
            field,
            format!("Use at most {MAX_NAME_CHARS} characters."),
        ));
    }
    name.to_owned()
}

fn check_description(description: &str, field: &str, errors: &mut Vec<FieldError>) -> String {
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        errors.push(FieldError::new(
            field,
            format!("Use at most {MAX_DESCRIPTION_CHARS} characters."),
        ));
    }
    description.to_owned()
}

fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn fields<T>(result: Result<T, FieldErrors>) -> Vec<String> {
        match result {
            Ok(_) => Vec::new(),
            Err(FieldErrors(errors)) => errors.into_iter().map(|error| error.field).collect(),
        }
    }

    fn catalog(name: &str, description: &str) -> Vec<String> {
        let draft = CatalogDraft {
            name: name.to_owned(),
            description: description.to_owned(),
            ..CatalogDraft::default()
        };
        fields(validate_catalog(&draft))
    }

    #[test]
    fn names_in_use_compare_trimmed_and_exactly() {
        let existing = ["Engineering Onboarding", "Finance"];
        assert!(name_in_use("  Engineering Onboarding ", existing));
        assert!(!name_in_use("engineering onboarding", existing));
        assert!(!name_in_use("Engineering", existing));
        assert!(!name_in_use("   ", ["   "]));
    }

    #[test]
    fn catalog_names_are_required_trimmed_and_bounded() {
        assert_eq!(catalog("Marketing", ""), Vec::<String>::new());
        assert_eq!(catalog("   ", ""), ["name"]);
        assert_eq!(
            catalog(&"x".repeat(101), &"y".repeat(1001)),
            ["name", "description"]
        );
        let draft = CatalogDraft {
            name: "  Sales  ".to_owned(),
            ..CatalogDraft::default()
        };
        assert_eq!(
            validate_catalog(&draft).map(|d| d.name),
            Ok("Sales".to_owned())
        );
    }

    #[test]
    fn catalogs_are_enabled_unless_the_body_says_otherwise() {
        let draft: CatalogDraft = serde_json::from_str(r#"{"name":"A"}"#).unwrap();
        assert!(draft.enabled);
        assert!(!draft.external_users_allowed);
    }

    #[test]
    fn packages_need_a_catalog_and_a_name() {
        let draft = PackageDraft::default();
        assert_eq!(fields(validate_package(&draft)), ["catalogId", "name"]);
        let draft = PackageDraft {
            catalog_id: CatalogId::new("c"),
            name: "Falcon".into(),
            ..PackageDraft::default()
        };
        assert_eq!(fields(validate_package(&draft)), Vec::<String>::new());
    }

    #[test]
    fn resource_and_role_drafts_name_their_empty_fields() {
        let resource = ResourceDraft {
            kind: ResourceKind::Group,
            origin_id: " ".into(),
        };
        assert_eq!(fields(validate_resource(&resource)), ["originId"]);
        let role = PackageResourceRoleDraft {
            resource_id: ResourceId::new(""),
            role_id: String::new(),
        };
        assert_eq!(
            fields(validate_package_resource_role(&role)),
            ["resourceId", "roleId"]
        );
        let grant = CatalogRoleDraft {
            user_id: UserId::new(""),
            role: CatalogRole::Owner,
        };
        assert_eq!(fields(validate_catalog_role(&grant)), ["userId"]);
    }

    #[test]
    fn direct_assignments_end_in_the_future_or_never() {
        let now = datetime!(2026-05-01 12:00 UTC);
        let draft = DirectAssignmentDraft {
            user_id: UserId::new("u"),
            access_package_id: PackageId::new("p"),
            policy_id: PolicyId::new("pol"),
            end: Some(now),
        };
        assert_eq!(fields(validate_direct_assignment(&draft, now)), ["end"]);
        let open = DirectAssignmentDraft {
            end: None,
            ..draft.clone()
        };
        assert_eq!(
            fields(validate_direct_assignment(&open, now)),
            Vec::<String>::new()
        );
        let empty = DirectAssignmentDraft {
            user_id: UserId::new(""),
            access_package_id: PackageId::new(""),
            policy_id: PolicyId::new(""),
            end: None,
        };
        assert_eq!(
            fields(validate_direct_assignment(&empty, now)),
            ["userId", "accessPackageId", "policyId"]
        );
    }

    fn setup() -> SetupDraft {
        SetupDraft {
            catalog: SetupCatalog::New {
                catalog: CatalogDraft {
                    name: "Finance".into(),
                    ..CatalogDraft::default()
                },
                owners: vec![],
            },
            package: PackageDraft {
                catalog_id: CatalogId::new(""),
                name: "Ledger".into(),
                description: String::new(),
                hidden: false,
            },
            roles: vec![SetupRole {
                kind: ResourceKind::Application,
                origin_id: "app-ledger".into(),
                role_id: "viewer".into(),
            }],
            policy: crate::policy::PolicyDraft {
                name: "All members".into(),
                description: String::new(),
                requestor_scope: crate::policy::RequestorScope::AllMembers,
                accepting_requests: true,
                requestor_justification_required: false,
                questions: vec![],
                stages: vec![],
                expiration: crate::policy::Expiration::Never,
                extension_allowed: false,
                requestor_may_choose_schedule: false,
            },
        }
    }

    #[test]
    fn setups_bound_their_roles_and_owners() {
        let mut draft = setup();
        draft.roles = vec![draft.roles[0].clone(); MAX_SETUP_ROLES + 1];
        draft.catalog = SetupCatalog::New {
            catalog: CatalogDraft {
                name: "Finance".into(),
                ..CatalogDraft::default()
            },
            owners: vec![UserId::new("u"); MAX_SETUP_OWNERS + 1],
        };
        assert_eq!(
            fields(validate_setup(&draft, datetime!(2026-05-01 12:00 UTC))),
            ["catalog.owners", "roles"]
        );
        let resource = ResourceDraft {
            kind: ResourceKind::Group,
            origin_id: "g".repeat(MAX_DIRECTORY_ID_CHARS + 1),
        };
        assert_eq!(fields(validate_resource(&resource)), ["originId"]);
    }

    #[test]
    fn a_complete_setup_passes() {
        assert_eq!(
            fields(validate_setup(&setup(), datetime!(2026-05-01 12:00 UTC))),
            Vec::<String>::new()
        );
    }

    #[test]
    fn setup_errors_are_prefixed_by_the_part_they_belong_to() {
        let mut draft = setup();
        draft.catalog = SetupCatalog::New {
            catalog: CatalogDraft::default(),
            owners: vec![],
        };
        draft.package.name = String::new();
        draft.roles.clear();
        draft.policy.requestor_scope = crate::policy::RequestorScope::SpecificDirectoryUsers {
            users: vec![],
            groups: vec![],
        };
        assert_eq!(
            fields(validate_setup(&draft, datetime!(2026-05-01 12:00 UTC))),
            [
                "catalog.name",
                "package.name",
                "policy.requestorScope.users",
                "roles"
            ]
        );
    }

    // ---- typed merge patches ---------------------------------------------------------

    fn current_catalog() -> CatalogDraft {
        CatalogDraft {
            name: "Marketing".into(),
            description: "Campaign tools".into(),
            enabled: true,
            external_users_allowed: true,
        }
    }

    #[test]
    fn a_catalog_patch_keeps_what_it_leaves_out_and_clears_what_it_nulls() {
        let patch: CatalogPatch = serde_json::from_str(r#"{"enabled": false}"#).unwrap();
        assert_eq!(
            patch.apply(&current_catalog()),
            CatalogDraft {
                enabled: false,
                ..current_catalog()
            }
        );
        let patch: CatalogPatch =
            serde_json::from_str(r#"{"description": null, "name": "Brand"}"#).unwrap();
        let applied = patch.apply(&current_catalog());
        assert_eq!(applied.description, "");
        assert_eq!(applied.name, "Brand");
        assert!(applied.external_users_allowed);
    }

    #[test]
    fn patches_refuse_unknown_fields_and_nulls_on_required_ones() {
        assert!(serde_json::from_str::<CatalogPatch>(r#"{"nmae": "typo"}"#).is_err());
        assert!(serde_json::from_str::<CatalogPatch>(r#"{"name": null}"#).is_err());
        assert!(serde_json::from_str::<PackagePatch>(r#"{"catalogId": "c"}"#).is_err());
        assert!(serde_json::from_str::<PolicyPatch>(r#"{"acceptingRequests": null}"#).is_err());
        assert!(
            serde_json::from_str::<crate::admin::OrganizationPatch>(r#"{"domains": null}"#)
                .is_err()
        );
    }

    #[test]
    fn a_package_patch_never_moves_the_package() {
        let current = PackageDraft {
            catalog_id: CatalogId::new("cat"),
            name: "Falcon".into(),
            description: "Flight".into(),
            hidden: false,
        };
        let patch: PackagePatch =
            serde_json::from_str(r#"{"hidden": true, "description": null}"#).unwrap();
        assert_eq!(
            patch.apply(&current),
            PackageDraft {
                hidden: true,
                description: String::new(),
                ..current
            }
        );
    }

    #[test]
    fn a_policy_patch_changes_one_rule_or_replaces_all() {
        let current = setup().policy;
        let patch: PolicyPatch =
            serde_json::from_str(r#"{"acceptingRequests": false, "questions": null}"#).unwrap();
        let applied = patch.apply(&current);
        assert!(!applied.accepting_requests);
        assert_eq!(applied.name, current.name);
        assert!(applied.questions.is_empty());
        let mut other = current.clone();
        other.name = "Contractors".into();
        other.requestor_justification_required = true;
        assert_eq!(PolicyPatch::replace_with(&other).apply(&current), other);
        let round_trip: PolicyPatch = serde_json::from_value(
            serde_json::to_value(PolicyPatch::replace_with(&other)).unwrap(),
        )
        .unwrap();
        assert_eq!(round_trip, PolicyPatch::replace_with(&other));
    }

    #[test]
    fn an_organization_patch_clears_sponsors_with_null() {
        let current = crate::organization::OrganizationDraft {
            name: "Fabrikam".into(),
            description: "Partner".into(),
            domains: vec!["fabrikam.example".into()],
            internal_sponsors: vec![UserId::new("u1")],
            external_sponsors: vec![UserId::new("u2")],
        };
        let patch: OrganizationPatch =
            serde_json::from_str(r#"{"internalSponsors": null, "domains": ["f.example"]}"#)
                .unwrap();
        let applied = patch.apply(&current);
        assert!(applied.internal_sponsors.is_empty());
        assert_eq!(applied.external_sponsors, current.external_sponsors);
        assert_eq!(applied.domains, ["f.example"]);
        assert_eq!(applied.name, "Fabrikam");
    }
}
