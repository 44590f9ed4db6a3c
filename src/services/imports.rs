//! Imports of the member roster and of the departments from a spreadsheet
//! (`.xlsx` or `.csv`) filled in from the template the same page gives.
//! Members are matched by ID number (身份证号), departments by name within
//! the committee. Every run first makes a preview: row by row, what will be
//! created, what updated (with the fields that change) and what is wrong and
//! why, named by row and column. Then all or nothing: with one problem left
//! nothing is written; otherwise everything is written in one transaction,
//! each member checked by the member form's own checks and audited as the
//! form audits it, with one audit row for the import and its counts. The
//! preview is summed up in a fingerprint; a confirmation that brings one
//! is refused when the preview made again differs (someone changed a member
//! in between), so nothing is written that was not shown.

use std::collections::HashMap;

use base64::Engine as _;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{members as member_service, orgs as org_service, Actor};
use crate::app::i18n::{self, Locale};
use crate::documents::import_template::{self as template, TemplateColumn, TemplateKind};
use crate::domain::audit::AuditVia;
use crate::domain::id_number::{with_check_char, ResidentId};
use crate::domain::imports::{self as sheet, CellError, Column, ColumnKind, Layout};
use crate::domain::members::{Gender, MemberStatus, Party, Term};
use crate::domain::orgs::OrgKind;
use crate::domain::phone::MobilePhone;
use crate::domain::roles::Role;
use crate::domain::validation::{FieldError, FieldErrors};
use crate::security::crypto::FieldCipher;
use crate::services::error::AppError;
use crate::services::members::MemberInput;
use crate::services::orgs::UnitInput;
use crate::storage::audit::NewAuditEntry;
use crate::storage::members::{Member, MemberValues};
use crate::storage::orgs::{Department, Org};
use crate::storage::timeline::NewTimelineEntry;
use crate::storage::{audit, imports as pending, is_unique_violation, members, orgs, timeline, Db};

/// The largest file an import takes: a province's 32,000 members fit in a
/// quarter of it as `.csv`, in a tenth as `.xlsx`.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// How long an upload waits on the page for its confirmation.
const PENDING_HOURS: i64 = 2;

/// Most problems one refusal lists (the rest are counted).
const MAX_LISTED: usize = 200;

/// What a file imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Members,
    Departments,
}

impl ImportKind {
    pub const ALL: [ImportKind; 2] = [ImportKind::Members, ImportKind::Departments];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Members => "members",
            Self::Departments => "departments",
        }
    }

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        match input.trim() {
            "members" | "" => Ok(Self::Members),
            "departments" => Ok(Self::Departments),
            _ => Err(FieldError::new("kind", "invalid_choice")),
        }
    }

    /// The catalogue key of its name.
    pub fn label_key(&self) -> &'static str {
        match self {
            Self::Members => "import.kind.members",
            Self::Departments => "import.kind.departments",
        }
    }

    /// The audit object of each record it writes.
    fn object(&self) -> &'static str {
        match self {
            Self::Members => "member",
            Self::Departments => "department",
        }
    }

    fn columns(&self) -> &'static [Column] {
        match self {
            Self::Members => &MEMBER_COLUMNS,
            Self::Departments => &DEPARTMENT_COLUMNS,
        }
    }
}

const fn column(field: &'static str, kind: ColumnKind, required: bool) -> Column {
    Column {
        field,
        kind,
        required,
    }
}

/// The roster's columns, in the template's order.
const MEMBER_COLUMNS: [Column; 13] = [
    column("name", ColumnKind::Text, true),
    column("gender", ColumnKind::Text, true),
    column("ethnicity", ColumnKind::Text, true),
    column("party", ColumnKind::Text, true),
    column("sector", ColumnKind::Text, true),
    column("workplace", ColumnKind::Text, false),
    column("position", ColumnKind::Text, false),
    column("phone", ColumnKind::Text, true),
    column("id_number", ColumnKind::Digits, true),
    column("term", ColumnKind::Text, true),
    column("status", ColumnKind::Text, false),
    column("joined_on", ColumnKind::Date, false),
    column("group_id", ColumnKind::Text, false),
];

const DEPARTMENT_COLUMNS: [Column; 2] = [
    column("department_name", ColumnKind::Text, true),
    column("contact", ColumnKind::Text, false),
];

/// A column's header in `locale`: the member form's label of its field.
fn header(locale: Locale, field: &str) -> String {
    match field {
        "department_name" => i18n::t(locale, "import.column.department_name"),
        _ => i18n::t(locale, &format!("field.{field}")),
    }
}

/// The headers a column is recognised by: its label in each language.
fn headers(field: &str) -> Vec<String> {
    Locale::ALL.iter().map(|l| header(*l, field)).collect()
}

/// The example row of the template (left out when imported as it is).
fn example(kind: ImportKind) -> Vec<String> {
    match kind {
        ImportKind::Members => {
            let id = with_check_char("32010219800101123").unwrap_or_default();
            [
                "王小明",
                "男",
                "汉族",
                "中共党员",
                "经济界",
                "长江路社区卫生服务中心",
                "主任",
                "13812345678",
                &id,
                "7",
                "在任",
                "2011-03-01",
                "",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        }
        ImportKind::Departments => vec!["区住房和城乡建设局".into(), "025-84001234".into()],
    }
}

/// One change an update makes, as shown in the preview.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportChange {
    pub field: String,
    /// The column's header.
    pub column: String,
    pub before: String,
    pub after: String,
}

/// One row of the file and what it does.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportRow {
    /// The row's number in the file.
    pub row: u32,
    /// create | update | unchanged | example | invalid
    pub action: String,
    /// The member's or department's name.
    pub name: String,
    /// The ID number, masked (members).
    pub id_number: String,
    /// The record it updates.
    pub record_id: Option<i64>,
    pub changes: Vec<ImportChange>,
}

/// A problem, named by its row and column.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportProblem {
    pub row: Option<u32>,
    /// The column's letter, e.g. `I`.
    pub column: Option<String>,
    /// The column's header, e.g. `身份证号`.
    pub header: Option<String>,
    pub field: String,
    pub code: String,
    /// What is wrong and why, where, in the caller's language.
    pub message: String,
}

