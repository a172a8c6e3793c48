//! TLS termination over real sockets: certificates made by the `openssl` command line (a test
//! CA and a leaf for 127.0.0.1), HTTP/2 by ALPN, HSTS, and a reload (SIGHUP) that serves the
//! new certificate to new connections while an open connection keeps working.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::{StatusCode, Version};

/// A CA (`ca.pem`) and a leaf for 127.0.0.1 signed by it (`cert.pem`, `key.pem`), in `dir`.
fn make_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the openssl command line");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Ferry test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(&ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    run(&csr);
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "cert.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    )
}

/// A client that trusts only `ca`.
fn trusting(ca: &Path) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_http2_with_hsts_and_reloads_without_dropping_connections() {
    let certs = tempfile::tempdir().unwrap();
    let (ca1, cert1, key1) = make_certificates(&certs.path().join("one"));
    let (ca2, cert2, key2) = make_certificates(&certs.path().join("two"));
    // The server reads the files at these paths; a renewal replaces them.
    let cert = certs.path().join("server-cert.pem");
    let key = certs.path().join("server-key.pem");
    std::fs::copy(&cert1, &cert).unwrap();
    std::fs::copy(&key1, &key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = ferry_server::Server::start(tls_config(dir.path(), &cert, &key))
        .await
        .unwrap();
    let addr = server.addr();
    let url = format!("https://127.0.0.1:{}", addr.port());

    let old = trusting(&ca1);
    let res = old.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.version(), Version::HTTP_2, "ALPN picks HTTP/2");
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    // Links name the https:// URL.
    let res = old
        .get(format!("{url}/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Plain HTTP on the TLS port gets no answer.
    let plain = reqwest::get(format!("http://127.0.0.1:{}/healthz", addr.port())).await;
    assert!(plain.is_err(), "plain HTTP must not be served: {plain:?}");
    // HTTP/1.1 is offered too.
    let http1 = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&std::fs::read(&ca1).unwrap()).unwrap()])
        .http1_only()
        .build()
        .unwrap();
    let res = http1.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(res.version(), Version::HTTP_11);

    // Renewal: new files in place, then SIGHUP.
    std::fs::copy(&cert2, &cert).unwrap();
    std::fs::copy(&key2, &key).unwrap();
    let status = Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // The reload happens in the server's own task: new clients trusting only the new CA are
    // eventually served (polled, not timed).
    let new = trusting(&ca2);
    let mut served = false;
    for _ in 0..200 {
        if let Ok(res) = new.get(format!("{url}/healthz")).send().await {
            assert_eq!(res.status(), StatusCode::OK);
            served = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(served, "the new certificate is served after SIGHUP");
    // A new connection trusting only the old CA is refused now...
    let fresh_old = trusting(&ca1);
    assert!(
        fresh_old
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_err()
    );
    // ...while the connection opened before the reload still works (the old client trusts
    // only the old CA: a new connection could not have been made).
    let res = old.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.version(), Version::HTTP_2);

    // A reload with a broken file keeps the certificate in use.
    std::fs::write(&key, "not a key").unwrap();
    assert!(server.reload_tls().is_err());
    let res = trusting(&ca2)
        .get(format!("{url}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    server.shutdown().await.unwrap();
}

/// A server on 127.0.0.1:0 with TLS from these files.
fn tls_config(data: &Path, cert: &Path, key: &Path) -> ferry_server::Config {
    let mut config = ferry_server::Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.server.shutdown_grace_secs = 1;
    config.storage.data_dir = data.to_path_buf();
    config.admin.password = Some(crate::helpers::ADMIN_PASSWORD.into());
    config.server.tls.cert_file = Some(cert.to_path_buf());
    config.server.tls.key_file = Some(key.to_path_buf());
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_does_not_fit_the_certificate_stops_the_start() {
    let certs = tempfile::tempdir().unwrap();
    let (_, cert1, _) = make_certificates(&certs.path().join("one"));
    let (_, _, key2) = make_certificates(&certs.path().join("two"));
    let dir = tempfile::tempdir().unwrap();
    let config = tls_config(dir.path(), &cert1, &key2);
    let err = ferry_server::Server::start(config)
        .await
        .err()
        .expect("refused");
    assert!(format!("{err:#}").contains("does not fit"), "{err:#}");
}
