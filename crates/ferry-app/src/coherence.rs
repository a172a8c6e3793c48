//! How the nodes of a cluster keep their caches true to the database (today: the token cache).
//!
//! A change that no node may keep answering from memory (a revoked token, a disabled account…)
//! is committed through [`commit_change`]: in its transaction it sends `changed:<nonce>`
//! (PostgreSQL `NOTIFY`, delivered to every node when the transaction commits), and the
//! request that made it answers only once every node it knows of has acknowledged: each node,
//! on hearing `changed:…`, clears its caches and then sends `ack:<nonce>:<node>`. So when a
//! client hears that a token was revoked, no node will accept it any more; a client that goes
//! straight to another node is refused there. (Hearing its own announcement back would not be
//! enough: another node may still be about to read the notification when the client arrives.)
//!
//! Nodes know each other from `hello:<node>`, sent when a node starts listening and every
//! [`HELLO_EVERY`]; a node not heard from for [`PEER_TIMEOUT`] is taken for gone and not waited
//! for, nor is one that said `bye:<node>` (a graceful shutdown). A change waits at most [`ACK_WAIT`] (a node that is alive but stuck), then answers and
//! logs which nodes did not acknowledge. A node whose listening connection drops clears its
//! caches when it is back, since what was sent meanwhile is lost.
//!
//! On SQLite there is one node: the change clears the cache after its commit, and nothing is
//! sent.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_store::{Backend, Store, Tx};
use tokio::sync::{oneshot, watch};

use crate::error::Result;
use crate::state::AppState;
use crate::token_cache::TokenCache;

/// How often a node says it is there.
pub const HELLO_EVERY: Duration = Duration::from_secs(5);
/// A node not heard from for this long is taken for gone.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest a change waits for the other nodes' acknowledgements.
pub const ACK_WAIT: Duration = Duration::from_secs(2);

/// One message on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Message {
    Changed {
        nonce: String,
    },
    Ack {
        nonce: String,
        node: String,
    },
    Hello {
        node: String,
    },
    /// A node leaving (a graceful shutdown): not to be waited for.
    Bye {
        node: String,
    },
}

impl Message {
    fn parse(payload: &str) -> Option<Message> {
        let mut parts = payload.splitn(3, ':');
        match (parts.next()?, parts.next(), parts.next()) {
            ("changed", Some(nonce), None) => Some(Message::Changed {
                nonce: nonce.into(),
            }),
            ("ack", Some(nonce), Some(node)) => Some(Message::Ack {
                nonce: nonce.into(),
                node: node.into(),
            }),
            ("hello", Some(node), None) => Some(Message::Hello { node: node.into() }),
            ("bye", Some(node), None) => Some(Message::Bye { node: node.into() }),
            _ => None,
        }
    }

    fn payload(&self) -> String {
        match self {
            Message::Changed { nonce } => format!("changed:{nonce}"),
            Message::Ack { nonce, node } => format!("ack:{nonce}:{node}"),
            Message::Hello { node } => format!("hello:{node}"),
            Message::Bye { node } => format!("bye:{node}"),
        }
    }
}

/// A change waiting for acknowledgements.
struct Waiting {
    missing: HashSet<String>,
    done: oneshot::Sender<()>,
}

