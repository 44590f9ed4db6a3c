//! Work summaries (工作总结): the figures of a committee and a period counted
//! from the records at the moment of drafting, the text drafted from them
//! (`domain::reports`), and the files a committee hands in (Markdown, Word).

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::cases::{bad_request, committee};
use super::{archive, non_blank, Actor};
use crate::app::i18n::{self, Locale};
use crate::documents::{self, docx};
use crate::domain::activities::ActivityKind;
use crate::domain::archive::{ArchiveKind, DocumentRecord};
use crate::domain::audit::AuditVia;
use crate::domain::dates::parse_optional_date;
use crate::domain::info::AdoptionLevel;
use crate::domain::plans::PlanPeriod;
use crate::domain::projects::{self as project_rules, ProjectKind, ProjectStatus};
use crate::domain::reports::{
    self as rules, ActivityFigures, ActivityLine, InfoFigures, PlanLine, ProjectFigures,
    ProjectLine, ProposalFigures, ReceptionFigures, ReportPeriod, Summary, SummaryFigures,
};
use crate::domain::roles::Role;
use crate::domain::text::optional_text;
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::error::AppError;
use crate::services::steps::check_version;
use crate::storage::orgs::Org;
use crate::storage::projects::ProjectFilter;
use crate::storage::reports::{SavedSummary, SummaryVersion};
use crate::storage::{
    audit, cases as case_store, orgs, projects as project_store, reports as store, Db,
};

/// Kinds of activity a summary names one by one (the others are counted).
const NOTABLE_KINDS: &[ActivityKind] = &[
    ActivityKind::Charity,
    ActivityKind::Campaign,
    ActivityKind::Research,
    ActivityKind::Inspection,
];
/// At most this many activities named.
const NOTABLE_MAX: i64 = 6;

/// Which committee and which days: `period` (`2011`, `2011-H1`, `2011-Q3`,
/// `2011-05`) or `from` and `to`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct SummaryQuery {
    /// The committee (default: the user's own).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub org: Option<String>,
    /// `2011`, `2011-H1`, `2011-Q3` or `2011-05`; default: the half-year of
    /// the committee's latest record.
    pub period: Option<String>,
    /// First day (ISO date), with `to`, instead of `period`.
    pub from: Option<String>,
    /// Last day (ISO date).
    pub to: Option<String>,
}

/// The days asked for: a period or a range; `None` when neither is given.
pub fn parse_period(q: &SummaryQuery) -> Result<Option<ReportPeriod>, AppError> {
    let mut errors = FieldErrors::new();
    let from = errors.check(parse_optional_date("from", q.from.as_deref().unwrap_or("")));
    let to = errors.check(parse_optional_date("to", q.to.as_deref().unwrap_or("")));
    let period = non_blank(&q.period).map(|p| PlanPeriod::parse("period", p));
    if let Some(Err(e)) = &period {
        errors.push(e.clone());
    }
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors));
    }
    let (from, to) = (from.flatten(), to.flatten());
    match (period, from, to) {
        (Some(Ok(p)), None, None) => Ok(ReportPeriod::new(p.first_day(), p.last_day())),
        (Some(_), _, _) => Err(FieldError::new("period", "period_or_range").into_bad_request()),
        (None, Some(f), Some(t)) => ReportPeriod::new(f, t)
            .map(Some)
            .ok_or_else(|| FieldError::new("to", "range_reversed").into_bad_request()),
        (None, Some(_), None) => Err(FieldError::new("to", "required").into_bad_request()),
        (None, None, Some(_)) => Err(FieldError::new("from", "required").into_bad_request()),
        (None, None, None) => Ok(None),
    }
}

/// The half-year a summary opens on: the one of the committee's latest
/// record (never after today), or the last half-year that ended when it
/// has none.
pub async fn default_period(db: &Db, org: &Org) -> Result<ReportPeriod, AppError> {
    let today = crate::app::clock::today();
    let latest = store::latest_record_day(db, &org.path)
        .await?
        .filter(|d| *d <= today);
    let half = |d: NaiveDate| ReportPeriod::half(d.year(), d.month() <= 6);
    let period = match latest {
        Some(day) => half(day),
        None => half(today - chrono::Duration::days(184)),
    };
    period.ok_or_else(|| AppError::internal("a half-year of a valid date"))
}

/// The days of `q`, or the default half-year of `org`.
pub async fn period_for(db: &Db, org: &Org, q: &SummaryQuery) -> Result<ReportPeriod, AppError> {
    match parse_period(q)? {
        Some(p) => Ok(p),
        None => default_period(db, org).await,
    }
}

trait IntoBadRequest {
    fn into_bad_request(self) -> AppError;
}

impl IntoBadRequest for FieldError {
    fn into_bad_request(self) -> AppError {
        AppError::BadRequest(self.into())
    }
}

