//! The JSON API under `/api/v1`, with its OpenAPI document.

mod activities;
mod archive;
mod audit;
mod cases;
mod exports;
mod imports;
mod info;
mod members;
mod notifications;
mod orgs;
mod plans;
mod points;
mod projects;
mod proposals;
mod reception;
mod reports;
mod users;

use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::auth::Access;
use super::error::{ApiResult, ForApi};
use super::{route, RouteSpec};
use crate::services::error::AppError;

/// Every list answers with its items of one page and the total across pages.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// Pages of more items than this are written out as they are serialised.
const STREAM_AFTER: usize = 100;

/// Items serialised into one piece of a streamed answer.
const ITEMS_A_PIECE: usize = 100;

/// A page answers as JSON. A long one (a whole list asked for in one page:
/// `per_page` up to 5,000) is streamed, a hundred items a piece, each item
/// dropped once written: the answer is never held whole in memory beside
/// its items, and the client reads the first items while the rest are
/// being written. The bytes are those `Json` would write.
impl<T: Serialize + Send + 'static> IntoResponse for Page<T> {
    fn into_response(self) -> Response {
        if self.items.len() <= STREAM_AFTER {
            return Json(self).into_response();
        }
        let total = self.total;
        let mut items = self.items.into_iter().peekable();
        let mut started = false;
        let mut finished = false;
        let pieces = std::iter::from_fn(move || {
            if finished {
                return None;
            }
            let mut piece = Vec::with_capacity(64 * 1024);
            if !started {
                piece.extend_from_slice(b"{\"items\":[");
            }
            for _ in 0..ITEMS_A_PIECE {
                let Some(item) = items.next() else { break };
                if started {
                    piece.push(b',');
                }
                started = true;
                if let Err(e) = serde_json::to_writer(&mut piece, &item) {
                    finished = true;
                    return Some(Err(std::io::Error::other(e)));
                }
            }
            if items.peek().is_none() {
                piece.extend_from_slice(format!("],\"total\":{total}}}").as_bytes());
                finished = true;
            }
            Some(Ok(axum::body::Bytes::from(piece)))
        });
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            axum::body::Body::from_stream(futures_util::stream::iter(pieces)),
        )
            .into_response()
    }
}

/// The page asked for, of a list that takes no other parameters.
#[derive(serde::Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PageParams {
    /// From 1.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub page: Option<String>,
    /// 1–200, default 20.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub per_page: Option<String>,
}

/// The API's routes, under `/api/v1`, with who may call each.
pub fn routes() -> Vec<RouteSpec> {
    [
        vec![route(
            Method::GET,
            "/api/v1/openapi.json",
            Access::Public,
            openapi_json,
        )],
        members::routes(),
        imports::routes(),
        orgs::routes(),
        users::routes(),
        audit::routes(),
        reception::routes(),
        cases::routes(),
        activities::routes(),
        proposals::routes(),
        info::routes(),
        projects::routes(),
        reports::routes(),
        archive::routes(),
        notifications::routes(),
        plans::routes(),
        points::routes(),
        exports::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Unknown API paths answer in the API's error format.
pub async fn not_found() -> Response {
    AppError::NotFound.into_response()
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("API token from `lvzhi token create`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "With a browser session cookie instead of a token: the session's form token, required on every change",
            ))),
        );
    }
}

/// The error answers every operation can give, documented with `ErrorBody`
/// where its own annotation did not already: 401 and 403 everywhere (no
/// token; a role that may not call it, a missing CSRF token, a password or a
/// second factor still to set); 400 and 422 where it reads a query or a body
/// (one that cannot be read, a missing `Content-Type`, a key given twice; a
/// value that is not valid, a version missing); 404 where the path names a
/// record; 409 on every change (changed since read, or not allowed in the
/// record's state).
struct ErrorAnswers;

impl ErrorAnswers {
    fn describe(status: &str) -> &'static str {
        match status {
            "400" => "the query or body cannot be read (`bad_request`, naming the field)",
            "401" => "not signed in: no token, or one that is unknown, revoked or expired",
            "403" => "the caller may not do this, or must first change their password or set up the second factor",
            "404" => "no such record, or none the caller may see",
            "409" => "changed by someone else since it was read, or not allowed in the record's state",
            _ => "a field or parameter is not valid (`validation`, one entry per field)",
        }
    }

    fn add(op: &mut utoipa::openapi::path::Operation, path: &str, method: &str) {
        use utoipa::openapi::path::ParameterIn;
        let has_query = op
            .parameters
            .iter()
            .flatten()
            .any(|p| matches!(p.parameter_in, ParameterIn::Query));
        let has_body = op.request_body.is_some();
        let mut statuses = vec!["401", "403"];
        if has_query || has_body {
            statuses.push("400");
            statuses.push("422");
        }
        if path.contains("{id}") {
            statuses.push("404");
        }
        if method != "get" {
            statuses.push("409");
        }
        for status in statuses {
            op.responses
                .responses
                .entry(status.to_string())
                .or_insert_with(|| {
                    utoipa::openapi::ResponseBuilder::new()
                        .description(Self::describe(status))
                        .content(
                            "application/json",
                            utoipa::openapi::ContentBuilder::new()
                                .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                                .build(),
                        )
                        .build()
                        .into()
                });
        }
    }
}

