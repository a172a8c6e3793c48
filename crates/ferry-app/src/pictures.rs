//! Profile pictures and company logos (issue #13): setting, removing and serving them.
//!
//! An upload goes through the thumbnails' pipeline ([`crate::render`]): only JPEG, PNG, GIF
//! (first frame) and WebP, told by their signature; the header's pixel count checked before
//! any pixel is decoded (the decompression-bomb guard, at most [`MAX_PIXELS`] or
//! `content.max_image_pixels`, whichever is less); decoding on a blocking thread of the
//! renderer's bounded pool, panics caught. What is kept is re-encoded from the pixels, so no
//! metadata of the upload survives (EXIF with its GPS position, XMP, comments); the EXIF
//! orientation is applied first, so the picture stays upright.
//!
//! What is kept, as lossless WebP: the image bounded to [`ORIGINAL_PX`] on its longest side
//! (`original`: a logo is served as this; a picture's sizes can be made again from it) and,
//! for a profile picture, the square sizes of [`PictureSize`], centre-cropped, rendered at
//! upload: a list of users shows dozens of avatars at once, and making each of them on
//! request would decode the original every time; four small renditions made once cost less
//! than 100 KiB. They live in the database ([`ferry_store::pictures`]): bounded and small, they
//! change in the transaction that audits the change, go with the user or company, are in
//! every backup, and need no blob bookkeeping (reference counts, garbage collection, fsck).
//! PNG is made from the stored WebP on request for clients whose `Accept` asks for it.
//!
//! Who sees and changes what is the access module's (see [`access::visible_user`],
//! [`access::picture_subject`], [`access::logo_company`]); a logo also shows through its
//! users' links, to anyone who holds one ([`link_logo`]).

use ferry_core::audit::{Action, TargetKind};
use ferry_store::companies::Company;
use ferry_store::pictures::Owner;
use ferry_store::users::User;
use image::DynamicImage;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::render::{self, Format};
use crate::state::AppState;

/// The largest upload accepted, in bytes; a bigger body is refused before it is read.
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;
/// The most pixels an uploaded image may claim (a 48-megapixel phone photo passes).
pub const MAX_PIXELS: u64 = 50_000_000;
/// The longest side of what is kept of an upload: twice the largest size served, so that
/// the largest avatar stays sharp on a high-density screen, and a logo on a landing page.
pub const ORIGINAL_PX: u32 = 512;
/// The variant a logo is served as (and every image is kept as).
const ORIGINAL: &str = "original";

/// A profile picture's sizes: square, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureSize {
    Px32,
    Px64,
    Px128,
    Px256,
}

impl PictureSize {
    pub const ALL: [PictureSize; 4] = [
        PictureSize::Px32,
        PictureSize::Px64,
        PictureSize::Px128,
        PictureSize::Px256,
    ];

    pub fn px(self) -> u32 {
        match self {
            PictureSize::Px32 => 32,
            PictureSize::Px64 => 64,
            PictureSize::Px128 => 128,
            PictureSize::Px256 => 256,
        }
    }

    /// The size of `px` pixels, if it is one of ours.
    pub fn parse(px: u32) -> Option<PictureSize> {
        PictureSize::ALL.into_iter().find(|s| s.px() == px)
    }

    fn variant(self) -> &'static str {
        match self {
            PictureSize::Px32 => "32",
            PictureSize::Px64 => "64",
            PictureSize::Px128 => "128",
            PictureSize::Px256 => "256",
        }
    }
}

/// An image ready to send.
#[derive(Debug, Clone)]
pub struct Image {
    pub bytes: Vec<u8>,
    pub mime_type: &'static str,
    /// Stable for this image, variant and format.
    pub etag: String,
}

/// Where a user's picture is served (`None`: the user has none). `?v=` changes with the
/// picture, so a client may cache what it fetched under this URL.
pub fn user_picture_path(user: &User) -> Option<String> {
    user.picture_version
        .as_ref()
        .map(|v| format!("/api/v1/users/{}/picture?v={v}", user.id))
}

