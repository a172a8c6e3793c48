//! Search: `GET /search` over names, descriptions and tags, with filters.

use ferry_api as api;
use reqwest::Method;
use serde::Serialize;

use crate::client::page_query;
use crate::{Client, Result};

/// What a search asks for; absent fields are not sent. The server needs `q` (2..=256
/// characters) or at least one filter (`mime`, the sizes, the times, `tag`, the media filters).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchQuery {
    /// A substring of names, descriptions and tags, compared without regard to case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Only below this folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder_id: Option<String>,
    /// `file` or `folder`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// A media type, or a family such as `image/*` (files only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_size: Option<i64>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified_after: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified_before: Option<String>,
    /// One whole tag, compared without regard to case (files only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Media filters (files only, once their metadata was read): EXIF time after / before
    /// this RFC 3339 time (the camera's clock, compared as UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken_before: Option<String>,
    /// A substring of the camera's make or model, without regard to case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// With (true) or without (false) a GPS position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_location: Option<bool>,
    /// Substrings of the audio tags, without regard to case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artist: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub album: Option<String>,
    /// Audio duration bounds, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_duration: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<f64>,
    /// Image size lower bounds, in pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_width: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_height: Option<i64>,
}

impl Client {
    /// One page of the files and folders matching `query` that the caller can read, in name
    /// order.
    pub async fn search(
        &self,
        query: &SearchQuery,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::SearchResults> {
        let page = page_query(limit, cursor);
        Self::send(
            self.request(Method::GET, "/search")
                .query(query)
                .query(&page),
        )
        .await
    }
}
