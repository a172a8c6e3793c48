//! The folder tree: subfolders, paths, rename, move, copy, and the trash.

use ferry_api as api;
use reqwest::Method;

use crate::client::page_query;
use crate::{Client, ClientError, Result, Started};

impl Client {
    /// Creates a subfolder of `parent_id` (or a top-level folder with `None`).
    pub async fn create_folder_in(
        &self,
        parent_id: Option<&str>,
        name: &str,
    ) -> Result<api::Folder> {
        let body = api::CreateFolder {
            name: name.into(),
            retention_days: None,
            visibility: None,
            parent_id: parent_id.map(str::to_string),
            description: None,
            expires_at: None,
        };
        Self::send(self.json(Method::POST, "/folders", &body)).await
    }

    /// One page of a folder's subfolders.
    pub async fn children(
        &self,
        folder_id: &str,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::FolderList> {
        let q = page_query(limit, cursor);
        Self::send(
            self.request(Method::GET, &format!("/folders/{folder_id}/children"))
                .query(&q),
        )
        .await
    }

    /// What `path` names, from the caller's root.
    pub async fn resolve(&self, path: &str) -> Result<api::Resolved> {
        Self::send(
            self.request(Method::GET, "/resolve")
                .query(&[("path", path)]),
        )
        .await
    }

    pub async fn update_folder(&self, id: &str, change: &api::UpdateFolder) -> Result<api::Folder> {
        Self::send(self.json(Method::PATCH, &format!("/folders/{id}"), change)).await
    }

    pub async fn update_file(&self, id: &str, change: &api::UpdateFile) -> Result<api::File> {
        Self::send(self.json(Method::PATCH, &format!("/files/{id}"), change)).await
    }

    pub async fn move_folder(&self, id: &str, to: &api::MoveFolder) -> Result<api::Folder> {
        Self::send(self.json(Method::POST, &format!("/folders/{id}/move"), to)).await
    }

    /// Copies a folder; when the server makes a task of it (a big tree), waits for the task
    /// and answers the copy all the same.
    pub async fn copy_folder(&self, id: &str, to: &api::MoveFolder) -> Result<api::Folder> {
        match self.start_copy_folder(id, to).await? {
            Started::Done(folder) => Ok(folder),
            Started::Queued(task) => {
                let task = self.wait_task(&task.id).await?;
                let copy = task
                    .result
                    .as_ref()
                    .and_then(|r| r["folder_id"].as_str())
                    .ok_or_else(|| ClientError::TaskFailed(Box::new(task.clone())))?;
                self.get_folder(copy).await
            }
        }
    }

    /// Copies a folder: the copy, or the task the server made of it.
    pub async fn start_copy_folder(
        &self,
        id: &str,
        to: &api::MoveFolder,
    ) -> Result<Started<api::Folder>> {
        let req = self.json(Method::POST, &format!("/folders/{id}/copy"), to);
        Ok(match Self::send_or_queue(req).await? {
            Started::Done(Some(folder)) => Started::Done(folder),
            Started::Done(None) => {
                return Err(ClientError::Unexpected {
                    status: reqwest::StatusCode::NO_CONTENT,
                    text: String::new(),
                });
            }
            Started::Queued(task) => Started::Queued(task),
        })
    }

    pub async fn move_file(&self, id: &str, to: &api::MoveFile) -> Result<api::File> {
        Self::send(self.json(Method::POST, &format!("/files/{id}/move"), to)).await
    }

    pub async fn copy_file(&self, id: &str, to: &api::MoveFile) -> Result<api::File> {
        Self::send(self.json(Method::POST, &format!("/files/{id}/copy"), to)).await
    }

    /// [`Client::move_file`] with `dry_run: true`: `{"ok": true}`, or the error the move would
    /// give; nothing changes.
    pub async fn dry_run_move_file(&self, id: &str, to: &api::MoveFile) -> Result<api::DryRun> {
        let to = api::MoveFile {
            dry_run: true,
            ..to.clone()
        };
        Self::send(self.json(Method::POST, &format!("/files/{id}/move"), &to)).await
    }

    /// [`Client::copy_file`] with `dry_run: true`.
    pub async fn dry_run_copy_file(&self, id: &str, to: &api::MoveFile) -> Result<api::DryRun> {
        let to = api::MoveFile {
            dry_run: true,
            ..to.clone()
        };
        Self::send(self.json(Method::POST, &format!("/files/{id}/copy"), &to)).await
    }

    /// [`Client::move_folder`] with `dry_run: true`.
    pub async fn dry_run_move_folder(&self, id: &str, to: &api::MoveFolder) -> Result<api::DryRun> {
        let to = api::MoveFolder {
            dry_run: true,
            ..to.clone()
        };
        Self::send(self.json(Method::POST, &format!("/folders/{id}/move"), &to)).await
    }

    /// [`Client::copy_folder`] with `dry_run: true`.
    pub async fn dry_run_copy_folder(&self, id: &str, to: &api::MoveFolder) -> Result<api::DryRun> {
        let to = api::MoveFolder {
            dry_run: true,
            ..to.clone()
        };
        Self::send(self.json(Method::POST, &format!("/folders/{id}/copy"), &to)).await
    }

    /// Deletes a folder with everything below it (into the trash, or held).
    pub async fn delete_folder(&self, id: &str, permanent: bool) -> Result<()> {
        Self::send_empty(
            self.request(Method::DELETE, &format!("/folders/{id}"))
                .query(&[("permanent", permanent)]),
        )
        .await
    }

    /// One page of the trash.
    pub async fn trash(&self, limit: Option<i64>, cursor: Option<&str>) -> Result<api::TrashList> {
        let q = page_query(limit, cursor);
        Self::send(self.request(Method::GET, "/trash").query(&q)).await
    }

    /// Restores a trash item; the answer is the File or Folder, as JSON.
    pub async fn restore_item(&self, id: &str, to: &api::RestoreItem) -> Result<serde_json::Value> {
        Self::send(self.json(Method::POST, &format!("/trash/{id}/restore"), to)).await
    }

    /// Purges one trash item.
    pub async fn purge_item(&self, id: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/trash/{id}"))).await
    }

    /// Empties the trash of everything purgeable.
    /// Empties the trash; when the server makes a task of it, waits for the task.
    pub async fn empty_trash(&self) -> Result<()> {
        if let Started::Queued(task) = self.start_empty_trash().await? {
            self.wait_task(&task.id).await?;
        }
        Ok(())
    }

    /// Empties the trash: done, or the task the server made of it.
    pub async fn start_empty_trash(&self) -> Result<Started<()>> {
        let req = self.request(Method::DELETE, "/trash");
        Ok(match Self::send_or_queue::<serde_json::Value>(req).await? {
            Started::Done(_) => Started::Done(()),
            Started::Queued(task) => Started::Queued(task),
        })
    }
}
