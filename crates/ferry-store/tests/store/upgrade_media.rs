//! Schema 42 → 44: media metadata read before migration 0044 (JSON only) gets its searchable
//! columns from that JSON, so old photos and songs are found by the media filters at once.

use ferry_core::Role;
use ferry_store::Store;
use ferry_store::renditions::MediaKeys;
use ferry_store::search::{MediaFilter, Query};
use ferry_store::testdb::TestSchema;
use ferry_store::users::NewUser;
use sqlx::Connection;

use crate::upgrade::migrate_up_to;

/// Files with media read before the upgrade: `(file id, JSON as the worker wrote it)`.
const OLD_MEDIA: [(&str, &str); 5] = [
    (
        "fil_tower",
        r#"{"width":64,"height":48,"taken_at":"2026:11:22 12:00:00","camera_make":"Ferry","camera_model":"Test Cam","gps":[48.8582,-2.2945]}"#,
    ),
    (
        "fil_unset",
        r#"{"width":40,"height":30,"taken_at":"0000:00:00 00:00:00","camera_model":"D750"}"#,
    ),
    (
        "fil_song",
        r#"{"title":"Harbour","artist":"The Ferrymen","album":"Crossings","track":3,"year":2024,"duration_ms":2000}"#,
    ),
    ("fil_empty", "{}"),
    (
        "fil_odd",
        r#"{"taken_at":"2026:13:40 99:00:00","camera_make":"Ricoh"}"#,
    ),
];

async fn media_search_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 42).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_owner",
                login: "owner",
                name: "Owner",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, name_key, retention_days, visibility, \
             created_at, updated_at) VALUES ('fld_trip', 'usr_owner', 'Trip', 'trip', 0, \
             'private', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        for (i, (id, json)) in OLD_MEDIA.iter().enumerate() {
            let sha = format!("{i:064}");
            ferry_store::files::reference_blob(&mut conn, &sha, 1000, 1)
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO files (id, folder_id, owner_id, name, name_key, size, sha256, \
                 mime_type, version, state, created_at, updated_at) VALUES ($1, 'fld_trip', \
                 'usr_owner', $2, $2, 1000, $3, 'image/jpeg', 1, 'active', 1, 1)",
            )
            .bind(*id)
            .bind(format!("{id}.jpg"))
            .bind(&sha)
            .execute(&mut conn)
            .await
            .unwrap();
            sqlx::query("INSERT INTO blob_media (sha256, media, created_at) VALUES ($1, $2, 5)")
                .bind(&sha)
                .bind(*json)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let keys = |i: usize| format!("{i:064}");
    let tower = ferry_store::renditions::media_keys(&mut c, &keys(0))
        .await
        .unwrap()
        .expect("the row survived");
    assert_eq!(
        tower,
        MediaKeys {
            width: Some(64),
            height: Some(48),
            taken_at: Some("2026-11-22T12:00:00".into()),
            camera: Some("ferry test cam".into()),
            has_location: true,
            ..Default::default()
        }
    );
    let unset = ferry_store::renditions::media_keys(&mut c, &keys(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (unset.taken_at, unset.camera.as_deref(), unset.has_location),
        (None, Some("d750"), false)
    );
    let song = ferry_store::renditions::media_keys(&mut c, &keys(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        song,
        MediaKeys {
            artist: Some("the ferrymen".into()),
            album: Some("crossings".into()),
            duration_ms: Some(2000),
            ..Default::default()
        }
    );
    assert_eq!(
        ferry_store::renditions::media_keys(&mut c, &keys(3))
            .await
            .unwrap(),
        Some(MediaKeys::default())
    );
    let odd = ferry_store::renditions::media_keys(&mut c, &keys(4))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((odd.taken_at, odd.camera.as_deref()), (None, Some("ricoh")));
    // The JSON itself is untouched.
    assert_eq!(
        ferry_store::renditions::media(&mut c, &keys(2))
            .await
            .unwrap()
            .as_deref(),
        Some(OLD_MEDIA[2].1)
    );
    // Search finds the old rows by their new columns.
    let search = |media: MediaFilter| Query {
        owner_id: Some("usr_owner".into()),
        now: 10,
        media,
        ..Default::default()
    };
    let ids = |hits: Vec<ferry_store::search::Hit>| {
        hits.into_iter().map(|h| h.id).collect::<Vec<String>>()
    };
    let cases = [
        (
            MediaFilter {
                has_location: Some(true),
                ..Default::default()
            },
            vec!["fil_tower"],
        ),
        (
            MediaFilter {
                camera: Some("test".into()),
                ..Default::default()
            },
            vec!["fil_tower"],
        ),
        (
            MediaFilter {
                taken_after: Some("2026-01-01T00:00:00".into()),
                ..Default::default()
            },
            vec!["fil_tower"],
        ),
        (
            MediaFilter {
                artist: Some("ferry".into()),
                min_duration_ms: Some(1500),
                ..Default::default()
            },
            vec!["fil_song"],
        ),
        (
            MediaFilter {
                min_width: Some(40),
                ..Default::default()
            },
            vec!["fil_tower", "fil_unset"],
        ),
    ];
    for (filter, want) in cases {
        let hits = ferry_store::search::search(&mut c, &search(filter.clone()), None, 10)
            .await
            .unwrap();
        assert_eq!(ids(hits), want, "{filter:?}");
    }
    // New rows write their columns with the JSON.
    ferry_store::files::reference_blob(&mut c, &keys(9), 10, 6)
        .await
        .unwrap();
    let fresh = MediaKeys {
        width: Some(10),
        has_location: true,
        ..Default::default()
    };
    ferry_store::renditions::put_media(&mut c, &keys(9), "{}", &fresh, 7)
        .await
        .unwrap();
    assert_eq!(
        ferry_store::renditions::media_keys(&mut c, &keys(9))
            .await
            .unwrap(),
        Some(fresh)
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_42_upgrades_to_media_search_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    media_search_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_42_upgrades_to_media_search_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    media_search_upgrade(schema.url(), "postgres").await;
}
