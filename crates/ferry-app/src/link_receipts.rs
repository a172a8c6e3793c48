//! One `link.downloaded` receipt per download through a link, however many ranges it took.
//!
//! A parallel download (`ferry download --parallel 4`, aria2c, a download manager) or a resumed
//! one fetches a file in several responses. The responses of one client (address and user
//! agent) for one file under one link are gathered into an open receipt; it is filed, with
//! the bytes summed and `"ranges"` counting the responses,
//! - at once when the spans received cover the whole file (`"complete": true`);
//! - when a new response brings no byte the open receipt lacks: that is a new download, and
//!   the open receipt is filed before the new one opens (a resumed download may overlap what
//!   was sent before the cut: the server sends more than the client keeps);
//! - by [`ReceiptFiler`] once no response has come for `links.receipt_quiet_secs`
//!   (`"complete": false` if the spans do not cover the file).
//!
//! A whole download in one response is therefore filed the moment it ends, as before. What a
//! link's budget is charged is settled per response, as before ([`crate::links::settle`]):
//! receipts only group what the audit log and webhooks see.

use std::time::Duration;

use ferry_core::audit::{Action, TargetKind};
use ferry_store::Conn;
use ferry_store::link_receipts::OpenReceipt;
use futures::future::BoxFuture;
use serde_json::json;

use crate::audit;
use crate::caller::Origin;
use crate::links::Delivery;
use crate::state::AppState;
use crate::workers::{Pass, Worker};

/// Sorted, merged spans `[start, end)` of a file received so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans(Vec<(i64, i64)>);

impl Spans {
    /// Reads the stored JSON (`[[start, end], …]`); anything else counts as nothing received.
    pub fn parse(json: &str) -> Spans {
        let mut spans = Spans::default();
        for (start, end) in serde_json::from_str::<Vec<(i64, i64)>>(json).unwrap_or_default() {
            spans.add(start, end);
        }
        spans
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).expect("pairs of integers serialise")
    }

    /// Whether every byte of `[start, end)` was received already.
    pub fn holds(&self, start: i64, end: i64) -> bool {
        self.0.iter().any(|&(s, e)| s <= start && end <= e)
    }

    /// Adds `[start, end)`, merging it with the spans it touches.
    pub fn add(&mut self, start: i64, end: i64) {
        if start >= end {
            return;
        }
        let (mut start, mut end) = (start, end);
        self.0.retain(|&(s, e)| {
            let touches = s <= end && start <= e;
            if touches {
                start = start.min(s);
                end = end.max(e);
            }
            !touches
        });
        let at = self.0.partition_point(|&(s, _)| s < start);
        self.0.insert(at, (start, end));
    }

    /// Whether the spans cover `[0, size)`.
    pub fn covers(&self, size: i64) -> bool {
        size <= 0 || matches!(self.0.first(), Some(&(0, end)) if end >= size)
    }
}

/// Gathers a response that has ended (`sent` bytes; `finished`: its body reached the end)
/// into its download's receipt, filing what is due, in the settlement's transaction (which
/// holds the paying link's row, so responses of one link are gathered one at a time).
/// `downloads_used` is the link's count after this response.
pub(crate) async fn gather(
    conn: &mut Conn,
    d: &Delivery,
    sent: i64,
    finished: bool,
    downloads_used: i64,
    now: i64,
) -> ferry_store::Result<()> {
    // Several ranges in one response, a rendered copy or nothing sent: no span of the file to
    // gather, so the response is its own receipt.
    if !d.contiguous || sent <= 0 {
        let alone = receipt_of(d, sent, 1, now);
        return file(conn, &d.ctx, &alone, finished, downloads_used, now).await;
    }
    let (start, end) = (d.start, d.start + sent);
    let open = ferry_store::link_receipts::get_for_update(
        conn,
        &d.receipt_link_id,
        &d.file_id,
        &d.client_key,
    )
    .await?;
    let mut receipt = match open {
        Some(open) if !Spans::parse(&open.spans).holds(start, end) => open,
        Some(earlier) => {
            // Nothing here the client lacks: a new download begins.
            ferry_store::link_receipts::remove(conn, &earlier).await?;
            let covered = Spans::parse(&earlier.spans).covers(earlier.file_size);
            file(
                conn,
                &origin_of(&earlier),
                &earlier,
                covered,
                downloads_used,
                now,
            )
            .await?;
            receipt_of(d, 0, 0, now)
        }
        None => receipt_of(d, 0, 0, now),
    };
    let mut spans = Spans::parse(&receipt.spans);
    spans.add(start, end);
    receipt.spans = spans.to_json();
    receipt.bytes += sent;
    receipt.requests += 1;
    receipt.last_at = now;
    if spans.covers(receipt.file_size) {
        ferry_store::link_receipts::remove(conn, &receipt).await?;
        file(
            conn,
            &origin_of(&receipt),
            &receipt,
            true,
            downloads_used,
            now,
        )
        .await
    } else {
        ferry_store::link_receipts::put(conn, &receipt).await
    }
}

