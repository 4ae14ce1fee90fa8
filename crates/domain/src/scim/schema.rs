//! What Entrada's SCIM service offers, declared once: the attributes of its resources
//! (which PATCH paths are checked against) and the discovery documents built from them
//! (`/Schemas`, `/ResourceTypes`, `/ServiceProviderConfig`). Only attributes Entrada keeps
//! are declared: a client may rely on everything these documents say.

use serde_json::{json, Value};

use crate::scim::filter::AttrPath;
use crate::scim::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, MAX_RESULTS, USER_SCHEMA};

/// The kinds of resources served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// People.
    User,
    /// Directory groups.
    Group,
}

/// One attribute's definition (RFC 7643 §7).
#[derive(Debug)]
pub struct Attribute {
    /// Its name.
    pub name: &'static str,
    /// `string`, `boolean`, `complex` or `reference`.
    pub kind: &'static str,
    /// Whether it holds a list.
    pub multi_valued: bool,
    /// Whether a resource must have it.
    pub required: bool,
    /// Whether its strings compare exactly.
    pub case_exact: bool,
    /// `readWrite`, `readOnly` or `immutable`.
    pub mutability: &'static str,
    /// `default` or `always`.
    pub returned: &'static str,
    /// `none` or `server`.
    pub uniqueness: &'static str,
    /// What it is.
    pub description: &'static str,
    /// For references, what they point at.
    pub reference_types: &'static [&'static str],
    /// The values it may take, where there is a fixed set.
    pub canonical_values: &'static [&'static str],
    /// Its sub-attributes, for complex attributes.
    pub sub_attributes: &'static [Attribute],
}

const fn simple(name: &'static str, description: &'static str) -> Attribute {
    Attribute {
        name,
        kind: "string",
        multi_valued: false,
        required: false,
        case_exact: false,
        mutability: "readWrite",
        returned: "default",
        uniqueness: "none",
        description,
        reference_types: &[],
        canonical_values: &[],
        sub_attributes: &[],
    }
}

/// The core User schema's attributes Entrada keeps.
pub static USER_ATTRIBUTES: &[Attribute] = &[
    Attribute {
        required: true,
        uniqueness: "server",
        ..simple(
            "userName",
            "The person's sign-in address: unique, compared without case, kept in lower case.",
        )
    },
    Attribute {
        kind: "complex",
        sub_attributes: &[simple("formatted", "The full name, as shown.")],
        ..simple("name", "The person's name.")
    },
    Attribute {
        required: true,
        ..simple(
            "displayName",
            "The name Entrada shows everyone by. A request without it gets name.formatted, else userName.",
        )
    },
    simple("title", "The person's job title."),
    Attribute {
        kind: "boolean",
        required: true,
        ..simple(
            "active",
            "false blocks the person: they cannot sign in and their sessions end. A request without it means true.",
        )
    },
    Attribute {
        kind: "complex",
        multi_valued: true,
        mutability: "readOnly",
        sub_attributes: &[
            Attribute {
                mutability: "readOnly",
                ..simple("value", "The address.")
            },
            Attribute {
                mutability: "readOnly",
                canonical_values: &["work"],
                ..simple("type", "Always work.")
            },
            Attribute {
                kind: "boolean",
                mutability: "readOnly",
                ..simple("primary", "Always true.")
            },
        ],
        ..simple(
            "emails",
            "The person's address: always userName, as the primary work address.",
        )
    },
];

/// The enterprise User extension's attributes Entrada keeps.
pub static ENTERPRISE_ATTRIBUTES: &[Attribute] = &[
    simple("department", "The person's department."),
    Attribute {
        kind: "complex",
        sub_attributes: &[
            Attribute {
                case_exact: true,
                ..simple("value", "The manager's User id.")
            },
            Attribute {
                kind: "reference",
                case_exact: true,
                reference_types: &["User"],
                ..simple("$ref", "The manager's User resource.")
            },
        ],
        ..simple("manager", "The person's manager, another User.")
    },
];

/// The core Group schema's attributes Entrada keeps.
pub static GROUP_ATTRIBUTES: &[Attribute] = &[
    Attribute {
        required: true,
        uniqueness: "server",
        ..simple("displayName", "The group's name: unique.")
    },
    Attribute {
        kind: "complex",
        multi_valued: true,
        sub_attributes: &[
            Attribute { case_exact: true, mutability: "immutable", ..simple("value", "The member's User id.") },
            Attribute {
                kind: "reference",
                case_exact: true,
                mutability: "immutable",
                reference_types: &["User"],
                ..simple("$ref", "The member's User resource.")
            },
            Attribute {
                mutability: "immutable",
                canonical_values: &["User"],
                ..simple("type", "Always User: groups hold people only, not other groups.")
            },
        ],
        ..simple(
            "members",
            "The group's members, people only. Lists every member; members Entrada's access packages added stay when the client replaces or removes members.",
        )
    },
];

/// Attributes every resource has (RFC 7643 §3.1) that a PATCH may name.
static COMMON_ATTRIBUTES: &[Attribute] = &[
    Attribute {
        case_exact: true,
        mutability: "readOnly",
        returned: "always",
        ..simple("id", "Entrada's identifier.")
    },
    Attribute {
        case_exact: true,
        ..simple("externalId", "The client's identifier.")
    },
];

