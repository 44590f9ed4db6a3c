//! The audit log's hash chain: each row's hash covers its content and the hash
//! of the row before, so changing or removing any row breaks every later link.
//!
//! And what its codes mean: the closed lists of actions, object types and
//! outcomes the code writes, and the keys of a row's detail, so that the
//! audit page says each in words.

use sha2::{Digest, Sha256};

use super::choice::choice_enum;

/// The hash of the first row's predecessor.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of a row that the hash covers, in a fixed order.
#[derive(Debug, Clone, Copy)]
pub struct ChainedFields<'a> {
    /// RFC 3339 with microseconds, as stored.
    pub at: &'a str,
    pub user_id: Option<i64>,
    pub username: Option<&'a str>,
    pub role: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub action: &'a str,
    pub object_type: Option<&'a str>,
    pub object_id: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: Option<&'a str>,
}

/// SHA-256 over the previous hash and every field, each length-prefixed so
/// that no two different rows serialise alike.
pub fn chain_hash(prev_hash: &str, f: &ChainedFields<'_>) -> String {
    let mut hasher = Sha256::new();
    let user_id = f.user_id.map(|v| v.to_string());
    let parts: [Option<&str>; 11] = [
        Some(prev_hash),
        Some(f.at),
        user_id.as_deref(),
        f.username,
        f.role,
        f.ip,
        Some(f.action),
        f.object_type,
        f.object_id,
        Some(f.outcome),
        f.detail,
    ];
    for part in parts {
        match part {
            // A missing value and an empty one hash differently.
            None => hasher.update(b"-"),
            Some(text) => {
                hasher.update(format!("{}:", text.len()).as_bytes());
                hasher.update(text.as_bytes());
            }
        }
        hasher.update(b"|");
    }
    hex::encode(hasher.finalize())
}

choice_enum! {
    /// What an audit row records: every action the code writes (a test scans
    /// the sources and the rows of the demo and of a few flows for others).
    pub enum AuditAction: "audit_action" {
        Login => "login",
        Logout => "logout",
        PasswordChange => "password_change",
        TotpEnable => "totp_enable",
        TotpDisable => "totp_disable",
        TokenCreate => "token_create",
        Create => "create",
        Update => "update",
        Delete => "delete",
        RevealPersonalData => "reveal_personal_data",
        Upload => "upload",
        CaseStep => "case_step",
        ProposalStep => "proposal_step",
        InfoStep => "info_step",
        ProjectUpdate => "project_update",
        PlanCopy => "plan_copy",
        AwardStep => "award_step",
        Cosign => "cosign",
        Invite => "invite",
        Reply => "reply",
        Attendance => "attendance",
        Decide => "decide",
        Report => "report",
        RoleGrant => "role_grant",
        RoleRevoke => "role_revoke",
        Disable => "disable",
        Enable => "enable",
        PasswordReset => "password_reset",
        Export => "export",
        Withdraw => "withdraw",
        Import => "import",
        Backup => "backup",
        Restore => "restore",
        SearchRebuild => "search_rebuild",
        DemoLoad => "demo_load",
        DemoScale => "demo_scale",
    }
}

choice_enum! {
    /// What kind of record an audit row is about.
    pub enum AuditObject: "audit_object" {
        User => "user",
        ApiToken => "api_token",
        Org => "org",
        Community => "community",
        Department => "department",
        Member => "member",
        Activity => "activity",
        Award => "award",
        ReceptionDay => "reception_day",
        Visit => "visit",
        Case => "case",
        CaseSettings => "case_settings",
        Holidays => "holidays",
        Proposal => "proposal",
        ProposalSettings => "proposal_settings",
        InfoReport => "info_report",
        Project => "project",
        Summary => "summary",
        Plan => "plan",
        PlanItem => "plan_item",
        PointsRules => "points_rules",
        PointDeduction => "point_deduction",
        Points => "points",
        Attachment => "attachment",
        ArchiveDocument => "archive_document",
        AuditLog => "audit_log",
        Database => "database",
    }
}

choice_enum! {
    /// How it ended: done, or a sign-in refused (wrong credentials, the
    /// account locked, too many attempts from the address), or denied.
    pub enum AuditOutcome: "audit_outcome" {
        Ok => "ok",
        Failed => "failed",
        Denied => "denied",
        Locked => "locked",
        Limited => "limited",
    }
}

