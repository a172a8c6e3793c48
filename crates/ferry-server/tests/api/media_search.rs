//! Searching by media metadata (`GET /search` with `taken_after`, `camera`, `has_location`,
//! `artist`, `min_duration`, `min_width`…): real JPEGs with EXIF and real audio files, read by
//! the worker after upload; combined with the other filters and paging; bad values; and the
//! location filter finding nothing the caller may not read.

use ferry_api as api;
use ferry_client::{Client, SearchQuery};

use crate::helpers::{TestApp, assert_field_error};
use crate::media::{fixture, wav};
use crate::on_both_backends;
use crate::sharing::share_accepted;
use crate::thumbnails::{Exif, jpeg_with, jpeg_with_exif};

on_both_backends!(
    media_filters_find_photos_and_audio,
    media_filters_combine_with_the_others_and_page,
    bad_media_filters_are_invalid_values,
    the_location_filter_finds_only_what_the_caller_may_read,
);

fn names(r: &api::SearchResults) -> Vec<String> {
    r.items
        .iter()
        .map(|i| match (&i.file, &i.folder) {
            (Some(f), _) => f.name.clone(),
            (_, Some(d)) => format!("{}/", d.name),
            _ => unreachable!(),
        })
        .collect()
}

async fn found(c: &Client, query: &SearchQuery) -> Vec<String> {
    names(&c.search(query, None, None).await.unwrap())
}

/// Alice's folder "trip": two photos (one with GPS), one with a camera clock never set, two
/// tagged songs, a text file and a folder named like a camera; the worker has read them all.
async fn trip(app: &TestApp) -> (Client, api::Folder) {
    let (_, alice) = app.user("alice", None).await;
    let trip = alice.create_folder("trip", 0).await.unwrap();
    let photos = [
        ("tower.jpg", jpeg_with_exif()),
        (
            "canon.jpg",
            jpeg_with(&Exif {
                make: "Canon",
                model: "Canon EOS R5",
                taken: "2025:06:01 08:30:00",
                gps: false,
                size: (300, 200),
            }),
        ),
        (
            "unset.jpg",
            jpeg_with(&Exif {
                make: "Nikon",
                model: "D750",
                taken: "0000:00:00 00:00:00",
                gps: false,
                size: (40, 30),
            }),
        ),
    ];
    for (name, bytes) in photos {
        alice.upload(&trip.id, name, bytes).await.unwrap();
    }
    let song = wav(
        2,
        &[
            (b"INAM", "Harbour"),
            (b"IART", "The Ferrymen"),
            (b"IPRD", "Crossings"),
        ],
    );
    alice.upload(&trip.id, "harbour.wav", song).await.unwrap();
    // 1.5 s, plus the encoder's padding; artist "The Ferrymen", album "Crossings".
    alice
        .upload(&trip.id, "tone.mp3", fixture("tone.mp3"))
        .await
        .unwrap();
    alice
        .upload(&trip.id, "notes.txt", b"Canon, Ferrymen".to_vec())
        .await
        .unwrap();
    alice.create_folder("Canon", 0).await.unwrap();
    app.run_jobs().await;
    (alice, trip)
}

fn q() -> SearchQuery {
    SearchQuery::default()
}

