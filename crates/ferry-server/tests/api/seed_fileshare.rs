//! Seed 004's fileshare paths: the seed's own `curl` command lines, run with real curl against
//! the test server with only the host changed (`http://127.0.0.1:3001` becomes the server's
//! address plus `/fileshare`), user `foo` with password `bar` as the seed has it.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestApp, sha256_hex};
use crate::on_both_backends;

on_both_backends!(
    the_seeds_curl_lines_work_with_only_the_host_changed,
    sessions_are_expiring_folders_and_tokens_counted_links,
);

/// Runs a seed command line (as the seed writes it, host replaced) through `sh`, in `dir`;
/// curl's exit code and what it printed (with `-i`: the status line, headers and body).
fn run(dir: &std::path::Path, line: &str) -> (i32, String) {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .output()
        .expect("sh runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The status code and the JSON body of a `curl -i` answer.
fn answer(printed: &str) -> (u16, Value) {
    let status = printed
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = printed
        .split("\r\n\r\n")
        .nth(1)
        .map(|b| serde_json::from_str(b).unwrap_or(Value::Null))
        .unwrap_or(Value::Null);
    (status, body)
}

async fn the_seeds_curl_lines_work_with_only_the_host_changed(app: TestApp) {
    // The seed's user foo:bar ("bar" is shorter than Ferry lets anyone choose, so the test
    // sets its hash directly).
    let (seed_user, _) = app.user("foo", None).await;
    let state = app.server.as_ref().unwrap().state().clone();
    let hash = ferry_app::passwords::hash("bar".into()).await.unwrap();
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(&seed_user.id)
        .execute(&mut *state.store.conn().await.unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let content = b"hello from the seed\n".to_vec();
    std::fs::write(dir.path().join("test.txt"), &content).unwrap();
    // The seed writes /tmp/test.txt; the same file, in the test's own directory.
    let seed = |line: &str| {
        line.replace("http://127.0.0.1:3001", &format!("{}/fileshare", app.url))
            .replace(
                "/tmp/test.txt",
                &dir.path().join("test.txt").to_string_lossy(),
            )
    };

    // Two of the seed's lines give `--form` no value (`--form --user`): curl itself refuses
    // them before sending anything (exit code 2), whatever the server.
    for line in [
        "curl -i -X POST --insecure --form file=@/tmp/test.txt --form --user 'foo:bar' http://127.0.0.1:3001/uploads",
        "curl -i -X POST --insecure --form --user 'foo:bar' http://127.0.0.1:3001/uploads",
    ] {
        let (code, printed) = tokio::task::block_in_place(|| run(dir.path(), &seed(line)));
        assert_eq!(code, 2, "curl refuses `{line}` itself: {printed}");
    }

    // Without --user: the seed says the user is mandatory.
    let (code, printed) = tokio::task::block_in_place(|| {
        run(
            dir.path(),
            &seed(
                "curl -i -X POST --insecure --form file=@/tmp/test.txt http://127.0.0.1:3001/uploads",
            ),
        )
    });
    assert_eq!(code, 0);
    let (status, body) = answer(&printed);
    assert_eq!(status, 401, "{printed}");
    assert_eq!(body, serde_json::json!({"message": "unauthorized"}));

    // The full line: file, ttl and user.
    let (code, printed) = tokio::task::block_in_place(|| {
        run(
            dir.path(),
            &seed(
                "curl -i -X POST --insecure --form file=@/tmp/test.txt --form ttl=3600 --user 'foo:bar' http://127.0.0.1:3001/uploads",
            ),
        )
    });
    assert_eq!(code, 0);
    let (status, body) = answer(&printed);
    assert_eq!(status, 201, "{printed}");
    assert_eq!(body["name"], "test.txt");
    assert_eq!(body["ttl"], 3600);
    assert_eq!(body["size"], content.len());
    assert_eq!(body["checksum_sha256"], sha256_hex(&content));
    let url = body["url"].as_str().unwrap().to_string();
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(url, format!("{}/fileshare/uploads/{id}", app.url));

    // Simple download (GET /uploads/{fileId}), with the same credentials.
    let get = format!("curl -s --insecure --user 'foo:bar' {url}");
    let (code, printed) = tokio::task::block_in_place(|| run(dir.path(), &get));
    assert_eq!(code, 0);
    assert_eq!(printed.as_bytes(), content.as_slice());
    // Someone else gets nothing: the same "not found" as for an unknown id.
    let (_, other) = app.user("other", None).await;
    drop(other);
    let (_, printed) = tokio::task::block_in_place(|| {
        run(
            dir.path(),
            &format!("curl -s -i --user 'other:password-other' {url}"),
        )
    });
    let (status, body) = answer(&printed);
    assert_eq!(status, 404, "{printed}");
    assert_eq!(body, serde_json::json!({"message": "not found"}));
    // It lives in foo's `fileshare` folder, like any file.
    let foo_client = app
        .anon
        .with_token(app.anon.login("foo", "bar").await.unwrap().access_token);
    let file = foo_client.get_file(&id).await.unwrap();
    assert_eq!(file.path, "/fileshare/test.txt");
    assert!(file.retention.expires_at.is_some());

    // Past its ttl: 410 in the seed's shape, before and after the collector purges it.
    app.clock.advance(Duration::from_secs(3601));
    let expired = format!("curl -s -i --insecure --user 'foo:bar' {url}");
    let (_, printed) = tokio::task::block_in_place(|| run(dir.path(), &expired));
    let (status, body) = answer(&printed);
    assert_eq!(status, 410, "{printed}");
    assert_eq!(body, serde_json::json!({"message": "upload expired"}));
    app.run_jobs().await;
    let (_, printed) = tokio::task::block_in_place(|| run(dir.path(), &expired));
    let (status, body) = answer(&printed);
    assert_eq!(status, 410, "after the purge: {printed}");
    assert_eq!(body, serde_json::json!({"message": "upload expired"}));

    // A ttl that is not a number is refused in the seed's shape.
    let (_, printed) = tokio::task::block_in_place(|| {
        run(
            dir.path(),
            &seed(
                "curl -i -X POST --insecure --form file=@/tmp/test.txt --form ttl=soon --user 'foo:bar' http://127.0.0.1:3001/uploads",
            ),
        )
    });
    let (status, body) = answer(&printed);
    assert_eq!(status, 400, "{printed}");
    assert!(body["message"].as_str().unwrap().contains("ttl"), "{body}");
}

/// curl with `args`: the status and the JSON body (null if none).
fn curl(args: &[&str]) -> (u16, Value) {
    let out = std::process::Command::new("curl")
        .args(["--silent", "--write-out", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (
        status.trim().parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

async fn sessions_are_expiring_folders_and_tokens_counted_links(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    app.user("bob", None).await;
    let base = format!("{}/fileshare", app.url);
    let dir = tempfile::tempdir().unwrap();
    let v1 = dir.path().join("notes.txt");
    std::fs::write(&v1, b"first").unwrap();
    let v2 = dir.path().join("v2.txt");
    std::fs::write(&v2, b"second version").unwrap();
    let form = |p: &std::path::Path| format!("file=@{}", p.display());
    let alice_auth = ["--user", "alice:password-alice"];
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tokio::task::block_in_place(|| curl(&args))
    };
    let with = |auth: [&str; 2], rest: &[&str]| -> Vec<String> {
        auth.iter().chain(rest).map(|s| s.to_string()).collect()
    };

    let (status, session) = run(with(
        alice_auth,
        &[
            "-X",
            "POST",
            "--data",
            r#"{"ttl": 3600}"#,
            &format!("{base}/sessions"),
        ],
    ));
    assert_eq!(status, 201, "{session}");
    let sid = session["id"].as_str().unwrap().to_string();
    assert!(sid.starts_with("fld_"));
    assert_eq!(session["files"], serde_json::json!([]));
    let files_url = format!("{base}/sessions/{sid}/files");
    let (status, file) = run(with(alice_auth, &["--form", &form(&v1), &files_url]));
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["name"], "notes.txt");
    let fid = file["id"].as_str().unwrap().to_string();

    let (status, list) = run(with(alice_auth, &[&format!("{base}/sessions")]));
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], sid.as_str());
    let (_, files) = run(with(alice_auth, &[&files_url]));
    assert_eq!(files.as_array().unwrap().len(), 1, "{files}");
    // Replacing the file makes a new version of it.
    let (status, replaced) = run(with(
        alice_auth,
        &[
            "-X",
            "PUT",
            "--form",
            &form(&v2),
            &format!("{files_url}/{fid}"),
        ],
    ));
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(
        (replaced["id"].as_str(), replaced["version"].as_i64()),
        (Some(fid.as_str()), Some(2))
    );

    // A download token is a counted link: one download, then the link is used up.
    let (status, token) = run(with(
        alice_auth,
        &[
            "-X",
            "POST",
            "--data",
            r#"{"max_downloads": 1}"#,
            &format!("{files_url}/{fid}/tokens"),
        ],
    ));
    assert_eq!(status, 201, "{token}");
    let url = token["url"].as_str().unwrap().to_string();
    let res = reqwest::get(&url).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"second version");
    let res = reqwest::get(&url).await.unwrap();
    assert_eq!(res.status(), 410, "used up");

    // Bob sees nothing of alice's session; a folder that is not a session is not one.
    let bob_auth = ["--user", "bob:password-bob"];
    let (status, body) = run(with(bob_auth, &[&format!("{base}/sessions/{sid}")]));
    assert_eq!(
        (status, body),
        (404, serde_json::json!({"message": "not found"}))
    );
    let plain = alice.create_folder("Plain", 0).await.unwrap();
    let (status, _) = run(with(
        alice_auth,
        &[&format!("{base}/sessions/{}", plain.id)],
    ));
    assert_eq!(status, 404);

    // Deleting the file; then the session's time runs out.
    let (status, _) = run(with(
        alice_auth,
        &["-X", "DELETE", &format!("{files_url}/{fid}")],
    ));
    assert_eq!(status, 204);
    let (_, files) = run(with(alice_auth, &[&files_url]));
    assert_eq!(files, serde_json::json!([]));
    app.clock.advance(Duration::from_secs(3601));
    // Expired: 410 until the collector (which runs on its own every second) has removed it.
    let (status, body) = run(with(alice_auth, &[&format!("{base}/sessions/{sid}")]));
    assert!(
        (status, &body) == (410, &serde_json::json!({"message": "session expired"}))
            || (status, &body) == (404, &serde_json::json!({"message": "not found"})),
        "{status} {body}"
    );
    app.run_jobs().await;
    let (status, _) = run(with(alice_auth, &[&format!("{base}/sessions/{sid}")]));
    assert_eq!(status, 404, "removed with everything in it");
    let (_, list) = run(with(alice_auth, &[&format!("{base}/sessions")]));
    assert_eq!(list, serde_json::json!([]));

    // A session deleted by its owner is gone; a bad ttl is refused.
    let (_, other) = run(with(
        alice_auth,
        &["-X", "POST", &format!("{base}/sessions")],
    ));
    let other = other["id"].as_str().unwrap().to_string();
    let (status, _) = run(with(
        alice_auth,
        &["-X", "DELETE", &format!("{base}/sessions/{other}")],
    ));
    assert_eq!(status, 204);
    let (status, _) = run(with(alice_auth, &[&format!("{base}/sessions/{other}")]));
    assert_eq!(status, 404);
    let (status, body) = run(with(
        alice_auth,
        &[
            "-X",
            "POST",
            "--data",
            r#"{"ttl": "soon"}"#,
            &format!("{base}/sessions"),
        ],
    ));
    assert_eq!(status, 400, "{body}");
    let (status, _) = run(vec!["-X".into(), "POST".into(), format!("{base}/sessions")]);
    assert_eq!(status, 401);
}
