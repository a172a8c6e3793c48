//! One behavioural suite for every blob store: local disk always, and S3 against a real
//! s3s-fs (started here; it checks request signatures). Without an s3s-fs binary the S3 half
//! says it skipped; CI sets `FERRY_TEST_S3_BIN`, so there it never skips. S3 runs twice,
//! with signed request bodies and with `UNSIGNED-PAYLOAD` (`storage.s3.sign_payload`).

use std::sync::Arc;

use bytes::Bytes;
use ferry_blob::testing::S3Server;
use ferry_blob::{
    BlobError, BlobStore, ByteStream, LocalBlobStore, MultipartUpload, S3BlobStore, Session,
    SignPayload, UploadLedger, WholeHash,
};
use futures::TryStreamExt;
use sha2::{Digest, Sha256};

const MIB: usize = 1 << 20;

/// A store under test, with what keeps it alive.
struct Backend {
    name: &'static str,
    store: Arc<dyn BlobStore>,
    s3: Option<S3Server>,
    sign_payload: SignPayload,
    _dir: Option<tempfile::TempDir>,
}

impl Backend {
    /// A second client of the same storage: another node.
    fn other_node(&self) -> Arc<dyn BlobStore> {
        match &self.s3 {
            Some(s3) => Arc::new(S3BlobStore::new(&self.options(s3)).unwrap()),
            None => self.store.clone(),
        }
    }

    fn options(&self, s3: &S3Server) -> ferry_blob::S3Options {
        ferry_blob::S3Options {
            sign_payload: self.sign_payload,
            ..s3.options()
        }
    }

    fn assert_no_leftovers(&self) {
        if let Some(s3) = &self.s3 {
            assert_eq!(s3.leftovers(), Vec::<String>::new(), "{}", self.name);
        }
    }
}

async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let local = LocalBlobStore::open(dir.path()).await.unwrap();
    let mut out = vec![Backend {
        name: "local",
        store: Arc::new(local),
        s3: None,
        sign_payload: SignPayload::Auto,
        _dir: Some(dir),
    }];
    for (name, sign_payload) in [
        ("s3 signed", SignPayload::Always),
        ("s3 unsigned", SignPayload::Never),
    ] {
        let Some(s3) = S3Server::start() else { break };
        let options = ferry_blob::S3Options {
            sign_payload,
            ..s3.options()
        };
        let store = S3BlobStore::new(&options).unwrap();
        assert_eq!(store.signs_payload(), sign_payload == SignPayload::Always);
        store.check().await.unwrap();
        out.push(Backend {
            name,
            store: Arc::new(store),
            s3: Some(s3),
            sign_payload,
            _dir: None,
        });
    }
    out
}

/// Deterministic bytes that differ at every offset.
fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed)
        .collect()
}

/// `bytes` as a body of chunks of `chunk` bytes.
fn body(bytes: &[u8], chunk: usize) -> ByteStream<'static> {
    let chunks: Vec<Result<Bytes, ferry_blob::BoxError>> = bytes
        .chunks(chunk.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(futures::stream::iter(chunks))
}

