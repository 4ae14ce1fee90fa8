//! PATCH (RFC 7644 §3.5.2): `add`, `remove` and `replace`, with or without a `path`,
//! applied to a resource's representation. The caller reads the result back as it reads a
//! PUT body, so a PATCH can set nothing a PUT could not.

use serde_json::{Map, Value};

use crate::scim::filter::{self, find_key, matches_value, parse_patch_path, AttrPath};
use crate::scim::schema::{self, ResourceKind};
use crate::scim::{ScimError, ScimErrorType, ENTERPRISE_SCHEMA, PATCH_SCHEMA};

/// What one operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Adds values (appends to multi-valued attributes).
    Add,
    /// Removes the target.
    Remove,
    /// Replaces the target.
    Replace,
}

/// One operation of a PATCH request.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// What it does.
    pub op: Op,
    /// Where, if anywhere in particular.
    pub path: Option<String>,
    /// With what.
    pub value: Option<Value>,
}

/// Reads a PATCH request body. Operation names compare without case ("Replace").
pub fn parse(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let syntax = |detail: &str| ScimError::bad_request(ScimErrorType::InvalidSyntax, detail);
    let object = body
        .as_object()
        .ok_or_else(|| syntax("The body must be a JSON object."))?;
    let schemas = find_key(object, "schemas").and_then(|key| object.get(key));
    let names_patch = schemas.and_then(Value::as_array).is_some_and(|items| {
        items.iter().any(|item| {
            item.as_str()
                .is_some_and(|name| name.eq_ignore_ascii_case(PATCH_SCHEMA))
        })
    });
    if !names_patch {
        return Err(syntax(
            "A PATCH body names the schema urn:ietf:params:scim:api:messages:2.0:PatchOp.",
        ));
    }
    let operations = find_key(object, "Operations")
        .and_then(|key| object.get(key))
        .and_then(Value::as_array)
        .ok_or_else(|| syntax("A PATCH body has a list of Operations."))?;
    if operations.is_empty() {
        return Err(syntax("A PATCH body has at least one operation."));
    }
    operations
        .iter()
        .map(|operation| {
            let operation = operation
                .as_object()
                .ok_or_else(|| syntax("Each operation must be an object."))?;
            let get = |name: &str| find_key(operation, name).and_then(|key| operation.get(key));
            let op = match get("op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("add") => Op::Add,
                Some("remove") => Op::Remove,
                Some("replace") => Op::Replace,
                _ => return Err(syntax("Each operation's op is add, remove or replace.")),
            };
            let path = match get("path") {
                None | Some(Value::Null) => None,
                Some(Value::String(path)) if path.trim().is_empty() => None,
                Some(Value::String(path)) => Some(path.clone()),
                Some(_) => {
                    return Err(ScimError::bad_request(
                        ScimErrorType::InvalidPath,
                        "An operation's path must be a string.",
                    ))
                }
            };
            let value = get("value").filter(|value| !value.is_null()).cloned();
            if op != Op::Remove && value.is_none() {
                return Err(ScimError::bad_request(
                    ScimErrorType::InvalidValue,
                    "add and replace need a value.",
                ));
            }
            Ok(Operation { op, path, value })
        })
        .collect()
}

/// Applies the operations in order to a copy of `resource`; the first that cannot apply
/// stops them all (none takes effect, as RFC 7644 §3.5.2 asks).
pub fn apply(
    resource: &Value,
    operations: &[Operation],
    kind: ResourceKind,
) -> Result<Value, ScimError> {
    let mut patched = resource.clone();
    for operation in operations {
        match &operation.path {
            Some(path) => apply_at(
                &mut patched,
                operation.op,
                path,
                operation.value.as_ref(),
                kind,
            )?,
            None => apply_without_path(&mut patched, operation, kind)?,
        }
    }
    Ok(patched)
}

