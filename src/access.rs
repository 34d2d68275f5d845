//! API tokens and who a request acts for. Tokens are `gnlc_` + 32 random bytes; only
//! their SHA-256 is stored, so a token is shown once, when it is created.

use entity::api_token;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};

use crate::clock::{now_ms, random_id, sha256_hex};

const TOKEN_PREFIX: &str = "gnlc_";
const SHOWN_PREFIX_LENGTH: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Coordinators: admit cohorts, see every endpoint and delivery.
    Admin,
    /// Partner sites: manage their own webhook endpoints.
    Partner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Partner => "partner",
        }
    }

    fn parse(role: &str) -> Option<Self> {
        match role {
            "admin" => Some(Role::Admin),
            "partner" => Some(Role::Partner),
            _ => None,
        }
    }
}

/// Who a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    Token { id: i32, name: String, role: Role },
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        matches!(
            self,
            Principal::Token {
                role: Role::Admin,
                ..
            }
        )
    }

    /// The account name resources are owned by, when there is a token.
    pub fn account(&self) -> Option<&str> {
        match self {
            Principal::Anonymous => None,
            Principal::Token { name, .. } => Some(name),
        }
    }

    /// Whether this principal may see and manage what `owner` owns.
    pub fn may_manage(&self, owner: &str) -> bool {
        self.is_admin() || self.account() == Some(owner)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("the bearer token is not valid (unknown, revoked or malformed)")]
    InvalidToken,
    #[error("the Authorization header must be `Bearer <token>`")]
    MalformedHeader,
    #[error("a token name must have 1 to 200 characters")]
    InvalidName,
    #[error("no token matches `{0}`")]
    UnknownToken(String),
    #[error("database error")]
    Database(#[from] DbErr),
}

pub fn hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// A token just created: the secret part is shown this once.
pub struct CreatedToken {
    pub token: String,
    pub record: api_token::Model,
}

pub async fn create_token(
    db: &DatabaseConnection,
    name: &str,
    role: Role,
) -> Result<CreatedToken, AccessError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AccessError::InvalidName);
    }
    let token = random_id(TOKEN_PREFIX, 32);
    let record = api_token::ActiveModel {
        name: Set(name.to_owned()),
        role: Set(role.as_str().to_owned()),
        token_hash: Set(hash(&token)),
        prefix: Set(token[..SHOWN_PREFIX_LENGTH].to_owned()),
        created_at: Set(now_ms()),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(CreatedToken { token, record })
}

pub async fn list_tokens(db: &DatabaseConnection) -> Result<Vec<api_token::Model>, AccessError> {
    Ok(api_token::Entity::find()
        .order_by_asc(api_token::Column::Id)
        .all(db)
        .await?)
}

/// Revokes the token with this id or shown prefix. Revoking twice changes nothing.
pub async fn revoke_token(
    db: &DatabaseConnection,
    id_or_prefix: &str,
) -> Result<api_token::Model, AccessError> {
    let mut condition = Condition::any().add(api_token::Column::Prefix.eq(id_or_prefix));
    if let Ok(id) = id_or_prefix.parse::<i32>() {
        condition = condition.add(api_token::Column::Id.eq(id));
    }
    let token = api_token::Entity::find()
        .filter(condition)
        .one(db)
        .await?
        .ok_or_else(|| AccessError::UnknownToken(id_or_prefix.to_owned()))?;
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let mut active: api_token::ActiveModel = token.into();
    active.revoked_at = Set(Some(now_ms()));
    Ok(active.update(db).await?)
}

/// Resolves an `Authorization` header. No header is anonymous; a header that does not
/// carry a valid, unrevoked token is an error (never silently anonymous).
pub async fn authenticate(
    db: &DatabaseConnection,
    authorization: Option<&str>,
) -> Result<Principal, AccessError> {
    let Some(header) = authorization else {
        return Ok(Principal::Anonymous);
    };
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or(AccessError::MalformedHeader)?;
    if !token.starts_with(TOKEN_PREFIX) {
        return Err(AccessError::InvalidToken);
    }
    let record = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or(AccessError::InvalidToken)?;
    let role = Role::parse(&record.role).ok_or(AccessError::InvalidToken)?;
    Ok(Principal::Token {
        id: record.id,
        name: record.name,
        role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_manage_everything_partners_their_own() {
        let admin = Principal::Token {
            id: 1,
            name: "UIL".into(),
            role: Role::Admin,
        };
        let partner = Principal::Token {
            id: 2,
            name: "Ministry".into(),
            role: Role::Partner,
        };
        assert!(admin.may_manage("Ministry"));
        assert!(partner.may_manage("Ministry"));
        assert!(!partner.may_manage("Other"));
        assert!(!Principal::Anonymous.may_manage("Ministry"));
    }
}
