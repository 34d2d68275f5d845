//! Who a request acts for, and the rules that need a token or an admin.
//!
//! Resolvers reach the caller only through this module, and reading it marks the request
//! as one whose answer depends on who asked (see [`Personal`]): such an answer is never
//! kept in the response cache nor given to shared caches. A new private field needs no
//! list and no mark of its own: asking who the caller is marks it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::{Context, Result};

use super::context_data;
use super::error::{code, with_code};
use crate::access::Principal;

static ANONYMOUS: Principal = Principal::Anonymous;

/// Who a request acts for, as the request's data holds it: only [`principal`] reads it.
pub struct Caller {
    principal: Principal,
    personal: Personal,
}

impl Caller {
    /// The caller of a request acting for `principal`.
    pub fn new(principal: Principal) -> Self {
        Self {
            principal,
            personal: Personal::default(),
        }
    }

    /// Whether the request's answer, once executed, depended on who asked.
    pub fn personal(&self) -> Personal {
        self.personal.clone()
    }
}

/// Whether a request's answer depends on who asked: set once a resolver read its caller.
#[derive(Debug, Clone, Default)]
pub struct Personal(Arc<AtomicBool>);

impl Personal {
    /// Whether a resolver has read the caller.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The request's principal (anonymous when the request carried no token). The answer
/// depends on who asked from then on.
pub fn principal<'a>(ctx: &Context<'a>) -> &'a Principal {
    match ctx.data_opt::<Caller>() {
        Some(caller) => {
            caller.personal.0.store(true, Ordering::Release);
            &caller.principal
        }
        None => &ANONYMOUS,
    }
}

/// The principal, if it holds a token.
pub fn require_token<'a>(ctx: &Context<'a>) -> Result<&'a Principal> {
    match principal(ctx) {
        Principal::Anonymous => Err(with_code(
            "this needs an API token (Authorization: Bearer …)",
            code::UNAUTHENTICATED,
        )),
        principal => Ok(principal),
    }
}

/// The principal, if it is an admin.
pub fn require_admin<'a>(ctx: &Context<'a>) -> Result<&'a Principal> {
    let principal = require_token(ctx)?;
    if principal.is_admin() {
        Ok(principal)
    } else {
        Err(with_code("this needs an admin token", code::FORBIDDEN))
    }
}

/// The notifier's settings (the address guard's rules, among others).
pub fn settings<'a>(ctx: &Context<'a>) -> Result<&'a crate::webhooks::settings::WebhookSettings> {
    context_data(ctx)
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    use super::*;
    use crate::access::Role;

    /// A schema of its own, as a new field would be written: no list, no mark by hand.
    struct Query;

    #[Object]
    impl Query {
        /// Public: the same for everyone.
        async fn public(&self) -> i32 {
            1
        }

        /// Private: it only asks who the caller is.
        async fn private(&self, ctx: &Context<'_>) -> bool {
            principal(ctx).is_admin()
        }

        /// Private, through the token rule.
        async fn tokened(&self, ctx: &Context<'_>) -> Result<bool> {
            require_token(ctx).map(Principal::is_admin)
        }
    }

    /// Runs `query` for `principal`; the answer's `data`, and whether it was personal.
    async fn run(query: &str, principal: Principal) -> (async_graphql::Value, bool) {
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        let caller = Caller::new(principal);
        let personal = caller.personal();
        let response = schema
            .execute(async_graphql::Request::new(query).data(caller))
            .await;
        (response.data, personal.is_set())
    }

    fn admin() -> Principal {
        Principal::Token {
            id: 1,
            account: 1,
            name: "coordinators".into(),
            role: Role::Admin,
        }
    }

    #[tokio::test]
    async fn reading_the_caller_marks_the_answer_personal() {
        assert!(!run("{ public }", admin()).await.1);
        let (data, personal) = run("{ public private }", admin()).await;
        assert_eq!(data.to_string(), "{public: 1, private: true}");
        assert!(personal);
        // Anonymous too: an answer that asked is for its caller only, whoever that is.
        assert!(run("{ private }", Principal::Anonymous).await.1);
        assert!(run("{ tokened }", Principal::Anonymous).await.1);
        assert!(run("{ public ... on Query { tokened } }", admin()).await.1);
    }
}
