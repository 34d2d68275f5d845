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
//!   ([`ListSizes`]). Introspection is counted exactly over the schema. This is how GitHub
//!   bounds its API ("node limit"): a query over the limit is refused whole, with its cost.
//!
//! What the model cannot foresee (a list that grew between the check and the run) is
//! caught while the answer is built (see [`super::budget`]).

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, Field, Selection, SelectionSet,
    ServiceDocument, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Value, Variables};

pub use super::list_sizes::ListSizes;
use crate::admission::Figure;
use crate::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// The most nested selection sets and fragment spreads a document may have (a query's
/// own depth is limited further by `--max-query-depth`).
pub const MAX_NESTING: usize = 64;

/// A document may select, through all its operations and fragments, this many times the
/// complexity limit (one operation or fragment alone: the limit).
pub const DOCUMENT_COMPLEXITY_FACTOR: u64 = 4;

/// `citiesNear`'s default and largest `first`.
const NEAR_DEFAULT: u64 = 20;
const NEAR_MAX: u64 = 100;

/// A plain list of the data, sized by [`ListSizes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataList {
    Regions,
    Cohorts,
    CountriesOfRegion,
    CitiesOfCountry,
    CitiesOfCohort,
    Endpoints,
    Attempts,
    /// An admission's `publishedFigures`: one at most for each figure.
    PublishedFigures,
}

impl DataList {
    fn size(self, sizes: &ListSizes) -> u64 {
        match self {
            DataList::Regions => sizes.regions,
            DataList::Cohorts => sizes.cohorts,
            DataList::CountriesOfRegion => sizes.countries_per_region,
            DataList::CitiesOfCountry => sizes.cities_per_country,
            DataList::CitiesOfCohort => sizes.cities_per_cohort,
            DataList::Endpoints => sizes.endpoints,
            DataList::Attempts => sizes.attempts_per_delivery,
            DataList::PublishedFigures => Figure::ALL.len() as u64,
        }
    }
}

/// Every list of objects in the schema, with what its length is. A list field missing here
/// is counted as [`UNDECLARED_LIST`] long (a test keeps this table complete).
const DATA_LISTS: [(&str, &str, DataList); 8] = [
    ("Query", "regions", DataList::Regions),
    ("Query", "cohorts", DataList::Cohorts),
    ("Query", "webhookEndpoints", DataList::Endpoints),
    ("Region", "countries", DataList::CountriesOfRegion),
    ("Country", "cities", DataList::CitiesOfCountry),
    ("Cohort", "cities", DataList::CitiesOfCohort),
    ("Delivery", "attempts", DataList::Attempts),
    (
        "AdmissionResult",
        "publishedFigures",
        DataList::PublishedFigures,
    ),
];
const UNDECLARED_LIST: u64 = MAX_PAGE_SIZE;

/// What a field of the root type costs beside its values: each runs statements of its own
/// (nested fields share theirs through DataLoaders), so aliasing a root field many times
/// would multiply the statements one request runs. At the default limit, 50 at most.
pub const ROOT_FIELD_COST: u64 = 1_000;

/// How long a list field's list can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    /// Not a list.
    One,
    /// `edges` and `nodes` of a connection: the page its field asked for.
    Page,
    /// `citiesNear`: its `first` argument.
    First,
    Data(DataList),
    /// A list of scalars: one value.
    Scalars,
    Undeclared,
}

#[derive(Debug)]
struct FieldModel {
    /// The named type (lists and non-null unwrapped).
    ty: String,
    length: Length,
}

/// What introspection shows of one named type.
#[derive(Debug, Default)]
struct IntrospectedType {
    /// Of an object: each field's argument types and type (interned type references).
    fields: Option<Vec<(Vec<usize>, usize)>>,
    input_fields: Option<Vec<usize>>,
    enum_values: Option<u64>,
}

/// One type reference (`[City!]!`) as introspection shows it.
#[derive(Debug)]
struct TypeRef {
    /// The type it wraps (`[City!]` for `[City!]!`), for `ofType`.
    of_type: Option<usize>,
    /// The named type, for a reference without wrapper.
    named: Option<String>,
}

