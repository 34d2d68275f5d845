use super::*;

/// A database without the data version: every read fails, so an answer can only come
/// from notifications.
async fn versions() -> Arc<DataVersions> {
    let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
    DataVersions::new(db)
}

#[tokio::test]
async fn a_notified_version_needs_no_read() {
    let versions = versions().await;
    assert_eq!(
        versions.current().await,
        None,
        "not notified: a read, which fails"
    );
    versions.notified.send_replace(Some(7));
    assert_eq!(versions.current().await, Some(7));
}

#[tokio::test]
async fn a_change_is_answered_once_its_notification_is_in() {
    let versions = versions().await;
    versions.notified.send_replace(Some(7));
    let waiting = tokio::spawn({
        let versions = versions.clone();
        async move { versions.wait_until_known_everywhere(8).await }
    });
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished(), "version 8 is not notified yet");
    versions.notified.send_replace(Some(8));
    tokio::time::timeout(Duration::from_secs(1), waiting)
        .await
        .expect("caught up once notified")
        .unwrap();
    // Not following notifications (reads serve every request): nothing to wait for.
    versions.notified.send_replace(None);
    tokio::time::timeout(
        Duration::from_millis(100),
        versions.wait_until_known_everywhere(9),
    )
    .await
    .expect("no wait without notifications");
}
