//! Self-service: a user changes their own name, language, timezone and password, and keeps
//! small settings of their own. Nobody else's account is reachable from here.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::validate;
use ferry_store::settings::Setting;
use ferry_store::users::{User, UserChanges};
use serde_json::{Value, json};

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::coherence::commit_change;
use crate::error::{Error, Result};
use crate::passwords;
use crate::state::AppState;

/// Settings a user may keep.
const MAX_SETTINGS: i64 = 100;
/// Largest value, in bytes of JSON.
const MAX_VALUE_BYTES: usize = 16 * 1024;
/// The settings keys the profile's language and timezone live under.
const LANGUAGE: &str = "language";
const TIMEZONE: &str = "timezone";

/// A user's profile beyond the account: where they are and what language they read.
#[derive(Debug, Default, Clone)]
pub struct Profile {
    pub language: Option<String>,
    pub timezone: Option<String>,
}

/// What `PATCH /me` asks for; `Some(None)` clears the language or timezone.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    pub name: Option<String>,
    pub language: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
}

fn me(caller: &Caller) -> Result<&User> {
    caller.user_ref().ok_or(Error::Unauthorized)
}

/// The caller as stored now (the request's own copy may come from the token cache, whose
/// quota figures lag behind uploads), with the role the request acts with.
pub async fn current(app: &AppState, caller: &Caller) -> Result<User> {
    let user = me(caller)?;
    let mut conn = app.store.conn().await?;
    let stored = ferry_store::users::get(&mut conn, &user.id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(stored.acting_as(user.role()))
}

/// The caller's language and timezone.
pub async fn profile(app: &AppState, caller: &Caller) -> Result<Profile> {
    let user = me(caller)?;
    let mut conn = app.store.conn().await?;
    let text = |s: Option<Setting>| s.and_then(|s| serde_json::from_str::<String>(&s.value).ok());
    Ok(Profile {
        language: text(ferry_store::settings::get(&mut conn, &user.id, LANGUAGE).await?),
        timezone: text(ferry_store::settings::get(&mut conn, &user.id, TIMEZONE).await?),
    })
}

/// A BCP 47 language tag such as `en`, `de-CH` or `pt-BR` (its shape; not checked against the
/// registry).
fn language(value: &str) -> Result<String> {
    let shaped = (2..=35).contains(&value.len())
        && value.split('-').all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
        && value
            .split('-')
            .next()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_alphabetic()));
    if !shaped {
        return Err(Error::invalid(
            "language",
            "invalid_value",
            "language must be a language tag such as en, de-CH or pt-BR.",
        ));
    }
    Ok(value.to_string())
}

/// An IANA time zone name such as `Europe/Zurich` or `UTC` (its shape; Ferry keeps no zone
/// database to check it against).
fn timezone(value: &str) -> Result<String> {
    let shaped = (1..=64).contains(&value.len())
        && value.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
        && value.starts_with(|c: char| c.is_ascii_alphabetic());
    if !shaped {
        return Err(Error::invalid(
            "timezone",
            "invalid_value",
            "timezone must be a time zone name such as Europe/Zurich or UTC.",
        ));
    }
    Ok(value.to_string())
}

/// Changes the caller's name, language or timezone.
pub async fn update_profile(
    app: &AppState,
    caller: &Caller,
    changes: ProfileChanges,
) -> Result<User> {
    let user = me(caller)?;
    if let Some(name) = &changes.name {
        validate::display_name(name)?;
    }
    let language = changes
        .language
        .map(|l| l.as_deref().map(language).transpose())
        .transpose()?;
    let timezone = changes
        .timezone
        .map(|t| t.as_deref().map(timezone).transpose())
        .transpose()?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let mut changed = Vec::new();
    let updated = if let Some(name) = changes.name {
        changed.push("name");
        let change = UserChanges {
            name: Some(name),
            ..UserChanges::default()
        };
        ferry_store::users::update(&mut tx, &user.id, &change, now)
            .await?
            .ok_or(Error::NotFound)?
    } else {
        ferry_store::users::get(&mut tx, &user.id)
            .await?
            .ok_or(Error::NotFound)?
    };
    for (key, value) in [(LANGUAGE, language), (TIMEZONE, timezone)] {
        match value {
            None => {}
            Some(None) => {
                ferry_store::settings::delete(&mut tx, &user.id, key).await?;
                changed.push(key);
            }
            Some(Some(v)) => {
                ferry_store::settings::put(&mut tx, &user.id, key, &json!(v).to_string(), now)
                    .await?;
                changed.push(key);
            }
        }
    }
    audit::success(
        &caller.origin,
        Some(user),
        Action::UserUpdated,
        (TargetKind::User, &user.id),
    )
    .at(now)
    .details(json!({"changed": changed, "by": "self"}))
    .append(&mut tx)
    .await?;
    commit_change(app, tx).await?;
    Ok(updated)
}

