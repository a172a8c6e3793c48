//! Thumbnails: `xs` (64 px) to `xl` (1024 px) on the longest side, aspect kept, never
//! enlarged, as lossless WebP (what the `image` crate can encode as WebP) or JPEG. Made once
//! per (content, size, format) and kept as a blob of its own (so they work on S3 too), on demand
//! and by the [`Prerenderer`] worker after publish.
//!
//! Decoding is hostile-input safe: only JPEG, PNG, GIF and WebP are decoded (by the content's
//! own signature, whatever its name says), the header's dimensions are checked before any
//! pixel is (the decompression-bomb guard), `image::Limits` bound what a decoder may allocate,
//! a GIF gives only its first frame, decoder panics are caught, and rendering runs on blocking
//! threads, at most `content.render_threads` at once. PDF (first page, `pdftoppm`) and video
//! (first frame, `ffmpeg`) are rendered when those tools are installed. SVG is never rendered.

use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::Semaphore;

use crate::caller::Caller;
use crate::config::ContentConfig;
use crate::error::{Error, Result};
use crate::state::AppState;

pub use crate::render::{Format, render_image};

/// A thumbnail size: the longest side in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Xs,
    S,
    M,
    L,
    Xl,
}

impl Size {
    pub const ALL: [Size; 5] = [Size::Xs, Size::S, Size::M, Size::L, Size::Xl];

    pub fn px(self) -> u32 {
        match self {
            Size::Xs => 64,
            Size::S => 128,
            Size::M => 256,
            Size::L => 512,
            Size::Xl => 1024,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Size::Xs => "xs",
            Size::S => "s",
            Size::M => "m",
            Size::L => "l",
            Size::Xl => "xl",
        }
    }

    pub fn parse(s: &str) -> Option<Size> {
        Size::ALL.into_iter().find(|z| z.as_str() == s)
    }
}

/// What kind of source a content is, by its stored MIME type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Image,
    Pdf,
    Video,
}

fn kind_of(mime: &str) -> Option<Kind> {
    match mime {
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" => Some(Kind::Image),
        "application/pdf" => Some(Kind::Pdf),
        m if m.starts_with("video/") => Some(Kind::Video),
        // SVG and everything else: no thumbnail, ever.
        _ => None,
    }
}

/// This node's renderer: the bounded pool and the external tools found at start.
pub struct Renderer {
    permits: Semaphore,
    pdftoppm: bool,
    ffmpeg: bool,
    config: ContentConfig,
}

/// How long an external tool may take for one page or frame.
const TOOL_TIMEOUT: Duration = Duration::from_secs(30);

impl Renderer {
    /// Looks for `pdftoppm` and `ffmpeg` on the `PATH`.
    pub fn new(config: &ContentConfig) -> Renderer {
        let runs = |cmd: &str, arg: &str| {
            std::process::Command::new(cmd)
                .arg(arg)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok()
        };
        Renderer {
            permits: Semaphore::new(config.render_threads.max(1)),
            pdftoppm: runs("pdftoppm", "-v"),
            ffmpeg: runs("ffmpeg", "-version"),
            config: config.clone(),
        }
    }

    /// What thumbnails can be made of here (for `/readyz`).
    pub fn available(&self) -> Vec<String> {
        let mut out: Vec<String> = ["jpeg", "png", "gif", "webp"].map(String::from).into();
        if self.pdftoppm {
            out.push("pdf".into());
        }
        if self.ffmpeg {
            out.push("video".into());
        }
        out
    }

    /// One of this node's rendering slots: profile pictures and logos (`pictures`) share the
    /// pool with thumbnails.
    pub(crate) async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>> {
        self.permits
            .acquire()
            .await
            .map_err(|e| Error::Internal(e.into()))
    }

    /// The decompression-bomb guard: the most pixels an image may claim.
    pub(crate) fn max_image_pixels(&self) -> u64 {
        self.config.max_image_pixels
    }

    fn renders(&self, kind: Kind) -> bool {
        match kind {
            Kind::Image => true,
            Kind::Pdf => self.pdftoppm,
            Kind::Video => self.ffmpeg,
        }
    }
}

