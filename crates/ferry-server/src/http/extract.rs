//! Request extractors that turn bad input into the contract's `400`s: JSON bodies, query
//! strings, paging.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ferry_core::Sort;
use ferry_store::folders::After;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use ferry_app::AppState;
use ferry_app::Error;

/// The request's media type (`Content-Type` without parameters, lowercased), if any.
pub fn media_type(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

/// A JSON body: `Content-Type: application/json`, at most `limits.max_json_bytes`, well
/// formed, with every required field of the right type. Unknown fields are ignored.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let is_json = media_type(req.headers()).is_some_and(|m| {
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        });
        if !is_json {
            return Err(ApiError::UnsupportedContentType {
                expected: "application/json",
            });
        }
        let limit = state.config.limits.max_json_bytes;
        // A declared length over the limit is refused before a byte is read.
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(ApiError::App(Error::PayloadTooLarge {
                limit: limit as u64,
            }));
        }
        // A JSON body is small: it must arrive whole within the deadline, however slowly
        // its bytes trickle in (the idle timeout alone restarts with every byte).
        let deadline = std::time::Duration::from_secs(state.config.server.json_body_timeout_secs);
        let read = tokio::time::timeout(deadline, axum::body::to_bytes(req.into_body(), limit));
        let body = read
            .await
            .map_err(|_| ApiError::RequestTimeout)?
            .map_err(|e| {
                if std::error::Error::source(&e)
                    .is_some_and(|s| s.is::<http_body_util_limit::LengthLimitError>())
                    || e.to_string().contains("length limit")
                {
                    ApiError::App(Error::PayloadTooLarge {
                        limit: limit as u64,
                    })
                } else {
                    ApiError::App(Error::BodyRead)
                }
            })?;
        parse_json(&body).map(ApiJson)
    }
}

/// An optional JSON body (`Option<ApiJson<T>>`): a request without a body and without a
/// `Content-Type` is `None`; anything else is read as [`ApiJson`].
impl<T: DeserializeOwned> axum::extract::OptionalFromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Option<Self>, ApiError> {
        let empty = req.headers().get(header::CONTENT_TYPE).is_none()
            && req
                .headers()
                .get(header::CONTENT_LENGTH)
                .is_none_or(|v| v.as_bytes() == b"0");
        if empty {
            return Ok(None);
        }
        <ApiJson<T> as FromRequest<AppState>>::from_request(req, state)
            .await
            .map(Some)
    }
}

/// axum does not re-export http-body-util's limit error; matching on the message is the
/// fallback, this alias keeps the intent readable.
mod http_body_util_limit {
    pub type LengthLimitError = axum::extract::rejection::LengthLimitError;
}

fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    // Parsed once into a Value: any syntax error (trailing garbage, a number no Value can
    // hold such as `1e999`) is `malformed_json` before a field is looked at.
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {e}"))
    })?;
    if !value.is_object() {
        return Err(ApiError::invalid(
            ".",
            "invalid_field",
            "The body must be a JSON object.",
        ));
    }
    whole_floats_to_integers(&mut value);
    // From a Value only type errors remain: a missing or a wrong field.
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.into_inner().to_string();
        // serde reports a missing field on the parent object, naming it in the message.
        let missing = msg
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        match missing {
            Some(field) => {
                let field = if path == "." {
                    field.to_string()
                } else {
                    format!("{path}.{field}")
                };
                ApiError::invalid(
                    &field,
                    "missing_field",
                    format!("Field `{field}` is required."),
                )
            }
            None => ApiError::invalid(
                &path,
                "invalid_field",
                format!("Field `{path}` is invalid: {msg}"),
            ),
        }
    })
}

/// JSON has one number type: `3.0` is the integer 3 to JSON Schema and to JavaScript, so
/// whole numbers written with a fraction are read as integers wherever one is expected.
fn whole_floats_to_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *value = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_floats_to_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(whole_floats_to_integers),
        _ => {}
    }
}

/// A query string parsed into `T`; bad values are `400 invalid_query` naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let msg = e.into_inner().to_string();
                let field = msg
                    .strip_prefix("missing field `")
                    .and_then(|rest| rest.split('`').next())
                    .map(str::to_string)
                    .unwrap_or(path);
                ApiError::invalid(
                    &field,
                    "invalid_query",
                    format!("Query parameter `{field}`: {msg}"),
                )
            })
    }
}

/// `limit` and `cursor` of list endpoints.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// 1..=1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Opaque; from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl Page {
    /// The validated limit.
    pub fn limit(&self) -> Result<i64, ApiError> {
        Ok(ferry_core::validate::in_range(
            "limit",
            self.limit.unwrap_or(100),
            1..=1000,
        )?)
    }

    /// The decoded cursor, or `None` on the first page.
    pub fn cursor<C: DeserializeOwned>(&self) -> Result<Option<C>, ApiError> {
        let Some(raw) = &self.cursor else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .map(Some)
            .ok_or_else(|| {
                ApiError::invalid("cursor", "invalid_cursor", "The cursor is not valid.")
            })
    }
}

