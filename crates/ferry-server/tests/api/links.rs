//! Download links: signed URLs, exact counting under concurrency, resume, revocation,
//! watermarks and receipts.

use std::time::Duration;

use ferry_api as api;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestApp, assert_api_error, sha256_hex};
use crate::{on_all_backends, on_both_backends};

on_both_backends!(
    forged_expired_revoked_and_used_up_links_are_refused,
    watermarks_mark_images_and_refuse_other_types,
    a_files_links_are_paged_like_every_list,
    the_ranges_of_one_download_are_one_receipt,
    a_download_nobody_finishes_is_filed_once_quiet,
);

// Also on S3 (PostgreSQL + s3s-fs): `<name>::s3`.
on_all_backends!(
    a_link_delivers_the_file_without_login,
    fifty_concurrent_downloads_of_a_three_download_link_deliver_exactly_three,
    an_interrupted_download_resumed_with_range_counts_once,
    head_describes_a_download_and_ranges_add_up_to_one,
);

fn data(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i >> 11) as u8)
        .collect()
}

fn link_req(max: Option<i64>, expires_in: Option<i64>) -> api::CreateLink {
    api::CreateLink {
        expires_in,
        max_downloads: max,
        watermark: None,
        password: None,
        show_location: None,
    }
}

async fn setup(app: &TestApp, len: usize) -> (ferry_client::Client, api::File, Vec<u8>) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("outbox", 0).await.unwrap();
    let bytes = data(len);
    let file = alice
        .upload(&folder.id, "report.bin", bytes.clone())
        .await
        .unwrap();
    (alice, file, bytes)
}

/// The file's only link once `settled` holds for it. Deliveries settle when their response
/// body ends, a moment after the client has the last byte, so tests wait for it (up to 20 s).
async fn link_when(
    alice: &ferry_client::Client,
    file_id: &str,
    settled: impl Fn(&api::Link) -> bool,
) -> api::Link {
    let mut last = None;
    for _ in 0..400 {
        let link = alice.list_links(file_id).await.unwrap().links.remove(0);
        if settled(&link) {
            return link;
        }
        last = Some(link);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the link never reached the expected state: {last:?}");
}

fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<api::ErrorBody>(body)
        .map(|e| e.error.code)
        .unwrap_or_default()
}

async fn a_link_delivers_the_file_without_login(app: TestApp) {
    let (alice, file, bytes) = setup(&app, 300_000).await;
    let link = alice
        .create_link(&file.id, &link_req(Some(2), Some(600)))
        .await
        .unwrap();
    assert!(
        link.url.starts_with(&format!("{}/d/", app.url)),
        "{}",
        link.url
    );
    assert_eq!(
        (
            link.downloads_used,
            link.status.as_str(),
            link.max_downloads
        ),
        (0, "active", Some(2))
    );

    let res = reqwest::get(&link.url).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["etag"],
        format!("\"{}\"", file.checksum_sha256).as_str()
    );
    assert_eq!(sha256_hex(&res.bytes().await.unwrap()), sha256_hex(&bytes));
    // The delivery is settled just after its body ends; the free probe below needs it settled
    // (a probe racing the settlement of the download it repeats is charged).
    link_when(&alice, &file.id, |l| {
        l.bytes_delivered == bytes.len() as i64
    })
    .await;
    // Ranges are served and counted by the byte.
    let part = reqwest::Client::new()
        .get(&link.url)
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[..100]);

    let listed = alice.list_links(&file.id).await.unwrap();
    assert_eq!(listed.links.len(), 1);
    // The same client (address and user agent) already received those 100 bytes in a
    // completed delivery: probing them again costs nothing.
    let state = app.server.as_ref().unwrap().state();
    let receipts = || async {
        let mut conn = state.store.conn().await.unwrap();
        let filter = ferry_store::audit::Filter {
            actions: vec!["link.downloaded".into()],
            ..Default::default()
        };
        ferry_store::audit::search(&mut conn, &filter, 10)
            .await
            .unwrap()
    };
    // The probe is a download of its own (those bytes were received already), waiting for
    // more ranges; filed once it has been quiet for links.receipt_quiet_secs.
    file_open_receipts(&app, 1).await;
    assert_eq!(receipts().await.len(), 2);
    let settled = link_when(&alice, &file.id, |l| {
        l.bytes_delivered == bytes.len() as i64
    })
    .await;
    assert_eq!(
        (settled.downloads_used, settled.status.as_str()),
        (1, "active")
    );

    // Another client's 100 bytes are charged: what is left of the budget cannot pay for another
    // whole download, and the status says so, agreeing with what the next full download gets.
    let other = reqwest::Client::builder()
        .user_agent("another-client/1")
        .build()
        .unwrap();
    let part = other
        .get(&link.url)
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[..100]);
    let settled = link_when(&alice, &file.id, |l| {
        l.bytes_delivered == bytes.len() as i64 + 100
    })
    .await;
    assert_eq!(settled.downloads_used, 2);
    assert_eq!(settled.status, "exhausted");
    let next = reqwest::get(&link.url).await.unwrap();
    assert_eq!(next.status(), 410);
    assert_eq!(error_code(&next.bytes().await.unwrap()), "link_exhausted");

    file_open_receipts(&app, 1).await;
    // The receipts: who got the file, and how much (the free probe too: it was delivered),
    // newest first.
    let receipts = receipts().await;
    assert_eq!(receipts.len(), 3);
    assert_eq!(receipts[2].target_id, link.id);
    assert_eq!(receipts[2].ip.as_deref(), Some("127.0.0.1"));
    let details =
        |i: usize| serde_json::from_str::<serde_json::Value>(&receipts[i].details).unwrap();
    assert_eq!(details(2)["bytes"], bytes.len());
    assert_eq!(details(2)["complete"], true);
    for probe in [0, 1] {
        assert_eq!(details(probe)["bytes"], 100);
        assert_eq!(
            details(probe)["complete"],
            false,
            "100 bytes are not the file"
        );
    }
    assert_eq!(receipts[0].user_agent.as_deref(), Some("another-client/1"));
}

