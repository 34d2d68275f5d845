//! What introspection shows of the schema, counted exactly: the types it lists, their
//! fields, arguments, input fields and enum values, and the directives.

use async_graphql::Value;
use async_graphql::parser::types::{Field, SelectionSet};

use super::walk::{Node, Walk};

/// What introspection shows of one named type.
#[derive(Debug, Default)]
pub(super) struct IntrospectedType {
    /// Of an object: each field's argument types and type (interned type references).
    pub(super) fields: Option<Vec<(Vec<usize>, usize)>>,
    pub(super) input_fields: Option<Vec<usize>>,
    pub(super) enum_values: Option<u64>,
}

/// One type reference (`[City!]!`) as introspection shows it.
#[derive(Debug)]
pub(super) struct TypeRef {
    /// The type it wraps (`[City!]` for `[City!]!`), for `ofType`.
    pub(super) of_type: Option<usize>,
    /// The named type, for a reference without wrapper.
    pub(super) named: Option<String>,
}

/// The introspection types, as the spec defines them, the built-in scalars and the built-in
/// directives: the schema's SDL leaves them out (or some of them: a directive it declares
/// is counted once), but `__schema { types }` and `__schema { directives }` list them.
pub(super) const INTROSPECTION_SDL: &str = r#"
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
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @deprecated(reason: String = "No longer supported") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE
directive @specifiedBy(url: String!) on SCALAR
directive @oneOf on INPUT_OBJECT
"#;

impl<'a> Walk<'a> {
    /// `__schema` and `__type` on the query type: what they select of the schema (`None`
    /// for any other field).
    pub(super) fn introspection_root(&mut self, field: &'a Field) -> Option<u64> {
        let set = &field.selection_set.node;
        match field.name.node.as_str() {
            "__schema" => Some(self.selection_set(set, Node::Schema)),
            "__type" => {
                let named = self
                    .argument(field, "name")
                    .and_then(|value| match value {
                        Value::String(name) => Some(name),
                        _ => None,
                    })
                    .and_then(|name| self.model.ref_ids.get(&name).copied());
                Some(named.map_or(0, |id| self.selection_set(set, Node::Type(id))))
            }
            _ => None,
        }
    }

    /// What a field of introspection's types selects on each item it holds.
    pub(super) fn introspected(&mut self, field: &'a Field, node: Node<'a>) -> u64 {
        let name = field.name.node.as_str();
        let set = &field.selection_set.node;
        let model = self.model;
        match node {
            Node::Schema => match name {
                "types" => self.each(set, model.named_ids.iter().map(|&id| Node::Type(id))),
                "queryType" => self.named(set, &model.query),
                "mutationType" => match &model.mutation {
                    Some(mutation) => self.named(set, mutation),
                    None => 0,
                },
                "directives" => self.each(set, (0..model.directives.len()).map(Node::Directive)),
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
                        self.each(set, (0..count).map(|i| Node::Field(ty.as_str(), i)))
                    }
                    ("inputFields", Some((_, shown))) => {
                        let inputs = shown.input_fields.iter().flatten();
                        self.each(set, inputs.map(|&id| Node::InputValue(id)))
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
                    "args" => self.each(set, args.iter().map(|&id| Node::InputValue(id))),
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
                    let args = model.directives[d].iter();
                    self.each(set, args.map(|&id| Node::InputValue(id)))
                }
                _ => 0,
            },
            Node::Data { .. } | Node::EnumValue => 0,
        }
    }

    fn each(&mut self, set: &'a SelectionSet, nodes: impl Iterator<Item = Node<'a>>) -> u64 {
        nodes.fold(0u64, |total, node| {
            total.saturating_add(self.selection_set(set, node))
        })
    }

    fn named(&mut self, set: &'a SelectionSet, name: &str) -> u64 {
        match self.model.ref_ids.get(name) {
            Some(&id) => self.selection_set(set, Node::Type(id)),
            None => 0,
        }
    }
}
