//! SCIM filters (RFC 7644 §3.4.2.2) and attribute paths: a parser into [`Filter`] and its
//! evaluation over a resource's JSON representation.
//!
//! Attribute names compare case-insensitively. Strings compare case-insensitively unless
//! the attribute is case-exact ([`case_exact`]): ids, `externalId`, references.

use serde_json::Value;

use crate::scim::{ScimError, ScimErrorType};

/// An attribute path: an optional schema URN, the attribute, an optional sub-attribute
/// (`name.formatted`, `urn:…:enterprise:2.0:User:manager.value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN the attribute was qualified with, if any.
    pub urn: Option<String>,
    /// The attribute's name, as written.
    pub attr: String,
    /// The sub-attribute's name, as written.
    pub sub: Option<String>,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Both hold.
    And(Box<Filter>, Box<Filter>),
    /// Either holds.
    Or(Box<Filter>, Box<Filter>),
    /// The inner filter does not hold.
    Not(Box<Filter>),
    /// `path op value`.
    Compare(AttrPath, CompareOp, Value),
    /// `path pr`.
    Present(AttrPath),
    /// `attr[filter]`: some value of a multi-valued attribute matches the inner filter.
    ValuePath(AttrPath, Box<Filter>),
}

/// A PATCH operation's path: an attribute, optionally narrowed by a value filter, then
/// optionally a sub-attribute of the matched values (`emails[type eq "work"].value`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute (its `sub` is set for `name.formatted`-style paths without a filter).
    pub attr: AttrPath,
    /// The value filter, for `members[value eq "…"]`.
    pub filter: Option<Filter>,
    /// The sub-attribute after the filter, for `emails[type eq "work"].value`.
    pub sub_after_filter: Option<String>,
}

/// Parses a filter expression.
pub fn parse_filter(text: &str) -> Result<Filter, ScimError> {
    let tokens = tokenize(text).map_err(invalid_filter)?;
    let mut parser = Parser { tokens, at: 0 };
    let filter = parser.or().map_err(invalid_filter)?;
    match parser.peek() {
        None => Ok(filter),
        Some(token) => Err(invalid_filter(format!("unexpected {token:?}"))),
    }
}

/// Parses a PATCH path.
pub fn parse_patch_path(text: &str) -> Result<PatchPath, ScimError> {
    let invalid = |reason: String| {
        ScimError::bad_request(
            ScimErrorType::InvalidPath,
            format!("The path {text:?} is not a valid attribute path: {reason}."),
        )
    };
    let text = text.trim();
    let Some(open) = text.find('[') else {
        let attr = parse_attr_path(text).map_err(invalid)?;
        return Ok(PatchPath {
            attr,
            filter: None,
            sub_after_filter: None,
        });
    };
    let close = text
        .rfind(']')
        .ok_or_else(|| invalid("a '[' without ']'".to_owned()))?;
    if close < open {
        return Err(invalid("']' before '['".to_owned()));
    }
    let attr = parse_attr_path(&text[..open]).map_err(invalid)?;
    if attr.sub.is_some() {
        return Err(invalid("a value filter follows a sub-attribute".to_owned()));
    }
    let filter =
        parse_filter(&text[open + 1..close]).map_err(|error| invalid(error.detail.clone()))?;
    let rest = &text[close + 1..];
    let sub_after_filter = match rest {
        "" => None,
        _ => match rest.strip_prefix('.') {
            Some(sub) if is_name(sub) => Some(sub.to_owned()),
            _ => return Err(invalid(format!("unexpected {rest:?} after ']'"))),
        },
    };
    Ok(PatchPath {
        attr,
        filter: Some(filter),
        sub_after_filter,
    })
}

/// Parses `attr`, `attr.sub`, `urn:…:attr` or `urn:…:attr.sub`.
pub fn parse_attr_path(text: &str) -> Result<AttrPath, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an empty attribute name".to_owned());
    }
    let (urn, rest) = match text.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("urn:") => match text.rsplit_once(':') {
            Some((urn, rest)) => (Some(urn.to_owned()), rest),
            None => return Err(format!("{text:?} is not an attribute path")),
        },
        _ => (None, text),
    };
    let (attr, sub) = match rest.split_once('.') {
        Some((attr, sub)) => (attr, Some(sub)),
        None => (rest, None),
    };
    if !is_name(attr) || sub.is_some_and(|sub| !is_name(sub)) {
        return Err(format!("{text:?} is not an attribute path"));
    }
    Ok(AttrPath {
        urn,
        attr: attr.to_owned(),
        sub: sub.map(str::to_owned),
    })
}

