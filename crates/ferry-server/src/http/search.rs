//! Search: `GET /search`.

use axum::extract::State;
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::namespace::Resolved;
use ferry_app::search::{self, MediaFilters as SearchMediaFilters, SearchRequest};
use ferry_core::ItemKind;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiQuery, Page, paginate, parse_time};
use crate::http::views::{file_entry_view, folder_entry_view};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// A substring of names, descriptions and tags (2..=256 characters), compared without case.
    #[param(min_length = 2, max_length = 256)]
    q: Option<String>,
    /// Only below this folder.
    folder_id: Option<String>,
    /// `file` or `folder`.
    #[serde(rename = "type")]
    #[param(rename = "type", pattern = "^(file|folder)$")]
    kind: Option<String>,
    /// A media type, or a family such as `image/*` (files only).
    mime: Option<String>,
    #[param(minimum = 0)]
    min_size: Option<i64>,
    #[param(minimum = 0)]
    max_size: Option<i64>,
    /// RFC 3339.
    modified_after: Option<String>,
    /// RFC 3339.
    modified_before: Option<String>,
    /// One whole tag, compared without case (files only).
    tag: Option<String>,
    /// Photos taken after this time (RFC 3339; the EXIF time is the camera's clock and is
    /// compared as if it were UTC). Media filters find files only, and only once their
    /// metadata was read (right after upload, by a worker).
    taken_after: Option<String>,
    /// Photos taken before this time (RFC 3339).
    taken_before: Option<String>,
    /// A substring of the camera's make or model (`canon`, `eos r5`, `canon eos`), without case.
    camera: Option<String>,
    /// `true`: photos with a GPS position; `false`: media without one.
    #[param(value_type = Option<bool>)]
    has_location: Option<String>,
    /// A substring of the audio's artist tag, without case.
    artist: Option<String>,
    /// A substring of the audio's album tag, without case.
    album: Option<String>,
    /// Audio at least this long, in seconds (fractions allowed).
    #[param(value_type = Option<f64>, minimum = 0)]
    min_duration: Option<String>,
    /// Audio at most this long, in seconds.
    #[param(value_type = Option<f64>, minimum = 0)]
    max_duration: Option<String>,
    /// Images at least this wide, in pixels.
    #[param(value_type = Option<i64>, minimum = 0)]
    min_width: Option<String>,
    /// Images at least this high, in pixels.
    #[param(value_type = Option<i64>, minimum = 0)]
    min_height: Option<String>,
    /// 1..=1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    cursor: Option<String>,
}

fn not_negative(field: &str, what: &str) -> ApiError {
    ApiError::invalid(
        field,
        "invalid_value",
        format!("{field} must be {what}, 0 or more."),
    )
}

/// `true` or `false`.
fn parse_bool(field: &str, value: &str) -> ApiResult<bool> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::invalid(
            field,
            "invalid_value",
            format!("{field} must be `true` or `false`."),
        )),
    }
}

/// Seconds (a fraction allowed) as whole milliseconds.
fn seconds_ms(field: &str, value: Option<&str>) -> ApiResult<Option<i64>> {
    let Some(v) = value else { return Ok(None) };
    match v.trim().parse::<f64>() {
        // At most about 31,700 years: the product stays far inside i64.
        Ok(s) if s.is_finite() && (0.0..=1e12).contains(&s) => {
            Ok(Some((s * 1000.0).round() as i64))
        }
        _ => Err(not_negative(field, "a number of seconds")),
    }
}

/// A whole number of pixels.
fn pixels(field: &str, value: Option<&str>) -> ApiResult<Option<i64>> {
    let Some(v) = value else { return Ok(None) };
    match v.trim().parse::<i64>() {
        Ok(n) if n >= 0 => Ok(Some(n)),
        _ => Err(not_negative(field, "a whole number of pixels")),
    }
}

/// Search the files and folders the caller can read, in name order.
#[utoipa::path(get, path = "/search", tag = "folders", params(SearchQuery),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::SearchResults),
        (status = 400, description = "`invalid_value` (q of 1 or more than 256 characters, a time that is not RFC 3339, a negative or non-numeric size, duration, width or height, has_location other than true/false...), `missing_field` (neither q nor a filter)", body = api::ErrorBody),
        (status = 404, description = "`folder_id` is not visible", body = api::ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<axum::Json<api::SearchResults>> {
    let page = Page {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let after: Option<(String, String)> = page.cursor()?;
    let kind = match q.kind.as_deref() {
        None => None,
        Some("file") => Some(ItemKind::File),
        Some("folder") => Some(ItemKind::Folder),
        Some(_) => {
            return Err(ApiError::invalid(
                "type",
                "invalid_value",
                "type must be `file` or `folder`.",
            ));
        }
    };
    for (field, value) in [("min_size", q.min_size), ("max_size", q.max_size)] {
        if value.is_some_and(|v| v < 0) {
            return Err(ApiError::invalid(
                field,
                "invalid_value",
                format!("{field} must be 0 or more."),
            ));
        }
    }
    let request = SearchRequest {
        text: q.q,
        folder_id: q.folder_id,
        kind,
        mime: q.mime,
        min_size: q.min_size,
        max_size: q.max_size,
        modified_after: q
            .modified_after
            .as_deref()
            .map(|t| parse_time("modified_after", t))
            .transpose()?,
        modified_before: q
            .modified_before
            .as_deref()
            .map(|t| parse_time("modified_before", t))
            .transpose()?,
        tag: q.tag,
        media: SearchMediaFilters {
            taken_after: q
                .taken_after
                .as_deref()
                .map(|t| parse_time("taken_after", t))
                .transpose()?,
            taken_before: q
                .taken_before
                .as_deref()
                .map(|t| parse_time("taken_before", t))
                .transpose()?,
            camera: q.camera,
            has_location: q
                .has_location
                .as_deref()
                .map(|v| parse_bool("has_location", v))
                .transpose()?,
            artist: q.artist,
            album: q.album,
            min_duration_ms: seconds_ms("min_duration", q.min_duration.as_deref())?,
            max_duration_ms: seconds_ms("max_duration", q.max_duration.as_deref())?,
            min_width: pixels("min_width", q.min_width.as_deref())?,
            min_height: pixels("min_height", q.min_height.as_deref())?,
        },
    };
    let caller = me.caller();
    let hits = search::search(&state, &caller, request, after, limit).await?;
    let (hits, next_cursor) = paginate(hits, limit, |(_, position)| position.clone());
    Ok(axum::Json(api::SearchResults {
        items: hits
            .iter()
            .map(|(found, _)| match found {
                Resolved::File(e) => api::Resolved {
                    kind: "file".into(),
                    file: Some(file_entry_view(e)),
                    folder: None,
                },
                Resolved::Folder(e) => api::Resolved {
                    kind: "folder".into(),
                    file: None,
                    folder: Some(folder_entry_view(&caller, e)),
                },
            })
            .collect(),
        next_cursor,
    }))
}
