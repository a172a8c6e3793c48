//! Spawns a real server on 127.0.0.1:0 with a temp data dir, on SQLite or on PostgreSQL (a
//! fresh schema per test in `FERRY_TEST_DATABASE_URL`), and drives it with `ferry-client`.
//! The scale-out variant keeps its blobs in S3 (a real s3s-fs started for the test) with
//! PostgreSQL for metadata.

use ferry_api as api;
use ferry_client::Client;
use ferry_server::{Config, Server};
use ferry_store::testdb::TestSchema;

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// PostgreSQL and S3 (s3s-fs): how several nodes run.
    S3,
}

pub struct TestApp {
    pub server: Option<Server>,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// Unauthenticated client.
    pub anon: Client,
    /// Logged in as the bootstrap admin.
    pub admin: Client,
    pub config: Config,
    pub dir: tempfile::TempDir,
    /// The server's clock: tests move it forward instead of sleeping.
    pub clock: std::sync::Arc<ferry_app::clock::ManualClock>,
    /// The S3 server of [`Backend::S3`]; dropped after the server that uses it.
    pub s3: Option<ferry_blob::testing::S3Server>,
    /// PostgreSQL only; last, so that it is dropped after the server that uses it.
    _pg_schema: Option<TestSchema>,
}

/// Runs each listed `async fn(TestApp)` as two tests: `<name>::sqlite` and `<name>::postgres`.
/// The PostgreSQL variant is `#[ignore]`d unless `FERRY_TEST_DATABASE_URL` was set when the
/// tests were built (see `build.rs`); CI always sets it.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use $crate::helpers::{Backend, TestApp};
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite always runs");
                super::$name(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(ferry_pg_tests), ignore = "set FERRY_TEST_DATABASE_URL when building the tests")]
            async fn postgres() {
                match TestApp::spawn(Backend::Postgres).await {
                    Some(app) => super::$name(app).await,
                    None => panic!("FERRY_TEST_DATABASE_URL was set when the tests were built, not now"),
                }
            }
        }
    )*};
}

/// Like [`on_both_backends!`], but each server is spawned with its config adjusted by
/// `super::$tweak`, a `fn(&mut ferry_server::Config)` in the calling module.
#[macro_export]
macro_rules! on_both_backends_with {
    ($tweak:ident; $($name:ident),* $(,)?) => {$(
        mod $name {
            use $crate::helpers::{Backend, TestApp};
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = TestApp::spawn_with(Backend::Sqlite, super::$tweak)
                    .await
                    .expect("sqlite always runs");
                super::$name(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(ferry_pg_tests), ignore = "set FERRY_TEST_DATABASE_URL when building the tests")]
            async fn postgres() {
                match TestApp::spawn_with(Backend::Postgres, super::$tweak).await {
                    Some(app) => super::$name(app).await,
                    None => panic!("FERRY_TEST_DATABASE_URL was set when the tests were built, not now"),
                }
            }
        }
    )*};
}

