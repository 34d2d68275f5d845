//! The response cache: the bytes of answers to read queries that did not depend on who
//! asked (no resolver read the caller: see [`crate::graphql::access`]), keyed by the
//! normalised document, the variables, the operation name and the media type, and valid
//! only at the data version they were made at (see [`crate::data_version`]). Anonymous
//! requests are answered from it. An admission or withdrawal raises that version in its
//! own transaction, so a change is never hidden behind a cached answer, whichever process
//! sharing the database made it.

use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::web::Bytes;
use indexmap::IndexMap;

/// A cached answer: the body and its entity tag, at the data version it was made at, and
/// the operation's name for the log line and the metrics.
#[derive(Debug)]
pub struct Cached {
    pub version: i64,
    pub body: Bytes,
    pub etag: String,
    pub label: String,
    /// The query's cost, for the answer's header.
    pub cost: u64,
}

impl Cached {
    fn size(&self, key: &str) -> usize {
        key.len() + self.body.len() + self.etag.len() + self.label.len()
    }
}

/// Answers kept in memory, within a bound on their total size (the oldest forgotten first).
#[derive(Debug)]
pub struct ResponseCache {
    max_bytes: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: IndexMap<String, Arc<Cached>>,
    bytes: usize,
}

impl ResponseCache {
    /// A cache holding at most `max_bytes` of keys and bodies; `None` when 0 (no cache).
    pub fn new(max_bytes: usize) -> Option<Self> {
        (max_bytes > 0).then(|| Self {
            max_bytes,
            inner: Mutex::new(Inner::default()),
        })
    }

    /// The answer kept under `key`, whatever data version it was made at: the caller
    /// serves it only if that version is still the current one.
    pub fn get(&self, key: &str) -> Option<Arc<Cached>> {
        self.lock().entries.get(key).cloned()
    }

    /// Keeps an answer, replacing any older one under the same key.
    pub fn insert(&self, key: String, cached: Cached) {
        let size = cached.size(&key);
        if size > self.max_bytes {
            return;
        }
        let mut inner = self.lock();
        if let Some(old) = inner.entries.shift_remove(&key) {
            inner.bytes -= old.size(&key);
        }
        while inner.bytes + size > self.max_bytes {
            match inner.entries.shift_remove_index(0) {
                Some((old_key, old)) => inner.bytes -= old.size(&old_key),
                None => break,
            }
        }
        inner.bytes += size;
        inner.entries.insert(key, Arc::new(cached));
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves a map that is still consistent enough to
        // read: recover it rather than fail every request after.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The key of a request: media type, operation name, variables and normalised document.
/// It needs no parsing, so a cached answer is found before the document is parsed.
pub fn key(
    media: &str,
    operation_name: Option<&str>,
    variables: Option<&serde_json::Map<String, serde_json::Value>>,
    document: &str,
) -> String {
    let variables = variables
        .map(|variables| serde_json::to_string(variables).unwrap_or_default())
        .unwrap_or_default();
    format!(
        "{media}\n{}\n{variables}\n{}",
        operation_name.unwrap_or(""),
        normalise(document)
    )
}

/// Punctuators that need no space around them.
fn is_punctuator(c: char) -> bool {
    matches!(
        c,
        '{' | '}' | '(' | ')' | '[' | ']' | ':' | '=' | '!' | '$' | '@' | '|' | '&'
    )
}

/// The document with comments dropped, and each run of insignificant characters
/// (whitespace, commas) made one space, or none next to a punctuator. Strings are kept as
/// they are.
pub fn normalise(document: &str) -> String {
    let mut out = String::with_capacity(document.len());
    let mut chars = document.chars().peekable();
    let mut gap = false;
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for next in chars.by_ref() {
                    if next == '\n' || next == '\r' {
                        break;
                    }
                }
                gap = true;
            }
            c if c.is_whitespace() || c == ',' || c == '\u{feff}' => gap = true,
            c => {
                if gap
                    && let Some(last) = out.chars().next_back()
                    && !is_punctuator(last)
                    && !is_punctuator(c)
                {
                    out.push(' ');
                }
                gap = false;
                out.push(c);
                if c == '"' {
                    copy_string(&mut chars, &mut out);
                }
            }
        }
    }
    out
}

/// Copies a string literal after its opening quote: a block string (`"""…"""`) or a
/// one-line string, escapes included, up to and with its closing quote.
fn copy_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, out: &mut String) {
    // `""` then a third quote opens a block string; `""` alone is the empty string.
    if chars.peek() == Some(&'"') {
        out.push('"');
        chars.next();
        if chars.peek() != Some(&'"') {
            return;
        }
        out.push('"');
        chars.next();
        let mut quotes = 0;
        let mut escaped = false;
        for c in chars.by_ref() {
            out.push(c);
            if c == '"' && !escaped {
                quotes += 1;
                if quotes == 3 {
                    return;
                }
            } else {
                quotes = 0;
            }
            escaped = c == '\\';
        }
        return;
    }
    let mut escaped = false;
    for c in chars.by_ref() {
        out.push(c);
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' || c == '\n' {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_comments_and_commas_do_not_change_the_key() {
        assert_eq!(
            normalise("{\n  regions { name, slug } # all of them\n}"),
            normalise("{regions{name slug}}")
        );
        assert_eq!(
            normalise("query  Q ( $a : Int ) { x }"),
            "query Q($a:Int){x}"
        );
    }

    #[test]
    fn strings_are_kept_exactly() {
        assert_eq!(
            normalise(r#"{ cities(search: "a  b, \"c\" # d") { totalCount } }"#),
            r#"{cities(search:"a  b, \"c\" # d"){totalCount}}"#
        );
        assert_eq!(
            normalise("{ x(a: \"\"\"  block \"\" # \"\"\") y(b: \"\") }"),
            "{x(a:\"\"\"  block \"\" # \"\"\")y(b:\"\")}"
        );
        assert_ne!(
            normalise(r#"{ city(slug: "a b") { name } }"#),
            normalise(r#"{ city(slug: "a  b") { name } }"#)
        );
    }

    #[test]
    fn the_oldest_answers_go_first_past_the_bound() {
        let cache = ResponseCache::new(40).unwrap();
        let entry = |version| Cached {
            version,
            body: Bytes::from_static(b"0123456789"),
            etag: String::new(),
            label: String::new(),
            cost: 1,
        };
        cache.insert("a".repeat(10), entry(1));
        cache.insert("b".repeat(10), entry(2));
        assert_eq!(cache.get(&"a".repeat(10)).unwrap().version, 1);
        cache.insert("c".repeat(10), entry(3));
        assert!(cache.get(&"a".repeat(10)).is_none(), "the oldest went");
        assert_eq!(cache.get(&"b".repeat(10)).unwrap().version, 2);
        assert_eq!(cache.get(&"c".repeat(10)).unwrap().version, 3);
        assert!(ResponseCache::new(0).is_none());
    }
}