/// The committee a staff member drafts for (in their subtree) and the days.
pub async fn resolve(
    db: &Db,
    actor: &Actor,
    q: &SummaryQuery,
) -> Result<(Org, ReportPeriod), AppError> {
    actor.require(&[Role::Staff])?;
    parse_period(q)?;
    let org = committee(db, actor, "org", non_blank(&q.org))
        .await
        .map_err(bad_request)?;
    let period = period_for(db, &org, q).await?;
    Ok((org, period))
}

/// The summary's figures, counted now from the records of `org`'s subtree.
pub async fn figures(
    db: &Db,
    org: &Org,
    period: ReportPeriod,
    locale: Locale,
) -> Result<SummaryFigures, AppError> {
    let (from, to) = (period.from, period.to);
    let counts = store::range_counts(db, &org.path, from, to).await?;
    let (days, _visits, visitors) =
        case_store::reception_figures(db, &org.path, Some(from), Some(to)).await?;
    // The day is a setting with a default: a committee always has one.
    let day_of_month = Some(super::cases::settings_for(db, org.id).await?.day_of_month);
    let activities = store::activity_counts(db, &org.path, from, to).await?;
    let notable_kinds: Vec<&str> = NOTABLE_KINDS.iter().map(|k| k.as_str()).collect();
    let notable =
        store::activity_titles(db, &org.path, from, to, &notable_kinds, NOTABLE_MAX).await?;
    let adoptions = store::adoption_counts(db, &org.path, from, to).await?;
    let parent = match org.parent_id {
        Some(id) => orgs::get_org(db, id).await?.map(|p| p.name),
        None => None,
    };
    Ok(SummaryFigures {
        committee: org.name.clone(),
        parent,
        period,
        members: counts.members,
        groups: counts.groups,
        communities: counts.communities,
        projects: project_figures(db, org, period).await?,
        reception: ReceptionFigures {
            days,
            visitors,
            cases: counts.cases,
            forwarded: counts.cases_forwarded,
            resolved: counts.cases_resolved,
            day_of_month,
        },
        activities: ActivityFigures {
            lines: ActivityKind::ALL
                .iter()
                .filter_map(|k| {
                    activities
                        .iter()
                        .find(|a| a.kind == k.as_str())
                        .map(|a| ActivityLine {
                            kind_key: k.label_key().to_string(),
                            held: a.held,
                            attendances: a.attendances,
                        })
                })
                .collect(),
            notable,
        },
        proposals: ProposalFigures {
            submitted: counts.proposals_submitted,
            accepted: counts.proposals_accepted,
            merged: counts.proposals_merged,
            not_accepted: counts.proposals_not_accepted,
            answered: counts.proposals_answered,
            key: counts.proposals_key,
        },
        info: InfoFigures {
            submitted: counts.info_submitted,
            forwarded: counts.info_forwarded,
            adopted: AdoptionLevel::ALL
                .iter()
                .filter_map(|level| {
                    adoptions
                        .iter()
                        .find(|a| a.level == level.as_str())
                        .map(|a| (level.label_key().to_string(), a.adopted))
                })
                .collect(),
            instructed: counts.info_instructed,
        },
        research_reports: counts.research_reports,
        plan: plan_lines(db, org, period, locale).await?,
        next_plan: next_plan(db, org, period).await?,
    })
}

/// The plan period a report period is, when it is one (a year or a half).
fn plan_period(period: ReportPeriod) -> Option<PlanPeriod> {
    PlanPeriod::parse("period", &period.code()?).ok()
}

/// How each rule of the year's plan was kept in the period, as it closed:
/// its checks that were due (each scope in each of its periods), met and
/// missed.
async fn plan_lines(
    db: &Db,
    org: &Org,
    period: ReportPeriod,
    locale: Locale,
) -> Result<Vec<PlanLine>, AppError> {
    let Some(asked) = plan_period(period) else {
        return Ok(Vec::new());
    };
    // As the period closed (or today, for a period still running).
    let as_of = period.to.min(crate::app::clock::today());
    let rules = super::plans::committee_status(db, org, asked, as_of, locale).await?;
    Ok(rules
        .into_iter()
        .map(|r| {
            let sum = |f: &dyn Fn(&super::plans::PeriodStatus) -> usize| -> i64 {
                r.periods.iter().map(|p| f(p) as i64).sum()
            };
            PlanLine {
                per_member: r.scope == crate::domain::plans::Scope::EachMember,
                due: sum(&|p| p.met + p.on_track + p.at_risk + p.missed),
                met: sum(&|p| p.met),
                missed: sum(&|p| p.missed),
                text: r.rule_text,
            }
        })
        .collect())
}

/// The next period's plan: the items of the plan of the year it falls in.
async fn next_plan(db: &Db, org: &Org, period: ReportPeriod) -> Result<Vec<String>, AppError> {
    match period.next() {
        Some(next) => super::plans::item_texts(db, org.id, next.from.year()).await,
        None => Ok(Vec::new()),
    }
}

