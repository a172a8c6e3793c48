//! `ferry link` (create, with a password, ls, revoke), `ferry download <link-url>` without
//! credentials (with the link's password where it has one), and `ferry restore`.

use ferry_api as api;

use crate::helpers::{
    MIB, TestServer, data, eventually, json, read, run_cmd_until, sha, stderr, stdout,
};

/// The links of a file, through the API.
fn link(t: &TestServer, file_id: &str, link_id: &str) -> api::Link {
    t.rt.block_on(t.admin.list_links(file_id))
        .unwrap()
        .links
        .into_iter()
        .find(|l| l.id == link_id)
        .expect("the link is listed")
}

/// Whether `link.downloaded` has been recorded `n` times for a link (deliveries are settled
/// just after the response ends).
fn deliveries_recorded(t: &TestServer, link_id: &str, n: usize) -> bool {
    t.rt.block_on(
        t.admin
            .audit_events(&[("action", "link.downloaded"), ("target", link_id)]),
    )
    .unwrap()
    .events
    .len()
        >= n
}

/// A link's first `link.downloaded` receipt, once it is filed.
fn first_receipt(t: &TestServer, link_id: &str) -> api::Event {
    eventually("the download's receipt", || {
        let mut events =
            t.rt.block_on(
                t.admin
                    .audit_events(&[("action", "link.downloaded"), ("target", link_id)]),
            )
            .unwrap()
            .events;
        (!events.is_empty()).then(|| events.remove(0))
    })
}

#[test]
fn a_link_downloads_without_credentials_until_revoked() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("shared");
    let bytes = data(300_000, 21);
    let name = "rapport été \"final\".txt";
    let file =
        t.rt.block_on(t.admin.upload(&folder.id, name, bytes.clone()))
            .unwrap();

    // The shorthand prints the URL alone on stdout, a summary on stderr.
    let out = t
        .ferry()
        .args([
            "link",
            &file.id,
            "--expires",
            "15m",
            "--max-downloads",
            "10",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let url = stdout(&out).trim().to_string();
    assert!(url.starts_with(&format!("{}/d/", t.url)), "{url}");
    assert!(!url.contains('\n'), "{url}");
    assert!(stderr(&out).contains("Link lnk_"), "{}", stderr(&out));
    assert!(stderr(&out).contains("10 downloads"), "{}", stderr(&out));
    let listed = t.rt.block_on(t.admin.list_links(&file.id)).unwrap().links;
    assert_eq!(listed.len(), 1);
    let created = listed[0].clone();
    assert_eq!(created.url, url);
    assert_eq!(created.max_downloads, Some(10));

    // The long form, as JSON.
    let out = t
        .ferry()
        .args(["link", "create", &file.id, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let other: api::Link = json(&out);
    assert_eq!(other.file_id, file.id);
    assert_eq!(other.max_downloads, None);
    assert_eq!(other.status, "active");

    // Downloaded by someone who never logged in: a fresh, empty config dir.
    let stranger = tempfile::tempdir().unwrap();
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("SHA-256 verified"),
        "{}",
        stdout(&out)
    );
    // The name comes from Content-Disposition's filename* (UTF-8), sanitised.
    let saved = t.path("rapport été _final_.txt");
    assert_eq!(read(&saved), bytes, "{}", stdout(&out));
    assert!(!t.path("rapport été _final_.txt.part").exists());
    assert!(
        !stranger.path().join("credentials.json").exists(),
        "no credentials were needed or made"
    );

    let used = eventually("the delivery to be counted", || {
        let l = link(&t, &file.id, &created.id);
        (l.downloads_used == 1).then_some(l)
    });
    assert_eq!(used.bytes_delivered, bytes.len() as i64);
    let out = t
        .ferry()
        .args(["link", "ls", &file.id, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let list: api::LinkList = json(&out);
    let shown = list.links.iter().find(|l| l.id == created.id).unwrap();
    assert_eq!(shown.downloads_used, 1);
    let out = t.ferry().args(["link", "ls", &file.id]).output().unwrap();
    let text = stdout(&out);
    assert!(text.starts_with("ID"), "{text}");
    let row = text.lines().find(|l| l.contains(&created.id)).unwrap();
    assert!(row.contains("active") && row.contains("1/10"), "{row}");
    assert!(row.contains(&created.expires_at), "{row}");
    let row = text.lines().find(|l| l.contains(&other.id)).unwrap();
    assert!(row.contains("0/unlimited"), "{row}");

    // The name is taken now: not replaced without --force.
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("(file_exists)"), "{}", stderr(&out));

    // -o, --json.
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &url, "-o", "copy.bin", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shown: serde_json::Value = json(&out);
    assert_eq!(shown["verified"], true);
    assert_eq!(shown["checksum_sha256"], sha(&bytes).as_str());
    assert_eq!(shown["size"], bytes.len() as u64);
    assert_eq!(shown["name"], "copy.bin");
    assert_eq!(read(&t.path("copy.bin")), bytes);

    // To standard output.
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &url, "-o", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, bytes);

    // Revoked: the next download fails with the API's error.
    let out = t
        .ferry()
        .args(["link", "revoke", &created.id])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), format!("Revoked link {}", created.id));
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &url, "-o", "again.bin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("(link_revoked, request req_"), "{err}");
    assert!(stdout(&out).is_empty());
    assert!(!t.path("again.bin").exists() && !t.path("again.bin.part").exists());
    assert_eq!(link(&t, &file.id, &created.id).status, "revoked");

    // A forged token, a URL that is no link, a link option where it makes no sense.
    let forged = format!("{}/d/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", t.url);
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &forged])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(not_found, request req_"),
        "{}",
        stderr(&out)
    );
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &format!("{}/api/v1/files/x", t.url)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("(invalid_url)"), "{}", stderr(&out));
}

