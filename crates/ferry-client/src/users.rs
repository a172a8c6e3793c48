//! Users: the caller (`/me`) and the admin's user management.

use ferry_api as api;
use reqwest::Method;

use crate::client::page_query;
use crate::{Client, Result};

impl Client {
    /// The logged-in user.
    pub async fn me(&self) -> Result<api::User> {
        Self::send(self.request(Method::GET, "/me")).await
    }

    /// Creates a user (admins).
    pub async fn create_user(&self, body: &api::CreateUser) -> Result<api::User> {
        Self::send(self.json(Method::POST, "/users", body)).await
    }

    /// One page of the users, by login (admins).
    pub async fn list_users(
        &self,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::UserList> {
        let q = page_query(limit, cursor);
        Self::send(self.request(Method::GET, "/users").query(&q)).await
    }

    /// One user (admins).
    pub async fn get_user(&self, id: &str) -> Result<api::User> {
        Self::send(self.request(Method::GET, &format!("/users/{id}"))).await
    }

    /// Changes a user (admins); absent fields stay as they are.
    pub async fn update_user(&self, id: &str, body: &api::UpdateUser) -> Result<api::User> {
        Self::send(self.json(Method::PATCH, &format!("/users/{id}"), body)).await
    }

    /// Lifts the lock that failed logins put on a user (admins).
    pub async fn unlock_user(&self, id: &str) -> Result<api::User> {
        Self::send(self.request(Method::POST, &format!("/users/{id}/unlock"))).await
    }

    /// Deletes an account (admins): purged after the grace period, its folders handed to
    /// `transfer_to` (an id or login) or removed.
    pub async fn delete_user(&self, id: &str, transfer_to: Option<&str>) -> Result<api::User> {
        let body = api::DeleteUser {
            transfer_to: transfer_to.map(String::from),
        };
        Self::send(self.json(Method::DELETE, &format!("/users/{id}"), &body)).await
    }

    /// Restores a deleted account before its purge (admins).
    pub async fn restore_user(&self, id: &str) -> Result<api::User> {
        Self::send(self.request(Method::POST, &format!("/users/{id}/restore"))).await
    }
}
