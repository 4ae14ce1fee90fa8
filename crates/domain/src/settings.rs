//! Organisation-wide settings an administrator changes (`GET`/`PATCH /settings`). The
//! first is what happens to people from outside the directory when their last access
//! package assignment ends (Entra's "Manage the lifecycle of external users").

use serde::{Deserialize, Serialize};

use crate::admin::{double_option, not_null};
use crate::{FieldError, FieldErrors};

/// What happens to an external person (a guest) when their last assignment ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum ExternalUserAction {
    /// Nothing: the guest keeps their account and may sign in.
    Nothing,
    /// Their sign-in is blocked; a new approved request unblocks them.
    Block,
    /// Their sign-in is blocked, and their account is deleted a set number of days later
    /// unless a new request is approved meanwhile.
    BlockThenDelete,
}

impl ExternalUserAction {
    /// The stored name (the same as the JSON value).
    pub fn as_str(self) -> &'static str {
        match self {
            ExternalUserAction::Nothing => "nothing",
            ExternalUserAction::Block => "block",
            ExternalUserAction::BlockThenDelete => "blockThenDelete",
        }
    }

    /// The value for a stored name.
    pub fn parse(text: &str) -> Option<ExternalUserAction> {
        [
            ExternalUserAction::Nothing,
            ExternalUserAction::Block,
            ExternalUserAction::BlockThenDelete,
        ]
        .into_iter()
        .find(|action| action.as_str() == text)
    }
}

/// The fewest and most days between blocking a guest and deleting them.
pub const DELETE_AFTER_DAYS: std::ops::RangeInclusive<u32> = 1..=3650;

/// The external-user lifecycle: Entra's defaults are to block, then delete after 30 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExternalLifecycle {
    /// What happens when an external person's last assignment ends.
    pub on_last_assignment_end: ExternalUserAction,
    /// With `blockThenDelete`: the days between blocking and deleting (1 to 3650).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3650))]
    pub delete_after_days: u32,
}

impl Default for ExternalLifecycle {
    fn default() -> Self {
        ExternalLifecycle {
            on_last_assignment_end: ExternalUserAction::BlockThenDelete,
            delete_after_days: 30,
        }
    }
}

/// Every setting, as `GET /settings` answers.
/// How many days audit events may be kept, when a limit is set.
pub const AUDIT_RETENTION_DAYS: std::ops::RangeInclusive<u32> = 30..=36_500;

/// How long audit events are kept: for ever (the default) or a number of days, after
/// which the retention job prunes the oldest (the prune is itself an audit event, and the
/// chain verifies from the first event kept).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditRetention {
    /// Days to keep events; none keeps them for ever.
    #[cfg_attr(feature = "openapi", schema(minimum = 30, maximum = 36500))]
    pub retention_days: Option<u32>,
}

/// A change to audit retention: `retentionDays: null` keeps events for ever.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuditRetentionPatch {
    /// Days to keep events, or null for ever.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>, minimum = 30, maximum = 36500))]
    pub retention_days: Option<Option<u32>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// How long audit events are kept.
    #[serde(default)]
    pub audit: AuditRetention,
    /// What happens to external people when their access ends.
    pub external_lifecycle: ExternalLifecycle,
}

/// Body of `PATCH /settings` (a JSON merge patch): absent fields keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SettingsPatch {
    /// Changes to audit retention.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub audit: Option<AuditRetentionPatch>,
    /// Changes to the external-user lifecycle.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub external_lifecycle: Option<ExternalLifecyclePatch>,
}

/// Changes to [`ExternalLifecycle`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalLifecyclePatch {
    /// What happens when an external person's last assignment ends.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub on_last_assignment_end: Option<ExternalUserAction>,
    /// The days between blocking and deleting (1 to 3650).
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3650))]
    pub delete_after_days: Option<u32>,
}

