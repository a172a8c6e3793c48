//! Tasks: work that may take longer than a request should (a copy of a big tree, emptying a
//! big trash). The request queues a task row and answers `202`; the [`Runner`] worker on any
//! node claims it for a lease, reports progress (renewing the lease) and ends it. A worker
//! that dies leaves the task `running` until its lease ends; then another worker takes it
//! over, first clearing away what the dead attempt left (its checkpoint), and starts over.

use std::time::Duration;

use ferry_core::{IdKind, TaskKind, TaskStatus};
use ferry_store::tasks::Ending;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::access;
use crate::caller::{Caller, Origin};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::workers::{Pass, Worker};

pub use ferry_store::tasks::Task;

/// How many times a task is tried when the database fails under it, before it fails for good.
const MAX_ATTEMPTS: i64 = 3;

/// A task the caller may see (its creator, or an admin); anything else is `NotFound`.
pub async fn get(app: &AppState, caller: &Caller, id: &str) -> Result<Task> {
    if !IdKind::Task.matches(id) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    match ferry_store::tasks::get(&mut conn, id).await? {
        Some(task) if access::may_see_task(caller, &task.owner_id) => Ok(task),
        _ => Err(Error::NotFound),
    }
}

/// What a task was asked, as stored: the request's origin (for the audit) and the kind's own
/// parameters.
#[derive(Serialize, Deserialize)]
struct Params {
    request_id: String,
    ip: Option<String>,
    user_agent: Option<String>,
    /// The admin acting as the user, if the task was queued in such a session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    impersonated_by: Option<String>,
    #[serde(default)]
    args: Value,
}

/// Queues a task of `kind` for the caller with `args`; `total` is the progress it expects.
pub(crate) async fn enqueue(
    app: &AppState,
    caller: &Caller,
    kind: TaskKind,
    args: Value,
    total: i64,
) -> Result<Task> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let params = Params {
        request_id: caller.origin.request_id.clone(),
        ip: caller.origin.ip.clone(),
        user_agent: caller.origin.user_agent.clone(),
        impersonated_by: caller.origin.impersonated_by.clone(),
        args,
    };
    let params = serde_json::to_string(&params).map_err(Error::internal)?;
    let id = IdKind::Task.generate();
    let mut tx = app.store.begin().await?;
    ferry_store::tasks::insert(&mut tx, &id, kind, &user.id, &params, total, app.now_ms()).await?;
    let task = ferry_store::tasks::get(&mut tx, &id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(task)
}

/// Why a task's run stopped short.
pub(crate) enum Stop {
    /// Another worker holds the task now (this one's lease ended): leave everything to it.
    Lost,
    /// The task failed.
    Failed(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e)
    }
}

impl From<ferry_store::StoreError> for Stop {
    fn from(e: ferry_store::StoreError) -> Self {
        Stop::Failed(e.into())
    }
}

impl From<ferry_store::DbError> for Stop {
    fn from(e: ferry_store::DbError) -> Self {
        Stop::Failed(e.into())
    }
}

/// A worker's hold on a task: every write it makes names the attempt it holds.
pub(crate) struct Claim {
    pub id: String,
    attempt: i64,
    lease: Duration,
}

impl Claim {
    /// Records progress and what to clear away should this attempt die, and renews the lease,
    /// inside `tx` (so it commits with the work it reports).
    pub async fn progress(
        &self,
        app: &AppState,
        tx: &mut ferry_store::Tx,
        done: i64,
        total: i64,
        checkpoint: Option<&Value>,
    ) -> std::result::Result<(), Stop> {
        let checkpoint = checkpoint.map(Value::to_string);
        let lease_until = app.now_ms() + self.lease.as_millis() as i64;
        let held = ferry_store::tasks::progress(
            tx,
            &self.id,
            self.attempt,
            done,
            total.max(done),
            checkpoint.as_deref(),
            lease_until,
        )
        .await?;
        if held { Ok(()) } else { Err(Stop::Lost) }
    }
}

/// The worker that runs queued tasks, one at a time per node.
pub struct Runner {
    interval: Duration,
    lease: Duration,
    /// The task being run, given back to the queue if the node stops in the middle of it.
    current: Option<(String, i64)>,
}

impl Runner {
    pub fn new(app: &AppState) -> Self {
        Runner {
            interval: Duration::from_millis(app.config.tasks.poll_interval_ms.max(10)),
            lease: Duration::from_secs(app.config.tasks.lease_secs.max(1)),
            current: None,
        }
    }

