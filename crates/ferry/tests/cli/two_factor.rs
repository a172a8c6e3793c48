//! `ferry 2fa status|enable|disable` and `ferry login --otp`.

use ferry_api as api;

use crate::helpers::{ADMIN_PASSWORD, TestServer};

/// The code an authenticator app shows for `secret` now, or in `steps` 30-second steps.
fn code(secret: &str, steps: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    let totp = totp_rs::Builder::new()
        .with_secret(secret.as_bytes())
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp.generate(now + 30 * steps).to_string()
}

#[test]
fn two_factor_is_turned_on_used_at_login_and_turned_off() {
    let t = TestServer::start();
    t.login();
    assert_eq!(t.ok(&["2fa", "status"]).trim(), "Two-factor login is off.");

    // Without a terminal, `enable` hands out the secret and stops.
    let enrolment: api::TwoFactorEnrolment = t.ok_json(&["2fa", "enable"]);
    assert!(enrolment.otpauth_uri.starts_with("otpauth://totp/"));
    let text = t.ok(&["2fa", "enable", "--code", &code(&enrolment.secret, 0)]);
    assert!(text.starts_with("Two-factor login is on."), "{text}");
    let recovery: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(recovery.len(), 10, "{text}");

    // The password alone is refused; with --otp (the next step's code: the one that
    // confirmed is used up) it logs in.
    let err = String::from_utf8_lossy(
        &t.ferry()
            .args(["login", &t.url, "--login", "admin", "--password-stdin"])
            .write_stdin(format!("{ADMIN_PASSWORD}\n"))
            .assert()
            .failure()
            .get_output()
            .stderr,
    )
    .to_string();
    assert!(err.contains("otp_required"), "{err}");
    t.ferry()
        .args([
            "login",
            &t.url,
            "--login",
            "admin",
            "--password-stdin",
            "--otp",
        ])
        .arg(code(&enrolment.secret, 1))
        .write_stdin(format!("{ADMIN_PASSWORD}\n"))
        .assert()
        .success();
    let status: api::TwoFactorStatus = t.ok_json(&["2fa", "status"]);
    assert_eq!((status.enabled, status.recovery_codes_left), (true, 10));

    let text = t.ok(&["2fa", "disable", "--code", recovery[0]]);
    assert_eq!(text.trim(), "Two-factor login is off.");
    t.login();
}
