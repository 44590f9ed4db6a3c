//! Imports through the API: the roster and the departments from an `.xlsx`
//! or `.csv` upload (multipart, the attachments' form), previewed with
//! `dry_run=true` (the default) and imported with `dry_run=false`; and the
//! templates to fill in.

use axum::extract::State;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::audit::AuditVia;
use crate::domain::dates::parse_optional_id;
use crate::domain::roles::Role::Staff;
use crate::domain::validation::FieldError;
use crate::http::auth::{Access, ApiActor, ApiQuery};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::files::{file_response, read_upload, upload_route};
use crate::http::{route, AppState, RouteSpec};
use crate::services::error::AppError;
use crate::services::imports::{
    self as service, ImportFile, ImportKind, ImportReport, Importer, Mode, TemplateFormat,
};
use crate::services::Actor;

pub fn routes() -> Vec<RouteSpec> {
    const STAFF: Access = Access::Roles(&[Staff]);
    vec![
        upload_route(route(
            Method::POST,
            "/api/v1/members/import",
            STAFF,
            import_members,
        )),
        upload_route(route(
            Method::POST,
            "/api/v1/departments/import",
            STAFF,
            import_departments,
        )),
        route(
            Method::GET,
            "/api/v1/members/import/template",
            STAFF,
            member_template,
        ),
        route(
            Method::GET,
            "/api/v1/departments/import/template",
            STAFF,
            department_template,
        ),
    ]
}

/// How an import runs.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ImportParams {
    /// true (default): only the preview, nothing written; false: import,
    /// all or nothing.
    dry_run: Option<String>,
    /// The committee to import into (id); your own by default.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    /// The `preview` a dry run answered: the import is refused (409) when
    /// the preview made now differs.
    preview: Option<String>,
}

/// The template's format.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct TemplateParams {
    /// xlsx (default) | csv
    format: Option<String>,
}

fn mode_of(q: &ImportParams) -> Result<(Mode, Option<i64>), AppError> {
    let dry_run = match q.dry_run.as_deref().map(str::trim).unwrap_or("") {
        "" | "true" | "1" => true,
        "false" | "0" => false,
        _ => {
            return Err(AppError::BadRequest(
                FieldError::new("dry_run", "invalid_choice").into(),
            ))
        }
    };
    let org = parse_optional_id("org", q.org.as_deref().unwrap_or(""))
        .map_err(|e| AppError::BadRequest(e.into()))?;
    let expect = q
        .preview
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    Ok((Mode { dry_run, expect }, org))
}

async fn import(
    state: &AppState,
    actor: &Actor,
    kind: ImportKind,
    q: &ImportParams,
    request: axum::extract::Request,
) -> ApiResult {
    // The body is read first (a refusal leaves the connection usable); a
    // file over the limit is not kept while it arrives.
    let (upload, _) = read_upload(request, service::MAX_BYTES)
        .await
        .for_api(actor.locale)?;
    let (mode, org) = mode_of(q).for_api(actor.locale)?;
    if upload.missing {
        return Err(AppError::from(FieldError::new("file", "required"))).for_api(actor.locale);
    }
    if upload.too_large {
        return Err(service::too_large()).for_api(actor.locale);
    }
    let who = Importer {
        actor,
        via: AuditVia::Api,
    };
    let file = ImportFile {
        name: &upload.name,
        bytes: &upload.bytes,
    };
    let report = service::run(
        &state.db,
        &state.cipher,
        &who,
        kind,
        org,
        file,
        &mode,
        &service::no_progress,
    )
    .await
    .for_api(actor.locale)?;
    Ok(Json(report).into_response())
}

#[utoipa::path(post, path = "/api/v1/members/import", tag = "members", params(ImportParams),
    request_body(content = crate::http::files::UploadForm, content_type = "multipart/form-data",
        description = "`file`: the roster as .xlsx or .csv, filled in from the template (16 MiB at most)"),
    description = "Members matched by ID number: the preview lists, row by row, what is created, what updated (the fields that change) and every problem with its row and column. With `dry_run=false` everything is imported in one transaction, or nothing while a problem is left (422, each problem named by row and column); each member is checked as the member form checks it and audited, and the import has its own audit row with the counts.",
    responses((status = 200, body = ImportReport, description = "the preview, or what was imported"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "records changed since the preview given"),
        (status = 422, body = ErrorBody, description = "the file, or a row, has a problem: nothing imported")))]
pub async fn import_members(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ImportParams>,
    request: axum::extract::Request,
) -> ApiResult {
    import(&state, &actor, ImportKind::Members, &q, request).await
}

#[utoipa::path(post, path = "/api/v1/departments/import", tag = "orgs", params(ImportParams),
    request_body(content = crate::http::files::UploadForm, content_type = "multipart/form-data",
        description = "`file`: the departments as .xlsx or .csv, filled in from the template"),
    description = "Departments matched by name within the committee: new ones created, a changed contact updated; all or nothing, as the members' import.",
    responses((status = 200, body = ImportReport, description = "the preview, or what was imported"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "records changed since the preview given"),
        (status = 422, body = ErrorBody, description = "the file, or a row, has a problem: nothing imported")))]
pub async fn import_departments(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ImportParams>,
    request: axum::extract::Request,
) -> ApiResult {
    import(&state, &actor, ImportKind::Departments, &q, request).await
}

fn template_response(actor: &Actor, kind: ImportKind, q: &TemplateParams) -> ApiResult {
    let format = TemplateFormat::parse(q.format.as_deref().unwrap_or(""))
        .map_err(|e| AppError::BadRequest(e.into()))
        .for_api(actor.locale)?;
    let (bytes, name) = service::template(actor, kind, format).for_api(actor.locale)?;
    Ok(file_response(bytes, format.content_type(), &name))
}

#[utoipa::path(get, path = "/api/v1/members/import/template", tag = "members", params(TemplateParams),
    responses((status = 200, description = "The roster's template: Chinese headers, an example row (left out when imported as it is) and notes",
            content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn member_template(
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<TemplateParams>,
) -> ApiResult {
    template_response(&actor, ImportKind::Members, &q)
}

#[utoipa::path(get, path = "/api/v1/departments/import/template", tag = "orgs", params(TemplateParams),
    responses((status = 200, description = "The departments' template",
            content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn department_template(
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<TemplateParams>,
) -> ApiResult {
    template_response(&actor, ImportKind::Departments, &q)
}
