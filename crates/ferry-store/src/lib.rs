//! Ferry's metadata store: users, tokens, folders, files, blobs, the audit log and the webhook
//! outbox, on SQLite (default, in the data dir) or PostgreSQL, behind one type.
//!
//! Both backends go through `sqlx::Any` with the same `$N` SQL, so every query is written
//! once. The price is a deliberately plain schema: text ids, Unix-millisecond times and 0/1
//! flags (Any decodes only strings, integers, floats and bytes). Each backend has its own
//! migration directory, kept in lockstep by number.
#![forbid(unsafe_code)]

pub mod access_requests;
pub mod analytics;
pub mod archives;
pub mod audit;
pub mod backup;
pub mod blob_contents;
pub mod changes;
pub mod coherence;
pub mod collaborations;
pub mod comments;
pub mod companies;
pub mod dav;
mod dialect;
pub mod favorites;
pub mod files;
pub mod folder_links;
pub mod folders;
pub mod groups;
pub mod link_receipts;
pub mod links;
pub mod login_failures;
pub mod login_keys;
pub mod mail;
pub mod multipart_uploads;
mod name_keys;
pub mod notices;
pub mod pictures;
pub mod policies;
pub mod quota_requests;
pub mod rate_buckets;
pub mod registrations;
pub mod renditions;
pub mod scans;
pub mod scrub;
pub mod search;
pub mod secrets;
pub mod settings;
pub mod stats;
pub mod tasks;
pub mod tokens;
pub mod trash;
pub mod two_factor;
pub mod unlock_attempts;
pub mod upload_links;
pub mod uploads;
pub mod user_logins;
pub mod users;
pub mod webhooks;

#[cfg(feature = "test-support")]
pub mod testdb;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How long a SQLite writer waits for the write lock before `SQLITE_BUSY`: the `busy_timeout`
/// of every connection, and the longest wait for this process's turn in [`Store::begin`].
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use sqlx::AnyConnection as Conn;
pub use sqlx::Error as DbError;

/// A transaction on either backend; `&mut *tx` is a [`Conn`]. On SQLite it also holds this
/// process's turn at the write lock (see [`Store::begin`]) until it commits, rolls back or is
/// dropped.
pub struct Tx {
    // Declared first so that it drops first: the turn passes on after the transaction ends.
    inner: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        Ok(self.inner.commit().await?)
    }

    pub async fn rollback(self) -> Result<()> {
        Ok(self.inner.rollback().await?)
    }
}

impl std::ops::Deref for Tx {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.inner
    }
}

/// Errors from the metadata store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint refused the write (e.g. a duplicate name).
    #[error("unique constraint violated")]
    Conflict,
    /// Any other database failure.
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
    /// Migrations could not be applied.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database was migrated by a newer Ferry than this one: starting would run old code
    /// on a schema it does not know.
    #[error(
        "the database has schema version {database}, but this Ferry knows versions up to \
         {known} only: it was upgraded by a newer Ferry. Run that newer version (or newer), or \
         restore the backup made before the upgrade; an older Ferry cannot downgrade a database"
    )]
    TooNew { database: i64, known: i64 },
    /// Opened as it is ([`Store::connect_as_is`]), the database is not at this Ferry's schema:
    /// older (a newer binary beside the server that runs it) or not a Ferry database at all.
    #[error(
        "the database has schema version {database}, but this Ferry's is {known}: use the \
         Ferry that serves this database (this command never migrates a database)"
    )]
    OtherVersion { database: i64, known: i64 },
    /// A stored value could not be interpreted (a bug or manual tampering).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Db(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The metadata store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's writers of this process, in line (see [`Store::begin`]).
    writers: Arc<tokio::sync::Mutex<()>>,
    /// Where this installation's nodes talk (`coherence`; PostgreSQL only).
    channel: String,
    /// SQLite's connections for reads, kept out of the pool (see [`Store::conn`]).
    readers: Option<Arc<Readers>>,
}

/// How many SQLite connections [`Store::conn`] keeps for reads, besides the pool's.
const SQLITE_READERS: usize = 16;

