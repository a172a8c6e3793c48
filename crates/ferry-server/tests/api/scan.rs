//! Virus scanning against a real clamd (Debian `clamav-daemon`), started by each test with a
//! signature database it writes itself (the EICAR test file's signature; see
//! `tests/clamd/start.sh`). EICAR through every door (simple upload, resumable upload, tus,
//! upload link), quarantine (content and links `403 file_infected`, audit, webhook, notice),
//! `block_until_clean` and `allow_pending`, clamd down (`error`, retried, never clean), and
//! scanning off (`skipped`).
//!
//! Without clamd the tests say so and pass, unless `FERRY_TEST_CLAMD` is set (CI sets it):
//! then a missing clamd fails them.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ferry_api as api;
use ferry_client::{Client, Uploader};
use reqwest::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Backend, TestApp, assert_api_error, sha256_hex};

/// Runs each listed `async fn(Backend)` on SQLite, on PostgreSQL, and on PostgreSQL with S3
/// (the content streams to clamd from the bucket).
macro_rules! scan_tests {
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
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(ferry_pg_tests), ignore = "set FERRY_TEST_DATABASE_URL when building the tests")]
            async fn s3() {
                if ferry_blob::testing::binary().is_none() {
                    eprintln!("{}", ferry_blob::testing::SKIP);
                    return;
                }
                super::$name(Backend::S3).await;
            }
        }
    )*};
}

scan_tests!(
    eicar_through_every_door_is_quarantined,
    block_until_clean_holds_content_and_links_until_clean,
    allow_pending_serves_until_the_scan_finds_something,
    clamd_down_means_error_retried_and_never_clean,
    without_clamd_files_are_skipped_and_served,
);

/// The EICAR anti-virus test file, split so that this source is not itself flagged.
fn eicar() -> Vec<u8> {
    [
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD",
        "-ANTIVIRUS-TEST-FILE!$H+H*",
    ]
    .concat()
    .into_bytes()
}

/// What `tests/clamd/start.sh` names the signature it writes.
const SIGNATURE: &str = "eicar.com.UNOFFICIAL";

const PATIENCE: Duration = Duration::from_secs(60);

/// A real clamd on a loopback port.
struct Clamd {
    port: u16,
    _dir: tempfile::TempDir,
    child: Child,
}

impl Drop for Clamd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Whether clamd can run here; without it the test is skipped (said on stderr), unless
/// `FERRY_TEST_CLAMD` asks for it (CI), then it fails.
fn clamd_available() -> bool {
    let found = ["/usr/sbin/clamd", "/usr/bin/clamd", "/usr/local/sbin/clamd"]
        .iter()
        .any(|p| Path::new(p).exists())
        && Command::new("sigtool")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("FERRY_TEST_CLAMD").is_none(),
            "FERRY_TEST_CLAMD is set but clamd/sigtool are missing: apt-get install -y clamav-daemon clamav"
        );
        eprintln!(
            "skipped: clamd is not installed (apt-get install -y clamav-daemon clamav); \
             set FERRY_TEST_CLAMD=1 to make this a failure"
        );
    }
    found
}

impl Clamd {
    /// Starts clamd on `port` and waits until it answers `zPING`.
    async fn start_on(port: u16) -> Clamd {
        let dir = tempfile::tempdir().expect("temp dir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clamd/start.sh");
        let child = Command::new("bash")
            .arg(script)
            .arg(dir.path())
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start clamd");
        let clamd = Clamd {
            port,
            _dir: dir,
            child,
        };
        let started = Instant::now();
        while !clamd.pong().await {
            assert!(started.elapsed() < PATIENCE, "clamd did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        clamd
    }

    async fn start() -> Clamd {
        Clamd::start_on(free_port()).await
    }

    async fn pong(&self) -> bool {
        let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await else {
            return false;
        };
        if s.write_all(b"zPING\0").await.is_err() {
            return false;
        }
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut buf)).await;
        buf.starts_with(b"PONG")
    }
}

fn address(port: u16) -> String {
    format!("tcp://127.0.0.1:{port}")
}

