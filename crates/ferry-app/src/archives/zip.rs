//! The byte layout of a STORE-only zip (zip64 where needed), decided before any byte is sent:
//! every entry's size and CRC-32 is known up front, so the local headers carry them (no data
//! descriptors, the form every reader handles, macOS Archive Utility included), the total
//! length is exact, and any byte range of the archive is computed from the layout without
//! producing what comes before it.
//!
//! Written by hand rather than with a crate: `zip` writes to a `Seek` (its streaming mode uses
//! data descriptors and cannot say the length in advance), and `async_zip`'s zip64 streaming
//! has open bugs; neither can answer "bytes N..M of the archive" (a resumed download).
//! APPNOTE 6.3.10: local file header (4.3.7), central directory header (4.3.12), zip64 extra
//! field (4.5.3), zip64 end of central directory record and locator (4.3.14, 4.3.15).

use bytes::{BufMut, Bytes, BytesMut};
use sha2::{Digest, Sha256};

/// One entry: a file (with the blob holding its content) or a directory (path ends in `/`).
#[derive(Debug, Clone)]
pub struct Entry {
    /// The path inside the archive, `/`-separated, UTF-8.
    pub path: String,
    pub size: u64,
    pub crc32: u32,
    pub modified_ms: i64,
    /// The blob's SHA-256; None for a directory.
    pub blob: Option<String>,
}

/// What serves a stretch of the archive.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Header bytes, generated.
    Bytes(Bytes),
    /// `len` bytes of a blob from `offset`.
    Blob {
        sha256: &'a str,
        offset: u64,
        len: u64,
    },
}

const SENTINEL32: u32 = u32::MAX;
const SENTINEL16: u16 = u16::MAX;
const FLAG_UTF8: u16 = 1 << 11;
const UNIX: u16 = 3 << 8;

/// An archive laid out: where each entry starts, and the central directory with the end
/// records (kept in memory: about 100 bytes an entry).
#[derive(Debug)]
pub struct Layout {
    entries: Vec<Entry>,
    offsets: Vec<u64>,
    central_offset: u64,
    tail: Bytes,
    etag: String,
}

fn needs_zip64(size: u64) -> bool {
    size >= u64::from(SENTINEL32)
}

fn local_header_len(e: &Entry) -> u64 {
    30 + e.path.len() as u64 + if needs_zip64(e.size) { 20 } else { 0 }
}

fn version_needed(zip64: bool) -> u16 {
    if zip64 { 45 } else { 20 }
}

/// MS-DOS date and time (UTC, two-second resolution, 1980..=2107).
fn dos_time(ms: i64) -> (u16, u16) {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    if t.year() < 1980 {
        return (0, (1 << 5) | 1);
    }
    let year = t.year().min(2107) as u16;
    let date = ((year - 1980) << 9) | ((t.month() as u16) << 5) | u16::from(t.day());
    let time =
        (u16::from(t.hour()) << 11) | (u16::from(t.minute()) << 5) | (u16::from(t.second()) / 2);
    (time, date)
}

fn local_header(e: &Entry) -> Bytes {
    let zip64 = needs_zip64(e.size);
    let (time, date) = dos_time(e.modified_ms);
    let mut b = BytesMut::with_capacity(local_header_len(e) as usize);
    b.put_u32_le(0x0403_4b50);
    b.put_u16_le(version_needed(zip64));
    b.put_u16_le(FLAG_UTF8);
    b.put_u16_le(0); // stored
    b.put_u16_le(time);
    b.put_u16_le(date);
    b.put_u32_le(e.crc32);
    let size32 = if zip64 { SENTINEL32 } else { e.size as u32 };
    b.put_u32_le(size32);
    b.put_u32_le(size32);
    b.put_u16_le(e.path.len() as u16);
    b.put_u16_le(if zip64 { 20 } else { 0 });
    b.put_slice(e.path.as_bytes());
    if zip64 {
        // The local zip64 extra holds both sizes, uncompressed first.
        b.put_u16_le(0x0001);
        b.put_u16_le(16);
        b.put_u64_le(e.size);
        b.put_u64_le(e.size);
    }
    b.freeze()
}

