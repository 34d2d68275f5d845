//! The data version: a number every admission and withdrawal raises inside its own
//! transaction. A cached answer is only served while the version it was made at is
//! still the current one, so no process sharing the database serves data a committed
//! change made stale. [`DataVersions`] tracks it for the response cache.

mod burst;
mod listeners;
mod tracking;
mod watching;

pub use tracking::DataVersions;

use entity::data_version;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, Statement};

/// The single row's id.
const ROW: i32 = 1;

/// The PostgreSQL channel every change of the version is notified on, with the new version
/// as its payload (see [`DataVersions`]).
pub const NOTIFY_CHANNEL: &str = "gnlc_data_version";

/// The PostgreSQL channel a transaction that records events notifies on (see
/// [`crate::webhooks::outbox::publish`]): each process's event hub reads them then. It is
/// listened to on the data version's connection: one listening connection per process.
pub const EVENTS_CHANNEL: &str = "gnlc_events";

/// The current version: one primary-key read.
pub async fn current(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    data_version::Entity::find_by_id(ROW)
        .one(db)
        .await?
        .map(|row| row.version)
        .ok_or_else(|| DbErr::RecordNotFound("the data_version row".into()))
}

/// Raises the version and returns the new one, in one statement; call it inside the
/// transaction that changes public data. On PostgreSQL the new version is notified to the
/// listening processes when (and only if) that transaction commits.
pub async fn bump(txn: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let backend = txn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "WITH bumped AS (UPDATE data_version SET version = version + 1 WHERE id = $1 RETURNING version)
             SELECT version, pg_notify($2, version::text) FROM bumped"
        }
        _ => "UPDATE data_version SET version = version + 1 WHERE id = ? RETURNING version",
    };
    let values = match backend {
        DbBackend::Postgres => vec![ROW.into(), NOTIFY_CHANNEL.into()],
        _ => vec![ROW.into()],
    };
    txn.query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the data_version row".into()))?
        .try_get("", "version")
}
