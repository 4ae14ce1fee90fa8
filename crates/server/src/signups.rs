//! Signing up from outside: a pending sign-up and its message (link and code) on one
//! transaction; verification that turns it into a person of kind external, signed in; and
//! the job that deletes sign-ups nobody verified in time.
//!
//! Answers never say whether an address has an account: an address that has one gets the
//! "you already have an account" message instead of a verification, and the same 202. The
//! password is hashed either way, so the timing says little too. Failed verifications
//! count against the shared sign-in throttle (by address and by network address).

use entrada_domain::audit::AuditAction;
use entrada_domain::audit::AuditEvent;
use entrada_domain::directory::{User, UserKind, UserState};
use entrada_domain::ids::{AuditEventId, UserId};
use entrada_domain::notification::{sign_up_existing_account, sign_up_verification};
use entrada_domain::organization::configured_owner_of;
use entrada_domain::signup::{Proof, ValidSignUp, MAX_CODE_ATTEMPTS, VERIFICATION_VALID_HOURS};
use entrada_domain::{FieldError, FieldErrors};
use rand::{Rng, RngCore};
use sqlx::{AnyConnection, AnyPool};
use time::{Duration, OffsetDateTime};

use crate::http::ApiError;
use crate::store::sessions::SessionPolicy;
use crate::store::signups::{NewPending, Pending};
use crate::{password, store};

/// What the link of a used, forged or expired sign-up says.
pub(crate) const LINK_UNUSABLE: &str = "This link has expired or was already used. \
     Sign up again to get a new link and code; if you already confirmed your address, sign in.";

/// The key failed verifications count against in the sign-in throttle.
fn throttle_key(email: &str) -> String {
    format!("signup:{email}")
}

/// Refuses with 429 when the address (or the network address) tried too often.
async fn throttle(
    conn: &mut AnyConnection,
    account: &str,
    address: &str,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    if let Some(until) = store::sessions::sign_in_blocked_until(conn, account, address, now).await?
    {
        let millis = (until - now).whole_milliseconds().max(1).unsigned_abs();
        let retry_after_seconds = u64::try_from(millis.div_ceil(1000)).unwrap_or(u64::MAX);
        return Err(ApiError::TooManyAttempts {
            retry_after_seconds,
        });
    }
    Ok(())
}

/// Records a sign-up, or tells the owner of an existing account; one message either way,
/// written to the outbox on the same transaction.
pub(crate) async fn sign_up(
    db: &AnyPool,
    link_base: &str,
    form: ValidSignUp,
    address: &str,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    {
        let mut conn = db.acquire().await?;
        throttle(&mut conn, &throttle_key(&form.email), address, now).await?;
    }
    // Slow on purpose, so outside any transaction; done whether or not it is needed.
    let password_hash = password::hash(form.password.clone())
        .await
        .map_err(|error| ApiError::Database(sqlx::Error::Protocol(error)))?;
    let mut tx = crate::db::begin(db).await?;
    let existing = store::users::by_email_with_password(&mut tx, &form.email).await?;
    if let Some((user, _)) = existing {
        let email = sign_up_existing_account(link_base, &user.email, &user.display_name);
        store::outbox::enqueue(&mut tx, &email, now).await?;
        let event = AuditEvent::new(
            AuditEventId(store::new_id()),
            now,
            None,
            AuditAction::SignupExistingAccount,
            "user",
            user.id.as_str(),
        )
        .with_detail("address", address.to_owned());
        store::audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        return Ok(());
    }
    let token = random_token();
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000u32));
    let expires_at = now + Duration::hours(i64::from(VERIFICATION_VALID_HOURS));
    store::signups::replace(
        &mut tx,
        &NewPending {
            email: &form.email,
            display_name: &form.display_name,
            password_hash: &password_hash,
            token: &token,
            code: &code,
            return_path: form.return_to.as_deref(),
            expires_at,
        },
        now,
    )
    .await?;
    let email = sign_up_verification(
        link_base,
        &form.email,
        &form.display_name,
        &token,
        &code,
        VERIFICATION_VALID_HOURS,
    );
    store::outbox::enqueue(&mut tx, &email, now).await?;
    let event = AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        None,
        AuditAction::SignupRequested,
        "signup",
        &form.email,
    )
    .with_detail("email", form.email.clone())
    .with_detail("address", address.to_owned());
    store::audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// A verified sign-up: the new person, their session token and where to go.
pub(crate) struct Verified {
    pub user: User,
    pub session_token: String,
    pub return_to: String,
}

