//! Thumbnails and previews: sizes, formats by `Accept`, caching, identical content rendered
//! once, and hostile input (a PNG claiming 100,000 × 100,000 pixels, a truncated JPEG, a GIF
//! of 10,000 frames, SVG, a zip bomb, invalid UTF-8), PDF through `pdftoppm` when installed,
//! video through `ffmpeg` (required when `FERRY_TEST_REQUIRE_FFMPEG` is set, as CI does).

use std::io::Cursor;

use ferry_api as api;
use ferry_client::Client;
use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, assert_api_error, parse};
use crate::{on_all_backends, on_both_backends};

// Thumbnails are blobs of their own: on S3 too.
on_all_backends!(thumbnails_come_in_five_sizes_and_two_formats);

on_both_backends!(
    identical_content_is_rendered_once,
    a_worker_renders_the_usual_size_after_publish,
    hostile_images_get_no_thumbnail_and_no_500,
    previews_are_inline_and_safe,
    media_metadata_comes_from_the_content,
    video_thumbnails_are_the_first_frame,
);

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, 40, (y % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

async fn thumb(client: &Client, id: &str, size: &str, accept: Option<&str>) -> reqwest::Response {
    let mut req = client.request(Method::GET, &format!("/files/{id}/thumbnails/{size}"));
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    req.send().await.unwrap()
}

async fn preview(client: &Client, id: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = client.request(Method::GET, &format!("/files/{id}/preview"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {res:?}"))
        .to_str()
        .unwrap()
}

async fn unavailable(res: reqwest::Response, code: &str) {
    assert_api_error(parse::<serde_json::Value>(res).await, 404, code);
}

async fn setup(app: &TestApp) -> (Client, api::Folder) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("pictures", 0).await.unwrap();
    (alice, folder)
}

async fn thumbnails_come_in_five_sizes_and_two_formats(app: TestApp) {
    let (alice, folder) = setup(&app).await;
    let file = alice
        .upload(&folder.id, "wide.png", png(2000, 1000))
        .await
        .unwrap();
    for (size, w, h) in [
        ("xs", 64, 32),
        ("s", 128, 64),
        ("m", 256, 128),
        ("l", 512, 256),
        ("xl", 1024, 512),
    ] {
        let res = thumb(&alice, &file.id, size, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{size}");
        assert_eq!(header(&res, "content-type"), "image/webp");
        assert!(header(&res, "cache-control").contains("immutable"));
        assert_eq!(header(&res, "x-content-type-options"), "nosniff");
        let bytes = res.bytes().await.unwrap();
        let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::WebP).unwrap();
        assert_eq!((img.width(), img.height()), (w, h), "{size}");
    }
    // JPEG when asked for; the ETag differs by format and a matching one is a 304.
    let res = thumb(&alice, &file.id, "m", Some("image/jpeg")).await;
    assert_eq!(header(&res, "content-type"), "image/jpeg");
    let etag = header(&res, "etag").to_string();
    let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (256, 128));
    let again = alice
        .request(Method::GET, &format!("/files/{}/thumbnails/m", file.id))
        .header("accept", "image/jpeg")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // A small image is never enlarged.
    let small = alice
        .upload(&folder.id, "tiny.jpg", jpeg(40, 30))
        .await
        .unwrap();
    let res = thumb(&alice, &small.id, "xl", None).await;
    let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (40, 30));
    // A bad size is a 400, someone else's file a 404.
    let res = thumb(&alice, &file.id, "xxl", None).await;
    assert_api_error(parse::<serde_json::Value>(res).await, 400, "invalid_value");
    let (_, bob) = app.user("bob", None).await;
    unavailable(thumb(&bob, &file.id, "m", None).await, "not_found").await;
    let res = app
        .raw(
            Method::GET,
            &format!("/api/v1/files/{}/thumbnails/m", file.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn identical_content_is_rendered_once(app: TestApp) {
    let (alice, folder) = setup(&app).await;
    let before = app.blob_files().await;
    let bytes = png(300, 300);
    let a = alice
        .upload(&folder.id, "a.png", bytes.clone())
        .await
        .unwrap();
    let b = alice.upload(&folder.id, "b.png", bytes).await.unwrap();
    // The content once, and its m thumbnail once (by the worker or on this first request).
    let first = thumb(&alice, &a.id, "m", None).await.bytes().await.unwrap();
    assert_eq!(
        app.blob_files().await,
        before + 2,
        "the thumbnail is a blob"
    );
    let second = thumb(&alice, &b.id, "m", None).await.bytes().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(
        app.blob_files().await,
        before + 2,
        "rendered once for both files"
    );
    // Once the content is gone, so is its thumbnail.
    alice.delete_file_permanently(&a.id).await.unwrap();
    alice.delete_file_permanently(&b.id).await.unwrap();
    app.clock.advance(std::time::Duration::from_secs(3600));
    // The server's own collector may be in the middle of the same pass: wait for it.
    let started = std::time::Instant::now();
    while app.blob_files().await != before {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "content and thumbnail were not collected"
        );
        app.run_jobs().await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn a_worker_renders_the_usual_size_after_publish(app: TestApp) {
    let (alice, folder) = setup(&app).await;
    let before = app.blob_files().await;
    let f = alice
        .upload(&folder.id, "p.jpg", jpeg(900, 600))
        .await
        .unwrap();
    alice
        .upload(&folder.id, "plain.txt", b"no picture".to_vec())
        .await
        .unwrap();
    assert_eq!(app.blob_files().await, before + 2);
    // The server's own worker may be rendering it while run_jobs finds nothing due.
    let started = std::time::Instant::now();
    while app.blob_files().await < before + 3 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the m thumbnail was not made"
        );
        app.run_jobs().await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.blob_files().await,
        before + 3,
        "the m thumbnail and nothing else"
    );
    let res = thumb(&alice, &f.id, "m", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (256, 171));
    assert_eq!(
        app.blob_files().await,
        before + 3,
        "served from what the worker made"
    );
}

async fn hostile_images_get_no_thumbnail_and_no_500(app: TestApp) {
    let (alice, folder) = setup(&app).await;
    // A PNG whose header claims 100,000 × 100,000 pixels (40 GB decoded).
    let mut bomb = png(1, 1);
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32fast::hash(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    let f = alice.upload(&folder.id, "bomb.png", bomb).await.unwrap();
    unavailable(
        thumb(&alice, &f.id, "m", None).await,
        "thumbnail_unavailable",
    )
    .await;
    // Asked again, the answer is remembered (no second decode), and still a 404.
    unavailable(
        thumb(&alice, &f.id, "m", None).await,
        "thumbnail_unavailable",
    )
    .await;

    // A JPEG cut in half: a partial picture or none, never an error of ours.
    let mut cut = jpeg(800, 600);
    cut.truncate(cut.len() / 2);
    let f = alice.upload(&folder.id, "cut.jpg", cut).await.unwrap();
    let res = thumb(&alice, &f.id, "m", None).await;
    if res.status() != StatusCode::OK {
        unavailable(res, "thumbnail_unavailable").await;
    }
    // Not an image at all, whatever its name says.
    let f = alice
        .upload(&folder.id, "fake.jpg", b"this is no jpeg".to_vec())
        .await
        .unwrap();
    unavailable(
        thumb(&alice, &f.id, "m", None).await,
        "thumbnail_unavailable",
    )
    .await;

    // A GIF of 10,000 frames: only the first is decoded.
    let mut gif = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut gif);
        let frames = (0..10_000u32).map(|i| {
            let buf =
                image::RgbaImage::from_pixel(16, 16, image::Rgba([(i % 256) as u8, 0, 0, 255]));
            image::Frame::new(buf)
        });
        enc.encode_frames(frames).unwrap();
    }
    let f = alice.upload(&folder.id, "many.gif", gif).await.unwrap();
    let res = thumb(&alice, &f.id, "s", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (16, 16));

    // SVG is never rendered, nor previewed.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let f = alice
        .upload(&folder.id, "x.svg", svg.to_vec())
        .await
        .unwrap();
    unavailable(
        thumb(&alice, &f.id, "m", None).await,
        "thumbnail_unavailable",
    )
    .await;
    unavailable(preview(&alice, &f.id, &[]).await, "preview_unavailable").await;

    // A zip bomb is stored as it is, never unpacked: no thumbnail, no preview, same bytes back.
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend(std::iter::repeat_n(0u8, 4096));
    let f = alice
        .upload(&folder.id, "bomb.zip", zip.clone())
        .await
        .unwrap();
    unavailable(
        thumb(&alice, &f.id, "m", None).await,
        "thumbnail_unavailable",
    )
    .await;
    unavailable(preview(&alice, &f.id, &[]).await, "preview_unavailable").await;
    let back = alice
        .content(&f.id, &[])
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(back.to_vec(), zip);
}

/// A one-page PDF (a blue rectangle), as a PDF writer would make it.
const PDF: &str = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>\nendobj\n4 0 obj\n<< /Length 26 >>\nstream\n0 0 1 rg 20 20 160 60 re f\nendstream\nendobj\nxref\n0 5\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \n0000000202 00000 n \ntrailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n278\n%%EOF\n";

async fn previews_are_inline_and_safe(app: TestApp) {
    let (alice, folder) = setup(&app).await;
    // Text: plain, UTF-8, invalid bytes replaced, sandboxed.
    let f = alice
        .upload(&folder.id, "notes.txt", b"caf\xc3\xa9 \xff\xfe ok".to_vec())
        .await
        .unwrap();
    let res = preview(&alice, &f.id, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-type"), "text/plain; charset=utf-8");
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert_eq!(header(&res, "content-security-policy"), "sandbox");
    assert_eq!(res.text().await.unwrap(), "café \u{fffd}\u{fffd} ok");
    // HTML is shown as its source, never as HTML; long text is cut at 256 KiB.
    let mut html = b"<script>alert(document.cookie)</script>".to_vec();
    html.extend(std::iter::repeat_n(b'x', 300 * 1024));
    let f = alice.upload(&folder.id, "page.html", html).await.unwrap();
    let res = preview(&alice, &f.id, &[]).await;
    assert_eq!(header(&res, "content-type"), "text/plain; charset=utf-8");
    assert_eq!(header(&res, "x-preview-truncated"), "true");
    assert_eq!(res.bytes().await.unwrap().len(), 256 * 1024);
    // Source code is text too.
    let f = alice
        .upload(&folder.id, "main.rs", b"fn main() {}".to_vec())
        .await
        .unwrap();
    assert_eq!(
        preview(&alice, &f.id, &[]).await.text().await.unwrap(),
        "fn main() {}"
    );
    // An image previews as its xl rendition.
    let f = alice
        .upload(&folder.id, "big.png", png(3000, 1500))
        .await
        .unwrap();
    let res = preview(&alice, &f.id, &[]).await;
    assert_eq!(header(&res, "content-type"), "image/webp");
    let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (1024, 512));
    // PDF: itself, inline, in a sandbox, with Range.
    let f = alice
        .upload(&folder.id, "doc.pdf", PDF.as_bytes().to_vec())
        .await
        .unwrap();
    let res = preview(&alice, &f.id, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-type"), "application/pdf");
    assert!(header(&res, "content-disposition").starts_with("inline"));
    assert_eq!(header(&res, "content-security-policy"), "sandbox");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PDF.as_bytes());
    let res = preview(&alice, &f.id, &[("range", "bytes=0-7")]).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"%PDF-1.4");
    // Its first page as a thumbnail when pdftoppm is installed.
    let ready = app.readyz().await;
    let res = thumb(&alice, &f.id, "m", None).await;
    if ready["details"]["thumbnails"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "pdf")
    {
        assert_eq!(res.status(), StatusCode::OK);
        let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
        assert_eq!((img.width(), img.height()), (256, 128));
    } else {
        eprintln!("pdftoppm is not installed: PDF thumbnails not checked");
        unavailable(res, "thumbnail_unavailable").await;
    }
    // Audio: inline through the Range path.
    let f = alice
        .upload(&folder.id, "song.mp3", vec![7u8; 1000])
        .await
        .unwrap();
    let res = preview(&alice, &f.id, &[("range", "bytes=10-19")]).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&res, "content-type"), "audio/mpeg");
    assert!(header(&res, "content-disposition").starts_with("inline"));
    assert_eq!(res.bytes().await.unwrap().len(), 10);
    // Other types: nothing.
    let f = alice
        .upload(&folder.id, "data.bin", vec![1u8; 10])
        .await
        .unwrap();
    unavailable(preview(&alice, &f.id, &[]).await, "preview_unavailable").await;
}

