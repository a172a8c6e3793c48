//! Exit codes and error lines.

use crate::helpers::{MIB, TestServer, data, stderr, stdout};

#[test]
fn unknown_file_is_exit_1_with_the_api_error() {
    let t = TestServer::start();
    t.login();
    for cmd in [
        vec!["info", "fil_doesnotexist"],
        vec!["download", "fil_doesnotexist"],
        vec!["rm", "fil_doesnotexist"],
    ] {
        let out = t.ferry().args(&cmd).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{cmd:?}");
        let err = stderr(&out);
        assert!(err.starts_with("error: "), "{cmd:?}: {err}");
        assert!(err.contains("(not_found, request req_"), "{cmd:?}: {err}");
        assert!(stdout(&out).is_empty(), "{cmd:?}");
    }
    let out = t
        .ferry()
        .args(["upload", "nothing.bin", "--folder", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("(not_found)"), "{}", stderr(&out));
}

#[test]
fn usage_errors_are_exit_2() {
    let t = TestServer::start();
    for args in [
        vec!["info", "--bogus", "fil_x"],
        vec!["info"],
        vec!["frobnicate"],
        vec!["upload", "x.bin"],
        vec!["upload", "x.bin", "-f", "a", "--part-size", "12XB"],
        vec!["upload", "x.bin", "-f", "a", "--parallel", "0"],
        vec!["whoami", "--connect-timeout", "soon"],
    ] {
        let out = t.ferry().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    t.ferry().arg("--help").assert().code(0);
    t.ferry().arg("--version").assert().code(0);
}

#[test]
fn not_logged_in_and_unreachable_servers_are_exit_1() {
    let t = TestServer::start();
    let out = t.ferry().arg("ls").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not_logged_in"), "{}", stderr(&out));

    let out = t
        .ferry()
        .args([
            "login",
            "http://127.0.0.1:9",
            "--login",
            "a",
            "--password-stdin",
        ])
        .write_stdin("pw\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("connection_failed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn completions_are_generated() {
    let t = TestServer::start();
    for shell in ["bash", "zsh", "fish"] {
        let out = t.ferry().args(["completions", shell]).output().unwrap();
        assert!(out.status.success());
        let script = stdout(&out);
        assert!(
            script.contains("upload") && script.contains("download"),
            "{shell}"
        );
    }
}

#[test]
fn an_upload_over_quota_fails_cleanly() {
    let t = TestServer::start();
    t.rt.block_on(t.admin.create_user(&ferry_api::CreateUser {
        login: "bob".into(),
        password: "password-bob".into(),
        name: None,
        role: None,
        quota_bytes: Some(1 << 20),
        company_id: None,
    }))
    .unwrap();
    t.ferry()
        .args(["login", &t.url, "--login", "bob", "--password-stdin"])
        .write_stdin("password-bob\n")
        .assert()
        .success();
    t.ferry().args(["mkdir", "mine"]).assert().success();
    t.file("big.bin", &crate::helpers::data(2 << 20, 11));
    let out = t
        .ferry()
        .args(["upload", "big.bin", "-f", "mine"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("(quota_exceeded, request req_"), "{err}");
    assert!(err.starts_with("error: uploading "), "{err}");
    assert_eq!(t.resume_files(), 0);
}

/// `ferry … | head`: when the reader of stdout is gone, the command ends quietly with the
/// status of a program that SIGPIPE ends (141), not a panic (101) or an error message.
#[test]
fn a_closed_pipe_ends_quietly() {
    let t = TestServer::start();
    t.login();
    let folder = t.folder("pipe");
    // Far more than a pipe buffers, in case a write starts before the reader is closed.
    let file =
        t.rt.block_on(t.admin.upload(&folder.id, "big.bin", data(4 * MIB, 31)))
            .unwrap();
    for args in [
        vec!["completions", "bash"],
        vec!["download", file.id.as_str(), "-o", "-", "-q"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        // The reader is closed before the command writes anything.
        drop(reader);
        let out = t
            .ferry_std()
            .args(&args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(141), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}");
    }
}

/// An `https://` server is spoken to with TLS by the default build: here the server speaks
/// plain HTTP, so the handshake fails (a connection error).
#[test]
fn https_urls_are_spoken_to_with_tls() {
    let t = TestServer::start();
    let https = t.url.replace("http://", "https://");
    let out = t
        .ferry()
        .args(["login", &https, "--login", "admin", "--password-stdin"])
        .write_stdin("whatever\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("(connection_failed)"), "{err}");
}
