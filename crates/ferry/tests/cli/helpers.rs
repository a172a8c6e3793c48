//! A server in-process and a `ferry` command bound to it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::Command;
use ferry_api as api;
use ferry_client::Client;
use ferry_server::{Config, Server};
use sha2::Digest;

pub const ADMIN_PASSWORD: &str = "admin-password-for-cli-tests";
pub const MIB: usize = 1 << 20;

pub struct TestServer {
    pub rt: tokio::runtime::Runtime,
    server: Option<Server>,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// Logged in as the bootstrap admin, for checks through the API.
    pub admin: Client,
    server_config: Config,
    _data: tempfile::TempDir,
    /// The client's FERRY_CONFIG_DIR.
    pub config: tempfile::TempDir,
    /// A scratch directory for files to upload and download.
    pub work: tempfile::TempDir,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(|_| {})
    }

    /// A server whose configuration `adjust` changes first (e.g. to allow private webhook
    /// targets).
    pub fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let data = tempfile::tempdir().expect("temp dir");
        let mut config = Config::default();
        config.server.listen = "127.0.0.1:0".parse().unwrap();
        config.storage.data_dir = data.path().to_path_buf();
        config.admin.password = Some(ADMIN_PASSWORD.into());
        // The suite drives the server from loopback, far faster than any client would.
        config.rate_limits.exempt_loopback = true;
        // Stopping cuts in-flight requests at once (see `restart`).
        config.server.shutdown_grace_secs = 0;
        adjust(&mut config);
        let server = rt
            .block_on(Server::start(config.clone()))
            .expect("server starts");
        let url = format!("http://{}", server.addr());
        let anon = Client::new(&url);
        let session = rt
            .block_on(anon.login("admin", ADMIN_PASSWORD))
            .expect("admin logs in");
        TestServer {
            admin: anon.with_token(session.access_token),
            rt,
            server_config: Config {
                server: ferry_server::config::ServerConfig {
                    listen: server.addr(),
                    ..config.server.clone()
                },
                ..config
            },
            server: Some(server),
            url,
            _data: data,
            config: tempfile::tempdir().expect("temp dir"),
            work: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Stops the server, cutting off requests in flight, and starts it again on the same
    /// address and data after `pause`.
    pub fn restart(&mut self, pause: std::time::Duration) {
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.shutdown()).expect("clean shutdown");
        }
        std::thread::sleep(pause);
        let server = self
            .rt
            .block_on(Server::start(self.server_config.clone()))
            .expect("server restarts");
        self.server = Some(server);
    }

    /// `ferry` with this test's config dir, in the work dir, without the caller's FERRY_*.
    pub fn ferry(&self) -> Command {
        let mut cmd = Command::cargo_bin("ferry").expect("the ferry binary");
        self.scrub(&mut cmd);
        cmd
    }

    /// `ferry` with another config dir (e.g. a fresh, empty one: no credentials at all).
    pub fn ferry_in(&self, config_dir: &Path) -> Command {
        let mut cmd = self.ferry();
        cmd.env("FERRY_CONFIG_DIR", config_dir);
        cmd
    }

    /// Logs the CLI in as `login` (a user made through the API).
    pub fn login_as(&self, login: &str, password: &str) {
        self.ferry()
            .args(["login", &self.url, "--login", login, "--password-stdin"])
            .write_stdin(format!("{password}\n"))
            .assert()
            .success();
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        self._data.path()
    }

    /// The same as a `std::process::Command` (for spawning and killing).
    pub fn ferry_std(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"));
        cmd.env("FERRY_CONFIG_DIR", self.config.path())
            .env_remove("FERRY_URL")
            .env_remove("FERRY_TOKEN")
            .current_dir(self.work.path());
        cmd
    }

    fn scrub(&self, cmd: &mut Command) {
        cmd.env("FERRY_CONFIG_DIR", self.config.path())
            .env_remove("FERRY_URL")
            .env_remove("FERRY_TOKEN")
            .current_dir(self.work.path())
            .timeout(std::time::Duration::from_secs(120));
    }

    /// Logs the CLI in as admin.
    pub fn login(&self) {
        self.ferry()
            .args(["login", &self.url, "--login", "admin", "--password-stdin"])
            .write_stdin(format!("{ADMIN_PASSWORD}\n"))
            .assert()
            .success();
    }

    /// Creates a folder through the API.
    pub fn folder(&self, name: &str) -> api::Folder {
        self.rt
            .block_on(self.admin.create_folder(name, 0))
            .expect("create folder")
    }

    /// Writes `bytes` to `name` in the work dir.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.work.path().join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    /// The resume files the client keeps.
    pub fn resume_files(&self) -> usize {
        std::fs::read_dir(self.config.path().join("uploads"))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

/// Shorthands for the tests of the tree and of versions.
impl TestServer {
    /// A subfolder through the API.
    pub fn subfolder(&self, parent: &api::Folder, name: &str) -> api::Folder {
        self.rt
            .block_on(self.admin.create_folder_in(Some(&parent.id), name))
            .expect("create subfolder")
    }

    /// A small file through the API.
    pub fn put(&self, folder: &api::Folder, name: &str, bytes: &[u8]) -> api::File {
        self.rt
            .block_on(self.admin.upload(&folder.id, name, bytes.to_vec()))
            .expect("upload")
    }

    /// What a path names now, through the API.
    pub fn resolved(&self, path: &str) -> Option<api::Resolved> {
        match self.rt.block_on(self.admin.resolve(path)) {
            Ok(r) => Some(r),
            Err(e) if e.code() == Some("not_found") => None,
            Err(e) => panic!("resolve {path}: {e}"),
        }
    }

    /// Runs `ferry args`, expecting success; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.ferry().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}\n{}",
            stderr(&out),
            stdout(&out)
        );
        stdout(&out)
    }

    /// Runs `ferry args`, expecting exit 1 and nothing on stdout; its stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.ferry().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}\n{}",
            stderr(&out),
            stdout(&out)
        );
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
        stderr(&out)
    }

    pub fn ok_json<T: serde::de::DeserializeOwned>(&self, args: &[&str]) -> T {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.ferry().args(&all).output().unwrap();
        assert!(out.status.success(), "{all:?}: {}", stderr(&out));
        json(&out)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = self.rt.block_on(server.shutdown());
        }
    }
}

