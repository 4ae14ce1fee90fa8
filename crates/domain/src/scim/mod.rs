//! SCIM 2.0 (RFC 7643, RFC 7644): the resources Entrada serves to an identity provider's
//! provisioning client (people as `User`, directory groups as `Group`), their JSON
//! representation, reading them back from a request body, list queries (filter,
//! pagination, attribute selection), PATCH operations and the discovery documents.
//!
//! Everything here works on values: the server loads rows, asks this module, and stores
//! the result. A write is always "representation in, fields out": a PATCH is applied to
//! the resource's current representation, and the result read back like a PUT body, so
//! one set of rules decides what a resource may hold.

pub mod filter;
pub mod patch;
pub mod schema;

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

pub use filter::{parse_filter, Filter};

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension.
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// A list response.
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// An error response.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// A PATCH request.
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// A `POST /.search` request.
pub const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// The most resources one list answer holds (advertised as `filter.maxResults`).
pub const MAX_RESULTS: usize = 200;

/// The `scimType` of a 400 or 409 error (RFC 7644 §3.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimErrorType {
    /// The filter cannot be parsed or compares wrongly.
    InvalidFilter,
    /// The value would break a uniqueness rule.
    Uniqueness,
    /// A read-only or immutable attribute would change.
    Mutability,
    /// The body cannot be read as the request it should be.
    InvalidSyntax,
    /// The PATCH path is not one the resource has.
    InvalidPath,
    /// The PATCH path's filter matched nothing.
    NoTarget,
    /// A value is missing or not acceptable.
    InvalidValue,
    /// The given version does not match.
    InvalidVers,
}

impl ScimErrorType {
    /// The RFC's name of the error type.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimErrorType::InvalidFilter => "invalidFilter",
            ScimErrorType::Uniqueness => "uniqueness",
            ScimErrorType::Mutability => "mutability",
            ScimErrorType::InvalidSyntax => "invalidSyntax",
            ScimErrorType::InvalidPath => "invalidPath",
            ScimErrorType::NoTarget => "noTarget",
            ScimErrorType::InvalidValue => "invalidValue",
            ScimErrorType::InvalidVers => "invalidVers",
        }
    }
}

/// A SCIM error: its HTTP status, `scimType` and what went wrong in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {detail}")]
pub struct ScimError {
    /// The HTTP status.
    pub status: u16,
    /// The error type, where the RFC names one.
    pub scim_type: Option<ScimErrorType>,
    /// The explanation shown to the client.
    pub detail: String,
}

impl ScimError {
    /// A 400 of the given type.
    pub fn bad_request(scim_type: ScimErrorType, detail: impl Into<String>) -> ScimError {
        ScimError {
            status: 400,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    /// A 404 for an unknown resource.
    pub fn not_found(what: &str, id: &str) -> ScimError {
        ScimError {
            status: 404,
            scim_type: None,
            detail: format!("No {what} has the id {id:?}."),
        }
    }

    /// A 409 `uniqueness`.
    pub fn uniqueness(detail: impl Into<String>) -> ScimError {
        ScimError {
            status: 409,
            scim_type: Some(ScimErrorType::Uniqueness),
            detail: detail.into(),
        }
    }

    /// An error with a status and no type.
    pub fn status(status: u16, detail: impl Into<String>) -> ScimError {
        ScimError {
            status,
            scim_type: None,
            detail: detail.into(),
        }
    }

    /// The error's JSON body (RFC 7644 §3.12): the status as a string.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type.as_str());
        }
        body
    }
}

/// The `meta` of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// When it was created, if known.
    pub created: Option<OffsetDateTime>,
    /// When it last changed, if known.
    pub last_modified: Option<OffsetDateTime>,
    /// Bumped on every SCIM write; the weak ETag `W/"n"`.
    pub version: i64,
}

