//! `ferry admin company add|ls|show|set|rm` and `ferry admin policy show|set|mine`.

use ferry_api as api;

use crate::helpers::{TestServer, json, stderr};

#[test]
fn admin_manages_companies_and_policies() {
    let t = TestServer::start();
    t.login();

    let text = t.ok(&["admin", "company", "add", "Acme", "--quota", "1MiB"]);
    assert!(text.starts_with("Created company Acme (cmp_"), "{text}");
    let other: api::Company = t.ok_json(&[
        "admin",
        "company",
        "add",
        "Other",
        "--default-user-quota",
        "10KiB",
    ]);
    assert_eq!(other.default_user_quota_bytes, Some(10 * 1024));
    let err = t.fails(&["admin", "company", "add", "ACME"]);
    assert!(err.contains("(name_conflict, request req_"), "{err}");

    let text = t.ok(&["admin", "company", "ls"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].contains("Acme") && lines[1].contains("active"),
        "{text}"
    );

    // By name in any case; status, quota and branding.
    let acme: api::Company = t.ok_json(&[
        "admin",
        "company",
        "set",
        "acme",
        "--status",
        "inactive",
        "--quota",
        "none",
        "--accent-color",
        "#aabbcc",
    ]);
    assert_eq!(acme.status, "inactive");
    assert_eq!(acme.quota.limit_bytes, None);
    assert_eq!(acme.branding.accent_color.as_deref(), Some("#aabbcc"));
    let text = t.ok(&["admin", "company", "show", &acme.id]);
    assert!(text.contains("status:             inactive"), "{text}");

    // A user in a company, and policies on it and on the user.
    let out = t
        .ferry()
        .args([
            "admin",
            "user",
            "add",
            "worker",
            "--password-stdin",
            "--company",
            &other.id,
            "--json",
        ])
        .write_stdin("password-worker\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let user: api::User = json(&out);
    assert_eq!(user.company_id.as_deref(), Some(other.id.as_str()));
    assert_eq!(user.quota.limit_bytes, Some(10 * 1024));
    let policy: api::Policy = t.ok_json(&[
        "admin",
        "policy",
        "set",
        "user",
        "worker",
        "--can-download",
        "false",
        "--allow-ip",
        "10.0.0.0/8",
        "--allow-ip",
        "127.0.0.1",
    ]);
    assert_eq!(policy.can_download, Some(false));
    assert_eq!(
        policy.allowed_ip_ranges,
        Some(vec!["10.0.0.0/8".to_string(), "127.0.0.1/32".to_string()])
    );
    let text = t.ok(&["admin", "policy", "show", "user", &user.id]);
    assert!(text.contains("can_download:             false"), "{text}");
    let text = t.ok(&[
        "admin",
        "policy",
        "set",
        "company",
        "Other",
        "--max-link-expires-in",
        "60",
    ]);
    assert!(text.contains("max_link_expires_in_secs: 60"), "{text}");
    let err = t.fails(&[
        "admin",
        "policy",
        "set",
        "group",
        "nope",
        "--can-upload",
        "false",
    ]);
    assert!(err.contains("no group with the id or name `nope`"), "{err}");
    let mine: api::Policy = t.ok_json(&["admin", "policy", "mine"]);
    assert_eq!(mine.can_download, Some(true));

    // A company with users stays; an empty one goes.
    let err = t.fails(&["admin", "company", "rm", "Other"]);
    assert!(err.contains("(conflict, request req_"), "{err}");
    let text = t.ok(&["admin", "company", "rm", "Acme"]);
    assert!(text.starts_with("Deleted company Acme"), "{text}");
}
