//! Signing up from outside the organisation: the form's rules, the verification code's
//! shape, and which return paths a sign-up may carry. The browser checks as the person
//! types and the server checks again with the same functions.

use serde::{Deserialize, Serialize};

use crate::api::{looks_like_email, Me};
use crate::error::{FieldError, FieldErrors};

/// Shortest password accepted for a new account (sign-ups and `entrada user add`).
pub const MIN_PASSWORD_LENGTH: usize = 10;
/// Longest password accepted: hashing is slow on purpose, so its input is bounded.
pub const MAX_PASSWORD_LENGTH: usize = 256;
/// Longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_LENGTH: usize = 254;
/// Longest display name.
pub const MAX_NAME_LENGTH: usize = 100;
/// Longest return path kept with a sign-up.
pub const MAX_RETURN_PATH_LENGTH: usize = 500;
/// How many digits a verification code has.
pub const CODE_DIGITS: usize = 6;
/// How long a sign-up may wait for its verification, in hours.
pub const VERIFICATION_VALID_HOURS: u32 = 24;
/// After this many wrong codes a pending sign-up is void.
pub const MAX_CODE_ATTEMPTS: u32 = 5;

/// Body of `POST /signup`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignUpBody {
    /// E-mail address; it becomes the sign-in name once verified.
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: String,
    /// The name other people see.
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub display_name: String,
    /// At least 10 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 10, max_length = 256))]
    pub password: String,
    /// Where to land once verified: a local path such as `/access-packages/{id}`; anything
    /// else is ignored.
    #[serde(default)]
    pub return_to: Option<String>,
}

/// A sign-up form that passed [`validate_sign_up`]: trimmed, the address lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSignUp {
    /// E-mail address, lower-case.
    pub email: String,
    /// Display name, trimmed.
    pub display_name: String,
    /// The password as typed.
    pub password: String,
    /// The return path, when it is a safe local one.
    pub return_to: Option<String>,
}

/// Answer of `POST /signup`: the same whether or not the address already has an account,
/// so the form does not tell strangers who is a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignUpAccepted {
    /// The address the message went to, lower-case.
    pub email: String,
    /// How long the link and the code work, in hours.
    pub valid_hours: u32,
}

/// Body of `POST /signup/verify`: the token from the link, or the address and the code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VerifySignUpBody {
    /// The one-time token from the link.
    #[serde(default)]
    pub token: Option<String>,
    /// The address signed up with (with `code`).
    #[serde(default)]
    pub email: Option<String>,
    /// The 6-digit code from the message (with `email`).
    #[serde(default)]
    pub code: Option<String>,
}

/// What a verification proves: a token, or an address with its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// The one-time token from the link.
    Token(String),
    /// The address (lower-case) and the code (6 digits).
    Code {
        /// E-mail address, lower-case.
        email: String,
        /// The code, digits only.
        code: String,
    },
}

/// Answer of `POST /signup/verify`: the person, now signed in, and where to go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignUpVerified {
    /// The signed-in person (kind `external` until a first request is approved).
    pub me: Me,
    /// The local path to open next (the package the person came from, else `/`).
    pub return_to: String,
}

/// Checks the sign-up form; every problem at once, each on its field.
pub fn validate_sign_up(body: &SignUpBody) -> Result<ValidSignUp, FieldErrors> {
    let mut errors = Vec::new();
    let email = body.email.trim().to_lowercase();
    if let Some(message) = email_problem(&email) {
        errors.push(FieldError::new("email", message));
    }
    let display_name = body.display_name.trim().to_owned();
    if display_name.is_empty() {
        errors.push(FieldError::new("displayName", "Enter your name."));
    } else if display_name.chars().count() > MAX_NAME_LENGTH {
        errors.push(FieldError::new(
            "displayName",
            format!("Use at most {MAX_NAME_LENGTH} characters."),
        ));
    } else if display_name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "displayName",
            "Use letters, digits, spaces and punctuation only.",
        ));
    }
    if let Some(message) = password_problem(&body.password, &email) {
        errors.push(FieldError::new("password", message));
    }
    FieldErrors::into_result(errors, || ValidSignUp {
        email,
        display_name,
        password: body.password.clone(),
        return_to: body.return_to.as_deref().and_then(safe_return_path),
    })
}