impl Meta {
    /// The weak entity tag of this version.
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }

    fn to_json(&self, resource_type: &str, location: &str) -> Value {
        let mut meta = json!({
            "resourceType": resource_type,
            "location": location,
            "version": self.etag(),
        });
        if let Some(created) = self.created {
            meta["created"] = json!(timestamp(created));
        }
        if let Some(modified) = self.last_modified.or(self.created) {
            meta["lastModified"] = json!(timestamp(modified));
        }
        meta
    }
}

/// A time as SCIM shows it: RFC 3339 in UTC, whole seconds (so they also sort as text).
pub fn timestamp(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A person as SCIM sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimUser {
    /// Entrada's id.
    pub id: String,
    /// What the client sent.
    pub fields: UserFields,
    /// Versioning and times.
    pub meta: Meta,
}

/// The writable attributes of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFields {
    /// The client's own identifier.
    pub external_id: Option<String>,
    /// `userName`: the sign-in address, kept in lower case.
    pub user_name: String,
    /// `displayName`.
    pub display_name: String,
    /// `name.formatted`, when the client set it.
    pub name_formatted: Option<String>,
    /// `active`: false means blocked.
    pub active: bool,
    /// `title`.
    pub title: Option<String>,
    /// Enterprise `department`.
    pub department: Option<String>,
    /// Enterprise `manager.value`: the manager's id.
    pub manager: Option<String>,
}

impl ScimUser {
    /// The representation, with `location` under `base` (`https://host/scim/v2`).
    pub fn to_json(&self, base: &str) -> Value {
        let f = &self.fields;
        let location = format!("{base}/Users/{}", self.id);
        let mut user = json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
            "id": self.id,
            "userName": f.user_name,
            "displayName": f.display_name,
            "active": f.active,
            "emails": [{ "value": f.user_name, "type": "work", "primary": true }],
            "meta": self.meta.to_json("User", &location),
        });
        if let Some(external_id) = &f.external_id {
            user["externalId"] = json!(external_id);
        }
        if let Some(title) = &f.title {
            user["title"] = json!(title);
        }
        if let Some(formatted) = &f.name_formatted {
            user["name"] = json!({ "formatted": formatted });
        }
        let mut enterprise = Map::new();
        if let Some(department) = &f.department {
            enterprise.insert("department".into(), json!(department));
        }
        if let Some(manager) = &f.manager {
            enterprise.insert(
                "manager".into(),
                json!({ "value": manager, "$ref": format!("{base}/Users/{manager}") }),
            );
        }
        match enterprise.is_empty() {
            true => user["schemas"] = json!([USER_SCHEMA]),
            false => user[ENTERPRISE_SCHEMA] = Value::Object(enterprise),
        }
        user
    }
}

impl UserFields {
    /// Reads a person from a POST or PUT body (or a patched representation). Read-only
    /// attributes (`id`, `meta`, `emails`, which follow `userName`) are ignored, as RFC
    /// 7643 §2.2 says; a missing `active` means active.
    pub fn from_json(body: &Value) -> Result<UserFields, ScimError> {
        let object = as_object(body)?;
        check_schemas(object, &[USER_SCHEMA, ENTERPRISE_SCHEMA])?;
        let user_name = string(object, "userName")?
            .map(|name| name.trim().to_lowercase())
            .filter(|name| !name.is_empty())
            .ok_or_else(|| invalid_value("userName is required."))?;
        if user_name.chars().count() > 254 || user_name.chars().any(char::is_whitespace) {
            return Err(invalid_value(
                "userName must be at most 254 characters, without spaces.",
            ));
        }
        let name_formatted = match attribute(object, "name") {
            Some(Value::Object(name)) => string(name, "formatted")?,
            Some(Value::Null) | None => None,
            Some(_) => return Err(invalid_value("name must be an object.")),
        };
        let display_name = string(object, "displayName")?
            .or_else(|| name_formatted.clone())
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| user_name.clone());
        let active = match attribute(object, "active") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(active)) => *active,
            // Some clients send the boolean as text.
            Some(Value::String(text)) if text.eq_ignore_ascii_case("true") => true,
            Some(Value::String(text)) if text.eq_ignore_ascii_case("false") => false,
            Some(_) => return Err(invalid_value("active must be true or false.")),
        };
        let (department, manager) = match attribute(object, ENTERPRISE_SCHEMA) {
            Some(Value::Object(enterprise)) => {
                let manager = match attribute(enterprise, "manager") {
                    Some(Value::Object(manager)) => string(manager, "value")?,
                    // Some clients send the manager's id alone.
                    Some(Value::String(id)) => Some(id.clone()),
                    Some(Value::Null) | None => None,
                    Some(_) => return Err(invalid_value("manager must be an object.")),
                };
                (string(enterprise, "department")?, manager)
            }
            Some(Value::Null) | None => (None, None),
            Some(_) => return Err(invalid_value("The enterprise extension must be an object.")),
        };
        Ok(UserFields {
            external_id: string(object, "externalId")?,
            user_name,
            display_name,
            name_formatted,
            active,
            title: string(object, "title")?,
            department,
            manager: manager.filter(|id| !id.is_empty()),
        })
    }
}

