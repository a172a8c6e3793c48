//! `ferry mkdir`, `ls`, `info`, `rm`, with text and `--json`.

use ferry_api as api;

use crate::helpers::{TestServer, data, json, sha, stderr, stdout};

#[test]
fn mkdir_ls_and_name_conflicts() {
    let t = TestServer::start();
    t.login();
    let out = t.ferry().arg("ls").output().unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("No folders"), "{}", stdout(&out));

    let out = t
        .ferry()
        .args(["mkdir", "reports", "--retention-days", "30", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let reports: api::Folder = json(&out);
    assert_eq!(reports.name, "reports");
    assert_eq!(reports.retention_days, 30);

    let out = t.ferry().args(["mkdir", "scratch"]).output().unwrap();
    assert!(
        stdout(&out).starts_with("Created folder scratch (fld_"),
        "{}",
        stdout(&out)
    );

    let out = t.ferry().args(["mkdir", "reports"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(name_conflict, request req_"),
        "{}",
        stderr(&out)
    );

    // All pages, whatever the page size.
    let out = t
        .ferry()
        .args(["ls", "--json", "--page-size", "1"])
        .output()
        .unwrap();
    let list: api::FolderList = json(&out);
    let mut names: Vec<&str> = list.folders.iter().map(|f| f.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["reports", "scratch"]);
    assert!(list.next_cursor.is_none());

    let out = t.ferry().arg("ls").output().unwrap();
    let text = stdout(&out);
    assert!(text.starts_with("ID"), "{text}");
    assert!(
        text.contains(&reports.id) && text.contains("30 days"),
        "{text}"
    );
}

#[test]
fn files_by_folder_name_or_id_with_info_and_rm() {
    let t = TestServer::start();
    t.login();
    let keep = t.folder("keep");
    let held = t.rt.block_on(t.admin.create_folder("held", 7)).unwrap();
    let mut uploaded = Vec::new();
    for i in 0..5 {
        let bytes = data(1000 + i, i as u64);
        let f =
            t.rt.block_on(
                t.admin
                    .upload(&keep.id, &format!("f{i}.txt"), bytes.clone()),
            )
            .unwrap();
        assert_eq!(f.checksum_sha256, sha(&bytes));
        uploaded.push(f);
    }
    for given in [keep.name.as_str(), keep.id.as_str()] {
        let out = t
            .ferry()
            .args(["ls", given, "--json", "--page-size", "2"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let list: api::FileList = json(&out);
        let names: Vec<&str> = list.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt"],
            "{given}"
        );
    }
    let out = t.ferry().args(["ls", "keep"]).output().unwrap();
    assert!(stdout(&out).contains("f4.txt"), "{}", stdout(&out));

    let out = t
        .ferry()
        .args(["info", &uploaded[0].id, "--json"])
        .output()
        .unwrap();
    let info: api::File = json(&out);
    assert_eq!(info.id, uploaded[0].id);
    assert_eq!(info.checksum_sha256, uploaded[0].checksum_sha256);
    let out = t.ferry().args(["info", &uploaded[0].id]).output().unwrap();
    assert!(stdout(&out).contains(&format!("sha256:    {}", info.checksum_sha256)));
    // Without clamd the test server does not scan.
    assert!(
        stdout(&out).contains("scan:      skipped"),
        "{}",
        stdout(&out)
    );

    // A thumbnail, written where asked (WebP unless the name says JPEG).
    const PIXEL_PNG: [u8; 70] = [
        137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6,
        0, 0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 100, 248, 207, 80,
        15, 0, 3, 134, 1, 128, 90, 52, 125, 107, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
    ];
    let png =
        t.rt.block_on(t.admin.upload(&keep.id, "dot.png", PIXEL_PNG.to_vec()))
            .unwrap();
    for (name, magic) in [("dot.webp", &b"RIFF"[..]), ("dot.jpg", &b"\xff\xd8"[..])] {
        let path = t.work.path().join(name);
        let out = t
            .ferry()
            .args(["thumbnail", &png.id, "--size", "s", "-o"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(std::fs::read(&path).unwrap().starts_with(magic), "{name}");
    }

    // A folder without retention deletes at once...
    let out = t
        .ferry()
        .args(["rm", &uploaded[0].id, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let gone: serde_json::Value = json(&out);
    assert_eq!(gone["deleted"], true);
    assert_eq!(gone["id"], uploaded[0].id.as_str());
    let out = t.ferry().args(["info", &uploaded[0].id]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));

    // ...one with retention holds the file, and says so.
    let f =
        t.rt.block_on(t.admin.upload(&held.id, "kept.txt", b"kept".to_vec()))
            .unwrap();
    let out = t.ferry().args(["rm", &f.id, "--json"]).output().unwrap();
    let file: api::File = json(&out);
    assert_eq!(file.retention.state, "held");
    assert!(file.retention.held_until.is_some());
}
