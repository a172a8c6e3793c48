//! Mail against a real SMTP server: aiosmtpd (PyPI, installed by `tests/smtp-sink/setup.sh`)
//! on a loopback port, started by each test, which writes every message it accepts to a
//! directory as JSON (envelope, subject, decoded text and HTML parts). Password resets end to
//! end, invitation and upload-link notices, retries while the SMTP server is down and across a
//! restart of Ferry, giving up after the last attempt, and a server without mail.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ferry_api as api;
use ferry_client::{Client, Uploader};
use ferry_server::Config;
use ferry_store::mail::MailStatus;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, assert_api_error, assert_field_error};

/// Runs each listed `async fn(Backend)` on SQLite and on PostgreSQL; each test starts its own
/// SMTP server and passes its port into the server's configuration.
#[macro_export]
macro_rules! mail_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use $crate::helpers::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(ferry_pg_tests), ignore = "set FERRY_TEST_DATABASE_URL when building the tests")]
            async fn postgres() {
                super::$name(Backend::Postgres).await;
            }
        }
    )*};
}

mail_tests!(
    a_reset_mail_arrives_and_its_link_sets_the_password_once,
    reset_requests_never_tell_whether_an_account_exists,
    expired_reset_tokens_are_refused,
    mail_waits_for_a_down_smtp_server_across_a_restart,
    a_mail_is_failed_after_its_last_attempt,
    two_servers_on_one_database_send_each_mail_once,
    shares_and_upload_links_are_told_by_mail,
    without_smtp_url_resets_answer_503_and_shares_still_work,
);

/// How long anything asynchronous may take before a test gives up.
const PATIENCE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// The SMTP server.

