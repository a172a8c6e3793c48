//! Companies (`/companies`, system admins) and policies (`/policies/{kind}/{id}`, admins of
//! what they are on; `/me/policy`, anyone). Who may do what is ferry-app's access policy.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::companies::{self, CompanyInput};
use ferry_app::policies::{self, Effective};
use ferry_core::timefmt::rfc3339;
use ferry_store::companies::Company;
use ferry_store::policies::Policy;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(my_policy))
}

pub fn view(c: &Company) -> api::Company {
    api::Company {
        id: c.id.to_string(),
        name: c.name.clone(),
        status: c.status().as_str().into(),
        quota: api::Quota {
            limit_bytes: c.quota_bytes,
            used_bytes: c.used_bytes,
        },
        default_user_quota_bytes: c.default_user_quota_bytes,
        branding: branding_view(c),
        created_at: rfc3339(c.created_at),
    }
}

/// How a company presents itself on its own page: an uploaded logo is served at the
/// company's logo URL, else the external URL set with `PATCH` (if any).
pub fn branding_view(c: &Company) -> api::Branding {
    api::Branding {
        display_name: c.display_name.clone(),
        logo_url: ferry_app::pictures::logo_path(c).or_else(|| c.logo_url.clone()),
        accent_color: c.accent_color.clone(),
    }
}

fn input(body: api::CompanyInput) -> CompanyInput {
    let branding = body.branding.unwrap_or_default();
    CompanyInput {
        name: body.name,
        status: body.status,
        quota_bytes: body.quota.map(|q| q.limit_bytes),
        default_user_quota_bytes: body.default_user_quota_bytes,
        display_name: branding.display_name,
        logo_url: branding.logo_url,
        accent_color: branding.accent_color,
    }
}

/// Create a company (system admins).
#[utoipa::path(post, path = "/companies", tag = "companies", request_body = api::CompanyInput,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::Company),
        (status = 400, description = "`invalid_value`, `invalid_name`", body = api::ErrorBody),
        (status = 403, description = "Not a system admin", body = api::ErrorBody),
        (status = 409, description = "`name_conflict`", body = api::ErrorBody),
    ))]
async fn create(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::CompanyInput>,
) -> ApiResult<impl IntoResponse> {
    let company = companies::create(&state, &me.caller(), input(body)).await?;
    Ok((StatusCode::CREATED, axum::Json(view(&company))))
}

/// List companies in creation order (system admins).
#[utoipa::path(get, path = "/companies", tag = "companies", params(Page),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::CompanyList),
        (status = 400, description = "`invalid_value` (limit), `invalid_cursor`", body = api::ErrorBody),
        (status = 403, body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::CompanyList>> {
    let limit = page.limit()?;
    let after: Option<(i64, String)> = page.cursor()?;
    let rows = companies::list(&state, &me.caller(), after, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |c| (c.created_at, c.id.clone()));
    Ok(axum::Json(api::CompanyList {
        companies: rows.iter().map(view).collect(),
        next_cursor,
    }))
}

/// One company (system admins; a user may read their own company).
#[utoipa::path(get, path = "/companies/{company_id}", tag = "companies",
    params(("company_id" = String, Path, description = "Company id (`cmp_…`)")),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Company), (status = 404, body = api::ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::Company>> {
    Ok(axum::Json(view(
        &companies::get(&state, &me.caller(), &id).await?,
    )))
}

/// Change a company (system admins). Setting `status` to `inactive` or `expired` logs its
/// users out and makes their links answer `410 link_revoked`.
#[utoipa::path(patch, path = "/companies/{company_id}", tag = "companies",
    params(("company_id" = String, Path, description = "Company id (`cmp_…`)")),
    request_body = api::CompanyInput,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Company),
        (status = 400, description = "`invalid_value`, `invalid_name`", body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 409, description = "`name_conflict`", body = api::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::CompanyInput>,
) -> ApiResult<axum::Json<api::Company>> {
    let company = companies::update(&state, &me.caller(), &id, input(body)).await?;
    Ok(axum::Json(view(&company)))
}

/// Delete a company (system admins). A company with users or groups is kept (`409
/// conflict`): move or delete them first.
#[utoipa::path(delete, path = "/companies/{company_id}", tag = "companies",
    params(("company_id" = String, Path, description = "Company id (`cmp_…`)")),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204), (status = 403, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: the company has users or groups", body = api::ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    companies::delete(&state, &me.caller(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn policy_view(p: Policy) -> api::Policy {
    api::Policy {
        can_download: p.can_download,
        can_upload: p.can_upload,
        can_share_links: p.can_share_links,
        force_watermark: p.force_watermark,
        max_link_expires_in_secs: p.max_link_expires_in_secs,
        allowed_ip_ranges: p.allowed_ip_ranges,
    }
}

fn effective_view(e: Effective) -> api::Policy {
    api::Policy {
        can_download: Some(e.can_download),
        can_upload: Some(e.can_upload),
        can_share_links: Some(e.can_share_links),
        force_watermark: Some(e.force_watermark),
        max_link_expires_in_secs: e.max_link_expires_in_secs,
        allowed_ip_ranges: e
            .allowed_ip_ranges
            .map(|r| r.iter().map(ToString::to_string).collect()),
    }
}

/// The policy set on a company, a group or a user (every rule `null` when none was set):
/// system admins for any, company admins for their company, its groups and its users.
#[utoipa::path(get, path = "/policies/{kind}/{target_id}", tag = "policies",
    params(("kind" = String, Path, description = "`company`, `group` or `user`"),
        ("target_id" = String, Path, description = "The company's, group's or user's id")),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Policy), (status = 403, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody)))]
async fn get_policy(
    State(state): State<AppState>,
    me: AuthUser,
    Path((kind, id)): Path<(String, String)>,
) -> ApiResult<axum::Json<api::Policy>> {
    let target = policies::target(&kind)?;
    let policy = policies::get(&state, &me.caller(), target, &id).await?;
    Ok(axum::Json(policy_view(policy)))
}

/// Set (replace) the policy on a company, a group or a user; audited as `policy.changed`.
#[utoipa::path(put, path = "/policies/{kind}/{target_id}", tag = "policies",
    params(("kind" = String, Path, description = "`company`, `group` or `user`"),
        ("target_id" = String, Path, description = "The company's, group's or user's id")),
    request_body = api::Policy,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Policy),
        (status = 400, description = "`invalid_value`", body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn put_policy(
    State(state): State<AppState>,
    me: AuthUser,
    Path((kind, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<api::Policy>,
) -> ApiResult<axum::Json<api::Policy>> {
    let target = policies::target(&kind)?;
    let policy = Policy {
        can_download: body.can_download,
        can_upload: body.can_upload,
        can_share_links: body.can_share_links,
        force_watermark: body.force_watermark,
        max_link_expires_in_secs: body.max_link_expires_in_secs,
        allowed_ip_ranges: body.allowed_ip_ranges,
    };
    let policy = policies::put(&state, &me.caller(), target, &id, policy).await?;
    Ok(axum::Json(policy_view(policy)))
}

/// The caller's effective policy: the most restrictive of those on their company, their
/// groups and their account (every flag given; `null`: no limit).
#[utoipa::path(get, path = "/me/policy", tag = "policies",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Policy)))]
async fn my_policy(
    State(state): State<AppState>,
    me: AuthUser,
) -> ApiResult<axum::Json<api::Policy>> {
    let policy = policies::mine(&state, &me.caller()).await?;
    Ok(axum::Json(effective_view(policy)))
}
