//! The folder tree from the command line: paths as addresses, `mkdir -p`, `ls -R`, `mv`, `cp`,
//! `rename`, `rm` of folders and `trash`.

use ferry_api as api;

use crate::helpers::{TestServer, json, stderr, stdout};

#[derive(serde::Deserialize)]
struct Listing {
    folders: Vec<api::Folder>,
    files: Vec<api::File>,
}

#[test]
fn mkdir_p_makes_every_level_and_without_it_names_the_missing_part() {
    let t = TestServer::start();
    t.login();
    let err = t.fails(&["mkdir", "clients/acme/inbox"]);
    assert!(
        err.contains("`/clients` does not exist") && err.contains("(parent_missing)"),
        "{err}"
    );
    assert!(err.contains("mkdir -p"), "{err}");
    assert!(t.resolved("/clients").is_none());

    let inbox: api::Folder = t.ok_json(&["mkdir", "-p", "clients/acme/inbox"]);
    assert_eq!(inbox.path, "/clients/acme/inbox");
    assert_eq!(inbox.name, "inbox");
    let acme = t.resolved("/clients/acme").unwrap().folder.unwrap();
    assert_eq!(inbox.parent_id.as_deref(), Some(acme.id.as_str()));

    // Again: nothing to do, no error; levels match without regard to case.
    let text = t.ok(&["mkdir", "-p", "/Clients/ACME/inbox"]);
    assert_eq!(
        text.trim(),
        format!("Folder /clients/acme/inbox exists ({})", inbox.id)
    );
    let text = t.ok(&["mkdir", "-p", "Clients/acme/outbox"]);
    assert!(
        text.starts_with("Created folder /clients/acme/outbox (fld_"),
        "{text}"
    );

    // The parent exists: no -p needed; --retention-days works for subfolders too.
    let kept: api::Folder = t.ok_json(&["mkdir", "clients/kept", "--retention-days", "7"]);
    assert_eq!(kept.path, "/clients/kept");
    assert_eq!(kept.retention_days, 7);

    // A taken name without -p is still a conflict.
    let err = t.fails(&["mkdir", "clients/acme"]);
    assert!(err.contains("(name_conflict, request req_"), "{err}");

    // A plain name is a top-level folder, as before.
    let text = t.ok(&["mkdir", "plain"]);
    assert!(text.starts_with("Created folder plain (fld_"), "{text}");

    // A file in the way is named.
    t.put(&acme, "notes.txt", b"n");
    let err = t.fails(&["mkdir", "-p", "clients/acme/notes.txt/deeper"]);
    assert!(
        err.contains("`/clients/acme/notes.txt` is a file") && err.contains("(not_a_folder)"),
        "{err}"
    );
}

#[test]
fn ls_shows_subfolders_first_and_ls_r_walks_the_tree() {
    let t = TestServer::start();
    t.login();
    let docs = t.folder("docs");
    let y2026 = t.subfolder(&docs, "2026");
    let q1 = t.subfolder(&y2026, "q1");
    t.put(&docs, "a.txt", b"a");
    t.put(&docs, "z.txt", b"zz");
    t.put(&q1, "deep.txt", b"deep");

    // Folders (with a trailing slash) before files.
    let text = t.ok(&["ls", "docs"]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].ends_with("NAME"),
        "{text}"
    );
    assert!(
        lines[1].starts_with(&y2026.id) && lines[1].ends_with(" 2026/"),
        "{text}"
    );
    assert!(
        lines[2].ends_with(" a.txt") && lines[3].ends_with(" z.txt"),
        "{text}"
    );
    assert_eq!(lines.len(), 4, "{text}");

    // By path (with or without the leading slash, any case) and by id, the same listing.
    for given in ["/docs/2026", "Docs/2026", y2026.id.as_str()] {
        let list: Listing = t.ok_json(&["ls", given, "--page-size", "1"]);
        let folders: Vec<&str> = list.folders.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(folders, ["/docs/2026/q1"], "{given}");
        assert!(list.files.is_empty(), "{given}");
    }
    // The JSON of a folder is still readable as a FileList.
    let files: api::FileList = t.ok_json(&["ls", "docs"]);
    let names: Vec<&str> = files.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a.txt", "z.txt"]);

    // -R: each folder followed by what it holds, files after subfolders, with paths.
    let text = t.ok(&["ls", "-R", "docs"]);
    let paths: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.rsplit("  ").next().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/docs/2026/",
            "/docs/2026/q1/",
            "/docs/2026/q1/deep.txt",
            "/docs/a.txt",
            "/docs/z.txt"
        ],
        "{text}"
    );
    assert!(text.lines().next().unwrap().ends_with("PATH"), "{text}");
    // Without a folder (or with `/`): everything, top-level folders included.
    for args in [vec!["ls", "-R"], vec!["ls", "-R", "/"]] {
        let list: Listing = t.ok_json(&args);
        let folders: Vec<&str> = list.folders.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            folders,
            ["/docs", "/docs/2026", "/docs/2026/q1"],
            "{args:?}"
        );
        assert_eq!(list.files.len(), 3, "{args:?}");
    }
    // `ls /` is the top-level list, as `ls`.
    let top: api::FolderList = t.ok_json(&["ls", "/"]);
    assert_eq!(top.folders.len(), 1);

    // A missing path says which part is missing.
    let err = t.fails(&["ls", "docs/2025/q1"]);
    assert!(
        err.contains("no folder `/docs/2025/q1`: `/docs/2025` does not exist (not_found)"),
        "{err}"
    );
    let err = t.fails(&["ls", "docs/a.txt"]);
    assert!(err.contains("`/docs/a.txt` is a file"), "{err}");
    let text = t.ok(&["ls", "docs/2026/q1/"]);
    assert!(text.contains("deep.txt"), "{text}");
}

