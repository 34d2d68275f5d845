//! Reads the data version for the response cache, sharing each read among the requests
//! waiting for one. A request may only use a read that *started after it arrived* (one
//! started before might miss a change committed in between); requests that arrive while
//! a read runs wait for the next one, which starts as soon as the running one ends. Under
//! load, one database round trip serves many requests, and none sees a stale version.

use std::sync::{Arc, Mutex, MutexGuard};

use sea_orm::DatabaseConnection;
use tokio::sync::watch;

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
pub struct VersionReads {
    db: DatabaseConnection,
    state: Mutex<State>,
    done: watch::Sender<Done>,
}

impl VersionReads {
    pub fn new(db: DatabaseConnection) -> Arc<Self> {
        Arc::new(Self {
            db,
            state: Mutex::new(State::default()),
            done: watch::Sender::new(Done::default()),
        })
    }

    /// The data version as of a read started after this call; `None` if it failed.
    pub async fn current(self: &Arc<Self>) -> Option<i64> {
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
            let version = match crate::data_version::current(&self.db).await {
                Ok(version) => Some(version),
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
