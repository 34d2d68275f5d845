//! The processes that follow the data version by notification (PostgreSQL) or by watching the
//! database's files (SQLite), each with the version it has applied. Every such process learns
//! of a change at commit, but each applies it in its own time: a change's answer therefore
//! waits until every live listening process has applied it (as written here), so that whoever
//! learns of the change from that answer finds it in every process, the one that made it or
//! another.
//!
//! A process joins before it listens (with no version applied, so changes committed from then
//! on wait for it), writes each version it applies, refreshes its `alive_until` while it
//! listens, and leaves when its listening connection (or its file watcher) is lost (it reads
//! the version per request meanwhile). One that stopped without leaving is waited for no more
//! once its `alive_until` has passed.

use std::time::Duration;

use entity::data_version_listener::{ActiveModel, Column, Entity};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter,
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
/// On SQLite, the pause between two wake-up writes while processes are behind (see
/// [`nudge`]); doubled after each.
const NUDGE_PAUSE: Duration = Duration::from_millis(100);

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
/// true if they all have. On SQLite, processes behind are woken by a write (see [`nudge`]):
/// at once, then now and again while they stay behind.
pub async fn until_applied_everywhere(
    db: &impl ConnectionTrait,
    committed: i64,
    deadline: Instant,
) -> Result<bool, DbErr> {
    let mut pause = FIRST_POLL;
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    let (mut nudge_pause, mut next_nudge) = (NUDGE_PAUSE, Instant::now());
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
        if sqlite && Instant::now() >= next_nudge {
            nudge(db, committed).await?;
            next_nudge = Instant::now() + nudge_pause;
            nudge_pause *= 2;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_POLL);
    }
}

/// Writes to the rows of the live processes behind `committed` (one more millisecond alive): a
/// write after the change, so a fresh change of the `-wal` file in every watching process.
/// SQLite appends a commit to the `-wal` file a moment before readers can see it: a process
/// woken by that append may read the version just before the change shows, and would
/// otherwise wait for the next write (at most a heartbeat away). The value must change:
/// SQLite writes nothing for a row rewritten as it was.
async fn nudge(db: &impl ConnectionTrait, committed: i64) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::AliveUntil, Expr::col(Column::AliveUntil).add(1))
        .filter(Column::Version.lt(committed))
        .filter(Column::AliveUntil.gt(now_ms()))
        .exec(db)
        .await?;
    Ok(())
}
