//! Search: live files and folders whose name, description or tags contain a text, without
//! regard to case, filtered by the caller's scope. The text match uses each backend's trigram
//! index (SQLite FTS5 `trigram`, PostgreSQL `pg_trgm`; see migration 0010): the one place in
//! the store where the two backends need different SQL, chosen by [`crate::dialect`].

use ferry_core::ItemKind;

use crate::dialect::Placeholders;
use crate::{Conn, Result};

/// What to look for. Every filter is optional; `owner_id` is the access scope (`None`: every
/// owner, for admins).
#[derive(Debug, Default, Clone)]
pub struct Query {
    pub text: Option<String>,
    pub owner_id: Option<String>,
    /// Only below this folder (itself included).
    pub folder_id: Option<String>,
    pub kind: Option<ItemKind>,
    /// `image/png`, or a prefix `image/` (from `image/*`).
    pub mime: Option<String>,
    pub mime_prefix: bool,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub modified_after: Option<i64>,
    pub modified_before: Option<i64>,
    pub tag: Option<String>,
    /// Folders shared with the caller (readable, with everything below them): found too,
    /// besides `owner_id`'s own.
    pub shared_roots: Vec<String>,
    /// Files past their time to live at this moment are left out.
    pub now: i64,
    /// What the files' media metadata must say (migration 0044's columns).
    pub media: MediaFilter,
}

/// Filters on media metadata, each optional; a file matches only if its content's metadata
/// was read and says so. Text values are lowercased substrings, times are
/// `YYYY-MM-DDTHH:MM:SS` (see [`crate::renditions::MediaKeys`]).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MediaFilter {
    /// Taken strictly after / before this time.
    pub taken_after: Option<String>,
    pub taken_before: Option<String>,
    /// A substring of "make model".
    pub camera: Option<String>,
    pub has_location: Option<bool>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub min_duration_ms: Option<i64>,
    pub max_duration_ms: Option<i64>,
    pub min_width: Option<i64>,
    pub min_height: Option<i64>,
}

impl MediaFilter {
    /// Whether any media filter is set.
    pub fn is_set(&self) -> bool {
        *self != MediaFilter::default()
    }

    /// The conditions over alias `m` of `blob_media`.
    fn conditions(&self, args: &mut Args) -> Vec<String> {
        let mut cond = Vec::new();
        if let Some(t) = &self.taken_after {
            cond.push(format!("m.taken_at > {}", args.add(Bind::Text(t.clone()))));
        }
        if let Some(t) = &self.taken_before {
            cond.push(format!("m.taken_at < {}", args.add(Bind::Text(t.clone()))));
        }
        for (column, value) in [
            ("camera", &self.camera),
            ("artist", &self.artist),
            ("album", &self.album),
        ] {
            if let Some(v) = value {
                let ph = args.add(Bind::Text(like_pattern(v)));
                cond.push(format!("m.{column} LIKE {ph} ESCAPE '\\'"));
            }
        }
        if let Some(has) = self.has_location {
            let ph = args.add(Bind::Int(i64::from(has)));
            cond.push(format!("m.has_location = {ph}"));
        }
        for (column, op, value) in [
            ("duration_ms", ">=", self.min_duration_ms),
            ("duration_ms", "<=", self.max_duration_ms),
            ("width", ">=", self.min_width),
            ("height", ">=", self.min_height),
        ] {
            if let Some(v) = value {
                cond.push(format!("m.{column} {op} {}", args.add(Bind::Int(v))));
            }
        }
        cond
    }
}

impl Query {
    /// Whether a filter only files have is set (folders are then left out).
    fn file_only(&self) -> bool {
        self.mime.is_some()
            || self.min_size.is_some()
            || self.max_size.is_some()
            || self.tag.is_some()
            || self.media.is_set()
    }
}

/// One hit: what it is, its id and its name key (the sort order).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Hit {
    #[sqlx(try_from = "String")]
    pub kind: ItemKind,
    pub id: String,
    pub name_key: String,
}

/// `%text%` for LIKE, with the wildcards in `text` escaped (`\` is the escape character).
pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// An FTS5 phrase: the text in double quotes, inner quotes doubled. With the trigram
/// tokenizer a phrase of three or more characters matches it as a substring.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

enum Bind {
    Text(String),
    Int(i64),
}