async fn spawn(backend: Backend, clamd_port: Option<u16>, policy: &str) -> TestApp {
    let policy = match policy {
        "allow_pending" => ferry_app::config::ScanPolicy::AllowPending,
        _ => ferry_app::config::ScanPolicy::BlockUntilClean,
    };
    TestApp::spawn_with(backend, move |c| {
        c.scan.clamd_address = clamd_port.map(address);
        c.scan.policy = policy;
        c.scan.timeout_secs = 5;
        // Only the test's run_jobs scans (the server's own worker waits an hour after its
        // first, empty pass), so that "before the scan" is a state the test controls.
        c.scan.interval_ms = 3_600_000;
        c.webhooks.allow_private_targets = true;
    })
    .await
    .expect("the backend is available")
}

async fn status(client: &Client, id: &str) -> api::Scan {
    client.get_file(id).await.unwrap().scan
}

/// Drains the workers until the file's scan status is `want`. The server's own scan worker
/// runs too and may hold the claim while `run_jobs` finds nothing due: hence the loop.
async fn settled(app: &TestApp, client: &Client, id: &str, want: &str) -> api::Scan {
    let started = Instant::now();
    loop {
        app.run_jobs().await;
        let scan = status(client, id).await;
        if scan.status == want {
            return scan;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "scan of {id} still {scan:?}, not {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A tus upload of `bytes` as `name`; returns the file's id.
async fn tus_upload(client: &Client, folder_id: &str, name: &str, bytes: &[u8]) -> String {
    let metadata = format!(
        "filename {},folder_id {}",
        STANDARD.encode(name),
        STANDARD.encode(folder_id)
    );
    let res = client
        .request(Method::POST, "/tus/")
        .header("tus-resumable", "1.0.0")
        .header("upload-length", bytes.len().to_string())
        .header("upload-metadata", metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{res:?}");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let path = location.strip_prefix("/api/v1").unwrap().to_string();
    let res = client
        .request(Method::PATCH, &path)
        .header("tus-resumable", "1.0.0")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", "0")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "{res:?}");
    let files = client
        .list_files(folder_id, None, None)
        .await
        .unwrap()
        .files;
    files
        .into_iter()
        .find(|f| f.name == name)
        .expect("the tus upload became a file")
        .id
}

/// A resumable upload (one part) of `bytes` as `name`.
async fn resumable_upload(client: &Client, folder_id: &str, name: &str, bytes: &[u8]) -> String {
    let up = client
        .create_upload(&api::CreateUpload {
            uploader_name: None,
            uploader_email: None,
            folder_id: folder_id.into(),
            filename: name.into(),
            size: bytes.len() as i64,
            checksum_sha256: Some(sha256_hex(bytes)),
            part_size: Some(5 * 1024 * 1024),
            on_conflict: None,
            relative_path: None,
            modified_at: None,
        })
        .await
        .unwrap();
    client
        .put_part(&up.upload_id, 1, bytes.to_vec(), None)
        .await
        .unwrap();
    let file = client
        .complete_upload(&up.upload_id, &api::CompleteUpload::default())
        .await
        .unwrap()
        .expect("published at once");
    file.id
}

fn download_link() -> api::CreateLink {
    api::CreateLink {
        expires_in: Some(3600),
        max_downloads: None,
        watermark: None,
        password: None,
        show_location: None,
    }
}

async fn eicar_through_every_door_is_quarantined(backend: Backend) {
    if !clamd_available() {
        return;
    }
    let clamd = Clamd::start().await;
    let app = spawn(backend, Some(clamd.port), "block_until_clean").await;
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let hook = app
        .admin
        .create_webhook(&api::CreateWebhook {
            url: "http://127.0.0.1:9/hook".into(),
            events: vec!["file.infected".into()],
            description: None,
        })
        .await
        .unwrap();

    let virus = eicar();
    let simple = alice
        .upload(&folder.id, "simple.com", virus.clone())
        .await
        .unwrap();
    assert_eq!(simple.scan.status, "pending");
    let resumable = resumable_upload(&alice, &folder.id, "resumable.com", &virus).await;
    let tus = tus_upload(&alice, &folder.id, "tus.com", &virus).await;
    let upload_link = alice
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
    let via_link = app
        .anon
        .upload_to_link(
            &upload_link.url,
            "via-link.com",
            virus.clone(),
            &Uploader::default(),
        )
        .await
        .unwrap();
    let clean = alice
        .upload(&folder.id, "clean.txt", b"nothing to see here".to_vec())
        .await
        .unwrap();
    let link = alice
        .create_link(&simple.id, &download_link())
        .await
        .unwrap();
    let ids = [simple.id.clone(), resumable, tus, via_link.id.clone()];

    settled(&app, &alice, &simple.id, "infected").await;
    settled(&app, &alice, &clean.id, "clean").await;

    for id in &ids {
        let scan = status(&alice, id).await;
        assert_eq!(
            (scan.status.as_str(), scan.signature.as_deref()),
            ("infected", Some(SIGNATURE)),
            "{id}"
        );
        assert!(scan.scanned_at.is_some());
        let body = assert_api_error(alice.content(id, &[]).await, 403, "file_infected");
        assert_eq!(body.error.details.unwrap()["signature"], SIGNATURE);
        // The admin cannot fetch it either, nor an archive holding it.
        assert_api_error(app.admin.content(id, &[]).await, 403, "file_infected");
        assert_api_error(
            alice.archive(std::slice::from_ref(id), &[]).await,
            403,
            "file_infected",
        );
    }
    assert_api_error(
        app.anon.link_content(&link.url, &[]).await,
        403,
        "file_infected",
    );
    // Nor a preview or thumbnail of it.
    for path in ["preview", "thumbnails/m"] {
        let res = alice
            .request(Method::GET, &format!("/files/{}/{path}", simple.id))
            .send()
            .await
            .unwrap();
        assert_api_error(
            crate::helpers::parse::<serde_json::Value>(res).await,
            403,
            "file_infected",
        );
    }
    // A folder archive leaves quarantined content out.
    let zip = alice.folder_archive(&folder.id, &[]).await.unwrap();
    assert_eq!(zip.status(), StatusCode::OK);
    let zip = zip.bytes().await.unwrap();
    assert!(zip.windows(9).any(|w| w == b"clean.txt"));
    assert!(!zip.windows(10).any(|w| w == b"simple.com"));

    let scan = status(&alice, &clean.id).await;
    assert_eq!((scan.status.as_str(), scan.signature), ("clean", None));
    let ok = alice.content(&clean.id, &[]).await.unwrap();
    assert_eq!(ok.bytes().await.unwrap().as_ref(), b"nothing to see here");

    // Audited once per file, sent as a webhook, and the owner is told.
    let events = app
        .admin
        .audit_events(&[("action", "file.infected")])
        .await
        .unwrap()
        .events;
    let mut targets: Vec<&str> = events.iter().map(|e| e.target.id.as_str()).collect();
    targets.sort();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(targets, expected);
    assert!(events.iter().all(|e| e.details["signature"] == SIGNATURE));
    let deliveries = app
        .admin
        .webhook_deliveries(&hook.id, None, None)
        .await
        .unwrap()
        .deliveries;
    assert_eq!(deliveries.len(), 4, "{deliveries:?}");
    assert!(deliveries.iter().all(|d| d.event_type == "file.infected"));
    let notices = alice.notices(false, None, None).await.unwrap().notices;
    let infected: Vec<_> = notices
        .iter()
        .filter(|n| n.kind == "file.infected")
        .collect();
    assert_eq!(infected.len(), 4, "{notices:?}");
    // Identical content is scanned once: one clamd answer for the four files.
    let log = std::fs::read_to_string(clamd._dir.path().join("clamd.log")).unwrap_or_default();
    assert_eq!(log.matches("FOUND").count(), 1, "{log}");
}

async fn block_until_clean_holds_content_and_links_until_clean(backend: Backend) {
    if !clamd_available() {
        return;
    }
    let clamd = Clamd::start().await;
    let app = spawn(backend, Some(clamd.port), "block_until_clean").await;
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("docs", 0).await.unwrap();
    let file = alice
        .upload(&folder.id, "report.txt", b"quarterly numbers".to_vec())
        .await
        .unwrap();
    assert_eq!(file.scan.status, "pending");
    let link = alice.create_link(&file.id, &download_link()).await.unwrap();
    assert_api_error(alice.content(&file.id, &[]).await, 409, "scan_pending");
    assert_api_error(
        app.anon.link_content(&link.url, &[]).await,
        409,
        "scan_pending",
    );
    assert_api_error(
        alice.archive(std::slice::from_ref(&file.id), &[]).await,
        409,
        "scan_pending",
    );

    settled(&app, &alice, &file.id, "clean").await;
    let body = alice.content(&file.id, &[]).await.unwrap();
    assert_eq!(body.bytes().await.unwrap().as_ref(), b"quarterly numbers");
    let via_link = app.anon.link_content(&link.url, &[]).await.unwrap();
    assert_eq!(
        via_link.bytes().await.unwrap().as_ref(),
        b"quarterly numbers"
    );
    // /readyz tells that clamd answers.
    let ready = app.readyz().await;
    assert_eq!(ready["details"]["clamd"], "up", "{ready}");
}

async fn allow_pending_serves_until_the_scan_finds_something(backend: Backend) {
    if !clamd_available() {
        return;
    }
    let clamd = Clamd::start().await;
    let app = spawn(backend, Some(clamd.port), "allow_pending").await;
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let file = alice.upload(&folder.id, "x.com", eicar()).await.unwrap();
    assert_eq!(file.scan.status, "pending");
    let early = alice.content(&file.id, &[]).await.unwrap();
    assert_eq!(early.bytes().await.unwrap().to_vec(), eicar());

    settled(&app, &alice, &file.id, "infected").await;
    assert_api_error(alice.content(&file.id, &[]).await, 403, "file_infected");
}

async fn clamd_down_means_error_retried_and_never_clean(backend: Backend) {
    if !clamd_available() {
        return;
    }
    let port = free_port();
    let app = spawn(backend, Some(port), "block_until_clean").await;
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let file = alice.upload(&folder.id, "late.com", eicar()).await.unwrap();

    let scan = settled(&app, &alice, &file.id, "error").await;
    assert_eq!(scan.scanned_at, None);
    assert_api_error(alice.content(&file.id, &[]).await, 409, "scan_pending");
    let ready = app.readyz().await;
    assert!(
        ready["details"]["clamd"]
            .as_str()
            .unwrap()
            .starts_with("down"),
        "{ready}"
    );

    // The retry's time has full jitter (anything from 0 to the bound), so a test that waited
    // for a random one could see it come at once: pin it ten minutes ahead, as the worker
    // records it, and check that nothing happens before it.
    use ferry_app::clock::Clock;
    let retry_at = app.clock.now_ms() + 600_000;
    {
        let state = app.server.as_ref().unwrap().state();
        let mut conn = state.store.conn().await.unwrap();
        sqlx::query("UPDATE blob_scans SET next_attempt_at = $1 WHERE sha256 = $2")
            .bind(retry_at)
            .bind(&file.checksum_sha256)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    // clamd comes up; the retry, once due, finds the virus.
    let _clamd = Clamd::start_on(port).await;
    app.run_jobs().await;
    assert_eq!(
        status(&alice, &file.id).await.status,
        "error",
        "not before its time"
    );
    app.clock.advance(Duration::from_millis(601_000));
    settled(&app, &alice, &file.id, "infected").await;
    assert_api_error(alice.content(&file.id, &[]).await, 403, "file_infected");
}

async fn without_clamd_files_are_skipped_and_served(backend: Backend) {
    let app = spawn(backend, None, "block_until_clean").await;
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let file = alice
        .upload(&folder.id, "a.txt", b"hello".to_vec())
        .await
        .unwrap();
    assert_eq!(file.scan.status, "skipped");
    let body = alice.content(&file.id, &[]).await.unwrap();
    assert_eq!(body.bytes().await.unwrap().as_ref(), b"hello");
    app.run_jobs().await;
    assert_eq!(status(&alice, &file.id).await.status, "skipped");
    let ready = app.readyz().await;
    assert!(ready["details"].get("clamd").is_none(), "{ready}");
}
