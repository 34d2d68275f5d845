//! Relay connections built from keyset pages, with a lazily counted `totalCount`.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, ObjectType, OutputType, Result};
use sea_orm::Condition;

use super::{ResultExt, city_db, db, int};
use crate::membership;
use crate::pagination::{Cursors, List, Page};

/// What `totalCount` counts: the whole filtered list, whatever page was asked for.
/// Counted only when a client selects the field.
pub enum TotalCount {
    /// Cities, on city search's pool when `searching` (see `super::city_db`).
    Cities {
        condition: Condition,
        searching: bool,
    },
    Countries(Condition),
}

#[Object]
impl TotalCount {
    /// How many items the list holds across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let count = match self {
            TotalCount::Cities {
                condition,
                searching,
            } => membership::count_cities(city_db(ctx, *searching)?, condition.clone()).await,
            TotalCount::Countries(c) => membership::count_countries(db(ctx)?, c.clone()).await,
        };
        count.map(int).gql()
    }
}

/// Turns a page of rows of `list` into a connection, each edge with its signed cursor;
/// `key` is the column the page is ordered by, `fields` what the connection adds (e.g.
/// `totalCount`).
pub fn connection<M, N: OutputType, F: ObjectType>(
    cursors: &Cursors,
    list: List,
    page: Page<M>,
    key: impl Fn(&M) -> String,
    node: impl Fn(M) -> N,
    fields: F,
) -> Connection<String, N, F> {
    let mut connection =
        Connection::with_additional_fields(page.has_previous_page, page.has_next_page, fields);
    connection.edges = page
        .rows
        .into_iter()
        .map(|row| Edge::new(cursors.encode(list, &key(&row)), node(row)))
        .collect();
    connection
}
