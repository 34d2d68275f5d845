//! The processes that follow the data version by notification, each with the version it has
//! applied. PostgreSQL sends a change's notification to every listening process at commit,
//! but each applies it in its own time: a change's answer therefore waits until every live
//! listening process has applied it (as written here), so that whoever learns of the change
//! from that answer finds it in every process, the one that made it or another.
//!
//! A process joins before it listens (with no version applied, so changes committed from then
//! on wait for it), writes each version it applies, refreshes its `alive_until` while it
//! listens, and leaves when its listening connection is lost (it reads the version per
//! request meanwhile). One that stopped without leaving is waited for no more once its
//! `alive_until` has passed.

use std::time::Duration;

use entity::data_version_listener::{ActiveModel, Column, Entity};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use tokio::time::Instant;

use crate::clock::now_ms;
use crate::ids::random_id;

/// How often a listening process says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// How long a process counts as alive after it last said so.
const ALIVE_FOR: Duration = Duration::from_secs(15);
/// The first pause between two looks at the listeners; doubled up to the maximum.
const FIRST_POLL: Duration = Duration::from_millis(2);
const MAX_POLL: Duration = Duration::from_millis(50);

/// This process as a listener.
#[derive(Debug, Clone)]
pub struct Listener {
    process: String,
}

impl Listener {
    pub fn new() -> Self {
        Listener {
            process: random_id("process_", 9),
        }
    }

    /// Joins with no version applied, and forgets the processes long gone.
    pub async fn join(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let now = now_ms();
        Entity::delete_many()
            .filter(Column::AliveUntil.lt(now - ALIVE_FOR.as_millis() as i64))
            .exec(db)
            .await?;
        Entity::insert(ActiveModel {
            process: Set(self.process.clone()),
            version: Set(i64::MIN),
            alive_until: Set(alive_until()),
        })
        .on_conflict(
            OnConflict::column(Column::Process)
                .update_columns([Column::Version, Column::AliveUntil])
                .to_owned(),
        )
        .exec(db)
        .await?;
        Ok(())
    }

    /// Records that this process applies `version` (and is alive).
    pub async fn applied(&self, db: &DatabaseConnection, version: i64) -> Result<(), DbErr> {
        Entity::update_many()
            .col_expr(Column::Version, version.into())
            .col_expr(Column::AliveUntil, alive_until().into())
            .filter(Column::Process.eq(&self.process))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Says every [`HEARTBEAT`] that this process is alive, for as long as it runs (spawn it
    /// beside the listening connection, and stop it with that).
    pub async fn keep_alive(self, db: DatabaseConnection) {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            let said = Entity::update_many()
                .col_expr(Column::AliveUntil, alive_until().into())
                .filter(Column::Process.eq(&self.process))
                .exec(&db)
                .await;
            if let Err(error) = said {
                tracing::warn!(%error, "could not say this data-version listener is alive");
            }
        }
    }

    /// No longer waited for (best effort: if this fails, `alive_until` runs out).
    pub async fn leave(&self, db: &DatabaseConnection) {
        let left = Entity::delete_by_id(self.process.clone()).exec(db).await;
        if let Err(error) = left {
            tracing::debug!(%error, "could not leave the data-version listeners");
        }
    }
}

fn alive_until() -> i64 {
    now_ms() + ALIVE_FOR.as_millis() as i64
}

/// Waits until every live listening process has applied `committed`, or until `deadline`;
/// true if they all have.
pub async fn until_applied_everywhere(
    db: &impl ConnectionTrait,
    committed: i64,
    deadline: Instant,
) -> Result<bool, DbErr> {
    let mut pause = FIRST_POLL;
    loop {
        let behind = Entity::find()
            .filter(Column::Version.lt(committed))
            .filter(Column::AliveUntil.gt(now_ms()))
            .count(db)
            .await?;
        if behind == 0 {
            return Ok(true);
        }
        if Instant::now() + pause > deadline {
            return Ok(false);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_POLL);
    }
}
