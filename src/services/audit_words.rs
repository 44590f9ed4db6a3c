//! The audit log in words: who by name, the action, the object, the outcome
//! and the detail as the catalogues say them, with the people, departments
//! and organisations a row names by id looked up by name (one query per kind
//! for a whole page of rows). The stored row stays as written: the hash chain
//! covers it, and the export keeps it beside these words.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::app::i18n::{t, t_with, Locale};
use crate::domain::audit::{
    choice_label_key, contextual_label_key, detail_fields, detail_kind, AuditAction, AuditObject,
    AuditOutcome, DetailKind,
};
use crate::domain::roles::Role;
use crate::storage::audit::{self, AuditEntry, Named};
use crate::storage::Db;

/// One audit row as the auditor reads it.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub entry: AuditEntry,
    /// The account's display name (or who else acted: the operator, a name typed at sign-in).
    pub who: String,
    /// The user name, when it is not already what `who` says.
    pub username: String,
    pub role: String,
    pub action: String,
    pub object: String,
    pub outcome: String,
    /// Every detail field as "label：value", in the order written.
    pub details: Vec<String>,
    /// Codes this row holds that no catalogue entry says in words (none,
    /// unless the code writes something new: a test reads every row for them).
    pub unread: Vec<String>,
}

impl AuditRow {
    /// The detail on one line.
    pub fn detail(&self, locale: Locale) -> String {
        let separator = if locale == Locale::ZhCn { "；" } else { "; " };
        self.details.join(separator)
    }
}

/// The names a page of rows needs, looked up once.
#[derive(Default)]
struct Names {
    members: HashMap<i64, String>,
    orgs: HashMap<i64, String>,
    departments: HashMap<i64, String>,
    communities: HashMap<i64, String>,
    /// Account id → (user name, display name).
    accounts: HashMap<i64, (String, String)>,
}

/// The ids a page of rows names, by kind.
#[derive(Default)]
struct Wanted {
    members: BTreeSet<i64>,
    orgs: BTreeSet<i64>,
    departments: BTreeSet<i64>,
    communities: BTreeSet<i64>,
    accounts: BTreeSet<i64>,
}

fn ids_in(value: &Value, out: &mut BTreeSet<i64>) {
    match value {
        Value::Number(n) => out.extend(n.as_i64()),
        Value::String(s) => out.extend(s.trim().parse::<i64>().ok()),
        Value::Array(items) => items.iter().for_each(|v| ids_in(v, out)),
        _ => {}
    }
}

impl Wanted {
    fn fields(&mut self, fields: &[(String, Value)]) {
        for (key, value) in fields {
            match detail_kind(key) {
                Some(DetailKind::Member | DetailKind::Members) => ids_in(value, &mut self.members),
                Some(DetailKind::Department | DetailKind::Handlers) => {
                    ids_in(value, &mut self.departments)
                }
                Some(DetailKind::Org) => ids_in(value, &mut self.orgs),
                Some(DetailKind::Nested) => {
                    if let Value::Object(map) = value {
                        let inner: Vec<(String, Value)> =
                            map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                        self.fields(&inner);
                    }
                }
                _ => {}
            }
        }
    }
}