/// Values bound in order, each with its numbered placeholder.
#[derive(Default)]
struct Args {
    placeholders: Placeholders,
    binds: Vec<Bind>,
}

impl Args {
    fn add(&mut self, b: Bind) -> String {
        self.binds.push(b);
        self.placeholders.next()
    }
}

/// `owner_id = $o`, or also inside the shared roots' subtrees: the caller's scope over alias
/// `f`, where `column` is the folder the row sits in (`folder_id` for files, `id` for folders).
fn scope(q: &Query, owner: &str, column: &str, args: &mut Args) -> String {
    let own = format!("f.owner_id = {}", args.add(Bind::Text(owner.to_string())));
    if q.shared_roots.is_empty() {
        return own;
    }
    let roots: Vec<String> = q
        .shared_roots
        .iter()
        .map(|r| format!("CAST({} AS TEXT)", args.add(Bind::Text(r.clone()))))
        .collect();
    format!(
        "({own} OR f.{column} IN (WITH RECURSIVE shared (id, depth) AS (\
         SELECT id, 0 FROM folders WHERE id IN ({}) UNION ALL \
         SELECT c.id, s.depth + 1 FROM folders c JOIN shared s ON c.parent_id = s.id \
         WHERE c.trash_id IS NULL AND s.depth < 80) SELECT id FROM shared))",
        roots.join(", ")
    )
}

