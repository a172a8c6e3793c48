//! `ferry audit` (table, JSON, CSV, NDJSON, filters) and `ferry audit verify`.

use ferry_api as api;

use crate::helpers::{TestServer, eventually, json, stderr, stdout};

#[test]
fn audit_shows_uploads_and_link_events_in_every_format() {
    let t = TestServer::start();
    t.login();
    t.folder("docs");
    t.file("report.txt", b"quarterly numbers");
    let out = t
        .ferry()
        .args(["upload", "report.txt", "-f", "docs", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let file = json::<Vec<api::File>>(&out).remove(0);
    let out = t
        .ferry()
        .args(["link", &file.id, "--json"])
        .output()
        .unwrap();
    let link: api::Link = json(&out);
    let stranger = tempfile::tempdir().unwrap();
    t.ferry_in(stranger.path())
        .args(["download", &link.url, "-o", "got.txt"])
        .assert()
        .success();
    eventually("link.downloaded to be recorded", || {
        let events =
            t.rt.block_on(t.admin.audit_events(&[("action", "link.downloaded")]))
                .unwrap()
                .events;
        (!events.is_empty()).then_some(())
    });

    // Table.
    let out = t.ferry().arg("audit").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let head = text.lines().next().unwrap();
    for col in ["TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME", "IP"] {
        assert!(head.contains(col), "{head}");
    }
    for action in [
        "upload.completed",
        "link.created",
        "link.downloaded",
        "auth.login",
    ] {
        assert!(text.contains(action), "{action}: {text}");
    }
    let row = text
        .lines()
        .find(|l| l.contains("upload.completed"))
        .unwrap();
    assert!(
        row.contains("admin") && row.contains("success") && row.contains("127.0.0.1"),
        "{row}"
    );
    // The anonymous link download has no actor.
    let row = text
        .lines()
        .find(|l| l.contains("link.downloaded"))
        .unwrap();
    assert!(row.contains(&link.id) && row.contains(" - "), "{row}");

    // JSON with filters: only the actions asked for.
    let out = t
        .ferry()
        .args([
            "audit",
            "--action",
            "upload.completed,link.created",
            "--range",
            "24h",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let events: Vec<api::Event> = json(&out);
    let mut actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    actions.sort();
    assert_eq!(actions, ["link.created", "upload.completed"], "{events:#?}");
    let uploaded = events
        .iter()
        .find(|e| e.action == "upload.completed")
        .unwrap();
    assert_eq!(uploaded.actor.as_ref().unwrap().login, "admin");
    assert_eq!(uploaded.outcome, "success");

    // --target, --actor, --outcome.
    let out = t
        .ferry()
        .args(["audit", "--target", &link.id, "--format", "json"])
        .output()
        .unwrap();
    let events: Vec<api::Event> = json(&out);
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e.target.id == link.id), "{events:#?}");
    let out = t
        .ferry()
        .args([
            "audit",
            "--actor",
            "admin",
            "--outcome",
            "failure",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(json::<Vec<api::Event>>(&out).is_empty());

    // --limit across pages: the newest N, as JSON.
    let all: Vec<api::Event> = json(
        &t.ferry()
            .args(["audit", "--json", "--limit", "1000"])
            .output()
            .unwrap(),
    );
    assert!(all.len() >= 5, "{all:#?}");
    let out = t
        .ferry()
        .args(["audit", "--json", "--limit", "3"])
        .output()
        .unwrap();
    let three: Vec<api::Event> = json(&out);
    let ids: Vec<&str> = three.iter().map(|e| e.id.as_str()).collect();
    let want: Vec<&str> = all.iter().take(3).map(|e| e.id.as_str()).collect();
    assert_eq!(ids, want);

    // CSV: the server's export, streamed.
    let out = t
        .ferry()
        .args(["audit", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = stdout(&out);
    assert!(
        csv.starts_with("id,time,actor_id,actor_login,action,"),
        "{csv}"
    );
    assert!(csv.contains(",upload.completed,"), "{csv}");
    assert!(csv.contains(",link.created,"), "{csv}");
    assert!(csv.contains(",link.downloaded,"), "{csv}");
    assert!(csv.contains(&file.id), "{csv}");
    let out = t
        .ferry()
        .args(["audit", "--format", "csv", "--limit", "2"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out).lines().count(), 3, "{}", stdout(&out));

    // NDJSON: one event a line.
    let out = t
        .ferry()
        .args(["audit", "--format", "ndjson", "--action", "link.created"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<api::Event> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].target.id, link.id);

    // Bad input.
    for args in [
        vec!["audit", "--range", "1y"],
        vec!["audit", "--outcome", "maybe"],
        vec!["audit", "--format", "xml"],
        vec!["audit", "--format", "csv", "--json"],
        vec!["audit", "--limit", "0"],
    ] {
        let out = t.ferry().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    let out = t
        .ferry()
        .args(["audit", "--from", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(", request req_"), "{}", stderr(&out));
}

#[test]
fn audit_verify() {
    let t = TestServer::start();
    t.login();
    t.folder("a");
    let out = t.ferry().args(["audit", "verify"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("The audit chain is intact: "),
        "{}",
        stdout(&out)
    );
    let out = t
        .ferry()
        .args(["audit", "verify", "--json"])
        .output()
        .unwrap();
    let v: api::AuditVerification = json(&out);
    assert!(v.ok);
    assert!(v.checked >= 2, "{v:?}");
    assert_eq!(v.broken_event_id, None);

    // Admins only.
    t.rt.block_on(t.admin.create_user(&api::CreateUser {
        login: "erin".into(),
        password: "password-erin".into(),
        name: None,
        role: None,
        quota_bytes: None,
        company_id: None,
    }))
    .unwrap();
    t.login_as("erin", "password-erin");
    let out = t.ferry().args(["audit", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
    // A user sees their own events.
    let out = t.ferry().args(["audit", "--json"]).output().unwrap();
    let events: Vec<api::Event> = json(&out);
    assert!(!events.is_empty());
    assert!(
        events
            .iter()
            .all(|e| e.actor.as_ref().is_some_and(|a| a.login == "erin")),
        "{events:#?}"
    );
}
