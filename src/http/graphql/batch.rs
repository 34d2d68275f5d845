//! A batch: a JSON array of GraphQL requests (POST only), run in turn within the one
//! deadline and answered as one JSON array, never cached.

use actix_web::HttpResponse;
use actix_web::http::header::CONTENT_TYPE;

use super::encode::encode;
use super::{Call, label};
use crate::http::error::HttpError;
use crate::http::wire::WireRequest;

pub(super) async fn serve(
    call: &Call<'_>,
    wires: Vec<WireRequest>,
) -> Result<HttpResponse, HttpError> {
    let resolved: Vec<_> = wires
        .into_iter()
        .map(|wire| call.service.resolve_persisted(call.http, wire))
        .collect::<Result<_, HttpError>>()?;
    let mut body = b"[".to_vec();
    for (i, resolved) in resolved.into_iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let encoded = match resolved {
            Ok((wire, remember_as)) => call.run(wire, remember_as, false).await.outcome?,
            Err(answer) => encode(&answer, call.media, None),
        };
        body.extend_from_slice(&encoded.body);
    }
    body.push(b']');
    // Named after running, which names each request's operation in turn.
    label(call.http, "batch");
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, call.media.content_type()))
        .body(body))
}
