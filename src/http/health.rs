//! `/healthz` (liveness: the process answers and so does the database) and `/readyz`
//! (readiness: the database answers and every migration is applied).

use actix_web::{HttpResponse, web};
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::database;

/// The connection health checks use: a pool of its own, so that they answer while the
/// API's connections are all busy, and are driven by the threads that answer them rather
/// than by the GraphQL executor's.
pub struct HealthDatabase(pub DatabaseConnection);

pub async fn healthz(db: web::Data<HealthDatabase>) -> HttpResponse {
    match database::ping(&db.0).await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ok" })),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            HttpResponse::ServiceUnavailable().json(json!({ "status": "database unreachable" }))
        }
    }
}

pub async fn readyz(db: web::Data<HealthDatabase>) -> HttpResponse {
    let db = &db.0;
    if let Err(error) = database::ping(db).await {
        tracing::error!(%error, "readiness: database unreachable");
        return HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "database unreachable" }));
    }
    match Migrator::get_pending_migrations_read_only(db).await {
        Ok(pending) if pending.is_empty() => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Ok(pending) => HttpResponse::ServiceUnavailable().json(json!({
            "status": "migrations pending",
            "pending": pending.iter().map(|m| m.name().to_owned()).collect::<Vec<_>>(),
        })),
        Err(error) => {
            tracing::error!(%error, "readiness: cannot read the applied migrations");
            HttpResponse::ServiceUnavailable().json(json!({ "status": "migrations unknown" }))
        }
    }
}
