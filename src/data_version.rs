//! The data version: a number every admission and withdrawal raises inside its own
//! transaction. A cached answer is only served while the version it was made at is
//! still the current one, so no process sharing the database serves data a committed
//! change made stale.

use entity::data_version;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// The single row's id.
const ROW: i32 = 1;

/// The current version: one primary-key read.
pub async fn current(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    data_version::Entity::find_by_id(ROW)
        .one(db)
        .await?
        .map(|row| row.version)
        .ok_or_else(|| DbErr::RecordNotFound("the data_version row".into()))
}

/// Raises the version; call it inside the transaction that changes public data.
pub async fn bump(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    data_version::Entity::update_many()
        .col_expr(
            data_version::Column::Version,
            Expr::col(data_version::Column::Version).add(1),
        )
        .filter(data_version::Column::Id.eq(ROW))
        .exec(txn)
        .await?;
    Ok(())
}
