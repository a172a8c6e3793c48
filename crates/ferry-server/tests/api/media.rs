//! Media metadata beyond images: audio tags and durations (MP3, FLAC, Ogg Vorbis, M4A, WAV)
//! from real files, hostile audio, and what link recipients see (everything but GPS, unless
//! the link's creator allows it with `show_location`).

use ferry_api as api;
use ferry_client::Client;
use reqwest::Method;

use crate::helpers::{TestApp, assert_api_error, parse};
use crate::on_both_backends;

on_both_backends!(
    audio_tags_and_durations_come_from_the_content,
    hostile_audio_gives_no_media_and_no_500,
    link_recipients_see_media_without_gps_unless_allowed,
    folder_link_recipients_see_media_gps_only_when_allowed,
);

/// A WAV of `secs` seconds of 8 kHz 16-bit mono silence with a LIST/INFO chunk, by hand.
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
    let mut body = b"WAVEfmt ".to_vec();
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

/// A fixture made with `ffmpeg -f lavfi -i sine=…:duration=1.5:sample_rate=8000 -ac 1` and the
/// tags title "Harbour Lights", artist "The Ferrymen", album "Crossings", track 7, date 2021.
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/audio/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn media_of(client: &Client, id: &str) -> Option<api::Media> {
    let res = client
        .request(Method::GET, &format!("/files/{id}?fields=media"))
        .send()
        .await
        .unwrap();
    let file: api::File = parse(res).await.unwrap();
    file.media.map(|m| *m)
}

async fn audio_tags_and_durations_come_from_the_content(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("music", 0).await.unwrap();
    // A WAV written here, with RIFF INFO tags: exact duration.
    let f = alice
        .upload(
            &folder.id,
            "harbour.wav",
            wav(
                2,
                &[
                    (b"INAM", "Harbour"),
                    (b"IART", "The Ferrymen"),
                    (b"IPRD", "Crossings"),
                    (b"IPRT", "3"),
                    (b"ICRD", "2024"),
                ],
            ),
        )
        .await
        .unwrap();
    let media = media_of(&alice, &f.id).await.expect("media of a WAV");
    assert_eq!(
        (
            media.title.as_deref(),
            media.artist.as_deref(),
            media.album.as_deref(),
            media.track,
            media.year,
            media.duration_ms,
        ),
        (
            Some("Harbour"),
            Some("The Ferrymen"),
            Some("Crossings"),
            Some(3),
            Some(2024),
            Some(2000)
        )
    );
    assert_eq!((media.width, media.height, media.gps), (None, None, None));
    // Real encoder output: ID3v2 (MP3), Vorbis comments (FLAC, Ogg), MP4 atoms (M4A). The
    // worker reads them after publish; the answer is the same as on demand.
    let mut ids = Vec::new();
    for name in ["tone.mp3", "tone.flac", "tone.ogg", "tone.m4a"] {
        let f = alice.upload(&folder.id, name, fixture(name)).await.unwrap();
        assert!(f.mime_type.starts_with("audio/"), "{name}: {}", f.mime_type);
        ids.push((name, f.id));
    }
    app.run_jobs().await;
    for (name, id) in &ids {
        let media = media_of(&alice, id)
            .await
            .unwrap_or_else(|| panic!("media of {name}"));
        assert_eq!(media.title.as_deref(), Some("Harbour Lights"), "{name}");
        assert_eq!(media.artist.as_deref(), Some("The Ferrymen"), "{name}");
        assert_eq!(media.album.as_deref(), Some("Crossings"), "{name}");
        assert_eq!(media.track, Some(7), "{name}");
        assert_eq!(media.year, Some(2021), "{name}");
        // 1.5 s of audio; MP3 and AAC add encoder padding (ffprobe says 1.656 s for the MP3).
        let ms = media
            .duration_ms
            .unwrap_or_else(|| panic!("duration of {name}"));
        assert!((1400..=1800).contains(&ms), "{name}: {ms} ms");
    }
    // The JSON names the promised fields.
    let raw: serde_json::Value = alice
        .request(Method::GET, &format!("/files/{}?fields=media", f.id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw["media"]["duration_ms"], 2000, "{raw}");
    assert_eq!(raw["media"]["title"], "Harbour", "{raw}");
}

async fn hostile_audio_gives_no_media_and_no_500(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("music", 0).await.unwrap();
    let mp3 = fixture("tone.mp3");
    let flac = fixture("tone.flac");
    // An ID3v2 header claiming a tag of 256 MiB, followed by nothing.
    let mut huge_tag = b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f".to_vec();
    huge_tag.extend(b"TIT2\x7f\x7f\x7f\x7f\x00\x00\x03");
    let mut noise = vec![0u8; 200_000];
    for (i, b) in noise.iter_mut().enumerate() {
        *b = (i.wrapping_mul(7919) % 251) as u8;
    }
    let none: [(&str, Vec<u8>); 6] = [
        ("garbage.mp3", noise.clone()),
        ("text.mp3", b"this is not an mp3 at all\n".to_vec()),
        ("empty.flac", Vec::new()),
        ("cut.mp3", mp3[..6].to_vec()),
        ("cut.flac", flac[..20].to_vec()),
        ("bomb.mp3", huge_tag),
    ];
    for (name, bytes) in none {
        let f = alice.upload(&folder.id, name, bytes).await.unwrap();
        assert_eq!(media_of(&alice, &f.id).await, None, "{name}");
    }
    // Cut in the middle of the audio: whatever the headers said, never a 500 (the worker
    // too); the file itself is stored and served as it is.
    for (name, bytes) in [("half.mp3", &mp3), ("half.flac", &flac)] {
        let cut = bytes[..bytes.len() / 2].to_vec();
        let f = alice.upload(&folder.id, name, cut.clone()).await.unwrap();
        app.run_jobs().await;
        let _ = media_of(&alice, &f.id).await;
        let got = alice.download(&f.id, &[]).await.unwrap();
        assert_eq!(got.body.as_ref(), cut.as_slice(), "{name}");
    }
}

/// Alice's photo with GPS (48.8582 N, 2.2945 W) and a tagged WAV, each with a download link.
async fn photo_and_song(app: &TestApp) -> (Client, api::File, api::File) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("trip", 0).await.unwrap();
    let photo = alice
        .upload(&folder.id, "tower.jpg", crate::thumbnails::jpeg_with_exif())
        .await
        .unwrap();
    let song = alice
        .upload(
            &folder.id,
            "song.wav",
            wav(1, &[(b"INAM", "Shanty"), (b"IART", "Crew")]),
        )
        .await
        .unwrap();
    (alice, photo, song)
}

