//! The `Subscription` type: events as they are committed, with the same payloads as the
//! webhooks and the `events` feed, resumable from a cursor; and typed conveniences that
//! resolve nested data as a query does.

use std::sync::{Arc, Mutex};

use async_graphql::{Context, Object, Result, Subscription as SubscriptionType};
use entity::cohort;
use futures_util::{Stream, StreamExt};
use sea_orm::EntityTrait;

use tokio::sync::{Notify, OwnedSemaphorePermit};

use super::access;
use super::budget::AnswerRoom;
use super::cohort::Cohort;
use super::error::{code, internal, with_code};
use super::loaders::{self, Loaders};
use super::webhook::Event;
use super::{ResultExt, context_data, cursors, expect_row, window};
use crate::pagination::{Cursors, List, PageRequest};
use crate::subscriptions::feed::{self, FeedError};
use crate::subscriptions::hub::Published;
use crate::subscriptions::interest::Interest;
use crate::subscriptions::{Live, Overflow};

pub struct Subscription;

#[SubscriptionType]
impl Subscription {
    /// Events as they are committed, by any gnlc process: `cohort.admitted`,
    /// `city.admitted`, `city.withdrawn` (and, with a token, the `webhook.test` events of
    /// its own endpoints). With `after` (a cursor of this subscription or of the `events`
    /// query), first every event since that one, then live ones: none missed, none twice.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these types, e.g. `cohort.admitted`.")] types: Option<Vec<String>>,
        #[graphql(desc = "Only events about these regions (slugs).")] regions: Option<Vec<String>>,
        #[graphql(desc = "Only events about these countries (ISO codes).")] countries: Option<
            Vec<String>,
        >,
        #[graphql(desc = "Resume after the event of this cursor.")] after: Option<String>,
    ) -> Result<impl Stream<Item = Result<LiveEvent>>> {
        let live = context_data::<Arc<Live>>(ctx)?;
        let after = after_id(ctx, after)?;
        let principal = access::principal(ctx);
        let interest = Interest::new(&live.db, principal, types, regions, countries)
            .await
            .gql()?;
        let answers = Answers::of(ctx, live)?;
        let events = feed::events(&live.hub, live.db.clone(), interest, after);
        answers.listening();
        Ok(events.then(move |item| {
            let answers = answers.clone();
            async move {
                let event = answers.event(item)?;
                answers.pushed();
                Ok(LiveEvent {
                    cursor: answers.cursor(&event),
                    event,
                    _room: answers.room().await,
                })
            }
        }))
    }

    /// Each cohort as it is admitted, with its nested data (`cities { name country { name } }`)
    /// resolved as a query resolves it. With `after`, as `events`.
    async fn cohort_admitted(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Resume after the event of this cursor.")] after: Option<String>,
    ) -> Result<impl Stream<Item = Result<CohortAdmission>>> {
        let live = context_data::<Arc<Live>>(ctx)?;
        let after = after_id(ctx, after)?;
        let answers = Answers::of(ctx, live)?;
        let events = feed::events(
            &live.hub,
            live.db.clone(),
            Interest::cohorts_admitted(),
            after,
        );
        answers.listening();
        let db = live.db.clone();
        Ok(events.then(move |item| {
            let (db, answers) = (db.clone(), answers.clone());
            async move {
                let event = answers.event(item)?;
                let id = expect_row(event.cohort_id, "cohort of an admission")?;
                let row = event
                    .cohort
                    .get_or_try_init(|| cohort::Entity::find_by_id(id).one(&db))
                    .await
                    .map_err(|error| internal(&error))?
                    .clone();
                answers.pushed();
                Ok(CohortAdmission {
                    cursor: answers.cursor(&event),
                    cohort: expect_row(row, "cohort")?,
                    _room: answers.room().await,
                })
            }
        }))
    }
}

/// What each answer of a subscription needs beside its event: the cursors' key, the
/// transport's signal for a subscriber too slow, the metrics, and its room among the values
/// in flight.
#[derive(Clone)]
struct Answers {
    cursors: Cursors,
    overflow: Option<Arc<Overflow>>,
    live: Arc<Live>,
    room: Option<AnswerRoom>,
    event_ids: Option<EventIds>,
    loaders: Option<Arc<Loaders>>,
}

impl Answers {
    fn of(ctx: &Context<'_>, live: &Arc<Live>) -> Result<Self> {
        Ok(Self {
            cursors: cursors(ctx)?.clone(),
            overflow: ctx.data_opt::<Arc<Overflow>>().cloned(),
            live: live.clone(),
            room: ctx.data_opt::<AnswerRoom>().cloned(),
            event_ids: ctx.data_opt::<EventIds>().cloned(),
            loaders: ctx.data_opt::<Arc<Loaders>>().cloned(),
        })
    }

    /// The feed's next event, or the error the subscription ends with. The answer made from
    /// it reads the data afresh: the rows earlier answers loaded are forgotten.
    fn event(&self, item: Result<Published, FeedError>) -> Result<Published> {
        if let Some(loaders) = &self.loaders {
            loaders::forget_all(loaders);
        }
        item.map_err(|error| fed_up(error, self.overflow.as_deref()))
    }