/// This node's side of coherence.
pub struct Coherence {
    /// This node's name on the wire (random per process).
    node: String,
    backend: Backend,
    listening: AtomicBool,
    /// Other nodes, by when they were last heard from.
    peers: Mutex<HashMap<String, Instant>>,
    waiting: Mutex<HashMap<String, Waiting>>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Coherence {
    pub fn new(backend: Backend) -> Coherence {
        Coherence {
            node: ferry_core::secrets::new_password(),
            backend,
            listening: AtomicBool::new(false),
            peers: Mutex::default(),
            waiting: Mutex::default(),
        }
    }

    /// The nodes a change must hear from: this one and every peer heard from lately.
    fn expected(&self) -> HashSet<String> {
        let mut peers = locked(&self.peers);
        peers.retain(|_, seen| seen.elapsed() < PEER_TIMEOUT);
        peers.keys().cloned().chain([self.node.clone()]).collect()
    }

    /// What a payload from the channel means here; `None`: messages may have been missed.
    /// Returns what this node must send in answer.
    fn on_payload(&self, payload: Option<&str>, tokens: &TokenCache) -> Option<Message> {
        let Some(payload) = payload else {
            tokens.clear();
            return None;
        };
        match Message::parse(payload)? {
            Message::Changed { nonce } => {
                tokens.clear();
                Some(Message::Ack {
                    nonce,
                    node: self.node.clone(),
                })
            }
            Message::Ack { nonce, node } => {
                let mut waiting = locked(&self.waiting);
                if let Some(w) = waiting.get_mut(&nonce) {
                    w.missing.remove(&node);
                    if w.missing.is_empty()
                        && let Some(w) = waiting.remove(&nonce)
                    {
                        let _ = w.done.send(());
                    }
                }
                None
            }
            Message::Hello { node } if node != self.node => {
                let new = locked(&self.peers).insert(node, Instant::now()).is_none();
                // A node that just joined learns of this one at once, not in HELLO_EVERY.
                new.then(|| Message::Hello {
                    node: self.node.clone(),
                })
            }
            Message::Hello { .. } => None,
            Message::Bye { node } => {
                locked(&self.peers).remove(&node);
                // Changes waiting for it wait no more.
                let mut waiting = locked(&self.waiting);
                let done: Vec<String> = waiting
                    .iter_mut()
                    .filter_map(|(nonce, w)| {
                        w.missing.remove(&node);
                        w.missing.is_empty().then(|| nonce.clone())
                    })
                    .collect();
                for nonce in done {
                    if let Some(w) = waiting.remove(&nonce) {
                        let _ = w.done.send(());
                    }
                }
                None
            }
        }
    }
}

/// Starts listening (PostgreSQL only) before the node serves its first request, and keeps
/// saying hello until `shutdown`.
pub async fn start(
    app: &AppState,
    database_url: &str,
    shutdown: watch::Receiver<bool>,
) -> Result<()> {
    if app.coherence.backend != Backend::Postgres {
        return Ok(());
    }
    let listener = ferry_store::coherence::subscribe(&app.store, database_url).await?;
    app.coherence.listening.store(true, Ordering::SeqCst);
    let (on_payload, on_connection) = (app.clone(), app.clone());
    tokio::spawn(listener.run(
        shutdown.clone(),
        move |payload| {
            if let Some(answer) = on_payload.coherence.on_payload(payload, &on_payload.tokens) {
                tokio::spawn(send(on_payload.store.clone(), answer));
            }
        },
        move |up| {
            on_connection
                .coherence
                .listening
                .store(up, Ordering::SeqCst)
        },
    ));
    let node = app.coherence.node.clone();
    let store = app.store.clone();
    let mut shutdown = shutdown;
    tokio::spawn(async move {
        loop {
            send(store.clone(), Message::Hello { node: node.clone() }).await;
            let stopping = tokio::select! {
                _ = tokio::time::sleep(HELLO_EVERY) => false,
                _ = shutdown.wait_for(|stop| *stop) => true,
            };
            if stopping {
                send(store, Message::Bye { node }).await;
                return;
            }
        }
    });
    Ok(())
}

/// Sends a message outside any transaction; a failure only costs a wait or a late hello.
async fn send(store: Store, message: Message) {
    let sent = async {
        let mut conn = store.conn().await?;
        ferry_store::coherence::notify(&mut conn, &store, &message.payload()).await
    };
    if let Err(e) = sent.await {
        tracing::warn!(error = %e, "could not send a cache coherence message");
    }
}

/// Commits a transaction that changed what a cache holds (tokens, users) so that no node keeps
/// answering as before: see the module documentation.
pub async fn commit_change(app: &AppState, mut tx: Tx) -> Result<()> {
    let coherence: &Arc<Coherence> = &app.coherence;
    if coherence.backend != Backend::Postgres {
        tx.commit().await?;
        app.tokens.clear();
        return Ok(());
    }
    let nonce = ferry_core::secrets::new_password();
    ferry_store::coherence::notify(
        &mut tx,
        &app.store,
        &Message::Changed {
            nonce: nonce.clone(),
        }
        .payload(),
    )
    .await?;
    let acked = coherence.listening.load(Ordering::SeqCst).then(|| {
        let (done, acked) = oneshot::channel();
        let missing = coherence.expected();
        locked(&coherence.waiting).insert(nonce.clone(), Waiting { missing, done });
        acked
    });
    let committed = tx.commit().await;
    app.tokens.clear();
    if let Err(e) = committed {
        locked(&coherence.waiting).remove(&nonce);
        return Err(e.into());
    }
    if let Some(acked) = acked
        && tokio::time::timeout(ACK_WAIT, acked).await.is_err()
        && let Some(w) = locked(&coherence.waiting).remove(&nonce)
    {
        tracing::warn!(
            missing = ?w.missing,
            "nodes did not acknowledge a change within 2 s; they may answer from their caches"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        for m in [
            Message::Changed { nonce: "n1".into() },
            Message::Ack {
                nonce: "n1".into(),
                node: "a".into(),
            },
            Message::Hello { node: "b".into() },
            Message::Bye { node: "b".into() },
        ] {
            assert_eq!(Message::parse(&m.payload()), Some(m));
        }
        assert_eq!(Message::parse("changed"), None);
        assert_eq!(Message::parse("other:x"), None);
    }

    #[test]
    fn a_change_waits_for_every_known_node_and_only_those() {
        let c = Coherence::new(Backend::Postgres);
        let tokens = TokenCache::new(Duration::from_secs(60));
        // A new peer is answered with this node's hello.
        let answer = c.on_payload(Some("hello:peer"), &tokens);
        assert_eq!(
            answer,
            Some(Message::Hello {
                node: c.node.clone()
            })
        );
        assert_eq!(c.on_payload(Some("hello:peer"), &tokens), None);
        let expected = c.expected();
        assert_eq!(
            expected,
            HashSet::from(["peer".to_string(), c.node.clone()])
        );
        let (done, mut acked) = oneshot::channel();
        locked(&c.waiting).insert(
            "n".into(),
            Waiting {
                missing: expected,
                done,
            },
        );
        assert_eq!(
            c.on_payload(Some("changed:n"), &tokens),
            Some(Message::Ack {
                nonce: "n".into(),
                node: c.node.clone()
            })
        );
        c.on_payload(Some(&format!("ack:n:{}", c.node)), &tokens);
        assert!(
            acked.try_recv().is_err(),
            "the peer has not acknowledged yet"
        );
        c.on_payload(Some("ack:n:peer"), &tokens);
        assert!(acked.try_recv().is_ok());

        // A node that says goodbye is not waited for.
        let (done, mut acked) = oneshot::channel();
        locked(&c.waiting).insert(
            "m".into(),
            Waiting {
                missing: HashSet::from(["peer".to_string()]),
                done,
            },
        );
        c.on_payload(Some("bye:peer"), &tokens);
        assert!(acked.try_recv().is_ok());
        assert_eq!(c.expected(), HashSet::from([c.node.clone()]));
    }
}
