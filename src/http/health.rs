//! `/healthz` (liveness: the process answers and so does the database) and `/readyz`
//! (readiness: the database answers and every migration is applied).

use actix_web::{HttpResponse, web};
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::database;

pub async fn healthz(db: web::Data<DatabaseConnection>) -> HttpResponse {
    match database::ping(&db).await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ok" })),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            HttpResponse::ServiceUnavailable().json(json!({ "status": "database unreachable" }))
        }
    }
}

pub async fn readyz(db: web::Data<DatabaseConnection>) -> HttpResponse {
    if let Err(error) = database::ping(&db).await {
        tracing::error!(%error, "readiness: database unreachable");
        return HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "database unreachable" }));
    }
    match Migrator::get_pending_migrations_read_only(db.get_ref()).await {
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
