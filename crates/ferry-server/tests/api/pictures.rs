//! Profile pictures and company logos (issue #13): served square in four sizes, re-encoded
//! without the upload's metadata, cached by ETag, seen only by who may see the user (or the
//! company), changed by the user or their admins; hostile uploads (not an image, too big, a
//! decompression bomb) refused with the contract's errors; a company's logo shown on its
//! users' link pages to anonymous visitors.

use std::io::Cursor;

use ferry_api as api;
use ferry_client::Client;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_api_error, parse, send_json};
use crate::on_both_backends;

on_both_backends!(
    a_picture_is_served_square_in_every_size_and_cached,
    what_is_kept_has_no_exif,
    only_who_may_see_the_user_sees_the_picture,
    bad_uploads_are_refused_with_clear_errors,
    a_company_logo_shows_on_its_users_link_pages,
);

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A PNG header claiming 100,000 × 100,000 pixels, and nothing else.
fn bomb() -> Vec<u8> {
    let mut bomb = png(1, 1);
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32fast::hash(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    bomb
}

async fn put(client: &Client, path: &str, body: Vec<u8>) -> reqwest::Response {
    client
        .request(Method::PUT, path)
        .header("content-type", "image/png")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn get_image(client: &Client, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = client.request(Method::GET, path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {res:?}"))
        .to_str()
        .unwrap()
}

/// The image in a `200` answer, decoded, with its content type.
async fn decoded(res: reqwest::Response) -> (String, image::DynamicImage, Vec<u8>) {
    assert_eq!(res.status(), StatusCode::OK, "{res:?}");
    let mime = header(&res, "content-type").to_string();
    let bytes = res.bytes().await.unwrap().to_vec();
    let img = image::load_from_memory(&bytes).expect("a decodable image");
    (mime, img, bytes)
}

async fn not_found(res: reqwest::Response) {
    assert_api_error(parse::<Value>(res).await, 404, "not_found");
}

async fn me(client: &Client) -> api::User {
    send_json(client, Method::GET, "/me", None).await.unwrap()
}

/// A path of the API from a `picture_url` / `logo_url` (which start with `/api/v1`).
fn api_path(url: &str) -> &str {
    url.strip_prefix("/api/v1").expect("a URL of the API")
}

/// A user `login` of `company` (if any) made by `by`, logged in.
async fn member(
    app: &TestApp,
    by: &Client,
    login: &str,
    company: Option<&str>,
    role: &str,
) -> (api::User, Client) {
    let password = format!("password-{login}");
    let user: api::User = send_json(
        by,
        Method::POST,
        "/users",
        Some(json!({"login": login, "password": password, "company_id": company, "role": role})),
    )
    .await
    .expect("create user");
    let session = app.anon.login(login, &password).await.expect("logs in");
    (user, app.anon.with_token(session.access_token))
}

async fn a_picture_is_served_square_in_every_size_and_cached(app: TestApp) {
    let (alice, client) = app.user("alice", None).await;
    assert_eq!(me(&client).await.picture_url, None);
    let res = put(&client, "/me/picture", png(300, 200)).await;
    let user: api::User = parse(res).await.unwrap();
    let url = user.picture_url.clone().expect("a picture_url");
    assert!(
        url.starts_with(&format!("/api/v1/users/{}/picture?v=", alice.id)),
        "{url}"
    );
    assert_eq!(me(&client).await.picture_url.as_deref(), Some(url.as_str()));
    let path = api_path(&url).to_string();
    // Every size is a square of exactly that many pixels; 128 without `size`.
    for (size, px) in [
        ("&size=32", 32),
        ("&size=64", 64),
        ("&size=256", 256),
        ("", 128),
    ] {
        let res = get_image(&client, &format!("{path}{size}"), &[]).await;
        let (mime, img, _) = decoded(res).await;
        assert_eq!(mime, "image/webp");
        assert_eq!((img.width(), img.height()), (px, px), "{size}");
    }
    // PNG when asked for; the admin sees it too.
    let res = get_image(
        &app.admin,
        &format!("{path}&size=64"),
        &[("accept", "image/png")],
    )
    .await;
    let (mime, img, bytes) = decoded(res).await;
    assert_eq!(mime, "image/png");
    assert!(bytes.starts_with(b"\x89PNG"));
    assert_eq!((img.width(), img.height()), (64, 64));
    // ETag and 304.
    let res = get_image(&client, &format!("{path}&size=64"), &[]).await;
    let etag = header(&res, "etag").to_string();
    assert!(header(&res, "cache-control").contains("max-age"));
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    let again = get_image(
        &client,
        &format!("{path}&size=64"),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());
    // Another size or format is another tag.
    let other = get_image(
        &client,
        &format!("{path}&size=32"),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(other.status(), StatusCode::OK);
    // A size that is not one of ours.
    let res = get_image(&client, &format!("{path}&size=100"), &[]).await;
    assert_api_error(parse::<Value>(res).await, 400, "invalid_value");
    let res = get_image(&client, &format!("{path}&size=big"), &[]).await;
    assert_api_error(parse::<Value>(res).await, 400, "invalid_query");
    // A new picture: a new URL and a new tag (the old one no longer matches).
    let user: api::User = parse(put(&client, "/me/picture", png(80, 120)).await)
        .await
        .unwrap();
    let new_url = user.picture_url.unwrap();
    assert_ne!(new_url, url);
    let res = get_image(
        &client,
        &format!("{path}&size=64"),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.audit_of("user.picture_changed", &alice.id).await.len(),
        2
    );
    // Removed: 404, picture_url null, audited once (a second removal changes nothing).
    for _ in 0..2 {
        let res = client
            .request(Method::DELETE, "/me/picture")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    assert_eq!(me(&client).await.picture_url, None);
    let raw: Value = send_json(&client, Method::GET, "/me", None).await.unwrap();
    assert_eq!(raw["picture_url"], Value::Null, "present and null: {raw}");
    not_found(get_image(&client, &format!("{path}&size=64"), &[]).await).await;
    assert_eq!(
        app.audit_of("user.picture_removed", &alice.id).await.len(),
        1
    );
}

/// A JPEG whose EXIF holds a camera and a GPS position: Ferry reads them from the file (so
/// the EXIF is real), and none of it is in what is kept of the same bytes as a picture.
async fn what_is_kept_has_no_exif(app: TestApp) {
    let (alice, client) = app.user("alice", None).await;
    let jpeg = crate::thumbnails::jpeg_with_exif();
    let folder = client.create_folder("photos", 0).await.unwrap();
    let file = client
        .upload(&folder.id, "me.jpg", jpeg.clone())
        .await
        .unwrap();
    let res = client
        .request(Method::GET, &format!("/files/{}?fields=media", file.id))
        .send()
        .await
        .unwrap();
    let with_media: api::File = parse(res).await.unwrap();
    assert!(
        with_media.media.expect("media").gps.is_some(),
        "the EXIF is real"
    );
    let user: api::User = parse(put(&client, "/me/picture", jpeg).await)
        .await
        .unwrap();
    let path = api_path(user.picture_url.as_deref().unwrap()).to_string();
    for (size, accept) in [
        ("32", "image/webp"),
        ("64", "image/png"),
        ("128", "image/webp"),
        ("256", "image/png"),
    ] {
        let res = get_image(
            &client,
            &format!("{path}&size={size}"),
            &[("accept", accept)],
        )
        .await;
        let (_, img, bytes) = decoded(res).await;
        assert_eq!(img.width(), size.parse::<u32>().unwrap());
        for marker in [&b"Exif"[..], b"Test Cam", b"Ferry", b"2026:11:22"] {
            assert!(
                !bytes.windows(marker.len()).any(|w| w == marker),
                "{} found in the {size} px {accept}",
                String::from_utf8_lossy(marker)
            );
        }
    }
    let event = &app.audit_of("user.picture_changed", &alice.id).await[0];
    assert_eq!(event.details["width"], 64, "{:?}", event.details);
}

async fn only_who_may_see_the_user_sees_the_picture(app: TestApp) {
    let make = |name: &'static str| {
        send_json::<api::Company>(
            &app.admin,
            Method::POST,
            "/companies",
            Some(json!({"name": name})),
        )
    };
    let acme = make("Acme").await.unwrap();
    let globex = make("Globex").await.unwrap();
    let (ann, ann_c) = member(&app, &app.admin, "ann", Some(&acme.id), "user").await;
    let (_, bob_c) = member(&app, &app.admin, "bob", Some(&acme.id), "user").await;
    let (boss, boss_c) = member(&app, &app.admin, "boss", Some(&acme.id), "company_admin").await;
    let (_, gus_c) = member(&app, &app.admin, "gus", Some(&globex.id), "user").await;
    let (_, gboss_c) = member(&app, &app.admin, "gboss", Some(&globex.id), "company_admin").await;
    let (loner, loner_c) = member(&app, &app.admin, "loner", None, "user").await;

    // A company admin sets a member's picture; the member's own view shows it.
    let res = put(&boss_c, &format!("/users/{}/picture", ann.id), png(90, 90)).await;
    let set: api::User = parse(res).await.unwrap();
    assert_eq!(set.id, ann.id);
    let path = format!("/users/{}/picture?size=32", ann.id);
    assert!(me(&ann_c).await.picture_url.is_some());
    let events = app.audit_of("user.picture_changed", &ann.id).await;
    assert_eq!(events[0].actor.as_ref().unwrap().id, boss.id);

    // Seen by herself, her company's members and admin, the system admin.
    for client in [&ann_c, &bob_c, &boss_c, &app.admin] {
        let (_, img, _) = decoded(get_image(client, &path, &[]).await).await;
        assert_eq!(img.width(), 32);
    }
    // Another company's user and admin, and a user of no company: as if there were none.
    for client in [&gus_c, &gboss_c, &loner_c] {
        not_found(get_image(client, &path, &[]).await).await;
    }
    // A user of no company is seen by themselves and the system admin only.
    let res = put(&loner_c, "/me/picture", png(40, 40)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let loner_path = format!("/users/{}/picture", loner.id);
    assert_eq!(
        get_image(&loner_c, &loner_path, &[]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get_image(&app.admin, &loner_path, &[]).await.status(),
        StatusCode::OK
    );
    for client in [&ann_c, &boss_c, &gus_c] {
        not_found(get_image(client, &loner_path, &[]).await).await;
    }
    // Unknown and malformed ids alike.
    not_found(get_image(&ann_c, "/users/usr_nobody/picture", &[]).await).await;
    not_found(get_image(&ann_c, "/users/fld_x/picture", &[]).await).await;

    // Changing: another company's admin does not reach her; a plain user is no admin; a
    // company admin may not change the system admin's.
    let body = || png(10, 10);
    let res = put(&gboss_c, &format!("/users/{}/picture", ann.id), body()).await;
    assert_api_error(parse::<Value>(res).await, 404, "not_found");
    let res = put(&bob_c, &format!("/users/{}/picture", ann.id), body()).await;
    assert_api_error(parse::<Value>(res).await, 403, "forbidden");
    let res = bob_c
        .request(Method::DELETE, &format!("/users/{}/picture", ann.id))
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<Value>(res).await, 403, "forbidden");
    let admin = me(&app.admin).await;
    let res = put(&app.admin, "/me/picture", body()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = put(&boss_c, &format!("/users/{}/picture", admin.id), body()).await;
    assert_api_error(parse::<Value>(res).await, 404, "not_found");
    // A user may name themselves.
    let res = put(
        &bob_c,
        &format!("/users/{}/picture", me(&bob_c).await.id),
        body(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The admin removes hers: gone for everyone.
    let res = boss_c
        .request(Method::DELETE, &format!("/users/{}/picture", ann.id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    not_found(get_image(&ann_c, &path, &[]).await).await;
    assert_eq!(app.audit_of("user.picture_removed", &ann.id).await.len(), 1);
    // The users list shows who has a picture.
    let listed: Value = send_json(&boss_c, Method::GET, "/users", None)
        .await
        .unwrap();
    let bob_row = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["login"] == "bob")
        .unwrap()
        .clone();
    assert!(bob_row["picture_url"].is_string(), "{bob_row}");
}

async fn bad_uploads_are_refused_with_clear_errors(app: TestApp) {
    let (_, client) = app.user("alice", None).await;
    let mut truncated = png(200, 200);
    truncated.truncate(truncated.len() / 2);
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
    for (what, body) in [
        ("text", b"just some text".to_vec()),
        ("empty", Vec::new()),
        ("svg", svg),
        ("truncated", truncated),
        ("bomb", bomb()),
    ] {
        let res = put(&client, "/me/picture", body).await;
        let err = assert_api_error(parse::<Value>(res).await, 400, "invalid_image");
        assert!(!err.error.message.is_empty(), "{what}");
    }
    // More than 5 MiB: refused by its Content-Length before a byte of the body is sent
    // (the server answers without waiting for it), and when it grows past it, chunked.
    let session = app.anon.login("alice", "password-alice").await.unwrap();
    let answer = declared_too_large(&app, &session.access_token).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"payload_too_large\""), "{answer}");
    let big = vec![0u8; 5 * 1024 * 1024 + 1];
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(1 << 20).map(|c| Ok(c.to_vec())).collect();
    let res = client
        .request(Method::PUT, "/me/picture")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<Value>(res).await, 413, "payload_too_large");
    // Nothing was kept, nothing audited.
    assert_eq!(me(&client).await.picture_url, None);
    let user = me(&client).await;
    assert!(
        app.audit_of("user.picture_changed", &user.id)
            .await
            .is_empty()
    );
    // Exactly at the limit is read (and then judged by its content).
    let res = put(&client, "/me/picture", vec![0u8; 5 * 1024 * 1024]).await;
    assert_api_error(parse::<Value>(res).await, 400, "invalid_image");
    // Without a login, nothing.
    let res = app
        .raw(Method::PUT, "/api/v1/me/picture")
        .body(png(10, 10))
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<Value>(res).await, 401, "unauthorized");
}

/// `PUT /me/picture` announcing 5 MiB + 1 byte, sending only its head: the whole answer.
async fn declared_too_large(app: &TestApp, token: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.url.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "PUT /api/v1/me/picture HTTP/1.1\r\nHost: ferry\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: image/png\r\nContent-Length: {}\r\n\r\n",
        5 * 1024 * 1024 + 1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf);
            if n == 0 || (text.contains("\r\n\r\n") && text.ends_with('}')) {
                break;
            }
        }
    })
    .await
    .expect("an answer within 10 s, without the body");
    String::from_utf8_lossy(&buf).into_owned()
}

async fn link_info(app: &TestApp, url: &str) -> Value {
    let token = url.rsplit('/').next().unwrap();
    let res = app
        .raw(Method::GET, &format!("/api/v1/links/{token}/info"))
        .send()
        .await
        .unwrap();
    parse(res).await.unwrap()
}

async fn a_company_logo_shows_on_its_users_link_pages(app: TestApp) {
    let acme: api::Company = send_json(
        &app.admin,
        Method::POST,
        "/companies",
        Some(json!({"name": "Acme"})),
    )
    .await
    .unwrap();
    let other: api::Company = send_json(
        &app.admin,
        Method::POST,
        "/companies",
        Some(json!({"name": "Other"})),
    )
    .await
    .unwrap();
    let (_, boss) = member(&app, &app.admin, "boss", Some(&acme.id), "company_admin").await;
    let (_, worker) = member(&app, &app.admin, "worker", Some(&acme.id), "user").await;
    let (_, stranger) = member(
        &app,
        &app.admin,
        "stranger",
        Some(&other.id),
        "company_admin",
    )
    .await;
    let folder = worker.create_folder("out", 0).await.unwrap();
    let file = worker
        .upload(&folder.id, "a.txt", b"branded".to_vec())
        .await
        .unwrap();
    let file_link = worker
        .create_link(&file.id, &api::CreateLink::default())
        .await
        .unwrap();
    let upload_link = worker
        .create_upload_link(&folder.id, &api::CreateUploadLink::default())
        .await
        .unwrap();
    // No logo yet: the branding is there, its logo_url null.
    let info = link_info(&app, &file_link.url).await;
    assert_eq!(info["branding"]["logo_url"], Value::Null, "{info}");
    let logo_path = format!("/companies/{}/logo", acme.id);
    not_found(get_image(&worker, &logo_path, &[]).await).await;

    // Only its admins (and system admins) set it; a member may not, a stranger sees nothing.
    let res = put(&worker, &logo_path, png(300, 100)).await;
    assert_api_error(parse::<Value>(res).await, 403, "permission_denied");
    let res = put(&stranger, &logo_path, png(300, 100)).await;
    assert_api_error(parse::<Value>(res).await, 404, "not_found");
    let res = put(&boss, &logo_path, b"not a logo".to_vec()).await;
    assert_api_error(parse::<Value>(res).await, 400, "invalid_image");
    let res = put(&boss, &logo_path, png(1200, 400)).await;
    let company: api::Company = parse(res).await.unwrap();
    let own_url = company.branding.logo_url.expect("logo_url");
    assert!(
        own_url.starts_with(&format!("/api/v1/companies/{}/logo?v=", acme.id)),
        "{own_url}"
    );
    assert_eq!(
        app.audit_of("company.logo_changed", &acme.id).await.len(),
        1
    );

    // Members see it, bounded to 512 px with its aspect; strangers do not.
    let (mime, img, _) = decoded(get_image(&worker, api_path(&own_url), &[]).await).await;
    assert_eq!(mime, "image/webp");
    assert_eq!(img.width(), 512);
    assert!((170..=171).contains(&img.height()), "{}", img.height());
    not_found(get_image(&stranger, &logo_path, &[]).await).await;

    // Through a link, for anyone holding it: no login.
    for url in [&file_link.url, &upload_link.url] {
        let info = link_info(&app, url).await;
        let logo_url = info["branding"]["logo_url"]
            .as_str()
            .expect("logo_url")
            .to_string();
        let token = url.rsplit('/').next().unwrap();
        assert!(
            logo_url.starts_with(&format!("/api/v1/links/{token}/logo?v=")),
            "{logo_url}"
        );
        let res = app
            .raw(Method::GET, &logo_url)
            .header("accept", "image/png")
            .send()
            .await
            .unwrap();
        let etag = header(&res, "etag").to_string();
        let (mime, img, _) = decoded(res).await;
        assert_eq!(mime, "image/png");
        assert_eq!(img.width(), 512);
        assert!((170..=171).contains(&img.height()), "{}", img.height());
        let res = app
            .raw(Method::GET, &logo_url)
            .header("accept", "image/png")
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    }
    // A forged token is nothing; a revoked link gives what its info gives.
    let res = app
        .raw(Method::GET, "/api/v1/links/forged-token/logo")
        .send()
        .await
        .unwrap();
    not_found(res).await;
    worker.revoke_link(&file_link.id).await.unwrap();
    let token = file_link.url.rsplit('/').next().unwrap();
    let res = app
        .raw(Method::GET, &format!("/api/v1/links/{token}/logo"))
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<Value>(res).await, 410, "link_revoked");

    // A creator of no company: no branding at all.
    let (_, loner) = app.user("loner", None).await;
    let own = loner.create_folder("mine", 0).await.unwrap();
    let f = loner.upload(&own.id, "b.txt", b"x".to_vec()).await.unwrap();
    let plain = loner
        .create_link(&f.id, &api::CreateLink::default())
        .await
        .unwrap();
    assert_eq!(link_info(&app, &plain.url).await["branding"], Value::Null);
    let token = plain.url.rsplit('/').next().unwrap();
    let res = app
        .raw(Method::GET, &format!("/api/v1/links/{token}/logo"))
        .send()
        .await
        .unwrap();
    not_found(res).await;

    // Removed: null again everywhere, audited.
    let res = boss
        .request(Method::DELETE, &logo_path)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let info = link_info(&app, &upload_link.url).await;
    assert_eq!(info["branding"]["logo_url"], Value::Null, "{info}");
    let company: Value = send_json(&boss, Method::GET, &format!("/companies/{}", acme.id), None)
        .await
        .unwrap();
    assert_eq!(company["branding"]["logo_url"], Value::Null, "{company}");
    not_found(get_image(&worker, &logo_path, &[]).await).await;
    assert_eq!(
        app.audit_of("company.logo_removed", &acme.id).await.len(),
        1
    );
}
