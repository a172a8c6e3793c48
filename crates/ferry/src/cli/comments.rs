//! `ferry comment ls|add|edit|done|reopen|rm`: comments on files, and tasks (comments with an
//! assignee). FILE is addressed as everywhere (id or path, see `paths`).

use anyhow::Result;
use clap::{Args, Subcommand};
use ferry_api as api;
use serde_json::json;

use super::files::table;
use super::paths;
use super::{Common, Output, session};

const RULES: &str = "Anyone who may read a file may read and add its comments. `@login` in a \
comment notifies that user, if they may read the file. The author edits their own comment; the \
author or a manager of the folder deletes it; a task is marked done (or open again) by its \
author, its assignee or anyone who may write in the folder.";

const ADD_HELP: &str = "Examples:
  ferry comment add Reports/q4.pdf \"Page 3 looks wrong, @bob?\"
  ferry comment add fil_3f9a… \"Fix the totals\" --assign bob
";

#[derive(Debug, Subcommand)]
pub enum CommentCommand {
    /// List a file's comments, oldest first: id, author, task (assignee and status), time,
    /// text.
    Ls(FileArgs),
    /// Comment on a file; `--assign LOGIN` makes the comment a task for that user.
    Add(AddArgs),
    /// Change the text of one of your comments.
    Edit(EditArgs),
    /// Mark a task done.
    Done(IdArgs),
    /// Open a task done again.
    Reopen(IdArgs),
    /// Delete a comment (yours, or any as a manager or owner of the folder).
    Rm(IdArgs),
}

#[derive(Debug, Args)]
#[command(after_help = RULES)]
pub struct FileArgs {
    /// The file: an id (fil_…) or a path (/Top/sub/report.pdf).
    #[arg(value_name = "FILE")]
    pub file: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
#[command(after_help = ADD_HELP)]
pub struct AddArgs {
    /// The file: an id (fil_…) or a path (/Top/sub/report.pdf).
    #[arg(value_name = "FILE")]
    pub file: String,
    /// The comment: 1 to 10,000 characters; newlines are kept, other control characters
    /// refused. `@login` notifies that user if they may read the file.
    #[arg(value_name = "TEXT")]
    pub text: String,
    /// Make it a task for this user (a login or usr_… id), who must be able to read the file.
    #[arg(long = "assign", value_name = "LOGIN")]
    pub assignee: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The comment's id (cmt_…), as `ferry comment ls` shows it.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The new text.
    #[arg(value_name = "TEXT")]
    pub text: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
#[command(after_help = RULES)]
pub struct IdArgs {
    /// The comment's id (cmt_…), as `ferry comment ls` shows it.
    #[arg(value_name = "ID")]
    pub id: String,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run(command: CommentCommand) -> Result<()> {
    match command {
        CommentCommand::Ls(a) => ls(a).await,
        CommentCommand::Add(a) => add(a).await,
        CommentCommand::Edit(a) => edit(a).await,
        CommentCommand::Done(a) => set_status(a, "done").await,
        CommentCommand::Reopen(a) => set_status(a, "open").await,
        CommentCommand::Rm(a) => rm(a).await,
    }
}

/// `task for bob (open)`, or `-`.
fn task(c: &api::Comment) -> String {
    c.task.as_ref().map_or_else(
        || "-".into(),
        |t| format!("{} ({})", t.assignee.login, t.status),
    )
}

async fn ls(args: FileArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let file = paths::file(&s.client, &args.file).await?;
    let client = &s.client;
    let file_id = file.id.as_str();
    let comments = ferry_client::all_pages(|cursor| async move {
        let page = client
            .comments(file_id, Some(1000), cursor.as_deref())
            .await?;
        Ok((page.comments, page.next_cursor))
    })
    .await?;
    let list = api::CommentList {
        comments,
        next_cursor: None,
    };
    out.result(&list, || {
        if list.comments.is_empty() {
            return format!(
                "{} ({}) has no comments. Add one with `ferry comment add`.",
                file.path, file.id
            );
        }
        let rows: Vec<[String; 5]> = list
            .comments
            .iter()
            .map(|c| {
                [
                    c.id.clone(),
                    c.author.login.clone(),
                    task(c),
                    c.created_at.clone(),
                    c.body.replace('\n', " ⏎ "),
                ]
            })
            .collect();
        table(["ID", "AUTHOR", "TASK", "CREATED", "TEXT"], &rows)
    });
    Ok(())
}

async fn add(args: AddArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let file_id = paths::file_id(&s.client, &args.file).await?;
    let c = s
        .client
        .add_comment(&file_id, &args.text, args.assignee.as_deref())
        .await?;
    out.result(&c, || match &c.task {
        Some(t) => format!(
            "Added task {} on {} for {} ({})",
            c.id, c.file_id, t.assignee.login, t.status
        ),
        None => format!("Added comment {} on {}", c.id, c.file_id),
    });
    Ok(())
}

async fn edit(args: EditArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let change = api::UpdateComment {
        body: Some(args.text),
        status: None,
    };
    let c = s.client.update_comment(&args.id, &change).await?;
    out.result(&c, || format!("Edited comment {}", c.id));
    Ok(())
}

async fn set_status(args: IdArgs, status: &str) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let change = api::UpdateComment {
        body: None,
        status: Some(status.into()),
    };
    let c = s.client.update_comment(&args.id, &change).await?;
    out.result(&c, || format!("Task {} is {}", c.id, task(&c)));
    Ok(())
}

async fn rm(args: IdArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    s.client.delete_comment(&args.id).await?;
    out.result(&json!({"id": args.id, "deleted": true}), || {
        format!("Deleted comment {}", args.id)
    });
    Ok(())
}