async fn collect(stream: ByteStream<'static>) -> Vec<u8> {
    stream
        .try_fold(Vec::new(), |mut acc, c| async move {
            acc.extend_from_slice(&c);
            Ok(acc)
        })
        .await
        .unwrap()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_blobs_publish_and_read_by_range() {
    for b in backends().await {
        for len in [0, 11, 9 * MIB + 7] {
            let content = data(len, 1);
            let staged = b
                .store
                .stage(body(&content, 64 << 10), 1 << 30)
                .await
                .unwrap();
            assert_eq!(
                (staged.sha256.clone(), staged.size),
                (sha(&content), len as u64)
            );
            assert_eq!(staged.crc32, crc32fast::hash(&content), "{}", b.name);
            let key = staged.key.clone();
            b.store.publish(staged).await.unwrap();
            let all = collect(b.store.read(&key, 0, len as u64).await.unwrap()).await;
            assert!(all == content, "{} {len}", b.name);
            if len > 10 {
                let part = collect(b.store.read(&key, 5, 6).await.unwrap()).await;
                assert_eq!(part, content[5..11], "{}", b.name);
            }
            b.store.remove(&key).await.unwrap();
            b.store.remove(&key).await.unwrap();
            assert!(
                matches!(b.store.read(&key, 0, 1).await, Err(BlobError::NotFound)),
                "{}",
                b.name
            );
        }
        b.assert_no_leftovers();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_staging_keeps_nothing() {
    for b in backends().await {
        let err = b
            .store
            .stage(body(&data(9 * MIB, 2), MIB), 8 * MIB as u64 + 1)
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::TooLarge { .. }), "{}", b.name);
        let failing: ByteStream<'static> = Box::pin(futures::stream::iter(vec![
            Ok(Bytes::from(data(9 * MIB, 3))),
            Err("client went away".into()),
        ]));
        assert!(
            matches!(
                b.store.stage(failing, 1 << 30).await,
                Err(BlobError::Body(_))
            ),
            "{}",
            b.name
        );
        // The abort of a multipart upload runs in the background.
        for _ in 0..100 {
            if b.s3.as_ref().is_none_or(|s| s.leftovers().is_empty()) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        b.assert_no_leftovers();
        if let Some(s3) = &b.s3 {
            assert_eq!(s3.objects("blobs"), Vec::<String>::new());
        }
    }
}

fn native<'a>(id: &'a str, size: usize, part_size: usize, handle: Option<&'a str>) -> Session<'a> {
    Session {
        id,
        size: size as u64,
        part_size: part_size as u64,
        sequential: false,
        handle,
    }
}

/// Parts sent out of order, one of them twice, half of them through another node; the
/// receipts alone (as the database keeps them) compose the file.
async fn parts_compose(b: &Backend, id: &str, size: usize, part_size: usize) {
    let content = data(size, 4);
    let s = native(id, size, part_size, None);
    let handle = b.store.session_create(&s).await.unwrap();
    let s = native(id, size, part_size, handle.as_deref());
    let count = size.div_ceil(part_size).max(1);
    let mut receipts = vec![None; count];
    let other = b.other_node();
    let mut order: Vec<usize> = (0..count).rev().collect();
    order.push(0);
    for (i, n) in order.into_iter().enumerate() {
        let start = n * part_size;
        let end = (start + part_size).min(size);
        let node = if i % 2 == 0 { &b.store } else { &other };
        let mut seen = 0usize;
        // A first attempt with wrong bytes, overwritten by the right ones.
        if i == 0 {
            let wrong = vec![0u8; end - start];
            node.session_append(
                &s,
                start as u64,
                (end - start) as u64,
                body(&wrong, MIB),
                &mut |_| {},
            )
            .await
            .unwrap();
        }
        let appended = node
            .session_append(
                &s,
                start as u64,
                (end - start) as u64,
                body(&content[start..end], 300 << 10),
                &mut |c| seen += c.len(),
            )
            .await
            .unwrap();
        assert_eq!(
            (appended.written as usize, seen),
            (end - start, end - start)
        );
        assert!(!appended.interrupted);
        receipts[n] = appended.receipt;
    }
    b.store.session_seal(&s, &receipts).await.unwrap();
    // Sealing again (a retry) is harmless.
    other.session_seal(&s, &receipts).await.unwrap();
    let hashed = b
        .store
        .session_hash(&s, 0, size as u64, WholeHash::new())
        .await
        .unwrap();
    assert_eq!(hashed.crc32(), Some(crc32fast::hash(&content)));
    let digest = hex::encode(hashed.finalize());
    assert_eq!(digest, sha(&content), "{} {size}", b.name);
    b.store.session_publish(&s, &digest).await.unwrap();
    let key = b.store.session_key(id, &digest);
    let back = collect(b.store.read(&key, 0, size as u64).await.unwrap()).await;
    assert!(back == content, "{} {size}", b.name);
    if size > part_size {
        let from = part_size as u64 - 3;
        let across = collect(b.store.read(&key, from, 6).await.unwrap()).await;
        assert_eq!(across, content[from as usize..from as usize + 6]);
    }
    b.store.remove(&key).await.unwrap();
    b.assert_no_leftovers();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_parts_in_any_order_through_any_node() {
    for b in backends().await {
        // Three 5 MiB parts (one S3 part each), the last one short.
        parts_compose(&b, "upl_a", 10 * MIB + 3, 5 * MIB).await;
        // 16 MiB parts: each is two S3 parts.
        parts_compose(&b, "upl_b", 40 * MIB + 5, 16 * MIB).await;
        // One small part, and nothing at all.
        parts_compose(&b, "upl_c", 1000, 64 * MIB).await;
        parts_compose(&b, "upl_d", 0, 64 * MIB).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_cut_short_or_too_long_does_not_count() {
    for b in backends().await {
        let (size, part) = (12 * MIB, 6 * MIB);
        let s = native("upl_cut", size, part, None);
        let handle = b.store.session_create(&s).await.unwrap();
        let s = native("upl_cut", size, part, handle.as_deref());
        let content = data(part, 5);
        let cut: ByteStream<'static> = Box::pin(futures::stream::iter(vec![
            Ok(Bytes::copy_from_slice(&content[..MIB])),
            Err("gone".into()),
        ]));
        let a = b
            .store
            .session_append(&s, 0, part as u64, cut, &mut |_| {})
            .await
            .unwrap();
        assert!(a.interrupted && a.written == MIB as u64, "{}", b.name);
        let too_long = data(part + 1, 5);
        let err = b
            .store
            .session_append(&s, 0, part as u64, body(&too_long, MIB), &mut |_| {})
            .await
            .unwrap_err();
        assert!(
            matches!(err, BlobError::LengthMismatch { .. }),
            "{}",
            b.name
        );
        b.store.session_delete(&s).await.unwrap();
        b.assert_no_leftovers();
    }
}

