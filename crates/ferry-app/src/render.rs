//! Rendering one thumbnail: decode the first image of some bytes, hostile-input safe, and
//! encode it scaled. Depends on the `image` crate only, so that the benchmark
//! (`bench/thumbnails`) measures exactly this code. Profile pictures and company logos
//! (`pictures`) go through the same [`decode_image`] and [`encode`]: one pipeline.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// What a thumbnail is encoded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Lossless WebP: the default (the contract's `image/webp`).
    Webp,
    /// JPEG (quality 85), for clients that ask for it with `Accept`.
    Jpeg,
    /// PNG: pictures and logos for clients that ask for it with `Accept`.
    Png,
}

impl Format {
    pub fn mime(self) -> &'static str {
        match self {
            Format::Webp => "image/webp",
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
        }
    }

    pub(crate) fn ext(self) -> &'static str {
        match self {
            Format::Webp => "webp",
            Format::Jpeg => "jpeg",
            Format::Png => "png",
        }
    }
}

/// Decodes the first image of `data` (JPEG, PNG, GIF or WebP, told by its signature) and
/// encodes it scaled to fit `px` × `px`.
pub fn render_image(
    data: &[u8],
    px: u32,
    max_pixels: u64,
    format: Format,
) -> std::result::Result<Vec<u8>, String> {
    let img = decode_image(data, max_pixels)?;
    let img = if img.width().max(img.height()) > px {
        img.thumbnail(px, px)
    } else {
        img
    };
    encode(&img, format)
}

/// Decodes the first image of `data` (JPEG, PNG, GIF or WebP, told by its signature, never
/// by a name), upright (its EXIF orientation applied). Hostile-input safe: the header's
/// dimensions are checked against `max_pixels` before any pixel is decoded (the
/// decompression-bomb guard) and `image::Limits` bound what the decoder may allocate. What
/// comes back is pixels only: EXIF, XMP, ICC and comments stay behind.
pub fn decode_image(data: &[u8], max_pixels: u64) -> std::result::Result<DynamicImage, String> {
    let reader = ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let source_format = reader.format().ok_or("not an image")?;
    if !matches!(
        source_format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Gif | ImageFormat::WebP
    ) {
        return Err(format!("{source_format:?} is not rendered"));
    }
    // The header's claim first: a small file may announce a gigantic canvas.
    let (w, h) = ImageReader::with_format(Cursor::new(data), source_format)
        .into_dimensions()
        .map_err(|e| e.to_string())?;
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > max_pixels {
        return Err(format!(
            "{w}×{h} pixels is more than content.max_image_pixels"
        ));
    }
    let mut reader = ImageReader::with_format(Cursor::new(data), source_format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    // Room for the decoded canvas at 8 bytes per pixel (16-bit RGBA) and the decoder's own.
    limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().ok();
    // For a GIF this is its first frame only: the others are never decoded.
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

/// Encodes `img` as `format`, with no metadata (the encoders write pixels only).
pub fn encode(img: &DynamicImage, format: Format) -> std::result::Result<Vec<u8>, String> {
    let mut out = Cursor::new(Vec::new());
    match format {
        Format::Webp => {
            let rgba = img.to_rgba8();
            image::codecs::webp::WebPEncoder::new_lossless(&mut out)
                .encode(
                    &rgba,
                    rgba.width(),
                    rgba.height(),
                    image::ExtendedColorType::Rgba8,
                )
                .map_err(|e| e.to_string())?;
        }
        Format::Jpeg => {
            let rgb = img.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
                .encode_image(&rgb)
                .map_err(|e| e.to_string())?;
        }
        Format::Png => {
            let rgba = img.to_rgba8();
            rgba.write_to(&mut out, ImageFormat::Png)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(out.into_inner())
}
