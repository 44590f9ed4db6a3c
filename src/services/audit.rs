//! Reading the audit log (audit admin only): filtered pages, the CSV export
//! (itself audited), and how far back the log reaches.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{non_blank, Actor};
use crate::app::i18n::{self, Locale};
use crate::domain::audit::{AuditAction, AuditObject};
use crate::domain::csv;
use crate::domain::dates::parse_optional_date;
use crate::domain::paging::PageRequest;
use crate::domain::roles::Role;
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::audit_words::{in_words, AuditRow};
use crate::services::error::AppError;
use crate::storage::audit::{self, AuditEntry, AuditFilter};
use crate::storage::Db;

/// The most rows one export may hold; a wider range is refused, to be narrowed.
pub const EXPORT_MAX_ROWS: i64 = 200_000;

/// The filters of the audit page and the API, as sent (dates are the
/// committee's days, as times are shown).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// First day, `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, inclusive.
    pub to: Option<String>,
    /// Exactly this action, e.g. `login`, `export`, `disable` (one of
    /// the closed list; another is refused).
    pub action: Option<String>,
    /// Exactly this object type, e.g. `member`, `case`, `user`.
    pub object_type: Option<String>,
    /// Exactly this user name, or an account's display name.
    pub username: Option<String>,
    /// From 1.
    #[param(pattern = "^\\s*[0-9]*\\s*$")]
    pub page: Option<String>,
    /// 1–200, default 20.
    #[param(pattern = "^\\s*[0-9]*\\s*$")]
    pub per_page: Option<String>,
}

impl AuditQuery {
    /// The filters as query parameters (for links that keep them), paging aside.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let value = |v: &Option<String>| non_blank(v).unwrap_or("").to_string();
        vec![
            ("from", value(&self.from)),
            ("to", value(&self.to)),
            ("action", value(&self.action)),
            ("object_type", value(&self.object_type)),
            ("username", value(&self.username)),
        ]
    }

    /// Check the filters; dates are the committee's whole days, and the
    /// action and object type must be ones the log holds.
    pub fn filter(&self) -> Result<AuditFilter, AppError> {
        let mut errors = FieldErrors::new();
        let from = errors
            .check(parse_optional_date(
                "from",
                self.from.as_deref().unwrap_or(""),
            ))
            .flatten();
        let to = errors
            .check(parse_optional_date("to", self.to.as_deref().unwrap_or("")))
            .flatten();
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                errors.push(FieldError::new("to", "date_range"));
            }
        }
        let action = non_blank(&self.action)
            .and_then(|v| errors.check(AuditAction::parse("action", v)))
            .map(|a| a.as_str().to_string());
        let object_type = non_blank(&self.object_type)
            .and_then(|v| errors.check(AuditObject::parse("object_type", v)))
            .map(|o| o.as_str().to_string());
        let short = |v: &Option<String>| non_blank(v).map(|s| s.chars().take(64).collect());
        if !errors.is_empty() {
            return Err(AppError::BadRequest(errors));
        }
        Ok(AuditFilter {
            from: from.map(start_of),
            until: to.and_then(|d| d.succ_opt()).map(start_of),
            action,
            object_type,
            username: short(&self.username),
            max_id: None,
        })
    }
}

/// The instant a day of the committee's begins (filters name its dates).
fn start_of(day: NaiveDate) -> DateTime<Utc> {
    crate::app::clock::start_of(day)
}

/// One page of the log in words, newest first, and how many rows the filters select.
pub async fn list_in_words(
    db: &Db,
    actor: &Actor,
    query: &AuditQuery,
) -> Result<(Vec<AuditRow>, i64, PageRequest), AppError> {
    let (rows, total, page) = list(db, actor, query).await?;
    Ok((in_words(db, actor.locale, rows).await?, total, page))
}

/// One page of the log, newest first, and how many rows the filters select.
pub async fn list(
    db: &Db,
    actor: &Actor,
    query: &AuditQuery,
) -> Result<(Vec<AuditEntry>, i64, PageRequest), AppError> {
    actor.require(&[Role::Auditor])?;
    let filter = query.filter()?;
    let page = PageRequest::parse(query.page.as_deref(), query.per_page.as_deref())
        .map_err(AppError::BadRequest)?;
    let (rows, total) = audit::list(db, &filter, page.limit(), page.offset()).await?;
    Ok((rows, total, page))
}

