//! Versions from the command line: `ferry versions ls|get|restore|rm`, `ferry upload
//! --on-conflict new-version`, and `ferry rm --permanent` (which purges every version).

use ferry_api as api;
use serde_json::Value;

use crate::helpers::{MIB, TestServer, data, read, run_until, sha, stderr, stdout};

impl TestServer {
    /// Replaces a file's content through the API: its next version.
    fn new_version(&self, file: &api::File, bytes: &[u8]) -> api::File {
        self.rt
            .block_on(self.admin.put_content(&file.id, bytes.to_vec(), None))
            .expect("put content")
    }

    /// A file's versions through the API, newest first.
    fn version_numbers(&self, file: &api::File) -> Vec<i64> {
        self.rt
            .block_on(self.admin.versions(&file.id, None, None))
            .expect("versions")
            .versions
            .iter()
            .map(|v| v.version)
            .collect()
    }
}

#[test]
fn versions_ls_get_restore_and_rm() {
    let t = TestServer::start();
    t.login();
    let docs = t.folder("docs");
    let (v1, v2, v3) = (data(3000, 1), data(5000, 2), data(7000, 3));
    let file = t.put(&docs, "report.txt", &v1);
    t.new_version(&file, &v2);
    let current = t.new_version(&file, &v3);
    assert_eq!(
        (current.id.as_str(), current.version),
        (file.id.as_str(), 3)
    );

    // ls: newest first, by path or id, with sizes and checksums; the text marks the current.
    let list: api::FileVersionList = t.ok_json(&["versions", "ls", "docs/report.txt"]);
    let numbers: Vec<i64> = list.versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, [3, 2, 1]);
    assert_eq!(list.versions[2].checksum_sha256, sha(&v1));
    assert_eq!(list.versions[1].size, 5000);
    assert_eq!(
        list.versions[0]
            .created_by
            .as_ref()
            .map(|u| u.login.as_str()),
        Some("admin")
    );
    let text = t.ok(&["versions", "ls", &file.id]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("/docs/report.txt ({})", file.id));
    assert!(
        lines[1].starts_with("VERSION") && lines[1].ends_with("SHA-256"),
        "{text}"
    );
    assert!(lines[2].starts_with("3* "), "{text}");
    assert!(
        lines[4].starts_with("1 ") && lines[4].ends_with(&sha(&v1)),
        "{text}"
    );

    // get: by default as report.v1.txt, verified; -o and --json; -o - to stdout.
    let text = t.ok(&["versions", "get", "docs/report.txt", "1"]);
    assert!(
        text.starts_with(&format!("Downloaded version 1 of {}", file.id))
            && text.contains("SHA-256 verified"),
        "{text}"
    );
    assert_eq!(read(&t.path("report.v1.txt")), v1);
    let got: Value = t.ok_json(&["versions", "get", &file.id, "2", "-o", "second.bin"]);
    assert_eq!(got["file_id"], file.id.as_str());
    assert_eq!(got["version"], 2);
    assert_eq!(got["checksum_sha256"], sha(&v2).as_str());
    assert_eq!(got["verified"], true);
    assert_eq!(read(&t.path("second.bin")), v2);
    let out = t
        .ferry()
        .args(["versions", "get", &file.id, "2", "-o", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, v2);
    // An existing file is not replaced without --force.
    let err = t.fails(&["versions", "get", &file.id, "2", "-o", "second.bin"]);
    assert!(err.contains("--force"), "{err}");

    // A partial download resumes, held to the version's SHA-256.
    std::fs::write(t.path("report.v3.txt.part"), &v3[..4000]).unwrap();
    let got: Value = t.ok_json(&["versions", "get", "docs/report.txt", "3"]);
    assert_eq!(got["resumed_at"], 4000);
    assert_eq!(read(&t.path("report.v3.txt")), v3);

    // restore: the old content becomes version 4, under the same id.
    let restored: api::File = t.ok_json(&["versions", "restore", "docs/report.txt", "1"]);
    assert_eq!(restored.id, file.id);
    assert_eq!(restored.version, 4);
    assert_eq!(restored.checksum_sha256, sha(&v1));
    let text = t.ok(&["versions", "restore", &file.id, "2"]);
    assert_eq!(
        text.trim(),
        format!(
            "Restored version 2 of /docs/report.txt ({}): it is now version 5 (4.9 KiB)",
            file.id
        )
    );
    assert_eq!(t.version_numbers(&file), [5, 4, 3, 2, 1]);

    // rm: an old version goes; the current one cannot; an unknown number is named.
    let text = t.ok(&["versions", "rm", "docs/report.txt", "2"]);
    assert_eq!(
        text.trim(),
        format!("Deleted version 2 of /docs/report.txt ({})", file.id)
    );
    let gone: Value = t.ok_json(&["versions", "rm", &file.id, "3"]);
    assert_eq!(gone["deleted"], true);
    assert_eq!(gone["version"], 3);
    assert_eq!(t.version_numbers(&file), [5, 4, 1]);

    let err = t.fails(&["versions", "rm", "docs/report.txt", "5"]);
    assert!(
        err.contains("cannot delete version 5 of /docs/report.txt")
            && err.contains("it is the current one")
            && err.contains("(current_version, request req_"),
        "{err}"
    );
    assert_eq!(t.version_numbers(&file), [5, 4, 1]);

    for args in [
        ["versions", "rm", "docs/report.txt", "2"],
        ["versions", "restore", "docs/report.txt", "2"],
        ["versions", "get", "docs/report.txt", "2"],
    ] {
        let err = t.fails(&args);
        assert!(
            err.contains(&format!(
                "/docs/report.txt ({}) has no version 2: it has 1, 4, 5",
                file.id
            )) && err.contains("(not_found)"),
            "{args:?}: {err}"
        );
    }
    let err = t.fails(&["versions", "ls", "docs/nothing.txt"]);
    assert!(
        err.contains("no file `/docs/nothing.txt`") && err.contains("(not_found)"),
        "{err}"
    );
    // Version numbers start at 1: clap says so.
    let out = t
        .ferry()
        .args(["versions", "rm", &file.id, "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn upload_on_conflict_new_version_keeps_the_id() {
    let t = TestServer::start();
    t.login();
    t.folder("docs");
    let path = t.file("notes.txt", b"first draft");
    let first: Vec<api::File> = t.ok_json(&["upload", path.to_str().unwrap(), "docs"]);
    let first = &first[0];
    assert_eq!(first.version, 1);

    // Other content: the next version of the same file.
    std::fs::write(&path, b"second draft, longer").unwrap();
    let args = [
        "upload",
        path.to_str().unwrap(),
        "docs",
        "--on-conflict",
        "new-version",
    ];
    let text = t.ok(&args);
    assert!(
        text.contains(&format!("as version 2 of {} to docs", first.id)),
        "{text}"
    );
    let file: api::File = t.ok_json(&["info", "docs/notes.txt"]);
    assert_eq!((file.id.as_str(), file.version), (first.id.as_str(), 2));
    assert_eq!(file.checksum_sha256, sha(b"second draft, longer"));
    assert_eq!(t.version_numbers(&file), [2, 1]);

    // The same content again: skipped, no new version.
    let text = t.ok(&args);
    assert!(text.contains("Already uploaded"), "{text}");
    let again: Vec<api::File> = t.ok_json(&args);
    assert_eq!(
        (again[0].id.as_str(), again[0].version),
        (first.id.as_str(), 2)
    );
    assert_eq!(t.version_numbers(&file), [2, 1]);

    // Names are compared as the server does, without regard to case.
    let upper = t.file("upper/NOTES.txt", b"third draft");
    let third: Vec<api::File> = t.ok_json(&[
        "upload",
        upper.to_str().unwrap(),
        "docs",
        "--on-conflict",
        "new-version",
    ]);
    assert_eq!(
        (third[0].id.as_str(), third[0].version),
        (first.id.as_str(), 3)
    );
    let text = t.ok(&[
        "upload",
        upper.to_str().unwrap(),
        "docs",
        "--on-conflict",
        "new-version",
    ]);
    assert!(text.contains("Already uploaded"), "{text}");

    // A name not taken yet: a new file, version 1.
    let other = t.file("other.txt", b"other");
    let new: Vec<api::File> = t.ok_json(&[
        "upload",
        other.to_str().unwrap(),
        "docs",
        "--on-conflict",
        "new-version",
    ]);
    assert_ne!(new[0].id, first.id);
    assert_eq!(new[0].version, 1);

    // Without the flag, other content still goes under a new name.
    std::fs::write(&path, b"fourth draft").unwrap();
    let renamed: Vec<api::File> = t.ok_json(&["upload", path.to_str().unwrap(), "docs"]);
    assert_eq!(renamed[0].name, "notes (1).txt");
    assert_eq!(renamed[0].version, 1);
}

#[test]
fn an_interrupted_upload_resumes_only_as_what_it_was_started_as() {
    let t = TestServer::start();
    t.login();
    let docs = t.folder("docs");
    let file = t.put(&docs, "big.bin", b"the first version");
    let bytes = data(11 * MIB, 7);
    let path = t.file("big.bin", &bytes);
    let path = path.to_str().unwrap();
    let slow = [
        "--part-size",
        "5MiB",
        "--parallel",
        "1",
        "--limit-rate",
        "2MiB",
    ];
    let upload_id = |seen: &[String]| {
        seen.iter()
            .find_map(|l| l.split("upload ").nth(1).filter(|r| r.starts_with("upl_")))
            .and_then(|r| r.split(' ').next())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no upload id in {seen:#?}"))
    };

    // Started to store a copy under a new name, resumed as a new version: it starts over, and
    // the first upload is aborted (its parts held quota).
    let mut args = vec!["upload", path, "docs"];
    args.extend(slow);
    let seen = run_until(&t, &args, |l| l.contains("part 1/3 acknowledged"));
    let first = upload_id(&seen);
    // Without --json: the progress lines say what happens.
    let out = t
        .ferry()
        .args(["upload", path, "docs", "--on-conflict", "new-version"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "earlier upload {first} was made with on_conflict rename, not new_version; \
             starting over"
        )),
        "{err}"
    );
    assert!(
        stdout(&out).contains(&format!("as version 2 of {}", file.id)),
        "{}",
        stdout(&out)
    );
    let got: api::File = t.ok_json(&["info", &file.id]);
    assert_eq!(got.version, 2);
    assert_eq!(got.checksum_sha256, sha(&bytes));
    let aborted = t.rt.block_on(t.admin.get_upload(&first)).unwrap();
    assert_eq!(aborted.status, "aborted");
    assert_eq!(t.resume_files(), 0);

    // Started as a new version, resumed as one: only the missing parts are sent.
    let bytes = data(11 * MIB, 8);
    std::fs::write(path, &bytes).unwrap();
    let mut args = vec!["upload", path, "docs", "--on-conflict", "new-version"];
    args.extend(slow);
    let seen = run_until(&t, &args, |l| l.contains("part 1/3 acknowledged"));
    let second = upload_id(&seen);
    // Without --json: the progress lines say what happens.
    let out = t
        .ferry()
        .args(["upload", path, "docs", "--on-conflict", "new-version"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("resuming upload {second}")), "{err}");
    let got: api::File = t.ok_json(&["info", &file.id]);
    assert_eq!(got.version, 3);
    assert_eq!(got.checksum_sha256, sha(&bytes));
    assert_eq!(t.version_numbers(&file), [3, 2, 1]);
}

#[test]
fn rm_permanent_leaves_nothing_in_the_trash() {
    let t = TestServer::start();
    t.login();
    let docs = t.folder("docs");
    let sub = t.subfolder(&docs, "sub");
    let file = t.put(&docs, "a.txt", b"a");
    t.new_version(&file, b"a, again");
    t.put(&sub, "b.txt", b"b");

    let text = t.ok(&["rm", "--permanent", "docs/a.txt"]);
    assert_eq!(
        text.trim(),
        format!("Deleted /docs/a.txt ({}) for good", file.id)
    );
    let gone: Value = t.ok_json(&["rm", "--permanent", "docs/sub"]);
    assert_eq!(gone["id"], sub.id.as_str());
    assert_eq!(gone["permanent"], true);
    assert!(t.resolved("/docs/a.txt").is_none());
    assert!(t.resolved("/docs/sub").is_none());
    let trash: api::TrashList = t.ok_json(&["trash", "ls"]);
    assert!(trash.items.is_empty(), "{:?}", trash.items);
    let text = t.ok(&["trash", "ls"]);
    assert_eq!(text.trim(), "The trash is empty.");

    // A file that a retention rule keeps cannot be purged: it stays where it is.
    t.ok(&["mkdir", "kept", "--retention-days", "7"]);
    let kept = t.file("k.txt", b"kept");
    t.ok(&["upload", kept.to_str().unwrap(), "kept"]);
    let err = t.fails(&["rm", "--permanent", "kept/k.txt"]);
    assert!(
        err.contains("cannot delete /kept/k.txt") && err.contains("(file_held, request req_"),
        "{err}"
    );
    assert!(t.resolved("/kept/k.txt").is_some());
}