/// A directory group as SCIM sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimGroup {
    /// Entrada's id.
    pub id: String,
    /// `externalId`.
    pub external_id: Option<String>,
    /// `displayName`: the group's unique name.
    pub display_name: String,
    /// Every member's id (whoever added them), sorted.
    pub members: Vec<String>,
    /// Versioning and times.
    pub meta: Meta,
}

/// The writable attributes of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFields {
    /// `externalId`.
    pub external_id: Option<String>,
    /// `displayName`.
    pub display_name: String,
    /// The members' ids, without repeats, in the order given.
    pub members: Vec<String>,
}

impl ScimGroup {
    /// The representation, with `location` under `base`.
    pub fn to_json(&self, base: &str) -> Value {
        let members: Vec<Value> = self
            .members
            .iter()
            .map(|id| json!({ "value": id, "$ref": format!("{base}/Users/{id}"), "type": "User" }))
            .collect();
        let mut group = json!({
            "schemas": [GROUP_SCHEMA],
            "id": self.id,
            "displayName": self.display_name,
            "members": members,
            "meta": self.meta.to_json("Group", &format!("{base}/Groups/{}", self.id)),
        });
        if let Some(external_id) = &self.external_id {
            group["externalId"] = json!(external_id);
        }
        group
    }
}

impl GroupFields {
    /// Reads a group from a POST or PUT body (or a patched representation). Members are
    /// people: a member of another `type` is refused.
    pub fn from_json(body: &Value) -> Result<GroupFields, ScimError> {
        let object = as_object(body)?;
        check_schemas(object, &[GROUP_SCHEMA])?;
        let display_name = string(object, "displayName")?
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .ok_or_else(|| invalid_value("displayName is required."))?;
        if display_name.chars().count() > 200 {
            return Err(invalid_value("displayName must be at most 200 characters."));
        }
        let mut members: Vec<String> = Vec::new();
        match attribute(object, "members") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    let Value::Object(member) = item else {
                        return Err(invalid_value("Each member must be an object."));
                    };
                    if let Some(kind) = string(member, "type")? {
                        if !kind.eq_ignore_ascii_case("User") {
                            return Err(invalid_value(format!(
                                "Members are people (type \"User\"); {kind:?} is not supported."
                            )));
                        }
                    }
                    let id = string(member, "value")?
                        .filter(|id| !id.is_empty())
                        .ok_or_else(|| invalid_value("Each member needs a value (a User id)."))?;
                    if !members.contains(&id) {
                        members.push(id);
                    }
                }
            }
            Some(_) => return Err(invalid_value("members must be a list.")),
        }
        Ok(GroupFields {
            external_id: string(object, "externalId")?,
            display_name,
            members,
        })
    }
}

/// What a list request asks: a filter, a page, which attributes to return.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListQuery {
    /// The filter, parsed.
    pub filter: Option<Filter>,
    /// 1-based index of the first result (values below 1 count as 1).
    pub start_index: usize,
    /// How many results at most (negative counts as 0; capped at [`MAX_RESULTS`]).
    pub count: usize,
    /// Return only these attributes (and those always returned).
    pub attributes: Vec<String>,
    /// Return everything but these.
    pub excluded_attributes: Vec<String>,
}

