//! `ferry admin backup` of a running server and `ferry admin restore` into a new data dir:
//! every file's content comes back with its SHA-256 and the audit chain verifies.

use sha2::{Digest, Sha256};

use crate::helpers::{ADMIN_PASSWORD, TestServer, stderr};

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `ferry admin backup DIR` of `t`'s data dir.
fn backup_of(t: &TestServer, dir: &std::path::Path) -> std::process::Output {
    t.ferry()
        .args(["admin", "backup"])
        .arg(dir)
        .arg("--data-dir")
        .arg(t.data_dir())
        .output()
        .unwrap()
}

#[test]
fn a_running_server_is_backed_up_and_restored_into_a_new_data_dir() {
    let t = TestServer::start();
    let top = t.folder("deliveries");
    let sub = t.subfolder(&top, "2026");
    let big: Vec<u8> = (0..3 * crate::helpers::MIB)
        .map(|i| (i % 251) as u8)
        .collect();
    let mut expected = Vec::new();
    for (folder, name, bytes) in [
        (&top, "a.txt", b"first file".to_vec()),
        (&top, "same.txt", b"first file".to_vec()), // the same content: one blob
        (&sub, "big.bin", big.clone()),
        (&sub, "empty", Vec::new()),
    ] {
        let file = t.put(folder, name, &bytes);
        expected.push((file.id, sha256(&bytes)));
    }
    // An older version must come back too.
    let versioned = t.put(&top, "v.txt", b"version one");
    t.rt.block_on(
        t.admin
            .put_content(&versioned.id, b"version two".to_vec(), None),
    )
    .expect("new version");
    expected.push((versioned.id.clone(), sha256(b"version two")));

    let backup = t.work.path().join("backup");
    let out = backup_of(&t, &backup);
    assert!(out.status.success(), "{}", stderr(&out));
    // Changes after the snapshot are not in it.
    let later = t.put(&top, "later.txt", b"after the backup");

    // A second backup into the same (now full) directory is refused.
    let out = backup_of(&t, &backup);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("(not_empty)"), "{}", stderr(&out));

    let target = tempfile::tempdir().unwrap();
    let data = target.path().join("restored");
    let backup_db = std::fs::read(backup.join("ferry.db")).unwrap();
    let out = t
        .ferry()
        .args(["admin", "restore"])
        .arg(&backup)
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // The backup is read, never opened in place: byte for byte what it was, no journal beside.
    assert!(
        std::fs::read(backup.join("ferry.db")).unwrap() == backup_db,
        "restore changed the backup's database"
    );
    assert!(!backup.join("ferry.db-wal").exists());

    // A server on the restored data dir.
    let mut config = ferry_server::Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.storage.data_dir = data.clone();
    config.server.shutdown_grace_secs = 0;
    let server =
        t.rt.block_on(ferry_server::Server::start(config))
            .expect("a server starts on the restored data");
    let url = format!("http://{}", server.addr());
    let client = ferry_client::Client::new(&url);
    let session =
        t.rt.block_on(client.login("admin", ADMIN_PASSWORD))
            .expect("the restored admin logs in");
    let admin = client.with_token(session.access_token);
    for (id, sha) in &expected {
        let file = t.rt.block_on(admin.get_file(id)).expect("restored file");
        assert_eq!(&file.checksum_sha256, sha);
        let download = t.rt.block_on(admin.download(id, &[])).unwrap();
        assert_eq!(download.status, 200, "{id}");
        assert_eq!(&sha256(&download.body), sha, "{id}");
    }
    let versions =
        t.rt.block_on(admin.versions(&versioned.id, None, None))
            .expect("versions");
    assert_eq!(versions.versions.len(), 2);
    let old = t.rt.block_on(async {
        let res = admin.version_content(&versioned.id, 1, &[]).await.unwrap();
        res.bytes().await.unwrap()
    });
    assert_eq!(&old[..], b"version one");
    let gone = t.rt.block_on(admin.get_file(&later.id));
    assert!(
        gone.is_err(),
        "a file made after the backup is not restored"
    );
    let audit = t.rt.block_on(admin.audit_verify()).expect("audit verify");
    assert!(audit.ok, "{audit:?}");
    assert!(audit.checked > 5, "{audit:?}");
    t.rt.block_on(server.shutdown()).unwrap();

    // Restoring over a data dir in use is refused.
    let out = t
        .ferry()
        .args(["admin", "restore"])
        .arg(&backup)
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("(not_empty)"), "{}", stderr(&out));
}

