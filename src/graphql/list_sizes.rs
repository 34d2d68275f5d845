//! The longest each plain list of the data is now, for the cost model: read in one
//! statement, and again whenever the data version this process knows of changes.

use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

use crate::data_version::DataVersions;

/// The longest each plain list of the data is now: what a plain list multiplies a query's
/// cost by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListSizes {
    pub regions: u64,
    pub cohorts: u64,
    pub countries_per_region: u64,
    pub cities_per_country: u64,
    pub cities_per_cohort: u64,
    /// All webhook endpoints (an admin sees every partner's).
    pub endpoints: u64,
    pub attempts_per_delivery: u64,
}

const SQL: &str = "SELECT
  (SELECT COUNT(*) FROM region) AS regions,
  (SELECT COUNT(*) FROM cohort) AS cohorts,
  (SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM country GROUP BY region_id) AS t) AS countries_per_region,
  (SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM city GROUP BY country_id) AS t) AS cities_per_country,
  (SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM city GROUP BY cohort_id) AS t) AS cities_per_cohort,
  (SELECT COUNT(*) FROM webhook_endpoint) AS endpoints,
  (SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM delivery_attempt GROUP BY delivery_id) AS t) AS attempts_per_delivery";

impl ListSizes {
    /// Reads them, in one statement.
    pub async fn read(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let backend = db.get_database_backend();
        let row = db
            .query_one_raw(Statement::from_string(backend, SQL))
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("list sizes".into()))?;
        let get = |column: &str| -> Result<u64, DbErr> {
            row.try_get::<i64>("", column).map(|n| n.max(0) as u64)
        };
        Ok(Self {
            regions: get("regions")?,
            cohorts: get("cohorts")?,
            countries_per_region: get("countries_per_region")?,
            cities_per_country: get("cities_per_country")?,
            cities_per_cohort: get("cities_per_cohort")?,
            endpoints: get("endpoints")?,
            attempts_per_delivery: get("attempts_per_delivery")?,
        })
    }
}

/// The sizes as of the data version the process last knew of: read again when it changes
/// (an admission or a withdrawal, here or in another process), never per request.
/// Webhook endpoints and attempts change without a data version: their sizes may lag, and
/// the response budget catches what that lets through.
pub struct KnownListSizes {
    db: DatabaseConnection,
    versions: Arc<DataVersions>,
    known: Mutex<(Option<i64>, ListSizes)>,
    reading: tokio::sync::Mutex<()>,
}

impl KnownListSizes {
    /// Reads the sizes once, at start.
    pub async fn new(db: DatabaseConnection, versions: Arc<DataVersions>) -> Result<Self, DbErr> {
        // Known before the sizes are read, so the first request finds them current.
        let version = versions.current().await;
        let sizes = ListSizes::read(&db).await?;
        Ok(Self {
            db,
            versions,
            known: Mutex::new((version, sizes)),
            reading: tokio::sync::Mutex::new(()),
        })
    }

    /// The sizes at the data version known now (read first if that version is new).
    pub async fn current(&self) -> ListSizes {
        let version = self.versions.known();
        if let Some(sizes) = self.at(version) {
            return sizes;
        }
        // One read at a time: requests arriving meanwhile take its result.
        let _reading = self.reading.lock().await;
        if let Some(sizes) = self.at(version) {
            return sizes;
        }
        match ListSizes::read(&self.db).await {
            Ok(sizes) => {
                *self.lock() = (version, sizes);
                sizes
            }
            Err(error) => {
                // Costs stay as they were; the response budget still bounds each answer.
                tracing::warn!(%error, "cannot read the list sizes; keeping the last ones");
                self.lock().1
            }
        }
    }

    fn at(&self, version: Option<i64>) -> Option<ListSizes> {
        let known = self.lock();
        (known.0 == version).then_some(known.1)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Option<i64>, ListSizes)> {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