/// `--parallel` through a link: ranges at once, which together cost the link one download.
#[test]
fn a_parallel_link_download_counts_once() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("par");
    let bytes = data(6 * MIB, 23);
    let file =
        t.rt.block_on(t.admin.upload(&folder.id, "six.bin", bytes.clone()))
            .unwrap();
    let l =
        t.rt.block_on(t.admin.create_link(
            &file.id,
            &api::CreateLink {
                max_downloads: Some(1),
                ..Default::default()
            },
        ))
        .unwrap();
    let stranger = tempfile::tempdir().unwrap();
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &l.url, "--parallel", "3", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shown: serde_json::Value = json(&out);
    assert_eq!(shown["verified"], true);
    assert_eq!(shown["name"], "six.bin");
    assert_eq!(shown["checksum_sha256"], sha(&bytes).as_str());
    assert_eq!(read(&t.path("six.bin")), bytes);
    assert!(!t.path("six.bin.part").exists() && !t.path("six.bin.part.state").exists());
    // 1 MiB ranges: six deliveries, one download.
    let used = eventually("the ranges to be counted", || {
        let l = link(&t, &file.id, &l.id);
        (l.bytes_delivered == bytes.len() as i64).then_some(l)
    });
    assert_eq!(used.downloads_used, 1);
    assert_eq!(used.status, "exhausted");
    // Six ranges, one download: one receipt.
    let receipt = first_receipt(&t, &l.id);
    assert_eq!(receipt.details["ranges"], 6, "{receipt:?}");
    assert_eq!(receipt.details["bytes"], bytes.len(), "{receipt:?}");
    assert_eq!(receipt.details["complete"], true, "{receipt:?}");
    assert!(!deliveries_recorded(&t, &l.id, 2));
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &l.url, "-o", "again.bin", "--parallel", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(link_exhausted, request req_"),
        "{}",
        stderr(&out)
    );
    assert!(!t.path("again.bin").exists() && !t.path("again.bin.part").exists());
}

