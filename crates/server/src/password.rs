//! Password hashing with Argon2id. Hashing is slow on purpose, so it runs on the blocking
//! thread pool, never on the async workers.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::OnceLock;

/// Shortest password accepted for a new account (the domain's rule, shared with sign-ups).
pub use entrada_domain::signup::MIN_PASSWORD_LENGTH;

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| error.to_string())
    })
    .await
    .map_err(|error| error.to_string())?
}

/// Whether `password` matches `stored`. With no stored hash (unknown e-mail, or an account
/// that cannot sign in) a dummy hash is checked, so the answer takes as long either way.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let stored_or_dummy = stored.clone().unwrap_or_else(|| dummy_hash().to_owned());
        let matches = PasswordHash::new(&stored_or_dummy)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        matches && stored.is_some()
    })
    .await
    .unwrap_or(false)
}

/// An Argon2id hash of a random string nobody knows, made once per process.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let secret = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(secret.as_str().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}
