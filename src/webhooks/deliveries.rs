//! Deliveries as partners read and redeliver them: those of their own endpoints (an admin:
//! all), reported as not found otherwise.

use entity::{delivery, delivery_attempt, event, webhook_endpoint};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::delivery as lifecycle;
use super::endpoints::{EndpointError, Result, account_of, find, owned_by};
use crate::access::Principal;
use crate::after_commit::AfterCommit;
use crate::pagination::{Page, Window, fetch_page_by};

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// An endpoint's public id.
    pub endpoint: Option<String>,
    /// An event's public id.
    pub event: Option<String>,
    /// Only those failed for good, or failing and waiting for their next attempt.
    pub failed_only: bool,
}

/// The deliveries a principal may see, oldest first, one page.
pub async fn list(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &DeliveryFilter,
    window: Window,
) -> Result<Page<delivery::Model>> {
    let condition = condition(db, principal, filter).await?;
    let select = delivery::Entity::find().filter(condition);
    Ok(
        fetch_page_by(db, select, delivery::Column::Id, window, &|c: &str| {
            c.parse::<i32>().ok()
        })
        .await?,
    )
}

async fn condition(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &DeliveryFilter,
) -> Result<Condition> {
    let owner = account_of(principal)?;
    let mut condition = Condition::all();
    if let Some(id) = &filter.endpoint {
        condition =
            condition.add(delivery::Column::EndpointId.eq(find(db, principal, id).await?.id));
    } else if !principal.is_admin() {
        condition = condition.add(delivery::Column::EndpointId.in_subquery(owned_by(owner)));
    }
    if let Some(id) = &filter.event {
        let found = event::Entity::find()
            .filter(event::Column::PublicId.eq(id))
            .one(db)
            .await?;
        let event = found.ok_or_else(|| EndpointError::NotFound("event", id.clone()))?;
        condition = condition.add(delivery::Column::EventId.eq(event.id));
    }
    if filter.failed_only {
        condition = condition.add(lifecycle::failed_or_failing());
    }
    Ok(condition)
}

/// Sends one delivery again now (a new attempt of the same event, with the same id), and
/// wakes the workers once it is due.
pub async fn redeliver(
    db: &DatabaseConnection,
    principal: &Principal,
    delivery_id: i32,
    after: &AfterCommit,
) -> Result<delivery::Model> {
    account_of(principal)?;
    let not_found = || EndpointError::NotFound("delivery", delivery_id.to_string());
    let found = delivery::Entity::find_by_id(delivery_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let endpoint = webhook_endpoint::Entity::find_by_id(found.endpoint_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    if !principal.may_manage(endpoint.account_id) {
        return Err(not_found());
    }
    let delivery = lifecycle::redeliver(db, found).await?;
    after.deliveries_queued();
    Ok(delivery)
}

/// Sends again every failed delivery of an endpoint created since a time, and wakes the
/// workers for them. Returns how many.
pub async fn redeliver_failed(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
    since_ms: i64,
    after: &AfterCommit,
) -> Result<u64> {
    let endpoint = find(db, principal, id).await?;
    let count = lifecycle::redeliver_failed(db, endpoint.id, since_ms).await?;
    after.deliveries_queued();
    Ok(count)
}

/// The attempts of deliveries the caller has listed (so may see), oldest first.
pub async fn attempts_of(
    db: &DatabaseConnection,
    deliveries: &[delivery::Model],
) -> Result<Vec<delivery_attempt::Model>, DbErr> {
    let ids: Vec<i32> = deliveries.iter().map(|d| d.id).collect();
    delivery_attempt::Entity::find()
        .filter(delivery_attempt::Column::DeliveryId.is_in(ids))
        .order_by_asc(delivery_attempt::Column::Id)
        .all(db)
        .await
}

/// The events of deliveries the caller has listed, by internal id.
pub async fn events_of(
    db: &DatabaseConnection,
    deliveries: &[delivery::Model],
) -> Result<Vec<event::Model>, DbErr> {
    let ids: Vec<i32> = deliveries.iter().map(|d| d.event_id).collect();
    event::Entity::find()
        .filter(event::Column::Id.is_in(ids))
        .all(db)
        .await
}
