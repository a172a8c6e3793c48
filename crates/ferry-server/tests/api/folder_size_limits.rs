//! Folder size limits (seed 001 `shares/sizelimit`): `size_limit_bytes` on a folder caps what
//! its subtree holds, whoever uploads (`413 folder_size_limit`), under concurrent uploads too;
//! only those who may manage the folder set it; copies and resumable uploads are held to it.

use ferry_api as api;
use ferry_client::Client;

use crate::helpers::{TestApp, assert_api_error};
use crate::on_both_backends;

on_both_backends!(
    a_size_limit_caps_the_subtree_whoever_uploads,
    concurrent_uploads_never_pass_the_limit,
);

fn limit(bytes: Option<i64>) -> api::UpdateFolder {
    api::UpdateFolder {
        size_limit_bytes: Some(bytes),
        ..Default::default()
    }
}

async fn editor_of(app: &TestApp, owner: &Client, folder: &api::Folder, login: &str) -> Client {
    let (user, client) = app.user(login, None).await;
    let invitation = owner
        .invite(
            &folder.id,
            &api::CreateCollaboration {
                user: Some(user.login.clone()),
                group: None,
                email: None,
                role: "editor".into(),
                message: None,
                expires_at: None,
            },
        )
        .await
        .unwrap();
    client
        .accept_invitation(&invitation.id, None)
        .await
        .unwrap();
    client
}

async fn a_size_limit_caps_the_subtree_whoever_uploads(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder_in(None, "Shared").await.unwrap();
    let sub = alice.create_folder_in(Some(&top.id), "Sub").await.unwrap();
    let bob = editor_of(&app, &alice, &top, "bob").await;
    // An editor may not set it; the owner may, and it shows on the folder.
    assert_api_error(
        bob.update_folder(&top.id, &limit(Some(100_000))).await,
        403,
        "permission_denied",
    );
    assert_api_error(
        alice.update_folder(&top.id, &limit(Some(0))).await,
        400,
        "invalid_value",
    );
    let limited = alice
        .update_folder(&top.id, &limit(Some(100_000)))
        .await
        .unwrap();
    assert_eq!(limited.size_limit_bytes, Some(100_000));

    // Uploads by anyone, anywhere below, add up against it.
    alice
        .upload(&sub.id, "a.bin", vec![1u8; 60_000])
        .await
        .unwrap();
    let refused = bob.upload(&top.id, "b.bin", vec![2u8; 50_000]).await;
    let err = refused.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(413));
    assert_eq!(err.code(), Some("folder_size_limit"));
    bob.upload(&top.id, "b.bin", vec![2u8; 40_000])
        .await
        .unwrap();
    // Full: a new version too, a copy into it, a resumable upload before its first byte.
    let err = alice
        .upload(&sub.id, "c.bin", vec![3u8; 1])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("folder_size_limit"));
    let elsewhere = alice.create_folder_in(None, "Elsewhere").await.unwrap();
    let outside = alice
        .upload(&elsewhere.id, "d.bin", vec![4u8; 10])
        .await
        .unwrap();
    let copied = alice
        .copy_file(
            &outside.id,
            &api::MoveFile {
                folder_id: sub.id.clone(),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(copied.unwrap_err().code(), Some("folder_size_limit"));
    let resumable = alice
        .create_upload(&api::CreateUpload {
            folder_id: sub.id.clone(),
            filename: "e.bin".into(),
            size: 10,
            checksum_sha256: None,
            part_size: None,
            on_conflict: None,
            relative_path: None,
            modified_at: None,
            uploader_name: None,
            uploader_email: None,
        })
        .await;
    assert_eq!(resumable.unwrap_err().code(), Some("folder_size_limit"));
    // Deleting makes room; lifting the limit lifts it.
    let a = alice
        .list_files(&sub.id, None, None)
        .await
        .unwrap()
        .files
        .remove(0);
    alice.delete_file(&a.id).await.unwrap();
    alice
        .upload(&sub.id, "c.bin", vec![3u8; 50_000])
        .await
        .unwrap();
    alice.update_folder(&top.id, &limit(None)).await.unwrap();
    alice
        .upload(&sub.id, "big.bin", vec![5u8; 200_000])
        .await
        .unwrap();
    let unlimited = alice.get_folder(&top.id).await.unwrap();
    assert_eq!(unlimited.size_limit_bytes, None);
}

async fn concurrent_uploads_never_pass_the_limit(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder_in(None, "Drop").await.unwrap();
    let mut subs = Vec::new();
    for i in 0..4 {
        subs.push(
            alice
                .create_folder_in(Some(&top.id), &format!("s{i}"))
                .await
                .unwrap(),
        );
    }
    alice
        .update_folder(&top.id, &limit(Some(100_000)))
        .await
        .unwrap();
    // 16 uploads of 20 KB at once into four subfolders: exactly five fit.
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let client = alice.clone();
            let folder = subs[i % 4].id.clone();
            tokio::spawn(async move {
                client
                    .upload(&folder, &format!("f{i}.bin"), vec![i as u8; 20_000])
                    .await
            })
        })
        .collect();
    let mut stored = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => stored += 1,
            Err(e) => assert_eq!(e.code(), Some("folder_size_limit"), "{e}"),
        }
    }
    assert_eq!(stored, 5);
    let folder: api::Folder = alice
        .request(
            reqwest::Method::GET,
            &format!("/folders/{}?include=size", top.id),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(folder.size.unwrap().bytes, 100_000);
}