/// What an import did, or would do.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImportReport {
    /// members | departments
    pub kind: String,
    /// The committee imported into.
    pub org_id: i64,
    pub org_name: String,
    /// True when this was only a preview.
    pub dry_run: bool,
    /// True when the rows were written.
    pub imported: bool,
    /// The preview's fingerprint: send it back as `preview` to import
    /// exactly what was shown (refused with 409 if it changed since).
    pub preview: String,
    /// Data rows read (the header and blank rows not counted).
    pub rows_read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rows left out: the template's example row.
    pub skipped: usize,
    /// Rows with a problem.
    pub invalid: usize,
    pub rows: Vec<ImportRow>,
    pub problems: Vec<ImportProblem>,
}

/// Who imports, and from where (the command line has no account).
pub struct Importer<'a> {
    pub actor: &'a Actor,
    pub via: AuditVia,
}

impl Importer<'_> {
    fn audit(
        &self,
        action: &'static str,
        object_type: &'static str,
        object_id: i64,
        detail: String,
    ) -> NewAuditEntry {
        match self.via {
            AuditVia::Cli => super::users::cli_audit(action, object_type, object_id, detail),
            _ => self
                .actor
                .audit(action, object_type, object_id, Some(detail)),
        }
    }

    fn user_id(&self) -> Option<i64> {
        (self.via != AuditVia::Cli).then_some(self.actor.user_id)
    }
}

/// The command line's actor: staff at the committee's level, so that the
/// member form's checks see the same scope as the committee's staff.
pub fn cli_actor(org: &Org) -> Actor {
    Actor {
        user_id: 0,
        username: "(cli)".into(),
        display_name: "(cli)".into(),
        role: Role::Staff,
        org_id: org.id,
        org_path: org.path.clone(),
        member_id: None,
        department_id: None,
        locale: Locale::ZhCn,
        ip: None,
        must_change_password: false,
        needs_totp: false,
    }
}

pub use super::jobs::Stage;

/// Told how far an import has got: `(stage, done, total)`.
pub type Progress<'a> = &'a (dyn Fn(Stage, usize, usize) + Send + Sync);

/// A progress that tells nobody.
pub fn no_progress(_: Stage, _: usize, _: usize) {}

/// The uploaded file.
pub struct ImportFile<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// What a run does: preview only, and the preview it must match.
#[derive(Debug, Clone, Default)]
pub struct Mode {
    pub dry_run: bool,
    pub expect: Option<String>,
}

/// What is written when the preview holds.
enum Op {
    CreateMember(Box<MemberValues>),
    UpdateMember {
        id: i64,
        version: i64,
        values: Box<MemberValues>,
    },
    CreateDepartment {
        name: String,
        contact: Option<String>,
    },
    UpdateDepartment {
        id: i64,
        version: i64,
        name: String,
        contact: Option<String>,
    },
}

/// The preview, and what confirming it writes.
struct Plan {
    report: ImportReport,
    ops: Vec<Op>,
    /// The problems as field errors, for a refusal.
    errors: FieldErrors,
}

/// The committee imported into: given, or the actor's own; one they see.
async fn target(db: &Db, actor: &Actor, org: Option<i64>) -> Result<Org, AppError> {
    let id = org.unwrap_or(actor.org_id);
    match orgs::get_org(db, id).await? {
        Some(o) if actor.sees(&o.path) && o.kind != OrgKind::Group.as_str() => Ok(o),
        _ => Err(FieldError::new("org", "unknown_org").into()),
    }
}

/// Preview an import, and unless it is a dry run (or has a problem), do it.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    db: &Db,
    cipher: &FieldCipher,
    who: &Importer<'_>,
    kind: ImportKind,
    org: Option<i64>,
    file: ImportFile<'_>,
    mode: &Mode,
    progress: Progress<'_>,
) -> Result<ImportReport, AppError> {
    let actor = who.actor;
    actor.require(&[Role::Staff])?;
    let org = target(db, actor, org).await?;
    if file.bytes.len() as u64 > MAX_BYTES {
        return Err(too_large());
    }
    let mut plan = plan(db, cipher, actor, kind, &org, file.bytes, progress).await?;
    plan.report.dry_run = mode.dry_run;
    if !plan.errors.is_empty() {
        return if mode.dry_run {
            Ok(plan.report)
        } else {
            Err(AppError::Validation(plan.errors))
        };
    }
    if mode.dry_run {
        return Ok(plan.report);
    }
    if let Some(expect) = &mode.expect {
        if expect.trim() != plan.report.preview {
            return Err(AppError::Conflict("import_preview_stale"));
        }
    }
    apply(db, who, &org, kind, file, plan, progress).await
}

pub fn too_large() -> AppError {
    FieldError::new("file", "file_too_large")
        .with("max", crate::domain::attachments::mib(MAX_BYTES))
        .into()
}