#[test]
fn mv_moves_and_renames_files_and_folders() {
    let t = TestServer::start();
    t.login();
    let inbox = t.folder("inbox");
    let archive = t.folder("archive");
    let old = t.subfolder(&archive, "old");
    let report = t.put(&inbox, "report.pdf", b"report");
    let memo = t.put(&inbox, "memo.txt", b"memo");

    // Into an existing folder: the name stays.
    let moved: api::File = t.ok_json(&["mv", "inbox/report.pdf", "archive"]);
    assert_eq!(moved.id, report.id);
    assert_eq!(moved.path, "/archive/report.pdf");
    assert_eq!(moved.folder_id, archive.id);

    // To a path whose parent exists: the last part is the new name. A dry run first.
    let text = t.ok(&["mv", &memo.id, "archive/old/memo-2026.txt", "--dry-run"]);
    assert!(
        text.starts_with(&format!(
            "Would move file /inbox/memo.txt ({}) to /archive/old/memo-2026.txt",
            memo.id
        )),
        "{text}"
    );
    assert!(text.contains("nothing was changed"), "{text}");
    assert!(t.resolved("/inbox/memo.txt").is_some());
    let text = t.ok(&["mv", &memo.id, "archive/old/memo-2026.txt"]);
    assert_eq!(
        text.trim(),
        format!(
            "Moved file /inbox/memo.txt to /archive/old/memo-2026.txt ({})",
            memo.id
        )
    );
    assert!(t.resolved("/inbox/memo.txt").is_none());

    // A taken name fails by default; --on-conflict rename picks a free one.
    let again = t.put(&inbox, "report.pdf", b"report two");
    let err = t.fails(&["mv", "/inbox/report.pdf", "/archive/"]);
    assert!(err.contains("(name_conflict, request req_"), "{err}");
    // The dry run sees it too (the server checks).
    let err = t.fails(&["mv", "/inbox/report.pdf", "/archive/", "--dry-run"]);
    assert!(err.contains("(name_conflict, request req_"), "{err}");
    let moved: api::File = t.ok_json(&["mv", &again.id, "archive", "--on-conflict", "rename"]);
    assert_eq!(moved.path, "/archive/report (1).pdf");

    // Folders: into another folder, then back to the top level with `/`.
    let moved: api::Folder = t.ok_json(&["mv", "archive/old", "inbox"]);
    assert_eq!(moved.id, old.id);
    assert_eq!(moved.path, "/inbox/old");
    assert!(t.resolved("/inbox/old/memo-2026.txt").is_some());
    let dry: serde_json::Value = t.ok_json(&["mv", "/inbox/old", "/", "--dry-run"]);
    assert_eq!(dry["ok"], true);
    assert_eq!(dry["source"]["id"], old.id.as_str());
    assert_eq!(dry["destination"]["path"], "/old");
    assert!(t.resolved("/inbox/old").is_some());
    let moved: api::Folder = t.ok_json(&["mv", "/inbox/old", "/"]);
    assert_eq!(moved.path, "/old");
    assert_eq!(moved.parent_id, None);
    // ...and under a new name at the top level.
    let moved: api::Folder = t.ok_json(&["mv", "/old", "/older"]);
    assert_eq!(moved.path, "/older");

    // Into a folder that does not exist: the missing part is named, nothing moves.
    let err = t.fails(&["mv", "archive/report.pdf", "nowhere/sub/report.pdf"]);
    assert!(
        err.contains("no folder `/nowhere/sub`") && err.contains("`/nowhere` does not exist"),
        "{err}"
    );
    let err = t.fails(&["mv", "archive/report.pdf", "nowhere/"]);
    assert!(err.contains("no folder `/nowhere`"), "{err}");
    assert!(t.resolved("/archive/report.pdf").is_some());
    // A mistyped folder id is no new name.
    let err = t.fails(&["mv", "inbox", "fld_doesnotexist"]);
    assert!(
        err.contains("no folder with the id or name `fld_doesnotexist` (not_found)"),
        "{err}"
    );
    // A file needs a folder.
    let err = t.fails(&["mv", "archive/report.pdf", "/"]);
    assert!(err.contains("(not_a_folder)"), "{err}");
    // A folder into itself: the server refuses.
    t.subfolder(&archive, "inner");
    let err = t.fails(&["mv", "archive", "archive/inner"]);
    assert!(err.contains("(invalid_move, request req_"), "{err}");
    // A source that does not exist.
    let err = t.fails(&["mv", "archive/nothing.txt", "inbox"]);
    assert!(
        err.contains("no file or folder `/archive/nothing.txt`"),
        "{err}"
    );
}

