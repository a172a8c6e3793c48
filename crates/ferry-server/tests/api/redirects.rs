//! `storage.s3.redirect_downloads`: an authenticated download answers `302` to a presigned URL
//! of the bucket (a real s3s-fs, which checks the signature), which serves the bytes and ranges
//! with the file's own type and name; counted links and small files kept in the database never
//! redirect.

use reqwest::Method;
use reqwest::header;

use crate::helpers::{Backend, TestApp};

fn redirecting(config: &mut ferry_server::Config) {
    config.storage.s3.redirect_downloads = true;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn downloads_redirect_to_a_presigned_url_and_links_do_not() {
    if ferry_blob::testing::binary().is_none() {
        eprintln!("{}", ferry_blob::testing::SKIP);
        return;
    }
    let app = TestApp::spawn_with(Backend::S3, redirecting)
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    let folder = app.admin.create_folder("direct", 0).await.unwrap();
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let file = app
        .admin
        .upload(&folder.id, "report final.pdf", bytes.clone())
        .await
        .unwrap();

    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_follow
        .get(format!("{}/api/v1/files/{}/content", app.url, file.id))
        .basic_auth("admin", Some(crate::helpers::ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.headers()[header::ETAG].to_str().unwrap(),
        format!("\"{}\"", file.checksum_sha256)
    );
    let location = res.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    let endpoint = app.config.storage.s3.endpoint.clone().unwrap();
    assert!(location.starts_with(&endpoint), "{location}");
    assert!(location.contains("X-Amz-Signature="), "{location}");

    // The bucket serves it to anyone holding the URL, whole or in ranges.
    let whole = no_follow.get(&location).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let part = no_follow
        .get(&location)
        .header(header::RANGE, "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[1000..2000]);
    // The answer's type and name are signed: changing them breaks the signature.
    let forged = location.replace(
        "response-content-type=application%2Fpdf",
        "response-content-type=text%2Fhtml",
    );
    assert_ne!(forged, location, "the type is in the URL: {location}");
    let refused = no_follow.get(&forged).send().await.unwrap();
    assert_eq!(refused.status(), 403, "a forged URL is refused");

    // The download is audited as the caller's, like a streamed one.
    let events = app
        .admin
        .audit_events(&[("action", "file.downloaded"), ("target", &file.id)])
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 1);

    // A counted link streams through Ferry: a presigned URL could be fetched without limit.
    let link = app
        .admin
        .create_link(
            &file.id,
            &ferry_api::CreateLink {
                max_downloads: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let res = no_follow.get(&link.url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let res = no_follow
        .request(Method::GET, &link.url)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 410, "the budget holds");

    // A small file kept in the database (`storage.inline_max_bytes`) has no object to point
    // at: it streams through Ferry.
    let small = app
        .admin
        .upload(&folder.id, "note.txt", b"kept with its row".to_vec())
        .await
        .unwrap();
    let res = no_follow
        .get(format!("{}/api/v1/files/{}/content", app.url, small.id))
        .basic_auth("admin", Some(crate::helpers::ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"kept with its row");
}