impl Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("get", &mut item.get),
                ("post", &mut item.post),
                ("put", &mut item.put),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
            ];
            for (method, op) in operations {
                if let Some(op) = op {
                    Self::add(op, path, method);
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "lvzhi (履职) API", description = "The duty-performance platform of a CPPCC committee. Errors answer with `ErrorBody`; lists take `page` and `per_page`."),
    paths(
        members::list, members::create, members::get, members::update, members::delete, members::timeline, members::duty_file,
        orgs::list_orgs, orgs::create_org, orgs::list_groups, orgs::create_group,
        orgs::list_communities, orgs::create_community, orgs::list_departments, orgs::create_department,
        users::list, users::create, users::set_role, users::disable, users::enable, users::reset_password,
        audit::list, audit::export,
        reception::list, reception::create, reception::schedule, reception::get_settings, reception::put_settings,
        reception::get, reception::add_visit, reception::list_holidays, reception::put_holidays,
        cases::list, cases::create, cases::figures, cases::get, cases::step,
        activities::list, activities::create, activities::get, activities::update, activities::invite,
        activities::reply, activities::attendance, activities::decide, activities::report,
        activities::list_attachments, activities::upload_to_activity, activities::download,
        activities::list_awards, activities::create_award, activities::award_step, activities::upload_to_award, activities::five_ones,
        proposals::list, proposals::create, proposals::similar, proposals::figures, proposals::compilation, proposals::get_settings,
        proposals::put_settings, proposals::get, proposals::update, proposals::step, proposals::cosign,
        proposals::search_api, proposals::upload_to_proposal,
        info::list, info::create, info::figures, info::get, info::update, info::step,
        projects::list, projects::create, projects::figures, projects::get, projects::update, projects::add_update,
        reports::summary, reports::summary_file, reports::saved_list, reports::save, reports::saved_get,
        reports::version_file, reports::withdraw,
        archive::list, archive::document, archive::document_file, archive::withdraw_document,
        archive::attachment, archive::withdraw_attachment,
        notifications::list, notifications::read,
        plans::list, plans::create, plans::get, plans::update, plans::delete, plans::copy,
        plans::add_item, plans::update_item, plans::delete_item, plans::status,
        points::list, points::member, points::get_rules, points::put_rules,
        points::add_deduction, points::withdraw_deduction,
        exports::all,
        imports::import_members, imports::import_departments, imports::member_template, imports::department_template,
    ),
    components(schemas(crate::http::error::ErrorBody, crate::http::error::FieldErrorBody)),
    modifiers(&Security, &ErrorAnswers),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

/// A JSON body read as a form would be (`http::input::as_form`): for the
/// service inputs that hold every field as text. Refused as `ApiJson` is.
pub struct JsonForm<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for JsonForm<T> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let method = req.method().clone();
        let route = req
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map(|p| p.as_str().to_string());
        let value = crate::http::auth::json_object(req, state).await?;
        // Text where the document says text: a number, true/false, a list or
        // an object there is refused, naming the field, not turned into text.
        if let Some((field, expected)) = route
            .as_deref()
            .and_then(|route| body_type_error(&method, route, &value))
        {
            let code = match expected {
                "integer" => "json_type_integer",
                "number" => "json_type_number",
                "boolean" => "json_type_boolean",
                "array" => "json_type_array",
                "object" => "json_type_object",
                _ => "json_type_string",
            };
            let error =
                crate::domain::validation::FieldError::new("body", code).with("field", field);
            return Err(AppError::Validation(error.into()).into_response());
        }
        let value = crate::http::input::as_form(value);
        crate::http::auth::read_into(value)
            .map(JsonForm)
            .map_err(|r| *r)
    }
}

/// The document as JSON, built once.
fn document() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::to_value(ApiDoc::openapi()).unwrap_or_default())
}

async fn openapi_json() -> Response {
    Json(document()).into_response()
}

