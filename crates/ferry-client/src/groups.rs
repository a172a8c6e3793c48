//! Groups: creating, listing, changing and deleting them, and their members.

use ferry_api as api;
use reqwest::Method;

use crate::client::page_query;
use crate::{Client, Result};

impl Client {
    /// Creates a group (admins).
    pub async fn create_group(&self, body: &api::CreateGroup) -> Result<api::Group> {
        Self::send(self.json(Method::POST, "/groups", body)).await
    }

    /// One page of the groups the caller belongs to (admins: all), by name.
    pub async fn list_groups(
        &self,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::GroupList> {
        let q = page_query(limit, cursor);
        Self::send(self.request(Method::GET, "/groups").query(&q)).await
    }

    /// One group.
    pub async fn get_group(&self, id: &str) -> Result<api::Group> {
        Self::send(self.request(Method::GET, &format!("/groups/{id}"))).await
    }

    /// Renames a group or changes its description (admins); absent fields stay.
    pub async fn update_group(&self, id: &str, body: &api::UpdateGroup) -> Result<api::Group> {
        Self::send(self.json(Method::PATCH, &format!("/groups/{id}"), body)).await
    }

    /// Deletes a group (admins).
    pub async fn delete_group(&self, id: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/groups/{id}"))).await
    }

    /// Adds a user to a group (admins); adding a member again changes nothing.
    pub async fn add_group_member(&self, id: &str, user_id: &str) -> Result<api::Group> {
        Self::send(self.request(Method::PUT, &format!("/groups/{id}/members/{user_id}"))).await
    }

    /// Removes a user from a group (admins).
    pub async fn remove_group_member(&self, id: &str, user_id: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/groups/{id}/members/{user_id}")))
            .await
    }

    /// One page of a group's members, by login.
    pub async fn group_members(
        &self,
        id: &str,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::GroupMemberList> {
        let q = page_query(limit, cursor);
        Self::send(
            self.request(Method::GET, &format!("/groups/{id}/members"))
                .query(&q),
        )
        .await
    }
}
