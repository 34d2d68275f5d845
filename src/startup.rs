//! Builds the Actix application: routes, the per-request log line, and the listener.

use std::net::TcpListener;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse};
use sea_orm::{DatabaseConnection, DbErr};

use crate::config::Settings;
use crate::database::{self, StatementCounter};
use crate::graphql::{self, GnlcSchema};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database")]
    Database(#[source] DbErr),
    #[error("cannot apply migrations")]
    Migration(#[source] DbErr),
    #[error("cannot listen on {address}")]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
}

/// A built server, bound to its port and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    db: DatabaseConnection,
    statements: StatementCounter,
}

impl Application {
    /// Connects to the database, migrates and seeds it, and binds the listener
    /// (port 0 picks a free port: tests use that).
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let (db, statements) =
            database::connect(&settings.database_url, settings.database_max_connections)
                .await
                .map_err(StartupError::Database)?;
        database::migrate(&db)
            .await
            .map_err(StartupError::Migration)?;

        let address = format!("{}:{}", settings.host, settings.port);
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address, source })?
            .port();

        let schema = graphql::build_schema(db.clone());
        let state = web::Data::new(State {
            schema,
            db: db.clone(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(log_request))
                .route("/graphql", web::post().to(graphql_endpoint))
                .route("/graphql", web::get().to(graphql_endpoint))
                .route("/healthz", web::get().to(healthz))
        })
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            address: format!("port {port}"),
            source,
        })?
        .shutdown_timeout(10)
        .run();

        tracing::info!(port, "gnlc is listening");
        Ok(Self {
            port,
            server,
            db,
            statements,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Counts the SQL statements this server has run so far.
    pub fn statements(&self) -> StatementCounter {
        self.statements.clone()
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

struct State {
    schema: GnlcSchema,
    db: DatabaseConnection,
}

async fn graphql_endpoint(state: web::Data<State>, request: GraphQLRequest) -> GraphQLResponse {
    let request = graphql::request_data(request.into_inner(), &state.db);
    state.schema.execute(request).await.into()
}

async fn healthz(state: web::Data<State>) -> HttpResponse {
    match database::ping(&state.db).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({ "status": "database unreachable" }))
        }
    }
}

/// One log line per request: method, path, status and time taken.
async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.path().to_owned();
    let response = next.call(request).await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &response {
        Ok(response) => {
            tracing::info!(%method, %path, status = response.status().as_u16(), elapsed_ms, "request")
        }
        Err(error) => tracing::warn!(%method, %path, %error, elapsed_ms, "request failed"),
    }
    response
}