impl ListQuery {
    /// Reads a list query from query-string pairs (`GET /Users?filter=…`).
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ListQuery, ScimError> {
        let mut query = ListQuery {
            start_index: 1,
            count: MAX_RESULTS,
            ..ListQuery::default()
        };
        for (key, value) in pairs {
            match key.to_ascii_lowercase().as_str() {
                "filter" => query.filter = Some(parse_filter(value)?),
                "startindex" => query.start_index = start_index(value)?,
                "count" => query.count = count(value)?,
                "attributes" => query.attributes = names(value),
                "excludedattributes" => query.excluded_attributes = names(value),
                // Sorting is not offered (ServiceProviderConfig says so); other keys are
                // not SCIM's and are ignored.
                _ => {}
            }
        }
        Ok(query)
    }

    /// Reads a `POST /.search` body.
    pub fn from_search(body: &Value) -> Result<ListQuery, ScimError> {
        let object = as_object(body)?;
        check_schemas(object, &[SEARCH_SCHEMA])?;
        let mut query = ListQuery {
            start_index: 1,
            count: MAX_RESULTS,
            ..ListQuery::default()
        };
        for (key, value) in object {
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                _ => continue,
            };
            match key.to_ascii_lowercase().as_str() {
                "filter" => query.filter = Some(parse_filter(&text)?),
                "startindex" => query.start_index = start_index(&text)?,
                "count" => query.count = count(&text)?,
                "attributes" => query.attributes = names(&text),
                "excludedattributes" => query.excluded_attributes = names(&text),
                _ => {}
            }
        }
        Ok(query)
    }

    /// The list response over every candidate's representation: filtered, paged and
    /// projected. `totalResults` counts every match; `Resources` holds this page.
    pub fn answer(&self, candidates: Vec<Value>) -> Value {
        let matching: Vec<Value> = candidates
            .into_iter()
            .filter(|resource| {
                self.filter
                    .as_ref()
                    .is_none_or(|filter| filter::matches(filter, resource))
            })
            .collect();
        let total = matching.len();
        let page: Vec<Value> = matching
            .into_iter()
            .skip(self.start_index.saturating_sub(1))
            .take(self.count)
            .map(|resource| project(resource, &self.attributes, &self.excluded_attributes))
            .collect();
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": self.start_index,
            "itemsPerPage": page.len(),
            "Resources": page,
        })
    }
}

fn start_index(text: &str) -> Result<usize, ScimError> {
    let value: i64 = text.trim().parse().map_err(|_| {
        ScimError::bad_request(
            ScimErrorType::InvalidValue,
            format!("startIndex must be a whole number, not {text:?}."),
        )
    })?;
    Ok(usize::try_from(value.max(1)).unwrap_or(1))
}

fn count(text: &str) -> Result<usize, ScimError> {
    let value: i64 = text.trim().parse().map_err(|_| {
        ScimError::bad_request(
            ScimErrorType::InvalidValue,
            format!("count must be a whole number, not {text:?}."),
        )
    })?;
    Ok(usize::try_from(value.max(0)).unwrap_or(0).min(MAX_RESULTS))
}

