//! Comments on files: list, add (a plain comment, or a task for an assignee), edit, mark a
//! task done or open, delete. Who may do what is decided in [`crate::access`]. `@login`
//! mentions leave a notice for each mentioned user who may read the file (nobody else hears
//! of it), an assignee gets one too; notices and the audit event (`comment.created`,
//! `comment.updated`, `comment.deleted`, target the file) commit with the change.

use std::collections::BTreeSet;

use ferry_core::audit::{Action, TargetKind};
use ferry_core::{IdKind, UserId, validate};
use ferry_store::comments::{self, Comment, NewComment, TaskState};
use ferry_store::files::File;
use ferry_store::folders::Folder;
use ferry_store::users::User;
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::notices::{self, NoticeKind};
use crate::state::AppState;

/// Longest comment body, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;
/// Longest excerpt of a body in a notice, in characters.
pub const EXCERPT_CHARS: usize = 200;
/// At most this many distinct mentions of one body are looked up.
const MAX_MENTIONS: usize = 50;

/// A body as stored: 1 to 10,000 characters, not blank, no control characters but newlines.
pub fn body(value: &str) -> Result<&str> {
    let chars = value.chars().count();
    if chars == 0 || value.trim().is_empty() {
        return Err(Error::invalid(
            "body",
            "invalid_value",
            "body must not be empty.",
        ));
    }
    if chars > MAX_BODY_CHARS {
        return Err(Error::invalid(
            "body",
            "invalid_value",
            "body must be at most 10000 characters.",
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid(
            "body",
            "invalid_value",
            "body must not hold control characters other than newlines.",
        ));
    }
    Ok(value)
}

/// The logins `@mentioned` in `body`, lowercased, in order of first mention. A mention starts
/// after anything that cannot be part of a login (so `bob@example.com` mentions nobody).
pub fn mentions(body: &str) -> Vec<String> {
    let login_char = |c: char| c.is_alphanumeric() || matches!(c, '.' | '@' | '_' | '+' | '-');
    let mut found: Vec<String> = Vec::new();
    let mut prev: Option<char> = None;
    let mut rest = body.char_indices().peekable();
    while let Some((i, c)) = rest.next() {
        if c == '@' && prev.is_none_or(|p| !login_char(p)) {
            let start = i + 1;
            let end = body[start..]
                .find(|ch: char| !login_char(ch))
                .map_or(body.len(), |n| start + n);
            // A sentence may end right after the login: `thanks @bob.`
            for candidate in [
                &body[start..end],
                body[start..end].trim_end_matches(['.', '-', '_', '+', '@']),
            ] {
                let candidate = candidate.to_lowercase();
                if validate::login(&candidate).is_ok() && !found.contains(&candidate) {
                    found.push(candidate);
                }
            }
            while rest.peek().is_some_and(|(j, _)| *j < end) {
                rest.next();
            }
            prev = body[..end].chars().next_back();
            continue;
        }
        prev = Some(c);
    }
    found.truncate(MAX_MENTIONS);
    found
}

/// At most 200 characters of `body`, with `…` when cut.
pub fn excerpt(body: &str) -> String {
    if body.chars().count() <= EXCERPT_CHARS {
        return body.to_string();
    }
    let mut cut: String = body.chars().take(EXCERPT_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// A file's comments, oldest first (anyone who may read the file).
pub async fn list(
    app: &AppState,
    caller: &Caller,
    file_id: &str,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Comment>> {
    let (file, _) = access::commented_file(app, caller, file_id).await?;
    let mut conn = app.store.conn().await?;
    Ok(comments::on_file(
        &mut conn,
        &file.id,
        after.as_ref().map(|(t, i)| (*t, i.as_str())),
        limit + 1,
    )
    .await?)
}

/// `login`, or a `usr_` id.
async fn find_user(conn: &mut ferry_store::Conn, who: &str) -> Result<Option<User>> {
    if IdKind::User.matches(who) {
        return Ok(ferry_store::users::get(conn, who).await?);
    }
    Ok(ferry_store::users::by_login(conn, who).await?)
}

/// Adds a comment to a file the caller may read; with an `assignee` (a login or `usr_` id,
/// who must be able to read the file) it is a task, `open`.
pub async fn create(
    app: &AppState,
    caller: &Caller,
    file_id: &str,
    text: &str,
    assignee: Option<&str>,
) -> Result<Comment> {
    let author = caller.user_ref().ok_or(Error::Unauthorized)?;
    let (file, folder) = access::commented_file(app, caller, file_id).await?;
    let text = body(text)?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let assignee = match assignee {
        None => None,
        Some(who) => {
            // Unknown and unable to read answer alike: no one learns who exists.
            let refused = || {
                Error::invalid(
                    "assignee",
                    "invalid_value",
                    format!("`{who}` is not a user who can read this file."),
                )
            };
            let user = find_user(&mut tx, who).await?.ok_or_else(refused)?;
            if !access::user_may_read_file(&mut tx, now, &user, &file, &folder).await? {
                return Err(refused());
            }
            Some(user)
        }
    };
    let id = IdKind::Comment.generate();
    comments::insert(
        &mut tx,
        &NewComment {
            id: &id,
            file_id: &file.id,
            author_id: &author.id,
            author_login: &author.login,
            body: text,
            assignee_id: assignee.as_ref().map(|u| u.id.as_str()),
            now,
        },
    )
    .await?;
    let created = comments::get(&mut tx, &id).await?.ok_or(Error::NotFound)?;
    let mentioned = notify_mentions(
        &mut tx,
        now,
        author,
        &file,
        &folder,
        &created,
        &BTreeSet::new(),
    )
    .await?;
    if let Some(user) = &assignee
        && user.id != author.id
    {
        let data = notice_data(author, &file, &created);
        notices::notify(&mut tx, &user.id, NoticeKind::CommentAssigned, data, now).await?;
    }
    audit::success(
        &caller.origin,
        Some(author),
        Action::CommentCreated,
        (TargetKind::File, &file.id),
    )
    .at(now)
    .in_folder(&folder.id)
    .details(json!({
        "comment_id": created.id,
        "file_name": file.name,
        "task": created.task_state().is_some(),
        "assignee": assignee.as_ref().map(|u| json!({"id": u.id, "login": u.login})),
        "mentioned": mentioned,
    }))
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// What a comment notice holds: the comment, its file, its author and an excerpt.
fn notice_data(author: &User, file: &File, c: &Comment) -> serde_json::Value {
    json!({
        "comment_id": c.id,
        "file_id": file.id,
        "file_name": file.name,
        "author": {"id": author.id, "login": author.login},
        "excerpt": excerpt(&c.body),
    })
}

/// Leaves `comment.mention` for each user mentioned in the comment who may read the file,
/// but not the author, nor anyone in `already` (mentioned before an edit); their ids.
async fn notify_mentions(
    tx: &mut ferry_store::Tx,
    now: i64,
    author: &User,
    file: &File,
    folder: &Folder,
    comment: &Comment,
    already: &BTreeSet<String>,
) -> Result<Vec<UserId>> {
    let mut notified = Vec::new();
    for login in mentions(&comment.body) {
        if already.contains(&login) {
            continue;
        }
        let Some(user) = ferry_store::users::by_login(tx, &login).await? else {
            continue;
        };
        if user.id == author.id
            || notified.contains(&user.id)
            || !access::user_may_read_file(tx, now, &user, file, folder).await?
        {
            continue;
        }
        let data = notice_data(author, file, comment);
        notices::notify(tx, &user.id, NoticeKind::CommentMention, data, now).await?;
        notified.push(user.id);
    }
    Ok(notified)
}

/// Changes a comment's body (its author) and/or a task's state (`open`, `done`: its author,
/// its assignee, or whoever may write in the folder). Users newly mentioned by an edit hear
/// of it.
pub async fn update(
    app: &AppState,
    caller: &Caller,
    id: &str,
    text: Option<&str>,
    state: Option<&str>,
) -> Result<Comment> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let (current, file, folder) = access::comment(app, caller, id).await?;
    if text.is_some() {
        access::may_edit_comment(caller, &current)?;
    }
    let state = match state {
        None => None,
        Some(s) => {
            let state = TaskState::parse(s).ok_or_else(|| {
                Error::invalid("status", "invalid_value", "status must be open or done.")
            })?;
            if current.task_state().is_none() {
                return Err(Error::invalid(
                    "status",
                    "invalid_value",
                    "This comment is not a task: it has no status.",
                ));
            }
            access::may_set_task_state(caller, &folder, &current)?;
            Some(state)
        }
    };
    let text = text.map(body).transpose()?;
    if text.is_none() && state.is_none() {
        return Ok(current);
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    if !comments::update(&mut tx, &current.id, text, state, now).await? {
        return Err(Error::NotFound);
    }
    let updated = comments::get(&mut tx, &current.id)
        .await?
        .ok_or(Error::NotFound)?;
    let mentioned = if text.is_some() {
        let before: BTreeSet<String> = mentions(&current.body).into_iter().collect();
        notify_mentions(&mut tx, now, user, &file, &folder, &updated, &before).await?
    } else {
        Vec::new()
    };
    audit::success(
        &caller.origin,
        Some(user),
        Action::CommentUpdated,
        (TargetKind::File, &file.id),
    )
    .at(now)
    .in_folder(&folder.id)
    .details(json!({
        "comment_id": updated.id,
        "file_name": file.name,
        "body_changed": text.is_some_and(|t| t != current.body),
        "old_status": current.task_state().map(TaskState::as_str),
        "new_status": updated.task_state().map(TaskState::as_str),
        "mentioned": mentioned,
    }))
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Deletes a comment: its author, or whoever may share the folder.
pub async fn delete(app: &AppState, caller: &Caller, id: &str) -> Result<()> {
    let (current, file, folder) = access::comment(app, caller, id).await?;
    access::may_delete_comment(caller, &folder, &current)?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    if !comments::delete(&mut tx, &current.id).await? {
        return Err(Error::NotFound);
    }
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::CommentDeleted,
        (TargetKind::File, &file.id),
    )
    .at(now)
    .in_folder(&folder.id)
    .details(json!({
        "comment_id": current.id,
        "file_name": file.name,
        "author": {"id": current.author_id, "login": current.author_login},
    }))
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_logins_after_an_at_sign() {
        assert_eq!(
            mentions("@Bob and @carol.smith, thanks @dave. Mail eve@example.com @bob"),
            ["bob", "carol.smith", "dave.", "dave"]
        );
        assert!(mentions("no one @ all").is_empty());
        assert_eq!(mentions("(@x)"), ["x"]);
    }

    #[test]
    fn bodies_are_checked() {
        assert!(body("ok\nfine").is_ok());
        assert!(body("").is_err());
        assert!(body("  \n").is_err());
        assert!(body("tab\there").is_err());
        assert!(body(&"a".repeat(MAX_BODY_CHARS)).is_ok());
        assert!(body(&"é".repeat(MAX_BODY_CHARS + 1)).is_err());
    }

    #[test]
    fn excerpts_are_short() {
        assert_eq!(excerpt("short"), "short");
        let long = excerpt(&"x".repeat(500));
        assert_eq!(long.chars().count(), EXCERPT_CHARS);
        assert!(long.ends_with('…'));
    }
}
