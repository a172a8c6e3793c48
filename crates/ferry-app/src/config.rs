//! Server configuration: defaults < TOML file < `FERRY_SECTION__KEY` env < command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The whole configuration. Every field can be set as `section.key` in the TOML file or as
/// `FERRY_SECTION__KEY` in the environment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    pub trash: TrashConfig,
    pub changes: ChangesConfig,
    pub accounts: AccountsConfig,
    pub versions: VersionsConfig,
    pub tasks: TasksConfig,
    pub sharing: SharingConfig,
    pub mail: MailConfig,
    pub scan: ScanConfig,
    pub content: ContentConfig,
    pub log: LogConfig,
    pub rate_limits: RateLimitsConfig,
    pub metrics: MetricsConfig,
    pub scrub: ScrubConfig,
}

/// Scrubbing: stored blobs re-read and checked against their SHA-256 in the background.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScrubConfig {
    /// Off: blobs are only checked by `ferry admin fsck`.
    pub enabled: bool,
    /// Each blob is checked again this long after its last check (a new blob this long after
    /// it was stored).
    pub interval_secs: u64,
    /// The most the scrubber reads per second, on average (per node).
    pub bytes_per_sec: u64,
}

impl Default for ScrubConfig {
    fn default() -> Self {
        ScrubConfig {
            enabled: true,
            interval_secs: 30 * 86_400,
            bytes_per_sec: 16 << 20,
        }
    }
}

/// Requests per client address and per user (GCRA: each limit is also the burst allowed at
/// once, refilled evenly over the minute). Over a limit the answer is `429 too_many_requests`
/// with `Retry-After`; every limited response carries `RateLimit` and `RateLimit-Policy`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitsConfig {
    /// Off: no request is ever refused for its rate.
    pub enabled: bool,
    /// Requests from loopback addresses (127.0.0.0/8, ::1) are not limited. For test suites
    /// and checkers that drive a server from the same machine; never needed in production
    /// (a local reverse proxy is a `server.trusted_proxies` entry, and its clients are limited
    /// by their own addresses).
    pub exempt_loopback: bool,
    /// Per client address: logins, password resets and link unlocks (password guessing).
    pub auth_per_minute: u32,
    /// Per client address: every request without credentials (links, the portal's files,
    /// the tus and upload-link doors without a user).
    pub anonymous_per_minute: u32,
    /// Per user: every authenticated API request, whichever token or address it uses.
    pub user_per_minute: u32,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        RateLimitsConfig {
            enabled: true,
            exempt_loopback: false,
            auth_per_minute: 30,
            anonymous_per_minute: 600,
            user_per_minute: 3000,
        }
    }
}

/// Who may read `GET /metrics`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// When set, `/metrics` on the main listener needs `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// A separate address serving only `/metrics` (and `/healthz`), without a token. When set,
    /// the main listener does not serve `/metrics` unless `token` is set too.
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrashConfig {
    /// Days a deleted item stays in the trash before it is purged (held items: until their
    /// hold ends).
    pub keep_days: i64,
}

