//! The limits of live updates, from `--subscription-*` flags with `GNLC_SUBSCRIPTION_*`
//! environment fallbacks: an anonymous client may open sockets, so each is bounded.

use std::time::Duration;

use clap::Args;
use clap::builder::TypedValueParser;

use crate::webhooks::schedule::parse_duration;

#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(next_help_heading = "Subscriptions")]
pub struct SubscriptionSettings {
    /// Most WebSocket connections one process keeps open; past it an upgrade is answered
    /// 503. 0 turns subscriptions off.
    #[arg(
        id = "subscription_max_connections",
        long = "subscription-max-connections",
        env = "GNLC_SUBSCRIPTION_MAX_CONNECTIONS",
        default_value_t = 1000
    )]
    pub max_connections: usize,
    /// Most operations (subscriptions and queries) running at once on one connection.
    #[arg(id = "subscription_max_per_connection", long = "subscription-max-per-connection", env = "GNLC_SUBSCRIPTION_MAX_PER_CONNECTION",
          default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    pub max_per_connection: usize,
    /// Events a subscriber may fall behind before it is closed (4508) to resume with its
    /// cursor; the events are held once for all subscribers of the process. Keep it above
    /// the events of the largest admission (one per city, and one for the cohort).
    #[arg(id = "subscription_buffer", long = "subscription-buffer", env = "GNLC_SUBSCRIPTION_BUFFER", default_value_t = 1024,
          value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    pub buffer: usize,
    /// How long a new connection may take to send `connection_init` (4408 after).
    #[arg(id = "subscription_init_timeout", long = "subscription-init-timeout", env = "GNLC_SUBSCRIPTION_INIT_TIMEOUT",
          default_value = "5s", value_parser = parse_duration)]
    pub init_timeout: Duration,
    /// How often the server pings a connection (the protocol's `ping`).
    #[arg(id = "subscription_keepalive", long = "subscription-keepalive", env = "GNLC_SUBSCRIPTION_KEEPALIVE",
          default_value = "15s", value_parser = parse_duration)]
    pub keepalive: Duration,
    /// A connection is closed after this long without an operation running, or without a
    /// message from the client (a live client answers pings); a send blocked this long
    /// (a client not reading) drops it.
    #[arg(id = "subscription_idle_timeout", long = "subscription-idle-timeout", env = "GNLC_SUBSCRIPTION_IDLE_TIMEOUT",
          default_value = "60s", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// How often the process looks for events it was not told of (others' commits whose
    /// notification was lost), while it has subscribers.
    #[arg(id = "subscription_poll_interval", long = "subscription-poll-interval", env = "GNLC_SUBSCRIPTION_POLL_INTERVAL",
          default_value = "1s", value_parser = parse_duration)]
    pub poll_interval: Duration,
}

impl SubscriptionSettings {
    /// The flag of a time that cannot be zero and is (a timer of zero would spin).
    pub fn zero_timer(&self) -> Option<&'static str> {
        [
            (self.init_timeout, "--subscription-init-timeout"),
            (self.keepalive, "--subscription-keepalive"),
            (self.idle_timeout, "--subscription-idle-timeout"),
            (self.poll_interval, "--subscription-poll-interval"),
        ]
        .into_iter()
        .find(|(time, _)| time.is_zero())
        .map(|(_, flag)| flag)
    }
}

impl Default for SubscriptionSettings {
    /// The flags' defaults.
    fn default() -> Self {
        crate::flags::defaults()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags;

    #[test]
    fn the_defaults_are_the_documented_ones() {
        assert_eq!(
            SubscriptionSettings::default(),
            SubscriptionSettings {
                max_connections: 1000,
                max_per_connection: 20,
                buffer: 1024,
                init_timeout: Duration::from_secs(5),
                keepalive: Duration::from_secs(15),
                idle_timeout: Duration::from_secs(60),
                poll_interval: Duration::from_secs(1),
            }
        );
    }

    #[test]
    fn flags_parse_and_zero_limits_are_refused() {
        let settings = flags::parse::<SubscriptionSettings>(&[
            "--subscription-buffer",
            "2",
            "--subscription-init-timeout",
            "300ms",
        ])
        .unwrap();
        assert_eq!(settings.buffer, 2);
        assert_eq!(settings.init_timeout, Duration::from_millis(300));
        for zero in ["--subscription-buffer", "--subscription-max-per-connection"] {
            assert!(
                flags::parse::<SubscriptionSettings>(&[zero, "0"]).is_err(),
                "{zero}"
            );
        }
    }
}
