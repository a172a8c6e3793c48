//! Local files for transfers: the threads that write and hash a download's chunks as they
//! arrive, positional writes, prefix hashing, and the `.part` naming.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// `path` with `suffix` appended to its file name (`a.bin` → `a.bin.part`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Flushes the directory holding `path`, so that a rename into it survives a power cut.
pub fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// A thread of its own that does something with every chunk of a download as it arrives
/// (hash it, write it): the task reading the socket only hands the chunks over (they are
/// reference-counted, not copied), so receiving, writing and hashing overlap instead of
/// taking turns. SHA-256 is the slowest of the three (about 2 GB/s on one core here), so it
/// gets its own thread, and so does writing.
pub struct ChunkThread<T> {
    chunks: Option<tokio::sync::mpsc::Sender<bytes::Bytes>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<T>>>,
    what: &'static str,
}

/// SHA-256 of a download, continued from a resumed download's prefix.
pub type HashThread = ChunkThread<Sha256>;

impl HashThread {
    pub fn hashing(hasher: Sha256) -> HashThread {
        ChunkThread::start("hashing", hasher, |h, chunk| {
            h.update(chunk);
            Ok(())
        })
    }
}

/// Appends a download's chunks to its `.part` file.
pub type WriterThread = ChunkThread<std::fs::File>;

impl WriterThread {
    pub fn writing(file: std::fs::File) -> WriterThread {
        ChunkThread::start("writing", file, |f, chunk| {
            use std::io::Write;
            f.write_all(chunk)
        })
    }

    /// Waits until every chunk handed over is in the file (so that `.part` holds all that was
    /// received, for a retry or the next run), then goes on writing.
    pub async fn flush(&mut self) -> Result<()> {
        let file = self.finish().await?;
        *self = WriterThread::writing(file);
        Ok(())
    }

    /// Empties the file (it is opened for appending, so writing starts again at 0).
    pub async fn truncate(&mut self) -> Result<()> {
        let file = self.finish().await?;
        file.set_len(0)?;
        *self = WriterThread::writing(file);
        Ok(())
    }
}

impl<T: Send + 'static> ChunkThread<T> {
    fn start(
        what: &'static str,
        state: T,
        each: fn(&mut T, &[u8]) -> std::io::Result<()>,
    ) -> ChunkThread<T> {
        // 256 network chunks (a few MiB) may wait: enough to ride out uneven arrival, small
        // enough that a slow thread holds the download back rather than filling memory.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(256);
        let thread = std::thread::spawn(move || {
            let mut state = state;
            while let Some(chunk) = rx.blocking_recv() {
                each(&mut state, &chunk)?;
            }
            Ok(state)
        });
        ChunkThread {
            chunks: Some(tx),
            thread: Some(thread),
            what,
        }
    }

    /// Hands a chunk over; an error if the thread stopped (its error comes with `finish`).
    pub async fn update(&mut self, chunk: bytes::Bytes) -> Result<()> {
        let sent = match &self.chunks {
            Some(tx) => tx.send(chunk).await.is_ok(),
            None => false,
        };
        if !sent {
            let stopped = self.finish().await.err();
            return Err(
                stopped.unwrap_or_else(|| anyhow::anyhow!("the {} thread stopped", self.what))
            );
        }
        Ok(())
    }

    /// Waits for every chunk handed over so far to be done; returns the state.
    pub async fn finish(&mut self) -> Result<T> {
        drop(self.chunks.take());
        let what = self.what;
        let thread = self
            .thread
            .take()
            .with_context(|| format!("the {what} thread is gone"))?;
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .with_context(|| format!("the {what} thread failed"))?
            .map_err(|_| anyhow::anyhow!("the {what} thread panicked"))?
            .with_context(|| format!("{what} the download failed"))
    }
}

/// SHA-256 state over the first `len` bytes of `path`.
pub fn hash_prefix(path: &Path, len: u64) -> std::io::Result<Sha256> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    let mut r = f.take(len);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        total += n as u64;
    }
    if total != len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("{} is shorter than expected", path.display()),
        ));
    }
    Ok(h)
}

pub fn write_at(f: &std::fs::File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        f.write_all_at(buf, offset)
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt;
        let mut done = 0;
        while done < buf.len() {
            done += f.seek_write(&buf[done..], offset + done as u64)?;
        }
        Ok(())
    }
}
