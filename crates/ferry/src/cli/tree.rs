//! `ferry mv`, `cp` and `rename`: moving, copying and renaming files and folders in the tree.

use anyhow::Result;
use clap::{Args, ValueEnum};
use ferry_api as api;
use ferry_client::{Client, ClientError};
use serde_json::json;

use super::paths::{self, Item};
use super::{CliError, Common, Output, session};

const ADDRESSING: &str = "SRC is a file or a folder: an id (fil_…, fld_…), a path with a slash \
(/Top/sub/report.pdf or Top/sub, from your root, case-insensitive) or the exact name of a \
top-level folder.

DEST is either an existing folder (id, path or top-level name), and SRC keeps its name in it, or \
a path whose parent folder exists, and its last part is the new name: `ferry mv Top/a.txt \
Archive/b.txt`. A DEST ending in `/` must be an existing folder. `/` (or a bare name that is no \
folder) puts a folder at the top level.

A name already taken in DEST is an error (name_conflict) unless --on-conflict rename is given: \
then the item gets a free name like `report (1).pdf`. Names are unique without regard to case, \
and files and folders share them.";

#[derive(Debug, Args)]
#[command(after_help = ADDRESSING)]
pub struct MoveArgs {
    /// What to move or copy: a file or a folder (with everything below it).
    #[arg(value_name = "SRC")]
    pub source: String,
    /// Where to: an existing folder, or a path whose last part is the new name (see below).
    #[arg(value_name = "DEST")]
    pub dest: String,
    /// What to do when the name is taken in DEST: fail (the default) or rename (pick a free
    /// name such as `name (1).ext`).
    #[arg(long, value_enum, default_value_t = Conflict::Fail)]
    pub on_conflict: Conflict,
    /// Only check it: the server looks at names, permissions and quota and changes nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Conflict {
    /// Refuse (name_conflict).
    Fail,
    /// Use a free name like `name (1).ext`.
    Rename,
}

impl Conflict {
    pub fn wire(self) -> &'static str {
        match self {
            Conflict::Fail => "fail",
            Conflict::Rename => "rename",
        }
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "PATH is a file or a folder: an id (fil_…, fld_…), a path with a slash \
(Top/sub/report.pdf) or the exact name of a top-level folder. To move it elsewhere, use \
`ferry mv`."
)]
pub struct RenameArgs {
    /// The file or folder to rename.
    #[arg(value_name = "PATH")]
    pub path: String,
    /// Its new name (in the same folder): no `/`.
    #[arg(value_name = "NEW_NAME")]
    pub new_name: String,
    #[command(flatten)]
    pub common: Common,
}

/// Where a moved or copied item goes: into `parent` (the top level without one), under `name`
/// (its own name without one).
struct Target {
    parent: Option<api::Folder>,
    name: Option<String>,
}

impl Target {
    fn into_folder(folder: api::Folder) -> Target {
        Target {
            parent: Some(folder),
            name: None,
        }
    }

    /// Where the item would be.
    fn path(&self, own_name: &str) -> String {
        let name = self.name.as_deref().unwrap_or(own_name);
        match &self.parent {
            Some(p) => format!("{}/{name}", p.path.trim_end_matches('/')),
            None => format!("/{name}"),
        }
    }
}

