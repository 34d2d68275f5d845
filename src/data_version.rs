//! The data version: a number every admission and withdrawal raises inside its own
//! transaction. A cached answer is only served while the version it was made at is
//! still the current one, so no process sharing the database serves data a committed
//! change made stale.

use entity::data_version;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, Statement,
};

/// The single row's id.
const ROW: i32 = 1;

/// The PostgreSQL channel every change of the version is notified on, with the new version
/// as its payload (see `http::version`).
pub const NOTIFY_CHANNEL: &str = "gnlc_data_version";

/// The current version: one primary-key read.
pub async fn current(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    data_version::Entity::find_by_id(ROW)
        .one(db)
        .await?
        .map(|row| row.version)
        .ok_or_else(|| DbErr::RecordNotFound("the data_version row".into()))
}

/// Raises the version; call it inside the transaction that changes public data. On
/// PostgreSQL the new version is notified to the listening processes when (and only if)
/// that transaction commits.
pub async fn bump(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    data_version::Entity::update_many()
        .col_expr(
            data_version::Column::Version,
            Expr::col(data_version::Column::Version).add(1),
        )
        .filter(data_version::Column::Id.eq(ROW))
        .exec(txn)
        .await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, version::text) FROM data_version WHERE id = $2",
            [NOTIFY_CHANNEL.into(), ROW.into()],
        ))
        .await?;
    }
    Ok(())
}
