//! `GET /admin/mail`: the mail outbox for admins (what was sent, what waits, what failed).

use axum::extract::State;
use ferry_api as api;
use ferry_app::AppState;
use ferry_core::timefmt::rfc3339;
use ferry_store::mail::{Mail, MailStatus};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiQuery, Page, paginate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

fn view(m: &Mail) -> ApiResult<api::Mail> {
    let status = m.status()?;
    let waiting = matches!(
        status,
        MailStatus::Pending | MailStatus::Sending | MailStatus::Retrying
    );
    Ok(api::Mail {
        id: m.id.to_string(),
        kind: m.kind.clone(),
        to: m.recipient.clone(),
        subject: m.subject.clone(),
        status: status.as_str().into(),
        attempts: m.attempts,
        next_attempt_at: waiting.then(|| rfc3339(m.next_attempt_at)),
        last_error: m.last_error.clone(),
        created_at: rfc3339(m.created_at),
        sent_at: m.sent_at.map(rfc3339),
    })
}

/// The mail outbox, newest first (admins). Bodies are never shown; sent and failed mails are
/// kept 30 days.
#[utoipa::path(get, path = "/admin/mail", tag = "mail", params(Page),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::MailList),
        (status = 400, description = "`invalid_value` (limit), `invalid_cursor`", body = api::ErrorBody),
        (status = 403, description = "`forbidden`: admins only", body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::MailList>> {
    let limit = page.limit()?;
    let before = page.cursor::<(i64, String)>()?;
    let rows = ferry_app::mail::list(&state, &me.caller(), before, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |m| (m.created_at, m.id.clone()));
    Ok(axum::Json(api::MailList {
        mails: rows.iter().map(view).collect::<ApiResult<_>>()?,
        next_cursor,
    }))
}