/// Read the file and check every row, against the records as they are now.
async fn plan(
    db: &Db,
    cipher: &FieldCipher,
    actor: &Actor,
    kind: ImportKind,
    org: &Org,
    bytes: &[u8],
    progress: Progress<'_>,
) -> Result<Plan, AppError> {
    let locale = actor.locale;
    let grid = sheet::read(bytes)?;
    let columns = kind.columns();
    let layout = match sheet::match_header(&grid, columns, &headers) {
        Ok(layout) => layout,
        Err(problems) => {
            return Err(AppError::Validation(refusal(
                locale, columns, None, &problems,
            )))
        }
    };
    let data: Vec<&(u32, Vec<sheet::Cell>)> = grid
        .rows
        .iter()
        .filter(|(row, _)| *row > layout.header_row)
        .collect();
    if data.is_empty() {
        return Err(FieldError::new("file", "import_no_data").into());
    }
    let mut problems: Vec<CellError> = sheet::merged_errors(&grid, layout.header_row);
    problems.extend(sheet::formula_errors(&grid, layout.header_row));
    let mut report = ImportReport {
        kind: kind.as_str().into(),
        org_id: org.id,
        org_name: org.name.clone(),
        dry_run: true,
        imported: false,
        preview: String::new(),
        rows_read: data.len(),
        created: 0,
        updated: 0,
        unchanged: 0,
        skipped: 0,
        invalid: 0,
        rows: Vec::with_capacity(data.len()),
        problems: Vec::new(),
    };
    let example = example(kind);
    let mut rows = Vec::with_capacity(data.len());
    for (row, cells) in &data {
        let (texts, errors) = sheet::row_texts(cells, columns, &layout, grid.date_1904);
        if errors.is_empty() && texts == example {
            report.skipped += 1;
            report.rows.push(ImportRow {
                row: *row,
                action: "example".into(),
                name: texts[0].clone(),
                id_number: String::new(),
                record_id: None,
                changes: Vec::new(),
            });
            continue;
        }
        problems.extend(
            errors
                .into_iter()
                .map(|(col, e)| CellError::at(*row, col, e)),
        );
        rows.push((*row, texts));
    }
    let mut fingerprint = Sha256::new();
    fingerprint.update(kind.as_str());
    fingerprint.update(org.id.to_le_bytes());
    fingerprint.update(Sha256::digest(bytes));
    let ops = match kind {
        ImportKind::Members => {
            plan_members(
                db,
                cipher,
                actor,
                org,
                &layout,
                &rows,
                &mut report,
                &mut problems,
                &mut fingerprint,
                progress,
            )
            .await?
        }
        ImportKind::Departments => {
            plan_departments(
                db,
                locale,
                org,
                &layout,
                &rows,
                &mut report,
                &mut problems,
                &mut fingerprint,
            )
            .await?
        }
    };
    report.preview = hex::encode(fingerprint.finalize());
    problems.sort_by_key(|p| (p.row.unwrap_or(0), p.col.unwrap_or(0)));
    let bad_rows: std::collections::BTreeSet<u32> = problems.iter().filter_map(|p| p.row).collect();
    report.invalid = bad_rows.len();
    for r in report.rows.iter_mut() {
        if bad_rows.contains(&r.row) && r.action != "example" {
            r.action = "invalid".into();
        }
    }
    report.rows.sort_by_key(|r| r.row);
    let count = |a: &str| report.rows.iter().filter(|r| r.action == a).count();
    report.created = count("create");
    report.updated = count("update");
    report.unchanged = count("unchanged");
    report.problems = problems
        .iter()
        .map(|p| problem(locale, columns, Some(&layout), p))
        .collect();
    let errors = if problems.is_empty() {
        FieldErrors::new()
    } else {
        refusal(locale, columns, Some(&layout), &problems)
    };
    Ok(Plan {
        report,
        ops,
        errors,
    })
}

/// The column a problem is in: its template column, by the sheet's index.
fn column_of<'c>(columns: &'c [Column], layout: Option<&Layout>, col: u32) -> Option<&'c Column> {
    let layout = layout?;
    let i = layout.at.iter().position(|at| *at == Some(col))?;
    columns.get(i)
}

/// A problem in words: where, then what.
fn problem(
    locale: Locale,
    columns: &[Column],
    layout: Option<&Layout>,
    p: &CellError,
) -> ImportProblem {
    let what = i18n::t_with(locale, &format!("error.{}", p.error.code), &p.error.params);
    let letter = p.col.map(sheet::column_letter);
    let head = p
        .col
        .and_then(|c| column_of(columns, layout, c))
        .map(|c| header(locale, c.field));
    let message = match (p.row, &letter, &head) {
        (Some(row), Some(letter), Some(head)) => i18n::t_with(
            locale,
            "import.at_cell",
            &[
                ("row", row.to_string()),
                ("column", letter.clone()),
                ("header", head.clone()),
                ("problem", what),
            ],
        ),
        (Some(row), Some(letter), None) => i18n::t_with(
            locale,
            "import.at_column",
            &[
                ("row", row.to_string()),
                ("column", letter.clone()),
                ("problem", what),
            ],
        ),
        (Some(row), None, _) => i18n::t_with(
            locale,
            "import.at_row",
            &[("row", row.to_string()), ("problem", what)],
        ),
        _ => what,
    };
    ImportProblem {
        row: p.row,
        column: letter,
        header: head,
        field: p.error.field.to_string(),
        code: p.error.code.to_string(),
        message,
    }
}

/// The problems as the field errors of a refusal (422): each names its row
/// and column; past [`MAX_LISTED`] they are counted.
fn refusal(
    locale: Locale,
    columns: &[Column],
    layout: Option<&Layout>,
    problems: &[CellError],
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for p in problems.iter().take(MAX_LISTED) {
        let shown = problem(locale, columns, layout, p);
        errors.push(FieldError::new("file", "import_problem").with("problem", shown.message));
    }
    if problems.len() > MAX_LISTED {
        errors.push(
            FieldError::new("file", "import_more_problems")
                .with("count", problems.len() - MAX_LISTED),
        );
    }
    errors
}

/// The labels a choice may be typed as (`中共党员`, `男`, `在任`; an
/// identifier is taken too), read once per file.
struct ChoiceMap {
    field: &'static str,
    map: HashMap<String, &'static str>,
    /// The Chinese labels, for the message.
    choices: String,
}

impl ChoiceMap {
    fn new<T>(
        field: &'static str,
        all: &[T],
        label_key: fn(&T) -> &'static str,
        ident: fn(&T) -> &'static str,
    ) -> Self {
        let mut map = HashMap::new();
        for v in all {
            map.insert(ident(v).to_string(), ident(v));
            for l in Locale::ALL {
                map.insert(i18n::t(l, label_key(v)), ident(v));
            }
        }
        let choices: Vec<String> = all
            .iter()
            .map(|v| i18n::t(Locale::ZhCn, label_key(v)))
            .collect();
        ChoiceMap {
            field,
            map,
            choices: choices.join("、"),
        }
    }

