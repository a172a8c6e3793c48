//! Tasks: work that may take longer than a request (a copy of a big tree, emptying a big
//! trash). A task is a database row that any node's workers claim; these are its kinds and
//! states.

/// What a task does. The string form is part of the API contract (`Task.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// `POST /folders/{id}/copy` of a tree too big to copy inside the request.
    FolderCopy,
    /// `DELETE /trash` of a trash too big to empty inside the request.
    TrashEmpty,
}

impl TaskKind {
    pub const ALL: [TaskKind; 2] = [TaskKind::FolderCopy, TaskKind::TrashEmpty];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::FolderCopy => "folder.copy",
            TaskKind::TrashEmpty => "trash.empty",
        }
    }

    pub fn parse(s: &str) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl TryFrom<String> for TaskKind {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        TaskKind::parse(&s).ok_or_else(|| format!("unknown task kind `{s}`"))
    }
}

/// Where a task stands: `queued` until a worker claims it, `running` while one works on it
/// (a worker that dies leaves it `running` until its lease ends, and another worker takes
/// it over), then `succeeded` or `failed` for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 4] = [
        TaskStatus::Queued,
        TaskStatus::Running,
        TaskStatus::Succeeded,
        TaskStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Queued => "queued",
            TaskStatus::Running => "running",
            TaskStatus::Succeeded => "succeeded",
            TaskStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the task is over (nothing will change it any more).
    pub fn is_final(self) -> bool {
        matches!(self, TaskStatus::Succeeded | TaskStatus::Failed)
    }
}

impl TryFrom<String> for TaskStatus {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        TaskStatus::parse(&s).ok_or_else(|| format!("unknown task status `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_round_trip() {
        for k in TaskKind::ALL {
            assert_eq!(TaskKind::parse(k.as_str()), Some(k));
        }
        for s in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(TaskStatus::parse("done"), None);
        assert!(TaskStatus::Failed.is_final());
        assert!(!TaskStatus::Running.is_final());
    }
}
