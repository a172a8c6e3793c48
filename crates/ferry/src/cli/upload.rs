//! `ferry upload`: which files (directories flat, or with `-r` as a tree of subfolders), into
//! which folder; each one goes through the transfer engine (`transfer::upload`), and the outcome
//! is printed.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, ValueEnum};
use ferry_api as api;
use ferry_client::Client;
use ferry_core::validate::name_key;

use super::files::{all_children, all_files};
use super::output::Progress;
use super::paths;
use super::units::{format_duration, format_rate, format_size, parse_size};
use super::{CliError, Common, Output, error_line, interrupt, session};
use crate::transfer::files::hash_prefix;
use crate::transfer::rate::RateLimit;
use crate::transfer::upload::{LocalFile, Options, Uploader, mtime_ns};

#[derive(Debug, Args)]
#[command(
    after_help = "FOLDER is a folder id (fld_…), a path with a slash (/Top/sub or Top/sub, from \
your root, case-insensitive) or the exact name of a top-level folder; it is given with --folder, \
or, as with cp, as the last argument: `ferry upload -r photos Top/2026`.

Without -r, directories are uploaded recursively but flat: every file lands directly in FOLDER \
under its own file name. With -r the tree is kept, as `cp -r` does: `ferry upload -r photos Top` \
makes Top/photos with a subfolder for each subdirectory (empty ones too), reusing the folders \
that exist already; `photos/` (with a trailing slash, as rsync reads it) or `.` puts what the \
directory holds straight into FOLDER.

An interrupted upload (Ctrl-C, a lost connection, a crash) resumes when the same command is run \
again: only the parts the server does not have yet are sent, and files already uploaded (same \
name and SHA-256 in their folder) are skipped."
)]
pub struct UploadArgs {
    /// Files or directories to upload, then (unless --folder is given) the FOLDER.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The folder to upload into (see below). Without it, the last PATH is the folder.
    #[arg(long, short = 'f', value_name = "FOLDER")]
    pub folder: Option<String>,
    /// Keep the directory tree: a subfolder for each directory (see below).
    #[arg(long, short = 'r')]
    pub recursive: bool,
    /// Parts sent at once for each file.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// Part size, 5MiB..=5GiB (e.g. 16MiB). Default: 8 MiB, larger only where a file needs
    /// it to stay within the server's 10,000 parts (from about 78 GiB). An interrupted upload
    /// keeps the parts that were acknowledged and sends the rest.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub part_size: Option<u64>,
    /// Send at most this many bytes per second in all (e.g. 10MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub limit_rate: Option<u64>,
    /// What to do when the folder already has a file of that name. Without this flag a file
    /// that is already there with the same content is skipped ("already uploaded") and one with
    /// other content is stored under a new name; `rename` always stores a new copy;
    /// `new-version` skips the same content too, and makes other content the file's next
    /// version (same id; `ferry versions ls` shows the older ones).
    #[arg(long, value_enum)]
    pub on_conflict: Option<OnConflict>,
    /// Start a new upload instead of resuming an interrupted one of the same file.
    #[arg(long)]
    pub no_resume: bool,
    /// Also hash each part as it is read and compare it with the server's SHA-256 of that
    /// part, so that a part damaged on the way is sent again at once. Without it any damage is
    /// still caught, by the whole file's SHA-256 at completion, but then the upload fails and
    /// the next run starts it over. Costs one more SHA-256 pass over the file (about 0.45 s of
    /// CPU per GiB, measured with 1 GiB).
    #[arg(long)]
    pub verify_parts: bool,
    /// Upload through an upload link (its URL), without logging in: every PATH is a file
    /// (none is a folder); files up to 8 MiB go in one request, larger ones resumably.
    #[arg(long, value_name = "URL", conflicts_with_all = ["folder", "recursive", "on_conflict"])]
    pub link: Option<String>,
    /// With --link: your name, kept with the files and shown to the folder's owner.
    #[arg(long, requires = "link")]
    pub name: Option<String>,
    /// With --link: your e-mail, kept with the files and shown to the folder's owner.
    #[arg(long, requires = "link")]
    pub email: Option<String>,
    /// With --link: the link has a password; ask for it (or take it from
    /// $FERRY_LINK_PASSWORD).
    #[arg(long, requires = "link")]
    pub password: bool,
    /// With --link: read the link's password from the first line of standard input.
    #[arg(long, requires = "link", conflicts_with = "password")]
    pub password_stdin: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnConflict {
    /// Keep both: the new file gets a new name.
    Rename,
    /// Fail the upload.
    Fail,
    /// Replace the file's content: the upload becomes its next version, under the same id.
    NewVersion,
}

impl OnConflict {
    /// The API's value.
    fn wire(self) -> &'static str {
        match self {
            OnConflict::Rename => "rename",
            OnConflict::Fail => "fail",
            OnConflict::NewVersion => "new_version",
        }
    }

