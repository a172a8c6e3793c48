//! The change feed: `GET /changes` (pages) and `GET /changes/stream` (Server-Sent Events).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_app::changes::{self, Followed, View};
use ferry_app::{AppState, Caller};
use ferry_core::timefmt::rfc3339;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiQuery, Page, encode_cursor};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(stream))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ChangesQuery {
    /// Where to continue: a `next_cursor` (or a change's `cursor`). Without it the feed starts
    /// now: an empty page whose `next_cursor` marks the present.
    cursor: Option<String>,
    /// 1..=1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct StreamQuery {
    /// Where to continue (as for `GET /changes`); the `Last-Event-ID` header, when sent, wins.
    /// Without either the stream starts now.
    cursor: Option<String>,
}

fn view(v: View) -> api::Change {
    api::Change {
        seq: v.seq,
        time: rfc3339(v.time),
        kind: v.kind,
        item_type: v.item_type,
        id: v.id,
        path: v.path,
        old_path: v.old_path,
        version: v.version,
        cursor: encode_cursor(&v.seq),
    }
}

/// The position a cursor names, or the present without one.
async fn start(state: &AppState, cursor: Option<String>) -> ApiResult<i64> {
    let page = Page {
        limit: None,
        cursor,
    };
    match page.cursor::<i64>()? {
        Some(seq) => Ok(seq),
        None => Ok(changes::now(state).await?),
    }
}

#[utoipa::path(get, path = "/changes", tag = "changes", params(ChangesQuery),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, body = api::ChangeList, description = "The caller's changes after the cursor, in commit order"),
        (status = 400, description = "`invalid_cursor`, `invalid_value`, `invalid_query`", body = api::ErrorBody),
        (status = 401, description = "`unauthorized`", body = api::ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = api::ErrorBody),
        (status = 410, description = "`cursor_expired`: older than `changes.keep_days`; list again and start anew", body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(q): ApiQuery<ChangesQuery>,
) -> ApiResult<axum::Json<api::ChangeList>> {
    let limit = Page {
        limit: q.limit,
        cursor: None,
    }
    .limit()?;
    let caller = me.caller();
    let Some(cursor) = q.cursor else {
        let now = changes::now(&state).await?;
        return Ok(axum::Json(api::ChangeList {
            changes: Vec::new(),
            next_cursor: encode_cursor(&now),
            has_more: false,
        }));
    };
    let after = start(&state, Some(cursor)).await?;
    let page = changes::page(&state, &caller, after, limit).await?;
    Ok(axum::Json(api::ChangeList {
        changes: page.changes.into_iter().map(view).collect(),
        next_cursor: encode_cursor(&page.next),
        has_more: page.has_more,
    }))
}

/// An SSE event for what the follower found.
fn event(f: Followed) -> Event {
    match f {
        Followed::Change(v) => {
            let change = view(v);
            let data = serde_json::to_string(&change).unwrap_or_default();
            Event::default()
                .id(change.cursor)
                .event("change")
                .data(data)
        }
        Followed::Expired => Event::default().event("error").data(
            serde_json::json!({"error": {"code": "cursor_expired",
                "message": "This stream fell behind the change feed's retention; list again and start anew."}})
            .to_string(),
        ),
    }
}

#[utoipa::path(get, path = "/changes/stream", tag = "changes", params(StreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received: the stream resumes after it")),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, content_type = "text/event-stream", description = "Server-Sent Events: `change` events (data: a Change, id: its cursor) as they commit; comment lines as heartbeats; an `error` event with `cursor_expired` if the stream falls behind the retention window. A client that reads nothing for `changes.stall_timeout_secs` is dropped."),
        (status = 400, description = "`invalid_cursor`, `invalid_query`", body = api::ErrorBody),
        (status = 401, description = "`unauthorized`", body = api::ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = api::ErrorBody),
        (status = 410, description = "`cursor_expired`", body = api::ErrorBody)))]
async fn stream(
    State(state): State<AppState>,
    me: AuthUser,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> ApiResult<Response> {
    let resume = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| {
                    ApiError::invalid(
                        "Last-Event-ID",
                        "invalid_cursor",
                        "The cursor is not valid.",
                    )
                })?
                .to_string(),
        ),
        None => q.cursor,
    };
    let after = start(&state, resume).await?;
    let caller: Caller = me.caller();
    let rx = changes::follow(&state, &caller, after).await?;
    let events = futures::stream::unfold(rx, |mut rx| async move {
        let next = rx.recv().await?;
        Some((Ok::<_, Infallible>(event(next)), rx))
    });
    let heartbeat = Duration::from_secs(state.config.changes.heartbeat_secs.max(1));
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(heartbeat).text("heartbeat"))
        .into_response())
}
