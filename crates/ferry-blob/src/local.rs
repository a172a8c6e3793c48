//! Blobs on local disk: `blobs/ab/cd/<sha256>` (a blob's key is its SHA-256, so identical
//! content is stored once by the file system itself), staged in `staging/`, upload sessions
//! in `uploads/`, and files on their way out in `trash/`.

use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::BytesMut;
use futures::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::{
    BlobError, BlobStore, ByteStream, Part, Parts, Result, Session, Staged, WholeHash,
    is_session_id, is_sha256_hex,
};

/// Writes go to disk in slices this large: few syscalls, bounded memory per upload.
const WRITE_BUFFER: usize = 1 << 20;
/// Reads stream in chunks this large (there is no sendfile in the hyper stack).
const READ_BUFFER: usize = 256 << 10;
/// A concatenation ([`BlobStore::read_parts`]) streams in chunks this large, each read by
/// one blocking task (headers and the files around them in the same chunk).
const PARTS_CHUNK: usize = 1 << 20;

/// A [`BlobStore`] in a directory on local disk.
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    /// Opens (creating if needed) the store under `root`.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        tokio::fs::create_dir_all(root.join("blobs")).await?;
        tokio::fs::create_dir_all(root.join("staging")).await?;
        tokio::fs::create_dir_all(root.join("uploads")).await?;
        tokio::fs::create_dir_all(root.join("trash")).await?;
        let store = LocalBlobStore { root };
        // What a crash left in the trash.
        let trash = store.root.join("trash");
        tokio::task::spawn_blocking(move || {
            if let Ok(entries) = std::fs::read_dir(trash) {
                for entry in entries.flatten() {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        });
        Ok(store)
    }

    /// Deletes the file at `path` without waiting for the file system to free its blocks: it
    /// is renamed into `trash/` (a metadata change) and unlinked on a blocking thread nobody
    /// waits for. Why: on ext4 mounted with `discard`, as many VM disks are, unlink discards
    /// the blocks synchronously, which took 1.2 s for a 1 GiB file on our benchmark machine;
    /// no request should wait for that. Returns false if there was no such file.
    fn dispose(&self, path: &Path) -> std::io::Result<bool> {
        let trashed = self
            .root
            .join("trash")
            .join(format!("{:032x}", rand_u128()));
        match std::fs::rename(path, &trashed) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn_blocking(move || std::fs::remove_file(trashed));
            }
            Err(_) => std::fs::remove_file(trashed)?,
        }
        Ok(true)
    }

    fn session_path(&self, id: &str) -> Result<PathBuf> {
        if !is_session_id(id) {
            return Err(BlobError::NotFound);
        }
        Ok(self.root.join("uploads").join(id))
    }

    /// Renames `from` to the blob path of `sha256`, or drops it if that blob exists.
    async fn move_into_place(&self, from: &Path, sha256: &str) -> Result<()> {
        let to = self.blob_path(sha256)?;
        if tokio::fs::try_exists(&to).await? {
            self.dispose(from)?;
            return Ok(());
        }
        let shard = to.parent().expect("blob paths have a parent");
        if !tokio::fs::try_exists(shard).await? {
            tokio::fs::create_dir_all(shard).await?;
            sync_dir(shard.parent().expect("shards have a parent")).await?;
            sync_dir(&self.root.join("blobs")).await?;
        }
        tokio::fs::rename(from, &to).await?;
        sync_dir(shard).await?;
        Ok(())
    }

    /// The key of the file at `path` under `blobs/`: its name, if that is a SHA-256 and the
    /// file is where that blob lives; else its path under the root, which no key equals.
    fn key_of(&self, path: &Path) -> String {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if self.blob_path(name).is_ok_and(|p| p == path) {
            return name.to_string();
        }
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    fn staging_path(&self, handle: &str) -> PathBuf {
        self.root.join("staging").join(handle)
    }

    fn blob_path(&self, sha256: &str) -> Result<PathBuf> {
        if !is_sha256_hex(sha256) {
            return Err(BlobError::NotFound);
        }
        Ok(self
            .root
            .join("blobs")
            .join(&sha256[..2])
            .join(&sha256[2..4])
            .join(sha256))
    }
}