/// No path: the value is an object whose keys are attribute paths (or the extension).
fn apply_without_path(
    resource: &mut Value,
    operation: &Operation,
    kind: ResourceKind,
) -> Result<(), ScimError> {
    if operation.op == Op::Remove {
        return Err(ScimError::bad_request(
            ScimErrorType::NoTarget,
            "remove needs a path.",
        ));
    }
    let Some(Value::Object(values)) = &operation.value else {
        return Err(ScimError::bad_request(
            ScimErrorType::InvalidValue,
            "Without a path, the value must be an object of attributes.",
        ));
    };
    for (key, value) in values {
        if key.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
            let Value::Object(inner) = value else {
                return Err(ScimError::bad_request(
                    ScimErrorType::InvalidValue,
                    "The enterprise extension must be an object.",
                ));
            };
            for (name, value) in inner {
                apply_at(
                    resource,
                    operation.op,
                    &format!("{ENTERPRISE_SCHEMA}:{name}"),
                    Some(value),
                    kind,
                )?;
            }
            continue;
        }
        if ["schemas", "id", "meta"]
            .iter()
            .any(|skip| skip.eq_ignore_ascii_case(key))
        {
            continue;
        }
        apply_at(resource, operation.op, key, Some(value), kind)?;
    }
    Ok(())
}

fn invalid_path(path: &str) -> ScimError {
    ScimError::bad_request(
        ScimErrorType::InvalidPath,
        format!("{path:?} is not an attribute this resource has."),
    )
}

fn apply_at(
    resource: &mut Value,
    op: Op,
    path_text: &str,
    value: Option<&Value>,
    kind: ResourceKind,
) -> Result<(), ScimError> {
    let root = resource
        .as_object_mut()
        .ok_or_else(|| ScimError::status(500, "The resource is not an object."))?;
    // The whole extension.
    if kind == ResourceKind::User && path_text.trim().eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
        match (op, value) {
            (Op::Remove, _) => {
                root.remove(ENTERPRISE_SCHEMA);
            }
            (_, Some(Value::Object(values))) => {
                let extension = root
                    .entry(ENTERPRISE_SCHEMA)
                    .or_insert_with(|| Value::Object(Map::new()));
                merge(extension, values);
            }
            _ => {
                return Err(ScimError::bad_request(
                    ScimErrorType::InvalidValue,
                    "The enterprise extension must be an object.",
                ));
            }
        }
        return Ok(());
    }
    let path = parse_patch_path(path_text)?;
    let Some(definition) = schema::attribute(kind, &path.attr) else {
        return Err(invalid_path(path_text));
    };
    if let Some(sub) = path
        .attr
        .sub
        .as_deref()
        .or(path.sub_after_filter.as_deref())
    {
        if !definition
            .sub_attributes
            .iter()
            .any(|attribute| attribute.name.eq_ignore_ascii_case(sub))
        {
            return Err(invalid_path(path_text));
        }
    }
    if op == Op::Remove && definition.required && path.attr.sub.is_none() && path.filter.is_none() {
        return Err(ScimError::bad_request(
            ScimErrorType::InvalidValue,
            format!(
                "{} is required: replace it instead of removing it.",
                definition.name
            ),
        ));
    }
    let container = match path.attr.urn.as_deref() {
        Some(urn) if urn.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) => {
            if op == Op::Remove && !root.contains_key(ENTERPRISE_SCHEMA) {
                return Ok(());
            }
            root.entry(ENTERPRISE_SCHEMA)
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .ok_or_else(|| invalid_path(path_text))?
        }
        _ => root,
    };
    let key = find_key(container, &path.attr.attr)
        .unwrap_or(definition.name)
        .to_owned();
    match &path.filter {
        None => apply_plain(
            container,
            &key,
            &path.attr,
            definition.multi_valued,
            op,
            value,
        ),
        Some(filter) => {
            let items = match container.get_mut(&key) {
                Some(Value::Array(items)) => items,
                _ if op == Op::Remove => return Ok(()),
                _ => return Err(no_target(path_text)),
            };
            let matched: Vec<usize> = (0..items.len())
                .filter(|at| matches_value(filter, &items[*at]))
                .collect();
            match (op, &path.sub_after_filter) {
                (Op::Remove, None) => {
                    let mut at = 0;
                    items.retain(|_| {
                        at += 1;
                        !matched.contains(&(at - 1))
                    });
                    if items.is_empty() {
                        container.remove(&key);
                    }
                }
                (Op::Remove, Some(sub)) => {
                    for at in matched {
                        if let Value::Object(item) = &mut items[at] {
                            if let Some(found) = find_key(item, sub).map(str::to_owned) {
                                item.remove(&found);
                            }
                        }
                    }
                }
                (_, _) if matched.is_empty() => return Err(no_target(path_text)),
                (_, Some(sub)) => {
                    for at in matched {
                        if let Value::Object(item) = &mut items[at] {
                            let name = find_key(item, sub).unwrap_or(sub).to_owned();
                            item.insert(name, value.cloned().unwrap_or(Value::Null));
                        }
                    }
                }
                (_, None) => {
                    let Some(Value::Object(values)) = value else {
                        return Err(ScimError::bad_request(
                            ScimErrorType::InvalidValue,
                            "A filtered value is replaced by an object.",
                        ));
                    };
                    for at in matched {
                        merge(&mut items[at], values);
                    }
                }
            }
            Ok(())
        }
    }
}

