//! Passwords on download links (unlock, link access tokens by header and by cookie, the limit
//! on wrong passwords), a link's landing-page info, and `GET /links` with its state filter.

use std::time::Duration;

use ferry_api as api;

use crate::helpers::{TestApp, assert_api_error, parse, sha256_hex};
use crate::{on_both_backends, on_both_backends_with};

on_both_backends!(
    a_link_with_a_password_opens_with_its_access_token_only,
    info_needs_no_password_and_answers_like_a_download,
    my_links_are_listed_by_state_and_admins_see_everyones,
);

on_both_backends_with!(
    three_failures;
    repeated_wrong_passwords_are_refused_for_a_while,
);

/// The limit on wrong passwords, lowered so the test stays short.
fn three_failures(config: &mut ferry_server::Config) {
    config.links.max_unlock_failures = 3;
}

const PASSWORD: &str = "correct horse battery";

fn with_password(password: Option<&str>) -> api::CreateLink {
    api::CreateLink {
        expires_in: Some(3600),
        password: password.map(str::to_string),
        ..Default::default()
    }
}

async fn setup(app: &TestApp, login: &str) -> (ferry_client::Client, api::File, Vec<u8>) {
    let (_, client) = app.user(login, None).await;
    let folder = client.create_folder("outbox", 0).await.unwrap();
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i % 253) as u8).collect();
    let file = client
        .upload(&folder.id, "plan.bin", bytes.clone())
        .await
        .unwrap();
    (client, file, bytes)
}

fn token_of(url: &str) -> &str {
    ferry_client::link_token(url)
}

async fn get(url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn error_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: api::ErrorBody = res.json().await.unwrap();
    (status, body.error.code)
}

