//! The transactional outbox: an event and one delivery per matching endpoint are written
//! with the change that causes them, in the caller's transaction, so no crash loses one.

use entity::{delivery, event, webhook_endpoint};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;

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

fn words(list: &str) -> impl Iterator<Item = &str> {
    list.split_whitespace()
}

/// Whether an endpoint wants an event: its type, then its region and country filters
/// (each, when set, must share a value with the event).
pub fn matches(endpoint: &webhook_endpoint::Model, draft: &EventDraft) -> bool {
    if draft.event_type == EventType::WebhookTest {
        return draft.endpoint_id == Some(endpoint.id);
    }
    let wants_type = endpoint.event_types.trim().is_empty()
        || words(&endpoint.event_types).any(|t| t == draft.event_type.as_str());
    let in_regions = endpoint.regions.trim().is_empty()
        || words(&endpoint.regions).any(|r| draft.regions.iter().any(|e| e == r));
    let in_countries = endpoint.countries.trim().is_empty()
        || words(&endpoint.countries).any(|c| draft.countries.iter().any(|e| e == c));
    wants_type && in_regions && in_countries
}

/// Records events and their deliveries. Endpoints that are disabled get none; paused ones
/// get theirs held until they resume. Returns the events and the number of deliveries.
pub async fn publish<C: ConnectionTrait>(
    db: &C,
    drafts: Vec<EventDraft>,
) -> Result<(Vec<event::Model>, u64), DbErr> {
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Status.ne("disabled"))
        .all(db)
        .await?;
    let now = now_ms();
    let mut events = Vec::with_capacity(drafts.len());
    let mut deliveries = Vec::new();
    for draft in drafts {
        let payload = serde_json::to_string(&Envelope {
            r#type: draft.event_type.as_str(),
            timestamp: rfc3339(now),
            data: &draft.data,
        })
        .map_err(|e| DbErr::Custom(format!("event payload: {e}")))?;
        let record = event::Entity::insert(event::ActiveModel {
            public_id: Set(random_id("msg_", 16)),
            event_type: Set(draft.event_type.as_str().to_owned()),
            payload: Set(payload),
            regions: Set(draft.regions.join(" ")),
            countries: Set(draft.countries.join(" ")),
            cohort_id: Set(draft.cohort_id),
            endpoint_id: Set(draft.endpoint_id),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?;
        for endpoint in endpoints.iter().filter(|e| matches(e, &draft)) {
            deliveries.push(delivery::ActiveModel {
                event_id: Set(record.id),
                endpoint_id: Set(endpoint.id),
                status: Set("pending".into()),
                attempt_count: Set(0),
                next_attempt_at: Set(now),
                lease_until: Set(None),
                leased_by: Set(None),
                last_status_code: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
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
