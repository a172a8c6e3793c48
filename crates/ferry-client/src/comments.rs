//! Comments on files and tasks.

use ferry_api as api;
use reqwest::Method;

use crate::client::page_query;
use crate::{Client, Result};

impl Client {
    /// One page of a file's comments, oldest first.
    pub async fn comments(
        &self,
        file_id: &str,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::CommentList> {
        let q = page_query(limit, cursor);
        Self::send(
            self.request(Method::GET, &format!("/files/{file_id}/comments"))
                .query(&q),
        )
        .await
    }

    /// Comments on a file; with an assignee (login or `usr_` id) the comment is a task.
    pub async fn add_comment(
        &self,
        file_id: &str,
        body: &str,
        assignee: Option<&str>,
    ) -> Result<api::Comment> {
        let body = api::CreateComment {
            body: body.into(),
            assignee: assignee.map(str::to_string),
        };
        Self::send(self.json(Method::POST, &format!("/files/{file_id}/comments"), &body)).await
    }

    /// Changes a comment's body and/or a task's status (`open`, `done`).
    pub async fn update_comment(
        &self,
        id: &str,
        change: &api::UpdateComment,
    ) -> Result<api::Comment> {
        Self::send(self.json(Method::PATCH, &format!("/comments/{id}"), change)).await
    }

    pub async fn delete_comment(&self, id: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/comments/{id}"))).await
    }
}