async fn a_link_with_a_password_opens_with_its_access_token_only(app: TestApp) {
    let (alice, file, bytes) = setup(&app, "alice").await;
    assert_api_error(
        alice
            .create_link(&file.id, &with_password(Some("short")))
            .await,
        400,
        "invalid_password",
    );
    let link = alice
        .create_link(&file.id, &with_password(Some(PASSWORD)))
        .await
        .unwrap();
    assert!(link.password_required);
    let open = alice
        .create_link(&file.id, &with_password(None))
        .await
        .unwrap();
    assert!(!open.password_required);
    assert_eq!(
        get(&open.url, &[]).await.status(),
        200,
        "no password: as before"
    );

    // No access token: 401, for GET and HEAD alike.
    assert_eq!(
        error_code(get(&link.url, &[]).await).await,
        (401, "link_password_required".into())
    );
    let head = reqwest::Client::new().head(&link.url).send().await.unwrap();
    assert_eq!(head.status(), 401);
    assert_api_error(
        app.anon.link_content(&link.url, &[]).await,
        401,
        "link_password_required",
    );
    // The link's own token is no access token.
    assert_eq!(
        get(&link.url, &[("x-link-access", token_of(&link.url))])
            .await
            .status(),
        401
    );

    // A wrong password, then the right one.
    assert_api_error(
        app.anon.unlock_link(&link.url, "wrong password").await,
        401,
        "invalid_link_password",
    );
    let res = app
        .raw(
            reqwest::Method::POST,
            &format!("/api/v1/links/{}/unlock", token_of(&link.url)),
        )
        .json(&serde_json::json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    let access: api::LinkAccess = parse(res).await.unwrap();
    assert!(
        cookie.starts_with(&format!("ferry_link_access={};", access.link_access_token)),
        "{cookie}"
    );
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(access.expires_at <= link.expires_at);

    // By header, by cookie, and through the client.
    let by_header = get(&link.url, &[("x-link-access", &access.link_access_token)]).await;
    assert_eq!(by_header.status(), 200);
    assert_eq!(
        sha256_hex(&by_header.bytes().await.unwrap()),
        sha256_hex(&bytes)
    );
    let jar = format!("theme=dark; ferry_link_access={}", access.link_access_token);
    let by_cookie = get(&link.url, &[("cookie", &jar), ("range", "bytes=0-9")]).await;
    assert_eq!(by_cookie.status(), 206);
    assert_eq!(by_cookie.bytes().await.unwrap().as_ref(), &bytes[..10]);
    let unlocked = app.anon.with_link_access(&access.link_access_token);
    assert_eq!(unlocked.link_head(&link.url).await.unwrap().status(), 200);
    let res = unlocked
        .link_content(&link.url, &[("range", "bytes=10-19")])
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[10..20]);

    // The token opens that link only: not another link with a password, even to the same file.
    let other = alice
        .create_link(&file.id, &with_password(Some(PASSWORD)))
        .await
        .unwrap();
    assert_eq!(
        error_code(get(&other.url, &[("x-link-access", &access.link_access_token)]).await).await,
        (401, "link_password_required".into())
    );
    let other_jar = format!("ferry_link_access={}", access.link_access_token);
    assert_eq!(
        get(&other.url, &[("cookie", &other_jar)]).await.status(),
        401
    );
    // An altered token opens nothing.
    let mut altered = access.link_access_token.clone().into_bytes();
    altered[5] = if altered[5] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    assert_eq!(
        get(&link.url, &[("x-link-access", &altered)])
            .await
            .status(),
        401
    );

    // Revoking the link ends its access tokens too.
    alice.revoke_link(&link.id).await.unwrap();
    assert_eq!(
        error_code(get(&link.url, &[("x-link-access", &access.link_access_token)]).await).await,
        (410, "link_revoked".into())
    );

    // The access token expires (after an hour).
    app.clock.advance(Duration::from_secs(3601));
    let again = alice
        .create_link(&file.id, &with_password(Some(PASSWORD)))
        .await
        .unwrap();
    let fresh = app.anon.unlock_link(&again.url, PASSWORD).await.unwrap();
    app.clock.advance(Duration::from_secs(3600));
    assert_eq!(
        get(&again.url, &[("x-link-access", &fresh.link_access_token)])
            .await
            .status(),
        410,
        "the link (an hour) and its access token expire together"
    );

    // The password is never recorded, only that there is one.
    let events = app
        .admin
        .request(
            reqwest::Method::GET,
            "/audit/events?action=link.created,link.unlock_failed",
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!events.contains(PASSWORD), "{events}");
    assert!(events.contains("\"password\":true"), "{events}");
    assert!(events.contains("link.unlock_failed"), "{events}");
}

async fn repeated_wrong_passwords_are_refused_for_a_while(app: TestApp) {
    let (alice, file, _) = setup(&app, "alice").await;
    let link = alice
        .create_link(&file.id, &with_password(Some(PASSWORD)))
        .await
        .unwrap();
    let neighbour = alice
        .create_link(&file.id, &with_password(Some(PASSWORD)))
        .await
        .unwrap();
    let unlock = |url: String, password: &'static str| {
        let t = token_of(&url).to_string();
        app.raw(reqwest::Method::POST, &format!("/api/v1/links/{t}/unlock"))
            .json(&serde_json::json!({"password": password}))
            .send()
    };
    // Two failures, then the right password: only failures count.
    for _ in 0..2 {
        assert_api_error(
            parse::<api::LinkAccess>(unlock(link.url.clone(), "wrong").await.unwrap()).await,
            401,
            "invalid_link_password",
        );
    }
    parse::<api::LinkAccess>(unlock(link.url.clone(), PASSWORD).await.unwrap())
        .await
        .unwrap();
    assert_api_error(
        parse::<api::LinkAccess>(unlock(link.url.clone(), "wrong").await.unwrap()).await,
        401,
        "invalid_link_password",
    );
    // The limit (3 here): refused, even with the right password, with Retry-After.
    let res = unlock(link.url.clone(), PASSWORD).await.unwrap();
    assert_eq!(res.status(), 429);
    let retry: i64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert_api_error(
        parse::<api::LinkAccess>(res).await,
        429,
        "too_many_attempts",
    );
    // Per link: another link of the same file is not affected.
    parse::<api::LinkAccess>(unlock(neighbour.url.clone(), PASSWORD).await.unwrap())
        .await
        .unwrap();
    // When the window has passed, the link unlocks again.
    app.clock.advance(Duration::from_secs(retry as u64));
    let access = app.anon.unlock_link(&link.url, PASSWORD).await.unwrap();
    assert_eq!(
        get(&link.url, &[("x-link-access", &access.link_access_token)])
            .await
            .status(),
        200
    );
}

