//! The wire of cross-node cache coherence: PostgreSQL's `NOTIFY` on one channel, sent in the
//! transaction of the change it announces (so it is delivered when that commits, and never if
//! it rolls back), and one listening connection per node. What the messages mean is
//! `ferry_app::coherence`'s. On SQLite there is one node, and nothing is sent.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::watch;

use crate::{Backend, Conn, Result, Store};

/// The channel of the nodes sharing `schema`: installations (or test runs) in other schemas
/// of the same database do not hear each other.
pub(crate) fn channel_for(schema: &str) -> String {
    let clean: String = schema
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    format!("ferry_cache_{clean}")
}

/// Sends `payload` to every listening node of `store`'s installation when the transaction
/// `conn` belongs to commits (at once, when `conn` is not in a transaction). Nothing on
/// SQLite: there is one node.
pub async fn notify(conn: &mut Conn, store: &Store, payload: &str) -> Result<()> {
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(&store.channel)
            .bind(payload)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// A connection listening for announcements. Made before a node serves its first request, so
/// that nothing announced after that is missed.
pub struct Listener {
    url: String,
    channel: String,
    listener: PgListener,
}

/// Connects to `store`'s PostgreSQL at `database_url` and starts listening.
pub async fn subscribe(store: &Store, database_url: &str) -> Result<Listener> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(&store.channel).await?;
    Ok(Listener {
        url: database_url.to_string(),
        channel: store.channel.clone(),
        listener,
    })
}

impl Listener {
    /// Calls `on_payload(Some(payload))` for each notification from any node (this one's
    /// included) until `shutdown` turns true, and `on_payload(None)` when notifications may
    /// have been missed (the connection was lost and is back: nothing sent meanwhile arrives).
    /// `on_connection` tells whether the connection is up. A lost connection is retried every
    /// second.
    pub async fn run(
        self,
        mut shutdown: watch::Receiver<bool>,
        on_payload: impl Fn(Option<&str>) + Send + Sync + 'static,
        on_connection: impl Fn(bool) + Send + Sync + 'static,
    ) {
        let Listener {
            url,
            channel,
            listener,
        } = self;
        let mut listener = Some(listener);
        loop {
            let session = session(&url, &channel, listener.take(), &on_payload, &on_connection);
            tokio::select! {
                result = session => {
                    if let Err(e) = result {
                        tracing::warn!(error = %e, "cache coherence listener lost PostgreSQL; retrying");
                    }
                }
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            on_connection(false);
            on_payload(None);
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }
}

/// One connection's worth of listening (`listener`, or a new one); returns only with the
/// error that ended it.
async fn session(
    url: &str,
    channel: &str,
    listener: Option<PgListener>,
    on_payload: &(impl Fn(Option<&str>) + Sync),
    on_connection: &(impl Fn(bool) + Sync),
) -> std::result::Result<(), sqlx::Error> {
    let mut listener = match listener {
        Some(l) => l,
        None => {
            let mut l = PgListener::connect(url).await?;
            l.listen(channel).await?;
            on_payload(None);
            l
        }
    };
    on_connection(true);
    loop {
        match listener.try_recv().await? {
            Some(n) => on_payload(Some(n.payload())),
            // The connection dropped and was made again by try_recv: whatever was announced
            // in between is lost.
            None => on_payload(None),
        }
    }
}
