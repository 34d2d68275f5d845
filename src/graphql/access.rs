//! Who a request acts for, and the rules that need a token or an admin.

use async_graphql::{Context, Result};

use super::context_data;
use super::error::{code, with_code};
use crate::access::Principal;

static ANONYMOUS: Principal = Principal::Anonymous;

/// The request's principal (anonymous when the request carried no token).
pub fn principal<'a>(ctx: &Context<'a>) -> &'a Principal {
    ctx.data_opt::<Principal>().unwrap_or(&ANONYMOUS)
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