    /// The CLI's value.
    fn arg(self) -> &'static str {
        match self {
            OnConflict::Rename => "rename",
            OnConflict::Fail => "fail",
            OnConflict::NewVersion => "new-version",
        }
    }
}

/// A local file and the folder it goes to: `dir` is the path of subfolders below FOLDER (empty
/// for FOLDER itself).
pub(super) struct Source {
    pub file: LocalFile,
    pub dir: Vec<String>,
}

pub async fn run(mut args: UploadArgs) -> Result<()> {
    if args.link.is_some() {
        return super::upload_link::run(args).await;
    }
    // cp-style: `ferry upload a b FOLDER`.
    if args.folder.is_none() {
        if args.paths.len() < 2 {
            let mut cli = super::Cli::command();
            cli.build();
            let upload = cli
                .find_subcommand_mut("upload")
                .expect("the upload command");
            upload
                .error(
                    clap::error::ErrorKind::MissingRequiredArgument,
                    "the folder to upload into is missing: give it with --folder FOLDER or as \
                     the last argument",
                )
                .exit();
        }
        let last = args.paths.pop().expect("two or more paths");
        args.folder = Some(last.to_string_lossy().into_owned());
    }
    let folder_arg = args.folder.clone().expect("set above");
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let folder = paths::folder(&s.client, &folder_arg).await?;
    let mut sources = Vec::new();
    let mut dirs = BTreeSet::new();
    for path in &args.paths {
        let base = if args.recursive {
            tree_base(path)?
        } else {
            Vec::new()
        };
        collect(path, true, args.recursive, base, &mut sources, &mut dirs)?;
    }
    if sources.is_empty() && dirs.is_empty() {
        return Err(CliError::new("nothing_to_upload", "no files found to upload").into());
    }
    // Every subfolder first (empty directories too), parents before their children.
    let mut folders = Folders::new(&s.client, folder.clone());
    for dir in &dirs {
        let made = folders.ensure(dir).await?;
        if let Some(f) = made
            && !out.json
        {
            say!("Created folder {} ({})", f.path, f.id);
        }
    }
    let total: u64 = sources.iter().map(|s| s.file.size).sum();
    let progress = Progress::new(out.progress_mode(), sources.len(), total);
    let limiter = RateLimit::shared(args.limit_rate);
    let options = Options {
        parallel: usize::from(args.parallel),
        part_size: args.part_size,
        on_conflict: args.on_conflict.unwrap_or(OnConflict::Rename).wire(),
        no_resume: args.no_resume,
        verify_parts: args.verify_parts,
        uploader_name: None,
        uploader_email: None,
    };
    // Unless a copy is asked for, a file a folder already holds (same name, same SHA-256) is
    // not sent again: a re-run of an upload finishes what is missing and nothing more. With
    // new-version too: the same content again would only make a version that changes nothing.
    // Names are compared as the server compares them, without regard to case.
    let skip_existing = args.on_conflict != Some(OnConflict::Rename);
    let mut existing: HashMap<String, HashMap<String, api::File>> = HashMap::new();
    let mut uploaded = Vec::new();
    let mut failures: Vec<PathBuf> = Vec::new();
    let count = sources.len();
    let paths: Vec<PathBuf> = sources.iter().map(|s| s.file.path.clone()).collect();
    for (i, Source { file: source, dir }) in sources.into_iter().enumerate() {
        let target = folders.get(&dir);
        // A folder given by id or name is shown by name, as before; by path in a tree, or
        // when it was given by path.
        let shown = if args.recursive || paths::is_path(&folder_arg) {
            target.path.clone()
        } else {
            target.name.clone()
        };
        // Resuming means sending this file and the ones after it (and any that failed), not
        // the ones already uploaded: their upload is over, and would be made again. A tree is
        // resumed whole (its files must land in their subfolders): what is there is skipped.
        let rerun = if args.recursive {
            rerun_args(&args, &folder_arg, &args.paths)
        } else {
            let pending: Vec<PathBuf> = failures.iter().chain(&paths[i..]).cloned().collect();
            rerun_args(&args, &folder_arg, &pending)
        };
        interrupt::set_rerun(Some(rerun));
        if skip_existing && !existing.contains_key(&target.id) {
            let files = all_files(&s.client, &target.id, 1000).await?;
            existing.insert(
                target.id.clone(),
                files.into_iter().map(|f| (name_key(&f.name), f)).collect(),
            );
        }
        let same_name = existing
            .get(&target.id)
            .and_then(|e| e.get(&name_key(&source.name)));
        if let Some(file) = same_name
            && file.size as u64 == source.size
            && sha256_of(&source.path, source.size).await? == file.checksum_sha256
        {
            if !out.json {
                progress.println(&format!(
                    "Already uploaded {} ({}) as {} in {shown} (same name and SHA-256); nothing \
                     sent",
                    source.path.display(),
                    format_size(source.size),
                    file.id,
                ));
            }
            uploaded.push(file.clone());
            continue;
        }
        let bar = Arc::new(progress.file(&source.name, source.size));
        let job = Uploader {
            client: s.client.clone(),
            server_url: s.url.clone(),
            folder_id: target.id.clone(),
            options: &options,
            progress: bar.clone(),
            limiter: limiter.clone(),
        };
        let started = Instant::now();
        match job.upload(&source).await {
            Ok((file, stats)) => {
                bar.finish();
                let elapsed = started.elapsed();
                let resumed = match &stats.resumed {
                    Some(id) => format!(
                        "; resumed {id}, sent {} of {}",
                        format_size(stats.sent),
                        format_size(source.size)
                    ),
                    None => String::new(),
                };
                // On a name conflict the server stores it under another name (`a (1).txt`), or
                // (new-version) as the next version of the file that has the name.
                let renamed = if file.name != source.name && file.version == 1 {
                    format!(" as \"{}\" (\"{}\" was taken)", file.name, source.name)
                } else {
                    String::new()
                };
                let what = if file.version > 1 {
                    format!("version {} of {}", file.version, file.id)
                } else {
                    file.id.clone()
                };
                let line = format!(
                    "Uploaded {} ({}) as {what} to {shown}{renamed} in {} ({}){resumed}",
                    source.path.display(),
                    format_size(source.size),
                    format_duration(elapsed),
                    format_rate(stats.sent, elapsed),
                );
                if !out.json {
                    progress.println(&line);
                }
                uploaded.push(file);
            }
            Err(e) => {
                bar.abandon();
                if count == 1 {
                    return Err(e.context(format!("uploading {}", source.path.display())));
                }
                say!(
                    "{}",
                    error_line(&e.context(format!("uploading {}", source.path.display())))
                );
                failures.push(source.path);
            }
        }
    }
    progress.finish();
    if out.json {
        out.result(&uploaded, String::new);
    }
    if !failures.is_empty() {
        let rerun = if args.recursive {
            rerun_args(&args, &folder_arg, &args.paths)
        } else {
            rerun_args(&args, &folder_arg, &failures)
        };
        let program = std::env::args().next().unwrap_or_else(|| "ferry".into());
        return Err(CliError::new(
            "upload_failed",
            format!(
                "{} of {count} files failed; to resume them, run: {program} {}",
                failures.len(),
                interrupt::shell_line(&rerun)
            ),
        )
        .into());
    }
    Ok(())
}