/// One TIFF directory entry: tag, type, count and its value's bytes (little-endian).
struct Entry(u16, u16, u32, Vec<u8>);

fn ascii(tag: u16, s: &str) -> Entry {
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    Entry(tag, 2, b.len() as u32, b)
}

fn rationals(tag: u16, v: [(u32, u32); 3]) -> Entry {
    let b = v
        .iter()
        .flat_map(|(n, d)| n.to_le_bytes().into_iter().chain(d.to_le_bytes()))
        .collect();
    Entry(tag, 5, 3, b)
}

fn long(tag: u16, v: u32) -> Entry {
    Entry(tag, 4, 1, v.to_le_bytes().to_vec())
}

/// A directory at offset `at` of the TIFF, followed by its values that do not fit inline.
fn ifd(at: u32, entries: &[Entry]) -> Vec<u8> {
    let n = entries.len() as u32;
    let mut data_at = at + 2 + n * 12 + 4;
    let mut head = (n as u16).to_le_bytes().to_vec();
    let mut data: Vec<u8> = Vec::new();
    for Entry(tag, kind, count, bytes) in entries {
        head.extend(tag.to_le_bytes());
        head.extend(kind.to_le_bytes());
        head.extend(count.to_le_bytes());
        if bytes.len() <= 4 {
            let mut v = bytes.clone();
            v.resize(4, 0);
            head.extend(v);
        } else {
            head.extend(data_at.to_le_bytes());
            data.extend(bytes);
            data_at += bytes.len() as u32;
        }
    }
    head.extend(0u32.to_le_bytes());
    head.extend(data);
    head
}

