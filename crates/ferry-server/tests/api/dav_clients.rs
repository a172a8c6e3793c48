//! Real WebDAV clients against `/dav/`: the litmus compliance suites (basic, copymove,
//! props, locks, http) and rclone's webdav backend (copy, check and sync of a 200-file tree,
//! both ways), and curl's partial PUTs (`Content-Range`). All are Debian packages (`apt-get install litmus rclone`, done by `.ci/run`).
//! Without them a test says it skipped, unless `FERRY_TEST_REQUIRE_DAV_CLIENTS` is set (CI
//! sets it), where a missing client fails the test.

use std::path::Path;
use std::process::Command;

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    litmus_passes_every_suite,
    rclone_copies_checks_and_syncs_both_ways,
    curl_puts_byte_ranges_into_a_file
);

/// Whether `program` runs here; `false` (after saying so) lets a test skip, except in CI.
fn have(program: &str, version_arg: &str) -> bool {
    let found = Command::new(program)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success() || !o.stdout.is_empty());
    if !found {
        assert!(
            std::env::var_os("FERRY_TEST_REQUIRE_DAV_CLIENTS").is_none(),
            "{program} is not installed but FERRY_TEST_REQUIRE_DAV_CLIENTS is set \
             (apt-get install litmus rclone)"
        );
        eprintln!("SKIPPED: {program} is not installed (apt-get install litmus rclone)");
    }
    found
}

async fn litmus_passes_every_suite(app: TestApp) {
    if !have("litmus", "--version") {
        return;
    }
    app.user("litmus", None).await;
    let url = format!("{}/dav/", app.url);
    let work = tempfile::tempdir().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        // litmus writes its debug.log into the working directory.
        Command::new("litmus")
            .current_dir(work.path())
            .env("TESTS", "basic copymove props locks http")
            .args([url.as_str(), "litmus", "password-litmus"])
            .output()
            .expect("litmus runs")
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for suite in ["basic", "copymove", "props", "locks", "http"] {
        let summary = text
            .lines()
            .find(|l| l.contains(&format!("summary for `{suite}'")))
            .unwrap_or_else(|| panic!("no summary for {suite}:\n{text}"));
        assert!(
            summary.contains(" 0 failed") && summary.ends_with("100.0%"),
            "litmus {suite}: {summary}\n{text}"
        );
    }
    assert!(out.status.success(), "{text}");
}

