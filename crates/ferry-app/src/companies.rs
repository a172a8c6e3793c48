//! Companies (tenants): creating, listing, changing and deleting them (system admins; a user
//! may read their own company). Their status decides whether their users may log in and their
//! links serve ([`access::admit`](crate::access::admit), [`links`](crate::links)); their quota
//! is charged with each user's ([`ferry_store::users::reserve_quota`]). Every change is audited.
//!
//! Deleting a company that still has users or groups is refused (`409`), as Box refuses to
//! delete an enterprise with users: detaching them silently would leave them without the
//! policies and quota their admin set. Move or delete the users first.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::{CompanyStatus, IdKind, validate};
use ferry_store::companies::{Company, CompanyFields};
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::coherence::commit_change;
use crate::error::{Error, Result};
use crate::state::AppState;

/// Largest quota accepted, as for users.
const MAX_QUOTA: i64 = 1 << 62;
/// Longest logo URL accepted.
const MAX_URL: usize = 2048;

/// A company as asked for, or changes to one (`None`: as it is; for a new company, the
/// defaults: active, no limits, the name as display name).
#[derive(Debug, Default)]
pub struct CompanyInput {
    pub name: Option<String>,
    pub status: Option<String>,
    /// `Some(None)`: no limit.
    pub quota_bytes: Option<Option<i64>>,
    pub default_user_quota_bytes: Option<Option<i64>>,
    pub display_name: Option<String>,
    pub logo_url: Option<Option<String>>,
    pub accent_color: Option<Option<String>>,
}

fn name_taken(name: &str) -> Error {
    Error::NameConflict(format!("A company named `{name}` already exists."))
}

fn on_conflict(e: ferry_store::StoreError, name: &str) -> Error {
    match e {
        ferry_store::StoreError::Conflict => name_taken(name),
        other => other.into(),
    }
}

fn quota(field: &'static str, q: Option<i64>) -> Result<Option<i64>> {
    q.map(|q| validate::in_range(field, q, 0..=MAX_QUOTA))
        .transpose()
        .map_err(Error::from)
}

/// Applies `input` to `fields`, checking every value given.
fn apply(mut f: CompanyFields, input: CompanyInput) -> Result<CompanyFields> {
    if let Some(name) = input.name {
        f.name = validate::stored_name("name", &name)?;
    }
    if let Some(status) = input.status {
        f.status = CompanyStatus::parse(&status).ok_or_else(|| {
            Error::invalid(
                "status",
                "invalid_value",
                "status must be `active`, `inactive` or `expired`.",
            )
        })?;
    }
    if let Some(q) = input.quota_bytes {
        f.quota_bytes = quota("quota.limit_bytes", q)?;
    }
    if let Some(q) = input.default_user_quota_bytes {
        f.default_user_quota_bytes = quota("default_user_quota_bytes", q)?;
    }
    if let Some(display) = input.display_name {
        validate::display_name(&display).map_err(|_| {
            Error::invalid(
                "branding.display_name",
                "invalid_value",
                "branding.display_name must be 1 to 200 printable characters.",
            )
        })?;
        f.display_name = display;
    }
    if let Some(url) = input.logo_url {
        if let Some(u) = &url
            && (u.len() > MAX_URL || !(u.starts_with("https://") || u.starts_with("http://")))
        {
            return Err(Error::invalid(
                "branding.logo_url",
                "invalid_value",
                "branding.logo_url must be an http(s) URL of at most 2048 characters.",
            ));
        }
        f.logo_url = url;
    }
    if let Some(color) = input.accent_color {
        let ok = |c: &str| {
            c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
        };
        if let Some(c) = &color
            && !ok(c)
        {
            return Err(Error::invalid(
                "branding.accent_color",
                "invalid_value",
                "branding.accent_color must be a colour like `#1a2b3c`.",
            ));
        }
        f.accent_color = color;
    }
    Ok(f)
}