    /// Says the subscription listens for events (its feed has joined the hub).
    fn listening(&self) {
        if let Some(event_ids) = &self.event_ids {
            event_ids.listening.notify_one();
        }
    }

    /// Counts an answer as pushed.
    fn pushed(&self) {
        self.live.metrics.events_pushed.inc();
    }

    /// The event's cursor, which is also the event stream's id of the answer made from it.
    fn cursor(&self, event: &Published) -> String {
        let cursor = self.cursors.encode(List::Events, &event.id.to_string());
        if let Some(event_ids) = &self.event_ids {
            event_ids.answered(&cursor);
        }
        cursor
    }

    /// Waits for room for one answer, when the subscription was given one (over a socket,
    /// always); held by the item while async-graphql makes the answer from it.
    async fn room(&self) -> Option<OwnedSemaphorePermit> {
        match &self.room {
            Some(room) => room.admit().await,
            None => None,
        }
    }
}

/// An event stream's ids (Server-Sent Events): where a reconnecting client left off (its
/// `Last-Event-ID`, which takes the place of `after`), and the cursor of the event the
/// answer being made comes from, sent as that answer's `id`. A subscription makes its
/// answers one at a time, so the cursor is taken as each answer is made.
///
/// It also tells the transport when the subscription listens for events, so the stream
/// says it is open only then: a client that acts once it is open misses nothing.
#[derive(Debug, Clone, Default)]
pub struct EventIds {
    resume_after: Option<String>,
    last: Arc<Mutex<Option<String>>>,
    listening: Arc<Notify>,
}

impl EventIds {
    /// Resuming after the event of the cursor `last_event_id`, if any.
    pub fn resuming(last_event_id: Option<String>) -> Self {
        Self {
            resume_after: last_event_id,
            ..Self::default()
        }
    }

    /// Completes once the subscription listens for events (at once if it already does).
    pub async fn listening(&self) {
        self.listening.notified().await;
    }

    fn answered(&self, cursor: &str) {
        *self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(cursor.to_owned());
    }

    /// The cursor of the latest answer's event, once: `None` for an answer made from none
    /// (a query's, or an error).
    pub fn take(&self) -> Option<String> {
        self.last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

/// The event id a cursor of the `events` list names: the event stream's `Last-Event-ID`,
/// else `after`.
fn after_id(ctx: &Context<'_>, after: Option<String>) -> Result<Option<i32>> {
    let resumed = ctx
        .data_opt::<EventIds>()
        .and_then(|event_ids| event_ids.resume_after.clone());
    let after = resumed.or(after);
    let window = window(ctx, List::Events, PageRequest::new(None, after, None, None))?;
    window
        .after
        .map(|key| {
            key.parse::<i32>()
                .map_err(|_| with_code("`after` is not a cursor of events", code::BAD_USER_INPUT))
        })
        .transpose()
}

/// The error a subscriber's stream ends with; a subscriber too slow also has its
/// connection closed by the transport, told through `overflow`.
fn fed_up(error: FeedError, overflow: Option<&Overflow>) -> async_graphql::Error {
    match error {
        FeedError::TooSlow => {
            if let Some(overflow) = overflow {
                overflow.report();
            }
            with_code(TOO_SLOW, code::SUBSCRIBER_TOO_SLOW)
        }
        FeedError::Database(error) => internal(&error),
    }
}

/// What a subscriber too slow is told.
pub const TOO_SLOW: &str = "too slow: subscribe again with `after` set to the last cursor received";

/// An event as a subscriber receives it, with its cursor.
pub struct LiveEvent {
    cursor: String,
    event: Published,
    /// Room among the values in flight, held while the answer is made from this event
    /// (async-graphql drops the item once it has resolved it).
    _room: Option<OwnedSemaphorePermit>,
}

#[Object]
impl LiveEvent {
    /// Resume after this event: pass it as `after` (here, or to the `events` query).
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The event, as the webhooks deliver it.
    async fn event(&self) -> Event {
        Event((*self.event).clone())
    }
}

/// An admitted cohort, with its event's cursor.
pub struct CohortAdmission {
    cursor: String,
    cohort: cohort::Model,
    /// As [`LiveEvent`]'s.
    _room: Option<OwnedSemaphorePermit>,
}

#[Object]
impl CohortAdmission {
    /// Resume after this admission: pass it as `after`.
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    async fn cohort(&self) -> Cohort {
        Cohort(self.cohort.clone())
    }
}

/// Runs a request (with its per-request data, see [`super::request_data`]) as a stream: a
/// subscription's answers, one per event, or a query's one answer. Each gets its errors'
/// codes and its fields in query order, as [`super::execute`]'s answers do.
pub fn execute_stream(
    schema: &super::GnlcSchema,
    mut request: async_graphql::Request,
) -> impl Stream<Item = async_graphql::Response> + Send + use<> {
    let operation_name = request.operation_name.clone();
    let document = request.parsed_query().ok().cloned();
    schema.execute_stream(request).map(move |mut response| {
        super::error::assign_codes(&mut response, document.is_some());
        if let Some(document) = &document {
            super::field_order::reorder(&mut response.data, document, operation_name.as_deref());
        }
        response
    })
}
