//! Media metadata: what an image says of itself (width and height; EXIF time taken, camera,
//! GPS position), read from its first [`PREFIX_BYTES`], and what an audio file says of itself
//! (title, artist, album, track, year, duration; see [`crate::media_audio`]), read once per
//! content and kept in the database, shown by `GET /files/{id}?fields=media` (and to link
//! recipients, see [`crate::access::link_media`]). Reading is guarded like thumbnails are
//! (blocking thread, panics caught); only headers are parsed, no pixel or sample is decoded.

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
    /// Audio tags (ID3v2/ID3v1, Vorbis comments, MP4 atoms, RIFF INFO, APE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artist: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub album: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
    /// How long the audio plays, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl Media {
    /// Whether nothing was read (shown as no media at all).
    pub fn is_empty(&self) -> bool {
        *self == Media::default()
    }

    /// What search filters on, by the rules migration 0044 applies to rows read before it
    /// (keep the two in step).
    pub fn search_keys(&self) -> ferry_store::renditions::MediaKeys {
        let lower = |v: &Option<String>| v.as_deref().map(str::to_lowercase);
        let camera = format!(
            "{} {}",
            self.camera_make.as_deref().unwrap_or(""),
            self.camera_model.as_deref().unwrap_or("")
        )
        .to_lowercase();
        let camera = camera.trim_matches(' ');
        ferry_store::renditions::MediaKeys {
            width: self.width.map(i64::from),
            height: self.height.map(i64::from),
            taken_at: self.taken_at.as_deref().and_then(taken_key),
            camera: (!camera.is_empty()).then(|| camera.to_string()),
            has_location: self.gps.is_some(),
            artist: lower(&self.artist),
            album: lower(&self.album),
            duration_ms: self
                .duration_ms
                .map(|d| i64::try_from(d).unwrap_or(i64::MAX)),
        }
    }
}

/// An EXIF time (`2026:11:22 12:00:00`, anything after the seconds ignored) as the sortable
/// `2026-11-22T12:00:00` search compares; `None` for anything else, and for the zero dates
/// cameras write when their clock was never set (year 0000, month or day 00).
pub fn taken_key(exif: &str) -> Option<String> {
    let b = exif.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    let shape = digits.iter().all(|&i| b[i].is_ascii_digit())
        && [4, 7, 13, 16].iter().all(|&i| b[i] == b':')
        && b[10] == b' ';
    // All ASCII up to here, so these slices are on character boundaries.
    if !shape {
        return None;
    }
    let (year, month, day) = (&exif[0..4], &exif[5..7], &exif[8..10]);
    if year == "0000" || !("01"..="12").contains(&month) || !("01"..="31").contains(&day) {
        return None;
    }
    Some(format!("{year}-{month}-{day}T{}", &exif[11..19]))
}

/// Where a content's media metadata comes from, by its stored MIME type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Dimensions and EXIF from the first [`PREFIX_BYTES`].
    Image,
    /// Tags and duration, by lofty (which tells the format from the bytes, whatever the name).
    Audio,
}

/// Whether content of type `mime` may carry media metadata.
pub(crate) fn has_source(mime: &str) -> bool {
    source_of(mime).is_some()
}

fn source_of(mime: &str) -> Option<Source> {
    match mime {
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "image/tiff" | "image/heic" => {
            Some(Source::Image)
        }
        m if m.starts_with("audio/") => Some(Source::Audio),
        _ => None,
    }
}

/// The media metadata of a file the caller may read (`None` for types without any, and when
/// nothing could be read).
pub async fn of_file(app: &AppState, caller: &Caller, id: &str) -> Result<Option<Media>> {
    let (file, _) = crate::access::file(app, caller, id, ferry_core::Permission::Read).await?;
    of_content(app, &file.sha256, file.size, &file.mime_type).await
}

/// The media metadata a download link's recipient sees of its file (the version it serves):
/// the link must open (password included, as for a download; nothing is counted), and the
/// GPS position is left out unless the link shows it ([`crate::access::link_media`]).
pub async fn through_link(app: &AppState, token: &str, access: &[String]) -> Result<Option<Media>> {
    let (link, file) = crate::links::open(app, token, access).await?;
    let media = of_content(app, &file.sha256, file.size, &file.mime_type).await?;
    Ok(media
        .map(|m| crate::access::link_media(m, link.show_location()))
        .filter(|m| !m.is_empty()))
}

