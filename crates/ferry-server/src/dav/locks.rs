//! WebDAV locks in the database (`dav_locks`), so that a lock taken through one node holds on
//! every node. The rules are dav-server's own in-memory lock system's (`MemLs`), over rows
//! keyed by the path in the owner's tree ([`ferry_app::webdav::lock_key`]), plus timeouts.

use std::time::{Duration, UNIX_EPOCH};

use dav_server::davpath::DavPath;
use dav_server::ls::{DavLock, DavLockSystem, LsFuture};
use ferry_app::{AppState, Caller};
use ferry_store::dav::DavLock as Row;
use futures::FutureExt;
use xmltree::Element;

/// The longest lock: a client asking for longer (or for `Infinite`) gets this, so a lock
/// forgotten by a client does not hold a file for ever.
const MAX_TIMEOUT: Duration = Duration::from_secs(7 * 86_400);

/// The lock system of one request: it knows the caller, whose root the paths start from.
#[derive(Clone)]
pub struct DbLocks {
    pub app: AppState,
    pub caller: Caller,
    /// The URL prefix paths are served under (`/dav`).
    pub prefix: &'static str,
}

impl std::fmt::Debug for DbLocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbLocks")
    }
}

/// The keys of `key` and of every path above it, the tree's root first.
fn ancestors(key: &str) -> Vec<&str> {
    let mut out: Vec<&str> = key.match_indices('/').map(|(i, _)| &key[..i]).collect();
    out.push(key);
    out
}

fn is_below(candidate: &str, key: &str) -> bool {
    candidate.len() > key.len() + 1
        && candidate.starts_with(key)
        && candidate.as_bytes()[key.len()] == b'/'
}

/// The owner part of a key (`usr_…:`): every lock of one tree starts with it.
fn tree_of(key: &str) -> &str {
    key.find(':').map_or(key, |i| &key[..=i])
}

impl DbLocks {
    fn now_ms(&self) -> i64 {
        self.app.now_ms()
    }

    async fn key(&self, path: &DavPath) -> ferry_app::Result<String> {
        let text = String::from_utf8_lossy(path.as_bytes()).into_owned();
        ferry_app::webdav::lock_key(&self.app, &self.caller, &text).await
    }

    async fn live(&self, key: &str) -> ferry_app::Result<Vec<Row>> {
        let mut conn = self.app.store.conn().await?;
        Ok(ferry_store::dav::live_locks(&mut conn, tree_of(key), self.now_ms()).await?)
    }

    fn to_dav(&self, row: &Row) -> DavLock {
        let mut path = DavPath::new(&row.path).unwrap_or_else(|_| DavPath::new("/").unwrap());
        let _ = path.set_prefix(self.prefix);
        let owner = row
            .owner_xml
            .as_deref()
            .and_then(|x| Element::parse(x.as_bytes()).ok())
            .map(Box::new);
        DavLock {
            token: row.token.clone(),
            path: Box::new(path),
            principal: Some(row.principal.clone()),
            owner,
            timeout_at: row
                .expires_at
                .map(|ms| UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)),
            timeout: row
                .timeout_secs
                .map(|s| Duration::from_secs(s.max(0) as u64)),
            shared: row.shared != 0,
            deep: row.deep != 0,
        }
    }

    /// What a failure to reach the database answers: a conflicting lock (`423`), so that
    /// nothing goes ahead unchecked.
    fn unavailable(&self, path: &DavPath, e: ferry_app::Error) -> DavLock {
        tracing::error!(error = %e, "WebDAV lock check failed");
        DavLock {
            token: "opaquelocktoken:unavailable".into(),
            path: Box::new(path.clone()),
            principal: None,
            owner: None,
            timeout_at: None,
            timeout: None,
            shared: false,
            deep: false,
        }
    }
}

/// MemLs's `check_locks_to_path`: the locks on `key` and the deep ones above it.
fn check_to<'a>(
    rows: &'a [Row],
    key: &str,
    principal: Option<&str>,
    ignore_principal: bool,
    tokens: &[String],
    shared_ok: bool,
) -> Result<(), &'a Row> {
    let mut holds = false;
    let mut first_shared: Option<&Row> = None;
    for at in ancestors(key) {
        for l in rows.iter().filter(|l| l.path_key == at) {
            if at != key && l.deep == 0 {
                continue;
            }
            if tokens.contains(&l.token)
                && (ignore_principal || principal == Some(l.principal.as_str()))
            {
                holds = true;
            } else {
                if l.shared == 0 {
                    return Err(l);
                }
                if !shared_ok {
                    first_shared.get_or_insert(l);
                }
            }
        }
    }
    match first_shared {
        Some(l) if !holds => Err(l),
        _ => Ok(()),
    }
}

