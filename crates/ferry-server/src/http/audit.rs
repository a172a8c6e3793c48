//! Audit search and export (`/audit/events`) and chain verification (`/audit/verify`).

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use ferry_api as api;
use ferry_core::timefmt::rfc3339;
use ferry_store::audit::{Event, Filter};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiQuery, Page, encode_cursor};
use ferry_app::{AppState, audit};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(verify))
}

/// Rows fetched per round trip when exporting.
const EXPORT_BATCH: i64 = 1000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// A login or user id.
    actor: Option<String>,
    /// One action or a comma-separated list (`auth.login,auth.login_failed`).
    action: Option<String>,
    /// The target's id (a file, folder, user, link, upload…).
    target: Option<String>,
    /// `success` or `failure`.
    outcome: Option<String>,
    /// `24h`, `7d` or `30d` back from now.
    range: Option<String>,
    /// RFC 3339; inclusive.
    from: Option<String>,
    /// RFC 3339; exclusive.
    to: Option<String>,
    ip: Option<String>,
    /// 1..=1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    cursor: Option<String>,
    /// `json` (default, paged), `csv` or `ndjson` (every matching row, streamed).
    format: Option<String>,
}

pub fn event_view(e: &Event) -> api::Event {
    api::Event {
        id: e.id.to_string(),
        time: rfc3339(e.time),
        actor: e.actor_id.as_ref().map(|id| api::Owner {
            id: id.clone(),
            login: e.actor_login.clone().unwrap_or_default(),
        }),
        action: e.action.clone(),
        target: api::Target {
            kind: e.target_type.clone(),
            id: e.target_id.clone(),
        },
        ip: e.ip.clone(),
        user_agent: e.user_agent.clone(),
        request_id: e.request_id.clone(),
        outcome: e.outcome.clone(),
        details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
    }
}

fn search_request(q: &SearchQuery) -> audit::SearchRequest {
    audit::SearchRequest {
        actor: q.actor.clone(),
        actions: q.action.clone(),
        target: q.target.clone(),
        outcome: q.outcome.clone(),
        range: q.range.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
        ip: q.ip.clone(),
    }
}

#[utoipa::path(get, path = "/audit/events", tag = "audit", params(SearchQuery),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, body = api::EventList, description = "JSON page; CSV or NDJSON stream with `format`"),
        (status = 400, description = "`invalid_query`, `invalid_cursor`, `invalid_value`", body = api::ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Response> {
    let mut filter = audit::search_filter(&state, &me.caller(), &search_request(&q)).await?;
    let page = Page {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    filter.before_seq = page.cursor::<i64>()?;
    match q.format.as_deref() {
        None | Some("json") => {
            let limit = page.limit()?;
            let mut rows = audit::search(&state, &filter, limit + 1).await?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let next_cursor = if more {
                rows.last().map(|e| encode_cursor(&e.seq))
            } else {
                None
            };
            Ok(axum::Json(api::EventList {
                events: rows.iter().map(event_view).collect(),
                next_cursor,
            })
            .into_response())
        }
        Some(format @ ("csv" | "ndjson")) => Ok(export(state, filter, format == "csv")),
        Some(_) => Err(ApiError::invalid(
            "format",
            "invalid_query",
            "format must be `json`, `csv` or `ndjson`.",
        )),
    }
}

const CSV_HEADER: &str = "id,time,actor_id,actor_login,action,target_type,target_id,ip,user_agent,request_id,outcome,details\n";

fn csv_row(e: &Event) -> String {
    let time = rfc3339(e.time);
    crate::http::csv::row(&[
        e.id.as_str(),
        time.as_str(),
        e.actor_id.as_deref().unwrap_or(""),
        e.actor_login.as_deref().unwrap_or(""),
        &e.action,
        &e.target_type,
        &e.target_id,
        e.ip.as_deref().unwrap_or(""),
        e.user_agent.as_deref().unwrap_or(""),
        e.request_id.as_deref().unwrap_or(""),
        &e.outcome,
        &e.details,
    ])
}

/// Streams every matching event, newest first, fetching a batch at a time: memory stays flat
/// whatever the number of rows.
fn export(state: AppState, filter: Filter, csv: bool) -> Response {
    let first = csv.then(|| Ok::<_, std::io::Error>(Bytes::from_static(CSV_HEADER.as_bytes())));
    let rows = futures::stream::unfold(Some(filter), move |next| {
        let state = state.clone();
        async move {
            let filter = next?;
            let batch = audit::search(&state, &filter, EXPORT_BATCH).await;
            match batch {
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let mut chunk = String::new();
                    for e in &rows {
                        if csv {
                            chunk.push_str(&csv_row(e));
                        } else {
                            chunk.push_str(
                                &serde_json::to_string(&event_view(e)).unwrap_or_default(),
                            );
                            chunk.push('\n');
                        }
                    }
                    let more = rows.len() as i64 == EXPORT_BATCH;
                    let next = more.then(|| Filter {
                        before_seq: rows.last().map(|e| e.seq),
                        ..filter
                    });
                    Some((Ok(Bytes::from(chunk)), next))
                }
            }
        }
    });
    let stream = futures::StreamExt::chain(futures::stream::iter(first), rows);
    let (ctype, name) = if csv {
        ("text/csv; charset=utf-8", "audit.csv")
    } else {
        ("application/x-ndjson", "audit.ndjson")
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Re-walk the audit chain and report the first event whose hash does not match (admins).
#[utoipa::path(get, path = "/audit/verify", tag = "audit",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::AuditVerification), (status = 403, body = api::ErrorBody)))]
async fn verify(
    State(state): State<AppState>,
    me: AuthUser,
) -> ApiResult<axum::Json<api::AuditVerification>> {
    let v = audit::verify_chain(&state, &me.caller()).await?;
    Ok(axum::Json(api::AuditVerification {
        ok: v.broken.is_none(),
        checked: v.checked,
        broken_event_id: v.broken.map(|(_, id)| id),
    }))
}