/// The rows in words, in the order given.
pub async fn in_words(
    db: &Db,
    locale: Locale,
    entries: Vec<AuditEntry>,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    let parsed: Vec<Vec<(String, Value)>> = entries
        .iter()
        .map(|e| e.detail.as_deref().map(detail_fields).unwrap_or_default())
        .collect();
    let mut wanted = Wanted::default();
    for (e, fields) in entries.iter().zip(&parsed) {
        wanted.fields(fields);
        wanted.accounts.extend(e.user_id);
        let id = e.object_id.as_deref().and_then(|v| v.parse::<i64>().ok());
        let object = e.object_type.as_deref().and_then(object_of);
        if let Some(id) = id {
            match object {
                Some(AuditObject::Member) => {
                    wanted.members.insert(id);
                }
                Some(AuditObject::Org) => {
                    wanted.orgs.insert(id);
                }
                Some(AuditObject::Department) => {
                    wanted.departments.insert(id);
                }
                Some(AuditObject::Community) => {
                    wanted.communities.insert(id);
                }
                Some(AuditObject::User) => {
                    wanted.accounts.insert(id);
                }
                _ => {}
            }
        }
    }
    let list = |set: &BTreeSet<i64>| set.iter().copied().collect::<Vec<_>>();
    let names = Names {
        members: audit::names(db, Named::Member, &list(&wanted.members)).await?,
        orgs: audit::names(db, Named::Org, &list(&wanted.orgs)).await?,
        departments: audit::names(db, Named::Department, &list(&wanted.departments)).await?,
        communities: audit::names(db, Named::Community, &list(&wanted.communities)).await?,
        accounts: audit::accounts(db, &list(&wanted.accounts)).await?,
    };
    Ok(entries
        .into_iter()
        .zip(parsed)
        .map(|(entry, fields)| row(locale, &names, entry, &fields))
        .collect())
}

fn object_of(code: &str) -> Option<AuditObject> {
    AuditObject::parse("object_type", code).ok()
}

fn row(locale: Locale, names: &Names, entry: AuditEntry, fields: &[(String, Value)]) -> AuditRow {
    let (who, username) = who(locale, names, &entry);
    let role = entry
        .role
        .as_deref()
        .and_then(|r| Role::parse("role", r).ok())
        .map(|r| t(locale, r.label_key()))
        .unwrap_or_default();
    let action_code = AuditAction::parse("action", &entry.action).ok();
    let mut unread = Vec::new();
    let action = match action_code {
        Some(a) => t(locale, a.label_key()),
        None => {
            unread.push(format!("action {}", entry.action));
            entry.action.clone()
        }
    };
    let object_code = entry.object_type.as_deref().and_then(object_of);
    if let (Some(code), None) = (&entry.object_type, object_code) {
        unread.push(format!("object type {code}"));
    }
    let object = object_words(locale, names, &entry, object_code);
    let outcome = match AuditOutcome::parse("outcome", &entry.outcome).ok() {
        Some(o) => t(locale, o.label_key()),
        None => {
            unread.push(format!("outcome {}", entry.outcome));
            entry.outcome.clone()
        }
    };
    let scene = Scene {
        locale,
        names,
        action: action_code,
        object: object_code,
        unread: RefCell::new(unread),
    };
    let details = fields
        .iter()
        .filter_map(|(key, value)| scene.field(key, value))
        .collect();
    let unread = scene.unread.into_inner();
    AuditRow {
        entry,
        who,
        username,
        role,
        action,
        object,
        outcome,
        details,
        unread,
    }
}

/// Who acted, by name, and the user name when it says something more.
fn who(locale: Locale, names: &Names, e: &AuditEntry) -> (String, String) {
    let stored = e.username.clone().unwrap_or_default();
    if let Some((username, display)) = e.user_id.and_then(|id| names.accounts.get(&id)) {
        if *username == stored {
            return (display.clone(), stored);
        }
    }
    // The operator's rows: `(cli)`, or no user at all (a search rebuild).
    if stored == "(cli)" || (e.username.is_none() && e.user_id.is_none()) {
        return (t(locale, "audit.operator"), String::new());
    }
    // The demo's stand-ins act as `demo:<name>`.
    if let Some(name) = stored.strip_prefix("demo:") {
        return (name.to_string(), stored.clone());
    }
    (stored, String::new())
}

fn object_words(
    locale: Locale,
    names: &Names,
    e: &AuditEntry,
    object: Option<AuditObject>,
) -> String {
    let Some(code) = e.object_type.as_deref() else {
        return String::new();
    };
    let label = match object {
        Some(o) => t(locale, o.label_key()),
        None => code.to_string(),
    };
    let Some(id) = e
        .object_id
        .as_deref()
        .filter(|v| !v.is_empty() && *v != "0")
    else {
        return label;
    };
    let parsed = id.parse::<i64>().ok();
    let name = parsed.and_then(|id| match object? {
        AuditObject::Member => names.members.get(&id).cloned(),
        AuditObject::Org => names.orgs.get(&id).cloned(),
        AuditObject::Department => names.departments.get(&id).cloned(),
        AuditObject::Community => names.communities.get(&id).cloned(),
        AuditObject::User => names.accounts.get(&id).map(|(_, display)| display.clone()),
        _ => None,
    });
    match name {
        Some(name) => t_with(
            locale,
            "audit.object_named",
            &[("type", label), ("name", name)],
        ),
        None => t_with(
            locale,
            "audit.object_numbered",
            &[("type", label), ("id", id.to_string())],
        ),
    }
}