/// Where a listing of `blobs/` is: one directory open at a time, the others waiting as paths,
/// so memory grows with the shard tree (256 × 256 at most), not with the blob count.
struct Walk {
    pending: Vec<PathBuf>,
    current: Option<tokio::fs::ReadDir>,
}

impl Walk {
    /// The next file's key and where the listing goes on from.
    async fn next_key(mut self, store: &LocalBlobStore) -> Result<Option<(String, Walk)>> {
        loop {
            let Some(dir) = self.current.as_mut() else {
                let Some(next) = self.pending.pop() else {
                    return Ok(None);
                };
                match tokio::fs::read_dir(&next).await {
                    Ok(dir) => self.current = Some(dir),
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
                continue;
            };
            let Some(entry) = dir.next_entry().await? else {
                self.current = None;
                continue;
            };
            let path = entry.path();
            if entry.file_type().await?.is_dir() {
                self.pending.push(path);
                continue;
            }
            return Ok(Some((store.key_of(&path), self)));
        }
    }
}

/// fsync a directory so a rename or create inside it survives a power cut.
async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
        .await
        .map_err(std::io::Error::other)?
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    async fn stage(&self, mut body: ByteStream<'_>, max_bytes: u64) -> Result<Staged> {
        let handle = format!("{:032x}", rand_u128());
        let path = self.staging_path(&handle);
        let mut guard = StagingGuard(Some((self.clone(), path.clone())));
        let mut file = tokio::fs::File::create(&path).await?;
        let result: Result<(String, u32, u64)> = async {
            let mut hasher = Sha256::new();
            // The CRC-32 in the same pass, for zip archives (see `Staged::crc32`).
            let mut crc = crc32fast::Hasher::new();
            let mut size = 0u64;
            let mut buf = BytesMut::with_capacity(WRITE_BUFFER);
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(BlobError::Body)?;
                size += chunk.len() as u64;
                if size > max_bytes {
                    return Err(BlobError::TooLarge { limit: max_bytes });
                }
                hasher.update(&chunk);
                crc.update(&chunk);
                buf.extend_from_slice(&chunk);
                if buf.len() >= WRITE_BUFFER {
                    file.write_all(&buf).await?;
                    buf.clear();
                }
            }
            file.write_all(&buf).await?;
            file.sync_all().await?;
            Ok((hex::encode(hasher.finalize()), crc.finalize(), size))
        }
        .await;
        drop(file);
        match result {
            Ok((sha256, crc32, size)) => {
                guard.0 = None;
                Ok(Staged {
                    key: sha256.clone(),
                    sha256,
                    crc32,
                    size,
                    handle,
                    content: None,
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn publish(&self, staged: Staged) -> Result<()> {
        if staged.content.is_some() {
            return Err(crate::in_memory_error());
        }
        let from = self.staging_path(&staged.handle);
        self.move_into_place(&from, &staged.sha256).await
    }

    async fn discard(&self, staged: Staged) {
        if staged.content.is_some() {
            return;
        }
        let _ = self.dispose(&self.staging_path(&staged.handle));
    }

    async fn read(&self, key: &str, offset: u64, len: u64) -> Result<ByteStream<'static>> {
        read_range(self.blob_path(key)?, offset, len).await
    }

    fn read_parts(self: Arc<Self>, parts: Parts) -> ByteStream<'static> {
        let filler = Filler {
            store: (*self).clone(),
            parts,
            open: None,
        };
        // One chunk is read ahead: the next is read while the last one is being sent.
        let first = tokio::task::spawn_blocking(move || filler.fill());
        Box::pin(futures::stream::unfold(Some(first), |reading| async move {
            let (filler, chunk) = match reading?.await {
                Ok(done) => done,
                Err(e) => return Some((Err(e.into()), None)),
            };
            match chunk {
                Ok(Some(chunk)) => {
                    let next = tokio::task::spawn_blocking(move || filler.fill());
                    Some((Ok(chunk), Some(next)))
                }
                Ok(None) => None,
                Err(e) => Some((Err(e.into()), None)),
            }
        }))
    }

    async fn session_read(
        &self,
        session: &Session<'_>,
        offset: u64,
        len: u64,
    ) -> Result<ByteStream<'static>> {
        read_range(self.session_path(session.id)?, offset, len).await
    }

    async fn remove(&self, key: &str) -> Result<()> {
        self.dispose(&self.blob_path(key)?)?;
        Ok(())
    }

    fn list_keys(&self) -> futures::stream::BoxStream<'_, Result<String>> {
        let walk = Walk {
            pending: vec![self.root.join("blobs")],
            current: None,
        };
        Box::pin(futures::stream::try_unfold(walk, move |walk| {
            walk.next_key(self)
        }))
    }

