//! Webhook endpoints, events and deliveries as partners manage and read them. A partner
//! sees only what its account owns; an admin sees everything. What a principal may not
//! see is reported as not found, as GitHub and Stripe do.

use entity::{account, cohort, country, delivery, event, region, webhook_endpoint};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::guard::{self, GuardError};
use super::outbox::{self, EventDraft, EventType};
use super::signing;
use crate::access::Principal;
use crate::after_commit::AfterCommit;
use crate::clock::now_ms;
use crate::membership::normalise_country_code;
use crate::pagination::{Page, PageFetchError, Window, fetch_page_by};
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

type Result<T, E = EndpointError> = std::result::Result<T, E>;

/// What a partner says about an endpoint when creating or changing it.
#[derive(Debug, Clone, Default)]
pub struct EndpointSpec {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub countries: Option<Vec<String>>,
}

fn account(principal: &Principal) -> Result<i32> {
    principal.account().ok_or(EndpointError::Unauthenticated)
}

/// An [`EndpointSpec`] checked and normalised to the stored form (lists space-separated);
/// `None` where the spec said nothing.
struct Checked {
    url: Option<String>,
    event_types: Option<String>,
    regions: Option<String>,
    countries: Option<String>,
}

async fn validated(
    db: &DatabaseConnection,
    spec: &EndpointSpec,
    allow_private: bool,
) -> Result<Checked> {
    let url = match &spec.url {
        Some(url) => {
            let parsed = guard::check_url(url.trim(), allow_private)?;
            guard::check_resolved(&parsed, allow_private).await?;
            Some(parsed.to_string())
        }
        None => None,
    };
    let event_types = match &spec.event_types {
        Some(types) => {
            let mut out = Vec::new();
            for t in types {
                let known = EventType::parse(t.trim()).ok_or_else(|| {
                    let all: Vec<_> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                    EndpointError::Invalid(format!(
                        "unknown event type `{t}`; known: {}",
                        all.join(", ")
                    ))
                })?;
                out.push(known.as_str().to_owned());
            }
            out.sort();
            out.dedup();
            Some(out.join(" "))
        }
        None => None,
    };
    let regions = match &spec.regions {
        Some(slugs) => {
            let mut out = Vec::new();
            for slug in slugs {
                let found = region::Entity::find()
                    .filter(region::Column::Slug.eq(slug.trim()))
                    .one(db)
                    .await?;
                out.push(
                    found
                        .ok_or_else(|| {
                            EndpointError::Invalid(format!("there is no region with slug `{slug}`"))
                        })?
                        .slug,
                );
            }
            out.sort();
            out.dedup();
            Some(out.join(" "))
        }
        None => None,
    };
    let countries = match &spec.countries {
        Some(codes) => {
            let mut out = Vec::new();
            for code in codes {
                let code = normalise_country_code(code)
                    .map_err(|e| EndpointError::Invalid(e.to_string()))?;
                let iso2 = if code.len() == 2 {
                    code // countries may be followed before they join the network
                } else {
                    let found = country::Entity::find()
                        .filter(country::Column::Iso3.eq(&code))
                        .one(db)
                        .await?;
                    found.map(|c| c.iso2).ok_or_else(|| {
                        EndpointError::Invalid(format!(
                            "`{code}` is not a member country: filter by its alpha-2 code"
                        ))
                    })?
                };
                out.push(iso2);
            }
            out.sort();
            out.dedup();
            Some(out.join(" "))
        }
        None => None,
    };
    Ok(Checked {
        url,
        event_types,
        regions,
        countries,
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
    let owner = account(principal)?;
    if spec.url.is_none() {
        return Err(EndpointError::Invalid("an endpoint needs a URL".into()));
    }
    let description = spec.description.clone().unwrap_or_default();
    check_description(&description)?;
    let Checked {
        url,
        event_types,
        regions,
        countries,
    } = validated(db, &spec, allow_private).await?;
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
    let endpoint = webhook_endpoint::ActiveModel {
        public_id: Set(crate::ids::random_id("ep_", 12)),
        account_id: Set(owner),
        url: Set(url.unwrap_or_default()),
        description: Set(description),
        event_types: Set(event_types.unwrap_or_default()),
        regions: Set(regions.unwrap_or_default()),
        countries: Set(countries.unwrap_or_default()),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        status: Set("active".into()),
        disabled_reason: Set(None),
        failing_since: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok((endpoint, secret))
}

/// The endpoints a principal may see, oldest first.
pub async fn list(
    db: &DatabaseConnection,
    principal: &Principal,
) -> Result<Vec<webhook_endpoint::Model>> {
    let owner = account(principal)?;
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
    account(principal)?;
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
    if let Some(description) = &spec.description {
        check_description(description)?;
    }
    let Checked {
        url,
        event_types,
        regions,
        countries,
    } = validated(db, &spec, allow_private).await?;
    let mut active: webhook_endpoint::ActiveModel = endpoint.into();
    if let Some(url) = url {
        active.url = Set(url);
    }
    if let Some(description) = spec.description {
        active.description = Set(description);
    }
    if let Some(types) = event_types {
        active.event_types = Set(types);
    }
    if let Some(regions) = regions {
        active.regions = Set(regions);
    }
    if let Some(countries) = countries {
        active.countries = Set(countries);
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
    let mut active: webhook_endpoint::ActiveModel = endpoint.into();
    active.status = Set(if paused { "paused" } else { "active" }.into());
    if !paused {
        active.disabled_reason = Set(None);
        active.failing_since = Set(None);
    }
    active.updated_at = Set(now_ms());
    let endpoint = active.update(db).await?;
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
    let deliveries: Vec<i32> = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Id)
        .filter(delivery::Column::EndpointId.eq(endpoint.id))
        .into_tuple()
        .all(&txn)
        .await?;
    for chunk in deliveries.chunks(1000) {
        entity::delivery_attempt::Entity::delete_many()
            .filter(entity::delivery_attempt::Column::DeliveryId.is_in(chunk.to_vec()))
            .exec(&txn)
            .await?;
    }
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

/// Sends a `webhook.test` event to one endpoint, whatever its subscriptions.
pub async fn send_test(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
    after: &AfterCommit,
) -> Result<event::Model> {
    let endpoint = find(db, principal, id).await?;
    let txn = crate::database::begin_write(db).await?;
    let draft = EventDraft {
        event_type: EventType::WebhookTest,
        data: serde_json::json!({ "endpoint": endpoint.public_id, "message": "a test event from gnlc" }),
        regions: Vec::new(),
        countries: Vec::new(),
        cohort_id: None,
        endpoint_id: Some(endpoint.id),
    };
    let (mut events, _) = outbox::publish(&txn, vec![draft]).await?;
    txn.commit().await?;
    after.deliveries_queued();
    events
        .pop()
        .ok_or_else(|| EndpointError::Database(DbErr::RecordNotInserted))
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub endpoint: Option<String>,
    pub event: Option<String>,
    pub failed_only: bool,
}

/// The deliveries a principal may see, oldest first, one page.
pub async fn deliveries(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &DeliveryFilter,
    window: Window,
) -> Result<Page<delivery::Model>> {
    let condition = delivery_condition(db, principal, filter).await?;
    let select = delivery::Entity::find().filter(condition);
    Ok(
        fetch_page_by(db, select, delivery::Column::Id, window, &|c: &str| {
            c.parse::<i32>().ok()
        })
        .await?,
    )
}

async fn delivery_condition(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &DeliveryFilter,
) -> Result<Condition> {
    let owner = account(principal)?;
    let mut condition = Condition::all();
    if let Some(id) = &filter.endpoint {
        condition =
            condition.add(delivery::Column::EndpointId.eq(find(db, principal, id).await?.id));
    } else if !principal.is_admin() {
        let own = webhook_endpoint::Entity::find()
            .select_only()
            .column(webhook_endpoint::Column::Id)
            .filter(webhook_endpoint::Column::AccountId.eq(owner))
            .into_query();
        condition = condition.add(delivery::Column::EndpointId.in_subquery(own));
    }
    if let Some(id) = &filter.event {
        let found = event::Entity::find()
            .filter(event::Column::PublicId.eq(id))
            .one(db)
            .await?;
        let event = found.ok_or_else(|| EndpointError::NotFound("event", id.clone()))?;
        condition = condition.add(delivery::Column::EventId.eq(event.id));
    }
    if filter.failed_only {
        // Failed for good, or failing and waiting for its next attempt.
        condition = condition.add(
            Condition::any()
                .add(delivery::Column::Status.eq("failed"))
                .add(
                    Condition::all()
                        .add(delivery::Column::Status.eq("pending"))
                        .add(delivery::Column::AttemptCount.gt(0)),
                ),
        );
    }
    Ok(condition)
}

/// Sends one delivery again now (a new attempt of the same event, with the same id).
pub async fn redeliver(
    db: &DatabaseConnection,
    principal: &Principal,
    delivery_id: i32,
    after: &AfterCommit,
) -> Result<delivery::Model> {
    account(principal)?;
    let not_found = || EndpointError::NotFound("delivery", delivery_id.to_string());
    let found = delivery::Entity::find_by_id(delivery_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let endpoint = webhook_endpoint::Entity::find_by_id(found.endpoint_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    if !principal.may_manage(endpoint.account_id) {
        return Err(not_found());
    }
    let mut active: delivery::ActiveModel = found.into();
    active.status = Set("pending".into());
    active.next_attempt_at = Set(now_ms());
    active.lease_until = Set(None);
    active.leased_by = Set(None);
    active.updated_at = Set(now_ms());
    let delivery = active.update(db).await?;
    after.deliveries_queued();
    Ok(delivery)
}

/// Sends again every failed delivery of an endpoint created since a time. Returns how many.
pub async fn redeliver_failed(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
    since_ms: i64,
    after: &AfterCommit,
) -> Result<u64> {
    let endpoint = find(db, principal, id).await?;
    let now = now_ms();
    let result = super::worker::without_lease(delivery::Entity::update_many())
        .col_expr(delivery::Column::Status, Expr::value("pending"))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(now))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::EndpointId.eq(endpoint.id))
        .filter(delivery::Column::Status.eq("failed"))
        .filter(delivery::Column::CreatedAt.gte(since_ms))
        .exec(db)
        .await?;
    after.deliveries_queued();
    Ok(result.rows_affected)
}

/// Events after a cursor (an event's internal id), oldest first: the pull fallback for a
/// partner that was down. Test events are seen only by their endpoint's owner.
pub async fn events(
    db: &DatabaseConnection,
    principal: &Principal,
    types: &[String],
    window: Window,
) -> Result<Page<event::Model>> {
    let owner = account(principal)?;
    let mut condition = Condition::all();
    if !types.is_empty() {
        condition = condition.add(event::Column::EventType.is_in(types.to_vec()));
    }
    if !principal.is_admin() {
        let own = webhook_endpoint::Entity::find()
            .select_only()
            .column(webhook_endpoint::Column::Id)
            .filter(webhook_endpoint::Column::AccountId.eq(owner))
            .into_query();
        condition = condition.add(
            Condition::any()
                .add(event::Column::EndpointId.is_null())
                .add(event::Column::EndpointId.in_subquery(own)),
        );
    }
    let select = event::Entity::find().filter(condition);
    Ok(
        fetch_page_by(db, select, event::Column::Id, window, &|c: &str| {
            c.parse::<i32>().ok()
        })
        .await?,
    )
}

/// How far an admission's notifications have gone: for each status, how many deliveries
/// and how many distinct accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CohortDeliveryReport {
    pub partners: u64,
    pub partners_reached: u64,
    pub deliveries: u64,
    pub succeeded: u64,
    pub pending: u64,
    pub failed: u64,
}

#[derive(Debug, FromQueryResult)]
struct StatusRow {
    status: String,
    account_id: i32,
}

pub async fn cohort_report(
    db: &DatabaseConnection,
    principal: &Principal,
    year: i32,
) -> Result<CohortDeliveryReport> {
    account(principal)?;
    if !principal.is_admin() {
        return Err(EndpointError::Forbidden);
    }
    let cohort = cohort::Entity::find()
        .filter(cohort::Column::Year.eq(year))
        .one(db)
        .await?;
    let cohort = cohort.ok_or_else(|| EndpointError::NotFound("cohort", year.to_string()))?;
    let rows = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Status)
        .column(webhook_endpoint::Column::AccountId)
        .inner_join(event::Entity)
        .inner_join(webhook_endpoint::Entity)
        .filter(event::Column::CohortId.eq(cohort.id))
        .filter(event::Column::EventType.eq(EventType::CohortAdmitted.as_str()))
        .into_model::<StatusRow>()
        .all(db)
        .await?;
    let mut report = CohortDeliveryReport {
        deliveries: rows.len() as u64,
        ..Default::default()
    };
    let mut partners = std::collections::HashSet::new();
    let mut reached = std::collections::HashSet::new();
    for row in &rows {
        partners.insert(row.account_id);
        match row.status.as_str() {
            "succeeded" => {
                report.succeeded += 1;
                reached.insert(row.account_id);
            }
            "failed" => report.failed += 1,
            _ => report.pending += 1,
        }
    }
    report.partners = partners.len() as u64;
    report.partners_reached = reached.len() as u64;
    Ok(report)
}
