//! Naming folders and files on the command line, the same way in every command:
//!
//! - an id: `fld_…` for a folder, `fil_…` for a file;
//! - a path, i.e. anything with a `/`: `/Top/sub`, `Top/sub/report.pdf` (the leading slash is
//!   optional), looked up from your root with `GET /resolve`, without regard to case;
//! - for a folder, as before, the exact name of a top-level folder (`reports`), which also finds
//!   folders others shared with you.

use anyhow::Result;
use ferry_api as api;
use ferry_client::Client;

use super::CliError;
use super::files::all_folders;

/// A file or a folder.
#[derive(Debug, Clone)]
pub enum Item {
    File(Box<api::File>),
    Folder(Box<api::Folder>),
}

impl Item {
    pub fn id(&self) -> &str {
        match self {
            Item::File(f) => &f.id,
            Item::Folder(f) => &f.id,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Item::File(f) => &f.name,
            Item::Folder(f) => &f.name,
        }
    }

    pub fn path(&self) -> &str {
        match self {
            Item::File(f) => &f.path,
            Item::Folder(f) => &f.path,
        }
    }

    /// `file` or `folder`.
    pub fn kind(&self) -> &'static str {
        match self {
            Item::File(_) => "file",
            Item::Folder(_) => "folder",
        }
    }
}

/// Whether `given` is a path (it has a slash) rather than an id or a bare name.
pub fn is_path(given: &str) -> bool {
    given.contains('/')
}

/// The segments of a path (`/a//b/` → `["a", "b"]`).
pub fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// `segments` as an absolute path (`["a", "b"]` → `/a/b`, `[]` → `/`).
pub fn join(segments: &[&str]) -> String {
    format!("/{}", segments.join("/"))
}

/// A path in its canonical form: a leading slash, no empty segments, no trailing slash.
pub fn normalize(path: &str) -> String {
    join(&segments(path))
}