/// An attribute name: a letter or `$`, then letters, digits, `-`, `_` and `$`.
fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(first) if first.is_ascii_alphabetic() || first == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$'))
}

fn invalid_filter(reason: String) -> ScimError {
    ScimError::bad_request(
        ScimErrorType::InvalidFilter,
        format!("The filter is not valid: {reason}."),
    )
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Word(String),
    Literal(Value),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        match c {
            c if c.is_whitespace() => at += 1,
            '(' => {
                tokens.push(Token::Open);
                at += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                at += 1;
            }
            '[' => {
                tokens.push(Token::OpenBracket);
                at += 1;
            }
            ']' => {
                tokens.push(Token::CloseBracket);
                at += 1;
            }
            '"' => {
                // A JSON string: find its end, honouring escapes, and let serde read it.
                let start = at;
                at += 1;
                loop {
                    match chars.get(at) {
                        None => return Err("a string without its closing quote".to_owned()),
                        Some('\\') => at += 2,
                        Some('"') => break,
                        Some(_) => at += 1,
                    }
                }
                at += 1;
                let literal: String = chars[start..at].iter().collect();
                let value: Value = serde_json::from_str(&literal)
                    .map_err(|_| format!("{literal} is not a valid string"))?;
                tokens.push(Token::Literal(value));
            }
            _ => {
                let start = at;
                while at < chars.len()
                    && !chars[at].is_whitespace()
                    && !matches!(chars[at], '(' | ')' | '[' | ']' | '"')
                {
                    at += 1;
                }
                tokens.push(Token::Word(chars[start..at].iter().collect()));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expect(&mut self, expected: Token, what: &str) -> Result<(), String> {
        match self.next() {
            Some(token) if token == expected => Ok(()),
            Some(token) => Err(format!("expected {what}, found {token:?}")),
            None => Err(format!("expected {what} at the end")),
        }
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.at += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.at += 1;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.keyword("not") {
            self.at += 1;
            self.expect(Token::Open, "'(' after not")?;
            let inner = self.or()?;
            self.expect(Token::Close, "')'")?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                self.expect(Token::Close, "')'")?;
                Ok(inner)
            }
            Some(Token::Word(word)) => self.attribute_expression(&word),
            Some(token) => Err(format!("expected an attribute, found {token:?}")),
            None => Err("expected an attribute at the end".to_owned()),
        }
    }

    fn attribute_expression(&mut self, word: &str) -> Result<Filter, String> {
        let path = parse_attr_path(word)?;
        if self.peek() == Some(&Token::OpenBracket) {
            self.at += 1;
            if path.sub.is_some() {
                return Err("a value filter follows a sub-attribute".to_owned());
            }
            let inner = self.or()?;
            self.expect(Token::CloseBracket, "']'")?;
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        let operator = match self.next() {
            Some(Token::Word(operator)) => operator.to_ascii_lowercase(),
            Some(token) => return Err(format!("expected an operator, found {token:?}")),
            None => return Err(format!("expected an operator after {word}")),
        };
        let op = match operator.as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            other => return Err(format!("{other:?} is not an operator")),
        };
        let value = match self.next() {
            Some(Token::Literal(value)) => value,
            Some(Token::Word(word)) => match word.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => match serde_json::from_str::<serde_json::Number>(&word) {
                    Ok(number) => Value::Number(number),
                    Err(_) => return Err(format!("{word} is not a value (strings are quoted)")),
                },
            },
            Some(token) => return Err(format!("expected a value, found {token:?}")),
            None => return Err(format!("expected a value after {operator}")),
        };
        if matches!(value, Value::Bool(_) | Value::Null)
            && !matches!(op, CompareOp::Eq | CompareOp::Ne)
        {
            return Err(format!("{operator} does not compare with {value}"));
        }
        Ok(Filter::Compare(path, op, value))
    }
}

/// Whether the attribute's strings compare exactly (RFC 7643 `caseExact`): identifiers
/// and references do; names and addresses do not.
pub fn case_exact(attr: &str, sub: Option<&str>) -> bool {
    let attr = attr.to_ascii_lowercase();
    let sub = sub.map(str::to_ascii_lowercase);
    matches!(
        (attr.as_str(), sub.as_deref()),
        ("id" | "externalid", None)
            | ("members" | "manager", Some("value" | "$ref"))
            | ("meta", Some("version" | "location"))
    )
}

/// A key of `object` that equals `name` ignoring case.
pub fn find_key<'a>(object: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a str> {
    object
        .keys()
        .find(|key| key.eq_ignore_ascii_case(name))
        .map(String::as_str)
}

