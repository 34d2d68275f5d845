//! When to try a failed delivery again: a schedule of delays with jitter, and the
//! endpoint's own `Retry-After` within bounds.

use std::str::FromStr;
use std::time::Duration;

/// The delays after each failed attempt; after the last, the delivery has failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(pub Vec<Duration>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a duration such as 500ms, 5s, 5m, 2h")]
pub struct BadDuration(pub String);

/// Parses `500ms`, `5s`, `5m`, `2h` or `1d`.
pub fn parse_duration(text: &str) -> Result<Duration, BadDuration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| BadDuration(text.to_owned()))?;
    let unit_ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(BadDuration(text.to_owned())),
    };
    Ok(Duration::from_millis(n.saturating_mul(unit_ms)))
}

impl FromStr for RetrySchedule {
    type Err = BadDuration;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.trim().is_empty() {
            return Ok(Self(Vec::new())); // no retries
        }
        text.split(',')
            .map(parse_duration)
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl RetrySchedule {
    /// The delay before the next attempt after `failed_attempts` failures, or `None` when
    /// the schedule is exhausted. `jitter` in [0, 1) spreads it by ±20 %; a `Retry-After`
    /// from the endpoint replaces it, clamped to [1 s, `max_retry_after`].
    pub fn next_delay(
        &self,
        failed_attempts: usize,
        retry_after: Option<Duration>,
        max_retry_after: Duration,
        jitter: f64,
    ) -> Option<Duration> {
        let scheduled = *self.0.get(failed_attempts.checked_sub(1)?)?;
        if let Some(asked) = retry_after {
            return Some(asked.clamp(
                Duration::from_secs(1),
                max_retry_after.max(Duration::from_secs(1)),
            ));
        }
        Some(scheduled.mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0)))
    }
}

/// A `Retry-After` header: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (date.with_timezone(&chrono::Utc) - now).to_std().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_and_run_out() {
        let schedule: RetrySchedule = "100ms,2s,5m".parse().unwrap();
        assert_eq!(
            schedule.0,
            [
                Duration::from_millis(100),
                Duration::from_secs(2),
                Duration::from_secs(300)
            ]
        );
        let max = Duration::from_secs(3600);
        assert_eq!(
            schedule.next_delay(1, None, max, 0.5),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            schedule.next_delay(3, None, max, 0.0),
            Some(Duration::from_secs(240))
        );
        assert_eq!(schedule.next_delay(4, None, max, 0.5), None);
        let default = crate::webhooks::settings::WebhookSettings::default().retry_schedule;
        assert_eq!(
            default.0.len(),
            7,
            "Svix's schedule: eight attempts over ~28 h"
        );
        assert!("5x".parse::<RetrySchedule>().is_err());
        assert!("".parse::<RetrySchedule>().unwrap().0.is_empty());
    }

    #[test]
    fn retry_after_is_honoured_within_bounds() {
        let schedule: RetrySchedule = "1s,1s".parse().unwrap();
        let max = Duration::from_secs(60);
        assert_eq!(
            schedule.next_delay(1, Some(Duration::from_secs(7)), max, 0.5),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            schedule.next_delay(1, Some(Duration::from_secs(7200)), max, 0.5),
            Some(max)
        );
        assert_eq!(
            schedule.next_delay(1, Some(Duration::ZERO), max, 0.5),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            schedule.next_delay(3, Some(Duration::from_secs(7)), max, 0.5),
            None
        );
        let now = chrono::DateTime::parse_from_rfc2822("Wed, 25 Nov 2026 16:00:00 GMT")
            .unwrap()
            .to_utc();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 16:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
