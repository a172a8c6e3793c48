//! Sharing: collaborators, roles, invitations.

use ferry_api as api;
use reqwest::Method;

use crate::client::page_query;
use crate::{Client, Result};

impl Client {
    /// Shares a folder with a user, a group or an address.
    pub async fn invite(
        &self,
        folder_id: &str,
        body: &api::CreateCollaboration,
    ) -> Result<api::Collaboration> {
        Self::send(self.json(
            Method::POST,
            &format!("/folders/{folder_id}/collaborators"),
            body,
        ))
        .await
    }

    /// One page of a folder's collaborators.
    pub async fn collaborators(
        &self,
        folder_id: &str,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::CollaborationList> {
        let q = page_query(limit, cursor);
        Self::send(
            self.request(Method::GET, &format!("/folders/{folder_id}/collaborators"))
                .query(&q),
        )
        .await
    }

    pub async fn update_collaboration(
        &self,
        id: &str,
        change: &api::UpdateCollaboration,
    ) -> Result<api::Collaboration> {
        Self::send(self.json(Method::PATCH, &format!("/collaborations/{id}"), change)).await
    }

    /// Removes a collaboration (a manager), or leaves it (its collaborator).
    pub async fn remove_collaboration(&self, id: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/collaborations/{id}"))).await
    }

    /// One page of the caller's pending invitations.
    pub async fn invitations(
        &self,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::InvitationList> {
        let q = page_query(limit, cursor);
        Self::send(self.request(Method::GET, "/invitations").query(&q)).await
    }

    pub async fn accept_invitation(
        &self,
        id: &str,
        mount_name: Option<&str>,
    ) -> Result<api::Collaboration> {
        let body = api::AcceptInvitation {
            mount_name: mount_name.map(str::to_string),
        };
        Self::send(self.json(Method::POST, &format!("/invitations/{id}/accept"), &body)).await
    }

    pub async fn decline_invitation(&self, id: &str) -> Result<api::Collaboration> {
        Self::send(self.request(Method::POST, &format!("/invitations/{id}/decline"))).await
    }

    /// Hands a top-level folder to another user.
    pub async fn transfer_folder(&self, folder_id: &str, to: &str) -> Result<api::Folder> {
        let body = api::TransferFolder { to: to.into() };
        Self::send(self.json(
            Method::POST,
            &format!("/folders/{folder_id}/transfer"),
            &body,
        ))
        .await
    }

    /// One page of the caller's notices (only unread ones with `unread`).
    pub async fn notices(
        &self,
        unread: bool,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::NoticeList> {
        let mut q = page_query(limit, cursor);
        if unread {
            q.push(("unread", "true".into()));
        }
        Self::send(self.request(Method::GET, "/notices").query(&q)).await
    }

    pub async fn read_notice(&self, id: &str) -> Result<api::Notice> {
        Self::send(self.request(Method::POST, &format!("/notices/{id}/read"))).await
    }

    pub async fn read_all_notices(&self) -> Result<()> {
        Self::send_empty(self.request(Method::POST, "/notices/read-all")).await
    }
}
