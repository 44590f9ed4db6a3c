//! Every message key the code and the templates use exists in both languages.
//! There is no fallback between the catalogues, so a key missing from one
//! would show up as the bare key on screen.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use lvzhi::app::i18n::{t, Locale};
use lvzhi::domain::members::{Gender, MemberStatus, Party};
use lvzhi::domain::orgs::OrgKind;
use lvzhi::domain::paging::{SortDir, SortKey};
use lvzhi::domain::roles::Role;
use lvzhi::domain::validation::{FieldError, FieldErrors};
use lvzhi::services::error::AppError;
use lvzhi::storage::members::MemberSort;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Files under `dir` with this extension, recursively.
fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The text of every source file and template (a Rust file without its
/// trailing `#[cfg(test)]` module, whose strings are test data).
fn sources() -> Vec<(PathBuf, String)> {
    let mut paths = Vec::new();
    files(&root().join("src"), "rs", &mut paths);
    files(&root().join("templates"), "html", &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let text = match text.find("#[cfg(test)]") {
                Some(i) if p.extension().is_some_and(|e| e == "rs") => text[..i].to_string(),
                _ => text,
            };
            (p, text)
        })
        .collect()
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The string literal at the start of `s` (after whitespace), if any.
fn leading_literal(s: &str) -> Option<&str> {
    let s = s.trim_start().strip_prefix('"')?;
    s.find('"').map(|end| &s[..end])
}

/// The arguments of every call of a function named `name` (any path or
/// receiver before it), as the text after the opening parenthesis.
fn calls<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!("{name}(");
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(&needle) {
        let at = from + at;
        let before = text[..at].chars().last().unwrap_or(' ');
        if !is_ident_char(before) {
            found.push(&text[at + needle.len()..]);
        }
        from = at + needle.len();
    }
    found
}

/// Skip one argument that is a plain path or identifier (`locale`,
/// `Locale::ZhCn`, `self.locale`) and its comma.
fn skip_simple_argument(args: &str) -> Option<&str> {
    let args = args.trim_start();
    let end = args.find(|c: char| !(is_ident_char(c) || c == ':' || c == '.'))?;
    if end == 0 {
        return None;
    }
    args[end..].trim_start().strip_prefix(',')
}

/// Whether the error of a call (given its arguments' text) is thrown away
/// unread: `Role::parse("x", r).ok()` never shows a message.
fn discarded(args: &str) -> bool {
    let mut depth = 1;
    let Some(end) = args.char_indices().find_map(|(i, c)| {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        (depth == 0).then_some(i)
    }) else {
        return false;
    };
    let after = args[end + 1..].trim_start();
    [".ok()", ".is_ok()", ".is_err()"]
        .iter()
        .any(|m| after.starts_with(m))
}