/// A parallel link download killed mid-way keeps the ranges it finished, and the next run
/// (also without --parallel) goes on with them.
#[test]
fn a_killed_parallel_link_download_resumes() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("parkill");
    let bytes = data(6 * MIB, 24);
    let file =
        t.rt.block_on(t.admin.upload(&folder.id, "six.bin", bytes.clone()))
            .unwrap();
    let l =
        t.rt.block_on(t.admin.create_link(&file.id, &api::CreateLink::default()))
            .unwrap();
    let stranger = tempfile::tempdir().unwrap();
    // 1 MiB ranges, two at a time, 1 MiB/s in all: the first range is in after about 2 s.
    let mut cmd = t.ferry_std();
    cmd.env("FERRY_CONFIG_DIR", stranger.path()).args([
        "download",
        &l.url,
        "--parallel",
        "2",
        "--limit-rate",
        "1MiB",
    ]);
    let seen = run_cmd_until(&mut cmd, |line| line.contains("received"));
    assert!(
        t.path("six.bin.part").exists() && t.path("six.bin.part.state").exists(),
        "{seen:#?}"
    );
    assert!(!t.path("six.bin").exists(), "{seen:#?}");

    let out = t
        .ferry_in(stranger.path())
        .args(["download", &l.url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("six.bin: resuming: "),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("; resumed at "), "{}", stdout(&out));
    assert_eq!(read(&t.path("six.bin")), bytes);
    assert!(!t.path("six.bin.part").exists() && !t.path("six.bin.part.state").exists());
    let records = std::fs::read_dir(stranger.path().join("downloads"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(records, 0, "the resume record is gone after success");
}

#[test]
fn link_usage_errors_and_revoke_json() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("l");
    let file =
        t.rt.block_on(t.admin.upload(&folder.id, "a.txt", b"abc".to_vec()))
            .unwrap();
    for args in [
        vec!["link"],
        vec!["link", "revoke"],
        vec!["link", "ls", "fil_x", "--state", "active"],
        vec!["link", "ls", "--state", "gone"],
        vec!["link", &file.id, "--expires", "soon"],
        vec!["link", &file.id, "--max-downloads", "0"],
        vec!["link", &file.id, "--max-downloads", "10001"],
    ] {
        let out = t.ferry().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    // Too long for the server: its error, exit 1.
    let out = t
        .ferry()
        .args(["link", &file.id, "--expires", "30d"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(invalid_value, request req_"),
        "{}",
        stderr(&out)
    );
    let out = t.ferry().args(["link", "fil_nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(not_found, request req_"),
        "{}",
        stderr(&out)
    );

    let l: api::Link = json(
        &t.ferry()
            .args(["link", &file.id, "--max-downloads", "1", "--json"])
            .output()
            .unwrap(),
    );
    // One download, then the link is used up.
    let stranger = tempfile::tempdir().unwrap();
    t.ferry_in(stranger.path())
        .args(["download", &l.url, "-o", "one.txt"])
        .assert()
        .success();
    assert_eq!(read(&t.path("one.txt")), b"abc");
    eventually("the link to be used up", || {
        (link(&t, &file.id, &l.id).status == "exhausted").then_some(())
    });
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &l.url, "-o", "two.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(link_exhausted, request req_"),
        "{}",
        stderr(&out)
    );
    let out = t
        .ferry()
        .args(["link", "revoke", &l.id, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shown: serde_json::Value = json(&out);
    assert_eq!(shown["revoked"], true);
    assert_eq!(shown["id"], l.id.as_str());
    let out = t.ferry().args(["link", "ls", &file.id]).output().unwrap();
    assert!(stdout(&out).contains("revoked"), "{}", stdout(&out));
}

/// A link download killed mid-way resumes with Range and If-Range from its .part file; when
/// the server could tell the first delivery was cut off, the whole download costs the link one
/// download.
#[test]
fn a_killed_link_download_resumes() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("big");
    // Larger than what the loopback socket buffers hold, so that the server sees the cut.
    let bytes = data(40 * MIB, 22);
    let file =
        t.rt.block_on(t.admin.upload(&folder.id, "forty.bin", bytes.clone()))
            .unwrap();
    let l =
        t.rt.block_on(t.admin.create_link(
            &file.id,
            &api::CreateLink {
                max_downloads: Some(2),
                ..Default::default()
            },
        ))
        .unwrap();
    let stranger = tempfile::tempdir().unwrap();
    let mut cmd = t.ferry_std();
    cmd.env("FERRY_CONFIG_DIR", stranger.path())
        .args(["download", &l.url, "--limit-rate", "1MiB"]);
    // A progress line comes about once a second.
    let seen = run_cmd_until(&mut cmd, |line| line.contains(" / 40.0 MiB"));
    assert!(t.path("forty.bin.part").exists(), "{seen:#?}");
    assert!(!t.path("forty.bin").exists(), "{seen:#?}");
    // The server notices the client went away and gives back what it did not send.
    eventually("the cut-off delivery to be settled", || {
        (link(&t, &file.id, &l.id).bytes_delivered > 0).then_some(())
    });
    // A receipt is filed at once only if the server believes it sent the whole file; else the
    // download stays open for the rest.
    let server_saw_the_cut = !deliveries_recorded(&t, &l.id, 1);

    let out = t
        .ferry_in(stranger.path())
        .args(["download", &l.url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("forty.bin: resuming at "),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("; resumed at "), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("SHA-256 verified"),
        "{}",
        stdout(&out)
    );
    assert_eq!(read(&t.path("forty.bin")), bytes);
    assert!(!t.path("forty.bin.part").exists());
    let records = std::fs::read_dir(stranger.path().join("downloads"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(records, 0, "the resume record is gone after success");
    if server_saw_the_cut {
        // The cut-off response and the resumed one are one download: one receipt, filed when
        // the resumed part ended, and the bytes sent before the cut are not charged again.
        let receipt = first_receipt(&t, &l.id);
        assert_eq!(receipt.details["ranges"], 2, "{receipt:?}");
        assert_eq!(receipt.details["complete"], true, "{receipt:?}");
        let done = link(&t, &file.id, &l.id);
        assert_eq!(done.downloads_used, 1, "{done:?}");
    }
}

#[test]
fn restore_brings_back_a_held_file() {
    let t = TestServer::start();
    t.login();
    let out = t
        .ferry()
        .args(["mkdir", "kept", "--retention-days", "7", "--json"])
        .output()
        .unwrap();
    let folder: api::Folder = json(&out);
    t.file("keep.txt", b"keep me");
    let out = t
        .ferry()
        .args(["upload", "keep.txt", "-f", "kept", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let files: Vec<api::File> = json(&out);
    let f = &files[0];

    // Not held: nothing to restore.
    let out = t.ferry().args(["restore", &f.id]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));

    let out = t.ferry().args(["rm", &f.id, "--json"]).output().unwrap();
    let held: api::File = json(&out);
    assert_eq!(held.retention.state, "held");
    let listed =
        t.rt.block_on(t.admin.list_files(&folder.id, None, None))
            .unwrap();
    assert!(listed.files.is_empty(), "held files are not listed");

    let out = t
        .ferry()
        .args(["restore", &f.id, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let restored: api::File = json(&out);
    assert_eq!(restored.id, f.id);
    assert_eq!(restored.retention.state, "active");
    let listed =
        t.rt.block_on(t.admin.list_files(&folder.id, None, None))
            .unwrap();
    assert_eq!(listed.files.len(), 1);

    // Text output.
    t.ferry().args(["rm", &f.id]).assert().success();
    let out = t.ferry().args(["restore", &f.id]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        format!("Restored keep.txt ({}) in folder {}", f.id, folder.id)
    );
    let out = t.ferry().args(["restore", "fil_nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(not_found, request req_"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_link_with_a_password_downloads_with_the_password_only() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("locked");
    let bytes = data(200_000, 7);
    let file =
        t.rt.block_on(t.admin.upload(&folder.id, "secret.bin", bytes.clone()))
            .unwrap();
    let out = t
        .ferry()
        .args(["link", &file.id, "--password-stdin", "--json"])
        .write_stdin("open sesame 42\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let l: api::Link = json(&out);
    assert!(l.password_required);
    // Too short: the server's error.
    let out = t
        .ferry()
        .args(["link", &file.id, "--password-stdin"])
        .write_stdin("short\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(invalid_password"),
        "{}",
        stderr(&out)
    );

    let stranger = tempfile::tempdir().unwrap();
    // Without the password: refused, saying how to give it.
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &l.url, "-o", "none.bin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--password"), "{}", stderr(&out));
    assert!(!t.path("none.bin").exists());
    // A wrong one: the server's answer.
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &l.url, "-o", "wrong.bin"])
        .env("FERRY_LINK_PASSWORD", "not the password")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(invalid_link_password, request req_"),
        "{}",
        stderr(&out)
    );
    // From the environment, and from standard input, in parallel ranges too.
    t.ferry_in(stranger.path())
        .args(["download", &l.url, "-o", "env.bin"])
        .env("FERRY_LINK_PASSWORD", "open sesame 42")
        .assert()
        .success();
    assert_eq!(sha(&read(&t.path("env.bin"))), sha(&bytes));
    t.ferry_in(stranger.path())
        .args([
            "download",
            &l.url,
            "-o",
            "stdin.bin",
            "--password-stdin",
            "--parallel",
            "3",
        ])
        .write_stdin("open sesame 42\n")
        .assert()
        .success();
    assert_eq!(sha(&read(&t.path("stdin.bin"))), sha(&bytes));

    // `ferry link ls` without a file: the caller's links, filtered by state.
    let out = t.ok(&["link", "ls"]);
    assert!(out.contains(&l.id) && out.contains("PASSWORD"), "{out}");
    let active: api::LinkList = t.ok_json(&["link", "ls", "--state", "active"]);
    assert_eq!(active.links.len(), 1);
    assert_eq!(active.links[0].id, l.id);
    t.ok(&["link", "revoke", &l.id]);
    let revoked: api::LinkList = t.ok_json(&["link", "ls", "--state", "revoked"]);
    assert_eq!(revoked.links[0].id, l.id);
    let active: api::LinkList = t.ok_json(&["link", "ls", "--state", "active"]);
    assert!(active.links.is_empty());
}

#[test]
fn an_upload_link_takes_files_from_ferry_upload_link() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("inbox");
    let url = t
        .ok(&[
            "link",
            "upload",
            "inbox",
            "--expires-in",
            "1h",
            "--max-files",
            "3",
        ])
        .trim()
        .to_string();
    assert!(url.starts_with(&format!("{}/s/", t.url)), "{url}");
    let listed = t.ok(&["link", "ls"]);
    assert!(
        listed.contains(&format!("upload to {}", folder.id)),
        "{listed}"
    );
    assert!(listed.contains("0/3 files"), "{listed}");

    // A small file in one request, a big one resumably: both land, with the uploader's name.
    let small = data(1000, 3);
    let big = data(9 * MIB, 4);
    let small_path = t.file("small.txt", &small);
    let big_path = t.file("big.bin", &big);
    let uploaded: Vec<api::File> = t.ok_json(&[
        "upload",
        "--link",
        &url,
        "--name",
        "Zoe",
        "--email",
        "zoe@example.com",
        small_path.to_str().unwrap(),
        big_path.to_str().unwrap(),
    ]);
    assert_eq!(uploaded.len(), 2);
    let files =
        t.rt.block_on(t.admin.list_files(&folder.id, None, None))
            .unwrap()
            .files;
    let mut seen: Vec<(String, String, Option<String>)> = files
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                f.checksum_sha256.clone(),
                f.uploaded_via_link.as_ref().and_then(|v| v.name.clone()),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("big.bin".to_string(), sha(&big), Some("Zoe".to_string())),
            (
                "small.txt".to_string(),
                sha(&small),
                Some("Zoe".to_string())
            ),
        ]
    );

    // The third file fits, the fourth does not: the link is used up.
    t.ok(&["upload", "--link", &url, small_path.to_str().unwrap()]);
    let err = t.fails(&["upload", "--link", &url, small_path.to_str().unwrap()]);
    assert!(err.contains("link_exhausted"), "{err}");
    // Nothing to download through it.
    let err = t.fails(&["download", &url.replace("/s/", "/d/")]);
    assert!(err.contains("not_found") || err.contains("404"), "{err}");
}

#[test]
fn a_folder_link_downloads_as_a_tree_or_a_zip() {
    let t = TestServer::start();
    t.login();
    let top = t.folder("Project");
    let sub = t.subfolder(&top, "Sub");
    let a = data(100_000, 3);
    let b = data(250_000, 4);
    t.put(&top, "a.txt", &a);
    t.put(&sub, "b.bin", &b);

    let out = t
        .ferry()
        .args(["link", "/Project", "--max-downloads", "2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let url = stdout(&out).trim().to_string();
    assert!(url.starts_with(&format!("{}/s/", t.url)), "{url}");
    assert!(
        stderr(&out).contains("2 downloads of each file"),
        "{}",
        stderr(&out)
    );
    let listed = t.ok(&["link", "ls"]);
    assert!(listed.contains(&format!("folder {}", top.id)), "{listed}");

    // Anyone downloads the landing page's URL: the tree, file by file, verified.
    let stranger = tempfile::tempdir().unwrap();
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read(&t.path("Project/a.txt")), a);
    assert_eq!(read(&t.path("Project/Sub/b.bin")), b);
    assert!(stderr(&out).contains("2 of 2 files"), "{}", stderr(&out));
    // Run again: what is there is not fetched (or counted) again.
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 of 2 files"), "{}", stderr(&out));
    assert!(stderr(&out).contains("2 already there"), "{}", stderr(&out));

    // --zip: the folder in one zip, one more download of each file.
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &url, "--zip"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let listing = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile, hashlib\nz = zipfile.ZipFile(sys.argv[1])\nfor i in z.infolist():\n    print(i.filename, hashlib.sha256(z.read(i)).hexdigest())",
        )
        .arg(t.path("Project.zip"))
        .output()
        .unwrap();
    assert!(listing.status.success(), "{}", stderr(&listing));
    let listing = stdout(&listing);
    assert!(
        listing.contains(&format!("Project/a.txt {}", sha(&a))),
        "{listing}"
    );
    assert!(
        listing.contains(&format!("Project/Sub/b.bin {}", sha(&b))),
        "{listing}"
    );
    // Two downloads of each file happened: the next zip is refused.
    let out = t
        .ferry_in(stranger.path())
        .args(["download", &url, "--zip", "--force"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("link_exhausted"), "{}", stderr(&out));
}

#[test]
fn ferry_link_save_adds_a_folder_link_to_my_storage() {
    let t = TestServer::start();
    t.login();
    let top = t.folder("Project");
    let a = data(50_000, 9);
    t.put(&top, "a.txt", &a);
    let url = t.ok(&["link", "/Project", "--max-downloads", "1"]);
    let url = url.trim();
    let inbox = t.folder("Inbox");

    let saved: api::Resolved =
        t.ok_json(&["link", "save", url, "/Inbox", "--name", "From partner"]);
    let folder = saved.folder.expect("a folder was saved");
    assert_eq!(folder.name, "From partner");
    let files =
        t.rt.block_on(t.admin.list_files(&folder.id, None, None))
            .unwrap()
            .files;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].checksum_sha256, sha(&a));
    // One download of a.txt is spent: a second save is refused, nothing made.
    let err = t.fails(&["link", "save", url, &inbox.id]);
    assert!(err.contains("link_exhausted"), "{err}");
}
