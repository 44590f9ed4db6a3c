//! Files over HTTP: multipart uploads in, attachments and CSV exports out.

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use utoipa::ToSchema;

use super::RouteSpec;
use crate::domain::validation::FieldError;
use crate::services::attachments::{Upload, MAX_LIMIT_BYTES};
use crate::services::audit::Export;
use crate::services::error::AppError;
use crate::storage::attachments::Attachment;

/// The upload routes take bodies up to the largest configurable file, plus
/// room for the form's other parts; the configured limit is checked as the
/// file arrives.
pub const UPLOAD_BODY_LIMIT: usize = MAX_LIMIT_BYTES as usize + 1024 * 1024;

/// A route whose body may be an upload.
pub fn upload_route(spec: RouteSpec) -> RouteSpec {
    RouteSpec {
        handler: spec.handler.layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        ..spec
    }
}

/// A multipart upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// JPEG, PNG, PDF, DOCX, XLSX, PPTX or DOC, judged from the content; 20 MiB at most by default.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// photo | minutes | document | report | evidence
    category: Option<String>,
}

/// Read an upload form: the file (up to `max` bytes kept), its category and,
/// for pages, the form token.
pub async fn read_upload(request: Request, max: u64) -> Result<(Upload, String), AppError> {
    let malformed = || AppError::BadRequest(FieldError::new("body", "multipart_invalid").into());
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        // Read what was sent before answering, so the connection stays usable.
        let _ = axum::body::to_bytes(request.into_body(), UPLOAD_BODY_LIMIT).await;
        return Err(malformed());
    }
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|_| malformed())?;
    let mut upload = Upload {
        missing: true,
        ..Default::default()
    };
    let mut csrf = String::new();
    while let Some(mut field) = multipart.next_field().await.map_err(|_| malformed())? {
        match field.name().unwrap_or("") {
            "file" if upload.missing => {
                upload.missing = false;
                upload.name = field.file_name().unwrap_or("").to_string();
                while let Some(chunk) = field.chunk().await.map_err(|_| malformed())? {
                    if upload.too_large {
                        continue;
                    }
                    if (upload.bytes.len() + chunk.len()) as u64 > max {
                        upload.too_large = true;
                        upload.bytes = Vec::new();
                    } else {
                        upload.bytes.extend_from_slice(&chunk);
                    }
                }
            }
            "category" => {
                upload.category = field.text().await.map_err(|_| malformed())?;
                upload.category.truncate(64);
            }
            "csrf" => {
                csrf = field.text().await.map_err(|_| malformed())?;
                csrf.truncate(256);
            }
            _ => {
                // Unknown parts are read and dropped.
                while field.chunk().await.map_err(|_| malformed())?.is_some() {}
            }
        }
    }
    Ok((upload, csrf))
}

/// A file as a download under its original name.
pub fn download_response(attachment: &Attachment, bytes: Vec<u8>) -> Response {
    let disposition = crate::domain::attachments::content_disposition(&attachment.original_name);
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&attachment.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

/// An export as a download.
pub fn csv_response(export: Export) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", export.filename);
    let mut response = export.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(v) = HeaderValue::from_str(&export.rows.to_string()) {
        headers.insert("x-row-count", v);
    }
    response
}