fn names(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Attributes every answer carries whatever `attributes` and `excludedAttributes` say
/// (`returned: always`).
const ALWAYS: [&str; 3] = ["id", "schemas", "meta"];

/// A resource with only the asked-for attributes (RFC 7644 §3.9). Names may carry a schema
/// URN and a sub-attribute (`name.formatted`, `urn:…:enterprise:2.0:User:department`).
pub fn project(resource: Value, attributes: &[String], excluded: &[String]) -> Value {
    let Value::Object(object) = resource else {
        return resource;
    };
    let paths = |names: &[String]| -> Vec<filter::AttrPath> {
        names
            .iter()
            .filter_map(|name| filter::parse_attr_path(name).ok())
            .collect()
    };
    let is_extension = |key: &str| key.to_ascii_lowercase().starts_with("urn:");
    let mut out = Map::new();
    if !attributes.is_empty() {
        let wanted = paths(attributes);
        for (key, value) in &object {
            if ALWAYS.iter().any(|always| always.eq_ignore_ascii_case(key)) {
                out.insert(key.clone(), value.clone());
                continue;
            }
            if is_extension(key) {
                let inner: Vec<&filter::AttrPath> = wanted
                    .iter()
                    .filter(|path| {
                        path.urn
                            .as_deref()
                            .is_some_and(|urn| urn.eq_ignore_ascii_case(key))
                    })
                    .collect();
                if let (Value::Object(extension), false) = (value, inner.is_empty()) {
                    let picked = pick(extension, &inner);
                    if !picked.is_empty() {
                        out.insert(key.clone(), Value::Object(picked));
                    }
                }
                continue;
            }
            let inner: Vec<&filter::AttrPath> = wanted
                .iter()
                .filter(|path| path.urn.as_deref().is_none_or(is_core))
                .collect();
            let picked = pick(&Map::from_iter([(key.clone(), value.clone())]), &inner);
            out.extend(picked);
        }
        return Value::Object(out);
    }
    let unwanted = paths(excluded);
    for (key, value) in object {
        if ALWAYS
            .iter()
            .any(|always| always.eq_ignore_ascii_case(&key))
        {
            out.insert(key, value);
            continue;
        }
        let in_extension = is_extension(&key);
        let matching: Vec<&filter::AttrPath> = unwanted
            .iter()
            .filter(|path| match (&path.urn, in_extension) {
                (Some(urn), true) => urn.eq_ignore_ascii_case(&key),
                (Some(urn), false) => is_core(urn) && path.attr.eq_ignore_ascii_case(&key),
                (None, false) => path.attr.eq_ignore_ascii_case(&key),
                (None, true) => false,
            })
            .collect();
        match (in_extension, value) {
            (true, Value::Object(mut extension)) => {
                for path in &matching {
                    drop_path(&mut extension, path);
                }
                if !extension.is_empty() {
                    out.insert(key, Value::Object(extension));
                }
            }
            (false, value) => {
                let mut single = Map::from_iter([(key.clone(), value)]);
                for path in &matching {
                    drop_path(&mut single, path);
                }
                out.extend(single);
            }
            (true, value) => {
                out.insert(key, value);
            }
        }
    }
    Value::Object(out)
}

fn is_core(urn: &str) -> bool {
    urn.eq_ignore_ascii_case(USER_SCHEMA) || urn.eq_ignore_ascii_case(GROUP_SCHEMA)
}

/// The attributes of `object` the paths name (a whole attribute, or some sub-attributes).
fn pick(object: &Map<String, Value>, paths: &[&filter::AttrPath]) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in object {
        let named: Vec<&&filter::AttrPath> = paths
            .iter()
            .filter(|path| path.attr.eq_ignore_ascii_case(key))
            .collect();
        if named.is_empty() {
            continue;
        }
        if named.iter().any(|path| path.sub.is_none()) {
            out.insert(key.clone(), value.clone());
            continue;
        }
        let keep = |item: &Value| -> Option<Value> {
            let item = item.as_object()?;
            let kept: Map<String, Value> = item
                .iter()
                .filter(|(sub, _)| {
                    named.iter().any(|path| {
                        path.sub
                            .as_deref()
                            .is_some_and(|name| name.eq_ignore_ascii_case(sub))
                    })
                })
                .map(|(sub, value)| (sub.clone(), value.clone()))
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        };
        let value = match value {
            Value::Array(items) => {
                let kept: Vec<Value> = items.iter().filter_map(keep).collect();
                (!kept.is_empty()).then_some(Value::Array(kept))
            }
            other => keep(other),
        };
        if let Some(value) = value {
            out.insert(key.clone(), value);
        }
    }
    out
}