choice_enum! {
    /// Where an export or a token was asked for.
    pub enum AuditVia: "audit_via" {
        Page => "page",
        Api => "api",
        Cli => "cli",
    }
}

choice_enum! {
    /// The database engine a backup or restore worked on.
    pub enum AuditEngine: "audit_engine" {
        Sqlite => "sqlite",
        Postgres => "postgres",
    }
}

choice_enum! {
    /// The size of generated data (`lvzhi demo --scale`).
    pub enum AuditScale: "audit_scale" {
        Tiny => "tiny",
        District => "district",
        City => "city",
        Province => "province",
    }
}

choice_enum! {
    /// Why a second factor was refused at sign-in.
    pub enum SecondFactorFailure: "second_factor" {
        Required => "totp_required",
        Wrong => "totp_wrong",
        Reused => "totp_reused",
    }
}

choice_enum! {
    /// The file format of an export.
    pub enum AuditFormat: "audit_format" {
        Csv => "csv",
        Docx => "docx",
        Md => "md",
        Html => "html",
        Xlsx => "xlsx",
    }
}

/// How a detail's value reads, by its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailKind {
    /// As written: a name, a title, a date, a count.
    Text,
    /// 是 / 否.
    Flag,
    /// A member, by name.
    Member,
    /// Several members, by name.
    Members,
    /// A department (承办单位), by name.
    Department,
    /// An organisation (committee, group), by name.
    Org,
    /// A proposal's handlers: `[lead department, [co-handling departments]]`.
    Handlers,
    /// Another record, by its number.
    Record(AuditObject),
    /// Several records of a kind, by number.
    Records(AuditObject),
    /// A status (or from/to), read by the row's object type; a role on a
    /// role change, a day on an export.
    Status,
    /// A lifecycle step, read by the row's object type.
    Step,
    /// A kind, read by the row's object type.
    Kind,
    /// A category, read by the row's object type.
    Category,
    /// An activity's reply (confirmed, excused); elsewhere the text typed.
    Reply,
    /// One of a closed list of labels, whatever the object.
    Choice(Choice),
    /// An object of fields (a change's values after it).
    Nested,
}

/// The closed lists a detail value may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Role,
    Gender,
    Party,
    Attendance,
    Approval,
    FiveOnes,
    Satisfaction,
    AnswerClass,
    Cosign,
    AdoptionLevel,
    VisitOutcome,
    SubmitterKind,
    Action,
    Object,
    Via,
    Engine,
    Scale,
    Format,
    Locale,
    SecondFactor,
    AwardLevel,
}

