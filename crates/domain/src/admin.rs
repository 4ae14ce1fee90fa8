//! What administrators send to set things up: catalogs, catalog roles, resources, access
//! packages, their resource roles and direct assignments; and the validation of each,
//! shared by the setup wizards (instant feedback) and the server (authority).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{CatalogRole, ResourceKind};
use crate::error::{FieldError, FieldErrors};
use crate::ids::{CatalogId, PackageId, PolicyId, ResourceId, UserId};
use crate::policy::{MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};

/// A catalog as the create and edit forms send it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogDraft {
    /// Display name, unique.
    pub name: String,
    /// What the catalog holds.
    #[serde(default)]
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
    pub name: String,
    /// What it is for.
    #[serde(default)]
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
    if draft.roles.is_empty() {
        errors.push(FieldError::new(
            "roles",
            "Choose at least one resource role for the package to grant.",
        ));
    }
    for (index, role) in draft.roles.iter().enumerate() {
        if role.origin_id.trim().is_empty() || role.role_id.trim().is_empty() {
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
}
