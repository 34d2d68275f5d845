//! One subscriber's events: with a cursor, first every event after it read from the table
//! (the catch-up), then the live ones from the hub, with no gap and none twice at the seam.
//!
//! The subscriber joins the hub *before* the catch-up is read: an event committed before
//! that read is in it, and one committed after it reaches the hub's receiver, which already
//! exists. Live events the catch-up already read (id ≤ the last read) are dropped.

use std::collections::VecDeque;

use entity::event as event_model;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, Stream};
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::broadcast::{self, error::RecvError};

use super::hub::{self, EventHub, Published, PublishedEvent};
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
    let table = db.clone();
    let pages: Pages = Box::new(move |last, limit| {
        let db = table.clone();
        async move { hub::after(&db, last, limit).await }.boxed()
    });
    feed(hub, db, interest, after, pages)
}

/// Where a catch-up reads its pages (events after an id, at most so many): the events
/// table, or a test's.
type Pages =
    Box<dyn FnMut(i32, u64) -> BoxFuture<'static, Result<Vec<event_model::Model>, DbErr>> + Send>;

fn feed(
    hub: &EventHub,
    db: DatabaseConnection,
    interest: Interest,
    after: Option<i32>,
    pages: Pages,
) -> impl Stream<Item = Result<Published, FeedError>> + Send + 'static {
    let state = Feed {
        live: hub.subscribe(),
        db,
        pages,
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
    pages: Pages,
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
                Some(event) => PublishedEvent::new(event),
                None if self.catching_up => {
                    match (self.pages)(self.last, PAGE).await {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::StreamExt;

    use super::*;

    fn admitted(id: i32) -> event_model::Model {
        event_model::Model {
            id,
            public_id: format!("msg_{id}"),
            event_type: "cohort.admitted".into(),
            payload: "{}".into(),
            regions: String::new(),
            countries: String::new(),
            cohort_id: Some(1),
            endpoint_id: None,
            created_at: 0,
        }
    }

    /// The seam, made to happen: event 3 commits (and the hub publishes it, with event 2
    /// it had not read yet) just after the catch-up read the table, which held 1 and 2.
    #[tokio::test]
    async fn an_event_committed_while_the_catch_up_is_read_comes_once_in_order() {
        let hub = EventHub::idle(16);
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        let publisher = hub.clone();
        let mut reads = 0;
        let pages: Pages = Box::new(move |last, _| {
            reads += 1;
            let (hub, first) = (publisher.clone(), reads == 1);
            async move {
                let page: Vec<_> = (1..=2).filter(|id| *id > last).map(admitted).collect();
                if first {
                    hub.publish(admitted(2));
                    hub.publish(admitted(3));
                }
                Ok(page)
            }
            .boxed()
        });
        let events = feed(&hub, db, Interest::cohorts_admitted(), Some(0), pages);
        let ids: Vec<i32> = tokio::time::timeout(
            Duration::from_secs(5),
            events.take(3).map(|event| event.unwrap().id).collect(),
        )
        .await
        .expect("event 3 comes");
        assert_eq!(ids, [1, 2, 3]);
    }
}
