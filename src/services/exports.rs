//! Lists as Excel workbooks: each list the pages show, with the filters and
//! the sort the user set, every matching row the list would show the user
//! (no paging), ID and phone numbers masked as the list masks them; and
//! "export all", one sheet per kind for a committee and a year. Each export
//! is audited (`export`, the list's object type, the format, the filters
//! and the rows).

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::activities::ActivityQuery;
use super::cases::CaseQuery;
use super::info::InfoQuery;
use super::members::MemberQuery;
use super::plans::StatusQuery;
use super::points::PointsQuery;
use super::proposals::ProposalQuery;
use super::reception::DayQuery;
use super::{non_blank, Actor};
use crate::app::i18n::{t, Locale};
use crate::documents::xlsx::{self, Cell, Sheet};
use crate::domain::activities::{ActivityKind, Attendance, Reply};
use crate::domain::audit::AuditVia;
use crate::domain::cases::{CaseSource, Satisfaction};
use crate::domain::info::InfoKind;
use crate::domain::members::{Gender, MemberStatus, Party};
use crate::domain::proposals::{AnswerClass, Category, SubmitterKind};
use crate::domain::reception::VisitOutcome;
use crate::domain::roles::Role;
use crate::domain::validation::FieldError;
use crate::services::error::AppError;
use crate::storage::orgs::Org;
use crate::storage::{activities as activity_store, audit, orgs, reception as reception_store, Db};

/// The content type of a workbook.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What a list answers with: its JSON page, or every row as a workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Json,
    Xlsx,
}

impl ListFormat {
    /// `json` (or none given) and `xlsx`; anything else names the field.
    pub fn parse(input: Option<&str>) -> Result<Self, AppError> {
        match input {
            None | Some("json") => Ok(Self::Json),
            Some("xlsx") => Ok(Self::Xlsx),
            Some(_) => Err(AppError::BadRequest(
                FieldError::new("format", "export_format").into(),
            )),
        }
    }
}

/// The formats a list answers in, as the API document names them.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListFormatName {
    Json,
    Xlsx,
}

/// The `format` of a list's query string.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct FormatParam {
    /// `json` (default): the page as JSON; `xlsx`: every matching row (no
    /// paging) as an Excel workbook, with the same filters and sort, ID and
    /// phone numbers masked as in the list; the export is audited.
    #[param(value_type = Option<ListFormatName>, inline)]
    pub format: Option<String>,
}

impl FormatParam {
    pub fn format(&self) -> Result<ListFormat, AppError> {
        ListFormat::parse(self.format.as_deref())
    }
}

/// A list to export, with the filters it was asked with.
#[derive(Debug, Clone)]
pub enum ListQuery {
    Members(MemberQuery),
    Activities(ActivityQuery),
    Reception(DayQuery),
    Cases(CaseQuery),
    Proposals(ProposalQuery),
    Info(InfoQuery),
    Points(PointsQuery),
    PlanStatus(StatusQuery),
}

/// The kinds of list, in the order "export all" gives their sheets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Members,
    Activities,
    Reception,
    Cases,
    Proposals,
    Info,
    Points,
    PlanStatus,
}