fn tus<'a>(id: &'a str, size: usize, handle: Option<&'a str>) -> Session<'a> {
    Session {
        id,
        size: size as u64,
        part_size: size.max(1) as u64,
        sequential: true,
        handle,
    }
}

/// tus chunks of any size, front to back, alternating nodes, one cut short; the handle each
/// append returns is what the next one is given (as the database keeps it).
async fn chunks_compose(b: &Backend, id: &str, chunks: &[usize]) {
    let size: usize = chunks.iter().sum();
    let content = data(size, 6);
    let created = b.store.session_create(&tus(id, size, None)).await.unwrap();
    let mut handle = created;
    let other = b.other_node();
    let mut offset = 0usize;
    let mut whole = WholeHash::new();
    for (i, len) in chunks.iter().enumerate() {
        let node = if i % 2 == 0 { &b.store } else { &other };
        let s = tus(id, size, handle.as_deref());
        let piece = &content[offset..offset + len];
        let appended = if i == 2 && *len > 1 {
            // Cut short: what arrived counts, the rest comes with the next request.
            let half = len / 2;
            let cut: ByteStream<'static> = Box::pin(futures::stream::iter(vec![
                Ok(Bytes::copy_from_slice(&piece[..half])),
                Err("gone".into()),
            ]));
            let a = node
                .session_append(&s, offset as u64, (size - offset) as u64, cut, &mut |c| {
                    whole.update(c)
                })
                .await
                .unwrap();
            assert!(a.interrupted && a.written == half as u64, "{}", b.name);
            if a.receipt.is_some() {
                handle = a.receipt;
            }
            let s = tus(id, size, handle.as_deref());
            node.session_append(
                &s,
                (offset + half) as u64,
                (size - offset - half) as u64,
                body(&piece[half..], 100 << 10),
                &mut |c| whole.update(c),
            )
            .await
            .unwrap()
        } else {
            node.session_append(
                &s,
                offset as u64,
                (size - offset) as u64,
                body(piece, 100 << 10),
                &mut |c| whole.update(c),
            )
            .await
            .unwrap()
        };
        if appended.receipt.is_some() {
            handle = appended.receipt;
        }
        offset += len;
    }
    let s = tus(id, size, handle.as_deref());
    other.session_seal(&s, &[]).await.unwrap();
    b.store.session_seal(&s, &[]).await.unwrap();
    assert_eq!(hex::encode(whole.finalize()), sha(&content));
    let back = collect(b.store.session_read(&s, 0, size as u64).await.unwrap()).await;
    assert!(back == content, "{} {chunks:?}", b.name);
    let digest = sha(&content);
    b.store.session_publish(&s, &digest).await.unwrap();
    let key = b.store.session_key(id, &digest);
    let back = collect(b.store.read(&key, 0, size as u64).await.unwrap()).await;
    assert!(back == content, "{} {chunks:?}", b.name);
    b.store.remove(&key).await.unwrap();
    b.assert_no_leftovers();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_chunks_of_any_size_through_any_node() {
    for b in backends().await {
        chunks_compose(
            &b,
            "upl_t1",
            &[1, 100 << 10, 3 * MIB, 9 * MIB, 1, 5 * MIB, 7],
        )
        .await;
        chunks_compose(&b, "upl_t2", &[100, 200, 300]).await;
        chunks_compose(&b, "upl_t3", &[20 * MIB]).await;
        chunks_compose(&b, "upl_t4", &[]).await;
    }
}

