//! The events an admission or a withdrawal publishes, written to the outbox in its own
//! transaction.

use chrono::NaiveDate;
use entity::{city, cohort, country, region};
use sea_orm::{DatabaseTransaction, DbErr};

use crate::webhooks::outbox::{self, EventDraft};
use crate::webhooks::payload::{
    City, CityAdmitted, CityWithdrawn, Cohort, CohortAdmitted, Payload,
};
use crate::webhooks::word_list::WordList;

/// An admitted city with its country and the country's region.
pub(super) type AdmittedRow = (city::Model, country::Model, Option<region::Model>);

/// Publishes `cohort.admitted` for the intake and `city.admitted` for each of its cities.
/// Returns the number of deliveries queued.
pub(super) async fn publish_admission(
    txn: &DatabaseTransaction,
    cohort: &cohort::Model,
    admitted: &[AdmittedRow],
) -> Result<u64, DbErr> {
    let regions = WordList::normalised(
        admitted
            .iter()
            .filter_map(|(_, _, r)| r.as_ref().map(|r| r.slug.clone())),
    )
    .into_vec();
    let countries =
        WordList::normalised(admitted.iter().map(|(_, c, _)| c.iso2.clone())).into_vec();
    let cities: Vec<City> = admitted
        .iter()
        .map(|(city, country, region)| City::new(city, country, region.as_ref()))
        .collect();
    let intake = Cohort::from(cohort);
    let payload = CohortAdmitted {
        cohort: intake,
        cities: cities.clone(),
    };
    let mut drafts = vec![draft_with(&payload, regions, countries, cohort.id)?];
    for (city, (_, country, region)) in cities.into_iter().zip(admitted) {
        let payload = CityAdmitted {
            city,
            cohort: intake,
        };
        drafts.push(draft(&payload, region.as_ref(), country, cohort.id)?);
    }
    Ok(outbox::publish(txn, drafts).await?.1)
}

/// Publishes `city.withdrawn` for a city that left the network on `withdrawn_on`.
pub(super) async fn publish_withdrawal(
    txn: &DatabaseTransaction,
    city: &city::Model,
    country: &country::Model,
    region: Option<&region::Model>,
    withdrawn_on: NaiveDate,
) -> Result<(), DbErr> {
    let payload = CityWithdrawn {
        city: City::new(city, country, region),
        withdrawn_on,
    };
    let withdrawal = draft(&payload, region, country, city.cohort_id)?;
    outbox::publish(txn, vec![withdrawal]).await?;
    Ok(())
}

/// The event about one city, for the endpoints that filter on its region or its country.
fn draft(
    payload: &impl Payload,
    region: Option<&region::Model>,
    country: &country::Model,
    cohort_id: i32,
) -> Result<EventDraft, DbErr> {
    let regions = region.iter().map(|r| r.slug.clone()).collect();
    draft_with(payload, regions, vec![country.iso2.clone()], cohort_id)
}

/// The event carrying `payload`, concerning these region slugs and country codes.
fn draft_with<P: Payload>(
    payload: &P,
    regions: Vec<String>,
    countries: Vec<String>,
    cohort_id: i32,
) -> Result<EventDraft, DbErr> {
    let data =
        serde_json::to_value(payload).map_err(|e| DbErr::Custom(format!("event payload: {e}")))?;
    Ok(EventDraft {
        event_type: P::EVENT_TYPE,
        data,
        regions,
        countries,
        cohort_id: Some(cohort_id),
        endpoint_id: None,
    })
}
