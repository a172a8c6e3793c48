//! tus 1.0 at `/api/v1/tus/`: real clients (tus-js-client, tuspy) uploading to a live server,
//! and raw HTTP for the protocol's edges and bad input.
//!
//! The real clients come from `tests/tus-clients/setup.sh` (npm and PyPI), run once per test
//! process; CI runs it in its own step first. They run on SQLite only: they test the protocol
//! as clients speak it, which does not depend on the database, and the raw tests below cover
//! both backends.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ferry_client::Client;
use reqwest::{Method, Response, StatusCode};

use crate::helpers::{Backend, TestApp, assert_api_error, parse, sha256_hex};
use crate::on_all_backends;

// Also on S3 (PostgreSQL + s3s-fs): `<name>::s3`.
on_all_backends!(
    options_lists_extensions_and_checksum_algorithms,
    version_header_is_required,
    patch_refuses_wrong_offset_type_and_checksums,
    delete_terminates_and_releases_space,
    creation_with_upload,
    method_override_turns_post_into_patch_head_and_delete,
    other_users_uploads_are_not_found,
    quota_is_enforced_at_creation,
    declared_checksum_mismatch_publishes_nothing,
    concatenation_over_raw_http,
    concatenation_fits_the_quota_the_file_fits,
    on_conflict_fail_in_metadata_refuses_a_taken_name_at_creation,
);

const MIB: usize = 1 << 20;
const TUS: &str = "1.0.0";
/// How long one client run may take before the test gives up on it.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(180);

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed) ^ (i >> 11) as u8)
        .collect()
}

fn b64(s: &str) -> String {
    STANDARD.encode(s)
}

fn metadata(filename: &str, folder_id: &str) -> String {
    format!("filename {},folder_id {}", b64(filename), b64(folder_id))
}

/// A tus request to `path` under `/api/v1` (e.g. `/tus/`), with auth and `Tus-Resumable`.
fn tus(client: &Client, method: Method, path: &str) -> reqwest::RequestBuilder {
    client.request(method, path).header("tus-resumable", TUS)
}

/// `/api/v1/tus/upl_…` (a Location) → `/tus/upl_…` (a path for `Client::request`).
fn api_path(location: &str) -> String {
    location
        .strip_prefix("/api/v1")
        .unwrap_or_else(|| panic!("Location {location:?} is not under /api/v1"))
        .to_string()
}

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().expect("ASCII header"))
}

fn offset_of(res: &Response) -> i64 {
    header(res, "upload-offset")
        .unwrap_or_else(|| panic!("no Upload-Offset in {res:?}"))
        .parse()
        .expect("numeric Upload-Offset")
}

