//! Audio tags and durations (MP3, FLAC, Ogg Vorbis/Opus, M4A/MP4, WAV, AIFF…) for media
//! metadata, read by `lofty` through a [`BlobReader`]: a `Read + Seek` over the blob store that
//! fetches only the pieces the parser asks for (the start of the file, a trailing ID3v1/APE
//! tag, the last Ogg page, an MP4 `moov` box at the end), on local disk and S3 alike, never
//! more than [`READ_BUDGET`] bytes in all. The parser runs on a blocking thread with its
//! panics caught; cover art is not read; a tag item larger than lofty's allocation limit
//! (16 MiB) is refused by lofty itself. Anything it cannot make sense of reads as nothing.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

use futures::StreamExt;
use lofty::prelude::*;

use crate::media::Media;

/// At most this much of one file is fetched for its tags and duration (a large ID3v2 tag with
/// pictures can run to a few MiB; whatever needs more gives no metadata).
const READ_BUDGET: u64 = 32 * 1024 * 1024;
/// What one fetch from the blob store asks for.
const CHUNK: u64 = 64 * 1024;

/// Reads the tags and duration of the blob `key` (`len` bytes long) off the async threads.
pub(crate) async fn read_blob(
    blobs: Arc<dyn ferry_blob::BlobStore>,
    key: String,
    len: u64,
) -> Media {
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let reader = BlobReader::new(blobs, key, len, handle);
        // The reader is moved in and dropped with the panic: nothing half-updated is seen
        // afterwards.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || read(reader)))
            .unwrap_or_default()
    })
    .await
    .unwrap_or_default()
}

/// Reads the tags and duration of the audio file `reader` holds; nothing for anything else.
pub fn read<R: Read + Seek>(reader: R) -> Media {
    let options = lofty::config::ParseOptions::new().read_cover_art(false);
    let Ok(probe) = lofty::probe::Probe::new(reader)
        .options(options)
        .guess_file_type()
    else {
        return Media::default();
    };
    // Only audio formats (and MP4 containers): lofty knows no images, but say so anyway.
    if probe.file_type().is_none() {
        return Media::default();
    }
    let Ok(file) = probe.read() else {
        return Media::default();
    };
    let mut media = Media::default();
    let duration = file.properties().duration();
    if !duration.is_zero() {
        media.duration_ms = Some(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX));
    }
    if let Some(tag) = file.primary_tag().or_else(|| file.first_tag()) {
        let text = |v: Option<std::borrow::Cow<'_, str>>| {
            v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
        };
        media.title = text(tag.title());
        media.artist = text(tag.artist());
        media.album = text(tag.album());
        media.track = tag.track().filter(|t| *t > 0);
        media.year = tag.date().map(|d| d.year).filter(|y| *y > 0);
    }
    media
}

/// `Read + Seek` over one blob, fetched in [`CHUNK`]s on demand from a blocking thread.
struct BlobReader {
    blobs: Arc<dyn ferry_blob::BlobStore>,
    key: String,
    len: u64,
    pos: u64,
    handle: tokio::runtime::Handle,
    /// The last chunk fetched and where it starts.
    buf: Vec<u8>,
    buf_at: u64,
    /// Bytes that may still be fetched.
    budget: u64,
}

impl BlobReader {
    fn new(
        blobs: Arc<dyn ferry_blob::BlobStore>,
        key: String,
        len: u64,
        handle: tokio::runtime::Handle,
    ) -> BlobReader {
        BlobReader {
            blobs,
            key,
            len,
            pos: 0,
            handle,
            buf: Vec::new(),
            buf_at: 0,
            budget: READ_BUDGET,
        }
    }

    fn fetch(&mut self) -> io::Result<()> {
        let want = CHUNK.min(self.len - self.pos);
        if want > self.budget {
            return Err(io::Error::other("read budget for media metadata used up"));
        }
        self.budget -= want;
        let (blobs, key, at) = (self.blobs.clone(), self.key.clone(), self.pos);
        let bytes = self.handle.block_on(async move {
            let mut stream = blobs.read(&key, at, want).await.map_err(io::Error::other)?;
            let mut out = Vec::with_capacity(want as usize);
            while let Some(chunk) = stream.next().await {
                out.extend_from_slice(&chunk.map_err(io::Error::other)?);
            }
            Ok::<_, io::Error>(out)
        })?;
        if bytes.is_empty() {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "short blob"));
        }
        self.buf = bytes;
        self.buf_at = at;
        Ok(())
    }
}

impl Read for BlobReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let end = self.buf_at + self.buf.len() as u64;
        if self.pos < self.buf_at || self.pos >= end {
            self.fetch()?;
        }
        let from = (self.pos - self.buf_at) as usize;
        let n = out.len().min(self.buf.len() - from);
        out[..n].copy_from_slice(&self.buf[from..from + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    /// A WAV of `secs` seconds of 8 kHz 16-bit mono silence with a LIST/INFO chunk.
    pub(crate) fn wav(secs: u32, info: &[(&[u8; 4], &str)]) -> Vec<u8> {
        let data_len = 8000 * 2 * secs;
        let mut list = b"INFO".to_vec();
        for (id, value) in info {
            let mut v = value.as_bytes().to_vec();
            v.push(0);
            list.extend(*id);
            list.extend((v.len() as u32).to_le_bytes());
            if v.len() % 2 == 1 {
                v.push(0);
            }
            list.extend(v);
        }
        let mut body = b"WAVE".to_vec();
        body.extend(b"fmt ");
        body.extend(16u32.to_le_bytes());
        body.extend(1u16.to_le_bytes()); // PCM
        body.extend(1u16.to_le_bytes()); // mono
        body.extend(8000u32.to_le_bytes());
        body.extend(16000u32.to_le_bytes()); // bytes per second
        body.extend(2u16.to_le_bytes()); // block align
        body.extend(16u16.to_le_bytes()); // bits per sample
        body.extend(b"LIST");
        body.extend((list.len() as u32).to_le_bytes());
        body.extend(list);
        body.extend(b"data");
        body.extend(data_len.to_le_bytes());
        body.extend(std::iter::repeat_n(0u8, data_len as usize));
        let mut out = b"RIFF".to_vec();
        out.extend((body.len() as u32).to_le_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn a_wav_gives_its_info_tags_and_duration() {
        let bytes = wav(
            2,
            &[
                (b"INAM", "Harbour"),
                (b"IART", "The Ferrymen"),
                (b"IPRD", "Crossings"),
                (b"IPRT", "3"),
                (b"ICRD", "2024"),
            ],
        );
        let media = read(Cursor::new(bytes));
        assert_eq!(media.duration_ms, Some(2000));
        assert_eq!(media.title.as_deref(), Some("Harbour"));
        assert_eq!(media.artist.as_deref(), Some("The Ferrymen"));
        assert_eq!(media.album.as_deref(), Some("Crossings"));
        assert_eq!(media.track, Some(3));
        assert_eq!(media.year, Some(2024));
    }

    #[test]
    fn garbage_and_truncated_audio_read_as_nothing() {
        assert_eq!(
            read(Cursor::new(b"ID3\x04garbage".to_vec())),
            Media::default()
        );
        let mut noise = vec![0u8; 50_000];
        for (i, b) in noise.iter_mut().enumerate() {
            *b = (i * 7919 % 251) as u8;
        }
        assert_eq!(read(Cursor::new(noise)), Media::default());
        let whole = wav(1, &[(b"INAM", "Cut")]);
        for cut in [4, 12, 30, 60] {
            let _ = read(Cursor::new(whole[..cut].to_vec()));
        }
    }
}