#[test]
fn cp_copies_and_refuses_a_taken_name_by_default() {
    let t = TestServer::start();
    t.login();
    let src = t.folder("src");
    let dst = t.folder("dst");
    let sub = t.subfolder(&src, "sub");
    let file = t.put(&src, "data.bin", b"some bytes");
    t.put(&sub, "inner.txt", b"inner");

    let text = t.ok(&["cp", "src/data.bin", "dst", "--dry-run"]);
    assert!(text.starts_with("Would copy file /src/data.bin"), "{text}");
    assert!(t.resolved("/dst/data.bin").is_none());

    let copy: api::File = t.ok_json(&["cp", "src/data.bin", "dst"]);
    assert_ne!(copy.id, file.id);
    assert_eq!(copy.path, "/dst/data.bin");
    assert_eq!(copy.checksum_sha256, file.checksum_sha256);
    assert!(t.resolved("/src/data.bin").is_some(), "the source stays");

    // The name is taken now: fail by default, a free name on request.
    let err = t.fails(&["cp", "src/data.bin", "dst"]);
    assert!(err.contains("(name_conflict, request req_"), "{err}");
    let err = t.fails(&["cp", "src/data.bin", "dst", "--on-conflict", "fail"]);
    assert!(err.contains("(name_conflict, request req_"), "{err}");
    let copy: api::File = t.ok_json(&["cp", &file.id, "dst", "--on-conflict", "rename"]);
    assert_eq!(copy.path, "/dst/data (1).bin");
    // Under a new name in the same folder.
    let text = t.ok(&["cp", "src/data.bin", "src/data-copy.bin"]);
    assert!(
        text.starts_with(&format!(
            "Copied file /src/data.bin ({}) to /src/data-copy.bin (fil_",
            file.id
        )),
        "{text}"
    );

    // A folder with what it holds.
    let tree: api::Folder = t.ok_json(&["cp", "src/sub", "dst/sub-copy"]);
    assert_ne!(tree.id, sub.id);
    assert_eq!(tree.path, "/dst/sub-copy");
    assert!(t.resolved("/dst/sub-copy/inner.txt").is_some());
    // DEST an existing folder: into it, under its own name.
    let into: api::Folder = t.ok_json(&["cp", "src/sub", &dst.id]);
    assert_eq!(into.path, "/dst/sub");
    let err = t.fails(&["cp", "src/sub", "dst"]);
    assert!(err.contains("(name_conflict, request req_"), "{err}");
    // The server copies into folders only.
    let err = t.fails(&["cp", "src/sub", "/"]);
    assert!(
        err.contains("a copy cannot be made at the top level"),
        "{err}"
    );
    let err = t.fails(&["cp", "src/sub", "missing/sub"]);
    assert!(err.contains("`/missing` does not exist"), "{err}");
}