fn link_request(show_location: Option<bool>, password: Option<&str>) -> api::CreateLink {
    api::CreateLink {
        show_location,
        password: password.map(str::to_string),
        ..Default::default()
    }
}

async fn link_recipients_see_media_without_gps_unless_allowed(app: TestApp) {
    let (alice, photo, song) = photo_and_song(&app).await;
    // By default a recipient sees the camera and time, never where the photo was taken.
    let hidden = alice
        .create_link(&photo.id, &link_request(None, None))
        .await
        .unwrap();
    assert!(!hidden.show_location);
    let info = app.anon.link_info_with_media(&hidden.url).await.unwrap();
    let media = info.media.expect("media through the link");
    assert_eq!((media.width, media.height), (Some(64), Some(48)));
    assert_eq!(media.camera_model.as_deref(), Some("Test Cam"));
    assert_eq!(media.taken_at.as_deref(), Some("2026:11:22 12:00:00"));
    assert_eq!(media.gps, None);
    // Without `fields`, the landing page's info is as before.
    assert!(
        app.anon
            .link_info(&hidden.url)
            .await
            .unwrap()
            .media
            .is_none()
    );
    // The owner still sees the position.
    let own = alice
        .request(Method::GET, &format!("/files/{}?fields=media", photo.id))
        .send()
        .await
        .unwrap();
    let own: api::File = parse(own).await.unwrap();
    assert!(own.media.unwrap().gps.is_some());
    // A link made with show_location shows it.
    let shown = alice
        .create_link(&photo.id, &link_request(Some(true), None))
        .await
        .unwrap();
    assert!(shown.show_location);
    let gps = app
        .anon
        .link_info_with_media(&shown.url)
        .await
        .unwrap()
        .media
        .unwrap()
        .gps
        .expect("gps through a link that shows it");
    assert!((gps.latitude - 48.8582).abs() < 1e-3, "{gps:?}");
    assert!((gps.longitude + 2.2945).abs() < 1e-3, "{gps:?}");
    // The owner turns it on and off afterwards (PATCH), audited as link.updated.
    let updated = alice
        .update_link(
            &hidden.id,
            &api::UpdateLink {
                show_location: Some(true),
            },
        )
        .await
        .unwrap();
    assert!(updated.show_location);
    let media = app
        .anon
        .link_info_with_media(&hidden.url)
        .await
        .unwrap()
        .media;
    assert!(media.unwrap().gps.is_some());
    let updated = alice
        .update_link(
            &hidden.id,
            &api::UpdateLink {
                show_location: Some(false),
            },
        )
        .await
        .unwrap();
    assert!(!updated.show_location);
    let media = app
        .anon
        .link_info_with_media(&hidden.url)
        .await
        .unwrap()
        .media;
    assert_eq!(media.unwrap().gps, None);
    let events = app.audit_of("link.updated", &hidden.id).await;
    assert_eq!(events.len(), 2, "{events:?}");
    // Someone who may not share the file cannot change the link (it does not exist for them).
    let (_, mallory) = app.user("mallory", None).await;
    assert_api_error(
        mallory
            .update_link(
                &hidden.id,
                &api::UpdateLink {
                    show_location: Some(true),
                },
            )
            .await,
        404,
        "not_found",
    );
    // Audio tags through a link.
    let song_link = alice
        .create_link(&song.id, &link_request(None, None))
        .await
        .unwrap();
    let media = app
        .anon
        .link_info_with_media(&song_link.url)
        .await
        .unwrap()
        .media
        .expect("audio media through a link");
    assert_eq!(
        (
            media.title.as_deref(),
            media.artist.as_deref(),
            media.duration_ms
        ),
        (Some("Shanty"), Some("Crew"), Some(1000))
    );
    // A link with a password shows media only once unlocked, like a download.
    let locked = alice
        .create_link(&photo.id, &link_request(None, Some("correct horse")))
        .await
        .unwrap();
    assert_api_error(
        app.anon.link_info_with_media(&locked.url).await,
        401,
        "link_password_required",
    );
    let access = app
        .anon
        .unlock_link(&locked.url, "correct horse")
        .await
        .unwrap();
    let unlocked = app.anon.with_link_access(access.link_access_token);
    let media = unlocked
        .link_info_with_media(&locked.url)
        .await
        .unwrap()
        .media;
    assert_eq!(media.unwrap().camera_make.as_deref(), Some("Ferry"));
    // Bad `fields`: a 400, as for files.
    let res = app
        .anon
        .request(
            Method::GET,
            &format!(
                "/links/{}/info?fields=gps",
                ferry_client::link_token(&hidden.url)
            ),
        )
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<serde_json::Value>(res).await, 400, "invalid_value");
}