/// Deleting a session part way leaves nothing behind: no multipart upload, no temporary
/// object, no data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_session_leaves_nothing() {
    for b in backends().await {
        let size = 30 * MIB;
        let created = b
            .store
            .session_create(&tus("upl_x", size, None))
            .await
            .unwrap();
        let s = tus("upl_x", size, created.as_deref());
        let a = b
            .store
            .session_append(
                &s,
                0,
                size as u64,
                body(&data(9 * MIB, 7), MIB),
                &mut |_| {},
            )
            .await
            .unwrap();
        let handle = a.receipt.clone();
        let s = tus("upl_x", size, handle.as_deref());
        b.store.session_delete(&s).await.unwrap();
        b.assert_no_leftovers();

        let n = native("upl_y", 10 * MIB, 5 * MIB, None);
        let created = b.store.session_create(&n).await.unwrap();
        let n = native("upl_y", 10 * MIB, 5 * MIB, created.as_deref());
        b.store
            .session_append(
                &n,
                0,
                5 * MIB as u64,
                body(&data(5 * MIB, 8), MIB),
                &mut |_| {},
            )
            .await
            .unwrap();
        b.store.session_delete(&n).await.unwrap();
        // Deleting twice, or by id alone, is not an error.
        b.store.session_delete(&n).await.unwrap();
        b.store
            .session_delete(&Session::by_id("upl_y"))
            .await
            .unwrap();
        b.assert_no_leftovers();
        if let Some(s3) = &b.s3 {
            assert_eq!(s3.objects(""), Vec::<String>::new());
        }
    }
}

/// On S3, unsealed data cannot be read back; the caller hashes it after sealing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsealed_data_is_readable_where_the_store_allows() {
    for b in backends().await {
        let n = native("upl_u", 5 * MIB, 5 * MIB, None);
        let created = b.store.session_create(&n).await.unwrap();
        let n = native("upl_u", 5 * MIB, 5 * MIB, created.as_deref());
        let content = data(5 * MIB, 9);
        let a = b
            .store
            .session_append(
                &n,
                0,
                content.len() as u64,
                body(&content, MIB),
                &mut |_| {},
            )
            .await
            .unwrap();
        let hashed = b.store.session_hash(&n, 0, 10, WholeHash::new()).await;
        match b.s3 {
            Some(_) => assert!(matches!(hashed, Err(BlobError::Unsealed)), "{}", b.name),
            None => assert!(hashed.is_ok()),
        }
        b.store.session_seal(&n, &[a.receipt]).await.unwrap();
        let hashed = b
            .store
            .session_hash(&n, 0, content.len() as u64, WholeHash::new())
            .await
            .unwrap();
        assert_eq!(hex::encode(hashed.finalize()), sha(&content));
        b.store.session_delete(&n).await.unwrap();
        b.assert_no_leftovers();
    }
}