/// Deterministic, incompressible-looking test data.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub fn sha(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Parses a command's stdout as JSON of type `T`.
pub fn json<T: serde::de::DeserializeOwned>(output: &std::process::Output) -> T {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not the expected JSON ({e}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The id of the upload that `ferry` announced for the file `name` (`name: upload upl_… created`)
/// in the stderr lines `seen`.
pub fn upload_id(seen: &[String], name: &str) -> String {
    seen.iter()
        .filter_map(|l| l.strip_prefix(name)?.strip_prefix(": upload "))
        .find_map(|r| r.split(' ').next().filter(|id| id.starts_with("upl_")))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no upload id for {name} in {seen:#?}"))
}

/// Runs `ferry args` and kills it (SIGKILL: no cleanup code runs) as soon as a line of its
/// stderr satisfies `stop`. Returns the lines seen.
pub fn run_until(t: &TestServer, args: &[&str], stop: impl Fn(&str) -> bool) -> Vec<String> {
    run_cmd_until(t.ferry_std().args(args), stop)
}

/// [`run_until`] for a prepared command.
pub fn run_cmd_until(cmd: &mut std::process::Command, stop: impl Fn(&str) -> bool) -> Vec<String> {
    let mut w = Watched::start(cmd);
    w.wait_for(stop);
    w.child.kill().unwrap();
    let status = w.child.wait().unwrap();
    assert!(!status.success(), "killed mid-transfer: {:#?}", w.seen);
    std::mem::take(&mut w.seen)
}

/// A `ferry` process whose stderr lines are watched.
pub struct Watched {
    pub child: std::process::Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Watched {
    pub fn spawn(t: &TestServer, args: &[&str]) -> Watched {
        Watched::start(t.ferry_std().args(args))
    }

    pub fn start(cmd: &mut std::process::Command) -> Watched {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stderr_pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watched {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one satisfies `stop`.
    pub fn wait_for(&mut self, stop: impl Fn(&str) -> bool) {
        loop {
            let Ok(line) = self.lines.recv_timeout(Duration::from_secs(30)) else {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "the awaited line never came; output so far: {:#?}",
                    self.seen
                );
            };
            let done = stop(&line);
            self.seen.push(line);
            if done {
                return;
            }
        }
    }

    /// Sends SIGINT (what Ctrl-C sends), waits for the process to end and returns its exit
    /// code and every stderr line.
    pub fn interrupt(mut self) -> (Option<i32>, Vec<String>) {
        let sent = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -INT");
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        (status.code(), std::mem::take(&mut self.seen))
    }

    /// Waits for the process to end and returns whether it succeeded, reading the rest.
    pub fn finish(mut self) -> (bool, Vec<String>) {
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        (status.success(), std::mem::take(&mut self.seen))
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` until it returns `Some`, for at most 30 s (link deliveries are settled and
/// audited just after the response ends).
pub fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
