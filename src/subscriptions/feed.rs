//! One subscriber's events: with a cursor, first every event after it read from the table
//! (the catch-up), then the live ones from the hub, with no gap and none twice at the seam.
//!
//! The subscriber joins the hub *before* the catch-up is read: an event committed before
//! that read is in it, and one committed after it reaches the hub's receiver, which already
//! exists. Live events the catch-up already read (id ≤ the last read) are dropped.

use std::collections::VecDeque;
use std::sync::Arc;

use entity::event as event_model;
use futures_util::Stream;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::broadcast::{self, error::RecvError};

use super::hub::{self, EventHub, Published};
use super::interest::Interest;

/// Events read per statement of the catch-up.
const PAGE: u64 = 100;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("reading events: {0}")]
    Database(#[from] DbErr),
    /// More events came than the subscriber's buffer holds while it was not reading.
    #[error("too slow: more than the buffer's events behind")]
    TooSlow,
}

/// A subscriber's events after the event `after` (an id; `None`: live ones only).
pub fn events(
    hub: &EventHub,
    db: DatabaseConnection,
    interest: Interest,
    after: Option<i32>,
) -> impl Stream<Item = Result<Published, FeedError>> + Send + 'static {
    let state = Feed {
        live: hub.subscribe(),
        db,
        interest,
        last: after.unwrap_or(0),
        catching_up: after.is_some(),
        read: VecDeque::new(),
        ended: false,
    };
    futures_util::stream::unfold(state, |mut feed| async move {
        if feed.ended {
            return None;
        }
        let next = feed.next().await;
        feed.ended = !matches!(next, Some(Ok(_)));
        next.map(|item| (item, feed))
    })
}

struct Feed {
    live: broadcast::Receiver<Published>,
    db: DatabaseConnection,
    interest: Interest,
    /// The id of the last event read (sent or not wanted).
    last: i32,
    catching_up: bool,
    /// Events of the catch-up read and not yet looked at.
    read: VecDeque<event_model::Model>,
    ended: bool,
}

impl Feed {
    async fn next(&mut self) -> Option<Result<Published, FeedError>> {
        loop {
            let event = match self.read.pop_front() {
                Some(event) => Arc::new(event),
                None if self.catching_up => {
                    match hub::after(&self.db, self.last, PAGE).await {
                        Ok(page) => {
                            self.catching_up = page.len() as u64 == PAGE;
                            self.read.extend(page);
                        }
                        Err(error) => return Some(Err(error.into())),
                    }
                    continue;
                }
                None => match self.live.recv().await {
                    Ok(event) if event.id <= self.last => continue,
                    Ok(event) => event,
                    Err(RecvError::Lagged(_)) => return Some(Err(FeedError::TooSlow)),
                    Err(RecvError::Closed) => return None,
                },
            };
            self.last = self.last.max(event.id);
            match self.interest.wants(&self.db, &event).await {
                Ok(true) => return Some(Ok(event)),
                Ok(false) => {}
                Err(error) => return Some(Err(error.into())),
            }
        }
    }
}