/// A receipt for `d`'s file holding `bytes` over `requests` responses and no span yet.
fn receipt_of(d: &Delivery, bytes: i64, requests: i64, now: i64) -> OpenReceipt {
    OpenReceipt {
        receipt_link_id: d.receipt_link_id.clone().into(),
        file_id: d.file_id.clone().into(),
        client_key: d.client_key.clone(),
        link_id: d.link_id.clone().into(),
        folder_id: d.folder_id.clone().into(),
        file_size: d.file_size,
        spans: "[]".into(),
        bytes,
        requests,
        ip: d.ctx.ip.clone(),
        user_agent: d.ctx.user_agent.clone(),
        request_id: d.ctx.request_id.clone(),
        first_at: now,
        last_at: now,
    }
}

/// The receipt's client, as its first response came.
fn origin_of(r: &OpenReceipt) -> Origin {
    Origin {
        request_id: r.request_id.clone(),
        ip: r.ip.clone(),
        user_agent: r.user_agent.clone(),
        impersonated_by: None,
    }
}

/// Audits the receipt as `link.downloaded`.
async fn file(
    conn: &mut Conn,
    origin: &Origin,
    r: &OpenReceipt,
    complete: bool,
    downloads_used: i64,
    now: i64,
) -> ferry_store::Result<()> {
    audit::success(
        origin,
        None,
        Action::LinkDownloaded,
        (TargetKind::Link, &r.receipt_link_id),
    )
    .at(now)
    .in_folder(&r.folder_id)
    .details(json!({
        "file_id": r.file_id,
        "bytes": r.bytes,
        "complete": complete,
        "ranges": r.requests,
        "downloads_used": downloads_used,
    }))
    .append(conn)
    .await
}

/// Receipts filed per transaction.
const BATCH: i64 = 100;

/// Files the receipts no response has added to for `links.receipt_quiet_secs`.
pub async fn file_quiet(app: &AppState) -> anyhow::Result<usize> {
    let now = app.now_ms();
    let quiet_since = now - app.config.links.receipt_quiet_secs.max(0) * 1000;
    let mut tx = app.store.begin().await?;
    let mut due = ferry_store::link_receipts::take_quiet(&mut tx, quiet_since, BATCH).await?;
    due.sort_by_key(|r| r.last_at);
    for r in &due {
        let used = ferry_store::links::get(&mut tx, &r.link_id)
            .await?
            .map(|l| l.downloads_used())
            .unwrap_or(0);
        let covered = Spans::parse(&r.spans).covers(r.file_size);
        file(&mut tx, &origin_of(r), r, covered, used, now).await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

/// The worker that files quiet receipts.
pub struct ReceiptFiler {
    interval: Duration,
}

impl ReceiptFiler {
    pub fn new(app: &AppState) -> Self {
        // A third of the quiet time, so a receipt is filed at most a third late; 1 to 10 s.
        let secs = (app.config.links.receipt_quiet_secs / 3).clamp(1, 10);
        ReceiptFiler {
            interval: Duration::from_secs(secs as u64),
        }
    }
}

impl Worker for ReceiptFiler {
    fn name(&self) -> &'static str {
        "link receipts"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn pass<'a>(&'a mut self, app: &'a AppState) -> BoxFuture<'a, anyhow::Result<Pass>> {
        Box::pin(async move {
            Ok(if file_quiet(app).await? as i64 == BATCH {
                Pass::Busy
            } else {
                Pass::Idle
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_merge_and_cover() {
        let mut s = Spans::default();
        s.add(100, 200);
        s.add(300, 400);
        assert_eq!(s.0, vec![(100, 200), (300, 400)]);
        assert!(!s.covers(400));
        assert!(s.holds(150, 160) && s.holds(100, 200) && s.holds(300, 400));
        assert!(!s.holds(0, 101) && !s.holds(150, 250) && !s.holds(399, 401));
        // Touching spans merge.
        s.add(200, 300);
        assert_eq!(s.0, vec![(100, 400)]);
        s.add(0, 100);
        assert!(s.covers(400));
        assert!(!s.covers(401));
        s.add(5, 5);
        assert_eq!(s.0, vec![(0, 400)]);
        assert_eq!(Spans::parse(&s.to_json()), s);
    }

    #[test]
    fn spans_added_in_any_order_are_one() {
        let parts: Vec<(i64, i64)> = (0..16).map(|i| (i * 64, (i + 1) * 64)).collect();
        let mut s = Spans::default();
        for &(a, b) in parts.iter().rev().step_by(2).chain(parts.iter().step_by(2)) {
            s.add(a, b);
        }
        assert_eq!(s.0, vec![(0, 1024)]);
        assert!(s.covers(1024));
    }

    #[test]
    fn stored_spans_that_are_not_json_count_as_nothing() {
        assert_eq!(Spans::parse("not json"), Spans::default());
        assert!(Spans::parse("[]").covers(0));
        assert!(!Spans::parse("[]").covers(1));
    }
}
