//! Catalogs, their resources and roles, and the access packages built from them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::{
    CatalogId, PackageId, PackageResourceRoleId, ResourceId, RoleAssignmentId, UserId,
};

/// A container of resources and access packages, managed by its owners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    /// Identifier.
    pub id: CatalogId,
    /// Display name, unique.
    pub name: String,
    /// What the catalog holds.
    pub description: String,
    /// Disabled catalogs offer none of their packages to requestors.
    pub enabled: bool,
    /// Whether people outside the directory may request its packages.
    pub external_users_allowed: bool,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A role that someone holds in one catalog (product.md's delegated roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum CatalogRole {
    /// Edits the catalog, its resources, roles, packages and policies; assigns directly.
    Owner,
    /// Reads the catalog, its packages, policies and assignments.
    Reader,
    /// Creates and edits packages and policies (not resources or roles).
    AccessPackageManager,
    /// Assigns and removes people directly and reads assignments.
    AccessPackageAssignmentManager,
}

impl CatalogRole {
    /// Every catalog role, for pickers and tests.
    pub const ALL: [CatalogRole; 4] = [
        CatalogRole::Owner,
        CatalogRole::Reader,
        CatalogRole::AccessPackageManager,
        CatalogRole::AccessPackageAssignmentManager,
    ];

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            CatalogRole::Owner => "Catalog owner",
            CatalogRole::Reader => "Catalog reader",
            CatalogRole::AccessPackageManager => "Access package manager",
            CatalogRole::AccessPackageAssignmentManager => "Access package assignment manager",
        }
    }

    /// The stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            CatalogRole::Owner => "owner",
            CatalogRole::Reader => "reader",
            CatalogRole::AccessPackageManager => "accessPackageManager",
            CatalogRole::AccessPackageAssignmentManager => "accessPackageAssignmentManager",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<CatalogRole> {
        CatalogRole::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
    }
}

/// One person holding one role in one catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogRoleAssignment {
    /// Identifier.
    pub id: RoleAssignmentId,
    /// The catalog.
    pub catalog_id: CatalogId,
    /// The person.
    pub user_id: UserId,
    /// The role.
    pub role: CatalogRole,
}

/// The kind of directory object a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum ResourceKind {
    /// A group: roles are "Member" and "Owner".
    Group,
    /// An application: roles are its app roles.
    Application,
    /// A site: roles are its site roles.
    Site,
}

impl ResourceKind {
    /// The stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Group => "group",
            ResourceKind::Application => "application",
            ResourceKind::Site => "site",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<ResourceKind> {
        match text {
            "group" => Some(ResourceKind::Group),
            "application" => Some(ResourceKind::Application),
            "site" => Some(ResourceKind::Site),
            _ => None,
        }
    }
}

/// A role that a resource offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ResourceRole {
    /// Identifier within the resource ("member", an app role id, a site role id).
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A directory object added to a catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// Identifier.
    pub id: ResourceId,
    /// The catalog it was added to.
    pub catalog_id: CatalogId,
    /// Group, application or site.
    pub kind: ResourceKind,
    /// The id of the group, application or site in the directory.
    pub origin_id: String,
    /// Display name.
    pub name: String,
    /// Roles it offers.
    pub roles: Vec<ResourceRole>,
}

/// One resource role granted by an access package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PackageResourceRole {
    /// Identifier.
    pub id: PackageResourceRoleId,
    /// The catalog resource.
    pub resource_id: ResourceId,
    /// Group, application or site.
    pub resource_kind: ResourceKind,
    /// Resource display name.
    pub resource_name: String,
    /// The role's id within the resource.
    pub role_id: String,
    /// The role's display name.
    pub role_name: String,
}

/// A bundle of resource roles that people request together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AccessPackage {
    /// Identifier, stable: it forms the package's direct link.
    pub id: PackageId,
    /// The catalog it belongs to.
    pub catalog_id: CatalogId,
    /// Display name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Hidden packages are not listed in My Access; they are reachable by link only.
    pub hidden: bool,
    /// Archived packages were deleted while they had request or assignment history: kept
    /// for audit and reports, shown to administrators as archived, requestable by nobody
    /// and absent from My Access.
    #[serde(default)]
    pub archived: bool,
    /// What an assignment grants.
    pub resource_roles: Vec<PackageResourceRole>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The roles a group offers through access packages: membership. (Group ownership is
/// managed in the directory, not granted by packages.)
pub fn group_roles() -> Vec<ResourceRole> {
    vec![ResourceRole {
        id: "member".to_owned(),
        name: "Member".to_owned(),
    }]
}

impl PackageResourceRole {
    /// The package role `id` that grants `role` of `resource`.
    pub fn of(id: PackageResourceRoleId, resource: &Resource, role: &ResourceRole) -> Self {
        Self {
            id,
            resource_id: resource.id.clone(),
            resource_kind: resource.kind,
            resource_name: resource.name.clone(),
            role_id: role.id.clone(),
            role_name: role.name.clone(),
        }
    }
}
