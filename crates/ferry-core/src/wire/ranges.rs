//! What a download delivers, decided from `If-None-Match`, `Range` and `If-Range` (RFC 9110
//! §13.1.2, §14.2, §13.1.5). The server's content door turns the outcome into a response.

use std::ops::RangeInclusive;

use http_range_header::RangeUnsatisfiableError;

use crate::timefmt::http_date;

/// The request headers that decide a delivery, as text (`None` when absent or not visible
/// ASCII).
#[derive(Debug, Clone, Copy, Default)]
pub struct Conditions<'a> {
    pub if_none_match: Option<&'a str>,
    pub range: Option<&'a str>,
    pub if_range: Option<&'a str>,
}

/// What is being delivered: its strong ETag (quoted), last modification (Unix ms) and size.
#[derive(Debug, Clone, Copy)]
pub struct Entity<'a> {
    pub etag: &'a str,
    pub modified_ms: i64,
    pub size: u64,
}

/// How much of the content a response delivers (for audit and counting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    NotModified,
    Full,
    /// Non-empty, each range non-empty and inside the content.
    Ranges(Vec<RangeInclusive<u64>>),
}

/// A `Range` that no byte of the content satisfies: `416`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

impl Delivery {
    /// Bytes of content the response carries.
    pub fn bytes(&self, size: u64) -> u64 {
        match self {
            Delivery::NotModified => 0,
            Delivery::Full => size,
            Delivery::Ranges(r) => r.iter().map(|r| r.end() - r.start() + 1).sum(),
        }
    }

    /// The ranges delivered as `"start-end"`, for the audit; none for the whole file.
    pub fn audited_ranges(&self) -> Option<Vec<String>> {
        match self {
            Delivery::Ranges(r) => Some(
                r.iter()
                    .map(|r| format!("{}-{}", r.start(), r.end()))
                    .collect(),
            ),
            _ => None,
        }
    }
}

/// Decides what to deliver of `entity` given the request's conditional and range headers.
pub fn plan(headers: &Conditions<'_>, entity: &Entity<'_>) -> Result<Delivery, Unsatisfiable> {
    let etag = entity.etag;
    if let Some(inm) = headers.if_none_match {
        let matches = inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == etag);
        if matches {
            return Ok(Delivery::NotModified);
        }
    }
    let Some(range) = headers.range else {
        return Ok(Delivery::Full);
    };
    if let Some(if_range) = headers.if_range {
        // A strong ETag must match exactly; a date must equal our Last-Modified.
        let current = if if_range.starts_with('"') || if_range.starts_with("W/") {
            if_range == etag
        } else {
            if_range == http_date(entity.modified_ms)
        };
        if !current {
            return Ok(Delivery::Full);
        }
    }
    let parsed = match http_range_header::parse_range_header(range) {
        Ok(p) => p,
        // Malformed ranges may be ignored (RFC 9110 §14.2): serve the whole file.
        Err(RangeUnsatisfiableError::Invalid(_)) => return Ok(Delivery::Full),
        Err(_) => return Err(Unsatisfiable),
    };
    match parsed.validate(entity.size) {
        Ok(ranges) if ranges.is_empty() => Ok(Delivery::Full),
        Ok(ranges) => Ok(Delivery::Ranges(ranges)),
        Err(RangeUnsatisfiableError::Invalid(_)) => Ok(Delivery::Full),
        Err(_) => Err(Unsatisfiable),
    }
}