/// Where a company's uploaded logo is served to who sees the company (`None`: none uploaded).
pub fn logo_path(company: &Company) -> Option<String> {
    company
        .logo_version
        .as_ref()
        .map(|v| format!("/api/v1/companies/{}/logo?v={v}", company.id))
}

/// Where the logo of a link's creator's company is served to whoever holds the link `token`
/// (`None`: none uploaded).
pub fn link_logo_path(token: &str, company: &Company) -> Option<String> {
    company
        .logo_version
        .as_ref()
        .map(|v| format!("/api/v1/links/{token}/logo?v={v}"))
}

/// What is kept of an upload: `(variant, WebP bytes)`, the original first, and its size.
struct Prepared {
    variants: Vec<(&'static str, Vec<u8>)>,
    width: u32,
    height: u32,
}

fn invalid(why: &str) -> Error {
    Error::bad_request(
        "invalid_image",
        format!("The body is not a PNG, JPEG, WebP or GIF image that can be read ({why})."),
    )
}

/// Decodes `data` (guarded), bounds it and, for a picture, renders its square sizes.
fn prepare(data: &[u8], max_pixels: u64, squares: bool) -> std::result::Result<Prepared, String> {
    let img = render::decode_image(data, max_pixels)?;
    // The first step down from up to MAX_PIXELS as thumbnails take it (fast, good enough for
    // a large factor); the squares then come from at most 512 px with a finer filter.
    let img = if img.width().max(img.height()) > ORIGINAL_PX {
        img.thumbnail(ORIGINAL_PX, ORIGINAL_PX)
    } else {
        img
    };
    let (width, height) = (img.width(), img.height());
    let mut variants = vec![(ORIGINAL, render::encode(&img, Format::Webp)?)];
    if squares {
        let side = width.min(height);
        let square = img.crop_imm((width - side) / 2, (height - side) / 2, side, side);
        for size in PictureSize::ALL {
            // Exactly the size asked for, so layouts can rely on it: a small upload is
            // enlarged rather than served smaller.
            let px = size.px();
            let scaled = square.resize_exact(px, px, image::imageops::FilterType::Lanczos3);
            variants.push((size.variant(), render::encode(&scaled, Format::Webp)?));
        }
    }
    Ok(Prepared {
        variants,
        width,
        height,
    })
}

/// Runs [`prepare`] in one of the renderer's slots, off the async threads.
async fn prepare_guarded(app: &AppState, data: Vec<u8>, squares: bool) -> Result<Prepared> {
    if data.len() as u64 > MAX_BYTES {
        return Err(Error::PayloadTooLarge { limit: MAX_BYTES });
    }
    if data.is_empty() {
        return Err(invalid("the body is empty"));
    }
    let max_pixels = MAX_PIXELS.min(app.renderer.max_image_pixels());
    let _permit = app.renderer.permit().await?;
    tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(move || prepare(&data, max_pixels, squares))
            .unwrap_or_else(|_| Err("the image decoder panicked".into()))
    })
    .await
    .map_err(Error::internal)?
    .map_err(|why| invalid(&why))
}

/// The version of an image: a short hash of what is kept of it.
fn version_of(prepared: &Prepared) -> String {
    let mut hash = Sha256::new();
    for (name, bytes) in &prepared.variants {
        hash.update(name.as_bytes());
        hash.update(bytes);
    }
    hex::encode(&hash.finalize()[..8])
}

fn variants_of(prepared: &Prepared) -> Vec<(&str, &str, &[u8])> {
    prepared
        .variants
        .iter()
        .map(|(name, bytes)| (*name, Format::Webp.mime(), bytes.as_slice()))
        .collect()
}

