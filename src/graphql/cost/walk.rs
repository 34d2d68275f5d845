//! The walk that counts a query's values over the cost model.

use std::collections::HashMap;

use async_graphql::Variables;
use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};

use super::ROOT_FIELD_COST;
use super::lists::{Length, NEAR_DEFAULT, NEAR_MAX, UNDECLARED_LIST};
use super::model::CostModel;
use crate::graphql::list_sizes::ListSizes;

/// What a selection set is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Node<'m> {
    /// An object of the data; `page` is a connection's page size.
    Data {
        ty: &'m str,
        page: u64,
    },
    Schema,
    /// A type reference, by its interned id.
    Type(usize),
    /// A field of an object type, by type and position.
    Field(&'m str, usize),
    /// An argument or input field: what it shows depends only on its type.
    InputValue(usize),
    EnumValue,
    Directive(usize),
}

pub(super) struct Walk<'a> {
    pub(super) model: &'a CostModel,
    pub(super) document: &'a ExecutableDocument,
    pub(super) variables: &'a Variables,
    pub(super) sizes: &'a ListSizes,
    /// Each selection set's cost on each node, computed once.
    pub(super) memo: HashMap<(usize, Node<'a>), u64>,
}

impl<'a> Walk<'a> {
    pub(super) fn selection_set(&mut self, set: &'a SelectionSet, node: Node<'a>) -> u64 {
        let key = (std::ptr::from_ref(set) as usize, node);
        if let Some(&cost) = self.memo.get(&key) {
            return cost;
        }
        let mut total = 0u64;
        for selection in &set.items {
            let cost = match &selection.node {
                Selection::Field(field) => self.field(&field.node, node),
                Selection::FragmentSpread(spread) => {
                    match self.document.fragments.get(&spread.node.fragment_name.node) {
                        Some(fragment) => {
                            self.selection_set(&fragment.node.selection_set.node, node)
                        }
                        None => 0,
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node, node)
                }
            };
            total = total.saturating_add(cost);
        }
        self.memo.insert(key, total);
        total
    }

    /// What a field costs: its values, and [`ROOT_FIELD_COST`] for a field of the root
    /// type (introspection aside), which runs database statements of its own.
    fn field(&mut self, field: &'a Field, node: Node<'a>) -> u64 {
        let statements = match node {
            Node::Data { ty, .. }
                if self.model.is_root(ty) && !field.name.node.starts_with("__") =>
            {
                ROOT_FIELD_COST
            }
            _ => 0,
        };
        self.values(field, node).saturating_add(statements)
    }

    /// One value for the field, plus what it selects on each item it holds.
    fn values(&mut self, field: &'a Field, node: Node<'a>) -> u64 {
        if field.name.node == "__typename" {
            return 1;
        }
        let below = match node {
            Node::Data { ty, page } => self.data(field, ty, page),
            _ => self.introspected(field, node),
        };
        below.saturating_add(1)
    }

    /// What a field of an object of the data selects on each item it holds, times its
    /// length; on the query type, `__schema` and `__type` count what introspection shows.
    fn data(&mut self, field: &'a Field, ty: &'a str, page: u64) -> u64 {
        let model = self.model;
        if ty == model.query
            && let Some(below) = self.introspection_root(field)
        {
            return below;
        }
        let name = field.name.node.as_str();
        let Some(field_model) = model.objects.get(ty).and_then(|f| f.get(name)) else {
            return 0;
        };
        let Some((child_ty, _)) = model.objects.get_key_value(field_model.ty.as_str()) else {
            return 0;
        };
        let child_page = if child_ty.ends_with("Connection") {
            self.page_size(field)
        } else {
            0
        };
        let length = match field_model.length {
            Length::One | Length::Scalars => 1,
            Length::Page => page,
            Length::First => self
                .int_argument(field, "first")
                .map_or(NEAR_DEFAULT, |first| first.min(NEAR_MAX)),
            Length::Data(list) => list.size(self.sizes),
            Length::Undeclared => UNDECLARED_LIST,
        };
        let child = Node::Data {
            ty: child_ty,
            page: child_page,
        };
        length.saturating_mul(self.selection_set(&field.selection_set.node, child))
    }
}
