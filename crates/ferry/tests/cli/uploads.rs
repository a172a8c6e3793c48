//! `ferry uploads ls` and `ferry uploads abort`, and the reserved space `ferry whoami` shows.

use ferry_api as api;
use ferry_client::Client;

use crate::helpers::{MIB, TestServer, data, json, sha, stderr, stdout};

/// A user `login` made through the API, with a client logged in as them; the CLI is logged in
/// as them too.
fn user(t: &TestServer, login: &str) -> (api::User, Client) {
    let password = format!("password-{login}");
    let user =
        t.rt.block_on(t.admin.create_user(&api::CreateUser {
            login: login.into(),
            password: password.clone(),
            name: None,
            role: None,
            quota_bytes: Some(100 * MIB as i64),
            company_id: None,
        }))
        .unwrap();
    let anon = Client::new(&t.url);
    let session = t.rt.block_on(anon.login(login, &password)).unwrap();
    (user, anon.with_token(session.access_token))
}

fn start(t: &TestServer, client: &Client, folder: &str, name: &str, bytes: &[u8]) -> api::Upload {
    t.rt.block_on(client.create_upload(&api::CreateUpload {
        uploader_name: None,
        uploader_email: None,
        folder_id: folder.into(),
        filename: name.into(),
        size: bytes.len() as i64,
        checksum_sha256: Some(sha(bytes)),
        part_size: Some(5 * MIB as i64),
        on_conflict: None,
        relative_path: None,
        modified_at: None,
    }))
    .unwrap()
}