/// Like [`on_both_backends!`], with a third variant `<name>::s3`: PostgreSQL and S3 (a real
/// s3s-fs, see `ferry_blob::testing`; the test says it skipped when there is none). With
/// `tweak;` first, as [`on_both_backends_with!`].
#[macro_export]
macro_rules! on_all_backends {
    ($tweak:ident; $($name:ident),* $(,)?) => {$(
        mod $name {
            use $crate::helpers::{Backend, TestApp};
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = TestApp::spawn_with(Backend::Sqlite, super::$tweak)
                    .await
                    .expect("sqlite always runs");
                super::$name(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(ferry_pg_tests), ignore = "set FERRY_TEST_DATABASE_URL when building the tests")]
            async fn postgres() {
                match TestApp::spawn_with(Backend::Postgres, super::$tweak).await {
                    Some(app) => super::$name(app).await,
                    None => panic!("FERRY_TEST_DATABASE_URL was set when the tests were built, not now"),
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(ferry_pg_tests), ignore = "set FERRY_TEST_DATABASE_URL when building the tests")]
            async fn s3() {
                if ferry_blob::testing::binary().is_none() {
                    eprintln!("{}", ferry_blob::testing::SKIP);
                    return;
                }
                match TestApp::spawn_with(Backend::S3, super::$tweak).await {
                    Some(app) => super::$name(app).await,
                    None => panic!("FERRY_TEST_DATABASE_URL was set when the tests were built, not now"),
                }
            }
        }
    )*};
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use $crate::helpers::{Backend, TestApp};
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite always runs");
                super::$name(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(ferry_pg_tests), ignore = "set FERRY_TEST_DATABASE_URL when building the tests")]
            async fn postgres() {
                match TestApp::spawn(Backend::Postgres).await {
                    Some(app) => super::$name(app).await,
                    None => panic!("FERRY_TEST_DATABASE_URL was set when the tests were built, not now"),
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(ferry_pg_tests), ignore = "set FERRY_TEST_DATABASE_URL when building the tests")]
            async fn s3() {
                if ferry_blob::testing::binary().is_none() {
                    eprintln!("{}", ferry_blob::testing::SKIP);
                    return;
                }
                match TestApp::spawn(Backend::S3).await {
                    Some(app) => super::$name(app).await,
                    None => panic!("FERRY_TEST_DATABASE_URL was set when the tests were built, not now"),
                }
            }
        }
    )*};
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns with a config adjusted by `tweak`.
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::default();
        config.server.listen = "127.0.0.1:0".parse().unwrap();
        config.storage.data_dir = dir.path().to_path_buf();
        config.storage.gc_interval_secs = 1;
        config.admin.password = Some(ADMIN_PASSWORD.into());
        // The suite drives every server from loopback, far faster than any client would.
        config.rate_limits.exempt_loopback = true;
        let mut pg_schema = None;
        if backend != Backend::Sqlite {
            let schema = TestSchema::create().await?;
            config.database.url = Some(schema.url().to_string());
            pg_schema = Some(schema);
        }
        let mut s3 = None;
        if backend == Backend::S3 {
            let server = ferry_blob::testing::S3Server::start()?;
            config.storage.backend = ferry_app::config::StorageBackend::S3;
            config.storage.s3 = ferry_app::config::S3Config {
                bucket: server.bucket.clone(),
                endpoint: Some(server.endpoint.clone()),
                region: Some("us-east-1".into()),
                virtual_hosted_style: false,
                allow_http: true,
                access_key_id: Some(server.access_key.clone()),
                secret_access_key: Some(server.secret_key.clone()),
                session_token: None,
                redirect_downloads: false,
                sign_payload: ferry_blob::SignPayload::Auto,
                ..Default::default()
            };
            s3 = Some(server);
        }
        tweak(&mut config);
        let clock = std::sync::Arc::new(ferry_app::clock::ManualClock::default());
        let server = Server::start_with_clock(config.clone(), clock.clone())
            .await
            .expect("server starts");
        let url = format!("http://{}", server.addr());
        let anon = Client::new(&url);
        let session = anon
            .login("admin", ADMIN_PASSWORD)
            .await
            .expect("admin logs in");
        let admin = anon.with_token(session.access_token);
        Some(TestApp {
            server: Some(server),
            url,
            anon,
            admin,
            config,
            dir,
            clock,
            s3,
            _pg_schema: pg_schema,
        })
    }

    /// Creates a user `login` (password `password-<login>`, optional quota) and logs it in.
    pub async fn user(&self, login: &str, quota_bytes: Option<i64>) -> (api::User, Client) {
        let password = format!("password-{login}");
        let user = self
            .admin
            .create_user(&api::CreateUser {
                login: login.into(),
                password: password.clone(),
                name: None,
                role: None,
                quota_bytes,
                company_id: None,
            })
            .await
            .expect("create user");
        let session = self
            .anon
            .login(login, &password)
            .await
            .expect("user logs in");
        (user, self.anon.with_token(session.access_token))
    }

    /// A new company `name` and its company admin `boss` (password `password-boss`),
    /// logged in.
    pub async fn company_with_admin(&self, name: &str) -> (api::Company, Client) {
        let company: api::Company = send_json(
            &self.admin,
            reqwest::Method::POST,
            "/companies",
            Some(serde_json::json!({ "name": name })),
        )
        .await
        .expect("create company");
        let _: api::User = send_json(
            &self.admin,
            reqwest::Method::POST,
            "/users",
            Some(
                serde_json::json!({"login": "boss", "password": "password-boss",
                "company_id": company.id, "role": "company_admin"}),
            ),
        )
        .await
        .expect("create company admin");
        let session = self
            .anon
            .login("boss", "password-boss")
            .await
            .expect("company admin logs in");
        (company, self.anon.with_token(session.access_token))
    }

    /// The audit events of `action` on `target`, newest first (as an admin sees them).
    pub async fn audit_of(&self, action: &str, target: &str) -> Vec<api::Event> {
        self.admin
            .audit_events(&[("action", action), ("target", target)])
            .await
            .expect("audit events")
            .events
    }

    /// Runs every background worker until nothing is due (instead of waiting for them).
    pub async fn run_jobs(&self) {
        let server = self.server.as_ref().expect("server running");
        ferry_app::workers::run_jobs(server.state())
            .await
            .expect("background work succeeds");
    }

    /// Stops the server gracefully.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }

    /// A raw request to `path` on the server root (`/healthz`, `/api/v1/...`), without auth.
    pub fn raw(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new().request(method, format!("{}{}", self.url, path))
    }

    /// `GET /readyz` as JSON (its `details` tell of clamd and the thumbnail renderers).
    pub async fn readyz(&self) -> serde_json::Value {
        self.raw(reqwest::Method::GET, "/readyz")
            .send()
            .await
            .expect("readyz answers")
            .json()
            .await
            .expect("readyz is JSON")
    }

    /// Number of blobs stored: files on disk or objects in S3, and small contents kept in
    /// the database (`storage.inline_max_bytes`).
    pub async fn blob_files(&self) -> usize {
        self.stored_blobs() + self.inline_blobs().await
    }

    /// Number of blobs in the blob store (files on disk, objects in S3).
    pub fn stored_blobs(&self) -> usize {
        match &self.s3 {
            Some(s3) => s3.objects("blobs").len(),
            None => count_files(&self.dir.path().join("blobs")),
        }
    }

    /// Number of contents kept in the database.
    pub async fn inline_blobs(&self) -> usize {
        let state = self.server.as_ref().expect("server runs").state();
        let mut conn = state.store.conn().await.expect("connection");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blob_contents")
            .fetch_one(&mut *conn)
            .await
            .expect("count");
        n as usize
    }

    /// Number of files in staging (on S3: unfinished multipart uploads and temporary
    /// objects).
    pub fn staging_files(&self) -> usize {
        match &self.s3 {
            Some(s3) => s3.leftovers().len(),
            None => count_files(&self.dir.path().join("staging")),
        }
    }
}