/// Creates an upload of `len` bytes; returns its path under `/api/v1`.
async fn create(client: &Client, folder_id: &str, name: &str, len: usize) -> String {
    let res = tus(client, Method::POST, "/tus/")
        .header("upload-length", len.to_string())
        .header("upload-metadata", metadata(name, folder_id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{res:?}");
    assert_eq!(offset_of(&res), 0);
    api_path(header(&res, "location").expect("Location"))
}

async fn patch(client: &Client, path: &str, offset: usize, body: &[u8]) -> Response {
    tus(client, Method::PATCH, path)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", offset.to_string())
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

async fn head(client: &Client, path: &str) -> Response {
    tus(client, Method::HEAD, path).send().await.unwrap()
}

fn sha1_b64(bytes: &[u8]) -> String {
    use sha1::Digest;
    STANDARD.encode(sha1::Sha1::digest(bytes))
}

fn sha256_b64(bytes: &[u8]) -> String {
    use sha2::Digest;
    STANDARD.encode(sha2::Sha256::digest(bytes))
}

/// The folder holds exactly one file, `name`, with `bytes` as its content and checksum.
async fn assert_single_file(client: &Client, folder_id: &str, name: &str, bytes: &[u8]) {
    let files = client
        .list_files(folder_id, None, None)
        .await
        .unwrap()
        .files;
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    assert_eq!(
        (file.name.as_str(), file.size, file.checksum_sha256.as_str()),
        (name, bytes.len() as i64, sha256_hex(bytes).as_str())
    );
    let got = client.download(&file.id, &[]).await.unwrap();
    assert_eq!(got.status, StatusCode::OK);
    assert!(
        got.body.as_ref() == bytes,
        "downloaded content differs ({} bytes, sha256 {})",
        got.body.len(),
        sha256_hex(&got.body)
    );
}

// ---------------------------------------------------------------------------------------------
// Real clients.

/// Where setup.sh put the clients.
struct Clients {
    /// `tests/tus-clients` (scripts and node_modules).
    dir: PathBuf,
    /// The venv's Python, with tuspy.
    python: PathBuf,
}

fn run_setup() -> Result<Clients, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = manifest.join("tests").join("tus-clients");
    let clients_dir = std::env::var_os("TUS_CLIENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../target/tus-clients"));
    let out = std::process::Command::new("bash")
        .arg(dir.join("setup.sh"))
        .env("TUS_CLIENTS_DIR", &clients_dir)
        .output()
        .map_err(|e| format!("could not run tests/tus-clients/setup.sh: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "tests/tus-clients/setup.sh failed ({}): it installs tus-js-client (npm) and \
             tuspy (PyPI) for the tus interoperability tests.\n--- stdout\n{stdout}\n--- \
             stderr\n{stderr}",
            out.status
        ));
    }
    eprint!("{stdout}{stderr}");
    Ok(Clients {
        dir,
        python: clients_dir.join("venv").join("bin").join("python"),
    })
}

