//! `ferry find` over `GET /search`: a text in names, descriptions and tags, and filters.

use ferry_api as api;
use ferry_client::Client;

use crate::helpers::{MIB, TestServer, data};

/// Paths of what a `--json` search found, in its order (folders with a trailing `/`).
fn found(results: &api::SearchResults) -> Vec<String> {
    results
        .items
        .iter()
        .map(|r| match (&r.kind[..], &r.file, &r.folder) {
            ("file", Some(f), _) => f.path.clone(),
            ("folder", _, Some(f)) => format!("{}/", f.path),
            other => panic!("a hit is a file or a folder: {other:?}"),
        })
        .collect()
}

#[test]
fn find_by_text_and_filters() {
    let t = TestServer::start();
    let password = "password-carol";
    t.rt.block_on(t.admin.create_user(&api::CreateUser {
        login: "carol".into(),
        password: password.into(),
        name: None,
        role: None,
        quota_bytes: Some(100 * MIB as i64),
        company_id: None,
    }))
    .unwrap();
    let anon = Client::new(&t.url);
    let session = t.rt.block_on(anon.login("carol", password)).unwrap();
    let carol = anon.with_token(session.access_token);
    t.login_as("carol", password);

    let rt = &t.rt;
    let docs = rt.block_on(carol.create_folder("docs", 0)).unwrap();
    let year = rt
        .block_on(carol.create_folder_in(Some(&docs.id), "2026"))
        .unwrap();
    rt.block_on(carol.create_folder_in(Some(&docs.id), "Invoices"))
        .unwrap();
    let put = |folder: &api::Folder, name: &str, bytes: Vec<u8>| {
        rt.block_on(carol.upload(&folder.id, name, bytes)).unwrap()
    };
    put(&year, "2026-INVOICE.pdf", data(4000, 1));
    let notes = put(&docs, "notes.txt", b"notes".to_vec());
    rt.block_on(carol.update_file(
        &notes.id,
        &api::UpdateFile {
            description: Some("What the invoice for acme said".into()),
            ..Default::default()
        },
    ))
    .unwrap();
    let scan = put(&year, "scan.png", data(2 * MIB, 2));
    rt.block_on(carol.update_file(
        &scan.id,
        &api::UpdateFile {
            tags: Some(vec!["Invoices".into(), "paper".into()]),
            ..Default::default()
        },
    ))
    .unwrap();
    put(&docs, "unrelated.txt", b"nothing to see".to_vec());
    // Another user's files are never found.
    let admins = t.folder("admin-invoices");
    rt.block_on(
        t.admin
            .upload(&admins.id, "invoice.pdf", b"theirs".to_vec()),
    )
    .unwrap();

    // Names, descriptions and tags, without regard to case, in name order, with paths.
    let hits: api::SearchResults = t.ok_json(&["find", "invoice"]);
    assert_eq!(
        found(&hits),
        [
            "/docs/2026/2026-INVOICE.pdf",
            "/docs/Invoices/",
            "/docs/notes.txt",
            "/docs/2026/scan.png"
        ]
    );
    assert!(hits.next_cursor.is_none());
    let text = t.ok(&["find", "INVOICE"]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].ends_with("PATH"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("fil_") && lines[1].ends_with(" /docs/2026/2026-INVOICE.pdf"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("fld_") && lines[2].ends_with(" /docs/Invoices/"),
        "{text}"
    );
    assert!(lines[4].contains("2.0 MiB"), "{text}");

    // Filters.
    let only = |args: &[&str]| found(&t.ok_json::<api::SearchResults>(args));
    assert_eq!(
        only(&["find", "invoice", "--type", "folder"]),
        ["/docs/Invoices/"]
    );
    assert_eq!(
        only(&["find", "invoice", "--in", "docs/2026"]),
        ["/docs/2026/2026-INVOICE.pdf", "/docs/2026/scan.png"]
    );
    assert_eq!(
        only(&["find", "--mime", "image/*"]),
        ["/docs/2026/scan.png"]
    );
    assert_eq!(
        only(&["find", "--mime", "application/pdf"]),
        ["/docs/2026/2026-INVOICE.pdf"]
    );
    assert_eq!(
        only(&["find", "--min-size", "1MiB"]),
        ["/docs/2026/scan.png"]
    );
    assert_eq!(
        only(&["find", "txt", "--max-size", "5"]),
        ["/docs/notes.txt"]
    );
    assert_eq!(only(&["find", "--tag", "PAPER"]), ["/docs/2026/scan.png"]);
    assert_eq!(
        only(&["find", "--tag", "pap"]),
        Vec::<String>::new(),
        "a tag is matched whole"
    );
    assert_eq!(only(&["find", "notes", "--modified-after", "1h"]).len(), 1);
    assert!(only(&["find", "notes", "--modified-before", "1h"]).is_empty());

    // --limit: as many as asked, and a word that there is more.
    let out = t
        .ferry()
        .args(["find", "invoice", "--limit", "2"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 3, "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("More than 2 found"), "{err}");
    let limited: api::SearchResults = t.ok_json(&["find", "invoice", "--limit", "3"]);
    assert_eq!(limited.items.len(), 3);
    assert!(limited.next_cursor.is_some());

    // Nothing, and the errors.
    assert_eq!(t.ok(&["find", "zzz"]).trim(), "Nothing found.");
    let err = t.fails(&["find", "x"]);
    assert!(
        err.contains("give 2 to 256") && err.contains("(invalid_query)"),
        "{err}"
    );
    let err = t.fails(&["find"]);
    assert!(err.contains("(missing_query)"), "{err}");
    let err = t.fails(&["find", "--in", "docs", "--type", "file"]);
    assert!(err.contains("(missing_query)"), "{err}");
    let err = t.fails(&["find", "invoice", "--in", "nowhere/at/all"]);
    assert!(err.contains("(not_found)"), "{err}");
    let out = t
        .ferry()
        .args(["find", "--modified-after", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
