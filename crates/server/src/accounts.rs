//! Creating accounts from the command line (`entrada user add`).

use entrada_domain::api::looks_like_email;
use entrada_domain::audit::AuditAction;
use entrada_domain::audit::AuditEvent;
use entrada_domain::directory::{User, UserKind, UserState};
use entrada_domain::ids::{AuditEventId, UserId};
use entrada_domain::permission::GlobalRole;
use sqlx::AnyPool;
use time::OffsetDateTime;

use crate::password::{self, MIN_PASSWORD_LENGTH};
use crate::store;

/// A new member's details.
#[derive(Debug, Clone)]
pub struct NewMember {
    /// Sign-in e-mail.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Whether the person is an administrator.
    pub administrator: bool,
    /// Their password.
    pub password: String,
}

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum AddUserError {
    /// The e-mail address is not shaped like one.
    #[error("{0:?} is not an e-mail address")]
    BadEmail(String),
    /// The name is empty.
    #[error("the name must not be empty")]
    EmptyName,
    /// The password is too short.
    #[error("the password must have at least {MIN_PASSWORD_LENGTH} characters")]
    ShortPassword,
    /// Someone already has that e-mail.
    #[error("an account with the e-mail {0} already exists")]
    Duplicate(String),
    /// Hashing failed.
    #[error("hashing the password failed: {0}")]
    Password(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Creates a member (an administrator when asked) who can sign in with the password.
pub async fn add_member(
    db: &AnyPool,
    member: NewMember,
    now: OffsetDateTime,
) -> Result<UserId, AddUserError> {
    let email = member.email.trim().to_lowercase();
    if !looks_like_email(&email) {
        return Err(AddUserError::BadEmail(member.email));
    }
    let display_name = member.display_name.trim().to_owned();
    if display_name.is_empty() {
        return Err(AddUserError::EmptyName);
    }
    if member.password.chars().count() < MIN_PASSWORD_LENGTH {
        return Err(AddUserError::ShortPassword);
    }
    let hash = password::hash(member.password)
        .await
        .map_err(AddUserError::Password)?;
    let user = User {
        id: UserId(store::new_id()),
        email: email.clone(),
        display_name,
        kind: UserKind::Member,
        state: UserState::Active,
        department: None,
        job_title: None,
        manager: None,
        connected_organization: None,
    };
    let mut tx = crate::db::begin(db).await?;
    if let Err(error) = store::users::insert(&mut tx, &user, Some(&hash), now).await {
        return Err(
            match error
                .as_database_error()
                .is_some_and(|db| db.is_unique_violation())
            {
                true => AddUserError::Duplicate(email),
                false => AddUserError::Database(error),
            },
        );
    }
    if member.administrator {
        store::users::grant_global_role(&mut tx, &user.id, GlobalRole::Administrator).await?;
    }
    let event = AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        None,
        AuditAction::UserCreated,
        "user",
        user.id.as_str(),
    )
    .with_detail("email", email)
    .with_detail("administrator", member.administrator.to_string());
    store::audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(user.id)
}
