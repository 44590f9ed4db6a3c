//! Work summaries (工作总结): the figures of a committee and a period counted
//! from the records at the moment of drafting, the text drafted from them
//! (`domain::reports`), and the files a committee hands in (Markdown, Word).

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use utoipa::IntoParams;

use super::cases::{bad_request, committee};
use super::{non_blank, Actor};
use crate::app::i18n::{self, Locale};
use crate::documents::{self, docx};
use crate::domain::activities::ActivityKind;
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
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::error::AppError;
use crate::storage::orgs::Org;
use crate::storage::projects::ProjectFilter;
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

/// Write `summary` as a file: the committee's name and the period's last day
/// close a Word document as its issuer and date.
pub fn write_file(
    summary: &Summary,
    figures: &SummaryFigures,
    format: FileFormat,
    locale: Locale,
) -> Result<SummaryFile, AppError> {
    let bytes = match format {
        FileFormat::Markdown => rules::to_markdown(summary).into_bytes(),
        FileFormat::Html => documents::html::summary(summary, locale.as_str()).into_bytes(),
        FileFormat::Docx => {
            let tr = |key: &str, params: &[(&str, String)]| i18n::t_with(locale, key, params);
            let signature = docx::Signature {
                issuer: figures.committee.clone(),
                date: rules::date_words(figures.period.to, &tr),
            };
            docx::summary(summary, Some(&signature)).map_err(AppError::internal)?
        }
    };
    Ok(SummaryFile {
        bytes,
        file_name: format!(
            "summary_{}_{}_{}.{}",
            figures.committee,
            figures.period.from,
            figures.period.to,
            format.as_str()
        ),
        format,
    })
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
    let format = match non_blank(&q.format) {
        None => FileFormat::Docx,
        Some(f) => FileFormat::parse("format", f).map_err(|e| e.into_bad_request())?,
    };
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
    let file = write_file(&summary, &figures, format, locale)?;
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
