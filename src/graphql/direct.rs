//! Resolving the membership tree's objects without a future per field.
//!
//! async-graphql resolves every field of an object as a boxed future of its own, driven
//! beside its siblings in a `FuturesUnordered` (`resolve_container`). Over the ~600 fields
//! of the whole region → country → city tree, that bookkeeping cost more than everything
//! else a request does. Yet once `prefetch` has filled the request's loaders, a field of these
//! types has nothing to wait for. [`Direct`] resolves an object's fields one after the
//! other, in place, with one future for the whole object. The items of a list are still
//! resolved side by side (async-graphql's `resolve_list`), so a field that does wait for a
//! load (a row that was not prefetched) waits together with the same field of every other
//! item, and their loads are still batched into one statement.
//!
//! The schema has no extension (see `super::field_order`): one would not see these fields go
//! by.
//!
//! The answer is the value async-graphql makes: the same fields and values, the same errors,
//! repeated response keys merged the same way (`tests::direct_answers_as_async_graphql_does`
//! compares both).

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use async_graphql::Value;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::{ContainerType, resolve_container};
use async_graphql::{ContextSelectionSet, Name, OutputType, Positioned, ServerError, ServerResult};
use indexmap::IndexMap;

/// An object of `T` resolved field after field (see the module's documentation). In the
/// schema it is `T` itself: same name, same fields.
pub struct Direct<T>(pub T);

impl<T: ContainerType + Sync> OutputType for Direct<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        // One allocation per object, where async-graphql makes one per field; boxed, the
        // object's future has a size even though objects nest in one another.
        let object: Pin<Box<dyn Future<Output = ServerResult<Value>> + Send + '_>> =
            Box::pin(resolve_object(ctx, &self.0));
        object.await
    }
}

/// The object's fields, one after the other.
async fn resolve_object<T: ContainerType + Sync>(
    ctx: &ContextSelectionSet<'_>,
    root: &T,
) -> ServerResult<Value> {
    let mut fields = Vec::new();
    collect(ctx, root, &ctx.item.node, &mut fields)?;
    // Custom directives wrap a field's resolution: async-graphql's own path.
    if fields.iter().any(|field| !field.node.directives.is_empty()) {
        return resolve_container(ctx, root).await;
    }
    let mut object = IndexMap::with_capacity(fields.len());
    for field in fields {
        let key = field.node.response_key().node.clone();
        if field.node.name.node == "__typename" {
            let name = root.introspection_type_name().into_owned();
            insert_value(&mut object, key, Value::String(name));
            continue;
        }
        match root.resolve_field(&ctx.with_field(field)).await {
            Ok(value) => insert_value(&mut object, key, value.unwrap_or_default()),
            Err(error) => ctx.add_error(error),
        }
    }
    Ok(finish(object))
}

/// An object with no field is null, as async-graphql answers it.
fn finish(object: IndexMap<Name, Value>) -> Value {
    if object.is_empty() {
        Value::Null
    } else {
        Value::Object(object)
    }
}

/// The fields a selection set selects on `root`, fragments spread in document order, as
/// async-graphql's `Fields::add_set` collects them (`@skip` and `@include` were applied to
/// the document before execution).
fn collect<'a, T: ContainerType>(
    ctx: &ContextSelectionSet<'a>,
    root: &T,
    set: &'a SelectionSet,
    fields: &mut Vec<&'a Positioned<Field>>,
) -> ServerResult<()> {
    for selection in &set.items {
        let (condition, set) = match &selection.node {
            Selection::Field(field) => {
                fields.push(field);
                continue;
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                let Some(fragment) = ctx.query_env.fragments.get(name) else {
                    return Err(ServerError::new(
                        format!(r#"Unknown fragment "{name}"."#),
                        Some(spread.pos),
                    ));
                };
                (
                    Some(&fragment.node.type_condition.node.on.node),
                    &fragment.node.selection_set.node,
                )
            }
            Selection::InlineFragment(inline) => (
                inline.node.type_condition.as_ref().map(|c| &c.node.on.node),
                &inline.node.selection_set.node,
            ),
        };
        let applies = condition.is_none_or(|condition| {
            let name = root.introspection_type_name();
            *name == **condition
                || T::type_name() == condition.as_str()
                || ctx
                    .schema_env
                    .registry
                    .implements
                    .get(&*name)
                    .is_some_and(|interfaces| interfaces.contains(condition.as_str()))
        });
        if applies {
            collect(ctx, root, set, fields)?;
        }
    }
    Ok(())
}

/// Adds a field's value to an object; a key selected more than once has its objects (and
/// the objects of its lists, item by item) merged, as async-graphql's `insert_value` does.
fn insert_value(target: &mut IndexMap<Name, Value>, name: Name, value: Value) {
    let Some(previous) = target.get_mut(&name) else {
        target.insert(name, value);
        return;
    };
    match (previous, value) {
        (Value::Object(previous), Value::Object(object)) => {
            for (key, value) in object {
                insert_value(previous, key, value);
            }
        }
        (Value::List(previous), Value::List(list)) => {
            for (item, value) in previous.iter_mut().zip(list) {
                if let (Value::Object(item), Value::Object(object)) = (item, value) {
                    for (key, value) in object {
                        insert_value(item, key, value);
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