/// The period's year's projects with their figures to date, as a summary
/// states them ("截止目前"): the latest update of that year entered by
/// today, dated, so that a half-year's summary written at the year's end
/// gives the year's progress so far.
async fn project_figures(
    db: &Db,
    org: &Org,
    period: ReportPeriod,
) -> Result<ProjectFigures, AppError> {
    let year = period.to.year();
    let today = crate::app::clock::today();
    let filter = ProjectFilter {
        scope_path: org.path.clone(),
        year: Some(i64::from(year)),
        ..Default::default()
    };
    let projects = project_store::list(db, &filter).await?;
    let updates = project_store::updates_of(db, &filter).await?;
    let pairs: Vec<(ProjectKind, ProjectStatus)> =
        projects.iter().map(|p| (p.kind, p.status)).collect();
    let counts = project_rules::count(&pairs);
    let lines = projects
        .iter()
        .map(|p| {
            let mine: Vec<_> = updates
                .iter()
                .filter(|u| u.project_id == p.id && u.occurred_on <= today)
                .map(|u| u.as_domain())
                .collect();
            let latest = project_rules::latest(&mine, year);
            ProjectLine {
                name: p.name.clone(),
                total_investment: p.total_investment,
                invested: latest.invested,
                target: p.annual_target,
                households_total: p.households,
                compensated: latest.compensated,
                demolished: latest.demolished,
                as_of: mine
                    .iter()
                    .map(|u| u.on)
                    .filter(|on| on.year() <= year)
                    .max(),
            }
        })
        .collect();
    Ok(ProjectFigures {
        key: counts.key as i64,
        self_set: counts.self_set as i64,
        by_status: counts
            .by_status
            .iter()
            .map(|(s, n)| (s.label_key().to_string(), *n as i64))
            .collect(),
        lines,
    })
}

/// Draft the summary of `org` for `period` in `locale`.
pub async fn draft(
    db: &Db,
    org: &Org,
    period: ReportPeriod,
    locale: Locale,
) -> Result<(SummaryFigures, Summary), AppError> {
    let figures = figures(db, org, period, locale).await?;
    let tr = |key: &str, params: &[(&str, String)]| i18n::t_with(locale, key, params);
    let summary = rules::draft(&figures, &tr);
    Ok((figures, summary))
}

/// The file formats a summary is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Docx,
    Markdown,
    Html,
}

impl FileFormat {
    /// `docx`, `md` (or `markdown`), `html`.
    pub fn parse(field: &'static str, input: &str) -> Result<Self, FieldError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "docx" => Ok(Self::Docx),
            "md" | "markdown" => Ok(Self::Markdown),
            "html" => Ok(Self::Html),
            _ => Err(FieldError::new(field, "report_format")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Docx => "docx",
            Self::Markdown => "md",
            Self::Html => "html",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Markdown => "text/markdown; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
        }
    }
}

/// A written file: its bytes and the name to save it under.
pub struct SummaryFile {
    pub bytes: Vec<u8>,
    pub file_name: String,
    pub format: FileFormat,
}

/// Who asked for a file, for the audit log: someone signed in (through the
/// pages or the API) or the operator at the server.
pub enum Requester<'a> {
    Actor(&'a Actor, AuditVia),
    Cli,
}

impl Requester<'_> {
    /// Who files the document in the archive.
    fn filer(&self) -> archive::Filer<'_> {
        match self {
            Requester::Actor(actor, _) => archive::Filer::Actor(actor),
            Requester::Cli => archive::Filer::Cli,
        }
    }
}

/// What a generated document is filed as: its kind, committee and record.
struct Filing<'a> {
    kind: ArchiveKind,
    org_id: i64,
    record: DocumentRecord,
    record_title: &'a str,
}

/// File a Word document just written in the archive with its kind,
/// committee and record (once per content: the same document downloaded
/// again files nothing new). Markdown and HTML are the same text for other
/// uses and are not filed.
async fn file_in_archive(
    db: &Db,
    filer: archive::Filer<'_>,
    file: &SummaryFile,
    text: &Summary,
    filing: Filing<'_>,
) -> Result<(), AppError> {
    if file.format != FileFormat::Docx {
        return Ok(());
    }
    let markdown = rules::to_markdown(text);
    archive::file_document(
        db,
        filer,
        &archive::Generated {
            kind: filing.kind,
            org_id: filing.org_id,
            record: filing.record,
            record_title: filing.record_title,
            title: &text.title,
            file_name: &file.file_name,
            content_type: file.format.content_type(),
            bytes: &file.bytes,
            text: &markdown,
        },
    )
    .await
    .map(|_| ())
}

/// Write `summary` as a file: the committee's name and the period's last day
/// close a Word document as its issuer and date.
pub fn write_file(
    summary: &Summary,
    committee: &str,
    period: ReportPeriod,
    format: FileFormat,
    locale: Locale,
) -> Result<SummaryFile, AppError> {
    let bytes = match format {
        FileFormat::Markdown => rules::to_markdown(summary).into_bytes(),
        FileFormat::Html => documents::html::summary(summary, locale.as_str()).into_bytes(),
        FileFormat::Docx => {
            let tr = |key: &str, params: &[(&str, String)]| i18n::t_with(locale, key, params);
            let signature = docx::Signature {
                issuer: committee.to_string(),
                date: rules::date_words(period.to, &tr),
            };
            docx::summary(summary, Some(&signature)).map_err(AppError::internal)?
        }
    };
    Ok(SummaryFile {
        bytes,
        file_name: format!(
            "summary_{}_{}_{}.{}",
            committee,
            period.from,
            period.to,
            format.as_str()
        ),
        format,
    })
}

