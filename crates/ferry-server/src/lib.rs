//! The Ferry server: configuration, the axum application, the accept loop and background jobs.
#![forbid(unsafe_code)]

pub mod dav;
pub mod error;
pub mod http;
pub mod links;
mod serve;
pub mod tls;
pub mod watermark;
pub mod webhook_client;

pub use ferry_app::{AppState, config};

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use ferry_app::uploads;
use ferry_blob::{BlobStore, LocalBlobStore, S3BlobStore, S3Options};
use ferry_store::Store;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::sync::watch;

pub use config::Config;

/// A running server.
pub struct Server {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    state: AppState,
    tls: Option<Arc<tls::Tls>>,
    metrics_addr: Option<SocketAddr>,
}

impl Server {
    /// Opens storage and the database (applying migrations), creates the admin on first start,
    /// binds the listener and starts serving in the background.
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        Self::start_with_clock(config, Arc::new(ferry_app::clock::SystemClock)).await
    }

    /// Like [`Server::start`], with time from `clock` (tests move a manual clock).
    pub async fn start_with_clock(
        mut config: Config,
        clock: Arc<dyn ferry_app::clock::Clock>,
    ) -> anyhow::Result<Server> {
        let trusted_proxies =
            http::client_addr::TrustedProxies::parse(&config.server.trusted_proxies)
                .map_err(anyhow::Error::msg)?;
        let listener = tokio::net::TcpListener::bind(config.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        let addr = listener.local_addr()?;
        let tls = if config.server.tls.enabled() {
            let (Some(cert), Some(key)) =
                (&config.server.tls.cert_file, &config.server.tls.key_file)
            else {
                unreachable!("enabled() means both are set")
            };
            Some(tls::Tls::load(cert, key)?)
        } else if config.server.tls.cert_file.is_some() || config.server.tls.key_file.is_some() {
            anyhow::bail!("server.tls needs both cert_file and key_file");
        } else {
            None
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        // Links are absolute: without a configured public URL, use the address really bound
        // (which differs from `server.listen` when that asks for port 0).
        if config.server.public_url.is_none() {
            if addr.ip().is_unspecified() {
                tracing::warn!(
                    %addr,
                    "listening on all addresses without server.public_url: links will name \
                     http://{addr}, which nobody can reach; set server.public_url (or \
                     FERRY_SERVER__PUBLIC_URL) to the URL clients use, e.g. https://files.example.com"
                );
            }
            config.server.public_url = Some(format!("{scheme}://{addr}"));
        }
        // The recorder first: what is counted before the first scrape must not be lost.
        metrics_handle();
        ferry_app::scan::check_config(&config.scan)
            .map_err(|e| anyhow::anyhow!("scan.clamd_address: {e}"))?;
        let config = Arc::new(config);
        let data_dir = &config.storage.data_dir;
        tokio::fs::create_dir_all(data_dir)
            .await
            .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
        let url = config.database_url();
        let store = Store::connect(&url)
            .await
            .with_context(|| format!("cannot open database {}", ferry_store::redact_url(&url)))?;
        let blobs = open_blobs(&config, &store, clock.clone()).await?;
        let link_key = ferry_app::links::load_key(&store).await?;
        let mail = ferry_app::mail::Mailer::from_config(&config.mail)
            .map_err(anyhow::Error::msg)?
            .map(Arc::new);
        let coherence = Arc::new(ferry_app::coherence::Coherence::new(store.backend()));
        let renderer = Arc::new(ferry_app::thumbnails::Renderer::new(&config.content));
        let state = AppState {
            renderer,
            config: config.clone(),
            store,
            blobs,
            upload_locks: Arc::default(),
            link_key,
            clock,
            mail,
            webhook_transport: Arc::new(
                webhook_client::HttpTransport::new(&config.webhooks)
                    .context("cannot build the webhook HTTP client")?,
            ),
            tokens: Arc::new(ferry_app::token_cache::TokenCache::new(
                Duration::from_secs(config.auth.token_cache_secs),
            )),
            tree: Arc::default(),
            coherence,
        };
        bootstrap_admin(&state).await?;
        uploads::resume_completing(&state).await?;

        let (shutdown, shutdown_rx) = watch::channel(false);
        let workers = tokio::spawn(ferry_app::workers::run(
            state.clone(),
            ferry_app::workers::standard(&state),
            shutdown_rx.clone(),
            Duration::from_secs(config.server.shutdown_grace_secs),
        ));
        // Listening before the first request is served: nothing announced after that is
        // missed (PostgreSQL only).
        ferry_app::coherence::start(&state, &url, shutdown_rx.clone())
            .await
            .context("cannot listen for cache announcements on PostgreSQL")?;
        let app = http::app(state.clone(), trusted_proxies.clone());
        let serve_config = serve::Settings {
            trusted_proxies,
            header_read_timeout: Duration::from_secs(config.server.header_read_timeout_secs),
            idle_timeout: Duration::from_secs(config.server.idle_timeout_secs.max(1)),
            max_connections_per_ip: config.server.max_connections_per_ip,
            grace: Duration::from_secs(config.server.shutdown_grace_secs),
            tls: tls.clone(),
        };
        if let Some(tls) = &tls {
            tls.clone()
                .watch(Duration::from_secs(5), shutdown_rx.clone());
        }
        let metrics_addr = match config.metrics.listen {
            Some(listen) => {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("cannot listen on {listen} (metrics.listen)"))?;
                let metrics_addr = listener.local_addr()?;
                let settings = serve::Settings {
                    tls: None,
                    ..serve_config.clone()
                };
                let router = http::ops::metrics_router(state.clone());
                let shutdown = shutdown_rx.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve::run(listener, router, settings, shutdown).await {
                        tracing::error!(error = %e, "the metrics listener stopped");
                    }
                });
                tracing::info!(addr = %metrics_addr, "metrics are served here");
                Some(metrics_addr)
            }
            None => None,
        };
        let store = state.store.clone();
        let task = tokio::spawn(async move {
            let result = serve::run(listener, app, serve_config, shutdown_rx).await;
            let _ = workers.await;
            store.close().await;
            result
        });
        tracing::info!(%addr, "ferry is listening");
        Ok(Server {
            addr,
            shutdown,
            task,
            state,
            tls,
            metrics_addr,
        })
    }

    /// Reads the TLS certificate and key again (what SIGHUP does); new connections get them,
    /// open ones keep theirs. An error when TLS is off or the files are not usable.
    pub fn reload_tls(&self) -> anyhow::Result<()> {
        match &self.tls {
            Some(tls) => tls.reload(),
            None => anyhow::bail!("TLS is not configured (server.tls)"),
        }
    }

    /// The separate metrics listener's address (`metrics.listen`), if there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The address the server listens on (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The application state (for tests and tools that run jobs on demand).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting, lets in-flight requests finish (up to the grace period), stops jobs.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await?
    }

    /// Waits until the server stops on its own (it doesn't, unless shut down).
    pub async fn wait(self, signal: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        signal.await;
        tracing::info!("shutting down");
        self.shutdown().await
    }
}