/// How long [`Store::conn`] waits for a connection when all are in use (sqlx's default).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// SQLite connections for reads. A pooled connection costs a round trip to its worker thread
/// when it goes back (sqlx pings every connection it takes back, to flush what a cancelled
/// call left behind) plus a spawned task and a timer; a metadata GET took three of them
/// (issue #18's profile: 52% of the server's CPU in futex wake-ups and context switches).
/// A SQLite connection needs no flushing: its worker runs commands in the order they were
/// sent, so what a dropped call left pending runs before the next caller's first statement
/// (and a dropped row stream resets its statement, ending its read). Transactions never come
/// from here ([`Store::begin`] uses the pool).
struct Readers {
    idle: std::sync::Mutex<Vec<Conn>>,
    /// One permit per connection open for reads.
    permits: Arc<tokio::sync::Semaphore>,
}

/// A connection for reads; back where it came from when dropped.
pub struct ReadConn {
    inner: ReadInner,
}

enum ReadInner {
    Pooled(sqlx::pool::PoolConnection<sqlx::Any>),
    Reader {
        conn: Option<Conn>,
        home: Arc<Readers>,
        _permit: tokio::sync::OwnedSemaphorePermit,
    },
}

impl std::ops::Deref for ReadConn {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        match &self.inner {
            ReadInner::Pooled(c) => c,
            ReadInner::Reader { conn, .. } => conn.as_ref().expect("a reader holds its connection"),
        }
    }
}

impl std::ops::DerefMut for ReadConn {
    fn deref_mut(&mut self) -> &mut Conn {
        match &mut self.inner {
            ReadInner::Pooled(c) => c,
            ReadInner::Reader { conn, .. } => conn.as_mut().expect("a reader holds its connection"),
        }
    }
}

impl Drop for ReadConn {
    fn drop(&mut self) {
        if let ReadInner::Reader { conn, home, .. } = &mut self.inner
            && let Some(conn) = conn.take()
            && !home.permits.is_closed()
        {
            // Back before the permit is: the next caller finds it. (After `close`, dropping
            // it ends its worker, which closes the database handle.)
            home.idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(conn);
        }
    }
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Store {
    /// Opens the database at `url` (`sqlite://…` or `postgres://…`) and applies migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        Self::open(url, true).await
    }

    /// Opens the database at `url` without migrating it, for commands that read a database a
    /// server may be running on (backups): one at another schema version than this Ferry's
    /// is refused ([`StoreError::OtherVersion`]), so that a newer binary never migrates a
    /// database under an older server.
    pub async fn connect_as_is(url: &str) -> Result<Store> {
        Self::open(url, false).await
    }

