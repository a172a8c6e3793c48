//! The webhook sender ferry-app's delivery worker uses: a reqwest client with no redirects and
//! no proxies, the request timeout, and the SSRF guard ([`ssrf`]) both when a target is
//! registered and on every delivery.

pub mod ssrf;

use std::time::Duration;

use ferry_app::config::WebhooksConfig;
use ferry_app::webhooks::transport::{Outgoing, Sent, TargetError, Transport};
use futures::future::BoxFuture;

/// Sends webhook requests over HTTP(S).
pub struct HttpTransport {
    client: reqwest::Client,
    allow_private: bool,
    timeout_secs: u64,
}

impl HttpTransport {
    pub fn new(cfg: &WebhooksConfig) -> reqwest::Result<Self> {
        let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("Ferry-Webhooks/", env!("CARGO_PKG_VERSION")));
        if !cfg.allow_private_targets {
            builder = builder.dns_resolver(ssrf::GuardedResolver);
        }
        Ok(HttpTransport {
            client: builder.build()?,
            allow_private: cfg.allow_private_targets,
            timeout_secs: cfg.timeout_secs,
        })
    }

    async fn send(&self, request: Outgoing<'_>, excerpt_bytes: usize) -> Sent {
        let url = match ssrf::parse_target(request.url, self.allow_private) {
            Ok(u) => u,
            Err(e) => return Sent::Failed(format!("target refused: {e}")),
        };
        let mut builder = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        match builder.body(request.body.to_string()).send().await {
            Ok(mut response) => {
                let mut excerpt = Vec::new();
                // What the body says is for the log only; a slow or broken body changes nothing.
                while excerpt.len() < excerpt_bytes {
                    match response.chunk().await {
                        Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                        _ => break,
                    }
                }
                Sent::Answered {
                    status: response.status().as_u16(),
                    excerpt,
                }
            }
            Err(e) => Sent::Failed(describe(&e, self.timeout_secs)),
        }
    }
}

impl Transport for HttpTransport {
    fn check_target<'a>(&'a self, url: &'a str) -> BoxFuture<'a, Result<String, TargetError>> {
        Box::pin(async move {
            ssrf::check_target(url, self.allow_private)
                .await
                .map(|u| u.to_string())
        })
    }

    fn post<'a>(&'a self, request: Outgoing<'a>, excerpt_bytes: usize) -> BoxFuture<'a, Sent> {
        Box::pin(self.send(request, excerpt_bytes))
    }
}

/// A transport error with its causes (`error sending request: connection refused`).
fn describe(e: &reqwest::Error, timeout_secs: u64) -> String {
    if e.is_timeout() {
        return format!("timed out after {timeout_secs} s");
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
