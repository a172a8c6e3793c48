//! The account life cycle: deletion stops an account at once and can be undone until the
//! purge; the purge hands the folders over (or removes them) and frees the login; an expiry
//! date stops logins when it passes.

use ferry_api as api;
use reqwest::Method;

use crate::helpers::{TestApp, assert_api_error, assert_field_error, parse};
use crate::{on_both_backends, on_both_backends_with};

on_both_backends!(
    a_deleted_account_stops_at_once_and_can_be_restored,
    expired_accounts_refuse_logins_until_extended,
    users_are_exported_as_csv,
    usage_is_counted_per_interval_from_the_audit_log,
);
on_both_backends_with!(no_grace; the_purge_hands_folders_over_or_removes_them);

fn no_grace(config: &mut ferry_server::Config) {
    config.accounts.delete_grace_days = 0;
}

async fn users_with_status(app: &TestApp, status: &str) -> (Vec<String>, Option<i64>) {
    let res = app
        .admin
        .request(Method::GET, "/users")
        .query(&[("status", status)])
        .send()
        .await
        .unwrap();
    let list: api::UserList = parse(res).await.unwrap();
    (
        list.users.into_iter().map(|u| u.login).collect(),
        list.total,
    )
}

async fn a_deleted_account_stops_at_once_and_can_be_restored(app: TestApp) {
    let (alice_user, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    assert_eq!(alice_user.status, "active");

    // Only admins delete, never themselves.
    assert_api_error(
        bob.delete_user(&alice_user.id, None).await,
        403,
        "forbidden",
    );
    let me = app.admin.me().await.unwrap();
    assert_field_error(
        app.admin.delete_user(&me.id, None).await,
        400,
        "cannot_modify_self",
        "user_id",
    );
    assert_field_error(
        app.admin.delete_user(&alice_user.id, Some("nobody")).await,
        400,
        "invalid_value",
        "transfer_to",
    );
    assert_field_error(
        app.admin.delete_user(&alice_user.id, Some("alice")).await,
        400,
        "invalid_value",
        "transfer_to",
    );

    let deleted = app.admin.delete_user(&alice_user.id, None).await.unwrap();
    assert_eq!(deleted.status, "deleted");
    let purge_at =
        ferry_core::timefmt::parse_rfc3339(deleted.purge_at.as_deref().unwrap()).unwrap();
    let deleted_at =
        ferry_core::timefmt::parse_rfc3339(deleted.deleted_at.as_deref().unwrap()).unwrap();
    assert_eq!(
        purge_at - deleted_at,
        30 * 86_400_000,
        "the default grace period"
    );
    // Her token and her password stop at once.
    assert_api_error(alice.me().await, 401, "account_deleted");
    assert_api_error(
        app.anon.login("alice", "password-alice").await,
        401,
        "account_deleted",
    );
    assert_api_error(
        app.admin.delete_user(&alice_user.id, None).await,
        409,
        "conflict",
    );
    assert_eq!(
        users_with_status(&app, "deleted").await,
        (vec!["alice".to_string()], Some(1))
    );
    assert!(
        !users_with_status(&app, "active")
            .await
            .0
            .contains(&"alice".to_string())
    );

    assert_api_error(bob.restore_user(&alice_user.id).await, 403, "forbidden");
    let restored = app.admin.restore_user(&alice_user.id).await.unwrap();
    assert_eq!(
        (restored.status.as_str(), restored.purge_at),
        ("active", None)
    );
    // The old token stays revoked; a new login works.
    assert_api_error(alice.me().await, 401, "unauthorized");
    app.anon.login("alice", "password-alice").await.unwrap();
    assert_api_error(
        app.admin.restore_user(&alice_user.id).await,
        409,
        "conflict",
    );
    for action in ["user.deleted", "user.restored"] {
        let events = app.admin.audit_events(&[("action", action)]).await.unwrap();
        assert_eq!(events.events.len(), 1, "{action}");
        assert_eq!(events.events[0].target.id, alice_user.id);
    }
}

async fn the_purge_hands_folders_over_or_removes_them(app: TestApp) {
    let (alice_user, alice) = app.user("alice", Some(1_000_000)).await;
    let (bob_user, bob) = app.user("bob", Some(1_000_000)).await;
    let (carol_user, carol) = app.user("carol", None).await;
    let reports = alice.create_folder("reports", 0).await.unwrap();
    let file = alice
        .upload(&reports.id, "q1.txt", "alice's report")
        .await
        .unwrap();
    bob.create_folder("reports", 0).await.unwrap();
    let carols = carol.create_folder("carol's", 0).await.unwrap();
    let carols_file = carol
        .upload(&carols.id, "c.txt", "carol data")
        .await
        .unwrap();

    app.admin
        .delete_user(&alice_user.id, Some("bob"))
        .await
        .unwrap();
    app.admin.delete_user(&carol_user.id, None).await.unwrap();
    app.run_jobs().await;

    // Alice's folder is bob's now, renamed beside his own, with its bytes on his quota.
    let names: Vec<String> = bob
        .list_folders(false)
        .await
        .unwrap()
        .folders
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert!(names.contains(&"reports (1)".to_string()), "{names:?}");
    let moved = bob.get_file(&file.id).await.unwrap();
    assert_eq!(moved.size, file.size);
    assert_eq!(
        bob.me().await.unwrap().quota.used_bytes,
        file.size,
        "the bytes moved to bob's quota"
    );
    let purged = app.admin.get_user(&alice_user.id).await.unwrap();
    assert_eq!((purged.status.as_str(), purged.purge_at), ("deleted", None));
    assert_api_error(
        app.admin.restore_user(&alice_user.id).await,
        409,
        "conflict",
    );
    // Her login is free again, and names nobody now.
    assert_api_error(
        app.anon.login("alice", "password-alice").await,
        401,
        "invalid_credentials",
    );
    app.user("alice", None).await;

    // Carol's folder went with her.
    assert_api_error(app.admin.get_folder(&carols.id).await, 404, "not_found");
    assert_api_error(app.admin.get_file(&carols_file.id).await, 404, "not_found");

    let events = app
        .admin
        .audit_events(&[("action", "user.purged")])
        .await
        .unwrap();
    assert_eq!(events.events.len(), 2);
    let of = |id: &str| {
        events
            .events
            .iter()
            .find(|e| e.target.id == id)
            .unwrap()
            .details
            .clone()
    };
    assert_eq!(of(&alice_user.id)["folders_handed_over"], 1);
    assert_eq!(of(&alice_user.id)["transfer_to"], bob_user.id.as_str());
    assert_eq!(of(&carol_user.id)["folders_removed"], 1);
    // A second pass finds nothing more to do.
    app.run_jobs().await;
    let again = app
        .admin
        .audit_events(&[("action", "user.purged")])
        .await
        .unwrap();
    assert_eq!(again.events.len(), 2);
}

async fn expired_accounts_refuse_logins_until_extended(app: TestApp) {
    let (alice_user, alice) = app.user("alice", None).await;
    let expire = |at: Option<&str>| api::UpdateUser {
        expires_at: Some(at.map(String::from)),
        ..Default::default()
    };
    assert_field_error(
        app.admin
            .update_user(&alice_user.id, &expire(Some("next week")))
            .await,
        400,
        "invalid_value",
        "expires_at",
    );
    let later = app
        .admin
        .update_user(&alice_user.id, &expire(Some("2999-01-01T00:00:00Z")))
        .await
        .unwrap();
    assert_eq!(
        (later.status.as_str(), later.expires_at.as_deref()),
        ("active", Some("2999-01-01T00:00:00Z"))
    );
    alice.me().await.unwrap();

    let past = app
        .admin
        .update_user(&alice_user.id, &expire(Some("2020-01-01T00:00:00Z")))
        .await
        .unwrap();
    assert_eq!(past.status, "expired");
    assert_api_error(alice.me().await, 401, "account_expired");
    assert_api_error(
        app.anon.login("alice", "password-alice").await,
        401,
        "account_expired",
    );
    assert_eq!(
        users_with_status(&app, "expired").await,
        (vec!["alice".to_string()], Some(1))
    );

    let never = app
        .admin
        .update_user(&alice_user.id, &expire(None))
        .await
        .unwrap();
    assert_eq!((never.status.as_str(), never.expires_at), ("active", None));
    alice.me().await.unwrap();
}

async fn users_are_exported_as_csv(app: TestApp) {
    let (alice, _) = app.user("alice", Some(5000)).await;
    app.admin
        .update_user(
            &alice.id,
            &api::UpdateUser {
                name: Some("Liddell, Alice".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (mallory, _) = app.user("mallory", None).await;
    app.admin
        .update_user(
            &mallory.id,
            &api::UpdateUser {
                name: Some("=HYPERLINK(\"http://evil\")".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (bob, _) = app.user("bob", None).await;
    app.admin.delete_user(&bob.id, None).await.unwrap();

    let export = |query: &'static [(&'static str, &'static str)]| {
        let admin = app.admin.clone();
        async move {
            let res = admin
                .request(Method::GET, "/users")
                .query(query)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(
                res.headers()["content-type"].to_str().unwrap(),
                "text/csv; charset=utf-8"
            );
            res.text().await.unwrap()
        }
    };
    let all = export(&[("format", "csv")]).await;
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(
        lines[0],
        "id,login,name,role,status,company_id,quota_limit_bytes,used_bytes,two_factor,\
         expires_at,created_at,updated_at"
    );
    assert_eq!(
        lines.len(),
        5,
        "a header and admin, alice, mallory, bob: {all}"
    );
    let alice_line = lines.iter().find(|l| l.contains(&alice.id)).unwrap();
    assert!(
        alice_line.starts_with(&format!(
            "{},alice,\"Liddell, Alice\",user,active,,5000,0,false,,",
            alice.id
        )),
        "{alice_line}"
    );
    let mallory_line = lines.iter().find(|l| l.contains(&mallory.id)).unwrap();
    assert!(
        mallory_line.contains(",\"'=HYPERLINK(\"\"http://evil\"\")\","),
        "a formula is made inert: {mallory_line}"
    );
    // The filters apply; paging does not.
    let deleted = export(&[("format", "csv"), ("status", "deleted"), ("limit", "1")]).await;
    assert_eq!(deleted.lines().count(), 2);
    assert!(deleted.contains(&bob.id));

    let res = app
        .admin
        .request(Method::GET, "/users")
        .query(&[("format", "xml")])
        .send()
        .await
        .unwrap();
    assert_field_error(
        parse::<api::UserList>(res).await,
        400,
        "invalid_value",
        "format",
    );
    let (_, carol) = app.user("carol", None).await;
    let res = carol
        .request(Method::GET, "/users")
        .query(&[("format", "csv")])
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<api::UserList>(res).await, 403, "forbidden");
}

async fn usage_is_counted_per_interval_from_the_audit_log(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("f", 0).await.unwrap();
    let five = alice.upload(&folder.id, "five.txt", "12345").await.unwrap();
    alice
        .upload(&folder.id, "seven.txt", "1234567")
        .await
        .unwrap();
    let got = alice.download(&five.id, &[]).await.unwrap();
    assert_eq!(&got.body[..], b"12345");

    let usage = |client: &ferry_client::Client, query: &'static [(&'static str, &'static str)]| {
        let client = client.clone();
        async move {
            let res = client
                .request(Method::GET, "/analytics/usage")
                .query(query)
                .send()
                .await
                .unwrap();
            parse::<api::Usage>(res).await
        }
    };
    let hourly = usage(&app.admin, &[("interval", "hour")]).await.unwrap();
    assert_eq!(
        (hourly.interval.as_str(), hourly.periods.len()),
        ("hour", 30)
    );
    let sum = |f: fn(&api::UsagePeriod) -> i64| hourly.periods.iter().map(f).sum::<i64>();
    assert_eq!(sum(|p| p.uploads), 2);
    assert_eq!(sum(|p| p.upload_bytes), 12);
    assert_eq!(sum(|p| p.downloads), 1);
    assert_eq!(sum(|p| p.download_bytes), 5);
    let last = hourly.periods.last().unwrap();
    assert_eq!(last.active_users, 2, "admin and alice: {last:?}");
    assert_eq!(last.end, hourly.to);
    assert_eq!(
        (hourly.now.files, hourly.now.users, hourly.now.stored_bytes),
        (2, 2, 12)
    );
    // A range before any of it counts nothing.
    let before = usage(
        &app.admin,
        &[
            ("from", "2020-01-01T00:00:00Z"),
            ("to", "2020-01-08T00:00:00Z"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(before.periods.len(), 7);
    assert!(
        before
            .periods
            .iter()
            .all(|p| p.uploads == 0 && p.active_users == 0)
    );

    for (query, field) in [
        (&[("interval", "month")][..], "interval"),
        (
            &[
                ("from", "2020-01-02T00:00:00Z"),
                ("to", "2020-01-01T00:00:00Z"),
            ][..],
            "from",
        ),
        (
            &[("interval", "hour"), ("from", "2000-01-01T00:00:00Z")][..],
            "interval",
        ),
        (&[("to", "yesterday")][..], "to"),
    ] {
        let res = app
            .admin
            .request(Method::GET, "/analytics/usage")
            .query(query)
            .send()
            .await
            .unwrap();
        assert_field_error(parse::<api::Usage>(res).await, 400, "invalid_value", field);
    }
    assert_api_error(usage(&alice, &[]).await, 403, "forbidden");
}
