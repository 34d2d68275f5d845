//! An endpoint's failing streak, moved by each attempt of its deliveries: cleared by a
//! success, started (or continued) by a failure, and the endpoint disabled on 410 Gone or
//! once it has failed for `--webhook-disable-after` without a success.
//!
//! Deliveries of one endpoint are attempted side by side, by several workers, from the
//! endpoint's row as each attempt found it. So the streak is moved in SQL (a failure starts
//! it only when none is running) and read back in the attempt's transaction, never written
//! from what the attempt read before it: a success recorded meanwhile is not undone. Only an
//! active endpoint is disabled: a paused one stays as its owner left it.

use std::time::Duration;

use entity::webhook_endpoint::{self, EndpointStatus};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};

use super::delivery::Outcome;

/// Moves the streak of endpoint `id` after an attempt with `outcome`, in the attempt's
/// transaction.
pub(super) async fn after_attempt(
    txn: &DatabaseTransaction,
    id: i32,
    outcome: &Outcome,
    now: i64,
    disable_after: Duration,
) -> Result<(), DbErr> {
    let endpoint =
        webhook_endpoint::Entity::update_many().filter(webhook_endpoint::Column::Id.eq(id));
    if outcome.succeeded() {
        // Only an endpoint that was failing is written: a healthy one's row is left alone
        // (not locked by every success of its concurrent deliveries).
        endpoint
            .col_expr(
                webhook_endpoint::Column::FailingSince,
                Expr::value(Option::<i64>::None),
            )
            .filter(webhook_endpoint::Column::FailingSince.is_not_null())
            .exec(txn)
            .await?;
        return Ok(());
    }
    let started = Func::coalesce([
        Expr::col(webhook_endpoint::Column::FailingSince),
        Expr::value(now),
    ]);
    endpoint
        .col_expr(webhook_endpoint::Column::FailingSince, started.into())
        .exec(txn)
        .await?;
    // Read back under the row's lock (PostgreSQL's, from the update; SQLite's, the writer's).
    let Some(endpoint) = webhook_endpoint::Entity::find_by_id(id).one(txn).await? else {
        return Ok(());
    };
    let failing_for =
        Duration::from_millis((now - endpoint.failing_since.unwrap_or(now)).max(0) as u64);
    let Some(reason) = disabled_reason(outcome, failing_for, disable_after) else {
        return Ok(());
    };
    if endpoint.status != EndpointStatus::Active {
        return Ok(());
    }
    tracing::warn!(endpoint = %endpoint.public_id, %reason, "webhook endpoint disabled");
    webhook_endpoint::Entity::update_many()
        .col_expr(
            webhook_endpoint::Column::Status,
            Expr::value(EndpointStatus::Disabled),
        )
        .col_expr(
            webhook_endpoint::Column::DisabledReason,
            Expr::value(reason),
        )
        .col_expr(webhook_endpoint::Column::UpdatedAt, Expr::value(now))
        .filter(webhook_endpoint::Column::Id.eq(id))
        .filter(webhook_endpoint::Column::Status.eq(EndpointStatus::Active))
        .exec(txn)
        .await?;
    Ok(())
}

/// Why a failed attempt disables its endpoint, if it does: it answered 410 Gone, or its
/// deliveries have failed for `disable_after` without a success.
pub(super) fn disabled_reason(
    outcome: &Outcome,
    failing_for: Duration,
    disable_after: Duration,
) -> Option<String> {
    if outcome.gone() {
        Some("the endpoint answered 410 Gone".to_owned())
    } else if failing_for >= disable_after {
        Some(format!(
            "deliveries have failed for {} without a success",
            in_words(failing_for)
        ))
    } else {
        None
    }
}

/// A duration as a person says it: "300 milliseconds", "90 seconds", "45 minutes", "30 hours", "5 days".
fn in_words(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0 => format!("{} milliseconds", duration.as_millis()),
        1..120 => format!("{seconds} seconds"),
        120..7200 => format!("{} minutes", seconds / 60),
        7200..172_800 => format!("{} hours", seconds / 3600),
        _ => format!("{} days", seconds / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16) -> Outcome {
        Outcome {
            status_code: Some(status),
            ..Outcome::default()
        }
    }

    #[test]
    fn a_410_disables_the_endpoint_at_once() {
        let reason = disabled_reason(&answered(410), Duration::ZERO, Duration::from_secs(3600));
        assert_eq!(reason.as_deref(), Some("the endpoint answered 410 Gone"));
    }

    #[test]
    fn an_endpoint_is_disabled_once_it_has_failed_for_disable_after() {
        let limit = Duration::from_secs(5 * 86_400);
        let almost = disabled_reason(&answered(500), limit - Duration::from_secs(1), limit);
        assert_eq!(almost, None);
        let reason = disabled_reason(&answered(500), limit, limit);
        assert_eq!(
            reason.as_deref(),
            Some("deliveries have failed for 5 days without a success")
        );
    }

    #[test]
    fn durations_read_in_the_largest_whole_unit_that_fits() {
        assert_eq!(in_words(Duration::from_millis(300)), "300 milliseconds");
        assert_eq!(in_words(Duration::from_secs(90)), "90 seconds");
        assert_eq!(in_words(Duration::from_secs(45 * 60)), "45 minutes");
        assert_eq!(in_words(Duration::from_secs(30 * 3600)), "30 hours");
        assert_eq!(in_words(Duration::from_secs(5 * 86_400)), "5 days");
    }
}