/// A JPEG with EXIF: camera, time taken and a GPS position (48.8582 N, 2.2945 W). The same
/// bytes are kept as `tests/fixtures/images/tower.jpg` for the CLI's and the portal's tests
/// (`the_photo_fixture_is_the_generated_one` keeps the two equal).
pub(crate) fn jpeg_with_exif() -> Vec<u8> {
    jpeg_with(&Exif {
        make: "Ferry",
        model: "Test Cam",
        taken: "2026:11:22 12:00:00",
        gps: true,
        size: (64, 48),
    })
}

/// What [`jpeg_with`] writes into a photo's EXIF.
pub(crate) struct Exif<'a> {
    pub make: &'a str,
    pub model: &'a str,
    /// `DateTimeOriginal`, as cameras write it.
    pub taken: &'a str,
    /// With the position 48.8582 N, 2.2945 W.
    pub gps: bool,
    pub size: (u32, u32),
}

/// A JPEG of `exif.size` with that EXIF (a real APP1 segment, as cameras write it).
pub(crate) fn jpeg_with(exif: &Exif) -> Vec<u8> {
    let ifd0 = |exif_at: u32, gps_at: u32| {
        let mut entries = vec![
            ascii(0x010f, exif.make),
            ascii(0x0110, exif.model),
            long(0x8769, exif_at),
        ];
        if exif.gps {
            entries.push(long(0x8825, gps_at));
        }
        ifd(8, &entries)
    };
    let exif_at = 8 + ifd0(0, 0).len() as u32;
    let exif_ifd = ifd(exif_at, &[ascii(0x9003, exif.taken)]);
    let gps_at = exif_at + exif_ifd.len() as u32;
    let gps = ifd(
        gps_at,
        &[
            ascii(0x0001, "N"),
            rationals(0x0002, [(48, 1), (51, 1), (2952, 100)]),
            ascii(0x0003, "W"),
            rationals(0x0004, [(2, 1), (17, 1), (402, 10)]),
        ],
    );
    let mut tiff = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    tiff.extend(ifd0(exif_at, gps_at));
    tiff.extend(exif_ifd);
    if exif.gps {
        tiff.extend(gps);
    }
    let mut app1 = b"\xff\xe1".to_vec();
    app1.extend(((tiff.len() + 8) as u16).to_be_bytes());
    app1.extend(b"Exif\0\0");
    app1.extend(tiff);
    let plain = jpeg(exif.size.0, exif.size.1);
    let mut out = plain[..2].to_vec();
    out.extend(app1);
    out.extend(&plain[2..]);
    out
}