/// The definition of the attribute a path names, if the resource has it.
pub fn attribute(kind: ResourceKind, path: &AttrPath) -> Option<&'static Attribute> {
    let core = match kind {
        ResourceKind::User => USER_SCHEMA,
        ResourceKind::Group => GROUP_SCHEMA,
    };
    let list: &[&'static [Attribute]] = match (kind, path.urn.as_deref()) {
        (ResourceKind::User, Some(urn)) if urn.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) => {
            &[ENTERPRISE_ATTRIBUTES]
        }
        (_, Some(urn)) if !urn.eq_ignore_ascii_case(core) => return None,
        (ResourceKind::User, _) => &[USER_ATTRIBUTES, COMMON_ATTRIBUTES],
        (ResourceKind::Group, _) => &[GROUP_ATTRIBUTES, COMMON_ATTRIBUTES],
    };
    list.iter()
        .flat_map(|attributes| attributes.iter())
        .find(|attribute| attribute.name.eq_ignore_ascii_case(&path.attr))
}

fn attribute_json(attribute: &Attribute) -> Value {
    let mut out = json!({
        "name": attribute.name,
        "type": attribute.kind,
        "multiValued": attribute.multi_valued,
        "description": attribute.description,
        "required": attribute.required,
        "caseExact": attribute.case_exact,
        "mutability": attribute.mutability,
        "returned": attribute.returned,
        "uniqueness": attribute.uniqueness,
    });
    if !attribute.reference_types.is_empty() {
        out["referenceTypes"] = json!(attribute.reference_types);
    }
    if !attribute.canonical_values.is_empty() {
        out["canonicalValues"] = json!(attribute.canonical_values);
    }
    if !attribute.sub_attributes.is_empty() {
        out["subAttributes"] = attribute
            .sub_attributes
            .iter()
            .map(attribute_json)
            .collect();
    }
    out
}

fn schema_json(
    id: &str,
    name: &str,
    description: &str,
    attributes: &[Attribute],
    base: &str,
) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes.iter().map(attribute_json).collect::<Vec<_>>(),
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{id}") },
    })
}

/// Every schema document, for `GET /Schemas`.
pub fn schemas(base: &str) -> Vec<Value> {
    vec![
        schema_json(
            USER_SCHEMA,
            "User",
            "A person in Entrada's directory.",
            USER_ATTRIBUTES,
            base,
        ),
        schema_json(
            ENTERPRISE_SCHEMA,
            "EnterpriseUser",
            "The person's department and manager.",
            ENTERPRISE_ATTRIBUTES,
            base,
        ),
        schema_json(
            GROUP_SCHEMA,
            "Group",
            "A group of Entrada's directory.",
            GROUP_ATTRIBUTES,
            base,
        ),
    ]
}

/// Every resource type document, for `GET /ResourceTypes`.
pub fn resource_types(base: &str) -> Vec<Value> {
    let schema = |json: &mut Value| {
        let id = json["id"].as_str().unwrap_or_default().to_owned();
        json["meta"] = json!({ "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{id}") });
    };
    let mut user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "People",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{ "schema": ENTERPRISE_SCHEMA, "required": false }],
    });
    let mut group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "Directory groups",
        "schema": GROUP_SCHEMA,
    });
    schema(&mut user);
    schema(&mut group);
    vec![user, group]
}

/// The service provider configuration, for `GET /ServiceProviderConfig`.
pub fn service_provider_config(base: &str, documentation: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": documentation,
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A token made with `entrada scim token create`, sent as Authorization: Bearer TOKEN.",
            "primary": true,
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig") },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse_attr_path;

    #[test]
    fn paths_are_known_by_their_schema() {
        let known = |kind, text: &str| attribute(kind, &parse_attr_path(text).unwrap()).is_some();
        assert!(known(ResourceKind::User, "USERNAME"));
        assert!(known(ResourceKind::User, "externalId"));
        assert!(known(
            ResourceKind::User,
            &format!("{ENTERPRISE_SCHEMA}:department")
        ));
        assert!(known(ResourceKind::User, &format!("{USER_SCHEMA}:title")));
        assert!(!known(ResourceKind::User, "members"));
        assert!(!known(
            ResourceKind::Group,
            &format!("{ENTERPRISE_SCHEMA}:department")
        ));
        assert!(known(ResourceKind::Group, "members"));
        assert!(!known(ResourceKind::User, "nickName"));
    }

    #[test]
    fn documents_declare_every_attribute_with_its_characteristics() {
        let schemas = schemas("https://e.example/scim/v2");
        assert_eq!(schemas.len(), 3);
        let user_name = &schemas[0]["attributes"][0];
        assert_eq!(user_name["name"], "userName");
        assert_eq!(user_name["uniqueness"], "server");
        assert_eq!(user_name["caseExact"], false);
        let members = &schemas[2]["attributes"][1];
        assert_eq!(
            members["subAttributes"][1]["referenceTypes"],
            json!(["User"])
        );
        let types = resource_types("https://e.example/scim/v2");
        assert_eq!(
            types[0]["meta"]["location"],
            "https://e.example/scim/v2/ResourceTypes/User"
        );
        let config = service_provider_config("https://e.example/scim/v2", "https://e.example/");
        assert_eq!(config["filter"]["maxResults"], MAX_RESULTS);
    }
}
