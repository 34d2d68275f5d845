//! One rule for every string a request carries: none holds U+0000 (NUL). PostgreSQL's
//! text cannot store it, and no name, slug, code, id or description of gnlc's contains
//! it. So a request carrying one anywhere in its document's arguments (default values of
//! variables included) or in its variables is refused whole before it runs, with
//! `BAD_USER_INPUT` naming where, on every database alike (see
//! `GraphQLService::check`).

use std::convert::Infallible;
use std::fmt;

use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Pos, Positioned, Value, Variables};

/// Where a request carries a NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NulFound {
    /// E.g. ``the argument `slug` of `city` `` or ``the variable `$input.cities[1].name` ``.
    pub place: String,
    /// Where it is in the document, when it is there.
    pub pos: Option<Pos>,
}

impl fmt::Display for NulFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} holds the character U+0000 (NUL), which no string sent to gnlc may hold",
            self.place
        )
    }
}

/// The first NUL a request carries, in its variables or in its document's arguments.
/// Time linear in the request's size; selection sets nest no deeper than the document's
/// shape check allows (run it first), values are walked without recursion.
pub fn find(document: &ExecutableDocument, variables: &Variables) -> Option<NulFound> {
    for (name, value) in variables.iter() {
        if let Some(path) = path_to_nul(value) {
            return Some(NulFound {
                place: format!("the variable `${name}{path}`"),
                pos: None,
            });
        }
    }
    for (_, operation) in document.operations.iter() {
        for definition in &operation.node.variable_definitions {
            let Some(default) = &definition.node.default_value else {
                continue;
            };
            if let Some(path) = path_to_nul(&default.node) {
                return Some(NulFound {
                    place: format!(
                        "the default value of `${}{path}`",
                        definition.node.name.node
                    ),
                    pos: Some(default.pos),
                });
            }
        }
        let found = in_directives(&operation.node.directives)
            .or_else(|| in_selection_set(&operation.node.selection_set.node));
        if found.is_some() {
            return found;
        }
    }
    document.fragments.values().find_map(|fragment| {
        in_directives(&fragment.node.directives)
            .or_else(|| in_selection_set(&fragment.node.selection_set.node))
    })
}

fn in_selection_set(set: &SelectionSet) -> Option<NulFound> {
    set.items
        .iter()
        .find_map(|selection| match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                let arguments = field.arguments.iter().map(|(name, value)| {
                    (name, value.pos, value.node.clone().into_const_with(unset))
                });
                in_arguments(arguments, &format!("`{}`", field.name.node))
                    .or_else(|| in_directives(&field.directives))
                    .or_else(|| in_selection_set(&field.selection_set.node))
            }
            Selection::FragmentSpread(spread) => in_directives(&spread.node.directives),
            Selection::InlineFragment(inline) => in_directives(&inline.node.directives)
                .or_else(|| in_selection_set(&inline.node.selection_set.node)),
        })
}

fn in_directives(directives: &[Positioned<Directive>]) -> Option<NulFound> {
    directives.iter().find_map(|directive| {
        let directive = &directive.node;
        let arguments = directive
            .arguments
            .iter()
            .map(|(name, value)| (name, value.pos, value.node.clone().into_const_with(unset)));
        in_arguments(arguments, &format!("`@{}`", directive.name.node))
    })
}

/// Variables in an argument's value are left out: they are checked on their own.
fn unset(_: Name) -> Result<Value, Infallible> {
    Ok(Value::Null)
}

/// `of` names what the arguments are given to (a field or a directive).
fn in_arguments<'a>(
    mut arguments: impl Iterator<Item = (&'a Positioned<Name>, Pos, Result<Value, Infallible>)>,
    of: &str,
) -> Option<NulFound> {
    arguments.find_map(|(name, pos, value)| {
        let Ok(value) = value;
        let path = path_to_nul(&value)?;
        Some(NulFound {
            place: format!("the argument `{}{path}` of {of}", name.node),
            pos: Some(pos),
        })
    })
}

/// One step from a value to a value inside it.
enum Step<'a> {
    Index(usize),
    Key(&'a str),
}

