//! Settings: defaults, then an optional TOML file, then `LVZHI_*` environment
//! variables, then command-line flags (each overrides the one before).

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

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
}

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
        }
    }
}

impl Settings {
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
}
