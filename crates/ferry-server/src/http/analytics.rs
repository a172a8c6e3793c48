//! `GET /analytics/usage`: usage per interval for admins.

use axum::extract::State;
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::analytics::{self, UsageQuery};
use ferry_core::timefmt::rfc3339;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiQuery, parse_time};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(usage))
}

/// The query of `GET /analytics/usage`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Query {
    /// Only this company's users and folders (system admins; a company admin always sees its
    /// own company).
    company_id: Option<String>,
    /// RFC 3339; default: 30 intervals before `to`.
    from: Option<String>,
    /// RFC 3339, exclusive; default: now.
    to: Option<String>,
    /// `hour`, `day` (default) or `week`; at most 1,000 intervals.
    #[param(pattern = "^(hour|day|week)$")]
    interval: Option<String>,
}

/// Uploads, downloads, their bytes and active users per interval (counted from the audit
/// log), and what is stored now. System admins see the installation or one company; company
/// admins their company.
#[utoipa::path(get, path = "/analytics/usage", tag = "users", params(Query),
    security(("bearer" = [])),
    responses((status = 200, body = api::Usage),
        (status = 400, description = "`invalid_value` (from, to, interval)", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = api::ErrorBody),
        (status = 404, description = "Another company than the company admin's own", body = api::ErrorBody)))]
async fn usage(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(q): ApiQuery<Query>,
) -> ApiResult<axum::Json<api::Usage>> {
    let query = UsageQuery {
        company_id: q.company_id,
        from: q
            .from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()?,
        to: q.to.as_deref().map(|t| parse_time("to", t)).transpose()?,
        interval: q.interval,
    };
    let usage = analytics::usage(&state, &me.caller(), query).await?;
    Ok(axum::Json(api::Usage {
        interval: usage.interval.as_str().into(),
        company_id: usage.company_id,
        from: rfc3339(usage.from),
        to: rfc3339(usage.to),
        periods: usage
            .periods
            .iter()
            .map(|p| api::UsagePeriod {
                start: rfc3339(p.start),
                end: rfc3339(p.end),
                uploads: p.uploads,
                upload_bytes: p.upload_bytes,
                downloads: p.downloads,
                download_bytes: p.download_bytes,
                active_users: p.active_users,
            })
            .collect(),
        now: api::UsageNow {
            stored_bytes: usage.now.stored_bytes,
            files: usage.now.files,
            users: usage.now.users,
            uploads_in_flight: usage.now.uploads_in_flight,
        },
    }))
}