/// The path (`""` for the value itself, `.cities[1].name` inside it) to the first string
/// or object key in `value` that holds a NUL.
fn path_to_nul(value: &Value) -> Option<String> {
    // Depth first with a stack of our own (values may nest deeply); each value visited
    // remembers its parent and the step from it, so a path is built only once found.
    let mut visited: Vec<(Option<usize>, Option<Step<'_>>)> = Vec::new();
    let mut stack = vec![(value, None, None)];
    while let Some((value, parent, step)) = stack.pop() {
        let here = visited.len();
        visited.push((parent, step));
        match value {
            Value::String(text) if text.contains('\0') => return Some(path(&visited, here)),
            Value::List(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((item, Some(here), Some(Step::Index(i))));
                }
            }
            Value::Object(fields) => {
                if let Some(key) = fields.keys().find(|key| key.contains('\0')) {
                    let mut path = path(&visited, here);
                    path.push('.');
                    path.push_str(&key.replace('\0', "\\u0000"));
                    return Some(path);
                }
                for (key, item) in fields.iter().rev() {
                    stack.push((item, Some(here), Some(Step::Key(key.as_str()))));
                }
            }
            _ => {}
        }
    }
    None
}

fn path(visited: &[(Option<usize>, Option<Step<'_>>)], mut at: usize) -> String {
    let mut steps = Vec::new();
    while let (Some(parent), Some(step)) = &visited[at] {
        steps.push(step);
        at = *parent;
    }
    steps
        .iter()
        .rev()
        .map(|step| match step {
            Step::Index(i) => format!("[{i}]"),
            Step::Key(key) => format!(".{key}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn found(query: &str, variables: serde_json::Value) -> Option<String> {
        let document = parse_query(query).unwrap();
        find(&document, &Variables::from_json(variables)).map(|nul| nul.place)
    }

    #[test]
    fn names_where_a_nul_is() {
        let none = serde_json::json!({});
        assert_eq!(
            found(r#"{ city(slug: "a\u0000") { name } }"#, none.clone()).as_deref(),
            Some("the argument `slug` of `city`")
        );
        assert_eq!(
            found(
                r#"query($s: String = "\u0000") { city(slug: $s) { name } }"#,
                none.clone()
            )
            .as_deref(),
            Some("the default value of `$s`")
        );
        assert_eq!(
            found(
                r#"{ a: city(slug: "x") { name @include(if: true) } ...F } fragment F on Query { cities(search: "ok", country: "M\u0000D") { totalCount } }"#,
                none.clone()
            )
            .as_deref(),
            Some("the argument `country` of `cities`")
        );
        assert_eq!(
            found(
                r#"mutation { admitCohort(input: { cities: [{ name: "ok" }, { name: "\u0000" }] }) { created } }"#,
                none.clone()
            )
            .as_deref(),
            Some("the argument `input.cities[1].name` of `admitCohort`")
        );
        assert_eq!(
            found(
                "mutation($input: CohortAdmissionInput!) { admitCohort(input: $input) { created } }",
                serde_json::json!({ "input": { "year": 2026, "cities": [{ "name": "ok" }, { "name": "B\u{0}" }] } })
            )
            .as_deref(),
            Some("the variable `$input.cities[1].name`")
        );
        assert_eq!(
            found(
                "{ city(slug: $s) { name } }",
                serde_json::json!({ "s": "\u{0}" })
            )
            .as_deref(),
            Some("the variable `$s`")
        );
    }

    #[test]
    fn finds_nothing_in_clean_requests_and_a_nul_deep_inside() {
        let document = parse_query(r#"{ city(slug: "chisinau") { name } }"#).unwrap();
        let variables = Variables::from_json(serde_json::json!({ "d": [1, "x", { "k": "v" }] }));
        assert_eq!(find(&document, &variables), None);
        let mut deep = Value::List(vec![Value::from("fine"), Value::from("\0")]);
        for _ in 0..1_000 {
            deep = Value::List(vec![Value::Null, deep]);
        }
        assert_eq!(
            path_to_nul(&deep),
            Some(format!("{}[1]", "[1]".repeat(1_000)))
        );
    }
}
