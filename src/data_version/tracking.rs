//! The data version as the response cache needs it: never older than the last admission or
//! withdrawal committed before a request arrived.
//!
//! Three ways to know it:
//! - **Reads**, on any database: a request waits for a read of the version that *started
//!   after it arrived* (one started before might miss a change committed in between);
//!   requests that arrive while a read runs wait for the next one, which starts as soon as
//!   the running one ends. Under load one round trip serves many requests.
//! - **Notifications**, on PostgreSQL: every change raises the version with a
//!   `NOTIFY gnlc_data_version` in its own transaction, and one connection of each process
//!   listens. PostgreSQL sends the notification once the change is visible, so the version
//!   held in memory is the database's as soon as it arrives, and a cached answer costs no
//!   statement at all. While that connection is down (and until it has listened and read
//!   the version again) requests fall back to reads.
//! - **Watching the database's files**, on an SQLite file: every commit writes to the
//!   database's `-wal` file (or, at a checkpoint, to the database file), so each process
//!   reads the version again when one of them changes (see [`super::watching`]); a cached
//!   answer costs no statement either. Where the files cannot be watched (an in-memory
//!   database, a watcher that fails) requests fall back to reads.
//!
//! Either way a change's answer waits until every process following the version has applied
//! it (see [`DataVersions::wait_until_known_everywhere`] and [`super::listeners`]): whoever
//! learns of a change from that answer finds it in every process.

use std::convert::Infallible;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::watch;
use tokio::time::Instant;

use super::burst::{self, Commits};
use super::listeners::{self, Listener};
use super::watching;
use super::{EVENTS_CHANNEL, NOTIFY_CHANNEL};

/// The connections a process follows the version with (its reads, and its row among the
/// listening processes).
const FOLLOWING_CONNECTIONS: u32 = 2;
/// How long a change's answer waits for every listening process to apply it.
const CATCH_UP_LIMIT: Duration = Duration::from_secs(2);
/// How long starting up waits for the first `LISTEN`.
const FIRST_LISTEN_LIMIT: Duration = Duration::from_secs(5);
/// The pause before listening again after the listening connection was lost; doubled
/// after each attempt that could not listen, up to the maximum.
const RECONNECT_PAUSE: Duration = Duration::from_millis(500);
const MAX_RECONNECT_PAUSE: Duration = Duration::from_secs(30);

/// A finished read: its number, and the version it found (`None` if it failed).
#[derive(Debug, Clone, Copy, Default)]
struct Done {
    read: u64,
    version: Option<i64>,
}

#[derive(Debug, Default)]
struct State {
    /// Reads started so far; the running one, if any, is number `started`.
    started: u64,
    running: bool,
    /// The latest read a waiting request needs.
    wanted: u64,
}

#[derive(Debug)]
pub struct DataVersions {
    db: DatabaseConnection,
    state: Mutex<State>,
    done: watch::Sender<Done>,
    /// The version notifications (or the watched files) keep up to date, while this process
    /// follows them.
    notified: watch::Sender<Option<i64>>,
    /// The highest version this process has seen: read, notified or committed by itself
    /// ([`NONE_SEEN`] before any).
    seen: AtomicI64,
    /// This process among the listening ones, while it follows the version.
    listener: Listener,
    /// Raised whenever something may have been committed (see [`Self::commits`]).
    commits: Commits,
}

const NONE_SEEN: i64 = i64::MIN;

impl DataVersions {
    pub fn new(db: DatabaseConnection) -> Arc<Self> {
        Arc::new(Self {
            db,
            state: Mutex::new(State::default()),
            done: watch::Sender::new(Done::default()),
            notified: watch::Sender::new(None),
            seen: AtomicI64::new(NONE_SEEN),
            listener: Listener::new(),
            commits: Commits::default(),
        })
    }