/// Prepares `data` (squares for a user's picture, one bounded image for a logo), stores it as
/// `owner`'s image in `tx` and audits `action`: what a picture and a logo share. `NotFound` when
/// the owner is gone.
async fn replace_audited(
    app: &AppState,
    caller: &Caller,
    tx: &mut ferry_store::Tx,
    owner: Owner<'_>,
    target: (TargetKind, &str),
    action: Action,
    data: Vec<u8>,
) -> Result<()> {
    let size = data.len();
    let prepared = prepare_guarded(app, data, matches!(owner, Owner::User(_))).await?;
    let version = version_of(&prepared);
    let now = app.now_ms();
    if !ferry_store::pictures::replace(tx, owner, &version, &variants_of(&prepared), now).await? {
        return Err(Error::NotFound);
    }
    audit::success(&caller.origin, caller.user_ref(), action, target)
        .at(now)
        .details(json!({"width": prepared.width, "height": prepared.height,
            "uploaded_bytes": size, "version": version}))
        .append(tx)
        .await?;
    Ok(())
}

/// Sets (or replaces) the profile picture of the caller (`user_id` `None`) or of a user they
/// administer; returns the user as stored now.
pub async fn set_user_picture(
    app: &AppState,
    caller: &Caller,
    user_id: Option<&str>,
    data: Vec<u8>,
) -> Result<User> {
    let user = access::picture_subject(app, caller, user_id).await?;
    let id = user.id.as_str();
    let mut tx = app.store.begin().await?;
    replace_audited(
        app,
        caller,
        &mut tx,
        Owner::User(id),
        (TargetKind::User, id),
        Action::UserPictureChanged,
        data,
    )
    .await?;
    let stored = ferry_store::users::get(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    // The caller's own account shows with the role this request acts with, as `GET /me` does.
    Ok(match caller.user_ref() {
        Some(me) if me.id == stored.id => stored.acting_as(me.role()),
        _ => stored,
    })
}

/// Removes the profile picture of the caller (`user_id` `None`) or of a user they
/// administer. Removing a picture that is not there is no error (and audits nothing).
pub async fn remove_user_picture(
    app: &AppState,
    caller: &Caller,
    user_id: Option<&str>,
) -> Result<()> {
    let user = access::picture_subject(app, caller, user_id).await?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let id = user.id.as_str();
    if ferry_store::pictures::remove(&mut tx, Owner::User(id), now).await? {
        audit::success(
            &caller.origin,
            caller.user_ref(),
            Action::UserPictureRemoved,
            (TargetKind::User, id),
        )
        .at(now)
        .append(&mut tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A user's picture at `size` in `format`, for a caller who may see the user (anyone else,
/// and a user without a picture, is `NotFound`).
pub async fn user_picture(
    app: &AppState,
    caller: &Caller,
    user_id: &str,
    size: PictureSize,
    format: Format,
) -> Result<Image> {
    let user = access::visible_user(app, caller, user_id).await?;
    let version = user.picture_version.as_deref().ok_or(Error::NotFound)?;
    stored(app, user.id.as_str(), version, size.variant(), format).await
}

/// Sets (or replaces) a company's logo; returns the company as stored now.
pub async fn set_logo(
    app: &AppState,
    caller: &Caller,
    company_id: &str,
    data: Vec<u8>,
) -> Result<Company> {
    let company = access::logo_company(app, caller, company_id).await?;
    let id = company.id.as_str();
    let mut tx = app.store.begin().await?;
    replace_audited(
        app,
        caller,
        &mut tx,
        Owner::Company(id),
        (TargetKind::Company, id),
        Action::CompanyLogoChanged,
        data,
    )
    .await?;
    let stored = ferry_store::companies::get(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(stored)
}

/// Removes a company's logo (no error when there is none; then nothing is audited).
pub async fn remove_logo(app: &AppState, caller: &Caller, company_id: &str) -> Result<()> {
    let company = access::logo_company(app, caller, company_id).await?;
    let now = app.now_ms();
    let id = company.id.as_str();
    let mut tx = app.store.begin().await?;
    if ferry_store::pictures::remove(&mut tx, Owner::Company(id), now).await? {
        audit::success(
            &caller.origin,
            caller.user_ref(),
            Action::CompanyLogoRemoved,
            (TargetKind::Company, id),
        )
        .at(now)
        .append(&mut tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A company's logo, for a caller who sees the company (`NotFound` otherwise, or without one).
pub async fn logo(
    app: &AppState,
    caller: &Caller,
    company_id: &str,
    format: Format,
) -> Result<Image> {
    let company = access::company(app, caller, company_id).await?;
    company_logo(app, &company, format).await
}

/// The logo of the company of the creator of the link `token`, for anyone holding the link
/// (no login, no password: the landing page shows it next to the password field). A link
/// that does not serve (expired, revoked, used up, forged) answers as its info does; one
/// whose creator's company has no logo is `NotFound`.
pub async fn link_logo(app: &AppState, token: &str, format: Format) -> Result<Image> {
    let creator = link_creator(app, token).await?;
    let company = crate::companies::of_link_creator(app, &creator)
        .await?
        .ok_or(Error::NotFound)?;
    company_logo(app, &company, format).await
}

/// The creator of a live link of any kind (a file, folder or upload link), checked as
/// `GET /links/{token}/info` checks it.
async fn link_creator(app: &AppState, token: &str) -> Result<String> {
    match crate::links::info(app, token).await {
        Ok((link, _)) => return Ok(link.creator_id.to_string()),
        Err(Error::NotFound) => {}
        Err(e) => return Err(e),
    }
    match crate::folder_links::info(app, token).await {
        Ok((link, _)) => return Ok(link.creator_id.to_string()),
        Err(Error::NotFound) => {}
        Err(e) => return Err(e),
    }
    let (link, _) = crate::upload_links::info(app, token).await?;
    Ok(link.creator_id.to_string())
}

async fn company_logo(app: &AppState, company: &Company, format: Format) -> Result<Image> {
    let version = company.logo_version.as_deref().ok_or(Error::NotFound)?;
    stored(app, company.id.as_str(), version, ORIGINAL, format).await
}

/// A stored variant, as WebP or made into PNG.
async fn stored(
    app: &AppState,
    owner_id: &str,
    version: &str,
    variant: &str,
    format: Format,
) -> Result<Image> {
    let found = {
        let mut conn = app.store.conn().await?;
        ferry_store::pictures::get(&mut conn, owner_id, variant)
            .await?
            .ok_or(Error::NotFound)?
    };
    let format = match format {
        Format::Png => Format::Png,
        Format::Webp | Format::Jpeg => Format::Webp,
    };
    let etag = format!("\"{version}-{variant}.{}\"", format.ext());
    let bytes = if format == Format::Webp {
        found.bytes
    } else {
        // Our own WebP, small and bounded: decoding it needs no guard beyond the pool.
        let _permit = app.renderer.permit().await?;
        tokio::task::spawn_blocking(move || {
            let img: DynamicImage = image::load_from_memory(&found.bytes)
                .map_err(|e| Error::internal(anyhow::anyhow!("a stored picture: {e}")))?;
            render::encode(&img, Format::Png)
                .map_err(|e| Error::internal(anyhow::anyhow!("encoding a picture: {e}")))
        })
        .await
        .map_err(Error::internal)??
    };
    Ok(Image {
        bytes,
        mime_type: format.mime(),
        etag,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, _| image::Rgb([(x % 256) as u8, 30, 30]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_picture_is_bounded_and_gets_every_square_size() {
        let prepared = prepare(&png(1200, 600), 1_000_000_000, true).unwrap();
        assert_eq!((prepared.width, prepared.height), (512, 256));
        let names: Vec<_> = prepared.variants.iter().map(|v| v.0).collect();
        assert_eq!(names, ["original", "32", "64", "128", "256"]);
        for (name, bytes) in &prepared.variants[1..] {
            let img = image::load_from_memory(bytes).unwrap();
            let px: u32 = name.parse().unwrap();
            assert_eq!((img.width(), img.height()), (px, px));
        }
    }

    #[test]
    fn a_logo_keeps_its_aspect_and_gets_no_squares() {
        let prepared = prepare(&png(300, 100), 1_000_000_000, false).unwrap();
        assert_eq!((prepared.width, prepared.height), (300, 100));
        assert_eq!(prepared.variants.len(), 1);
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(PictureSize::parse(64), Some(PictureSize::Px64));
        assert_eq!(PictureSize::parse(65), None);
    }
}