/// The venv's Python with aiosmtpd, installed once per test process.
fn python() -> &'static Path {
    static SETUP: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let setup = SETUP.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = std::env::var_os("SMTP_SINK_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest.join("../../target/smtp-sink"));
        let out = std::process::Command::new("bash")
            .arg(manifest.join("tests/smtp-sink/setup.sh"))
            .env("SMTP_SINK_DIR", &dir)
            .output()
            .map_err(|e| format!("could not run tests/smtp-sink/setup.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "tests/smtp-sink/setup.sh failed ({}): it installs aiosmtpd (PyPI).\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(dir.join("venv/bin/python"))
    });
    match setup {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

/// A real SMTP server on `127.0.0.1:port` that keeps what it receives in `dir`.
pub struct SmtpSink {
    port: u16,
    dir: tempfile::TempDir,
    process: Option<std::process::Child>,
}

impl SmtpSink {
    /// A port and a directory, with no server listening yet.
    fn reserve() -> SmtpSink {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        SmtpSink {
            port,
            dir: tempfile::tempdir().expect("temp dir"),
            process: None,
        }
    }

    pub async fn start() -> SmtpSink {
        let mut sink = SmtpSink::reserve();
        sink.listen().await;
        sink
    }

    /// Starts the server and waits until it accepts connections.
    async fn listen(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp-sink/smtp_sink.py");
        let python = tokio::task::spawn_blocking(python).await.unwrap();
        let child = std::process::Command::new(python)
            .arg(script)
            .arg(self.port.to_string())
            .arg(self.dir.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the SMTP server");
        self.process = Some(child);
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < PATIENCE,
                "the SMTP server did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in the order they arrived.
    pub fn messages(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("sink dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    }

    /// Waits until `n` messages have arrived; returns them.
    pub async fn until(&self, n: usize, what: &str) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{what}: {} of {n} messages arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(mut p) = self.process.take() {
            let _ = p.kill();
            let _ = p.wait();
        }
    }
}

/// Quick sending and quick retries, through `sink`.
pub fn mail_to(c: &mut Config, sink: &SmtpSink) {
    c.mail.smtp_url = Some(sink.url());
    c.mail.from = "Ferry <ferry@example.com>".into();
    c.mail.send_interval_ms = 50;
    c.mail.retry_base_ms = 100;
    c.mail.retry_max_ms = 400;
    c.mail.timeout_secs = 5;
}

pub async fn spawn(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
    match TestApp::spawn_with(backend, tweak).await {
        Some(app) => app,
        None => panic!("FERRY_TEST_DATABASE_URL was set when the tests were built, not now"),
    }
}

/// The token in the reset link of `mail`, checking the link in both bodies.
fn reset_token(app_url: &str, mail: &Value) -> String {
    token_in(mail, &format!("{app_url}/reset?token="))
}

/// The 64-hex-digit token after `prefix` in `mail`, checking it in both bodies.
pub fn token_in(mail: &Value, prefix: &str) -> String {
    let text = mail["text"].as_str().expect("a text part");
    let html = mail["html"].as_str().expect("an HTML part");
    let start = text.find(prefix).expect("the link in the text part") + prefix.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    assert_eq!(token.len(), 64, "{text}");
    assert!(html.contains(&format!("{prefix}{token}")), "{html}");
    token
}

/// The outbox as the store has it.
async fn outbox(app: &TestApp) -> Vec<ferry_store::mail::Mail> {
    let state = app.server.as_ref().expect("server running").state();
    let mut conn = state.store.conn().await.unwrap();
    ferry_store::mail::list(&mut conn, None, 100).await.unwrap()
}

// ---------------------------------------------------------------------------------------------

async fn a_reset_mail_arrives_and_its_link_sets_the_password_once(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn(backend, |c| mail_to(c, &sink)).await;
    let (alice, old_session) = app.user("alice@example.com", None).await;
    // In use (and so in the token cache) before the reset.
    old_session.me().await.unwrap();

    // Logins match without regard to case, as addresses do.
    app.anon
        .request_password_reset("Alice@Example.com")
        .await
        .unwrap();
    let mail = sink.until(1, "the reset mail").await.remove(0);
    assert_eq!(mail["rcpt_tos"], serde_json::json!(["alice@example.com"]));
    assert_eq!(mail["mail_from"], "ferry@example.com");
    assert_eq!(mail["subject"], "Reset your Ferry password");
    assert_eq!(mail["content_type"], "multipart/alternative");
    let token = reset_token(&app.url, &mail);

    // A bad new password does not use the token up.
    assert_field_error(
        app.anon.confirm_password_reset(&token, "short").await,
        400,
        "invalid_password",
        "new_password",
    );
    app.anon
        .confirm_password_reset(&token, "a-brand-new-password")
        .await
        .unwrap();
    // Every session ended; the new password works, the old one does not.
    assert_api_error(old_session.me().await, 401, "unauthorized");
    assert_api_error(
        app.anon
            .login("alice@example.com", "password-alice@example.com")
            .await,
        401,
        "invalid_credentials",
    );
    app.anon
        .login("alice@example.com", "a-brand-new-password")
        .await
        .unwrap();
    // Single use.
    assert_field_error(
        app.anon
            .confirm_password_reset(&token, "yet-another-password")
            .await,
        400,
        "reset_token_invalid",
        "token",
    );
    assert_api_error(
        app.anon
            .confirm_password_reset(&"0".repeat(64), "yet-another-password")
            .await,
        400,
        "reset_token_invalid",
    );

    let events = app
        .admin
        .audit_events(&[(
            "action",
            "auth.password_reset_requested,auth.password_reset",
        )])
        .await
        .unwrap()
        .events;
    let actions: Vec<&str> = events.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["auth.password_reset_requested", "auth.password_reset"]
    );
    assert_eq!(events[1].target.id, alice.id);
    assert_eq!(events[1].details["mailed"], true);
    assert_eq!(events[0].details["sessions_revoked"], 1);
    // Sent mails keep no body: the reset token is not left in the database.
    let sent = outbox(&app).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].status().unwrap(), MailStatus::Sent);
    let state = app.server.as_ref().unwrap().state();
    let mut conn = state.store.conn().await.unwrap();
    let bodies: (Option<String>, Option<String>) =
        sqlx::query_as("SELECT text_body, html_body FROM mail_outbox")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(bodies, (None, None));

    // Admins see the outbox (never a body); nobody else does.
    let list = app.admin.admin_mail(None, None).await.unwrap();
    assert_eq!(list.mails.len(), 1);
    let m = &list.mails[0];
    assert_eq!(
        (
            m.kind.as_str(),
            m.to.as_str(),
            m.status.as_str(),
            m.attempts
        ),
        ("password_reset", "alice@example.com", "sent", 1)
    );
    assert!(m.sent_at.is_some() && m.next_attempt_at.is_none());
    let (_, carol) = app.user("carol", None).await;
    assert_api_error(carol.admin_mail(None, None).await, 403, "forbidden");
}

async fn reset_requests_never_tell_whether_an_account_exists(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn(backend, |c| mail_to(c, &sink)).await;
    let (bob, _) = app.user("bob@example.com", None).await;
    app.user("carol", None).await; // a login that is no address
    app.admin
        .update_user(
            &bob.id,
            &api::UpdateUser {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (_, _) = app.user("dave@example.com", None).await;

    // Every one of these is the same 202; only dave (twice within a minute) gets one mail.
    for login in [
        "nobody@example.com",
        "bob@example.com",
        "carol",
        "dave@example.com",
        "dave@example.com",
        "",
    ] {
        let res = app
            .raw(reqwest::Method::POST, "/api/v1/auth/password-reset")
            .json(&serde_json::json!({ "login": login }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202, "{login}");
        assert_eq!(res.text().await.unwrap(), "", "{login}");
    }
    app.run_jobs().await;
    let got = sink.until(1, "dave's mail").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got_later = sink.messages();
    assert_eq!(got_later.len(), 1, "{got_later:?}");
    assert_eq!(got[0]["rcpt_tos"][0], "dave@example.com");

    // A minute later dave may ask again.
    app.clock.advance(Duration::from_secs(61));
    app.anon
        .request_password_reset("dave@example.com")
        .await
        .unwrap();
    sink.until(2, "dave's second mail").await;

    let reasons: Vec<Value> = app
        .admin
        .audit_events(&[("action", "auth.password_reset_requested")])
        .await
        .unwrap()
        .events
        .iter()
        .rev()
        .map(|e| e.details["reason"].clone())
        .collect();
    assert_eq!(
        Value::from(reasons),
        serde_json::json!([
            "unknown_login",
            "disabled",
            "no_address",
            null,
            "throttled",
            "unknown_login",
            null
        ])
    );
    // Malformed requests are still told so.
    let res = app
        .raw(reqwest::Method::POST, "/api/v1/auth/password-reset")
        .json(&serde_json::json!({ "user": "dave" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

async fn expired_reset_tokens_are_refused(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn(backend, |c| mail_to(c, &sink)).await;
    app.user("erin@example.com", None).await;
    app.anon
        .request_password_reset("erin@example.com")
        .await
        .unwrap();
    let token = reset_token(&app.url, &sink.until(1, "the reset mail").await[0]);
    app.clock.advance(Duration::from_secs(30 * 60 + 1));
    assert_api_error(
        app.anon
            .confirm_password_reset(&token, "a-brand-new-password")
            .await,
        400,
        "reset_token_invalid",
    );
    app.anon
        .login("erin@example.com", "password-erin@example.com")
        .await
        .unwrap();
    // A newer token replaces nothing: the next one works, and uses up any older one.
    app.anon
        .request_password_reset("erin@example.com")
        .await
        .unwrap();
    let fresh = reset_token(&app.url, &sink.until(2, "the second mail").await[1]);
    app.anon
        .confirm_password_reset(&fresh, "a-brand-new-password")
        .await
        .unwrap();
}

async fn mail_waits_for_a_down_smtp_server_across_a_restart(backend: Backend) {
    // The port is chosen, but nothing listens there yet.
    let mut sink = SmtpSink::reserve();
    let mut app = spawn(backend, |c| mail_to(c, &sink)).await;
    app.user("frank@example.com", None).await;
    app.anon
        .request_password_reset("frank@example.com")
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let rows = outbox(&app).await;
        if rows[0].attempts >= 2 {
            assert_eq!(rows[0].status().unwrap(), MailStatus::Retrying);
            assert!(rows[0].last_error.is_some());
            break;
        }
        assert!(started.elapsed() < PATIENCE, "no failed attempts: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Ferry stops while the mail waits for its retry; the SMTP server comes up meanwhile.
    app.stop().await;
    sink.listen().await;
    assert!(sink.messages().is_empty());
    let server = ferry_server::Server::start(app.config.clone())
        .await
        .expect("restart");
    let mail = sink.until(1, "the mail after the restart").await.remove(0);
    // The link names the server that queued the mail.
    let token = reset_token(&app.url, &mail);
    let url = format!("http://{}", server.addr());
    let client = Client::new(&url);
    client
        .confirm_password_reset(&token, "a-brand-new-password")
        .await
        .unwrap();
    client
        .login("frank@example.com", "a-brand-new-password")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "sent exactly once");
    server.shutdown().await.unwrap();
}

async fn a_mail_is_failed_after_its_last_attempt(backend: Backend) {
    let sink = SmtpSink::reserve(); // never listens
    let app = spawn(backend, |c| {
        mail_to(c, &sink);
        c.mail.max_attempts = 2;
    })
    .await;
    app.user("gina@example.com", None).await;
    app.anon
        .request_password_reset("gina@example.com")
        .await
        .unwrap();
    let started = Instant::now();
    let row = loop {
        let rows = outbox(&app).await;
        if rows[0].status().unwrap() == MailStatus::Failed {
            break rows[0].clone();
        }
        assert!(started.elapsed() < PATIENCE, "not failed: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(row.attempts, 2);
    assert!(row.last_error.is_some());
    let metrics = app
        .raw(reqwest::Method::GET, "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The exporter is shared by every server in this process, so only the names are checked.
    assert!(metrics.contains("ferry_mail_outbox_failed"), "{metrics}");
    assert!(metrics.contains("ferry_mail_outbox_backlog"), "{metrics}");
}

async fn two_servers_on_one_database_send_each_mail_once(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn(backend, |c| mail_to(c, &sink)).await;
    let second = ferry_server::Server::start(app.config.clone())
        .await
        .expect("a second node on the same database");
    let (_, alice) = app.user("alice@example.com", None).await;
    let folder = alice.create_folder("shared", 0).await.unwrap();
    const MAILS: usize = 20;
    for i in 0..MAILS {
        alice
            .invite(
                &folder.id,
                &api::CreateCollaboration {
                    email: Some(format!("guest{i}@example.org")),
                    role: "viewer".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    sink.until(MAILS, "every invitation").await;
    // Both nodes keep polling a while longer: nothing is sent twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut to: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| m["rcpt_tos"][0].as_str().unwrap().to_string())
        .collect();
    assert_eq!(to.len(), MAILS, "{to:?}");
    to.sort();
    to.dedup();
    assert_eq!(to.len(), MAILS);
    second.shutdown().await.unwrap();
}

async fn shares_and_upload_links_are_told_by_mail(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn(backend, |c| mail_to(c, &sink)).await;
    let (_, alice) = app.user("alice@example.com", None).await;
    app.user("bob@example.com", None).await;
    let folder = alice.create_folder("Q&A <2026>", 0).await.unwrap();
    let invite = |user: Option<&str>, email: Option<&str>| api::CreateCollaboration {
        user: user.map(str::to_string),
        group: None,
        email: email.map(str::to_string),
        role: "viewer".into(),
        message: Some("see <b>this</b>".into()),
        expires_at: None,
    };
    alice
        .invite(&folder.id, &invite(Some("bob@example.com"), None))
        .await
        .unwrap();
    alice
        .invite(&folder.id, &invite(None, Some("partner@example.org")))
        .await
        .unwrap();
    let got = sink.until(2, "two invitations").await;
    let mut to: Vec<&str> = got
        .iter()
        .map(|m| m["rcpt_tos"][0].as_str().unwrap())
        .collect();
    to.sort();
    assert_eq!(to, ["bob@example.com", "partner@example.org"]);
    for m in &got {
        assert_eq!(
            m["subject"],
            "alice@example.com shared \"Q&A <2026>\" with you"
        );
        let html = m["html"].as_str().unwrap();
        assert!(html.contains("Q&amp;A &lt;2026&gt;"), "{html}");
        assert!(html.contains("see &lt;b&gt;this&lt;/b&gt;") && !html.contains("<b>"));
        assert!(m["text"].as_str().unwrap().contains("> see <b>this</b>"));
    }

    let link = alice
        .create_upload_link(
            &folder.id,
            &api::CreateUploadLink {
                expires_in: Some(3600),
                max_files: None,
                max_bytes: None,
                password: None,
                subfolder_per_upload: None,
            },
        )
        .await
        .unwrap();
    app.anon
        .upload_to_link(
            &link.url,
            "report.pdf",
            b"quarterly".to_vec(),
            &Uploader {
                name: Some("Zoe".into()),
                email: Some("zoe@example.net".into()),
            },
        )
        .await
        .unwrap();
    let got = sink.until(3, "the upload notice").await;
    let notice = &got[2];
    assert_eq!(notice["rcpt_tos"][0], "alice@example.com");
    assert_eq!(
        notice["subject"],
        "New file through your upload link: report.pdf"
    );
    assert!(
        notice["text"]
            .as_str()
            .unwrap()
            .contains("Zoe <zoe@example.net> uploaded \"report.pdf\" (9 bytes)")
    );
}

async fn without_smtp_url_resets_answer_503_and_shares_still_work(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let (_, alice) = app.user("alice@example.com", None).await;
    assert_api_error(
        app.anon.request_password_reset("alice@example.com").await,
        503,
        "mail_not_configured",
    );
    let folder = alice.create_folder("shared", 0).await.unwrap();
    alice
        .invite(
            &folder.id,
            &api::CreateCollaboration {
                user: None,
                group: None,
                email: Some("partner@example.org".into()),
                role: "viewer".into(),
                message: None,
                expires_at: None,
            },
        )
        .await
        .unwrap();
    app.run_jobs().await;
    assert!(outbox(&app).await.is_empty());
}
