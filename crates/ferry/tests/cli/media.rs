//! `ferry info` with a file's media metadata and scan status, and `ferry find`'s media filters,
//! on a real photo with EXIF (GPS included) and a real MP3, the API tests' fixtures.

use ferry_api as api;

use crate::helpers::TestServer;

/// A file of the server crate's test fixtures (`tests/fixtures/…`).
fn fixture(path: &str) -> Vec<u8> {
    let path = format!(
        "{}/../ferry-server/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn info_shows_media_and_find_filters_on_it() {
    let t = TestServer::start();
    t.login();
    let trip = t.folder("trip");
    let photo = t.put(&trip, "tower.jpg", &fixture("images/tower.jpg"));
    t.put(&trip, "tone.mp3", &fixture("audio/tone.mp3"));
    t.put(&trip, "notes.txt", b"no media here");

    // A photo by path: dimensions, time, camera and where, besides the scan status.
    let text = t.ok(&["info", "trip/tower.jpg"]);
    for line in [
        "scan:      skipped",
        "dimensions: 64 × 48 px",
        "taken:     2026-11-22 12:00:00 (camera's clock)",
        "camera:    Ferry Test Cam",
        "location:  48.85820, -2.29450 (https://www.openstreetmap.org/?mlat=48.85820&mlon=-2.29450)",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    // By id, as JSON: the API's media object.
    let info: api::File = t.ok_json(&["info", &photo.id]);
    let media = info.media.expect("media in --json");
    assert_eq!((media.width, media.height), (Some(64), Some(48)));
    let gps = media.gps.expect("gps");
    assert!((gps.latitude - 48.8582).abs() < 1e-3, "{gps:?}");
    // A song: its tags and how long it plays (1.5 s of tone plus the encoder's padding).
    let text = t.ok(&["info", "trip/tone.mp3"]);
    for line in [
        "title:     Harbour Lights",
        "artist:    The Ferrymen",
        "album:     Crossings",
        "track:     7",
        "year:      2021",
        "duration:  1.",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    assert!(!text.contains("dimensions"), "{text}");
    // No media: no media lines, and no error.
    let text = t.ok(&["info", "trip/notes.txt"]);
    assert!(
        !text.contains("camera") && !text.contains("duration"),
        "{text}"
    );

    // Find by media (read above, or by the worker after upload).
    let names = |found: api::SearchResults| -> Vec<String> {
        found
            .items
            .into_iter()
            .filter_map(|i| i.file.map(|f| f.name))
            .collect()
    };
    let found: api::SearchResults = t.ok_json(&["find", "--has-location", "yes"]);
    assert_eq!(names(found), ["tower.jpg"]);
    let found: api::SearchResults = t.ok_json(&[
        "find",
        "--camera",
        "test cam",
        "--taken-after",
        "2026-11-01T00:00:00Z",
        "--min-width",
        "64",
    ]);
    assert_eq!(names(found), ["tower.jpg"]);
    let found: api::SearchResults = t.ok_json(&[
        "find",
        "--artist",
        "ferrymen",
        "--min-duration",
        "1",
        "--max-duration",
        "2m",
    ]);
    assert_eq!(names(found), ["tone.mp3"]);
    let found: api::SearchResults =
        t.ok_json(&["find", "--has-location", "no", "--mime", "image/*"]);
    assert!(names(found).is_empty());
    let text = t.ok(&["find", "--album", "crossings"]);
    assert!(text.contains("/trip/tone.mp3"), "{text}");
    // A bad value is refused before anything is asked.
    let out = t
        .ferry()
        .args(["find", "--has-location", "perhaps"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
