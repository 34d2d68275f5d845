//! What a query costs, known before it runs, in time linear in the document's size.
//!
//! Two checks, both before async-graphql sees the document (its own validation expands
//! every fragment spread anew, which takes exponential time on documents such as
//! `fragment F2 on Query { ...F1 ...F1 }`):
//!
//! - **Shape** ([`check_shape`]): no fragment spreads itself; no operation or fragment
//!   selects more than the complexity limit, counted through fragments (each fragment
//!   counted once and remembered), nor the document as a whole more than
//!   [`DOCUMENT_COMPLEXITY_FACTOR`] times it; nothing nests deeper than [`MAX_NESTING`]
//!   selection sets and fragments.
//! - **Cost** ([`CostModel::cost`]): the number of values the answer can hold at most. Each
//!   field is one value, and a list multiplies what it selects by its length: a
//!   connection's page (`first` or `last`, 20 by default, 100 at most), `citiesNear`'s
//!   `first`, and for the plain lists of the data their longest length now
//!   ([`ListSizes`](super::list_sizes::ListSizes)). Introspection is counted exactly over the schema. This is how GitHub
//!   bounds its API ("node limit"): a query over the limit is refused whole, with its cost.
//!
//! What the model cannot foresee (a list that grew between the check and the run) is
//! caught while the answer is built (see [`super::budget`]).
//!
//! The files: [`model`] reads the schema's SDL into the model (with [`lists`], how long
//! each list field is), [`walk`] counts a query's values over it, with [`arguments`] the
//! pages its arguments and variables ask for and [`introspection`] what the schema shows
//! of itself; [`shape`] is the check before all that.

mod arguments;
mod introspection;
mod lists;
mod model;
mod shape;
#[cfg(test)]
mod tests;
mod walk;

pub use model::CostModel;
pub use shape::check_shape;

/// The most nested selection sets and fragment spreads a document may have (a query's
/// own depth is limited further by `--max-query-depth`).
pub const MAX_NESTING: usize = 64;

/// A document may select, through all its operations and fragments, this many times the
/// complexity limit (one operation or fragment alone: the limit).
pub const DOCUMENT_COMPLEXITY_FACTOR: u64 = 4;

/// What a field of the root type costs beside its values: each runs statements of its own
/// (nested fields share theirs through DataLoaders), so aliasing a root field many times
/// would multiply the statements one request runs. At the default limit, 50 at most.
pub const ROOT_FIELD_COST: u64 = 1_000;

/// Why a document is refused before it runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("fragment `{0}` spreads itself")]
    FragmentCycle(String),
    #[error("the document nests selection sets and fragments deeper than {MAX_NESTING}")]
    TooDeep,
    #[error(
        "`{definition}` selects {selected} fields counted through its fragments, over the limit of {limit}"
    )]
    TooManyFields {
        definition: String,
        selected: u64,
        limit: u64,
    },
    #[error(
        "the document selects {selected} fields counted through its fragments, over the limit of {limit}"
    )]
    DocumentTooLarge { selected: u64, limit: u64 },
    #[error(
        "the query costs {cost}, over the limit of {limit}: its answer could hold {cost} values (each list multiplies what it selects by its length); ask for smaller pages or fewer nested lists"
    )]
    TooCostly { cost: u64, limit: u64 },
}