    async fn run_one(&mut self, app: &AppState) -> anyhow::Result<Pass> {
        let now = app.now_ms();
        let claimed = {
            let mut tx = app.store.begin().await?;
            let task = ferry_store::tasks::claim(&mut tx, now, now + self.lease.as_millis() as i64)
                .await?;
            tx.commit().await?;
            task
        };
        let Some(task) = claimed else {
            return Ok(Pass::Idle);
        };
        let claim = Claim {
            id: task.id.to_string(),
            attempt: task.attempt,
            lease: self.lease,
        };
        self.current = Some((task.id.to_string(), task.attempt));
        tracing::info!(task = %task.id, kind = task.kind.as_str(), attempt = task.attempt, "running task");
        let outcome = run(app, &task, &claim).await;
        self.current = None;
        let ending = match outcome {
            Ok(result) => Ending::Succeeded {
                result: result.to_string(),
            },
            Err(Stop::Lost) => {
                tracing::warn!(task = %task.id, "task taken over by another worker");
                return Ok(Pass::Busy);
            }
            Err(Stop::Failed(Error::Internal(e))) if task.attempt < MAX_ATTEMPTS => {
                tracing::warn!(task = %task.id, error = format!("{e:#}"), "task attempt failed; will retry");
                let mut tx = app.store.begin().await?;
                ferry_store::tasks::release(&mut tx, &task.id, task.attempt).await?;
                tx.commit().await?;
                return Ok(Pass::Busy);
            }
            Err(Stop::Failed(e)) => {
                if let Error::Internal(inner) = &e {
                    tracing::error!(task = %task.id, error = format!("{inner:#}"), "task failed");
                }
                Ending::Failed {
                    code: e.code().to_string(),
                    message: e.to_string(),
                }
            }
        };
        let mut tx = app.store.begin().await?;
        ferry_store::tasks::finish(&mut tx, &task.id, task.attempt, &ending, app.now_ms()).await?;
        tx.commit().await?;
        Ok(Pass::Busy)
    }
}

/// Runs a claimed task as its owner: what it produced, or why it stopped.
async fn run(app: &AppState, task: &Task, claim: &Claim) -> std::result::Result<Value, Stop> {
    let params: Params = serde_json::from_str(&task.params).map_err(Error::internal)?;
    let checkpoint: Option<Value> = task
        .checkpoint
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(Error::internal)?;
    let caller = owner(app, task, &params).await?;
    match task.kind {
        TaskKind::FolderCopy => {
            crate::folder_copy::run_task(app, &caller, claim, &params.args, checkpoint).await
        }
        TaskKind::TrashEmpty => crate::trash::empty_task(app, &caller, claim).await,
    }
}

/// The task's owner as its caller, from the origin of the request that queued it. An owner
/// who can no longer log in can no longer have work done for them.
async fn owner(app: &AppState, task: &Task, params: &Params) -> Result<Caller> {
    let mut conn = app.store.conn().await?;
    let user = ferry_store::users::get(&mut conn, &task.owner_id)
        .await?
        .ok_or(Error::Unauthorized)?;
    crate::access::account_usable(&user, app.now_ms())?;
    Ok(Caller::user(
        user,
        Origin {
            request_id: params.request_id.clone(),
            ip: params.ip.clone(),
            user_agent: params.user_agent.clone(),
            impersonated_by: params.impersonated_by.clone(),
        },
    ))
}

impl Worker for Runner {
    fn name(&self) -> &'static str {
        "tasks"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn pass<'a>(&'a mut self, app: &'a AppState) -> BoxFuture<'a, anyhow::Result<Pass>> {
        Box::pin(self.run_one(app))
    }

    fn stop<'a>(&'a mut self, app: &'a AppState, _deadline: Duration) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // The pass was cut off in the middle of a task: give it back at once, so another
            // node need not wait for the lease to end.
            if let Some((id, attempt)) = self.current.take() {
                let released = async {
                    let mut tx = app.store.begin().await?;
                    ferry_store::tasks::release(&mut tx, &id, attempt).await?;
                    tx.commit().await?;
                    anyhow::Ok(())
                };
                if let Err(e) = released.await {
                    tracing::warn!(task = %id, error = format!("{e:#}"), "could not give the task back");
                }
            }
        })
    }
}

/// The wire form's `progress`, `result` and `error`, read from the row.
pub fn result_of(task: &Task) -> Option<Value> {
    task.result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
}

/// `{"code","message"}` of a failed task.
pub fn error_of(task: &Task) -> Option<Value> {
    match (&task.error_code, &task.error_message, task.status) {
        (Some(code), message, TaskStatus::Failed) => {
            Some(json!({"code": code, "message": message.clone().unwrap_or_default()}))
        }
        _ => None,
    }
}