async fn media_filters_find_photos_and_audio(app: TestApp) {
    let (alice, _) = trip(&app).await;
    // The camera: part of the make or the model, or of both, without case; never a folder or a
    // text file that only names it.
    for (camera, want) in [
        ("canon", vec!["canon.jpg"]),
        ("EOS r5", vec!["canon.jpg"]),
        ("test cam", vec!["tower.jpg"]),
        ("ferry test", vec!["tower.jpg"]),
        ("leica", vec![]),
    ] {
        let query = SearchQuery {
            camera: Some(camera.into()),
            ..q()
        };
        assert_eq!(found(&alice, &query).await, want, "camera={camera}");
    }
    // The EXIF time (the camera's clock, compared as UTC); a zero date is no time at all.
    let taken = |after: Option<&str>, before: Option<&str>| SearchQuery {
        taken_after: after.map(str::to_string),
        taken_before: before.map(str::to_string),
        ..q()
    };
    assert_eq!(
        found(&alice, &taken(Some("2026-01-01T00:00:00Z"), None)).await,
        ["tower.jpg"]
    );
    assert_eq!(
        found(&alice, &taken(None, Some("2026-01-01T00:00:00Z"))).await,
        ["canon.jpg"]
    );
    assert_eq!(
        found(&alice, &taken(Some("2000-01-01T00:00:00Z"), None)).await,
        ["canon.jpg", "tower.jpg"]
    );
    // Offsets count: 13:00+02:00 is 11:00 UTC, before the tower's 12:00; 14:30+02:00 after.
    assert_eq!(
        found(&alice, &taken(Some("2026-11-22T13:00:00+02:00"), None)).await,
        ["tower.jpg"]
    );
    assert_eq!(
        found(&alice, &taken(Some("2026-11-22T14:30:00+02:00"), None)).await,
        Vec::<String>::new()
    );
    assert_eq!(
        found(
            &alice,
            &taken(Some("2025-06-01T08:00:00Z"), Some("2025-06-01T09:00:00Z"))
        )
        .await,
        ["canon.jpg"]
    );
    // The location: with one, and media without one (files without media are neither).
    let location = |has| SearchQuery {
        has_location: Some(has),
        ..q()
    };
    assert_eq!(found(&alice, &location(true)).await, ["tower.jpg"]);
    assert_eq!(
        found(&alice, &location(false)).await,
        ["canon.jpg", "harbour.wav", "tone.mp3", "unset.jpg"]
    );
    // Dimensions.
    let size = |w: Option<i64>, h: Option<i64>| SearchQuery {
        min_width: w,
        min_height: h,
        ..q()
    };
    assert_eq!(found(&alice, &size(Some(100), None)).await, ["canon.jpg"]);
    assert_eq!(found(&alice, &size(None, Some(200))).await, ["canon.jpg"]);
    assert_eq!(
        found(&alice, &size(Some(64), Some(48))).await,
        ["canon.jpg", "tower.jpg"]
    );
    assert_eq!(
        found(&alice, &size(Some(0), None)).await,
        ["canon.jpg", "tower.jpg", "unset.jpg"]
    );
    // Audio: artist and album by part, durations in seconds.
    let audio = |artist: Option<&str>, album: Option<&str>, min: Option<f64>, max: Option<f64>| {
        SearchQuery {
            artist: artist.map(str::to_string),
            album: album.map(str::to_string),
            min_duration: min,
            max_duration: max,
            ..q()
        }
    };
    assert_eq!(
        found(&alice, &audio(Some("FERRYMEN"), None, None, None)).await,
        ["harbour.wav", "tone.mp3"]
    );
    assert_eq!(
        found(&alice, &audio(None, Some("cross"), None, Some(1.9))).await,
        ["tone.mp3"]
    );
    assert_eq!(
        found(&alice, &audio(None, None, Some(2.0), None)).await,
        ["harbour.wav"]
    );
    assert_eq!(
        found(&alice, &audio(None, None, Some(1.0), Some(2.0))).await,
        ["harbour.wav", "tone.mp3"]
    );
    assert_eq!(
        found(&alice, &audio(Some("shanty"), None, None, None)).await,
        Vec::<String>::new()
    );
}

