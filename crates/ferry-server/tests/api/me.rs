//! Self-service: one's own name, language, timezone, password (other sessions end) and
//! settings; nobody else's.

use ferry_api as api;
use serde_json::json;

use crate::helpers::{TestApp, assert_api_error, assert_field_error};
use crate::on_both_backends;

on_both_backends!(
    a_user_changes_their_own_profile,
    a_password_change_ends_the_other_sessions,
    settings_are_small_json_values_of_ones_own,
);

async fn a_user_changes_their_own_profile(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let me = alice.me().await.unwrap();
    assert_eq!(
        (me.language.as_deref(), me.timezone.as_deref()),
        (None, None)
    );
    let changed = alice
        .update_me(&api::UpdateMe {
            name: Some("Alice Liddell".into()),
            language: Some(Some("de-CH".into())),
            timezone: Some(Some("Europe/Zurich".into())),
        })
        .await
        .unwrap();
    assert_eq!(changed.name, "Alice Liddell");
    assert_eq!(changed.language.as_deref(), Some("de-CH"));
    let me = alice.me().await.unwrap();
    assert_eq!(me.timezone.as_deref(), Some("Europe/Zurich"));
    // null clears; absent keeps.
    let cleared = alice
        .update_me(&api::UpdateMe {
            timezone: Some(None),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (cleared.language.as_deref(), cleared.timezone.as_deref()),
        (Some("de-CH"), None)
    );
    for (language, timezone, field) in [
        ("not a tag!", "UTC", "language"),
        ("en", "../etc/passwd", "timezone"),
        ("en", "", "timezone"),
    ] {
        assert_field_error(
            alice
                .update_me(&api::UpdateMe {
                    language: Some(Some(language.into())),
                    timezone: Some(Some(timezone.into())),
                    ..Default::default()
                })
                .await,
            400,
            "invalid_value",
            field,
        );
    }
    // The admin's view of alice has the new name; the change is audited as hers.
    let seen = app.admin.get_user(&me.id).await.unwrap();
    assert_eq!(seen.name, "Alice Liddell");
    let events = alice
        .audit_events(&[("action", "user.updated")])
        .await
        .unwrap()
        .events;
    assert!(events.iter().any(|e| e.details["by"] == "self"));
}

async fn a_password_change_ends_the_other_sessions(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let other = app.anon.login("alice", "password-alice").await.unwrap();
    let other = app.anon.with_token(other.access_token);
    other.me().await.unwrap();
    assert_field_error(
        alice
            .change_password("wrong-password", "a new password")
            .await,
        400,
        "invalid_value",
        "current_password",
    );
    assert_api_error(
        alice.change_password("password-alice", "short").await,
        400,
        "invalid_password",
    );
    alice
        .change_password("password-alice", "a new password")
        .await
        .unwrap();
    // This session goes on; the other one ended; the new password logs in, the old does not.
    alice.me().await.unwrap();
    assert_api_error(other.me().await, 401, "unauthorized");
    app.anon.login("alice", "a new password").await.unwrap();
    assert_api_error(
        app.anon.login("alice", "password-alice").await,
        401,
        "invalid_credentials",
    );
}

async fn settings_are_small_json_values_of_ones_own(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let stored = alice
        .put_setting("portal.view", json!({"sort": "-updated_at", "grid": true}))
        .await
        .unwrap();
    assert_eq!(stored.value["grid"], true);
    assert_eq!(
        alice.setting("portal.view").await.unwrap().value["sort"],
        "-updated_at"
    );
    alice.put_setting("portal.view", json!(42)).await.unwrap();
    assert_eq!(alice.setting("portal.view").await.unwrap().value, 42);
    // Each user's settings are their own.
    assert_api_error(bob.setting("portal.view").await, 404, "not_found");
    assert!(bob.settings().await.unwrap().settings.is_empty());
    // Language and timezone are settings too, checked the same way.
    alice.put_setting("language", json!("fr")).await.unwrap();
    assert_eq!(alice.me().await.unwrap().language.as_deref(), Some("fr"));
    assert_field_error(
        alice.put_setting("language", json!(["fr"])).await,
        400,
        "invalid_value",
        "value",
    );
    let keys: Vec<_> = alice
        .settings()
        .await
        .unwrap()
        .settings
        .into_iter()
        .map(|s| s.key)
        .collect();
    assert_eq!(keys, ["language", "portal.view"]);
    // Bad keys and big values.
    for key in ["UPPER", "a b", "-lead", &"k".repeat(65)] {
        assert_field_error(
            alice.put_setting(key, json!(1)).await,
            400,
            "invalid_value",
            "key",
        );
    }
    assert_field_error(
        alice.put_setting("big", json!("x".repeat(17 * 1024))).await,
        400,
        "invalid_value",
        "value",
    );
    alice.delete_setting("portal.view").await.unwrap();
    assert_api_error(alice.delete_setting("portal.view").await, 404, "not_found");
    // At most 100 settings.
    for i in 0..99 {
        alice.put_setting(&format!("k{i}"), json!(i)).await.unwrap();
    }
    assert_api_error(
        alice.put_setting("one-more", json!(1)).await,
        409,
        "conflict",
    );
    alice.put_setting("k5", json!("replaced")).await.unwrap();
}
