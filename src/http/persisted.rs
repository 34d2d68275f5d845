//! Automatic persisted queries, the Apollo convention: a client sends
//! `extensions.persistedQuery.sha256Hash` alone; when gnlc does not know the hash it answers
//! `PERSISTED_QUERY_NOT_FOUND`, and the client sends the query with its hash once, which
//! gnlc remembers (a bounded number of them, the oldest forgotten first).

use std::sync::Mutex;

use crate::clock::sha256_hex;
use indexmap::IndexMap;
use serde_json::Value;

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

/// The queries gnlc has been given with their hash.
#[derive(Debug)]
pub struct PersistedQueries {
    capacity: usize,
    queries: Mutex<IndexMap<String, String>>,
}

impl PersistedQueries {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            queries: Mutex::new(IndexMap::new()),
        }
    }

    /// The query to run: the request's own (remembered under its hash when it has one), or
    /// the one remembered under the hash it names.
    pub fn resolve(
        &self,
        query: Option<String>,
        extensions: Option<&serde_json::Map<String, Value>>,
    ) -> Result<Option<String>, PersistedQueryError> {
        let Some(persisted) = extensions.and_then(|e| e.get("persistedQuery")) else {
            return Ok(query);
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
                self.remember(hash, &query);
                Ok(Some(query))
            }
            None => self
                .lock()
                .get(&hash)
                .cloned()
                .map(Some)
                .ok_or(PersistedQueryError::NotFound),
        }
    }

    fn remember(&self, hash: String, query: &str) {
        if self.capacity == 0 {
            return;
        }
        let mut queries = self.lock();
        if queries.contains_key(&hash) {
            return;
        }
        while queries.len() >= self.capacity {
            queries.shift_remove_index(0);
        }
        queries.insert(hash, query.to_owned());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, IndexMap<String, String>> {
        // A panic elsewhere while holding the lock leaves a valid map: keep using it.
        self.queries
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

    #[test]
    fn a_hash_is_known_once_sent_with_its_query_and_the_oldest_go_first() {
        let store = PersistedQueries::new(1);
        let (a, b) = ("{ regions { name } }", "{ cohorts { year } }");
        let (hash_a, hash_b) = (sha256_hex(a.as_bytes()), sha256_hex(b.as_bytes()));
        assert_eq!(
            store.resolve(None, Some(&extensions(&hash_a))),
            Err(PersistedQueryError::NotFound)
        );
        assert_eq!(
            store.resolve(Some(a.into()), Some(&extensions(&hash_a))),
            Ok(Some(a.into()))
        );
        assert_eq!(
            store.resolve(None, Some(&extensions(&hash_a))),
            Ok(Some(a.into()))
        );
        store
            .resolve(Some(b.into()), Some(&extensions(&hash_b)))
            .unwrap();
        assert_eq!(
            store.resolve(None, Some(&extensions(&hash_a))),
            Err(PersistedQueryError::NotFound)
        );
        assert_eq!(
            store.resolve(Some(a.into()), Some(&extensions(&hash_b))),
            Err(PersistedQueryError::HashMismatch)
        );
    }

    #[test]
    fn sha256_matches_the_published_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