impl Default for TrashConfig {
    fn default() -> Self {
        TrashConfig { keep_days: 30 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChangesConfig {
    /// Days the change feed keeps a change; a cursor older than that answers
    /// `410 cursor_expired` (the client lists again and starts from a new cursor).
    pub keep_days: i64,
    /// How often a `GET /changes/stream` connection looks for new changes, in milliseconds.
    pub poll_interval_ms: u64,
    /// Seconds a stream client may take nothing before the server drops it (a client that
    /// never reads holds a few dozen changes, never more).
    pub stall_timeout_secs: u64,
    /// Seconds between the keep-alive comments of an idle stream.
    pub heartbeat_secs: u64,
    /// Seconds after which a stream ends (the client reconnects with `Last-Event-ID` and
    /// misses nothing), so that no connection lives forever; 0: never.
    pub stream_max_secs: u64,
}

impl Default for ChangesConfig {
    fn default() -> Self {
        ChangesConfig {
            keep_days: 30,
            poll_interval_ms: 1000,
            stall_timeout_secs: 60,
            heartbeat_secs: 15,
            stream_max_secs: 3600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountsConfig {
    /// Days a deleted account waits, restorable, before it is purged (its folders handed
    /// over to `transfer_to` or removed). 0: at the next background pass.
    pub delete_grace_days: i64,
    /// Whether people may sign up themselves (`POST /auth/register`): `closed` (the default),
    /// `approval` (a confirmed sign-up waits for an admin) or `open`.
    pub registration: RegistrationMode,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig {
            delete_grace_days: 30,
            registration: RegistrationMode::Closed,
        }
    }
}

/// `accounts.registration`: who may make an account of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationMode {
    /// Only admins make accounts.
    Closed,
    /// Anyone may sign up with an address they confirm; an admin approves or denies it.
    Approval,
    /// Anyone may sign up; confirming the address makes the account.
    Open,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SharingConfig {
    /// Invitations are accepted at once, without the invitee's say (closed installations).
    pub auto_accept: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TasksConfig {
    /// The most files a folder copy (or items a trash emptying) may have to be done inside
    /// the request; bigger ones answer `202` with a task that a worker runs.
    pub inline_max_items: i64,
    /// How long a worker holds a task without reporting progress before another node may
    /// take it over (a worker that died).
    pub lease_secs: u64,
    /// How often an idle node looks for queued tasks, in milliseconds.
    pub poll_interval_ms: u64,
}

impl Default for TasksConfig {
    fn default() -> Self {
        TasksConfig {
            inline_max_items: 1000,
            lease_secs: 60,
            poll_interval_ms: 500,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VersionsConfig {
    /// Versions kept per file, the current one included; older ones are deleted.
    pub max_per_file: i64,
}

impl Default for VersionsConfig {
    fn default() -> Self {
        VersionsConfig { max_per_file: 100 }
    }
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
    /// Proxies (IP addresses or CIDR ranges) whose `X-Forwarded-For` and `Forwarded`
    /// headers are believed: a request from one of them is attributed to the client address
    /// it names (in the audit, link receipts and connection limits). Empty: nobody's.
    pub trusted_proxies: Vec<String>,
    /// TLS on the main listener (HTTP/2 and HTTP/1.1 by ALPN, HSTS on every response).
    pub tls: TlsConfig,
}

/// The certificate and key the server terminates TLS with. Both set: TLS on; neither: plain
/// HTTP (for loopback, or behind a reverse proxy that terminates TLS). Both files are read
/// again on SIGHUP (and when their modification time changes), without dropping connections.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM: the certificate chain, leaf first.
    pub cert_file: Option<PathBuf>,
    /// PEM: the private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: Option<PathBuf>,
    /// `Strict-Transport-Security` max-age sent while TLS is on (0: no header).
    pub hsts_max_age_secs: u64,
}

impl TlsConfig {
    /// Whether TLS is configured (both files named).
    pub fn enabled(&self) -> bool {
        self.cert_file.is_some() && self.key_file.is_some()
    }
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
            trusted_proxies: Vec::new(),
            tls: TlsConfig {
                hsts_max_age_secs: 31_536_000,
                ..TlsConfig::default()
            },
        }
    }
}

/// `storage.inline_max_bytes` by default: 64 KiB. SQLite reads and writes blobs of up to
/// about 100 KB faster than separate files (sqlite.org, "35% Faster Than The Filesystem");
/// each one costs the WAL its pages once more at checkpoint.
pub const DEFAULT_INLINE_MAX_BYTES: u64 = 64 << 10;

/// The most `storage.inline_max_bytes` may be: 1 MiB. Larger rows are better streamed from
/// the blob store than read into memory whole.
pub const MAX_INLINE_MAX_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Where blobs (with `backend = "local"`) and the SQLite database (by default) live.
    pub data_dir: PathBuf,
    /// How often unreferenced blobs and abandoned staging files are removed.
    pub gc_interval_secs: u64,
    /// Simple uploads of at most this many bytes are kept in the database, in the
    /// transaction that records the file, instead of the blob store: one durable commit per
    /// small file rather than a staging file, a rename and their fsyncs (on S3, no object at
    /// all). 0 keeps every file in the blob store.
    pub inline_max_bytes: u64,
    /// Where file contents live: `local` (under `data_dir`) or `s3` (see `storage.s3`).
    pub backend: StorageBackend,
    /// The S3-compatible bucket, for `backend = "s3"`.
    pub s3: S3Config,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            data_dir: PathBuf::from("./ferry-data"),
            gc_interval_secs: 60,
            inline_max_bytes: DEFAULT_INLINE_MAX_BYTES,
            backend: StorageBackend::Local,
            s3: S3Config::default(),
        }
    }
}

/// Where file contents live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// A directory on this machine (`storage.data_dir`): one node.
    Local,
    /// An S3-compatible object store: any number of nodes.
    S3,
}

/// An S3-compatible bucket. Unset credentials (and an unset region or endpoint) come from the
/// usual AWS environment variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT_URL`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// The bucket (it must exist).
    pub bucket: String,
    /// The endpoint URL for S3-compatible stores (MinIO, Garage, Ceph); unset means AWS.
    pub endpoint: Option<String>,
    /// The region (AWS: where the bucket is; others often accept anything).
    pub region: Option<String>,
    /// `https://bucket.endpoint/key` instead of the default path style
    /// `https://endpoint/bucket/key`.
    pub virtual_hosted_style: bool,
    /// Allow a plain `http://` endpoint (a store on the same host or a private network).
    pub allow_http: bool,
    /// The access key id; unset means `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// The secret access key; unset means `AWS_SECRET_ACCESS_KEY`. Prefer the environment.
    pub secret_access_key: Option<String>,
    /// A session token for temporary credentials; unset means `AWS_SESSION_TOKEN`.
    pub session_token: Option<String>,
    /// Answer an authenticated file download (`GET /files/{id}/content`) with a `302` to a
    /// presigned URL of the bucket, valid 5 minutes, so the bytes flow from the store to the
    /// client without passing through a node. Counted links (`/d/…`) and archives are always
    /// streamed: a presigned URL could be fetched again and again, which no budget can count.
    pub redirect_downloads: bool,
    /// Whether uploads sign their body's SHA-256 into each request: `auto` (the AWS SDKs'
    /// rule) signs over a plain `http://` endpoint only, since `https://` already protects
    /// the body (and signing costs a SHA-256 pass on the node and another on the store);
    /// `always` or `never` force it. `AWS_UNSIGNED_PAYLOAD` is not consulted.
    pub sign_payload: ferry_blob::SignPayload,
    /// Multipart uploads Ferry started and recorded this long ago, that no unfinished upload
    /// session refers to, are aborted by the collector (what a crash or an abandoned request
    /// left; their parts are stored and billed until then). Longer than any upload takes to
    /// send (at least an hour is honoured): a session's own upload is never aborted while the
    /// session is open.
    pub abort_incomplete_uploads_secs: u64,
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            bucket: String::new(),
            endpoint: None,
            region: None,
            virtual_hosted_style: false,
            allow_http: false,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            redirect_downloads: false,
            sign_payload: ferry_blob::SignPayload::default(),
            abort_incomplete_uploads_secs: 86_400,
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
    /// Lifetime of a login's access token.
    pub token_ttl_secs: i64,
    /// How long a node trusts what a token resolved to without asking the database again;
    /// revocations reach every node at once anyway (see `docs/scale-out.md`), this bounds only
    /// changes made behind the server's back. 0 turns the cache off.
    pub token_cache_secs: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            max_failed_logins: 5,
            lockout_secs: 900,
            token_ttl_secs: 86_400,
            token_cache_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadsConfig {
    /// How long a resumable upload session stays open.
    pub session_ttl_secs: i64,
    /// The time to live a simple upload gets when the request gives none (seed 004's
    /// sessions); unset, files live until deleted.
    pub default_ttl_secs: Option<i64>,
}

impl Default for UploadsConfig {
    fn default() -> Self {
        UploadsConfig {
            session_ttl_secs: 86_400,
            default_ttl_secs: None,
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
    /// Lifetime of a link access token (what unlocking a link with its password gives).
    pub access_token_secs: i64,
    /// Wrong passwords one link accepts within `unlock_window_secs` before answering
    /// `429 too_many_attempts`.
    pub max_unlock_failures: i64,
    /// The window wrong link passwords are counted in.
    pub unlock_window_secs: i64,
    /// The ranges one client fetches of one file make one receipt; it is filed once they
    /// cover the file, or after this long with no new range.
    pub receipt_quiet_secs: i64,
}

impl Default for LinksConfig {
    fn default() -> Self {
        LinksConfig {
            max_expires_in_secs: 604_800,
            access_token_secs: 3600,
            max_unlock_failures: 10,
            unlock_window_secs: 900,
            receipt_quiet_secs: 30,
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
pub struct MailConfig {
    /// The SMTP server mail goes through: `smtp://host:port` (plain; add `?tls=required` for
    /// STARTTLS), `smtps://user:password@host` (TLS from the start, port 465 by default).
    /// Unset: Ferry sends no mail, and what needs it (password resets) answers
    /// `503 mail_not_configured`.
    pub smtp_url: Option<String>,
    /// The sender of every mail: `ferry@example.com` or `Ferry <ferry@example.com>`.
    pub from: String,
    /// One attempt (connect, send, quit) must finish within this many seconds.
    pub timeout_secs: u64,
    /// How often, in milliseconds, each node looks for mail to send.
    pub send_interval_ms: u64,
    /// Attempts per mail; after the last failed one the mail is `failed` for good.
    pub max_attempts: i64,
    /// The first retry comes within this many milliseconds; each further one may wait twice
    /// as long, up to `retry_max_ms` (full jitter, as for webhooks).
    pub retry_base_ms: i64,
    /// The longest wait between two attempts, in milliseconds.
    pub retry_max_ms: i64,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp_url: None,
            from: "Ferry <ferry@localhost>".into(),
            timeout_secs: 30,
            send_interval_ms: 1000,
            max_attempts: 10,
            retry_base_ms: 30_000,
            retry_max_ms: 3_600_000,
        }
    }
}

/// What downloads do while a file's content has not been found clean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanPolicy {
    /// Content, previews and links answer `409 scan_pending` until the scan found it clean.
    BlockUntilClean,
    /// Content is served while its scan is pending (or failed); only infected content is
    /// refused.
    AllowPending,
}

/// Virus scanning with ClamAV's `clamd` (see `docs/content.md`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanConfig {
    /// Where clamd listens: `tcp://127.0.0.1:3310`, or a unix socket (`unix:/run/clamav/
    /// clamd.ctl` or just its path). Unset: no scanning; files show `scan.status: "skipped"`.
    pub clamd_address: Option<String>,
    /// `block_until_clean` (the default) or `allow_pending`.
    pub policy: ScanPolicy,
    /// The most bytes sent to clamd per content; keep it at or below clamd's
    /// `StreamMaxLength` (Debian's default is 25 MiB). Larger content is `error`, never clean.
    pub max_stream_bytes: u64,
    /// One exchange with clamd (connect, a chunk, the answer) must finish within this many
    /// seconds.
    pub timeout_secs: u64,
    /// How often, in milliseconds, each node looks for content to scan.
    pub interval_ms: u64,
    /// The first retry after a failed attempt comes within this many milliseconds; each
    /// further one may wait twice as long, up to `retry_max_ms` (full jitter).
    pub retry_base_ms: i64,
    /// The longest wait between two attempts, in milliseconds.
    pub retry_max_ms: i64,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            clamd_address: None,
            policy: ScanPolicy::BlockUntilClean,
            max_stream_bytes: 25 * 1024 * 1024,
            timeout_secs: 60,
            interval_ms: 1000,
            retry_base_ms: 30_000,
            retry_max_ms: 3_600_000,
        }
    }
}

/// Thumbnails and previews (see `docs/content.md`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContentConfig {
    /// Images with more pixels than this (width × height, as their header claims) get no
    /// thumbnail: the decompression-bomb guard.
    pub max_image_pixels: u64,
    /// Content larger than this many bytes gets no thumbnail.
    pub max_source_bytes: u64,
    /// Thumbnails rendered at once on this node (each on a blocking thread).
    pub render_threads: usize,
}

