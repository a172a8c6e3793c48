//! `ferry login`, `whoami`, `logout`, and FERRY_URL / FERRY_TOKEN.

use ferry_api as api;

use crate::helpers::{ADMIN_PASSWORD, TestServer, json, stderr, stdout};

#[test]
fn login_stores_a_private_token_and_logout_revokes_it() {
    let t = TestServer::start();
    let out = t
        .ferry()
        .args(["login", &t.url, "--login", "admin", "--password-stdin"])
        .write_stdin(format!("{ADMIN_PASSWORD}\n"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Logged in"), "{}", stdout(&out));

    let creds_path = t.config.path().join("credentials.json");
    let creds: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&creds_path).unwrap()).unwrap();
    assert_eq!(creds["url"], t.url.as_str());
    let token = creds["token"].as_str().unwrap().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&creds_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "credentials are private");
    }

    let out = t.ferry().arg("whoami").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("admin ("), "{}", stdout(&out));
    let out = t.ferry().args(["whoami", "--json"]).output().unwrap();
    let me: api::User = json(&out);
    assert_eq!(me.login, "admin");
    assert_eq!(me.role, "admin");

    let out = t.ferry().arg("logout").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!creds_path.exists(), "the credentials are gone");
    // The token is revoked on the server.
    let err =
        t.rt.block_on(ferry_client::Client::new(&t.url).with_token(token).me())
            .unwrap_err();
    assert_eq!(err.code(), Some("unauthorized"));

    let out = t.ferry().arg("whoami").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not_logged_in"), "{}", stderr(&out));
    // Logging out again is harmless.
    t.ferry().arg("logout").assert().success();
}

#[test]
fn login_json_and_wrong_password() {
    let t = TestServer::start();
    let out = t
        .ferry()
        .args([
            "login",
            &t.url,
            "--login",
            "admin",
            "--password-stdin",
            "--json",
        ])
        .write_stdin("wrong password\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("(invalid_credentials, request req_"), "{err}");
    assert!(!t.config.path().join("credentials.json").exists());

    let out = t
        .ferry()
        .args([
            "login",
            &t.url,
            "--login",
            "admin",
            "--password-stdin",
            "--json",
        ])
        .write_stdin(ADMIN_PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shown: serde_json::Value = json(&out);
    assert_eq!(shown["url"], t.url.as_str());
    let user: api::UserSummary = serde_json::from_value(shown["user"].clone()).unwrap();
    assert_eq!(user.login, "admin");
}

#[test]
fn env_variables_override_the_stored_credentials() {
    let t = TestServer::start();
    let token =
        t.rt.block_on(ferry_client::Client::new(&t.url).login("admin", ADMIN_PASSWORD))
            .unwrap()
            .access_token;
    // Nothing stored: the environment alone is enough.
    let out = t
        .ferry()
        .args(["whoami", "--json"])
        .env("FERRY_URL", &t.url)
        .env("FERRY_TOKEN", &token)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json::<api::User>(&out).login, "admin");

    // A bad FERRY_TOKEN wins over good stored credentials.
    t.login();
    let out = t
        .ferry()
        .arg("whoami")
        .env("FERRY_TOKEN", "not-a-token")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unauthorized"), "{}", stderr(&out));

    // A stored token is never sent to another server named by FERRY_URL.
    let out = t
        .ferry()
        .arg("whoami")
        .env("FERRY_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not_logged_in"), "{}", stderr(&out));
}

/// `ferry passwd` changes the password with the current one: a wrong current password is the
/// server's refusal and changes nothing; afterwards the new password logs in, the old one does
/// not, and the session that changed it keeps working while the account's other ones end.
#[test]
fn passwd_changes_the_password_and_ends_the_other_sessions() {
    let t = TestServer::start();
    t.login();
    t.ferry()
        .args(["admin", "user", "add", "erin", "--password-stdin"])
        .write_stdin("erin-password-1\n")
        .assert()
        .success();
    let erin_dir = tempfile::tempdir().unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let login = |dir: &std::path::Path, password: &str| {
        t.ferry_in(dir)
            .args(["login", &t.url, "--login", "erin", "--password-stdin"])
            .write_stdin(format!("{password}\n"))
            .output()
            .unwrap()
    };
    assert!(login(erin_dir.path(), "erin-password-1").status.success());
    assert!(login(other_dir.path(), "erin-password-1").status.success());

    let out = t
        .ferry_in(erin_dir.path())
        .args(["passwd", "--password-stdin"])
        .write_stdin("not-her-password\nerin-password-2\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
    t.ferry_in(other_dir.path())
        .arg("whoami")
        .assert()
        .success();

    let out = t
        .ferry_in(erin_dir.path())
        .args(["passwd", "--password-stdin", "--json"])
        .write_stdin("erin-password-1\nerin-password-2\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json::<serde_json::Value>(&out)["changed"], true);

    t.ferry_in(erin_dir.path()).arg("whoami").assert().success();
    let out = t.ferry_in(other_dir.path()).arg("whoami").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "the other session ended");
    let fresh = tempfile::tempdir().unwrap();
    assert!(!login(fresh.path(), "erin-password-1").status.success());
    assert!(login(fresh.path(), "erin-password-2").status.success());

    // A second line is needed: one line is a clear error, not an empty new password.
    let out = t
        .ferry_in(fresh.path())
        .args(["passwd", "--password-stdin"])
        .write_stdin("erin-password-2\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("new password"), "{}", stderr(&out));
}