/// Every key an audit row's detail may hold, and how its value reads (its
/// label is the catalogue's `audit.key.<key>`), in the order the page shows
/// them: the step and its statuses first, the note typed last.
pub const DETAIL_KEYS: &[(&str, DetailKind)] = &[
    ("action", DetailKind::Step),
    ("from", DetailKind::Status),
    ("to", DetailKind::Status),
    ("status", DetailKind::Status),
    ("before", DetailKind::Choice(Choice::Attendance)),
    ("on", DetailKind::Text),
    ("name", DetailKind::Text),
    ("display_name", DetailKind::Text),
    ("username", DetailKind::Text),
    ("title", DetailKind::Text),
    ("kind", DetailKind::Kind),
    ("category", DetailKind::Category),
    ("role", DetailKind::Choice(Choice::Role)),
    ("member_id", DetailKind::Member),
    ("points", DetailKind::Text),
    ("lead_member_id", DetailKind::Member),
    ("author_member_id", DetailKind::Member),
    ("cosigners", DetailKind::Members),
    ("duty", DetailKind::Members),
    ("members", DetailKind::Members),
    ("department_id", DetailKind::Department),
    ("handlers", DetailKind::Handlers),
    ("org_id", DetailKind::Org),
    ("group_id", DetailKind::Org),
    ("parent_id", DetailKind::Org),
    ("committee", DetailKind::Text),
    ("gender", DetailKind::Choice(Choice::Gender)),
    ("ethnicity", DetailKind::Text),
    ("party", DetailKind::Choice(Choice::Party)),
    ("sector", DetailKind::Text),
    ("workplace", DetailKind::Text),
    ("position", DetailKind::Text),
    ("phone", DetailKind::Text),
    ("id_number", DetailKind::Text),
    ("term", DetailKind::Text),
    ("joined_on", DetailKind::Text),
    ("left_on", DetailKind::Text),
    ("before_version", DetailKind::Text),
    ("after", DetailKind::Nested),
    ("held_on", DetailKind::Text),
    ("place", DetailKind::Text),
    ("organiser", DetailKind::Text),
    ("amount_yuan", DetailKind::Text),
    ("five_ones", DetailKind::Choice(Choice::FiveOnes)),
    ("reply", DetailKind::Reply),
    ("attendance", DetailKind::Choice(Choice::Attendance)),
    ("approval", DetailKind::Choice(Choice::Approval)),
    ("report_id", DetailKind::Text),
    ("submitted_to", DetailKind::Text),
    ("submitted_on", DetailKind::Text),
    ("year", DetailKind::Text),
    ("project_name", DetailKind::Text),
    ("total_investment", DetailKind::Text),
    ("email", DetailKind::Text),
    ("annual_target", DetailKind::Text),
    ("households", DetailKind::Text),
    ("update_id", DetailKind::Text),
    ("invested", DetailKind::Text),
    ("compensated", DetailKind::Text),
    ("demolished", DetailKind::Text),
    ("notes", DetailKind::Text),
    ("item_id", DetailKind::Text),
    ("item_text", DetailKind::Text),
    ("before_position", DetailKind::Text),
    ("rule", DetailKind::Text),
    ("items", DetailKind::Text),
    ("rules", DetailKind::Text),
    ("copied_from", DetailKind::Record(AuditObject::Plan)),
    ("from_year", DetailKind::Text),
    ("community", DetailKind::Text),
    ("contact_name", DetailKind::Text),
    ("contact_phone", DetailKind::Text),
    ("due_on", DetailKind::Text),
    ("satisfaction", DetailKind::Choice(Choice::Satisfaction)),
    ("rating", DetailKind::Choice(Choice::Satisfaction)),
    ("chars", DetailKind::Text),
    (
        "origin_proposal_id",
        DetailKind::Record(AuditObject::Proposal),
    ),
    ("title_changed", DetailKind::Flag),
    ("text_changed", DetailKind::Flag),
    ("forwarded_to", DetailKind::Text),
    ("level", DetailKind::Choice(Choice::AdoptionLevel)),
    ("publication", DetailKind::Text),
    ("leader", DetailKind::Text),
    ("content", DetailKind::Text),
    ("cutoff", DetailKind::Text),
    ("answer_months", DetailKind::Text),
    ("second_answer_months", DetailKind::Text),
    ("return_working_days", DetailKind::Text),
    ("day_of_month", DetailKind::Text),
    ("due_working_days", DetailKind::Text),
    ("entries", DetailKind::Text),
    ("submitter_kind", DetailKind::Choice(Choice::SubmitterKind)),
    ("session", DetailKind::Text),
    ("response", DetailKind::Choice(Choice::Cosign)),
    ("number", DetailKind::Text),
    ("merged_into", DetailKind::Record(AuditObject::Proposal)),
    ("answer_class", DetailKind::Choice(Choice::AnswerClass)),
    ("is_key", DetailKind::Flag),
    ("round", DetailKind::Text),
    ("attachment_id", DetailKind::Record(AuditObject::Attachment)),
    ("info_id", DetailKind::Record(AuditObject::InfoReport)),
    (
        "reception_day_id",
        DetailKind::Record(AuditObject::ReceptionDay),
    ),
    ("people", DetailKind::Text),
    ("outcome", DetailKind::Choice(Choice::VisitOutcome)),
    ("cases", DetailKind::Records(AuditObject::Case)),
    ("owner_type", DetailKind::Choice(Choice::Object)),
    ("owner_id", DetailKind::Text),
    ("content_type", DetailKind::Text),
    ("size", DetailKind::Text),
    ("sha256", DetailKind::Text),
    ("sessions_ended", DetailKind::Text),
    ("tokens_revoked", DetailKind::Text),
    ("must_change_password", DetailKind::Flag),
    ("bootstrap", DetailKind::Flag),
    ("locale", DetailKind::Choice(Choice::Locale)),
    ("via", DetailKind::Choice(Choice::Via)),
    ("format", DetailKind::Choice(Choice::Format)),
    ("rows", DetailKind::Text),
    ("filters", DetailKind::Text),
    ("import_of", DetailKind::Choice(Choice::Object)),
    ("created", DetailKind::Text),
    ("updated", DetailKind::Text),
    ("unchanged", DetailKind::Text),
    ("object_type", DetailKind::Choice(Choice::Object)),
    ("file", DetailKind::Text),
    ("engine", DetailKind::Choice(Choice::Engine)),
    ("bytes", DetailKind::Text),
    ("force", DetailKind::Flag),
    ("scale", DetailKind::Choice(Choice::Scale)),
    ("seed", DetailKind::Text),
    ("second_factor", DetailKind::Choice(Choice::SecondFactor)),
    ("account_disabled", DetailKind::Flag),
    ("award_level", DetailKind::Choice(Choice::AwardLevel)),
    ("reason", DetailKind::Text),
    ("note", DetailKind::Text),
    ("period", DetailKind::Text),
    ("summary_id", DetailKind::Text),
    ("version", DetailKind::Text),
    ("versions", DetailKind::Text),
];

