//! `ferry sync`: one-way mirrors up and down, re-runs that send nothing, `--delete` and
//! `--dry-run`, renames and odd Unicode names, and a run killed mid-file that resumes.

use std::path::Path;

use ferry_core::validate::name_key;
use serde_json::Value;

use crate::helpers::{MIB, TestServer, data, read, run_until, sha, stderr, stdout, upload_id};

/// `ferry sync ARGS --json`, expecting success: its report.
fn sync(t: &TestServer, args: &[&str]) -> Value {
    let mut all = vec!["sync"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = t.ferry().args(&all).output().unwrap();
    assert!(out.status.success(), "{all:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)))
}

/// A report's list `field`, sorted.
fn list(report: &Value, field: &str) -> Vec<String> {
    let mut items: Vec<String> = report[field]
        .as_array()
        .unwrap_or_else(|| panic!("no {field} in {report}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    items.sort();
    items
}

/// The file at `path` on the server (through the API), if there is one.
fn remote_file(t: &TestServer, path: &str) -> Option<ferry_api::File> {
    t.resolved(path).and_then(|r| r.file)
}

#[test]
fn sync_up_mirrors_a_tree_and_sends_only_what_changed() {
    let t = TestServer::start();
    t.login();
    t.file("src/a.txt", b"alpha");
    t.file("src/sub/b.bin", &data(MIB + 17, 1));
    t.file("src/sub/deeper/c.txt", b"gamma");
    std::fs::create_dir_all(t.path("src/empty")).unwrap();

    // The destination does not exist yet: it is made with its parents.
    let first = sync(&t, &["src", "Mirror/inner"]);
    assert_eq!(
        list(&first, "transferred"),
        ["a.txt", "sub/b.bin", "sub/deeper/c.txt"]
    );
    assert_eq!(first["unchanged"], 0);
    assert_eq!(
        list(&first, "folders_created"),
        ["empty", "sub", "sub/deeper"]
    );
    let b = remote_file(&t, "/Mirror/inner/sub/b.bin").expect("b.bin uploaded");
    assert_eq!(b.checksum_sha256, sha(&data(MIB + 17, 1)));
    assert!(b.client_modified_at.is_some(), "the local mtime is kept");
    assert!(
        t.resolved("/Mirror/inner/empty").is_some(),
        "empty dirs too"
    );

    // Nothing changed: nothing is sent.
    let again = sync(&t, &["src", "Mirror/inner"]);
    assert!(list(&again, "transferred").is_empty(), "{again}");
    assert_eq!(again["unchanged"], 3);
    assert!(list(&again, "folders_created").is_empty());

    // One file changed, one only touched (new mtime, same bytes): only the changed one goes,
    // as the next version of the file that is there.
    t.file("src/a.txt", b"alpha, edited");
    let touched = std::fs::File::options()
        .write(true)
        .open(t.path("src/sub/deeper/c.txt"))
        .unwrap();
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    touched.set_modified(day_ago).unwrap();
    let edited = sync(&t, &["src", "Mirror/inner"]);
    assert_eq!(list(&edited, "transferred"), ["a.txt"]);
    assert_eq!(edited["unchanged"], 2);
    let a = remote_file(&t, "/Mirror/inner/a.txt").unwrap();
    assert_eq!(a.version, 2);
    assert_eq!(a.checksum_sha256, sha(b"alpha, edited"));

    // Gone locally: a dry run only says so; --delete moves it to the trash.
    std::fs::remove_dir_all(t.path("src/sub/deeper")).unwrap();
    std::fs::remove_file(t.path("src/a.txt")).unwrap();
    t.file("src/d.txt", b"delta");
    let out = t
        .ferry()
        .args(["sync", "src", "Mirror/inner", "--delete", "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("Would upload d.txt (5 B, new)"), "{said}");
    assert!(said.contains("Would delete sub/deeper"), "{said}");
    assert!(said.contains("Would delete a.txt"), "{said}");
    assert!(
        stdout(&out).contains("dry run: nothing was changed"),
        "{}",
        stdout(&out)
    );
    assert!(t.resolved("/Mirror/inner/sub/deeper").is_some());
    assert!(t.resolved("/Mirror/inner/d.txt").is_none());

    let deleted = sync(&t, &["src", "Mirror/inner", "--delete"]);
    assert_eq!(list(&deleted, "transferred"), ["d.txt"]);
    assert_eq!(list(&deleted, "deleted"), ["a.txt", "sub/deeper"]);
    assert!(t.resolved("/Mirror/inner/sub/deeper").is_none());
    assert!(t.resolved("/Mirror/inner/a.txt").is_none());
    assert!(t.resolved("/Mirror/inner/sub/b.bin").is_some());
    let trash = t.rt.block_on(t.admin.trash(None, None)).unwrap();
    assert_eq!(trash.items.len(), 2, "into the trash: {trash:?}");
    // Without --delete, extras stay.
    t.put(
        &t.resolved("/Mirror/inner").unwrap().folder.unwrap(),
        "extra.txt",
        b"x",
    );
    let kept = sync(&t, &["src", "Mirror/inner"]);
    assert!(list(&kept, "deleted").is_empty());
    assert!(t.resolved("/Mirror/inner/extra.txt").is_some());
}

#[test]
fn sync_down_mirrors_a_folder_and_follows_renames() {
    let t = TestServer::start();
    t.login();
    let top = t.folder("Shared");
    let sub = t.subfolder(&top, "Reports");
    t.put(&top, "plan.txt", b"the plan");
    t.put(&sub, "q1.csv", &data(300_000, 2));
    t.subfolder(&sub, "Empty");

    let first = sync(&t, &["--down", "Shared", "local"]);
    assert_eq!(list(&first, "transferred"), ["Reports/q1.csv", "plan.txt"]);
    assert_eq!(read(&t.path("local/plan.txt")), b"the plan");
    assert_eq!(read(&t.path("local/Reports/q1.csv")), data(300_000, 2));
    assert!(t.path("local/Reports/Empty").is_dir());

    // The downloaded files carry the server's time: a re-run reads nothing and sends nothing.
    let again = sync(&t, &["--down", "Shared", "local"]);
    assert!(list(&again, "transferred").is_empty(), "{again}");
    assert_eq!(again["unchanged"], 2);

    // Renamed on the server, a local extra: with --delete the local copy follows.
    t.ok(&["rename", "Shared/plan.txt", "plan v2.txt"]);
    t.file("local/Reports/mine.txt", b"not on the server");
    let renamed = sync(&t, &["--down", "Shared", "local", "--delete"]);
    assert_eq!(list(&renamed, "transferred"), ["plan v2.txt"]);
    assert_eq!(list(&renamed, "deleted"), ["Reports/mine.txt", "plan.txt"]);
    assert!(!t.path("local/plan.txt").exists());
    assert!(!t.path("local/Reports/mine.txt").exists());
    assert_eq!(read(&t.path("local/plan v2.txt")), b"the plan");
}

#[test]
fn sync_handles_renames_and_odd_unicode_names() {
    let t = TestServer::start();
    t.login();
    // Decomposed (NFD, as macOS writes it), other scripts, emoji, spaces, a leading dot.
    let names = [
        "Cafe\u{301} menu.txt",
        "日本語 ファイル.md",
        "Ünïcødé — 🚀 ✓.bin",
        ".hidden file",
        "Ordner ß/Straße.txt",
    ];
    for (i, name) in names.iter().enumerate() {
        t.file(&format!("odd/{name}"), &data(1000 + i, i as u64));
    }
    let first = sync(&t, &["odd", "Odd"]);
    assert_eq!(first["transferred"].as_array().unwrap().len(), names.len());
    let again = sync(&t, &["odd", "Odd"]);
    assert!(list(&again, "transferred").is_empty(), "{again}");
    assert_eq!(again["unchanged"], names.len());

    // A local rename: the new name goes up, the old one goes with --delete, nothing else moves.
    std::fs::rename(
        t.path("odd/日本語 ファイル.md"),
        t.path("odd/日本語 ファイル (改).md"),
    )
    .unwrap();
    let renamed = sync(&t, &["odd", "Odd", "--delete"]);
    assert_eq!(list(&renamed, "transferred"), ["日本語 ファイル (改).md"]);
    assert_eq!(list(&renamed, "deleted"), ["日本語 ファイル.md"]);
    assert_eq!(renamed["unchanged"], names.len() - 1);

    // And back down into a fresh directory, byte for byte.
    let down = sync(&t, &["--down", "Odd", "back"]);
    assert_eq!(down["transferred"].as_array().unwrap().len(), names.len());
    let back = |name: &str| find_nfc(&t.path("back"), name);
    assert_eq!(back("Café menu.txt"), data(1000, 0));
    assert_eq!(back("Ordner ß/Straße.txt"), data(1004, 4));
    assert_eq!(back("日本語 ファイル (改).md"), data(1001, 1));
}

/// The bytes of the file whose path below `root`, compared as the server compares names (NFC,
/// case aside), is `rel`.
fn find_nfc(root: &Path, rel: &str) -> Vec<u8> {
    let key = |path: &str| path.split('/').map(name_key).collect::<Vec<_>>();
    let want = key(rel);
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let below = path.strip_prefix(root).unwrap().to_string_lossy();
            if key(&below) == want {
                return read(&path);
            }
        }
    }
    panic!("no {rel} below {}", root.display())
}

/// Killed (SIGKILL) in the middle of its second file, the same command run again skips the
/// first, resumes the second from the parts the server has and finishes the third.
#[test]
fn a_killed_sync_resumes_without_sending_anything_twice() {
    let t = TestServer::start();
    t.login();
    t.file("tree/a-first.txt", b"first");
    let big = data(12 * MIB, 7);
    t.file("tree/b-big.bin", &big);
    t.file("tree/c-last.txt", b"last");
    // One file and one part at a time at 2 MiB/s: the big file's second part (4 MiB) takes
    // two seconds, so the kill lands inside it.
    let args = [
        "sync",
        "tree",
        "Resume",
        "--transfers",
        "1",
        "--parallel",
        "1",
        "--limit-rate",
        "2MiB",
    ];
    let seen = run_until(&t, &args, |line| line.contains("part 1/2 acknowledged"));
    let upload_id = upload_id(&seen, "b-big.bin");
    assert!(remote_file(&t, "/Resume/a-first.txt").is_some());
    assert!(remote_file(&t, "/Resume/b-big.bin").is_none());

    let out = t.ferry().args(args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let (said, printed) = (stderr(&out), stdout(&out));
    assert!(
        said.contains(&format!("resuming upload {upload_id}: 1 of 2 parts")),
        "{said}"
    );
    assert!(
        !said.contains("part 1/2 acknowledged"),
        "not sent again: {said}"
    );
    assert!(
        !printed.contains("a-first.txt"),
        "not sent again: {printed}"
    );
    assert!(printed.contains("Uploaded b-big.bin"), "{printed}");
    assert!(printed.contains("Uploaded c-last.txt"), "{printed}");
    assert!(
        printed.contains("2 files uploaded (12.0 MiB), 1 unchanged"),
        "{printed}"
    );
    let b = remote_file(&t, "/Resume/b-big.bin").unwrap();
    assert_eq!((b.version, b.checksum_sha256), (1, sha(&big)));
    assert_eq!(remote_file(&t, "/Resume/a-first.txt").unwrap().version, 1);
    assert_eq!(t.resume_files(), 0);
}
