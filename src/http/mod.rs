//! The partner-facing HTTP surface: GraphQL over HTTP at `/graphql`, GraphiQL, metrics,
//! health, request ids, CORS and security headers. `startup` wires these into routes.

pub mod auth;
pub mod cache;
pub mod cors;
pub mod error;
pub mod etag;
pub mod executor;
pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod metrics;
pub mod negotiation;
pub mod persisted;
pub mod request_id;
pub mod security_headers;
pub mod sse;
pub mod vendored;
pub mod web_assets;
pub mod websocket;
pub mod wire;