fn central_header(b: &mut BytesMut, e: &Entry, offset: u64) {
    let big_size = needs_zip64(e.size);
    let big_offset = offset >= u64::from(SENTINEL32);
    let mut extra = BytesMut::new();
    if big_size {
        extra.put_u64_le(e.size);
        extra.put_u64_le(e.size);
    }
    if big_offset {
        extra.put_u64_le(offset);
    }
    let zip64 = !extra.is_empty();
    let (time, date) = dos_time(e.modified_ms);
    let is_dir = e.blob.is_none();
    b.put_u32_le(0x0201_4b50);
    b.put_u16_le(UNIX | 45);
    b.put_u16_le(version_needed(zip64 || big_size));
    b.put_u16_le(FLAG_UTF8);
    b.put_u16_le(0);
    b.put_u16_le(time);
    b.put_u16_le(date);
    b.put_u32_le(e.crc32);
    let size32 = if big_size { SENTINEL32 } else { e.size as u32 };
    b.put_u32_le(size32);
    b.put_u32_le(size32);
    b.put_u16_le(e.path.len() as u16);
    b.put_u16_le(if zip64 { 4 + extra.len() as u16 } else { 0 });
    b.put_u16_le(0); // comment
    b.put_u16_le(0); // disk
    b.put_u16_le(0); // internal attributes
    // Unix mode in the high half; MS-DOS directory bit for directories.
    let external: u32 = if is_dir {
        (0o40755 << 16) | 0x10
    } else {
        0o100644 << 16
    };
    b.put_u32_le(external);
    b.put_u32_le(if big_offset {
        SENTINEL32
    } else {
        offset as u32
    });
    b.put_slice(e.path.as_bytes());
    if zip64 {
        b.put_u16_le(0x0001);
        b.put_u16_le(extra.len() as u16);
        b.put_slice(&extra);
    }
}

impl Layout {
    /// Lays out `entries` in order. Paths must be at most 65,535 bytes.
    pub fn new(entries: Vec<Entry>) -> Layout {
        let mut offsets = Vec::with_capacity(entries.len());
        let mut at = 0u64;
        for e in &entries {
            offsets.push(at);
            at += local_header_len(e) + e.size;
        }
        let central_offset = at;
        let mut tail = BytesMut::with_capacity(entries.len() * 64);
        for (e, off) in entries.iter().zip(&offsets) {
            central_header(&mut tail, e, *off);
        }
        let central_size = tail.len() as u64;
        let count = entries.len() as u64;
        let zip64_end = count >= u64::from(SENTINEL16)
            || central_size >= u64::from(SENTINEL32)
            || central_offset >= u64::from(SENTINEL32);
        if zip64_end {
            let record_at = central_offset + central_size;
            tail.put_u32_le(0x0606_4b50);
            tail.put_u64_le(44);
            tail.put_u16_le(UNIX | 45);
            tail.put_u16_le(45);
            tail.put_u32_le(0);
            tail.put_u32_le(0);
            tail.put_u64_le(count);
            tail.put_u64_le(count);
            tail.put_u64_le(central_size);
            tail.put_u64_le(central_offset);
            tail.put_u32_le(0x0706_4b50);
            tail.put_u32_le(0);
            tail.put_u64_le(record_at);
            tail.put_u32_le(1);
        }
        tail.put_u32_le(0x0605_4b50);
        tail.put_u16_le(0);
        tail.put_u16_le(0);
        // With a zip64 end record the classic one holds sentinels (as Go's archive/zip does).
        let count16 = if zip64_end { SENTINEL16 } else { count as u16 };
        tail.put_u16_le(count16);
        tail.put_u16_le(count16);
        tail.put_u32_le(if zip64_end {
            SENTINEL32
        } else {
            central_size as u32
        });
        tail.put_u32_le(if zip64_end {
            SENTINEL32
        } else {
            central_offset as u32
        });
        tail.put_u16_le(0);
        let tail = tail.freeze();
        // The central directory names every entry with its size, CRC, time and place; the
        // blobs' hashes pin the content.
        let mut h = Sha256::new();
        h.update(&tail);
        for e in &entries {
            if let Some(sha) = &e.blob {
                h.update(sha.as_bytes());
            }
        }
        let etag = format!("zip-{}", hex::encode(h.finalize()));
        Layout {
            entries,
            offsets,
            central_offset,
            tail,
            etag,
        }
    }

