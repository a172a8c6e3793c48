//! `ferry download FOLDER --zip`: a folder (by id or path) as one zip file.

use std::process::Command;

use crate::helpers::{TestServer, data, read};

#[test]
fn download_zip_of_a_folder() {
    let t = TestServer::start();
    t.login();
    let top = t.folder("Reports");
    let sub = t.subfolder(&top, "2026");
    let big = data(300_000, 7);
    t.put(&top, "summary.txt", b"all good");
    t.put(&sub, "q1.bin", &big);

    let out = t.path("out.zip");
    let text = t.ok(&["download", &top.id, "--zip", "-o", out.to_str().unwrap()]);
    assert!(text.contains("Downloaded archive of"), "{text}");
    let zip = read(&out);
    assert_eq!(&zip[..4], b"PK\x03\x04");
    let listed = Command::new("python3")
        .arg("-c")
        .arg(
            r#"import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
for n in sorted(z.namelist()):
    print(n, len(z.read(n)))"#,
        )
        .arg(&out)
        .output()
        .unwrap();
    assert!(listed.status.success(), "{listed:?}");
    assert_eq!(
        String::from_utf8(listed.stdout).unwrap(),
        "Reports/ 0\nReports/2026/ 0\nReports/2026/q1.bin 300000\nReports/summary.txt 8\n"
    );

    // By path, into a directory (named after the folder), with --json.
    std::fs::create_dir(t.path("dir")).unwrap();
    let shown: serde_json::Value = t.ok_json(&[
        "download",
        "Reports/2026",
        "--zip",
        "-o",
        t.path("dir").to_str().unwrap(),
    ]);
    assert_eq!(shown["folder_id"], sub.id.as_str());
    let saved = t.path("dir").join("2026.zip");
    assert_eq!(shown["size"], read(&saved).len() as u64);

    // An existing file is not replaced without --force.
    let err = t.fails(&["download", &top.id, "--zip", "-o", out.to_str().unwrap()]);
    assert!(err.contains("exists"), "{err}");
}