/// A finished export: the file and how many rows it holds.
pub struct Export {
    pub filename: String,
    /// UTF-8 with a byte-order mark, CRLF line ends.
    pub body: String,
    pub rows: i64,
}

/// The headings of an export's columns (catalogue keys), in order: the row
/// as stored (what the hash chain covers), then the same row in words.
const HEADINGS: [&str; 19] = [
    "audit.column.id",
    "audit.column.at",
    "audit.column.user_id",
    "audit.column.username",
    "audit.column.role",
    "audit.column.ip",
    "audit.column.action",
    "audit.column.object_type",
    "audit.column.object_id",
    "audit.column.outcome",
    "audit.column.detail",
    "audit.column.seq",
    "audit.column.prev_hash",
    "audit.column.hash",
    "audit.column.who",
    "audit.column.action_words",
    "audit.column.object_words",
    "audit.column.outcome_words",
    "audit.column.detail_words",
];

fn record(locale: Locale, row: &AuditRow) -> [String; 19] {
    let e = &row.entry;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        e.id.to_string(),
        e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.user_id.map(|v| v.to_string()).unwrap_or_default(),
        text(&e.username),
        text(&e.role),
        text(&e.ip),
        e.action.clone(),
        text(&e.object_type),
        text(&e.object_id),
        e.outcome.clone(),
        text(&e.detail),
        e.seq.map(|v| v.to_string()).unwrap_or_default(),
        text(&e.prev_hash),
        text(&e.hash),
        row.who.clone(),
        row.action.clone(),
        row.object.clone(),
        row.outcome.clone(),
        row.detail(locale),
    ]
}

/// Export the rows the filters select as CSV, oldest first, with the hash
/// chain's columns so that it can be checked outside. The export is itself
/// audited (`export`, `audit_log`, the filters and the row count), in the
/// same step: no audit row, no file. `via` says where it was asked for.
pub async fn export(
    db: &Db,
    actor: &Actor,
    query: &AuditQuery,
    via: &'static str,
) -> Result<Export, AppError> {
    actor.require(&[Role::Auditor])?;
    let mut filter = query.filter()?;
    // The rows committed so far are linked first, so every exported row
    // carries its place in the chain (PostgreSQL links after the commit).
    audit::chain_pending(db).await?;
    // One snapshot: rows written while the export runs (its own among them) stay out.
    filter.max_id = Some(audit::max_id(db).await?);
    let rows = audit::count(db, &filter).await?;
    if rows > EXPORT_MAX_ROWS {
        return Err(AppError::Validation(
            FieldError::new("to", "export_too_many")
                .with("rows", rows)
                .with("max", EXPORT_MAX_ROWS)
                .into(),
        ));
    }
    let mut body = String::from(csv::BOM);
    let headings: Vec<String> = HEADINGS
        .iter()
        .map(|key| i18n::t(actor.locale, key))
        .collect();
    csv::push_record(&mut body, &headings);
    let mut after = 0;
    let mut written = 0i64;
    loop {
        let batch = audit::batch_after(db, &filter, after, 1000).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for row in in_words(db, actor.locale, batch).await? {
            csv::push_record(&mut body, &record(actor.locale, &row));
            written += 1;
        }
    }
    let params = query.params();
    let mut detail: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", if v.is_empty() { "-" } else { v }))
        .collect();
    detail.push(format!("rows={written}"));
    detail.push(format!("format=csv; via={via}"));
    let mut entry = actor.audit("export", "audit_log", "", Some(detail.join("; ")));
    entry.object_id = None;
    audit::insert_alone(db, &entry).await?;
    let day = |v: &str| {
        if v.is_empty() {
            "all".to_string()
        } else {
            v.to_string()
        }
    };
    let filename = format!("audit-log_{}_{}.csv", day(&params[0].1), day(&params[1].1));
    Ok(Export {
        filename,
        body,
        rows: written,
    })
}

