//! `ferry webhook add|ls|rm|deliveries|redeliver|ping|rotate-secret`.

use anyhow::Result;
use clap::{Args, Subcommand};
use ferry_api as api;
use serde_json::json;

use super::files::table;
use super::{CliError, Common, Output, session};

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register a webhook: Ferry will POST the chosen events to URL, signed with a secret that
    /// is printed once.
    Add(AddArgs),
    /// List your webhooks (admins: everyone's).
    Ls(Common),
    /// Delete a webhook and its delivery log.
    Rm(IdArgs),
    /// Show a webhook's recent deliveries, newest first.
    Deliveries(DeliveriesArgs),
    /// Send a delivery again now (same body, event id and delivery id).
    Redeliver(RedeliverArgs),
    /// Queue a `webhook.ping` event to a webhook, to test its receiver.
    Ping(IdArgs),
    /// Replace a webhook's signing secret and print the new one (once). For the server's
    /// grace period (webhooks.rotation_grace_secs, a day by default) deliveries carry
    /// signatures with both, so receivers can switch over.
    RotateSecret(IdArgs),
}

#[derive(Debug, Args)]
#[command(
    after_help = "The URL must be https:// and resolve to public addresses unless the server \
allows private targets (webhooks.allow_private_targets). Event types are the audit actions: \
upload.completed, file.downloaded, file.deleted, link.downloaded, link.exhausted, user.created, \
… (see docs/webhooks.md), or * for all."
)]
pub struct AddArgs {
    /// Where to POST the events.
    #[arg(value_name = "URL")]
    pub url: String,
    /// Event types, comma-separated, or * for every event.
    #[arg(long, value_name = "TYPES", value_delimiter = ',', required = true)]
    pub events: Vec<String>,
    /// A note for yourself (what the receiver is).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The webhook's id (whk_…).
    #[arg(value_name = "WEBHOOK_ID")]
    pub id: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct DeliveriesArgs {
    /// The webhook's id (whk_…).
    #[arg(value_name = "WEBHOOK_ID")]
    pub id: String,
    /// At most this many deliveries.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: u64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct RedeliverArgs {
    /// The webhook's id (whk_…).
    #[arg(value_name = "WEBHOOK_ID")]
    pub id: String,
    /// The delivery's id (dlv_…), as `ferry webhook deliveries` shows it.
    #[arg(value_name = "DELIVERY_ID")]
    pub delivery_id: String,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run(command: WebhookCommand) -> Result<()> {
    match command {
        WebhookCommand::Add(a) => add(a).await,
        WebhookCommand::Ls(c) => ls(c).await,
        WebhookCommand::Rm(a) => rm(a).await,
        WebhookCommand::Deliveries(a) => deliveries(a).await,
        WebhookCommand::Redeliver(a) => redeliver(a).await,
        WebhookCommand::Ping(a) => ping(a).await,
        WebhookCommand::RotateSecret(a) => rotate_secret(a).await,
    }
}

const SECRET_NOTE: &str =
    "The secret is shown only now: keep it to verify the x-share-signature header of deliveries.";

async fn add(args: AddArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let events: Vec<String> = args
        .events
        .iter()
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .collect();
    if events.is_empty() {
        return Err(CliError::new(
            "invalid_value",
            "--events needs at least one event type, or *",
        )
        .into());
    }
    let s = session(&args.common)?;
    let body = api::CreateWebhook {
        url: args.url.clone(),
        events,
        description: args.description.clone(),
    };
    let hook = s.client.create_webhook(&body).await?;
    if out.json && !out.quiet {
        say!("{SECRET_NOTE}");
    }
    out.result(&hook, || {
        format!(
            "Created webhook {} for {} (events: {})\nsecret: {}\n{SECRET_NOTE}",
            hook.id,
            hook.url,
            hook.events.join(", "),
            hook.secret.as_deref().unwrap_or("(none returned)"),
        )
    });
    Ok(())
}

async fn ls(common: Common) -> Result<()> {
    let out = Output::new(&common);
    let s = session(&common)?;
    let mut webhooks = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = s
            .client
            .list_webhooks(Some(1000), cursor.as_deref())
            .await?;
        webhooks.extend(page.webhooks);
        match page.next_cursor {
            Some(c) if Some(&c) != cursor.as_ref() => cursor = Some(c),
            _ => break,
        }
    }
    let list = api::WebhookList {
        webhooks,
        next_cursor: None,
    };
    out.result(&list, || webhooks_table(&list.webhooks));
    Ok(())
}

fn webhooks_table(hooks: &[api::Webhook]) -> String {
    if hooks.is_empty() {
        return "No webhooks. Add one with `ferry webhook add URL --events TYPES`.".into();
    }
    let rows: Vec<[String; 6]> = hooks
        .iter()
        .map(|h| {
            [
                h.id.clone(),
                if h.active { "active" } else { "disabled" }.to_string(),
                h.owner.login.clone(),
                h.events.join(","),
                h.url.clone(),
                h.description.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(
        ["ID", "STATUS", "OWNER", "EVENTS", "URL", "DESCRIPTION"],
        &rows,
    )
    .lines()
    .map(str::trim_end)
    .collect::<Vec<_>>()
    .join("\n")
}

async fn rm(args: IdArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    s.client.delete_webhook(&args.id).await?;
    out.result(&json!({"id": args.id, "deleted": true}), || {
        format!("Deleted webhook {}", args.id)
    });
    Ok(())
}

async fn deliveries(args: DeliveriesArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let mut deliveries = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let want = (args.limit - deliveries.len() as u64).min(1000) as i64;
        let page = s
            .client
            .webhook_deliveries(&args.id, Some(want), cursor.as_deref())
            .await?;
        deliveries.extend(page.deliveries);
        if deliveries.len() as u64 >= args.limit {
            deliveries.truncate(args.limit as usize);
            break;
        }
        match page.next_cursor {
            Some(c) if Some(&c) != cursor.as_ref() => cursor = Some(c),
            _ => break,
        }
    }
    let list = api::WebhookDeliveryList {
        deliveries,
        next_cursor: None,
    };
    out.result(&list, || deliveries_table(&list.deliveries));
    Ok(())
}

fn deliveries_table(deliveries: &[api::WebhookDelivery]) -> String {
    if deliveries.is_empty() {
        return "No deliveries.".into();
    }
    let rows: Vec<[String; 7]> = deliveries
        .iter()
        .map(|d| {
            let last = match (d.status_code, &d.error) {
                (Some(c), _) => c.to_string(),
                (None, Some(e)) => e.chars().take(60).collect(),
                (None, None) => "-".into(),
            };
            [
                d.id.clone(),
                d.event_type.clone(),
                d.status.clone(),
                d.attempt_count.to_string(),
                last,
                d.created_at.clone(),
                d.next_attempt_at.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(
        [
            "ID", "EVENT", "STATUS", "ATTEMPTS", "LAST", "CREATED", "NEXT",
        ],
        &rows,
    )
}

async fn redeliver(args: RedeliverArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let d = s.client.redeliver(&args.id, &args.delivery_id).await?;
    out.result(&d, || {
        format!(
            "Redelivery of {} ({} {}) scheduled: {}",
            d.id, d.event_type, d.event_id, d.status
        )
    });
    Ok(())
}

async fn ping(args: IdArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let d = s.client.ping_webhook(&args.id).await?;
    out.result(&d, || {
        format!(
            "Ping queued for {}: delivery {} (event {}); see `ferry webhook deliveries {}`",
            args.id, d.id, d.event_id, args.id
        )
    });
    Ok(())
}

async fn rotate_secret(args: IdArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let hook = s.client.rotate_webhook_secret(&args.id).await?;
    if out.json && !out.quiet {
        say!("{SECRET_NOTE}");
    }
    out.result(&hook, || {
        let grace = match &hook.previous_secret_expires_at {
            Some(until) => {
                format!("\nDeliveries are signed with the old secret too until {until}.")
            }
            None => String::new(),
        };
        format!(
            "New secret for webhook {}\nsecret: {}\n{SECRET_NOTE}{grace}",
            hook.id,
            hook.secret.as_deref().unwrap_or("(none returned)"),
        )
    });
    Ok(())
}