/// A backup opens the database as it is: one at another schema version than this binary's (a
/// newer `ferry` beside an older server) is refused, and not migrated under that server.
#[test]
fn a_backup_never_migrates_the_database() {
    let t = TestServer::start();
    let url = ferry_store::Store::sqlite_url_in(t.data_dir());
    // What an older Ferry's database looks like to this one: its last migration not applied.
    let last: i64 = t.rt.block_on(async {
        let pool = sqlx::sqlite::SqlitePool::connect(&url).await.unwrap();
        let last: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await
            .unwrap();
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
            .bind(last)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        last
    });
    let backup = t.work.path().join("backup");
    let out = backup_of(&t, &backup);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("this Ferry's is {last}")) && err.contains("never migrates"),
        "{err}"
    );
    assert!(!backup.join("ferry.db").exists());
    let applied: i64 = t.rt.block_on(async {
        let pool = sqlx::sqlite::SqlitePool::connect(&url).await.unwrap();
        let n = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE version = $1")
            .bind(last)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        n
    });
    assert_eq!(applied, 0, "the backup migrated the server's database");
}

#[test]
fn a_corrupt_blob_fails_the_backup_and_postgres_is_sent_to_pg_dump() {
    // The blob is damaged on disk, so it must be there, not in the database.
    let t = TestServer::start_with(|c| c.storage.inline_max_bytes = 0);
    let folder = t.folder("f");
    let bytes = b"will be damaged on disk";
    t.put(&folder, "x.txt", bytes);
    let key = sha256(bytes);
    let path = t
        .data_dir()
        .join("blobs")
        .join(&key[..2])
        .join(&key[2..4])
        .join(&key);
    std::fs::write(&path, b"will be DAMAGED on disk").unwrap();
    let out = backup_of(&t, &t.work.path().join("b"));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("(blob_corrupt)"), "{}", stderr(&out));

    let out = t
        .ferry()
        .args(["admin", "backup"])
        .arg(t.work.path().join("c"))
        .env("FERRY_DATABASE__URL", "postgres://nobody@127.0.0.1:9/none")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("(unsupported_backend)") && err.contains("pg_dump"),
        "{err}"
    );
}

