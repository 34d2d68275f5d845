//! Content negotiation for `/graphql`: which media type the client accepts, and whether a
//! POST body is JSON in UTF-8.

/// The two media types GraphQL over HTTP answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`: the spec's own, with meaningful status codes.
    GraphQLResponse,
    /// `application/json`: the legacy one, where every well-formed request gets 200.
    Json,
}

impl MediaType {
    pub fn content_type(self) -> &'static str {
        match self {
            MediaType::GraphQLResponse => "application/graphql-response+json; charset=utf-8",
            MediaType::Json => "application/json; charset=utf-8",
        }
    }

    fn essence(self) -> &'static str {
        match self {
            MediaType::GraphQLResponse => "application/graphql-response+json",
            MediaType::Json => "application/json",
        }
    }
}

/// A media range of an `Accept` header, with its weight.
struct Range<'a> {
    essence: &'a str,
    quality: f32,
}

fn ranges(accept: &str) -> Vec<Range<'_>> {
    accept
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';').map(str::trim);
            let essence = parts.next().filter(|essence| !essence.is_empty())?;
            let mut quality = 1.0;
            for parameter in parts {
                if let Some((name, value)) = parameter.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    quality = value.trim().parse().unwrap_or(0.0);
                }
            }
            Some(Range { essence, quality })
        })
        .collect()
}

/// How much the client wants `media`: the weight of the most specific range matching it
/// (`application/json` before `application/*` before `*/*`), and that specificity.
fn preference(ranges: &[Range<'_>], media: MediaType) -> Option<(f32, u8)> {
    ranges
        .iter()
        .filter_map(|range| {
            let specificity = if range.essence.eq_ignore_ascii_case(media.essence()) {
                2
            } else if range.essence.eq_ignore_ascii_case("application/*") {
                1
            } else if range.essence == "*/*" {
                0
            } else {
                return None;
            };
            Some((specificity, range.quality))
        })
        .max_by_key(|(specificity, _)| *specificity)
        .map(|(specificity, quality)| (quality, specificity))
}

/// The media type to answer in, or `None` when the client accepts neither (406).
/// No `Accept` header, or only wildcards, is no preference: the spec's own media type.
pub fn negotiate(accept: Option<&str>) -> Option<MediaType> {
    let Some(accept) = accept.filter(|accept| !accept.trim().is_empty()) else {
        return Some(MediaType::GraphQLResponse);
    };
    let ranges = ranges(accept);
    let candidates = [MediaType::GraphQLResponse, MediaType::Json];
    candidates
        .into_iter()
        .filter_map(|media| {
            preference(&ranges, media)
                .filter(|(quality, _)| *quality > 0.0)
                .map(|preference| (media, preference))
        })
        // Highest weight first, then the range that named it, then the spec's media type
        // (the first candidate: `max_by` keeps the last of equals, so compare reversed).
        .rev()
        .max_by(|(_, (qa, sa)), (_, (qb, sb))| qa.total_cmp(qb).then(sa.cmp(sb)))
        .map(|(media, _)| media)
}

/// The media type of Server-Sent Events, which GraphQL over SSE answers in.
pub const EVENT_STREAM: &str = "text/event-stream";

/// Whether the client asks for an event stream (GraphQL over Server-Sent Events, as
/// `EventSource` and the `graphql-sse` client do): it names `text/event-stream` and weighs
/// it above any JSON media type it names. Wildcards ask for JSON, not for a stream.
pub fn wants_event_stream(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return false;
    };
    let ranges = ranges(accept);
    let stream = ranges
        .iter()
        .filter(|range| range.essence.eq_ignore_ascii_case(EVENT_STREAM))
        .map(|range| range.quality)
        .fold(0.0, f32::max);
    let json = [MediaType::GraphQLResponse, MediaType::Json]
        .into_iter()
        .filter_map(|media| preference(&ranges, media))
        .filter(|(_, specificity)| *specificity == 2)
        .map(|(quality, _)| quality)
        .fold(0.0, f32::max);
    stream > 0.0 && stream > json
}

/// Why a POST body's `Content-Type` is refused (415).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContentTypeError {
    #[error("a POST to /graphql needs `Content-Type: application/json`")]
    Missing,
    #[error("a POST to /graphql needs `Content-Type: application/json`, not `{0}`")]
    Unsupported(String),
    #[error("gnlc reads request bodies in UTF-8 only, not `{0}`")]
    Charset(String),
}

/// Accepts `application/json`, with no charset or `charset=utf-8`.
pub fn check_content_type(content_type: Option<&str>) -> Result<(), ContentTypeError> {
    let content_type = content_type
        .map(str::trim)
        .filter(|content_type| !content_type.is_empty())
        .ok_or(ContentTypeError::Missing)?;
    let mut parts = content_type.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(ContentTypeError::Unsupported(content_type.to_owned()));
    }
    for parameter in parts {
        if let Some((name, value)) = parameter.split_once('=')
            && name.trim().eq_ignore_ascii_case("charset")
        {
            let charset = value.trim().trim_matches('"');
            if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("utf8") {
                return Err(ContentTypeError::Charset(charset.to_owned()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_choose_the_media_type() {
        use MediaType::*;
        let cases = [
            (None, Some(GraphQLResponse)),
            (Some(""), Some(GraphQLResponse)),
            (Some("*/*"), Some(GraphQLResponse)),
            (Some("application/*"), Some(GraphQLResponse)),
            (
                Some("application/graphql-response+json"),
                Some(GraphQLResponse),
            ),
            (Some("application/json"), Some(Json)),
            (Some("application/json, multipart/mixed"), Some(Json)),
            (Some("application/json, */*;q=0.5"), Some(Json)),
            (
                Some("application/graphql-response+json, application/json;q=0.9"),
                Some(GraphQLResponse),
            ),
            (
                Some("application/json;q=1, application/graphql-response+json;q=0.5"),
                Some(Json),
            ),
            (Some("text/html"), None),
            (Some("application/json;q=0"), None),
            (Some("application/xml, text/*"), None),
        ];
        for (accept, expected) in cases {
            assert_eq!(negotiate(accept), expected, "{accept:?}");
        }
    }

    #[test]
    fn an_event_stream_is_what_a_client_asks_for_above_json() {
        for accept in [
            "text/event-stream",
            "Text/Event-Stream; charset=utf-8",
            "text/event-stream, */*;q=0.1",
            "application/json;q=0.5, text/event-stream",
        ] {
            assert!(wants_event_stream(Some(accept)), "{accept}");
        }
        for accept in [
            "*/*",
            "text/*",
            "application/json",
            "application/json, text/event-stream",
            "text/event-stream;q=0",
            "",
        ] {
            assert!(!wants_event_stream(Some(accept)), "{accept}");
        }
        assert!(!wants_event_stream(None));
    }

    #[test]
    fn only_json_in_utf8_is_read() {
        assert_eq!(check_content_type(Some("application/json")), Ok(()));
        assert_eq!(
            check_content_type(Some("Application/JSON; charset=UTF-8")),
            Ok(())
        );
        assert_eq!(check_content_type(None), Err(ContentTypeError::Missing));
        assert!(matches!(
            check_content_type(Some("text/plain")),
            Err(ContentTypeError::Unsupported(_))
        ));
        assert!(matches!(
            check_content_type(Some("application/json; charset=latin1")),
            Err(ContentTypeError::Charset(_))
        ));
    }
}