/// A thumbnail ready to serve.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    pub key: String,
    pub mime_type: String,
    pub size: u64,
    /// Stable for this content, size and format.
    pub etag: String,
}

/// The thumbnail of a file the caller may download (the scan rule included: infected content
/// has none to show, content not yet clean waits under `block_until_clean`).
pub async fn get(
    app: &AppState,
    caller: &Caller,
    file_id: &str,
    size: Size,
    format: Format,
) -> Result<Thumbnail> {
    let (file, _) = crate::files::downloadable(app, caller, file_id).await?;
    of_content(app, &file.sha256, file.size, &file.mime_type, size, format).await
}

/// The thumbnail of the content `sha256`, made now if it was not made before.
pub(crate) async fn of_content(
    app: &AppState,
    sha256: &str,
    len: i64,
    mime: &str,
    size: Size,
    format: Format,
) -> Result<Thumbnail> {
    let kind = kind_of(mime)
        .filter(|k| app.renderer.renders(*k))
        .ok_or(Error::ThumbnailUnavailable)?;
    let name = format!("{}.{}", size.as_str(), format.ext());
    let stored = {
        let mut conn = app.store.conn().await?;
        ferry_store::renditions::get(&mut conn, sha256, &name).await?
    };
    let rendition = match stored {
        Some(r) if !r.is_pending() => r,
        _ => make(app, sha256, len, kind, size, format, &name).await?,
    };
    match (&rendition.storage_key, rendition.size, rendition.is_ready()) {
        (Some(key), Some(bytes), true) => Ok(Thumbnail {
            key: key.clone(),
            mime_type: format.mime().into(),
            size: bytes.max(0) as u64,
            etag: format!("\"{sha256}-{name}\""),
        }),
        _ => Err(Error::ThumbnailUnavailable),
    }
}

/// The size rendered after publish: what listings show.
const PRERENDERED: Size = Size::M;

/// The queued "rendition" of content that has no thumbnail but media metadata (audio): the
/// [`Prerenderer`] reads the metadata and drops the row.
const MEDIA_ONLY: &str = "media";

/// Asks the [`Prerenderer`] for the usual thumbnail of new content (inside the publishing
/// transaction), if this node can render its type, or else for its media metadata if it may
/// carry some (audio).
pub(crate) async fn queue(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    sha256: &str,
    mime: &str,
) -> Result<()> {
    if kind_of(mime).is_some_and(|k| app.renderer.renders(k)) {
        let kind = format!("{}.{}", PRERENDERED.as_str(), Format::Webp.ext());
        ferry_store::renditions::queue(tx, sha256, &kind, app.now_ms()).await?;
    } else if crate::media::has_source(mime) {
        ferry_store::renditions::queue(tx, sha256, MEDIA_ONLY, app.now_ms()).await?;
    }
    Ok(())
}

/// Renditions claimed per pass.
const BATCH: i64 = 4;
/// A claim older than this belongs to a renderer that died: another node takes it over.
const LEASE_MS: i64 = 5 * 60_000;

/// The worker that makes the thumbnails queued at publish (and reads the media metadata of
/// that content, audio's too). Each pass claims queued ones in the database, so several nodes
/// can run it.
pub struct Prerenderer;

