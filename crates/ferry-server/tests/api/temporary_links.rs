//! Temporary links (`POST /files/{id}/temporary-link`): a URL to a file's content that needs
//! no credentials, downloads as the user who made it (access decided again at each download,
//! audited as that user's `file.downloaded`), expires after 4 hours, and cannot be forged or
//! pointed at another file.

use std::time::Duration;

use ferry_api as api;

use crate::helpers::{TestApp, assert_api_error, sha256_hex};
use crate::on_both_backends;

on_both_backends!(
    a_temporary_link_downloads_without_credentials_as_its_user,
    a_temporary_link_cannot_be_forged_moved_or_used_after_it_expires,
    a_temporary_link_stops_with_the_access_of_its_user,
);

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

fn bytes() -> Vec<u8> {
    (0..300_000u32).map(|i| (i % 251) as u8).collect()
}

async fn a_temporary_link_downloads_without_credentials_as_its_user(app: TestApp) {
    let (alice, client) = app.user("alice", None).await;
    let folder = client.create_folder("outbox", 0).await.unwrap();
    let data = bytes();
    let file = client
        .upload(&folder.id, "report.bin", data.clone())
        .await
        .unwrap();
    let link = client.temporary_link(&file.id).await.unwrap();
    assert!(link.url.starts_with(&app.url), "absolute: {}", link.url);
    assert!(
        link.url
            .contains(&format!("/api/v1/files/{}/content?", file.id))
    );

    let res = get(&link.url, &[]).await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("report.bin"), "{disposition}");
    assert_eq!(sha256_hex(&res.bytes().await.unwrap()), sha256_hex(&data));

    // Ranges work as on the authenticated content.
    let res = get(&link.url, &[("Range", "bytes=10-19")]).await;
    assert_eq!(res.status(), 206);
    assert_eq!(&res.bytes().await.unwrap()[..], &data[10..20]);

    // Audited as alice's downloads, with the bytes sent.
    let events = client
        .audit_events(&[("action", "file.downloaded"), ("target", &file.id)])
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 2, "{events:?}");
    for e in &events {
        assert_eq!(e.actor.as_ref().unwrap().id, alice.id);
        assert_eq!(e.outcome, "success");
    }
    assert_eq!(events[1].details["bytes"], data.len());
    assert_eq!(events[0].details["bytes"], 10);

    // Someone who cannot see the file cannot make one.
    let (_, bob) = app.user("bob", None).await;
    assert_api_error(bob.temporary_link(&file.id).await, 404, "not_found");
    // Nor can an anonymous caller.
    assert_api_error(app.anon.temporary_link(&file.id).await, 401, "unauthorized");
}

async fn a_temporary_link_cannot_be_forged_moved_or_used_after_it_expires(app: TestApp) {
    let (_, client) = app.user("alice", None).await;
    let folder = client.create_folder("outbox", 0).await.unwrap();
    let file = client.upload(&folder.id, "a.bin", bytes()).await.unwrap();
    let other = client
        .upload(&folder.id, "b.bin", b"other".to_vec())
        .await
        .unwrap();
    let link = client.temporary_link(&file.id).await.unwrap();
    let token = link
        .url
        .split("temporary_token=")
        .nth(1)
        .unwrap()
        .to_string();

    // Another file's URL with this token: not found (a token opens one file).
    let moved = format!(
        "{}/api/v1/files/{}/content?temporary_token={token}",
        app.url, other.id
    );
    assert_eq!(
        error_code(get(&moved, &[]).await).await,
        (404, "not_found".into())
    );
    // A token changed by one character: not found.
    let mut forged = token.clone().into_bytes();
    let last = forged.len() - 3;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = format!(
        "{}/api/v1/files/{}/content?temporary_token={}",
        app.url,
        file.id,
        String::from_utf8(forged).unwrap()
    );
    assert_eq!(
        error_code(get(&forged, &[]).await).await,
        (404, "not_found".into())
    );
    // Garbage: not found, never 500.
    let garbage = format!(
        "{}/api/v1/files/{}/content?temporary_token=%00%ff",
        app.url, file.id
    );
    assert_eq!(
        error_code(get(&garbage, &[]).await).await,
        (404, "not_found".into())
    );

    // Valid for 4 hours.
    app.clock.advance(Duration::from_secs(4 * 3600 - 60));
    assert_eq!(get(&link.url, &[]).await.status(), 200);
    app.clock.advance(Duration::from_secs(120));
    assert_eq!(
        error_code(get(&link.url, &[]).await).await,
        (410, "link_expired".into())
    );
}

async fn a_temporary_link_stops_with_the_access_of_its_user(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (bob_user, bob) = app.user("bob", None).await;
    let folder = alice.create_folder("shared", 0).await.unwrap();
    let file = alice.upload(&folder.id, "plan.bin", bytes()).await.unwrap();
    let invitation = alice
        .invite(
            &folder.id,
            &api::CreateCollaboration {
                user: Some("bob".into()),
                role: "viewer".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    bob.accept_invitation(&invitation.id, None).await.unwrap();
    let link = bob.temporary_link(&file.id).await.unwrap();
    assert_eq!(get(&link.url, &[]).await.status(), 200);

    // The share is removed: bob's link no longer opens the file.
    alice.remove_collaboration(&invitation.id).await.unwrap();
    assert_eq!(
        error_code(get(&link.url, &[]).await).await,
        (404, "not_found".into())
    );

    // A link of a disabled account stops too.
    let own = bob.create_folder("mine", 0).await.unwrap();
    let mine = bob.upload(&own.id, "x.bin", b"x".to_vec()).await.unwrap();
    let link = bob.temporary_link(&mine.id).await.unwrap();
    assert_eq!(get(&link.url, &[]).await.status(), 200);
    app.admin
        .update_user(
            &bob_user.id,
            &api::UpdateUser {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        error_code(get(&link.url, &[]).await).await,
        (401, "account_disabled".into())
    );
}