/// The folders of an upload with `-r`: FOLDER and the subfolders below it, by their path of
/// names, found (without regard to case, as the server compares names) or created.
struct Folders<'a> {
    client: &'a Client,
    by_dir: HashMap<Vec<String>, api::Folder>,
}

impl<'a> Folders<'a> {
    fn new(client: &'a Client, root: api::Folder) -> Folders<'a> {
        Folders {
            client,
            by_dir: HashMap::from([(Vec::new(), root)]),
        }
    }

    /// The folder for `dir`, which [`Folders::ensure`] made sure of.
    fn get(&self, dir: &[String]) -> &api::Folder {
        &self.by_dir[dir]
    }

    /// Finds or creates the folder for `dir` (its parent is known already: `dir`s come in
    /// order); the folder if it had to be created.
    async fn ensure(&mut self, dir: &[String]) -> Result<Option<api::Folder>> {
        let Some((name, parent_dir)) = dir.split_last() else {
            return Ok(None);
        };
        if self.by_dir.contains_key(dir) {
            return Ok(None);
        }
        let parent = self.by_dir[parent_dir].clone();
        if let Some(found) = self.child(&parent, name).await? {
            self.by_dir.insert(dir.to_vec(), found);
            return Ok(None);
        }
        let created = match self.client.create_folder_in(Some(&parent.id), name).await {
            Ok(f) => f,
            // Made meanwhile (another run), or a file of that name is in the way.
            Err(e) if e.code() == Some("name_conflict") => match self.child(&parent, name).await? {
                Some(found) => {
                    self.by_dir.insert(dir.to_vec(), found);
                    return Ok(None);
                }
                None => {
                    return Err(anyhow::Error::from(e).context(format!(
                        "cannot create the folder {}/{name}: a file of that name is there",
                        parent.path
                    )));
                }
            },
            Err(e) => {
                return Err(anyhow::Error::from(e)
                    .context(format!("creating the folder {}/{name}", parent.path)));
            }
        };
        self.by_dir.insert(dir.to_vec(), created.clone());
        Ok(Some(created))
    }

    /// The subfolder of `parent` named `name` (case aside), if there is one.
    async fn child(&self, parent: &api::Folder, name: &str) -> Result<Option<api::Folder>> {
        let key = name_key(name);
        Ok(all_children(self.client, &parent.id, 1000)
            .await?
            .into_iter()
            .find(|f| name_key(&f.name) == key))
    }
}

/// Where a directory given to `-r` goes: below FOLDER under its own name (`photos`), or straight
/// into FOLDER when given with a trailing slash (`photos/`) or as `.`/`..`. Empty for a file.
fn tree_base(path: &Path) -> Result<Vec<String>> {
    let text = path.to_string_lossy();
    let contents_only = text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR);
    if contents_only || !path.is_dir() {
        return Ok(Vec::new());
    }
    let real = std::fs::canonicalize(path)
        .with_context(|| format!("cannot resolve {}", path.display()))?;
    let given_name = path.file_name();
    // `.`, `..` and `/` have no name of their own (`file_name` is None): their contents go.
    if given_name.is_none() {
        return Ok(Vec::new());
    }
    let name = real.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        CliError::new(
            "invalid_name",
            format!("{} has no UTF-8 name", path.display()),
        )
    })?;
    Ok(vec![name.to_string()])
}

