//! Server configuration: defaults < TOML file < `FERRY_SECTION__KEY` env < command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The whole configuration. Every field can be set as `section.key` in the TOML file or as
/// `FERRY_SECTION__KEY` in the environment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub database: DatabaseConfig,
    pub admin: AdminConfig,
    pub auth: AuthConfig,
    pub uploads: UploadsConfig,
    pub limits: LimitsConfig,
    pub links: LinksConfig,
    pub webhooks: WebhooksConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The URL clients reach the server at (for absolute links); defaults to `http://<listen>`.
    pub public_url: Option<String>,
    /// A client must send its request headers within this many seconds (slowloris guard).
    pub header_read_timeout_secs: u64,
    /// A request body that sends nothing for this many seconds is cut off.
    pub body_idle_timeout_secs: u64,
    /// On SIGTERM/SIGINT, in-flight requests get this long to finish.
    pub shutdown_grace_secs: u64,
    /// A connection with no request in flight and no traffic for this many seconds is closed
    /// (HTTP/1 keep-alive and HTTP/2 alike).
    pub idle_timeout_secs: u64,
    /// At most this many open connections from one client address; more are refused at once.
    pub max_connections_per_ip: usize,
    /// A JSON request body must arrive completely within this many seconds.
    pub json_body_timeout_secs: u64,
    /// After `min_body_rate_grace_secs`, a request body (an upload part, say) that arrives
    /// slower than this many bytes per second on average is cut off. 0 disables the check.
    pub min_body_rate_bytes_per_sec: u64,
    /// How long a body may take before its average rate is checked.
    pub min_body_rate_grace_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".parse().expect("valid default address"),
            public_url: None,
            header_read_timeout_secs: 10,
            body_idle_timeout_secs: 60,
            shutdown_grace_secs: 30,
            idle_timeout_secs: 60,
            max_connections_per_ip: 256,
            json_body_timeout_secs: 30,
            min_body_rate_bytes_per_sec: 1024,
            min_body_rate_grace_secs: 30,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Where blobs (and the SQLite database, by default) live.
    pub data_dir: PathBuf,
    /// How often unreferenced blobs and abandoned staging files are removed.
    pub gc_interval_secs: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            data_dir: PathBuf::from("./ferry-data"),
            gc_interval_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://…` for PostgreSQL; unset means SQLite at `<data_dir>/ferry.db`.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Password of the `admin` user created on first start; random and printed once if unset.
    pub password: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Consecutive failed logins that lock an account.
    pub max_failed_logins: i64,
    /// How long a locked account stays locked.
    pub lockout_secs: i64,
    /// Lifetime of an access token.
    pub token_ttl_secs: i64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            max_failed_logins: 5,
            lockout_secs: 900,
            token_ttl_secs: 86_400,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadsConfig {
    /// How long a resumable upload session stays open.
    pub session_ttl_secs: i64,
}

impl Default for UploadsConfig {
    fn default() -> Self {
        UploadsConfig {
            session_ttl_secs: 86_400,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest file accepted, in bytes (default 5 TiB).
    pub max_file_size: i64,
    /// Largest JSON request body, in bytes.
    pub max_json_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_file_size: 5 << 40,
            max_json_bytes: 1 << 20,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinksConfig {
    /// Longest lifetime of a download link.
    pub max_expires_in_secs: i64,
}

impl Default for LinksConfig {
    fn default() -> Self {
        LinksConfig {
            max_expires_in_secs: 604_800,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Allow `http://` and private/loopback webhook targets (for tests and closed networks).
    pub allow_private_targets: bool,
    /// After a secret rotation, deliveries are signed with the old secret too for this long.
    pub rotation_grace_secs: i64,
    /// Failed deliveries in a row (each given up after `retry_for_secs` of retries, with no
    /// success in between) after which a webhook is disabled.
    pub max_consecutive_failures: i64,
    /// A receiver must answer with a 2xx within this many seconds.
    pub timeout_secs: u64,
    /// How often, in milliseconds, each node looks for due deliveries.
    pub dispatch_interval_ms: u64,
    /// The first retry comes within this many milliseconds; each further one may wait twice
    /// as long, up to `retry_max_ms` (full jitter: a uniformly random share of that bound).
    pub retry_base_ms: i64,
    /// The longest wait between two attempts, in milliseconds.
    pub retry_max_ms: i64,
    /// A failing delivery is retried for (at least) this many seconds, then given up (`dead`).
    pub retry_for_secs: i64,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            allow_private_targets: false,
            rotation_grace_secs: 86_400,
            max_consecutive_failures: 20,
            timeout_secs: 10,
            dispatch_interval_ms: 1000,
            retry_base_ms: 30_000,
            retry_max_ms: 3_600_000,
            retry_for_secs: 86_400,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info` or `ferry_server=debug,info`; `RUST_LOG` wins if set.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "text".into(),
            level: "info".into(),
        }
    }
}

/// Command-line overrides, applied last.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
}

impl Config {
    /// Loads defaults, then `file` (if given), then `FERRY_*` env vars, then `overrides`.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(Box::new(figment::Error::from(format!(
                    "config file {} does not exist",
                    file.display()
                ))));
            }
            figment = figment.merge(Toml::file(file));
        }
        figment = figment.merge(Env::prefixed("FERRY_").split("__"));
        let mut config: Config = figment.extract().map_err(Box::new)?;
        if let Some(listen) = overrides.listen {
            config.server.listen = listen;
        }
        if let Some(dir) = &overrides.data_dir {
            config.storage.data_dir = dir.clone();
        }
        Ok(config)
    }

    /// The base URL for absolute links.
    pub fn public_url(&self) -> String {
        match &self.server.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.server.listen),
        }
    }

    /// The effective config as TOML, with secrets replaced by `***`.
    pub fn redacted_toml(&self) -> String {
        let mut shown = self.clone();
        if shown.admin.password.is_some() {
            shown.admin.password = Some("***".into());
        }
        shown.database.url = shown.database.url.as_deref().map(ferry_store::redact_url);
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot render: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // figment's Jail dictates the closures' error type.
    #[allow(clippy::result_large_err)]
    #[test]
    fn file_env_and_flags_layer_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "ferry.toml",
                "[server]\nlisten = \"127.0.0.1:9000\"\n[auth]\nlockout_secs = 60\n\
                 [admin]\npassword = \"from-file\"",
            )?;
            jail.set_env("FERRY_AUTH__LOCKOUT_SECS", "120");
            jail.set_env("FERRY_DATABASE__URL", "postgres://u:secret@db/ferry");
            let flags = Overrides {
                listen: Some("127.0.0.1:9001".parse().unwrap()),
                data_dir: None,
            };
            let c = Config::load(Some(Path::new("ferry.toml")), &flags).map_err(|e| *e)?;
            assert_eq!(c.server.listen.port(), 9001);
            assert_eq!(c.auth.lockout_secs, 120);
            assert_eq!(c.auth.max_failed_logins, 5);
            let shown = c.redacted_toml();
            assert!(!shown.contains("secret") && !shown.contains("from-file"));
            assert!(shown.contains("postgres://u:***@db/ferry"));
            Ok(())
        });
    }

    #[allow(clippy::result_large_err)]
    #[test]
    fn unknown_keys_in_a_section_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("ferry.toml", "[server]\nlistn = \"x\"")?;
            assert!(Config::load(Some(Path::new("ferry.toml")), &Overrides::default()).is_err());
            Ok(())
        });
    }
}
