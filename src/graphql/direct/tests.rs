//! [`Direct`] answers what async-graphql answers: the same documents run over a tree of
//! objects resolved directly and over the same tree resolved by async-graphql.

use std::borrow::Cow;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{
    ContextSelectionSet, EmptyMutation, EmptySubscription, Object, OutputType, Positioned, Request,
    Result, Schema, ServerResult, Value, Variables,
};

use super::Direct;

/// A node of the test tree; `direct` says how its objects are resolved.
struct Node {
    id: i32,
    depth: i32,
    direct: bool,
}

impl Node {
    fn child(&self, i: i32) -> Either {
        Either(Node {
            id: self.id * 10 + i,
            depth: self.depth + 1,
            direct: self.direct,
        })
    }
}

#[Object]
impl Node {
    async fn id(&self) -> i32 {
        self.id
    }

    async fn name(&self) -> String {
        format!("node {}", self.id)
    }

    async fn ratio(&self) -> Option<f64> {
        (self.id % 2 == 0).then_some(f64::from(self.id) / 3.0)
    }

    /// Waits before it answers: a field that is not ready when first polled.
    async fn later(&self) -> i32 {
        tokio::task::yield_now().await;
        self.id * 100
    }

    async fn fails(&self) -> Result<i32> {
        Err(format!("node {} refuses", self.id).into())
    }

    /// Waits, then fails.
    async fn fails_later(&self) -> Result<String> {
        tokio::task::yield_now().await;
        Err("later, no".into())
    }

    async fn children(&self) -> Vec<Either> {
        if self.depth >= 3 {
            return Vec::new();
        }
        (1..=3).map(|i| self.child(i)).collect()
    }

    async fn first(&self) -> Option<Either> {
        (self.depth < 3).then(|| self.child(1))
    }
}

/// A node resolved by [`Direct`] or by async-graphql, by its `direct`.
struct Either(Node);

impl OutputType for Either {
    fn type_name() -> Cow<'static, str> {
        Node::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Node::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if self.0.direct {
            Direct::<&Node>(&self.0).resolve(ctx, field).await
        } else {
            OutputType::resolve(&self.0, ctx, field).await
        }
    }
}

struct Query;

#[Object]
impl Query {
    async fn direct(&self) -> Vec<Either> {
        roots(true)
    }

    /// Named as long as `direct`: the two answers' error locations are the same.
    async fn normal(&self) -> Vec<Either> {
        roots(false)
    }
}

fn roots(direct: bool) -> Vec<Either> {
    (1..=2)
        .map(|id| {
            Either(Node {
                id,
                depth: 0,
                direct,
            })
        })
        .collect()
}

/// The answer to `document` with `ROOT` read from `root`, its errors in path order.
async fn answer(document: &str, root: &str, variables: &serde_json::Value) -> serde_json::Value {
    let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
    let request = Request::new(document.replace("ROOT", root))
        .variables(Variables::from_json(variables.clone()));
    let mut answer = serde_json::to_value(schema.execute(request).await).unwrap();
    if let Some(serde_json::Value::Array(errors)) = answer.get_mut("errors") {
        errors.sort_by_key(|error| error["path"].to_string());
    }
    answer
}

const DOCUMENTS: &[&str] = &[
    // Every field, three levels down, with waiting and failing fields at each.
    "{ nodes: ROOT { __typename id name ratio later fails failsLater
         children { id name ratio later fails failsLater first { id later }
           children { __typename id later children { id name later fails } } } } }",
    // Aliases, and keys selected more than once: objects and lists of objects merged.
    "{ nodes: ROOT { a: id b: name id id
         children { id } children { name first { id } } first { id } first { later }
         kids: children { later } kids: children { children { id } } } }",
    // Fragments: named, inline with and without a type condition, nested.
    "query { nodes: ROOT { ...Names ... on Node { later first { ...Names } } ... { ratio } } }
     fragment Names on Node { id name children { ... on Node { name } ...Ids } }
     fragment Ids on Node { id later }",
    // @skip and @include, by variables and literals.
    "query ($yes: Boolean!, $no: Boolean!) { nodes: ROOT {
         id @skip(if: $yes) name @include(if: $yes) later @include(if: $no)
         children @skip(if: false) { id @include(if: true) ratio @skip(if: $yes) } } }",
];

#[tokio::test]
async fn direct_answers_as_async_graphql_does() {
    let variables = serde_json::json!({ "yes": true, "no": false });
    for document in DOCUMENTS {
        let normal = answer(document, "normal", &variables).await;
        assert!(normal.get("data").is_some(), "{document}: {normal}");
        let direct = answer(document, "direct", &variables).await;
        assert_eq!(direct, normal, "{document}");
    }
}

#[tokio::test]
async fn the_tree_is_answered_whole() {
    // The comparison above would hold for two empty answers: this one is not.
    let answer = answer(
        "{ nodes: ROOT { id later children { children { children { name } } } } }",
        "direct",
        &serde_json::json!({}),
    )
    .await;
    let nodes = &answer["data"]["nodes"];
    assert_eq!(nodes[1]["later"], 200);
    assert_eq!(
        nodes[0]["children"][2]["children"][0]["children"][1]["name"],
        "node 1312"
    );
}
