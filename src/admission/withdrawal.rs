//! Withdrawing a city: the date it left the network, and the `city.withdrawn` event
//! partners are notified of, in one transaction.

use chrono::NaiveDate;
use entity::{city, country, region};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter,
};

use super::{AdmissionError, events};
use crate::after_commit::AfterCommit;

/// What a withdrawal did.
#[derive(Debug, Clone)]
pub struct Withdrawal {
    pub city: city::Model,
    /// Whether this call recorded it (rather than finding it recorded with that date).
    pub changed: bool,
}

/// Records that a city left the network on a date. Doing it again with the same date
/// changes nothing; with another date it is refused.
pub async fn withdraw(
    db: &DatabaseConnection,
    slug: &str,
    on: NaiveDate,
    after: &AfterCommit,
) -> Result<Withdrawal, AdmissionError> {
    let (city, data_version) = withdraw_in_one_transaction(db, slug, on).await?;
    if let Some(version) = data_version {
        after.data_changed(version).await;
    }
    Ok(Withdrawal {
        city,
        changed: data_version.is_some(),
    })
}

/// The withdrawal, with the data version it committed (none when nothing changed).
async fn withdraw_in_one_transaction(
    db: &DatabaseConnection,
    slug: &str,
    on: NaiveDate,
) -> Result<(city::Model, Option<i64>), AdmissionError> {
    let txn = crate::database::begin_write(db).await?;
    // The empty string names no city (see `membership::city_by_slug`).
    let found = match slug {
        "" => None,
        slug => {
            city::Entity::find()
                .filter(city::Column::Slug.eq(slug))
                .one(&txn)
                .await?
        }
    };
    let city = found.ok_or_else(|| AdmissionError::UnknownCity(slug.to_owned()))?;
    match city.withdrawn_on {
        Some(date) if date == on => return Ok((city, None)),
        Some(date) => return Err(AdmissionError::AlreadyWithdrawn(city.name, date)),
        None => {}
    }
    let mut active: city::ActiveModel = city.into();
    active.withdrawn_on = Set(Some(on));
    let city = active.update(&txn).await?;
    let (country, region) = country::Entity::find_by_id(city.country_id)
        .find_also_related(region::Entity)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the city's country".into()))?;
    events::publish_withdrawal(&txn, &city, &country, region.as_ref(), on).await?;
    let data_version = crate::data_version::bump(&txn).await?;
    txn.commit().await?;
    Ok((city, Some(data_version)))
}
