//! Live updates: the events partners get by webhook, pushed to subscribers as they are
//! committed by any process. One [`hub::EventHub`] per process reads them from the table
//! and fans them out; each subscriber's [`feed`] catches up from its cursor first. The
//! transports (`crate::http::websocket`) carry them to clients within [`settings`]' limits.

pub mod feed;
pub mod hub;
pub mod interest;
pub mod metrics;
pub mod settings;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::DatabaseConnection;
use tokio::sync::{Notify, watch};

use hub::EventHub;
use metrics::LiveMetrics;
use settings::SubscriptionSettings;

/// What live updates share in a process: the hub, the pool its subscribers' catch-ups read
/// on, the limits, the metrics, the open connections, and whether the process is stopping.
#[derive(Debug)]
pub struct Live {
    pub hub: Arc<EventHub>,
    pub db: DatabaseConnection,
    pub settings: SubscriptionSettings,
    pub metrics: LiveMetrics,
    connections: AtomicUsize,
    stopping: watch::Sender<bool>,
}

impl Live {
    pub fn new(
        hub: Arc<EventHub>,
        db: DatabaseConnection,
        settings: SubscriptionSettings,
        metrics: LiveMetrics,
    ) -> Arc<Self> {
        Arc::new(Self {
            hub,
            db,
            settings,
            metrics,
            connections: AtomicUsize::new(0),
            stopping: watch::Sender::new(false),
        })
    }

    /// A place for one more connection, unless the process holds its most already.
    pub fn open_connection(self: &Arc<Self>) -> Option<ConnectionSlot> {
        let max = self.settings.max_connections;
        self.connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < max).then_some(open + 1)
            })
            .ok()?;
        self.metrics.connections.inc();
        Some(ConnectionSlot(self.clone()))
    }

    /// The process is stopping: every connection closes (1001, Going Away).
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Completes once the process is stopping.
    pub async fn stopping(&self) {
        let mut stopping = self.stopping.subscribe();
        let _ = stopping.wait_for(|stopping| *stopping).await;
    }
}

/// One open connection, counted until dropped.
#[derive(Debug)]
pub struct ConnectionSlot(Arc<Live>);

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::AcqRel);
        self.0.metrics.connections.dec();
    }
}

/// Told when one of a connection's subscribers fell too far behind: the transport closes the
/// connection (its subscriptions resume from their cursors).
#[derive(Debug, Default)]
pub struct Overflow(Notify);

impl Overflow {
    pub fn report(&self) {
        self.0.notify_one();
    }

    pub async fn reported(&self) {
        self.0.notified().await;
    }
}
