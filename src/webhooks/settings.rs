//! The notifier's settings, from `--webhook-*` flags with `GNLC_WEBHOOK_*` environment
//! fallbacks, and the combinations it refuses.

use std::time::Duration;

use clap::Args;

use super::schedule::{BadDuration, RetrySchedule, parse_duration};

/// The notifier's settings.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(next_help_heading = "Webhooks")]
pub struct WebhookSettings {
    /// Allow webhook endpoints on loopback, private, link-local and other non-public
    /// addresses (intranets, tests). Off by default.
    #[arg(
        long = "webhook-allow-private-targets",
        env = "GNLC_WEBHOOK_ALLOW_PRIVATE_TARGETS"
    )]
    pub allow_private_targets: bool,
    /// Delays between attempts of a failing delivery, comma-separated (ms, s, m, h, d).
    #[arg(long = "webhook-retry-schedule", env = "GNLC_WEBHOOK_RETRY_SCHEDULE", default_value = "5s,5m,30m,2h,5h,10h,10h", value_parser = parse_schedule)]
    pub retry_schedule: RetrySchedule,
    /// Time limit of one delivery attempt.
    #[arg(long = "webhook-timeout", env = "GNLC_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Longest `Retry-After` honoured (longer ones are cut to this).
    #[arg(long = "webhook-max-retry-after", env = "GNLC_WEBHOOK_MAX_RETRY_AFTER", default_value = "1h", value_parser = parse_duration)]
    pub max_retry_after: Duration,
    /// An endpoint whose deliveries fail without a success for this long is disabled.
    #[arg(long = "webhook-disable-after", env = "GNLC_WEBHOOK_DISABLE_AFTER", default_value = "5d", value_parser = parse_duration)]
    pub disable_after: Duration,
    /// How long a worker holds a claimed delivery; a delivery whose worker died is taken
    /// up again after it. Must exceed the attempt time limit.
    #[arg(long = "webhook-lease", env = "GNLC_WEBHOOK_LEASE", default_value = "60s", value_parser = parse_duration)]
    pub lease: Duration,
    /// How often an idle worker looks for due deliveries.
    #[arg(long = "webhook-poll-interval", env = "GNLC_WEBHOOK_POLL_INTERVAL", default_value = "1s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// Most deliveries one worker attempts at once.
    #[arg(
        long = "webhook-concurrency",
        env = "GNLC_WEBHOOK_CONCURRENCY",
        default_value_t = 64
    )]
    pub concurrency: usize,
    /// Most attempts one worker makes at once to any one endpoint.
    #[arg(
        long = "webhook-endpoint-concurrency",
        env = "GNLC_WEBHOOK_ENDPOINT_CONCURRENCY",
        default_value_t = 4
    )]
    pub endpoint_concurrency: usize,
    /// Whether `gnlc serve` runs the delivery worker (its `--worker` flag).
    #[arg(skip = true)]
    pub run_worker: bool,
    /// Send deliveries through this HTTP proxy (`http://HOST:PORT`), which must then enforce
    /// the address policy itself. Without it, deliveries ignore `HTTP_PROXY`, `HTTPS_PROXY`
    /// and `ALL_PROXY`, and connect directly.
    #[arg(long = "webhook-proxy", env = "GNLC_WEBHOOK_PROXY", value_parser = parse_proxy)]
    pub proxy: Option<url::Url>,
    /// Most webhook endpoints one account (a partner) may have.
    // A partner rarely needs more than a few endpoints; the cap bounds the fan-out one
    // token can cause.
    #[arg(
        long = "webhook-max-endpoints-per-partner",
        env = "GNLC_WEBHOOK_MAX_ENDPOINTS_PER_PARTNER",
        default_value_t = 20
    )]
    pub max_endpoints_per_partner: u64,
}

fn parse_proxy(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "`{text}` is not an HTTP proxy's URL (http://HOST:PORT or https://HOST:PORT)"
        ));
    }
    Ok(url)
}

fn parse_schedule(text: &str) -> Result<RetrySchedule, String> {
    text.parse().map_err(|e: BadDuration| e.to_string())
}

impl Default for WebhookSettings {
    /// The flags' defaults.
    fn default() -> Self {
        crate::flags::defaults()
    }
}

/// Notifier settings that cannot work, alone or together: refused at start, before anything
/// runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidWebhookSettings {
    #[error("{flag} must be at least {least}")]
    TooSmall {
        flag: &'static str,
        least: &'static str,
    },
    #[error(
        "--webhook-lease ({lease}) must be longer than --webhook-timeout ({timeout}): a worker \
         holds a delivery for its lease, so an attempt still running when the lease ends is \
         claimed and sent again by another worker, and copies of one delivery run at once"
    )]
    LeaseNotLongerThanTimeout { lease: String, timeout: String },
}

