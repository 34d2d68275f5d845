//! One GraphQL request (GET or POST, not in a batch): answered from the response cache when
//! it holds the answer at the current data version, else run, and its answer kept when it
//! may be; GET answers carry an `ETag`, a `Cache-Control` and a 304 when the client's tag
//! is current.

use std::sync::Arc;

use actix_web::HttpMessage;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};

use super::encode::{Encoded, encode};
use super::{Call, QUERY_COST, header, label};
use crate::access::Principal;
use crate::http::cache::{self, Cached};
use crate::http::error::HttpError;
use crate::http::etag;
use crate::http::metrics::Operation;
use crate::http::wire::WireRequest;

pub(super) async fn serve(call: &Call<'_>, wire: WireRequest) -> Result<HttpResponse, HttpError> {
    let (wire, remember_as) = match call.service.resolve_persisted(call.http, wire)? {
        Ok(resolved) => resolved,
        Err(answer) => {
            let encoded = encode(&answer, call.media, None);
            return Ok(respond(call, &encoded, None));
        }
    };
    // The cache is looked up before the document is parsed: an answer is only ever kept
    // for a cacheable query, so finding one under the key is enough.
    let slot = cache_key(call, &wire);
    let (cached, version) = lookup(call, slot.as_deref()).await;
    if let Some(cached) = cached {
        label(call.http, &cached.label);
        let encoded = Encoded {
            status: StatusCode::OK,
            body: cached.body.clone(),
            clean: true,
            cacheable: true,
            cost: Some(cached.cost),
        };
        return Ok(respond(call, &encoded, Some(&cached.etag)));
    }
    // Without a version read yet, a query the cache may keep reads it once parsed (before
    // it runs): a request that is no query never pays for it.
    let ran = call
        .run(wire, remember_as, slot.is_some() && version.is_none())
        .await;
    let version = version.or(ran.version);
    let encoded = ran.outcome?;
    let tag = (encoded.clean && (call.is_get || (slot.is_some() && encoded.cacheable)))
        .then(|| etag::tag(call.media.content_type(), &encoded.body));
    if let (Some(key), Some(version), Some(tag)) = (slot, version, &tag) {
        store(call, key, version, tag, &encoded);
    }
    Ok(respond(call, &encoded, tag.as_deref()))
}

/// The cache key of a request, when the cache is on. (Whether its answer may be kept is
/// known once it ran: see [`Encoded::cacheable`].)
fn cache_key(call: &Call<'_>, wire: &WireRequest) -> Option<String> {
    call.service.cache.as_ref()?;
    Some(cache::key(
        call.media.content_type(),
        wire.operation_name.as_deref(),
        wire.variables.as_ref(),
        wire.query.as_deref()?,
    ))
}

/// Looks a request up in the response cache: the answer kept under `key` when it is at the
/// current data version and the request is anonymous (a token's is checked and run), and
/// the data version, read before the query runs (if it does) so that an answer is never
/// newer than the version it is kept at. The version is read only to check an answer
/// found; neither without a key.
async fn lookup(call: &Call<'_>, key: Option<&str>) -> (Option<Arc<Cached>>, Option<i64>) {
    let (Some(cache), Some(key)) = (&call.service.cache, key) else {
        return (None, None);
    };
    let anonymous = matches!(call.principal, Principal::Anonymous)
        && !call.http.headers().contains_key(AUTHORIZATION);
    let Some(cached) = anonymous.then(|| cache.get(key)).flatten() else {
        return (None, None);
    };
    let version = call.service.versions.current().await;
    if version == Some(cached.version) {
        (Some(cached), version)
    } else {
        (None, version)
    }
}

/// Keeps the answer to a cacheable query (its tag given: it has no errors), whoever asked
/// it, under `key`, at the data version read before it ran.
fn store(call: &Call<'_>, key: String, version: i64, tag: &str, encoded: &Encoded) {
    let Some(cache) = &call.service.cache else {
        return;
    };
    if !encoded.cacheable {
        return;
    }
    let label = call
        .http
        .extensions()
        .get::<Operation>()
        .map(|operation| operation.0.clone())
        .unwrap_or_default();
    cache.insert(
        key,
        Cached {
            version,
            body: encoded.body.clone(),
            etag: tag.to_owned(),
            label,
            cost: encoded.cost.unwrap_or_default(),
        },
    );
}

/// The HTTP response for one encoded GraphQL response (`clean`: without errors); on GET,
/// with caching headers and a 304 when the client's tag is current.
fn respond(call: &Call<'_>, encoded: &Encoded, tag: Option<&str>) -> HttpResponse {
    let (status, body) = (encoded.status, encoded.body.clone());
    let mut builder = HttpResponse::build(status);
    builder.insert_header((CONTENT_TYPE, call.media.content_type()));
    if let Some(cost) = encoded.cost {
        builder.insert_header((QUERY_COST, cost.to_string()));
    }
    if !call.is_get {
        return builder.body(body);
    }
    builder.insert_header((VARY, "Accept, Authorization"));
    // Only a clean answer (200, no errors) has a tag.
    let Some(tag) = tag.filter(|_| status == StatusCode::OK) else {
        return builder
            .insert_header((CACHE_CONTROL, "no-store"))
            .body(body);
    };
    let headers = call.http.headers();
    // What a token may see, or what depended on who asked, is for its caller only: never
    // for shared caches.
    let cache_control = if headers.contains_key(AUTHORIZATION) || !encoded.cacheable {
        "private, no-cache"
    } else {
        call.service.cache_control.as_str()
    };
    if header(headers, IF_NONE_MATCH).is_some_and(|wanted| etag::matches(wanted, tag)) {
        return HttpResponse::NotModified()
            .insert_header((ETAG, tag))
            .insert_header((CACHE_CONTROL, cache_control))
            .insert_header((VARY, "Accept, Authorization"))
            .finish();
    }
    builder
        .insert_header((ETAG, tag))
        .insert_header((CACHE_CONTROL, cache_control))
        .body(body)
}
