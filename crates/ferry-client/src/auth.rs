//! Sessions: logging in and out.

use ferry_api as api;
use reqwest::Method;

use crate::{Client, Result};

impl Client {
    /// Logs in; returns the session (use [`Client::with_token`] with its token).
    pub async fn login(&self, login: &str, password: &str) -> Result<api::Session> {
        let body = api::LoginRequest {
            login: login.into(),
            password: password.into(),
        };
        Self::send(self.json(Method::POST, "/auth/session", &body)).await
    }

    /// Revokes the current token.
    pub async fn logout(&self) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, "/auth/session")).await
    }
}