/// How far back the audit log reaches, against the retention it must keep.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Retention {
    /// When the oldest row was written (none for an empty log).
    pub oldest: Option<DateTime<Utc>>,
    /// Whole days from the oldest row to now.
    pub days_kept: i64,
    /// The setting `audit_retention_days` (at least 180).
    pub required_days: i64,
}

impl Retention {
    /// "最早一条：2012-01-01，已保存 400 天（至少保存 180 天）…", for the page and the CLI.
    pub fn describe(&self, locale: Locale) -> String {
        match self.oldest {
            None => i18n::t_with(
                locale,
                "audit.retention_empty",
                &[("required", self.required_days.to_string())],
            ),
            Some(oldest) => i18n::t_with(
                locale,
                if self.days_kept >= self.required_days {
                    "audit.retention_met"
                } else {
                    "audit.retention_young"
                },
                &[
                    ("oldest", crate::app::clock::date_of(oldest).to_string()),
                    ("days", self.days_kept.to_string()),
                    ("required", self.required_days.to_string()),
                ],
            ),
        }
    }
}

/// The retention status: the oldest row and the days kept. The application
/// deletes no audit row (and the database refuses to), and the hash chain
/// starts from its genesis link, so an intact chain also proves that nothing
/// older was removed.
pub async fn retention(db: &Db, required_days: i64) -> Result<Retention, AppError> {
    let oldest = audit::oldest(db).await?;
    let days_kept = oldest
        .map(|at| (Utc::now() - at).num_days().max(0))
        .unwrap_or(0);
    Ok(Retention {
        oldest,
        days_kept,
        required_days,
    })
}

/// Audit rows written and not linked into the hash chain yet (PostgreSQL
/// links them after the commit, within a second: `storage::audit::chain_pending`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub rows: i64,
    /// When the oldest of them was written.
    pub oldest: Option<DateTime<Utc>>,
}

impl Waiting {
    /// Waiting this long means no server is linking rows: every server
    /// links twice a second, so even a busy one is far from it.
    pub const STALLED_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

    pub fn stalled(&self, now: DateTime<Utc>) -> bool {
        self.rows > 0
            && self
                .oldest
                .is_some_and(|at| now - at >= Self::STALLED_AFTER)
    }

    /// The sentence for the audit page.
    pub fn describe(&self, locale: Locale) -> String {
        self.in_words(locale, "audit.waiting")
    }

    /// The message `key` (of `rows` and `since`) filled in.
    pub fn in_words(&self, locale: Locale, key: &str) -> String {
        i18n::t_with(
            locale,
            key,
            &[
                ("rows", self.rows.to_string()),
                (
                    "since",
                    self.oldest
                        .map(crate::app::clock::shown_to_second)
                        .unwrap_or_default(),
                ),
            ],
        )
    }
}

pub async fn waiting(db: &Db) -> Result<Waiting, AppError> {
    let (rows, oldest) = audit::waiting(db).await?;
    Ok(Waiting { rows, oldest })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(seconds_ago: i64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Some(now - chrono::TimeDelta::seconds(seconds_ago))
    }

    #[test]
    fn rows_waiting_a_minute_mean_no_server_links_them() {
        let now = Utc::now();
        let waiting = |rows, oldest| Waiting { rows, oldest };
        assert!(!waiting(0, None).stalled(now), "nothing waits");
        assert!(
            !waiting(40, at(1, now)).stalled(now),
            "written a second ago"
        );
        assert!(!waiting(3, at(59, now)).stalled(now));
        assert!(waiting(3, at(60, now)).stalled(now));
        assert!(waiting(1, at(3600, now)).stalled(now));
    }

    #[test]
    fn the_waiting_rows_are_described_with_their_oldest_time() {
        let oldest = "2026-12-05T01:02:03Z".parse::<DateTime<Utc>>().unwrap();
        let w = Waiting {
            rows: 7,
            oldest: Some(oldest),
        };
        let zh = w.describe(Locale::ZhCn);
        assert!(zh.contains('7'), "{zh}");
        assert!(
            zh.contains(&crate::app::clock::shown_to_second(oldest)),
            "{zh}"
        );
        let en = w.describe(Locale::En);
        assert!(en.contains("7 audit rows"), "{en}");
    }
}
