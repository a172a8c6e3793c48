//! Usage over time for admins (`GET /analytics/usage`): uploads, downloads and their bytes and
//! active users per interval, counted from the audit log, with what is stored now.

use crate::access;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::stats::Totals;

/// The most intervals one answer holds.
const MAX_INTERVALS: i64 = 1000;

/// An interval's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Hour,
    Day,
    Week,
}

impl Interval {
    pub fn parse(s: &str) -> Option<Interval> {
        match s {
            "hour" => Some(Interval::Hour),
            "day" => Some(Interval::Day),
            "week" => Some(Interval::Week),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Hour => "hour",
            Interval::Day => "day",
            Interval::Week => "week",
        }
    }

    fn millis(self) -> i64 {
        match self {
            Interval::Hour => 3_600_000,
            Interval::Day => 86_400_000,
            Interval::Week => 7 * 86_400_000,
        }
    }
}

/// What `GET /analytics/usage` asks for; unset times default to the 30 intervals up to now.
#[derive(Debug, Default)]
pub struct UsageQuery {
    pub company_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub interval: Option<String>,
}

/// One interval's activity, `[start, end)`.
pub struct Period {
    pub start: i64,
    pub end: i64,
    pub uploads: i64,
    pub upload_bytes: i64,
    pub downloads: i64,
    pub download_bytes: i64,
    pub active_users: i64,
}

pub struct Usage {
    pub interval: Interval,
    pub company_id: Option<String>,
    pub from: i64,
    pub to: i64,
    /// Every interval of `[from, to)`, quiet ones too.
    pub periods: Vec<Period>,
    /// What is stored now (the installation's, or the company's).
    pub now: Totals,
}

pub async fn usage(app: &AppState, caller: &Caller, query: UsageQuery) -> Result<Usage> {
    let company = access::analytics_scope(caller, query.company_id.as_deref())?;
    let interval = match query.interval.as_deref() {
        None => Interval::Day,
        Some(s) => Interval::parse(s).ok_or_else(|| {
            Error::invalid(
                "interval",
                "invalid_value",
                "interval must be `hour`, `day` or `week`.",
            )
        })?,
    };
    let step = interval.millis();
    let to = query.to.unwrap_or_else(|| app.now_ms());
    let from = query.from.unwrap_or(to - 30 * step);
    if from >= to {
        return Err(Error::invalid(
            "from",
            "invalid_value",
            "from must be before to.",
        ));
    }
    let count = (to - from + step - 1) / step;
    if count > MAX_INTERVALS {
        return Err(Error::invalid(
            "interval",
            "invalid_value",
            format!("At most {MAX_INTERVALS} intervals: shorten the range or widen the interval."),
        ));
    }
    let mut conn = app.store.conn().await?;
    let rows =
        ferry_store::analytics::activity(&mut conn, from, to, step, company.as_deref()).await?;
    let now = match &company {
        None => ferry_store::stats::totals(&mut conn).await?,
        Some(c) => ferry_store::stats::company_totals(&mut conn, c).await?,
    };
    let periods = (0..count)
        .map(|i| {
            let row = rows
                .iter()
                .find(|r| r.bucket == i)
                .copied()
                .unwrap_or_default();
            Period {
                start: from + i * step,
                end: (from + (i + 1) * step).min(to),
                uploads: row.uploads,
                upload_bytes: row.upload_bytes,
                downloads: row.downloads,
                download_bytes: row.download_bytes,
                active_users: row.active_users,
            }
        })
        .collect();
    Ok(Usage {
        interval,
        company_id: company,
        from,
        to,
        periods,
        now,
    })
}
