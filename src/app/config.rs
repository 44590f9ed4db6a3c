//! Settings: defaults, then an optional TOML file, then `LVZHI_*` environment
//! variables, then command-line flags (each overrides the one before).

use std::path::{Path, PathBuf};

use chrono::Duration;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::domain::passwords::PasswordPolicy;
use crate::domain::roles::Role;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// `sqlite://PATH` (default) or `postgres://…`.
    pub database_url: String,
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub listen: String,
    /// Where the data-encryption key is kept when `data_key` is not set.
    pub data_key_file: PathBuf,
    /// The data-encryption key itself (32 bytes, base64); overrides the key file.
    pub data_key: Option<String>,
    /// `text` or `json` log lines.
    pub log_format: String,
    /// A session ends after this many idle minutes…
    pub session_idle_minutes: i64,
    /// …and after this many hours in all.
    pub session_max_hours: i64,
    /// Mark cookies Secure and use the `__Host-` prefix (set when served over TLS).
    pub secure_cookies: bool,
    /// Passwords need at least this many characters…
    pub password_min_chars: usize,
    /// …from at least this many of: lower case, upper case, digits, others.
    pub password_min_classes: usize,
    /// This many failed sign-ins within the window lock the account until the window passes.
    pub lockout_failures: i64,
    pub lockout_window_minutes: i64,
    /// This many failed sign-ins from one address within the window stop that address.
    pub address_failures: i64,
    /// Administrators (admin, security, auditor) must change their password after this many days.
    pub admin_password_days: i64,
    /// A new password may not repeat any of this many previous ones.
    pub password_history: i64,
    /// Roles that must sign in with a one-time code (TOTP) as well, and set it
    /// up at their first sign-in. Unset: the administrators (admin, security,
    /// auditor), and under `serve --demo` staff too; set, exactly the roles
    /// listed (`["admin", "security", "auditor", "staff"]`, or `[]` for none).
    /// Any user may enable it.
    pub totp_required_roles: Option<Vec<String>>,
    /// Where attachments are kept: outside any served folder, under random names.
    pub attachments_dir: PathBuf,
    /// The largest attachment accepted, in bytes (at most 60 MiB).
    pub attachment_max_bytes: u64,
    /// Seconds between replays of other servers' changes into the search index.
    pub search_refresh_seconds: u64,
    /// The longest body of an information report (社情民意信息), in characters
    /// (a Chinese character or an emoji counts as one); longer bodies are refused.
    pub info_max_chars: u32,
    /// How many days of audit log must be kept (等保三级: at least 180). The
    /// application never deletes audit rows; a lower value is refused at start-up.
    pub audit_retention_days: i64,
    /// The committee's time zone (IANA name): "today" and every date and time
    /// shown are in it; stored instants stay UTC.
    pub time_zone: String,
    /// Where the server writes its scheduled backups (encrypted like `lvzhi
    /// backup`, each checked by a test restore into a scratch database).
    /// Unset: no scheduled backups.
    pub backup_dir: Option<PathBuf>,
    /// Seconds between scheduled backups (daily by default).
    pub backup_interval_seconds: u64,
    /// How many scheduled backups are kept in `backup_dir` (the oldest go).
    pub backup_keep: u32,
    /// Seconds between the log lines that record the audit chain's head.
    pub audit_head_log_seconds: u64,
    /// Reminders: a department hears of a case or a proposal answer this many
    /// working days before it falls due (and again once it is overdue).
    pub reminder_working_days: u32,
    /// Seconds between two runs of the reminder sweep and the outbox (0: off).
    pub notify_interval_seconds: u64,
    /// A message out of the app is tried this many times, waiting longer
    /// each time, before it is given up (and shown to the administrator).
    pub notify_max_attempts: i64,
    /// E-mail: the SMTP server (unset: no e-mail is sent).
    pub smtp_host: Option<String>,
    /// Its port (default: 465 for `tls`, 587 for `starttls`, 25 for `none`).
    pub smtp_port: Option<u16>,
    /// `starttls` (default), `tls` (TLS from the first byte) or `none` (a
    /// server on this machine or a trusted network only).
    pub smtp_tls: String,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    /// The sender, e.g. `履职平台 <lvzhi@example.org>`.
    pub smtp_from: String,
    /// A group robot's webhook (企业微信 or 钉钉): departments' and staff's
    /// reminders are posted there as a text message (unset: none).
    pub webhook_url: Option<String>,
}