/// s3s-fs checks signatures: a wrong secret is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused() {
    let Some(s3) = S3Server::start() else { return };
    let mut options = s3.options();
    options.secret_access_key = Some("not-the-secret".into());
    let store = S3BlobStore::new(&options).unwrap();
    assert!(store.check().await.is_err());
    let err = store.stage(body(b"x", 1), 10).await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("Signature") || message.contains("403"),
        "{message}"
    );
}

/// What a client sent through [`recording_proxy`]: every byte, in order per connection.
type Recorded = Arc<std::sync::Mutex<Vec<u8>>>;

/// A TCP proxy in front of `upstream` (`host:port`) that keeps a copy of every byte sent to
/// it: the requests exactly as they went over the socket. Returns its `http://` endpoint.
async fn recording_proxy(upstream: String) -> (String, Recorded) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let recorded = Recorded::default();
    let sink = recorded.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect(&upstream).await.unwrap();
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            let sink = sink.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 << 10];
                loop {
                    let n = match client_read.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    sink.lock().unwrap().extend_from_slice(&buf[..n]);
                    if server_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                let _ = server_write.shutdown().await;
            });
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
            });
        }
    });
    (endpoint, recorded)
}

/// The `x-amz-content-sha256` values of every request recorded.
fn content_sha256_headers(recorded: &Recorded) -> Vec<String> {
    let bytes = recorded.lock().unwrap().to_ascii_lowercase();
    let needle = b"\r\nx-amz-content-sha256: ";
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = bytes[at..]
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
    {
        let start = at + i + needle.len();
        let end = start + bytes[start..].iter().position(|&b| b == b'\r').unwrap();
        out.push(String::from_utf8_lossy(&bytes[start..end]).into_owned());
        at = end;
    }
    out
}

/// `storage.s3.sign_payload` reaches the wire: signed bodies carry their SHA-256 in
/// `x-amz-content-sha256` (and s3s-fs verifies it), unsigned ones say `UNSIGNED-PAYLOAD`;
/// `auto` signs over this `http://` endpoint. Every way, a multipart blob round-trips.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payloads_are_signed_as_configured_and_round_trip_either_way() {
    let Some(s3) = S3Server::start() else { return };
    let upstream = s3.endpoint.trim_start_matches("http://").to_string();
    let content = data(9 * MIB + 7, 11);
    let first_part = sha(&content[..ferry_blob::s3::TARGET_PART as usize]);
    for (sign_payload, signed) in [
        (SignPayload::Always, true),
        (SignPayload::Never, false),
        (SignPayload::Auto, true),
    ] {
        let (endpoint, recorded) = recording_proxy(upstream.clone()).await;
        let options = ferry_blob::S3Options {
            endpoint: Some(endpoint),
            sign_payload,
            ..s3.options()
        };
        let store = S3BlobStore::new(&options).unwrap();
        assert_eq!(store.signs_payload(), signed, "{sign_payload:?}");
        let staged = store
            .stage(body(&content, 64 << 10), 1 << 30)
            .await
            .unwrap();
        assert_eq!(staged.sha256, sha(&content));
        let key = staged.key.clone();
        store.publish(staged).await.unwrap();
        let back = collect(store.read(&key, 0, content.len() as u64).await.unwrap()).await;
        assert!(back == content, "{sign_payload:?}");
        store.remove(&key).await.unwrap();

        let headers = content_sha256_headers(&recorded);
        assert!(headers.len() >= 4, "{sign_payload:?}: {headers:?}");
        let unsigned = headers.iter().filter(|h| *h == "unsigned-payload").count();
        if signed {
            assert_eq!(unsigned, 0, "{sign_payload:?}: {headers:?}");
            assert!(
                headers.contains(&first_part),
                "{sign_payload:?}: {headers:?}"
            );
        } else {
            assert_eq!(unsigned, headers.len(), "{sign_payload:?}: {headers:?}");
        }
    }
    assert_eq!(s3.leftovers(), Vec::<String>::new());
}

