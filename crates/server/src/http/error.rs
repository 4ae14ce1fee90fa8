//! The one error type of the HTTP API, rendered as RFC 9457 `application/problem+json`.
//! Each variant exists for one status of api.md; causes of 5xx are logged, never shown.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use entrada_domain::api::{Problem, ProblemType};
use entrada_domain::{FieldError, FieldErrors};

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON or has the wrong shape (400).
    #[error("{0}")]
    BadRequest(String),
    /// No session cookie (401).
    #[error("not signed in")]
    NotSignedIn,
    /// The session cookie names a session that ended (401).
    #[error("session expired")]
    SessionExpired,
    /// Wrong e-mail or password (401).
    #[error("wrong e-mail or password")]
    BadCredentials,
    /// A bearer token for `/metrics` that is not the operator's metrics token, or one sent
    /// to a server started without a metrics token (401).
    #[error("wrong metrics token")]
    BadMetricsToken {
        /// Whether the server has a metrics token at all.
        configured: bool,
    },
    /// Signed in but not allowed (403).
    #[error("forbidden")]
    Forbidden,
    /// Signed in but not allowed, with the reason shown to the person (403).
    #[error("forbidden: {0}")]
    ForbiddenBecause(String),
    /// Unknown id, or one the caller may not see (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// No such API path (404).
    #[error("no such API endpoint")]
    NoRoute,
    /// The path exists but not with this method (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The account may not sign in (403), with why and what to do.
    #[error("account blocked")]
    AccountBlocked(String),
    /// State conflict: already decided, already holds it, duplicate name (409).
    #[error("{0}")]
    Conflict(String),
    /// Body too large (413).
    #[error("request body too large")]
    PayloadTooLarge,
    /// A state-changing call from another web origin (403).
    #[error("cross-origin request refused")]
    CrossOrigin,
    /// Too many failed sign-ins; try again after this many seconds (429, with Retry-After).
    #[error("too many sign-in attempts")]
    TooManyAttempts {
        /// Seconds until sign-in may be tried again.
        retry_after_seconds: u64,
    },
    /// Domain validation failed (422).
    #[error(transparent)]
    Validation(#[from] FieldErrors),
    /// A SCIM request failed: answered as RFC 7644 §3.12 asks, not as a problem.
    #[error(transparent)]
    Scim(#[from] entrada_domain::scim::ScimError),
    /// No such SCIM path (404, as a SCIM error).
    #[error("no such SCIM endpoint")]
    NoRouteInScim,
    /// The database failed (500).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotSignedIn
            | ApiError::SessionExpired
            | ApiError::BadCredentials
            | ApiError::BadMetricsToken { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden
            | ApiError::ForbiddenBecause(_)
            | ApiError::AccountBlocked(_)
            | ApiError::CrossOrigin => StatusCode::FORBIDDEN,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotFound(_) | ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Scim(error) => {
                StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            ApiError::NoRouteInScim => StatusCode::NOT_FOUND,
            ApiError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The documented problem type of this error.
    pub fn problem_type(&self) -> ProblemType {
        match self {
            ApiError::BadRequest(_) => ProblemType::BadRequest,
            ApiError::NotSignedIn => ProblemType::NotSignedIn,
            ApiError::SessionExpired => ProblemType::SessionExpired,
            ApiError::BadCredentials | ApiError::BadMetricsToken { .. } => {
                ProblemType::BadCredentials
            }
            ApiError::Forbidden | ApiError::ForbiddenBecause(_) => ProblemType::Forbidden,
            ApiError::AccountBlocked(_) => ProblemType::AccountBlocked,
            ApiError::CrossOrigin => ProblemType::CrossOrigin,
            ApiError::TooManyAttempts { .. } => ProblemType::TooManyRequests,
            ApiError::MethodNotAllowed => ProblemType::MethodNotAllowed,
            ApiError::NotFound(_) | ApiError::NoRoute => ProblemType::NotFound,
            ApiError::Conflict(_) => ProblemType::Conflict,
            ApiError::PayloadTooLarge => ProblemType::BodyTooLarge,
            ApiError::Validation(_) => ProblemType::Validation,
            ApiError::Scim(error) => match error.status {
                400 => ProblemType::BadRequest,
                401 => ProblemType::BadCredentials,
                404 => ProblemType::NotFound,
                409 | 412 => ProblemType::Conflict,
                413 => ProblemType::BodyTooLarge,
                _ => ProblemType::ServerError,
            },
            ApiError::NoRouteInScim => ProblemType::NotFound,
            ApiError::Database(_) => ProblemType::ServerError,
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "Malformed request",
            ApiError::NotSignedIn => "Not signed in",
            ApiError::SessionExpired => "Session expired",
            ApiError::BadCredentials => "Sign-in failed",
            ApiError::BadMetricsToken { .. } => "Wrong metrics token",
            ApiError::Forbidden | ApiError::ForbiddenBecause(_) => "Not allowed",
            ApiError::AccountBlocked(_) => "Account blocked",
            ApiError::MethodNotAllowed => "Method not allowed",
            ApiError::NotFound(_) | ApiError::NoRoute => "Not found",
            ApiError::Conflict(_) => "Conflict",
            ApiError::PayloadTooLarge => "Request too large",
            ApiError::CrossOrigin => "Cross-origin request refused",
            ApiError::TooManyAttempts { .. } => "Too many sign-in attempts",
            ApiError::Validation(_) => "Some fields need attention",
            ApiError::Scim(_) => "SCIM request refused",
            ApiError::NoRouteInScim => "Not found",
            ApiError::Database(_) => "Something went wrong on our side",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::BadRequest(reason) => format!("The request body could not be read: {reason}"),
            ApiError::NotSignedIn => "Sign in to continue.".to_owned(),
            ApiError::SessionExpired => "Your session has expired. Sign in again.".to_owned(),
            ApiError::BadCredentials => {
                "That e-mail and password don't match an account.".to_owned()
            }
            ApiError::BadMetricsToken { configured: true } => {
                "The bearer token is not this server's metrics token (the one in the file given with --metrics-token-file).".to_owned()
            }
            ApiError::BadMetricsToken { configured: false } => {
                "This server was started without a metrics token. Start it with --metrics-token-file FILE, or sign in as an administrator.".to_owned()
            }
            ApiError::Forbidden => "You don't have permission to do this.".to_owned(),
            ApiError::ForbiddenBecause(reason) => reason.clone(),
            ApiError::AccountBlocked(detail) => detail.clone(),
            ApiError::MethodNotAllowed => {
                "This API path does not accept this HTTP method.".to_owned()
            }
            ApiError::NotFound(what) => format!("This {what} doesn't exist or you can't see it."),
            ApiError::NoRoute => "There is no API endpoint at this path.".to_owned(),
            ApiError::Conflict(reason) => reason.clone(),
            ApiError::PayloadTooLarge => {
                "The request body is larger than the server accepts.".to_owned()
            }
            ApiError::CrossOrigin => {
                "This request came from another web site, so it was refused. Use Entrada itself to make changes.".to_owned()
            }
            ApiError::TooManyAttempts {
                retry_after_seconds,
            } => format!(
                "Too many failed sign-ins for this account or from this network. For your security, sign-in is paused: try again in {}.",
                wait_text(*retry_after_seconds)
            ),
            ApiError::Validation(errors) => match errors.0.as_slice() {
                [only] => only.message.clone(),
                many => format!("{} fields need attention.", many.len()),
            },
            ApiError::Scim(error) => error.detail.clone(),
            ApiError::NoRouteInScim => "There is no SCIM endpoint at this path.".to_owned(),
            ApiError::Database(_) => {
                "The server could not complete the request. It has been logged; try again."
                    .to_owned()
            }
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            ApiError::Validation(errors) => errors.0.clone(),
            _ => Vec::new(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED {
            tracing::error!(error = %self, "request failed");
        }
        if let ApiError::Scim(_) | ApiError::NoRouteInScim = self {
            return crate::http::scim::error_response(status, &self);
        }
        let problem = Problem {
            problem_type: self.problem_type().uri().to_owned(),
            title: self.title().to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            errors: self.field_errors(),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if let ApiError::TooManyAttempts {
            retry_after_seconds,
        } = self
        {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(retry_after_seconds),
            );
        }
        response
    }
}

/// "3 minutes", "1 minute", "40 seconds": a wait a person can read.
fn wait_text(seconds: u64) -> String {
    match seconds {
        0..=59 => format!(
            "{} second{}",
            seconds.max(1),
            if seconds > 1 { "s" } else { "" }
        ),
        _ => {
            let minutes = seconds.div_ceil(60);
            format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
        }
    }
}

/// Maps a unique violation to a 409 with `message`; other errors pass through.
pub(crate) trait OnConflict<T> {
    fn on_conflict(self, message: &str) -> Result<T, ApiError>;
}

impl<T> OnConflict<T> for Result<T, sqlx::Error> {
    fn on_conflict(self, message: &str) -> Result<T, ApiError> {
        self.map_err(|error| {
            match error
                .as_database_error()
                .is_some_and(|db| db.is_unique_violation())
            {
                true => ApiError::Conflict(message.to_owned()),
                false => ApiError::Database(error),
            }
        })
    }
}
