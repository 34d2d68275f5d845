//! The event catalog: every event type, what it means, its fields and an example body, all
//! made from the payload types partners receive (see `console::examples`).

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;

use crate::console::examples::{self, description, example};
use crate::console::layout::{self, page};
use crate::console::{Console, ConsoleError};
use crate::webhooks::outbox::EventType;

/// `GET /console/events`.
pub async fn show(
    console: web::Data<Console>,
    request: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let session = console.session(&request).await?;
    let content = html! {
        h1 { "Event catalog" }
        p {
            "Each delivery is a POST of a JSON body " code { "{\"type\", \"timestamp\", \"data\"}" }
            ", signed by Standard Webhooks (" code { "webhook-id" } ", " code { "webhook-timestamp" }
            ", " code { "webhook-signature" } "). A count UNESCO has not published, and the region of a "
            "country that has none, are " code { "null" } "."
        }
        nav aria-label="Event types" {
            ul { @for t in EventType::ALL { li { a href=(format!("#{}", t.as_str())) { (t.as_str()) } } } }
        }
        @for event_type in EventType::ALL {
            @let body = example(event_type);
            section aria-labelledby=(event_type.as_str()) {
                h2 id=(event_type.as_str()) { code { (event_type.as_str()) } }
                p { (description(event_type)) }
                div.table-scroll {
                    table {
                        caption { "Fields of " (event_type.as_str()) }
                        thead { tr { th scope="col" { "Field" } th scope="col" { "Type" } th scope="col" { "Example" } } }
                        tbody {
                            @for field in examples::fields(&body) {
                                tr { td { code { (field.path) } } td { (field.kind) } td { code { (field.example) } } }
                            }
                        }
                    }
                }
                h3 { "Example" }
                pre { code { (serde_json::to_string_pretty(&body).unwrap_or_default()) } }
            }
        }
    };
    Ok(layout::ok(page("Event catalog", Some(&session), content)))
}
