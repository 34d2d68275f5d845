//! Tokens against cross-site request forgery: every form carries one, and every `POST` is
//! refused (403) unless it carries its session's. A token is an HMAC of a fixed label
//! keyed by the session id: only who holds the session id (in its HttpOnly cookie) can
//! make it, it needs no key of the server's, and the stored hash of the id does not give it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const LABEL: &[u8] = b"gnlc console csrf v1";

/// The MAC of the label under the session id (HMAC takes a key of any length: never `None`
/// in practice, and no token is valid if it were).
fn mac(session_id: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(session_id.as_bytes()).ok()?;
    mac.update(LABEL);
    Some(mac)
}

/// The token of the session with this id.
pub fn token(session_id: &str) -> String {
    mac(session_id)
        .map(|mac| URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Whether `given` is the token of the session with this id (compared in constant time).
pub fn is_valid(session_id: &str, given: &str) -> bool {
    let (Ok(bytes), Some(mac)) = (URL_SAFE_NO_PAD.decode(given), mac(session_id)) else {
        return false;
    };
    mac.verify_slice(&bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_its_sessions_only() {
        let token = token("session-a");
        assert!(is_valid("session-a", &token));
        assert!(!is_valid("session-b", &token));
        assert!(!is_valid("session-a", ""));
        assert!(!is_valid("session-a", "not base64!"));
        assert!(!is_valid("session-a", &token[1..]));
    }
}
