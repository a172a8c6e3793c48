//! Watermarked delivery of images through a link: the copy carries a visible band naming the
//! link, so a leaked picture says which link it came from. Drawn with a built-in 5×7 bitmap
//! font (only the characters of a link id are needed), so no font file is shipped.

use std::io::Cursor;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use ferry_store::files::File;
use ferry_store::links::Link;
use futures::TryStreamExt;
use image::{ImageFormat, Limits, Rgba, RgbaImage};

use crate::error::{ApiError, ApiResult};
use crate::http::content::content_disposition;
use crate::http::context::Ctx;
use crate::links::Metered;
use ferry_app::AppState;
use ferry_app::Error;
use ferry_app::links::{Delivery, Settlement};

/// Largest image that is watermarked (it is decoded in memory).
pub const MAX_BYTES: i64 = ferry_app::links::WATERMARK_MAX_BYTES;
/// Largest decoded image, in pixels per side and bytes.
const MAX_SIDE: u32 = 12_000;
const MAX_ALLOC: u64 = 512 << 20;

/// 5×7 glyphs, one row per byte, bit 4 = leftmost pixel.
fn glyph(c: char) -> [u8; 7] {
    match c {
        '0' => [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e],
        '1' => [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
        '2' => [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f],
        '3' => [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
        '4' => [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02],
        '5' => [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
        '6' => [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e],
        '7' => [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e],
        '9' => [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
        'a' => [0x00, 0x00, 0x0e, 0x01, 0x0f, 0x11, 0x0f],
        'b' => [0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1e],
        'c' => [0x00, 0x00, 0x0e, 0x10, 0x10, 0x11, 0x0e],
        'd' => [0x01, 0x01, 0x0d, 0x13, 0x11, 0x11, 0x0f],
        'e' => [0x00, 0x00, 0x0e, 0x11, 0x1f, 0x10, 0x0e],
        'f' => [0x06, 0x09, 0x08, 0x1c, 0x08, 0x08, 0x08],
        'k' => [0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12],
        'l' => [0x0c, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e],
        'n' => [0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11],
        '_' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f],
        _ => [0; 7],
    }
}

/// Draws `text` in a translucent band across the middle of `img`, as wide as fits.
pub fn stamp(img: &mut RgbaImage, text: &str) {
    let (w, h) = img.dimensions();
    let cols = text.chars().count() as u32 * 6;
    let scale = (w * 8 / 10 / cols.max(1)).clamp(1, (h / 10).max(1));
    let text_w = cols * scale;
    let band_h = 9 * scale;
    let x0 = w.saturating_sub(text_w) / 2;
    let y0 = h.saturating_sub(band_h) / 2;
    for y in y0..(y0 + band_h).min(h) {
        for x in 0..w {
            let p = img.get_pixel_mut(x, y);
            // Darken the band to 45 % so the white text reads on any picture.
            for ch in 0..3 {
                p[ch] = (p[ch] as u32 * 45 / 100) as u8;
            }
            p[3] = p[3].max(200);
        }
    }
    for (i, c) in text.chars().enumerate() {
        let rows = glyph(c);
        for (ry, row) in rows.iter().enumerate() {
            for rx in 0..5u32 {
                if row & (0x10 >> rx) == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let x = x0 + (i as u32 * 6 + rx) * scale + dx;
                        let y = y0 + (ry as u32 + 1) * scale + dy;
                        if x < w && y < h {
                            img.put_pixel(x, y, Rgba([255, 255, 255, 255]));
                        }
                    }
                }
            }
        }
    }
}

/// Decodes, stamps and re-encodes an image, off the async threads and guarded against
/// decoder panics on hostile input.
fn render(bytes: Vec<u8>, format: ImageFormat, text: String) -> Result<Vec<u8>, String> {
    std::panic::catch_unwind(move || {
        let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(MAX_ALLOC);
        reader.limits(limits);
        let mut img = reader.decode().map_err(|e| e.to_string())?.to_rgba8();
        stamp(&mut img, &text);
        let mut out = Cursor::new(Vec::new());
        match format {
            ImageFormat::Jpeg => image::DynamicImage::ImageRgba8(img)
                .to_rgb8()
                .write_to(&mut out, format),
            _ => img.write_to(&mut out, format),
        }
        .map_err(|e| e.to_string())?;
        Ok(out.into_inner())
    })
    .unwrap_or_else(|_| Err("the image decoder panicked".into()))
}

/// Serves the watermarked copy (whole; Range is not offered for generated copies). One
/// finished delivery costs one download.
pub async fn deliver(
    state: &AppState,
    ctx: &Ctx,
    link: &Link,
    file: &File,
    _headers: &HeaderMap,
) -> ApiResult<Response> {
    let format = match file.mime_type.as_str() {
        "image/png" => ImageFormat::Png,
        "image/jpeg" => ImageFormat::Jpeg,
        _ => return Err(Error::WatermarkUnsupported.into()),
    };
    if file.size > MAX_BYTES {
        return Err(Error::WatermarkUnsupported.into());
    }
    // By its key (S3 and small files in the database keep content under other keys than
    // its hash), refused like any download when the scan rule refuses the content.
    let key = ferry_app::files::blob_key(state, &file.sha256).await?;
    let original: Vec<u8> = state
        .blobs
        .read(&key, 0, file.size as u64)
        .await?
        .try_fold(
            Vec::with_capacity(file.size as usize),
            |mut acc, chunk| async move {
                acc.extend_from_slice(&chunk);
                Ok(acc)
            },
        )
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("reading the image: {e}")))?;
    let text = link.id.clone();
    let rendered = tokio::task::spawn_blocking(move || render(original, format, text.to_string()))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| {
            ApiError::bad_request(
                "watermark_failed",
                format!("The image could not be watermarked: {e}"),
            )
        })?;
    let (reserved, credit) =
        ferry_app::links::reserve(state, link, "watermark", 0, link.unit_bytes, false).await?;
    let len = rendered.len() as i64;
    let delivery = Delivery {
        state: state.clone(),
        ctx: ctx.0.clone(),
        link_id: link.id.to_string(),
        receipt_link_id: link.id.to_string(),
        file_id: file.id.to_string(),
        folder_id: file.folder_id.to_string(),
        reserved,
        content_len: len,
        credit,
        start: 0,
        unit_bytes: link.unit_bytes,
        file_size: file.size,
        contiguous: false,
        client_key: "watermark".into(),
    };
    let body = Body::new(Metered::new(
        Body::from(rendered),
        Settlement::File(delivery),
    ));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, &file.mime_type)
        .header(header::CONTENT_LENGTH, len)
        .header(header::CONTENT_DISPOSITION, content_disposition(&file.name))
        .header(header::CACHE_CONTROL, "private, no-store")
        .header("x-content-type-options", "nosniff")
        .body(body)
        .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_a_visible_band() {
        let mut img = RgbaImage::from_pixel(400, 200, Rgba([200, 30, 30, 255]));
        let before = img.clone();
        stamp(&mut img, "lnk_0123456789abcdef01234567");
        let white = img.pixels().filter(|p| p.0 == [255, 255, 255, 255]).count();
        // 28 glyphs at scale 1 (the band fits a 400 px wide picture): ~13 pixels each.
        assert!(white > 250, "text pixels drawn: {white}");
        assert_ne!(img, before);
        // Outside the band the picture is untouched.
        assert_eq!(img.get_pixel(0, 0), before.get_pixel(0, 0));
    }

    #[test]
    fn renders_png_and_refuses_garbage() {
        let img = RgbaImage::from_pixel(64, 64, Rgba([0, 128, 255, 255]));
        let mut png = Cursor::new(Vec::new());
        img.write_to(&mut png, ImageFormat::Png).unwrap();
        let out = render(png.into_inner(), ImageFormat::Png, "lnk_ab".into()).unwrap();
        let decoded = image::load_from_memory(&out).unwrap().to_rgba8();
        assert_eq!(decoded.dimensions(), (64, 64));
        assert!(decoded.pixels().any(|p| p.0 == [255, 255, 255, 255]));
        assert!(render(b"not a png".to_vec(), ImageFormat::Png, "x".into()).is_err());
    }
}