#[test]
fn rename_files_and_folders_in_place() {
    let t = TestServer::start();
    t.login();
    let top = t.folder("top");
    let sub = t.subfolder(&top, "sub");
    let file = t.put(&sub, "draft.txt", b"draft");
    t.put(&sub, "taken.txt", b"taken");

    let text = t.ok(&["rename", "top/sub/draft.txt", "final.txt"]);
    assert_eq!(
        text.trim(),
        format!(
            "Renamed file /top/sub/draft.txt to /top/sub/final.txt ({})",
            file.id
        )
    );
    let renamed: api::Folder = t.ok_json(&["rename", &sub.id, "Sub 2026"]);
    assert_eq!(renamed.path, "/top/Sub 2026");
    assert!(t.resolved("/top/sub 2026/final.txt").is_some());
    let renamed: api::Folder = t.ok_json(&["rename", "top", "Top"]);
    assert_eq!(renamed.path, "/Top");

    // Names are unique without regard to case.
    let err = t.fails(&["rename", "top/sub 2026/final.txt", "TAKEN.txt"]);
    assert!(err.contains("(name_conflict, request req_"), "{err}");
    let err = t.fails(&["rename", "top/sub 2026/final.txt", "other/x.txt"]);
    assert!(
        err.contains("(invalid_name)") && err.contains("ferry mv"),
        "{err}"
    );
    let err = t.fails(&["rename", "top/nothing.txt", "x.txt"]);
    assert!(err.contains("(not_found)"), "{err}");
}

#[test]
fn trash_ls_restore_rm_and_empty() {
    let t = TestServer::start();
    t.login();
    let work = t.folder("work");
    let other = t.folder("other");
    let old = t.subfolder(&work, "old");
    let a = t.put(&work, "a.txt", b"aaaa");
    let b = t.put(&work, "b.txt", b"bb");
    t.put(&old, "inside.txt", b"inside");

    let text = t.ok(&["trash", "ls"]);
    assert_eq!(text.trim(), "The trash is empty.");

    // `rm` takes paths and folders now; deleted items go to the trash.
    let text = t.ok(&["rm", "work/a.txt"]);
    assert_eq!(text.trim(), format!("Deleted /work/a.txt ({})", a.id));
    let text = t.ok(&["rm", "/work/old"]);
    assert!(text.starts_with(&format!("Deleted /work/old ({}) with everything", old.id)));
    t.ok(&["rm", &b.id]);
    let err = t.fails(&["rm", "work"]);
    assert!(
        err.contains("give `/work`") && err.contains("(invalid_item)"),
        "{err}"
    );

    let list: api::TrashList = t.ok_json(&["trash", "ls", "--page-size", "1"]);
    let items: Vec<(&str, &str, &str)> = list
        .items
        .iter()
        .map(|i| (i.id.as_str(), i.kind.as_str(), i.original_path.as_str()))
        .collect();
    assert_eq!(
        items,
        [
            (b.id.as_str(), "file", "/work/b.txt"),
            (old.id.as_str(), "folder", "/work/old"),
            (a.id.as_str(), "file", "/work/a.txt"),
        ]
    );
    let text = t.ok(&["trash", "ls"]);
    assert!(
        text.lines().next().unwrap().ends_with("ORIGINAL PATH"),
        "{text}"
    );
    assert!(
        text.contains("/work/old/") && text.contains("  trashed  "),
        "{text}"
    );

    // Back where it was, by id...
    let text = t.ok(&["trash", "restore", &a.id]);
    assert_eq!(text.trim(), format!("Restored file /work/a.txt ({})", a.id));
    assert!(t.resolved("/work/a.txt").is_some());
    // ...or by original path, into another folder under another name.
    let restored: serde_json::Value = t.ok_json(&[
        "trash",
        "restore",
        "/work/old",
        "--to",
        "other",
        "--name",
        "restored",
    ]);
    assert_eq!(restored["id"], old.id.as_str());
    assert_eq!(restored["path"], "/other/restored");
    assert!(t.resolved("/other/restored/inside.txt").is_some());
    let _ = other;

    // Unknown items.
    let err = t.fails(&["trash", "restore", "fil_doesnotexist"]);
    assert!(err.contains("(not_found, request req_"), "{err}");
    let err = t.fails(&["trash", "restore", "/work/never.txt"]);
    assert!(
        err.contains("nothing in the trash was deleted from `/work/never.txt`"),
        "{err}"
    );
    let err = t.fails(&["trash", "rm", "fld_doesnotexist"]);
    assert!(err.contains("(not_found, request req_"), "{err}");

    // Purge one; empty the rest.
    let text = t.ok(&["trash", "rm", &b.id]);
    assert_eq!(text.trim(), format!("Purged {} for good", b.id));
    let err = t.fails(&["trash", "restore", &b.id]);
    assert!(err.contains("(not_found, request req_"), "{err}");
    t.ok(&["rm", "work/a.txt"]);
    t.ok(&["rm", "other/restored"]);
    let text = t.ok(&["trash", "empty"]);
    assert!(
        text.starts_with("Emptied the trash: purged 2 items ("),
        "{text}"
    );
    let emptied: serde_json::Value = t.ok_json(&["trash", "empty"]);
    assert_eq!(emptied["purged"], serde_json::json!([]));
    let text = t.ok(&["trash", "ls"]);
    assert_eq!(text.trim(), "The trash is empty.");

    // The place an item came from is gone: the error says how to restore it elsewhere.
    t.ok(&["mkdir", "-p", "gone/child"]);
    t.ok(&["rm", "gone/child"]);
    t.ok(&["rm", "/gone"]);
    let err = t.fails(&["trash", "restore", "/gone/child"]);
    assert!(
        err.contains("--to FOLDER") && err.contains("(original_parent_missing, request req_"),
        "{err}"
    );
    let restored: serde_json::Value =
        t.ok_json(&["trash", "restore", "/gone/child", "--to", "work"]);
    assert_eq!(restored["path"], "/work/child");
}

