//! Random bytes from the operating system's source, and the identifiers made of them
//! (API tokens, endpoint and event ids).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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