fn count_files(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() { count_files(&p) } else { 1 }
        })
        .sum()
}

/// Lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(data);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Asserts an API error's status and code.
pub fn assert_api_error<T: std::fmt::Debug>(
    result: Result<T, ferry_client::ClientError>,
    status: u16,
    code: &str,
) -> api::ErrorBody {
    match result {
        Err(ferry_client::ClientError::Api { status: s, body }) => {
            assert_eq!(
                (s.as_u16(), body.error.code.as_str()),
                (status, code),
                "{body:?}"
            );
            assert!(
                body.error.request_id.len() > 3,
                "request_id missing: {body:?}"
            );
            body
        }
        other => panic!("expected {status} {code}, got {other:?}"),
    }
}

/// Reads a raw response the way `ferry-client` does: a 2xx body as `T`, anything else as the
/// contract's error (so it can go through [`assert_api_error`]). Also checks that the response
/// carries `X-Request-Id` and that an error is `application/json` with that id in its body.
/// A request with an optional JSON body through `client` (the API's base path), parsed as
/// the API answers it.
pub async fn send_json<T: serde::de::DeserializeOwned>(
    client: &ferry_client::Client,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, ferry_client::ClientError> {
    let mut req = client.request(method, path);
    if let Some(body) = body {
        req = req.json(&body);
    }
    parse(req.send().await.expect("the server answers")).await
}

pub async fn parse<T: serde::de::DeserializeOwned>(
    res: reqwest::Response,
) -> Result<T, ferry_client::ClientError> {
    let status = res.status();
    let header_id = res
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().expect("ASCII request id").to_string());
    let json_type = res
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json"));
    let bytes = res.bytes().await.expect("response body");
    let header_id = header_id.expect("every response carries X-Request-Id");
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|_| ferry_client::ClientError::Unexpected {
            status,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }
    match serde_json::from_slice::<api::ErrorBody>(&bytes) {
        Ok(body) => {
            assert!(json_type, "error bodies are application/json: {body:?}");
            assert_eq!(
                body.error.request_id, header_id,
                "X-Request-Id differs from the body's"
            );
            Err(ferry_client::ClientError::Api { status, body })
        }
        Err(_) => Err(ferry_client::ClientError::Unexpected {
            status,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }),
    }
}

/// Asserts an API error's status, code and `field`.
pub fn assert_field_error<T: std::fmt::Debug>(
    result: Result<T, ferry_client::ClientError>,
    status: u16,
    code: &str,
    field: &str,
) -> api::ErrorBody {
    let body = assert_api_error(result, status, code);
    assert_eq!(body.error.field.as_deref(), Some(field), "{body:?}");
    body
}
