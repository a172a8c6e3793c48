//! The client against a server that terminates TLS with a private CA: refused without
//! `--ca-cert` (the CA is not trusted), logged in with it.

use std::path::Path;
use std::process::Command as StdCommand;

use crate::helpers::{ADMIN_PASSWORD, TestServer, stderr};

/// A CA and a leaf for 127.0.0.1 signed by it, made with the `openssl` command line.
fn certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let out = StdCommand::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the openssl command line");
        assert!(out.status.success(), "openssl {args:?}: {}", stderr(&out));
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Private CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
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
}

#[test]
fn a_private_ca_is_trusted_with_ca_cert() {
    // A plain test server only for its client config dir and work dir.
    let t = TestServer::start();
    let certs = tempfile::tempdir().unwrap();
    certificates(certs.path());
    let data = tempfile::tempdir().unwrap();
    let mut config = ferry_server::Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.server.shutdown_grace_secs = 0;
    config.storage.data_dir = data.path().to_path_buf();
    config.admin.password = Some(ADMIN_PASSWORD.into());
    config.server.tls.cert_file = Some(certs.path().join("cert.pem"));
    config.server.tls.key_file = Some(certs.path().join("key.pem"));
    let server = t.rt.block_on(ferry_server::Server::start(config)).unwrap();
    let url = format!("https://127.0.0.1:{}", server.addr().port());

    let out = t
        .ferry()
        .args(["login", &url, "--login", "admin", "--password-stdin"])
        .write_stdin(format!("{ADMIN_PASSWORD}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(connection_failed)"),
        "{}",
        stderr(&out)
    );

    let out = t
        .ferry()
        .args([
            "login",
            &url,
            "--login",
            "admin",
            "--password-stdin",
            "--ca-cert",
        ])
        .arg(certs.path().join("ca.pem"))
        .write_stdin(format!("{ADMIN_PASSWORD}\n"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = t
        .ferry()
        .arg("whoami")
        .env("FERRY_CA_CERT", certs.path().join("ca.pem"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("admin"));

    // A file that holds no certificate is an error of its own.
    let out = t
        .ferry()
        .args(["whoami", "--ca-cert"])
        .arg(certs.path().join("leaf.ext"))
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("(invalid_ca_cert)"),
        "{}",
        stderr(&out)
    );
    t.rt.block_on(server.shutdown()).unwrap();
}
