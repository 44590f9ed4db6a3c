//! One error type for every operation; the HTTP layer turns it into a JSON
//! answer (API) or a page (UI).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

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

/// The JSON body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `validation`, `not_found`, `conflict`.
    pub error: String,
    /// A sentence for people, in the request's language.
    pub message: String,
    /// For `validation` and `bad_request`: one entry per invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden
            | AppError::PasswordChangeRequired
            | AppError::TotpEnrollmentRequired => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict(code) => code,
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

    pub fn body(&self, locale: Locale) -> ErrorBody {
        let fields = match self {
            AppError::Validation(errors) | AppError::BadRequest(errors) => errors
                .0
                .iter()
                .map(|e| FieldErrorBody {
                    field: e.field.to_string(),
                    code: e.code.to_string(),
                    message: i18n::field_message(locale, e),
                })
                .collect(),
            _ => Vec::new(),
        };
        ErrorBody {
            error: self.code().to_string(),
            message: self.message(locale),
            fields,
        }
    }

    /// A JSON answer in the given language.
    pub fn into_json(self, locale: Locale) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(error = %detail, "internal error");
        }
        (self.status(), Json(self.body(locale))).into_response()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.into_json(Locale::default())
    }
}