/// MemLs's `check_locks_from_path`: the locks below `key`.
fn check_below<'a>(
    rows: &'a [Row],
    key: &str,
    principal: Option<&str>,
    ignore_principal: bool,
    tokens: &[String],
    shared_ok: bool,
) -> Result<(), &'a Row> {
    for l in rows
        .iter()
        .filter(|l| l.path_key == key || is_below(&l.path_key, key))
    {
        if (l.shared == 0 || !shared_ok)
            && (!tokens.contains(&l.token)
                || (!ignore_principal && principal != Some(l.principal.as_str())))
        {
            return Err(l);
        }
    }
    Ok(())
}

/// A new lock token: a random version-4 UUID URN (RFC 4918 §6.5).
fn lock_token() -> String {
    let mut b = ferry_core::ids::random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn owner_xml(owner: &Element) -> Option<String> {
    // dav-server renames the element `D:owner` but binds no `D` prefix (a client may have
    // sent it with a default namespace): bind it, or it cannot be written.
    let mut owner = owner.clone();
    owner
        .namespaces
        .get_or_insert_with(xmltree::Namespace::empty)
        .force_put("D", "DAV:");
    let mut out = Vec::new();
    owner.write(&mut out).ok()?;
    String::from_utf8(out).ok()
}

impl DavLockSystem for DbLocks {
    fn lock(
        &self,
        path: &DavPath,
        principal: Option<&str>,
        owner: Option<&Element>,
        timeout: Option<Duration>,
        shared: bool,
        deep: bool,
    ) -> LsFuture<'_, Result<DavLock, DavLock>> {
        let path = path.clone();
        let principal = principal.unwrap_or_default().to_string();
        let owner = owner.and_then(owner_xml);
        async move {
            let result = async {
                let key = self.key(&path).await?;
                let now = self.now_ms();
                let timeout = timeout.unwrap_or(MAX_TIMEOUT).min(MAX_TIMEOUT);
                let taken = ferry_app::webdav::take_lock(&self.app, tree_of(&key), |rows| {
                    let conflict =
                        check_to(rows, &key, None, true, &[], shared)
                            .err()
                            .or_else(|| {
                                deep.then(|| check_below(rows, &key, None, true, &[], shared).err())
                                    .flatten()
                            });
                    if let Some(l) = conflict {
                        return Err(Box::new(l.clone()));
                    }
                    Ok(Row {
                        token: lock_token(),
                        path_key: key.clone(),
                        path: path.with_prefix().as_url_string(),
                        principal,
                        owner_xml: owner,
                        timeout_secs: Some(timeout.as_secs() as i64),
                        expires_at: Some(now + timeout.as_millis() as i64),
                        shared: shared as i64,
                        deep: deep as i64,
                        created_at: now,
                    })
                })
                .await?;
                Ok::<_, ferry_app::Error>(match taken {
                    Ok(row) => Ok(self.to_dav(&row)),
                    Err(in_the_way) => Err(self.to_dav(&in_the_way)),
                })
            };
            match result.await {
                Ok(r) => r,
                Err(e) => Err(self.unavailable(&path, e)),
            }
        }
        .boxed()
    }

    fn unlock(&self, path: &DavPath, token: &str) -> LsFuture<'_, Result<(), ()>> {
        let path = path.clone();
        let token = token.to_string();
        async move {
            let result = async {
                let key = self.key(&path).await?;
                let rows = self.live(&key).await?;
                let covering = ancestors(&key);
                let Some(l) = rows
                    .iter()
                    .find(|l| l.token == token && covering.contains(&l.path_key.as_str()))
                else {
                    return Ok(false);
                };
                let mut conn = self.app.store.conn().await?;
                Ok::<_, ferry_app::Error>(ferry_store::dav::delete_lock(&mut conn, &l.token).await?)
            };
            match result.await {
                Ok(true) => Ok(()),
                _ => Err(()),
            }
        }
        .boxed()
    }

    fn refresh(
        &self,
        path: &DavPath,
        token: &str,
        timeout: Option<Duration>,
    ) -> LsFuture<'_, Result<DavLock, ()>> {
        let path = path.clone();
        let token = token.to_string();
        async move {
            let result = async {
                let key = self.key(&path).await?;
                let rows = self.live(&key).await?;
                let covering = ancestors(&key);
                let Some(mut l) = rows
                    .into_iter()
                    .find(|l| l.token == token && covering.contains(&l.path_key.as_str()))
                else {
                    return Ok(None);
                };
                let timeout = timeout.unwrap_or(MAX_TIMEOUT).min(MAX_TIMEOUT);
                l.timeout_secs = Some(timeout.as_secs() as i64);
                l.expires_at = Some(self.now_ms() + timeout.as_millis() as i64);
                let mut conn = self.app.store.conn().await?;
                ferry_store::dav::refresh_lock(&mut conn, &l.token, l.timeout_secs, l.expires_at)
                    .await?;
                Ok::<_, ferry_app::Error>(Some(self.to_dav(&l)))
            };
            match result.await {
                Ok(Some(l)) => Ok(l),
                _ => Err(()),
            }
        }
        .boxed()
    }

    fn check(
        &self,
        path: &DavPath,
        principal: Option<&str>,
        ignore_principal: bool,
        deep: bool,
        submitted_tokens: &[String],
    ) -> LsFuture<'_, Result<(), DavLock>> {
        let path = path.clone();
        let principal = principal.map(str::to_string);
        let tokens = submitted_tokens.to_vec();
        async move {
            let (key, rows) = match async {
                let key = self.key(&path).await?;
                let rows = self.live(&key).await?;
                Ok::<_, ferry_app::Error>((key, rows))
            }
            .await
            {
                Ok(found) => found,
                Err(e) => return Err(self.unavailable(&path, e)),
            };
            let p = principal.as_deref();
            check_to(&rows, &key, p, ignore_principal, &tokens, false)
                .and_then(|()| {
                    if deep {
                        check_below(&rows, &key, p, ignore_principal, &tokens, false)
                    } else {
                        Ok(())
                    }
                })
                .map_err(|l| self.to_dav(l))
        }
        .boxed()
    }

    fn discover(&self, path: &DavPath) -> LsFuture<'_, Vec<DavLock>> {
        let path = path.clone();
        async move {
            let Ok(key) = self.key(&path).await else {
                return Vec::new();
            };
            let Ok(rows) = self.live(&key).await else {
                return Vec::new();
            };
            // The locks on the path itself and the deep ones above it.
            let key = key.as_str();
            ancestors(key)
                .into_iter()
                .flat_map(|at| {
                    rows.iter()
                        .filter(move |l| l.path_key == at && (at == key || l.deep != 0))
                })
                .map(|l| self.to_dav(l))
                .collect()
        }
        .boxed()
    }

    fn delete(&self, path: &DavPath) -> LsFuture<'_, Result<(), ()>> {
        let path = path.clone();
        async move {
            let result = async {
                let key = self.key(&path).await?;
                let mut conn = self.app.store.conn().await?;
                ferry_store::dav::delete_locks_under(&mut conn, &key).await?;
                Ok::<_, ferry_app::Error>(())
            };
            result.await.map_err(|_| ())
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_above_and_below() {
        assert_eq!(ancestors("u:/a/b"), vec!["u:", "u:/a", "u:/a/b"]);
        assert_eq!(ancestors("u:"), vec!["u:"]);
        assert!(is_below("u:/a/b", "u:/a"));
        assert!(is_below("u:/a", "u:"));
        assert!(!is_below("u:/ab", "u:/a"));
        assert!(!is_below("u:/a", "u:/a"));
        assert_eq!(tree_of("u:/a/b"), "u:");
    }

    #[test]
    fn a_lock_owner_survives_the_database() {
        let sent =
            r#"<lockinfo xmlns="DAV:"><owner><href>litmus test suite</href></owner></lockinfo>"#;
        let info = Element::parse(sent.as_bytes()).unwrap();
        let mut owner = info.get_child("owner").unwrap().clone();
        owner.prefix = Some("D".into());
        let stored = owner_xml(&owner).expect("the owner serialises");
        let back = Element::parse(stored.as_bytes()).unwrap();
        assert_eq!(back.name, "owner");
        assert_eq!(
            back.get_child("href").and_then(|h| h.get_text()).as_deref(),
            Some("litmus test suite")
        );
    }
}