/// What is wrong with an e-mail address (already trimmed and lower-cased), if anything.
pub fn email_problem(email: &str) -> Option<String> {
    if email.is_empty() {
        Some("Enter your e-mail address.".to_owned())
    } else if email.chars().count() > MAX_EMAIL_LENGTH {
        Some(format!("Use at most {MAX_EMAIL_LENGTH} characters."))
    } else if !looks_like_email(email) || email.chars().any(char::is_control) {
        Some("Enter an e-mail address such as name@example.com.".to_owned())
    } else {
        None
    }
}

/// What is wrong with a new password, if anything.
pub fn password_problem(password: &str, email: &str) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LENGTH {
        Some(format!(
            "Use at least {MIN_PASSWORD_LENGTH} characters ({length} so far)."
        ))
    } else if length > MAX_PASSWORD_LENGTH {
        Some(format!("Use at most {MAX_PASSWORD_LENGTH} characters."))
    } else if password.trim().is_empty() {
        Some("Use some characters other than spaces.".to_owned())
    } else if !email.is_empty() && password.trim().eq_ignore_ascii_case(email) {
        Some("Choose a password other than your e-mail address.".to_owned())
    } else {
        None
    }
}

/// Checks a verification: a token, or an address with a 6-digit code (spaces allowed
/// between the digits, as people copy them from a message).
pub fn validate_verification(body: &VerifySignUpBody) -> Result<Proof, FieldErrors> {
    if let Some(token) = body
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        return Ok(Proof::Token(token.to_owned()));
    }
    let mut errors = Vec::new();
    let email = body.email.as_deref().unwrap_or("").trim().to_lowercase();
    if let Some(message) = email_problem(&email) {
        errors.push(FieldError::new("email", message));
    }
    let code = normalize_code(body.code.as_deref().unwrap_or(""));
    if let Err(message) = &code {
        errors.push(FieldError::new("code", message.clone()));
    }
    FieldErrors::into_result(errors, || Proof::Code {
        email,
        code: code.unwrap_or_default(),
    })
}

/// The code's digits, or what is wrong with it.
pub fn normalize_code(text: &str) -> Result<String, String> {
    let code: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if code.is_empty() {
        Err("Enter the 6-digit code from the message.".to_owned())
    } else if code.chars().count() != CODE_DIGITS || !code.chars().all(|c| c.is_ascii_digit()) {
        Err(format!("The code has {CODE_DIGITS} digits, like 482913."))
    } else {
        Ok(code)
    }
}