/// Runs rclone with a `ferry:` remote pointing at the server as `login`.
fn rclone(app_url: &str, login: &str, args: &[&str]) -> (bool, String) {
    let obscured = Command::new("rclone")
        .args(["obscure", &format!("password-{login}")])
        .output()
        .expect("rclone runs");
    let pass = String::from_utf8_lossy(&obscured.stdout).trim().to_string();
    let out = Command::new("rclone")
        .env("RCLONE_CONFIG", "/dev/null")
        .env("RCLONE_CONFIG_FERRY_TYPE", "webdav")
        .env("RCLONE_CONFIG_FERRY_URL", format!("{app_url}/dav/"))
        .env("RCLONE_CONFIG_FERRY_VENDOR", "other")
        .env("RCLONE_CONFIG_FERRY_USER", login)
        .env("RCLONE_CONFIG_FERRY_PASS", pass)
        .args(args)
        .output()
        .expect("rclone runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// 200 files of different sizes in nested folders, a few with names that need encoding.
fn make_tree(root: &Path) {
    for i in 0..200usize {
        let dir = match i % 4 {
            0 => root.to_path_buf(),
            1 => root.join("a"),
            2 => root.join("a").join("b c"),
            _ => root.join("d\u{e9}j\u{e0} vu"),
        };
        std::fs::create_dir_all(&dir).unwrap();
        let body: Vec<u8> = (0..(i * 131 % 5000)).map(|n| (n * 7 + i) as u8).collect();
        std::fs::write(dir.join(format!("file {i}.bin")), body).unwrap();
    }
}

fn same_trees(a: &Path, b: &Path) {
    let out = Command::new("diff")
        .arg("-r")
        .arg(a)
        .arg(b)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

async fn rclone_copies_checks_and_syncs_both_ways(app: TestApp) {
    if !have("rclone", "version") {
        return;
    }
    let (_, alice) = app.user("alice", None).await;
    alice.create_folder("Sync", 0).await.unwrap();
    let url = app.url.clone();
    tokio::task::spawn_blocking(move || {
        let local = tempfile::tempdir().unwrap();
        let up = local.path().join("up");
        make_tree(&up);
        let up_s = up.to_str().unwrap();

        let (ok, log) = rclone(&url, "alice", &["copy", up_s, "ferry:Sync/tree"]);
        assert!(ok, "rclone copy up: {log}");
        let (ok, log) = rclone(&url, "alice", &["check", up_s, "ferry:Sync/tree"]);
        assert!(ok, "rclone check: {log}");
        assert!(log.contains("200 matching files"), "{log}");

        let down = local.path().join("down");
        let (ok, log) = rclone(
            &url,
            "alice",
            &["copy", "ferry:Sync/tree", down.to_str().unwrap()],
        );
        assert!(ok, "rclone copy down: {log}");
        same_trees(&up, &down);

        // Change the local tree: one file changed, one gone, one new; sync makes the server
        // the same (the change a new version, the removal into the trash).
        std::fs::write(up.join("file 0.bin"), b"changed").unwrap();
        std::fs::remove_file(up.join("a").join("file 1.bin")).unwrap();
        std::fs::write(up.join("a").join("new.txt"), b"new").unwrap();
        let (ok, log) = rclone(&url, "alice", &["sync", up_s, "ferry:Sync/tree"]);
        assert!(ok, "rclone sync up: {log}");
        let (ok, log) = rclone(&url, "alice", &["check", up_s, "ferry:Sync/tree"]);
        assert!(
            ok && log.contains("200 matching files"),
            "check after sync: {log}"
        );

        // And back down: the local copy follows the server.
        let (ok, log) = rclone(
            &url,
            "alice",
            &["sync", "ferry:Sync/tree", down.to_str().unwrap()],
        );
        assert!(ok, "rclone sync down: {log}");
        same_trees(&up, &down);
    })
    .await
    .unwrap();
    let changed = alice.resolve("/Sync/tree/file 0.bin").await.unwrap();
    assert_eq!(
        changed.file.unwrap().version,
        2,
        "a changed file is a new version"
    );
    let trash = alice.trash(None, None).await.unwrap();
    assert!(
        trash.items.iter().any(|i| i.name == "file 1.bin"),
        "a removed file is in the trash"
    );
}

/// `curl -T` of `bytes` to `/dav/Docs/log.txt` as alice, with `Content-Range: bytes {range}`
/// when given; the HTTP status.
async fn curl_put(app_url: &str, bytes: &[u8], range: Option<&str>) -> u16 {
    let body = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(body.path(), bytes).unwrap();
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .args(["-u", "alice:password-alice", "-T"])
        .arg(body.path());
    if let Some(r) = range {
        cmd.args(["-H", &format!("Content-Range: bytes {r}")]);
    }
    cmd.arg(format!("{app_url}/dav/Docs/log.txt"));
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("curl runs"))
        .await
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("curl: {out:?}"))
}

/// Partial PUTs as Apache's mod_dav and SabreDAV take them (`curl -T part -H 'Content-Range:
/// bytes START-END/*'`): each one is the file's next version with those bytes replaced (or
/// appended), the rest kept; a range past the end, or one whose length is not the body's, is
/// refused and changes nothing.
async fn curl_puts_byte_ranges_into_a_file(app: TestApp) {
    if !have("curl", "--version") {
        return;
    }
    let (_, alice) = app.user("alice", None).await;
    alice.create_folder("Docs", 0).await.unwrap();
    let url = app.url.as_str();
    assert_eq!(curl_put(url, b"Hello, world!", None).await, 201);
    // Overwrite the middle, then append at the end.
    assert_eq!(curl_put(url, b"WORLD", Some("7-11/13")).await, 204);
    assert_eq!(curl_put(url, b" Bye.", Some("13-17/*")).await, 204);
    let content = || async {
        let found = alice.resolve("/Docs/log.txt").await.unwrap().file.unwrap();
        let bytes = alice.download(&found.id, &[]).await.unwrap().body;
        (found, bytes)
    };
    let (file, bytes) = content().await;
    assert_eq!(&bytes[..], b"Hello, WORLD! Bye.");
    assert_eq!(file.version, 3, "each partial PUT is a whole new version");
    assert_eq!(
        file.checksum_sha256,
        crate::helpers::sha256_hex(b"Hello, WORLD! Bye.")
    );

    // A hole (a range that starts past the end) is refused; nothing changes.
    assert_eq!(curl_put(url, b"??", Some("40-41/*")).await, 416);
    // So is a Content-Range whose length is not the body's.
    assert_eq!(curl_put(url, b"abc", Some("0-9/*")).await, 416);
    let (after, bytes) = content().await;
    assert_eq!(after.version, 3);
    assert_eq!(&bytes[..], b"Hello, WORLD! Bye.");
}
