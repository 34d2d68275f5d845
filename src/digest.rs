//! SHA-256 digests as lower-case hex (stored token hashes, `ETag`s, persisted-query hashes).

use sha2::{Digest, Sha256};

/// Lower-case hex of the SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
