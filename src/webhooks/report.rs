//! How far a cohort's admission has gone to the partners, for admins: every delivery it
//! caused (`cohort.admitted` and the `city.admitted` of each of its cities).

use std::collections::HashSet;

use entity::delivery::{self, DeliveryStatus};
use entity::{cohort, event, webhook_endpoint};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

use super::endpoints::{EndpointError, Result, account_of};
use super::outbox::EventType;
use crate::access::Principal;

/// How far an admission's notifications have gone: for each status, how many deliveries
/// and how many distinct accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CohortDeliveryReport {
    /// Accounts with an endpoint that was sent the admission.
    pub partners: u64,
    /// Accounts with at least one of those deliveries succeeded.
    pub partners_reached: u64,
    pub deliveries: u64,
    pub succeeded: u64,
    pub pending: u64,
    pub failed: u64,
}

/// One delivery of the admission: where it stands, and whose endpoint it goes to.
#[derive(Debug, FromQueryResult)]
struct StatusRow {
    status: DeliveryStatus,
    account_id: i32,
}

/// The events an admission publishes (a later `city.withdrawn` carries the cohort too, but
/// it is not the admission's).
const ADMISSION_EVENTS: [EventType; 2] = [EventType::CohortAdmitted, EventType::CityAdmitted];

/// The report of the cohort admitted in `year`.
pub async fn cohort_report(
    db: &DatabaseConnection,
    principal: &Principal,
    year: i32,
) -> Result<CohortDeliveryReport> {
    account_of(principal)?;
    if !principal.is_admin() {
        return Err(EndpointError::Forbidden);
    }
    let cohort = cohort::Entity::find()
        .filter(cohort::Column::Year.eq(year))
        .one(db)
        .await?;
    let cohort = cohort.ok_or_else(|| EndpointError::NotFound("cohort", year.to_string()))?;
    let rows = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Status)
        .column(webhook_endpoint::Column::AccountId)
        .inner_join(event::Entity)
        .inner_join(webhook_endpoint::Entity)
        .filter(event::Column::CohortId.eq(cohort.id))
        .filter(event::Column::EventType.is_in(ADMISSION_EVENTS.map(EventType::as_str)))
        .into_model::<StatusRow>()
        .all(db)
        .await?;
    Ok(tally(&rows))
}

fn tally(rows: &[StatusRow]) -> CohortDeliveryReport {
    let mut report = CohortDeliveryReport {
        deliveries: rows.len() as u64,
        ..Default::default()
    };
    let mut partners = HashSet::new();
    let mut reached = HashSet::new();
    for row in rows {
        partners.insert(row.account_id);
        match row.status {
            DeliveryStatus::Succeeded => {
                report.succeeded += 1;
                reached.insert(row.account_id);
            }
            DeliveryStatus::Failed => report.failed += 1,
            DeliveryStatus::Pending => report.pending += 1,
        }
    }
    report.partners = partners.len() as u64;
    report.partners_reached = reached.len() as u64;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: DeliveryStatus, account_id: i32) -> StatusRow {
        StatusRow { status, account_id }
    }

    #[test]
    fn partners_are_counted_once_and_reached_by_one_success() {
        let rows = [
            row(DeliveryStatus::Succeeded, 1),
            row(DeliveryStatus::Failed, 1),
            row(DeliveryStatus::Pending, 2),
            row(DeliveryStatus::Failed, 3),
            row(DeliveryStatus::Failed, 3),
        ];
        assert_eq!(
            tally(&rows),
            CohortDeliveryReport {
                partners: 3,
                partners_reached: 1,
                deliveries: 5,
                succeeded: 1,
                pending: 1,
                failed: 3,
            }
        );
    }
}
