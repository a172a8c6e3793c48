//! TLS termination (`server.tls.*`) with rustls: HTTP/2 and HTTP/1.1 offered by ALPN, the
//! certificate and key read from PEM files and read again on demand ([`Tls::reload`]: on
//! SIGHUP, and when either file's modification time changes). A reload changes what new
//! handshakes get; connections already open keep theirs and are never dropped. A reload that
//! fails (a half-written file, a key that does not match) keeps the certificate in use and says
//! why in the log.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// The listener's TLS: the acceptor and the certificate it serves.
pub struct Tls {
    acceptor: TlsAcceptor,
    resolver: Arc<Resolver>,
    provider: Arc<CryptoProvider>,
    cert_file: PathBuf,
    key_file: PathBuf,
    /// The files' modification times when last loaded.
    loaded: Mutex<(Option<SystemTime>, Option<SystemTime>)>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .finish_non_exhaustive()
    }
}

/// Hands every handshake the certificate current at that moment.
#[derive(Debug)]
struct Resolver {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().expect("certificate lock").clone())
    }
}

impl Tls {
    /// Reads the certificate chain and key; fails with a message naming the file at fault.
    pub fn load(cert_file: &Path, key_file: &Path) -> anyhow::Result<Arc<Tls>> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = certified_key(cert_file, key_file, &provider)?;
        let resolver = Arc::new(Resolver {
            current: RwLock::new(Arc::new(key)),
        });
        let mut config = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            resolver,
            provider,
            cert_file: cert_file.to_path_buf(),
            key_file: key_file.to_path_buf(),
            loaded: Mutex::new(mtimes(cert_file, key_file)),
        }))
    }

    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// Reads both files again and serves what they hold to new connections.
    pub fn reload(&self) -> anyhow::Result<()> {
        let stamps = mtimes(&self.cert_file, &self.key_file);
        let key = certified_key(&self.cert_file, &self.key_file, &self.provider)?;
        *self.resolver.current.write().expect("certificate lock") = Arc::new(key);
        *self.loaded.lock().expect("tls stamps") = stamps;
        metrics::counter!("ferry_tls_reloads_total").increment(1);
        tracing::info!(cert_file = %self.cert_file.display(), "TLS certificate reloaded");
        Ok(())
    }

    fn changed_on_disk(&self) -> bool {
        *self.loaded.lock().expect("tls stamps") != mtimes(&self.cert_file, &self.key_file)
    }

    fn reload_logged(&self, why: &str) {
        if let Err(e) = self.reload() {
            tracing::error!(
                error = format!("{e:#}"),
                why,
                "TLS reload failed; the certificate in use stays"
            );
        }
    }

    /// Reloads on SIGHUP and when a file changes (checked every `interval`), until `shutdown`.
    pub(crate) fn watch(self: Arc<Self>, interval: Duration, mut shutdown: watch::Receiver<bool>) {
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hangup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                #[cfg(unix)]
                let hup = async {
                    match hangup.as_mut() {
                        Some(s) => {
                            s.recv().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                #[cfg(not(unix))]
                let hup = std::future::pending::<()>();
                tokio::select! {
                    _ = hup => self.reload_logged("SIGHUP"),
                    _ = tick.tick() => {
                        if self.changed_on_disk() {
                            self.reload_logged("file changed");
                        }
                    }
                    _ = shutdown.changed() => return,
                }
            }
        });
    }
}

fn mtimes(cert: &Path, key: &Path) -> (Option<SystemTime>, Option<SystemTime>) {
    let stamp = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    (stamp(cert), stamp(key))
}

fn certified_key(
    cert_file: &Path,
    key_file: &Path,
    provider: &CryptoProvider,
) -> anyhow::Result<CertifiedKey> {
    let chain = CertificateDer::pem_file_iter(cert_file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            anyhow::anyhow!(
                "server.tls.cert_file {}: not a PEM certificate chain: {e}",
                cert_file.display()
            )
        })?;
    if chain.is_empty() {
        anyhow::bail!(
            "server.tls.cert_file {}: no certificate in it",
            cert_file.display()
        );
    }
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| {
        anyhow::anyhow!(
            "server.tls.key_file {}: not a PEM private key: {e}",
            key_file.display()
        )
    })?;
    CertifiedKey::from_der(chain, key, provider).map_err(|e| {
        anyhow::anyhow!(
            "server.tls: the key in {} does not fit the certificate in {}: {e}",
            key_file.display(),
            cert_file.display()
        )
    })
}