    /// The identifier of what was typed; empty stays empty (the form says
    /// it is required).
    fn get(&self, raw: &str) -> Result<String, FieldError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(String::new());
        }
        match self.map.get(raw) {
            Some(ident) => Ok(ident.to_string()),
            None => Err(FieldError::new(self.field, "import_choice")
                .with("value", raw)
                .with("choices", &self.choices)),
        }
    }
}

/// The choices of a member row, and the committee's groups by name.
struct MemberLabels {
    gender: ChoiceMap,
    party: ChoiceMap,
    status: ChoiceMap,
    groups: HashMap<String, i64>,
}

impl MemberLabels {
    fn new(groups: HashMap<String, i64>) -> Self {
        MemberLabels {
            gender: ChoiceMap::new("gender", &Gender::ALL, |v| v.label_key(), |v| v.as_str()),
            party: ChoiceMap::new("party", &Party::ALL, |v| v.label_key(), |v| v.as_str()),
            status: ChoiceMap::new(
                "status",
                &MemberStatus::ALL,
                |v| v.label_key(),
                |v| v.as_str(),
            ),
            groups,
        }
    }
}

/// A term as a number, or as `第七届`.
fn term_text(raw: &str) -> String {
    let raw = raw.trim();
    (Term::MIN..=Term::MAX)
        .filter_map(Term::new)
        .find(|t| t.zh_label() == raw)
        .map(|t| t.number().to_string())
        .unwrap_or_else(|| raw.to_string())
}

/// Where each field's problems go: the field's column in the sheet.
fn col_of_field(layout: &Layout, field: &str) -> Option<u32> {
    MEMBER_COLUMNS
        .iter()
        .position(|c| c.field == field)
        .and_then(|i| layout.at.get(i).copied().flatten())
}

/// A member row as the member form's input; labels turned into identifiers.
fn member_input(
    texts: &[String],
    labels: &MemberLabels,
    org: &Org,
) -> (MemberInput, Option<i64>, Vec<FieldError>) {
    let mut errors = Vec::new();
    let mut pick = |r: Result<String, FieldError>| match r {
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            String::new()
        }
    };
    let gender = pick(labels.gender.get(&texts[1]));
    let party = pick(labels.party.get(&texts[3]));
    let status = pick(labels.status.get(&texts[10]));
    let group = texts[12].trim();
    let group_id = if group.is_empty() {
        None
    } else if let Some(id) = labels.groups.get(group) {
        Some(*id)
    } else {
        errors.push(FieldError::new("group_id", "import_unknown_group").with("value", group));
        None
    };
    let optional = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let input = MemberInput {
        name: texts[0].clone(),
        gender,
        ethnicity: texts[2].clone(),
        party,
        sector: texts[4].clone(),
        workplace: optional(&texts[5]),
        position: optional(&texts[6]),
        phone: texts[7].clone(),
        id_number: texts[8].clone(),
        term: term_text(&texts[9]),
        status,
        joined_on: texts[11].clone(),
        left_on: String::new(),
        org_id: Some(org.id.to_string()),
        group_id: group_id.map(|g| g.to_string()),
        version: None,
    };
    (input, group_id, errors)
}

