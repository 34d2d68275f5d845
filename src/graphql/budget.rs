//! The response budget: the most values one answer may hold, checked while it is built.
//!
//! The cost model ([`super::cost`]) refuses a query whose answer could be too large before
//! it runs, but it works from what the data was when it looked. Whatever it could not
//! foresee is caught here: every list a resolver returns charges the budget for its items
//! times the values each item's selection holds (counted through fragments, once per
//! field of the query), before async-graphql resolves them. Past the budget the resolver
//! fails and the request ends at once with `RESPONSE_TOO_LARGE` and no `data` (see
//! [`super::execute`]), so no answer grows memory past the budget.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::Context;
use async_graphql::parser::types::{FragmentDefinition, Selection, SelectionSet};
use async_graphql::{Name, Positioned};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use super::error::{code, with_code};

/// One request's budget.
#[derive(Debug)]
pub struct ResponseBudget {
    limit: u64,
    spent: AtomicU64,
    exceeded: AtomicBool,
    notify: Notify,
    /// Values one item of a list holds, by the list field's selection set.
    widths: Mutex<HashMap<usize, u64>>,
}

impl ResponseBudget {
    pub fn new(limit: u64) -> Arc<Self> {
        Arc::new(Self {
            limit,
            spent: AtomicU64::new(0),
            exceeded: AtomicBool::new(false),
            notify: Notify::new(),
            widths: Mutex::new(HashMap::new()),
        })
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn is_exceeded(&self) -> bool {
        self.exceeded.load(Ordering::Acquire)
    }

    /// Returns once the budget is exceeded.
    pub async fn exceeded(&self) {
        loop {
            let notified = self.notify.notified();
            if self.is_exceeded() {
                return;
            }
            notified.await;
        }
    }

    /// Charges `values` to the budget; an error once past it.
    pub fn spend(&self, values: u64) -> async_graphql::Result<()> {
        let spent = self
            .spent
            .fetch_add(values, Ordering::AcqRel)
            .saturating_add(values);
        if spent <= self.limit {
            return Ok(());
        }
        if !self.exceeded.swap(true, Ordering::AcqRel) {
            self.notify.notify_waiters();
        }
        Err(with_code(self.message(), code::RESPONSE_TOO_LARGE))
    }

    /// What a client is told when its answer would exceed the budget.
    pub fn message(&self) -> String {
        format!(
            "the answer would hold more than {} values, the most one answer may hold: ask for smaller pages or fewer nested lists",
            self.limit
        )
    }

    /// The values one item of a list field's selection holds, counted through fragments
    /// (the document was checked for fragment cycles and nesting before it ran).
    fn width(
        &self,
        set: &SelectionSet,
        fragments: &HashMap<Name, Positioned<FragmentDefinition>>,
    ) -> u64 {
        let key = std::ptr::from_ref(set) as usize;
        if let Some(&width) = self.lock().get(&key) {
            return width;
        }
        let mut width = 0u64;
        for selection in &set.items {
            let inner = match &selection.node {
                Selection::Field(field) => {
                    1 + self.width(&field.node.selection_set.node, fragments)
                }
                Selection::FragmentSpread(spread) => fragments
                    .get(&spread.node.fragment_name.node)
                    .map_or(0, |fragment| {
                        self.width(&fragment.node.selection_set.node, fragments)
                    }),
                Selection::InlineFragment(inline) => {
                    self.width(&inline.node.selection_set.node, fragments)
                }
            };
            width = width.saturating_add(inner);
        }
        self.lock().insert(key, width);
        width
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<usize, u64>> {
        self.widths
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The room for values in flight that requests share, by their costs: held by the
/// executor for requests, and by each subscription for each answer it makes.
#[derive(Clone, Debug)]
pub struct Room {
    in_flight: Arc<Semaphore>,
    capacity: u32,
}

impl Room {
    /// Room for `capacity` values (at most what a semaphore counts).
    pub fn new(capacity: u64) -> Self {
        let capacity = u32::try_from(capacity)
            .unwrap_or(u32::MAX)
            .min(u32::try_from(Semaphore::MAX_PERMITS).unwrap_or(u32::MAX));
        Self {
            in_flight: Arc::new(Semaphore::new(capacity as usize)),
            capacity,
        }
    }

    /// The values that still fit.
    pub fn available(&self) -> usize {
        self.in_flight.available_permits()
    }

    /// Waits until an answer of this cost fits beside those in flight (a cost over the whole
    /// room waits for all of it); the room is given back when the permit is dropped.
    pub async fn admit(&self, cost: u64) -> Option<OwnedSemaphorePermit> {
        let permits = u32::try_from(cost)
            .unwrap_or(u32::MAX)
            .clamp(1, self.capacity);
        self.in_flight
            .clone()
            .acquire_many_owned(permits)
            .await
            .ok()
    }
}

/// What a subscription's answers take of the [`Room`]: each answer waits for room for the
/// subscription's cost, and holds it while it is made, as a query does.
#[derive(Clone, Debug)]
pub struct AnswerRoom {
    pub room: Room,
    pub cost: u64,
}

impl AnswerRoom {
    pub async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        self.room.admit(self.cost).await
    }
}

/// Charges the request's budget for a list of `items` the current field returns: each
/// item holds the values its selection selects. Call it before returning the list.
pub fn charge(ctx: &Context<'_>, items: usize) -> async_graphql::Result<()> {
    let Some(budget) = ctx.data_opt::<Arc<ResponseBudget>>() else {
        return Ok(());
    };
    let width = budget
        .width(&ctx.item.node.selection_set.node, &ctx.query_env.fragments)
        .max(1);
    budget.spend((items as u64).saturating_mul(width))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spending_past_the_limit_fails_and_wakes_the_request() {
        let budget = ResponseBudget::new(10);
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.exceeded().await }
        });
        assert!(budget.spend(6).is_ok());
        assert!(budget.spend(4).is_ok(), "exactly the limit fits");
        assert!(!budget.is_exceeded());
        let error = budget.spend(1).unwrap_err();
        assert!(
            error.message.contains("more than 10 values"),
            "{}",
            error.message
        );
        assert!(budget.is_exceeded());
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("woken")
            .unwrap();
    }

    #[test]
    fn an_item_holds_what_its_selection_selects_through_fragments() {
        let document = async_graphql::parser::parse_query(
            "{ cities { nodes { name country { name iso2 } ...F } } } fragment F on City { slug cohort { year } }",
        )
        .unwrap();
        let async_graphql::parser::types::DocumentOperations::Single(operation) =
            &document.operations
        else {
            panic!("one operation");
        };
        let budget = ResponseBudget::new(100);
        // nodes, name, country, name, iso2, slug, cohort, year
        assert_eq!(
            budget.width(&operation.node.selection_set.node, &document.fragments),
            1 + 8
        );
    }
}
