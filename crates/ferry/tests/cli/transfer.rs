//! `ferry upload` and `ferry download`: multi-part round trips, resuming after the client is
//! killed, resuming a partial download.

use std::time::Duration;

use ferry_api as api;

use crate::helpers::{
    MIB, TestServer, Watched, data, json, read, run_until, sha, stderr, stdout, upload_id,
};

#[test]
fn multi_part_upload_and_download_round_trip() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("transfers");
    let bytes = data(12 * MIB + 12_345, 1);
    t.file("big.bin", &bytes);

    let out = t
        .ferry()
        .args([
            "upload",
            "big.bin",
            "--folder",
            "transfers",
            "--part-size",
            "5MiB",
            "--verify-parts",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let files: Vec<api::File> = json(&out);
    assert_eq!(files.len(), 1);
    let file = &files[0];
    assert_eq!(file.name, "big.bin");
    assert_eq!(file.folder_id, folder.id);
    assert_eq!(file.size as usize, bytes.len());
    assert_eq!(file.checksum_sha256, sha(&bytes));
    // With --json and no terminal, no progress lines either.
    assert_eq!(stderr(&out), "");
    let listed =
        t.rt.block_on(t.admin.list_files(&folder.id, None, None))
            .unwrap();
    assert_eq!(listed.files.len(), 1);
    assert_eq!(t.resume_files(), 0, "the resume file is gone after success");

    // Sequential download.
    let out = t
        .ferry()
        .args(["download", &file.id, "-o", "copy.bin"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("SHA-256 verified"),
        "{}",
        stdout(&out)
    );
    assert_eq!(read(&t.path("copy.bin")), bytes);
    assert!(!t.path("copy.bin.part").exists());

    // Existing files are not replaced without --force.
    let out = t
        .ferry()
        .args(["download", &file.id, "-o", "copy.bin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("file_exists"), "{}", stderr(&out));

    // Parallel ranges, into a directory, flushed to disk before the rename, as JSON.
    std::fs::create_dir(t.path("into")).unwrap();
    let out = t
        .ferry()
        .args([
            "download",
            &file.id,
            "-o",
            "into",
            "--parallel",
            "4",
            "--fsync",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shown: api::File = json(&out);
    assert_eq!(shown.id, file.id);
    assert_eq!(read(&t.path("into/big.bin")), bytes);
    assert!(!t.path("into/big.bin.part.state").exists());

    // To standard output.
    let out = t
        .ferry()
        .args(["download", &file.id, "-o", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, bytes);
}

#[test]
fn several_files_and_directories_upload_flat() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("flat");
    let a = data(3000, 2);
    let b = data(0, 3);
    let c = data(MIB + 1, 4);
    t.file("tree/a.txt", &a);
    t.file("tree/empty.bin", &b);
    t.file("tree/sub/c.bin", &c);
    let single = data(10, 5);
    t.file("single.txt", &single);

    let out = t
        .ferry()
        .args(["upload", "tree", "single.txt", "-f", &folder.id, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let files: Vec<api::File> = json(&out);
    let mut got: Vec<(String, String)> = files
        .iter()
        .map(|f| (f.name.clone(), f.checksum_sha256.clone()))
        .collect();
    got.sort();
    let mut want = vec![
        ("a.txt".to_string(), sha(&a)),
        ("empty.bin".to_string(), sha(&b)),
        ("c.bin".to_string(), sha(&c)),
        ("single.txt".to_string(), sha(&single)),
    ];
    want.sort();
    assert_eq!(got, want);

    // The empty file downloads as an empty file.
    let empty = files.iter().find(|f| f.name == "empty.bin").unwrap();
    let out = t
        .ferry()
        .args(["download", &empty.id, "-o", "empty.out"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read(&t.path("empty.out")), b"");

    // Text output: one line per file; progress as plain lines on stderr (not a terminal).
    t.file("three.bin", &data(11 * MIB, 8));
    let out = t
        .ferry()
        .args([
            "upload",
            "single.txt",
            "three.bin",
            "-f",
            "flat",
            "--part-size",
            "5MiB",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 2, "{text}");
    // single.txt is already in the folder with the same content: nothing is sent again.
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("Already uploaded "),
        "{text}"
    );
    assert!(
        text.lines().nth(1).unwrap().starts_with("Uploaded "),
        "{text}"
    );
    let err = stderr(&out);
    assert!(err.contains("three.bin: upload upl_"), "{err}");
    assert!(err.contains("3 parts of 5.0 MiB"), "{err}");
    assert_eq!(err.matches("three.bin: part ").count(), 3, "{err}");
}

/// The upload process is killed (SIGKILL) after its first part was acknowledged; the same
/// command run again resumes the same upload and sends only the rest.
#[test]
fn upload_resumes_after_the_client_is_killed() {
    let t = TestServer::start();
    t.login();
    t.folder("resume");
    let bytes = data(12 * MIB, 6);
    t.file("big.bin", &bytes);
    // One part at a time at 2 MiB/s: a 5 MiB part takes about 2.5 s, so the kill lands well
    // before the last part even on a slow machine.
    let args = [
        "upload",
        "big.bin",
        "--folder",
        "resume",
        "--part-size",
        "5MiB",
        "--parallel",
        "1",
        "--limit-rate",
        "2MiB",
    ];
    let seen = run_until(&t, &args, |line| line.contains("part 1/3 acknowledged"));
    let upload_id = upload_id(&seen, "big.bin");
    assert_eq!(t.resume_files(), 1, "the resume file survives the kill");

    let upload = t.rt.block_on(t.admin.get_upload(&upload_id)).unwrap();
    assert_eq!(upload.status, "open");
    assert!(upload.received_parts.contains(&1), "{upload:?}");
    assert!(
        upload.received_parts.len() < 3,
        "killed before the end: {upload:?}"
    );
    let already = upload.received_parts.len();

    let out = t.ferry().args(args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "resuming upload {upload_id}: {already} of 3 parts already on the server"
        )),
        "{err}"
    );
    assert!(
        !err.contains("part 1/3 acknowledged"),
        "part 1 is not sent again: {err}"
    );
    let sent = if already == 1 { "7.0 MiB" } else { "2.0 MiB" };
    assert!(
        stdout(&out).contains(&format!("resumed {upload_id}, sent {sent} of 12.0 MiB")),
        "{}",
        stdout(&out)
    );
    assert_eq!(t.resume_files(), 0);

    let upload = t.rt.block_on(t.admin.get_upload(&upload_id)).unwrap();
    assert_eq!(upload.status, "completed");
    let file =
        t.rt.block_on(t.admin.get_file(upload.file_id.as_deref().unwrap()))
            .unwrap();
    assert_eq!(file.checksum_sha256, sha(&bytes));
    let out = t
        .ferry()
        .args(["download", &file.id, "-o", "back.bin"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read(&t.path("back.bin")), bytes);
}

#[test]
fn an_interrupted_download_resumes_from_its_part_file() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("dl");
    let bytes = data(3 * MIB + 77, 7);
    let file =
        t.rt.block_on(t.admin.upload(&folder.id, "doc.bin", bytes.clone()))
            .unwrap();

    // Sequential: the first bytes are already there.
    let have = 1_234_567;
    t.file("doc.bin.part", &bytes[..have]);
    let out = t.ferry().args(["download", &file.id]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("resumed at 1.2 MiB"),
        "{}",
        stdout(&out)
    );
    assert_eq!(read(&t.path("doc.bin")), bytes);
    assert!(!t.path("doc.bin.part").exists());

    // Parallel, from a sequential run's prefix: whole ranges already there are kept.
    t.file("par.bin.part", &bytes[..2 * MIB + 5]);
    let out = t
        .ferry()
        .args(["download", &file.id, "-o", "par.bin", "--parallel", "3"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("resumed at 2.0 MiB"),
        "{}",
        stdout(&out)
    );
    assert_eq!(read(&t.path("par.bin")), bytes);

    // A .part whose bytes are wrong fails verification, is removed, and the next run works.
    let mut bad = bytes[..MIB].to_vec();
    bad[10] ^= 0xff;
    t.file("bad.bin.part", &bad);
    let out = t
        .ferry()
        .args(["download", &file.id, "-o", "bad.bin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("checksum_mismatch"),
        "{}",
        stderr(&out)
    );
    assert!(!t.path("bad.bin").exists() && !t.path("bad.bin.part").exists());
    t.ferry()
        .args(["download", &file.id, "-o", "bad.bin"])
        .assert()
        .success();
    assert_eq!(read(&t.path("bad.bin")), bytes);
}

/// The server goes away in the middle of a part and comes back: the part is retried with
/// backoff and the upload completes.
#[test]
fn a_part_cut_off_by_a_server_restart_is_retried() {
    let mut t = TestServer::start();
    t.login();
    t.folder("retry");
    let bytes = data(12 * MIB, 10);
    t.file("big.bin", &bytes);
    let mut w = Watched::spawn(
        &t,
        &[
            "upload",
            "big.bin",
            "-f",
            "retry",
            "--part-size",
            "5MiB",
            "--parallel",
            "1",
            "--limit-rate",
            "2MiB",
        ],
    );
    // Part 2 takes about 2.5 s: the restart comes in the middle of it.
    w.wait_for(|l| l.contains("part 1/3 acknowledged"));
    t.restart(Duration::from_millis(300));
    let (ok, seen) = w.finish();
    assert!(ok, "the upload went through: {seen:#?}");
    assert!(
        seen.iter()
            .any(|l| l.contains("part 2 failed (try 1 of 5)") && l.contains("retrying in")),
        "{seen:#?}"
    );
    assert!(
        seen.iter().any(|l| l.contains("part 3/3 acknowledged")),
        "{seen:#?}"
    );
    let listed =
        t.rt.block_on(t.admin.list_folders(false))
            .unwrap()
            .folders
            .into_iter()
            .find(|f| f.name == "retry")
            .unwrap();
    let files =
        t.rt.block_on(t.admin.list_files(&listed.id, None, None))
            .unwrap()
            .files;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].checksum_sha256, sha(&bytes));
}

/// A parallel download killed mid-way keeps the ranges it finished.
#[test]
fn a_killed_parallel_download_resumes() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("dlkill");
    let bytes = data(6 * MIB, 9);
    let file =
        t.rt.block_on(t.admin.upload(&folder.id, "six.bin", bytes.clone()))
            .unwrap();
    // 1 MiB ranges, two at a time, 1 MiB/s in all: the first range is in after about 2 s, the
    // whole file would take 6 s.
    let args = [
        "download",
        file.id.as_str(),
        "-o",
        "six.bin",
        "--parallel",
        "2",
        "--limit-rate",
        "1MiB",
    ];
    let seen = run_until(&t, &args, |l| l.contains("received"));
    assert!(t.path("six.bin.part").exists() && t.path("six.bin.part.state").exists());
    assert!(!t.path("six.bin").exists(), "{seen:#?}");

    let out = t
        .ferry()
        .args(["download", &file.id, "-o", "six.bin", "--parallel", "2"])
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
}

/// Without `--part-size` the client asks for 8 MiB parts (not the server's 64 MiB), so that an
/// interrupted upload keeps most of what was sent.
#[test]
fn uploads_use_small_parts_by_default() {
    let t = TestServer::start();
    t.login();
    t.folder("small-parts");
    let bytes = data(17 * MIB, 11);
    t.file("seventeen.bin", &bytes);
    let out = t
        .ferry()
        .args(["upload", "seventeen.bin", "-f", "small-parts"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("3 parts of 8.0 MiB"), "{err}");
    assert_eq!(err.matches("seventeen.bin: part ").count(), 3, "{err}");
}

/// The command an interrupted transfer said to run to resume (the line after "To resume,
/// run"), without the program.
fn rerun_of(seen: &[String]) -> Vec<String> {
    let at = seen
        .iter()
        .position(|l| l.contains("interrupted; what was transferred is kept. To resume, run"))
        .unwrap_or_else(|| panic!("no resume hint in {seen:#?}"));
    let line = seen.get(at + 1).expect("the command follows");
    assert!(line.starts_with("  "), "{line}");
    let mut words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    assert!(words[0].ends_with("ferry"), "{line}");
    words.remove(0);
    words
}

/// Ctrl-C (SIGINT) during an upload of several files: exit 130 and the exact command that
/// resumes, naming only the files not uploaded yet; that command then finishes the job.
#[test]
fn ctrl_c_says_how_to_resume_an_upload() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("interrupted");
    let small = data(1000, 12);
    let big = data(12 * MIB, 13);
    t.file("small.txt", &small);
    t.file("big.bin", &big);
    let w = {
        let mut w = Watched::spawn(
            &t,
            &[
                "upload",
                "small.txt",
                "big.bin",
                "-f",
                "interrupted",
                "--part-size",
                "5MiB",
                "--parallel",
                "1",
                "--limit-rate",
                "2MiB",
                "--no-resume",
            ],
        );
        w.wait_for(|l| l.contains("big.bin: part 1/3 acknowledged"));
        w
    };
    let (code, seen) = w.interrupt();
    assert_eq!(code, Some(130), "{seen:#?}");
    let rerun = rerun_of(&seen);
    let words: Vec<&str> = rerun.iter().map(String::as_str).collect();
    assert_eq!(words[0], "upload", "{rerun:?}");
    assert!(words[1].ends_with("/big.bin"), "{rerun:?}");
    assert!(!words.iter().any(|w| w.contains("small.txt")), "{rerun:?}");
    assert!(!words.contains(&"--no-resume"), "{rerun:?}");
    let from = words.iter().position(|w| *w == "--folder").unwrap();
    assert_eq!(words[from + 1], "interrupted");

    let out = t.ferry().args(&rerun).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("resuming upload upl_"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        stdout(&out).matches("Uploaded ").count(),
        1,
        "{}",
        stdout(&out)
    );
    let files =
        t.rt.block_on(t.admin.list_files(&folder.id, None, None))
            .unwrap()
            .files;
    let mut got: Vec<(String, String)> = files
        .into_iter()
        .map(|f| (f.name, f.checksum_sha256))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("big.bin".to_string(), sha(&big)),
            ("small.txt".to_string(), sha(&small)),
        ]
    );
}

/// Ctrl-C during a download: exit 130, the same command to run again, and that resumes from
/// the `.part` file.
#[test]
fn ctrl_c_says_how_to_resume_a_download() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("dl-int");
    let bytes = data(6 * MIB, 14);
    let file =
        t.rt.block_on(t.admin.upload(&folder.id, "six.bin", bytes.clone()))
            .unwrap();
    let mut w = Watched::spawn(
        &t,
        &[
            "download",
            &file.id,
            "-o",
            "six.bin",
            "--limit-rate",
            "1MiB",
        ],
    );
    // A progress line comes about once a second.
    w.wait_for(|l| l.contains(" / 6.0 MiB"));
    let (code, seen) = w.interrupt();
    assert_eq!(code, Some(130), "{seen:#?}");
    assert_eq!(
        rerun_of(&seen),
        [
            "download",
            &file.id,
            "-o",
            "six.bin",
            "--limit-rate",
            "1MiB"
        ]
    );
    assert!(t.path("six.bin.part").exists() && !t.path("six.bin").exists());

    let out = t
        .ferry()
        .args(["download", &file.id, "-o", "six.bin"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("; resumed at "), "{}", stdout(&out));
    assert_eq!(read(&t.path("six.bin")), bytes);
}

/// A name already taken in the folder: the file is stored as `name (1).ext`, and the summary
/// says so.
#[test]
fn a_renamed_upload_is_reported_under_its_stored_name() {
    let t = TestServer::start();
    t.login();
    t.folder("dups");
    t.file("dup.txt", b"first");
    t.ferry()
        .args(["upload", "dup.txt", "-f", "dups"])
        .assert()
        .success();
    t.file("dup.txt", b"second");
    let out = t
        .ferry()
        .args(["upload", "dup.txt", "-f", "dups"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(" as \"dup (1).txt\" (\"dup.txt\" was taken)"),
        "{}",
        stdout(&out)
    );
}

/// A re-run of an upload skips what the folder already holds with the same name and SHA-256
/// (as rsync and rclone do), and `--on-conflict rename` still forces a copy.
#[test]
fn a_rerun_skips_files_already_uploaded_unless_a_copy_is_asked_for() {
    let t = TestServer::start();
    t.login();
    t.folder("again");
    t.file("report.pdf", &data(300_000, 3));
    t.ferry()
        .args(["upload", "report.pdf", "-f", "again"])
        .assert()
        .success();
    let out = t
        .ferry()
        .args(["upload", "report.pdf", "-f", "again"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("Already uploaded "),
        "{}",
        stdout(&out)
    );
    let names = |t: &TestServer| -> Vec<String> {
        let out = t.ferry().args(["ls", "again", "--json"]).output().unwrap();
        let list: api::FileList = json(&out);
        let mut names: Vec<String> = list.files.into_iter().map(|f| f.name).collect();
        names.sort();
        names
    };
    assert_eq!(names(&t), ["report.pdf"]);
    // Asked for a copy, it gets one.
    t.ferry()
        .args([
            "upload",
            "report.pdf",
            "-f",
            "again",
            "--on-conflict",
            "rename",
        ])
        .assert()
        .success();
    assert_eq!(names(&t), ["report (1).pdf", "report.pdf"]);
    // Other content under the same name is not "already uploaded".
    t.file("report.pdf", &data(300_000, 4));
    let out = t
        .ferry()
        .args(["upload", "report.pdf", "-f", "again"])
        .output()
        .unwrap();
    assert!(stdout(&out).starts_with("Uploaded "), "{}", stdout(&out));
    assert_eq!(
        names(&t),
        ["report (1).pdf", "report (2).pdf", "report.pdf"]
    );
}