impl crate::workers::Worker for Prerenderer {
    fn name(&self) -> &'static str {
        "thumbnails"
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn pass<'a>(
        &'a mut self,
        app: &'a AppState,
    ) -> futures::future::BoxFuture<'a, anyhow::Result<crate::workers::Pass>> {
        Box::pin(async move {
            let now = app.now_ms();
            let claimed = {
                let mut conn = app.store.conn().await?;
                ferry_store::renditions::claim(&mut conn, now, now - LEASE_MS, BATCH).await?
            };
            for c in &claimed {
                let source = {
                    let mut conn = app.store.conn().await?;
                    ferry_store::renditions::source(&mut conn, &c.sha256).await?
                };
                let parsed = c.kind.split_once('.').and_then(|(size, format)| {
                    let format = match format {
                        "webp" => Format::Webp,
                        "jpeg" => Format::Jpeg,
                        _ => return None,
                    };
                    Some((Size::parse(size)?, format))
                });
                if c.kind == MEDIA_ONLY {
                    if let Some((mime, len)) = source {
                        crate::media::of_content(app, &c.sha256, len, &mime).await?;
                    }
                    let mut conn = app.store.conn().await?;
                    ferry_store::renditions::forget(&mut conn, &c.sha256, &c.kind).await?;
                    continue;
                }
                match (source, parsed) {
                    (Some((mime, len)), Some((size, format))) => {
                        match of_content(app, &c.sha256, len, &mime, size, format).await {
                            Ok(_) | Err(Error::ThumbnailUnavailable) => {}
                            Err(e) => return Err(e.into()),
                        }
                        // The media metadata is read once too, while the content is new.
                        crate::media::of_content(app, &c.sha256, len, &mime).await?;
                    }
                    // The content is gone, or the kind is not one of ours.
                    _ => {
                        let mut conn = app.store.conn().await?;
                        ferry_store::renditions::forget(&mut conn, &c.sha256, &c.kind).await?;
                    }
                }
            }
            Ok(if claimed.len() as i64 == BATCH {
                crate::workers::Pass::Busy
            } else {
                crate::workers::Pass::Idle
            })
        })
    }
}

/// Renders, stores and records one thumbnail (or that there can be none).
async fn make(
    app: &AppState,
    sha256: &str,
    len: i64,
    kind: Kind,
    size: Size,
    format: Format,
    name: &str,
) -> Result<ferry_store::renditions::Rendition> {
    let renderer = &app.renderer;
    let rendered = if len < 0 || len as u64 > renderer.config.max_source_bytes {
        Err("the content is larger than content.max_source_bytes".to_string())
    } else {
        let _permit = renderer
            .permits
            .acquire()
            .await
            .map_err(|e| Error::Internal(e.into()))?;
        let source = read(app, sha256, len).await?;
        render(renderer, source, kind, size, format).await
    };
    let now = app.now_ms();
    let ready = match rendered {
        Ok(bytes) => {
            let len = bytes.len() as i64;
            let body: ferry_blob::ByteStream<'static> =
                Box::pin(futures::stream::once(async move {
                    Ok::<_, ferry_blob::BoxError>(bytes::Bytes::from(bytes))
                }));
            let staged = app.blobs.stage(body, len as u64).await?;
            let key = staged.key.clone();
            app.blobs.publish(staged).await?;
            Some((key, len))
        }
        Err(why) => {
            tracing::info!(sha256, size = size.as_str(), why, "no thumbnail");
            None
        }
    };
    let mut conn = app.store.conn().await?;
    let new = ferry_store::renditions::NewRendition {
        sha256,
        kind: name,
        ready: ready
            .as_ref()
            .map(|(key, len)| (key.as_str(), format.mime(), *len)),
        now,
    };
    let stored = ferry_store::renditions::insert(&mut conn, &new).await?;
    // Another node made the same one first: ours is not needed, unless it is the same bytes
    // (content-addressed on local disk) or something else uses them.
    if let Some((key, _)) = ready
        && stored.storage_key.as_deref() != Some(key.as_str())
        && !ferry_store::renditions::key_in_use(&mut conn, &key).await?
    {
        app.blobs.remove(&key).await?;
    }
    Ok(stored)
}

/// The content's bytes (at most `content.max_source_bytes`, checked by the caller).
async fn read(app: &AppState, sha256: &str, len: i64) -> Result<Vec<u8>> {
    let key = {
        let mut conn = app.store.conn().await?;
        ferry_store::files::blob_key(&mut conn, sha256)
            .await?
            .ok_or(Error::NotFound)?
    };
    let mut stream = app.blobs.read(&key, 0, len as u64).await?;
    let mut out = Vec::with_capacity(len as usize);
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.map_err(ferry_blob::BlobError::Body)?);
    }
    Ok(out)
}

