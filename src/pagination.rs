//! Relay cursor pagination over a unique, ordered key (keyset pagination: no OFFSET, so a
//! page costs the same wherever it is in the list).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::IntoIden;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

/// The largest page any connection returns.
pub const MAX_PAGE_SIZE: u64 = 100;
/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u64 = 20;

const CURSOR_PREFIX: &str = "v1:";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
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
    pub fn window(&self) -> Result<Window, PageError> {
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
        Ok(Window {
            backward,
            size,
            after: self
                .after
                .as_deref()
                .map(|c| decode_cursor(c, "after"))
                .transpose()?,
            before: self
                .before
                .as_deref()
                .map(|c| decode_cursor(c, "before"))
                .transpose()?,
        })
    }
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{key}"))
}

fn decode_cursor(cursor: &str, argument: &'static str) -> Result<String, PageError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix(CURSOR_PREFIX).map(str::to_owned))
        .ok_or(PageError::InvalidCursor { argument })
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
    fn cursors_round_trip_and_reject_foreign_strings() {
        let cursor = encode_cursor("chisinau");
        assert_eq!(decode_cursor(&cursor, "after").unwrap(), "chisinau");
        assert_eq!(
            decode_cursor("not a cursor", "after"),
            Err(PageError::InvalidCursor { argument: "after" })
        );
        let foreign = URL_SAFE_NO_PAD.encode("chisinau");
        assert!(decode_cursor(&foreign, "before").is_err());
    }

    #[test]
    fn windows_validate_sizes() {
        let req = |first, last| PageRequest {
            first,
            last,
            ..Default::default()
        };
        assert_eq!(req(None, None).window().unwrap().size, DEFAULT_PAGE_SIZE);
        assert!(
            req(Some(3), None)
                .window()
                .is_ok_and(|w| !w.backward && w.size == 3)
        );
        assert!(req(None, Some(3)).window().is_ok_and(|w| w.backward));
        assert!(matches!(
            req(Some(-1), None).window(),
            Err(PageError::OutOfRange {
                argument: "first",
                ..
            })
        ));
        assert!(matches!(
            req(Some(101), None).window(),
            Err(PageError::OutOfRange { .. })
        ));
        assert_eq!(req(Some(1), Some(1)).window(), Err(PageError::FirstAndLast));
        assert_eq!(req(Some(0), None).window().unwrap().size, 0);
    }
}
