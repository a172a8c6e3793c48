//! `ferry admin user add|ls|disable|enable|unlock|quota|password|role|rename`.

use ferry_api as api;

use crate::helpers::{TestServer, json, stderr, stdout};

#[test]
fn admin_manages_users() {
    let t = TestServer::start();
    t.login();

    let out = t
        .ferry()
        .args([
            "admin",
            "user",
            "add",
            "carol",
            "--password-stdin",
            "--name",
            "Carol C",
            "--quota",
            "10MiB",
            "--json",
        ])
        .write_stdin("password-carol\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let carol: api::User = json(&out);
    assert_eq!(carol.login, "carol");
    assert_eq!(carol.name, "Carol C");
    assert_eq!(carol.role, "user");
    assert_eq!(carol.quota.limit_bytes, Some(10 << 20));
    assert!(!carol.disabled);

    let out = t
        .ferry()
        .args([
            "admin",
            "user",
            "add",
            "dave",
            "--password-stdin",
            "--role",
            "admin",
        ])
        .write_stdin("password-dave\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("Created dave (usr_"), "{text}");
    assert!(
        text.contains("admin, active; quota 0 B / unlimited"),
        "{text}"
    );

    // The same login twice: the API's error.
    let out = t
        .ferry()
        .args(["admin", "user", "add", "carol", "--password-stdin"])
        .write_stdin("password-carol\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(name_conflict, request req_"),
        "{}",
        stderr(&out)
    );
    // No password and no terminal.
    let out = t
        .ferry()
        .args(["admin", "user", "add", "frank"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(missing_password)"),
        "{}",
        stderr(&out)
    );

    // ls: table and JSON.
    let out = t.ferry().args(["admin", "user", "ls"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("ID"), "{text}");
    let row = text.lines().find(|l| l.contains("carol")).unwrap();
    assert!(
        row.contains(&carol.id) && row.contains("user") && row.contains("active"),
        "{row}"
    );
    assert!(row.contains("0 B / 10.0 MiB"), "{row}");
    let out = t
        .ferry()
        .args(["admin", "user", "ls", "--json"])
        .output()
        .unwrap();
    let list: api::UserList = json(&out);
    let mut logins: Vec<&str> = list.users.iter().map(|u| u.login.as_str()).collect();
    logins.sort();
    assert_eq!(logins, ["admin", "carol", "dave"]);

    // Carol logs in with her own config dir.
    let carol_dir = tempfile::tempdir().unwrap();
    let carol_cli = || t.ferry_in(carol_dir.path());
    carol_cli()
        .args(["login", &t.url, "--login", "carol", "--password-stdin"])
        .write_stdin("password-carol\n")
        .assert()
        .success();
    carol_cli().arg("whoami").assert().success();
    // Not an admin.
    let out = carol_cli().args(["admin", "user", "ls"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));

    // Disabled by login: her token stops working at once.
    let out = t
        .ferry()
        .args(["admin", "user", "disable", "carol", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(json::<api::User>(&out).disabled);
    let out = carol_cli().arg("whoami").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(account_disabled, request req_"),
        "{}",
        stderr(&out)
    );
    let out = t.ferry().args(["admin", "user", "ls"]).output().unwrap();
    let row = stdout(&out)
        .lines()
        .find(|l| l.contains("carol"))
        .unwrap()
        .to_string();
    assert!(row.contains("disabled"), "{row}");

    // Enabled by id.
    let out = t
        .ferry()
        .args(["admin", "user", "enable", &carol.id])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("Enabled carol ("),
        "{}",
        stdout(&out)
    );
    // Disabling ended her session: she logs in again.
    let out = carol_cli().arg("whoami").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(unauthorized, request req_"),
        "{}",
        stderr(&out)
    );
    carol_cli()
        .args(["login", &t.url, "--login", "carol", "--password-stdin"])
        .write_stdin("password-carol\n")
        .assert()
        .success();
    carol_cli().arg("whoami").assert().success();

    // Locked by failed logins, then unlocked.
    let anon = ferry_client::Client::new(&t.url);
    for _ in 0..6 {
        let _ = t.rt.block_on(anon.login("carol", "wrong-password"));
    }
    let err =
        t.rt.block_on(anon.login("carol", "password-carol"))
            .unwrap_err();
    assert_eq!(err.code(), Some("account_locked"));
    let out = t
        .ferry()
        .args(["admin", "user", "ls", "--json"])
        .output()
        .unwrap();
    let list: api::UserList = json(&out);
    assert!(list.users.iter().any(|u| u.login == "carol" && u.locked));
    let out = t
        .ferry()
        .args(["admin", "user", "unlock", "carol", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!json::<api::User>(&out).locked);
    t.rt.block_on(anon.login("carol", "password-carol"))
        .expect("unlocked");

    // Quota: set, then removed.
    let out = t
        .ferry()
        .args(["admin", "user", "quota", "carol", "1GiB", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json::<api::User>(&out).quota.limit_bytes, Some(1 << 30));
    let out = t
        .ferry()
        .args(["admin", "user", "quota", &carol.id, "none"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("unlimited"), "{}", stdout(&out));
    let me = carol_cli().args(["whoami", "--json"]).output().unwrap();
    assert_eq!(json::<api::User>(&me).quota.limit_bytes, None);

    // Password: the new one logs in, the old one no longer does.
    let out = t
        .ferry()
        .args(["admin", "user", "password", "carol", "--password-stdin"])
        .write_stdin("password-carol-2\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("Set the password of carol ("),
        "{}",
        stdout(&out)
    );
    let err =
        t.rt.block_on(anon.login("carol", "password-carol"))
            .unwrap_err();
    assert_eq!(err.code(), Some("invalid_credentials"));
    t.rt.block_on(anon.login("carol", "password-carol-2"))
        .expect("the new password works");
    // The new password ended her CLI session: she logs in with it.
    let out = carol_cli().arg("whoami").output().unwrap();
    assert!(
        stderr(&out).contains("(unauthorized, request req_"),
        "{}",
        stderr(&out)
    );
    carol_cli()
        .args(["login", &t.url, "--login", "carol", "--password-stdin"])
        .write_stdin("password-carol-2\n")
        .assert()
        .success();
    // Too short: the API's error.
    let out = t
        .ferry()
        .args(["admin", "user", "password", "carol", "--password-stdin"])
        .write_stdin("short\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(invalid_password, request req_"),
        "{}",
        stderr(&out)
    );

    // Role and display name.
    let out = t
        .ferry()
        .args(["admin", "user", "role", "carol", "admin", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json::<api::User>(&out).role, "admin");
    carol_cli().args(["admin", "user", "ls"]).assert().success();
    let out = t
        .ferry()
        .args(["admin", "user", "role", &carol.id, "user"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Set the role of carol (") && stdout(&out).contains(", user, "),
        "{}",
        stdout(&out)
    );
    let out = t
        .ferry()
        .args([
            "admin",
            "user",
            "rename",
            "carol",
            "Carol Christensen",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let renamed: api::User = json(&out);
    assert_eq!(renamed.name, "Carol Christensen");
    assert_eq!(renamed.login, "carol");
    // An admin cannot demote themselves.
    let out = t
        .ferry()
        .args(["admin", "user", "role", "admin", "user"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(cannot_modify_self, request req_"),
        "{}",
        stderr(&out)
    );

    // Unknown users, bad sizes, admins disabling themselves.
    let out = t
        .ferry()
        .args(["admin", "user", "disable", "nobody"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("(not_found)"), "{}", stderr(&out));
    let out = t
        .ferry()
        .args(["admin", "user", "unlock", "usr_doesnotexist"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = t
        .ferry()
        .args(["admin", "user", "quota", "carol", "lots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = t
        .ferry()
        .args(["admin", "user", "add", "x", "--role", "root"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = t
        .ferry()
        .args(["admin", "user", "disable", "admin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(cannot_modify_self, request req_"),
        "{}",
        stderr(&out)
    );
}