/// What a row's fields are read against.
struct Scene<'a> {
    locale: Locale,
    names: &'a Names,
    action: Option<AuditAction>,
    object: Option<AuditObject>,
    /// Codes met that no catalogue entry says.
    unread: RefCell<Vec<String>>,
}

impl Scene<'_> {
    fn list_separator(&self) -> &'static str {
        if self.locale == Locale::ZhCn {
            "、"
        } else {
            ", "
        }
    }

    /// "label：value", or `None` for a value left out (none, an empty list).
    fn field(&self, key: &str, value: &Value) -> Option<String> {
        let kind = detail_kind(key);
        let role_change = matches!(
            self.action,
            Some(AuditAction::RoleGrant | AuditAction::RoleRevoke)
        );
        let export = self.action == Some(AuditAction::Export);
        let label = match key {
            "from" | "to" if role_change => t(self.locale, &format!("audit.key.{key}_role")),
            "from" | "to" if export => t(self.locale, &format!("audit.key.{key}_day")),
            "action" if export => t(self.locale, "audit.key.filter_action"),
            _ if kind.is_some() => t(self.locale, &format!("audit.key.{key}")),
            _ => {
                self.unread.borrow_mut().push(format!("detail key {key}"));
                key.to_string()
            }
        };
        let words = match (key, kind) {
            ("from" | "to", _) if role_change => Some(match value.as_str() {
                Some(r) => {
                    self.choice_or_text(choice_label_key(crate::domain::audit::Choice::Role, r), r)
                }
                None => t(self.locale, "audit.no_role"),
            }),
            ("from" | "to", _) if export => self.text(value),
            ("action", _) if export => value.as_str().map(|a| {
                self.choice_or_text(choice_label_key(crate::domain::audit::Choice::Action, a), a)
            }),
            (_, Some(kind)) => self.value(kind, value),
            (_, None) => self.text(value),
        }?;
        // A proposal's handlers name their roles themselves (主办单位：…).
        if kind == Some(DetailKind::Handlers) {
            return Some(words);
        }
        let separator = if self.locale == Locale::ZhCn {
            "："
        } else {
            ": "
        };
        Some(format!("{label}{separator}{words}"))
    }

    fn choice_or_text(&self, key: Option<&'static str>, raw: &str) -> String {
        match key {
            Some(key) => t(self.locale, key),
            None => {
                self.unread.borrow_mut().push(format!("value {raw}"));
                raw.to_string()
            }
        }
    }

    fn flag(&self, on: bool) -> String {
        t(self.locale, if on { "audit.yes" } else { "audit.no" })
    }

    /// A plain value as written: text, a number, 是/否; nothing for none.
    fn text(&self, value: &Value) -> Option<String> {
        match value {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(self.flag(*b)),
            Value::Array(items) => {
                let parts: Vec<String> = items.iter().filter_map(|v| self.text(v)).collect();
                (!parts.is_empty()).then(|| parts.join(self.list_separator()))
            }
            Value::Object(map) => self.nested(map),
        }
    }

    fn nested(&self, map: &serde_json::Map<String, Value>) -> Option<String> {
        let mut fields: Vec<(&String, &Value)> = map.iter().collect();
        fields.sort_by_key(|(k, _)| crate::domain::audit::detail_rank(k));
        let parts: Vec<String> = fields
            .into_iter()
            .filter_map(|(k, v)| self.field(k, v))
            .collect();
        let separator = if self.locale == Locale::ZhCn {
            "，"
        } else {
            ", "
        };
        (!parts.is_empty()).then(|| {
            if self.locale == Locale::ZhCn {
                format!("（{}）", parts.join(separator))
            } else {
                format!("({})", parts.join(separator))
            }
        })
    }

    fn id(value: &Value) -> Option<i64> {
        match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn named(&self, table: &HashMap<i64, String>, value: &Value) -> Option<String> {
        let id = Self::id(value)?;
        Some(
            table.get(&id).cloned().unwrap_or_else(|| {
                t_with(self.locale, "audit.numbered", &[("id", id.to_string())])
            }),
        )
    }

    fn named_list(&self, table: &HashMap<i64, String>, value: &Value) -> Option<String> {
        let parts: Vec<String> = match value {
            Value::Array(items) => items.iter().filter_map(|v| self.named(table, v)).collect(),
            other => self.named(table, other).into_iter().collect(),
        };
        (!parts.is_empty()).then(|| parts.join(self.list_separator()))
    }

    fn value(&self, kind: DetailKind, value: &Value) -> Option<String> {
        if value.is_null() {
            return None;
        }
        let raw = value.as_str();
        match kind {
            DetailKind::Text => self.text(value),
            DetailKind::Flag => match value {
                Value::Bool(b) => Some(self.flag(*b)),
                Value::String(s) => Some(self.flag(s == "true")),
                other => self.text(other),
            },
            DetailKind::Member => self.named(&self.names.members, value),
            DetailKind::Members => self.named_list(&self.names.members, value),
            DetailKind::Department => self.named(&self.names.departments, value),
            DetailKind::Org => self.named(&self.names.orgs, value),
            DetailKind::Handlers => {
                // [lead, [co, …]]
                let items = value.as_array()?;
                let lead = items
                    .first()
                    .and_then(|v| self.named(&self.names.departments, v));
                let co = items
                    .get(1)
                    .and_then(|v| self.named_list(&self.names.departments, v));
                let mut parts = Vec::new();
                let separator = if self.locale == Locale::ZhCn {
                    "："
                } else {
                    ": "
                };
                if let Some(lead) = lead {
                    parts.push(format!(
                        "{}{separator}{lead}",
                        t(self.locale, "label.handler_role.lead")
                    ));
                }
                if let Some(co) = co {
                    parts.push(format!(
                        "{}{separator}{co}",
                        t(self.locale, "label.handler_role.co")
                    ));
                }
                let joined = if self.locale == Locale::ZhCn {
                    "，"
                } else {
                    ", "
                };
                (!parts.is_empty()).then(|| parts.join(joined))
            }
            DetailKind::Record(object) => {
                let id = Self::id(value)?;
                Some(t_with(
                    self.locale,
                    "audit.object_numbered",
                    &[
                        ("type", t(self.locale, object.label_key())),
                        ("id", id.to_string()),
                    ],
                ))
            }
            DetailKind::Records(object) => {
                let ids: Vec<String> = value
                    .as_array()?
                    .iter()
                    .filter_map(Self::id)
                    .map(|id| t_with(self.locale, "audit.numbered", &[("id", id.to_string())]))
                    .collect();
                (!ids.is_empty()).then(|| {
                    format!(
                        "{} {}",
                        t(self.locale, object.label_key()),
                        ids.join(self.list_separator())
                    )
                })
            }
            // An activity's reply is one of a list; elsewhere the text typed.
            DetailKind::Reply if self.object != Some(AuditObject::Activity) => self.text(value),
            DetailKind::Status
            | DetailKind::Step
            | DetailKind::Kind
            | DetailKind::Category
            | DetailKind::Reply => {
                let raw = raw?;
                Some(self.choice_or_text(contextual_label_key(kind, self.object, raw), raw))
            }
            DetailKind::Choice(choice) => {
                let raw = raw?;
                Some(self.choice_or_text(choice_label_key(choice, raw), raw))
            }
            DetailKind::Nested => match value {
                Value::Object(map) => self.nested(map),
                other => self.text(other),
            },
        }
    }
}
