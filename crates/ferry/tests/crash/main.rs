//! The real `ferry` binary as a process. Crash safety: it is killed with SIGKILL in the middle
//! of a part and in the middle of completion, then restarted on the same data. No acknowledged
//! part is lost, no partial or unverified file is published, and nothing is left behind after
//! the sweep. (SQLite: the database's own durability is not what is under test here.)
//! Signals, logs and offline administration are in `process`.

mod cluster;
mod process;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ferry_api as api;
use ferry_client::Client;
use futures::StreamExt;
use sha2::Digest;

const PASSWORD: &str = "crash-test-password";
const MIB: usize = 1 << 20;

struct Ferry {
    child: Child,
    url: String,
}

impl Ferry {
    async fn start(data: &Path) -> Ferry {
        Self::start_with(data, None, &[]).await
    }

    /// Starts on `data`, writing the server's output to `log` (if given), with extra
    /// environment variables.
    async fn start_with(data: &Path, log: Option<&Path>, env: &[(&str, &str)]) -> Ferry {
        // The port is found free and then handed to the child, so something else may take it
        // in between: a child that exits at once gets another port.
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
            cmd.args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data)
            .env("FERRY_ADMIN__PASSWORD", PASSWORD)
            .env("FERRY_STORAGE__GC_INTERVAL_SECS", "1")
            .env("FERRY_RATE_LIMITS__EXEMPT_LOOPBACK", "true")
            .env_remove("FERRY_DATABASE__URL")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
            if let Some(log) = log {
                let file = std::fs::File::create(log).expect("log file");
                cmd.stdout(file.try_clone().unwrap()).stderr(file);
            }
            // Owned by `Ferry` at once, whose Drop kills and reaps it on every path.
            let mut ferry = Ferry {
                child: cmd.spawn().expect("ferry starts"),
                url: format!("http://127.0.0.1:{port}"),
            };
            for _ in 0..600 {
                let ready = reqwest::get(format!("{}/readyz", ferry.url)).await;
                if ready.is_ok_and(|r| r.status() == 200) {
                    return ferry;
                }
                if ferry.child.try_wait().unwrap().is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        panic!("ferry did not become ready");
    }

    fn kill9(&mut self) {
        // Child::kill sends SIGKILL on Unix: no shutdown code runs.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    async fn admin(&self) -> Client {
        let c = Client::new(&self.url);
        let s = c.login("admin", PASSWORD).await.unwrap();
        c.with_token(s.access_token)
    }
}

impl Drop for Ferry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + (i >> 10)) as u8).collect()
}

fn sha(b: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(b))
}

fn part(bytes: &[u8], n: i64) -> Vec<u8> {
    let ps = 5 * MIB;
    let start = (n as usize - 1) * ps;
    bytes[start..(start + ps).min(bytes.len())].to_vec()
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_part_and_mid_complete_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = data(14 * MIB);
    let mut ferry = Ferry::start(dir.path()).await;
    let admin = ferry.admin().await;
    let folder = admin.create_folder("crash", 0).await.unwrap();
    let create = api::CreateUpload {
        uploader_name: None,
        uploader_email: None,
        folder_id: folder.id.clone(),
        filename: "survivor.bin".into(),
        size: bytes.len() as i64,
        checksum_sha256: Some(sha(&bytes)),
        part_size: Some(5 * MIB as i64),
        on_conflict: None,
        relative_path: None,
        modified_at: None,
    };
    let up = admin.create_upload(&create).await.unwrap();
    admin
        .put_part(&up.upload_id, 1, part(&bytes, 1), None)
        .await
        .unwrap();
    admin
        .put_part(&up.upload_id, 3, part(&bytes, 3), None)
        .await
        .unwrap();

    // Part 2 trickles in; the server dies half way through it.
    let slow_part = part(&bytes, 2);
    // Two MiB of it, then nothing more: the part is still in flight whenever the kill lands.
    let chunks: Vec<Vec<u8>> = slow_part.chunks(MIB).take(2).map(<[u8]>::to_vec).collect();
    let trickle = futures::stream::iter(chunks)
        .then(|c| async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok::<_, std::io::Error>(c)
        })
        .chain(futures::stream::pending());
    let sender = {
        let admin = admin.clone();
        let id = up.upload_id.clone();
        tokio::spawn(async move {
            let body = reqwest::Body::wrap_stream(trickle);
            admin.put_part(&id, 2, body, None).await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    ferry.kill9();
    assert!(
        sender.await.unwrap().is_err(),
        "the interrupted part was not acknowledged"
    );

    let mut ferry = Ferry::start(dir.path()).await;
    let admin = ferry.admin().await;
    let status = admin.get_upload(&up.upload_id).await.unwrap();
    assert_eq!(
        status.received_parts,
        vec![1, 3],
        "acknowledged parts survive, the torn one does not"
    );
    admin
        .put_part(&up.upload_id, 2, part(&bytes, 2), None)
        .await
        .unwrap();

    // Kill right after asking for completion.
    let completer = {
        let admin = admin.clone();
        let id = up.upload_id.clone();
        tokio::spawn(async move {
            admin
                .complete_upload(&id, &api::CompleteUpload::default())
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    ferry.kill9();
    let _ = completer.await;

    let ferry = Ferry::start(dir.path()).await;
    let admin = ferry.admin().await;
    // Whatever state the kill left (open, completing or completed), completing again ends in the
    // one verified file.
    let mut file = None;
    for _ in 0..600 {
        match admin
            .complete_upload(&up.upload_id, &api::CompleteUpload::default())
            .await
            .unwrap()
        {
            Ok(f) => {
                file = Some(f);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let file = file.expect("upload completes after restart");
    assert_eq!(file.checksum_sha256, sha(&bytes));
    let listed = admin.list_files(&folder.id, None, None).await.unwrap();
    assert_eq!(listed.files.len(), 1, "exactly one file published");
    let got = admin.download(&file.id, &[]).await.unwrap();
    assert_eq!(sha(&got.body), sha(&bytes));

    // After the sweep (every second here) nothing is left in staging or upload data.
    for _ in 0..200 {
        if count(&dir.path().join("uploads")) + count(&dir.path().join("staging")) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count(&dir.path().join("uploads")), 0);
    assert_eq!(count(&dir.path().join("staging")), 0);
    drop(ferry);
}