/// How a stored member's field reads in the preview.
fn shown_before(m: &Member, field: &str, locale: Locale, groups: &HashMap<i64, String>) -> String {
    let label = |key: Option<&'static str>, raw: &str| {
        key.map(|k| i18n::t(locale, k))
            .unwrap_or_else(|| raw.to_string())
    };
    match field {
        "name" => m.name.clone(),
        "gender" => label(
            Gender::parse("g", &m.gender).ok().map(|v| v.label_key()),
            &m.gender,
        ),
        "ethnicity" => m.ethnicity.clone(),
        "party" => label(
            Party::parse("p", &m.party).ok().map(|v| v.label_key()),
            &m.party,
        ),
        "sector" => m.sector.clone(),
        "workplace" => m.workplace.clone().unwrap_or_default(),
        "position" => m.title.clone().unwrap_or_default(),
        "phone" => m.phone_masked.clone(),
        "term" => m.term.to_string(),
        "status" => label(
            MemberStatus::parse("s", &m.status)
                .ok()
                .map(|v| v.label_key()),
            &m.status,
        ),
        "joined_on" => m.joined_on.to_string(),
        "group_id" => m
            .group_id
            .and_then(|g| groups.get(&g).cloned())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn shown_after(
    v: &MemberValues,
    field: &str,
    locale: Locale,
    groups: &HashMap<i64, String>,
) -> String {
    let label = |key: Option<&'static str>, raw: &str| {
        key.map(|k| i18n::t(locale, k))
            .unwrap_or_else(|| raw.to_string())
    };
    match field {
        "name" => v.name.clone(),
        "gender" => label(
            Gender::parse("g", &v.gender).ok().map(|g| g.label_key()),
            &v.gender,
        ),
        "ethnicity" => v.ethnicity.clone(),
        "party" => label(
            Party::parse("p", &v.party).ok().map(|p| p.label_key()),
            &v.party,
        ),
        "sector" => v.sector.clone(),
        "workplace" => v.workplace.clone().unwrap_or_default(),
        "position" => v.title.clone().unwrap_or_default(),
        "phone" => v.phone_masked.clone(),
        "term" => v.term.to_string(),
        "status" => label(
            MemberStatus::parse("s", &v.status)
                .ok()
                .map(|s| s.label_key()),
            &v.status,
        ),
        "joined_on" => v.joined_on.to_string(),
        "group_id" => v
            .group_id
            .and_then(|g| groups.get(&g).cloned())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// The fields an update changes (the phone compared in full, shown masked).
fn member_changes(m: &Member, v: &MemberValues, phone_changed: bool) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let pairs: [(&'static str, bool); 12] = [
        ("name", m.name != v.name),
        ("gender", m.gender != v.gender),
        ("ethnicity", m.ethnicity != v.ethnicity),
        ("party", m.party != v.party),
        ("sector", m.sector != v.sector),
        ("workplace", m.workplace != v.workplace),
        ("position", m.title != v.title),
        ("phone", phone_changed),
        ("term", m.term != v.term),
        ("status", m.status != v.status),
        ("joined_on", m.joined_on != v.joined_on),
        ("group_id", m.group_id != v.group_id || m.org_id != v.org_id),
    ];
    for (field, differs) in pairs {
        if differs {
            changed.push(field);
        }
    }
    changed
}

#[allow(clippy::too_many_arguments)]
async fn plan_members(
    db: &Db,
    cipher: &FieldCipher,
    actor: &Actor,
    org: &Org,
    layout: &Layout,
    rows: &[(u32, Vec<String>)],
    report: &mut ImportReport,
    problems: &mut Vec<CellError>,
    fingerprint: &mut Sha256,
    progress: Progress<'_>,
) -> Result<Vec<Op>, AppError> {
    let locale = actor.locale;
    // The committee's groups, by name.
    let group_list: Vec<Org> = orgs::list_orgs(db, &org.path, Some(OrgKind::Group.as_str()))
        .await?
        .into_iter()
        .filter(|g| g.parent_id == Some(org.id))
        .collect();
    let labels = MemberLabels::new(group_list.iter().map(|g| (g.name.clone(), g.id)).collect());
    let group_names: HashMap<i64, String> =
        group_list.iter().map(|g| (g.id, g.name.clone())).collect();
    // The ID numbers, normalised, and the rows that give one twice.
    let mut first_row: HashMap<String, u32> = HashMap::new();
    let mut hashes = Vec::with_capacity(rows.len());
    let mut row_hash: Vec<Option<String>> = Vec::with_capacity(rows.len());
    for (row, texts) in rows {
        let hash = ResidentId::parse("id_number", &texts[8])
            .ok()
            .map(|id| cipher.lookup_hash(id.as_str()));
        if let Some(h) = &hash {
            match first_row.get(h) {
                Some(first) => problems.push(CellError::at(
                    *row,
                    col_of_field(layout, "id_number").unwrap_or(0),
                    FieldError::new("id_number", "import_duplicate_row").with("row", first),
                )),
                None => {
                    first_row.insert(h.clone(), *row);
                    hashes.push(h.clone());
                }
            }
        }
        row_hash.push(hash);
    }
    let existing: HashMap<String, members::PlacedMember> = members::by_id_hashes(db, &hashes)
        .await?
        .into_iter()
        .map(|p| (p.member.id_number_hash.clone(), p))
        .collect();
    // A cell that could not be read is not refused a second time as empty.
    let unread: std::collections::HashSet<(u32, &'static str)> = problems
        .iter()
        .filter_map(|p| Some((p.row?, p.error.field)))
        .collect();
    let mut other_committees: HashMap<i64, String> = HashMap::new();
    let mut ops = Vec::with_capacity(rows.len());
    for (i, ((row, texts), hash)) in rows.iter().zip(&row_hash).enumerate() {
        if i % 1000 == 0 {
            progress(Stage::Check, i, rows.len());
        }
        let at = |field: &str| col_of_field(layout, field).unwrap_or(0);
        let (mut input, group_id, label_errors) = member_input(texts, &labels, org);
        let mut row_problems: Vec<CellError> = label_errors
            .into_iter()
            .map(|e| CellError::at(*row, at(e.field), e))
            .collect();
        let found = hash.as_ref().and_then(|h| existing.get(h));
        if let Some(placed) = found {
            let m = &placed.member;
            if !actor.sees(&placed.org_path) {
                row_problems.push(CellError::at(
                    *row,
                    at("id_number"),
                    FieldError::new("id_number", "id_number_taken"),
                ));
            } else if m.org_id != org.id {
                let name = match other_committees.get(&m.org_id) {
                    Some(n) => n.clone(),
                    None => {
                        let n = orgs::get_org(db, m.org_id)
                            .await?
                            .map(|o| o.name)
                            .unwrap_or_default();
                        other_committees.insert(m.org_id, n.clone());
                        n
                    }
                };
                row_problems.push(CellError::at(
                    *row,
                    at("id_number"),
                    FieldError::new("id_number", "import_member_elsewhere").with("committee", name),
                ));
            }
            // Blank status and date keep what is stored: the defaults
            // (active, today) are for a new member.
            if input.status.is_empty() {
                input.status = m.status.clone();
            }
            if input.joined_on.trim().is_empty() {
                input.joined_on = m.joined_on.to_string();
            }
            // The file has no leaving day: a member who stays gone keeps
            // theirs; one who leaves with this file leaves today (as on the
            // member form).
            if input.status == m.status {
                if let Some(left) = m.left_on {
                    input.left_on = left.to_string();
                }
            } else if m.status == "active" {
                input.left_on = crate::app::clock::today().to_string();
            }
        }
        let values = match member_service::validate_placed(cipher, &input, org.id, group_id) {
            Ok(v) => Some(v),
            Err(AppError::Validation(errors)) => {
                for e in errors.0 {
                    // Labels already refused are not refused twice.
                    if !row_problems.iter().any(|p| p.error.field == e.field)
                        && !unread.contains(&(*row, e.field))
                    {
                        row_problems.push(CellError::at(*row, at(e.field), e));
                    }
                }
                None
            }
            Err(e) => return Err(e),
        };
        let masked = ResidentId::parse("id_number", &texts[8])
            .map(|id| id.masked())
            .unwrap_or_default();
        let mut shown = ImportRow {
            row: *row,
            action: "invalid".into(),
            name: texts[0].trim().to_string(),
            id_number: masked,
            record_id: found.map(|p| p.member.id),
            changes: Vec::new(),
        };
        let ok = row_problems.is_empty();
        problems.extend(row_problems);
        if let (true, Some(values)) = (ok, values) {
            match found {
                None => {
                    shown.action = "create".into();
                    fingerprint.update(format!("c:{};", values.id_number_hash));
                    ops.push(Op::CreateMember(Box::new(values)));
                }
                Some(placed) => {
                    let m = &placed.member;
                    let phone_now = cipher.decrypt(&m.phone_enc).unwrap_or_default();
                    let phone_new = MobilePhone::parse("phone", &input.phone)
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_default();
                    let changed = member_changes(m, &values, phone_now != phone_new);
                    fingerprint.update(format!("m:{}:{}:{};", m.id, m.version, changed.len()));
                    if changed.is_empty() {
                        shown.action = "unchanged".into();
                    } else {
                        shown.action = "update".into();
                        shown.changes = changed
                            .iter()
                            .map(|f| ImportChange {
                                field: f.to_string(),
                                column: header(locale, f),
                                before: shown_before(m, f, locale, &group_names),
                                after: shown_after(&values, f, locale, &group_names),
                            })
                            .collect();
                        ops.push(Op::UpdateMember {
                            id: m.id,
                            version: m.version,
                            values: Box::new(values),
                        });
                    }
                }
            }
        }
        report.rows.push(shown);
    }
    progress(Stage::Check, rows.len(), rows.len());
    Ok(ops)
}

#[allow(clippy::too_many_arguments)]
async fn plan_departments(
    db: &Db,
    locale: Locale,
    org: &Org,
    layout: &Layout,
    rows: &[(u32, Vec<String>)],
    report: &mut ImportReport,
    problems: &mut Vec<CellError>,
    fingerprint: &mut Sha256,
) -> Result<Vec<Op>, AppError> {
    let existing: HashMap<String, Department> = orgs::departments_at(db, org.id)
        .await?
        .into_iter()
        .map(|d| (d.name.clone(), d))
        .collect();
    let at = |i: usize| layout.at.get(i).copied().flatten().unwrap_or(0);
    let mut first_row: HashMap<String, u32> = HashMap::new();
    let mut ops = Vec::new();
    for (row, texts) in rows {
        let input = UnitInput {
            name: texts[0].clone(),
            org_id: None,
            contact: Some(texts[1].clone()),
        };
        let mut errors = FieldErrors::new();
        let checked = org_service::check_department(&input, &mut errors);
        let mut row_problems: Vec<CellError> = errors
            .0
            .into_iter()
            .map(|e| {
                let col = if e.field == "contact" { at(1) } else { at(0) };
                CellError::at(*row, col, e)
            })
            .collect();
        let name = texts[0].trim().to_string();
        if let Some(first) = first_row.get(&name) {
            row_problems.push(CellError::at(
                *row,
                at(0),
                FieldError::new("name", "import_duplicate_name").with("row", first),
            ));
        } else if !name.is_empty() {
            first_row.insert(name.clone(), *row);
        }
        let found = existing.get(&name);
        let mut shown = ImportRow {
            row: *row,
            action: "invalid".into(),
            name: name.clone(),
            id_number: String::new(),
            record_id: found.map(|d| d.id),
            changes: Vec::new(),
        };
        let ok = row_problems.is_empty();
        problems.extend(row_problems);
        if let (true, Some((name, contact))) = (ok, checked) {
            match found {
                None => {
                    shown.action = "create".into();
                    fingerprint.update(format!("c:{name};"));
                    ops.push(Op::CreateDepartment { name, contact });
                }
                Some(d) => {
                    fingerprint.update(format!("d:{}:{};", d.id, d.version));
                    if d.contact == contact {
                        shown.action = "unchanged".into();
                    } else {
                        shown.action = "update".into();
                        shown.changes.push(ImportChange {
                            field: "contact".into(),
                            column: header(locale, "contact"),
                            before: d.contact.clone().unwrap_or_default(),
                            after: contact.clone().unwrap_or_default(),
                        });
                        ops.push(Op::UpdateDepartment {
                            id: d.id,
                            version: d.version,
                            name,
                            contact,
                        });
                    }
                }
            }
        }
        report.rows.push(shown);
    }
    Ok(ops)
}

/// Write the plan in one transaction: a record changed since the preview
/// (a stale version, an ID number registered meanwhile) undoes it all.
async fn apply(
    db: &Db,
    who: &Importer<'_>,
    org: &Org,
    kind: ImportKind,
    file: ImportFile<'_>,
    plan: Plan,
    progress: Progress<'_>,
) -> Result<ImportReport, AppError> {
    let Plan {
        mut report, ops, ..
    } = plan;
    let stale = || AppError::Conflict("import_preview_stale");
    let total = ops.len();
    let mut entries = Vec::with_capacity(total + 1);
    let mut tx = db.begin().await?;
    // New members first, many to a statement, then their duty-file entries
    // the same way: a row at a time, a 30,000-row roster spent its time
    // handing 60,000 statements to the database one by one.
    let created: Vec<&MemberValues> = ops
        .iter()
        .filter_map(|op| match op {
            Op::CreateMember(values) => Some(values.as_ref()),
            _ => None,
        })
        .collect();
    let mut written = 0;
    for batch in created.chunks(WRITE_BATCH) {
        let ids = match members::insert_many(&mut tx, batch).await {
            Ok(ids) => ids,
            Err(e) if is_unique_violation(&e) => return Err(stale()),
            Err(e) => return Err(e.into()),
        };
        let entries_of_batch: Vec<NewTimelineEntry<'_>> = batch
            .iter()
            .zip(&ids)
            .map(|(values, id)| NewTimelineEntry {
                member_id: *id,
                occurred_on: values.joined_on,
                kind: "registered",
                title: &values.name,
                object_type: Some("member"),
                object_id: Some(*id),
                created_by: who.user_id(),
            })
            .collect();
        if written == 0 && created.len() > WRITE_BATCH {
            // PostgreSQL checks each entry's member through a plan it made
            // when the table was small (a scan of the whole table, growing
            // with every batch); fresh statistics make it plan again.
            crate::storage::analyze(&mut tx, "members").await?;
        }
        timeline::insert_many(&mut tx, &entries_of_batch).await?;
        for (values, id) in batch.iter().zip(ids) {
            entries.push(who.audit("create", "member", id, member_service::audit_detail(values)));
        }
        written += batch.len();
        progress(Stage::Write, written, total);
    }
    for op in ops.iter() {
        if written % 1000 == 0 {
            progress(Stage::Write, written, total);
        }
        match op {
            Op::CreateMember(_) => continue,
            Op::UpdateMember {
                id,
                version,
                values,
            } => {
                let (id, version) = (*id, *version);
                let updated = match members::update(&mut tx, id, version, values).await {
                    Ok(updated) => updated,
                    Err(e) if is_unique_violation(&e) => return Err(stale()),
                    Err(e) => return Err(e.into()),
                };
                if !updated {
                    return Err(stale());
                }
                entries.push(who.audit(
                    "update",
                    "member",
                    id,
                    member_service::update_audit_detail(version, values),
                ));
            }
            Op::CreateDepartment { name, contact } => {
                let d = match orgs::insert_department(&mut tx, org.id, name, contact.as_deref())
                    .await
                {
                    Ok(d) => d,
                    Err(e) if is_unique_violation(&e) => return Err(stale()),
                    Err(e) => return Err(e.into()),
                };
                entries.push(who.audit(
                    "create",
                    "department",
                    d.id,
                    serde_json::json!({"name": name, "org_id": org.id}).to_string(),
                ));
            }
            Op::UpdateDepartment {
                id,
                version,
                name,
                contact,
            } => {
                if !orgs::update_department_contact(&mut tx, *id, *version, contact.as_deref())
                    .await?
                {
                    return Err(stale());
                }
                entries.push(who.audit(
                    "update",
                    "department",
                    *id,
                    serde_json::json!({"name": name, "org_id": org.id, "before_version": version})
                        .to_string(),
                ));
            }
        }
        written += 1;
    }
    let detail = serde_json::json!({
        "import_of": kind.object(),
        "file": file.name,
        "sha256": hex::encode(Sha256::digest(file.bytes)),
        "rows": report.rows_read,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "via": who.via.as_str(),
    });
    entries.push(who.audit("import", "org", org.id, detail.to_string()));
    audit::insert_many(&mut tx, &entries).await?;
    tx.commit().await?;
    if report.created + report.updated > WRITE_BATCH {
        // The next preview plans its reads with statistics that know the
        // new rows (PostgreSQL's own analysis comes later, by its clock).
        let mut tx = db.begin().await?;
        crate::storage::analyze(&mut tx, "members").await?;
        crate::storage::analyze(&mut tx, "timeline_entries").await?;
        tx.commit().await?;
    }
    progress(Stage::Write, total, total);
    report.imported = true;
    Ok(report)
}

/// New members written to a batch (their entries and audit rows with them).
const WRITE_BATCH: usize = 2000;

/// A template file: `.xlsx` or `.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateFormat {
    Xlsx,
    Csv,
}

impl TemplateFormat {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        match input.trim() {
            "xlsx" | "" => Ok(Self::Xlsx),
            "csv" => Ok(Self::Csv),
            _ => Err(FieldError::new("format", "invalid_choice")),
        }
    }

    pub fn content_type(&self) -> &'static str {
        match self {
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// The template to fill in: Chinese headers from the catalogue, the example
/// row, and (in `.xlsx`) the notes on a second sheet.
pub fn template(
    actor: &Actor,
    kind: ImportKind,
    format: TemplateFormat,
) -> Result<(Vec<u8>, String), AppError> {
    actor.require(&[Role::Staff])?;
    let zh = Locale::ZhCn;
    let example = example(kind);
    let choices = |field: &str| -> Vec<String> {
        match field {
            "gender" => Gender::ALL
                .iter()
                .map(|v| i18n::t(zh, v.label_key()))
                .collect(),
            "party" => Party::ALL
                .iter()
                .map(|v| i18n::t(zh, v.label_key()))
                .collect(),
            "status" => MemberStatus::ALL
                .iter()
                .map(|v| i18n::t(zh, v.label_key()))
                .collect(),
            _ => Vec::new(),
        }
    };
    let columns: Vec<TemplateColumn> = kind
        .columns()
        .iter()
        .zip(&example)
        .map(|(c, example)| TemplateColumn {
            header: header(zh, c.field),
            example: example.clone(),
            kind: match (c.kind, c.field) {
                (ColumnKind::Date, _) => TemplateKind::Date,
                (ColumnKind::Digits, _) | (_, "phone") => TemplateKind::Digits,
                _ => TemplateKind::Text,
            },
            choices: choices(c.field),
            width: match c.field {
                "id_number" => 22.0,
                "workplace" | "department_name" => 28.0,
                "phone" | "joined_on" | "contact" | "party" | "status" => 14.0,
                _ => 10.0,
            },
        })
        .collect();
    let sheet_name = i18n::t(zh, kind.label_key());
    let file_name = i18n::t_with(zh, "import.template_file", &[("kind", sheet_name.clone())]);
    let bytes = match format {
        TemplateFormat::Xlsx => {
            let notes_key = match kind {
                ImportKind::Members => "import.notes.members",
                ImportKind::Departments => "import.notes.departments",
            };
            let notes: Vec<String> = i18n::t(zh, notes_key).lines().map(str::to_string).collect();
            template::xlsx(
                &sheet_name,
                &columns,
                &i18n::t(zh, "import.notes_sheet"),
                &notes,
            )
            .map_err(AppError::internal_from)?
        }
        TemplateFormat::Csv => template::csv(&columns),
    };
    let extension = match format {
        TemplateFormat::Xlsx => "xlsx",
        TemplateFormat::Csv => "csv",
    };
    Ok((bytes, format!("{file_name}.{extension}")))
}

/// A file uploaded on the page, kept sealed until it is confirmed.
pub struct Pending {
    pub token: String,
    pub kind: ImportKind,
    pub org_id: i64,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Keep an upload for its confirmation; returns its token. Uploads left
/// unconfirmed for a while are forgotten on the way.
pub async fn keep(
    db: &Db,
    cipher: &FieldCipher,
    actor: &Actor,
    kind: ImportKind,
    org_id: i64,
    file_name: &str,
    bytes: &[u8],
) -> Result<String, AppError> {
    actor.require(&[Role::Staff])?;
    let org_id = target(db, actor, Some(org_id)).await?.id;
    let now = chrono::Utc::now();
    pending::delete_older(db, now - chrono::Duration::hours(PENDING_HOURS)).await?;
    let mut raw = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = hex::encode(raw);
    let sealed = cipher.encrypt_bytes(bytes, token.as_bytes())?;
    pending::insert(
        db,
        &pending::PendingUpload {
            token: token.clone(),
            user_id: actor.user_id,
            kind: kind.as_str().into(),
            org_id,
            file_name: file_name.chars().take(120).collect(),
            content: base64::engine::general_purpose::STANDARD.encode(sealed),
            created_at: now,
        },
    )
    .await?;
    Ok(token)
}

/// The upload `token` of this user, if it is still kept.
pub async fn kept(
    db: &Db,
    cipher: &FieldCipher,
    actor: &Actor,
    token: &str,
) -> Result<Pending, AppError> {
    actor.require(&[Role::Staff])?;
    let gone = || AppError::Conflict("import_upload_gone");
    let token = token.trim();
    if token.len() != 48 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(gone());
    }
    let upload = pending::get(db, token, actor.user_id)
        .await?
        .ok_or_else(gone)?;
    if upload.created_at < chrono::Utc::now() - chrono::Duration::hours(PENDING_HOURS) {
        return Err(gone());
    }
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(&upload.content)
        .map_err(AppError::internal_from)?;
    let bytes = cipher
        .decrypt_bytes(&sealed, token.as_bytes())
        .map_err(AppError::internal_from)?;
    Ok(Pending {
        token: upload.token,
        kind: ImportKind::parse(&upload.kind)?,
        org_id: upload.org_id,
        file_name: upload.file_name,
        bytes,
    })
}

/// Forget a kept upload (once imported).
pub async fn forget(db: &Db, token: &str) -> Result<(), AppError> {
    Ok(pending::delete(db, token).await?)
}

/// The committees a staff member may import into: their own and those below
/// (groups are no committees).
pub async fn committees(db: &Db, actor: &Actor) -> Result<Vec<Org>, AppError> {
    actor.require(&[Role::Staff])?;
    Ok(orgs::list_orgs(db, &actor.org_path, None)
        .await?
        .into_iter()
        .filter(|o| o.kind != OrgKind::Group.as_str())
        .collect())
}

/// Imports the page started and left running, by the token of their upload.
pub type ImportJobs = super::jobs::Jobs<ImportReport>;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_background_import_tells_its_progress_and_its_outcome_once() {
        use super::super::jobs::JobProgress;
        use std::sync::Arc;
        use std::time::Duration;
        let jobs = ImportJobs::default();
        let (end, ended) = tokio::sync::oneshot::channel::<()>();
        let job = jobs.start("t", 7, move |job| async move {
            job.report(Stage::Check, 5, 10);
            let _ = ended.await;
            Ok(ImportReport {
                created: 2,
                ..Default::default()
            })
        });
        assert!(!job.wait(Duration::from_millis(100)).await, "still running");
        assert_eq!(
            job.progress(),
            JobProgress {
                stage: Stage::Check,
                done: 5,
                total: 10
            }
        );
        // The same upload confirmed twice is one import.
        let again = jobs.start("t", 7, |_| async { Err(AppError::NotFound) });
        assert!(Arc::ptr_eq(&again, &job));
        // Only its starter sees it; nothing to take before it ends.
        assert!(jobs.get("t", 8).is_none());
        assert!(jobs.get("t", 7).is_some());
        assert!(jobs.take_outcome("t", 7).is_none());
        end.send(()).unwrap();
        assert!(job.wait(Duration::from_secs(10)).await);
        assert!(jobs.take_outcome("t", 8).is_none());
        assert_eq!(jobs.take_outcome("t", 7).unwrap().unwrap().created, 2);
        assert!(jobs.take_outcome("t", 7).is_none(), "taken once");
        assert!(jobs.get("t", 7).is_none());
        // An import that panics ends its job with an error, not a page
        // waiting for ever.
        let job = jobs.start("p", 7, |_| async {
            if std::hint::black_box(true) {
                panic!("an import that breaks");
            }
            Ok(ImportReport::default())
        });
        assert!(job.wait(Duration::from_secs(10)).await);
        assert!(matches!(
            jobs.take_outcome("p", 7),
            Some(Err(AppError::Internal(_)))
        ));
    }

    #[test]
    fn the_example_is_a_valid_member() {
        let e = example(ImportKind::Members);
        assert_eq!(e.len(), MEMBER_COLUMNS.len());
        assert!(ResidentId::parse("id_number", &e[8]).is_ok());
        assert_eq!(
            example(ImportKind::Departments).len(),
            DEPARTMENT_COLUMNS.len()
        );
    }

    #[test]
    fn labels_become_identifiers() {
        let labels = MemberLabels::new(HashMap::new());
        let party = |s| labels.party.get(s);
        assert_eq!(party("中共党员").unwrap(), "ccp");
        assert_eq!(party(" non_party ").unwrap(), "non_party");
        assert_eq!(party("").unwrap(), "");
        assert_eq!(labels.gender.get("女").unwrap(), "female");
        assert_eq!(labels.status.get("届满离任").unwrap(), "ended");
        let e = party("国民党").unwrap_err();
        assert_eq!(e.code, "import_choice");
        assert!(e.params[1].1.contains("九三学社社员"));
        assert_eq!(term_text("第十二届"), "12");
        assert_eq!(term_text(" 7 "), "7");
    }

    #[test]
    fn kinds_and_formats() {
        assert_eq!(
            ImportKind::parse("departments").unwrap(),
            ImportKind::Departments
        );
        assert!(ImportKind::parse("users").is_err());
        assert_eq!(TemplateFormat::parse("csv").unwrap(), TemplateFormat::Csv);
        assert!(TemplateFormat::parse("pdf").is_err());
    }
}
