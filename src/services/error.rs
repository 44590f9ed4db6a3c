//! One error type for every operation. It knows nothing of HTTP: the HTTP
//! layer (`http::error`) turns it into a JSON answer or a page.

use crate::app::i18n::{self, Locale};
use crate::domain::validation::{FieldError, FieldErrors};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A submitted field is invalid (422).
    #[error("invalid input: {0}")]
    Validation(FieldErrors),
    /// A query parameter is invalid (400).
    #[error("bad request: {0}")]
    BadRequest(FieldErrors),
    #[error("not signed in")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// The record changed since it was read, or is still referenced (409).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("second factor must be set up")]
    TotpEnrollmentRequired,
    /// Not ready yet, to be asked again shortly (503 with `Retry-After`);
    /// the code says what is not ready, e.g. `search_warming_up`.
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    /// Something failed that the caller cannot fix (500); the cause is kept
    /// whole, so the log shows its chain.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// An internal error that has only a message (a broken invariant).
    pub fn internal(message: impl Into<String>) -> Self {
        AppError::Internal(message.into().into())
    }

    /// An internal error caused by `cause`.
    pub fn internal_from(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Box::new(cause))
    }

    /// An internal error caused by `cause` while doing what `context` says.
    pub fn internal_while(
        context: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        AppError::internal_from(Context {
            context: context.into(),
            cause: Box::new(cause),
        })
    }
}

/// What was being done when an internal error happened, with its cause.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {cause}")]
struct Context {
    context: String,
    #[source]
    cause: Box<dyn std::error::Error + Send + Sync>,
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        AppError::internal_from(error)
    }
}

impl From<crate::security::crypto::EncryptError> for AppError {
    fn from(error: crate::security::crypto::EncryptError) -> Self {
        AppError::internal_from(error)
    }
}

impl From<crate::security::HashError> for AppError {
    fn from(error: crate::security::HashError) -> Self {
        AppError::internal_from(error)
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::Validation(FieldErrors::single(error))
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Validation(errors)
    }
}

impl AppError {
    /// The machine-readable code: `validation`, `not_found`, a conflict's own code….
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict(code) | AppError::Unavailable(code) => code,
            AppError::PasswordChangeRequired => "password_change_required",
            AppError::TotpEnrollmentRequired => "totp_enrollment_required",
            AppError::Internal(_) => "internal",
        }
    }

    /// The sentence shown to people.
    pub fn message(&self, locale: Locale) -> String {
        match self {
            AppError::Validation(errors) | AppError::BadRequest(errors) => {
                i18n::field_messages(locale, errors).join("；")
            }
            other => i18n::t(locale, &format!("error.http.{}", other.code())),
        }
    }
}