#[test]
fn uploads_ls_shows_what_holds_space_and_abort_releases_it() {
    let t = TestServer::start();
    let (_, alice) = user(&t, "alice");
    let (_, bob) = user(&t, "bob");
    t.login_as("alice", "password-alice");
    let inbox = t.rt.block_on(alice.create_folder("inbox", 0)).unwrap();
    let bobs = t.rt.block_on(bob.create_folder("bobs", 0)).unwrap();

    // Nothing yet.
    let out = t.ferry().args(["uploads", "ls"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("No unfinished uploads"),
        "{}",
        stdout(&out)
    );
    let out = t.ferry().arg("whoami").output().unwrap();
    assert!(!stdout(&out).contains("reserved"), "{}", stdout(&out));

    // A 6 MiB upload interrupted after its first 5 MiB part, one not started, one finished.
    let big_bytes = data(6 * MIB, 1);
    let big = start(&t, &alice, &inbox.id, "big.iso", &big_bytes);
    t.rt.block_on(alice.put_part(&big.upload_id, 1, big_bytes[..5 * MIB].to_vec(), None))
        .unwrap();
    let small = start(&t, &alice, &inbox.id, "notes.txt", &[7; 1024]);
    let done_bytes = b"finished".to_vec();
    let done = start(&t, &alice, &inbox.id, "done.txt", &done_bytes);
    t.rt.block_on(alice.put_part(&done.upload_id, 1, done_bytes.clone(), None))
        .unwrap();
    let mut completed =
        t.rt.block_on(alice.complete_upload(&done.upload_id, &api::CompleteUpload::default()))
            .unwrap();
    while completed.is_err() {
        std::thread::sleep(std::time::Duration::from_millis(50));
        completed =
            t.rt.block_on(alice.complete_upload(&done.upload_id, &api::CompleteUpload::default()))
                .unwrap();
    }
    let bobs_upload = start(&t, &bob, &bobs.id, "bob.bin", &[1; 10]);

    let out = t.ferry().args(["uploads", "ls"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ID "), "{text}");
    for column in ["STATUS", "SIZE", "RECEIVED", "FOLDER", "EXPIRES", "NAME"] {
        assert!(lines[0].contains(column), "{text}");
    }
    // Newest first: notes.txt, then big.iso.
    assert!(lines[1].starts_with(&small.upload_id), "{text}");
    assert!(lines[2].starts_with(&big.upload_id), "{text}");
    for expected in [
        "open",
        "6.0 MiB",
        "5.0 MiB (83%)",
        "inbox",
        "(in ",
        "big.iso",
    ] {
        assert!(lines[2].contains(expected), "{expected}: {text}");
    }
    assert!(lines[1].contains("0 B (0%)"), "{text}");
    assert!(
        text.contains("6.0 MiB reserved by 2 unfinished uploads"),
        "{text}"
    );
    assert!(
        !text.contains(&done.upload_id),
        "completed: not listed by default"
    );
    assert!(
        !text.contains(&bobs_upload.upload_id),
        "bob's upload is bob's"
    );

    let out = t.ferry().args(["uploads", "ls", "--all"]).output().unwrap();
    let text = stdout(&out);
    assert!(text.contains(&done.upload_id), "{text}");
    assert!(text.contains("completed"), "{text}");
    assert!(!text.contains(&bobs_upload.upload_id), "{text}");

    let out = t
        .ferry()
        .args(["uploads", "ls", "--json"])
        .output()
        .unwrap();
    let list: api::UploadList = json(&out);
    let ids: Vec<&str> = list.uploads.iter().map(|u| u.upload_id.as_str()).collect();
    assert_eq!(ids, [small.upload_id.as_str(), &big.upload_id]);
    assert_eq!(list.uploads[1].bytes_received, 5 * MIB as i64);

    // whoami: the reserved part of what is used.
    let reserved = (6 * MIB + 1024) as i64;
    let out = t.ferry().arg("whoami").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("(of which 6.0 MiB reserved by 2 unfinished uploads"),
        "{}",
        stdout(&out)
    );
    let me: api::User = json(&t.ferry().args(["whoami", "--json"]).output().unwrap());
    assert_eq!(
        (me.quota.reserved_bytes, me.quota.reserved_uploads),
        (reserved, 2)
    );
    assert_eq!(me.quota.used_bytes, reserved + done_bytes.len() as i64);

    // Abort both: each line says what was released.
    let out = t
        .ferry()
        .args(["uploads", "abort", &big.upload_id, &small.upload_id])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "Aborted {} (big.iso, 5.0 MiB (83%) received): released 6.0 MiB",
            big.upload_id
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Aborted {} (notes.txt, 0 B (0%) received): released 1.0 KiB",
            small.upload_id
        )),
        "{text}"
    );
    let me: api::User = json(&t.ferry().args(["whoami", "--json"]).output().unwrap());
    assert_eq!(
        (me.quota.reserved_bytes, me.quota.used_bytes),
        (0, done_bytes.len() as i64)
    );
    let out = t.ferry().arg("whoami").output().unwrap();
    assert!(!stdout(&out).contains("reserved"), "{}", stdout(&out));
    let out = t.ferry().args(["uploads", "ls"]).output().unwrap();
    assert!(
        stdout(&out).contains("No unfinished uploads"),
        "{}",
        stdout(&out)
    );

    // Again: nothing more to release. As JSON: the uploads as they are now.
    let out = t
        .ferry()
        .args(["uploads", "abort", &big.upload_id, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let aborted: Vec<api::Upload> = json(&out);
    assert_eq!(aborted.len(), 1);
    assert_eq!(aborted[0].status, "aborted");
    let out = t
        .ferry()
        .args(["uploads", "abort", &small.upload_id])
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("was already aborted: nothing more to release"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn uploads_abort_reports_each_failure_and_goes_on() {
    let t = TestServer::start();
    let (_, alice) = user(&t, "alice");
    let (_, bob) = user(&t, "bob");
    t.login_as("alice", "password-alice");
    let inbox = t.rt.block_on(alice.create_folder("inbox", 0)).unwrap();
    let bobs = t.rt.block_on(bob.create_folder("bobs", 0)).unwrap();
    let mine = start(&t, &alice, &inbox.id, "mine.bin", &[1; 100]);
    let theirs = start(&t, &bob, &bobs.id, "theirs.bin", &[2; 100]);

    // One id: its error is the command's.
    let out = t
        .ferry()
        .args(["uploads", "abort", &theirs.upload_id])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not_found"), "{}", stderr(&out));

    // Several: each failure is reported, the others are still aborted.
    let out = t
        .ferry()
        .args([
            "uploads",
            "abort",
            &theirs.upload_id,
            &mine.upload_id,
            "upl_nonexistent",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("aborting {}", theirs.upload_id)),
        "{err}"
    );
    assert!(err.contains("aborting upl_nonexistent"), "{err}");
    assert!(
        err.contains("2 of 3 uploads could not be aborted (abort_failed)"),
        "{err}"
    );
    assert!(
        stdout(&out).contains(&format!("Aborted {}", mine.upload_id)),
        "{}",
        stdout(&out)
    );
    let status = |c: &Client, id: &str| t.rt.block_on(c.get_upload(id)).unwrap().status;
    assert_eq!(status(&alice, &mine.upload_id), "aborted");
    assert_eq!(status(&bob, &theirs.upload_id), "open");

    // Without an id: usage.
    let out = t.ferry().args(["uploads", "abort"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