/// The object an attribute path starts in: the extension's object for an extension URN,
/// else the resource itself (also for its core schema's URN).
pub fn container<'a>(resource: &'a Value, urn: Option<&str>) -> Option<&'a Value> {
    match urn {
        None => Some(resource),
        Some(urn) => {
            let object = resource.as_object()?;
            match find_key(object, urn) {
                Some(key) => object.get(key),
                None => Some(resource),
            }
        }
    }
}

/// The values an attribute path names in `resource` (several for a multi-valued
/// attribute); for a multi-valued complex attribute without a sub-attribute, its values'
/// `value`.
fn values_at<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let Some(object) = container(resource, path.urn.as_deref()).and_then(Value::as_object) else {
        return Vec::new();
    };
    let Some(value) = find_key(object, &path.attr).and_then(|key| object.get(key)) else {
        return Vec::new();
    };
    let sub = |value: &'a Value, name: &str| -> Option<&'a Value> {
        let object = value.as_object()?;
        object.get(find_key(object, name)?)
    };
    match (value, path.sub.as_deref()) {
        (Value::Array(items), Some(name)) => {
            items.iter().filter_map(|item| sub(item, name)).collect()
        }
        (Value::Array(items), None) => items
            .iter()
            .filter_map(|item| match item {
                Value::Object(_) => sub(item, "value"),
                other => Some(other),
            })
            .collect(),
        (value, Some(name)) => sub(value, name).into_iter().collect(),
        (value, None) => vec![value],
    }
}

/// Whether `resource` matches `filter`.
pub fn matches(filter: &Filter, resource: &Value) -> bool {
    match filter {
        Filter::And(left, right) => matches(left, resource) && matches(right, resource),
        Filter::Or(left, right) => matches(left, resource) || matches(right, resource),
        Filter::Not(inner) => !matches(inner, resource),
        Filter::Present(path) => values_at(resource, path).into_iter().any(is_present),
        Filter::Compare(path, op, expected) => {
            let exact = case_exact(&path.attr, path.sub.as_deref());
            let values = values_at(resource, path);
            match (op, expected) {
                (CompareOp::Eq, Value::Null) => !values.into_iter().any(is_present),
                (CompareOp::Ne, Value::Null) => values.into_iter().any(is_present),
                (CompareOp::Ne, _) => !values
                    .into_iter()
                    .any(|value| compare(value, CompareOp::Eq, expected, exact)),
                _ => values
                    .into_iter()
                    .any(|value| compare(value, *op, expected, exact)),
            }
        }
        Filter::ValuePath(path, inner) => {
            let Some(object) = container(resource, path.urn.as_deref()).and_then(Value::as_object)
            else {
                return false;
            };
            match find_key(object, &path.attr).and_then(|key| object.get(key)) {
                Some(Value::Array(items)) => items.iter().any(|item| matches_value(inner, item)),
                Some(item @ Value::Object(_)) => matches_value(inner, item),
                _ => false,
            }
        }
    }
}

/// Whether one value of a multi-valued attribute matches a value filter, whose paths name
/// its sub-attributes (`type eq "work"`).
pub fn matches_value(filter: &Filter, item: &Value) -> bool {
    match filter {
        Filter::And(left, right) => matches_value(left, item) && matches_value(right, item),
        Filter::Or(left, right) => matches_value(left, item) || matches_value(right, item),
        Filter::Not(inner) => !matches_value(inner, item),
        other => {
            // Inside brackets `value eq "x"` names the item's `value`: evaluate it on the item.
            let wrapped = match item {
                Value::Object(_) => item.clone(),
                scalar => serde_json::json!({ "value": scalar }),
            };
            matches(other, &wrapped)
        }
    }
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(object) => !object.is_empty(),
        _ => true,
    }
}