/// The roles that require a second factor when the settings do not name them
/// (GB/T 22239-2019 level 3: two factors for administrators).
pub const DEFAULT_TOTP_ROLES: [Role; 3] = [Role::Admin, Role::Security, Role::Auditor];

/// The shortest audit-log retention the settings accept, in days (GB/T 22239-2019: six months).
pub const MIN_AUDIT_RETENTION_DAYS: i64 = 180;

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/lvzhi.db".into(),
            listen: "127.0.0.1:8080".into(),
            data_key_file: PathBuf::from("data/lvzhi.key"),
            data_key: None,
            log_format: "text".into(),
            session_idle_minutes: 30,
            session_max_hours: 12,
            secure_cookies: false,
            password_min_chars: 12,
            password_min_classes: 3,
            lockout_failures: 5,
            lockout_window_minutes: 15,
            address_failures: 20,
            admin_password_days: 90,
            password_history: 5,
            totp_required_roles: None,
            attachments_dir: PathBuf::from("data/attachments"),
            attachment_max_bytes: crate::domain::attachments::DEFAULT_MAX_BYTES,
            search_refresh_seconds: 2,
            info_max_chars: crate::domain::info::DEFAULT_MAX_CHARS,
            audit_retention_days: MIN_AUDIT_RETENTION_DAYS,
            time_zone: crate::app::clock::DEFAULT_ZONE.name().into(),
            backup_dir: None,
            backup_interval_seconds: 24 * 60 * 60,
            backup_keep: 7,
            audit_head_log_seconds: 60 * 60,
            reminder_working_days: 3,
            notify_interval_seconds: 300,
            notify_max_attempts: 6,
            smtp_host: None,
            smtp_port: None,
            smtp_tls: "starttls".into(),
            smtp_username: None,
            smtp_password: None,
            smtp_from: "lvzhi@localhost".into(),
            webhook_url: None,
        }
    }
}

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: Duration,
    pub absolute: Duration,
}

/// When sign-ins are refused.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    pub failures: i64,
    pub window: Duration,
    pub address_failures: i64,
}

/// The security rules, from the settings.
#[derive(Debug, Clone)]
pub struct Policies {
    pub password: PasswordPolicy,
    pub login: LoginPolicy,
    pub sessions: SessionLimits,
    pub admin_password_max_age: Duration,
    pub password_history: i64,
    /// Roles that must use a one-time code.
    pub totp_required: Vec<Role>,
}

impl Default for Policies {
    fn default() -> Self {
        Settings::default().policies()
    }
}

impl Settings {
    /// The security rules these settings describe.
    pub fn policies(&self) -> Policies {
        Policies {
            password: PasswordPolicy {
                min_chars: self.password_min_chars.clamp(8, 128),
                min_classes: self.password_min_classes.clamp(1, 4),
            },
            login: LoginPolicy {
                failures: self.lockout_failures.max(1),
                window: Duration::minutes(self.lockout_window_minutes.max(1)),
                address_failures: self.address_failures.max(1),
            },
            sessions: SessionLimits {
                idle: Duration::minutes(self.session_idle_minutes.max(1)),
                absolute: Duration::hours(self.session_max_hours.max(1)),
            },
            admin_password_max_age: Duration::days(self.admin_password_days.max(1)),
            password_history: self.password_history.clamp(0, 24),
            totp_required: match &self.totp_required_roles {
                Some(roles) => roles
                    .iter()
                    .filter_map(|r| Role::parse("totp_required_roles", r).ok())
                    .collect(),
                None => DEFAULT_TOTP_ROLES.to_vec(),
            },
        }
    }

    /// The demo's choice (`serve --demo`): staff sign in with a second factor
    /// too, unless the settings name the roles themselves.
    pub fn with_demo_totp(mut self) -> Self {
        if self.totp_required_roles.is_none() {
            let mut roles: Vec<String> = DEFAULT_TOTP_ROLES
                .iter()
                .map(|r| r.as_str().to_string())
                .collect();
            roles.push(Role::Staff.as_str().to_string());
            self.totp_required_roles = Some(roles);
        }
        self
    }