impl Default for ContentConfig {
    fn default() -> Self {
        ContentConfig {
            max_image_pixels: 100_000_000,
            max_source_bytes: 256 * 1024 * 1024,
            render_threads: 2,
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
    /// One line per request at `info` (target `ferry::access`): method, path, status,
    /// duration, bytes, client address, request id.
    pub access: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "text".into(),
            level: "info".into(),
            access: true,
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
    /// A key Ferry does not know, in the file or as a `FERRY_SECTION__KEY` variable, is an
    /// error naming where it is and the nearest valid name: a typo must not go unnoticed.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(Box::new(figment::Error::from(format!(
                    "config file {} does not exist",
                    file.display()
                ))));
            }
            check_file(file).map_err(|e| Box::new(figment::Error::from(e)))?;
            figment = figment.merge(Toml::file(file));
        }
        check_env(std::env::vars()).map_err(|e| Box::new(figment::Error::from(e)))?;
        let sections = sections();
        figment = figment.merge(Env::prefixed("FERRY_").split("__").filter(move |key| {
            // By now `split` has turned `SECTION__KEY` into `section.key`.
            let key = key.as_str().to_ascii_lowercase();
            key.split_once('.')
                .is_some_and(|(section, _)| sections.iter().any(|(s, _)| *s == section))
        }));
        let mut config: Config = figment.extract().map_err(Box::new)?;
        if let Some(listen) = overrides.listen {
            config.server.listen = listen;
        }
        if let Some(dir) = &overrides.data_dir {
            config.storage.data_dir = dir.clone();
        }
        Ok(config)
    }

    /// A configuration file's text over the defaults, checked as [`Config::load`] checks a file
    /// (without the environment and overrides): what the `config` fuzz target reads.
    pub fn from_toml(text: &str) -> Result<Config, Box<figment::Error>> {
        check_toml("config", text).map_err(|e| Box::new(figment::Error::from(e)))?;
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(Box::new)
    }

    /// The database in use: `database.url`, or SQLite in the data dir.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => ferry_store::Store::sqlite_url_in(&self.storage.data_dir),
        }
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
        for secret in [
            &mut shown.storage.s3.secret_access_key,
            &mut shown.storage.s3.session_token,
        ] {
            if secret.is_some() {
                *secret = Some("***".into());
            }
        }
        if shown.metrics.token.is_some() {
            shown.metrics.token = Some("***".into());
        }
        if let Some(url) = &self.mail.smtp_url {
            shown.mail.smtp_url = Some(ferry_store::redact_url(url));
        }
        // What is really used: the SQLite file in the data dir unless a URL is set.
        shown.database.url = Some(ferry_store::redact_url(&self.database_url()));
        let text =
            toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot render: {e}"));
        if self.admin.password.is_none() {
            return text.replace(
                "[admin]\n",
                "[admin]\n# password: unset (used only to create the admin on first start; \
                 a random one is printed then)\n",
            );
        }
        text
    }
}