#[test]
fn the_photo_fixture_is_the_generated_one() {
    let path = format!(
        "{}/tests/fixtures/images/tower.jpg",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("FERRY_WRITE_FIXTURES").is_some() {
        std::fs::write(&path, jpeg_with_exif()).unwrap();
    }
    let kept = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(
        kept == jpeg_with_exif(),
        "{path} differs from jpeg_with_exif(): rewrite it with FERRY_WRITE_FIXTURES=1"
    );
}

async fn media_metadata_comes_from_the_content(app: TestApp) {
    let (alice, folder) = setup(&app).await;
    let f = alice
        .upload(&folder.id, "photo.jpg", jpeg_with_exif())
        .await
        .unwrap();
    let get = |q: &'static str| {
        alice
            .request(Method::GET, &format!("/files/{}{q}", f.id))
            .send()
    };
    let plain: serde_json::Value = get("").await.unwrap().json().await.unwrap();
    assert!(plain.get("media").is_none(), "{plain}");
    let file: api::File = parse(get("?fields=media").await.unwrap()).await.unwrap();
    let media = file.media.expect("media");
    assert_eq!((media.width, media.height), (Some(64), Some(48)));
    assert_eq!(media.camera_make.as_deref(), Some("Ferry"));
    assert_eq!(media.camera_model.as_deref(), Some("Test Cam"));
    assert_eq!(media.taken_at.as_deref(), Some("2026:11:22 12:00:00"));
    let gps = media.gps.expect("gps");
    assert!((gps.latitude - 48.8582).abs() < 1e-3, "{gps:?}");
    assert!((gps.longitude + 2.2945).abs() < 1e-3, "{gps:?}");
    // Read once: the worker's answer and the on-demand one are the same.
    app.run_jobs().await;
    let again: api::File = parse(get("?fields=media").await.unwrap()).await.unwrap();
    assert_eq!(
        again.media.unwrap().camera_model.as_deref(),
        Some("Test Cam")
    );
    // Types without media have none; unknown fields are a 400.
    let t = alice
        .upload(&folder.id, "t.txt", b"text".to_vec())
        .await
        .unwrap();
    let res = alice
        .request(Method::GET, &format!("/files/{}?fields=media", t.id))
        .send()
        .await
        .unwrap();
    let text: api::File = parse(res).await.unwrap();
    assert!(text.media.is_none());
    assert_api_error(
        parse::<serde_json::Value>(get("?fields=owner,bogus").await.unwrap()).await,
        400,
        "invalid_value",
    );
}

