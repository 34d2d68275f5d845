//! Builds the Actix application: routes, middleware, the per-request log line, and the
//! listener. The handlers live in `crate::http`.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpMessage, HttpServer, guard, web};
use sea_orm::{DatabaseConnection, DbErr};

use crate::after_commit::AfterCommit;
use crate::config::{InvalidSettings, Settings};
use crate::console::{self, Console};
use crate::data_version::DataVersions;
use crate::database::{self, StatementCounter};
use crate::graphql;
use crate::graphql::cost::CostModel;
use crate::graphql::list_sizes::KnownListSizes;
use crate::http::cache::ResponseCache;
use crate::http::executor::Executor;
use crate::http::graphiql::GraphiQL;
use crate::http::graphql::GraphQLService;
use crate::http::health::HealthDatabase;
use crate::http::metrics::{Metrics, Operation};
use crate::http::persisted::PersistedQueries;
use crate::http::request_id::RequestId;
use crate::http::{cors, graphiql, health, metrics, request_id, security_headers, sse, websocket};
use crate::pagination::Cursors;
use crate::shutdown::Shutdown;
use crate::subscriptions::Live;
use crate::subscriptions::hub::EventHub;
use crate::subscriptions::metrics::LiveMetrics;
use crate::webhooks::worker::{Wakeup, Worker, WorkerError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("invalid settings")]
    Settings(#[source] InvalidSettings),
    #[error("cannot open the database")]
    Database(#[source] DbErr),
    #[error("cannot apply migrations")]
    Migration(#[source] DbErr),
    #[error("cannot start the GraphQL executor's threads")]
    Executor(#[source] std::io::Error),
    #[error("cannot start the delivery worker")]
    Worker(#[source] WorkerError),
    #[error("invalid CORS setting")]
    Cors(#[source] cors::InvalidOrigin),
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
    worker: Option<Arc<Worker>>,
    live: Arc<Live>,
}

impl Application {
    /// Connects to the database, migrates and seeds it, and binds the listener
    /// (port 0 picks a free port: tests use that).
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        settings.validate().map_err(StartupError::Settings)?;
        let http = &settings.http;
        let (url, pool) = (
            &settings.database.database_url,
            settings.database.database_max_connections,
        );
        cors::check_origins(&http.cors_origins).map_err(StartupError::Cors)?;
        let (db, statements) = database::connect(url, pool)
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
        let search_db = database::connect_custom_plans(&db, url, pool, &statements)
            .await
            .map_err(StartupError::Database)?;
        let versions = DataVersions::new(db.clone());
        if http.response_cache_bytes > 0 && http.data_version_notifications {
            versions.listen(url).await;
        }
        let live = start_live(settings, &db, &versions)
            .await
            .map_err(StartupError::Database)?;
        let limits = graphql::Limits {
            depth: http.max_query_depth,
            complexity: http.max_query_complexity,
            tokens: http.max_query_tokens,
            cost: http.max_query_cost,
            response_values: http.max_response_values,
        };
        let list_sizes = KnownListSizes::new(db.clone(), versions.clone())
            .await
            .map_err(StartupError::Database)?;
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        let executor =
            Executor::new(threads, http.max_values_in_flight).map_err(StartupError::Executor)?;
        let cursors = Cursors::load(&db).await.map_err(StartupError::Database)?;
        let schema = graphql::build_schema(
            db.clone(),
            graphql::SearchDatabase(search_db),
            versions.clone(),
            cursors,
            limits,
            settings.webhooks.clone(),
            wakeup.clone(),
        );
        let console = web::Data::new(Console {
            db: db.clone(),
            settings: settings.console.clone(),
            webhooks: settings.webhooks.clone(),
            after_commit: AfterCommit::new(wakeup.clone(), versions.clone()),
        });
        let worker = if settings.webhooks.run_worker {
            // Its own pool: deliveries never wait for the API's connections, nor the API
            // for theirs.
            let (worker_db, _) = database::connect(url, pool)
                .await
                .map_err(StartupError::Database)?;
            Some(
                Worker::new(worker_db, settings.webhooks.clone(), wakeup)
                    .map_err(StartupError::Worker)?,
            )
        } else {
            None
        };
        let service = web::Data::new(GraphQLService {
            schema,
            db: db.clone(),
            persisted: PersistedQueries::new(http.persisted_query_bytes),
            max_body_bytes: http.max_body_bytes,
            max_batch_size: http.max_batch_size,
            time_limit: http.request_time_limit,
            cache_control: http.cache_control.clone(),
            cache: ResponseCache::new(http.response_cache_bytes),
            versions,
            cost_model: CostModel::new(&graphql::sdl()),
            list_sizes,
            limits,
            executor,
        });
        let database = web::Data::new(db.clone());
        // Two connections: health and readiness checks at once never wait for each other.
        let (health_db, _) = database::connect(url, 2)
            .await
            .map_err(StartupError::Database)?;
        let health_db = web::Data::new(HealthDatabase(health_db));
        let metrics = web::Data::new(Metrics::new(statements.clone(), &live.metrics));
        let live_data = web::Data::new(live.clone());
        let graphiql = web::Data::new(GraphiQL::new(http.web_assets_dir.as_deref()));
        let cors_origins = http.cors_origins.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(service.clone())
                .app_data(database.clone())
                .app_data(health_db.clone())
                .app_data(metrics.clone())
                .app_data(graphiql.clone())
                .app_data(live_data.clone())
                .app_data(console.clone())
                // The last wrapped runs first: the request id is there for everything else.
                .wrap(cors::middleware(&cors_origins))
                .wrap(security_headers::everywhere())
                .wrap(from_fn(metrics::record))
                .wrap(from_fn(log_request))
                .wrap(from_fn(request_id::stamp))
                .route(
                    "/graphql",
                    web::get()
                        .guard(guard::fn_guard(websocket::is_upgrade))
                        .to(websocket::endpoint),
                )
                .route(
                    "/graphql",
                    web::route()
                        .guard(guard::fn_guard(sse::is_event_stream))
                        .to(sse::endpoint),
                )
                .route("/graphql", web::route().to(crate::http::graphql::endpoint))
                .service(graphiql::scope())
                .service(
                    web::scope("/console")
                        .wrap(security_headers::pages())
                        .configure(console::routes),
                )
                .route("/metrics", web::get().to(metrics::endpoint))
                .route("/healthz", web::get().to(health::healthz))
                .route("/readyz", web::get().to(health::readyz))
        })
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            address: format!("port {port}"),
            source,
        })?
        .shutdown_timeout(10)
        // Stopping is `run_until_stopped`'s: SIGINT as gracefully as SIGTERM.
        .disable_signals()
        .run();

        tracing::info!(port, "gnlc is listening");
        Ok(Self {
            port,
            server,
            db,
            statements,
            worker,
            live,
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

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight (within 10 s)
    /// and the delivery worker's attempts in flight; a second signal stops at once. The
    /// delivery worker runs meanwhile; attempts it abandons are taken up again after their
    /// lease, by this or another process.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(Shutdown::on_signals()?).await
    }

    /// Serves until `shutdown` asks for a stop: as [`Self::run_until_stopped`], with signals
    /// listened to from before the server was built.
    pub async fn run_until(self, shutdown: Shutdown) -> std::io::Result<()> {
        let (stop_worker, worker_stop) = tokio::sync::oneshot::channel::<()>();
        let worker = self.worker.map(|worker| {
            tokio::spawn(worker.run(async {
                let _ = worker_stop.await;
            }))
        });
        let handle = self.server.handle();
        let server = self.server;
        tokio::pin!(server);
        let ended = tokio::select! {
            served = &mut server => Some(served),
            () = shutdown.requested() => None,
        };
        // The worker finishes its attempts in flight meanwhile.
        let _ = stop_worker.send(());
        let served = match ended {
            Some(served) => served,
            None => {
                // Sockets close first (1001), or the server would wait for them.
                self.live.stop();
                // The command is sent at once; its future would only wait for the end.
                drop(handle.stop(true));
                tokio::select! {
                    served = &mut server => served,
                    // The connections left go with the process.
                    () = shutdown.forced() => Ok(()),
                }
            }
        };
        if let Some(mut worker) = worker {
            tokio::select! {
                _ = &mut worker => {}
                () = shutdown.forced() => worker.abort(),
            }
        }
        served
    }
}

/// Starts the process's event hub, on a small pool of its own (its reads are no request's
/// statements) but on an in-memory database, which no other pool shares.
async fn start_live(
    settings: &Settings,
    db: &DatabaseConnection,
    versions: &DataVersions,
) -> Result<Arc<Live>, DbErr> {
    let url = &settings.database.database_url;
    let live_db = if url.contains(":memory:") || url.contains("mode=memory") {
        db.clone()
    } else {
        database::connect(url, 2).await?.0
    };
    let subscriptions = &settings.subscriptions;
    let hub = EventHub::start(
        live_db.clone(),
        versions.commits(),
        subscriptions.buffer,
        subscriptions.poll_interval,
    )
    .await?;
    Ok(Live::new(
        hub,
        live_db,
        subscriptions.clone(),
        LiveMetrics::default(),
    ))
}

/// One log line per request: request id, method, path, GraphQL operation, status and time
/// taken.
async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.path().to_owned();
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let response = next.call(request).await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &response {
        Ok(response) => {
            let operation = response
                .request()
                .extensions()
                .get::<Operation>()
                .map(|operation| operation.0.clone());
            tracing::info!(
                %request_id,
                %method,
                %path,
                operation = %operation.as_deref().unwrap_or("-"),
                status = response.status().as_u16(),
                elapsed_ms,
                "request"
            )
        }
        Err(error) => {
            tracing::warn!(%request_id, %method, %path, %error, elapsed_ms, "request failed")
        }
    }
    response
}