/// Files the receipts still gathering ranges, as `links.receipt_quiet_secs` of quiet would:
/// waits until `open` of them are gathering (responses settle a moment after their body
/// ends), moves the clock past the quiet time and runs the background work.
async fn file_open_receipts(app: &TestApp, open: i64) {
    let state = app.server.as_ref().unwrap().state();
    let mut gathering = 0;
    for _ in 0..400 {
        let mut conn = state.store.conn().await.unwrap();
        gathering = ferry_store::link_receipts::count(&mut conn).await.unwrap();
        if gathering == open {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(gathering, open, "receipts gathering ranges");
    app.clock.advance(Duration::from_secs(31));
    app.run_jobs().await;
    let mut conn = state.store.conn().await.unwrap();
    assert_eq!(
        ferry_store::link_receipts::count(&mut conn).await.unwrap(),
        0
    );
}

async fn forged_expired_revoked_and_used_up_links_are_refused(app: TestApp) {
    let (alice, file, _) = setup(&app, 1000).await;
    let (_, mallory) = app.user("mallory", None).await;
    assert_api_error(
        mallory.create_link(&file.id, &link_req(None, None)).await,
        404,
        "not_found",
    );
    for bad in [0, 10_001] {
        assert_api_error(
            alice
                .create_link(&file.id, &link_req(Some(bad), None))
                .await,
            400,
            "invalid_value",
        );
    }
    for bad in [0, 604_801, -5] {
        assert_api_error(
            alice
                .create_link(&file.id, &link_req(None, Some(bad)))
                .await,
            400,
            "invalid_value",
        );
    }

    let link = alice
        .create_link(&file.id, &link_req(Some(1), Some(600)))
        .await
        .unwrap();
    let token = link.url.rsplit('/').next().unwrap().to_string();
    // Altered tokens and made-up ones are 404 (they never reach the database).
    let mut altered = token.clone().into_bytes();
    altered[5] = if altered[5] == b'A' { b'B' } else { b'A' };
    for forged in [
        String::from_utf8(altered).unwrap(),
        "abc".into(),
        format!("{token}x"),
    ] {
        let res = reqwest::get(format!("{}/d/{forged}", app.url))
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{forged}");
    }
    // Used up after one download (read to the end: an abandoned response costs only what
    // was sent, which would leave the budget open).
    let first = reqwest::get(&link.url).await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.bytes().await.unwrap().len(), 1000);
    // Refused at once: the finished delivery holds the whole budget even before it settles.
    let res = reqwest::get(&link.url).await.unwrap();
    assert_eq!(res.status(), 410);
    assert_eq!(error_code(&res.bytes().await.unwrap()), "link_exhausted");
    link_when(&alice, &file.id, |l| l.status == "exhausted").await;

    // Revoked: by its creator; not by someone else.
    let link = alice
        .create_link(&file.id, &link_req(None, Some(600)))
        .await
        .unwrap();
    assert_api_error(mallory.revoke_link(&link.id).await, 404, "not_found");
    alice.revoke_link(&link.id).await.unwrap();
    let res = reqwest::get(&link.url).await.unwrap();
    assert_eq!(res.status(), 410);
    assert_eq!(error_code(&res.bytes().await.unwrap()), "link_revoked");

    // Expired.
    let link = alice
        .create_link(&file.id, &link_req(None, Some(1)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let res = reqwest::get(&link.url).await.unwrap();
    assert_eq!(res.status(), 410);
    assert_eq!(error_code(&res.bytes().await.unwrap()), "link_expired");
}

async fn fifty_concurrent_downloads_of_a_three_download_link_deliver_exactly_three(app: TestApp) {
    let (alice, file, bytes) = setup(&app, 256 * 1024).await;
    let link = alice
        .create_link(&file.id, &link_req(Some(3), Some(600)))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let tries = (0..50).map(|_| {
        let http = http.clone();
        let url = link.url.clone();
        tokio::spawn(async move {
            let res = http.get(&url).send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.bytes().await.unwrap_or_default())
        })
    });
    let results = futures::future::join_all(tries).await;
    let expected = sha256_hex(&bytes);
    let full = results
        .iter()
        .map(|r| r.as_ref().unwrap())
        .filter(|(s, b)| *s == 200 && sha256_hex(b) == expected)
        .count();
    assert_eq!(full, 3, "exactly three full copies");
    for (status, body) in results.iter().map(|r| r.as_ref().unwrap()) {
        assert!(
            *status == 200 || (*status == 410 && error_code(body) == "link_exhausted"),
            "{status}"
        );
    }
    let l = link_when(&alice, &file.id, |l| l.downloads_used >= 3).await;
    assert_eq!(
        (l.downloads_used, l.bytes_delivered),
        (3, 3 * bytes.len() as i64)
    );
}

async fn an_interrupted_download_resumed_with_range_counts_once(app: TestApp) {
    // Large enough that the unread rest cannot sit in the kernel's socket buffers (a few MiB
    // on loopback): the server must see the hang-up, not a finished delivery.
    let len = 32 << 20;
    let (alice, file, bytes) = setup(&app, len).await;
    let link = alice
        .create_link(&file.id, &link_req(Some(1), Some(600)))
        .await
        .unwrap();
    let path = link.url.trim_start_matches(&app.url).to_string();

    // Read the headers and the first 2 MiB, then hang up.
    let mut received = Vec::new();
    {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(64 * 1024).unwrap();
        let addr = app.url.trim_start_matches("http://").parse().unwrap();
        let mut s = socket.connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nUser-Agent: resumer/1.0\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        while received.len() < 2 << 20 {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0);
            received.extend_from_slice(&buf[..n]);
        }
    }
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let got = received.split_off(head_end);
    assert!(String::from_utf8_lossy(&received).starts_with("HTTP/1.1 200"));
    // The server notices on its next write and settles what it sent.
    let cut = link_when(&alice, &file.id, |l| l.bytes_delivered > 0).await;
    assert!(
        cut.bytes_delivered < len as i64,
        "the cut-off delivery is charged only what was sent: {}",
        cut.bytes_delivered
    );

    // Resume from where this client stopped: the link has one download, and this is it.
    let rest = reqwest::Client::new()
        .get(&link.url)
        .header("range", format!("bytes={}-", got.len()))
        .header("user-agent", "resumer/1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 206);
    let mut whole = got.clone();
    whole.extend_from_slice(&rest.bytes().await.unwrap());
    assert_eq!(sha256_hex(&whole), sha256_hex(&bytes));
    let l = link_when(&alice, &file.id, |l| {
        l.bytes_delivered != cut.bytes_delivered
    })
    .await;
    assert_eq!(
        l.downloads_used, 1,
        "bytes delivered: {}",
        l.bytes_delivered
    );
    // And now it is used up.
    assert_eq!(reqwest::get(&link.url).await.unwrap().status(), 410);
}

async fn watermarks_mark_images_and_refuse_other_types(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("pics", 0).await.unwrap();
    let img = image::RgbaImage::from_pixel(320, 160, image::Rgba([10, 120, 200, 255]));
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png).unwrap();
    let png = png.into_inner();
    let pic = alice
        .upload(&folder.id, "photo.png", png.clone())
        .await
        .unwrap();
    let doc = alice
        .upload(&folder.id, "notes.txt", b"text".to_vec())
        .await
        .unwrap();

    let wm = api::CreateLink {
        watermark: Some(true),
        ..link_req(Some(1), None)
    };
    assert_api_error(
        alice.create_link(&doc.id, &wm).await,
        422,
        "watermark_unsupported",
    );
    let link = alice.create_link(&pic.id, &wm).await.unwrap();
    assert!(link.watermark);
    let res = reqwest::get(&link.url).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    let body = res.bytes().await.unwrap();
    assert_ne!(
        body.as_ref(),
        png.as_slice(),
        "the delivered copy is not the original"
    );
    let marked = image::load_from_memory(&body).unwrap().to_rgba8();
    assert_eq!(marked.dimensions(), (320, 160));
    assert!(
        marked.pixels().any(|p| p.0 == [255, 255, 255, 255]),
        "the mark is visible"
    );
    link_when(&alice, &pic.id, |l| l.downloads_used == 1).await;
    assert_eq!(reqwest::get(&link.url).await.unwrap().status(), 410);
}

/// `HEAD` tells size, checksum and name without counting anything; ranges fetched in
/// parallel add up to one download (what `ferry download --parallel` does through a link).
async fn head_describes_a_download_and_ranges_add_up_to_one(app: TestApp) {
    let (alice, file, bytes) = setup(&app, 300_000).await;
    let link = alice
        .create_link(&file.id, &link_req(Some(1), Some(600)))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    for _ in 0..3 {
        let head = http.head(&link.url).send().await.unwrap();
        assert_eq!(head.status(), 200);
        let h = head.headers();
        assert_eq!(h["content-length"], "300000");
        assert_eq!(h["accept-ranges"], "bytes");
        assert_eq!(h["etag"], format!("\"{}\"", file.checksum_sha256).as_str());
        assert!(
            h["content-disposition"]
                .to_str()
                .unwrap()
                .contains("report.bin")
        );
    }
    let listed = alice.list_links(&file.id).await.unwrap().links.remove(0);
    assert_eq!((listed.downloads_used, listed.bytes_delivered), (0, 0));

    let got = fetch_ranges(&http, &link.url, &[(0, 149_999), (150_000, 299_999)]).await;
    assert_eq!(sha256_hex(&got), sha256_hex(&bytes));
    let settled = link_when(&alice, &file.id, |l| l.bytes_delivered == 300_000).await;
    assert_eq!(settled.downloads_used, 1);
    assert_eq!(settled.status, "exhausted");

    // Used up: HEAD says so too, and a download is refused.
    let head = http.head(&link.url).send().await.unwrap();
    assert_eq!(head.status(), 410);
    let res = http.get(&link.url).send().await.unwrap();
    assert_eq!(res.status(), 410);
    assert_eq!(error_code(&res.bytes().await.unwrap()), "link_exhausted");

    // The two ranges are one download: one receipt, the bytes summed, filed as soon as they
    // covered the file.
    let receipts = link_receipts(&app).await;
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    assert_eq!(receipts[0]["bytes"], 300_000);
    assert_eq!(receipts[0]["ranges"], 2);
    assert_eq!(receipts[0]["complete"], true);
}

/// The details of every `link.downloaded` receipt, newest first.
async fn link_receipts(app: &TestApp) -> Vec<serde_json::Value> {
    let state = app.server.as_ref().unwrap().state();
    let mut conn = state.store.conn().await.unwrap();
    let filter = ferry_store::audit::Filter {
        actions: vec!["link.downloaded".into()],
        ..Default::default()
    };
    ferry_store::audit::search(&mut conn, &filter, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str(&e.details).unwrap())
        .collect()
}

async fn a_files_links_are_paged_like_every_list(app: TestApp) {
    let (alice, file, _) = setup(&app, 1000).await;
    let mut made = Vec::new();
    for _ in 0..5 {
        made.push(
            alice
                .create_link(&file.id, &link_req(None, Some(600)))
                .await
                .unwrap()
                .id,
        );
    }
    made.reverse(); // newest first
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = alice
            .list_links_page(&file.id, Some(2), cursor.as_deref())
            .await
            .unwrap();
        assert!(page.links.len() <= 2);
        seen.extend(page.links.into_iter().map(|l| l.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, made, "every link once, newest first");
    assert_eq!(alice.list_links(&file.id).await.unwrap().links.len(), 5);
    assert_api_error(
        alice
            .list_links_page(&file.id, Some(2), Some("not-a-cursor"))
            .await,
        400,
        "invalid_cursor",
    );
    assert_api_error(
        alice.list_links_page(&file.id, Some(0), None).await,
        400,
        "invalid_value",
    );
}

/// A download fetched in 16 parallel ranges is one receipt, the bytes summed; fetching bytes
/// again is a new download with its own receipt.
async fn the_ranges_of_one_download_are_one_receipt(app: TestApp) {
    let (alice, file, bytes) = setup(&app, 1 << 20).await;
    let link = alice
        .create_link(&file.id, &link_req(Some(2), Some(600)))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let part = (1 << 20) / 16;
    let ranges: Vec<(i64, i64)> = (0..16).map(|i| (i * part, (i + 1) * part - 1)).collect();
    let got = fetch_ranges(&http, &link.url, &ranges).await;
    assert_eq!(sha256_hex(&got), sha256_hex(&bytes));
    let settled = link_when(&alice, &file.id, |l| l.bytes_delivered == 1 << 20).await;
    assert_eq!(settled.downloads_used, 1);
    let receipts = link_receipts(&app).await;
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    assert_eq!(receipts[0]["bytes"], 1 << 20);
    assert_eq!(receipts[0]["ranges"], 16);
    assert_eq!(receipts[0]["complete"], true);
    assert_eq!(receipts[0]["file_id"], file.id.as_str());

    // The same client fetches the first half again (a new download), then the rest.
    for range in ["bytes=0-524287", "bytes=524288-"] {
        let res = http
            .get(&link.url)
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 206);
        res.bytes().await.unwrap();
    }
    link_when(&alice, &file.id, |l| l.bytes_delivered == 2 << 20).await;
    let receipts = link_receipts(&app).await;
    assert_eq!(receipts.len(), 2, "{receipts:?}");
    assert_eq!(receipts[0]["bytes"], 1 << 20);
    assert_eq!(receipts[0]["ranges"], 2);
    assert_eq!(receipts[0]["complete"], true);
    assert_eq!(receipts[0]["downloads_used"], 2);

    // The budget of two downloads is spent: a refused request leaves no receipt.
    let res = reqwest::Client::builder()
        .user_agent("third/1")
        .build()
        .unwrap()
        .get(&link.url)
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 410, "the budget of two downloads is spent");
    assert_eq!(link_receipts(&app).await.len(), 2);
}

