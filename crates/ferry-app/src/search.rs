//! Search over the tree: names, descriptions and tags containing a text, with filters, only
//! what the caller can read (the access module's folder scope is the query's filter, so the
//! rule and the search cannot disagree).

use std::collections::HashMap;

use ferry_core::{FileId, ItemKind, Permission};
use ferry_store::search::Query;

use crate::access;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::namespace::Resolved;
use crate::state::AppState;

/// Shortest and longest search text, in characters.
const MIN_TEXT: usize = 2;
const MAX_TEXT: usize = 256;

/// What a search asks for (already parsed by the door).
#[derive(Debug, Default)]
pub struct SearchRequest {
    pub text: Option<String>,
    pub folder_id: Option<String>,
    pub kind: Option<ItemKind>,
    /// `image/png` or `image/*`.
    pub mime: Option<String>,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub modified_after: Option<i64>,
    pub modified_before: Option<i64>,
    pub tag: Option<String>,
    /// Filters on what was read from the files' content (files only).
    pub media: MediaFilters,
}

/// Media filters as the door parsed them (numbers already checked to be 0 or more).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MediaFilters {
    /// Unix ms: the EXIF time (the camera's clock, read as UTC) after / before this.
    pub taken_after: Option<i64>,
    pub taken_before: Option<i64>,
    /// A substring of the camera's make or model ("make model"), without regard to case.
    pub camera: Option<String>,
    /// Whether a GPS position was read.
    pub has_location: Option<bool>,
    /// Substrings of the audio tags, without regard to case.
    pub artist: Option<String>,
    pub album: Option<String>,
    pub min_duration_ms: Option<i64>,
    pub max_duration_ms: Option<i64>,
    pub min_width: Option<i64>,
    pub min_height: Option<i64>,
}

impl MediaFilters {
    /// The store's filter: texts checked and lowercased, times as the sortable keys the
    /// store keeps (see [`crate::media::taken_key`]).
    fn to_store(&self) -> Result<ferry_store::search::MediaFilter> {
        let text = |field: &str, v: &Option<String>| -> Result<Option<String>> {
            let Some(v) = v else { return Ok(None) };
            let t = v.trim();
            if t.is_empty() || t.chars().count() > MAX_TEXT {
                return Err(Error::invalid(
                    field,
                    "invalid_value",
                    format!("{field} must be 1 to {MAX_TEXT} characters."),
                ));
            }
            Ok(Some(t.to_lowercase()))
        };
        // `2026-11-22T12:00:00Z` without its zone: the key's form.
        let key = |ms: i64| {
            ferry_core::timefmt::rfc3339(ms)
                .trim_end_matches('Z')
                .to_string()
        };
        Ok(ferry_store::search::MediaFilter {
            taken_after: self.taken_after.map(key),
            taken_before: self.taken_before.map(key),
            camera: text("camera", &self.camera)?,
            has_location: self.has_location,
            artist: text("artist", &self.artist)?,
            album: text("album", &self.album)?,
            min_duration_ms: self.min_duration_ms,
            max_duration_ms: self.max_duration_ms,
            min_width: self.min_width,
            min_height: self.min_height,
        })
    }
}

/// One page of hits in name order after the `(name_key, id)` cursor; `limit + 1` entries,
/// each with its `(name_key, id)` position.
pub async fn search(
    app: &AppState,
    caller: &Caller,
    request: SearchRequest,
    after: Option<(String, String)>,
    limit: i64,
) -> Result<Vec<(Resolved, (String, String))>> {
    let text = match request.text {
        Some(t) => {
            let t = t.trim().to_string();
            let n = t.chars().count();
            if !(MIN_TEXT..=MAX_TEXT).contains(&n) {
                return Err(Error::invalid(
                    "q",
                    "invalid_value",
                    format!("q must be {MIN_TEXT} to {MAX_TEXT} characters."),
                ));
            }
            Some(t)
        }
        None => None,
    };
    let anything = text.is_some()
        || request.mime.is_some()
        || request.tag.is_some()
        || request.min_size.is_some()
        || request.max_size.is_some()
        || request.modified_after.is_some()
        || request.modified_before.is_some()
        || request.media != MediaFilters::default();
    if !anything {
        return Err(Error::invalid(
            "q",
            "missing_field",
            "Give q (2 to 256 characters) or at least one filter.",
        ));
    }
    // The location filter tells whether a file has a position; whoever finds a file here may
    // read it and so see that position anyway (see `access::link_media`).
    let media = request.media.to_store()?;
    // Inside a folder the caller may read, everything below it is readable too (roles are
    // inherited): the subtree is the scope. Elsewhere: their own, and what is shared with them.
    let scope = match &request.folder_id {
        Some(id) => {
            access::folder(app, caller, id, Permission::Read).await?;
            access::SearchScope::default()
        }
        None => access::search_scope(app, caller).await?,
    };
    let (mime, mime_prefix) = match request.mime {
        Some(m) if m.ends_with("/*") => (Some(m.trim_end_matches('*').to_string()), true),
        other => (other, false),
    };
    let query = Query {
        text,
        owner_id: scope.owner_id,
        shared_roots: scope.shared_roots,
        folder_id: request.folder_id,
        kind: request.kind,
        mime,
        mime_prefix,
        min_size: request.min_size,
        max_size: request.max_size,
        modified_after: request.modified_after,
        modified_before: request.modified_before,
        tag: request.tag,
        now: app.now_ms(),
        media,
    };
    let mut conn = app.store.conn().await?;
    let hits = ferry_store::search::search(
        &mut conn,
        &query,
        after.as_ref().map(|(k, i)| (k.as_str(), i.as_str())),
        limit + 1,
    )
    .await?;
    // The page's files in one statement; paths: one walk up the tree per distinct folder.
    let file_ids: Vec<&str> = hits
        .iter()
        .filter(|h| h.kind == ItemKind::File)
        .map(|h| h.id.as_str())
        .collect();
    let mut files: HashMap<FileId, ferry_store::files::File> =
        ferry_store::files::get_many(&mut conn, &file_ids)
            .await?
            .into_iter()
            .map(|f| (f.id.clone(), f))
            .collect();
    let mut paths: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(hits.len());
    for hit in hits {
        let position = (hit.name_key.clone(), hit.id.clone());
        let found = match hit.kind {
            ItemKind::File => {
                let Some(file) = files.remove(hit.id.as_str()) else {
                    continue;
                };
                let folder_path = match paths.get(file.folder_id.as_str()) {
                    Some(p) => p.clone(),
                    None => {
                        let p = crate::namespace::folder_path(&mut conn, caller, &file.folder_id)
                            .await?;
                        paths.insert(file.folder_id.to_string(), p.clone());
                        p
                    }
                };
                Resolved::File(crate::files::Entry { file, folder_path })
            }
            ItemKind::Folder => {
                let Some(folder) = ferry_store::folders::get(&mut conn, &hit.id).await? else {
                    continue;
                };
                let path = crate::namespace::folder_path(&mut conn, caller, &folder.id).await?;
                Resolved::Folder(crate::folders::Entry { folder, path })
            }
        };
        out.push((found, position));
    }
    Ok(out)
}
