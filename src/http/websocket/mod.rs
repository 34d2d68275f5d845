//! `GET /graphql` with `Upgrade: websocket`: GraphQL subscriptions (and queries) over
//! graphql-transport-ws. The upgrade is refused with 503 past `--subscription-max-connections`;
//! a client not offering the subprotocol is closed with 4406, as the protocol says. Frames
//! and messages are bounded by `--max-body-bytes`.

mod connection;
pub mod message;

use std::sync::Arc;

use actix_web::guard::GuardContext;
use actix_web::http::header::{AUTHORIZATION, SEC_WEBSOCKET_PROTOCOL, UPGRADE};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, CloseReason};

use super::graphql::{GraphQLService, stream};
use crate::subscriptions::Live;
use message::{SUBPROTOCOL, close};

/// Whether a request asks to become a WebSocket.
pub fn is_upgrade(context: &GuardContext<'_>) -> bool {
    context
        .head()
        .headers()
        .get(UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

pub async fn endpoint(
    request: HttpRequest,
    body: web::Payload,
    service: web::Data<GraphQLService>,
    live: web::Data<Arc<Live>>,
) -> actix_web::Result<HttpResponse> {
    let live = live.get_ref().clone();
    let Some(slot) = live.open_connection() else {
        return Ok(stream::too_many_connections());
    };
    let offered = request
        .headers()
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|protocol| protocol.trim() == SUBPROTOCOL);
    let (response, session, messages) =
        actix_ws::handle_with_protocols(&request, body, &[SUBPROTOCOL])?;
    let max = service.max_body_bytes;
    let messages = messages
        .max_frame_size(max)
        .aggregate_continuations()
        .max_continuation_size(max);
    if !offered {
        let reason = CloseReason {
            code: CloseCode::from(close::SUBPROTOCOL_NOT_ACCEPTABLE),
            description: Some("Subprotocol not acceptable".to_owned()),
        };
        actix_web::rt::spawn(async move {
            let _ = session.close(Some(reason)).await;
            drop(slot);
        });
        return Ok(response);
    }
    let authorization = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    actix_web::rt::spawn(connection::serve(connection::Opening {
        session,
        messages,
        service,
        live,
        slot,
        authorization,
    }));
    Ok(response)
}
