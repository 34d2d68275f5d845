//! Signed cursors: the key of an edge, with an HMAC-SHA256 over the list it belongs to and
//! the key, under a key kept in the database (made on first use), so the cursors one gnlc
//! process gives out work in every other on the database, and after restarts.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait};
use sha2::Sha256;

use super::PageError;
use crate::clock::now_ms;
use crate::ids::random_bytes;

/// The first byte of a signed cursor (those before it were unsigned `v1:` text).
const CURSOR_VERSION: u8 = 2;
/// Bytes of the HMAC a cursor carries (128 bits).
const TAG_LENGTH: usize = 16;
/// The key's purpose in the `server_key` table.
const KEY_PURPOSE: &str = "cursor";
const KEY_LENGTH: usize = 32;

/// The lists cursors page through: a cursor of one is refused by the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Cities,
    Countries,
    Events,
    Deliveries,
}

impl List {
    fn as_str(self) -> &'static str {
        match self {
            List::Cities => "cities",
            List::Countries => "countries",
            List::Events => "events",
            List::Deliveries => "deliveries",
        }
    }
}

/// Signs cursors and checks them, with the database's cursor key.
#[derive(Clone)]
pub struct Cursors {
    /// HMAC-SHA256 keyed, before any input: cloned for each cursor.
    keyed: Arc<Hmac<Sha256>>,
}

impl std::fmt::Debug for Cursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cursors(<key>)")
    }
}

impl Cursors {
    /// Cursors signed with `key` (any length but empty).
    pub fn new(key: &[u8]) -> Option<Self> {
        if key.is_empty() {
            return None;
        }
        let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
        Some(Self {
            keyed: Arc::new(keyed),
        })
    }

    /// The database's cursor key, made on first use. Processes making it at once all end up
    /// with the one stored.
    pub async fn load(db: &DatabaseConnection) -> Result<Self, DbErr> {
        if let Some(cursors) = Self::stored(db).await? {
            return Ok(cursors);
        }
        entity::server_key::Entity::insert(entity::server_key::ActiveModel {
            purpose: Set(KEY_PURPOSE.to_owned()),
            secret: Set(URL_SAFE_NO_PAD.encode(random_bytes(KEY_LENGTH))),
            created_at: Set(now_ms()),
        })
        .on_conflict_do_nothing_on([entity::server_key::Column::Purpose])
        .exec(db)
        .await?;
        Self::stored(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("the cursor key".into()))
    }

    async fn stored(db: &impl ConnectionTrait) -> Result<Option<Self>, DbErr> {
        let Some(row) = entity::server_key::Entity::find_by_id(KEY_PURPOSE)
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(&row.secret)
            .ok()
            .and_then(|key| Self::new(&key))
            .map(Some)
            .ok_or_else(|| DbErr::Custom("the stored cursor key is not base64".into()))
    }

    fn tag(&self, list: List, key: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::clone(&self.keyed);
        mac.update(list.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(key.as_bytes());
        mac
    }

    /// The cursor of the edge whose key is `key` in `list`.
    pub fn encode(&self, list: List, key: &str) -> String {
        let tag = self.tag(list, key).finalize().into_bytes();
        let mut bytes = Vec::with_capacity(1 + TAG_LENGTH + key.len());
        bytes.push(CURSOR_VERSION);
        bytes.extend_from_slice(&tag[..TAG_LENGTH]);
        bytes.extend_from_slice(key.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The key of a cursor this API gave out for `list`.
    pub(super) fn decode(
        &self,
        list: List,
        cursor: &str,
        argument: &'static str,
    ) -> Result<String, PageError> {
        let invalid = PageError::InvalidCursor { argument };
        let bytes = URL_SAFE_NO_PAD
            .decode(cursor)
            .map_err(|_| invalid.clone())?;
        let Some((&CURSOR_VERSION, rest)) = bytes.split_first() else {
            return Err(invalid);
        };
        if rest.len() < TAG_LENGTH {
            return Err(invalid);
        }
        let (tag, key) = rest.split_at(TAG_LENGTH);
        let key = std::str::from_utf8(key).map_err(|_| invalid.clone())?;
        self.tag(list, key)
            .verify_truncated_left(tag)
            .map_err(|_| invalid)?;
        Ok(key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursors() -> Cursors {
        Cursors::new(b"a key for the tests").unwrap()
    }

    #[test]
    fn cursors_round_trip_and_reject_foreign_strings() {
        let cursors = cursors();
        let cursor = cursors.encode(List::Cities, "chisinau");
        assert_eq!(
            cursors.decode(List::Cities, &cursor, "after").unwrap(),
            "chisinau"
        );
        let refused = |cursor: &str| {
            assert_eq!(
                cursors.decode(List::Cities, cursor, "after"),
                Err(PageError::InvalidCursor { argument: "after" }),
                "{cursor}"
            );
        };
        refused("not a cursor");
        refused("");
        refused(&URL_SAFE_NO_PAD.encode("chisinau"));
        // The format gnlc gave out before cursors were signed, and forgeries of it.
        refused(&URL_SAFE_NO_PAD.encode("v1:chisinau"));
        refused(&URL_SAFE_NO_PAD.encode("v1:zzzz-forged"));
        // A signed cursor whose key was changed, or whose tag was cut.
        let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        refused(&URL_SAFE_NO_PAD.encode(&bytes));
        refused(&URL_SAFE_NO_PAD.encode(&bytes[..TAG_LENGTH]));
        let mut forged = vec![CURSOR_VERSION];
        forged.extend_from_slice(&[0; TAG_LENGTH]);
        forged.extend_from_slice(b"zzzz-forged");
        refused(&URL_SAFE_NO_PAD.encode(&forged));
    }

    #[test]
    fn a_cursor_is_valid_only_for_its_list_and_its_key() {
        let cursors = cursors();
        let cursor = cursors.encode(List::Events, "42");
        assert_eq!(
            cursors.decode(List::Events, &cursor, "after").unwrap(),
            "42"
        );
        assert!(cursors.decode(List::Deliveries, &cursor, "after").is_err());
        let other = Cursors::new(b"another database's key").unwrap();
        assert!(other.decode(List::Events, &cursor, "after").is_err());
        assert_eq!(
            Cursors::new(b"a key for the tests")
                .unwrap()
                .decode(List::Events, &cursor, "before")
                .unwrap(),
            "42",
            "the same key (another process, a restart) accepts it"
        );
    }
}