/// Creates a company (system admins).
pub async fn create(app: &AppState, caller: &Caller, input: CompanyInput) -> Result<Company> {
    access::may_manage_companies(caller)?;
    let name = input
        .name
        .clone()
        .ok_or_else(|| Error::invalid("name", "invalid_value", "name is required."))?;
    let defaults = CompanyFields {
        display_name: name.clone(),
        name,
        status: CompanyStatus::Active,
        quota_bytes: None,
        default_user_quota_bytes: None,
        logo_url: None,
        accent_color: None,
    };
    let fields = apply(defaults, input)?;
    let id = IdKind::Company.generate();
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    ferry_store::companies::insert(&mut tx, &id, &fields, now)
        .await
        .map_err(|e| on_conflict(e, &fields.name))?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::CompanyCreated,
        (TargetKind::Company, &id),
    )
    .at(now)
    .details(
        json!({"name": fields.name, "status": fields.status.as_str(),
        "quota_bytes": fields.quota_bytes}),
    )
    .append(&mut tx)
    .await?;
    let company = ferry_store::companies::get(&mut tx, &id)
        .await?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("company vanished")))?;
    tx.commit().await?;
    Ok(company)
}

/// Companies by creation after `after` (system admins); `limit + 1` rows.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Company>> {
    access::may_manage_companies(caller)?;
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::companies::list(
        &mut conn,
        after.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?)
}

/// One company: system admins any, a user their own.
pub async fn get(app: &AppState, caller: &Caller, id: &str) -> Result<Company> {
    access::company(app, caller, id).await
}

/// Changes a company (system admins). A quota below what its users store already is
/// accepted (Box does too): nothing more can be stored until use falls under it.
pub async fn update(
    app: &AppState,
    caller: &Caller,
    id: &str,
    input: CompanyInput,
) -> Result<Company> {
    let before = access::company(app, caller, id).await?;
    access::may_manage_companies(caller).map_err(|_| Error::PermissionDenied)?;
    let fields = apply(before.fields(), input)?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    ferry_store::companies::update(&mut tx, id, &fields, now)
        .await
        .map_err(|e| on_conflict(e, &fields.name))?;
    let mut changed = Vec::new();
    let old = before.fields();
    for (field, differs) in [
        ("name", old.name != fields.name),
        ("status", old.status != fields.status),
        ("quota", old.quota_bytes != fields.quota_bytes),
        (
            "default_user_quota_bytes",
            old.default_user_quota_bytes != fields.default_user_quota_bytes,
        ),
        (
            "branding",
            old.display_name != fields.display_name
                || old.logo_url != fields.logo_url
                || old.accent_color != fields.accent_color,
        ),
    ] {
        if differs {
            changed.push(field);
        }
    }
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::CompanyUpdated,
        (TargetKind::Company, id),
    )
    .at(now)
    .details(json!({"changed": changed, "status": fields.status.as_str(),
        "quota_bytes": fields.quota_bytes}))
    .append(&mut tx)
    .await?;
    let company = ferry_store::companies::get(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    commit_change(app, tx).await?;
    Ok(company)
}

/// Deletes a company without users or groups (system admins); one with either is `Conflict`.
pub async fn delete(app: &AppState, caller: &Caller, id: &str) -> Result<()> {
    let company = access::company(app, caller, id).await?;
    access::may_manage_companies(caller).map_err(|_| Error::PermissionDenied)?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    if !ferry_store::companies::delete_if_empty(&mut tx, id).await? {
        return Err(if ferry_store::companies::has_members(&mut tx, id).await? {
            Error::Conflict(
                "The company still has users or groups; move or delete them first.".into(),
            )
        } else {
            Error::NotFound
        });
    }
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::CompanyDeleted,
        (TargetKind::Company, id),
    )
    .at(now)
    .details(json!({"name": company.name}))
    .append(&mut tx)
    .await?;
    commit_change(app, tx).await?;
    Ok(())
}

/// The company of a link's creator, for the branding its landing page shows (`None`: the
/// creator belongs to no company). Anyone holding a valid link may see it: display name,
/// logo and colour are what the company chose to show its recipients.
pub async fn of_link_creator(app: &AppState, creator_id: &str) -> Result<Option<Company>> {
    let mut conn = app.store.conn().await?;
    let Some(creator) = ferry_store::users::get(&mut conn, creator_id).await? else {
        return Ok(None);
    };
    let Some(company_id) = creator.company_id else {
        return Ok(None);
    };
    Ok(ferry_store::companies::get(&mut conn, &company_id).await?)
}