    async fn sweep_staging(&self, max_age: Duration) -> Result<usize> {
        let mut removed = 0;
        let mut dir = tokio::fs::read_dir(self.root.join("staging")).await?;
        let now = SystemTime::now();
        while let Some(entry) = dir.next_entry().await? {
            let modified = entry.metadata().await?.modified()?;
            if now.duration_since(modified).unwrap_or_default() > max_age
                && self.dispose(&entry.path())?
            {
                removed += 1;
            }
        }
        Ok(removed)
    }

    async fn session_create(&self, session: &Session<'_>) -> Result<Option<String>> {
        let (path, size) = (self.session_path(session.id)?, session.size);
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .await?;
        // Sparse: parts fill it in at their offsets, in any order.
        file.set_len(size).await?;
        file.sync_all().await?;
        sync_dir(&self.root.join("uploads")).await?;
        Ok(None)
    }

    async fn session_append(
        &self,
        session: &Session<'_>,
        offset: u64,
        max_len: u64,
        body: ByteStream<'_>,
        observe: &mut (dyn for<'b> FnMut(&'b [u8]) + Send),
    ) -> Result<crate::Appended> {
        let path = self.session_path(session.id)?;
        let file = match std::fs::OpenOptions::new().write(true).open(&path) {
            Ok(f) => Arc::new(f),
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(BlobError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let flush = |buf: BytesMut, at: u64, file: Arc<std::fs::File>| async move {
            tokio::task::spawn_blocking(move || file.write_all_at(&buf, at))
                .await
                .map_err(std::io::Error::other)?
        };
        let mut written = 0u64;
        let mut buf = BytesMut::with_capacity(WRITE_BUFFER);
        let mut input = crate::AppendBody::new(body, max_len, observe);
        while let Some(chunk) = input.next().await? {
            buf.extend_from_slice(&chunk);
            if buf.len() >= WRITE_BUFFER {
                let full = std::mem::replace(&mut buf, BytesMut::with_capacity(WRITE_BUFFER));
                let n = full.len() as u64;
                flush(full, offset + written, file.clone()).await?;
                written += n;
            }
        }
        let n = buf.len() as u64;
        flush(buf, offset + written, file.clone()).await?;
        written += n;
        tokio::task::spawn_blocking(move || file.sync_data())
            .await
            .map_err(std::io::Error::other)??;
        Ok(crate::Appended {
            written,
            interrupted: input.interrupted,
            receipt: None,
        })
    }

    async fn session_seal(&self, _: &Session<'_>, _: &[Option<String>]) -> Result<()> {
        Ok(())
    }

    async fn session_hash(
        &self,
        session: &Session<'_>,
        offset: u64,
        len: u64,
        mut hasher: WholeHash,
    ) -> Result<WholeHash> {
        let path = self.session_path(session.id)?;
        tokio::task::spawn_blocking(move || -> Result<WholeHash> {
            let file = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == ErrorKind::NotFound => return Err(BlobError::NotFound),
                Err(e) => return Err(e.into()),
            };
            let mut buf = vec![0u8; WRITE_BUFFER];
            let mut done = 0u64;
            while done < len {
                let want = (len - done).min(buf.len() as u64) as usize;
                file.read_exact_at(&mut buf[..want], offset + done)?;
                hasher.update(&buf[..want]);
                done += want as u64;
            }
            Ok(hasher)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    fn session_key(&self, _id: &str, sha256: &str) -> String {
        sha256.to_string()
    }

    async fn session_publish(&self, session: &Session<'_>, sha256: &str) -> Result<()> {
        let path = self.session_path(session.id)?;
        self.move_into_place(&path, sha256).await
    }

    async fn session_delete(&self, session: &Session<'_>) -> Result<()> {
        self.dispose(&self.session_path(session.id)?)?;
        Ok(())
    }

    async fn session_ids(&self) -> Result<Vec<(String, Duration)>> {
        let mut ids = Vec::new();
        let now = SystemTime::now();
        let mut dir = tokio::fs::read_dir(self.root.join("uploads")).await?;
        while let Some(entry) = dir.next_entry().await? {
            if let Some(name) = entry.file_name().to_str()
                && is_session_id(name)
            {
                let modified = entry.metadata().await?.modified()?;
                ids.push((
                    name.to_string(),
                    now.duration_since(modified).unwrap_or_default(),
                ));
            }
        }
        Ok(ids)
    }
}

/// Streams `len` bytes of the file at `path` from `offset`.
async fn read_range(path: PathBuf, offset: u64, len: u64) -> Result<ByteStream<'static>> {
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(BlobError::NotFound),
        Err(e) => return Err(e.into()),
    };
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    let stream = tokio_util::io::ReaderStream::with_capacity(file.take(len), READ_BUFFER)
        .map_err(|e| Box::new(e) as crate::BoxError);
    Ok(Box::pin(stream))
}

/// Reads a concatenation of parts chunk by chunk, in blocking tasks: opens each blob as its
/// turn comes and reads it with `pread` straight into the chunk, generated bytes copied in
/// between (the whole chunk is one read per file in it, not one task per 256 KiB).
struct Filler {
    store: LocalBlobStore,
    parts: Parts,
    /// The blob being read: its file, the next offset, the bytes left.
    open: Option<(std::fs::File, u64, u64)>,
}

impl Filler {
    /// The next chunk (None at the end); blocking.
    fn fill(mut self) -> (Self, Result<Option<bytes::Bytes>>) {
        let chunk = self.next_chunk();
        (self, chunk)
    }

    fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>> {
        let mut buf = BytesMut::with_capacity(PARTS_CHUNK);
        while buf.len() < PARTS_CHUNK {
            let Some((file, offset, left)) = &mut self.open else {
                match self.parts.next() {
                    None => break,
                    Some(Part::Bytes(b)) => buf.extend_from_slice(&b),
                    Some(Part::Blob { len: 0, .. }) => {}
                    Some(Part::Blob { key, offset, len }) => {
                        let file = match std::fs::File::open(self.store.blob_path(&key)?) {
                            Ok(f) => f,
                            Err(e) if e.kind() == ErrorKind::NotFound => {
                                return Err(BlobError::NotFound);
                            }
                            Err(e) => return Err(e.into()),
                        };
                        self.open = Some((file, offset, len));
                    }
                }
                continue;
            };
            let n = (*left).min((PARTS_CHUNK - buf.len()) as u64) as usize;
            let at = buf.len();
            buf.resize(at + n, 0);
            file.read_exact_at(&mut buf[at..], *offset)?;
            *offset += n as u64;
            *left -= n as u64;
            if *left == 0 {
                self.open = None;
            }
        }
        Ok((!buf.is_empty()).then(|| buf.freeze()))
    }
}

/// Removes a staging file unless disarmed: runs when staging fails and also when the request
/// future is dropped mid-body (the client went away), so no partial data is left behind.
struct StagingGuard(Option<(LocalBlobStore, PathBuf)>);

impl Drop for StagingGuard {
    fn drop(&mut self) {
        if let Some((store, path)) = self.0.take() {
            let _ = store.dispose(&path);
        }
    }
}

/// 128 random bits for staging file names, which only need to be unique.
fn rand_u128() -> u128 {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("OS RNG unavailable");
    u128::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn body(chunks: Vec<&'static [u8]>) -> ByteStream<'static> {
        Box::pin(futures::stream::iter(
            chunks.into_iter().map(|c| Ok(Bytes::from_static(c))),
        ))
    }

    async fn read_all(store: &LocalBlobStore, sha: &str, off: u64, len: u64) -> Vec<u8> {
        let s = store.read(sha, off, len).await.unwrap();
        s.try_fold(Vec::new(), |mut acc, c| async move {
            acc.extend_from_slice(&c);
            Ok(acc)
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn stages_hashes_publishes_and_reads_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).await.unwrap();
        let staged = store
            .stage(body(vec![b"hello ", b"world"]), 100)
            .await
            .unwrap();
        assert_eq!(
            staged.sha256,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(staged.size, 11);
        // CRC-32 of "hello world" (IEEE), as `crc32` and zip tools compute it.
        assert_eq!(staged.crc32, 0x0d4a_1185);
        let sha = staged.sha256.clone();
        store.publish(staged).await.unwrap();
        assert_eq!(read_all(&store, &sha, 0, 11).await, b"hello world");
        assert_eq!(read_all(&store, &sha, 6, 5).await, b"world");
        assert!(dir.path().join("blobs/b9/4d").join(&sha).exists());
    }

    /// A concatenation of generated bytes and blob ranges reads back byte for byte, through
    /// the local store's own reader (chunks spanning parts) and through the generic chain of
    /// `read`s; a missing blob fails the stream when its turn comes.
    #[tokio::test]
    async fn concatenations_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(LocalBlobStore::open(dir.path()).await.unwrap());
        let big: Vec<u8> = (0..3 * PARTS_CHUNK as u32 / 2)
            .map(|i| (i % 251) as u8)
            .collect();
        let mut keys = Vec::new();
        for content in [&b"hello world"[..], &big[..]] {
            let staged = store
                .stage(
                    Box::pin(futures::stream::iter([Ok(Bytes::copy_from_slice(content))])),
                    u64::MAX,
                )
                .await
                .unwrap();
            keys.push(staged.key.clone());
            store.publish(staged).await.unwrap();
        }
        let blob = |i: usize, offset: u64, len: u64| Part::Blob {
            key: keys[i].clone(),
            offset,
            len,
        };
        let parts = vec![
            Part::Bytes(Bytes::from_static(b"<a>")),
            blob(0, 6, 5),
            Part::Bytes(Bytes::from_static(b"<b>")),
            blob(1, 7, big.len() as u64 - 7),
            blob(0, 0, 0),
            Part::Bytes(Bytes::from_static(b"<end>")),
        ];
        let mut expected = b"<a>world<b>".to_vec();
        expected.extend_from_slice(&big[7..]);
        expected.extend_from_slice(b"<end>");
        let own = store
            .clone()
            .read_parts(Box::new(parts.clone().into_iter()));
        let chained = crate::parts::chained(store.clone(), Box::new(parts.into_iter()));
        for stream in [own, chained] {
            let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
            assert_eq!(chunks.concat(), expected);
        }

        let missing = "0".repeat(64);
        let parts = vec![
            Part::Bytes(Bytes::from_static(b"<a>")),
            blob(0, 0, 11),
            Part::Blob {
                key: missing,
                offset: 0,
                len: 1,
            },
        ];
        let own = store
            .clone()
            .read_parts(Box::new(parts.clone().into_iter()));
        let chained = crate::parts::chained(store.clone(), Box::new(parts.into_iter()));
        for stream in [own, chained] {
            let items: Vec<_> = stream.collect().await;
            let err = items.last().unwrap().as_ref().unwrap_err();
            assert!(
                matches!(err.downcast_ref::<BlobError>(), Some(BlobError::NotFound)),
                "{err}"
            );
        }
    }

    #[tokio::test]
    async fn same_content_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).await.unwrap();
        for _ in 0..2 {
            let s = store.stage(body(vec![b"dup"]), 10).await.unwrap();
            store.publish(s).await.unwrap();
        }
        let staging = std::fs::read_dir(dir.path().join("staging"))
            .unwrap()
            .count();
        assert_eq!(staging, 0);
    }

    /// Files the store deletes are gone from their place at once, and `trash/` empties itself,
    /// also of what an earlier process left there.
    #[tokio::test]
    async fn deleted_files_are_gone_and_the_trash_empties_itself() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("trash")).unwrap();
        std::fs::write(dir.path().join("trash/left-by-a-crash"), b"x").unwrap();
        let store = LocalBlobStore::open(dir.path()).await.unwrap();
        let first = store.stage(body(vec![b"gone"]), 10).await.unwrap();
        let sha = first.sha256.clone();
        store.publish(first).await.unwrap();
        let again = store.stage(body(vec![b"gone"]), 10).await.unwrap();
        store.publish(again).await.unwrap();
        store.remove(&sha).await.unwrap();
        store.remove(&sha).await.unwrap();
        assert!(!store.blob_path(&sha).unwrap().exists());
        let trash = dir.path().join("trash");
        let mut left = usize::MAX;
        for _ in 0..500 {
            left = std::fs::read_dir(&trash).unwrap().count();
            if left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(left, 0, "the trash was not emptied");
    }

    #[tokio::test]
    async fn too_large_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).await.unwrap();
        let err = store
            .stage(body(vec![b"12345", b"678"]), 6)
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::TooLarge { limit: 6 }));
        let staging = std::fs::read_dir(dir.path().join("staging"))
            .unwrap()
            .count();
        assert_eq!(staging, 0);
    }

    #[tokio::test]
    async fn body_errors_keep_nothing_and_paths_are_never_user_input() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).await.unwrap();
        let failing: ByteStream<'static> = Box::pin(futures::stream::iter(vec![
            Ok(Bytes::from_static(b"abc")),
            Err("client went away".into()),
        ]));
        assert!(matches!(
            store.stage(failing, 100).await,
            Err(BlobError::Body(_))
        ));
        assert_eq!(
            std::fs::read_dir(dir.path().join("staging"))
                .unwrap()
                .count(),
            0
        );
        assert!(matches!(
            store.read("../../etc/passwd", 0, 1).await,
            Err(BlobError::NotFound)
        ));
    }

    #[tokio::test]
    async fn sessions_take_parts_at_offsets_and_publish_by_rename() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).await.unwrap();
        let s = Session {
            id: "upl_1",
            size: 11,
            part_size: 6,
            sequential: false,
            handle: None,
        };
        store.session_create(&s).await.unwrap();
        let mut seen = 0;
        let second = store
            .session_append(&s, 6, 5, body(vec![b"world"]), &mut |c| seen += c.len())
            .await
            .unwrap();
        assert_eq!((second.written, second.interrupted, seen), (5, false, 5));
        store
            .session_append(&s, 0, 6, body(vec![b"hello "]), &mut |_| {})
            .await
            .unwrap();
        // More than the part may hold is refused.
        let err = store
            .session_append(&s, 0, 3, body(vec![b"toolong"]), &mut |_| {})
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::LengthMismatch { expected: 3, .. }));
        // A body that fails half way keeps what arrived and says so.
        let failing: ByteStream<'static> = Box::pin(futures::stream::iter(vec![
            Ok(Bytes::from_static(b"hello")),
            Err("gone".into()),
        ]));
        let cut = store
            .session_append(&s, 0, 6, failing, &mut |_| {})
            .await
            .unwrap();
        assert_eq!((cut.written, cut.interrupted), (5, true));
        let hashed = store
            .session_hash(&s, 0, 11, WholeHash::new())
            .await
            .unwrap();
        assert_eq!(hashed.crc32(), Some(0x0d4a_1185));
        let sha = hex::encode(hashed.finalize());
        assert_eq!(
            sha,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        store.session_publish(&s, &sha).await.unwrap();
        assert_eq!(read_all(&store, &sha, 0, 11).await, b"hello world");
        assert!(store.session_ids().await.unwrap().is_empty());
        assert!(matches!(
            store.session_create(&Session::by_id("../x")).await,
            Err(BlobError::NotFound)
        ));
    }
}