async fn media_filters_combine_with_the_others_and_page(app: TestApp) {
    let (alice, trip) = trip(&app).await;
    let elsewhere = alice.create_folder("elsewhere", 0).await.unwrap();
    alice
        .upload(&elsewhere.id, "copy of tower.jpg", jpeg_with_exif())
        .await
        .unwrap();
    app.run_jobs().await;
    let located = SearchQuery {
        has_location: Some(true),
        ..q()
    };
    // Identical content is found under each of its names.
    assert_eq!(
        found(&alice, &located).await,
        ["copy of tower.jpg", "tower.jpg"]
    );
    // With folder_id, q, mime, size and type.
    let inside = SearchQuery {
        folder_id: Some(trip.id.clone()),
        ..located.clone()
    };
    assert_eq!(found(&alice, &inside).await, ["tower.jpg"]);
    let text = SearchQuery {
        q: Some("copy".into()),
        ..located.clone()
    };
    assert_eq!(found(&alice, &text).await, ["copy of tower.jpg"]);
    let no_location = SearchQuery {
        has_location: Some(false),
        mime: Some("image/*".into()),
        ..q()
    };
    assert_eq!(
        found(&alice, &no_location).await,
        ["canon.jpg", "unset.jpg"]
    );
    let big = SearchQuery {
        artist: Some("ferrymen".into()),
        min_size: Some(20_000),
        ..q()
    };
    assert_eq!(found(&alice, &big).await, ["harbour.wav"]);
    let folders = SearchQuery {
        kind: Some("folder".into()),
        camera: Some("canon".into()),
        ..q()
    };
    assert_eq!(found(&alice, &folders).await, Vec::<String>::new());
    // Pages of one, in name order, no duplicates or gaps.
    let media = SearchQuery {
        has_location: Some(false),
        ..q()
    };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = alice
            .search(&media, Some(1), cursor.as_deref())
            .await
            .unwrap();
        assert!(page.items.len() <= 1);
        seen.extend(names(&page));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["canon.jpg", "harbour.wav", "tone.mp3", "unset.jpg"]);
}

async fn bad_media_filters_are_invalid_values(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let bad: [(&str, &str); 14] = [
        ("taken_after", "yesterday"),
        ("taken_before", "2026-13-01T00:00:00Z"),
        ("has_location", "maybe"),
        ("min_duration", "-1"),
        ("max_duration", "NaN"),
        ("max_duration", "ten"),
        ("min_width", "-5"),
        ("min_width", "1.5"),
        ("min_height", "tall"),
        ("min_height", "99999999999999999999"),
        ("camera", "   "),
        ("artist", ""),
        ("album", &"x".repeat(257)),
        ("camera", ""),
    ];
    for (field, value) in bad {
        let res = alice
            .request(reqwest::Method::GET, "/search")
            .query(&[(field, value)])
            .send()
            .await
            .unwrap();
        assert_field_error(
            crate::helpers::parse::<api::SearchResults>(res).await,
            400,
            "invalid_value",
            field,
        );
    }
    // A search with only a media filter is a search.
    let query = SearchQuery {
        min_width: Some(0),
        ..q()
    };
    assert!(
        alice
            .search(&query, None, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

async fn the_location_filter_finds_only_what_the_caller_may_read(app: TestApp) {
    let (alice, trip) = trip(&app).await;
    let (_, bob) = app.user("bob", None).await;
    let (_, uma) = app.user("uma", None).await;
    let (_, vic) = app.user("vic", None).await;
    let located = SearchQuery {
        has_location: Some(true),
        ..q()
    };
    // Someone with no share finds nothing, and may not even name the folder.
    assert!(found(&bob, &located).await.is_empty());
    let inside = SearchQuery {
        folder_id: Some(trip.id.clone()),
        ..located.clone()
    };
    assert_field_error_404(bob.search(&inside, None, None).await);
    // An uploader sees only what they added: not alice's photo, nor whether it has a place.
    share_accepted(&alice, &trip.id, &uma, "uma", "uploader").await;
    assert!(found(&uma, &located).await.is_empty());
    let uma_no_location = SearchQuery {
        has_location: Some(false),
        ..q()
    };
    assert!(found(&uma, &uma_no_location).await.is_empty());
    // A viewer may read the photo and its position anyway: found.
    share_accepted(&alice, &trip.id, &vic, "vic", "viewer").await;
    assert_eq!(found(&vic, &located).await, ["tower.jpg"]);
    // The same bytes in bob's own folder are bob's hit, alone.
    let own = bob.create_folder("mine", 0).await.unwrap();
    bob.upload(&own.id, "same.jpg", jpeg_with_exif())
        .await
        .unwrap();
    app.run_jobs().await;
    assert_eq!(found(&bob, &located).await, ["same.jpg"]);
}

fn assert_field_error_404<T: std::fmt::Debug>(result: Result<T, ferry_client::ClientError>) {
    crate::helpers::assert_api_error(result, 404, "not_found");
}