/// The schema as the cost model sees it: object types with the length of their list
/// fields, and what introspection shows.
#[derive(Debug)]
pub struct CostModel {
    objects: HashMap<String, HashMap<String, FieldModel>>,
    query: String,
    mutation: Option<String>,
    named: HashMap<String, IntrospectedType>,
    refs: Vec<TypeRef>,
    ref_ids: HashMap<String, usize>,
    /// Each directive's argument types.
    directives: Vec<Vec<usize>>,
}

/// The introspection types, as the spec defines them, and the built-in scalars: the
/// schema's SDL leaves them out, but `__schema { types }` lists them.
const INTROSPECTION_SDL: &str = r#"
scalar String
scalar Int
scalar Float
scalar Boolean
scalar ID
type __Schema { description: String types: [__Type!]! queryType: __Type! mutationType: __Type subscriptionType: __Type directives: [__Directive!]! }
type __Type { kind: __TypeKind! name: String description: String specifiedByURL: String fields(includeDeprecated: Boolean = false): [__Field!] interfaces: [__Type!] possibleTypes: [__Type!] enumValues(includeDeprecated: Boolean = false): [__EnumValue!] inputFields(includeDeprecated: Boolean = false): [__InputValue!] ofType: __Type isOneOf: Boolean }
enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }
type __Field { name: String! description: String args(includeDeprecated: Boolean = false): [__InputValue!]! type: __Type! isDeprecated: Boolean! deprecationReason: String }
type __InputValue { name: String! description: String type: __Type! defaultValue: String isDeprecated: Boolean! deprecationReason: String }
type __EnumValue { name: String! description: String isDeprecated: Boolean! deprecationReason: String }
type __Directive { name: String! description: String locations: [__DirectiveLocation!]! args(includeDeprecated: Boolean = false): [__InputValue!]! isRepeatable: Boolean! }
enum __DirectiveLocation { QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD INLINE_FRAGMENT VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION ARGUMENT_DEFINITION INTERFACE UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION }
"#;

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

impl CostModel {
    /// The model of a schema, from its SDL.
    pub fn new(sdl: &str) -> Self {
        let mut model = CostModel {
            objects: HashMap::new(),
            query: "Query".into(),
            mutation: None,
            named: HashMap::new(),
            refs: Vec::new(),
            ref_ids: HashMap::new(),
            directives: Vec::new(),
        };
        for source in [sdl, INTROSPECTION_SDL] {
            // Both are ours: a schema that does not parse is a bug caught by the tests.
            let document =
                async_graphql::parser::parse_schema(source).unwrap_or_else(|_| ServiceDocument {
                    definitions: Vec::new(),
                });
            model.add(&document);
        }
        model
    }