/// Where a key comes in the order of [`DETAIL_KEYS`] (an unknown key last).
pub fn detail_rank(key: &str) -> usize {
    DETAIL_KEYS
        .iter()
        .position(|(k, _)| *k == key)
        .unwrap_or(DETAIL_KEYS.len())
}

/// How the value under `key` reads; `None` for a key no code writes.
pub fn detail_kind(key: &str) -> Option<DetailKind> {
    DETAIL_KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, kind)| *kind)
}

/// A row's detail as key and value pairs, in the order written. The code
/// writes JSON objects, `key=value; key=value` lists (`-`: none), and two
/// sentences of the sign-in (`second factor: <code>`, `account disabled`);
/// a bare word in a list is a flag that is set. Anything else is one `text`.
pub fn detail_fields(detail: &str) -> Vec<(String, serde_json::Value)> {
    use serde_json::Value;
    let detail = detail.trim();
    if detail.is_empty() {
        return Vec::new();
    }
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(detail) {
        let mut fields: Vec<(String, Value)> = map.into_iter().collect();
        fields.sort_by_key(|(k, _)| detail_rank(k));
        return fields;
    }
    if let Some(code) = detail.strip_prefix("second factor: ") {
        return vec![("second_factor".into(), Value::String(code.trim().into()))];
    }
    if detail == "account disabled" {
        return vec![("account_disabled".into(), Value::Bool(true))];
    }
    let parts: Vec<&str> = detail.split("; ").collect();
    let is_key = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    let listed = parts.iter().all(|p| match p.split_once('=') {
        Some((k, _)) => is_key(k),
        None => is_key(p),
    });
    if !listed {
        return vec![("text".into(), Value::String(detail.into()))];
    }
    parts
        .into_iter()
        .map(|p| match p.split_once('=') {
            Some((k, "-")) => (k.to_string(), Value::Null),
            Some((k, v)) => (k.to_string(), Value::String(v.to_string())),
            None => (p.to_string(), Value::Bool(true)),
        })
        .collect()
}

/// The field a value is parsed as (its error is never shown).
const FIELD: &str = "detail";

/// The label key of a parsed value; `None` when it did not parse.
fn key<T>(
    parsed: Result<T, super::validation::FieldError>,
    f: fn(&T) -> &'static str,
) -> Option<&'static str> {
    parsed.ok().as_ref().map(f)
}