async fn folder_link_recipients_see_media_gps_only_when_allowed(app: TestApp) {
    let (alice, photo, _) = photo_and_song(&app).await;
    let folder_link = |show| {
        let alice = alice.clone();
        let folder_id = photo.folder_id.clone();
        async move {
            alice
                .create_folder_link(&folder_id, &link_request(show, None))
                .await
                .unwrap()
        }
    };
    let hidden = folder_link(None).await;
    let shown = folder_link(Some(true)).await;
    assert!(!hidden.show_location && shown.show_location);
    let item = |items: api::LinkItems, name: &str| {
        items
            .files
            .into_iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{name} listed"))
    };
    // Without fields=media, no media; with it, everything but GPS unless allowed.
    let plain = app.anon.link_items(&hidden.url, "", None).await.unwrap();
    assert!(item(plain, "tower.jpg").media.is_none());
    let items = app
        .anon
        .link_items_with_media(&hidden.url, "")
        .await
        .unwrap();
    let tower = item(items.clone(), "tower.jpg").media.expect("photo media");
    assert_eq!(tower.camera_model.as_deref(), Some("Test Cam"));
    assert_eq!(tower.gps, None);
    let song = item(items, "song.wav").media.expect("song media");
    assert_eq!(song.title.as_deref(), Some("Shanty"));
    let items = app
        .anon
        .link_items_with_media(&shown.url, "")
        .await
        .unwrap();
    assert!(item(items, "tower.jpg").media.unwrap().gps.is_some());
    // Turned off later: hidden again.
    alice
        .update_link(
            &shown.id,
            &api::UpdateLink {
                show_location: Some(false),
            },
        )
        .await
        .unwrap();
    let items = app
        .anon
        .link_items_with_media(&shown.url, "")
        .await
        .unwrap();
    assert_eq!(item(items, "tower.jpg").media.unwrap().gps, None);
}
