//! Typed identifiers. Each is a newtype over `String` so that ids stay portable across
//! SQLite and PostgreSQL (TEXT columns) and one kind can never be passed as another.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps an existing identifier.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }
    )*};
}

id_type!(
    /// A person in the directory (member or guest).
    UserId,
    /// A directory group.
    GroupId,
    /// An application registered in the directory.
    ApplicationId,
    /// A site (e.g. a SharePoint-like site) in the directory.
    SiteId,
    /// A catalog: a container of resources and access packages.
    CatalogId,
    /// A resource added to a catalog.
    ResourceId,
    /// A resource role that an access package grants.
    PackageResourceRoleId,
    /// An access package.
    PackageId,
    /// An assignment policy of an access package.
    PolicyId,
    /// A question that a policy asks requestors.
    QuestionId,
    /// An access request.
    RequestId,
    /// An access package assignment.
    AssignmentId,
    /// A connected (partner) organisation.
    ConnectedOrgId,
    /// A catalog role given to a person.
    RoleAssignmentId,
    /// An audit event.
    AuditEventId,
);
