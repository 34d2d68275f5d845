//! What follows a committed change, done by the operation that made it: the delivery
//! workers of this process are woken for the deliveries it queued, and the answer waits
//! until every process's response cache knows the data version it committed.

use std::sync::Arc;

use crate::data_version::DataVersions;
use crate::webhooks::worker::Wakeup;

/// The handle an operation takes to see its change through once it has committed. The
/// server passes one with its workers' wake-up call and its data versions; a command run
/// alone (`gnlc admit`) passes one [`without_workers`](AfterCommit::without_workers): the
/// servers' workers find its deliveries at their next poll.
#[derive(Clone)]
pub struct AfterCommit {
    wakeup: Option<Wakeup>,
    versions: Arc<DataVersions>,
}

impl AfterCommit {
    pub fn new(wakeup: Wakeup, versions: Arc<DataVersions>) -> Self {
        AfterCommit {
            wakeup: Some(wakeup),
            versions,
        }
    }

    /// For a process with no delivery worker of its own.
    pub fn without_workers(versions: Arc<DataVersions>) -> Self {
        AfterCommit {
            wakeup: None,
            versions,
        }
    }

    /// Events and their deliveries were recorded: idle workers of this process start on
    /// them now rather than at their next poll, and its event hub reads them.
    pub fn deliveries_queued(&self) {
        // Their events too: this process's subscribers get them now.
        self.versions.something_committed();
        if let Some(wakeup) = &self.wakeup {
            wakeup.wake();
        }
    }

    /// Public data changed at data version `committed` (with deliveries queued for it):
    /// wakes the workers, then waits (a bounded time) until every process's response cache
    /// knows that version, so that no answer made before the change is served, by any
    /// process, after the change's own answer (see
    /// [`DataVersions::wait_until_known_everywhere`]).
    pub async fn data_changed(&self, committed: i64) {
        self.deliveries_queued();
        self.versions.wait_until_known_everywhere(committed).await;
    }
}
