//! Stopping on SIGINT (Ctrl-C) or SIGTERM, alike: the first signal asks for a graceful stop
//! (work in flight is finished), a second one for a stop at once.

use tokio::sync::watch;

/// The stop signals received so far, shared by everything that stops with the process.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<u32>);

impl Shutdown {
    /// Listens for SIGINT and SIGTERM from now on (the process no longer dies of them).
    pub fn on_signals() -> std::io::Result<Self> {
        let mut signals = Signals::new()?;
        let (count, received) = watch::channel(0);
        tokio::spawn(async move {
            loop {
                let name = signals.next().await;
                let n = {
                    count.send_modify(|n| *n += 1);
                    *count.borrow()
                };
                if n == 1 {
                    tracing::info!(
                        signal = name,
                        "stopping once the work in flight is done (signal again to stop at once)"
                    );
                } else {
                    tracing::warn!(signal = name, "stopping at once");
                }
            }
        });
        Ok(Self(received))
    }

    /// Completes once a graceful stop is asked for (a first signal).
    pub async fn requested(&self) {
        self.received(1).await;
    }

    /// Completes once a stop at once is asked for (a second signal).
    pub async fn forced(&self) {
        self.received(2).await;
    }

    async fn received(&self, n: u32) {
        let mut count = self.0.clone();
        if count.wait_for(|received| *received >= n).await.is_err() {
            // The listener is gone: no signal will ever come.
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn next(&mut self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