    /// The archive's exact length in bytes.
    pub fn len(&self) -> u64 {
        self.central_offset + self.tail.len() as u64
    }

    /// Whether the archive is empty (it never is: the end record is always there).
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Where entry `index`'s content lies in the archive (empty for directories and empty
    /// files: then it starts where the entry's local header ends).
    pub fn data_span(&self, index: usize) -> std::ops::Range<u64> {
        let e = &self.entries[index];
        let start = self.offsets[index] + local_header_len(e);
        start..start + e.size
    }

    /// A strong validator: equal for archives with the same bytes.
    pub fn etag(&self) -> &str {
        &self.etag
    }

    /// What serves the archive from `pos` (up to `end`, exclusive; `pos < end <= len`): the
    /// caller repeats from `pos` + the piece's length until `end`.
    pub fn piece_at(&self, pos: u64, end: u64) -> Piece<'_> {
        if pos >= self.central_offset {
            let from = (pos - self.central_offset) as usize;
            let to = (end - self.central_offset) as usize;
            return Piece::Bytes(self.tail.slice(from..to));
        }
        let i = self.offsets.partition_point(|&o| o <= pos) - 1;
        let e = &self.entries[i];
        let start = self.offsets[i];
        let data = start + local_header_len(e);
        if pos < data {
            let header = local_header(e);
            let to = end.min(data) - start;
            return Piece::Bytes(header.slice((pos - start) as usize..to as usize));
        }
        Piece::Blob {
            sha256: e.blob.as_deref().unwrap_or_default(),
            offset: pos - data,
            len: end.min(data + e.size) - pos,
        }
    }
}

/// The length of a [`Piece`].
pub fn piece_len(p: &Piece<'_>) -> u64 {
    match p {
        Piece::Bytes(b) => b.len() as u64,
        Piece::Blob { len, .. } => *len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, content: &[u8]) -> (Entry, Vec<u8>) {
        (
            Entry {
                path: path.into(),
                size: content.len() as u64,
                crc32: crc32fast::hash(content),
                modified_ms: 1_700_000_000_000,
                blob: Some(hex::encode(Sha256::digest(content))),
            },
            content.to_vec(),
        )
    }

    /// The whole archive through `piece_at`, blobs filled from `contents`.
    fn render(layout: &Layout, contents: &[Vec<u8>], from: u64, end: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let mut pos = from;
        while pos < end {
            let p = layout.piece_at(pos, end);
            pos += piece_len(&p);
            match p {
                Piece::Bytes(b) => out.extend_from_slice(&b),
                Piece::Blob {
                    sha256,
                    offset,
                    len,
                } => {
                    let i = layout
                        .entries()
                        .iter()
                        .position(|e| e.blob.as_deref() == Some(sha256))
                        .unwrap();
                    out.extend_from_slice(&contents[i][offset as usize..(offset + len) as usize]);
                }
            }
        }
        out
    }

    #[test]
    fn every_range_is_a_slice_of_the_whole() {
        let (a, ca) = file("top/a.txt", b"hello");
        let dir = Entry {
            path: "top/empty/".into(),
            size: 0,
            crc32: 0,
            modified_ms: 0,
            blob: None,
        };
        let (b, cb) = file("top/é.bin", &[7u8; 300]);
        let layout = Layout::new(vec![a, dir, b]);
        let contents = vec![ca, vec![], cb];
        let whole = render(&layout, &contents, 0, layout.len());
        assert_eq!(whole.len() as u64, layout.len());
        assert_eq!(&whole[..4], b"PK\x03\x04");
        for (from, end) in [(0, 1), (10, 40), (33, 400), (100, layout.len())] {
            assert_eq!(
                render(&layout, &contents, from, end),
                whole[from as usize..end as usize]
            );
        }
    }

    #[test]
    fn dos_times() {
        assert_eq!(dos_time(0), (0, 33));
        // 2023-11-14 22:13:20 UTC
        let (t, d) = dos_time(1_700_000_000_000);
        assert_eq!((t >> 11, (t >> 5) & 63, (t & 31) * 2), (22, 13, 20));
        assert_eq!(((d >> 9) + 1980, (d >> 5) & 15, d & 31), (2023, 11, 14));
    }
}
