//! `ferry serve` as an operator runs it: a second Ctrl-C stops at once, logs carry no colour
//! codes off a terminal and one access line per request, and a lost admin password is set
//! offline with `ferry admin reset-password`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ferry_client::Client;
use tokio::io::AsyncWriteExt;

use super::{Ferry, PASSWORD};

fn signal(ferry: &Ferry, sig: libc::c_int) {
    let pid = ferry.child.id() as libc::pid_t;
    // SAFETY: kill only sends a signal to our own child process, whose pid we hold.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0, "kill failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ctrl_c_stops_at_once_while_a_request_is_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let mut ferry = Ferry::start(dir.path()).await;
    // A JSON body that never finishes keeps a request in flight (for up to 30 s by default).
    let mut stream = tokio::net::TcpStream::connect(ferry.url.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(
            b"POST /api/v1/auth/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(&ferry, libc::SIGINT);
    // The first signal waits for the request (the grace period is 30 s)...
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        ferry.child.try_wait().unwrap().is_none(),
        "stopped before the grace period"
    );
    // ...the second does not.
    let second = Instant::now();
    signal(&ferry, libc::SIGINT);
    let status = loop {
        if let Some(status) = ferry.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            second.elapsed() < Duration::from_secs(10),
            "still running after a second signal"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status.code(), Some(130));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_off_a_terminal_are_plain_with_one_access_line_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ferry.log");
    let data = dir.path().join("data");
    let ferry = Ferry::start_with(&data, Some(&log), &[]).await;
    let res = reqwest::get(format!("{}/api/v1/folders?cursor=secret-cursor", ferry.url))
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(ferry);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains('\u{1b}'),
        "ANSI escape codes in a log file:\n{text}"
    );
    let access: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("ferry::access") && l.contains("/api/v1/folders"))
        .collect();
    assert_eq!(access.len(), 1, "{text}");
    assert!(access[0].contains("status=401"), "{}", access[0]);
    assert!(access[0].contains("method=GET"), "{}", access[0]);
    // The query (which may hold a token or a cursor) is not logged.
    assert!(!access[0].contains("secret-cursor"), "{}", access[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_admin_password_is_reset_offline_and_the_ignored_setting_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut ferry = Ferry::start(&data).await;
    let old_token = Client::new(&ferry.url)
        .login("admin", PASSWORD)
        .await
        .unwrap()
        .access_token;
    ferry.kill9();

    let mut reset = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "admin",
            "reset-password",
            "admin",
            "--password-stdin",
            "--data-dir",
        ])
        .arg(&data)
        .env_remove("FERRY_DATABASE__URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    reset
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-brand-new-password\n")
        .unwrap();
    let out = reset.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Set the password of admin ("));

    // Started again with the old FERRY_ADMIN__PASSWORD still set: it is ignored, and said so.
    let log = dir.path().join("ferry.log");
    let ferry = Ferry::start_with(&data, Some(&log), &[]).await;
    let anon = Client::new(&ferry.url);
    assert!(anon.login("admin", PASSWORD).await.is_err());
    anon.login("admin", "a-brand-new-password").await.unwrap();
    // The session from before the reset has ended.
    let old = anon.with_token(old_token).me().await.unwrap_err();
    assert_eq!(old.code(), Some("unauthorized"));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("admin.password (FERRY_ADMIN__PASSWORD) is only used"),
        "{text}"
    );

    // An unknown login and a missing database are clear errors.
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "admin",
            "reset-password",
            "nobody",
            "--password-stdin",
            "--data-dir",
        ])
        .arg(dir.path().join("no-such-dir"))
        .env_remove("FERRY_DATABASE__URL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no_database"));
    drop(ferry);
    let mut unknown = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "admin",
            "reset-password",
            "nobody",
            "--password-stdin",
            "--data-dir",
        ])
        .arg(&data)
        .env_remove("FERRY_DATABASE__URL")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    unknown
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-brand-new-password\n")
        .unwrap();
    let out = unknown.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not_found"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listening_on_all_addresses_without_a_public_url_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ferry.log");
    let file = std::fs::File::create(&log).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .env("FERRY_ADMIN__PASSWORD", PASSWORD)
        .env_remove("FERRY_DATABASE__URL")
        .env_remove("FERRY_SERVER__PUBLIC_URL")
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let started = Instant::now();
    let text = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("ferry is listening") || started.elapsed() > Duration::from_secs(30) {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(text.contains("set server.public_url"), "{text}");
    assert!(text.contains("FERRY_SERVER__PUBLIC_URL"), "{text}");
}

/// A database migrated by a newer Ferry (a schema version this binary does not know) is
/// refused at start, with a message that says what happened and what to do; nothing is
/// changed in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_database_newer_than_itself() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let url = ferry_store::Store::sqlite_url_in(&data);
    let store = ferry_store::Store::connect(&url).await.unwrap();
    store.close().await;
    // What a future Ferry leaves behind: one more applied migration.
    let pool = sqlx::sqlite::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, X'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("FERRY_ADMIN__PASSWORD", PASSWORD)
        .env_remove("FERRY_DATABASE__URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("schema version 9999") && err.contains("upgraded by a newer Ferry"),
        "{err}"
    );
    // Still the future's database: nothing was migrated or rolled back.
    let pool = sqlx::sqlite::SqlitePool::connect(&url).await.unwrap();
    let max: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(max, 9999);
}
