//! The shape check: fragment cycles, nesting, and fields selected through fragments.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};

use super::{DOCUMENT_COMPLEXITY_FACTOR, MAX_NESTING, Refusal};

/// Checks a document's shape before anything else looks at it: no fragment cycle, no
/// nesting past [`MAX_NESTING`], no operation or fragment selecting more than `limit`
/// fields (and fragment spreads) counted through its fragments, and the document no more
/// than [`DOCUMENT_COMPLEXITY_FACTOR`] times that. Each fragment is counted once.
pub fn check_shape(document: &ExecutableDocument, limit: u64) -> Result<(), Refusal> {
    let mut shapes = Shapes {
        document,
        done: HashMap::new(),
        visiting: HashSet::new(),
    };
    let mut total = 0u64;
    let mut check = |definition: String, shape: Shape| {
        if shape.selected > limit {
            return Err(Refusal::TooManyFields {
                definition,
                selected: shape.selected,
                limit,
            });
        }
        total = total.saturating_add(shape.selected);
        Ok(())
    };
    let operations: Vec<_> = match &document.operations {
        DocumentOperations::Single(operation) => vec![(None, operation)],
        DocumentOperations::Multiple(operations) => operations
            .iter()
            .map(|(name, operation)| (Some(name.as_str()), operation))
            .collect(),
    };
    for (name, operation) in operations {
        let shape = shapes.selection_set(&operation.node.selection_set.node, 0)?;
        check(
            name.map_or_else(
                || "the operation".to_owned(),
                |name| format!("operation {name}"),
            ),
            shape,
        )?;
    }
    // In the order they are written: the first over the limit is the one named.
    let mut fragments: Vec<_> = document.fragments.iter().collect();
    fragments.sort_by_key(|(_, fragment)| (fragment.pos.line, fragment.pos.column));
    for (name, _) in fragments {
        let shape = shapes.fragment(name.as_str(), 0)?;
        check(format!("fragment {name}"), shape)?;
    }
    let document_limit = limit.saturating_mul(DOCUMENT_COMPLEXITY_FACTOR);
    if total > document_limit {
        return Err(Refusal::DocumentTooLarge {
            selected: total,
            limit: document_limit,
        });
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, Default)]
struct Shape {
    /// Fields and fragment spreads, counted through fragments.
    selected: u64,
    /// Selection sets and fragments nested, the deepest.
    nesting: usize,
}

struct Shapes<'a> {
    document: &'a ExecutableDocument,
    done: HashMap<&'a str, Shape>,
    visiting: HashSet<&'a str>,
}

impl<'a> Shapes<'a> {
    fn fragment(&mut self, name: &'a str, nesting: usize) -> Result<Shape, Refusal> {
        if let Some(&shape) = self.done.get(name) {
            return if nesting + shape.nesting > MAX_NESTING {
                Err(Refusal::TooDeep)
            } else {
                Ok(shape)
            };
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            // An unknown fragment: validation says so.
            return Ok(Shape::default());
        };
        if !self.visiting.insert(name) {
            return Err(Refusal::FragmentCycle(name.to_owned()));
        }
        let inner = self.selection_set(&fragment.node.selection_set.node, nesting)?;
        let shape = Shape {
            selected: inner.selected,
            nesting: inner.nesting,
        };
        self.visiting.remove(name);
        self.done.insert(name, shape);
        Ok(shape)
    }

    /// The shape of a selection set met at `nesting`; its own nesting counts from there
    /// (so a fragment's shape is the same wherever it is spread).
    fn selection_set(&mut self, set: &'a SelectionSet, nesting: usize) -> Result<Shape, Refusal> {
        let nesting = nesting + 1;
        if nesting > MAX_NESTING {
            return Err(Refusal::TooDeep);
        }
        let mut shape = Shape {
            selected: 0,
            nesting: 1,
        };
        for selection in &set.items {
            let inner = match &selection.node {
                Selection::Field(field) if field.node.selection_set.node.items.is_empty() => {
                    Shape::default()
                }
                Selection::Field(field) => {
                    self.selection_set(&field.node.selection_set.node, nesting)?
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str(), nesting)?
                }
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node, nesting)?
                }
            };
            let own = u64::from(!matches!(selection.node, Selection::InlineFragment(_)));
            shape.selected = shape
                .selected
                .saturating_add(own)
                .saturating_add(inner.selected);
            shape.nesting = shape.nesting.max(1 + inner.nesting);
        }
        Ok(shape)
    }
}