/// The catalogue key of a closed-list value, given the row's object type
/// (`None`: not a value of that list).
pub fn choice_label_key(choice: Choice, value: &str) -> Option<&'static str> {
    use super::{activities, cases, info, members, proposals, reception, roles};
    match choice {
        Choice::Role => key(roles::Role::parse(FIELD, value), roles::Role::label_key),
        Choice::Gender => key(
            members::Gender::parse(FIELD, value),
            members::Gender::label_key,
        ),
        Choice::Party => key(
            members::Party::parse(FIELD, value),
            members::Party::label_key,
        ),
        Choice::Attendance => key(
            activities::Attendance::parse(FIELD, value),
            activities::Attendance::label_key,
        ),
        Choice::Approval => key(
            activities::Approval::parse(FIELD, value),
            activities::Approval::label_key,
        ),
        Choice::FiveOnes => key(
            activities::FiveOnesItem::parse(FIELD, value),
            activities::FiveOnesItem::label_key,
        ),
        Choice::Satisfaction => key(
            cases::Satisfaction::parse(FIELD, value),
            cases::Satisfaction::label_key,
        ),
        Choice::AnswerClass => key(
            proposals::AnswerClass::parse(FIELD, value),
            proposals::AnswerClass::label_key,
        ),
        Choice::Cosign => key(
            proposals::CosignStatus::parse(FIELD, value),
            proposals::CosignStatus::label_key,
        ),
        Choice::AdoptionLevel => key(
            info::AdoptionLevel::parse(FIELD, value),
            info::AdoptionLevel::label_key,
        ),
        Choice::VisitOutcome => key(
            reception::VisitOutcome::parse(FIELD, value),
            reception::VisitOutcome::label_key,
        ),
        Choice::SubmitterKind => key(
            proposals::SubmitterKind::parse(FIELD, value),
            proposals::SubmitterKind::label_key,
        ),
        Choice::Action => key(AuditAction::parse(FIELD, value), AuditAction::label_key),
        Choice::Object => key(AuditObject::parse(FIELD, value), AuditObject::label_key),
        Choice::Via => key(AuditVia::parse(FIELD, value), AuditVia::label_key),
        Choice::Engine => key(AuditEngine::parse(FIELD, value), AuditEngine::label_key),
        Choice::Scale => key(AuditScale::parse(FIELD, value), AuditScale::label_key),
        Choice::Format => key(AuditFormat::parse(FIELD, value), AuditFormat::label_key),
        // The language an account chose (`zh-CN`, `en`).
        Choice::Locale => match value {
            "zh-CN" => Some("audit.locale.zh"),
            "en" => Some("audit.locale.en"),
            _ => None,
        },
        Choice::SecondFactor => key(
            SecondFactorFailure::parse(FIELD, value),
            SecondFactorFailure::label_key,
        ),
        Choice::AwardLevel => key(
            super::awards::AwardLevel::parse(FIELD, value),
            super::awards::AwardLevel::label_key,
        ),
    }
}