/// Renders `source` (of `kind`) off the async threads; an `Err` says why there is none.
async fn render(
    renderer: &Renderer,
    source: Vec<u8>,
    kind: Kind,
    size: Size,
    format: Format,
) -> std::result::Result<Vec<u8>, String> {
    let image = match kind {
        Kind::Image => source,
        Kind::Pdf => {
            let px = Size::Xl.px().to_string();
            let args = [
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                "-png",
                "-scale-to",
                &px,
            ];
            external("pdftoppm", &args, source, "pdf", true).await?
        }
        Kind::Video => {
            let args = [
                "-nostdin",
                "-v",
                "error",
                "-i",
                "{in}",
                "-frames:v",
                "1",
                "-f",
                "image2",
                "-c:v",
                "png",
                "-y",
                "{out}",
            ];
            external("ffmpeg", &args, source, "video", false).await?
        }
    };
    let max_pixels = renderer.config.max_image_pixels;
    tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(move || render_image(&image, size.px(), max_pixels, format))
            .unwrap_or_else(|_| Err("the image decoder panicked".into()))
    })
    .await
    .unwrap_or_else(|e| Err(format!("the render thread failed: {e}")))
}

/// Runs `tool` on `source` written to a temporary file, within [`TOOL_TIMEOUT`], and returns
/// the PNG it wrote. `{in}` and `{out}` in `args` are the input and output paths; without
/// them the input is appended, then the output prefix (pdftoppm's way, `prefix_png` true).
async fn external(
    tool: &str,
    args: &[&str],
    source: Vec<u8>,
    what: &str,
    prefix_png: bool,
) -> std::result::Result<Vec<u8>, String> {
    let dir = std::env::temp_dir().join(format!(
        "ferry-render-{}",
        hex::encode(ferry_core::ids::random_bytes::<8>())
    ));
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| e.to_string())?;
    let input = dir.join(format!("in.{what}"));
    let output: PathBuf = if prefix_png {
        dir.join("out")
    } else {
        dir.join("out.png")
    };
    let result = async {
        tokio::fs::write(&input, source)
            .await
            .map_err(|e| e.to_string())?;
        let mut cmd = tokio::process::Command::new(tool);
        let has_slots = args.contains(&"{in}");
        for a in args {
            match *a {
                "{in}" => cmd.arg(&input),
                "{out}" => cmd.arg(&output),
                other => cmd.arg(other),
            };
        }
        if !has_slots {
            cmd.arg(&input).arg(&output);
        }
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        let status = tokio::time::timeout(TOOL_TIMEOUT, cmd.status())
            .await
            .map_err(|_| format!("{tool} took longer than {TOOL_TIMEOUT:?}"))?
            .map_err(|e| format!("{tool} did not run: {e}"))?;
        if !status.success() {
            return Err(format!("{tool} failed: {status}"));
        }
        let png = if prefix_png {
            output.with_extension("png")
        } else {
            output.clone()
        };
        tokio::fs::read(&png).await.map_err(|e| e.to_string())
    }
    .await;
    let _ = tokio::fs::remove_dir_all(&dir).await;
    result
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::ImageFormat;

    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn scales_to_the_longest_side_and_never_enlarges() {
        let out = render_image(&png(400, 200), 128, 1_000_000, Format::Webp).unwrap();
        let img = image::load_from_memory(&out).unwrap();
        assert_eq!((img.width(), img.height()), (128, 64));
        let out = render_image(&png(40, 20), 128, 1_000_000, Format::Jpeg).unwrap();
        let img = image::load_from_memory(&out).unwrap();
        assert_eq!((img.width(), img.height()), (40, 20));
    }

    #[test]
    fn a_header_claiming_a_huge_canvas_is_refused_before_decoding() {
        // A valid PNG header (IHDR) claiming 100,000 × 100,000 pixels, and nothing else.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32fast::hash(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = render_image(&bomb, 64, 100_000_000, Format::Webp).unwrap_err();
        assert!(err.contains("max_image_pixels"), "{err}");
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(Size::parse("xl").map(Size::px), Some(1024));
        assert_eq!(Size::parse("XL"), None);
    }
}