/// A short video made by ffmpeg itself (its `testsrc` pattern), or `None` when ffmpeg is not
/// installed and `FERRY_TEST_REQUIRE_FFMPEG` is not set.
fn ffmpeg_video(size: &str, ext: &str, codec: &str) -> Option<Vec<u8>> {
    let required = std::env::var_os("FERRY_TEST_REQUIRE_FFMPEG").is_some();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(format!("clip.{ext}"));
    let status = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc=duration=1:size={size}:rate=10"))
        .args(["-pix_fmt", "yuv420p", "-c:v", codec, "-y"])
        .arg(&out)
        .status();
    match status {
        Ok(s) if s.success() => Some(std::fs::read(&out).unwrap()),
        Ok(s) => panic!("ffmpeg failed to make a test video: {s}"),
        Err(e) if required => {
            panic!("FERRY_TEST_REQUIRE_FFMPEG is set but ffmpeg did not run: {e}")
        }
        Err(e) => {
            eprintln!("ffmpeg is not installed ({e}): video thumbnails not checked");
            None
        }
    }
}

async fn video_thumbnails_are_the_first_frame(app: TestApp) {
    let Some(mp4) = ffmpeg_video("320x240", "mp4", "mpeg4") else {
        return;
    };
    let ready = app.readyz().await;
    assert!(
        ready["details"]["thumbnails"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "video"),
        "ffmpeg is installed, so /readyz must list video: {ready}"
    );
    let (alice, folder) = setup(&app).await;
    let f = alice.upload(&folder.id, "clip.mp4", mp4).await.unwrap();
    assert_eq!(f.mime_type, "video/mp4");
    // The worker renders the usual size after publish.
    app.run_jobs().await;
    for (size, w, h) in [("xs", 64, 48), ("m", 256, 192), ("xl", 320, 240)] {
        let res = thumb(&alice, &f.id, size, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{size}");
        assert_eq!(header(&res, "content-type"), "image/webp");
        let bytes = res.bytes().await.unwrap();
        let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::WebP).unwrap();
        assert_eq!((img.width(), img.height()), (w, h), "{size}");
    }
    // JPEG by Accept; a WebM (another container and codec) too; a wide one keeps its aspect.
    let res = thumb(&alice, &f.id, "s", Some("image/jpeg")).await;
    assert_eq!(header(&res, "content-type"), "image/jpeg");
    let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (128, 96));
    let webm = ffmpeg_video("640x360", "webm", "libvpx").unwrap();
    let f = alice.upload(&folder.id, "wide.webm", webm).await.unwrap();
    let res = thumb(&alice, &f.id, "m", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (256, 144));
    // The first frame, not a grey box: testsrc's pattern has many colours.
    let rgb = img.to_rgb8();
    let mut colours: Vec<_> = rgb.pixels().map(|p| p.0).collect();
    colours.sort();
    colours.dedup();
    assert!(colours.len() > 50, "{} colours", colours.len());
    // A video that is not one: no thumbnail, no 500.
    let f = alice
        .upload(&folder.id, "broken.mp4", b"not a video".to_vec())
        .await
        .unwrap();
    unavailable(
        thumb(&alice, &f.id, "m", None).await,
        "thumbnail_unavailable",
    )
    .await;
}