/// Where a JSON body read as a form (`JsonForm`) does not have the types the
/// document gives the operation's body: the field (`visits[0].people`) and
/// the JSON type expected. Text is taken for every field, as a form sends
/// it (the service checks it); null is an absent field.
pub(crate) fn body_type_error(
    method: &Method,
    path: &str,
    body: &serde_json::Value,
) -> Option<(String, &'static str)> {
    let doc = document();
    let operation = doc
        .get("paths")?
        .get(path)?
        .get(method.as_str().to_lowercase())?;
    let schema = operation
        .get("requestBody")?
        .get("content")?
        .get("application/json")?
        .get("schema")?;
    type_error(doc, schema, body, "")
}

/// `schema` with `$ref`s followed.
fn resolved<'a>(
    doc: &'a serde_json::Value,
    mut schema: &'a serde_json::Value,
) -> &'a serde_json::Value {
    for _ in 0..8 {
        let Some(name) = schema
            .get("$ref")
            .and_then(|r| r.as_str())
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        else {
            break;
        };
        match doc.pointer(&format!("/components/schemas/{name}")) {
            Some(next) => schema = next,
            None => break,
        }
    }
    schema
}

fn type_error(
    doc: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
) -> Option<(String, &'static str)> {
    use serde_json::Value;
    let schema = resolved(doc, schema);
    if value.is_null() {
        return None;
    }
    // Option<T> of a named type: one of null and T.
    for key in ["oneOf", "anyOf"] {
        if let Some(choices) = schema.get(key).and_then(Value::as_array) {
            let errors: Vec<_> = choices
                .iter()
                .map(|c| type_error(doc, c, value, at))
                .collect();
            return if errors.iter().any(Option::is_none) {
                None
            } else {
                errors.into_iter().flatten().next()
            };
        }
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    let has = |t: &str| types.contains(&t);
    let field = || {
        if at.is_empty() {
            "body".to_string()
        } else {
            at.to_string()
        }
    };
    let expected = || -> &'static str {
        ["integer", "number", "boolean", "array", "object", "string"]
            .into_iter()
            .find(|t| has(t))
            .unwrap_or("string")
    };
    let fits = match value {
        // Text is what a form sends for every field: the service reads it
        // and names the field when it is not a number, a date or a choice.
        Value::String(_) => true,
        Value::Number(n) => has("number") || (has("integer") && (n.is_i64() || n.is_u64())),
        Value::Bool(_) => has("boolean"),
        Value::Array(items) => {
            if !has("array") {
                return Some((field(), expected()));
            }
            let item_schema = schema.get("items").unwrap_or(&Value::Null);
            return items
                .iter()
                .enumerate()
                .find_map(|(i, item)| type_error(doc, item_schema, item, &format!("{at}[{i}]")));
        }
        Value::Object(fields) => {
            if !has("object") {
                return Some((field(), expected()));
            }
            let properties = schema.get("properties");
            return fields.iter().find_map(|(name, v)| {
                let inner = properties?.get(name)?;
                let path = if at.is_empty() {
                    name.clone()
                } else {
                    format!("{at}.{name}")
                };
                type_error(doc, inner, v, &path)
            });
        }
        Value::Null => true,
    };
    (!fits).then(|| (field(), expected()))
}

/// An upload to `owner`, as the API answers it.
pub(crate) async fn upload(
    state: &super::AppState,
    actor: &crate::services::Actor,
    owner: crate::services::attachments::Owner,
    request: axum::extract::Request,
) -> ApiResult {
    use crate::services::attachments::{attach, Store};
    let store = Store::from_settings(&state.settings);
    let (upload, _) = super::files::read_upload(request, store.max_bytes)
        .await
        .for_api(actor.locale)?;
    let attachment = attach(&state.db, &store, actor, owner, &upload)
        .await
        .for_api(actor.locale)?;
    Ok((axum::http::StatusCode::CREATED, Json(attachment)).into_response())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod page_tests {
    use super::*;

    #[derive(Serialize, Clone)]
    struct Item {
        id: i64,
        title: String,
    }

    /// Short or long, streamed or not: the bytes `Json` would write.
    #[tokio::test]
    async fn a_long_page_streams_the_bytes_json_would_write() {
        for n in [0, 1, 100, 101, 199, 200, 201, 1234] {
            let items: Vec<Item> = (0..n)
                .map(|id| Item {
                    id,
                    title: format!("关于\"{id}\"号\n提案的建议"),
                })
                .collect();
            let expected = serde_json::to_vec(&Page {
                items: items.clone(),
                total: n + 7,
            })
            .unwrap();
            let answer = Page {
                items,
                total: n + 7,
            }
            .into_response();
            assert_eq!(answer.status(), axum::http::StatusCode::OK);
            assert_eq!(
                answer.headers()[axum::http::header::CONTENT_TYPE],
                "application/json"
            );
            let bytes = axum::body::to_bytes(answer.into_body(), usize::MAX)
                .await
                .unwrap();
            assert_eq!(bytes.as_ref(), expected.as_slice(), "{n} items");
        }
    }
}