/// Every blob is listed by the key `read` takes, and nothing else: not staging, not session
/// data (local disk: a stray file is listed by its path, which no key equals).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_keys_lists_every_blob_and_only_blobs() {
    for b in backends().await {
        let mut expected = Vec::new();
        for (len, seed) in [(11, 21), (2000, 22), (9 * MIB + 1, 23)] {
            let staged = b
                .store
                .stage(body(&data(len, seed), 64 << 10), 1 << 30)
                .await
                .unwrap();
            expected.push(staged.key.clone());
            b.store.publish(staged).await.unwrap();
        }
        // An open session's data is not a blob.
        let s = native("upl_listed", 100, 100, None);
        let handle = b.store.session_create(&s).await.unwrap();
        let s = native("upl_listed", 100, 100, handle.as_deref());
        b.store
            .session_append(&s, 0, 100, body(&data(100, 24), 100), &mut |_| {})
            .await
            .unwrap();
        if b.s3.is_none() {
            let dir = b._dir.as_ref().unwrap().path().join("blobs/zz");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("stray"), b"x").unwrap();
            expected.push("blobs/zz/stray".into());
        }
        let mut listed: Vec<String> = b.store.list_keys().try_collect().await.unwrap();
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected, "{}", b.name);
        for key in &listed {
            let _ = b.store.remove(key).await;
        }
        b.store.session_delete(&s).await.unwrap();
        b.assert_no_leftovers();
    }
}

/// An in-memory [`UploadLedger`]: `(key, upload id, session)` of the uploads recorded.
#[derive(Default)]
struct MemoryLedger {
    records: std::sync::Mutex<Vec<(String, String, Option<String>)>>,
    refuse: bool,
}