/// `limit`, `cursor` and `sort` of a folder's listings.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SortedPage {
    /// 1..=1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Opaque; from the previous page's `next_cursor` (of the same `sort`).
    pub cursor: Option<String>,
    /// `name` (default, case-insensitive), `-name`, `updated_at`, `-updated_at`, `size`,
    /// `-size`; ties are broken by id. Subfolders have no size of their own: `size` orders
    /// them by name.
    #[param(pattern = "^-?(name|updated_at|size)$")]
    pub sort: Option<String>,
}

/// A position in a sorted listing: the sort it belongs to, the sort value and the id.
#[derive(Serialize, Deserialize)]
struct SortedCursor {
    s: String,
    t: Option<String>,
    n: Option<i64>,
    id: String,
}

impl SortedPage {
    pub fn limit(&self) -> Result<i64, ApiError> {
        Page {
            limit: self.limit,
            cursor: None,
        }
        .limit()
    }

    pub fn sort(&self) -> Result<Sort, ApiError> {
        match &self.sort {
            None => Ok(Sort::default()),
            Some(s) => Sort::parse(s).ok_or_else(|| {
                ApiError::invalid(
                    "sort",
                    "invalid_value",
                    "sort must be name, updated_at or size, with `-` for descending.",
                )
            }),
        }
    }

    /// The cursor's position; a cursor of another sort order is invalid.
    pub fn after(&self) -> Result<Option<After>, ApiError> {
        let page = Page {
            limit: None,
            cursor: self.cursor.clone(),
        };
        let Some(c) = page.cursor::<SortedCursor>()? else {
            return Ok(None);
        };
        let wanted = self.sort.clone().unwrap_or_else(|| "name".into());
        let invalid = || {
            ApiError::invalid(
                "cursor",
                "invalid_cursor",
                "The cursor is not valid for this sort.",
            )
        };
        if c.s != wanted {
            return Err(invalid());
        }
        // A name sorts by text, the others by number: a cursor that says otherwise was not
        // made by us (and would compare a number column with text).
        let by_text = self.sort()?.key == ferry_core::SortKey::Name;
        match (c.t, c.n, by_text) {
            (Some(t), None, true) => Ok(Some(After::Text(t, c.id))),
            (None, Some(n), false) => Ok(Some(After::Number(n, c.id))),
            _ => Err(invalid()),
        }
    }

    /// Takes `limit + 1` rows: the page and the cursor after it.
    pub fn paginate<T>(
        &self,
        rows: Vec<T>,
        limit: i64,
        position: impl Fn(&T) -> After,
    ) -> (Vec<T>, Option<String>) {
        let sort = self.sort.clone().unwrap_or_else(|| "name".into());
        paginate(rows, limit, |r| match position(r) {
            After::Text(t, id) => SortedCursor {
                s: sort.clone(),
                t: Some(t),
                n: None,
                id,
            },
            After::Number(n, id) => SortedCursor {
                s: sort.clone(),
                t: None,
                n: Some(n),
                id,
            },
        })
    }
}

/// An RFC 3339 time given as `field`, as Unix milliseconds.
pub fn parse_time(field: &str, value: &str) -> Result<i64, ApiError> {
    ferry_core::timefmt::parse_rfc3339(value).ok_or_else(|| {
        ApiError::invalid(
            field,
            "invalid_value",
            format!("{field} must be an RFC 3339 time such as 2026-11-22T12:00:00Z."),
        )
    })
}

/// Encodes a position as an opaque cursor.
pub fn encode_cursor<C: Serialize>(position: &C) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(position).expect("cursors serialize"))
}

/// Takes `limit + 1` fetched rows: returns the page and the cursor for the next one.
pub fn paginate<T, C: Serialize>(
    mut rows: Vec<T>,
    limit: i64,
    position: impl Fn(&T) -> C,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|r| encode_cursor(&position(r)))
    } else {
        None
    };
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        n: Option<i64>,
    }

    #[test]
    fn json_errors_are_precise() {
        let code = |s: &str| match parse_json::<Body>(&Bytes::from(s.to_string())) {
            Err(ApiError::App(ferry_app::Error::Invalid { code, field, .. })) => (code, field),
            other => panic!("{other:?}"),
        };
        assert_eq!(code("{"), ("malformed_json", None));
        assert_eq!(code("{}"), ("missing_field", Some("name".into())));
        assert_eq!(
            code(r#"{"name": 1}"#),
            ("invalid_field", Some("name".into()))
        );
        assert_eq!(code(r#"{"name": "a", "n": 1e999}"#).0, "malformed_json");
        assert!(parse_json::<Body>(&Bytes::from(r#"{"name":"a","extra":true}"#)).is_ok());
        assert_eq!(code(r#"{"name":"a"} trailing"#).0, "malformed_json");
        assert_eq!(code(r#"{"name": 42"#).0, "malformed_json");
        assert_eq!(code(r#"["a"]"#), ("invalid_field", Some(".".into())));
        // A whole number written with a fraction is still an integer; a real fraction is not.
        let body: Body = parse_json(&Bytes::from(r#"{"name":"a","n":3.0}"#)).unwrap();
        assert_eq!(body.n, Some(3));
        assert_eq!(
            code(r#"{"name":"a","n":3.5}"#),
            ("invalid_field", Some("n".into()))
        );
    }
}
