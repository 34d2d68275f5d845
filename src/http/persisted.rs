//! Automatic persisted queries, the Apollo convention: a client sends
//! `extensions.persistedQuery.sha256Hash` alone; when gnlc does not know the hash it answers
//! `PERSISTED_QUERY_NOT_FOUND`, and the client sends the query with its hash once, which
//! gnlc remembers once the query has parsed and validated (within a byte budget, the oldest
//! forgotten first): a document that cannot run is never kept.

use std::sync::Mutex;

use crate::digest::sha256_hex;
use indexmap::IndexMap;
use serde_json::Value;

/// What each remembered query costs beside its text and hash: the map's entry.
const ENTRY_OVERHEAD: usize = 64;

/// Why a persisted query cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PersistedQueryError {
    /// Not an error of the client's: it sends the query with the hash next.
    #[error("PersistedQueryNotFound")]
    NotFound,
    #[error("`extensions.persistedQuery` needs `version: 1` and a `sha256Hash` string")]
    Malformed,
    #[error("provided sha does not match query")]
    HashMismatch,
}

/// The query a request runs, and the hash to remember it under once it has validated
/// (when the request sent both).
#[derive(Debug, PartialEq, Eq)]
pub struct Resolved {
    pub query: Option<String>,
    pub remember_as: Option<String>,
}

/// The queries gnlc has been given with their hash.
#[derive(Debug)]
pub struct PersistedQueries {
    capacity_bytes: usize,
    store: Mutex<Store>,
}

#[derive(Debug, Default)]
struct Store {
    queries: IndexMap<String, String>,
    bytes: usize,
}

fn entry_bytes(hash: &str, query: &str) -> usize {
    hash.len() + query.len() + ENTRY_OVERHEAD
}

impl PersistedQueries {
    pub fn new(capacity_bytes: usize) -> Self {
        Self {
            capacity_bytes,
            store: Mutex::new(Store::default()),
        }
    }

    /// The query to run: the request's own (with the hash to remember it under, when it
    /// has one and it matches), or the one remembered under the hash it names.
    pub fn resolve(
        &self,
        query: Option<String>,
        extensions: Option<&serde_json::Map<String, Value>>,
    ) -> Result<Resolved, PersistedQueryError> {
        let Some(persisted) = extensions.and_then(|e| e.get("persistedQuery")) else {
            return Ok(Resolved {
                query,
                remember_as: None,
            });
        };
        let hash = match (persisted.get("version"), persisted.get("sha256Hash")) {
            (Some(version), Some(Value::String(hash))) if version == 1 => hash.to_ascii_lowercase(),
            _ => return Err(PersistedQueryError::Malformed),
        };
        match query {
            Some(query) => {
                if sha256_hex(query.as_bytes()) != hash {
                    return Err(PersistedQueryError::HashMismatch);
                }
                Ok(Resolved {
                    query: Some(query),
                    remember_as: Some(hash),
                })
            }
            None => self
                .lock()
                .queries
                .get(&hash)
                .cloned()
                .map(|query| Resolved {
                    query: Some(query),
                    remember_as: None,
                })
                .ok_or(PersistedQueryError::NotFound),
        }
    }

    /// Remembers a query that parsed and validated under its hash, forgetting the oldest
    /// while the store is over its budget.
    pub fn remember(&self, hash: String, query: &str) {
        let bytes = entry_bytes(&hash, query);
        if bytes > self.capacity_bytes {
            return;
        }
        let mut store = self.lock();
        if store.queries.contains_key(&hash) {
            return;
        }
        while store.bytes + bytes > self.capacity_bytes {
            let Some((old_hash, old_query)) = store.queries.shift_remove_index(0) else {
                break;
            };
            store.bytes -= entry_bytes(&old_hash, &old_query);
        }
        store.bytes += bytes;
        store.queries.insert(hash, query.to_owned());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic elsewhere while holding the lock leaves a valid map: keep using it.
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn extensions(hash: &str) -> serde_json::Map<String, Value> {
        let value = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        value.as_object().cloned().unwrap_or_default()
    }

    fn run(
        store: &PersistedQueries,
        query: Option<&str>,
        hash: &str,
    ) -> Result<Option<String>, PersistedQueryError> {
        let resolved = store.resolve(query.map(str::to_owned), Some(&extensions(hash)))?;
        // As the server does once the query validated.
        if let (Some(hash), Some(query)) = (resolved.remember_as, &resolved.query) {
            store.remember(hash, query);
        }
        Ok(resolved.query)
    }

    #[test]
    fn a_hash_is_known_once_sent_with_its_query_and_the_oldest_go_first() {
        let (a, b) = ("{ regions { name } }", "{ cohorts { year } }");
        let (hash_a, hash_b) = (sha256_hex(a.as_bytes()), sha256_hex(b.as_bytes()));
        // Room for one of them.
        let store = PersistedQueries::new(entry_bytes(&hash_a, a) + 1);
        assert_eq!(
            run(&store, None, &hash_a),
            Err(PersistedQueryError::NotFound)
        );
        assert_eq!(run(&store, Some(a), &hash_a), Ok(Some(a.into())));
        assert_eq!(run(&store, None, &hash_a), Ok(Some(a.into())));
        run(&store, Some(b), &hash_b).unwrap();
        assert_eq!(
            run(&store, None, &hash_a),
            Err(PersistedQueryError::NotFound)
        );
        assert_eq!(run(&store, None, &hash_b), Ok(Some(b.into())));
        assert_eq!(
            run(&store, Some(a), &hash_b),
            Err(PersistedQueryError::HashMismatch)
        );
    }

    #[test]
    fn a_query_is_only_remembered_when_told_and_within_the_byte_budget() {
        let query = "{ regions { name } }";
        let hash = sha256_hex(query.as_bytes());
        let store = PersistedQueries::new(1024);
        // Resolving alone (a query that then fails to validate) remembers nothing.
        let resolved = store
            .resolve(Some(query.into()), Some(&extensions(&hash)))
            .unwrap();
        assert_eq!(resolved.remember_as.as_deref(), Some(hash.as_str()));
        assert_eq!(run(&store, None, &hash), Err(PersistedQueryError::NotFound));
        // Many large queries: the store never holds more than its budget.
        for i in 0..100 {
            let big = format!("{{ a{i}: regions {{ name }} }}{}", " ".repeat(300));
            store.remember(sha256_hex(big.as_bytes()), &big);
            assert!(store.lock().bytes <= 1024);
        }
        assert!(store.lock().queries.len() <= 3);
        // One larger than the whole budget is not kept at all.
        let huge = " ".repeat(2048);
        store.remember(sha256_hex(huge.as_bytes()), &huge);
        assert!(!store.lock().queries.values().any(|q| q == &huge));
    }

    #[test]
    fn sha256_matches_the_published_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