/// What `path` names, or `None` when nothing does (`404`).
pub async fn lookup(client: &Client, path: &str) -> Result<Option<Item>> {
    let path = normalize(path);
    if path == "/" {
        return Ok(None);
    }
    match client.resolve(&path).await {
        Ok(r) => match (r.kind.as_str(), r.file, r.folder) {
            ("file", Some(f), _) => Ok(Some(Item::File(Box::new(f)))),
            ("folder", _, Some(f)) => Ok(Some(Item::Folder(Box::new(f)))),
            (kind, _, _) => Err(CliError::new(
                "unexpected_answer",
                format!("the server resolved `{path}` to an unknown kind of object `{kind}`"),
            )
            .into()),
        },
        Err(e) if e.code() == Some("not_found") => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The first level of `path` that does not exist: `/a/b` for `/a/b/c/d` when only `/a` is
/// there (`path` itself when all above it exist). An error when a level is a file. Called once
/// a lookup failed, to say which part is missing.
pub async fn first_missing(client: &Client, path: &str) -> Result<String> {
    let segs = segments(path);
    for i in 1..=segs.len() {
        let prefix = join(&segs[..i]);
        match lookup(client, &prefix).await? {
            Some(Item::Folder(_)) => continue,
            Some(Item::File(_)) if i < segs.len() => {
                return Err(CliError::new(
                    "not_a_folder",
                    format!("`{prefix}` is a file, not a folder"),
                )
                .into());
            }
            _ => return Ok(prefix),
        }
    }
    Ok(join(&segs))
}

/// The error for a path nothing answers to, naming the part that is missing.
pub async fn not_found(client: &Client, path: &str, what: &str) -> anyhow::Error {
    let path = normalize(path);
    match first_missing(client, &path).await {
        Ok(missing) if missing != path => CliError::new(
            "not_found",
            format!("no {what} `{path}`: `{missing}` does not exist"),
        )
        .into(),
        Ok(_) => CliError::new("not_found", format!("no {what} `{path}`")).into(),
        Err(e) => e,
    }
}

/// A folder given by id (`fld_…`), path (`/Top/sub`, `Top/sub`) or exact top-level name.
pub async fn folder(client: &Client, given: &str) -> Result<api::Folder> {
    if given.starts_with("fld_") && !is_path(given) {
        match client.get_folder(given).await {
            Ok(f) => return Ok(f),
            // Perhaps a folder whose name looks like an id.
            Err(e) if e.code() == Some("not_found") => {}
            Err(e) => return Err(e.into()),
        }
    }
    if is_path(given) {
        if normalize(given) == "/" {
            return Err(CliError::new(
                "not_a_folder",
                "`/` is your root, not a folder: give a folder below it",
            )
            .into());
        }
        return match lookup(client, given).await? {
            Some(Item::Folder(f)) => Ok(*f),
            Some(Item::File(f)) => Err(CliError::new(
                "not_a_folder",
                format!("`{}` is a file ({}), not a folder", f.path, f.id),
            )
            .into()),
            None => Err(not_found(client, given, "folder").await),
        };
    }
    top_level_by_name(client, given).await
}

/// A top-level folder by its exact name (among all the caller can see, shared ones too).
async fn top_level_by_name(client: &Client, given: &str) -> Result<api::Folder> {
    top_level(client, given).await?.ok_or_else(|| {
        CliError::new(
            "not_found",
            format!("no folder with the id or name `{given}`"),
        )
        .into()
    })
}

/// The top-level folder named exactly `name`, if there is one; an error if several are (of
/// different owners).
pub async fn top_level(client: &Client, name: &str) -> Result<Option<api::Folder>> {
    let mut matches: Vec<api::Folder> = all_folders(client, 1000)
        .await?
        .into_iter()
        .filter(|f| f.name == name)
        .collect();
    match matches.len() {
        0 => Ok(None),
        1 => Ok(Some(matches.remove(0))),
        _ => {
            let ids: Vec<String> = matches
                .iter()
                .map(|f| format!("{} (owner {})", f.id, f.owner.login))
                .collect();
            Err(CliError::new(
                "ambiguous_folder",
                format!(
                    "several folders are named `{name}`: {}; give the id",
                    ids.join(", ")
                ),
            )
            .into())
        }
    }
}

/// A file given by id (`fil_…`) or path (`Top/sub/report.pdf`).
pub async fn file(client: &Client, given: &str) -> Result<api::File> {
    if is_path(given) {
        return match lookup(client, given).await? {
            Some(Item::File(f)) => Ok(*f),
            Some(Item::Folder(f)) => Err(CliError::new(
                "not_a_file",
                format!("`{}` is a folder ({}), not a file", f.path, f.id),
            )
            .into()),
            None => Err(not_found(client, given, "file").await),
        };
    }
    if !given.starts_with("fil_") {
        return Err(CliError::new(
            "invalid_file",
            format!("`{given}` is neither a file id (fil_…) nor a path (FOLDER/NAME)"),
        )
        .into());
    }
    Ok(client.get_file(given).await?)
}

/// A file's id for a command that only needs the id: a path is looked up, anything else is
/// taken as the id as it is (the server answers for it, without a lookup first).
pub async fn file_id(client: &Client, given: &str) -> Result<String> {
    if is_path(given) {
        return Ok(file(client, given).await?.id);
    }
    Ok(given.to_string())
}

/// A file or a folder: `fil_…`, `fld_…`, a path, or an exact top-level folder name.
pub async fn item(client: &Client, given: &str) -> Result<Item> {
    if is_path(given) {
        return match lookup(client, given).await? {
            Some(item) => Ok(item),
            None => Err(not_found(client, given, "file or folder").await),
        };
    }
    if given.starts_with("fil_") {
        return Ok(Item::File(Box::new(client.get_file(given).await?)));
    }
    Ok(Item::Folder(Box::new(folder(client, given).await?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized() {
        assert_eq!(normalize("Top/sub"), "/Top/sub");
        assert_eq!(normalize("/Top//sub/"), "/Top/sub");
        assert_eq!(normalize("/"), "/");
        assert_eq!(normalize(""), "/");
        assert!(is_path("/"));
        assert!(is_path("a/b"));
        assert!(!is_path("fld_123"));
        assert_eq!(segments("/a b/c/"), ["a b", "c"]);
    }
}
