//! Companies (system admins) and policies on companies, groups and users.

use ferry_api as api;
use reqwest::Method;

use crate::client::page_query;
use crate::{Client, Result};

impl Client {
    /// Creates a company (system admins).
    pub async fn create_company(&self, body: &api::CompanyInput) -> Result<api::Company> {
        Self::send(self.json(Method::POST, "/companies", body)).await
    }

    /// One page of companies, in creation order (system admins).
    pub async fn list_companies(
        &self,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::CompanyList> {
        let q = page_query(limit, cursor);
        Self::send(self.request(Method::GET, "/companies").query(&q)).await
    }

    /// One company (system admins; anyone their own).
    pub async fn get_company(&self, id: &str) -> Result<api::Company> {
        Self::send(self.request(Method::GET, &format!("/companies/{id}"))).await
    }

    /// Changes a company (system admins); absent fields stay.
    pub async fn update_company(&self, id: &str, body: &api::CompanyInput) -> Result<api::Company> {
        Self::send(self.json(Method::PATCH, &format!("/companies/{id}"), body)).await
    }

    /// Deletes a company without users or groups (system admins).
    pub async fn delete_company(&self, id: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/companies/{id}"))).await
    }

    /// The policy on a `company`, `group` or `user`.
    pub async fn policy(&self, kind: &str, id: &str) -> Result<api::Policy> {
        Self::send(self.request(Method::GET, &format!("/policies/{kind}/{id}"))).await
    }

    /// Sets (replaces) the policy on a `company`, `group` or `user`.
    pub async fn put_policy(
        &self,
        kind: &str,
        id: &str,
        body: &api::Policy,
    ) -> Result<api::Policy> {
        Self::send(self.json(Method::PUT, &format!("/policies/{kind}/{id}"), body)).await
    }

    /// The caller's effective policy.
    pub async fn my_policy(&self) -> Result<api::Policy> {
        Self::send(self.request(Method::GET, "/me/policy")).await
    }
}
