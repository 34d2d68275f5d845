//! The data version as the response cache needs it: never older than the last admission or
//! withdrawal committed before a request arrived.
//!
//! Two ways to know it:
//! - **Reads**, on any database: a request waits for a read of the version that *started
//!   after it arrived* (one started before might miss a change committed in between);
//!   requests that arrive while a read runs wait for the next one, which starts as soon as
//!   the running one ends. Under load one round trip serves many requests.
//! - **Notifications**, on PostgreSQL: every change raises the version with a
//!   `NOTIFY gnlc_data_version` in its own transaction, and one connection of each process
//!   listens. PostgreSQL sends the notification once the change is visible, so the version
//!   held in memory is the database's as soon as it arrives, and a cached answer costs no
//!   statement at all. While that connection is down (and until it has listened and read
//!   the version again) requests fall back to reads. A change's answer waits until every
//!   listening process has applied its notification (see
//!   [`DataVersions::wait_until_known_everywhere`] and [`super::listeners`]): whoever learns
//!   of a change from that answer finds it in every process.

use std::convert::Infallible;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use sea_orm::sqlx::postgres::PgListener;
use tokio::sync::watch;
use tokio::time::Instant;

use super::NOTIFY_CHANNEL;
use super::listeners::{self, Listener};

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
    /// The version notifications keep up to date, while the listening connection is up.
    notified: watch::Sender<Option<i64>>,
    /// The highest version this process has seen: read, notified or committed by itself
    /// ([`NONE_SEEN`] before any).
    seen: AtomicI64,
    /// This process among the listening ones, while it listens.
    listener: Listener,
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
        })
    }

    /// Keeps the version up to date from PostgreSQL's notifications, for as long as the
    /// process runs: spawns the listening task, and waits (a bounded time) until it
    /// listens. Nothing to do on SQLite.
    pub async fn listen(self: &Arc<Self>, database_url: &str) {
        if self.db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return;
        }
        let mut listening = self.notified.subscribe();
        let (versions, url) = (self.clone(), database_url.to_owned());
        tokio::spawn(async move {
            // Doubled before each wait that follows a failure to listen.
            let mut pause = RECONNECT_PAUSE / 2;
            loop {
                let Err(error) = versions.listen_once(&url).await;
                versions.listener.leave(&versions.db).await;
                // It had listened if it knew the version: the next failure is a new one.
                let listened = versions.notified.send_replace(None).is_some();
                pause = if listened {
                    RECONNECT_PAUSE
                } else {
                    (pause * 2).min(MAX_RECONNECT_PAUSE)
                };
                tracing::warn!(%error, retry_in = ?pause, "data-version notifications interrupted; reading the version per request meanwhile");
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
    async fn listen_once(&self, url: &str) -> Result<Infallible, ListenError> {
        let mut listener = PgListener::connect(url).await?;
        // A lost connection ends this round: the next one listens and reads afresh.
        listener.eager_reconnect(false);
        self.listener.join(&self.db).await?;
        let _alive = AbortOnDrop(tokio::spawn(
            self.listener.clone().keep_alive(self.db.clone()),
        ));
        listener.listen(NOTIFY_CHANNEL).await?;
        let version = super::current(&self.db).await?;
        self.saw(version);
        self.notified.send_replace(Some(version));
        self.listener.applied(&self.db, version).await?;
        tracing::debug!(version, "following data-version notifications");
        while let Some(notification) = listener.try_recv().await? {
            let version = match notification.payload().parse::<i64>() {
                Ok(version) => version,
                Err(_) => super::current(&self.db).await?,
            };
            self.saw(version);
            let mut applied = version;
            self.notified.send_modify(|known| {
                applied = known.map_or(version, |known| known.max(version));
                *known = Some(applied);
            });
            self.listener.applied(&self.db, applied).await?;
        }
        Err(ListenError::Lost)
    }

    /// The data version as of a read started after this call, or as notified; `None` if it
    /// could not be read.
    pub async fn current(self: &Arc<Self>) -> Option<i64> {
        if let Some(version) = *self.notified.borrow() {
            return Some(version);
        }
        self.read().await
    }

    /// After a change committed at version `committed`: waits (a bounded time) until this
    /// process, then every other that follows notifications, has applied it, so that the
    /// next request, to any process, sees it. Answer the change's request after this.
    pub async fn wait_until_known_everywhere(&self, committed: i64) {
        self.saw(committed);
        let deadline = Instant::now() + CATCH_UP_LIMIT;
        let mut notified = self.notified.subscribe();
        // Not following notifications: requests read the version, nothing to wait for.
        let here = notified.wait_for(|known| known.is_none_or(|known| known >= committed));
        let known_here = tokio::time::timeout_at(deadline, here).await.is_ok();
        // Only PostgreSQL's processes listen; on SQLite every process reads.
        let everywhere = match self.db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                listeners::until_applied_everywhere(&self.db, committed, deadline)
                    .await
                    .unwrap_or_else(|error| {
                        tracing::warn!(%error, "cannot read the data-version listeners");
                        false
                    })
            }
            _ => true,
        };
        if !(known_here && everywhere) {
            tracing::warn!(
                committed,
                known_here,
                "a committed change not applied by every listening process within {CATCH_UP_LIMIT:?}"
            );
        }
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

/// A task stopped when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[derive(Debug, thiserror::Error)]
enum ListenError {
    #[error("listening connection: {0}")]
    Listener(#[from] sea_orm::sqlx::Error),
    #[error("reading the data version: {0}")]
    Read(#[from] sea_orm::DbErr),
    #[error("the listening connection was lost")]
    Lost,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database without the data version: every read fails, so an answer can only come
    /// from notifications.
    async fn versions() -> Arc<DataVersions> {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        DataVersions::new(db)
    }

    #[tokio::test]
    async fn a_notified_version_needs_no_read() {
        let versions = versions().await;
        assert_eq!(
            versions.current().await,
            None,
            "not notified: a read, which fails"
        );
        versions.notified.send_replace(Some(7));
        assert_eq!(versions.current().await, Some(7));
    }

    #[tokio::test]
    async fn a_change_is_answered_once_its_notification_is_in() {
        let versions = versions().await;
        versions.notified.send_replace(Some(7));
        let waiting = tokio::spawn({
            let versions = versions.clone();
            async move { versions.wait_until_known_everywhere(8).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "version 8 is not notified yet");
        versions.notified.send_replace(Some(8));
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("caught up once notified")
            .unwrap();
        // Not following notifications (reads serve every request): nothing to wait for.
        versions.notified.send_replace(None);
        tokio::time::timeout(
            Duration::from_millis(100),
            versions.wait_until_known_everywhere(9),
        )
        .await
        .expect("no wait without notifications");
    }
}