fn compare(actual: &Value, op: CompareOp, expected: &Value, exact: bool) -> bool {
    use std::cmp::Ordering;
    match (actual, expected) {
        (Value::String(actual), Value::String(expected)) => {
            let (actual, expected) = match exact {
                true => (actual.clone(), expected.clone()),
                false => (actual.to_lowercase(), expected.to_lowercase()),
            };
            match op {
                CompareOp::Eq => actual == expected,
                CompareOp::Ne => actual != expected,
                CompareOp::Co => actual.contains(&expected),
                CompareOp::Sw => actual.starts_with(&expected),
                CompareOp::Ew => actual.ends_with(&expected),
                CompareOp::Gt => actual > expected,
                CompareOp::Ge => actual >= expected,
                CompareOp::Lt => actual < expected,
                CompareOp::Le => actual <= expected,
            }
        }
        (Value::Bool(actual), Value::Bool(expected)) => match op {
            CompareOp::Eq => actual == expected,
            CompareOp::Ne => actual != expected,
            _ => false,
        },
        (Value::Number(actual), Value::Number(expected)) => {
            let (Some(actual), Some(expected)) = (actual.as_f64(), expected.as_f64()) else {
                return false;
            };
            let ordering = actual.partial_cmp(&expected);
            match op {
                CompareOp::Eq => ordering == Some(Ordering::Equal),
                CompareOp::Ne => ordering != Some(Ordering::Equal),
                CompareOp::Gt => ordering == Some(Ordering::Greater),
                CompareOp::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
                CompareOp::Lt => ordering == Some(Ordering::Less),
                CompareOp::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "u-1",
            "userName": "Maria@Example.com",
            "displayName": "Maria Garcia",
            "active": true,
            "emails": [{ "value": "maria@example.com", "type": "work", "primary": true }],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "Sales", "manager": { "value": "u-2" } },
            "meta": { "created": "2026-01-02T03:04:05Z" }
        })
    }

    fn check(filter: &str, expected: bool) {
        let parsed = parse_filter(filter).unwrap_or_else(|error| panic!("{filter}: {error:?}"));
        assert_eq!(matches(&parsed, &user()), expected, "{filter}");
    }

    #[test]
    fn user_name_compares_without_case_and_attribute_names_too() {
        check(r#"userName eq "maria@example.com""#, true);
        check(r#"USERNAME Eq "MARIA@EXAMPLE.COM""#, true);
        check(r#"userName eq "someone@example.com""#, false);
        check(r#"id eq "U-1""#, false);
        check(r#"id eq "u-1""#, true);
    }

    #[test]
    fn every_operator_works_on_strings() {
        check(r#"displayName co "garc""#, true);
        check(r#"displayName sw "maria""#, true);
        check(r#"displayName ew "GARCIA""#, true);
        check(r#"displayName ne "Maria Garcia""#, false);
        check(r#"displayName gt "A""#, true);
        check(r#"displayName ge "maria garcia""#, true);
        check(r#"displayName lt "B""#, false);
        check(r#"displayName le "Z""#, true);
        check(r#"meta.created gt "2026-01-01T00:00:00Z""#, true);
        check("title pr", false);
        check("displayName pr", true);
    }

    #[test]
    fn logic_nests_with_not_and_parentheses() {
        check(
            r#"active eq true and (title pr or displayName sw "M")"#,
            true,
        );
        check(r#"not (active eq true)"#, false);
        check(r#"active eq false or not(userName ew "example.org")"#, true);
        check(
            r#"userName eq "x" or userName eq "y" and active eq true"#,
            false,
        );
    }

    #[test]
    fn value_filters_and_extension_paths_reach_inside() {
        check(
            r#"emails[type eq "work" and value co "@example.com"]"#,
            true,
        );
        check(r#"emails[type eq "home"]"#, false);
        check(r#"emails.value eq "MARIA@example.com""#, true);
        check(r#"emails eq "maria@example.com""#, true);
        check(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales""#,
            true,
        );
        check(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "u-2""#,
            true,
        );
        check(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "maria""#,
            true,
        );
    }

    #[test]
    fn malformed_filters_are_invalid_filter_errors() {
        for bad in [
            "",
            "userName",
            "userName eq",
            r#"userName xx "a""#,
            r#"userName eq "unterminated"#,
            r#"(userName eq "a""#,
            r#"userName eq "a" and"#,
            r#"emails[type eq "work""#,
            "userName eq bare",
            "active gt true",
            r#"userName eq "a" )"#,
            "not userName pr",
        ] {
            let error = parse_filter(bad).expect_err(bad);
            assert_eq!(error.scim_type, Some(ScimErrorType::InvalidFilter), "{bad}");
            assert_eq!(error.status, 400);
        }
    }

    #[test]
    fn patch_paths_parse_filters_and_sub_attributes() {
        let path = parse_patch_path(r#"members[value eq "u-1"]"#).unwrap();
        assert_eq!(path.attr.attr, "members");
        assert!(path.filter.is_some());
        let path = parse_patch_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(path.sub_after_filter.as_deref(), Some("value"));
        let path = parse_patch_path(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        )
        .unwrap();
        assert_eq!(
            path.attr.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(path.attr.attr, "department");
        let path = parse_patch_path("name.formatted").unwrap();
        assert_eq!(path.attr.sub.as_deref(), Some("formatted"));
        for bad in [
            "",
            "members[",
            "members[value eq]",
            "a b",
            "emails[type eq \"w\"]x",
        ] {
            let error = parse_patch_path(bad).expect_err(bad);
            assert_eq!(error.scim_type, Some(ScimErrorType::InvalidPath), "{bad}");
        }
    }
}
