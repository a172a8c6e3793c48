//! The folder tree: subfolders and paths, one case-insensitive namespace per folder, the depth
//! limit, sorted listings, rename with ETags, move and copy (atomic, cycle-safe, no bytes
//! copied), the trash, and path lookup.

use ferry_api as api;
use ferry_client::Client;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_api_error, assert_field_error, parse};
use crate::on_both_backends;

on_both_backends!(
    subfolders_have_paths_and_sorted_children,
    one_case_insensitive_namespace_for_files_and_folders,
    folders_nest_at_most_64_levels,
    metadata_etags_refuse_lost_updates,
    moves_are_atomic_and_refuse_cycles,
    crossed_moves_at_the_same_moment_make_no_cycle,
    copies_share_bytes_and_pay_quota,
    folder_delete_restore_and_purge,
    held_folders_and_permanent_deletes,
    resolve_and_recursive_size,
    other_users_trees_are_not_found,
    uploads_create_their_relative_path,
    search_finds_only_what_the_caller_can_read,
    search_pages_through_many_matches_in_name_order,
    favorites_are_per_user,
    batches_answer_item_by_item,
    trash_inside_a_folder_moves_with_it_to_its_new_owner,
);

async fn folder_in(c: &Client, parent: &str, name: &str) -> api::Folder {
    c.create_folder_in(Some(parent), name).await.unwrap()
}

fn to_folder(folder_id: &str) -> api::MoveFile {
    api::MoveFile {
        folder_id: folder_id.into(),
        ..Default::default()
    }
}

fn under(parent_id: Option<&str>) -> api::MoveFolder {
    api::MoveFolder {
        parent_id: Some(parent_id.map(str::to_string)),
        ..Default::default()
    }
}

async fn subfolders_have_paths_and_sorted_children(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("Partner deliveries", 0).await.unwrap();
    assert_eq!(
        (top.path.as_str(), top.parent_id),
        ("/Partner deliveries", None)
    );
    assert_eq!(top.role, "owner");
    let year = folder_in(&alice, &top.id, "2026").await;
    assert_eq!(year.path, "/Partner deliveries/2026");
    assert_eq!(year.parent_id.as_deref(), Some(top.id.as_str()));
    assert_eq!(year.owner.login, "alice");
    for name in ["b", "C", "a"] {
        folder_in(&alice, &year.id, name).await;
    }
    // The root stays the top-level folders.
    let root = alice.list_folders(false).await.unwrap().folders;
    assert_eq!(root.len(), 1);
    let names = |list: &api::FolderList| {
        list.folders
            .iter()
            .map(|f| f.name.clone())
            .collect::<Vec<_>>()
    };
    let children = alice.children(&year.id, None, None).await.unwrap();
    assert_eq!(names(&children), ["a", "b", "C"], "by name, without case");
    assert_eq!(children.folders[2].path, "/Partner deliveries/2026/C");
    let desc: api::FolderList = parse(
        alice
            .request(
                Method::GET,
                &format!("/folders/{}/children?sort=-name", year.id),
            )
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(names(&desc), ["C", "b", "a"]);

    // Files sort by size both ways and page with a cursor of the same sort.
    for (name, size) in [("m", 3), ("s", 1), ("l", 5), ("x", 3)] {
        alice
            .upload(&year.id, name, vec![b'x'; size])
            .await
            .unwrap();
    }
    let page = |sort: &str, cursor: Option<String>| {
        let alice = alice.clone();
        let url = format!("/folders/{}/files?sort={sort}&limit=2", year.id);
        async move {
            let mut req = alice.request(Method::GET, &url);
            if let Some(c) = cursor {
                req = req.query(&[("cursor", c)]);
            }
            parse::<api::FileList>(req.send().await.unwrap()).await
        }
    };
    let first = page("-size", None).await.unwrap();
    let second = page("-size", first.next_cursor.clone()).await.unwrap();
    let order: Vec<_> = first
        .files
        .iter()
        .chain(&second.files)
        .map(|f| (f.name.clone(), f.size))
        .collect();
    assert_eq!(order[0], ("l".into(), 5));
    assert_eq!(order[3], ("s".into(), 1));
    assert_eq!(order.len(), 4);
    assert_eq!(second.next_cursor, None);
    assert_eq!(
        second.files[0].path,
        format!("/Partner deliveries/2026/{}", second.files[0].name)
    );
    assert_field_error(
        page("name", first.next_cursor).await,
        400,
        "invalid_cursor",
        "cursor",
    );
    assert_field_error(page("colour", None).await, 400, "invalid_value", "sort");
    // A cursor whose value has the wrong type for its sort is refused, not a server error.
    use base64::Engine;
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"s":"-size","t":"a","id":"x"}"#);
    assert_field_error(
        page("-size", Some(forged)).await,
        400,
        "invalid_cursor",
        "cursor",
    );
    for limit in [0, 1001] {
        let res = alice
            .request(
                Method::GET,
                &format!("/folders/{}/children?limit={limit}", year.id),
            )
            .send()
            .await
            .unwrap();
        assert_field_error(
            parse::<api::FolderList>(res).await,
            400,
            "invalid_value",
            "limit",
        );
    }
}

