//! Where GraphQL work runs: a runtime of its own, so that parsing, checking, validating,
//! executing and encoding a request never hold the threads that accept connections and
//! answer `/healthz`; and a bound on the values all the requests running at once may hold,
//! by their costs.

use std::future::Future;

use tokio::runtime::{Handle, Runtime};
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinHandle;

use crate::graphql::budget::Room;

pub struct Executor {
    /// Shut down in the background when the server goes (dropping a runtime may not block
    /// inside another one).
    runtime: Option<Runtime>,
    handle: Handle,
    room: Room,
}

impl Executor {
    /// A runtime of `threads` threads, and room for `capacity` values in flight.
    pub fn new(threads: usize, capacity: u64) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("gnlc-graphql")
            .on_thread_start(yield_to_other_threads)
            .enable_all()
            .build()?;
        Ok(Self {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            room: Room::new(capacity),
        })
    }

    /// Runs `work` on the executor's runtime. The work stops (at its next await) when the
    /// returned handle is dropped, e.g. when its request times out.
    pub fn spawn<F>(&self, work: F) -> Running<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Running(self.handle.spawn(work))
    }

    /// Waits until a request of this cost fits beside those running (see [`Room::admit`]).
    pub async fn admit(&self, cost: u64) -> Option<OwnedSemaphorePermit> {
        self.room.admit(cost).await
    }

    /// The room requests share, for work that runs elsewhere (a subscription's answers).
    pub fn room(&self) -> Room {
        self.room.clone()
    }
}

/// How much less the executor's threads are favoured than the rest of the process: GraphQL
/// work gives way to accepting connections and answering `/healthz` when the CPUs are
/// busy, and takes all they have left.
#[cfg(target_os = "linux")]
const NICENESS: libc::c_int = 5;

/// Lowers the calling thread's scheduling priority (Linux applies `setpriority` to one
/// thread); elsewhere the executor's threads keep the process's priority.
fn yield_to_other_threads() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: setpriority has no memory effects; `0` names the calling thread.
        let failed = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, NICENESS) } != 0;
        if failed {
            tracing::debug!(
                error = %std::io::Error::last_os_error(),
                "cannot lower the GraphQL executor's thread priority"
            );
        }
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Work running on the executor; aborted when dropped.
pub struct Running<T>(JoinHandle<T>);

impl<T> Running<T> {
    /// Its result, or why there is none (it panicked).
    pub async fn finish(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for Running<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn costs_wait_for_room_and_dropped_work_stops() {
        let executor = Executor::new(1, 10).unwrap();
        let big = executor.admit(8).await.unwrap();
        // 8 of 10 taken: 5 more must wait until the 8 are given back.
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), executor.admit(5));
        assert!(waiting.await.is_err());
        drop(big);
        let _fits = executor.admit(5).await.unwrap();
        // Over the whole room: waits for all of it, never for ever.
        assert_eq!(executor.room.available(), 5);

        let (sender, receiver) = tokio::sync::oneshot::channel::<()>();
        let running = executor.spawn(async move {
            let _keep = sender;
            std::future::pending::<()>().await;
        });
        drop(running);
        // The task was aborted: its sender is dropped.
        assert!(receiver.await.is_err());
        assert_eq!(executor.spawn(async { 7 }).finish().await.ok(), Some(7));
        let panicked = executor.spawn(async { panic!("a bug") }).finish().await;
        assert!(panicked.is_err_and(|error| error.is_panic()));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn graphql_work_gives_way_to_the_threads_that_answer_connections() {
        let executor = Executor::new(1, 10).unwrap();
        // SAFETY: getpriority has no memory effects; `0` names the calling thread.
        let niceness = || unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        let before = niceness();
        let on_executor = executor.spawn(async move { niceness() }).finish().await;
        assert_eq!(on_executor.ok(), Some(NICENESS));
        assert_eq!(niceness(), before, "the other threads keep their priority");
    }
}