impl SettingsPatch {
    /// The settings after this patch, validated: each message names its field path
    /// (`externalLifecycle.deleteAfterDays`).
    pub fn apply(&self, current: &Settings) -> Result<Settings, FieldErrors> {
        let mut next = *current;
        if let Some(lifecycle) = &self.external_lifecycle {
            if let Some(action) = lifecycle.on_last_assignment_end {
                next.external_lifecycle.on_last_assignment_end = action;
            }
            if let Some(days) = lifecycle.delete_after_days {
                next.external_lifecycle.delete_after_days = days;
            }
        }
        if let Some(retention) = self.audit.as_ref().and_then(|audit| audit.retention_days) {
            next.audit.retention_days = retention;
        }
        let mut errors = Vec::new();
        if let Some(days) = next.audit.retention_days {
            if !AUDIT_RETENTION_DAYS.contains(&days) {
                errors.push(FieldError::new(
                    "audit.retentionDays",
                    format!(
                        "Keep events for {} to {} days, or for ever.",
                        AUDIT_RETENTION_DAYS.start(),
                        AUDIT_RETENTION_DAYS.end()
                    ),
                ));
            }
        }
        let days = next.external_lifecycle.delete_after_days;
        if !DELETE_AFTER_DAYS.contains(&days) {
            errors.push(FieldError::new(
                "externalLifecycle.deleteAfterDays",
                format!(
                    "Choose between {} and {} days.",
                    DELETE_AFTER_DAYS.start(),
                    DELETE_AFTER_DAYS.end()
                ),
            ));
        }
        FieldErrors::into_result(errors, || next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_retention_is_for_ever_until_set_and_null_sets_it_back() {
        assert_eq!(Settings::default().audit.retention_days, None);
        let set: SettingsPatch =
            serde_json::from_str(r#"{"audit":{"retentionDays":365}}"#).unwrap();
        let kept = set.apply(&Settings::default()).unwrap();
        assert_eq!(kept.audit.retention_days, Some(365));
        let forever: SettingsPatch =
            serde_json::from_str(r#"{"audit":{"retentionDays":null}}"#).unwrap();
        assert_eq!(forever.apply(&kept).unwrap().audit.retention_days, None);
        let untouched: SettingsPatch = serde_json::from_str(r#"{"audit":{}}"#).unwrap();
        assert_eq!(
            untouched.apply(&kept).unwrap().audit.retention_days,
            Some(365)
        );
        let too_short: SettingsPatch =
            serde_json::from_str(r#"{"audit":{"retentionDays":3}}"#).unwrap();
        let errors = too_short.apply(&Settings::default()).unwrap_err();
        assert!(
            errors.for_field("audit.retentionDays").is_some(),
            "{errors:?}"
        );
    }

    #[test]
    fn the_default_blocks_then_deletes_after_thirty_days() {
        let settings = Settings::default();
        assert_eq!(
            settings.external_lifecycle.on_last_assignment_end,
            ExternalUserAction::BlockThenDelete
        );
        assert_eq!(settings.external_lifecycle.delete_after_days, 30);
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let patch: SettingsPatch =
            serde_json::from_str(r#"{"externalLifecycle":{"onLastAssignmentEnd":"block"}}"#)
                .unwrap();
        let next = patch.apply(&Settings::default()).unwrap();
        assert_eq!(
            next.external_lifecycle.on_last_assignment_end,
            ExternalUserAction::Block
        );
        assert_eq!(next.external_lifecycle.delete_after_days, 30);
    }

    #[test]
    fn days_out_of_range_are_refused_on_their_field() {
        for days in [0, 3651] {
            let patch = SettingsPatch {
                external_lifecycle: Some(ExternalLifecyclePatch {
                    on_last_assignment_end: None,
                    delete_after_days: Some(days),
                }),
                ..SettingsPatch::default()
            };
            let errors = patch.apply(&Settings::default()).unwrap_err();
            assert!(
                errors
                    .for_field("externalLifecycle.deleteAfterDays")
                    .is_some(),
                "{days}: {errors:?}"
            );
        }
    }

    #[test]
    fn unknown_fields_nulls_and_unknown_actions_are_refused() {
        for body in [
            r#"{"externalLifecycle":{"deleteAfterDay":3}}"#,
            r#"{"retention":1}"#,
            r#"{"externalLifecycle":null}"#,
            r#"{"externalLifecycle":{"onLastAssignmentEnd":"delete"}}"#,
            r#"{"externalLifecycle":{"deleteAfterDays":-1}}"#,
        ] {
            assert!(
                serde_json::from_str::<SettingsPatch>(body).is_err(),
                "{body}"
            );
        }
    }

    #[test]
    fn stored_names_round_trip() {
        for action in [
            ExternalUserAction::Nothing,
            ExternalUserAction::Block,
            ExternalUserAction::BlockThenDelete,
        ] {
            assert_eq!(ExternalUserAction::parse(action.as_str()), Some(action));
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::Value::String(action.as_str().to_owned())
            );
        }
        assert_eq!(ExternalUserAction::parse("Block"), None);
    }
}