/// Runs setup.sh the first time it is called in this process; later calls reuse its outcome.
async fn clients() -> &'static Clients {
    static SETUP: OnceLock<Result<Clients, String>> = OnceLock::new();
    let setup = tokio::task::spawn_blocking(|| SETUP.get_or_init(run_setup))
        .await
        .expect("setup thread");
    match setup {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

/// Runs a client script; returns the upload URL it printed.
async fn run_client(mut cmd: tokio::process::Command, what: &str) -> String {
    cmd.kill_on_drop(true).stdin(std::process::Stdio::null());
    let out = tokio::time::timeout(CLIENT_TIMEOUT, cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {CLIENT_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("could not start {what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    eprint!("{stderr}");
    stdout.trim().lines().last().unwrap_or_default().to_string()
}

/// A user, a folder and a 5 MiB file (not a whole number of 1 MiB chunks) to upload.
struct Scenario {
    app: TestApp,
    alice: Client,
    token: String,
    folder_id: String,
    name: &'static str,
    bytes: Vec<u8>,
    path: PathBuf,
    _src: tempfile::TempDir,
}

async fn scenario(name: &'static str, seed: u8) -> Scenario {
    scenario_on(Backend::Sqlite, name, seed).await
}

async fn scenario_on(backend: Backend, name: &'static str, seed: u8) -> Scenario {
    let app = TestApp::spawn(backend).await.unwrap();
    let (_, alice) = app.user("alice", Some(64 * MIB as i64)).await;
    let token = app
        .anon
        .login("alice", "password-alice")
        .await
        .unwrap()
        .access_token;
    let folder_id = alice.create_folder("inbox", 0).await.unwrap().id;
    let bytes = data(5 * MIB + 4321, seed);
    let src = tempfile::tempdir().unwrap();
    let path = src.path().join(name);
    std::fs::write(&path, &bytes).unwrap();
    Scenario {
        app,
        alice,
        token,
        folder_id,
        name,
        bytes,
        path,
        _src: src,
    }
}

impl Scenario {
    fn endpoint(&self) -> String {
        format!("{}/api/v1/tus/", self.app.url)
    }

    fn args(&self, parallel: u32) -> Vec<String> {
        vec![
            self.endpoint(),
            self.token.clone(),
            self.folder_id.clone(),
            self.path.display().to_string(),
            parallel.to_string(),
        ]
    }

    /// The upload finished as one file, and nothing else is held: no space reserved beyond
    /// the file (partial uploads included) and the upload answers HEAD with its full offset.
    async fn assert_done(&self, url: &str) {
        let prefix = format!("{}/api/v1/tus/upl_", self.app.url);
        assert!(url.starts_with(&prefix), "unexpected upload URL {url:?}");
        assert_single_file(&self.alice, &self.folder_id, self.name, &self.bytes).await;
        assert_eq!(
            self.alice.me().await.unwrap().quota.used_bytes,
            self.bytes.len() as i64,
            "the quota counts the file once"
        );
        let res = head(&self.alice, &api_path(&url[self.app.url.len()..])).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(offset_of(&res), self.bytes.len() as i64);
    }
}

async fn tusjs(s: &Scenario, parallel: u32) -> String {
    let clients = clients().await;
    let mut cmd = tokio::process::Command::new("node");
    cmd.current_dir(&clients.dir)
        .arg(clients.dir.join("tusjs_upload.mjs"))
        .args(s.args(parallel));
    run_client(cmd, "tus-js-client").await
}

// SQLite only (see the module doc).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_single_stream() {
    let s = scenario("single.bin", 11).await;
    let url = tusjs(&s, 1).await;
    s.assert_done(&url).await;
}

// SQLite only (see the module doc).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_parallel_uploads_use_concatenation() {
    let s = scenario("parallel.bin", 12).await;
    let url = tusjs(&s, 3).await;
    s.assert_done(&url).await;
    // The final upload lists its three partial uploads.
    let res = head(&s.alice, &api_path(&url[s.app.url.len()..])).await;
    let concat = header(&res, "upload-concat").expect("Upload-Concat on the final upload");
    let partials = concat
        .strip_prefix("final;")
        .unwrap_or_else(|| panic!("Upload-Concat {concat:?}"));
    assert_eq!(partials.split(' ').count(), 3, "{concat}");
}

// SQLite only (see the module doc).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tuspy_with_chunk_checksums_and_resume() {
    let s = scenario("resumed.bin", 13).await;
    let clients = clients().await;
    let mut cmd = tokio::process::Command::new(&clients.python);
    cmd.current_dir(&clients.dir)
        .arg(clients.dir.join("tuspy_upload.py"))
        .args(s.args(1));
    let url = run_client(cmd, "tuspy").await;
    s.assert_done(&url).await;
}

// The real clients on S3 (PostgreSQL + s3s-fs): 1 MiB chunks (below S3's part minimum),
// concatenation of parallel uploads, resumption with chunk checksums.
macro_rules! on_s3 {
    ($name:ident, $file:literal, $seed:literal, $run:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(
            not(ferry_pg_tests),
            ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
        )]
        async fn $name() {
            if ferry_blob::testing::binary().is_none() {
                eprintln!("{}", ferry_blob::testing::SKIP);
                return;
            }
            let s = scenario_on(Backend::S3, $file, $seed).await;
            let url = $run(&s).await;
            s.assert_done(&url).await;
        }
    };
}

async fn tusjs_single(s: &Scenario) -> String {
    tusjs(s, 1).await
}

async fn tusjs_parallel(s: &Scenario) -> String {
    tusjs(s, 3).await
}

async fn tuspy(s: &Scenario) -> String {
    let clients = clients().await;
    let mut cmd = tokio::process::Command::new(&clients.python);
    cmd.current_dir(&clients.dir)
        .arg(clients.dir.join("tuspy_upload.py"))
        .args(s.args(1));
    run_client(cmd, "tuspy").await
}

on_s3!(
    tus_js_client_single_stream_on_s3,
    "single.bin",
    21,
    tusjs_single
);
on_s3!(
    tus_js_client_parallel_uploads_on_s3,
    "parallel.bin",
    22,
    tusjs_parallel
);
on_s3!(
    tuspy_with_chunk_checksums_and_resume_on_s3,
    "resumed.bin",
    23,
    tuspy
);

// ---------------------------------------------------------------------------------------------
// Raw HTTP, on both backends.