/// `text` when it is a path on this site (`/access-packages/…`): it starts with one `/`,
/// and has no scheme, no host, no backslash and no control characters, so a sign-up link
/// cannot send anyone to another site.
pub fn safe_return_path(text: &str) -> Option<String> {
    let path = text;
    let safe = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.contains("://")
        && path.chars().count() <= MAX_RETURN_PATH_LENGTH
        && !path.chars().any(|c| c.is_control() || c.is_whitespace());
    safe.then(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(email: &str, name: &str, password: &str) -> SignUpBody {
        SignUpBody {
            email: email.to_owned(),
            display_name: name.to_owned(),
            password: password.to_owned(),
            return_to: None,
        }
    }

    fn fields(result: Result<ValidSignUp, FieldErrors>) -> Vec<String> {
        match result {
            Ok(_) => Vec::new(),
            Err(errors) => errors.0.into_iter().map(|e| e.field).collect(),
        }
    }

    #[test]
    fn a_good_sign_up_is_trimmed_and_its_address_lower_cased() {
        let valid = validate_sign_up(&SignUpBody {
            return_to: Some("/access-packages/ap-1".to_owned()),
            ..body("  Kim@Fabrikam.Example ", " Kim Lee ", "correct horse")
        })
        .unwrap();
        assert_eq!(valid.email, "kim@fabrikam.example");
        assert_eq!(valid.display_name, "Kim Lee");
        assert_eq!(valid.return_to.as_deref(), Some("/access-packages/ap-1"));
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        assert_eq!(
            fields(validate_sign_up(&body("kim@", "", "short"))),
            ["email", "displayName", "password"]
        );
        assert_eq!(
            fields(validate_sign_up(&body(
                "kim fabrikam.example",
                "Kim",
                "long enough pass"
            ))),
            ["email"]
        );
        assert_eq!(
            fields(validate_sign_up(&body(
                "kim@fabrikam.example",
                "Kim",
                "          "
            ))),
            ["password"]
        );
        assert_eq!(
            fields(validate_sign_up(&body(
                "kim@fabrikam.example",
                "Kim",
                "KIM@fabrikam.example"
            ))),
            ["password"]
        );
        let long_name = "n".repeat(MAX_NAME_LENGTH + 1);
        assert_eq!(
            fields(validate_sign_up(&body(
                "kim@fabrikam.example",
                &long_name,
                "long enough pass"
            ))),
            ["displayName"]
        );
        let long_password = "p".repeat(MAX_PASSWORD_LENGTH + 1);
        assert_eq!(
            fields(validate_sign_up(&body(
                "kim@fabrikam.example",
                "Kim",
                &long_password
            ))),
            ["password"]
        );
    }

    #[test]
    fn the_password_message_counts_what_was_typed() {
        let errors = validate_sign_up(&body("kim@fabrikam.example", "Kim", "abc")).unwrap_err();
        assert_eq!(
            errors.for_field("password"),
            Some("Use at least 10 characters (3 so far).")
        );
    }

    #[test]
    fn only_local_paths_are_kept_as_return_paths() {
        for good in ["/access-packages/ap-1", "/", "/my-access?tab=held"] {
            assert_eq!(safe_return_path(good).as_deref(), Some(good), "{good}");
        }
        for bad in [
            "https://evil.test/",
            "//evil.test/x",
            "/\\evil.test",
            "access-packages/ap-1",
            "/a b",
            "/x\n",
            "javascript:alert(1)",
            "/redirect?to=https://evil.test",
        ] {
            assert_eq!(safe_return_path(bad), None, "{bad:?}");
        }
        let valid = validate_sign_up(&SignUpBody {
            return_to: Some("https://evil.test/".to_owned()),
            ..body("kim@fabrikam.example", "Kim", "correct horse")
        })
        .unwrap();
        assert_eq!(valid.return_to, None);
    }

    #[test]
    fn a_verification_is_a_token_or_an_address_with_six_digits() {
        let token = VerifySignUpBody {
            token: Some(" abc ".to_owned()),
            ..Default::default()
        };
        assert_eq!(
            validate_verification(&token),
            Ok(Proof::Token("abc".to_owned()))
        );
        let code = |email: &str, code: &str| VerifySignUpBody {
            token: None,
            email: Some(email.to_owned()),
            code: Some(code.to_owned()),
        };
        assert_eq!(
            validate_verification(&code("Kim@Fabrikam.example", "482 913")),
            Ok(Proof::Code {
                email: "kim@fabrikam.example".to_owned(),
                code: "482913".to_owned()
            })
        );
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            let errors = validate_verification(&code("kim@fabrikam.example", bad)).unwrap_err();
            assert!(errors.for_field("code").is_some(), "{bad:?}");
            assert!(errors.for_field("email").is_none(), "{bad:?}");
        }
        let errors = validate_verification(&VerifySignUpBody::default()).unwrap_err();
        assert!(errors.for_field("email").is_some());
        assert!(errors.for_field("code").is_some());
    }
}
