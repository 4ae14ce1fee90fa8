//! SCIM provisioning (issue 14): the bearer tokens an identity provider's SCIM client uses
//! (`entrada scim token create|list|revoke`), and the writes SCIM makes to people and
//! directory groups, each in the caller's transaction with its audit event (no person
//! acts: the event names the token).
//!
//! The domain decides what a resource holds (`entrada_domain::scim`); here are the rules
//! that need the database: `userName` and group names are unique without case, a manager
//! or member must be a person who exists, a group a catalog holds is not deleted from
//! outside, and group members Entrada's packages added (`source = 'entrada'`) stay
//! whatever SCIM does. Blocking ends the person's sessions; deleting ends their live
//! assignments through the lifecycle (their grants are taken back) and leaves a tombstone
//! as the guest lifecycle does, so the audit trail still names them.

use entrada_domain::audit::{AuditAction, AuditEvent};
use entrada_domain::directory::{User, UserKind, UserState};
use entrada_domain::ids::{AuditEventId, UserId};
use entrada_domain::scim::{
    GroupFields, ScimError, ScimErrorType, ScimGroup, ScimUser, UserFields,
};
use rand::RngCore;
use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;

use crate::http::ApiError;
use crate::store;

/// A token as `entrada scim token list` and the Integrations page show it.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// Its name (`okta`).
    pub name: String,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When a SCIM request last came with it.
    pub last_used_at: Option<OffsetDateTime>,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// Why a token could not be made or revoked.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The name is empty, too long or has characters other than letters, digits, `-`, `_`, `.`.
    #[error("a token name is 1 to 64 letters, digits, '-', '_' or '.'; {0:?} is not")]
    BadName(String),
    /// A token (live or revoked) has this name.
    #[error(
        "a SCIM token named {0:?} exists already (names are never reused, even after revoking)"
    )]
    Duplicate(String),
    /// No live token has this name.
    #[error("no live SCIM token is named {0:?}")]
    Unknown(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Makes a token named `name` and returns it: the only time it is ever shown (the
/// database keeps its SHA-256).
pub async fn create_token(
    db: &AnyPool,
    name: &str,
    now: OffsetDateTime,
) -> Result<String, TokenError> {
    if !valid_name(name) {
        return Err(TokenError::BadName(name.to_owned()));
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = format!(
        "scim_{}",
        bytes
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    );
    let mut tx = crate::db::begin(db).await?;
    if let Err(error) =
        store::scim::insert_token(&mut tx, name, &store::scim::hash_token(&token), now).await
    {
        return Err(
            match error
                .as_database_error()
                .is_some_and(|db| db.is_unique_violation())
            {
                true => TokenError::Duplicate(name.to_owned()),
                false => TokenError::Database(error),
            },
        );
    }
    let event = event(now, AuditAction::ScimTokenCreated, "scimToken", name, name);
    store::audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(token)
}

/// Every token, oldest first (never the tokens themselves).
pub async fn list_tokens(db: &AnyPool) -> Result<Vec<TokenInfo>, sqlx::Error> {
    let mut conn = db.acquire().await?;
    Ok(store::scim::tokens(&mut conn)
        .await?
        .into_iter()
        .map(|row| TokenInfo {
            name: row.name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked: row.revoked,
        })
        .collect())
}

/// Revokes the token named `name`: SCIM requests with it are refused from now on.
pub async fn revoke_token(db: &AnyPool, name: &str, now: OffsetDateTime) -> Result<(), TokenError> {
    let mut tx = crate::db::begin(db).await?;
    if !store::scim::revoke(&mut tx, name).await? {
        return Err(TokenError::Unknown(name.to_owned()));
    }
    let event = event(now, AuditAction::ScimTokenRevoked, "scimToken", name, name);
    store::audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// An audit event of SCIM's (no person acts), naming the token it came with.
fn event(
    now: OffsetDateTime,
    action: AuditAction,
    kind: &str,
    id: &str,
    token: &str,
) -> AuditEvent {
    AuditEvent::new(AuditEventId(store::new_id()), now, None, action, kind, id)
        .with_detail("token", token)
}

fn invalid_value(detail: String) -> ApiError {
    ApiError::Scim(ScimError::bad_request(ScimErrorType::InvalidValue, detail))
}

/// The rules a person's new attributes must meet beside the domain's: a free `userName`,
/// a manager who exists and is someone else.
async fn check_user(
    conn: &mut AnyConnection,
    fields: &UserFields,
    id: Option<&str>,
) -> Result<(), ApiError> {
    if store::scim::email_taken(conn, &fields.user_name, id).await? {
        return Err(ScimError::uniqueness(format!(
            "Someone else has the userName {:?}.",
            fields.user_name
        ))
        .into());
    }
    if let Some(manager) = &fields.manager {
        if Some(manager.as_str()) == id {
            return Err(invalid_value(
                "A person cannot be their own manager.".to_owned(),
            ));
        }
        if !store::scim::user_exists(conn, manager).await? {
            return Err(invalid_value(format!(
                "The manager {manager:?} is not a User."
            )));
        }
    }
    Ok(())
}

/// Creates a member from SCIM; returns their id.
pub(crate) async fn create_user(
    conn: &mut AnyConnection,
    token: &str,
    fields: &UserFields,
    now: OffsetDateTime,
) -> Result<String, ApiError> {
    check_user(conn, fields, None).await?;
    let user = User {
        id: UserId(store::new_id()),
        email: fields.user_name.clone(),
        display_name: fields.display_name.clone(),
        kind: UserKind::Member,
        state: UserState::Active,
        department: fields.department.clone(),
        job_title: fields.title.clone(),
        manager: fields.manager.clone().map(UserId),
        connected_organization: None,
    };
    store::users::insert(conn, &user, None, now)
        .await
        .map_err(|error| unique_as_conflict(error, &fields.user_name))?;
    let id = user.id.as_str();
    if !fields.active {
        store::users::block(conn, id, now).await?;
    }
    store::scim::touch(
        conn,
        "user",
        id,
        fields.external_id.as_deref(),
        fields.name_formatted.as_deref(),
        now,
        now,
    )
    .await?;
    let mut event = event(now, AuditAction::ScimUserCreated, "user", id, token)
        .with_detail("userName", &fields.user_name)
        .with_detail("active", fields.active.to_string());
    if let Some(external_id) = &fields.external_id {
        event = event.with_detail("externalId", external_id);
    }
    store::audit::append(conn, &event).await?;
    Ok(user.id.0)
}

fn unique_as_conflict(error: sqlx::Error, user_name: &str) -> ApiError {
    match error
        .as_database_error()
        .is_some_and(|db| db.is_unique_violation())
    {
        true => {
            ScimError::uniqueness(format!("Someone else has the userName {user_name:?}.")).into()
        }
        false => ApiError::Database(error),
    }
}

/// Gives a person the attributes `fields` (a PUT, or a PATCH applied): saves what changed
/// and audits it; `active` false blocks them and ends their sessions, true unblocks.
pub(crate) async fn replace_user(
    conn: &mut AnyConnection,
    token: &str,
    current: &ScimUser,
    fields: &UserFields,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    let id = current.id.as_str();
    store::guests::lock(conn, &UserId(current.id.clone())).await?;
    check_user(conn, fields, Some(id)).await?;
    let before = &current.fields;
    let attributes_changed = UserFields {
        active: before.active,
        ..fields.clone()
    } != *before;
    let mut events = Vec::new();
    if attributes_changed {
        store::scim::update_user(conn, id, fields)
            .await
            .map_err(|error| unique_as_conflict(error, &fields.user_name))?;
        let mut changed = Vec::new();
        for (name, was, is) in [
            ("userName", Some(&before.user_name), Some(&fields.user_name)),
            (
                "displayName",
                Some(&before.display_name),
                Some(&fields.display_name),
            ),
            (
                "name.formatted",
                before.name_formatted.as_ref(),
                fields.name_formatted.as_ref(),
            ),
            ("title", before.title.as_ref(), fields.title.as_ref()),
            (
                "department",
                before.department.as_ref(),
                fields.department.as_ref(),
            ),
            ("manager", before.manager.as_ref(), fields.manager.as_ref()),
            (
                "externalId",
                before.external_id.as_ref(),
                fields.external_id.as_ref(),
            ),
        ] {
            if was != is {
                changed.push(name);
            }
        }
        events.push(
            event(now, AuditAction::ScimUserChanged, "user", id, token)
                .with_detail("changed", changed.join(", ")),
        );
    }
    if before.active && !fields.active && store::users::block(conn, id, now).await? {
        let sessions = store::guests::end_sessions(conn, &UserId(current.id.clone())).await?;
        events.push(
            event(now, AuditAction::ScimUserBlocked, "user", id, token)
                .with_detail("sessionsEnded", sessions.to_string()),
        );
    }
    if !before.active && fields.active && store::users::unblock(conn, id).await? {
        events.push(event(
            now,
            AuditAction::ScimUserUnblocked,
            "user",
            id,
            token,
        ));
    }
    if events.is_empty() {
        return Ok(());
    }
    let created = current.meta.created.unwrap_or(now);
    store::scim::touch(
        conn,
        "user",
        id,
        fields.external_id.as_deref(),
        fields.name_formatted.as_deref(),
        created,
        now,
    )
    .await?;
    store::audit::append_many(conn, &events).await?;
    Ok(())
}

/// Deletes a person as far as Entrada ever deletes anyone: their live assignments end
/// (grants taken back, through the lifecycle), then the account becomes a tombstone
/// without sessions, memberships, roles or ownerships. Afterwards SCIM answers 404 for
/// them and they cannot sign in.
pub(crate) async fn delete_user(
    conn: &mut AnyConnection,
    token: &str,
    current: &ScimUser,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    let user = UserId(current.id.clone());
    store::guests::lock(conn, &user).await?;
    let canceled = cancel_open_requests(conn, &user, now).await?;
    let ended = crate::lifecycle::end_all_of(conn, &user, now)
        .await
        .map_err(|error| match error {
            crate::lifecycle::LifecycleError::Database(error) => ApiError::Database(error),
            other => ApiError::Conflict(other.to_string()),
        })?;
    let email = entrada_domain::guest::tombstone_email(&user);
    if !store::scim::tombstone(conn, &current.id, &email, now).await? {
        return Err(ScimError::not_found("User", &current.id).into());
    }
    let sessions = store::guests::end_sessions(conn, &user).await?;
    let holdings = store::guests::remove_holdings(conn, &user).await?;
    store::scim::forget(conn, "user", &current.id).await?;
    let event = event(
        now,
        AuditAction::ScimUserDeleted,
        "user",
        &current.id,
        token,
    )
    .with_detail("displayName", &current.fields.display_name)
    .with_detail("requestsCanceled", canceled.to_string())
    .with_detail("assignmentsEnded", ended.to_string())
    .with_detail("sessionsEnded", sessions.to_string())
    .with_detail("membershipsRemoved", holdings.to_string());
    store::audit::append(conn, &event).await?;
    Ok(())
}

/// Cancels a person's requests that are still open (submitted, waiting for approval, or
/// approved before their start), through the lifecycle as if they had withdrawn them, so
/// nothing is delivered to an account that is gone. Returns how many.
async fn cancel_open_requests(
    conn: &mut AnyConnection,
    user: &UserId,
    now: OffsetDateTime,
) -> Result<usize, ApiError> {
    use entrada_domain::request::{RequestEvent, RequestState};
    let mut canceled = 0;
    for stored in store::requests::of_requestor(conn, user).await? {
        let open = matches!(
            stored.request.state,
            RequestState::Submitted | RequestState::PendingApproval | RequestState::Approved
        );
        if !open {
            continue;
        }
        let package = store::catalogs::get_package(conn, &stored.request.access_package_id).await?;
        let policy = store::catalogs::get_policy(conn, &stored.request.policy_id).await?;
        let (Some(package), Some(policy)) = (package, policy) else {
            continue;
        };
        let event = RequestEvent::Cancel { by: user.clone() };
        match crate::lifecycle::advance(conn, &stored, &policy, &package, &event, None, now).await {
            Ok(_) => canceled += 1,
            Err(crate::lifecycle::LifecycleError::Database(error)) => return Err(error.into()),
            // Changed meanwhile, or past cancelling: delivery handles it as for anyone.
            Err(_) => {}
        }
    }
    Ok(canceled)
}

/// The rules a group's new attributes must meet: a free name, members who exist.
async fn check_group(
    conn: &mut AnyConnection,
    fields: &GroupFields,
    id: Option<&str>,
) -> Result<(), ApiError> {
    if store::scim::group_name_taken(conn, &fields.display_name, id).await? {
        return Err(ScimError::uniqueness(format!(
            "Another group is named {:?}.",
            fields.display_name
        ))
        .into());
    }
    for member in &fields.members {
        if !store::scim::user_exists(conn, member).await? {
            return Err(invalid_value(format!(
                "The member {member:?} is not a User."
            )));
        }
    }
    Ok(())
}

/// Creates a directory group with its members; returns its id.
pub(crate) async fn create_group(
    conn: &mut AnyConnection,
    token: &str,
    fields: &GroupFields,
    now: OffsetDateTime,
) -> Result<String, ApiError> {
    check_group(conn, fields, None).await?;
    let group = entrada_domain::directory::Group {
        id: entrada_domain::ids::GroupId(store::new_id()),
        name: fields.display_name.clone(),
        description: String::new(),
        owners: Vec::new(),
    };
    store::directory::insert_group(conn, &group)
        .await
        .map_err(|error| {
            match error
                .as_database_error()
                .is_some_and(|db| db.is_unique_violation())
            {
                true => ScimError::uniqueness(format!(
                    "Another group is named {:?}.",
                    fields.display_name
                ))
                .into(),
                false => ApiError::Database(error),
            }
        })?;
    let id = group.id.as_str();
    let (added, _) = store::scim::set_directory_members(conn, id, &fields.members).await?;
    store::scim::touch(
        conn,
        "group",
        id,
        fields.external_id.as_deref(),
        None,
        now,
        now,
    )
    .await?;
    let event = event(now, AuditAction::ScimGroupCreated, "group", id, token)
        .with_detail("name", &fields.display_name)
        .with_detail("membersAdded", added.to_string());
    store::audit::append(conn, &event).await?;
    Ok(group.id.0)
}

/// Gives a group the attributes `fields`: its name, and the directory's members exactly
/// `fields.members` (Entrada's members stay).
pub(crate) async fn replace_group(
    conn: &mut AnyConnection,
    token: &str,
    current: &ScimGroup,
    fields: &GroupFields,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    let id = current.id.as_str();
    check_group(conn, fields, Some(id)).await?;
    if fields.display_name != current.display_name {
        store::scim::rename_group(conn, id, &fields.display_name)
            .await
            .map_err(|error| {
                match error
                    .as_database_error()
                    .is_some_and(|db| db.is_unique_violation())
                {
                    true => ScimError::uniqueness(format!(
                        "Another group is named {:?}.",
                        fields.display_name
                    ))
                    .into(),
                    false => ApiError::Database(error),
                }
            })?;
    }
    let (added, removed) = store::scim::set_directory_members(conn, id, &fields.members).await?;
    let renamed = fields.display_name != current.display_name;
    if !renamed && added == 0 && removed == 0 && fields.external_id == current.external_id {
        return Ok(());
    }
    let created = current.meta.created.unwrap_or(now);
    store::scim::touch(
        conn,
        "group",
        id,
        fields.external_id.as_deref(),
        None,
        created,
        now,
    )
    .await?;
    let mut event = event(now, AuditAction::ScimGroupChanged, "group", id, token)
        .with_detail("membersAdded", added.to_string())
        .with_detail("membersRemoved", removed.to_string());
    if renamed {
        event = event.with_detail("name", &fields.display_name);
    }
    store::audit::append(conn, &event).await?;
    Ok(())
}

/// Deletes a directory group no catalog holds.
pub(crate) async fn delete_group(
    conn: &mut AnyConnection,
    token: &str,
    current: &ScimGroup,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    if store::scim::group_in_a_catalog(conn, &current.id).await? {
        return Err(ScimError::status(
            409,
            format!(
                "The group {:?} is a resource of a catalog, so Entrada's access packages grant it: remove it from its catalogs in Entrada first.",
                current.display_name
            ),
        )
        .into());
    }
    if !store::scim::delete_group(conn, &current.id).await? {
        return Err(ScimError::not_found("Group", &current.id).into());
    }
    store::scim::forget(conn, "group", &current.id).await?;
    let event = event(
        now,
        AuditAction::ScimGroupDeleted,
        "group",
        &current.id,
        token,
    )
    .with_detail("name", &current.display_name)
    .with_detail("members", current.members.len().to_string());
    store::audit::append(conn, &event).await?;
    Ok(())
}

/// What the Integrations page shows of SCIM: the tokens, and SCIM's writes to people and
/// groups since `since`, from the audit log.
pub(crate) async fn status(
    db: &AnyPool,
    since: OffsetDateTime,
) -> Result<entrada_domain::api::ScimStatus, sqlx::Error> {
    let mut conn = db.acquire().await?;
    let tokens = store::scim::tokens(&mut conn)
        .await?
        .into_iter()
        .map(|row| entrada_domain::api::ScimTokenView {
            name: row.name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked: row.revoked,
        })
        .collect();
    let writes_last_30_days = store::scim::writes_since(&mut conn, since)
        .await?
        .into_iter()
        .filter_map(|(action, count)| {
            let action = AuditAction::parse(&action)?;
            // Token changes come from the command line, not from the provider.
            let by_provider = !matches!(
                action,
                AuditAction::ScimTokenCreated | AuditAction::ScimTokenRevoked
            );
            by_provider.then_some(entrada_domain::api::ScimWriteCount { action, count })
        })
        .collect();
    Ok(entrada_domain::api::ScimStatus {
        tokens,
        writes_last_30_days,
    })
}