/// The process-wide Prometheus recorder (installed once, shared by every server in a process).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("ferry_http_request_duration_seconds".into()),
                    &[
                        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
                    ],
                )
                .expect("valid buckets")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (embedding); then ours only renders.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// On an empty database, creates the `admin` user with `admin.password` or a random
/// password printed once.
async fn bootstrap_admin(state: &AppState) -> anyhow::Result<()> {
    match ferry_app::users::bootstrap_admin(state).await {
        Ok(ferry_app::users::Bootstrap::NotNeeded) => {
            if state.config.admin.password.is_some() {
                tracing::warn!(
                    "admin.password (FERRY_ADMIN__PASSWORD) is only used to create the admin on \
                     first start and is ignored now; to set a lost admin password, stop the \
                     server and run `ferry admin reset-password admin`"
                );
            }
        }
        Ok(ferry_app::users::Bootstrap::Created {
            generated: true,
            password,
        }) => {
            // Printed to stdout once, never logged: it is a secret.
            println!(
                "\n  Created the admin user.\n    login:    admin\n    password: {password}\n  It is shown only this once.\n"
            );
        }
        Ok(ferry_app::users::Bootstrap::Created { .. }) => {
            tracing::info!("created the admin user with the configured password");
        }
        Err(e) => anyhow::bail!("cannot create the admin user: {e}"),
    }
    Ok(())
}

/// The blob store `storage.backend` names: local disk under the data dir, or the S3 bucket
/// (checked with one request, so that a wrong bucket or key fails the start), which records
/// its multipart uploads in `store` (stamped by `clock`) for the collector's sweep.
pub async fn open_blobs(
    config: &ferry_app::config::Config,
    store: &Store,
    clock: Arc<dyn ferry_app::clock::Clock>,
) -> anyhow::Result<Arc<dyn BlobStore>> {
    use ferry_app::config::StorageBackend;
    let inner: Arc<dyn BlobStore> = match config.storage.backend {
        StorageBackend::Local => Arc::new(LocalBlobStore::open(&config.storage.data_dir).await?),
        StorageBackend::S3 => {
            let s3 = &config.storage.s3;
            let options = S3Options {
                bucket: s3.bucket.clone(),
                endpoint: s3.endpoint.clone(),
                region: s3.region.clone(),
                virtual_hosted_style: s3.virtual_hosted_style,
                allow_http: s3.allow_http,
                access_key_id: s3.access_key_id.clone(),
                secret_access_key: s3.secret_access_key.clone(),
                session_token: s3.session_token.clone(),
                sign_payload: s3.sign_payload,
            };
            let ledger = ferry_app::uploads::multipart::Ledger::new(store.clone(), clock);
            let blobs = S3BlobStore::new(&options)?.with_ledger(Arc::new(ledger));
            blobs.check().await.with_context(|| {
                format!("cannot reach the S3 bucket `{}` (storage.s3)", s3.bucket)
            })?;
            tracing::info!(
                bucket = %s3.bucket,
                signed_payloads = blobs.signs_payload(),
                "the S3 bucket answers"
            );
            Arc::new(blobs)
        }
    };
    // Small files live in the database (`storage.inline_max_bytes`); every reader goes
    // through this one store.
    Ok(Arc::new(ferry_app::inline_blobs::InlineBlobs::new(
        inner,
        store.clone(),
    )))
}
