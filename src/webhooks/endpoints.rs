//! Webhook endpoints as partners create, read, change and delete them. A partner sees
//! only what its account owns; an admin sees everything. What a principal may not see is
//! reported as not found, as GitHub and Stripe do (so also for the endpoints' deliveries
//! and events, in their own modules).

use std::collections::HashSet;

use entity::{account, country, delivery, event, region, webhook_endpoint};
use sea_orm::sea_query::{Expr, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::delivery as lifecycle;
use super::guard::{self, GuardError};
use super::outbox::EventType;
use super::signing;
use super::word_list::WordList;
use crate::access::Principal;
use crate::after_commit::AfterCommit;
use crate::clock::now_ms;
use crate::membership::normalise_country_code;
use crate::pagination::PageFetchError;
use crate::webhooks::settings::WebhookSettings;

/// How long a rotated-out secret keeps signing beside the new one.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3600 * 1000;
pub const MAX_DESCRIPTION_LENGTH: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("this needs an API token (Authorization: Bearer …)")]
    Unauthenticated,
    #[error("this needs an admin token")]
    Forbidden,
    #[error("there is no {0} `{1}`")]
    NotFound(&'static str, String),
    #[error("{0}")]
    Invalid(String),
    #[error("the URL is refused: {0}")]
    Guard(#[from] GuardError),
    #[error(
        "an account may have at most {0} webhook endpoints: delete one, or change one with \
         updateWebhookEndpoint"
    )]
    TooMany(u64),
    #[error(transparent)]
    Page(#[from] crate::pagination::PageError),
    #[error("database error")]
    Database(#[from] DbErr),
}

impl From<PageFetchError> for EndpointError {
    fn from(e: PageFetchError) -> Self {
        match e {
            PageFetchError::Page(e) => e.into(),
            PageFetchError::Database(e) => e.into(),
        }
    }
}

pub type Result<T, E = EndpointError> = std::result::Result<T, E>;

/// What a partner says about an endpoint when creating or changing it.
#[derive(Debug, Clone, Default)]
pub struct EndpointSpec {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub countries: Option<Vec<String>>,
}

/// The account a principal acts for; none without a token.
pub(super) fn account_of(principal: &Principal) -> Result<i32> {
    principal.account().ok_or(EndpointError::Unauthenticated)
}

/// The ids of an account's endpoints, as a subquery.
pub(super) fn owned_by(owner: i32) -> SelectStatement {
    webhook_endpoint::Entity::find()
        .select_only()
        .column(webhook_endpoint::Column::Id)
        .filter(webhook_endpoint::Column::AccountId.eq(owner))
        .into_query()
}

/// An [`EndpointSpec`] checked and normalised to the stored form (lists as their stored
/// text); `None` where the spec said nothing.
struct Checked {
    url: Option<String>,
    description: Option<String>,
    event_types: Option<String>,
    regions: Option<String>,
    countries: Option<String>,
}

async fn validated(
    db: &DatabaseConnection,
    spec: EndpointSpec,
    allow_private: bool,
) -> Result<Checked> {
    if let Some(description) = &spec.description {
        check_description(description)?;
    }
    let url = match &spec.url {
        Some(url) => {
            let parsed = guard::check_url(url.trim(), allow_private)?;
            guard::check_resolved(&parsed, allow_private).await?;
            Some(parsed.to_string())
        }
        None => None,
    };
    Ok(Checked {
        url,
        description: spec.description,
        event_types: Filter::EventTypes.normalised(db, &spec.event_types).await?,
        regions: Filter::Regions.normalised(db, &spec.regions).await?,
        countries: Filter::Countries.normalised(db, &spec.countries).await?,
    })
}

/// The most different values one filter list may hold (the network has fewer than 250
/// countries; a real list is far shorter).
pub const MOST_FILTER_WORDS: usize = 250;

/// The lists an endpoint filters events by.
#[derive(Clone, Copy)]
pub enum Filter {
    EventTypes,
    Regions,
    Countries,
}

impl Filter {
    /// The stored text of a list the spec gave: each word checked and put in its stored
    /// form, sorted, each once.
    pub async fn normalised(
        self,
        db: &DatabaseConnection,
        words: &Option<Vec<String>>,
    ) -> Result<Option<String>> {
        let Some(words) = words else {
            return Ok(None);
        };
        // Each spelling is looked up once (a country may be read from the table), and a
        // list longer than any real filter is refused before any is: a request of many
        // thousand words would otherwise cost as many statements.
        let mut seen = HashSet::new();
        let words: Vec<&String> = words
            .iter()
            .filter(|word| seen.insert(word.trim().to_lowercase()))
            .collect();
        if words.len() > MOST_FILTER_WORDS {
            return Err(EndpointError::Invalid(format!(
                "a filter lists at most {MOST_FILTER_WORDS} different values, not {}",
                words.len()
            )));
        }
        let mut out = Vec::with_capacity(words.len());
        for word in words {
            out.push(match self {
                Filter::EventTypes => event_type(word)?,
                Filter::Regions => region_slug(db, word).await?,
                Filter::Countries => country_code(db, word).await?,
            });
        }
        Ok(Some(WordList::normalised(out).to_string()))
    }
}

fn event_type(name: &str) -> Result<String> {
    let known = EventType::parse(name.trim()).ok_or_else(|| {
        let all: Vec<_> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        EndpointError::Invalid(format!(
            "unknown event type `{name}`; known: {}",
            all.join(", ")
        ))
    })?;
    Ok(known.as_str().to_owned())
}

async fn region_slug(db: &DatabaseConnection, slug: &str) -> Result<String> {
    let found = region::Entity::find()
        .filter(region::Column::Slug.eq(slug.trim()))
        .one(db)
        .await?;
    found
        .map(|region| region.slug)
        .ok_or_else(|| EndpointError::Invalid(format!("there is no region with slug `{slug}`")))
}

/// A country's alpha-2 code, from its alpha-2 or (for a member) alpha-3 code.
async fn country_code(db: &DatabaseConnection, code: &str) -> Result<String> {
    let code = normalise_country_code(code).map_err(|e| EndpointError::Invalid(e.to_string()))?;
    if code.len() == 2 {
        return Ok(code); // countries may be followed before they join the network
    }
    let found = country::Entity::find()
        .filter(country::Column::Iso3.eq(&code))
        .one(db)
        .await?;
    found.map(|c| c.iso2).ok_or_else(|| {
        EndpointError::Invalid(format!(
            "`{code}` is not a member country: filter by its alpha-2 code"
        ))
    })
}

fn check_description(description: &str) -> Result<()> {
    if description.chars().count() > MAX_DESCRIPTION_LENGTH {
        return Err(EndpointError::Invalid(format!(
            "a description has at most {MAX_DESCRIPTION_LENGTH} characters"
        )));
    }
    Ok(())
}

/// Creates an endpoint, within the account's cap (`--webhook-max-endpoints-per-partner`);
/// returns it with its signing secret, shown this once.
pub async fn create(
    db: &DatabaseConnection,
    principal: &Principal,
    spec: EndpointSpec,
    settings: &WebhookSettings,
) -> Result<(webhook_endpoint::Model, String)> {
    let allow_private = settings.allow_private_targets;
    let owner = account_of(principal)?;
    if spec.url.is_none() {
        return Err(EndpointError::Invalid("an endpoint needs a URL".into()));
    }
    let checked = validated(db, spec, allow_private).await?;
    let txn = crate::database::begin_write(db).await?;
    // One creation at a time per account, so two at once cannot both pass the cap: on
    // PostgreSQL the account's row stays locked until commit; on SQLite a writing
    // transaction runs alone.
    account::Entity::find_by_id(owner)
        .lock_exclusive()
        .one(&txn)
        .await?;
    let existing = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::AccountId.eq(owner))
        .count(&txn)
        .await?;
    if existing >= settings.max_endpoints_per_partner {
        return Err(EndpointError::TooMany(settings.max_endpoints_per_partner));
    }
    let secret = signing::new_secret();
    let now = now_ms();
    let mut endpoint = webhook_endpoint::ActiveModel {
        public_id: Set(crate::ids::random_id("ep_", 12)),
        account_id: Set(owner),
        url: Set(checked.url.unwrap_or_default()),
        description: Set(checked.description.unwrap_or_default()),
        event_types: Set(checked.event_types.unwrap_or_default()),
        regions: Set(checked.regions.unwrap_or_default()),
        countries: Set(checked.countries.unwrap_or_default()),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    lifecycle::enabled(&mut endpoint);
    let endpoint = endpoint.insert(&txn).await?;
    txn.commit().await?;
    Ok((endpoint, secret))
}

/// The endpoints a principal may see, oldest first.
pub async fn list(
    db: &DatabaseConnection,
    principal: &Principal,
) -> Result<Vec<webhook_endpoint::Model>> {
    let owner = account_of(principal)?;
    let mut query = webhook_endpoint::Entity::find().order_by_asc(webhook_endpoint::Column::Id);
    if !principal.is_admin() {
        query = query.filter(webhook_endpoint::Column::AccountId.eq(owner));
    }
    Ok(query.all(db).await?)
}

/// One endpoint the principal may see, by public id.
pub async fn find(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
) -> Result<webhook_endpoint::Model> {
    account_of(principal)?;
    webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::PublicId.eq(id))
        .one(db)
        .await?
        .filter(|e| principal.may_manage(e.account_id))
        .ok_or_else(|| EndpointError::NotFound("webhook endpoint", id.to_owned()))
}