/// Removes the attribute (or sub-attribute) a path names from `object`.
fn drop_path(object: &mut Map<String, Value>, path: &filter::AttrPath) {
    let Some(key) = filter::find_key(object, &path.attr).map(str::to_owned) else {
        return;
    };
    let Some(sub) = &path.sub else {
        object.remove(&key);
        return;
    };
    let drop_sub = |item: &mut Value| {
        if let Value::Object(item) = item {
            if let Some(found) = filter::find_key(item, sub).map(str::to_owned) {
                item.remove(&found);
            }
        }
    };
    match object.get_mut(&key) {
        Some(Value::Array(items)) => items.iter_mut().for_each(drop_sub),
        Some(value) => drop_sub(value),
        None => {}
    }
}

fn as_object(body: &Value) -> Result<&Map<String, Value>, ScimError> {
    body.as_object().ok_or_else(|| {
        ScimError::bad_request(
            ScimErrorType::InvalidSyntax,
            "The body must be a JSON object.",
        )
    })
}

/// `schemas`, when given, must be a list naming only schemas this resource may have.
fn check_schemas(object: &Map<String, Value>, allowed: &[&str]) -> Result<(), ScimError> {
    match attribute(object, "schemas") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(items)) => {
            for item in items {
                let known = item.as_str().is_some_and(|name| {
                    allowed
                        .iter()
                        .any(|schema| schema.eq_ignore_ascii_case(name))
                });
                if !known {
                    return Err(ScimError::bad_request(
                        ScimErrorType::InvalidSyntax,
                        format!("The schema {item} is not one this resource has."),
                    ));
                }
            }
            Ok(())
        }
        Some(_) => Err(ScimError::bad_request(
            ScimErrorType::InvalidSyntax,
            "schemas must be a list.",
        )),
    }
}

/// An attribute of `object`, found ignoring case.
fn attribute<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(filter::find_key(object, name)?)
}

/// A string attribute; null and absent are none, anything else but a string is an error.
fn string(object: &Map<String, Value>, name: &str) -> Result<Option<String>, ScimError> {
    match attribute(object, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(invalid_value(format!(
            "{name} must be a string, not {other}."
        ))),
    }
}