/// The catalogue key of a status, step, kind or category value, read by the
/// row's object type (a case's `to` is a case status, a proposal's `action`
/// a proposal step); `None` when it is not one.
pub fn contextual_label_key(
    kind: DetailKind,
    object: Option<AuditObject>,
    value: &str,
) -> Option<&'static str> {
    use super::{activities, cases, info, members, orgs, proposals};
    use AuditObject as O;
    match (kind, object?) {
        (DetailKind::Status, O::Case) => key(
            cases::CaseStatus::parse(FIELD, value),
            cases::CaseStatus::label_key,
        ),
        (DetailKind::Status, O::InfoReport) => key(
            info::InfoStatus::parse(FIELD, value),
            info::InfoStatus::label_key,
        ),
        (DetailKind::Status, O::Proposal) => key(
            proposals::ProposalStatus::parse(FIELD, value),
            proposals::ProposalStatus::label_key,
        ),
        (DetailKind::Status, O::Member) => key(
            members::MemberStatus::parse(FIELD, value),
            members::MemberStatus::label_key,
        ),
        (DetailKind::Status, O::Award) => key(
            activities::AwardStatus::parse(FIELD, value),
            activities::AwardStatus::label_key,
        ),
        (DetailKind::Step, O::Case) => key(
            cases::CaseAction::parse(FIELD, value),
            cases::CaseAction::label_key,
        ),
        (DetailKind::Step, O::InfoReport) => key(
            info::InfoAction::parse(FIELD, value),
            info::InfoAction::label_key,
        ),
        (DetailKind::Step, O::Award) => key(
            super::awards::AwardAction::parse(FIELD, value),
            super::awards::AwardAction::label_key,
        ),
        (DetailKind::Step, O::Proposal) => key(
            proposals::ProposalAction::parse(FIELD, value),
            proposals::ProposalAction::label_key,
        ),
        (DetailKind::Kind, O::Activity) => key(
            activities::ActivityKind::parse(FIELD, value),
            activities::ActivityKind::label_key,
        ),
        (DetailKind::Kind, O::InfoReport) => key(
            info::InfoKind::parse(FIELD, value),
            info::InfoKind::label_key,
        ),
        (DetailKind::Status, O::Project) => key(
            super::projects::ProjectStatus::parse(FIELD, value),
            super::projects::ProjectStatus::label_key,
        ),
        (DetailKind::Kind, O::Project) => key(
            super::projects::ProjectKind::parse(FIELD, value),
            super::projects::ProjectKind::label_key,
        ),
        (DetailKind::Kind, O::Org) => {
            key(orgs::OrgKind::parse(FIELD, value), orgs::OrgKind::label_key)
        }
        (DetailKind::Kind, O::ArchiveDocument) => key(
            super::archive::ArchiveKind::parse(FIELD, value),
            super::archive::ArchiveKind::label_key,
        ),
        (DetailKind::Category, O::Proposal) => key(
            proposals::Category::parse(FIELD, value),
            proposals::Category::label_key,
        ),
        (DetailKind::Category, O::Award) => key(
            activities::AwardCategory::parse(FIELD, value),
            activities::AwardCategory::label_key,
        ),
        (DetailKind::Reply, O::Activity) => key(
            activities::Reply::parse(FIELD, value),
            activities::Reply::label_key,
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(action: &'a str, detail: Option<&'a str>) -> ChainedFields<'a> {
        ChainedFields {
            at: "2026-11-27T10:00:00.000000Z",
            user_id: Some(3),
            username: Some("staff"),
            role: Some("staff"),
            ip: Some("127.0.0.1"),
            action,
            object_type: Some("member"),
            object_id: Some("7"),
            outcome: "ok",
            detail,
        }
    }

    #[test]
    fn hash_covers_every_field_and_the_predecessor() {
        let a = chain_hash(GENESIS, &fields("create", Some("x")));
        assert_eq!(a.len(), 64);
        assert_eq!(a, chain_hash(GENESIS, &fields("create", Some("x"))));
        assert_ne!(a, chain_hash(GENESIS, &fields("update", Some("x"))));
        assert_ne!(a, chain_hash(GENESIS, &fields("create", Some("y"))));
        assert_ne!(a, chain_hash(GENESIS, &fields("create", None)));
        assert_ne!(a, chain_hash(&a, &fields("create", Some("x"))));
    }

    #[test]
    fn details_are_read_in_every_format_the_code_writes() {
        use serde_json::json;
        // JSON: in the order of DETAIL_KEYS, the note last.
        let fields =
            detail_fields(r#"{"note":"x","to":"resolved","action":"resolve","from":"forwarded"}"#);
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["action", "from", "to", "note"]);
        // key=value lists: `-` is none, a bare word a flag.
        assert_eq!(
            detail_fields("username=admin; role=-; bootstrap"),
            [
                ("username".to_string(), json!("admin")),
                ("role".to_string(), json!(null)),
                ("bootstrap".to_string(), json!(true)),
            ]
        );
        assert_eq!(
            detail_fields("second factor: totp_wrong"),
            [("second_factor".to_string(), json!("totp_wrong"))]
        );
        assert_eq!(
            detail_fields("account disabled"),
            [("account_disabled".to_string(), json!(true))]
        );
        assert_eq!(
            detail_fields("Something else, in English"),
            [("text".to_string(), json!("Something else, in English"))]
        );
        assert!(detail_fields("").is_empty());
        assert_eq!(detail_kind("text"), None, "free text is no known key");
    }

    #[test]
    fn values_take_the_labels_of_the_rows_lifecycle() {
        assert_eq!(
            contextual_label_key(DetailKind::Status, Some(AuditObject::Case), "resolved"),
            Some("label.case_status.resolved")
        );
        assert_eq!(
            contextual_label_key(DetailKind::Step, Some(AuditObject::InfoReport), "forward"),
            Some("label.info_action.forward")
        );
        assert_eq!(
            contextual_label_key(DetailKind::Status, Some(AuditObject::Activity), "resolved"),
            None
        );
        assert_eq!(
            choice_label_key(Choice::Role, "staff"),
            Some("label.role.staff")
        );
        assert_eq!(
            choice_label_key(Choice::Locale, "zh-CN"),
            Some("audit.locale.zh")
        );
        assert_eq!(choice_label_key(Choice::Via, "nowhere"), None);
        // Every key is listed once.
        let mut keys: Vec<&str> = DETAIL_KEYS.iter().map(|(k, _)| *k).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), DETAIL_KEYS.len());
    }

    #[test]
    fn empty_and_missing_values_differ() {
        assert_ne!(
            chain_hash(GENESIS, &fields("create", Some(""))),
            chain_hash(GENESIS, &fields("create", None))
        );
    }
}