    async fn open(url: &str, migrate: bool) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Corrupt(format!(
                "unsupported database url scheme in {}",
                redact_url(url)
            )));
        };
        let options: AnyConnectOptions = url.parse().map_err(StoreError::Db)?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    // Readers run in parallel under WAL; writers queue on the busy timeout.
                    .max_connections(16)
                    // A SQLite connection is a file handle on a thread of its own: it cannot be
                    // cut off like a socket, so pinging it on every acquire (sqlx's default)
                    // only adds a round trip to that thread per acquire, several per request.
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers run beside the single writer; FULL makes every
                            // commit durable across a power cut; the busy timeout queues writers.
                            // Pages are read through a memory map: each pooled connection has its
                            // own page cache, emptied whenever another connection writes, so
                            // without it every request re-reads its pages with a syscall each.
                            let pragmas = format!(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; \
                                 PRAGMA mmap_size = 1073741824;",
                                SQLITE_BUSY_TIMEOUT.as_millis()
                            );
                            conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?
            }
        };
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        // No migrations table yet (a new database) reads as no version.
        let database: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&pool)
                .await
                .unwrap_or(None);
        if let Some(database) = database
            && database > known
        {
            pool.close().await;
            return Err(StoreError::TooNew { database, known });
        }
        if migrate {
            migrator.run(&pool).await?;
            name_keys::fill(&pool).await?;
        } else if database != Some(known) {
            pool.close().await;
            return Err(StoreError::OtherVersion {
                database: database.unwrap_or(0),
                known,
            });
        }
        let channel = match backend {
            Backend::Postgres => {
                let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
                    .fetch_one(&pool)
                    .await?;
                coherence::channel_for(&schema)
            }
            Backend::Sqlite => String::new(),
        };
        let readers = (backend == Backend::Sqlite).then(|| {
            Arc::new(Readers {
                idle: std::sync::Mutex::default(),
                permits: Arc::new(tokio::sync::Semaphore::new(SQLITE_READERS)),
            })
        });
        Ok(Store {
            pool,
            backend,
            writers: Arc::default(),
            channel,
            readers,
        })
    }

    /// The SQLite database file inside `data_dir`.
    pub fn sqlite_path_in(data_dir: &Path) -> std::path::PathBuf {
        data_dir.join("ferry.db")
    }

    /// The URL of the SQLite database file `ferry.db` inside `data_dir`, created if missing.
    pub fn sqlite_url_in(data_dir: &Path) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            Self::sqlite_path_in(data_dir).display()
        )
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection for reads (and single-statement writes). On SQLite one of the
    /// connections kept for reads ([`Readers`]): taking and returning it costs a lock, not a
    /// round trip to its thread.
    pub async fn conn(&self) -> Result<ReadConn> {
        let Some(readers) = &self.readers else {
            return Ok(ReadConn {
                inner: ReadInner::Pooled(self.pool.acquire().await?),
            });
        };
        let permit = match readers.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                tokio::time::timeout(ACQUIRE_TIMEOUT, readers.permits.clone().acquire_owned())
                    .await
                    .map_err(|_| StoreError::Db(sqlx::Error::PoolTimedOut))?
                    .map_err(|_| StoreError::Db(sqlx::Error::PoolClosed))?
            }
        };
        let idle = readers.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            // A new one, set up as the pool's are (its `after_connect`), then kept apart.
            None => self.pool.acquire().await?.detach(),
        };
        Ok(ReadConn {
            inner: ReadInner::Reader {
                conn: Some(conn),
                home: readers.clone(),
                _permit: permit,
            },
        })
    }

    /// A transaction for writes. On SQLite it takes the write lock up front (`BEGIN
    /// IMMEDIATE`), so a transaction that reads before writing never fails with `SQLITE_BUSY`
    /// half way. This process's writers first wait their turn in a fair queue: SQLite's own
    /// wait for a busy lock polls with sleeps of 1, 2, 5, 10… ms, so two writers that meet
    /// would lose milliseconds on every handover. The busy timeout still covers other
    /// processes (the CLI's admin commands); a turn not given within that time is not
    /// waited for (SQLite's timeout then decides), so a caller that begins while holding a
    /// transaction fails as before instead of waiting for good.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => {
                let turn =
                    tokio::time::timeout(SQLITE_BUSY_TIMEOUT, self.writers.clone().lock_owned())
                        .await
                        .ok();
                Tx {
                    inner: self.pool.begin_with("BEGIN IMMEDIATE").await?,
                    _turn: turn,
                }
            }
            Backend::Postgres => Tx {
                inner: self.pool.begin().await?,
                _turn: None,
            },
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Closes the pool (waits for connections to be returned) and the connections kept for
    /// reads (those in use close when they are dropped after this).
    pub async fn close(&self) {
        if let Some(readers) = &self.readers {
            readers.permits.close();
            let idle = std::mem::take(&mut *readers.idle.lock().unwrap_or_else(|e| e.into_inner()));
            for conn in idle {
                let _ = sqlx::Connection::close(conn).await;
            }
        }
        self.pool.close().await;
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for logs and config dumps.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A boolean stored as 0/1.
pub(crate) fn flag(v: i64) -> bool {
    v != 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(
            super::redact_url("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact_url("postgres://h/db"), "postgres://h/db");
    }
}
