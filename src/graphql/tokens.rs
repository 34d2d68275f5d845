//! Counting a document's tokens before it is parsed: the parser's time grows with the
//! document (about a second for 250 KB of fields), so a document of more tokens than the
//! limit is refused after one cheap pass, as graphql-js's `maxTokens` does.

/// The tokens of a document, as GraphQL's lexer sees them (names, numbers, strings,
/// punctuators; whitespace, commas and comments are not tokens), counted until `limit` is
/// passed: `Err(limit + 1)` then. Characters GraphQL does not know count one each (the
/// parser refuses them).
pub fn count(document: &str, limit: usize) -> Result<usize, usize> {
    let bytes = document.as_bytes();
    let mut i = 0;
    let mut tokens = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' => i = string_end(bytes, i),
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => {
                i += 1;
                while i < bytes.len()
                    && matches!(bytes[i], b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'+' | b'-')
                {
                    i += 1;
                }
            }
            // A byte order mark is ignored like whitespace.
            0xEF if bytes[i..].starts_with("\u{feff}".as_bytes()) => {
                i += 3;
                continue;
            }
            _ => i += 1,
        }
        tokens += 1;
        if tokens > limit {
            return Err(tokens);
        }
    }
    Ok(tokens)
}

/// Where a string starting at `start` (its opening quote) ends: after its closing quote,
/// or at the end of the document.
fn string_end(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(b"\"\"\"") {
        let mut i = start + 3;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if bytes[i..].starts_with(b"\"\"\"") {
                return i + 3;
            } else {
                i += 1;
            }
        }
        return i;
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_counted_as_graphql_lexes_them() {
        assert_eq!(count("{ regions { name } }", 100), Ok(6));
        // Commas, comments and whitespace are not tokens; a spread is one.
        assert_eq!(count("{ a, b # c d e\n ...F }", 100), Ok(6));
        // Strings are one token each, escapes and block strings included.
        assert_eq!(
            count(r#"{ city(slug: "a \" b") { x(y: """ "" } """) } }"#, 100),
            Ok(16)
        );
        assert_eq!(count("query($n: Int = -1.5e3) { a }", 100), Ok(12));
    }

    #[test]
    fn counting_stops_past_the_limit() {
        let document = "{ ".to_owned() + &"x ".repeat(1_000_000);
        assert_eq!(count(&document, 1000), Err(1001));
        assert_eq!(
            count(&document, usize::MAX).map(|n| n > 1_000_000),
            Ok(true)
        );
    }
}
