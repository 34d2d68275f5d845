use std::time::Duration;

use entity::delivery::{self, DeliveryStatus};
use sea_orm::ActiveValue::Set;

use super::{Outcome, after_attempt, held_by, queued};
use crate::webhooks::schedule::RetrySchedule;
use crate::webhooks::settings::WebhookSettings;

const NOW: i64 = 1_000_000;
const DUE: i64 = 900_000;

fn pending() -> delivery::Model {
    delivery::Model {
        id: 1,
        event_id: 2,
        endpoint_id: 3,
        status: DeliveryStatus::Pending,
        attempt_count: 0,
        next_attempt_at: DUE,
        lease_until: Some(NOW + 60_000),
        leased_by: Some("worker_a".into()),
        last_status_code: None,
        created_at: DUE,
        updated_at: DUE,
    }
}

fn answered(status: u16) -> Outcome {
    Outcome {
        status_code: Some(status),
        excerpt: Some(String::new()),
        error: None,
        retry_after: None,
        duration: Duration::from_millis(20),
        signed: None,
    }
}

fn settings(schedule: &str) -> WebhookSettings {
    WebhookSettings {
        retry_schedule: schedule.parse::<RetrySchedule>().unwrap(),
        max_retry_after: Duration::from_secs(3600),
        ..WebhookSettings::default()
    }
}

#[test]
fn a_queued_delivery_is_pending_due_now_with_no_lease_or_attempt() {
    let queued = queued(7, 8, NOW);
    assert_eq!(queued.status, Set(DeliveryStatus::Pending));
    assert_eq!(queued.next_attempt_at, Set(NOW));
    assert_eq!(queued.attempt_count, Set(0));
    assert_eq!(queued.leased_by, Set(None));
    assert_eq!(queued.lease_until, Set(None));
}

#[test]
fn only_the_lease_holder_of_a_pending_delivery_holds_it() {
    assert!(held_by(&pending(), "worker_a"));
    assert!(!held_by(&pending(), "worker_b"));
    let released = delivery::Model {
        leased_by: None,
        ..pending()
    };
    assert!(!held_by(&released, "worker_a"));
    let done = delivery::Model {
        status: DeliveryStatus::Succeeded,
        ..pending()
    };
    assert!(!held_by(&done, "worker_a"));
}

#[test]
fn a_2xx_succeeds_and_keeps_the_due_time() {
    let next = after_attempt(&settings("5s"), &pending(), 1, &answered(204), NOW, 0.5);
    assert_eq!(next, (DeliveryStatus::Succeeded, DUE));
}

#[test]
fn a_failure_waits_for_the_schedule_then_fails_when_it_is_exhausted() {
    let settings = settings("5s,5m");
    // Jitter 0.5 is the scheduled delay itself.
    let first = after_attempt(&settings, &pending(), 1, &answered(500), NOW, 0.5);
    assert_eq!(first, (DeliveryStatus::Pending, NOW + 5_000));
    let second = after_attempt(&settings, &pending(), 2, &answered(500), NOW, 0.5);
    assert_eq!(second, (DeliveryStatus::Pending, NOW + 300_000));
    let third = after_attempt(&settings, &pending(), 3, &answered(500), NOW, 0.5);
    assert_eq!(third, (DeliveryStatus::Failed, DUE));
}

#[test]
fn retry_after_replaces_the_scheduled_delay() {
    let outcome = Outcome {
        retry_after: Some(Duration::from_secs(30)),
        ..answered(429)
    };
    let next = after_attempt(&settings("5s,5m"), &pending(), 1, &outcome, NOW, 0.5);
    assert_eq!(next, (DeliveryStatus::Pending, NOW + 30_000));
}

#[test]
fn a_410_fails_at_once() {
    let next = after_attempt(&settings("5s,5m"), &pending(), 1, &answered(410), NOW, 0.5);
    assert_eq!(next, (DeliveryStatus::Failed, DUE));
}
