//! The process's one reader of new events: it learns that something was committed (its own
//! commits, PostgreSQL's notifications or the SQLite file watcher, and a poll while it has
//! subscribers), reads the events after the last one it read from the table, and fans each
//! out to every subscriber through one shared ring of `--subscription-buffer` events.
//!
//! A wake-up only says when to read: the events come from the table by their ids, so a lost
//! notification costs delay, never an event. Ids are given in commit order (see
//! [`crate::webhooks::outbox::publish`]), so reading `id > last` never skips one committed
//! late.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use entity::{cohort, event};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::{Notify, OnceCell, broadcast, watch};

/// Events read per statement.
const BATCH: u64 = 100;
/// The pause before reading again after a failed read.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// An event as subscribers receive it: shared, never copied per subscriber.
pub type Published = Arc<PublishedEvent>;

/// An event's row, with what every answer made from it shares: the row of the cohort it is
/// about, read once for all its subscribers (not once per subscriber).
#[derive(Debug)]
pub struct PublishedEvent {
    pub row: event::Model,
    pub cohort: OnceCell<Option<cohort::Model>>,
}

impl PublishedEvent {
    pub fn new(row: event::Model) -> Published {
        Arc::new(Self {
            row,
            cohort: OnceCell::new(),
        })
    }
}

impl Deref for PublishedEvent {
    type Target = event::Model;

    fn deref(&self) -> &event::Model {
        &self.row
    }
}

#[derive(Debug)]
pub struct EventHub {
    published: broadcast::Sender<Published>,
    wake: Notify,
}

impl EventHub {
    /// Starts reading after the newest event now in the table, on `db` (a pool of its own:
    /// its statements are no request's), woken by `commits` (see
    /// [`crate::data_version::DataVersions::commits`]) and every `poll` while it has
    /// subscribers.
    pub async fn start(
        db: DatabaseConnection,
        commits: watch::Receiver<u64>,
        buffer: usize,
        poll: Duration,
    ) -> Result<Arc<Self>, DbErr> {
        let last = newest(&db).await?;
        let hub = Arc::new(Self {
            published: broadcast::Sender::new(buffer.max(1)),
            wake: Notify::new(),
        });
        tokio::spawn(hub.clone().read(db, commits, last, poll));
        Ok(hub)
    }

    /// A hub that reads nothing: a test publishes its events.
    #[cfg(test)]
    pub fn idle(buffer: usize) -> Arc<Self> {
        Arc::new(Self {
            published: broadcast::Sender::new(buffer),
            wake: Notify::new(),
        })
    }

    #[cfg(test)]
    pub fn publish(&self, event: event::Model) {
        let _ = self.published.send(PublishedEvent::new(event));
    }

    /// Every event read from now on, in order, until the receiver falls `buffer` events
    /// behind (then it gets `Lagged`).
    pub fn subscribe(&self) -> broadcast::Receiver<Published> {
        let receiver = self.published.subscribe();
        // A first subscriber: events the polls skipped meanwhile are read now.
        self.wake.notify_one();
        receiver
    }

    /// This process committed events: read them now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    async fn read(
        self: Arc<Self>,
        db: DatabaseConnection,
        mut commits: watch::Receiver<u64>,
        mut last: i32,
        poll: Duration,
    ) {
        let mut ticks = tokio::time::interval(poll.max(Duration::from_millis(10)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut commits_open = true;
        loop {
            tokio::select! {
                () = self.wake.notified() => {}
                changed = commits.changed(), if commits_open => commits_open = changed.is_ok(),
                _ = ticks.tick() => {
                    // Polls only serve subscribers; wake-ups always read, so the cursor
                    // stays near the table's end while nobody listens.
                    if self.published.receiver_count() == 0 {
                        continue;
                    }
                }
            }
            while let Err(error) = self.publish_after(&db, &mut last).await {
                tracing::warn!(%error, "cannot read new events; reading again shortly");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }

    /// Reads and publishes every event after `last`, moving it on.
    async fn publish_after(&self, db: &DatabaseConnection, last: &mut i32) -> Result<(), DbErr> {
        loop {
            let events = after(db, *last, BATCH).await?;
            let full = events.len() as u64 == BATCH;
            for event in events {
                *last = event.id;
                // No receiver is no error: nobody listens.
                let _ = self.published.send(PublishedEvent::new(event));
            }
            if !full {
                return Ok(());
            }
        }
    }
}

/// The newest event's id (0 for none).
async fn newest(db: &DatabaseConnection) -> Result<i32, DbErr> {
    let newest = event::Entity::find()
        .order_by_desc(event::Column::Id)
        .one(db)
        .await?;
    Ok(newest.map_or(0, |event| event.id))
}

/// Up to `limit` events after the id `last`, oldest first.
pub async fn after(
    db: &DatabaseConnection,
    last: i32,
    limit: u64,
) -> Result<Vec<event::Model>, DbErr> {
    event::Entity::find()
        .filter(event::Column::Id.gt(last))
        .order_by_asc(event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
