//! Field-level validation errors, shared by the browser (shown next to each field) and the
//! server (listed in a 422 problem+json).

use serde::{Deserialize, Serialize};

/// One problem with one field. `field` is a path such as `stages[1].approvers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    /// Path of the field, as the form and the API name it.
    pub field: String,
    /// What is wrong, written for the person filling in the form.
    pub message: String,
}

impl FieldError {
    /// A new field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every field error found at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} field(s) need attention", .0.len())]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// The message for one field, if it has one.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }

    /// `Ok(value)` when no errors were collected.
    pub fn into_result<T>(
        errors: Vec<FieldError>,
        value: impl FnOnce() -> T,
    ) -> Result<T, FieldErrors> {
        match errors.is_empty() {
            true => Ok(value()),
            false => Err(FieldErrors(errors)),
        }
    }
}