/// Hits in name order (case-insensitively, then id) after the `(name_key, id)` cursor.
pub async fn search(
    conn: &mut Conn,
    q: &Query,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<Hit>> {
    let postgres = crate::dialect::is_postgres(conn);
    let mut args = Args::default();
    let subtree = match &q.folder_id {
        Some(id) => {
            let ph = args.add(Bind::Text(id.clone()));
            Some(format!(
                "(WITH RECURSIVE sub (id, depth) AS (SELECT CAST({ph} AS TEXT), 0 UNION ALL \
                 SELECT c.id, s.depth + 1 FROM folders c JOIN sub s ON c.parent_id = s.id \
                 WHERE c.trash_id IS NULL AND s.depth < 80) SELECT id FROM sub)"
            ))
        }
        None => None,
    };
    let mut parts = Vec::new();
    if q.kind != Some(ItemKind::Folder) {
        let mut cond = vec!["f.trash_id IS NULL".to_string()];
        let now = args.add(Bind::Int(q.now));
        cond.push(format!("(f.expires_at IS NULL OR f.expires_at > {now})"));
        if let Some(owner) = &q.owner_id {
            cond.push(scope(q, owner, "folder_id", &mut args));
        }
        if let Some(sub) = &subtree {
            cond.push(format!("f.folder_id IN {sub}"));
        }
        if let Some(text) = &q.text {
            cond.push(text_match(postgres, "file", text, &mut args));
        }
        if let Some(mime) = &q.mime {
            if q.mime_prefix {
                let ph = args.add(Bind::Text(
                    like_pattern(mime).trim_start_matches('%').to_string(),
                ));
                cond.push(format!("lower(f.mime_type) LIKE {ph} ESCAPE '\\'"));
            } else {
                let ph = args.add(Bind::Text(mime.to_lowercase()));
                cond.push(format!("lower(f.mime_type) = {ph}"));
            }
        }
        if let Some(min) = q.min_size {
            cond.push(format!("f.size >= {}", args.add(Bind::Int(min))));
        }
        if let Some(max) = q.max_size {
            cond.push(format!("f.size <= {}", args.add(Bind::Int(max))));
        }
        if let Some(after) = q.modified_after {
            cond.push(format!("f.updated_at > {}", args.add(Bind::Int(after))));
        }
        if let Some(before) = q.modified_before {
            cond.push(format!("f.updated_at < {}", args.add(Bind::Int(before))));
        }
        if let Some(tag) = &q.tag {
            // Tags are a JSON array of strings: `"tag"` with its quotes is one whole tag.
            let quoted = serde_json::to_string(&tag.to_lowercase()).unwrap_or_default();
            let ph = args.add(Bind::Text(like_pattern(&quoted)));
            cond.push(format!("lower(f.tags) LIKE {ph} ESCAPE '\\'"));
        }
        if q.media.is_set() {
            // By content: what was read from these bytes, whichever file holds them.
            let media = q.media.conditions(&mut args);
            cond.push(format!(
                "EXISTS (SELECT 1 FROM blob_media m WHERE m.sha256 = f.sha256 AND {})",
                media.join(" AND ")
            ));
        }
        parts.push(format!(
            "SELECT 'file' AS kind, f.id AS id, f.name_key AS name_key FROM files f WHERE {}",
            cond.join(" AND ")
        ));
    }
    if q.kind != Some(ItemKind::File) && !q.file_only() {
        let mut cond = vec!["f.trash_id IS NULL".to_string()];
        if let Some(owner) = &q.owner_id {
            cond.push(scope(q, owner, "id", &mut args));
        }
        if let Some(sub) = &subtree {
            // The folder searched in is not a hit of its own search.
            cond.push(format!("f.id IN {sub}"));
            cond.push(format!(
                "f.id <> {}",
                args.add(Bind::Text(q.folder_id.clone().unwrap_or_default()))
            ));
        }
        if let Some(text) = &q.text {
            cond.push(text_match(postgres, "folder", text, &mut args));
        }
        if let Some(after) = q.modified_after {
            cond.push(format!("f.updated_at > {}", args.add(Bind::Int(after))));
        }
        if let Some(before) = q.modified_before {
            cond.push(format!("f.updated_at < {}", args.add(Bind::Int(before))));
        }
        parts.push(format!(
            "SELECT 'folder' AS kind, f.id AS id, f.name_key AS name_key FROM folders f WHERE {}",
            cond.join(" AND ")
        ));
    }
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = format!(
        "SELECT kind, id, name_key FROM ({}) hits",
        parts.join(" UNION ALL ")
    );
    if let Some((key, id)) = after {
        let k = args.add(Bind::Text(key.to_string()));
        let i = args.add(Bind::Text(id.to_string()));
        sql.push_str(&format!(" WHERE (name_key, id) > ({k}, {i})"));
    }
    let l = args.add(Bind::Int(limit));
    sql.push_str(&format!(" ORDER BY name_key, id LIMIT {l}"));
    let mut query = sqlx::query_as::<_, Hit>(sqlx::AssertSqlSafe(sql));
    for b in args.binds {
        query = match b {
            Bind::Text(t) => query.bind(t),
            Bind::Int(i) => query.bind(i),
        };
    }
    Ok(query.fetch_all(conn).await?)
}

/// The text condition for alias `f` of the files or folders table. Trigram indexes need three
/// characters; a shorter text is matched by scanning (still correct, only slower).
fn text_match(postgres: bool, table: &str, text: &str, args: &mut Args) -> String {
    if postgres {
        // The very expressions the GIN indexes of migration 0010 are built on.
        let expr = if table == "file" {
            "(lower(f.name) || ' ' || lower(f.description) || ' ' || lower(f.tags))"
        } else {
            "(lower(f.name) || ' ' || lower(f.description))"
        };
        let ph = args.add(Bind::Text(like_pattern(text)));
        // The index finds candidates in the joined text; the match must lie inside one field,
        // not span the separator between two (`name` ending "a", description starting "b").
        let fields: Vec<String> = if table == "file" {
            vec!["lower(f.name)", "lower(f.description)", "lower(f.tags)"]
        } else {
            vec!["lower(f.name)", "lower(f.description)"]
        }
        .into_iter()
        .map(|c| format!("{c} LIKE {ph} ESCAPE '\\'"))
        .collect();
        return format!(
            "({expr} LIKE {ph} ESCAPE '\\' AND ({}))",
            fields.join(" OR ")
        );
    }
    let fts = if table == "file" {
        "files_fts"
    } else {
        "folders_fts"
    };
    if text.chars().count() >= 3 {
        let ph = args.add(Bind::Text(fts_phrase(text)));
        format!("f.rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {ph})")
    } else {
        let ph = args.add(Bind::Text(like_pattern(text)));
        let cols = if table == "file" {
            vec!["f.name_key", "lower(f.description)", "lower(f.tags)"]
        } else {
            vec!["f.name_key", "lower(f.description)"]
        };
        let any: Vec<String> = cols
            .iter()
            .map(|c| format!("{c} LIKE {ph} ESCAPE '\\'"))
            .collect();
        format!("({})", any.join(" OR "))
    }
}