impl ExportKind {
    pub const ALL: [Self; 8] = [
        Self::Members,
        Self::Activities,
        Self::Reception,
        Self::Cases,
        Self::Proposals,
        Self::Info,
        Self::Points,
        Self::PlanStatus,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Members => "members",
            Self::Activities => "activities",
            Self::Reception => "reception",
            Self::Cases => "cases",
            Self::Proposals => "proposals",
            Self::Info => "info",
            Self::Points => "points",
            Self::PlanStatus => "plan_status",
        }
    }

    /// The command line's name of a kind.
    pub fn parse(input: &str) -> Option<Self> {
        let input = input.trim().replace('-', "_");
        Self::ALL.into_iter().find(|k| k.as_str() == input)
    }

    /// The audit log's object type of the list.
    fn object_type(self) -> &'static str {
        match self {
            Self::Members => "member",
            Self::Activities => "activity",
            Self::Reception => "reception_day",
            Self::Cases => "case",
            Self::Proposals => "proposal",
            Self::Info => "info_report",
            Self::Points => "points",
            Self::PlanStatus => "plan",
        }
    }

    /// The list of this kind for `org` and `year`, as "export all" reads it.
    fn query_for(self, org: &Org, year: i32) -> ListQuery {
        let org_id = Some(org.id.to_string());
        let from = Some(format!("{year}-01-01"));
        let to = Some(format!("{year}-12-31"));
        match self {
            Self::Members => ListQuery::Members(MemberQuery::default()),
            Self::Activities => ListQuery::Activities(ActivityQuery {
                from,
                to,
                ..Default::default()
            }),
            Self::Reception => ListQuery::Reception(DayQuery {
                org: org_id,
                from,
                to,
                ..Default::default()
            }),
            Self::Cases => ListQuery::Cases(CaseQuery {
                org: org_id,
                from,
                to,
                ..Default::default()
            }),
            Self::Proposals => ListQuery::Proposals(ProposalQuery {
                org: org_id,
                session: Some(year.to_string()),
                ..Default::default()
            }),
            Self::Info => ListQuery::Info(InfoQuery {
                org: org_id,
                from,
                to,
                ..Default::default()
            }),
            Self::Points => ListQuery::Points(PointsQuery {
                org: org_id,
                year: Some(year.to_string()),
                ..Default::default()
            }),
            Self::PlanStatus => ListQuery::PlanStatus(StatusQuery {
                org: org_id,
                period: Some(year.to_string()),
            }),
        }
    }
}

impl ListQuery {
    pub fn kind(&self) -> ExportKind {
        match self {
            Self::Members(_) => ExportKind::Members,
            Self::Activities(_) => ExportKind::Activities,
            Self::Reception(_) => ExportKind::Reception,
            Self::Cases(_) => ExportKind::Cases,
            Self::Proposals(_) => ExportKind::Proposals,
            Self::Info(_) => ExportKind::Info,
            Self::Points(_) => ExportKind::Points,
            Self::PlanStatus(_) => ExportKind::PlanStatus,
        }
    }

    /// The same list with every row, not a page.
    fn all_rows(mut self) -> Self {
        match &mut self {
            Self::Members(q) => q.all_rows = true,
            Self::Activities(q) => q.all_rows = true,
            Self::Reception(q) => q.all_rows = true,
            Self::Cases(q) => q.all_rows = true,
            Self::Proposals(q) => q.all_rows = true,
            Self::Info(q) => q.all_rows = true,
            Self::Points(q) => q.all_rows = true,
            Self::PlanStatus(_) => {}
        }
        self
    }
}

/// A written workbook: its bytes, the name to save it under and the rows
/// of its sheets (headers aside).
pub struct Workbook {
    pub bytes: Vec<u8>,
    pub file_name: String,
    pub rows: usize,
}

/// The list `query` as a workbook, audited as an export. `filters` is the
/// query string as asked (kept in the audit row); `progress` hears the rows
/// written so far.
pub async fn list(
    db: &Db,
    actor: &Actor,
    via: AuditVia,
    query: ListQuery,
    filters: &str,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<Workbook, AppError> {
    let kind = query.kind();
    let sheets = sheets_of(db, actor, query.all_rows()).await?;
    let file_stem = sheets.first().map(|s| s.name.clone()).unwrap_or_default();
    let detail = serde_json::json!({
        "format": "xlsx",
        "via": via.as_str(),
        "filters": filters,
    });
    write(
        db,
        actor,
        via,
        (kind.object_type(), actor.org_id),
        &sheets,
        &file_stem,
        detail,
        progress,
    )
    .await
}

/// What "export all" asks for: a committee (default: the user's own) and a
/// year (default: this year).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct AllQuery {
    /// The committee, in the user's subtree.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub org: Option<String>,
    /// The year, e.g. `2011`: activities, reception days, cases and
    /// information reports of that year, the proposals of its session, its
    /// points and its plan's status; the members as they are now.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub year: Option<String>,
}

fn parse_year(input: Option<&str>) -> Result<i32, AppError> {
    match input {
        None => Ok(chrono::Datelike::year(&crate::app::clock::today())),
        Some(y) => y
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| AppError::BadRequest(FieldError::new("year", "export_year").into())),
    }
}