impl MemoryLedger {
    fn records(&self) -> Vec<(String, String, Option<String>)> {
        self.records.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl UploadLedger for MemoryLedger {
    async fn started(&self, upload: &MultipartUpload<'_>) -> Result<(), ferry_blob::BoxError> {
        if self.refuse {
            return Err("the database is down".into());
        }
        self.records.lock().unwrap().push((
            upload.key.to_string(),
            upload.upload_id.to_string(),
            upload.session.map(str::to_string),
        ));
        Ok(())
    }

    async fn ended(&self, key: &str, upload_id: &str) -> Result<(), ferry_blob::BoxError> {
        self.records
            .lock()
            .unwrap()
            .retain(|(k, id, _)| !(k == key && id == upload_id));
        Ok(())
    }
}

/// Waits (a little) for background aborts until `done`.
async fn eventually(done: impl Fn() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Every multipart upload is in the ledger from before its first part until it is completed
/// or aborted; one the ledger cannot record is not used; `abort_upload` removes one's parts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_uploads_are_recorded_until_completed_or_aborted() {
    let Some(s3) = S3Server::start() else { return };
    let ledger = Arc::new(MemoryLedger::default());
    let store = S3BlobStore::new(&s3.options())
        .unwrap()
        .with_ledger(ledger.clone());

    // A simple upload large enough for a multipart upload: forgotten once complete.
    let staged = store
        .stage(body(&data(9 * MIB, 31), MIB), 1 << 30)
        .await
        .unwrap();
    assert_eq!(ledger.records(), vec![]);
    store.remove(&staged.key).await.unwrap();
    // ...and once aborted, when its body fails.
    let failing: ByteStream<'static> = Box::pin(futures::stream::iter(vec![
        Ok(Bytes::from(data(9 * MIB, 32))),
        Err("client went away".into()),
    ]));
    assert!(store.stage(failing, 1 << 30).await.is_err());
    eventually(|| ledger.records().is_empty() && s3.leftovers().is_empty()).await;
    assert_eq!(ledger.records(), vec![]);

    // A session: recorded with its id at creation, forgotten when sealed.
    let (size, part) = (6 * MIB, 6 * MIB);
    let s = native("upl_rec", size, part, None);
    let handle = store.session_create(&s).await.unwrap();
    let s = native("upl_rec", size, part, handle.as_deref());
    let records = ledger.records();
    assert_eq!(records.len(), 1);
    assert_eq!(
        (records[0].0.as_str(), records[0].2.as_deref()),
        ("blobs/u-upl_rec", Some("upl_rec"))
    );
    let a = store
        .session_append(&s, 0, part as u64, body(&data(part, 33), MIB), &mut |_| {})
        .await
        .unwrap();
    store.session_seal(&s, &[a.receipt]).await.unwrap();
    assert_eq!(ledger.records(), vec![]);
    store.remove("blobs/u-upl_rec").await.unwrap();

    // Deleted: aborted and forgotten.
    let s = native("upl_del", size, part, None);
    let handle = store.session_create(&s).await.unwrap();
    let s = native("upl_del", size, part, handle.as_deref());
    store
        .session_append(&s, 0, part as u64, body(&data(part, 34), MIB), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(ledger.records().len(), 1);
    store.session_delete(&s).await.unwrap();
    assert_eq!(ledger.records(), vec![]);
    assert_eq!(s3.leftovers(), Vec::<String>::new());

    // Abandoned with a part stored: `abort_upload` (the sweep's) removes it, and leaves the
    // record to its caller.
    let s = native("upl_lost", size, part, None);
    let handle = store.session_create(&s).await.unwrap();
    let s = native("upl_lost", size, part, handle.as_deref());
    store
        .session_append(&s, 0, part as u64, body(&data(part, 35), MIB), &mut |_| {})
        .await
        .unwrap();
    assert!(!s3.leftovers().is_empty());
    let (key, upload_id, _) = ledger.records().remove(0);
    store.abort_upload(&key, &upload_id).await.unwrap();
    assert_eq!(s3.leftovers(), Vec::<String>::new());
    // Gone already: not an error.
    store.abort_upload(&key, &upload_id).await.unwrap();
    assert_eq!(ledger.records().len(), 1);

    // A ledger that cannot record: the upload fails before any part is sent.
    let refusing = S3BlobStore::new(&s3.options())
        .unwrap()
        .with_ledger(Arc::new(MemoryLedger {
            refuse: true,
            ..MemoryLedger::default()
        }));
    assert!(
        refusing
            .session_create(&native("upl_no", 10, 10, None))
            .await
            .is_err()
    );
    assert!(
        refusing
            .stage(body(&data(9 * MIB, 36), MIB), 1 << 30)
            .await
            .is_err()
    );
    eventually(|| s3.leftovers().is_empty()).await;
    assert_eq!(s3.leftovers(), Vec::<String>::new());
    assert_eq!(s3.objects("blobs"), Vec::<String>::new());
}

/// Deleting a session waits for the part writes still in flight on this node: a part that
/// lands after the abort would stay behind (s3s-fs accepts it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_delete_waits_for_parts_in_flight() {
    let Some(s3) = S3Server::start() else { return };
    let store = S3BlobStore::new(&s3.options()).unwrap();
    for round in 0..5u8 {
        let id = format!("upl_fly{round}");
        // 32 MiB parts: four S3 parts each, two of them in flight at once.
        let (size, part) = (64 * MIB, 32 * MIB);
        let s = native(&id, size, part, None);
        let handle = store.session_create(&s).await.unwrap();
        let s = native(&id, size, part, handle.as_deref());
        // One byte too many: the write fails the moment it arrives, with the S3 parts before
        // it still being sent.
        let too_long = data(16 * MIB + 1, round);
        let err = store
            .session_append(
                &s,
                0,
                16 * MIB as u64,
                body(&too_long, 8 * MIB),
                &mut |_| {},
            )
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::LengthMismatch { .. }), "{err}");
        store.session_delete(&s).await.unwrap();
        // Whatever was still on its way has arrived by now.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(s3.leftovers(), Vec::<String>::new(), "round {round}");
    }
}