async fn options_lists_extensions_and_checksum_algorithms(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    for path in ["/tus/", "/tus"] {
        let res = alice.request(Method::OPTIONS, path).send().await.unwrap();
        assert!(res.status().is_success(), "{res:?}");
        assert_eq!(header(&res, "tus-resumable"), Some(TUS));
        let versions = header(&res, "tus-version").expect("Tus-Version");
        assert!(versions.split(',').any(|v| v.trim() == TUS), "{versions}");
        let extensions: Vec<&str> = header(&res, "tus-extension")
            .expect("Tus-Extension")
            .split(',')
            .map(str::trim)
            .collect();
        for ext in [
            "creation",
            "creation-with-upload",
            "termination",
            "checksum",
            "expiration",
            "concatenation",
        ] {
            assert!(extensions.contains(&ext), "{ext} missing: {extensions:?}");
        }
        let mut algorithms: Vec<&str> = header(&res, "tus-checksum-algorithm")
            .expect("Tus-Checksum-Algorithm")
            .split(',')
            .map(str::trim)
            .collect();
        algorithms.sort();
        assert_eq!(algorithms, ["sha1", "sha256"]);
        let max: i64 = header(&res, "tus-max-size")
            .expect("Tus-Max-Size")
            .parse()
            .unwrap();
        assert_eq!(max, app.config.limits.max_file_size);
    }
}