    /// Refuse settings that would break a rule the installation is assessed
    /// against; the message (Chinese, for the operator) says which and why.
    pub fn validate(&self) -> Result<(), String> {
        if self.audit_retention_days < MIN_AUDIT_RETENTION_DAYS {
            return Err(crate::app::i18n::t_with(
                crate::app::i18n::Locale::ZhCn,
                "settings.audit_retention_too_short",
                &[
                    ("days", self.audit_retention_days.to_string()),
                    ("min", MIN_AUDIT_RETENTION_DAYS.to_string()),
                ],
            ));
        }
        self.zone()?;
        if !["starttls", "tls", "none"].contains(&self.smtp_tls.as_str()) {
            return Err(crate::app::i18n::t_with(
                crate::app::i18n::Locale::ZhCn,
                "settings.smtp_tls_unknown",
                &[("value", self.smtp_tls.clone())],
            ));
        }
        Ok(())
    }

    /// The committee's time zone, or a message (Chinese, for the operator)
    /// saying that the setting names none.
    pub fn zone(&self) -> Result<chrono_tz::Tz, String> {
        self.time_zone.parse().map_err(|_| {
            crate::app::i18n::t_with(
                crate::app::i18n::Locale::ZhCn,
                "settings.time_zone_unknown",
                &[("zone", self.time_zone.clone())],
            )
        })
    }

    /// Load from `config_file` (if it exists) and the environment.
    pub fn load(config_file: Option<&Path>) -> Result<Settings, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        let file = config_file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("lvzhi.toml"));
        figment = figment.merge(Toml::file(file));
        figment
            .merge(Env::prefixed("LVZHI_"))
            .extract()
            .map_err(Box::new)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "x.toml",
                "listen = \"0.0.0.0:9000\"\nsession_idle_minutes = 10",
            )?;
            jail.set_env("LVZHI_SESSION_IDLE_MINUTES", "15");
            let s = Settings::load(Some(Path::new("x.toml"))).unwrap();
            assert_eq!(s.listen, "0.0.0.0:9000");
            assert_eq!(s.session_idle_minutes, 15);
            assert_eq!(s.database_url, "sqlite://data/lvzhi.db");
            Ok(())
        });
    }

    #[test]
    fn audit_retention_below_180_days_is_refused() {
        assert_eq!(Settings::default().audit_retention_days, 180);
        assert!(Settings::default().validate().is_ok());
        figment::Jail::expect_with(|jail| {
            jail.create_file("x.toml", "audit_retention_days = 365")?;
            let s = Settings::load(Some(Path::new("x.toml"))).unwrap();
            assert_eq!(s.audit_retention_days, 365);
            assert!(s.validate().is_ok());
            jail.set_env("LVZHI_AUDIT_RETENTION_DAYS", "90");
            let s = Settings::load(Some(Path::new("x.toml"))).unwrap();
            let message = s.validate().unwrap_err();
            assert!(message.contains("audit_retention_days"), "{message}");
            assert!(
                message.contains("90") && message.contains("180"),
                "{message}"
            );
            assert!(message.contains("审计日志"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn administrators_need_a_second_factor_unless_the_settings_say_otherwise() {
        let trio = vec![Role::Admin, Role::Security, Role::Auditor];
        assert_eq!(Settings::default().policies().totp_required, trio);
        let demo = Settings::default()
            .with_demo_totp()
            .policies()
            .totp_required;
        assert_eq!(demo, [trio.clone(), vec![Role::Staff]].concat());
        figment::Jail::expect_with(|jail| {
            jail.set_env("LVZHI_TOTP_REQUIRED_ROLES", "[admin, staff]");
            let s = Settings::load(None).unwrap();
            assert_eq!(s.policies().totp_required, vec![Role::Admin, Role::Staff]);
            assert_eq!(
                s.with_demo_totp().policies().totp_required,
                vec![Role::Admin, Role::Staff],
                "the demo keeps roles the settings name"
            );
            jail.set_env("LVZHI_TOTP_REQUIRED_ROLES", "[]");
            let s = Settings::load(None).unwrap();
            assert!(s.policies().totp_required.is_empty());
            Ok(())
        });
    }
}
