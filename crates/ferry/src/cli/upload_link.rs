//! `ferry upload --link URL FILE…`: uploading through an upload link, without logging in.
//! Small files go in one request (the simple upload), larger ones through the transfer
//! engine's resumable upload with the link instead of credentials.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use ferry_client::Uploader as LinkUploader;

use super::output::Progress;
use super::units::format_size;
use super::upload::UploadArgs;
use super::{CliError, Output, http_client};
use crate::transfer::upload::{LocalFile, Options, Uploader, mtime_ns};

/// Files up to this size go in one request; larger ones resumably (one default part).
const SIMPLE_MAX: u64 = 8 << 20;

pub async fn run(args: UploadArgs) -> Result<()> {
    let url = args.link.clone().expect("--link is set").trim().to_string();
    let out = Output::new(&args.common);
    let origin = link_origin(&url)?;
    let mut client = http_client(origin, &args.common)?;
    if let Some(password) = link_password(&args)? {
        let access = client.unlock_link(&url, &password).await?;
        client = client.with_link_access(access.link_access_token);
    }
    let info = client.link_info(&url).await?;
    if info.kind != "upload" {
        return Err(CliError::new(
            "not_an_upload_link",
            format!("`{url}` is a download link: use `ferry download {url}`"),
        )
        .into());
    }
    let mut files = Vec::new();
    for path in &args.paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if !meta.is_file() {
            return Err(CliError::new(
                "not_a_file",
                format!(
                    "{} is not a file: through a link, give the files one by one",
                    path.display()
                ),
            )
            .into());
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let path: PathBuf = std::path::absolute(path)?;
        files.push(LocalFile {
            path,
            name,
            size: meta.len(),
            mtime_ns: mtime_ns(&meta),
        });
    }
    let uploader = LinkUploader {
        name: args.name.clone(),
        email: args.email.clone(),
    };
    let options = Options {
        parallel: usize::from(args.parallel),
        part_size: args.part_size,
        on_conflict: "rename",
        no_resume: args.no_resume,
        verify_parts: args.verify_parts,
        uploader_name: args.name.clone(),
        uploader_email: args.email.clone(),
    };
    let total: u64 = files.iter().map(|f| f.size).sum();
    let progress = Progress::new(out.progress_mode(), files.len(), total);
    let mut uploaded = Vec::new();
    for source in &files {
        let bar = Arc::new(progress.file(&source.name, source.size));
        let file = if source.size <= SIMPLE_MAX {
            let bytes = tokio::fs::read(&source.path)
                .await
                .with_context(|| format!("cannot read {}", source.path.display()))?;
            client
                .upload_to_link(&url, &source.name, bytes, &uploader)
                .await?
        } else {
            let job = Uploader {
                client: client.with_upload_link(&url),
                server_url: origin.to_string(),
                folder_id: String::new(),
                options: &options,
                progress: bar.clone(),
                limiter: None,
            };
            job.upload(source).await?.0
        };
        bar.finish();
        if !out.json {
            let renamed = if file.name != source.name {
                format!(" as \"{}\" (\"{}\" was taken)", file.name, source.name)
            } else {
                String::new()
            };
            progress.println(&format!(
                "Uploaded {} ({}){renamed} through the link to {}",
                source.path.display(),
                format_size(source.size),
                info.name
            ));
        }
        uploaded.push(file);
    }
    progress.finish();
    out.result(&uploaded, || format!("{} files uploaded", uploaded.len()));
    Ok(())
}

/// `scheme://host[:port]` of an upload link's URL (`…/s/<token>`).
fn link_origin(url: &str) -> Result<&str> {
    match url
        .split(['?', '#'])
        .next()
        .and_then(|p| p.rsplit_once("/s/"))
    {
        Some((origin, token))
            if !token.is_empty()
                && (origin.starts_with("http://") || origin.starts_with("https://")) =>
        {
            Ok(origin)
        }
        _ => Err(CliError::new(
            "invalid_url",
            format!("`{url}` is not an upload link: expected http(s)://host/s/<token>"),
        )
        .into()),
    }
}

/// The link's password, if one is given: `--password-stdin`, `$FERRY_LINK_PASSWORD`, or asked
/// for with `--password`.
fn link_password(args: &UploadArgs) -> Result<Option<String>> {
    if args.password_stdin {
        return super::links::read_link_password(true, false).map(Some);
    }
    if let Ok(password) = std::env::var("FERRY_LINK_PASSWORD")
        && !password.is_empty()
    {
        return Ok(Some(password));
    }
    if args.password {
        return super::links::read_link_password(false, false).map(Some);
    }
    Ok(None)
}