fn looks_like_key(s: &str) -> bool {
    s.contains('.')
        && !s.starts_with('.')
        && !s.ends_with('.')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// What the sources use: literal keys, fields, codes, and the dynamic key
/// families built with `format!`.
#[derive(Default, Debug)]
struct Used {
    keys: BTreeSet<String>,
    fields: BTreeSet<String>,
    codes: BTreeSet<String>,
    conflicts: BTreeSet<String>,
    families: BTreeSet<String>,
    nav: BTreeSet<String>,
    timeline_kinds: BTreeSet<String>,
    audit_reasons: BTreeSet<String>,
    /// Dotted literals anywhere, to check against the catalogue's namespaces.
    dotted: BTreeSet<String>,
    /// Files with a `FieldError::new` whose code is not a literal.
    dynamic_code_sites: BTreeSet<String>,
}

/// Where a field error's code is chosen at run time, and how this test
/// learns the codes: `None` when the scan finds them (`parse_bounded`'s
/// arguments, a `let code = match`), else the codes, which must appear in that file.
const DYNAMIC_CODES: &[(&str, Option<&[&str]>)] = &[
    ("src/domain/paging.rs", None),
    (
        "src/domain/cases.rs",
        Some(&[
            "case_closed",
            "case_cannot_forward",
            "case_cannot_accept",
            "case_cannot_return",
            "case_cannot_resolve",
            "case_not_resolved",
            "case_cannot_reopen",
            "case_not_followed_up",
            "case_cannot_escalate",
        ]),
    ),
    (
        "src/domain/info.rs",
        Some(&[
            "info_withdrawn",
            "info_cannot_edit",
            "info_cannot_forward",
            "info_not_forwarded",
            "info_cannot_withdraw",
            "info_author_edit_submitted",
        ]),
    ),
    ("src/http/auth.rs", None),
    // A JSON body's type mismatch: the type the document expects.
    ("src/http/api/mod.rs", None),
    (
        "src/domain/proposals.rs",
        Some(&[
            "proposal_not_draft",
            "proposal_cannot_withdraw",
            "proposal_already_accepted",
            "proposal_not_submitted",
            "proposal_already_merged",
            "proposal_cannot_merge",
            "proposal_cannot_assign",
            "proposal_cannot_return",
            "proposal_not_assigned",
            "proposal_not_answered",
            "proposal_cannot_close",
            "proposal_cannot_mark_key",
            "proposal_cannot_supervise",
            "proposal_cannot_to_info",
        ]),
    ),
    (
        "src/services/auth.rs",
        Some(&["account_locked", "too_many_attempts"]),
    ),
    (
        "src/domain/awards.rs",
        Some(&["award_withdrawn", "award_already_awarded"]),
    ),
    // Why a password is refused: the estimator's warning, as our own code.
    (
        "src/domain/passwords.rs",
        Some(&[
            "password_weak_keyboard",
            "password_weak_repeat",
            "password_weak_sequence",
            "password_weak_date",
            "password_common",
            "password_weak_word",
            "password_weak",
        ]),
    ),
    // Which administrator role would lose its last holder.
    (
        "src/services/users.rs",
        Some(&["role_last_security", "role_last_auditor", "role_last_admin"]),
    ),
    // The subject's own "dated before the last step" message.
    ("src/domain/steps.rs", None),
    (
        "src/services/proposals.rs",
        Some(&["proposal_reason_required", "proposal_return_reason"]),
    ),
];

/// Functions whose first argument names the field being checked.
const FIELD_TAKERS: &[&str] = &[
    "parse",
    "parse_id",
    "parse_optional_id",
    "parse_date",
    "parse_optional_date",
    "required_text",
    "optional_text",
    "check_text",
    "parse_ethnicity",
    "check",
    "parse_bounded",
    "validate_parent",
    "check_gender_matches_id",
    "field_error",
];

fn scan() -> Used {
    let mut used = Used::default();
    for (path, text) in sources() {
        // t("key"), ctx.t("key"), i18n::t(locale, "key"), t_with(locale, "key", …)
        for name in ["t", "t_with"] {
            for args in calls(&text, name) {
                let literal = leading_literal(args)
                    .or_else(|| skip_simple_argument(args).and_then(leading_literal));
                if let Some(key) = literal {
                    assert!(
                        looks_like_key(key),
                        "{}: {name}(\"{key}\") is not a message key",
                        path.display()
                    );
                    used.keys.insert(key.to_string());
                }
            }
        }
        // FieldError::new("field", "code"), either part possibly a variable.
        for args in calls(&text, "FieldError::new") {
            let field = leading_literal(args);
            let rest = match field {
                Some(f) => args.trim_start()[f.len() + 2..]
                    .trim_start()
                    .strip_prefix(','),
                None => skip_simple_argument(args),
            };
            if let Some(f) = field.filter(|f| is_word(f)) {
                used.fields.insert(f.to_string());
            }
            match rest.and_then(leading_literal) {
                Some(c) if is_word(c) => {
                    used.codes.insert(c.to_string());
                }
                _ => {
                    let file = path
                        .strip_prefix(root())
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    used.dynamic_code_sites.insert(file);
                }
            }
        }
        // The field named first in a parse or check: parse("gender", input).
        for name in FIELD_TAKERS {
            for args in calls(&text, name) {
                let after_receiver = if *name == "field_error" {
                    skip_simple_argument(args)
                } else {
                    Some(args)
                };
                let Some(args) = after_receiver else { continue };
                if discarded(args) {
                    continue;
                }
                if let Some(field) = leading_literal(args).filter(|f| is_word(f)) {
                    let rest = args.trim_start()[field.len() + 2..].trim_start();
                    if *name == "field_error" || rest.starts_with(',') {
                        used.fields.insert(field.to_string());
                    }
                    // parse_bounded("page", "page_number", …) names its code too.
                    if *name == "parse_bounded" {
                        if let Some(code) = rest.strip_prefix(',').and_then(leading_literal) {
                            used.codes.insert(code.to_string());
                        }
                    }
                }
            }
        }
        // Codes chosen at run time: `let code = match … { … => "json_invalid", … };`
        let mut from = 0;
        while let Some(at) = text[from..].find("let code = match") {
            let at = from + at;
            let block = &text[at..at + text[at..].find("};").unwrap()];
            for arm in block.split("=> ").skip(1) {
                if let Some(code) = leading_literal(arm) {
                    used.codes.insert(code.to_string());
                }
            }
            from = at + 1;
        }
        for args in calls(&text, "Conflict") {
            if let Some(code) = leading_literal(args) {
                used.conflicts.insert(code.to_string());
            }
        }
        // Keys built at run time: t(&format!("family.{…}")).
        for args in calls(&text, "t").into_iter().chain(calls(&text, "t_with")) {
            let args = skip_simple_argument(args)
                .filter(|a| a.trim_start().starts_with("&format!"))
                .unwrap_or(args);
            if let Some(format) = args
                .trim_start()
                .strip_prefix("&format!(")
                .and_then(leading_literal)
            {
                let family = &format[..format.find('{').unwrap_or(format.len())];
                used.families.insert(family.to_string());
            }
        }
        // Navigation entries, timeline kinds, audit-chain reasons.
        for args in calls(&text, "push") {
            if let Some(key) = args
                .trim_start()
                .strip_prefix('(')
                .and_then(leading_literal)
                .filter(|k| is_word(k))
            {
                if path.ends_with("http/render.rs") {
                    used.nav.insert(key.to_string());
                }
            }
        }
        let mut from = 0;
        while let Some(at) = text[from..].find("NewTimelineEntry {") {
            let at = from + at;
            let block = &text[at..];
            let block = &block[..block.find('}').unwrap()];
            if let Some(kind) = block
                .find("kind:")
                .and_then(|k| leading_literal(&block[k + 5..]))
            {
                used.timeline_kinds.insert(kind.to_string());
            }
            from = at + 1;
        }
        for (at, _) in text.match_indices("reason: \"") {
            if let Some(reason) = leading_literal(&text[at + "reason:".len()..]) {
                used.audit_reasons.insert(reason.to_string());
            }
        }
        // Every dotted literal but file names (`audit.html`).
        const FILE_EXTENSIONS: [&str; 9] = [
            "html", "rs", "css", "js", "toml", "yml", "json", "key", "db",
        ];
        for piece in text.split('"').skip(1).step_by(2) {
            let extension = piece.rsplit('.').next().unwrap_or("");
            if looks_like_key(piece) && !FILE_EXTENSIONS.contains(&extension) {
                used.dotted.insert(piece.to_string());
            }
        }
    }
    used
}

/// Keys that are missing (or empty) in a language.
fn missing(keys: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for key in keys {
        for locale in Locale::ALL {
            let text = t(locale, key);
            if text == *key || text.trim().is_empty() {
                out.push(format!("{key} ({})", locale.as_str()));
            }
        }
    }
    out
}

#[test]
fn every_key_in_use_exists_in_both_languages() {
    // The check can tell: an unknown key comes back as itself.
    assert_eq!(t(Locale::ZhCn, "no.such.key"), "no.such.key");
    assert_eq!(t(Locale::En, "no.such.key"), "no.such.key");
    assert_eq!(t(Locale::ZhCn, "nav.members"), "委员");
    assert_eq!(t(Locale::En, "nav.members"), "Members");

    let used = scan();
    assert!(
        used.keys.len() > 60,
        "the scan finds the literal keys: {:?}",
        used.keys
    );
    for expected in [
        "app.name",
        "member.new",
        "member.edit",
        "list.total",
        "cli.migrated",
        "form.has_errors",
    ] {
        assert!(
            used.keys.contains(expected) || used.dotted.contains(expected),
            "{expected} found by the scan"
        );
    }
    for field in [
        "name",
        "id_number",
        "phone",
        "group_id",
        "username",
        "password",
        "parent_id",
        "page",
        "per_page",
        "body",
        "joined_on",
    ] {
        assert!(
            used.fields.contains(field),
            "field {field} found by the scan: {:?}",
            used.fields
        );
    }
    for code in [
        "required",
        "too_long",
        "id_number_checksum",
        "name_taken",
        "page_number",
        "json_invalid",
        "role_self_grant",
    ] {
        assert!(
            used.codes.contains(code),
            "code {code} found by the scan: {:?}",
            used.codes
        );
    }

    // Codes chosen at run time: every such place is known here.
    let sites: BTreeSet<String> = DYNAMIC_CODES.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(
        used.dynamic_code_sites, sites,
        "FieldError::new with a code chosen at run time: list its codes in DYNAMIC_CODES"
    );
    let mut codes = used.codes.clone();
    for (file, listed) in DYNAMIC_CODES {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        for code in listed.unwrap_or(&[]) {
            assert!(
                text.contains(&format!("\"{code}\"")),
                "{file} still uses {code}"
            );
            codes.insert(code.to_string());
        }
    }

    let mut keys: BTreeSet<String> = used.keys.clone();
    keys.extend(used.fields.iter().map(|f| format!("field.{f}")));
    keys.extend(codes.iter().map(|c| format!("error.{c}")));

    // Every family of keys built at run time is known here, and enumerated.
    let known = [
        "field.",
        "error.",
        "error.http.",
        "error.title.",
        "nav.",
        "member.sort.",
        "timeline.kind.",
        "cli.audit_reason.",
        "proposal.event.",
        "proposal.sort.",
        "search.kind.",
        "audit.key.",
    ];
    let unknown: Vec<&String> = used
        .families
        .iter()
        .filter(|f| !known.contains(&f.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "keys built at run time that this test does not enumerate yet: {unknown:?}"
    );
    let errors = [
        AppError::Validation(FieldErrors::new()),
        AppError::BadRequest(FieldErrors::new()),
        AppError::Unauthorized,
        AppError::Forbidden,
        AppError::NotFound,
        AppError::PasswordChangeRequired,
        AppError::internal(""),
    ];
    for e in &errors {
        keys.insert(format!("error.http.{}", e.code()));
        keys.insert(format!(
            "error.title.{}",
            lvzhi::http::error::status(e).as_u16()
        ));
    }
    assert!(used.conflicts.contains("stale_version"));
    for code in &used.conflicts {
        keys.insert(format!("error.http.{code}"));
        keys.insert(format!(
            "error.title.{}",
            lvzhi::http::error::status(&AppError::Conflict("stale_version")).as_u16()
        ));
    }
    assert!(
        used.nav.contains("members") && used.nav.contains("audit"),
        "{:?}",
        used.nav
    );
    keys.extend(used.nav.iter().map(|k| format!("nav.{k}")));
    keys.extend(
        MemberSort::ALL
            .iter()
            .map(|k| format!("member.sort.{}", k.as_str())),
    );
    assert!(
        used.timeline_kinds.contains("registered"),
        "{:?}",
        used.timeline_kinds
    );
    keys.extend(
        used.timeline_kinds
            .iter()
            .map(|k| format!("timeline.kind.{k}")),
    );
    keys.extend(
        used.audit_reasons
            .iter()
            .map(|r| format!("cli.audit_reason.{r}")),
    );

    // Labels of every choice.
    keys.extend(Gender::ALL.iter().map(|v| v.label_key().to_string()));
    keys.extend(Party::ALL.iter().map(|v| v.label_key().to_string()));
    keys.extend(MemberStatus::ALL.iter().map(|v| v.label_key().to_string()));
    keys.extend(OrgKind::ALL.iter().map(|v| v.label_key().to_string()));
    keys.extend(Role::ALL.iter().map(|v| v.label_key().to_string()));
    {
        use lvzhi::domain::calendar::DayKind;
        use lvzhi::domain::cases::{CaseAction, CaseSource, CaseStatus, Satisfaction};
        use lvzhi::domain::reception::VisitOutcome;
        keys.extend(CaseStatus::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(CaseAction::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(Satisfaction::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(CaseSource::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(DayKind::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(VisitOutcome::ALL.iter().map(|v| v.label_key().to_string()));
        use lvzhi::domain::info::{AdoptionLevel, InfoAction, InfoKind, InfoStatus};
        keys.extend(InfoKind::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(InfoStatus::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(InfoAction::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(AdoptionLevel::ALL.iter().map(|v| v.label_key().to_string()));
    }
    {
        use lvzhi::domain::proposals::{
            AnswerClass, Category, CosignStatus, HandlerRole, ProposalAction, ProposalStatus,
            SubmitterKind,
        };
        use lvzhi::storage::proposals::ProposalSort;
        keys.extend(
            ProposalStatus::ALL
                .iter()
                .map(|v| v.label_key().to_string()),
        );
        keys.extend(
            ProposalAction::ALL
                .iter()
                .map(|v| v.label_key().to_string()),
        );
        keys.extend(SubmitterKind::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(Category::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(AnswerClass::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(CosignStatus::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(HandlerRole::ALL.iter().map(|v| v.label_key().to_string()));
        // The timeline's actions: every step, and the entries a step writes itself.
        keys.extend(
            ProposalAction::ALL
                .iter()
                .map(|a| a.as_str())
                .chain(["create", "edit", "second_answer"])
                .map(|a| format!("proposal.event.{a}")),
        );
        keys.extend(
            ProposalSort::ALL
                .iter()
                .map(|k| format!("proposal.sort.{}", k.as_str())),
        );
        keys.extend(
            ["proposal", "info", "case", "activity", "archive"]
                .iter()
                .map(|k| format!("search.kind.{k}")),
        );
    }
    {
        use lvzhi::domain::activities::AwardStatus;
        use lvzhi::domain::awards::{AwardAction, AwardLevel};
        use lvzhi::domain::plans::{MeasureKind, Period, PlanStatus, Scope};
        use lvzhi::domain::points::{Grade, JointMode, PointItem, PointsKind, Share};
        use lvzhi::domain::projects::{ProjectKind, ProjectStatus};
        keys.extend(AwardStatus::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(AwardAction::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(AwardLevel::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(MeasureKind::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(Period::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(PlanStatus::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(Scope::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(Grade::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(JointMode::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(PointItem::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(PointsKind::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(Share::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(ProjectKind::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(ProjectStatus::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(
            lvzhi::domain::archive::ArchiveKind::ALL
                .iter()
                .map(|v| v.label_key().to_string()),
        );
        // Fields named through a helper (the grade bands' ends), which the scan cannot see.
        keys.extend(
            [
                "excellent_from",
                "excellent_to",
                "good_from",
                "good_to",
                "competent_from",
                "competent_to",
                "unfit_from",
                "unfit_to",
            ]
            .iter()
            .map(|f| format!("field.{f}")),
        );
        use lvzhi::domain::audit::{
            AuditAction, AuditEngine, AuditFormat, AuditObject, AuditOutcome, AuditScale, AuditVia,
            SecondFactorFailure, DETAIL_KEYS,
        };
        keys.extend(AuditAction::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(AuditObject::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(AuditOutcome::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(AuditVia::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(AuditEngine::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(AuditScale::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(AuditFormat::ALL.iter().map(|v| v.label_key().to_string()));
        keys.extend(
            SecondFactorFailure::ALL
                .iter()
                .map(|v| v.label_key().to_string()),
        );
        // A detail's keys, and the names the audit page gives from/to on a
        // role change and an export.
        keys.extend(
            DETAIL_KEYS
                .iter()
                .map(|(k, _)| *k)
                .chain(["from_role", "to_role", "from_day", "to_day"])
                .map(|k| format!("audit.key.{k}")),
        );
    }
    keys.extend(
        [SortDir::Asc, SortDir::Desc]
            .iter()
            .map(|v| v.label_key().to_string()),
    );

    let absent = missing(&keys);
    assert!(
        absent.is_empty(),
        "message keys missing from a catalogue:\n{}",
        absent.join("\n")
    );

    // Any other dotted literal in a catalogue namespace must be a key too
    // (keys handed around before reaching t(), like a page's title key).
    let namespaces: BTreeSet<String> = catalogue()
        .keys()
        .map(|k| k.split('.').next().unwrap().to_string())
        .collect();
    let in_namespace: BTreeSet<String> = used
        .dotted
        .iter()
        .filter(|d| namespaces.contains(d.split('.').next().unwrap()))
        .cloned()
        .collect();
    let absent = missing(&in_namespace);
    assert!(
        absent.is_empty(),
        "dotted literals that look like keys but are missing:\n{}",
        absent.join("\n")
    );
}

/// The catalogue files: key → language → text.
fn catalogue() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut all: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut paths = Vec::new();
    files(&root().join("locales"), "yml", &mut paths);
    assert!(!paths.is_empty());
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            if !line.starts_with(' ') {
                let (key, value) = line.split_once(':').unwrap();
                if key == "_version" {
                    current = None;
                    continue;
                }
                assert!(
                    value.trim().is_empty(),
                    "{}: {key} has its languages below it",
                    path.display()
                );
                assert!(
                    !all.contains_key(key),
                    "{}: {key} is defined twice",
                    path.display()
                );
                all.insert(key.to_string(), BTreeMap::new());
                current = Some(key.to_string());
            } else if let Some(key) = &current {
                let (lang, value) = line.trim().split_once(':').unwrap();
                let value = value.trim().trim_matches('"').to_string();
                all.get_mut(key).unwrap().insert(lang.to_string(), value);
            }
        }
    }
    all
}

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("%{")
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

#[test]
fn every_catalogue_entry_has_both_languages_and_the_same_placeholders() {
    let all = catalogue();
    assert!(all.len() > 150, "{} keys", all.len());
    for (key, langs) in &all {
        let languages: Vec<&str> = langs.keys().map(String::as_str).collect();
        assert_eq!(languages, ["en", "zh-CN"], "{key}");
        for (lang, text) in langs {
            assert!(!text.trim().is_empty(), "{key} ({lang}) is empty");
        }
        assert_eq!(
            placeholders(&langs["zh-CN"]),
            placeholders(&langs["en"]),
            "{key}: both languages fill the same placeholders"
        );
        for locale in Locale::ALL {
            assert_ne!(
                t(locale, key),
                *key,
                "{key} ({}) is loaded",
                locale.as_str()
            );
        }
    }
    // A message with its placeholders filled, in each language.
    let e = FieldError::new("term", "term_range")
        .with("min", 1)
        .with("max", 99);
    assert_eq!(
        lvzhi::app::i18n::field_message(Locale::ZhCn, &e),
        "届次：应为 1 到 99 之间的整数"
    );
    assert_eq!(
        lvzhi::app::i18n::field_message(Locale::En, &e),
        "Term: must be a whole number from 1 to 99"
    );
}
