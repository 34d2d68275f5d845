//! Builds the Actix application: routes, the per-request log line, and the listener.

use std::net::TcpListener;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, Either, HttpRequest, HttpResponse, HttpServer, web};
use async_graphql::ErrorExtensions;
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse};
use sea_orm::{DatabaseConnection, DbErr};

use crate::access::{self, AccessError, Principal};
use crate::config::Settings;
use crate::database::{self, StatementCounter};
use crate::graphql::{self, GnlcSchema};
use crate::webhooks::worker::{Wakeup, Worker, WorkerError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database")]
    Database(#[source] DbErr),
    #[error("cannot apply migrations")]
    Migration(#[source] DbErr),
    #[error("cannot start the delivery worker")]
    Worker(#[source] WorkerError),
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
    worker: Option<tokio::task::JoinHandle<()>>,
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

        let wakeup = Wakeup::default();
        let schema = graphql::build_schema(db.clone(), settings.webhooks.clone(), wakeup.clone());
        let worker = if settings.webhooks.run_worker {
            // Its own pool: deliveries never wait for the API's connections, nor the API
            // for theirs.
            let (worker_db, _) =
                database::connect(&settings.database_url, settings.database_max_connections)
                    .await
                    .map_err(StartupError::Database)?;
            let worker = Worker::new(worker_db, settings.webhooks.clone(), wakeup)
                .map_err(StartupError::Worker)?;
            Some(tokio::spawn(worker.run(std::future::pending())))
        } else {
            None
        };
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
            worker,
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

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight. The delivery
    /// worker stops with it; deliveries it had in flight are taken up again after their
    /// lease, by this or another process.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(worker) = self.worker {
            worker.abort();
        }
        result
    }
}

struct State {
    schema: GnlcSchema,
    db: DatabaseConnection,
}

async fn graphql_endpoint(
    state: web::Data<State>,
    http: HttpRequest,
    request: GraphQLRequest,
) -> Either<HttpResponse, GraphQLResponse> {
    let principal = match authenticate(&state.db, &http).await {
        Ok(principal) => principal,
        Err(refusal) => return Either::Left(refusal),
    };
    let request = graphql::request_data(request.into_inner(), &state.db, principal);
    Either::Right(state.schema.execute(request).await.into())
}

/// Who the request acts for. A request with a bad token is refused whole (401), never
/// served as anonymous: nothing it asked for happens.
async fn authenticate(
    db: &DatabaseConnection,
    http: &HttpRequest,
) -> Result<Principal, HttpResponse> {
    let header = match http.headers().get(AUTHORIZATION).map(|v| v.to_str()) {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => return Err(refusal(&AccessError::MalformedHeader)),
    };
    access::authenticate(db, header)
        .await
        .map_err(|error| refusal(&error))
}

fn refusal(error: &AccessError) -> HttpResponse {
    let graphql_error = error.extend();
    let (status, code) = match error {
        AccessError::Database(_) => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
        _ => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
    };
    let body = serde_json::json!({
        "errors": [{ "message": graphql_error.message, "extensions": { "code": code } }]
    });
    HttpResponse::build(status)
        .insert_header((WWW_AUTHENTICATE, "Bearer"))
        .json(body)
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