fn invalid_value(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimErrorType::InvalidValue, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> UserFields {
        UserFields {
            external_id: Some("ext-1".into()),
            user_name: "maria@example.com".into(),
            display_name: "Maria Garcia".into(),
            name_formatted: None,
            active: true,
            title: Some("Engineer".into()),
            department: Some("Sales".into()),
            manager: Some("u-2".into()),
        }
    }

    fn user() -> ScimUser {
        ScimUser {
            id: "u-1".into(),
            fields: fields(),
            meta: Meta {
                created: Some(time::macros::datetime!(2026-01-02 03:04:05.678 UTC)),
                last_modified: None,
                version: 3,
            },
        }
    }

    #[test]
    fn a_user_round_trips_through_its_representation() {
        let json = user().to_json("https://entrada.example/scim/v2");
        assert_eq!(
            json["meta"]["location"],
            "https://entrada.example/scim/v2/Users/u-1"
        );
        assert_eq!(json["meta"]["version"], "W/\"3\"");
        assert_eq!(json["meta"]["created"], "2026-01-02T03:04:05Z");
        assert_eq!(json["emails"][0]["value"], "maria@example.com");
        assert_eq!(json[ENTERPRISE_SCHEMA]["manager"]["value"], "u-2");
        assert_eq!(UserFields::from_json(&json).unwrap(), fields());
    }

    #[test]
    fn a_user_body_needs_a_user_name_and_well_typed_values() {
        let error = UserFields::from_json(&json!({ "displayName": "X" })).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimErrorType::InvalidValue));
        let error =
            UserFields::from_json(&json!({ "userName": "a@b.c", "active": 3 })).unwrap_err();
        assert_eq!(error.status, 400);
        let error = UserFields::from_json(&json!([1])).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimErrorType::InvalidSyntax));
        let error = UserFields::from_json(&json!({ "userName": "a@b.c", "schemas": ["urn:x"] }))
            .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimErrorType::InvalidSyntax));
        let read =
            UserFields::from_json(&json!({ "USERNAME": " Maria@Example.COM ", "active": "False" }))
                .unwrap();
        assert_eq!(read.user_name, "maria@example.com");
        assert_eq!(read.display_name, "maria@example.com");
        assert!(!read.active);
    }

    #[test]
    fn a_group_takes_people_only() {
        let group = GroupFields::from_json(&json!({
            "displayName": "Sales",
            "members": [{ "value": "u-1" }, { "value": "u-1", "type": "User" }, { "value": "u-2" }]
        }))
        .unwrap();
        assert_eq!(group.members, vec!["u-1", "u-2"]);
        let error = GroupFields::from_json(&json!({
            "displayName": "Sales", "members": [{ "value": "g-1", "type": "Group" }]
        }))
        .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimErrorType::InvalidValue));
    }

    fn people(n: usize) -> Vec<Value> {
        (1..=n)
            .map(|i| json!({ "id": format!("u-{i:02}"), "userName": format!("p{i:02}@example.com"), "schemas": [USER_SCHEMA], "meta": {} }))
            .collect()
    }

    #[test]
    fn pages_cover_every_match_once_with_the_total() {
        let mut seen = Vec::new();
        for start in [1, 11, 21] {
            let query =
                ListQuery::from_pairs([("startIndex", &*start.to_string()), ("count", "10")])
                    .unwrap();
            let page = query.answer(people(25));
            assert_eq!(page["totalResults"], 25);
            assert_eq!(page["startIndex"], start);
            for resource in page["Resources"].as_array().unwrap() {
                seen.push(resource["id"].as_str().unwrap().to_owned());
            }
        }
        assert_eq!(seen.len(), 25);
        seen.dedup();
        assert_eq!(seen.len(), 25);
        let query = ListQuery::from_pairs([("startIndex", "-4"), ("count", "-1")]).unwrap();
        let page = query.answer(people(3));
        assert_eq!(
            (page["startIndex"].as_u64(), page["itemsPerPage"].as_u64()),
            (Some(1), Some(0))
        );
        assert_eq!(page["totalResults"], 3);
        let query = ListQuery::from_pairs([("count", "100000")]).unwrap();
        assert_eq!(query.count, MAX_RESULTS);
        assert!(ListQuery::from_pairs([("count", "ten")]).is_err());
    }

    #[test]
    fn attributes_select_and_exclude_but_keep_the_always_returned() {
        let mut named = user();
        named.fields.name_formatted = Some("Maria Garcia".into());
        let json = named.to_json("https://e.example/scim/v2");
        let only = project(
            json.clone(),
            &["userName".into(), "name.formatted".into()],
            &[],
        );
        let keys: Vec<&str> = only
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert!(keys.contains(&"userName") && keys.contains(&"id") && keys.contains(&"meta"));
        assert!(!keys.contains(&"displayName"), "{keys:?}");
        assert_eq!(only["name"], json!({ "formatted": "Maria Garcia" }));
        let department = format!("{ENTERPRISE_SCHEMA}:department");
        let only = project(json.clone(), std::slice::from_ref(&department), &[]);
        assert_eq!(only[ENTERPRISE_SCHEMA], json!({ "department": "Sales" }));
        let without = project(json, &[], &["emails".into(), "id".into(), department]);
        assert!(without.get("emails").is_none());
        assert!(without.get("id").is_some());
        assert!(without[ENTERPRISE_SCHEMA].get("department").is_none());
        assert!(without[ENTERPRISE_SCHEMA].get("manager").is_some());
    }

    #[test]
    fn errors_render_their_status_as_text() {
        let body = ScimError::uniqueness("taken").to_json();
        assert_eq!(body["status"], "409");
        assert_eq!(body["scimType"], "uniqueness");
        assert_eq!(body["schemas"][0], ERROR_SCHEMA);
    }
}