    /// Keeps the version up to date, for as long as the process runs: from PostgreSQL's
    /// notifications, or by watching an SQLite database's files. Spawns the task that follows
    /// them, and waits (a bounded time) until it does. Nothing to do on an in-memory SQLite
    /// database: requests read the version.
    ///
    /// Following runs on a small pool of its own, beside the requests' (as `/healthz` does):
    /// its reads and writes are never counted as a request's statements, nor wait for a
    /// request's connection.
    pub async fn listen(self: &Arc<Self>, database_url: &str) {
        let db = match crate::database::connect(database_url, FOLLOWING_CONNECTIONS).await {
            Ok((db, _not_a_request_statement)) => db,
            Err(error) => {
                tracing::warn!(%error, "cannot connect to follow the data version; reading it per request");
                return;
            }
        };
        let follow = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => Follow::Notifications(database_url.to_owned()),
            sea_orm::DatabaseBackend::Sqlite => match watching::database_file(&db).await {
                Ok(Some(file)) => Follow::Files(file),
                Ok(None) => return,
                Err(error) => {
                    tracing::warn!(%error, "cannot find the database's file; reading the data version per request");
                    return;
                }
            },
            _ => return,
        };
        let mut listening = self.notified.subscribe();
        let versions = self.clone();
        tokio::spawn(async move {
            // Doubled before each wait that follows a failure to listen.
            let mut pause = RECONNECT_PAUSE / 2;
            loop {
                let Err(error) = match &follow {
                    Follow::Notifications(url) => versions.listen_once(url, &db).await,
                    Follow::Files(file) => watching::watch_once(&versions, file, &db).await,
                };
                // Requests read the version from now on, before this process stops being
                // waited for.
                let listened = versions.notified.send_replace(None).is_some();
                versions.listener.leave(&db).await;
                // It had listened if it knew the version: the next failure is a new one.
                pause = if listened {
                    RECONNECT_PAUSE
                } else {
                    (pause * 2).min(MAX_RECONNECT_PAUSE)
                };
                tracing::warn!(%error, retry_in = ?pause, "no longer following the data version; reading it per request meanwhile");
                tokio::time::sleep(pause).await;
            }
        });
        // Until then (or if it cannot listen), requests read the version: never stale.
        let _ = tokio::time::timeout(FIRST_LISTEN_LIMIT, listening.wait_for(Option::is_some)).await;
    }

    /// Listens, reads the version (a change committed before `LISTEN` is in that read, one
    /// after it is notified), then follows the notifications until the connection fails.
    /// Joins the listening processes first, so that changes committed from then on wait for
    /// this one; each version is written there once applied.
    async fn listen_once(
        &self,
        url: &str,
        db: &DatabaseConnection,
    ) -> Result<Infallible, ListenError> {
        let mut listener = PgListener::connect(url).await?;
        // A lost connection ends this round: the next one listens and reads afresh.
        listener.eager_reconnect(false);
        let _alive = self.join(db).await?;
        listener
            .listen_all([NOTIFY_CHANNEL, EVENTS_CHANNEL])
            .await?;
        let mut written = self.start_following(db).await?;
        tracing::debug!(version = written, "following data-version notifications");
        while let Some(notification) = listener.try_recv().await? {
            // The notifications already in (a burst of changes) are applied at once: one
            // write for the highest. A payload that is no version: the version is read.
            // Events' notifications only wake the event hub.
            self.something_committed();
            let burst = std::iter::once(notification)
                .chain(std::iter::from_fn(|| listener.next_buffered()));
            let Some(version) = burst::highest_version(burst) else {
                continue;
            };
            let version = match version {
                Some(version) => version,
                None => super::current(db).await?,
            };
            self.apply_and_write(db, version, &mut written).await?;
        }
        Err(ListenError::Lost)
    }

    /// Joins the listening processes (before listening or watching: changes committed from
    /// then on wait for this one), and says it is alive until the returned guard is dropped.
    pub(super) async fn join(&self, db: &DatabaseConnection) -> Result<AbortOnDrop, DbErr> {
        self.listener.join(db).await?;
        Ok(AbortOnDrop(tokio::spawn(
            self.listener.clone().keep_alive(db.clone()),
        )))
    }

    /// Reads the version once this process follows changes (a change committed before is in
    /// that read): requests use it from now on, and it is written as this process's applied
    /// one. Returns it, as the version written.
    pub(super) async fn start_following(&self, db: &DatabaseConnection) -> Result<i64, DbErr> {
        // Notifications may have been lost while this process was not following.
        self.something_committed();
        let version = super::current(db).await?;
        self.saw(version);
        self.notified.send_replace(Some(version));
        self.listener.applied(db, version).await?;
        Ok(version)
    }

    /// Applies a version a change made known (see [`Self::apply`]), and writes the one
    /// applied as this process's when it rose above `written`, the one last written (which
    /// it then becomes): a write costs a statement, and on SQLite wakes every watching
    /// process.
    pub(super) async fn apply_and_write(
        &self,
        db: &DatabaseConnection,
        version: i64,
        written: &mut i64,
    ) -> Result<(), DbErr> {
        let applied = self.apply(version);
        if applied > *written {
            self.listener.applied(db, applied).await?;
            *written = applied;
        }
        Ok(())
    }

    /// Applies a version a change made known, and returns the one requests use from now on
    /// (never lower than before).
    fn apply(&self, version: i64) -> i64 {
        self.saw(version);
        let mut applied = version;
        self.notified.send_modify(|known| {
            applied = known.map_or(version, |known| known.max(version));
            *known = Some(applied);
        });
        applied
    }

    /// The data version as of a read started after this call, or as notified; `None` if it
    /// could not be read.
    pub async fn current(self: &Arc<Self>) -> Option<i64> {
        if let Some(version) = *self.notified.borrow() {
            return Some(version);
        }
        self.read().await
    }

    /// After a change committed at version `committed`: waits (a bounded time) until every
    /// process that follows the version (notified, or watching the files), this one
    /// included, has applied it, so that the next request, to any process, sees it. Answer
    /// the change's request after this.
    pub async fn wait_until_known_everywhere(&self, committed: i64) {
        self.saw(committed);
        let deadline = Instant::now() + CATCH_UP_LIMIT;
        // Every following process, this one too, writes what it applied.
        let everywhere = listeners::until_applied_everywhere(&self.db, committed, deadline)
            .await
            .unwrap_or_else(|error| {
                tracing::warn!(%error, "cannot read the data-version listeners");
                false
            });
        let mut notified = self.notified.subscribe();
        // Not following changes: requests read the version, nothing to wait for.
        let here = notified.wait_for(|known| known.is_none_or(|known| known >= committed));
        let known_here = tokio::time::timeout_at(deadline, here).await.is_ok();
        if !(known_here && everywhere) {
            tracing::warn!(
                committed,
                known_here,
                "a committed change not applied by every listening process within {CATCH_UP_LIMIT:?}"
            );
        }
    }

    /// Raised whenever something may have been committed: by this process (see
    /// [`crate::after_commit::AfterCommit`]), or by another, as a notification or a change
    /// of the database's files tells. The event hub reads new events then.
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.commits.subscribe()
    }

    /// Something may have been committed: wakes the event hub.
    pub fn something_committed(&self) {
        self.commits.raise();
    }

    /// The highest version this process has seen so far (read, notified, or committed by
    /// itself), without reading it: `None` before any.
    pub fn known(&self) -> Option<i64> {
        Some(self.seen.load(Ordering::Acquire)).filter(|&version| version != NONE_SEEN)
    }

    fn saw(&self, version: i64) {
        self.seen.fetch_max(version, Ordering::AcqRel);
    }

    /// A read of the version started after this call, shared with the requests waiting
    /// at the same time.
    async fn read(self: &Arc<Self>) -> Option<i64> {
        let mut done = self.done.subscribe();
        let need = {
            let mut state = self.lock();
            let need = state.started + 1;
            if state.running {
                state.wanted = state.wanted.max(need);
            } else {
                state.started = need;
                state.running = true;
                // Spawned, so that a request dropped half-way never strands the others.
                tokio::spawn(self.clone().drive());
            }
            need
        };
        let done = *done.wait_for(|done| done.read >= need).await.ok()?;
        done.version
    }

    /// Runs reads until no request waits for one.
    async fn drive(self: Arc<Self>) {
        loop {
            let read = self.lock().started;
            let version = match super::current(&self.db).await {
                Ok(version) => {
                    self.saw(version);
                    Some(version)
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot read the data version; answering uncached");
                    None
                }
            };
            self.done.send_replace(Done { read, version });
            let mut state = self.lock();
            if state.wanted > read {
                state.started = read + 1;
            } else {
                state.running = false;
                return;
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How a process follows the version.
enum Follow {
    /// PostgreSQL's notifications, on a connection of its own to this URL.
    Notifications(String),
    /// The SQLite database at this path, by watching its files.
    Files(std::path::PathBuf),
}

/// A task stopped when this is dropped.
pub(super) struct AbortOnDrop(pub(super) tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[derive(Debug, thiserror::Error)]
pub(super) enum ListenError {
    #[error("listening connection: {0}")]
    Listener(#[from] sea_orm::sqlx::Error),
    #[error("reading the data version: {0}")]
    Read(#[from] sea_orm::DbErr),
    #[error("the listening connection was lost")]
    Lost,
    #[error("watching the database's files: {0}")]
    Watch(#[from] notify::Error),
}

#[cfg(test)]
mod tests;
