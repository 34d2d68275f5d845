//! Entity tags for GET responses, so that partner sites and caches can revalidate cheaply.

use crate::digest::sha256_hex;

/// A strong tag for a response body in a media type (the same body in another media type
/// is another representation, with another tag).
pub fn tag(content_type: &str, body: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(content_type.len() + 1 + body.len());
    bytes.extend_from_slice(content_type.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(body);
    let digest = sha256_hex(&bytes);
    format!("\"{}\"", &digest[..32])
}

/// Whether an `If-None-Match` header names `tag` (weak comparison, as RFC 9110 asks for
/// `If-None-Match`), or is `*`.
pub fn matches(if_none_match: &str, tag: &str) -> bool {
    let opaque = |candidate: &str| candidate.trim().trim_start_matches("W/").to_owned();
    let wanted = opaque(tag);
    if_none_match
        .split(',')
        .any(|candidate| candidate.trim() == "*" || opaque(candidate) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_the_body_and_the_media_type() {
        let a = tag("application/json", b"{}");
        assert_eq!(a, tag("application/json", b"{}"));
        assert_ne!(a, tag("application/json", b"{ }"));
        assert_ne!(a, tag("application/graphql-response+json", b"{}"));
        assert!(a.starts_with('"') && a.ends_with('"'));
    }

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let a = tag("application/json", b"{}");
        assert!(matches(&a, &a));
        assert!(matches(&format!("\"other\", W/{a}"), &a));
        assert!(matches("*", &a));
        assert!(!matches("\"other\"", &a));
    }
}
