//! Seed 004's fileshare paths: the seed's own `curl` command lines, run with real curl against
//! the test server with only the host changed (`http://127.0.0.1:3001` becomes the server's
//! address plus `/fileshare`), user `foo` with password `bar` as the seed has it.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestApp, sha256_hex};
use crate::on_both_backends;

on_both_backends!(the_seeds_curl_lines_work_with_only_the_host_changed);

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
