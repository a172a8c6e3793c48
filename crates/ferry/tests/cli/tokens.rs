//! `ferry token create|ls|revoke|wipe`.

use ferry_api as api;

use crate::helpers::TestServer;

#[test]
fn a_user_makes_a_script_token_uses_it_and_revokes_it() {
    let t = TestServer::start();
    t.login();

    let text = t.ok(&["token", "create", "nightly backup", "--scope", "read"]);
    assert!(text.starts_with("Created api token tok_"), "{text}");
    assert!(text.contains("(read)"), "{text}");
    let secret = text.lines().last().unwrap().trim().to_string();
    let id = text
        .split_whitespace()
        .find(|w| w.starts_with("tok_"))
        .unwrap()
        .to_string();

    // The secret works as FERRY_TOKEN, for reading only.
    let whoami = t
        .ferry()
        .env("FERRY_URL", &t.url)
        .env("FERRY_TOKEN", &secret)
        .args(["whoami"])
        .assert()
        .success();
    let out = String::from_utf8_lossy(&whoami.get_output().stdout).to_string();
    assert!(out.contains("admin"), "{out}");
    let refused = t
        .ferry()
        .env("FERRY_URL", &t.url)
        .env("FERRY_TOKEN", &secret)
        .args(["mkdir", "nope"])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(err.contains("insufficient_scope"), "{err}");

    let listed: api::TokenList = t.ok_json(&["token", "ls"]);
    let mine = listed.tokens.iter().find(|tok| tok.id == id).unwrap();
    assert_eq!(mine.name.as_deref(), Some("nightly backup"));
    assert!(mine.last_used_at.is_some());
    let table = t.ok(&["token", "ls"]);
    assert!(
        table.contains("nightly backup") && table.contains("(this session)"),
        "{table}"
    );

    let text = t.ok(&["token", "revoke", &id]);
    assert_eq!(text.trim(), format!("Revoked {id}"));
    let after = t
        .ferry()
        .env("FERRY_URL", &t.url)
        .env("FERRY_TOKEN", &secret)
        .args(["whoami"])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&after.get_output().stderr).to_string();
    assert!(err.contains("unauthorized"), "{err}");

    // A device token is wiped, an API token is not.
    let device: api::IssuedToken = t.ok_json(&[
        "token",
        "create",
        "phone",
        "--kind",
        "device",
        "--scope",
        "read,write",
    ]);
    assert_eq!(device.token.kind, "device");
    let text = t.ok(&["token", "wipe", &device.token.id]);
    assert!(text.starts_with("Wipe ordered for tok_"), "{text}");
    // An unknown scope is a usage error (exit 2), named.
    let usage = t
        .ferry()
        .args(["token", "create", "x", "--scope", "sudo"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&usage.get_output().stderr).to_string();
    assert!(err.contains("invalid value 'sudo'"), "{err}");
}
