//! Where the client keeps its state: the credentials file and upload resume files.
//!
//! The directory is `$FERRY_CONFIG_DIR`, else `$XDG_CONFIG_HOME/ferry`, else
//! `~/.config/ferry`. Files holding a token are written with mode 0600, the directory with 0700.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::CliError;

/// What `ferry login` stores.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    /// The server, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// The client's configuration directory (not created).
pub fn config_dir() -> Result<PathBuf> {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(dir) = non_empty("FERRY_CONFIG_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = non_empty("XDG_CONFIG_HOME") {
        return Ok(PathBuf::from(dir).join("ferry"));
    }
    if let Some(home) = non_empty("HOME") {
        return Ok(PathBuf::from(home).join(".config").join("ferry"));
    }
    #[cfg(windows)]
    if let Some(appdata) = non_empty("APPDATA") {
        return Ok(PathBuf::from(appdata).join("ferry"));
    }
    Err(CliError::new(
        "no_config_dir",
        "cannot tell where to keep the credentials: set FERRY_CONFIG_DIR or HOME",
    )
    .into())
}

pub fn credentials_path() -> Result<PathBuf> {
    Ok(config_dir()?.join("credentials.json"))
}

/// The directory for upload resume files, created.
pub fn uploads_dir() -> Result<PathBuf> {
    let dir = config_dir()?.join("uploads");
    create_private_dir(&dir)?;
    Ok(dir)
}

pub fn load_credentials() -> Result<Option<Credentials>> {
    read_json(&credentials_path()?)
}

pub fn save_credentials(creds: &Credentials) -> Result<PathBuf> {
    let path = credentials_path()?;
    write_json_private(&path, creds)?;
    Ok(path)
}

/// Deletes the credentials file; `false` if there was none.
pub fn remove_credentials() -> Result<bool> {
    remove_file(&credentials_path()?)
}

/// Reads a JSON file; `None` if it does not exist.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .with_context(|| format!("{} is not valid", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes `value` as JSON to `path` atomically (temp file, fsync, rename), readable and
/// writable by the owner only. Creates the parent directory (mode 0700).
pub fn write_json_private<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let dir = path.parent().context("a file path has a parent")?;
    create_private_dir(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        // The mode only applies to new files: make sure of it for a leftover temp file.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(&serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    write()
        .inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Deletes a file; `false` if there was none.
pub fn remove_file(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot delete {}", path.display())),
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}
