//! A real S3 server for tests (feature `testing`): s3s-fs 0.14.1, which checks SigV4
//! signatures, on a free loopback port with a fresh root directory and one bucket.
//!
//! The binary is `$FERRY_TEST_S3_BIN` (CI sets it, so a missing binary fails there instead of
//! skipping), else `s3s-fs` on the `PATH`, else `~/.cache/ferry-ci/s3s-fs-0.14.1` (where
//! `.ci/run` caches it).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{S3Options, SignPayload};

/// The environment variable naming the s3s-fs binary.
pub const BIN_ENV: &str = "FERRY_TEST_S3_BIN";

/// A running s3s-fs, stopped (and its data removed) on drop.
pub struct S3Server {
    child: Child,
    root: PathBuf,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
}

/// The s3s-fs binary to use, if any (see the module documentation). Panics when
/// `FERRY_TEST_S3_BIN` names a file that does not exist.
pub fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(BIN_ENV) {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "{BIN_ENV}={} is not a file", path.display());
        return Some(path);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("s3s-fs");
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    let cached = std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".cache/ferry-ci/s3s-fs-0.14.1"))?;
    cached.is_file().then_some(cached)
}

/// The message a test prints when it skips for want of s3s-fs.
pub const SKIP: &str = "skipped: s3s-fs not found (set FERRY_TEST_S3_BIN, put s3s-fs on the \
                        PATH, or `cargo install s3s-fs --version 0.14.1 --features binary`)";

impl S3Server {
    /// Starts s3s-fs with a bucket named `ferry`; None (after printing [`SKIP`]) when there
    /// is no binary.
    pub fn start() -> Option<S3Server> {
        let Some(bin) = binary() else {
            eprintln!("{SKIP}");
            return None;
        };
        Some(S3Server::start_with(&bin))
    }

    /// Starts the binary `bin`.
    pub fn start_with(bin: &Path) -> S3Server {
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).expect("OS RNG");
        let root = std::env::temp_dir().join(format!("ferry-s3s-{}", hex::encode(suffix)));
        let bucket = "ferry".to_string();
        std::fs::create_dir_all(root.join(&bucket)).expect("create the s3s-fs root");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let (access_key, secret_key) = ("ferry-test-key".to_string(), hex::encode(suffix));
        let child = Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", &access_key, "--secret-key", &secret_key])
            .arg(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let server = S3Server {
            child,
            root,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket,
            access_key,
            secret_key,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// Options for a client of this server.
    pub fn options(&self) -> S3Options {
        S3Options {
            bucket: self.bucket.clone(),
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            virtual_hosted_style: false,
            allow_http: true,
            access_key_id: Some(self.access_key.clone()),
            secret_access_key: Some(self.secret_key.clone()),
            session_token: None,
            sign_payload: SignPayload::Auto,
        }
    }

    /// What the server holds besides finished objects: unfinished multipart uploads and
    /// their parts (names of s3s-fs's own files), and objects under `tmp/`.
    pub fn leftovers(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&self.root) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                if name.starts_with(".upload") {
                    out.push(name);
                }
            }
        }
        let tmp = self.root.join(&self.bucket).join("tmp");
        let mut stack = vec![tmp];
        while let Some(dir) = stack.pop() {
            if let Ok(entries) = std::fs::read_dir(&dir) {
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else {
                        out.push(path.display().to_string());
                    }
                }
            }
        }
        out
    }

    /// The objects stored under `prefix` in the bucket (file paths relative to the bucket).
    pub fn objects(&self, prefix: &str) -> Vec<String> {
        let base = self.root.join(&self.bucket);
        let mut out = Vec::new();
        let mut stack = vec![base.join(prefix)];
        while let Some(dir) = stack.pop() {
            if let Ok(entries) = std::fs::read_dir(&dir) {
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if let Ok(rel) = path.strip_prefix(&base) {
                        out.push(rel.display().to_string());
                    }
                }
            }
        }
        out.sort();
        out
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
