//! The archive (归档): what is filed — saved work summaries, the Word
//! documents generated from the records, the files uploaded to records —
//! by committee, year and kind, with the record each belongs to and where
//! its pages are. No I/O here.

use super::choice::choice_enum;
use super::validation::FieldError;

choice_enum! {
    /// What an archive entry is.
    pub enum ArchiveKind: "archive_kind" {
        /// A saved work summary, with its versions (工作总结).
        Summary => "summary",
        /// A work summary generated from the records as a Word document.
        SummaryFile => "summary_file",
        /// A member's year of duty (履职情况登记表).
        DutyFile => "duty_file",
        /// A session's proposals compiled (提案汇编).
        Compilation => "compilation",
        /// A year's work plan as a document.
        Plan => "plan",
        /// A file uploaded to a record (an activity, an award, a proposal).
        Attachment => "attachment",
    }
}

impl ArchiveKind {
    /// The kinds generated from the records and filed with their bytes.
    pub const GENERATED: [Self; 4] = [
        Self::SummaryFile,
        Self::DutyFile,
        Self::Compilation,
        Self::Plan,
    ];

    pub fn is_generated(self) -> bool {
        Self::GENERATED.contains(&self)
    }
}

/// The longest withdrawal reason, in characters.
pub const REASON_MAX_CHARS: usize = 500;

/// A withdrawal's reason: required, at most 500 characters.
pub fn reason(input: &str) -> Result<String, FieldError> {
    super::text::required_text("reason", input, REASON_MAX_CHARS)
}

/// The record a generated document belongs to, and the year it is filed
/// under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentRecord {
    /// A member's duty file of a year.
    Member { member_id: i64, year: i32 },
    /// A committee's session of proposals.
    Session { org_id: i64, session: i32 },
    /// A committee's work plan of a year.
    Plan { org_id: i64, year: i32 },
    /// A committee's summary of a period: its code (`2011-H1`), or its days.
    Period {
        org_id: i64,
        code: Option<String>,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    },
}

impl DocumentRecord {
    /// `member` or `org`, and its id.
    pub fn key(&self) -> (&'static str, i64) {
        match self {
            Self::Member { member_id, .. } => ("member", *member_id),
            Self::Session { org_id, .. }
            | Self::Plan { org_id, .. }
            | Self::Period { org_id, .. } => ("org", *org_id),
        }
    }

    /// The record's page.
    pub fn url(&self) -> String {
        match self {
            Self::Member { member_id, year } => format!("/members/{member_id}?year={year}"),
            Self::Session { org_id, session } => {
                format!("/proposals?org={org_id}&session={session}")
            }
            Self::Plan { org_id, year } => format!("/plans?org={org_id}&year={year}"),
            Self::Period {
                org_id,
                code: Some(code),
                ..
            } => format!("/reports/summary?org={org_id}&period={code}"),
            Self::Period {
                org_id,
                code: None,
                from,
                to,
            } => format!("/reports/summary?org={org_id}&from={from}&to={to}"),
        }
    }
}

/// The page of the record an attachment belongs to (an award's, the list of
/// its member's awards of its year).
pub fn attachment_record_url(
    owner_type: &str,
    owner_id: i64,
    member_id: Option<i64>,
    year: i64,
) -> String {
    match (owner_type, member_id) {
        ("activity", _) => format!("/activities/{owner_id}"),
        ("proposal", _) => format!("/proposals/{owner_id}"),
        ("award", Some(member)) => format!("/awards?member={member}&year={year}"),
        _ => format!("/awards?year={year}"),
    }
}

/// A filed document's page in the archive.
pub fn document_url(id: i64) -> String {
    format!("/reports/archive/documents/{id}")
}

/// An entry's page in the archive: a saved summary's own page, a document's
/// or an attachment's entry.
pub fn entry_url(kind: ArchiveKind, id: i64) -> String {
    match kind {
        ArchiveKind::Summary => format!("/reports/summaries/{id}"),
        ArchiveKind::Attachment => format!("/reports/archive/attachments/{id}"),
        _ => document_url(id),
    }
}

/// Where an entry's file downloads (an attachment through its own route,
/// with the authorization it has always had).
pub fn download_url(kind: ArchiveKind, id: i64) -> String {
    match kind {
        ArchiveKind::Summary => format!("/reports/summaries/{id}/file"),
        ArchiveKind::Attachment => format!("/attachments/{id}"),
        _ => format!("/reports/archive/documents/{id}/file"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_the_generated_ones_are_known() {
        for k in ArchiveKind::ALL {
            assert_eq!(ArchiveKind::parse("kind", k.as_str()).unwrap(), k);
        }
        assert!(ArchiveKind::DutyFile.is_generated());
        assert!(!ArchiveKind::Summary.is_generated() && !ArchiveKind::Attachment.is_generated());
        assert_eq!(
            ArchiveKind::parse("kind", "xlsx").unwrap_err().code,
            "invalid_choice"
        );
    }

    #[test]
    fn records_name_their_pages() {
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            DocumentRecord::Member {
                member_id: 7,
                year: 2011
            }
            .url(),
            "/members/7?year=2011"
        );
        let range = DocumentRecord::Period {
            org_id: 2,
            code: None,
            from: day("2011-03-01"),
            to: day("2011-04-30"),
        };
        assert_eq!(range.key(), ("org", 2));
        assert_eq!(
            range.url(),
            "/reports/summary?org=2&from=2011-03-01&to=2011-04-30"
        );
        assert_eq!(
            attachment_record_url("award", 3, Some(9), 2011),
            "/awards?member=9&year=2011"
        );
        assert_eq!(
            entry_url(ArchiveKind::Plan, 4),
            "/reports/archive/documents/4"
        );
        assert_eq!(download_url(ArchiveKind::Attachment, 4), "/attachments/4");
    }

    #[test]
    fn a_reason_is_required_and_bounded() {
        assert_eq!(reason("  ").unwrap_err().code, "required");
        assert!(reason(&"字".repeat(501)).is_err());
        assert_eq!(reason(" 重复归档 ").unwrap(), "重复归档");
    }
}