/// Every section with its keys, as the configuration knows them.
fn sections() -> Vec<(String, Vec<String>)> {
    let value = serde_json::to_value(Config::default()).expect("the defaults serialize");
    value
        .as_object()
        .expect("a table of sections")
        .iter()
        .map(|(section, keys)| {
            let keys = keys
                .as_object()
                .map(|k| k.keys().cloned().collect())
                .unwrap_or_default();
            (section.clone(), keys)
        })
        .collect()
}

/// The name in `names` closest to `wrong` (by edit distance), if any is close enough to be a
/// plausible typo.
fn nearest<'a>(wrong: &str, names: impl IntoIterator<Item = &'a String>) -> Option<&'a str> {
    names
        .into_iter()
        .map(|n| (edit_distance(wrong, n), n))
        .filter(|(d, n)| *d <= 3.max(n.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.as_str())
}

/// Levenshtein distance; names are short, so the quadratic table is fine.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Parses the file on its own first, so that an unknown section or key is reported with the
/// file, line and column (and the nearest valid name), not as figment's merged profile path.
fn check_file(file: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read config file {}: {e}", file.display()))?;
    check_toml(&file.display().to_string(), &text)
}

/// The check of [`check_file`] on the file's text (`label` names it in the message).
pub fn check_toml(label: &str, text: &str) -> Result<(), String> {
    let Err(e) = toml::from_str::<Config>(text) else {
        return Ok(());
    };
    let message = e.to_string();
    let hint = message
        .split("unknown field `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .and_then(|wrong| {
            let sections = sections();
            let names: Vec<String> = sections
                .iter()
                .flat_map(|(s, keys)| std::iter::once(s.clone()).chain(keys.iter().cloned()))
                .collect();
            nearest(wrong, &names).map(|n| format!(" Did you mean `{n}`?"))
        })
        .unwrap_or_default();
    Err(format!("{label}: {}{hint}", message.trim_end()))
}