pub async fn update(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
    spec: EndpointSpec,
    allow_private: bool,
) -> Result<webhook_endpoint::Model> {
    let endpoint = find(db, principal, id).await?;
    let checked = validated(db, spec, allow_private).await?;
    let mut active: webhook_endpoint::ActiveModel = endpoint.into();
    let changes = [
        (&mut active.url, checked.url),
        (&mut active.description, checked.description),
        (&mut active.event_types, checked.event_types),
        (&mut active.regions, checked.regions),
        (&mut active.countries, checked.countries),
    ];
    for (field, change) in changes {
        if let Some(value) = change {
            *field = Set(value);
        }
    }
    active.updated_at = Set(now_ms());
    Ok(active.update(db).await?)
}

/// Pauses (deliveries are held) or resumes an endpoint. Resuming also re-enables an
/// endpoint that was disabled for failing, and its held deliveries go out again.
pub async fn set_paused(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
    paused: bool,
    after: &AfterCommit,
) -> Result<webhook_endpoint::Model> {
    let endpoint = find(db, principal, id).await?;
    let endpoint = lifecycle::set_paused(db, endpoint, paused).await?;
    if !paused {
        after.deliveries_queued();
    }
    Ok(endpoint)
}

/// Gives an endpoint a new secret; the old one keeps signing beside it for 24 hours.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
) -> Result<(webhook_endpoint::Model, String)> {
    let endpoint = find(db, principal, id).await?;
    let secret = signing::new_secret();
    let now = now_ms();
    let mut active: webhook_endpoint::ActiveModel = endpoint.clone().into();
    active.previous_secret = Set(Some(endpoint.secret));
    active.previous_secret_expires_at = Set(Some(now + ROTATION_OVERLAP_MS));
    active.secret = Set(secret.clone());
    active.updated_at = Set(now);
    Ok((active.update(db).await?, secret))
}

/// Deletes an endpoint with its deliveries and their attempts.
pub async fn delete(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
) -> Result<webhook_endpoint::Model> {
    let endpoint = find(db, principal, id).await?;
    let txn = crate::database::begin_write(db).await?;
    let deliveries = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Id)
        .filter(delivery::Column::EndpointId.eq(endpoint.id))
        .into_query();
    entity::delivery_attempt::Entity::delete_many()
        .filter(entity::delivery_attempt::Column::DeliveryId.in_subquery(deliveries))
        .exec(&txn)
        .await?;
    delivery::Entity::delete_many()
        .filter(delivery::Column::EndpointId.eq(endpoint.id))
        .exec(&txn)
        .await?;
    event::Entity::update_many()
        .col_expr(event::Column::EndpointId, Expr::value(Option::<i32>::None))
        .filter(event::Column::EndpointId.eq(endpoint.id))
        .exec(&txn)
        .await?;
    webhook_endpoint::Entity::delete_by_id(endpoint.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(endpoint)
}