/// The file format asked for: `docx` when none is given.
fn file_format(asked: &Option<String>) -> Result<FileFormat, AppError> {
    match non_blank(asked) {
        None => Ok(FileFormat::Docx),
        Some(f) => FileFormat::parse("format", f).map_err(|e| e.into_bad_request()),
    }
}

/// A year's days up to today (the whole year once it is over): what a
/// document of the year covers and is dated by.
fn year_to_date(field: &'static str, year: i32) -> Result<ReportPeriod, AppError> {
    let whole = ReportPeriod::year(year)
        .ok_or_else(|| FieldError::new(field, "year_range").into_bad_request())?;
    let last = whole.to.min(crate::app::clock::today()).max(whole.from);
    ReportPeriod::new(whole.from, last)
        .ok_or_else(|| AppError::internal("a year starts before its end"))
}

/// What a file download asks for: the summary's committee and days, and the
/// format (`docx` when empty).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FileQuery {
    #[serde(flatten)]
    pub summary: SummaryQuery,
    pub format: Option<String>,
}

/// The file a signed-in user asked for (through the pages or the API).
pub async fn file_for(
    db: &Db,
    actor: &Actor,
    via: AuditVia,
    q: &FileQuery,
) -> Result<SummaryFile, AppError> {
    let format = file_format(&q.format)?;
    let (org, period) = resolve(db, actor, &q.summary).await?;
    export(db, Requester::Actor(actor, via), &org, period, format).await
}

/// Draft the summary of `org` for `period` and write it as a file, audited
/// as an export.
pub async fn export(
    db: &Db,
    requester: Requester<'_>,
    org: &Org,
    period: ReportPeriod,
    format: FileFormat,
) -> Result<SummaryFile, AppError> {
    let locale = match &requester {
        Requester::Actor(actor, _) => actor.locale,
        Requester::Cli => Locale::ZhCn,
    };
    let (figures, summary) = draft(db, org, period, locale).await?;
    let file = write_file(&summary, &figures.committee, figures.period, format, locale)?;
    file_in_archive(
        db,
        requester.filer(),
        &file,
        &summary,
        Filing {
            kind: ArchiveKind::SummaryFile,
            org_id: org.id,
            record: DocumentRecord::Period {
                org_id: org.id,
                code: period.code(),
                from: period.from,
                to: period.to,
            },
            record_title: &org.name,
        },
    )
    .await?;
    let detail = |via: AuditVia| {
        format!(
            "org_id={}; from={}; to={}; format={}; via={}; bytes={}",
            org.id,
            period.from,
            period.to,
            format.as_str(),
            via.as_str(),
            file.bytes.len()
        )
    };
    let entry = match requester {
        Requester::Actor(actor, via) => actor.audit("export", "summary", org.id, Some(detail(via))),
        Requester::Cli => {
            super::users::cli_audit("export", "summary", org.id, detail(AuditVia::Cli))
        }
    };
    audit::insert_alone(db, &entry).await?;
    Ok(file)
}

// ---------------------------------------------------------------------------
// Saved summaries: edited, saved as dated versions, filed in the archive

/// The longest note kept with a version or a withdrawal, in characters.
const NOTE_MAX_CHARS: usize = 500;

/// A summary's text as staff save it: the committee and days it is for,
/// the text (as the page edits it), a note, and how many versions were read.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct SaveInput {
    /// The committee (default: the user's own).
    #[schema(value_type = Option<i64>)]
    pub org: Option<String>,
    /// `2011`, `2011-H1`, `2011-Q3` or `2011-05`; or `from` and `to`.
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The whole text in Markdown: a `#` title first, `##` and `###`
    /// headings, pipe tables, a blank line between paragraphs.
    pub text: Option<String>,
    /// What this version changed (optional).
    pub note: Option<String>,
    /// How many versions the summary had when read: 0 (or absent) for the
    /// first save, then the `versions` of the saved summary.
    #[schema(value_type = Option<i64>)]
    pub versions: Option<String>,
}

/// Taking a summary out of the archive: why, and how many versions were read.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct WithdrawInput {
    pub reason: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub versions: Option<String>,
}

/// A saved summary with its versions, newest first.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct SummaryDetail {
    pub summary: SavedSummary,
    pub versions: Vec<SummaryVersion>,
}

/// What the archive lists (query string).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ArchiveQuery {
    /// The committee (default: the user's own); its subtree is listed.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub org: Option<String>,
    /// The year filed under (the period's last day's); all years when empty.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub year: Option<String>,
    /// Words in the title or the latest text.
    pub q: Option<String>,
    /// `true`: those taken out of the archive instead.
    pub withdrawn: Option<String>,
}

