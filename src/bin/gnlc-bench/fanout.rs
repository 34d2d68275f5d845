//! Fan-out: one admission delivered to many webhook endpoints, each a loopback receiver on
//! an address of its own (127.0.x.y), so every endpoint is a connection of its own as a
//! partner's would be. Measures from the admission's answer (its commit) to the last 2xx.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::{Context, bail};
use futures_util::StreamExt;
use serde_json::{Value, json};

/// What the receivers saw.
#[derive(Default)]
struct Seen {
    answered: usize,
    last: Option<Instant>,
}

pub struct Fanout {
    pub endpoints: usize,
    /// From sending the admission to the last 2xx.
    pub from_request: Duration,
    /// From the admission's answer (after its commit) to the last 2xx.
    pub from_commit: Duration,
}

/// Starts `n` receivers on 127.0.x.y; returns their URLs and what they see.
fn receivers(n: usize) -> anyhow::Result<(Vec<String>, Arc<Mutex<Seen>>)> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut urls = Vec::with_capacity(n);
    let mut listeners = Vec::with_capacity(n);
    for i in 0..n {
        let address = format!("127.0.{}.{}", 1 + i / 250, 1 + i % 250);
        let listener = TcpListener::bind(format!("{address}:0"))
            .with_context(|| format!("binding a receiver on {address}"))?;
        urls.push(format!(
            "http://{address}:{}/hooks/{i}",
            listener.local_addr()?.port()
        ));
        listeners.push(listener);
    }
    let shared = web::Data::new(seen.clone());
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .default_service(web::to(receive))
    })
    .workers(1)
    .disable_signals();
    for listener in listeners {
        server = server.listen(listener)?;
    }
    tokio::spawn(server.run());
    Ok((urls, seen))
}

async fn receive(seen: web::Data<Arc<Mutex<Seen>>>, _body: web::Bytes) -> HttpResponse {
    if let Ok(mut seen) = seen.lock() {
        seen.answered += 1;
        seen.last = Some(Instant::now());
    }
    HttpResponse::NoContent().finish()
}

/// A GraphQL request with a bearer token; its `data`, unless it has errors.
pub async fn graphql(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let body: Value = client
        .post(url)
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?
        .json()
        .await?;
    if body.get("errors").is_some() {
        bail!("GraphQL errors: {body}");
    }
    Ok(body["data"].clone())
}

/// Subscribes `n` endpoints to `cohort.admitted`, admits a cohort, and waits (at most a
/// minute) for every endpoint's 2xx.
pub async fn run(
    graphql_url: &str,
    partner: &str,
    admin: &str,
    n: usize,
) -> anyhow::Result<Fanout> {
    let (urls, seen) = receivers(n)?;
    let client = reqwest::Client::new();
    let create = "mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }";
    let created: Vec<anyhow::Result<Value>> = futures_util::stream::iter(urls)
        .map(|url| {
            let client = &client;
            async move {
                let input = json!({ "url": url, "eventTypes": ["cohort.admitted"] });
                graphql(
                    client,
                    graphql_url,
                    partner,
                    create,
                    json!({ "input": input }),
                )
                .await
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for result in created {
        result?;
    }
    let admit =
        "mutation($input: CohortAdmissionInput!) { admitCohort(input: $input) { deliveryCount } }";
    let input = json!({
        "year": 2027, "announcedOn": "2027-09-01", "newCityCount": 1, "newCountryCount": 0,
        "cities": [{ "name": "Benchmark Fan-out City", "country": "MD", "latitude": 47.0, "longitude": 28.8 }]
    });
    let sent = Instant::now();
    let data = graphql(
        &client,
        graphql_url,
        admin,
        admit,
        json!({ "input": input }),
    )
    .await?;
    let committed = Instant::now();
    let deliveries = data["admitCohort"]["deliveryCount"].as_u64().unwrap_or(0);
    if deliveries != n as u64 {
        bail!("the admission made {deliveries} deliveries, not {n}");
    }
    loop {
        let (answered, last) = match seen.lock() {
            Ok(seen) => (seen.answered, seen.last),
            Err(_) => bail!("a receiver panicked"),
        };
        if answered >= n {
            let last = last.context("a last answer")?;
            return Ok(Fanout {
                endpoints: n,
                from_request: last - sent,
                from_commit: last.saturating_duration_since(committed),
            });
        }
        if sent.elapsed() > Duration::from_secs(60) {
            bail!("only {answered} of {n} deliveries arrived within a minute");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