#[test]
fn upload_r_keeps_the_tree_and_reuses_existing_folders() {
    let t = TestServer::start();
    t.login();
    let media = t.folder("media");
    // Exists already, in another case: it is reused, not doubled.
    let existing = t.subfolder(&media, "Photos");
    t.file("photos/a.jpg", b"a");
    t.file("photos/2026/b.jpg", b"bb");
    t.file("photos/2026/q1/c.jpg", b"ccc");
    std::fs::create_dir_all(t.path("photos/empty")).unwrap();
    t.file("top.txt", b"top");

    // cp-style: the last argument is the folder.
    let out = t
        .ferry()
        .args(["upload", "-r", "photos", "top.txt", "media", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let files: Vec<api::File> = json(&out);
    let mut got: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    got.sort();
    assert_eq!(
        got,
        [
            "/media/Photos/2026/b.jpg",
            "/media/Photos/2026/q1/c.jpg",
            "/media/Photos/a.jpg",
            "/media/top.txt"
        ]
    );
    let a = t.resolved("/media/photos/a.jpg").unwrap().file.unwrap();
    assert_eq!(a.folder_id, existing.id);
    let empty = t.resolved("/media/Photos/empty").unwrap();
    assert_eq!(empty.kind, "folder", "empty directories become folders too");

    // Again: everything is there; nothing is sent, no folder is made.
    let out = t
        .ferry()
        .args(["upload", "-r", "photos", "top.txt", "--folder", "media"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.lines().all(|l| l.starts_with("Already uploaded ")),
        "{text}"
    );
    assert!(
        text.contains(" in /media/Photos/2026/q1 (same name"),
        "{text}"
    );
    assert!(!stderr(&out).contains("Created folder"), "{}", stderr(&out));

    // A trailing slash: what the directory holds, straight into the folder.
    t.ok(&["mkdir", "media/flat-top"]);
    let out = t
        .ferry()
        .args(["upload", "-r", "photos/", "media/flat-top"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("Created folder /media/flat-top/2026 (fld_")
            && err.contains("Created folder /media/flat-top/2026/q1 (fld_")
            && err.contains("Created folder /media/flat-top/empty (fld_"),
        "{err}"
    );
    assert!(t.resolved("/media/flat-top/a.jpg").is_some());
    assert!(t.resolved("/media/flat-top/2026/q1/c.jpg").is_some());

    // Without -r, still flat.
    t.ok(&["mkdir", "media/flat"]);
    t.ok(&["upload", "photos", "-f", "/media/flat"]);
    let list: Listing = t.ok_json(&["ls", "media/flat"]);
    assert!(list.folders.is_empty());
    assert_eq!(list.files.len(), 3);

    // A file where a folder should be.
    t.put(&media, "clash", b"a file");
    t.file("clash/x.txt", b"x");
    let err = t.fails(&["upload", "-r", "clash", "media"]);
    assert!(
        err.contains("cannot create the folder /media/clash: a file of that name is there"),
        "{err}"
    );
    // The folder is missing: named as for any command.
    let err = t.fails(&["upload", "-r", "photos", "media/nope/deeper"]);
    assert!(err.contains("`/media/nope` does not exist"), "{err}");
}

/// An upload with -r killed mid-file resumes, on the next run, in the same subfolder: the
/// finished files are skipped and the interrupted one sends only what is missing.
#[test]
fn upload_r_resumes_inside_the_tree() {
    let t = TestServer::start();
    t.login();
    t.folder("backup");
    let big = crate::helpers::data(12 * crate::helpers::MIB, 9);
    t.file("tree/small.txt", b"small");
    t.file("tree/sub/big.bin", &big);
    let args = [
        "upload",
        "-r",
        "tree",
        "backup",
        "--part-size",
        "5MiB",
        "--parallel",
        "1",
        "--limit-rate",
        "2MiB",
    ];
    let seen = crate::helpers::run_until(&t, &args, |line| line.contains("part 1/3 acknowledged"));
    assert!(
        seen.iter()
            .any(|l| l.contains("Created folder /backup/tree/sub")),
        "{seen:#?}"
    );
    assert_eq!(t.resume_files(), 1, "the resume file survives the kill");

    let out = t.ferry().args(args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("resuming upload upl_"), "{err}");
    assert!(!err.contains("Created folder"), "{err}");
    let text = stdout(&out);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("Already uploaded "),
        "{text}"
    );
    assert!(text.contains(" to /backup/tree/sub in "), "{text}");
    let file = t
        .resolved("/backup/tree/sub/big.bin")
        .unwrap()
        .file
        .unwrap();
    assert_eq!(file.checksum_sha256, crate::helpers::sha(&big));
    assert_eq!(t.resume_files(), 0);
}

#[test]
fn info_download_and_link_take_a_file_path() {
    let t = TestServer::start();
    t.login();
    let top = t.folder("Top");
    let sub = t.subfolder(&top, "sub");
    let file = t.put(&sub, "report.pdf", b"the report");

    let info: api::File = t.ok_json(&["info", "top/SUB/report.pdf"]);
    assert_eq!(info.id, file.id);
    let text = t.ok(&["info", "/Top/sub/report.pdf"]);
    assert!(text.contains("path:      /Top/sub/report.pdf"), "{text}");
    t.ok(&["download", "Top/sub/report.pdf", "-o", "got.pdf"]);
    assert_eq!(crate::helpers::read(&t.path("got.pdf")), b"the report");
    let url = t.ok(&["link", "Top/sub/report.pdf"]);
    assert!(url.trim().contains("/d/"), "{url}");
    let links: api::LinkList = t.ok_json(&["link", "ls", "Top/sub/report.pdf"]);
    assert_eq!(links.links.len(), 1);

    // A folder is not a file, and a missing file names what is missing.
    let err = t.fails(&["info", "Top/sub"]);
    assert!(
        err.contains("`/Top/sub` is a folder") && err.contains("(not_a_file)"),
        "{err}"
    );
    let err = t.fails(&["download", "Top/other/report.pdf"]);
    assert!(
        err.contains("no file `/Top/other/report.pdf`: `/Top/other` does not exist"),
        "{err}"
    );
    let err = t.fails(&["info", "report.pdf"]);
    assert!(err.contains("(invalid_file)"), "{err}");
}
