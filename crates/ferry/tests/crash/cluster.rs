//! Three `ferry serve` processes on one PostgreSQL database and one S3 bucket (a real s3s-fs),
//! behind nginx round-robin, the way `docs/deployment.md` describes a cluster. Any request may
//! land on any node: one upload's parts go through different nodes (one of which is killed
//! with SIGKILL in the middle of a part), a 3-download link is raced by 50 clients, a token
//! revoked on one node is refused by another on the next request, a webhook event is delivered
//! once, and an expired file is purged once although every node runs the purge worker.
//!
//! Needs `FERRY_TEST_DATABASE_URL` (at build and run time), s3s-fs and nginx; `.ci/run`
//! provides all three. Without nginx or s3s-fs it says so and skips, unless
//! `FERRY_TEST_S3_BIN` is set (as in CI), which makes a missing nginx a failure.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry_api as api;
use ferry_blob::testing::S3Server;
use ferry_client::Client;
use ferry_store::testdb::TestSchema;
use futures::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use super::{Ferry, MIB, PASSWORD, data, sha};

/// nginx in front of the nodes, round-robin, streaming request bodies through unbuffered.
struct Nginx {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn binary() -> Option<PathBuf> {
        ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    }

    async fn start(bin: &Path, nodes: &[&str]) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let upstreams: String = nodes
            .iter()
            .map(|n| format!("server {};\n", n.trim_start_matches("http://")))
            .collect();
        // Workers run as root when the master does (nginx would switch to `nobody`, which
        // cannot write the temp dirs of a root-owned tempdir).
        let root = std::fs::metadata("/proc/self").is_ok_and(|m| {
            use std::os::unix::fs::MetadataExt;
            m.uid() == 0
        });
        let user = if root { "user root;" } else { "" };
        let d = dir.path().display();
        let conf = format!(
            "{user}\ndaemon off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\nevents {{ worker_connections 1024; }}\n\
             http {{\n access_log off;\n client_body_temp_path {d}/body;\n\
             proxy_temp_path {d}/proxy;\n fastcgi_temp_path {d}/fastcgi;\n\
             uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
             upstream ferry {{\n{upstreams}}}\n\
             server {{\n listen 127.0.0.1:{port};\n client_max_body_size 0;\n\
             proxy_request_buffering off;\n proxy_buffering off;\n proxy_http_version 1.1;\n\
             proxy_read_timeout 300s;\n\
             location / {{ proxy_pass http://ferry; proxy_set_header Host $http_host;\n\
             proxy_set_header X-Forwarded-For $remote_addr;\n\
             proxy_set_header Connection \"\"; }}\n }}\n}}\n"
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(bin)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        let nginx = Nginx {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        for _ in 0..200 {
            if reqwest::get(format!("{}/readyz", nginx.url))
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return nginx;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nginx did not come up");
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A webhook receiver on loopback: answers 204 to every POST and counts deliveries by the
/// event id in the body.
struct Receiver {
    url: String,
    seen: Arc<Mutex<HashMap<String, usize>>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let counted = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let counted = counted.clone();
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    // One request per connection is enough for a test; keep-alive requests
                    // are read in a loop all the same.
                    loop {
                        let mut length = 0usize;
                        let mut line = String::new();
                        let mut first = true;
                        loop {
                            line.clear();
                            if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == "\r\n" {
                                break;
                            }
                            if first {
                                first = false;
                                continue;
                            }
                            if let Some((k, v)) = line.split_once(':')
                                && k.eq_ignore_ascii_case("content-length")
                            {
                                length = v.trim().parse().unwrap_or(0);
                            }
                        }
                        let mut body = vec![0; length];
                        if stream.read_exact(&mut body).await.is_err() {
                            return;
                        }
                        if let Ok(event) = serde_json::from_slice::<serde_json::Value>(&body)
                            && let Some(id) = event["id"].as_str()
                        {
                            *counted.lock().unwrap().entry(id.to_string()).or_default() += 1;
                        }
                        let answer = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";
                        if stream.get_mut().write_all(answer).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Receiver { url, seen }
    }

    fn deliveries(&self) -> HashMap<String, usize> {
        self.seen.lock().unwrap().clone()
    }
}

async fn login(url: &str) -> Client {
    let c = Client::new(url);
    let s = c.login("admin", PASSWORD).await.unwrap();
    c.with_token(s.access_token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn three_nodes_behind_nginx_share_one_database_and_one_bucket() {
    let required = std::env::var_os(ferry_blob::testing::BIN_ENV).is_some();
    let Some(nginx_bin) = Nginx::binary() else {
        assert!(!required, "nginx is missing (apt-get install nginx-light)");
        eprintln!("skipped: nginx not found");
        return;
    };
    let Some(s3) = S3Server::start() else {
        return;
    };
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");

    let env: Vec<(String, String)> = vec![
        ("FERRY_DATABASE__URL".into(), schema.url().into()),
        ("FERRY_STORAGE__BACKEND".into(), "s3".into()),
        ("FERRY_STORAGE__S3__BUCKET".into(), s3.bucket.clone()),
        ("FERRY_STORAGE__S3__ENDPOINT".into(), s3.endpoint.clone()),
        ("FERRY_STORAGE__S3__REGION".into(), "us-east-1".into()),
        ("FERRY_STORAGE__S3__ALLOW_HTTP".into(), "true".into()),
        (
            "FERRY_STORAGE__S3__ACCESS_KEY_ID".into(),
            s3.access_key.clone(),
        ),
        (
            "FERRY_STORAGE__S3__SECRET_ACCESS_KEY".into(),
            s3.secret_key.clone(),
        ),
        (
            "FERRY_WEBHOOKS__ALLOW_PRIVATE_TARGETS".into(),
            "true".into(),
        ),
        ("FERRY_WEBHOOKS__DISPATCH_INTERVAL_MS".into(), "100".into()),
        ("FERRY_RATE_LIMITS__EXEMPT_LOOPBACK".into(), "true".into()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    // The first node creates the schema and the admin; the others join it.
    let mut nodes = Vec::new();
    for dir in &dirs {
        nodes.push(Ferry::start_with(dir.path(), None, &env).await);
    }
    let urls: Vec<String> = nodes.iter().map(|n| n.url.clone()).collect();
    let nginx = Nginx::start(
        &nginx_bin,
        &urls.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    let lb = login(&nginx.url).await;
    let direct: Vec<Client> = {
        let mut v = Vec::new();
        for url in &urls {
            v.push(login(url).await);
        }
        v
    };
    let folder = lb.create_folder("cluster", 0).await.unwrap();

    // A token used on node 1, revoked through node 0, is refused by node 1 at once.
    for round in 0..20 {
        let issued = direct[0]
            .create_token(&api::CreateToken {
                name: format!("round {round}"),
                kind: "api".into(),
                scopes: vec!["read".into(), "write".into()],
                folder_id: None,
                expires_at: None,
            })
            .await
            .unwrap();
        let on_b = Client::new(&urls[1]).with_token(&issued.secret);
        on_b.me().await.unwrap();
        direct[0].revoke_token(&issued.token.id).await.unwrap();
        let refused = on_b.me().await.unwrap_err();
        assert_eq!(
            refused.code(),
            Some("unauthorized"),
            "round {round}: {refused:?}"
        );
    }

    // A webhook for completed uploads, to be delivered once whichever node records the event
    // and however many nodes dispatch.
    let receiver = Receiver::start().await;
    lb.create_webhook(&api::CreateWebhook {
        url: receiver.url.clone(),
        events: vec!["upload.completed".into()],
        description: None,
    })
    .await
    .unwrap();

    // One upload, its parts through three different nodes; node 2 dies in the middle of
    // part 3, which is then sent again through the load balancer.
    let bytes = data(16 * MIB);
    let up = direct[0]
        .create_upload(&api::CreateUpload {
            uploader_name: None,
            uploader_email: None,
            folder_id: folder.id.clone(),
            filename: "spread.bin".into(),
            size: bytes.len() as i64,
            checksum_sha256: Some(sha(&bytes)),
            part_size: Some(5 * MIB as i64),
            on_conflict: None,
            relative_path: None,
            modified_at: None,
        })
        .await
        .unwrap();
    let part = |n: usize| bytes[(n - 1) * 5 * MIB..(n * 5 * MIB).min(bytes.len())].to_vec();
    direct[1]
        .put_part(&up.upload_id, 2, part(2), None)
        .await
        .unwrap();
    direct[0]
        .put_part(&up.upload_id, 1, part(1), None)
        .await
        .unwrap();
    let chunks: Vec<Vec<u8>> = part(3).chunks(MIB).take(2).map(<[u8]>::to_vec).collect();
    let trickle = futures::stream::iter(chunks)
        .then(|c| async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok::<_, std::io::Error>(c)
        })
        .chain(futures::stream::pending());
    let doomed = {
        let client = direct[2].clone();
        let id = up.upload_id.clone();
        tokio::spawn(async move {
            client
                .put_part(&id, 3, reqwest::Body::wrap_stream(trickle), None)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(600)).await;
    nodes[2].kill9();
    assert!(
        doomed.await.unwrap().is_err(),
        "the torn part was not acknowledged"
    );
    lb.put_part(&up.upload_id, 3, part(3), None).await.unwrap();
    lb.put_part(&up.upload_id, 4, part(4), None).await.unwrap();
    let file = match lb
        .complete_upload(&up.upload_id, &api::CompleteUpload::default())
        .await
        .unwrap()
    {
        Ok(file) => file,
        Err(_) => loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let status = lb.get_upload(&up.upload_id).await.unwrap();
            if let Some(file_id) = status.file_id {
                break lb.get_file(&file_id).await.unwrap();
            }
        },
    };
    assert_eq!(file.checksum_sha256, sha(&bytes));
    for client in [&lb, &direct[0], &direct[1]] {
        let got = client
            .content(&file.id, &[])
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(got == bytes, "every node serves the same bytes");
    }

    // 50 clients race for a 3-download link through the load balancer: exactly 3 get it.
    let link = lb
        .create_link(
            &file.id,
            &api::CreateLink {
                max_downloads: Some(3),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let racers = (0..50).map(|_| {
        let url = link.url.clone();
        let size = bytes.len();
        tokio::spawn(async move {
            let res = reqwest::get(&url).await.unwrap();
            let status = res.status().as_u16();
            let body = res.bytes().await.map(|b| b.len()).unwrap_or(0);
            (status, status == 200 && body == size)
        })
    });
    let mut full = 0;
    for racer in racers {
        let (status, complete) = racer.await.unwrap();
        match status {
            200 => {
                assert!(complete, "a started download is delivered whole");
                full += 1;
            }
            410 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(
        full, 3,
        "a 3-download link delivers exactly 3 times across nodes"
    );

    // The completed upload's event reaches the receiver once, with two nodes dispatching.
    let event = lb
        .audit_events(&[("action", "upload.completed")])
        .await
        .unwrap()
        .events
        .into_iter()
        .next()
        .expect("the completion is audited");
    for _ in 0..200 {
        if receiver.deliveries().contains_key(&event.id) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receiver.deliveries().get(&event.id),
        Some(&1),
        "delivered exactly once: {:?}",
        receiver.deliveries()
    );

    // A file that lives one second is purged once, by whichever node gets to it first.
    let res = lb
        .request(
            reqwest::Method::POST,
            &format!("/folders/{}/files", folder.id),
        )
        .query(&[("filename", "brief.txt"), ("ttl", "1")])
        .header("content-type", "application/octet-stream")
        .body("gone soon")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let brief: api::File = res.json().await.unwrap();
    let mut purged = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        purged = lb
            .audit_events(&[("action", "file.purged"), ("target", &brief.id)])
            .await
            .unwrap()
            .events;
        if !purged.is_empty() {
            break;
        }
    }
    // Every node's collector has had several passes (each second) by now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let purged_again = lb
        .audit_events(&[("action", "file.purged"), ("target", &brief.id)])
        .await
        .unwrap()
        .events;
    assert_eq!((purged.len(), purged_again.len()), (1, 1), "purged once");
    drop(nginx);
}
