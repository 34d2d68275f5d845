//! `/metrics` in the Prometheus text format: GraphQL requests by operation and status,
//! their latency as histograms, and the database pool's use.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sea_orm::DatabaseConnection;

use crate::database::StatementCounter;
use crate::subscriptions::metrics::LiveMetrics;

/// The operation a request ran, as the log line and the metrics name it: its
/// `operationName`, or `anonymous` (`batch` for a batch). Set by the GraphQL handler.
#[derive(Debug, Clone)]
pub struct Operation(pub String);

/// Distinct operation names tracked before the rest are counted as `other`: clients choose
/// the names, and each is a time series.
const MAX_OPERATIONS: usize = 200;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

type HistogramFamily = Family<OperationLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    pool: Family<PoolLabels, Gauge>,
    statements: Counter,
    statement_counter: StatementCounter,
    statements_seen: Mutex<u64>,
    operations: Mutex<HashSet<String>>,
}

impl Metrics {
    pub fn new(statement_counter: StatementCounter, live: &LiveMetrics) -> Self {
        let mut registry = Registry::with_prefix("gnlc");
        live.register(&mut registry);
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "graphql_requests",
            "GraphQL requests by operation and HTTP status",
            requests.clone(),
        );
        let latency = HistogramFamily::new_with_constructor(latency_histogram);
        registry.register(
            "graphql_request_duration_seconds",
            "Time taken to answer GraphQL requests, by operation",
            latency.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "database_pool_connections",
            "Database connections by state (idle, in use) and the pool's maximum",
            pool.clone(),
        );
        let statements = Counter::default();
        registry.register(
            "database_statements",
            "SQL statements run",
            statements.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            pool,
            statements,
            statement_counter,
            statements_seen: Mutex::new(0),
            operations: Mutex::new(HashSet::new()),
        }
    }

    fn label(&self, operation: &str) -> String {
        let mut operations = self
            .operations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if operations.contains(operation) {
            return operation.to_owned();
        }
        if operations.len() >= MAX_OPERATIONS {
            return "other".to_owned();
        }
        operations.insert(operation.to_owned());
        operation.to_owned()
    }

    fn observe(&self, operation: &str, status: u16, seconds: f64) {
        let operation = self.label(operation);
        self.requests
            .get_or_create(&RequestLabels {
                operation: operation.clone(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&OperationLabels { operation })
            .observe(seconds);
    }

    /// The text exposition, with the pool's figures read now.
    pub fn render(&self, db: &DatabaseConnection) -> String {
        if let Some((size, idle, max)) = pool_use(db) {
            for (state, value) in [
                ("in_use", size.saturating_sub(idle)),
                ("idle", idle),
                ("max", max),
            ] {
                self.pool
                    .get_or_create(&PoolLabels { state })
                    .set(i64::from(value));
            }
        }
        let total = self.statement_counter.get();
        let mut seen = self
            .statements_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.statements.inc_by(total.saturating_sub(*seen));
        *seen = total;
        drop(seen);
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%error, "cannot encode the metrics");
        }
        text
    }
}

/// Connections open, idle, and the most allowed, whichever database is in use.
fn pool_use(db: &DatabaseConnection) -> Option<(u32, u32, u32)> {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => Some(figures(db.get_postgres_connection_pool())),
        sea_orm::DatabaseBackend::Sqlite => Some(figures(db.get_sqlite_connection_pool())),
        _ => None,
    }
}

fn figures<D: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<D>) -> (u32, u32, u32) {
    let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
    (pool.size(), idle, pool.options().get_max_connections())
}

/// Middleware: counts and times every request the GraphQL handler served.
pub async fn record(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = request.app_data::<web::Data<Metrics>>().cloned();
    let response = next.call(request).await?;
    let operation = response.request().extensions().get::<Operation>().cloned();
    if let (Some(metrics), Some(Operation(operation))) = (metrics, operation) {
        metrics.observe(
            &operation,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}

pub async fn endpoint(
    metrics: web::Data<Metrics>,
    db: web::Data<DatabaseConnection>,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render(&db))
}