    fn add(&mut self, document: &ServiceDocument) {
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    if let Some(query) = &schema.node.query {
                        self.query = query.node.to_string();
                    }
                    self.mutation = schema.node.mutation.as_ref().map(|m| m.node.to_string());
                }
                TypeSystemDefinition::Type(definition) => {
                    let name = definition.node.name.node.to_string();
                    // Named types are looked up by name (`__type(name:)`, `types`).
                    self.intern(&Type {
                        base: BaseType::Named(definition.node.name.node.clone()),
                        nullable: true,
                    });
                    let mut introspected = IntrospectedType::default();
                    match &definition.node.kind {
                        TypeKind::Object(object) => {
                            let mut fields = HashMap::new();
                            let mut shown = Vec::new();
                            for field in &object.fields {
                                let field = &field.node;
                                let args = field
                                    .arguments
                                    .iter()
                                    .map(|arg| self.intern(&arg.node.ty.node))
                                    .collect();
                                shown.push((args, self.intern(&field.ty.node)));
                                let field_name = field.name.node.to_string();
                                let length = length(&name, &field_name, &field.ty.node);
                                fields.insert(
                                    field_name,
                                    FieldModel {
                                        ty: named_type(&field.ty.node).to_owned(),
                                        length,
                                    },
                                );
                            }
                            introspected.fields = Some(shown);
                            self.objects.insert(name.clone(), fields);
                        }
                        TypeKind::InputObject(input) => {
                            introspected.input_fields = Some(
                                input
                                    .fields
                                    .iter()
                                    .map(|f| self.intern(&f.node.ty.node))
                                    .collect(),
                            );
                        }
                        TypeKind::Enum(values) => {
                            introspected.enum_values = Some(values.values.len() as u64);
                        }
                        _ => {}
                    }
                    self.named.insert(name, introspected);
                }
                TypeSystemDefinition::Directive(directive) => {
                    let args = directive
                        .node
                        .arguments
                        .iter()
                        .map(|arg| self.intern(&arg.node.ty.node))
                        .collect();
                    self.directives.push(args);
                }
            }
        }
        // Object types whose list fields are plain lists of scalars are now known: fix
        // the lengths of lists of objects that were declared before their type.
        let objects: HashSet<String> = self.objects.keys().cloned().collect();
        for fields in self.objects.values_mut() {
            for field in fields.values_mut() {
                if field.length == Length::Scalars && objects.contains(&field.ty) {
                    field.length = Length::Undeclared;
                }
            }
        }
        for (ty, name, list) in DATA_LISTS {
            if let Some(field) = self.objects.get_mut(ty).and_then(|f| f.get_mut(name)) {
                field.length = Length::Data(list);
            }
        }
    }

    /// Interns a type reference and the references it wraps.
    fn intern(&mut self, ty: &Type) -> usize {
        let key = ty.to_string();
        if let Some(&id) = self.ref_ids.get(&key) {
            return id;
        }
        let (of_type, named) = if !ty.nullable {
            let inner = Type {
                base: ty.base.clone(),
                nullable: true,
            };
            (Some(self.intern(&inner)), None)
        } else {
            match &ty.base {
                BaseType::List(inner) => (Some(self.intern(inner)), None),
                BaseType::Named(name) => (None, Some(name.to_string())),
            }
        };
        let id = self.refs.len();
        self.refs.push(TypeRef { of_type, named });
        self.ref_ids.insert(key, id);
        id
    }

    fn is_root(&self, ty: &str) -> bool {
        ty == self.query || self.mutation.as_deref() == Some(ty)
    }

    /// List fields of objects whose length is not declared in [`DATA_LISTS`] (a test keeps
    /// this empty).
    pub fn undeclared_lists(&self) -> Vec<String> {
        let mut undeclared: Vec<String> = self
            .objects
            .iter()
            .filter(|(ty, _)| !ty.starts_with("__"))
            .flat_map(|(ty, fields)| {
                fields
                    .iter()
                    .filter(|(_, field)| field.length == Length::Undeclared)
                    .map(move |(name, _)| format!("{ty}.{name}"))
            })
            .collect();
        undeclared.sort();
        undeclared
    }

    /// The cost of the operation a request runs (`operation` as resolved by
    /// [`super::operation`]): how many values its answer can hold at most. Call
    /// [`check_shape`] first: the walk relies on fragments not spreading themselves.
    pub fn cost(
        &self,
        document: &ExecutableDocument,
        operation: &SelectionSet,
        is_mutation: bool,
        variables: &Variables,
        sizes: &ListSizes,
    ) -> u64 {
        let root = if is_mutation {
            self.mutation.as_deref().unwrap_or("Mutation")
        } else {
            self.query.as_str()
        };
        let mut walk = Walk {
            model: self,
            document,
            variables,
            sizes,
            memo: HashMap::new(),
        };
        walk.selection_set(operation, Node::Data { ty: root, page: 0 })
    }
}

/// How long a field's list is, from its declaration alone.
fn length(ty: &str, field: &str, declared: &Type) -> Length {
    let is_list = |t: &Type| matches!(t.base, BaseType::List(_));
    if !is_list(declared) {
        return Length::One;
    }
    if ty.ends_with("Connection") && (field == "edges" || field == "nodes") {
        return Length::Page;
    }
    if ty == "Query" && field == "citiesNear" {
        return Length::First;
    }
    // Lists of objects are told apart once every type is known (see `CostModel::add`).
    Length::Scalars
}

