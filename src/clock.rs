//! Time as the database stores it (Unix milliseconds), random identifiers, and digests.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Unix milliseconds as RFC 3339, for clients.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `n` bytes from the operating system's random source.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0; n];
    // The OS source failing is not something a service can recover from.
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes
}

/// A random identifier: `prefix` + URL-safe base64 of `bytes` random bytes.
pub fn random_id(prefix: &str, bytes: usize) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes(bytes)))
}

/// Lower-case hex of the SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