async fn info_needs_no_password_and_answers_like_a_download(app: TestApp) {
    let (alice, file, bytes) = setup(&app, "alice").await;
    let link = alice
        .create_link(
            &file.id,
            &api::CreateLink {
                max_downloads: Some(3),
                watermark: Some(false),
                ..with_password(Some(PASSWORD))
            },
        )
        .await
        .unwrap();
    let info = app.anon.link_info(&link.url).await.unwrap();
    assert_eq!(
        (
            info.kind.as_str(),
            info.name.as_str(),
            info.size,
            info.downloads_left,
            info.password_required,
            info.watermark
        ),
        (
            "file",
            "plan.bin",
            Some(bytes.len() as i64),
            Some(3),
            true,
            false
        )
    );
    assert_eq!(info.expires_at, link.expires_at);
    // Asking counts nothing.
    app.anon.link_info(token_of(&link.url)).await.unwrap();
    let listed = alice.list_links(&file.id).await.unwrap().links;
    let listed = listed.iter().find(|l| l.id == link.id).unwrap();
    assert_eq!((listed.downloads_used, listed.bytes_delivered), (0, 0));

    // Unlimited: null.
    let unlimited = alice
        .create_link(&file.id, &with_password(None))
        .await
        .unwrap();
    let info = app.anon.link_info(&unlimited.url).await.unwrap();
    assert_eq!((info.downloads_left, info.password_required), (None, false));

    // Used up: what a download gets.
    let once = alice
        .create_link(
            &file.id,
            &api::CreateLink {
                max_downloads: Some(1),
                ..with_password(None)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        get(&once.url, &[]).await.bytes().await.unwrap().len(),
        bytes.len()
    );
    // The delivery is settled just after its body ends.
    let mut settled = false;
    for _ in 0..400 {
        match app.anon.link_info(&once.url).await {
            Err(e) if e.code() == Some("link_exhausted") => {
                settled = true;
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert!(settled, "the used-up link's info never said so");
    assert_eq!(
        error_code(get(&once.url, &[]).await).await,
        (410, "link_exhausted".into())
    );

    // Revoked, forged, expired: the download's errors.
    alice.revoke_link(&link.id).await.unwrap();
    assert_api_error(app.anon.link_info(&link.url).await, 410, "link_revoked");
    assert_api_error(app.anon.link_info("not-a-token").await, 404, "not_found");
    assert_api_error(
        app.anon.unlock_link("not-a-token", PASSWORD).await,
        404,
        "not_found",
    );
    app.clock.advance(Duration::from_secs(3601));
    assert_api_error(
        app.anon.link_info(&unlimited.url).await,
        410,
        "link_expired",
    );
    assert_eq!(
        error_code(get(&unlimited.url, &[]).await).await,
        (410, "link_expired".into())
    );
}

async fn my_links_are_listed_by_state_and_admins_see_everyones(app: TestApp) {
    let (alice, file, bytes) = setup(&app, "alice").await;
    let (bob, bob_file, _) = setup(&app, "bob").await;
    let short = alice
        .create_link(
            &file.id,
            &api::CreateLink {
                expires_in: Some(60),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.clock.advance(Duration::from_secs(61));
    let revoked = alice
        .create_link(&file.id, &with_password(None))
        .await
        .unwrap();
    alice.revoke_link(&revoked.id).await.unwrap();
    let used_up = alice
        .create_link(
            &file.id,
            &api::CreateLink {
                max_downloads: Some(1),
                ..with_password(None)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        get(&used_up.url, &[]).await.bytes().await.unwrap().len(),
        bytes.len()
    );
    let active = alice
        .create_link(&file.id, &with_password(Some(PASSWORD)))
        .await
        .unwrap();
    let bobs = bob
        .create_link(&bob_file.id, &with_password(None))
        .await
        .unwrap();

    // The used-up link's delivery settles just after its body ends.
    let mut exhausted = Vec::new();
    for _ in 0..400 {
        exhausted = alice.list_my_links(Some("exhausted")).await.unwrap().links;
        if !exhausted.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    fn ids(links: &[api::Link]) -> Vec<&str> {
        links.iter().map(|l| l.id.as_str()).collect()
    }
    assert_eq!(ids(&exhausted), [used_up.id.as_str()]);

    // Alice's links, newest first; bob's are not hers.
    let all = alice.list_my_links(None).await.unwrap().links;
    assert_eq!(
        ids(&all),
        [
            active.id.as_str(),
            used_up.id.as_str(),
            revoked.id.as_str(),
            short.id.as_str()
        ]
    );
    assert!(all[0].password_required && !all[1].password_required);
    for (state, expected) in [
        ("active", &active),
        ("expired", &short),
        ("revoked", &revoked),
        ("exhausted", &used_up),
    ] {
        let found = alice.list_my_links(Some(state)).await.unwrap().links;
        assert_eq!(ids(&found), [expected.id.as_str()], "{state}");
        // The filter and the status the links show agree.
        assert_eq!(found[0].status, state);
    }
    assert_eq!(
        ids(&bob.list_my_links(None).await.unwrap().links),
        [bobs.id.as_str()]
    );

    // Admins see everyone's, with the same filter.
    let everyone = app.admin.list_my_links(None).await.unwrap().links;
    assert_eq!(everyone.len(), 5);
    let active_everywhere = app.admin.list_my_links(Some("active")).await.unwrap().links;
    assert_eq!(
        ids(&active_everywhere),
        [bobs.id.as_str(), active.id.as_str()]
    );
    assert!(active_everywhere.iter().all(|l| l.status == "active"));

    // Paged like every list.
    let first = alice.list_my_links_page(None, Some(3), None).await.unwrap();
    assert_eq!(first.links.len(), 3);
    let second = alice
        .list_my_links_page(None, Some(3), first.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(ids(&second.links), [short.id.as_str()]);
    assert_eq!(second.next_cursor, None);

    // kind=upload: there are none yet; folder_id: links to files in that folder.
    let q = |query: &str| {
        alice
            .request(reqwest::Method::GET, &format!("/links?{query}"))
            .send()
    };
    let uploads: api::LinkList = parse(q("kind=upload").await.unwrap()).await.unwrap();
    assert!(uploads.links.is_empty());
    let downloads: api::LinkList = parse(q("kind=download").await.unwrap()).await.unwrap();
    assert_eq!(downloads.links.len(), 4);
    let in_folder: api::LinkList = parse(
        q(&format!("folder_id={}&state=active", file.folder_id))
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(ids(&in_folder.links), [active.id.as_str()]);
    let elsewhere: api::LinkList = parse(
        q(&format!("folder_id={}", bob_file.folder_id))
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(
        elsewhere.links.is_empty(),
        "bob's folder: none of alice's links"
    );
    for bad in ["state=gone", "kind=folder", "limit=0", "cursor=nope"] {
        let res = q(bad).await.unwrap();
        assert_eq!(res.status(), 400, "{bad}");
    }
}