async fn one_case_insensitive_namespace_for_files_and_folders(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("top", 0).await.unwrap();
    alice
        .upload(&top.id, "Report.pdf", b"pdf".to_vec())
        .await
        .unwrap();
    // A folder may not take a file's name, whatever its case.
    assert_api_error(
        alice.create_folder_in(Some(&top.id), "report.PDF").await,
        409,
        "name_conflict",
    );
    // An upload that collides is renamed, keeping the case it was given.
    let renamed = alice
        .upload(&top.id, "REPORT.pdf", b"other".to_vec())
        .await
        .unwrap();
    assert_eq!(renamed.name, "REPORT (1).pdf");
    let sub = folder_in(&alice, &top.id, "Sub").await;
    let clash = alice
        .update_folder(
            &sub.id,
            &api::UpdateFolder {
                name: Some("report.pdf".into()),
                ..Default::default()
            },
        )
        .await;
    assert_api_error(clash, 409, "name_conflict");
    // Renaming to another case of one's own name is fine.
    let same = alice
        .update_folder(
            &sub.id,
            &api::UpdateFolder {
                name: Some("SUB".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(same.name, "SUB");
    for bad in ["..", ".", "a/b", "back\\slash", "trailing.", " lead", ""] {
        let res = alice
            .update_folder(
                &sub.id,
                &api::UpdateFolder {
                    name: Some(bad.into()),
                    ..Default::default()
                },
            )
            .await;
        assert_field_error(res, 400, "invalid_name", "name");
    }
    // Names are stored NFC: the decomposed and the composed form are one name.
    let cafe = folder_in(&alice, &top.id, "Cafe\u{301}").await;
    assert_eq!(cafe.name, "Caf\u{e9}");
    assert_api_error(
        alice.create_folder_in(Some(&top.id), "CAF\u{c9}").await,
        409,
        "name_conflict",
    );
}

async fn folders_nest_at_most_64_levels(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let mut parent = alice.create_folder("level 1", 0).await.unwrap();
    for level in 2..=64 {
        parent = folder_in(&alice, &parent.id, &format!("level {level}")).await;
    }
    assert_eq!(parent.path.matches('/').count(), 64);
    let body = assert_api_error(
        alice.create_folder_in(Some(&parent.id), "level 65").await,
        409,
        "depth_limit_exceeded",
    );
    assert_eq!(body.error.details.unwrap()["max_depth"], 64);
    // A move that would push the deepest folder below 64 levels is refused too.
    let (_, bob) = app.user("bob", None).await;
    let a = bob.create_folder("a", 0).await.unwrap();
    let b = folder_in(&bob, &a.id, "b").await;
    let mut deep = bob.create_folder("deep 1", 0).await.unwrap();
    for level in 2..=63 {
        deep = folder_in(&bob, &deep.id, &format!("deep {level}")).await;
    }
    assert_api_error(
        bob.move_folder(&a.id, &under(Some(&deep.id))).await,
        409,
        "depth_limit_exceeded",
    );
    let still = bob.get_folder(&b.id).await.unwrap();
    assert_eq!(still.path, "/a/b", "a refused move changes nothing");
}

async fn metadata_etags_refuse_lost_updates(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("top", 0).await.unwrap();
    let file = alice
        .upload(&top.id, "notes.txt", b"n".to_vec())
        .await
        .unwrap();
    let url = format!("/files/{}", file.id);
    let res = alice.request(Method::GET, &url).send().await.unwrap();
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let res = alice
        .request(Method::GET, &url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    // Editor one renames with the ETag it read: accepted, the ETag changes.
    let res = alice
        .request(Method::PATCH, &url)
        .header("if-match", &etag)
        .json(&json!({"name": "notes v2.txt", "description": "minutes", "tags": ["q4", "board"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let new_etag = res.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(new_etag, etag);
    let renamed: api::File = res.json().await.unwrap();
    assert_eq!(
        (
            renamed.name.as_str(),
            renamed.description.as_str(),
            renamed.tags.clone()
        ),
        (
            "notes v2.txt",
            "minutes",
            vec!["q4".to_string(), "board".to_string()]
        )
    );
    assert_eq!(renamed.path, "/top/notes v2.txt");
    // Editor two still holds the old ETag: refused, nothing changes.
    let stale = alice
        .request(Method::PATCH, &url)
        .header("if-match", &etag)
        .json(&json!({"name": "clobbered.txt"}))
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<api::File>(stale).await, 412, "precondition_failed");
    let stale_move = alice
        .request(Method::POST, &format!("{url}/move"))
        .header("if-match", &etag)
        .json(&json!({"folder_id": top.id, "name": "moved.txt"}))
        .send()
        .await
        .unwrap();
    assert_api_error(
        parse::<api::File>(stale_move).await,
        412,
        "precondition_failed",
    );
    assert_eq!(alice.get_file(&file.id).await.unwrap().name, "notes v2.txt");
    // The same on folders.
    let res = alice
        .request(Method::PATCH, &format!("/folders/{}", top.id))
        .header("if-match", "\"r999\"")
        .json(&json!({"description": "x"}))
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<api::Folder>(res).await, 412, "precondition_failed");
    let too_many: Vec<String> = (0..33).map(|i| format!("t{i}")).collect();
    let res = alice
        .update_file(
            &file.id,
            &api::UpdateFile {
                tags: Some(too_many),
                ..Default::default()
            },
        )
        .await;
    assert_field_error(res, 400, "invalid_value", "tags");
    let events = app
        .admin
        .audit_events(&[("action", "file.renamed"), ("target", &file.id)])
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["to"], "notes v2.txt");
}

async fn moves_are_atomic_and_refuse_cycles(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("top", 0).await.unwrap();
    let a = folder_in(&alice, &top.id, "a").await;
    let b = folder_in(&alice, &a.id, "b").await;
    let other = folder_in(&alice, &top.id, "other").await;
    // Into itself or below itself.
    for target in [&a.id, &b.id] {
        assert_api_error(
            alice.move_folder(&a.id, &under(Some(target))).await,
            409,
            "invalid_move",
        );
    }
    // A name taken at the target with `fail`: refused, both places as before.
    folder_in(&alice, &other.id, "A").await;
    let fail = api::MoveFolder {
        on_conflict: Some("fail".into()),
        ..under(Some(&other.id))
    };
    assert_api_error(alice.move_folder(&a.id, &fail).await, 409, "name_conflict");
    assert_eq!(alice.get_folder(&b.id).await.unwrap().path, "/top/a/b");
    // A move must say where: a forgotten parent_id is not "to the top level".
    let res = alice
        .request(Method::POST, &format!("/folders/{}/move", a.id))
        .json(&json!({"name": "renamed"}))
        .send()
        .await
        .unwrap();
    assert_field_error(
        parse::<api::Folder>(res).await,
        400,
        "missing_field",
        "parent_id",
    );
    // A dry run says it would work, and changes nothing.
    let dry = alice
        .request(Method::POST, &format!("/folders/{}/move", a.id))
        .json(&json!({"parent_id": other.id, "dry_run": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(dry.status(), 200);
    assert_eq!(
        dry.json::<serde_json::Value>().await.unwrap(),
        json!({"ok": true})
    );
    assert_eq!(alice.get_folder(&a.id).await.unwrap().path, "/top/a");
    // The real move renames past the clash; what is below moves with it.
    let moved = alice
        .move_folder(&a.id, &under(Some(&other.id)))
        .await
        .unwrap();
    assert_eq!(moved.path, "/top/other/a (1)");
    assert_eq!(
        alice.get_folder(&b.id).await.unwrap().path,
        "/top/other/a (1)/b"
    );
    // To the top level.
    let top_level = alice.move_folder(&b.id, &under(None)).await.unwrap();
    assert_eq!((top_level.path.as_str(), top_level.parent_id), ("/b", None));
    // Files move too; a clash with a folder's name counts.
    let file = alice.upload(&top.id, "f.txt", b"f".to_vec()).await.unwrap();
    let moved = alice
        .move_file(&file.id, &to_folder(&other.id))
        .await
        .unwrap();
    assert_eq!(
        (moved.id.as_str(), moved.path.as_str()),
        (file.id.as_str(), "/top/other/f.txt")
    );
    let into_name = api::MoveFile {
        name: Some("A".into()),
        on_conflict: Some("fail".into()),
        ..to_folder(&other.id)
    };
    assert_api_error(
        alice.move_file(&file.id, &into_name).await,
        409,
        "name_conflict",
    );
    let events = app
        .admin
        .audit_events(&[("action", "folder.moved,file.moved")])
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 3);
}

async fn crossed_moves_at_the_same_moment_make_no_cycle(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("top", 0).await.unwrap();
    for round in 0..5 {
        let a = folder_in(&alice, &top.id, &format!("a{round}")).await;
        let b = folder_in(&alice, &top.id, &format!("b{round}")).await;
        let (into_b, into_a) = (under(Some(&b.id)), under(Some(&a.id)));
        let (ab, ba) = tokio::join!(
            alice.move_folder(&a.id, &into_b),
            alice.move_folder(&b.id, &into_a),
        );
        let ok = [ab.is_ok(), ba.is_ok()];
        assert_eq!(
            ok.iter().filter(|o| **o).count(),
            1,
            "exactly one wins: {ab:?} {ba:?}"
        );
        let loser = if ab.is_ok() { ba } else { ab };
        assert_api_error(loser, 409, "invalid_move");
        // Both are still reachable from the root: no cycle.
        let pa = alice.get_folder(&a.id).await.unwrap().path;
        let pb = alice.get_folder(&b.id).await.unwrap().path;
        assert!(
            pa.starts_with("/top/") && pb.starts_with("/top/"),
            "{pa} {pb}"
        );
    }
}

async fn copies_share_bytes_and_pay_quota(app: TestApp) {
    let (_, alice) = app.user("alice", Some(100)).await;
    let top = alice.create_folder("top", 0).await.unwrap();
    let src = folder_in(&alice, &top.id, "src").await;
    let inner = folder_in(&alice, &src.id, "inner").await;
    let file = alice
        .upload(&inner.id, "data.bin", vec![7u8; 30])
        .await
        .unwrap();
    let blobs = app.blob_files().await;
    let copy = alice
        .copy_file(&file.id, &to_folder(&top.id))
        .await
        .unwrap();
    assert_ne!(copy.id, file.id);
    assert_eq!(copy.checksum_sha256, file.checksum_sha256);
    assert_eq!(app.blob_files().await, blobs, "no bytes are copied");
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 60);
    let tree = alice
        .copy_folder(&src.id, &under(Some(&top.id)))
        .await
        .unwrap();
    assert_eq!(tree.path, "/top/src (1)");
    let copied_inner = &alice.children(&tree.id, None, None).await.unwrap().folders[0];
    let files = alice
        .list_files(&copied_inner.id, None, None)
        .await
        .unwrap()
        .files;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, "/top/src (1)/inner/data.bin");
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 90);
    assert_eq!(app.blob_files().await, blobs);
    // Past the quota: refused, nothing half-done.
    assert_api_error(
        alice.copy_folder(&src.id, &under(Some(&top.id))).await,
        413,
        "quota_exceeded",
    );
    assert_eq!(
        alice
            .children(&top.id, None, None)
            .await
            .unwrap()
            .folders
            .len(),
        2
    );
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 90);
    // A copy of a folder into itself is refused.
    assert_api_error(
        alice.copy_folder(&src.id, &under(Some(&inner.id))).await,
        409,
        "invalid_move",
    );
    // The copy is independent: deleting the original leaves the copy readable.
    alice.delete_file(&file.id).await.unwrap();
    let body = alice.download(&files[0].id, &[]).await.unwrap().body;
    assert_eq!(body.as_ref(), &[7u8; 30]);
}

async fn folder_delete_restore_and_purge(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("top", 0).await.unwrap();
    let gone = folder_in(&alice, &top.id, "gone").await;
    let below = folder_in(&alice, &gone.id, "below").await;
    let file = alice
        .upload(&below.id, "x.txt", b"12345".to_vec())
        .await
        .unwrap();
    alice.delete_folder(&gone.id, false).await.unwrap();
    // Out of sight everywhere but the trash, as one item.
    assert_api_error(alice.get_folder(&gone.id).await, 404, "not_found");
    assert_api_error(alice.get_folder(&below.id).await, 404, "not_found");
    assert_api_error(alice.get_file(&file.id).await, 404, "not_found");
    assert!(
        alice
            .children(&top.id, None, None)
            .await
            .unwrap()
            .folders
            .is_empty()
    );
    let trash = alice.trash(None, None).await.unwrap().items;
    assert_eq!(trash.len(), 1);
    assert_eq!(
        (
            trash[0].kind.as_str(),
            trash[0].original_path.as_str(),
            trash[0].state.as_str()
        ),
        ("folder", "/top/gone", "trashed")
    );
    assert_eq!(trash[0].size, 5);
    assert_eq!(trash[0].deleted_by.as_ref().unwrap().login, "alice");
    // Its name is free meanwhile; the restore steps aside.
    folder_in(&alice, &top.id, "gone").await;
    let restored = alice
        .restore_item(&gone.id, &api::RestoreItem::default())
        .await
        .unwrap();
    assert_eq!(restored["path"], "/top/gone (1)");
    assert_eq!(
        alice.get_file(&file.id).await.unwrap().path,
        "/top/gone (1)/below/x.txt"
    );
    assert!(alice.trash(None, None).await.unwrap().items.is_empty());

    // A file whose folder is gone cannot go back there unless told where.
    let lone = alice
        .upload(&below.id, "lone.txt", b"l".to_vec())
        .await
        .unwrap();
    alice.delete_file(&lone.id).await.unwrap();
    alice.delete_folder(&below.id, false).await.unwrap();
    alice.purge_item(&below.id).await.unwrap();
    assert_api_error(
        alice
            .restore_item(&lone.id, &api::RestoreItem::default())
            .await,
        404,
        "not_found",
    );

    let other = alice
        .upload(&top.id, "other.txt", b"o".to_vec())
        .await
        .unwrap();
    let sub = folder_in(&alice, &top.id, "sub").await;
    let moved = alice
        .move_file(&other.id, &to_folder(&sub.id))
        .await
        .unwrap();
    alice.delete_file(&moved.id).await.unwrap();
    alice.delete_folder(&sub.id, true).await.unwrap();
    // The file's folder was purged: it went with it.
    assert!(alice.trash(None, None).await.unwrap().items.is_empty());

    let kept = alice
        .upload(&top.id, "kept.txt", b"k".to_vec())
        .await
        .unwrap();
    let parent = folder_in(&alice, &top.id, "parent").await;
    let moved = alice
        .move_file(&kept.id, &to_folder(&parent.id))
        .await
        .unwrap();
    alice.delete_file(&moved.id).await.unwrap();
    alice
        .upload(&parent.id, "extra.txt", b"extra".to_vec())
        .await
        .unwrap();
    alice.delete_folder(&parent.id, false).await.unwrap();
    assert_api_error(
        alice
            .restore_item(&kept.id, &api::RestoreItem::default())
            .await,
        409,
        "original_parent_missing",
    );
    let back = alice
        .restore_item(
            &kept.id,
            &api::RestoreItem {
                parent_id: Some(top.id.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(back["path"], "/top/kept.txt");
    // Emptying purges everything purgeable and gives the bytes back.
    let before = alice.me().await.unwrap().quota.used_bytes;
    alice.empty_trash().await.unwrap();
    assert!(alice.trash(None, None).await.unwrap().items.is_empty());
    assert!(alice.me().await.unwrap().quota.used_bytes < before);
    let emptied = app
        .admin
        .audit_events(&[("action", "trash.emptied")])
        .await
        .unwrap()
        .events;
    assert_eq!(emptied.len(), 1);
}

async fn held_folders_and_permanent_deletes(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let kept = alice.create_folder("kept", 30).await.unwrap();
    // A subfolder inherits the rule and may only lengthen it.
    let res = alice
        .request(Method::POST, "/folders")
        .json(&json!({"name": "shorter", "parent_id": kept.id, "retention_days": 1}))
        .send()
        .await
        .unwrap();
    assert_field_error(
        parse::<api::Folder>(res).await,
        400,
        "invalid_value",
        "retention_days",
    );
    let sub = folder_in(&alice, &kept.id, "sub").await;
    assert_eq!(sub.retention_days, 30);
    let file = alice.upload(&sub.id, "a.txt", b"a".to_vec()).await.unwrap();
    // A file below a retention rule is held on delete.
    let held = alice.delete_file(&file.id).await.unwrap().expect("held");
    assert_eq!(held.retention.state, "held");
    let permanent = alice
        .request(
            Method::DELETE,
            &format!("/folders/{}?permanent=true", sub.id),
        )
        .send()
        .await
        .unwrap();
    assert_api_error(
        parse::<serde_json::Value>(permanent).await,
        410,
        "file_held",
    );
    let res = alice
        .request(Method::DELETE, &format!("/folders/{}", sub.id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let item: api::TrashItem = res.json().await.unwrap();
    assert_eq!(
        (item.kind.as_str(), item.state.as_str()),
        ("folder", "held")
    );
    assert!(item.held_until.is_some());
    assert_eq!(alice.trash(None, None).await.unwrap().items.len(), 2);
    assert_api_error(alice.purge_item(&sub.id).await, 410, "file_held");
    app.admin.purge_item(&sub.id).await.unwrap();
    assert!(
        alice.trash(None, None).await.unwrap().items.is_empty(),
        "the held file went with its folder"
    );
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);

    // Without a rule, `permanent` skips the trash.
    let plain = alice.create_folder("plain", 0).await.unwrap();
    let file = alice
        .upload(&plain.id, "b.txt", b"bb".to_vec())
        .await
        .unwrap();
    let res = alice
        .request(
            Method::DELETE,
            &format!("/files/{}?permanent=true", file.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(alice.trash(None, None).await.unwrap().items.is_empty());
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);
    // A trashed file still counts until it is purged.
    let file = alice
        .upload(&plain.id, "c.txt", b"ccc".to_vec())
        .await
        .unwrap();
    assert!(alice.delete_file(&file.id).await.unwrap().is_none());
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 3);
    assert_api_error(alice.get_file(&file.id).await, 404, "not_found");
    // A held file keeps its hold when its folder's rule is lowered afterwards: the folder
    // cannot be purged at once, and deleting it holds it.
    let legal = alice.create_folder("legal", 365).await.unwrap();
    let contract = alice
        .upload(&legal.id, "contract.pdf", b"c".to_vec())
        .await
        .unwrap();
    alice
        .delete_file(&contract.id)
        .await
        .unwrap()
        .expect("held");
    alice
        .update_folder(
            &legal.id,
            &api::UpdateFolder {
                retention_days: Some(0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let permanent = alice
        .request(
            Method::DELETE,
            &format!("/folders/{}?permanent=true", legal.id),
        )
        .send()
        .await
        .unwrap();
    assert_api_error(
        parse::<serde_json::Value>(permanent).await,
        410,
        "file_held",
    );
    let res = alice
        .request(Method::DELETE, &format!("/folders/{}", legal.id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "held, because of the held file inside");
    assert_api_error(alice.purge_item(&legal.id).await, 410, "file_held");
    // Batches answer as the single request would: 200 for a held item.
    let kept2 = alice.create_folder("kept2", 30).await.unwrap();
    let f = alice
        .upload(&kept2.id, "f.txt", b"f".to_vec())
        .await
        .unwrap();
    let results: api::BatchResults = parse(
        alice
            .request(Method::POST, "/batch/delete")
            .json(&json!({"items": [f.id]}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(results.results[0].status, 200);
}

async fn resolve_and_recursive_size(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("Top", 0).await.unwrap();
    let sub = folder_in(&alice, &top.id, "Sub").await;
    let file = alice
        .upload(&sub.id, "File.txt", b"12345".to_vec())
        .await
        .unwrap();
    alice
        .upload(&top.id, "other.txt", b"123".to_vec())
        .await
        .unwrap();
    let found = alice.resolve("/top/sub/file.TXT").await.unwrap();
    assert_eq!(found.kind, "file");
    assert_eq!(found.file.unwrap().id, file.id);
    let found = alice.resolve("/Top/Sub/").await.unwrap();
    assert_eq!(
        (found.kind.as_str(), found.folder.unwrap().id),
        ("folder", sub.id.clone())
    );
    for missing in ["/Top/nope", "/nope", "/Top/Sub/File.txt/deeper", "/"] {
        assert_api_error(alice.resolve(missing).await, 404, "not_found");
    }
    let (_, bob) = app.user("bob", None).await;
    assert_api_error(bob.resolve("/Top").await, 404, "not_found");
    // An admin, who sees every top-level folder, finds alice's by its path.
    let as_admin = app.admin.resolve("/Top/Sub/File.txt").await.unwrap();
    assert_eq!(as_admin.file.unwrap().id, file.id);
    let res = alice
        .request(Method::GET, &format!("/folders/{}?include=size", top.id))
        .send()
        .await
        .unwrap();
    let folder: api::Folder = res.json().await.unwrap();
    let size = folder.size.unwrap();
    assert_eq!((size.bytes, size.files, size.folders), (8, 2, 1));
}

async fn other_users_trees_are_not_found(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, mallory) = app.user("mallory", None).await;
    let top = alice.create_folder("top", 0).await.unwrap();
    let sub = folder_in(&alice, &top.id, "sub").await;
    let file = alice.upload(&sub.id, "a.txt", b"a".to_vec()).await.unwrap();
    let mine = mallory.create_folder("mine", 0).await.unwrap();
    assert_api_error(
        mallory.create_folder_in(Some(&sub.id), "x").await,
        404,
        "not_found",
    );
    assert_api_error(
        mallory.children(&sub.id, None, None).await,
        404,
        "not_found",
    );
    assert_api_error(
        mallory.move_folder(&mine.id, &under(Some(&sub.id))).await,
        404,
        "not_found",
    );
    assert_api_error(
        mallory.move_file(&file.id, &to_folder(&mine.id)).await,
        404,
        "not_found",
    );
    assert_api_error(
        alice.move_file(&file.id, &to_folder(&mine.id)).await,
        404,
        "not_found",
    );
    assert_api_error(
        mallory.delete_folder(&sub.id, false).await,
        404,
        "not_found",
    );
    alice.delete_folder(&sub.id, false).await.unwrap();
    assert_api_error(
        mallory
            .restore_item(&sub.id, &api::RestoreItem::default())
            .await,
        404,
        "not_found",
    );
    assert_api_error(mallory.purge_item(&sub.id).await, 404, "not_found");
    assert!(mallory.trash(None, None).await.unwrap().items.is_empty());
    // An admin sees every trash item, but emptying empties only the admin's own trash.
    assert_eq!(app.admin.trash(None, None).await.unwrap().items.len(), 1);
    app.admin.empty_trash().await.unwrap();
    assert_eq!(alice.trash(None, None).await.unwrap().items.len(), 1);
}

async fn uploads_create_their_relative_path(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("top", 0).await.unwrap();
    let new_upload =
        |name: &str, relative_path: &str, modified_at: Option<&str>| api::CreateUpload {
            uploader_name: None,
            uploader_email: None,
            folder_id: top.id.clone(),
            filename: name.into(),
            size: 3,
            checksum_sha256: None,
            part_size: None,
            on_conflict: None,
            relative_path: Some(relative_path.into()),
            modified_at: modified_at.map(str::to_string),
        };
    // Two uploads racing to create the same path: both succeed, one folder results.
    let first = new_upload("a.bin", "2026/reports", Some("2026-11-22T12:00:00Z"));
    let second = new_upload("b.bin", "2026/Reports", None);
    let (one, two) = tokio::join!(alice.create_upload(&first), alice.create_upload(&second));
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.folder_id, two.folder_id);
    let years = alice.children(&top.id, None, None).await.unwrap().folders;
    assert_eq!(years.len(), 1);
    let reports = alice
        .children(&years[0].id, None, None)
        .await
        .unwrap()
        .folders;
    assert_eq!(reports.len(), 1);
    alice
        .put_part(&one.upload_id, 1, b"abc".to_vec(), None)
        .await
        .unwrap();
    let file = alice
        .complete_upload(
            &one.upload_id,
            &api::CompleteUpload {
                parts: Some(vec![1]),
                checksum_sha256: Some(crate::helpers::sha256_hex(b"abc")),
            },
        )
        .await
        .unwrap()
        .expect("completed");
    // Whichever upload made `reports` first gave it its case.
    assert_eq!(file.path.to_lowercase(), "/top/2026/reports/a.bin");
    assert_eq!(
        file.client_modified_at.as_deref(),
        Some("2026-11-22T12:00:00Z")
    );
    // The simple upload takes it as a query parameter.
    let simple: api::File = parse(
        alice
            .request(Method::POST, &format!("/folders/{}/files", top.id))
            .query(&[("filename", "c.txt"), ("relative_path", "2026/notes")])
            .header("content-type", "application/octet-stream")
            .body("c")
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(simple.path, "/top/2026/notes/c.txt");
    // Hostile paths are refused before anything is created.
    let deep = vec!["d"; 70].join("/");
    for bad in ["../escape", "a//b", "a/./b", deep.as_str(), "a/\u{202e}b"] {
        assert_field_error(
            alice.create_upload(&new_upload("x.bin", bad, None)).await,
            400,
            "invalid_relative_path",
            "relative_path",
        );
    }
    assert_eq!(
        alice
            .children(&top.id, None, None)
            .await
            .unwrap()
            .folders
            .len(),
        1
    );
    assert_field_error(
        alice
            .create_upload(&new_upload("x.bin", "ok", Some("yesterday")))
            .await,
        400,
        "invalid_value",
        "modified_at",
    );
}

async fn search(
    c: &Client,
    query: &[(&str, &str)],
) -> Result<api::SearchResults, ferry_client::ClientError> {
    parse(
        c.request(Method::GET, "/search")
            .query(query)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn hit_names(r: &api::SearchResults) -> Vec<String> {
    r.items
        .iter()
        .map(|i| match (&i.file, &i.folder) {
            (Some(f), _) => f.name.clone(),
            (_, Some(d)) => format!("{}/", d.name),
            _ => unreachable!(),
        })
        .collect()
}

async fn search_finds_only_what_the_caller_can_read(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let top = alice.create_folder("Projects", 0).await.unwrap();
    let sub = folder_in(&alice, &top.id, "Reports 2026").await;
    let report = alice
        .upload(&sub.id, "Quarterly Report.pdf", b"%PDF".to_vec())
        .await
        .unwrap();
    alice
        .update_file(
            &report.id,
            &api::UpdateFile {
                tags: Some(vec!["Finance".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let notes = alice
        .upload(&top.id, "notes.txt", b"n".to_vec())
        .await
        .unwrap();
    alice
        .update_file(
            &notes.id,
            &api::UpdateFile {
                description: Some("numbers for the quarterly review".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    alice
        .upload(&top.id, "\u{c9}t\u{e9} plan.txt", b"e".to_vec())
        .await
        .unwrap();
    let bobs = bob.create_folder("bob", 0).await.unwrap();
    bob.upload(&bobs.id, "quarterly secret.txt", b"s".to_vec())
        .await
        .unwrap();

    // By name and by description, without case; never another user's file.
    let found = search(&alice, &[("q", "QUARTER")]).await.unwrap();
    assert_eq!(hit_names(&found), ["notes.txt", "Quarterly Report.pdf"]);
    assert_eq!(
        found.items[1].file.as_ref().unwrap().path,
        "/Projects/Reports 2026/Quarterly Report.pdf"
    );
    let found = search(&bob, &[("q", "quarter")]).await.unwrap();
    assert_eq!(hit_names(&found), ["quarterly secret.txt"]);
    // Folders too, and two-character texts (below the trigram index's three).
    assert_eq!(
        hit_names(&search(&alice, &[("q", "report")]).await.unwrap()),
        ["Quarterly Report.pdf", "Reports 2026/"]
    );
    assert_eq!(
        hit_names(&search(&alice, &[("q", "20")]).await.unwrap()),
        ["Reports 2026/"]
    );
    assert_eq!(
        hit_names(
            &search(&alice, &[("q", "report"), ("type", "folder")])
                .await
                .unwrap()
        ),
        ["Reports 2026/"]
    );
    assert_eq!(
        hit_names(&search(&alice, &[("q", "\u{e9}t\u{e9}")]).await.unwrap()),
        ["\u{c9}t\u{e9} plan.txt"]
    );
    // A match lies inside one field: "notes.txt" + description "numbers…" holds no "txt numb".
    assert!(
        search(&alice, &[("q", "txt numb")])
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // Filters: media type family, tag, size, subtree.
    assert_eq!(
        hit_names(&search(&alice, &[("mime", "application/*")]).await.unwrap()),
        ["Quarterly Report.pdf"]
    );
    assert_eq!(
        hit_names(&search(&alice, &[("tag", "finance")]).await.unwrap()),
        ["Quarterly Report.pdf"]
    );
    assert_eq!(
        hit_names(
            &search(&alice, &[("q", "quarter"), ("max_size", "1")])
                .await
                .unwrap()
        ),
        ["notes.txt"]
    );
    assert_eq!(
        hit_names(
            &search(&alice, &[("q", "quarter"), ("folder_id", &sub.id)])
                .await
                .unwrap()
        ),
        ["Quarterly Report.pdf"]
    );
    assert_api_error(
        search(&bob, &[("q", "quarter"), ("folder_id", &sub.id)]).await,
        404,
        "not_found",
    );
    // Paging.
    let first = search(&alice, &[("q", "quarter"), ("limit", "1")])
        .await
        .unwrap();
    let cursor = first.next_cursor.clone().expect("a second page");
    let second = search(
        &alice,
        &[("q", "quarter"), ("limit", "1"), ("cursor", &cursor)],
    )
    .await
    .unwrap();
    assert_eq!(hit_names(&second), ["Quarterly Report.pdf"]);
    assert_eq!(second.next_cursor, None);
    // Deleted things are not found; restored ones are again.
    alice.delete_folder(&sub.id, false).await.unwrap();
    assert_eq!(
        hit_names(&search(&alice, &[("q", "report")]).await.unwrap()),
        Vec::<String>::new()
    );
    alice
        .restore_item(&sub.id, &api::RestoreItem::default())
        .await
        .unwrap();
    assert_eq!(
        hit_names(&search(&alice, &[("q", "report")]).await.unwrap()).len(),
        2
    );
    // Bad input.
    let long = "x".repeat(10 * 1024);
    for (param, value) in [("q", "a"), ("q", long.as_str()), ("type", "shoe")] {
        let bad = search(&alice, &[(param, value)]).await;
        assert_field_error(bad, 400, "invalid_value", param);
    }
    assert_api_error(search(&alice, &[]).await, 400, "missing_field");
    // A LIKE wildcard in the text is a literal.
    assert_eq!(
        hit_names(&search(&alice, &[("q", "%%")]).await.unwrap()),
        Vec::<String>::new()
    );
}

async fn search_pages_through_many_matches_in_name_order(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("Haystack", 0).await.unwrap();
    let sub = folder_in(&alice, &top.id, "Needle box").await;
    // Matches in two folders, files and folders mixed, names in no order and of mixed case,
    // among files that do not match.
    let mut expected = vec![(
        "needle box".to_string(),
        "/Haystack/Needle box/".to_string(),
    )];
    for i in 0..24 {
        let (folder, path) = if i % 3 == 0 {
            (&sub.id, "/Haystack/Needle box")
        } else {
            (&top.id, "/Haystack")
        };
        let name = format!("{} NEEDLE {:02}.txt", ["b", "A", "c"][i % 3], (i * 7) % 24);
        alice.upload(folder, &name, vec![i as u8]).await.unwrap();
        alice
            .upload(folder, &format!("hay {i}.txt"), vec![i as u8])
            .await
            .unwrap();
        expected.push((name.to_lowercase(), format!("{path}/{name}")));
    }
    for name in ["needles", "Old needle"] {
        folder_in(&alice, &top.id, name).await;
        expected.push((name.to_lowercase(), format!("/Haystack/{name}/")));
    }
    expected.sort();
    let expected: Vec<String> = expected.into_iter().map(|(_, path)| path).collect();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("q", "needle"), ("limit", "5")];
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let page = search(&alice, &query).await.unwrap();
        assert!(page.items.len() <= 5);
        pages += 1;
        seen.extend(page.items.iter().map(|i| match (&i.file, &i.folder) {
            (Some(f), _) => f.path.clone(),
            (_, Some(d)) => format!("{}/", d.path),
            _ => unreachable!(),
        }));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    // Every match once, in name order, with its own path, page after page.
    assert_eq!(seen, expected);
    assert_eq!(pages, expected.len().div_ceil(5));
}

async fn favorites_are_per_user(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, mallory) = app.user("mallory", None).await;
    let top = alice.create_folder("top", 0).await.unwrap();
    let a = alice.upload(&top.id, "a.txt", b"a".to_vec()).await.unwrap();
    let b = alice.upload(&top.id, "b.txt", b"b".to_vec()).await.unwrap();
    let put = |c: &Client, id: &str, method: Method| {
        let req = c.request(method, &format!("/files/{id}/favorite"));
        async move { req.send().await.unwrap() }
    };
    for id in [&a.id, &b.id, &a.id] {
        assert_eq!(
            put(&alice, id, Method::PUT).await.status(),
            204,
            "marking twice is fine"
        );
    }
    assert!(alice.get_file(&a.id).await.unwrap().favorite);
    let listed = alice.list_files(&top.id, None, None).await.unwrap().files;
    assert!(listed.iter().all(|f| f.favorite));
    let favorites: api::FileList = parse(
        alice
            .request(Method::GET, "/favorites")
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        favorites
            .files
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        ["b.txt", "a.txt"],
        "newest mark first"
    );
    assert_eq!(put(&alice, &b.id, Method::DELETE).await.status(), 204);
    assert!(!alice.get_file(&b.id).await.unwrap().favorite);
    // Another user can neither mark nor see them.
    assert_eq!(put(&mallory, &a.id, Method::PUT).await.status(), 404);
    let theirs: api::FileList = parse(
        mallory
            .request(Method::GET, "/favorites")
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(theirs.files.is_empty());
    // A favorite in the trash is not listed.
    alice.delete_file(&a.id).await.unwrap();
    let favorites: api::FileList = parse(
        alice
            .request(Method::GET, "/favorites")
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(favorites.files.is_empty());
}

async fn batches_answer_item_by_item(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, mallory) = app.user("mallory", None).await;
    let top = alice.create_folder("top", 0).await.unwrap();
    let sub = folder_in(&alice, &top.id, "sub").await;
    let a = alice.upload(&top.id, "a.txt", b"a".to_vec()).await.unwrap();
    let theirs = mallory.create_folder("theirs", 0).await.unwrap();
    let batch = |path: &'static str, items: Vec<String>| {
        let alice = alice.clone();
        async move {
            parse::<api::BatchResults>(
                alice
                    .request(Method::POST, path)
                    .json(&json!({ "items": items }))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let deleted = batch(
        "/batch/delete",
        vec![
            a.id.clone(),
            sub.id.clone(),
            theirs.id.clone(),
            "junk".into(),
        ],
    )
    .await
    .unwrap()
    .results;
    let statuses: Vec<u16> = deleted.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [204, 204, 404, 404]);
    assert_eq!(deleted[2].error.as_ref().unwrap().code, "not_found");
    assert_eq!(alice.trash(None, None).await.unwrap().items.len(), 2);
    assert!(
        mallory.get_folder(&theirs.id).await.is_ok(),
        "another's folder is untouched"
    );
    let restored = batch(
        "/batch/restore",
        vec![a.id.clone(), sub.id.clone(), a.id.clone()],
    )
    .await
    .unwrap()
    .results;
    let statuses: Vec<u16> = restored.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [200, 200, 404],
        "the second restore of one item finds nothing"
    );
    assert!(alice.trash(None, None).await.unwrap().items.is_empty());
    let too_many: Vec<String> = (0..1001).map(|i| format!("fil_{i}")).collect();
    assert_field_error(
        batch("/batch/delete", too_many).await,
        400,
        "invalid_value",
        "items",
    );
    assert_field_error(
        batch("/batch/delete", Vec::new()).await,
        400,
        "invalid_value",
        "items",
    );
}

async fn trash_inside_a_folder_moves_with_it_to_its_new_owner(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let mine = alice.create_folder("mine", 0).await.unwrap();
    let file = alice
        .upload(&mine.id, "old.txt", b"old".to_vec())
        .await
        .unwrap();
    alice.delete_file(&file.id).await.unwrap();
    let theirs = bob.create_folder("theirs", 0).await.unwrap();
    // An admin moves alice's folder into bob's tree: bob owns it now, and what was deleted in
    // it is his to restore or purge.
    app.admin
        .move_folder(&mine.id, &under(Some(&theirs.id)))
        .await
        .unwrap();
    assert!(alice.trash(None, None).await.unwrap().items.is_empty());
    let items = bob.trash(None, None).await.unwrap().items;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].id, file.id);
    bob.restore_item(&file.id, &api::RestoreItem::default())
        .await
        .unwrap();
    assert_eq!(
        bob.get_file(&file.id).await.unwrap().path,
        "/theirs/mine/old.txt"
    );
}