fn no_target(path: &str) -> ScimError {
    ScimError::bad_request(
        ScimErrorType::NoTarget,
        format!("No value matches {path:?}."),
    )
}

/// An operation on `container[key]` (or on its sub-attribute), without a value filter.
fn apply_plain(
    container: &mut Map<String, Value>,
    key: &str,
    path: &AttrPath,
    multi_valued: bool,
    op: Op,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if let Some(sub) = &path.sub {
        let set_sub = |item: &mut Value| {
            if let Value::Object(item) = item {
                let name = find_key(item, sub).unwrap_or(sub).to_owned();
                match (op, value) {
                    (Op::Remove, _) => {
                        item.remove(&name);
                    }
                    (_, Some(value)) => {
                        item.insert(name, value.clone());
                    }
                    (_, None) => {}
                }
            }
        };
        match container.get_mut(key) {
            Some(Value::Array(items)) => items.iter_mut().for_each(set_sub),
            Some(item @ Value::Object(_)) => set_sub(item),
            _ if op == Op::Remove => {}
            _ => {
                let mut item = Value::Object(Map::new());
                set_sub(&mut item);
                container.insert(key.to_owned(), item);
            }
        }
        return Ok(());
    }
    match (op, value) {
        (Op::Remove, None) => {
            container.remove(key);
        }
        // `remove` with a value on a multi-valued attribute: take out the values given.
        (Op::Remove, Some(given)) if multi_valued => {
            let given = as_list(given);
            if let Some(Value::Array(items)) = container.get_mut(key) {
                items.retain(|item| !given.iter().any(|gone| same_value(item, gone)));
                if items.is_empty() {
                    container.remove(key);
                }
            }
        }
        (Op::Remove, Some(_)) => {
            container.remove(key);
        }
        (Op::Add, Some(given)) if multi_valued => {
            let entry = container
                .entry(key.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !entry.is_array() {
                *entry = Value::Array(Vec::new());
            }
            if let Value::Array(items) = entry {
                for new in as_list(given) {
                    if !items.iter().any(|item| same_value(item, &new)) {
                        items.push(new);
                    }
                }
            }
        }
        (Op::Replace, Some(given)) if multi_valued => {
            container.insert(key.to_owned(), Value::Array(as_list(given)));
        }
        (_, Some(Value::Object(values))) if container.get(key).is_some_and(Value::is_object) => {
            if let Some(existing) = container.get_mut(key) {
                merge(existing, values);
            }
        }
        (_, Some(given)) => {
            container.insert(key.to_owned(), given.clone());
        }
        (_, None) => {}
    }
    Ok(())
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// Two values of a multi-valued attribute are the same when their `value`s are (or the
/// whole values, for values without one).
fn same_value(left: &Value, right: &Value) -> bool {
    let value_of = |value: &Value| -> Option<Value> {
        let object = value.as_object()?;
        object.get(find_key(object, "value")?).cloned()
    };
    match (value_of(left), value_of(right)) {
        (Some(left), Some(right)) => left == right,
        _ => left == right,
    }
}

/// Sets each of `values`' attributes on the object `target` (keys matched without case).
fn merge(target: &mut Value, values: &Map<String, Value>) {
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in values {
            let name = filter::find_key(target, key).unwrap_or(key).to_owned();
            target.insert(name, value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user() -> Value {
        json!({
            "schemas": [crate::scim::USER_SCHEMA],
            "id": "u-1",
            "userName": "maria@example.com",
            "displayName": "Maria",
            "active": true,
            "emails": [{ "value": "maria@example.com", "type": "work", "primary": true }],
        })
    }

    fn group() -> Value {
        json!({ "id": "g-1", "displayName": "Sales", "members": [{ "value": "u-1" }, { "value": "u-2" }] })
    }

    fn check(resource: Value, kind: ResourceKind, operations: Value) -> Result<Value, ScimError> {
        let body = json!({ "schemas": [PATCH_SCHEMA], "Operations": operations });
        apply(&resource, &parse(&body)?, kind)
    }

    #[test]
    fn replace_without_a_path_sets_each_attribute_and_ops_ignore_case() {
        let patched = check(
            user(),
            ResourceKind::User,
            json!([{ "op": "Replace", "value": { "active": false, "name.formatted": "M. G." } }]),
        )
        .unwrap();
        assert_eq!(patched["active"], false);
        assert_eq!(patched["name"]["formatted"], "M. G.");
    }

    #[test]
    fn paths_reach_sub_attributes_and_the_enterprise_extension() {
        let department = format!("{ENTERPRISE_SCHEMA}:department");
        let patched = check(user(), ResourceKind::User, json!([
            { "op": "add", "path": "name.formatted", "value": "Maria G" },
            { "op": "replace", "path": department, "value": "Sales" },
            { "op": "add", "path": "title", "value": "Engineer" },
            { "op": "replace", "path": ENTERPRISE_SCHEMA, "value": { "manager": { "value": "u-9" } } },
        ])).unwrap();
        assert_eq!(patched["name"]["formatted"], "Maria G");
        assert_eq!(patched[ENTERPRISE_SCHEMA]["department"], "Sales");
        assert_eq!(patched[ENTERPRISE_SCHEMA]["manager"]["value"], "u-9");
        let patched = check(
            patched,
            ResourceKind::User,
            json!([{ "op": "remove", "path": "title" }, { "op": "remove", "path": department }]),
        )
        .unwrap();
        assert!(patched.get("title").is_none());
        assert!(patched[ENTERPRISE_SCHEMA].get("department").is_none());
    }

    #[test]
    fn members_are_added_once_and_removed_by_filter_or_by_value() {
        let patched = check(group(), ResourceKind::Group, json!([
            { "op": "add", "path": "members", "value": [{ "value": "u-2" }, { "value": "u-3" }] },
            { "op": "remove", "path": "members[value eq \"u-1\"]" },
        ])).unwrap();
        assert_eq!(
            patched["members"],
            json!([{ "value": "u-2" }, { "value": "u-3" }])
        );
        let patched = check(
            patched,
            ResourceKind::Group,
            json!([{ "op": "remove", "path": "members", "value": [{ "value": "u-3" }] }]),
        )
        .unwrap();
        assert_eq!(patched["members"], json!([{ "value": "u-2" }]));
        let patched = check(
            patched,
            ResourceKind::Group,
            json!([{ "op": "replace", "path": "members", "value": [{ "value": "u-7" }] }]),
        )
        .unwrap();
        assert_eq!(patched["members"], json!([{ "value": "u-7" }]));
        let patched = check(
            patched,
            ResourceKind::Group,
            json!([{ "op": "remove", "path": "members" }]),
        )
        .unwrap();
        assert!(patched.get("members").is_none());
    }

    #[test]
    fn a_filtered_replace_changes_the_matching_values() {
        let patched = check(user(), ResourceKind::User, json!([{ "op": "replace", "path": "emails[type eq \"work\"].value", "value": "m@example.com" }])).unwrap();
        assert_eq!(patched["emails"][0]["value"], "m@example.com");
        let error = check(
            user(),
            ResourceKind::User,
            json!([{ "op": "replace", "path": "emails[type eq \"home\"].value", "value": "x" }]),
        )
        .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimErrorType::NoTarget));
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let error = check(
            user(),
            ResourceKind::User,
            json!([{ "op": "replace", "path": "shoeSize", "value": 42 }]),
        )
        .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimErrorType::InvalidPath));
        let error = check(
            user(),
            ResourceKind::User,
            json!([{ "op": "replace", "path": "name.nickname", "value": "x" }]),
        )
        .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimErrorType::InvalidPath));
        let error = check(
            user(),
            ResourceKind::User,
            json!([{ "op": "remove", "path": "active" }]),
        )
        .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimErrorType::InvalidValue));
        let error = check(user(), ResourceKind::User, json!([{ "op": "remove" }])).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimErrorType::NoTarget));
        let error = check(
            user(),
            ResourceKind::User,
            json!([{ "op": "move", "path": "title" }]),
        )
        .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimErrorType::InvalidSyntax));
        let error = check(
            user(),
            ResourceKind::User,
            json!([{ "op": "add", "path": "title" }]),
        )
        .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimErrorType::InvalidValue));
        let error = check(
            user(),
            ResourceKind::User,
            json!([{ "op": "remove", "path": "members[value eq" }]),
        )
        .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimErrorType::InvalidPath));
        let error = parse(&json!({ "Operations": [] })).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimErrorType::InvalidSyntax));
    }
}
