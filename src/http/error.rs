//! Errors at the HTTP edge: a service's `AppError` becomes a status and a
//! JSON body (API) or an error page (pages), in the caller's language; an
//! internal error is logged here with its whole cause chain.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::i18n::{self, Locale};
use crate::services::error::AppError;

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

/// The HTTP status of an error.
pub fn status(error: &AppError) -> StatusCode {
    match error {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden
        | AppError::PasswordChangeRequired
        | AppError::TotpEnrollmentRequired => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The JSON body of an error in the given language.
pub fn body(error: &AppError, locale: Locale) -> ErrorBody {
    let fields = match error {
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
        error: error.code().to_string(),
        message: error.message(locale),
        fields,
    }
}

/// Log an internal error with every cause in its chain; the caller sees
/// only that something failed.
pub fn log_internal(error: &AppError) {
    if let AppError::Internal(cause) = error {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(next) = source {
            chain.push_str(": ");
            chain.push_str(&next.to_string());
            source = next.source();
        }
        tracing::error!(error = %chain, "internal error");
    }
}

/// An error as the API answers it: status and JSON body in `locale`.
pub fn json(error: AppError, locale: Locale) -> Response {
    log_internal(&error);
    let retry = matches!(error, AppError::Unavailable(_));
    let mut response = (status(&error), Json(body(&error, locale))).into_response();
    if retry {
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
        );
    }
    response
}

/// When to ask again after a 503 (the index of a province builds in seconds).
const RETRY_AFTER_SECONDS: &str = "5";

/// An error answered before the caller's language is known.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        json(self, Locale::default())
    }
}

/// What an API handler returns when it fails: the error and the language
/// to say it in. Handlers return `Result<_, ApiError>` and use `?`.
#[derive(Debug)]
pub struct ApiError {
    error: AppError,
    locale: Locale,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json(self.error, self.locale)
    }
}

/// Turns a service's result into an API handler's, in the caller's language.
pub trait ForApi<T> {
    fn for_api(self, locale: Locale) -> Result<T, ApiError>;
}

impl<T, E: Into<AppError>> ForApi<T> for Result<T, E> {
    fn for_api(self, locale: Locale) -> Result<T, ApiError> {
        self.map_err(|e| ApiError {
            error: e.into(),
            locale,
        })
    }
}

/// An API answer: the value as JSON, or the error.
pub type ApiResult = Result<Response, ApiError>;
