//! GraphQL requests as they arrive: a POST body (one JSON object, or an array of them for a
//! batch) or a GET query string, checked field by field as GraphQL over HTTP defines them.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use super::error::HttpError;

/// One GraphQL request, before gnlc resolves its persisted query and parses it.
#[derive(Debug, Default)]
pub struct WireRequest {
    pub query: Option<String>,
    pub operation_name: Option<String>,
    pub variables: Option<Map<String, Value>>,
    pub extensions: Option<Map<String, Value>>,
}

#[derive(Debug)]
pub enum Incoming {
    Single(WireRequest),
    Batch(Vec<WireRequest>),
}

/// Reads a POST body: UTF-8 JSON, an object, or an array of objects when batches are
/// allowed (`max_batch_size` above 0).
pub fn from_body(body: &[u8], max_batch_size: usize) -> Result<Incoming, HttpError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| HttpError::NotJson(error.to_string()))?;
    match value {
        Value::Object(object) => Ok(Incoming::Single(from_object(object)?)),
        Value::Array(_) if max_batch_size == 0 => Err(HttpError::BatchRefused),
        Value::Array(items) if items.is_empty() => Err(HttpError::EmptyBatch),
        Value::Array(items) if items.len() > max_batch_size => Err(HttpError::BatchTooLarge {
            size: items.len(),
            limit: max_batch_size,
        }),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(object) => from_object(object),
                _ => Err(HttpError::NotAnObject),
            })
            .collect::<Result<_, _>>()
            .map(Incoming::Batch),
        _ => Err(HttpError::NotAnObject),
    }
}

fn from_object(mut object: Map<String, Value>) -> Result<WireRequest, HttpError> {
    Ok(WireRequest {
        query: string(object.remove("query"), "query")?,
        operation_name: string(object.remove("operationName"), "operationName")?,
        variables: map(object.remove("variables"), "variables")?,
        extensions: map(object.remove("extensions"), "extensions")?,
    })
}

fn string(value: Option<Value>, field: &'static str) -> Result<Option<String>, HttpError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(HttpError::BadField {
            field,
            expected: "a string",
        }),
    }
}

fn map(value: Option<Value>, field: &'static str) -> Result<Option<Map<String, Value>>, HttpError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(object)) => Ok(Some(object)),
        Some(_) => Err(HttpError::BadField {
            field,
            expected: "a JSON object",
        }),
    }
}

/// Reads a GET query string: `query`, `operationName`, and `variables` and `extensions` as
/// JSON-encoded strings. Percent-encoded bytes must decode to UTF-8.
pub fn from_query_string(query_string: &str) -> Result<WireRequest, HttpError> {
    let mut request = WireRequest::default();
    for pair in query_string.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name)?;
        let value = decode(value)?;
        match name.as_str() {
            "query" => request.query = Some(value),
            "operationName" => request.operation_name = Some(value).filter(|v| !v.is_empty()),
            "variables" => request.variables = json_parameter(&value, "variables")?,
            "extensions" => request.extensions = json_parameter(&value, "extensions")?,
            _ => {}
        }
    }
    Ok(request)
}

fn decode(component: &str) -> Result<String, HttpError> {
    percent_decode_str(&component.replace('+', " "))
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| HttpError::BadQueryString("a parameter is not UTF-8".to_owned()))
}

fn json_parameter(
    value: &str,
    field: &'static str,
) -> Result<Option<Map<String, Value>>, HttpError> {
    if value.is_empty() {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(value)
        .map_err(|error| HttpError::BadQueryString(format!("`{field}` is not JSON: {error}")))?;
    map(Some(value), field)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn query_strings_decode_utf8_and_json_parameters() {
        let request = from_query_string(
            "query=query(%24s%3AString)%7Bcities(search%3A%24s)%7BtotalCount%7D%7D&variables=%7B%22s%22%3A%22Chi%C8%99in%C4%83u%22%7D&operationName=",
        )
        .unwrap();
        assert_eq!(
            request.query.as_deref(),
            Some("query($s:String){cities(search:$s){totalCount}}")
        );
        assert_eq!(
            request.variables,
            json!({ "s": "Chișinău" }).as_object().cloned()
        );
        assert_eq!(request.operation_name, None);
        assert!(matches!(
            from_query_string("query=%FF"),
            Err(HttpError::BadQueryString(_))
        ));
        assert!(matches!(
            from_query_string("query=x&variables=%5B%5D"),
            Err(HttpError::BadField { .. })
        ));
    }

    #[test]
    fn bodies_are_objects_or_batches_by_the_setting() {
        assert!(matches!(
            from_body(b"{\"query\":\"{a}\"}", 0),
            Ok(Incoming::Single(_))
        ));
        assert!(matches!(
            from_body(b"[{\"query\":\"{a}\"}]", 0),
            Err(HttpError::BatchRefused)
        ));
        assert!(matches!(
            from_body(b"[{\"query\":\"{a}\"}]", 2),
            Ok(Incoming::Batch(_))
        ));
        assert!(matches!(
            from_body(b"[{},{},{}]", 2),
            Err(HttpError::BatchTooLarge { size: 3, limit: 2 })
        ));
        assert!(matches!(
            from_body(b"\"query\"", 2),
            Err(HttpError::NotAnObject)
        ));
        assert!(matches!(
            from_body(b"{\"query\":", 2),
            Err(HttpError::NotJson(_))
        ));
        assert!(matches!(from_body(b"\xff", 2), Err(HttpError::NotJson(_))));
        assert!(matches!(
            from_body(b"{\"query\":\"{a}\",\"variables\":[1]}", 2),
            Err(HttpError::BadField {
                field: "variables",
                ..
            })
        ));
    }
}
