//! The pages and lengths a field's arguments ask for, with variables replaced by the
//! request's.

use async_graphql::Value;
use async_graphql::parser::types::Field;

use super::walk::Walk;
use crate::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

impl Walk<'_> {
    /// The page a connection field asks for: its `first` or `last` (the larger if both),
    /// the default page if neither, never more than the largest page.
    pub(super) fn page_size(&self, field: &Field) -> u64 {
        let first = self.int_argument(field, "first");
        let last = self.int_argument(field, "last");
        match (first, last) {
            (None, None) => DEFAULT_PAGE_SIZE,
            (a, b) => a.max(b).unwrap_or(0).min(MAX_PAGE_SIZE),
        }
    }

    /// A non-negative integer argument; an argument of another kind (refused by
    /// validation) counts as the largest page.
    pub(super) fn int_argument(&self, field: &Field, name: &str) -> Option<u64> {
        match self.argument(field, name)? {
            Value::Null => None,
            Value::Number(n) => Some(n.as_i64().map_or(MAX_PAGE_SIZE, |n| n.max(0) as u64)),
            _ => Some(MAX_PAGE_SIZE),
        }
    }

    /// An argument's value, with variables replaced by the request's.
    pub(super) fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        let value = field.get_argument(name)?;
        value
            .node
            .clone()
            .into_const_with(|variable| self.variables.get(&variable).cloned().ok_or(()))
            .ok()
    }
}