/// A duration as the flags spell it: `1500ms`, `90s`.
fn spelled(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

impl WebhookSettings {
    /// Refuses settings the notifier cannot work with (see [`InvalidWebhookSettings`]).
    /// Called by `Application::build` (through `Settings::validate`) and by `gnlc worker`.
    pub fn validate(&self) -> Result<(), InvalidWebhookSettings> {
        let too_small = |flag, least| Err(InvalidWebhookSettings::TooSmall { flag, least });
        if self.timeout.is_zero() {
            return too_small("--webhook-timeout", "1ms");
        }
        if self.poll_interval.is_zero() {
            // An idle worker would claim in a loop, one statement after another.
            return too_small("--webhook-poll-interval", "1ms");
        }
        if self.max_retry_after < Duration::from_secs(1) {
            // A `Retry-After` is honoured for at least 1 s: a lower ceiling contradicts it.
            return too_small("--webhook-max-retry-after", "1s");
        }
        if self.concurrency == 0 {
            return too_small("--webhook-concurrency", "1");
        }
        if self.endpoint_concurrency == 0 {
            return too_small("--webhook-endpoint-concurrency", "1");
        }
        if self.lease <= self.timeout {
            return Err(InvalidWebhookSettings::LeaseNotLongerThanTimeout {
                lease: spelled(self.lease),
                timeout: spelled(self.timeout),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The notifier's settings with `flags` set, the others at their defaults.
    fn webhooks(flags: &[&str]) -> WebhookSettings {
        crate::flags::parse(flags).unwrap()
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let (s, m, h) = (
            Duration::from_secs(1),
            Duration::from_secs(60),
            Duration::from_secs(3600),
        );
        let documented = WebhookSettings {
            allow_private_targets: false,
            retry_schedule: RetrySchedule(vec![5 * s, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 10 * h]),
            timeout: 10 * s,
            max_retry_after: h,
            disable_after: 5 * 24 * h,
            lease: 60 * s,
            poll_interval: s,
            concurrency: 64,
            endpoint_concurrency: 4,
            run_worker: true,
            proxy: None,
            max_endpoints_per_partner: 20,
        };
        assert_eq!(WebhookSettings::default(), documented);
        assert_eq!(webhooks(&[]), documented);
        assert_eq!(documented.validate(), Ok(()));
    }

    #[test]
    fn flags_parse() {
        let settings = webhooks(&[
            "--webhook-retry-schedule",
            "100ms,1s",
            "--webhook-timeout",
            "2s",
            "--webhook-allow-private-targets",
        ]);
        assert_eq!(
            settings.retry_schedule,
            RetrySchedule(vec![Duration::from_millis(100), Duration::from_secs(1)])
        );
        assert_eq!(settings.timeout, Duration::from_secs(2));
        assert!(settings.allow_private_targets);
        let parse = crate::flags::parse::<WebhookSettings>;
        assert!(parse(&["--webhook-retry-schedule", "soon"]).is_err());
        // `--worker` is serve's, not the notifier's.
        assert!(parse(&["--worker", "false"]).is_err());
    }

    #[test]
    fn the_webhook_proxy_and_endpoint_cap_parse() {
        let settings = webhooks(&[
            "--webhook-proxy",
            "http://egress.internal:3128",
            "--webhook-max-endpoints-per-partner",
            "3",
        ]);
        assert_eq!(
            settings.proxy.map(|url| url.to_string()),
            Some("http://egress.internal:3128/".to_owned())
        );
        assert_eq!(settings.max_endpoints_per_partner, 3);
        let parse = crate::flags::parse::<WebhookSettings>;
        assert!(parse(&["--webhook-proxy", "socks5://x:1"]).is_err());
        assert!(parse(&["--webhook-proxy", "egress:3128"]).is_err());
    }

    #[test]
    fn a_lease_not_longer_than_the_time_out_is_refused() {
        for (lease, timeout) in [("10s", "10s"), ("5s", "10s"), ("60s", "2m")] {
            let refused = webhooks(&["--webhook-lease", lease, "--webhook-timeout", timeout])
                .validate()
                .unwrap_err();
            assert!(
                matches!(
                    refused,
                    InvalidWebhookSettings::LeaseNotLongerThanTimeout { .. }
                ),
                "{lease} / {timeout}: {refused}"
            );
            let message = refused.to_string();
            assert!(
                message.contains("--webhook-lease") && message.contains("--webhook-timeout"),
                "{message}"
            );
        }
        let refused = webhooks(&["--webhook-lease", "1500ms", "--webhook-timeout", "2s"])
            .validate()
            .unwrap_err();
        assert!(
            refused
                .to_string()
                .starts_with("--webhook-lease (1500ms) must be longer than --webhook-timeout (2s)"),
            "{refused}"
        );
        assert_eq!(
            webhooks(&["--webhook-lease", "11s", "--webhook-timeout", "10s"]).validate(),
            Ok(())
        );
    }

    #[test]
    fn settings_that_cannot_work_are_refused_with_their_flag() {
        for (flags, flag) in [
            (
                &["--webhook-timeout", "0s"][..],
                "--webhook-timeout must be at least 1ms",
            ),
            (
                &["--webhook-poll-interval", "0ms"][..],
                "--webhook-poll-interval must be at least 1ms",
            ),
            (
                &["--webhook-max-retry-after", "500ms"][..],
                "--webhook-max-retry-after must be at least 1s",
            ),
            (
                &["--webhook-concurrency", "0"][..],
                "--webhook-concurrency must be at least 1",
            ),
            (
                &["--webhook-endpoint-concurrency", "0"][..],
                "--webhook-endpoint-concurrency must be at least 1",
            ),
        ] {
            let refused = webhooks(flags).validate().unwrap_err().to_string();
            assert_eq!(refused, flag, "{flags:?}");
        }
    }
}
