//! Every partner endpoint's health at a glance, for coordinators: the endpoints a
//! coordinator may see (`endpoints::list`: all of them), by partner, with the health the
//! partners' own endpoints page shows (`webhooks::health`).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use entity::account;
use maud::html;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::endpoints::cells;
use crate::console::layout::{self, page};
use crate::console::{Console, ConsoleError};
use crate::webhooks::endpoints;
use crate::webhooks::health;

/// `GET /console/partners`.
pub async fn list(
    console: web::Data<Console>,
    request: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let session = console.coordinator(&request).await?;
    let mut endpoints = endpoints::list(&console.db, &session.principal).await?;
    let ids: Vec<i32> = endpoints.iter().map(|e| e.id).collect();
    let health = health::of_endpoints(&console.db, &ids).await?;
    let owners: Vec<i32> = endpoints.iter().map(|e| e.account_id).collect();
    let names: HashMap<i32, String> = account::Entity::find()
        .filter(account::Column::Id.is_in(owners))
        .all(&console.db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let name = |owner: i32| names.get(&owner).map(String::as_str).unwrap_or_default();
    endpoints.sort_by(|a, b| (name(a.account_id), a.id).cmp(&(name(b.account_id), b.id)));
    let failing = endpoints
        .iter()
        .filter(|e| e.failing_since.is_some())
        .count();
    let content = html! {
        h1 { "Partner endpoints" }
        @if endpoints.is_empty() {
            p { "No partner has an endpoint yet." }
        } @else {
            p {
                (endpoints.len()) " endpoint(s) of " (names.len()) " account(s); "
                (failing) " failing now."
            }
            div.table-scroll {
                table {
                    caption { "Every account's webhook endpoints and how their deliveries go" }
                    thead { tr {
                        th scope="col" { "Partner" }
                        th scope="col" { "Endpoint" }
                        th scope="col" { "Status" }
                        th scope="col" { "Last delivery" }
                        th scope="col" { "Success rate" }
                        th scope="col" { "Pending" }
                    } }
                    tbody { @for endpoint in &endpoints {
                        tr {
                            th scope="row" { (name(endpoint.account_id)) }
                            (cells(endpoint, &health.get(&endpoint.id).copied().unwrap_or_default()))
                        }
                    } }
                }
            }
        }
    };
    Ok(layout::ok(page(
        "Partner endpoints",
        Some(&session),
        content,
    )))
}
