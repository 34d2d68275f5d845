//! The transactional outbox: an event and one delivery per matching endpoint are written
//! with the change that causes them, in the caller's transaction, so no crash loses one.

use entity::webhook_endpoint::{self, EndpointStatus};
use entity::{delivery, event};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    Statement,
};
use serde::Serialize;

use super::delivery::queued;
use super::word_list::WordList;
use crate::clock::{now_ms, rfc3339};
use crate::ids::random_id;

/// The event types partners subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    CohortAdmitted,
    CityAdmitted,
    CityWithdrawn,
    WebhookTest,
}

impl EventType {
    pub const ALL: [EventType; 4] = [
        EventType::CohortAdmitted,
        EventType::CityAdmitted,
        EventType::CityWithdrawn,
        EventType::WebhookTest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::CohortAdmitted => "cohort.admitted",
            EventType::CityAdmitted => "city.admitted",
            EventType::CityWithdrawn => "city.withdrawn",
            EventType::WebhookTest => "webhook.test",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// An event about to be recorded.
#[derive(Debug, Clone)]
pub struct EventDraft {
    pub event_type: EventType,
    pub data: serde_json::Value,
    /// Region slugs and country codes it concerns, for endpoint filters.
    pub regions: Vec<String>,
    pub countries: Vec<String>,
    pub cohort_id: Option<i32>,
    /// Set for `webhook.test`: the only endpoint it goes to.
    pub endpoint_id: Option<i32>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    r#type: &'a str,
    timestamp: String,
    data: &'a serde_json::Value,
}

/// The body of an event's deliveries: `{"type", "timestamp", "data"}`.
pub fn body(
    event_type: EventType,
    at_ms: i64,
    data: &serde_json::Value,
) -> serde_json::Result<String> {
    serde_json::to_string(&Envelope {
        r#type: event_type.as_str(),
        timestamp: rfc3339(at_ms),
        data,
    })
}

/// What an endpoint subscribes to, read once per publication.
struct Subscription {
    endpoint_id: i32,
    event_types: WordList,
    regions: WordList,
    countries: WordList,
}

impl Subscription {
    fn of(endpoint: &webhook_endpoint::Model) -> Self {
        Subscription {
            endpoint_id: endpoint.id,
            event_types: WordList::parse(&endpoint.event_types),
            regions: WordList::parse(&endpoint.regions),
            countries: WordList::parse(&endpoint.countries),
        }
    }

    /// Whether the endpoint wants an event: a test event only when it is the one the
    /// event is for; any other by its type, then its region and country filters (each,
    /// when set, must share a value with the event).
    fn wants(&self, draft: &EventDraft) -> bool {
        if draft.event_type == EventType::WebhookTest {
            return draft.endpoint_id == Some(self.endpoint_id);
        }
        self.event_types.lets_through([draft.event_type.as_str()])
            && self.regions.lets_through(&draft.regions)
            && self.countries.lets_through(&draft.countries)
    }
}

/// The advisory lock event-recording transactions hold on PostgreSQL ("gnlcevt").
const EVENTS_LOCK: i64 = 0x0067_6e6c_6365_7674;

/// Records events and their deliveries. Endpoints that are disabled get none; paused ones
/// get theirs held until they resume. Returns the events and the number of deliveries.
///
/// Events get their ids in commit order, so that a reader going by id (the event hub, a
/// subscriber's catch-up) never passes an event that commits later with a lower id: SQLite
/// has one writer at a time; on PostgreSQL the transaction takes an advisory lock, held
/// until it ends, before its first id. It also notifies the processes' event hubs, which
/// PostgreSQL does once (and only if) it commits.
pub async fn publish<C: ConnectionTrait>(
    db: &C,
    drafts: Vec<EventDraft>,
) -> Result<(Vec<event::Model>, u64), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1), pg_notify($2, '')",
            [
                EVENTS_LOCK.into(),
                crate::data_version::EVENTS_CHANNEL.into(),
            ],
        ))
        .await?;
    }
    let subscriptions: Vec<Subscription> = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Status.ne(EndpointStatus::Disabled))
        .all(db)
        .await?
        .iter()
        .map(Subscription::of)
        .collect();
    let now = now_ms();
    let mut events = Vec::with_capacity(drafts.len());
    let mut deliveries = Vec::new();
    for draft in drafts {
        let payload = body(draft.event_type, now, &draft.data)
            .map_err(|e| DbErr::Custom(format!("event payload: {e}")))?;
        let wanted_by: Vec<i32> = subscriptions
            .iter()
            .filter(|s| s.wants(&draft))
            .map(|s| s.endpoint_id)
            .collect();
        let record = event::Entity::insert(event::ActiveModel {
            public_id: Set(random_id("msg_", 16)),
            event_type: Set(draft.event_type.as_str().to_owned()),
            payload: Set(payload),
            regions: Set(WordList::from(draft.regions).to_string()),
            countries: Set(WordList::from(draft.countries).to_string()),
            cohort_id: Set(draft.cohort_id),
            endpoint_id: Set(draft.endpoint_id),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?;
        deliveries.extend(wanted_by.into_iter().map(|e| queued(record.id, e, now)));
        events.push(record);
    }
    let count = deliveries.len() as u64;
    // Bounded batches: SQLite takes at most 32766 bound values per statement.
    let mut rest = deliveries;
    while !rest.is_empty() {
        let batch: Vec<_> = rest.drain(..rest.len().min(1000)).collect();
        delivery::Entity::insert_many(batch).exec(db).await?;
    }
    Ok((events, count))
}