/// A version's file: which version (the latest when empty) and the format.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct VersionFileQuery {
    /// The version's number; the latest when empty.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub version: Option<String>,
    /// `docx` (default), `md` or `html`.
    pub format: Option<String>,
}

fn read_versions(input: &Option<String>) -> Result<i64, AppError> {
    match non_blank(input) {
        None => Ok(0),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .ok_or_else(|| FieldError::new("versions", "count_format").into()),
    }
}

fn note_of(field: &'static str, input: &Option<String>) -> Result<String, FieldError> {
    Ok(optional_text(field, input.as_deref().unwrap_or(""), NOTE_MAX_CHARS)?.unwrap_or_default())
}

/// Save `input` as the next version of its committee's summary for its
/// period, filing the summary in the archive with its first version. A save
/// made on a stale read (someone saved first) changes nothing.
pub async fn save(db: &Db, actor: &Actor, input: &SaveInput) -> Result<SummaryDetail, AppError> {
    actor.require(&[Role::Staff])?;
    let as_query = SummaryQuery {
        org: input.org.clone(),
        period: input.period.clone(),
        from: input.from.clone(),
        to: input.to.clone(),
    };
    let as_body = |e: AppError| match e {
        AppError::BadRequest(errors) => AppError::Validation(errors),
        other => other,
    };
    let period = parse_period(&as_query)
        .map_err(as_body)?
        .ok_or_else(|| AppError::from(FieldError::new("period", "required")))?;
    let org = committee(db, actor, "org", non_blank(&input.org)).await?;
    let mut errors = FieldErrors::new();
    let text = errors.check(rules::parse_markdown(
        "text",
        input.text.as_deref().unwrap_or(""),
    ));
    let note = errors.check(note_of("note", &input.note));
    let read = read_versions(&input.versions)?;
    errors.into_result()?;
    let (Some(summary), Some(note)) = (text, note) else {
        return Err(AppError::internal("validated summary text missing"));
    };
    let stored = rules::to_markdown(&summary);
    let mut tx = db.begin().await?;
    let (id, first) = match store::saved_summary_of(db, org.id, period.from, period.to).await? {
        Some(s) => (s.id, false),
        None => {
            let code = period.code().unwrap_or_default();
            let filed = store::insert_summary(
                &mut tx,
                &store::NewSummary {
                    org_id: org.id,
                    from: period.from,
                    to: period.to,
                    period_code: &code,
                    title: &summary.title,
                    filed_on: crate::app::clock::today(),
                    user_id: actor.user_id,
                },
            )
            .await?;
            (filed.ok_or(AppError::Conflict("stale_version"))?, true)
        }
    };
    check_version(
        store::add_summary_version(
            &mut tx,
            &store::NewVersion {
                summary_id: id,
                read_versions: read,
                title: &summary.title,
                text: &stored,
                note: &note,
                user_id: actor.user_id,
            },
        )
        .await?,
    )?;
    let detail = serde_json::json!({
        "org_id": org.id, "period": format!("{}..{}", period.from, period.to), "version": read + 1,
        "title": summary.title, "chars": stored.chars().count(), "note": note,
    });
    let action = if first { "create" } else { "update" };
    crate::storage::search::record_change(&mut tx, "summary", id).await?;
    audit::insert(
        &mut tx,
        &actor.audit(action, "summary", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    saved_detail(db, actor, id).await
}

/// A saved summary the actor may read (staff within their subtree);
/// anything else is "not found".
async fn saved(db: &Db, actor: &Actor, id: i64) -> Result<SavedSummary, AppError> {
    actor.require(&[Role::Staff])?;
    match store::saved_summary(db, id).await? {
        Some(s) if actor.sees(&s.org_path) => Ok(s),
        _ => Err(AppError::NotFound),
    }
}

/// A saved summary with every version.
pub async fn saved_detail(db: &Db, actor: &Actor, id: i64) -> Result<SummaryDetail, AppError> {
    let summary = saved(db, actor, id).await?;
    let versions = store::summary_versions(db, id).await?;
    Ok(SummaryDetail { summary, versions })
}

/// The saved summary of a committee's period, if one was filed (for the
/// drafting page: it edits the latest version).
pub async fn saved_for(
    db: &Db,
    org: &Org,
    period: ReportPeriod,
) -> Result<Option<(SavedSummary, SummaryVersion)>, AppError> {
    let Some(s) = store::saved_summary_of(db, org.id, period.from, period.to).await? else {
        return Ok(None);
    };
    let latest = store::summary_version(db, s.id, s.versions)
        .await?
        .ok_or_else(|| AppError::internal("a saved summary without its latest version"))?;
    Ok(Some((s, latest)))
}

/// The saved summaries of the actor's committee (or one in their subtree).
pub async fn archive(
    db: &Db,
    actor: &Actor,
    q: &ArchiveQuery,
) -> Result<Vec<SavedSummary>, AppError> {
    actor.require(&[Role::Staff])?;
    let org = committee(db, actor, "org", non_blank(&q.org))
        .await
        .map_err(bad_request)?;
    let year = match non_blank(&q.year) {
        None => None,
        Some(y) => Some(
            crate::domain::activities::parse_year("year", y)
                .map_err(|e| e.into_bad_request())?
                .into(),
        ),
    };
    let withdrawn = match non_blank(&q.withdrawn) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(FieldError::new("withdrawn", "true_or_false").into_bad_request()),
    };
    let filter = store::SummaryFilter {
        scope_path: org.path,
        year,
        withdrawn,
        text: non_blank(&q.q).map(str::to_string),
    };
    Ok(store::saved_summaries(db, &filter).await?)
}

/// Take a summary out of the archive, with the reason (required, audited).
pub async fn withdraw(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &WithdrawInput,
) -> Result<SummaryDetail, AppError> {
    let summary = saved(db, actor, id).await?;
    let mut errors = FieldErrors::new();
    let reason = errors.check(crate::domain::text::required_text(
        "reason",
        input.reason.as_deref().unwrap_or(""),
        NOTE_MAX_CHARS,
    ));
    let read = read_versions(&input.versions)?;
    errors.into_result()?;
    let Some(reason) = reason else {
        return Err(AppError::internal("validated reason missing"));
    };
    if summary.withdrawn_on.is_some() {
        return Err(AppError::Conflict("summary_withdrawn"));
    }
    let mut tx = db.begin().await?;
    check_version(
        store::withdraw_summary(
            &mut tx,
            id,
            read,
            crate::app::clock::today(),
            actor.user_id,
            &reason,
        )
        .await?,
    )?;
    crate::storage::search::record_change(&mut tx, "summary", id).await?;
    let detail = serde_json::json!({ "reason": reason, "versions": read });
    audit::insert(
        &mut tx,
        &actor.audit("withdraw", "summary", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    saved_detail(db, actor, id).await
}

/// A saved version as a file (the latest when no number is given), audited
/// as an export.
pub async fn version_file(
    db: &Db,
    actor: &Actor,
    via: AuditVia,
    id: i64,
    q: &VersionFileQuery,
) -> Result<SummaryFile, AppError> {
    let summary = saved(db, actor, id).await?;
    let format = file_format(&q.format)?;
    let number = match non_blank(&q.version) {
        None => summary.versions,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| FieldError::new("version", "id_format").into_bad_request())?,
    };
    let version = store::summary_version(db, id, number)
        .await?
        .ok_or(AppError::NotFound)?;
    let text = rules::parse_markdown("text", &version.text).map_err(|e| {
        AppError::internal(format!("a saved summary that does not read back: {e:?}"))
    })?;
    let period = ReportPeriod::new(summary.period_from, summary.period_to)
        .ok_or_else(|| AppError::internal("a saved summary's days are in order"))?;
    let file = write_file(&text, &summary.org_name, period, format, actor.locale)?;
    let detail = format!(
        "summary_id={id}; version={number}; format={}; via={}; bytes={}",
        format.as_str(),
        via.as_str(),
        file.bytes.len()
    );
    audit::insert_alone(
        db,
        &actor.audit("export", "summary", summary.org_id, Some(detail)),
    )
    .await?;
    Ok(file)
}

// ---------------------------------------------------------------------------
// The year's work plan as a document

/// `org`'s plan for `year` as a file: its items, and its rules as they stood
/// at the year's end (or today, in the year itself); audited as an export.
pub async fn plan_file(
    db: &Db,
    requester: Requester<'_>,
    org: &Org,
    year: i32,
    format: FileFormat,
) -> Result<SummaryFile, AppError> {
    let locale = match &requester {
        Requester::Actor(actor, _) => actor.locale,
        Requester::Cli => Locale::ZhCn,
    };
    let items = super::plans::item_texts(db, org.id, year).await?;
    if items.is_empty() {
        return Err(FieldError::new("year", "no_plan_for_year")
            .with("year", year)
            .into_bad_request());
    }
    let dated = year_to_date("year", year)?;
    let period =
        ReportPeriod::year(year).ok_or_else(|| AppError::internal("a valid year's period"))?;
    let document = rules::PlanDocument {
        committee: org.name.clone(),
        year,
        items,
        lines: plan_lines(db, org, period, locale).await?,
        as_of: dated.to,
    };
    let tr = |key: &str, params: &[(&str, String)]| i18n::t_with(locale, key, params);
    let text = rules::plan_document(&document, &tr);
    let mut file = write_file(&text, &org.name, dated, format, locale)?;
    file.file_name = format!("plan_{}_{year}.{}", org.name, format.as_str());
    file_in_archive(
        db,
        requester.filer(),
        &file,
        &text,
        Filing {
            kind: ArchiveKind::Plan,
            org_id: org.id,
            record: DocumentRecord::Plan {
                org_id: org.id,
                year,
            },
            record_title: &org.name,
        },
    )
    .await?;
    let detail = |via: AuditVia| {
        format!(
            "org_id={}; year={year}; format={}; via={}; bytes={}",
            org.id,
            format.as_str(),
            via.as_str(),
            file.bytes.len()
        )
    };
    let entry = match requester {
        Requester::Actor(actor, via) => actor.audit("export", "plan", org.id, Some(detail(via))),
        Requester::Cli => super::users::cli_audit("export", "plan", org.id, detail(AuditVia::Cli)),
    };
    audit::insert_alone(db, &entry).await?;
    Ok(file)
}

// ---------------------------------------------------------------------------
// A member's year of duty as a document (履职情况登记表)

/// Which year of a member's duty file, and the file's format.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct DutyFileQuery {
    /// The year (default: this year).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub year: Option<String>,
    /// `docx` (default), `md` or `html`.
    pub format: Option<String>,
}

/// A member's registration form for a year: who they are, the year's records
/// from their duty file, and their points. Staff within their subtree and
/// the member themself; audited as an export.
pub async fn duty_file(
    db: &Db,
    actor: &Actor,
    via: AuditVia,
    member_id: i64,
    q: &DutyFileQuery,
) -> Result<SummaryFile, AppError> {
    use crate::domain::members::{Gender, Party, Term};
    let format = file_format(&q.format)?;
    let year = match non_blank(&q.year) {
        None => crate::app::clock::this_year(),
        Some(y) => {
            crate::domain::activities::parse_year("year", y).map_err(|e| e.into_bad_request())?
        }
    };
    let (member, place, entries) = super::members::duty_file(db, actor, member_id).await?;
    let locale = actor.locale;
    let t = |key: &str| i18n::t(locale, key);
    let choice =
        |parsed: Option<&'static str>, raw: &str| parsed.map_or_else(|| raw.to_string(), t);
    let term = u8::try_from(member.term)
        .ok()
        .and_then(Term::new)
        .map_or_else(
            || member.term.to_string(),
            |term| match locale {
                Locale::ZhCn => term.zh_label(),
                _ => term.en_label(),
            },
        );
    let workplace = [member.workplace.clone(), member.title.clone()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut facts = vec![
        (t("field.name"), member.name.clone()),
        (
            t("field.gender"),
            choice(
                Gender::parse("gender", &member.gender)
                    .ok()
                    .map(|g| g.label_key()),
                &member.gender,
            ),
        ),
        (t("field.ethnicity"), member.ethnicity.clone()),
        (
            t("field.birth_date"),
            member.birth_date.format("%Y-%m").to_string(),
        ),
        (
            t("field.party"),
            choice(
                Party::parse("party", &member.party)
                    .ok()
                    .map(|p| p.label_key()),
                &member.party,
            ),
        ),
        (t("field.sector"), member.sector.clone()),
        (t("field.workplace"), workplace),
        (t("field.org"), place.org_name.clone()),
        (
            t("field.group"),
            place.group_name.clone().unwrap_or_default(),
        ),
        (
            t("field.community"),
            place.community.clone().unwrap_or_default(),
        ),
        (t("field.term"), term),
        (t("field.joined_on"), member.joined_on.to_string()),
    ];
    // A member who left says so (离任日期), after the day they joined.
    if let Some(left) = member.left_on {
        facts.push((t("field.left_on"), left.to_string()));
    }
    let mut entries: Vec<(NaiveDate, String, String)> = entries
        .into_iter()
        .filter(|e| e.occurred_on.year() == year)
        .map(|e| {
            (
                e.occurred_on,
                t(&format!("timeline.kind.{}", e.kind)),
                e.title,
            )
        })
        .collect();
    entries.sort_by_key(|e| e.0);
    let year_text = year.to_string();
    let points = match super::points::breakdown(db, actor, member_id, Some(&year_text)).await {
        Ok(b) => Some(rules::DutyPoints {
            committee: b.committee.clone(),
            score: b.score.clone(),
            grade: b.grade_label.clone(),
            by_kind: b
                .by_kind
                .iter()
                .map(|k| (k.label.clone(), k.counted.clone(), k.capped.clone()))
                .collect(),
            deductions: b
                .deductions
                .iter()
                .filter(|d| !d.withdrawn)
                .map(|d| (d.on, d.points.clone(), d.reason.clone()))
                .collect(),
        }),
        Err(AppError::NotFound) => None,
        Err(e) => return Err(e),
    };
    let record = rules::DutyRecord {
        name: member.name.clone(),
        year,
        facts,
        entries,
        points,
    };
    let tr = |key: &str, params: &[(&str, String)]| i18n::t_with(locale, key, params);
    let text = rules::duty_record(&record, &tr);
    let dated = year_to_date("year", year)?;
    let mut file = write_file(&text, &place.org_name, dated, format, locale)?;
    file.file_name = format!("duty_{}_{year}.{}", member.name, format.as_str());
    file_in_archive(
        db,
        archive::Filer::Actor(actor),
        &file,
        &text,
        Filing {
            kind: ArchiveKind::DutyFile,
            org_id: member.org_id,
            record: DocumentRecord::Member { member_id, year },
            record_title: &member.name,
        },
    )
    .await?;
    let detail = format!(
        "member_id={member_id}; year={year}; format={}; via={}; bytes={}",
        format.as_str(),
        via.as_str(),
        file.bytes.len()
    );
    audit::insert_alone(
        db,
        &actor.audit("export", "member", member_id, Some(detail)),
    )
    .await?;
    Ok(file)
}

// ---------------------------------------------------------------------------
// A session's proposals compiled (提案汇编)

/// Which committee's session, and the file's format.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct CompilationQuery {
    /// The committee (default: the user's own).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub org: Option<String>,
    /// The session (year); default: the committee's latest.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub session: Option<String>,
    /// `docx` (default), `md` or `html`.
    pub format: Option<String>,
}

/// A committee's accepted proposals of a session in number order, each with
/// its authors, text, handlers and answer, as a file; audited as an export.
pub async fn compilation_file(
    db: &Db,
    actor: &Actor,
    via: AuditVia,
    q: &CompilationQuery,
) -> Result<SummaryFile, AppError> {
    use crate::domain::proposals::{AnswerClass, Category};
    use crate::storage::proposals as proposal_store;
    actor.require(&[Role::Staff])?;
    let format = file_format(&q.format)?;
    let org = committee(db, actor, "org", non_blank(&q.org))
        .await
        .map_err(bad_request)?;
    let session = match non_blank(&q.session) {
        Some(s) => i64::from(
            crate::domain::activities::parse_year("session", s)
                .map_err(|e| e.into_bad_request())?,
        ),
        None => {
            let own = proposal_store::ProposalFilter {
                scope_path: Some(org.path.clone()),
                ..Default::default()
            };
            proposal_store::latest_session(db, &own)
                .await?
                .unwrap_or_else(|| i64::from(crate::app::clock::this_year()))
        }
    };
    let locale = actor.locale;
    let t = |key: &str| i18n::t(locale, key);
    let proposals = proposal_store::numbered_in_session(db, org.id, session).await?;
    let cosigners = proposal_store::cosigner_names_in_session(db, org.id, session).await?;
    let handlers = proposal_store::handler_names_in_session(db, org.id, session).await?;
    let compiled = proposals
        .into_iter()
        .filter_map(|p| {
            let number = p.number?;
            let of = |id: i64| move |(pid, ..): &&(i64, String, String)| *pid == id;
            let answer = match (p.answered_on, p.answer.clone()) {
                (Some(on), Some(text)) if !text.trim().is_empty() => {
                    let class = p
                        .answer_class
                        .as_deref()
                        .and_then(|c| AnswerClass::parse("answer_class", c).ok())
                        .map(|c| t(c.label_key()))
                        .unwrap_or_default();
                    Some((on, class, text))
                }
                _ => None,
            };
            Some(rules::CompiledProposal {
                number,
                author: p
                    .lead_member_name
                    .clone()
                    .or_else(|| p.group_name.clone())
                    .unwrap_or_else(|| p.org_name.clone()),
                cosigners: cosigners
                    .iter()
                    .filter(|(pid, _)| *pid == p.id)
                    .map(|(_, name)| name.clone())
                    .collect(),
                category: Category::parse("category", &p.category)
                    .map(|c| t(c.label_key()))
                    .unwrap_or_else(|_| p.category.clone()),
                is_key: p.is_key,
                lead_handler: handlers
                    .iter()
                    .filter(of(p.id))
                    .find(|(_, _, role)| role == "lead")
                    .map(|(_, name, _)| name.clone()),
                co_handlers: handlers
                    .iter()
                    .filter(of(p.id))
                    .filter(|(_, _, role)| role != "lead")
                    .map(|(_, name, _)| name.clone())
                    .collect(),
                answer,
                title: p.title,
                body: p.body,
            })
        })
        .collect();
    let tr = |key: &str, params: &[(&str, String)]| i18n::t_with(locale, key, params);
    let text = rules::compilation(
        &rules::Compilation {
            committee: org.name.clone(),
            session,
            proposals: compiled,
        },
        &tr,
    );
    let year = i32::try_from(session).unwrap_or_default();
    let dated = year_to_date("session", year)?;
    let mut file = write_file(&text, &org.name, dated, format, locale)?;
    file.file_name = format!("proposals_{}_{session}.{}", org.name, format.as_str());
    file_in_archive(
        db,
        archive::Filer::Actor(actor),
        &file,
        &text,
        Filing {
            kind: ArchiveKind::Compilation,
            org_id: org.id,
            record: DocumentRecord::Session {
                org_id: org.id,
                session: year,
            },
            record_title: &org.name,
        },
    )
    .await?;
    let detail = format!(
        "org_id={}; session={session}; format={}; via={}; bytes={}",
        org.id,
        format.as_str(),
        via.as_str(),
        file.bytes.len()
    );
    audit::insert_alone(db, &actor.audit("export", "proposal", org.id, Some(detail))).await?;
    Ok(file)
}