/// A download cut off and never resumed is filed `complete: false` once no range has come
/// for `links.receipt_quiet_secs`, and not before.
async fn a_download_nobody_finishes_is_filed_once_quiet(app: TestApp) {
    let (alice, file, _) = setup(&app, 300_000).await;
    let link = alice
        .create_link(&file.id, &link_req(None, Some(600)))
        .await
        .unwrap();
    let res = reqwest::Client::new()
        .get(&link.url)
        .header("range", "bytes=0-99999")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    res.bytes().await.unwrap();
    link_when(&alice, &file.id, |l| l.bytes_delivered == 100_000).await;
    // Not quiet yet: nothing filed.
    app.run_jobs().await;
    assert!(link_receipts(&app).await.is_empty());
    // Resumed later by the same client: still the same download.
    app.clock.advance(Duration::from_secs(20));
    let res = reqwest::Client::new()
        .get(&link.url)
        .header("range", "bytes=100000-199999")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    res.bytes().await.unwrap();
    link_when(&alice, &file.id, |l| l.bytes_delivered == 200_000).await;
    app.clock.advance(Duration::from_secs(20));
    app.run_jobs().await;
    assert!(
        link_receipts(&app).await.is_empty(),
        "20 s after the last range is not quiet enough"
    );
    // The same client asks for bytes it has: nothing new, so a new download; the open one
    // is filed at once.
    let res = reqwest::Client::new()
        .get(&link.url)
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    res.bytes().await.unwrap();
    for _ in 0..400 {
        if !link_receipts(&app).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let receipts = link_receipts(&app).await;
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    assert_eq!(receipts[0]["bytes"], 200_000);
    assert_eq!(receipts[0]["ranges"], 2);
    assert_eq!(receipts[0]["complete"], false);
    file_open_receipts(&app, 1).await;
    let receipts = link_receipts(&app).await;
    assert_eq!(receipts.len(), 2, "{receipts:?}");
    assert_eq!(receipts[0]["bytes"], 100);
    assert_eq!(receipts[0]["ranges"], 1);
}

/// Fetches `ranges` (inclusive) of a link at once, each a `206`, and joins them in order.
async fn fetch_ranges(http: &reqwest::Client, url: &str, ranges: &[(i64, i64)]) -> Vec<u8> {
    let fetched = futures::future::join_all(ranges.iter().map(|(a, b)| {
        http.get(url)
            .header("range", format!("bytes={a}-{b}"))
            .send()
    }))
    .await;
    let mut got = Vec::new();
    for res in fetched {
        let res = res.unwrap();
        assert_eq!(res.status(), 206);
        got.extend_from_slice(&res.bytes().await.unwrap());
    }
    got
}
