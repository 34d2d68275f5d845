//! Following the data version on an SQLite file by watching the database's files: every
//! commit appends to the `-wal` file (and a checkpoint writes to the database file), so a
//! change of either is the moment to read the version again. One statement per change (or
//! per burst of them), none per request.
//!
//! The protocol is PostgreSQL's (see [`super::tracking`] and [`super::listeners`]): the
//! process joins the listening processes, watches, then reads the version (a change committed
//! before the watch is in that read, one after it changes a file), and writes each version
//! it applies. Writing that is itself a change of the `-wal` file, seen by every process: each
//! reads the version again, finds it the same, and writes nothing, so no process wakes
//! another for ever. Heartbeats cost every process one such read.

use std::convert::Infallible;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use tokio::sync::Notify;

use super::tracking::{DataVersions, ListenError};

/// The file of an SQLite database, as SQLite opened it (an absolute path); `None` for an
/// in-memory database, which no other process shares.
pub(super) async fn database_file(db: &DatabaseConnection) -> Result<Option<PathBuf>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT file FROM pragma_database_list WHERE name = 'main'",
        ))
        .await?;
    let file = match row {
        Some(row) => row.try_get::<Option<String>>("", "file")?,
        None => None,
    };
    Ok(file.filter(|file| !file.is_empty()).map(PathBuf::from))
}

/// Joins the listening processes, watches the database's files, reads the version, then
/// reads it again after each change of the files, until the watcher or the database fails.
pub(super) async fn watch_once(
    versions: &DataVersions,
    file: &Path,
    db: &DatabaseConnection,
) -> Result<Infallible, ListenError> {
    let _alive = versions.join(db).await?;
    let changes = Arc::new(Changes::default());
    // Watching until dropped.
    let _watcher = watch(file, changes.clone())?;
    let mut written = versions.start_following(db).await?;
    tracing::debug!(
        version = written,
        file = %file.display(),
        "following the data version by watching the database's files"
    );
    loop {
        // Changes while a read runs leave one wake-up behind: one more read, not one each.
        changes.changed.notified().await;
        if let Some(error) = changes.failure() {
            return Err(error.into());
        }
        // A commit may have recorded events too.
        versions.something_committed();
        // Only a version that rose is written: writing wakes every process again.
        versions
            .apply_and_write(db, super::current(db).await?, &mut written)
            .await?;
    }
}

/// What the watcher tells the following task.
#[derive(Debug, Default)]
struct Changes {
    /// Woken for each change of the database's files (one wake-up kept while none waits).
    changed: Notify,
    /// The watcher's error, if it failed.
    failed: Mutex<Option<notify::Error>>,
}

impl Changes {
    fn failure(&self) -> Option<notify::Error> {
        self.failed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }

    fn fail(&self, error: notify::Error) {
        *self
            .failed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(error);
    }
}

/// Watches the folder of the database `file` (so a `-wal` file created anew is seen too)
/// for changes of the database or its `-wal` file.
fn watch(file: &Path, changes: Arc<Changes>) -> Result<RecommendedWatcher, notify::Error> {
    let name = file
        .file_name()
        .ok_or_else(|| notify::Error::generic("the database's path names no file"))?;
    let mut wal = OsString::from(name);
    wal.push("-wal");
    let names = [name.to_owned(), wal];
    let folder = match file.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
        match event {
            Ok(event) if !changes_any(&event, &names) => return,
            Ok(_) => {}
            Err(error) => changes.fail(error),
        }
        changes.changed.notify_one();
    })?;
    watcher.watch(folder, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// Whether `event` may be a change of one of the files `names` (reading or opening one is
/// not; events lost to an overflow may be).
fn changes_any(event: &Event, names: &[OsString]) -> bool {
    if event.kind.is_access() {
        return false;
    }
    event.need_rescan()
        || event.paths.is_empty()
        || event.paths.iter().any(|path| {
            path.file_name()
                .is_some_and(|name| names.iter().any(|watched| watched == name))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::EventKind;
    use notify::event::{AccessKind, CreateKind, ModifyKind};

    fn event(kind: EventKind, path: &str) -> Event {
        Event::new(kind).add_path(PathBuf::from(path))
    }

    #[test]
    fn only_changes_of_the_database_and_its_wal_count() {
        let names = [
            OsString::from("gnlc.sqlite3"),
            OsString::from("gnlc.sqlite3-wal"),
        ];
        let modify = EventKind::Modify(ModifyKind::Any);
        assert!(changes_any(&event(modify, "/d/gnlc.sqlite3-wal"), &names));
        assert!(changes_any(&event(modify, "/d/gnlc.sqlite3"), &names));
        let created = EventKind::Create(CreateKind::File);
        assert!(changes_any(&event(created, "/d/gnlc.sqlite3-wal"), &names));
        assert!(!changes_any(&event(modify, "/d/gnlc.sqlite3-shm"), &names));
        assert!(!changes_any(&event(modify, "/d/other"), &names));
        let opened = EventKind::Access(AccessKind::Any);
        assert!(!changes_any(&event(opened, "/d/gnlc.sqlite3"), &names));
        let overflow = Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan);
        assert!(changes_any(&overflow, &names));
    }

    #[tokio::test]
    async fn an_in_memory_database_has_no_file() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        assert_eq!(database_file(&db).await.unwrap(), None);
    }
}
