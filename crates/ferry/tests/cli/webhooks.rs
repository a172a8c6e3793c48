//! `ferry webhook add|ls|rm|deliveries|redeliver|ping` (no receiver needed: deliveries to a
//! closed port just fail and wait for their retry).

use ferry_api as api;

use crate::helpers::{TestServer, json, stderr, stdout};

fn server() -> TestServer {
    TestServer::start_with(|c| c.webhooks.allow_private_targets = true)
}

#[test]
fn webhooks_are_added_listed_pinged_and_removed() {
    let t = server();
    t.login();

    let out = t
        .ferry()
        .args([
            "webhook",
            "add",
            "http://127.0.0.1:9/hook",
            "--events",
            "upload.completed,link.downloaded",
            "--description",
            "CI",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("Created webhook whk_"), "{text}");
    assert!(
        text.contains("(events: upload.completed, link.downloaded)"),
        "{text}"
    );
    assert!(text.contains("\nsecret: whsec_"), "{text}");
    assert!(text.contains("shown only now"), "{text}");
    let first_id = text.split_whitespace().nth(2).unwrap().to_string();
    assert!(first_id.starts_with("whk_"), "{first_id}");

    let out = t
        .ferry()
        .args([
            "webhook",
            "add",
            "http://127.0.0.1:9/all",
            "--events",
            "*",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let all: api::Webhook = json(&out);
    assert_eq!(all.events, ["*"]);
    assert!(all.secret.as_deref().unwrap().starts_with("whsec_"));
    assert!(all.active);
    // The note goes to stderr, so stdout stays JSON.
    assert!(stderr(&out).contains("shown only now"), "{}", stderr(&out));

    // ls: table and JSON, no secrets.
    let out = t.ferry().args(["webhook", "ls"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("ID"), "{text}");
    let row = text.lines().find(|l| l.contains(&first_id)).unwrap();
    assert!(
        row.contains("active")
            && row.contains("upload.completed,link.downloaded")
            && row.contains("http://127.0.0.1:9/hook")
            && row.contains("CI"),
        "{row}"
    );
    assert!(!text.contains("whsec_"), "{text}");
    let out = t
        .ferry()
        .args(["webhook", "ls", "--json"])
        .output()
        .unwrap();
    let list: api::WebhookList = json(&out);
    assert_eq!(list.webhooks.len(), 2);
    assert!(list.webhooks.iter().all(|w| w.secret.is_none()));

    // ping, deliveries, redeliver.
    let out = t
        .ferry()
        .args(["webhook", "ping", &all.id, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let ping: api::WebhookDelivery = json(&out);
    assert_eq!(ping.event_type, "webhook.ping");
    assert_eq!(ping.webhook_id, all.id);
    let out = t
        .ferry()
        .args(["webhook", "deliveries", &all.id])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("ID"), "{text}");
    assert!(
        text.contains(&ping.id) && text.contains("webhook.ping"),
        "{text}"
    );
    let out = t
        .ferry()
        .args(["webhook", "deliveries", &all.id, "--json", "--limit", "1"])
        .output()
        .unwrap();
    let list: api::WebhookDeliveryList = json(&out);
    assert_eq!(list.deliveries.len(), 1);
    let out = t
        .ferry()
        .args(["webhook", "redeliver", &all.id, &ping.id])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with(&format!("Redelivery of {}", ping.id)),
        "{}",
        stdout(&out)
    );
    let out = t
        .ferry()
        .args(["webhook", "ping", &first_id])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Ping queued"), "{}", stdout(&out));

    // rotate-secret: a new secret, printed once; the old one still signs for the grace period.
    let out = t
        .ferry()
        .args(["webhook", "rotate-secret", &all.id, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let rotated: api::Webhook = json(&out);
    let new_secret = rotated.secret.as_deref().unwrap();
    assert!(new_secret.starts_with("whsec_"), "{new_secret}");
    assert_ne!(Some(new_secret), all.secret.as_deref());
    assert!(rotated.previous_secret_expires_at.is_some());
    let out = t
        .ferry()
        .args(["webhook", "rotate-secret", &all.id])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!(
            "New secret for webhook {}\nsecret: whsec_",
            all.id
        )),
        "{text}"
    );
    assert!(!text.contains(new_secret), "{text}");
    assert!(
        text.contains("signed with the old secret too until"),
        "{text}"
    );

    // rm.
    let out = t
        .ferry()
        .args(["webhook", "rm", &first_id])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), format!("Deleted webhook {first_id}"));
    let out = t
        .ferry()
        .args(["webhook", "rm", &all.id, "--json"])
        .output()
        .unwrap();
    let shown: serde_json::Value = json(&out);
    assert_eq!(shown["deleted"], true);
    let out = t.ferry().args(["webhook", "ls"]).output().unwrap();
    assert!(stdout(&out).starts_with("No webhooks"), "{}", stdout(&out));
    let out = t
        .ferry()
        .args(["webhook", "rm", &first_id])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(not_found, request req_"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn webhook_input_errors() {
    let t = server();
    t.login();
    // Unknown event type: the API's error.
    let out = t
        .ferry()
        .args([
            "webhook",
            "add",
            "http://127.0.0.1:9/x",
            "--events",
            "file.teleported",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(invalid_value, request req_"),
        "{}",
        stderr(&out)
    );
    // Usage errors.
    for args in [
        vec!["webhook", "add", "http://127.0.0.1:9/x"],
        vec!["webhook", "rm"],
        vec!["webhook", "redeliver", "whk_x"],
        vec!["webhook"],
    ] {
        let out = t.ferry().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn private_targets_are_refused_by_default() {
    let t = TestServer::start();
    t.login();
    let out = t
        .ferry()
        .args(["webhook", "add", "http://127.0.0.1:9/x", "--events", "*"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(invalid_webhook_url, request req_"),
        "{}",
        stderr(&out)
    );
}
