//! What `/metrics` tells of live updates: connections and subscriptions open, events pushed
//! to subscribers, and subscribers dropped for being too slow.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Shared handles: the transport moves them, `/metrics` reads them.
#[derive(Debug, Clone, Default)]
pub struct LiveMetrics {
    pub connections: Gauge,
    pub subscriptions: Gauge,
    pub events_pushed: Counter,
    pub subscribers_dropped: Counter,
}

impl LiveMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "subscription_connections",
            "WebSocket connections open",
            self.connections.clone(),
        );
        registry.register(
            "subscriptions",
            "Subscriptions running",
            self.subscriptions.clone(),
        );
        registry.register(
            "subscription_events_pushed",
            "Events pushed to subscribers",
            self.events_pushed.clone(),
        );
        registry.register(
            "subscribers_dropped",
            "Connections closed for falling too far behind",
            self.subscribers_dropped.clone(),
        );
    }
}

/// Counts one open thing (a connection, a subscription) until dropped.
#[derive(Debug)]
pub struct Open(Gauge);

impl Open {
    pub fn count(gauge: &Gauge) -> Self {
        gauge.inc();
        Open(gauge.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.dec();
    }
}
