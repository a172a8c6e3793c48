//! The change feed: what changed in what the caller can read.

use ferry_api as api;
use reqwest::Method;

use crate::{Client, Result};

impl Client {
    /// A page of the change feed after `cursor`; without one, an empty page whose
    /// `next_cursor` marks the present.
    pub async fn changes(
        &self,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<api::ChangeList> {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        if let Some(l) = limit {
            query.push(("limit", l.to_string()));
        }
        Self::send(self.request(Method::GET, "/changes").query(&query)).await
    }

    /// Every change after `cursor`, page by page; the changes and the cursor to go on from.
    pub async fn changes_since(&self, cursor: &str) -> Result<(Vec<api::Change>, String)> {
        let mut all = Vec::new();
        let mut cursor = cursor.to_string();
        loop {
            let page = self.changes(Some(&cursor), Some(1000)).await?;
            all.extend(page.changes);
            cursor = page.next_cursor;
            if !page.has_more {
                return Ok((all, cursor));
            }
        }
    }
}
