//! Sessions: logging in and out, and resetting a forgotten password by mail.

use ferry_api as api;
use reqwest::Method;

use crate::{Client, Result};

impl Client {
    /// Logs in; returns the session (use [`Client::with_token`] with its token).
    pub async fn login(&self, login: &str, password: &str) -> Result<api::Session> {
        self.login_with_otp(login, password, None).await
    }

    /// Logs in to an account that may have two-factor login: `otp` is the authenticator
    /// app's code or a recovery code.
    pub async fn login_with_otp(
        &self,
        login: &str,
        password: &str,
        otp: Option<&str>,
    ) -> Result<api::Session> {
        let body = api::LoginRequest {
            login: login.into(),
            password: password.into(),
            otp: otp.map(String::from),
        };
        Self::send(self.json(Method::POST, "/auth/session", &body)).await
    }

    /// Where the caller's two-factor login stands.
    pub async fn two_factor_status(&self) -> Result<api::TwoFactorStatus> {
        Self::send(self.request(Method::GET, "/me/2fa")).await
    }

    /// A new TOTP secret to add to an authenticator app (confirm it with a code).
    pub async fn begin_two_factor(&self) -> Result<api::TwoFactorEnrolment> {
        Self::send(self.request(Method::POST, "/me/2fa")).await
    }

    /// Turns two-factor login on with a code from the app; returns the recovery codes.
    pub async fn confirm_two_factor(&self, code: &str) -> Result<api::RecoveryCodes> {
        let body = api::OtpCode { code: code.into() };
        Self::send(self.json(Method::POST, "/me/2fa/confirm", &body)).await
    }

    /// Turns two-factor login off with a current code or a recovery code.
    pub async fn disable_two_factor(&self, code: &str) -> Result<()> {
        let body = api::OtpCode { code: code.into() };
        Self::send_empty(self.json(Method::DELETE, "/me/2fa", &body)).await
    }

    /// Turns a user's two-factor login off (admins).
    pub async fn reset_two_factor(&self, user_id: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/users/{user_id}/2fa"))).await
    }

    /// Revokes the current token.
    pub async fn logout(&self) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, "/auth/session")).await
    }

    /// Asks for a password reset mail for `login` (`202` whether or not it exists).
    pub async fn request_password_reset(&self, login: &str) -> Result<()> {
        let body = api::PasswordResetRequest {
            login: login.into(),
        };
        Self::send_empty(self.json(Method::POST, "/auth/password-reset", &body)).await
    }

    /// Sets a new password with the token from a reset mail; every session of the account
    /// ends.
    pub async fn confirm_password_reset(&self, token: &str, new_password: &str) -> Result<()> {
        let body = api::PasswordResetConfirm {
            token: token.into(),
            new_password: new_password.into(),
        };
        Self::send_empty(self.json(Method::POST, "/auth/password-reset/confirm", &body)).await
    }
}

impl Client {
    /// Changes the caller's name, language or timezone.
    pub async fn update_me(&self, change: &api::UpdateMe) -> Result<api::User> {
        Self::send(self.json(Method::PATCH, "/me", change)).await
    }

    /// Changes the caller's password; their other sessions end.
    pub async fn change_password(&self, current: &str, new: &str) -> Result<()> {
        let body = api::ChangePassword {
            current_password: current.into(),
            new_password: new.into(),
        };
        Self::send_empty(self.json(Method::POST, "/me/password", &body)).await
    }

    pub async fn settings(&self) -> Result<api::SettingList> {
        Self::send(self.request(Method::GET, "/me/settings")).await
    }

    pub async fn setting(&self, key: &str) -> Result<api::Setting> {
        Self::send(self.request(Method::GET, &format!("/me/settings/{key}"))).await
    }

    pub async fn put_setting(&self, key: &str, value: serde_json::Value) -> Result<api::Setting> {
        let body = api::PutSetting { value };
        Self::send(self.json(Method::PUT, &format!("/me/settings/{key}"), &body)).await
    }

    pub async fn delete_setting(&self, key: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/me/settings/{key}"))).await
    }

    /// Creates an API or device token for the logged-in user; the secret is in the answer.
    pub async fn create_token(&self, body: &api::CreateToken) -> Result<api::IssuedToken> {
        Self::send(self.json(Method::POST, "/me/tokens", body)).await
    }

    /// The logged-in user's tokens that still work.
    pub async fn tokens(&self) -> Result<api::TokenList> {
        Self::send(self.request(Method::GET, "/me/tokens")).await
    }

    pub async fn revoke_token(&self, id: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/me/tokens/{id}"))).await
    }

    /// Orders a device token's remote wipe.
    pub async fn wipe_token(&self, id: &str) -> Result<api::Token> {
        Self::send(self.request(Method::POST, &format!("/me/tokens/{id}/wipe"))).await
    }

    /// A user's tokens (admins).
    pub async fn user_tokens(&self, user_id: &str) -> Result<api::TokenList> {
        Self::send(self.request(Method::GET, &format!("/users/{user_id}/tokens"))).await
    }
}

impl Client {
    /// One page of the mail outbox, newest first (admins).
    pub async fn admin_mail(
        &self,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::MailList> {
        let q = crate::client::page_query(limit, cursor);
        Self::send(self.request(Method::GET, "/admin/mail").query(&q)).await
    }
}