/// Changes the caller's password, given the current one; every other session of theirs ends
/// (`keep` is the token of this request, which stays valid).
pub async fn change_password(
    app: &AppState,
    caller: &Caller,
    current: String,
    new: String,
    keep: Option<&str>,
) -> Result<u64> {
    access::may_manage_credentials(caller)?;
    let user = me(caller)?;
    validate::password(&new)?;
    if !passwords::verify(current, Some(user.password_hash.clone())).await {
        return Err(Error::invalid(
            "current_password",
            "invalid_value",
            "The current password is not right.",
        ));
    }
    let hash = passwords::hash(new).await?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let change = UserChanges {
        password_hash: Some(hash),
        ..UserChanges::default()
    };
    ferry_store::users::update(&mut tx, &user.id, &change, now)
        .await?
        .ok_or(Error::NotFound)?;
    let revoked = ferry_store::tokens::revoke_others(&mut tx, &user.id, keep, now).await?;
    audit::success(
        &caller.origin,
        Some(user),
        Action::UserUpdated,
        (TargetKind::User, &user.id),
    )
    .at(now)
    .details(json!({"changed": ["password"], "by": "self", "sessions_revoked": revoked}))
    .append(&mut tx)
    .await?;
    commit_change(app, tx).await?;
    Ok(revoked)
}

/// A settings key: 1..=64 of lowercase letters, digits, `.`, `_` and `-`, starting with a
/// letter or digit.
fn key(value: &str) -> Result<&str> {
    let valid = (1..=64).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !valid {
        return Err(Error::invalid(
            "key",
            "invalid_value",
            "A settings key is 1 to 64 lowercase letters, digits, `.`, `_` or `-`.",
        ));
    }
    Ok(value)
}

/// One of the caller's settings.
pub async fn setting(app: &AppState, caller: &Caller, name: &str) -> Result<Setting> {
    let user = me(caller)?;
    let name = key(name)?;
    let mut conn = app.store.conn().await?;
    ferry_store::settings::get(&mut conn, &user.id, name)
        .await?
        .ok_or(Error::NotFound)
}

/// Every setting of the caller.
pub async fn settings(app: &AppState, caller: &Caller) -> Result<Vec<Setting>> {
    let user = me(caller)?;
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::settings::all(&mut conn, &user.id).await?)
}

/// Sets one of the caller's settings to a JSON value (at most 16 KiB; at most 100 settings).
pub async fn put_setting(
    app: &AppState,
    caller: &Caller,
    name: &str,
    value: &Value,
) -> Result<Setting> {
    let user = me(caller)?;
    let name = key(name)?;
    let text = value.to_string();
    if text.len() > MAX_VALUE_BYTES {
        return Err(Error::invalid(
            "value",
            "invalid_value",
            "A setting's value is at most 16 KiB of JSON.",
        ));
    }
    if name == LANGUAGE || name == TIMEZONE {
        let ok = value
            .as_str()
            .map(|v| {
                if name == LANGUAGE {
                    language(v)
                } else {
                    timezone(v)
                }
            })
            .transpose()?;
        if ok.is_none() {
            return Err(Error::invalid(
                "value",
                "invalid_value",
                format!("`{name}` is a string; PATCH /me changes it too."),
            ));
        }
    }
    let mut tx = app.store.begin().await?;
    let exists = ferry_store::settings::get(&mut tx, &user.id, name)
        .await?
        .is_some();
    if !exists && ferry_store::settings::count(&mut tx, &user.id).await? >= MAX_SETTINGS {
        return Err(Error::Conflict(format!(
            "At most {MAX_SETTINGS} settings per user; delete one first."
        )));
    }
    ferry_store::settings::put(&mut tx, &user.id, name, &text, app.now_ms()).await?;
    let stored = ferry_store::settings::get(&mut tx, &user.id, name)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(stored)
}

/// Removes one of the caller's settings.
pub async fn delete_setting(app: &AppState, caller: &Caller, name: &str) -> Result<()> {
    let user = me(caller)?;
    let name = key(name)?;
    let mut conn = app.store.conn().await?;
    if !ferry_store::settings::delete(&mut conn, &user.id, name).await? {
        return Err(Error::NotFound);
    }
    Ok(())
}
