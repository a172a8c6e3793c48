//! Media metadata: what an image says of itself (width and height; EXIF time taken, camera,
//! GPS position), read once per content from its first [`PREFIX_BYTES`] and kept in the
//! database, shown by `GET /files/{id}?fields=media`. Reading is guarded like thumbnails are
//! (blocking thread, panics caught); only headers are parsed, no pixel is decoded.

use std::io::Cursor;

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;

/// Headers and EXIF sit at the start of a file: this much is read.
const PREFIX_BYTES: u64 = 1024 * 1024;

/// What was read. Every field is optional: formats and files carry what they carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Media {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// EXIF `DateTimeOriginal` as written (`2026:11:22 12:00:00`, camera local time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_make: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_model: Option<String>,
    /// Decimal degrees, north and east positive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps: Option<(f64, f64)>,
}

fn readable(mime: &str) -> bool {
    matches!(
        mime,
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "image/tiff" | "image/heic"
    )
}

/// The media metadata of a file the caller may read (`None` for types without any).
pub async fn of_file(app: &AppState, caller: &Caller, id: &str) -> Result<Option<Media>> {
    let (file, _) = crate::access::file(app, caller, id, ferry_core::Permission::Read).await?;
    of_content(app, &file.sha256, file.size, &file.mime_type).await
}

/// The media metadata of the content `sha256`, read now if it was not read before.
pub(crate) async fn of_content(
    app: &AppState,
    sha256: &str,
    len: i64,
    mime: &str,
) -> Result<Option<Media>> {
    if !readable(mime) {
        return Ok(None);
    }
    let stored = {
        let mut conn = app.store.conn().await?;
        ferry_store::renditions::media(&mut conn, sha256).await?
    };
    if let Some(json) = stored {
        return Ok(serde_json::from_str(&json).ok());
    }
    let key = {
        let mut conn = app.store.conn().await?;
        ferry_store::files::blob_key(&mut conn, sha256)
            .await?
            .ok_or(Error::NotFound)?
    };
    let want = (len.max(0) as u64).min(PREFIX_BYTES);
    let mut stream = app.blobs.read(&key, 0, want).await?;
    let mut prefix = Vec::with_capacity(want as usize);
    while let Some(chunk) = stream.next().await {
        prefix.extend_from_slice(&chunk.map_err(ferry_blob::BlobError::Body)?);
    }
    let media = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(|| read(&prefix)).unwrap_or_default()
    })
    .await
    .unwrap_or_default();
    let json = serde_json::to_string(&media).map_err(|e| Error::Internal(e.into()))?;
    let mut conn = app.store.conn().await?;
    ferry_store::renditions::put_media(&mut conn, sha256, &json, app.now_ms()).await?;
    Ok(Some(media))
}

/// Reads dimensions and EXIF from the start of an image.
pub fn read(prefix: &[u8]) -> Media {
    let mut media = Media::default();
    if let Ok(reader) = image::ImageReader::new(Cursor::new(prefix)).with_guessed_format()
        && let Ok((w, h)) = reader.into_dimensions()
    {
        media.width = Some(w);
        media.height = Some(h);
    }
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(prefix)) else {
        return media;
    };
    let text = |tag: exif::Tag| {
        exif.get_field(tag, exif::In::PRIMARY)
            .and_then(|f| match &f.value {
                exif::Value::Ascii(parts) => parts
                    .first()
                    .map(|p| String::from_utf8_lossy(p).trim().to_string())
                    .filter(|s| !s.is_empty()),
                _ => None,
            })
    };
    media.taken_at = text(exif::Tag::DateTimeOriginal).or_else(|| text(exif::Tag::DateTime));
    media.camera_make = text(exif::Tag::Make);
    media.camera_model = text(exif::Tag::Model);
    let degrees = |tag: exif::Tag, negative: &str, reference: exif::Tag| {
        let field = exif.get_field(tag, exif::In::PRIMARY)?;
        let exif::Value::Rational(parts) = &field.value else {
            return None;
        };
        if parts.len() < 3 || parts.iter().any(|r| r.denom == 0) {
            return None;
        }
        let value = parts[0].to_f64() + parts[1].to_f64() / 60.0 + parts[2].to_f64() / 3600.0;
        let sign = if text(reference).as_deref() == Some(negative) {
            -1.0
        } else {
            1.0
        };
        Some(sign * value)
    };
    if let (Some(lat), Some(lon)) = (
        degrees(exif::Tag::GPSLatitude, "S", exif::Tag::GPSLatitudeRef),
        degrees(exif::Tag::GPSLongitude, "W", exif::Tag::GPSLongitudeRef),
    ) && lat.abs() <= 90.0
        && lon.abs() <= 180.0
    {
        media.gps = Some((lat, lon));
    }
    media
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_without_exif() {
        let img = image::RgbImage::new(30, 20);
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        let media = read(&out.into_inner());
        assert_eq!(
            (media.width, media.height, media.gps),
            (Some(30), Some(20), None)
        );
    }

    #[test]
    fn garbage_reads_as_nothing() {
        assert_eq!(read(b"\xff\xd8\xff\xe1garbage"), Media::default());
    }
}