/// The SHA-256 of a local file of `size` bytes, read on a blocking thread.
pub(super) async fn sha256_of(path: &Path, size: u64) -> Result<String> {
    use sha2::Digest;
    let path = path.to_path_buf();
    let state = tokio::task::spawn_blocking(move || hash_prefix(&path, size)).await??;
    Ok(hex::encode(state.finalize()))
}

/// The `ferry upload` arguments that upload `paths` the way `args` says.
fn rerun_args(args: &UploadArgs, folder: &str, paths: &[PathBuf]) -> Vec<String> {
    let mut out = vec!["upload".to_string()];
    if args.recursive {
        out.push("-r".to_string());
    }
    out.extend(paths.iter().map(|p| p.display().to_string()));
    out.extend(["--folder".to_string(), folder.to_string()]);
    if args.parallel != 4 {
        out.extend(["--parallel".to_string(), args.parallel.to_string()]);
    }
    if let Some(p) = args.part_size {
        out.extend(["--part-size".to_string(), p.to_string()]);
    }
    if let Some(r) = args.limit_rate {
        out.extend(["--limit-rate".to_string(), r.to_string()]);
    }
    if let Some(c) = args.on_conflict {
        out.extend(["--on-conflict".to_string(), c.arg().to_string()]);
    }
    // Not `--no-resume`: that would start over.
    if args.verify_parts {
        out.push("--verify-parts".to_string());
    }
    out.extend(args.common.rerun_args());
    out
}

/// Adds `path` (a file, or a directory's files recursively) to `out`, as going to the folder
/// `dir` below FOLDER; with `tree`, each directory below adds a level to `dir` (and to `dirs`,
/// which gets every folder the upload needs, empty ones too).
pub(super) fn collect(
    path: &Path,
    explicit: bool,
    tree: bool,
    dir: Vec<String>,
    out: &mut Vec<Source>,
    dirs: &mut BTreeSet<Vec<String>>,
) -> Result<()> {
    let meta = if explicit {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    }
    .with_context(|| format!("cannot read {}", path.display()))?;
    if meta.is_dir() {
        if tree {
            // With its parents: a tree's folders are made top-down.
            for depth in 1..=dir.len() {
                dirs.insert(dir[..depth].to_vec());
            }
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("cannot read the directory {}", path.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .with_context(|| format!("cannot read the directory {}", path.display()))?;
        entries.sort();
        for entry in entries {
            let below = if tree && entry.is_dir() && !entry.is_symlink() {
                let mut below = dir.clone();
                below.push(utf8_name(&entry)?);
                below
            } else {
                dir.clone()
            };
            collect(&entry, false, tree, below, out, dirs)?;
        }
        return Ok(());
    }
    if !meta.is_file() {
        if explicit {
            return Err(CliError::new(
                "not_a_file",
                format!("{} is not a regular file or a directory", path.display()),
            )
            .into());
        }
        // Symbolic links, sockets, devices inside a directory are skipped.
        return Ok(());
    }
    let abs =
        std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))?;
    let name = utf8_name(&abs)?;
    out.push(Source {
        file: LocalFile {
            path: abs,
            name,
            size: meta.len(),
            mtime_ns: mtime_ns(&meta),
        },
        dir,
    });
    Ok(())
}

/// The last part of `path`, which must be UTF-8 to be a name on the server.
fn utf8_name(path: &Path) -> Result<String> {
    Ok(path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            CliError::new(
                "invalid_name",
                format!("{} has no UTF-8 file name", path.display()),
            )
        })?
        .to_string())
}