fn named_type(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named_type(inner),
    }
}

/// What a selection set is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node<'m> {
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

struct Walk<'a> {
    model: &'a CostModel,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    sizes: &'a ListSizes,
    /// Each selection set's cost on each node, computed once.
    memo: HashMap<(usize, Node<'a>), u64>,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet, node: Node<'a>) -> u64 {
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
        let name = field.name.node.as_str();
        if name == "__typename" {
            return 1;
        }
        let set = &field.selection_set.node;
        let model = self.model;
        let below = match node {
            Node::Data { ty, page } => {
                if ty == model.query {
                    match name {
                        "__schema" => return 1 + self.selection_set(set, Node::Schema),
                        "__type" => {
                            let named = self
                                .argument(field, "name")
                                .and_then(|value| match value {
                                    Value::String(name) => Some(name),
                                    _ => None,
                                })
                                .and_then(|name| model.ref_ids.get(&name).copied());
                            return 1 + named
                                .map_or(0, |id| self.selection_set(set, Node::Type(id)));
                        }
                        _ => {}
                    }
                }
                let Some(field_model) = model.objects.get(ty).and_then(|f| f.get(name)) else {
                    return 1;
                };
                let Some((child_ty, _)) = model.objects.get_key_value(field_model.ty.as_str())
                else {
                    return 1;
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
                length.saturating_mul(self.selection_set(set, child))
            }
            Node::Schema => match name {
                "types" => self.each(
                    set,
                    model
                        .named
                        .keys()
                        .filter_map(|n| model.ref_ids.get(n))
                        .map(|&id| Node::Type(id))
                        .collect(),
                ),
                "queryType" => self.named(set, &model.query),
                "mutationType" => match &model.mutation {
                    Some(mutation) => self.named(set, mutation),
                    None => 0,
                },
                "directives" => self.each(
                    set,
                    (0..model.directives.len()).map(Node::Directive).collect(),
                ),
                _ => 0,
            },
            Node::Type(id) => {
                let type_ref = &model.refs[id];
                let introspected = type_ref
                    .named
                    .as_ref()
                    .and_then(|name| model.named.get_key_value(name));
                match (name, introspected) {
                    ("ofType", _) => type_ref
                        .of_type
                        .map_or(0, |inner| self.selection_set(set, Node::Type(inner))),
                    ("fields", Some((ty, shown))) => {
                        let count = shown.fields.as_ref().map_or(0, Vec::len);
                        self.each(
                            set,
                            (0..count).map(|i| Node::Field(ty.as_str(), i)).collect(),
                        )
                    }
                    ("inputFields", Some((_, shown))) => {
                        let inputs = shown.input_fields.clone().unwrap_or_default();
                        self.each(set, inputs.into_iter().map(Node::InputValue).collect())
                    }
                    ("enumValues", Some((_, shown))) => shown
                        .enum_values
                        .unwrap_or(0)
                        .saturating_mul(self.selection_set(set, Node::EnumValue)),
                    _ => 0,
                }
            }
            Node::Field(ty, i) => {
                let Some((args, field_type)) = model
                    .named
                    .get(ty)
                    .and_then(|shown| shown.fields.as_ref())
                    .and_then(|fields| fields.get(i))
                else {
                    return 1;
                };
                match name {
                    "args" => self.each(set, args.iter().map(|&id| Node::InputValue(id)).collect()),
                    "type" => self.selection_set(set, Node::Type(*field_type)),
                    _ => 0,
                }
            }
            Node::InputValue(id) => match name {
                "type" => self.selection_set(set, Node::Type(id)),
                _ => 0,
            },
            Node::Directive(d) => match name {
                "args" => {
                    let args = model.directives[d].clone();
                    self.each(set, args.into_iter().map(Node::InputValue).collect())
                }
                _ => 0,
            },
            Node::EnumValue => 0,
        };
        below.saturating_add(1)
    }

    fn each(&mut self, set: &'a SelectionSet, nodes: Vec<Node<'a>>) -> u64 {
        nodes.into_iter().fold(0u64, |total, node| {
            total.saturating_add(self.selection_set(set, node))
        })
    }

    fn named(&mut self, set: &'a SelectionSet, name: &str) -> u64 {
        match self.model.ref_ids.get(name) {
            Some(&id) => self.selection_set(set, Node::Type(id)),
            None => 0,
        }
    }

    /// The page a connection field asks for: its `first` or `last` (the larger if both),
    /// the default page if neither, never more than the largest page.
    fn page_size(&self, field: &Field) -> u64 {
        let first = self.int_argument(field, "first");
        let last = self.int_argument(field, "last");
        match (first, last) {
            (None, None) => DEFAULT_PAGE_SIZE,
            (a, b) => a.max(b).unwrap_or(0).min(MAX_PAGE_SIZE),
        }
    }

    /// A non-negative integer argument; an argument of another kind (refused by
    /// validation) counts as the largest page.
    fn int_argument(&self, field: &Field, name: &str) -> Option<u64> {
        match self.argument(field, name)? {
            Value::Null => None,
            Value::Number(n) => Some(n.as_i64().map_or(MAX_PAGE_SIZE, |n| n.max(0) as u64)),
            _ => Some(MAX_PAGE_SIZE),
        }
    }

    /// An argument's value, with variables replaced by the request's.
    fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        let value = field.get_argument(name)?;
        value
            .node
            .clone()
            .into_const_with(|variable| self.variables.get(&variable).cloned().ok_or(()))
            .ok()
    }
}

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

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    const SIZES: ListSizes = ListSizes {
        regions: 5,
        cohorts: 5,
        countries_per_region: 10,
        cities_per_country: 7,
        cities_per_cohort: 55,
        endpoints: 3,
        attempts_per_delivery: 8,
    };

    fn model() -> CostModel {
        CostModel::new(&crate::graphql::sdl())
    }

    fn cost_of(query: &str, variables: serde_json::Value) -> u64 {
        let document = parse_query(query).unwrap();
        check_shape(&document, 500).unwrap();
        let (_, operation) = crate::graphql::operation(&document, None).unwrap();
        model().cost(
            &document,
            &operation.node.selection_set.node,
            false,
            &Variables::from_json(variables),
            &SIZES,
        )
    }

    #[test]
    fn every_list_of_objects_has_a_declared_length() {
        assert_eq!(model().undeclared_lists(), Vec::<String>::new());
    }

    #[test]
    fn lists_multiply_what_they_select_by_their_length() {
        // cohort, cities, 55 × name
        assert_eq!(
            cost_of("{ cohort(year: 2020) { cities { name } } }", json()),
            ROOT_FIELD_COST + 57
        );
        // The cycle: each level multiplies by 55.
        assert_eq!(
            cost_of(
                "{ cohort(year: 2020) { cities { cohort { cities { name } } } } }",
                json()
            ),
            ROOT_FIELD_COST + 1 + 1 + 55 * (1 + 1 + 55)
        );
        // Aliases add, fragments count as what they select.
        assert_eq!(
            cost_of(
                "{ cohort(year: 2020) { a: cities { ...N } b: cities { name } } } fragment N on City { name slug }",
                json()
            ),
            ROOT_FIELD_COST + 1 + (1 + 55 * 2) + (1 + 55)
        );
        // The whole tree: 5 regions × 10 countries × 7 cities.
        assert_eq!(
            cost_of(
                "{ regions { name countries { name cities { name } } } }",
                json()
            ),
            ROOT_FIELD_COST + 1 + 5 * (1 + 1 + 10 * (1 + 1 + 7))
        );
    }

    #[test]
    fn a_connection_costs_its_page_from_arguments_or_variables() {
        let query = "query($n: Int) { cities(first: $n) { totalCount edges { cursor node { name } } nodes { slug } } }";
        // cities, totalCount, edges (n × (cursor, node, name)), nodes (n × slug)
        let expected = |n: u64| ROOT_FIELD_COST + 1 + 1 + (1 + n * 3) + (1 + n);
        assert_eq!(
            cost_of(query, serde_json::json!({ "n": 100 })),
            expected(100)
        );
        assert_eq!(cost_of(query, json()), expected(20), "the default page");
        assert_eq!(
            cost_of(query, serde_json::json!({ "n": 100_000 })),
            expected(100),
            "never more than the largest page"
        );
        assert_eq!(
            cost_of(
                "{ citiesNear(latitude: 0, longitude: 0, radiusKm: 1, first: 50) { city { name } } }",
                json()
            ),
            ROOT_FIELD_COST + 1 + 50 * 2
        );
    }

    #[test]
    fn each_field_of_the_root_costs_its_statements_however_it_is_selected() {
        // Aliases, and fragments spread twice: each root field counts.
        assert_eq!(
            cost_of(
                "{ a: network { cityCount } b: network { cityCount } }",
                json()
            ),
            2 * (ROOT_FIELD_COST + 2)
        );
        assert_eq!(
            cost_of(
                "{ ...N ...N } fragment N on Query { a: network { cityCount } }",
                json()
            ),
            2 * (ROOT_FIELD_COST + 2)
        );
        // Introspection runs no statement.
        assert_eq!(
            cost_of("{ __typename __schema { description } }", json()),
            3
        );
    }

    #[test]
    fn introspection_is_counted_over_the_schema_itself() {
        let kinds = cost_of("{ __schema { types { kind } } }", json());
        let types = kinds - 2;
        assert!(types > 30, "{types} types");
        let fields = cost_of("{ __schema { types { fields { name } } } }", json());
        // Each type's `fields` (null for non-objects), then one name per field of the schema.
        assert!(fields > kinds + 100, "{fields}");
        assert_eq!(
            cost_of(r#"{ __type(name: "Region") { fields { name } } }"#, json()),
            1 + 1 + 6
        );
    }

    fn json() -> serde_json::Value {
        serde_json::json!({})
    }

    fn fragments(levels: usize) -> String {
        let mut document =
            format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ __typename }}\n");
        for k in 1..=levels {
            document.push_str(&format!(
                "fragment F{k} on Query {{ ...F{} ...F{} }}\n",
                k - 1,
                k - 1
            ));
        }
        document
    }

    #[test]
    fn exponential_fragments_are_counted_once_each_and_refused() {
        // 2^60 selections if expanded: counted in one pass over 61 fragments.
        let document = parse_query(fragments(60)).unwrap();
        assert!(matches!(
            check_shape(&document, 500),
            Err(Refusal::TooManyFields { .. })
        ));
        let document = parse_query(fragments(3)).unwrap();
        assert_eq!(check_shape(&document, 500), Ok(()));
    }

    #[test]
    fn cycles_and_deep_chains_are_refused_without_recursing_through_them() {
        let cycle =
            parse_query("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
                .unwrap();
        assert!(matches!(
            check_shape(&cycle, 500),
            Err(Refusal::FragmentCycle(_))
        ));
        let mut chain = "query { ...F5000 }\nfragment F0 on Query { __typename }\n".to_owned();
        for k in 1..=5000 {
            chain.push_str(&format!("fragment F{k} on Query {{ ...F{} }}\n", k - 1));
        }
        let chain = parse_query(chain).unwrap();
        assert_eq!(check_shape(&chain, 500), Err(Refusal::TooDeep));
    }

    #[test]
    fn a_document_is_bounded_as_a_whole() {
        // Five fragments of 120 fields each: each fits 500, together they do not fit 4 × 100.
        let mut document = "query { __typename }\n".to_owned();
        for f in 0..5 {
            let fields: String = (0..120).map(|i| format!(" a{i}: __typename")).collect();
            document.push_str(&format!("fragment F{f} on Query {{{fields} }}\n"));
        }
        let document = parse_query(document).unwrap();
        assert!(matches!(
            check_shape(&document, 100),
            Err(Refusal::TooManyFields { .. })
        ));
        assert!(matches!(
            check_shape(&document, 150),
            Err(Refusal::DocumentTooLarge { .. })
        ));
        assert_eq!(check_shape(&document, 200), Ok(()));
    }
}
