//! Relay cursor pagination over a unique, ordered key (keyset pagination: no OFFSET, so a
//! page costs the same wherever it is in the list).
//!
//! A cursor is the key of its edge, signed for the list it belongs to (see [`Cursors`]): a
//! cursor gnlc did not give out for that list is refused.

use sea_orm::sea_query::IntoIden;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

mod cursor;

pub use cursor::{Cursors, List};

/// The largest page any connection returns.
pub const MAX_PAGE_SIZE: u64 = 100;
/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u64 = 20;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PageError {
    #[error("`{argument}` must be between 0 and {max}, got {value}")]
    OutOfRange {
        argument: &'static str,
        value: i64,
        max: u64,
    },
    #[error("pass either `first` or `last`, not both")]
    FirstAndLast,
    #[error("`{argument}` is not a cursor this API gave out")]
    InvalidCursor { argument: &'static str },
}

/// The pagination arguments of a connection field, as the client sent them.
#[derive(Debug, Default, Clone)]
pub struct PageRequest {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// A validated page request: direction, size and decoded bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub backward: bool,
    pub size: u64,
    pub after: Option<String>,
    pub before: Option<String>,
}

impl PageRequest {
    /// A connection field's arguments, in the order Relay gives them.
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Self {
        PageRequest {
            first,
            after,
            last,
            before,
        }
    }

    /// Checks the sizes, and the cursors against the list they must belong to.
    pub fn window(&self, cursors: &Cursors, list: List) -> Result<Window, PageError> {
        let size = |argument, value: i32| {
            u64::try_from(value)
                .ok()
                .filter(|v| *v <= MAX_PAGE_SIZE)
                .ok_or(PageError::OutOfRange {
                    argument,
                    value: value.into(),
                    max: MAX_PAGE_SIZE,
                })
        };
        let (backward, size) = match (self.first, self.last) {
            (Some(_), Some(_)) => return Err(PageError::FirstAndLast),
            (Some(first), None) => (false, size("first", first)?),
            (None, Some(last)) => (true, size("last", last)?),
            (None, None) => (false, DEFAULT_PAGE_SIZE),
        };
        let decode = |cursor: &Option<String>, argument| {
            cursor
                .as_deref()
                .map(|c| cursors.decode(list, c, argument))
                .transpose()
        };
        Ok(Window {
            backward,
            size,
            after: decode(&self.after, "after")?,
            before: decode(&self.before, "before")?,
        })
    }
}

/// One page of rows, in ascending key order.
#[derive(Debug, Clone)]
pub struct Page<M> {
    pub rows: Vec<M>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
}

/// Fetches one page of `select`, ordered by `key` (a unique text column). One SQL statement.
pub async fn fetch_page<E, C>(
    db: &DatabaseConnection,
    select: Select<E>,
    key: C,
    window: &Window,
) -> Result<Page<E::Model>, DbErr>
where
    E: EntityTrait<Column = C>,
    C: ColumnTrait + IntoIden + Copy,
{
    fetch_page_by(db, select, key, window.clone(), &|cursor: &str| {
        Some(cursor.to_owned())
    })
    .await
    .map_err(|e| match e {
        PageFetchError::Database(e) => e,
        PageFetchError::Page(e) => DbErr::Custom(e.to_string()),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum PageFetchError {
    #[error(transparent)]
    Page(#[from] PageError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Fetches one page ordered by a unique `key` column of any type: `parse` turns a
/// cursor's key back into a value of that column.
pub async fn fetch_page_by<E, C, V>(
    db: &DatabaseConnection,
    select: Select<E>,
    key: C,
    window: Window,
    parse: &(dyn Fn(&str) -> Option<V> + Sync),
) -> Result<Page<E::Model>, PageFetchError>
where
    E: EntityTrait<Column = C>,
    C: ColumnTrait + IntoIden + Copy,
    V: Into<sea_orm::Value>,
{
    let mut select = select;
    if let Some(after) = &window.after {
        let value = parse(after).ok_or(PageError::InvalidCursor { argument: "after" })?;
        select = select.filter(key.gt(value));
    }
    if let Some(before) = &window.before {
        let value = parse(before).ok_or(PageError::InvalidCursor { argument: "before" })?;
        select = select.filter(key.lt(value));
    }
    let order = if window.backward {
        Order::Desc
    } else {
        Order::Asc
    };
    let mut rows = select
        .order_by(key, order)
        .limit(window.size + 1)
        .all(db)
        .await?;
    let has_more = rows.len() as u64 > window.size;
    rows.truncate(window.size as usize);
    if window.backward {
        rows.reverse();
        Ok(Page {
            rows,
            has_previous_page: has_more,
            has_next_page: window.before.is_some(),
        })
    } else {
        Ok(Page {
            rows,
            has_previous_page: window.after.is_some(),
            has_next_page: has_more,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_validate_sizes() {
        let cursors = Cursors::new(b"a key for the tests").unwrap();
        let req = |first, last| PageRequest {
            first,
            last,
            ..Default::default()
        };
        let window = |request: PageRequest| request.window(&cursors, List::Cities);
        assert_eq!(window(req(None, None)).unwrap().size, DEFAULT_PAGE_SIZE);
        assert!(window(req(Some(3), None)).is_ok_and(|w| !w.backward && w.size == 3));
        assert!(window(req(None, Some(3))).is_ok_and(|w| w.backward));
        assert!(matches!(
            window(req(Some(-1), None)),
            Err(PageError::OutOfRange {
                argument: "first",
                ..
            })
        ));
        assert!(matches!(
            window(req(Some(101), None)),
            Err(PageError::OutOfRange { .. })
        ));
        assert_eq!(window(req(Some(1), Some(1))), Err(PageError::FirstAndLast));
        assert_eq!(window(req(Some(0), None)).unwrap().size, 0);
        let after = PageRequest {
            after: Some(cursors.encode(List::Cities, "adrar")),
            ..Default::default()
        };
        assert_eq!(window(after).unwrap().after.as_deref(), Some("adrar"));
    }
}