/// Every list of a committee and a year, one sheet per kind (staff only),
/// audited as one export of the committee.
pub async fn all(
    db: &Db,
    actor: &Actor,
    via: AuditVia,
    q: &AllQuery,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<Workbook, AppError> {
    actor.require(&[Role::Staff])?;
    let year = parse_year(non_blank(&q.year));
    let org = super::cases::committee(db, actor, "org", non_blank(&q.org))
        .await
        .map_err(super::cases::bad_request)?;
    let year = year?;
    // The committee's subtree is the scope of every list, as for its own staff.
    let scoped = Actor {
        org_id: org.id,
        org_path: org.path.clone(),
        ..actor.clone()
    };
    let mut sheets = Vec::new();
    for kind in ExportKind::ALL {
        sheets.extend(sheets_of(db, &scoped, kind.query_for(&org, year).all_rows()).await?);
    }
    let detail = serde_json::json!({
        "format": "xlsx",
        "via": via.as_str(),
        "org_id": org.id,
        "year": year,
    });
    let stem = format!("{}_{year}", org.name);
    write(
        db,
        actor,
        via,
        ("org", org.id),
        &sheets,
        &stem,
        detail,
        progress,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn write(
    db: &Db,
    actor: &Actor,
    via: AuditVia,
    (object_type, object_id): (&'static str, i64),
    sheets: &[Sheet],
    file_stem: &str,
    mut detail: serde_json::Value,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<Workbook, AppError> {
    let rows: usize = sheets.iter().map(|s| s.rows.len()).sum();
    let bytes = xlsx::workbook(sheets, progress).map_err(AppError::internal)?;
    detail["rows"] = rows.into();
    detail["bytes"] = bytes.len().into();
    let entry = match via {
        AuditVia::Cli => {
            super::users::cli_audit("export", object_type, object_id, detail.to_string())
        }
        _ => actor.audit("export", object_type, object_id, Some(detail.to_string())),
    };
    audit::insert_alone(db, &entry).await?;
    Ok(Workbook {
        bytes,
        file_name: format!(
            "{file_stem}_{}.xlsx",
            crate::app::clock::today().format("%Y-%m-%d")
        ),
        rows,
    })
}

/// The operator at the server, as the command line exports: staff of `org`
/// (its subtree is the scope), audited as the command line.
pub fn operator(org: &Org, locale: Locale) -> Actor {
    Actor {
        user_id: 0,
        username: "(cli)".into(),
        display_name: "(cli)".into(),
        role: Role::Staff,
        org_id: org.id,
        org_path: org.path.clone(),
        member_id: None,
        department_id: None,
        locale,
        ip: None,
        must_change_password: false,
        needs_totp: false,
    }
}

/// The list `kind` of the command line: `org`'s, of `year` when given.
pub fn cli_query(kind: ExportKind, org: &Org, year: Option<i32>) -> ListQuery {
    match year {
        Some(y) => kind.query_for(org, y),
        None => match kind {
            ExportKind::Members => ListQuery::Members(MemberQuery::default()),
            ExportKind::Activities => ListQuery::Activities(ActivityQuery::default()),
            ExportKind::Reception => ListQuery::Reception(DayQuery {
                org: Some(org.id.to_string()),
                ..Default::default()
            }),
            ExportKind::Cases => ListQuery::Cases(CaseQuery {
                org: Some(org.id.to_string()),
                ..Default::default()
            }),
            ExportKind::Proposals => ListQuery::Proposals(ProposalQuery {
                org: Some(org.id.to_string()),
                ..Default::default()
            }),
            ExportKind::Info => ListQuery::Info(InfoQuery {
                org: Some(org.id.to_string()),
                ..Default::default()
            }),
            ExportKind::Points => ListQuery::Points(PointsQuery {
                org: Some(org.id.to_string()),
                ..Default::default()
            }),
            ExportKind::PlanStatus => ListQuery::PlanStatus(StatusQuery {
                org: Some(org.id.to_string()),
                period: None,
            }),
        },
    }
}

// ---------------------------------------------------------------------------
// The sheets of each list

fn headers(l: Locale, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| t(l, k)).collect()
}

/// A stored choice in words, or as stored when it is not one.
fn word<T>(
    l: Locale,
    parsed: Result<T, FieldError>,
    key: fn(&T) -> &'static str,
    raw: &str,
) -> Cell {
    match parsed {
        Ok(v) => Cell::Text(t(l, key(&v))),
        Err(_) => Cell::text(raw),
    }
}

fn yes_no(l: Locale, v: bool) -> Cell {
    Cell::Text(t(l, if v { "audit.yes" } else { "audit.no" }))
}

/// The names of the organisations in the actor's subtree, by id.
async fn org_names(db: &Db, actor: &Actor) -> Result<HashMap<i64, String>, AppError> {
    Ok(orgs::list_orgs(db, &actor.org_path, None)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

fn name_of(names: &HashMap<i64, String>, id: Option<i64>) -> Cell {
    id.and_then(|id| names.get(&id))
        .map(|n| Cell::text(n.clone()))
        .unwrap_or(Cell::Empty)
}

async fn sheets_of(db: &Db, actor: &Actor, query: ListQuery) -> Result<Vec<Sheet>, AppError> {
    let l = actor.locale;
    match query {
        ListQuery::Members(q) => {
            let page = super::members::list(db, actor, &q).await?;
            let names = org_names(db, actor).await?;
            let rows = page
                .items
                .iter()
                .map(|m| {
                    vec![
                        Cell::text(m.name.clone()),
                        word(
                            l,
                            Gender::parse("gender", &m.gender),
                            Gender::label_key,
                            &m.gender,
                        ),
                        Cell::text(m.ethnicity.clone()),
                        word(
                            l,
                            Party::parse("party", &m.party),
                            Party::label_key,
                            &m.party,
                        ),
                        Cell::text(m.sector.clone()),
                        Cell::opt_text(m.workplace.as_deref()),
                        Cell::opt_text(m.title.as_deref()),
                        Cell::Int(m.term),
                        word(
                            l,
                            MemberStatus::parse("status", &m.status),
                            MemberStatus::label_key,
                            &m.status,
                        ),
                        name_of(&names, Some(m.org_id)),
                        name_of(&names, m.group_id),
                        Cell::Date(m.joined_on),
                        Cell::opt_date(m.left_on),
                        // Masked as the list shows them: the full numbers
                        // are seen one member at a time, each time audited.
                        Cell::text(m.phone_masked.clone()),
                        Cell::text(m.id_number_masked.clone()),
                    ]
                })
                .collect();
            Ok(vec![Sheet {
                name: t(l, "exports.sheet.members"),
                headers: headers(
                    l,
                    &[
                        "exports.col.name",
                        "exports.col.gender",
                        "exports.col.ethnicity",
                        "exports.col.party",
                        "exports.col.sector",
                        "exports.col.workplace",
                        "exports.col.position",
                        "exports.col.term",
                        "exports.col.status",
                        "exports.col.committee",
                        "exports.col.group",
                        "exports.col.joined_on",
                        "exports.col.left_on",
                        "exports.col.phone",
                        "exports.col.id_number",
                    ],
                ),
                rows,
            }])
        }
        ListQuery::Activities(q) => activity_sheets(db, actor, &q).await,
        ListQuery::Reception(q) => reception_sheets(db, actor, &q).await,
        ListQuery::Cases(q) => {
            let (items, _) = super::cases::list_page(db, actor, &q).await?;
            let rows = items
                .iter()
                .map(|c| {
                    vec![
                        Cell::Date(c.received_on),
                        Cell::text(c.title.clone()),
                        Cell::text(c.community.clone()),
                        word(
                            l,
                            CaseSource::parse("source", &c.source),
                            CaseSource::label_key,
                            &c.source,
                        ),
                        Cell::Text(t(l, c.status.label_key())),
                        Cell::opt_text(c.department_name.as_deref()),
                        Cell::opt_date(c.forwarded_on),
                        Cell::opt_date(c.due_on),
                        Cell::opt_date(c.resolved_on),
                        match &c.satisfaction {
                            Some(s) => word(
                                l,
                                Satisfaction::parse("satisfaction", s),
                                Satisfaction::label_key,
                                s,
                            ),
                            None => Cell::Empty,
                        },
                        Cell::Int(c.escalations),
                        yes_no(l, super::cases::overdue(c)),
                        Cell::opt_text(c.contact_name.as_deref()),
                        Cell::opt_text(c.contact_phone_masked.as_deref()),
                    ]
                })
                .collect();
            Ok(vec![Sheet {
                name: t(l, "exports.sheet.cases"),
                headers: headers(
                    l,
                    &[
                        "exports.col.received_on",
                        "exports.col.title",
                        "exports.col.community",
                        "exports.col.source",
                        "exports.col.status",
                        "exports.col.department",
                        "exports.col.forwarded_on",
                        "exports.col.due_on",
                        "exports.col.resolved_on",
                        "exports.col.satisfaction",
                        "exports.col.escalations",
                        "exports.col.overdue",
                        "exports.col.contact_name",
                        "exports.col.contact_phone",
                    ],
                ),
                rows,
            }])
        }
        ListQuery::Proposals(q) => {
            let (items, _, _) = super::proposals::list_page(db, actor, &q).await?;
            let rows = items
                .iter()
                .map(|p| {
                    let by = p
                        .lead_member_name
                        .clone()
                        .or_else(|| p.group_name.clone())
                        .unwrap_or_else(|| p.org_name.clone());
                    vec![
                        Cell::opt_int(p.session),
                        Cell::opt_int(p.number),
                        Cell::text(p.title.clone()),
                        word(
                            l,
                            Category::parse("category", &p.category),
                            Category::label_key,
                            &p.category,
                        ),
                        Cell::text(by),
                        word(
                            l,
                            SubmitterKind::parse("submitter_kind", &p.submitter_kind),
                            SubmitterKind::label_key,
                            &p.submitter_kind,
                        ),
                        Cell::Text(t(l, p.status.label_key())),
                        Cell::opt_date(p.submitted_on),
                        Cell::opt_date(p.reviewed_on),
                        Cell::opt_text(p.lead_department_name.as_deref()),
                        Cell::opt_date(p.assigned_on),
                        Cell::opt_date(p.due_on),
                        Cell::opt_date(p.answered_on),
                        match &p.answer_class {
                            Some(c) => word(
                                l,
                                AnswerClass::parse("answer_class", c),
                                AnswerClass::label_key,
                                c,
                            ),
                            None => Cell::Empty,
                        },
                        yes_no(l, p.is_key),
                        Cell::text(p.org_name.clone()),
                    ]
                })
                .collect();
            Ok(vec![Sheet {
                name: t(l, "exports.sheet.proposals"),
                headers: headers(
                    l,
                    &[
                        "exports.col.session",
                        "exports.col.number",
                        "exports.col.title",
                        "exports.col.category",
                        "exports.col.submitted_by",
                        "exports.col.submitter_kind",
                        "exports.col.status",
                        "exports.col.submitted_on",
                        "exports.col.reviewed_on",
                        "exports.col.lead_department",
                        "exports.col.assigned_on",
                        "exports.col.due_on",
                        "exports.col.answered_on",
                        "exports.col.answer_class",
                        "exports.col.is_key",
                        "exports.col.committee",
                    ],
                ),
                rows,
            }])
        }
        ListQuery::Info(q) => {
            let (items, _, _) = super::info::list_page(db, actor, &q).await?;
            let rows = items
                .iter()
                .map(|r| {
                    vec![
                        Cell::Date(r.submitted_on),
                        Cell::text(r.title.clone()),
                        word(
                            l,
                            InfoKind::parse("kind", &r.kind),
                            InfoKind::label_key,
                            &r.kind,
                        ),
                        Cell::opt_text(r.author_name.as_deref()),
                        Cell::Text(t(l, r.status.label_key())),
                        Cell::opt_date(r.forwarded_on),
                        Cell::opt_text(r.forwarded_to.as_deref()),
                    ]
                })
                .collect();
            Ok(vec![Sheet {
                name: t(l, "exports.sheet.info"),
                headers: headers(
                    l,
                    &[
                        "exports.col.submitted_on",
                        "exports.col.title",
                        "exports.col.kind",
                        "exports.col.author",
                        "exports.col.status",
                        "exports.col.forwarded_on",
                        "exports.col.forwarded_to",
                    ],
                ),
                rows,
            }])
        }
        ListQuery::Points(q) => {
            let ranking = super::points::ranking(db, actor, &q).await?;
            let rows = ranking
                .items
                .iter()
                .map(|m| {
                    vec![
                        Cell::Int(i64::from(m.rank)),
                        Cell::text(m.member.clone()),
                        Cell::text(m.committee.clone()),
                        Cell::Int(i64::from(m.committee_rank)),
                        Cell::Number(m.points as f64 / 10.0),
                        Cell::text(m.grade_label.clone()),
                    ]
                })
                .collect();
            Ok(vec![Sheet {
                name: t(l, "exports.sheet.points"),
                headers: headers(
                    l,
                    &[
                        "exports.col.rank",
                        "exports.col.member",
                        "exports.col.committee",
                        "exports.col.committee_rank",
                        "exports.col.score",
                        "exports.col.grade",
                    ],
                ),
                rows,
            }])
        }
        ListQuery::PlanStatus(q) => {
            let report = super::plans::status(db, actor, &q).await?;
            let mut rows = Vec::new();
            for item in &report.items {
                for period in &item.periods {
                    for scope in &period.scopes {
                        rows.push(vec![
                            Cell::text(item.text.clone()),
                            Cell::text(item.rule_text.clone()),
                            Cell::text(period.period.clone()),
                            Cell::text(scope.name.clone()),
                            Cell::Text(t(l, scope.status.label_key())),
                            Cell::opt_date(scope.from),
                            Cell::opt_date(scope.to),
                            Cell::text(scope.figures.clone()),
                        ]);
                    }
                }
            }
            Ok(vec![Sheet {
                name: t(l, "exports.sheet.plan_status"),
                headers: headers(
                    l,
                    &[
                        "exports.col.plan_item",
                        "exports.col.rule",
                        "exports.col.period",
                        "exports.col.scope",
                        "exports.col.status",
                        "exports.col.from",
                        "exports.col.to",
                        "exports.col.figures",
                    ],
                ),
                rows,
            }])
        }
    }
}

/// Activities, and their invitations with each member's reply and
/// attendance: staff every invitation, a member their own.
async fn activity_sheets(
    db: &Db,
    actor: &Actor,
    q: &ActivityQuery,
) -> Result<Vec<Sheet>, AppError> {
    let l = actor.locale;
    let page = super::activities::list(db, actor, q).await?;
    // The same filter the list used, as it parsed it.
    let mut errors = crate::domain::validation::FieldErrors::new();
    let filter = super::activities::list_filter(actor, q, &mut errors)?;
    let only_member = (actor.role == Role::Member)
        .then_some(actor.member_id)
        .flatten();
    let invitations = activity_store::invitations_of(db, &filter, only_member).await?;
    let names = org_names(db, actor).await?;
    let mut counts: HashMap<i64, [i64; 4]> = HashMap::new();
    for i in &invitations {
        let c = counts.entry(i.activity_id).or_default();
        c[0] += 1;
        match i.attendance.as_deref() {
            Some("present") => c[1] += 1,
            Some("excused") => c[2] += 1,
            Some("absent") => c[3] += 1,
            _ => {}
        }
    }
    let activities: HashMap<i64, &crate::storage::activities::Activity> =
        page.items.iter().map(|a| (a.id, a)).collect();
    let kind = |k: &str| {
        word(
            l,
            ActivityKind::parse("kind", k),
            ActivityKind::label_key,
            k,
        )
    };
    let rows = page
        .items
        .iter()
        .map(|a| {
            let c = counts.get(&a.id).copied().unwrap_or_default();
            vec![
                Cell::Date(a.held_on),
                Cell::text(a.title.clone()),
                kind(&a.kind),
                Cell::text(a.place.clone()),
                Cell::text(a.organiser.clone()),
                name_of(&names, Some(a.org_id)),
                name_of(&names, a.group_id),
                Cell::Text(t(l, a.approval.label_key())),
                Cell::Int(c[0]),
                Cell::Int(c[1]),
                Cell::Int(c[2]),
                Cell::Int(c[3]),
                Cell::opt_int(a.amount_yuan),
            ]
        })
        .collect();
    let attendance = invitations
        .iter()
        .filter_map(|i| {
            let a = activities.get(&i.activity_id)?;
            Some(vec![
                Cell::Date(a.held_on),
                Cell::text(a.title.clone()),
                kind(&a.kind),
                Cell::text(i.member_name.clone()),
                word(
                    l,
                    Reply::parse("reply", &i.reply),
                    Reply::label_key,
                    &i.reply,
                ),
                match &i.attendance {
                    Some(v) => word(
                        l,
                        Attendance::parse("attendance", v),
                        Attendance::label_key,
                        v,
                    ),
                    None => Cell::Empty,
                },
                Cell::opt_text(i.attendance_reason.as_deref().or(i.reply_reason.as_deref())),
            ])
        })
        .collect();
    Ok(vec![
        Sheet {
            name: t(l, "exports.sheet.activities"),
            headers: headers(
                l,
                &[
                    "exports.col.held_on",
                    "exports.col.title",
                    "exports.col.kind",
                    "exports.col.place",
                    "exports.col.organiser",
                    "exports.col.committee",
                    "exports.col.group",
                    "exports.col.approval",
                    "exports.col.invited",
                    "exports.col.present",
                    "exports.col.excused",
                    "exports.col.absent",
                    "exports.col.amount_yuan",
                ],
            ),
            rows,
        },
        Sheet {
            name: t(l, "exports.sheet.attendance"),
            headers: headers(
                l,
                &[
                    "exports.col.held_on",
                    "exports.col.title",
                    "exports.col.kind",
                    "exports.col.member",
                    "exports.col.reply",
                    "exports.col.attendance",
                    "exports.col.reason",
                ],
            ),
            rows: attendance,
        },
    ])
}

/// Reception days, and the visits of those days (phones masked).
async fn reception_sheets(db: &Db, actor: &Actor, q: &DayQuery) -> Result<Vec<Sheet>, AppError> {
    let l = actor.locale;
    let (days, _, _) = super::reception::list_days(db, actor, q).await?;
    let (scope, from, to) = super::reception::export_scope(db, actor, q).await?;
    let visits = reception_store::visits_in(db, &scope, from, to).await?;
    let names = org_names(db, actor).await?;
    let rows = days
        .iter()
        .map(|d| {
            vec![
                Cell::Date(d.held_on),
                Cell::Date(d.nominal_on),
                name_of(&names, Some(d.org_id)),
                name_of(&names, d.duty_group_id),
                Cell::Int(d.visits),
                Cell::Int(d.people),
                Cell::opt_text(d.note.as_deref()),
            ]
        })
        .collect();
    let visit_rows = visits
        .iter()
        .map(|(held_on, v): &(NaiveDate, _)| {
            vec![
                Cell::Date(*held_on),
                Cell::text(v.community.clone()),
                Cell::Int(v.people),
                Cell::text(v.summary.clone()),
                Cell::opt_text(v.visitor_name.as_deref()),
                Cell::opt_text(v.phone_masked.as_deref()),
                word(
                    l,
                    VisitOutcome::parse("outcome", &v.outcome),
                    VisitOutcome::label_key,
                    &v.outcome,
                ),
                Cell::opt_text(v.answer.as_deref()),
            ]
        })
        .collect();
    Ok(vec![
        Sheet {
            name: t(l, "exports.sheet.reception_days"),
            headers: headers(
                l,
                &[
                    "exports.col.held_on",
                    "exports.col.nominal_on",
                    "exports.col.committee",
                    "exports.col.duty_group",
                    "exports.col.visits",
                    "exports.col.people",
                    "exports.col.note",
                ],
            ),
            rows,
        },
        Sheet {
            name: t(l, "exports.sheet.visits"),
            headers: headers(
                l,
                &[
                    "exports.col.held_on",
                    "exports.col.community",
                    "exports.col.people",
                    "exports.col.summary",
                    "exports.col.visitor_name",
                    "exports.col.contact_phone",
                    "exports.col.outcome",
                    "exports.col.answer",
                ],
            ),
            rows: visit_rows,
        },
    ])
}