/// The media metadata a folder link's recipient sees of `file`, one of the files its listing
/// gave (see [`crate::folder_links::items`]): GPS only if the link shows it.
pub async fn through_folder_link(
    app: &AppState,
    opened: &crate::folder_links::Opened,
    file: &ferry_store::files::File,
) -> Result<Option<Media>> {
    let media = of_content(app, &file.sha256, file.size, &file.mime_type).await?;
    Ok(media
        .map(|m| crate::access::link_media(m, opened.link.show_location()))
        .filter(|m| !m.is_empty()))
}

/// The media metadata of the content `sha256`, read now if it was not read before (`None`
/// when it has none).
pub(crate) async fn of_content(
    app: &AppState,
    sha256: &str,
    len: i64,
    mime: &str,
) -> Result<Option<Media>> {
    let Some(source) = source_of(mime) else {
        return Ok(None);
    };
    let stored = {
        let mut conn = app.store.conn().await?;
        ferry_store::renditions::media(&mut conn, sha256).await?
    };
    if let Some(json) = stored {
        return Ok(serde_json::from_str::<Media>(&json)
            .ok()
            .filter(|m| !m.is_empty()));
    }
    let key = {
        let mut conn = app.store.conn().await?;
        ferry_store::files::blob_key(&mut conn, sha256)
            .await?
            .ok_or(Error::NotFound)?
    };
    let len = len.max(0) as u64;
    let media = match source {
        Source::Image => {
            let want = len.min(PREFIX_BYTES);
            let mut stream = app.blobs.read(&key, 0, want).await?;
            let mut prefix = Vec::with_capacity(want as usize);
            while let Some(chunk) = stream.next().await {
                prefix.extend_from_slice(&chunk.map_err(ferry_blob::BlobError::Body)?);
            }
            tokio::task::spawn_blocking(move || {
                std::panic::catch_unwind(|| read(&prefix)).unwrap_or_default()
            })
            .await
            .unwrap_or_default()
        }
        Source::Audio => crate::media_audio::read_blob(app.blobs.clone(), key, len).await,
    };
    let json = serde_json::to_string(&media).map_err(|e| Error::Internal(e.into()))?;
    let mut conn = app.store.conn().await?;
    ferry_store::renditions::put_media(
        &mut conn,
        sha256,
        &json,
        &media.search_keys(),
        app.now_ms(),
    )
    .await?;
    Ok(Some(media).filter(|m| !m.is_empty()))
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
    fn exif_times_become_sortable_keys_or_nothing() {
        assert_eq!(
            taken_key("2026:11:22 12:00:05").as_deref(),
            Some("2026-11-22T12:00:05")
        );
        assert_eq!(
            taken_key("2026:11:22 12:00:05.123").as_deref(),
            Some("2026-11-22T12:00:05")
        );
        for bad in [
            "0000:00:00 00:00:00",
            "2026:13:01 00:00:00",
            "2026:01:00 00:00:00",
            "2026-11-22 12:00:00",
            "2026:11:22",
            "2026:11:22 12:00:0é",
            "",
        ] {
            assert_eq!(taken_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn search_keys_are_lowercased_and_joined() {
        let media = Media {
            camera_make: Some("Canon".into()),
            camera_model: Some("EOS R5".into()),
            artist: Some("The Ferrymen".into()),
            gps: Some((1.0, 2.0)),
            ..Media::default()
        };
        let keys = media.search_keys();
        assert_eq!(keys.camera.as_deref(), Some("canon eos r5"));
        assert_eq!(keys.artist.as_deref(), Some("the ferrymen"));
        assert!(keys.has_location);
        let only_model = Media {
            camera_model: Some("Pixel 8".into()),
            ..Media::default()
        };
        assert_eq!(only_model.search_keys().camera.as_deref(), Some("pixel 8"));
        assert_eq!(Media::default().search_keys(), Default::default());
    }

    #[test]
    fn garbage_reads_as_nothing() {
        assert_eq!(read(b"\xff\xd8\xff\xe1garbage"), Media::default());
    }
}
