//! The messages of graphql-transport-ws (the `graphql-ws` npm library's protocol) and its
//! close codes, with gnlc's own for a subscriber too slow.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::http::wire::WireRequest;

/// The WebSocket subprotocol spoken.
pub const SUBPROTOCOL: &str = "graphql-transport-ws";

/// Close codes: the protocol's, the WebSocket ones it uses, and gnlc's 4508.
pub mod close {
    pub const NORMAL: u16 = 1000;
    /// The process is stopping: reconnect (to another replica) and resume.
    pub const GOING_AWAY: u16 = 1001;
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    pub const BAD_REQUEST: u16 = 4400;
    /// `subscribe` before `connection_ack`.
    pub const UNAUTHORIZED: u16 = 4401;
    /// A token that is wrong, revoked or malformed.
    pub const FORBIDDEN: u16 = 4403;
    pub const SUBPROTOCOL_NOT_ACCEPTABLE: u16 = 4406;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
    pub const INTERNAL: u16 = 4500;
    /// gnlc's: a subscriber fell more than `--subscription-buffer` events behind. Not one
    /// of the codes `graphql-ws` treats as fatal, so the client reconnects; subscribe again
    /// with `after` set to the last cursor received.
    pub const TOO_SLOW: u16 = 4508;
}

/// A message from the client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    /// Its payload, if any, is not used.
    Ping {},
    Pong {},
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

/// An operation to run, as GraphQL over HTTP's request body holds it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribePayload {
    pub query: String,
    #[serde(default)]
    pub operation_name: Option<String>,
    #[serde(default)]
    pub variables: Option<Map<String, Value>>,
    #[serde(default)]
    pub extensions: Option<Map<String, Value>>,
}

impl SubscribePayload {
    pub fn into_wire(self) -> WireRequest {
        WireRequest {
            query: Some(self.query),
            operation_name: self.operation_name,
            variables: self.variables,
            extensions: self.extensions,
        }
    }
}

/// The token a `connection_init` payload carries: `{"authorization": "Bearer …"}` (as the
/// header) or `{"token": "…"}`; `None` without either.
pub fn init_authorization(payload: Option<&Value>) -> Option<String> {
    let payload = payload?;
    let text = |key: &str| payload.get(key).and_then(Value::as_str);
    text("authorization")
        .or_else(|| text("Authorization"))
        .map(str::to_owned)
        .or_else(|| text("token").map(|token| format!("Bearer {token}")))
}

pub fn connection_ack() -> String {
    json!({"type": "connection_ack"}).to_string()
}

pub fn ping() -> String {
    json!({"type": "ping"}).to_string()
}

pub fn pong() -> String {
    json!({"type": "pong"}).to_string()
}

/// A message about an operation, written as it is rather than through a JSON value (whose
/// object sorts its keys): an answer's fields stay in the order they were asked in, as over
/// HTTP and SSE.
#[derive(Serialize)]
struct OperationMessage<'a, P: Serialize> {
    r#type: &'static str,
    id: &'a str,
    payload: P,
}

impl<P: Serialize> OperationMessage<'_, P> {
    fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|error| {
            tracing::error!(%error, "an answer that cannot be written as JSON");
            json!({"type": "error", "id": self.id, "payload": [{"message": "internal server error"}]})
                .to_string()
        })
    }
}

pub fn next(id: &str, result: &async_graphql::Response) -> String {
    OperationMessage {
        r#type: "next",
        id,
        payload: result,
    }
    .text()
}

pub fn error(id: &str, errors: &[async_graphql::ServerError]) -> String {
    OperationMessage {
        r#type: "error",
        id,
        payload: errors,
    }
    .text()
}

pub fn complete(id: &str) -> String {
    json!({"type": "complete", "id": id}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_comes_as_the_header_or_alone() {
        let bearer = json!({"authorization": "Bearer gnlc_x"});
        assert_eq!(init_authorization(Some(&bearer)).unwrap(), "Bearer gnlc_x");
        let token = json!({"token": "gnlc_x"});
        assert_eq!(init_authorization(Some(&token)).unwrap(), "Bearer gnlc_x");
        assert_eq!(init_authorization(Some(&json!({}))), None);
        assert_eq!(init_authorization(None), None);
    }

    #[test]
    fn an_answer_keeps_its_fields_in_the_order_asked() {
        let data: async_graphql::Value = serde_json::from_str::<async_graphql::Value>(
            r#"{"city": {"slug": "cahul", "name": "Cahul", "country": {"name": "Moldova", "iso2": "MD"}}}"#,
        )
        .unwrap();
        assert_eq!(
            next("1", &async_graphql::Response::new(data)),
            r#"{"type":"next","id":"1","payload":{"data":{"city":{"slug":"cahul","name":"Cahul","country":{"name":"Moldova","iso2":"MD"}}}}}"#
        );
    }

    #[test]
    fn messages_parse_by_type() {
        let subscribe: ClientMessage = serde_json::from_str(
            r#"{"type":"subscribe","id":"1","payload":{"query":"{ a }","variables":null}}"#,
        )
        .unwrap();
        assert!(matches!(subscribe, ClientMessage::Subscribe { id, .. } if id == "1"));
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"next","id":"1"}"#).is_err());
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"complete"}"#).is_err());
    }
}