async fn version_header_is_required(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    // No Tus-Resumable on POST.
    let res = alice
        .request(Method::POST, "/tus/")
        .header("upload-length", "10")
        .header("upload-metadata", metadata("a.txt", &folder.id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let tus_version_on_412 = header(&res, "tus-version").map(str::to_string);
    assert_api_error(
        parse::<serde_json::Value>(res).await,
        412,
        "unsupported_tus_version",
    );
    // An unknown version is refused the same way, on POST and PATCH.
    let res = alice
        .request(Method::POST, "/tus/")
        .header("tus-resumable", "0.2.2")
        .header("upload-length", "10")
        .header("upload-metadata", metadata("a.txt", &folder.id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let path = create(&alice, &folder.id, "a.txt", 10).await;
    let res = alice
        .request(Method::PATCH, &path)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", "0")
        .body(vec![0u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(offset_of(&head(&alice, &path).await), 0);
    // Creation needs folder_id in the metadata and an Upload-Length.
    let res = tus(&alice, Method::POST, "/tus/")
        .header("upload-length", "10")
        .header("upload-metadata", format!("filename {}", b64("a.txt")))
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<serde_json::Value>(res).await, 400, "missing_field");
    let res = tus(&alice, Method::POST, "/tus/")
        .header("upload-metadata", metadata("a.txt", &folder.id))
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<serde_json::Value>(res).await, 400, "missing_field");
    // tus 1.0: a 412 MUST carry Tus-Version, so the client can tell what the server speaks.
    assert_eq!(
        tus_version_on_412.as_deref(),
        Some(TUS),
        "the 412 has no Tus-Version header"
    );
}

async fn patch_refuses_wrong_offset_type_and_checksums(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(300_000, 1);
    let (a, rest) = bytes.split_at(100_000);
    let (b, c) = rest.split_at(100_000);
    let path = create(&alice, &folder.id, "x.bin", bytes.len()).await;

    let res = patch(&alice, &path, 0, a).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "{res:?}");
    assert_eq!(offset_of(&res), a.len() as i64);
    assert!(header(&res, "upload-expires").is_some(), "expiration");

    // Wrong offset: behind and ahead.
    for wrong in [0, 150_000] {
        let res = patch(&alice, &path, wrong, b).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert_eq!(header(&res, "tus-resumable"), Some(TUS));
        assert_api_error(
            parse::<serde_json::Value>(res).await,
            409,
            "offset_mismatch",
        );
    }
    // Wrong media type.
    let res = tus(&alice, Method::PATCH, &path)
        .header("content-type", "application/octet-stream")
        .header("upload-offset", a.len().to_string())
        .body(b.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A chunk whose checksum does not match: 460, and the offset stays.
    let res = tus(&alice, Method::PATCH, &path)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", a.len().to_string())
        .header("upload-checksum", format!("sha256 {}", sha256_b64(c)))
        .body(b.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 460);
    let res = head(&alice, &path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(offset_of(&res), a.len() as i64);
    assert_eq!(header(&res, "upload-length"), Some("300000"));
    // Unsupported algorithm and a malformed value: 400, and the offset stays.
    let res = tus(&alice, Method::PATCH, &path)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", a.len().to_string())
        .header("upload-checksum", "md5 XrY7u+Ae7tCTyyK7j1rNww==")
        .body(b.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_api_error(
        parse::<serde_json::Value>(res).await,
        400,
        "unsupported_checksum_algorithm",
    );
    let res = tus(&alice, Method::PATCH, &path)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", a.len().to_string())
        .header("upload-checksum", "sha1 not-base64!")
        .body(b.to_vec())
        .send()
        .await
        .unwrap();
    assert_api_error(
        parse::<serde_json::Value>(res).await,
        400,
        "invalid_checksum",
    );
    assert_eq!(offset_of(&head(&alice, &path).await), a.len() as i64);

    // The right checksums (sha256, then sha1) are accepted and complete the upload.
    let res = tus(&alice, Method::PATCH, &path)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", a.len().to_string())
        .header("upload-checksum", format!("sha256 {}", sha256_b64(b)))
        .body(b.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(offset_of(&res), 200_000);
    let res = tus(&alice, Method::PATCH, &path)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", "200000")
        .header("upload-checksum", format!("sha1 {}", sha1_b64(c)))
        .body(c.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(offset_of(&res), 300_000);
    // The refused chunk left nothing behind.
    assert_single_file(&alice, &folder.id, "x.bin", &bytes).await;
    // The upload is complete: no more chunks.
    let res = patch(&alice, &path, 0, a).await;
    assert!(res.status().is_client_error(), "{res:?}");
    assert_eq!(offset_of(&head(&alice, &path).await), 300_000);
}

async fn delete_terminates_and_releases_space(app: TestApp) {
    let (_, alice) = app.user("alice", Some(10 * MIB as i64)).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let path = create(&alice, &folder.id, "x.bin", 2 * MIB).await;
    assert_eq!(
        alice.me().await.unwrap().quota.used_bytes,
        2 * MIB as i64,
        "space is reserved at creation"
    );
    let res = patch(&alice, &path, 0, &data(MIB, 2)).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let res = tus(&alice, Method::DELETE, &path).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "tus-resumable"), Some(TUS));
    assert_eq!(head(&alice, &path).await.status(), StatusCode::NOT_FOUND);
    let res = patch(&alice, &path, MIB, &data(MIB, 3)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);
    assert!(
        alice
            .list_files(&folder.id, None, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
}

async fn creation_with_upload(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();

    // The whole file in the creation request: published at once.
    let small = data(4000, 4);
    let res = tus(&alice, Method::POST, "/tus/")
        .header("upload-length", small.len().to_string())
        .header("upload-metadata", metadata("small.bin", &folder.id))
        .header("content-type", "application/offset+octet-stream")
        .body(small.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{res:?}");
    assert_eq!(offset_of(&res), small.len() as i64);
    assert!(header(&res, "upload-expires").is_some_and(|e| e.ends_with("GMT")));
    assert_single_file(&alice, &folder.id, "small.bin", &small).await;

    // The first part in the creation request, the rest as a POST that says it is a PATCH.
    let other = alice.create_folder("other", 0).await.unwrap();
    let bytes = data(300_000, 5);
    let (first, rest) = bytes.split_at(120_000);
    let res = tus(&alice, Method::POST, "/tus/")
        .header("upload-length", bytes.len().to_string())
        .header("upload-metadata", metadata("big.bin", &other.id))
        .header("content-type", "application/offset+octet-stream")
        .body(first.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{res:?}");
    assert_eq!(offset_of(&res), first.len() as i64);
    let path = api_path(header(&res, "location").unwrap());
    let res = patch(&alice, &path, first.len(), rest).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "{res:?}");
    assert_eq!(offset_of(&res), bytes.len() as i64);
    assert_single_file(&alice, &other.id, "big.bin", &bytes).await;
}

/// `X-HTTP-Method-Override` on a POST, for clients behind proxies that only pass GET and POST.
async fn method_override_turns_post_into_patch_head_and_delete(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(300_000, 9);
    let (first, rest) = bytes.split_at(120_000);
    let path = create(&alice, &folder.id, "o.bin", bytes.len()).await;
    let overridden = |method: &str| {
        tus(&alice, Method::POST, &path).header("x-http-method-override", method.to_string())
    };

    let res = overridden("PATCH")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", "0")
        .body(first.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "{res:?}");
    assert_eq!(offset_of(&res), first.len() as i64);
    let res = overridden("HEAD").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{res:?}");
    assert_eq!(offset_of(&res), first.len() as i64);
    let res = overridden("patch")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", first.len().to_string())
        .body(rest.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "{res:?}");
    assert_eq!(offset_of(&res), bytes.len() as i64);
    assert_single_file(&alice, &folder.id, "o.bin", &bytes).await;

    // DELETE through the override terminates another upload.
    let path = create(&alice, &folder.id, "d.bin", 10).await;
    let res = tus(&alice, Method::POST, &path)
        .header("x-http-method-override", "DELETE")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "{res:?}");
    assert_eq!(head(&alice, &path).await.status(), StatusCode::NOT_FOUND);
}

async fn other_users_uploads_are_not_found(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, mallory) = app.user("mallory", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(50_000, 6);
    let path = create(&alice, &folder.id, "x.bin", bytes.len()).await;

    assert_eq!(head(&mallory, &path).await.status(), StatusCode::NOT_FOUND);
    let res = patch(&mallory, &path, 0, &bytes).await;
    assert_api_error(parse::<serde_json::Value>(res).await, 404, "not_found");
    let res = tus(&mallory, Method::DELETE, &path).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Nor can mallory upload into alice's folder.
    let res = tus(&mallory, Method::POST, "/tus/")
        .header("upload-length", "10")
        .header("upload-metadata", metadata("m.bin", &folder.id))
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<serde_json::Value>(res).await, 404, "not_found");
    // No token at all.
    let res = app
        .raw(Method::HEAD, &format!("/api/v1{path}"))
        .header("tus-resumable", TUS)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Alice's upload is untouched and still hers to finish.
    let res = head(&alice, &path).await;
    assert_eq!((res.status(), offset_of(&res)), (StatusCode::OK, 0));
    let res = patch(&alice, &path, 0, &bytes).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_single_file(&alice, &folder.id, "x.bin", &bytes).await;
}

async fn quota_is_enforced_at_creation(app: TestApp) {
    let (_, alice) = app.user("alice", Some(MIB as i64)).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let res = tus(&alice, Method::POST, "/tus/")
        .header("upload-length", (MIB + 1).to_string())
        .header("upload-metadata", metadata("big.bin", &folder.id))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "tus-resumable"), Some(TUS));
    assert_api_error(parse::<serde_json::Value>(res).await, 413, "quota_exceeded");
    // Partial uploads count against their creator too.
    let res = tus(&alice, Method::POST, "/tus/")
        .header("upload-length", (MIB + 1).to_string())
        .header("upload-concat", "partial")
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<serde_json::Value>(res).await, 413, "quota_exceeded");
    // Beyond the server's file size limit.
    let res = tus(&alice, Method::POST, "/tus/")
        .header(
            "upload-length",
            (app.config.limits.max_file_size + 1).to_string(),
        )
        .header("upload-metadata", metadata("huge.bin", &folder.id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);
    // Exactly the quota fits.
    let path = create(&alice, &folder.id, "fits.bin", MIB).await;
    assert_eq!(head(&alice, &path).await.status(), StatusCode::OK);
}

async fn declared_checksum_mismatch_publishes_nothing(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(200_000, 7);

    // A malformed checksum is refused at creation.
    let res = tus(&alice, Method::POST, "/tus/")
        .header("upload-length", bytes.len().to_string())
        .header(
            "upload-metadata",
            format!(
                "{},checksum_sha256 {}",
                metadata("x.bin", &folder.id),
                b64("abc")
            ),
        )
        .send()
        .await
        .unwrap();
    assert_api_error(
        parse::<serde_json::Value>(res).await,
        400,
        "invalid_checksum",
    );

    // A well-formed one that the data does not match: the last PATCH fails the upload.
    let res = tus(&alice, Method::POST, "/tus/")
        .header("upload-length", bytes.len().to_string())
        .header(
            "upload-metadata",
            format!(
                "{},checksum_sha256 {}",
                metadata("x.bin", &folder.id),
                b64(&sha256_hex(b"not this file"))
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let path = api_path(header(&res, "location").unwrap());
    let res = patch(&alice, &path, 0, &bytes[..100_000]).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = patch(&alice, &path, 100_000, &bytes[100_000..]).await;
    let body = assert_api_error(
        parse::<serde_json::Value>(res).await,
        422,
        "checksum_mismatch",
    );
    assert_eq!(body.error.details.unwrap()["actual"], sha256_hex(&bytes));
    assert!(
        alice
            .list_files(&folder.id, None, None)
            .await
            .unwrap()
            .files
            .is_empty(),
        "nothing is published"
    );
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);
    assert!(!head(&alice, &path).await.status().is_success());

    // The right checksum (in upper case) publishes the file.
    let res = tus(&alice, Method::POST, "/tus/")
        .header("upload-length", bytes.len().to_string())
        .header(
            "upload-metadata",
            format!(
                "{},checksum_sha256 {}",
                metadata("y.bin", &folder.id),
                b64(&sha256_hex(&bytes).to_uppercase())
            ),
        )
        .header("content-type", "application/offset+octet-stream")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{res:?}");
    assert_single_file(&alice, &folder.id, "y.bin", &bytes).await;
}

async fn concatenation_over_raw_http(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(250_000, 8);
    let pieces = [
        &bytes[..100_000],
        &bytes[100_000..180_000],
        &bytes[180_000..],
    ];
    let mut paths = Vec::new();
    for piece in pieces {
        // Partial uploads need no metadata.
        let res = tus(&alice, Method::POST, "/tus/")
            .header("upload-length", piece.len().to_string())
            .header("upload-concat", "partial")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{res:?}");
        paths.push(api_path(header(&res, "location").unwrap()));
    }
    let urls = |paths: &[String]| {
        paths
            .iter()
            .map(|p| format!("/api/v1{p}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let finalize = |spec: String, meta: String| {
        tus(&alice, Method::POST, "/tus/")
            .header("upload-concat", spec)
            .header("upload-metadata", meta)
            .send()
    };
    // Finishing the first partial publishes nothing.
    let res = patch(&alice, &paths[0], 0, pieces[0]).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = head(&alice, &paths[0]).await;
    assert_eq!(header(&res, "upload-concat"), Some("partial"));
    // An unfinished partial cannot be joined.
    let res = finalize(
        format!("final;{}", urls(&paths)),
        metadata("j.bin", &folder.id),
    )
    .await
    .unwrap();
    assert_api_error(
        parse::<serde_json::Value>(res).await,
        400,
        "partial_upload_unfinished",
    );
    for (path, piece) in paths.iter().zip(pieces).skip(1) {
        let res = patch(&alice, path, 0, piece).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    assert!(
        alice
            .list_files(&folder.id, None, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
    // The final upload needs folder_id.
    let res = finalize(
        format!("final;{}", urls(&paths)),
        format!("filename {}", b64("j.bin")),
    )
    .await
    .unwrap();
    assert_api_error(parse::<serde_json::Value>(res).await, 400, "missing_field");
    // Joined in the order given (full URLs work as well as paths).
    let spec = paths
        .iter()
        .map(|p| format!("{}/api/v1{p}", app.url))
        .collect::<Vec<_>>()
        .join(" ");
    let res = finalize(format!("final;{spec}"), metadata("j.bin", &folder.id))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{res:?}");
    assert_eq!(offset_of(&res), bytes.len() as i64);
    let final_path = api_path(header(&res, "location").unwrap());
    assert_single_file(&alice, &folder.id, "j.bin", &bytes).await;
    assert_eq!(
        alice.me().await.unwrap().quota.used_bytes,
        bytes.len() as i64,
        "the partials' space is counted once"
    );
    let res = head(&alice, &final_path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        header(&res, "upload-concat"),
        Some(format!("final;{}", urls(&paths)).as_str())
    );
    // A final upload takes no PATCH, and used partials cannot be joined again.
    let res = patch(&alice, &final_path, bytes.len(), b"x").await;
    assert!(res.status().is_client_error(), "{res:?}");
    let res = finalize(
        format!("final;{}", urls(&paths)),
        metadata("k.bin", &folder.id),
    )
    .await
    .unwrap();
    assert_api_error(
        parse::<serde_json::Value>(res).await,
        400,
        "partial_upload_unfinished",
    );
    assert_eq!(
        alice
            .list_files(&folder.id, None, None)
            .await
            .unwrap()
            .files
            .len(),
        1
    );
}

/// Partial uploads reserve their space; joining them must not need that space a second time,
/// or a client with `parallelUploads` could not upload a file that fits the quota.
async fn concatenation_fits_the_quota_the_file_fits(app: TestApp) {
    let (_, alice) = app.user("alice", Some(MIB as i64)).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(800_000, 10);
    let mut urls = Vec::new();
    for piece in bytes.chunks(400_000) {
        let res = tus(&alice, Method::POST, "/tus/")
            .header("upload-length", piece.len().to_string())
            .header("upload-concat", "partial")
            .header("content-type", "application/offset+octet-stream")
            .body(piece.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{res:?}");
        assert_eq!(offset_of(&res), piece.len() as i64);
        urls.push(header(&res, "location").unwrap().to_string());
    }
    let res = tus(&alice, Method::POST, "/tus/")
        .header("upload-concat", format!("final;{}", urls.join(" ")))
        .header("upload-metadata", metadata("joined.bin", &folder.id))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "joining {} bytes of finished partial uploads under a {} byte quota: {:?}",
        bytes.len(),
        MIB,
        parse::<serde_json::Value>(res).await
    );
    assert_single_file(&alice, &folder.id, "joined.bin", &bytes).await;
    assert_eq!(
        alice.me().await.unwrap().quota.used_bytes,
        bytes.len() as i64
    );
}

async fn on_conflict_fail_in_metadata_refuses_a_taken_name_at_creation(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(100, 9);
    let path = create(&alice, &folder.id, "taken.txt", bytes.len()).await;
    assert_eq!(
        patch(&alice, &path, 0, &bytes).await.status(),
        StatusCode::NO_CONTENT
    );

    let fail_metadata = format!(
        "{},on_conflict {}",
        metadata("taken.txt", &folder.id),
        b64("fail")
    );
    let res = tus(&alice, Method::POST, "/tus/")
        .header("upload-length", bytes.len().to_string())
        .header("upload-metadata", fail_metadata)
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<serde_json::Value>(res).await, 409, "name_conflict");
    let bad_metadata = format!(
        "{},on_conflict {}",
        metadata("x.txt", &folder.id),
        b64("maybe")
    );
    let res = tus(&alice, Method::POST, "/tus/")
        .header("upload-length", "1")
        .header("upload-metadata", bad_metadata)
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<serde_json::Value>(res).await, 400, "invalid_value");
    // The default still renames.
    let path = create(&alice, &folder.id, "taken.txt", bytes.len()).await;
    assert_eq!(
        patch(&alice, &path, 0, &bytes).await.status(),
        StatusCode::NO_CONTENT
    );
    let names: Vec<String> = alice
        .list_files(&folder.id, None, None)
        .await
        .unwrap()
        .files
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["taken (1).txt", "taken.txt"]);
}