/// `ferry admin fsck` finds a damaged blob, a missing one and an orphan, audits the first two
/// as `blob.corrupt`, and exits 1; on a sound store it exits 0.
#[test]
fn fsck_finds_damage_missing_blobs_and_orphans() {
    // Blobs are damaged and removed on disk, so they must be there, not in the database.
    let t = TestServer::start_with(|c| c.storage.inline_max_bytes = 0);
    let folder = t.folder("f");
    let fsck = || {
        t.ferry()
            .args(["admin", "fsck", "--data-dir"])
            .arg(t.data_dir())
            .output()
            .unwrap()
    };
    for (name, bytes) in [
        ("good.txt", &b"stays good"[..]),
        ("rot.txt", b"bits will rot"),
        ("gone.txt", b"will vanish"),
    ] {
        t.put(&folder, name, bytes);
    }
    let out = fsck();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Checked 3 blob(s)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let blob = |bytes: &[u8]| {
        let key = sha256(bytes);
        t.data_dir()
            .join("blobs")
            .join(&key[..2])
            .join(&key[2..4])
            .join(&key)
    };
    std::fs::write(blob(b"bits will rot"), b"bits will ROT").unwrap();
    std::fs::remove_file(blob(b"will vanish")).unwrap();
    let orphan = blob(b"nobody refers to me");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"nobody refers to me").unwrap();
    std::fs::create_dir_all(t.data_dir().join("blobs/zz")).unwrap();
    std::fs::write(t.data_dir().join("blobs/zz/not-a-blob"), b"?").unwrap();

    let out = fsck();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.contains(&format!(
            "damaged {}: its content hashes to {}",
            sha256(b"bits will rot"),
            sha256(b"bits will ROT")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("missing {}", sha256(b"will vanish"))),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "orphan {}: no row refers to it",
            sha256(b"nobody refers to me")
        )),
        "{text}"
    );
    // A file that cannot be a blob where it lies is listed by its path.
    assert!(
        text.contains("orphan blobs/zz/not-a-blob: no row refers to it"),
        "{text}"
    );
    assert!(text.contains("2 orphan(s)"), "{text}");
    assert!(!text.contains(&sha256(b"stays good")), "{text}");
    assert!(stderr(&out).contains("(fsck_problems)"), "{}", stderr(&out));

    // Both problems are in the audit log, for admins.
    let events =
        t.rt.block_on(t.admin.audit_events(&[("action", "blob.corrupt")]))
            .expect("audit");
    let mut found: Vec<(String, String)> = events
        .events
        .iter()
        .map(|e| {
            (
                e.target.id.clone(),
                e.details["problem"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    found.sort();
    let mut expected = vec![
        (sha256(b"bits will rot"), "mismatch".to_string()),
        (sha256(b"will vanish"), "missing".to_string()),
    ];
    expected.sort();
    assert_eq!(found, expected);
}

/// On S3 too, `ferry admin fsck` lists objects no row refers to (exit 1), and not the
/// thumbnails and files that have rows; a clean bucket exits 0.
#[test]
fn fsck_lists_orphans_on_s3() {
    let Some(s3) = ferry_blob::testing::S3Server::start() else {
        return;
    };
    let options = s3.options();
    let t = TestServer::start_with(|c| {
        c.storage.backend = ferry_app::config::StorageBackend::S3;
        c.storage.s3 = ferry_app::config::S3Config {
            bucket: options.bucket.clone(),
            endpoint: options.endpoint.clone(),
            region: options.region.clone(),
            allow_http: true,
            access_key_id: options.access_key_id.clone(),
            secret_access_key: options.secret_access_key.clone(),
            ..Default::default()
        };
    });
    let fsck = || {
        t.ferry()
            .args(["admin", "fsck", "--data-dir"])
            .arg(t.data_dir())
            .env("FERRY_STORAGE__BACKEND", "s3")
            .env("FERRY_STORAGE__S3__BUCKET", &s3.bucket)
            .env("FERRY_STORAGE__S3__ENDPOINT", &s3.endpoint)
            .env("FERRY_STORAGE__S3__REGION", "us-east-1")
            .env("FERRY_STORAGE__S3__ALLOW_HTTP", "true")
            .env("FERRY_STORAGE__S3__ACCESS_KEY_ID", &s3.access_key)
            .env("FERRY_STORAGE__S3__SECRET_ACCESS_KEY", &s3.secret_key)
            .output()
            .unwrap()
    };
    let folder = t.folder("f");
    t.put(&folder, "small.txt", b"a small file");
    let big: Vec<u8> = (0..9 * crate::helpers::MIB)
        .map(|i| (i % 241) as u8)
        .collect();
    t.put(&folder, "big.bin", &big);
    let out = fsck();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.contains("Checked 2 blob(s)"), "{text}");
    assert!(text.contains("0 orphan(s)"), "{text}");

    // An object nobody refers to, written the way the store writes blobs.
    let key = t.rt.block_on(async {
        use ferry_blob::BlobStore;
        let store = ferry_blob::S3BlobStore::new(&s3.options()).unwrap();
        let body: ferry_blob::ByteStream<'static> = Box::pin(futures::stream::iter(vec![Ok(
            bytes::Bytes::from_static(b"nobody refers to me"),
        )]));
        let staged = store.stage(body, 1 << 20).await.unwrap();
        let key = staged.key.clone();
        store.publish(staged).await.unwrap();
        key
    });
    let out = fsck();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.contains(&format!("orphan {key}: no row refers to it")),
        "{text}"
    );
    assert!(text.contains("1 orphan(s)"), "{text}");
    assert!(stderr(&out).contains("(fsck_problems)"), "{}", stderr(&out));
}
