//! The fields of an endpoint, as the forms that create and change one show them, and what
//! a submitted form says, as the operations take it (`EndpointSpec`): the console checks
//! none of it itself.

use entity::{region, webhook_endpoint};
use maud::{Markup, html};
use sea_orm::DatabaseConnection;

use crate::console::ConsoleError;
use crate::console::form::{Fields, words};
use crate::webhooks::endpoints::{EndpointSpec, MAX_DESCRIPTION_LENGTH};
use crate::webhooks::outbox::EventType;
use crate::webhooks::word_list::WordList;

/// What the form shows: an endpoint's values, or what was just submitted.
#[derive(Debug, Default, Clone)]
pub struct EndpointValues {
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub regions: Vec<String>,
    pub countries: String,
}

impl From<&webhook_endpoint::Model> for EndpointValues {
    fn from(endpoint: &webhook_endpoint::Model) -> Self {
        let words = |list: &str| WordList::parse(list).into_vec();
        EndpointValues {
            url: endpoint.url.clone(),
            description: endpoint.description.clone(),
            event_types: words(&endpoint.event_types),
            regions: words(&endpoint.regions),
            countries: words(&endpoint.countries).join(", "),
        }
    }
}

impl EndpointValues {
    pub fn from_form(fields: &Fields) -> Self {
        EndpointValues {
            url: fields.get("url").unwrap_or_default().to_owned(),
            description: fields.get("description").unwrap_or_default().to_owned(),
            event_types: fields.all("event_type"),
            regions: fields.all("region"),
            countries: fields.get("countries").unwrap_or_default().to_owned(),
        }
    }

    /// The whole endpoint as the form gives it: every field set (an empty list: all).
    pub fn spec(&self) -> EndpointSpec {
        EndpointSpec {
            url: Some(self.url.clone()),
            description: Some(self.description.clone()),
            event_types: Some(self.event_types.clone()),
            regions: Some(self.regions.clone()),
            countries: Some(words(&self.countries)),
        }
    }
}

/// The event types a partner subscribes to: the test event goes to its endpoint anyway.
fn subscribable() -> impl Iterator<Item = &'static str> {
    EventType::ALL
        .into_iter()
        .filter(|t| *t != EventType::WebhookTest)
        .map(EventType::as_str)
}

/// The regions to choose among.
pub async fn regions(db: &DatabaseConnection) -> Result<Vec<region::Model>, ConsoleError> {
    crate::membership::regions(db).await.map_err(|error| {
        tracing::error!(%error, "console: cannot list regions");
        ConsoleError::Internal
    })
}

/// The form's fields (inside a `<form>` the caller writes, with its action and button).
pub fn fields(values: &EndpointValues, regions: &[region::Model], problem: Option<&str>) -> Markup {
    html! {
        @if let Some(problem) = problem {
            p.problem role="alert" id="endpoint-problem" { (problem) }
        }
        label for="url" { "URL" }
        input id="url" name="url" type="url" required value=(values.url)
            aria-describedby="url-hint";
        p.hint id="url-hint" { "Where gnlc posts events: https:// on a public address." }
        label for="description" { "Description" }
        textarea id="description" name="description" rows="2"
            maxlength=(MAX_DESCRIPTION_LENGTH) { (values.description) }
        fieldset {
            legend { "Event types (none ticked: all)" }
            @for event_type in subscribable() {
                label {
                    input type="checkbox" name="event_type" value=(event_type)
                        checked[values.event_types.iter().any(|t| t == event_type)];
                    (event_type)
                }
            }
        }
        fieldset {
            legend { "Regions (none ticked: all)" }
            @for region in regions {
                label {
                    input type="checkbox" name="region" value=(region.slug)
                        checked[values.regions.contains(&region.slug)];
                    (region.name)
                }
            }
        }
        label for="countries" { "Countries" }
        input id="countries" name="countries" type="text" value=(values.countries)
            aria-describedby="countries-hint";
        p.hint id="countries-hint" { "ISO codes, separated by commas (e.g. PT, ES); empty: all." }
    }
}
