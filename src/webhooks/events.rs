//! Events as partners read and ask for them: the feed to catch up from (the pull fallback
//! for a partner that was down) and the `webhook.test` event sent to one endpoint.

use entity::event;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;

use super::endpoints::{EndpointError, Result, account_of, find, owned_by};
use super::outbox::{self, EventDraft, EventType};
use super::payload::Payload;
use crate::access::Principal;
use crate::after_commit::AfterCommit;
use crate::pagination::{Page, Window, fetch_page_by};

/// Events after a cursor (an event's internal id), oldest first, of the given types (none:
/// all). Test events are seen only by their endpoint's owner (and admins).
pub async fn feed(
    db: &DatabaseConnection,
    principal: &Principal,
    types: &[String],
    window: Window,
) -> Result<Page<event::Model>> {
    let owner = account_of(principal)?;
    let mut condition = Condition::all();
    if !types.is_empty() {
        condition = condition.add(event::Column::EventType.is_in(types.to_vec()));
    }
    if !principal.is_admin() {
        condition = condition.add(
            Condition::any()
                .add(event::Column::EndpointId.is_null())
                .add(event::Column::EndpointId.in_subquery(owned_by(owner))),
        );
    }
    let select = event::Entity::find().filter(condition);
    Ok(
        fetch_page_by(db, select, event::Column::Id, window, &|c: &str| {
            c.parse::<i32>().ok()
        })
        .await?,
    )
}

/// The `data` of a `webhook.test` event.
#[derive(Debug, Serialize)]
pub struct TestEventData<'a> {
    /// The endpoint's public id.
    endpoint: &'a str,
    message: &'static str,
}

impl Payload for TestEventData<'_> {
    const EVENT_TYPE: EventType = EventType::WebhookTest;
}

impl<'a> TestEventData<'a> {
    pub fn for_endpoint(endpoint: &'a str) -> Self {
        TestEventData {
            endpoint,
            message: "a test event from gnlc",
        }
    }
}

/// Sends a `webhook.test` event to one endpoint, whatever its subscriptions, and wakes
/// the workers for it.
pub async fn send_test(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
    after: &AfterCommit,
) -> Result<event::Model> {
    let endpoint = find(db, principal, id).await?;
    let data = TestEventData::for_endpoint(&endpoint.public_id);
    let draft = EventDraft {
        event_type: TestEventData::EVENT_TYPE,
        data: serde_json::to_value(data)
            .map_err(|e| DbErr::Custom(format!("event payload: {e}")))?,
        regions: Vec::new(),
        countries: Vec::new(),
        cohort_id: None,
        endpoint_id: Some(endpoint.id),
    };
    let txn = crate::database::begin_write(db).await?;
    let (mut events, _) = outbox::publish(&txn, vec![draft]).await?;
    txn.commit().await?;
    after.deliveries_queued();
    events
        .pop()
        .ok_or_else(|| EndpointError::Database(DbErr::RecordNotInserted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_events_data_names_its_endpoint_and_says_what_it_is() {
        assert_eq!(
            serde_json::to_string(&TestEventData::for_endpoint("ep_abc")).unwrap(),
            r#"{"endpoint":"ep_abc","message":"a test event from gnlc"}"#
        );
    }
}
