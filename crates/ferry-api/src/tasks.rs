//! Tasks: work that outlasts its request (`202` answers carry one).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How far a task got.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaskProgress {
    pub done: i64,
    pub total: i64,
}

/// Why a task failed: a code from the error catalogue and a message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaskError {
    pub code: String,
    pub message: String,
}

/// A task (`tsk_…`). `kind` is `folder.copy` or `trash.empty`; `status` is `queued`,
/// `running`, `succeeded` or `failed`. `result` once it succeeded: for `folder.copy`
/// `{"folder_id","path","folders","files"}`, for `trash.empty` `{"items"}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Task {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub progress: TaskProgress,
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    pub error: Option<TaskError>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// What a `202` answers: the task doing the work (also at the `Location` header).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Queued {
    pub task: Task,
}