/// Variables that look like configuration (`FERRY_<SECTION>__<KEY>`, or a known section
/// followed by a single underscore) must name a real setting. Others, such as the client's
/// `FERRY_URL` and `FERRY_TOKEN`, are not Ferry server settings and are left alone.
pub fn check_env(vars: impl IntoIterator<Item = (String, String)>) -> Result<(), String> {
    let sections = sections();
    let section_names: Vec<String> = sections.iter().map(|(s, _)| s.clone()).collect();
    for (name, _) in vars {
        let Some(rest) = name.strip_prefix("FERRY_") else {
            continue;
        };
        let lower = rest.to_ascii_lowercase();
        let suggest = |section: &str, key: &str| {
            format!(
                "FERRY_{}__{}",
                section.to_ascii_uppercase(),
                key.to_ascii_uppercase()
            )
        };
        match lower.split_once("__") {
            Some((section, key)) => {
                let Some((_, keys)) = sections.iter().find(|(s, _)| s == section) else {
                    let hint = nearest(section, &section_names)
                        .map(|s| format!(" Did you mean {}?", suggest(s, key)))
                        .unwrap_or_default();
                    return Err(format!(
                        "environment variable {name}: there is no section `{section}`.{hint}"
                    ));
                };
                // `storage__s3__bucket`: a key of a table inside the section (its own keys are
                // checked when the configuration is read).
                let in_table = |k: &String| {
                    key.strip_prefix(k.as_str())
                        .is_some_and(|rest| rest.starts_with("__"))
                };
                if !keys.iter().any(|k| k == key || in_table(k)) {
                    let hint = nearest(key, keys)
                        .map(|k| format!(" Did you mean {}?", suggest(section, k)))
                        .unwrap_or_default();
                    return Err(format!(
                        "environment variable {name}: `{section}` has no key `{key}`.{hint}"
                    ));
                }
            }
            None => {
                for (section, keys) in &sections {
                    if let Some(key) = lower.strip_prefix(&format!("{section}_"))
                        && keys.iter().any(|k| k == key)
                    {
                        return Err(format!(
                            "environment variable {name}: sections and keys are separated by \
                             two underscores: {}.",
                            suggest(section, key)
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[&str]) -> Result<(), String> {
        check_env(vars.iter().map(|v| (v.to_string(), "x".to_string())))
    }

    #[test]
    fn environment_typos_are_refused_with_the_nearest_name() {
        assert!(env(&["FERRY_SERVER__LISTEN", "FERRY_URL", "FERRY_TOKEN"]).is_ok());
        assert!(env(&["FERRY_TEST_DATABASE_URL", "FERRY_BENCH_CACHE", "PATH"]).is_ok());
        let e = env(&["FERRY_SERVR__LISTEN"]).unwrap_err();
        assert!(e.contains("FERRY_SERVER__LISTEN"), "{e}");
        let e = env(&["FERRY_SERVER__LISTN"]).unwrap_err();
        assert!(e.contains("FERRY_SERVER__LISTEN"), "{e}");
        let e = env(&["FERRY_SERVER_LISTEN"]).unwrap_err();
        assert!(e.contains("two underscores: FERRY_SERVER__LISTEN"), "{e}");
    }

    #[allow(clippy::result_large_err)]
    #[test]
    fn file_typos_name_the_line_and_the_nearest_key() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "typo.toml",
                "[server]\nlisten = \"127.0.0.1:9\"\nlistn = \"x\"\n",
            )?;
            let e = Config::load(Some(Path::new("typo.toml")), &Overrides::default()).unwrap_err();
            let text = e.to_string();
            assert!(text.contains("typo.toml"), "{text}");
            assert!(text.contains("line 3"), "{text}");
            assert!(text.contains("Did you mean `listen`?"), "{text}");
            assert!(!text.contains("default."), "{text}");
            jail.create_file("section.toml", "[servr]\nlisten = \"127.0.0.1:9\"\n")?;
            let e = Config::load(Some(Path::new("section.toml")), &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(e.contains("Did you mean `server`?"), "{e}");
            Ok(())
        });
    }

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
            let defaults = Config::default().redacted_toml();
            assert!(defaults.contains("url = \"sqlite://"), "{defaults}");
            assert!(defaults.contains("ferry.db"), "{defaults}");
            assert!(defaults.contains("# password: unset"), "{defaults}");
            Ok(())
        });
    }

    #[test]
    fn the_smtp_password_is_never_shown() {
        let mut c = Config::default();
        c.mail.smtp_url = Some("smtps://ferry:hunter22@mail.example.com".into());
        let shown = c.redacted_toml();
        assert!(!shown.contains("hunter22"), "{shown}");
        assert!(
            shown.contains("smtps://ferry:***@mail.example.com"),
            "{shown}"
        );
    }

    /// `storage.s3.sign_payload`: `auto` signs over `http://` only; a value that is not one
    /// of the three is refused, from the file and from the environment, naming them.
    #[allow(clippy::result_large_err)]
    #[test]
    fn s3_payload_signing_follows_the_endpoint_scheme_unless_forced() {
        use ferry_blob::SignPayload;
        figment::Jail::expect_with(|jail| {
            let load = |name: &str| {
                Config::load(Some(Path::new(name)), &Overrides::default()).map(|c| {
                    let s3 = c.storage.s3;
                    (
                        s3.sign_payload,
                        s3.sign_payload.signs(s3.endpoint.as_deref()),
                    )
                })
            };
            jail.create_file(
                "http.toml",
                "[storage.s3]\nendpoint = \"http://127.0.0.1:9000\"\n",
            )?;
            jail.create_file(
                "https.toml",
                "[storage.s3]\nendpoint = \"HTTPS://minio.example\"\n",
            )?;
            jail.create_file("aws.toml", "[storage.s3]\nbucket = \"b\"\n")?;
            jail.create_file(
                "always.toml",
                "[storage.s3]\nendpoint = \"https://minio.example\"\nsign_payload = \"always\"\n",
            )?;
            jail.create_file(
                "never.toml",
                "[storage.s3]\nendpoint = \"http://127.0.0.1:9000\"\nsign_payload = \"never\"\n",
            )?;
            assert_eq!(load("http.toml").unwrap(), (SignPayload::Auto, true));
            assert_eq!(load("https.toml").unwrap(), (SignPayload::Auto, false));
            assert_eq!(load("aws.toml").unwrap(), (SignPayload::Auto, false));
            assert_eq!(load("always.toml").unwrap(), (SignPayload::Always, true));
            assert_eq!(load("never.toml").unwrap(), (SignPayload::Never, false));
            assert!(
                Config::default()
                    .redacted_toml()
                    .contains("sign_payload = \"auto\""),
            );

            jail.create_file(
                "bad.toml",
                "[storage.s3]\nbucket = \"b\"\nsign_payload = \"sometimes\"\n",
            )?;
            let e = load("bad.toml").unwrap_err().to_string();
            assert!(e.contains("bad.toml") && e.contains("line 3"), "{e}");
            assert!(e.contains("sometimes"), "{e}");
            assert!(
                e.contains("`auto`") && e.contains("`always`") && e.contains("`never`"),
                "{e}"
            );
            jail.set_env("FERRY_STORAGE__S3__SIGN_PAYLOAD", "yes");
            let e = load("aws.toml").unwrap_err().to_string();
            // figment names the variable's key as written: `STORAGE.S3.SIGN_PAYLOAD`.
            assert!(e.contains("SIGN_PAYLOAD") && e.contains("`yes`"), "{e}");
            assert!(e.contains("`auto`") && e.contains("`never`"), "{e}");
            jail.set_env("FERRY_STORAGE__S3__SIGN_PAYLOAD", "never");
            assert_eq!(load("http.toml").unwrap(), (SignPayload::Never, false));
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
