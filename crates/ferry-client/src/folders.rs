//! Folders: creating, showing and listing them.

use ferry_api as api;
use reqwest::Method;

use crate::{Client, Result};

impl Client {
    /// Creates a private folder holding deleted files for `retention_days`.
    pub async fn create_folder(&self, name: &str, retention_days: i64) -> Result<api::Folder> {
        let body = api::CreateFolder {
            name: name.into(),
            retention_days: Some(retention_days),
            visibility: None,
            parent_id: None,
            description: None,
            expires_at: None,
        };
        Self::send(self.json(Method::POST, "/folders", &body)).await
    }

    /// The first page of `GET /folders`.
    pub async fn list_folders(&self, include_quota: bool) -> Result<api::FolderList> {
        Self::send(
            self.request(Method::GET, "/folders")
                .query(&[("include_quota", include_quota)]),
        )
        .await
    }

    /// One page of `GET /folders`.
    pub async fn list_folders_page(
        &self,
        include_quota: bool,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::FolderList> {
        let mut q: Vec<(&str, String)> = vec![("include_quota", include_quota.to_string())];
        if let Some(l) = limit {
            q.push(("limit", l.to_string()));
        }
        if let Some(c) = cursor {
            q.push(("cursor", c.to_string()));
        }
        Self::send(self.request(Method::GET, "/folders").query(&q)).await
    }

    /// One folder.
    pub async fn get_folder(&self, id: &str) -> Result<api::Folder> {
        Self::send(self.request(Method::GET, &format!("/folders/{id}"))).await
    }
}
