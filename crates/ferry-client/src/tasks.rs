//! Tasks: work the server does after answering `202` (a copy of a big tree, emptying a big
//! trash). The calls that may start one wait for it by default, so a caller sees the same
//! result whatever the size; the `start_…` forms give the task back instead.

use std::time::Duration;

use ferry_api as api;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::error::{ClientError, Result, error_from};

/// What a call that may become a task answered.
#[derive(Debug)]
pub enum Started<T> {
    /// Done within the request.
    Done(T),
    /// Accepted: a task does it (see [`Client::wait_task`]).
    Queued(Box<api::Task>),
}

/// The longest pause between two looks at a running task.
const MAX_POLL: Duration = Duration::from_secs(2);

impl Client {
    pub async fn task(&self, id: &str) -> Result<api::Task> {
        Self::send(self.request(Method::GET, &format!("/tasks/{id}"))).await
    }

    /// Waits until the task is over: the succeeded task, or [`ClientError::TaskFailed`].
    pub async fn wait_task(&self, id: &str) -> Result<api::Task> {
        let mut pause = Duration::from_millis(50);
        loop {
            let task = self.task(id).await?;
            match task.status.as_str() {
                "succeeded" => return Ok(task),
                "failed" => return Err(ClientError::TaskFailed(Box::new(task))),
                _ => {}
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_POLL);
        }
    }

    /// Sends `req`; a `202` is the task that does the work, any other 2xx the result as `T`
    /// (`None` for a body-less `204`).
    pub(crate) async fn send_or_queue<T: DeserializeOwned>(
        req: RequestBuilder,
    ) -> Result<Started<Option<T>>> {
        let res = req.send().await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        let unexpected = || ClientError::Unexpected {
            status,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        };
        match status {
            StatusCode::ACCEPTED => {
                let queued: api::Queued =
                    serde_json::from_slice(&bytes).map_err(|_| unexpected())?;
                Ok(Started::Queued(Box::new(queued.task)))
            }
            StatusCode::NO_CONTENT => Ok(Started::Done(None)),
            s if s.is_success() => serde_json::from_slice(&bytes)
                .map(|t| Started::Done(Some(t)))
                .map_err(|_| unexpected()),
            _ => Err(error_from(status, &bytes)),
        }
    }
}
