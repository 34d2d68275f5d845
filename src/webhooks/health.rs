//! Endpoints' health at a glance, as the console lists them: how many of their deliveries
//! succeeded, failed or wait, and when the last one moved. The caller passes endpoints it
//! has already found the principal may see (`endpoints::list`).

use std::collections::HashMap;

use entity::delivery::{self, DeliveryStatus};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

/// What an endpoint's deliveries add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointHealth {
    pub succeeded: u64,
    pub failed: u64,
    pub pending: u64,
    /// When one of its deliveries last changed (queued, attempted), Unix ms.
    pub last_delivery_at: Option<i64>,
}

impl EndpointHealth {
    /// Succeeded among those that ended (succeeded or failed for good), in percent.
    pub fn success_rate(&self) -> Option<u64> {
        let ended = self.succeeded + self.failed;
        (ended > 0).then(|| self.succeeded * 100 / ended)
    }
}

#[derive(Debug, FromQueryResult)]
struct Tally {
    endpoint_id: i32,
    status: DeliveryStatus,
    deliveries: i64,
    latest: Option<i64>,
}

/// The health of each of these endpoints (internal ids), in one statement.
pub async fn of_endpoints(
    db: &DatabaseConnection,
    endpoints: &[i32],
) -> Result<HashMap<i32, EndpointHealth>, DbErr> {
    let rows = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::EndpointId)
        .column(delivery::Column::Status)
        .column_as(delivery::Column::Id.count(), "deliveries")
        .column_as(delivery::Column::UpdatedAt.max(), "latest")
        .filter(delivery::Column::EndpointId.is_in(endpoints.to_vec()))
        .group_by(delivery::Column::EndpointId)
        .group_by(delivery::Column::Status)
        .into_model::<Tally>()
        .all(db)
        .await?;
    let mut health: HashMap<i32, EndpointHealth> = HashMap::new();
    for row in rows {
        let entry = health.entry(row.endpoint_id).or_default();
        let count = row.deliveries.max(0) as u64;
        match row.status {
            DeliveryStatus::Succeeded => entry.succeeded += count,
            DeliveryStatus::Failed => entry.failed += count,
            DeliveryStatus::Pending => entry.pending += count,
        }
        entry.last_delivery_at = entry.last_delivery_at.max(row.latest);
    }
    Ok(health)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_success_rate_counts_only_deliveries_that_ended() {
        let health = EndpointHealth {
            succeeded: 3,
            failed: 1,
            pending: 10,
            last_delivery_at: None,
        };
        assert_eq!(health.success_rate(), Some(75));
        assert_eq!(EndpointHealth::default().success_rate(), None);
    }
}