/// What DEST means (see `ADDRESSING`).
async fn target(client: &Client, dest: &str) -> Result<Target> {
    if paths::is_path(dest) && paths::normalize(dest) == "/" {
        return Ok(Target {
            parent: None,
            name: None,
        });
    }
    if dest.starts_with("fld_") && !paths::is_path(dest) {
        match client.get_folder(dest).await {
            Ok(f) => return Ok(Target::into_folder(f)),
            // Perhaps a name that looks like an id.
            Err(e) if e.code() == Some("not_found") => {}
            Err(e) => return Err(e.into()),
        }
    }
    if !paths::is_path(dest) {
        return Ok(match paths::top_level(client, dest).await? {
            Some(f) => Target::into_folder(f),
            // A mistyped id is not a new name.
            None if dest.starts_with("fld_") => {
                return Err(CliError::new(
                    "not_found",
                    format!("no folder with the id or name `{dest}`"),
                )
                .into());
            }
            None => Target {
                parent: None,
                name: Some(dest.to_string()),
            },
        });
    }
    let must_be_folder = dest.ends_with('/');
    match paths::lookup(client, dest).await? {
        Some(Item::Folder(f)) => return Ok(Target::into_folder(*f)),
        Some(Item::File(f)) if must_be_folder => {
            return Err(CliError::new(
                "not_a_folder",
                format!("`{}` is a file ({}), not a folder", f.path, f.id),
            )
            .into());
        }
        // An existing file: its name is the new name (taken: on_conflict decides).
        Some(Item::File(_)) => {}
        None if must_be_folder => return Err(paths::not_found(client, dest, "folder").await),
        None => {}
    }
    let segs = paths::segments(dest);
    let (name, above) = segs.split_last().expect("not the root");
    if above.is_empty() {
        return Ok(Target {
            parent: None,
            name: Some(name.to_string()),
        });
    }
    let parent_path = paths::join(above);
    match paths::lookup(client, &parent_path).await? {
        Some(Item::Folder(parent)) => Ok(Target {
            parent: Some(*parent),
            name: Some(name.to_string()),
        }),
        Some(Item::File(f)) => Err(CliError::new(
            "not_a_folder",
            format!("`{}` is a file ({}), not a folder", f.path, f.id),
        )
        .into()),
        None => {
            let missing = paths::first_missing(client, &parent_path).await?;
            Err(CliError::new(
                "not_found",
                format!(
                    "no folder `{parent_path}` to put `{name}` in: `{missing}` does not exist \
                     (create it with `ferry mkdir -p {parent_path}`)"
                ),
            )
            .into())
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Move,
    Copy,
}

impl Op {
    fn verb(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Op::Move => ("move", "Moved", "Would move"),
            Op::Copy => ("copy", "Copied", "Would copy"),
        }
    }
}

pub async fn run(op: Op, args: MoveArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let source = paths::item(&s.client, &args.source).await?;
    let to = target(&s.client, &args.dest).await?;
    let on_conflict = Some(args.on_conflict.wire().to_string());
    let (verb, done, would) = op.verb();
    let dest_path = to.path(source.name());
    if op == Op::Copy && to.parent.is_none() {
        // The server copies into a folder only (`parent_id` is required for a copy).
        return Err(CliError::new(
            "not_a_folder",
            format!(
                "a copy cannot be made at the top level (`{dest_path}`): copy into a folder, or \
                 make the top-level folder first with `ferry mkdir` and copy into it"
            ),
        )
        .into());
    }
    if args.dry_run {
        match &source {
            Item::File(f) => {
                let Some(parent) = &to.parent else {
                    return Err(file_needs_folder(&args.dest));
                };
                let body = api::MoveFile {
                    folder_id: parent.id.clone(),
                    name: to.name.clone(),
                    on_conflict,
                    dry_run: true,
                };
                match op {
                    Op::Move => s.client.dry_run_move_file(&f.id, &body).await?,
                    Op::Copy => s.client.dry_run_copy_file(&f.id, &body).await?,
                }
            }
            Item::Folder(f) => {
                let body = api::MoveFolder {
                    parent_id: Some(to.parent.as_ref().map(|p| p.id.clone())),
                    name: to.name.clone(),
                    on_conflict,
                    dry_run: true,
                };
                match op {
                    Op::Move => s.client.dry_run_move_folder(&f.id, &body).await?,
                    Op::Copy => s.client.dry_run_copy_folder(&f.id, &body).await?,
                }
            }
        };
        let report = json!({
            "ok": true,
            "dry_run": true,
            "operation": verb,
            "source": {"type": source.kind(), "id": source.id(), "path": source.path()},
            "destination": {
                "parent_id": to.parent.as_ref().map(|p| p.id.clone()),
                "path": dest_path,
            },
        });
        out.result(&report, || {
            let taken = match args.on_conflict {
                Conflict::Rename => " (under a free name if that one is taken)",
                Conflict::Fail => "",
            };
            format!(
                "{would} {} {} ({}) to {dest_path}{taken}: the server sees nothing in the way; \
                 nothing was changed",
                source.kind(),
                source.path(),
                source.id()
            )
        });
        return Ok(());
    }
    match &source {
        Item::File(f) => {
            let Some(parent) = &to.parent else {
                return Err(file_needs_folder(&args.dest));
            };
            let body = api::MoveFile {
                folder_id: parent.id.clone(),
                name: to.name.clone(),
                on_conflict,
                dry_run: false,
            };
            let result = match op {
                Op::Move => s.client.move_file(&f.id, &body).await?,
                Op::Copy => s.client.copy_file(&f.id, &body).await?,
            };
            out.result(&result, || {
                outcome_line(done, "file", &f.path, &f.id, &result.path, &result.id)
            });
        }
        Item::Folder(f) => {
            let body = api::MoveFolder {
                parent_id: Some(to.parent.as_ref().map(|p| p.id.clone())),
                name: to.name.clone(),
                on_conflict,
                dry_run: false,
            };
            let result = match op {
                Op::Move => s.client.move_folder(&f.id, &body).await,
                Op::Copy => s.client.copy_folder(&f.id, &body).await,
            };
            let result = match result {
                Ok(r) => r,
                // A big tree is copied by a background task (`202` with the task).
                Err(ClientError::Unexpected { status, text }) if status.as_u16() == 202 => {
                    let task: serde_json::Value =
                        serde_json::from_str(&text).unwrap_or_else(|_| json!({"raw": text}));
                    out.result(&task, || {
                        format!(
                            "Copying {} ({}) to {dest_path} in the background: {text}",
                            f.path, f.id
                        )
                    });
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            };
            out.result(&result, || {
                outcome_line(done, "folder", &f.path, &f.id, &result.path, &result.id)
            });
        }
    }
    Ok(())
}

fn outcome_line(
    done: &str,
    kind: &str,
    from: &str,
    from_id: &str,
    to: &str,
    to_id: &str,
) -> String {
    if from_id == to_id {
        format!("{done} {kind} {from} to {to} ({to_id})")
    } else {
        format!("{done} {kind} {from} ({from_id}) to {to} ({to_id})")
    }
}

fn file_needs_folder(dest: &str) -> anyhow::Error {
    CliError::new(
        "not_a_folder",
        format!(
            "`{dest}` is no folder, and a file must be in one: give an existing folder, or \
             FOLDER/NEW_NAME (to rename in place, use `ferry rename`)"
        ),
    )
    .into()
}

pub async fn rename(args: RenameArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    if args.new_name.contains('/') {
        return Err(CliError::new(
            "invalid_name",
            format!(
                "`{}` is a path, not a name: to move into another folder, use `ferry mv`",
                args.new_name
            ),
        )
        .into());
    }
    let item = paths::item(&s.client, &args.path).await?;
    match &item {
        Item::File(f) => {
            let change = api::UpdateFile {
                name: Some(args.new_name.clone()),
                ..Default::default()
            };
            let renamed = s.client.update_file(&f.id, &change).await?;
            out.result(&renamed, || {
                format!(
                    "Renamed file {} to {} ({})",
                    f.path, renamed.path, renamed.id
                )
            });
        }
        Item::Folder(f) => {
            let change = api::UpdateFolder {
                name: Some(args.new_name.clone()),
                ..Default::default()
            };
            let renamed = s.client.update_folder(&f.id, &change).await?;
            out.result(&renamed, || {
                format!(
                    "Renamed folder {} to {} ({})",
                    f.path, renamed.path, renamed.id
                )
            });
        }
    }
    Ok(())
}
