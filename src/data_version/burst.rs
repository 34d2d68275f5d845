//! What a burst of notifications on the listening connection says: the highest data version
//! among them, and that something was committed (the event hub reads then: events' own
//! notifications, on [`super::EVENTS_CHANNEL`], say nothing else).

use sea_orm::sqlx::postgres::PgNotification;
use tokio::sync::watch;

use super::NOTIFY_CHANNEL;

/// The version a burst of notifications brings: `None` when none was about the version,
/// `Some(None)` when a payload was no version (it is read then), else the highest.
pub(super) fn highest_version(
    burst: impl IntoIterator<Item = PgNotification>,
) -> Option<Option<i64>> {
    burst
        .into_iter()
        .filter(|notification| notification.channel() == NOTIFY_CHANNEL)
        .map(|notification| notification.payload().parse::<i64>().ok())
        .reduce(|a, b| a.zip(b).map(|(a, b)| a.max(b)))
}

/// A count raised whenever something may have been committed, by this process or another.
#[derive(Debug)]
pub(super) struct Commits(watch::Sender<u64>);

impl Default for Commits {
    fn default() -> Self {
        Commits(watch::Sender::new(0))
    }
}

impl Commits {
    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }

    pub(super) fn raise(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }
}
