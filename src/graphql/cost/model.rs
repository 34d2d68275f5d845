//! The schema as the cost model sees it, read from its SDL.

use std::collections::{HashMap, HashSet};

use async_graphql::Variables;
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationType, SelectionSet, ServiceDocument, Type, TypeKind,
    TypeSystemDefinition,
};

use super::introspection::{INTROSPECTION_SDL, IntrospectedType, TypeRef};
use super::lists::{DATA_LISTS, Length, length};
use super::walk::{Node, Walk};
use crate::graphql::list_sizes::ListSizes;

/// A field of an object type: what it holds, and how many.
#[derive(Debug)]
pub(super) struct FieldModel {
    /// The named type (lists and non-null unwrapped).
    pub(super) ty: String,
    pub(super) length: Length,
}

/// The schema as the cost model sees it: object types with the length of their list
/// fields, and what introspection shows.
#[derive(Debug)]
pub struct CostModel {
    pub(super) objects: HashMap<String, HashMap<String, FieldModel>>,
    pub(super) query: String,
    pub(super) mutation: Option<String>,
    pub(super) subscription: Option<String>,
    pub(super) named: HashMap<String, IntrospectedType>,
    /// The interned references of the named types, as `__schema { types }` lists them.
    pub(super) named_ids: Vec<usize>,
    pub(super) refs: Vec<TypeRef>,
    pub(super) ref_ids: HashMap<String, usize>,
    /// Each directive's argument types.
    pub(super) directives: Vec<Vec<usize>>,
    /// The directives' names, each counted once.
    directive_names: HashSet<String>,
}

impl CostModel {
    /// The model of a schema, from its SDL.
    pub fn new(sdl: &str) -> Self {
        let mut model = CostModel {
            objects: HashMap::new(),
            query: "Query".into(),
            mutation: None,
            subscription: None,
            named: HashMap::new(),
            named_ids: Vec::new(),
            refs: Vec::new(),
            ref_ids: HashMap::new(),
            directives: Vec::new(),
            directive_names: HashSet::new(),
        };
        for source in [sdl, INTROSPECTION_SDL] {
            // Both are ours: a schema that does not parse is a bug caught by the tests.
            let document =
                async_graphql::parser::parse_schema(source).unwrap_or_else(|_| ServiceDocument {
                    definitions: Vec::new(),
                });
            model.add(&document);
        }
        let ids = model.named.keys().filter_map(|n| model.ref_ids.get(n));
        model.named_ids = ids.copied().collect();
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
                    self.subscription =
                        (schema.node.subscription.as_ref()).map(|s| s.node.to_string());
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
                // Declared by the schema's SDL and again as a built-in: counted once.
                TypeSystemDefinition::Directive(directive)
                    if !self
                        .directive_names
                        .insert(directive.node.name.node.to_string()) => {}
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

    fn mutation(&self) -> &str {
        self.mutation.as_deref().unwrap_or("Mutation")
    }

    fn subscription(&self) -> &str {
        self.subscription.as_deref().unwrap_or("Subscription")
    }

    pub(super) fn is_root(&self, ty: &str) -> bool {
        ty == self.query || [self.mutation(), self.subscription()].contains(&ty)
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
        kind: OperationType,
        variables: &Variables,
        sizes: &ListSizes,
    ) -> u64 {
        let root = match kind {
            OperationType::Query => self.query.as_str(),
            OperationType::Mutation => self.mutation(),
            OperationType::Subscription => self.subscription(),
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

fn named_type(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named_type(inner),
    }
}
