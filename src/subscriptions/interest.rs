//! What one subscriber is shown: the events it asked for (types, regions, countries) among
//! those it may see. Anonymous subscribers see public events only; a token's also sees the
//! token-only events of its own account (`webhook.test` for its endpoints), an admin's all.

use entity::{event, webhook_endpoint};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

use crate::access::Principal;
use crate::webhooks::endpoints::{self, Filter};
use crate::webhooks::word_list::WordList;

#[derive(Debug, Clone)]
pub struct Interest {
    types: WordList,
    regions: WordList,
    countries: WordList,
    viewer: Viewer,
}

/// Who is shown the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Viewer {
    Anonymous,
    Account(i32),
    Admin,
}

impl Interest {
    /// The filters as a subscription gave them, checked and normalised as an endpoint's are
    /// (an unknown type, region or a malformed country code is refused).
    pub async fn new(
        db: &DatabaseConnection,
        principal: &Principal,
        types: Option<Vec<String>>,
        regions: Option<Vec<String>>,
        countries: Option<Vec<String>>,
    ) -> endpoints::Result<Self> {
        let list = |text: Option<String>| WordList::parse(text.as_deref().unwrap_or_default());
        let viewer = match principal.account() {
            _ if principal.is_admin() => Viewer::Admin,
            Some(account) => Viewer::Account(account),
            None => Viewer::Anonymous,
        };
        Ok(Self {
            types: list(Filter::EventTypes.normalised(db, &types).await?),
            regions: list(Filter::Regions.normalised(db, &regions).await?),
            countries: list(Filter::Countries.normalised(db, &countries).await?),
            viewer,
        })
    }

    /// Only `cohort.admitted` events, of any region or country.
    pub fn cohorts_admitted() -> Self {
        Self {
            types: WordList::parse(crate::webhooks::outbox::EventType::CohortAdmitted.as_str()),
            regions: WordList::default(),
            countries: WordList::default(),
            viewer: Viewer::Anonymous,
        }
    }

    /// Whether the subscriber is shown `event`. A token-only event costs a primary-key read
    /// of its endpoint (for a token's subscriber only): they are rare, and an endpoint
    /// created after the subscription started counts too.
    pub async fn wants(
        &self,
        db: &DatabaseConnection,
        event: &event::Model,
    ) -> Result<bool, DbErr> {
        let described = self.types.lets_through([event.event_type.as_str()])
            && self
                .regions
                .lets_through(WordList::parse(&event.regions).iter())
            && self
                .countries
                .lets_through(WordList::parse(&event.countries).iter());
        if !described {
            return Ok(false);
        }
        let Some(endpoint) = event.endpoint_id else {
            return Ok(true);
        };
        Ok(match self.viewer {
            Viewer::Anonymous => false,
            Viewer::Admin => true,
            Viewer::Account(account) => webhook_endpoint::Entity::find_by_id(endpoint)
                .one(db)
                .await?
                .is_some_and(|endpoint| endpoint.account_id == account),
        })
    }
}