/// Verifies a sign-up by its link's token or by its address and code: creates the person
/// (kind external, linked to the configured organisation owning the domain, if any),
/// deletes the pending sign-up in the same transaction (so the link works once) and starts
/// a session. Anything else changes nothing but the throttle's count.
pub(crate) async fn verify(
    db: &AnyPool,
    proof: Proof,
    address: &str,
    previous_session: Option<&str>,
    sessions: &SessionPolicy,
    now: OffsetDateTime,
) -> Result<Verified, ApiError> {
    let account = match &proof {
        // A link names no address: forged links count against the network address only.
        Proof::Token(_) => format!("signup-link:{address}"),
        Proof::Code { email, .. } => throttle_key(email),
    };
    let mut tx = crate::db::begin(db).await?;
    throttle(&mut tx, &account, address, now).await?;
    let pending = match &proof {
        Proof::Token(token) => store::signups::by_token(&mut tx, token, now).await?,
        Proof::Code { email, code } => match store::signups::by_email(&mut tx, email, now).await? {
            Some(pending) if store::signups::hash_code(&pending.id, code) == pending.code_hash => {
                Some(pending)
            }
            Some(pending) => {
                let left =
                    store::signups::record_wrong_code(&mut tx, &pending.id, MAX_CODE_ATTEMPTS)
                        .await?;
                store::sessions::record_sign_in_failure(&mut tx, &account, address, now).await?;
                tx.commit().await?;
                return Err(wrong_code(left));
            }
            None => {
                store::sessions::record_sign_in_failure(&mut tx, &account, address, now).await?;
                tx.commit().await?;
                return Err(wrong_code(0));
            }
        },
    };
    let Some(pending) = pending else {
        store::sessions::record_sign_in_failure(&mut tx, &account, address, now).await?;
        tx.commit().await?;
        return Err(ApiError::Conflict(LINK_UNUSABLE.to_owned()));
    };
    // The DELETE's row count settles a double click: only one verification takes it.
    if !store::signups::take(&mut tx, &pending.id).await? {
        return Err(ApiError::Conflict(LINK_UNUSABLE.to_owned()));
    }
    let user = create_person(&mut tx, &pending, now).await?;
    if let Some(previous) = previous_session {
        store::sessions::delete(&mut tx, &store::sessions::hash_token(previous)).await?;
    }
    let session_token = store::sessions::create(&mut tx, &user.id, now, sessions).await?;
    let event = AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        Some(user.id.clone()),
        AuditAction::SignupVerified,
        "user",
        user.id.as_str(),
    )
    .with_detail("email", user.email.clone())
    .with_detail(
        "by",
        match proof {
            Proof::Token(_) => "link",
            Proof::Code { .. } => "code",
        },
    )
    .with_detail("address", address.to_owned());
    store::audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(Verified {
        user,
        session_token,
        return_to: pending.return_path.unwrap_or_else(|| "/".to_owned()),
    })
}

/// Creates the person a sign-up verified. An account created for the address meanwhile
/// (an administrator's, say) wins: the sign-up ends without one.
async fn create_person(
    conn: &mut AnyConnection,
    pending: &Pending,
    now: OffsetDateTime,
) -> Result<User, ApiError> {
    let person = NewExternal {
        email: &pending.email,
        display_name: &pending.display_name,
        password_hash: Some(&pending.password_hash),
        via: "signUp",
    };
    create_external(conn, &person, now)
        .await?
        .ok_or_else(|| ApiError::Conflict(LINK_UNUSABLE.to_owned()))
}

/// Someone from outside whose address was verified: by a sign-up's link or code, or by
/// the OpenID provider.
pub(crate) struct NewExternal<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    /// None for a person who signs in only through the OpenID provider.
    pub password_hash: Option<&'a str>,
    /// How the address was verified (`signUp`, `openIdProvider`), for the audit log.
    pub via: &'static str,
}

/// Creates an external person, of the connected organisation their domain belongs to
/// (when it is configured), with the `user.created` audit event; none when an account
/// has the address already.
pub(crate) async fn create_external(
    conn: &mut AnyConnection,
    person: &NewExternal<'_>,
    now: OffsetDateTime,
) -> Result<Option<User>, sqlx::Error> {
    let organizations = store::directory::all_organizations(conn).await?;
    let user = User {
        id: UserId(store::new_id()),
        email: person.email.to_owned(),
        display_name: person.display_name.to_owned(),
        kind: UserKind::External,
        state: UserState::Active,
        department: None,
        job_title: None,
        manager: None,
        connected_organization: configured_owner_of(person.email, &organizations)
            .map(|org| org.id.clone()),
    };
    if store::users::by_email_with_password(conn, &user.email)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    store::users::insert(conn, &user, person.password_hash, now).await?;
    // The person creates their own account by verifying their address.
    let event = AuditEvent::new(
        AuditEventId(store::new_id()),
        now,
        Some(user.id.clone()),
        AuditAction::UserCreated,
        "user",
        user.id.as_str(),
    )
    .with_detail("email", user.email.clone())
    .with_detail("kind", "external")
    .with_detail("verifiedBy", person.via);
    store::audit::append(conn, &event).await?;
    Ok(Some(user))
}

fn wrong_code(tries_left: u32) -> ApiError {
    let message = match tries_left {
        0 => "This code no longer works: it was wrong too many times, expired, or belongs to \
              another address. Sign up again to get a new code."
            .to_owned(),
        1 => "That code is not right. You have 1 more try.".to_owned(),
        n => format!("That code is not right. You have {n} more tries."),
    };
    ApiError::Validation(FieldErrors(vec![FieldError::new("code", message)]))
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The job: deletes sign-ups nobody verified in time.
pub(crate) async fn delete_expired(db: &AnyPool, now: OffsetDateTime) -> Result<u64, sqlx::Error> {
    let mut conn = db.acquire().await?;
    store::signups::delete_expired(&mut conn, now).await
}
