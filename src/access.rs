//! API tokens and who a request acts for. Tokens are `gnlc_` + 32 random bytes; only
//! their SHA-256 is stored, so a token is shown once, when it is created.
//!
//! Every token acts for an account: a role and a name. Tokens of one role with the same
//! name share their account (a partner rotates its token and keeps its endpoints); an
//! admin and a partner with the same name are two accounts, and share nothing.

use entity::{account, api_token};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::clock::now_ms;
use crate::digest::sha256_hex;
use crate::ids::random_id;

const TOKEN_PREFIX: &str = "gnlc_";
const SHOWN_PREFIX_LENGTH: usize = 12;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// A token (`id`) acting for an account (`account`, with its name and role).
    Token {
        id: i32,
        account: i32,
        name: String,
        role: Role,
    },
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

    /// The account resources are owned by, when there is a token.
    pub fn account(&self) -> Option<i32> {
        match self {
            Principal::Anonymous => None,
            Principal::Token { account, .. } => Some(*account),
        }
    }

    /// Whether this principal may see and manage what the account `owner` owns.
    pub fn may_manage(&self, owner: i32) -> bool {
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
    let txn = crate::database::begin_write(db).await?;
    let account = account_for(&txn, role, name).await?;
    let record = api_token::ActiveModel {
        name: Set(account.name),
        role: Set(account.role),
        account_id: Set(account.id),
        token_hash: Set(hash(&token)),
        prefix: Set(token[..SHOWN_PREFIX_LENGTH].to_owned()),
        created_at: Set(now_ms()),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(CreatedToken { token, record })
}

/// The account of a role and name, made when it is first needed. Two processes making it
/// at once both end up with the one row (the pair is unique).
async fn account_for(
    db: &impl ConnectionTrait,
    role: Role,
    name: &str,
) -> Result<account::Model, DbErr> {
    let find = || {
        account::Entity::find()
            .filter(account::Column::Role.eq(role.as_str()))
            .filter(account::Column::Name.eq(name))
    };
    if let Some(account) = find().one(db).await? {
        return Ok(account);
    }
    account::Entity::insert(account::ActiveModel {
        role: Set(role.as_str().to_owned()),
        name: Set(name.to_owned()),
        created_at: Set(now_ms()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([account::Column::Role, account::Column::Name])
    .exec(db)
    .await?;
    find().one(db).await?.ok_or(DbErr::RecordNotFound(format!(
        "the {} account `{name}`",
        role.as_str()
    )))
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
    let token = bearer_token(header).ok_or(AccessError::MalformedHeader)?;
    authenticate_token(db, token).await
}

/// Who a token acts for, if it is valid and not revoked (the console's sign-in form).
pub async fn authenticate_token(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Principal, AccessError> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Err(AccessError::InvalidToken);
    }
    active_token(db, api_token::Column::TokenHash.eq(hash(token))).await
}

/// Who the token with this id acts for, while it is not revoked (a console session's).
pub async fn authenticate_token_id(
    db: &DatabaseConnection,
    id: i32,
) -> Result<Principal, AccessError> {
    active_token(db, api_token::Column::Id.eq(id)).await
}

async fn active_token(
    db: &DatabaseConnection,
    which: sea_orm::sea_query::Expr,
) -> Result<Principal, AccessError> {
    let found = api_token::Entity::find()
        .find_also_related(account::Entity)
        .filter(which)
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    let Some((record, Some(account))) = found else {
        return Err(AccessError::InvalidToken);
    };
    let role = Role::parse(&account.role).ok_or(AccessError::InvalidToken)?;
    Ok(Principal::Token {
        id: record.id,
        account: account.id,
        name: account.name,
        role,
    })
}

/// The token of an `Authorization: Bearer <token>` header. The scheme is case-insensitive
/// (RFC 9110, 11.1): `bearer` and `BEARER` are `Bearer` too.
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_manage_everything_partners_their_own() {
        let admin = Principal::Token {
            id: 1,
            account: 10,
            name: "UIL".into(),
            role: Role::Admin,
        };
        let partner = Principal::Token {
            id: 2,
            account: 20,
            name: "Ministry".into(),
            role: Role::Partner,
        };
        assert!(admin.may_manage(20));
        assert!(partner.may_manage(20));
        assert!(
            !partner.may_manage(10),
            "an admin's account is not a partner's"
        );
        assert!(!Principal::Anonymous.may_manage(20));
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for header in [
            "Bearer gnlc_x",
            "bearer gnlc_x",
            "BEARER gnlc_x",
            "bEaReR gnlc_x",
            "Bearer   gnlc_x ",
        ] {
            assert_eq!(bearer_token(header), Some("gnlc_x"), "{header}");
        }
        for header in [
            "Basic gnlc_x",
            "Bearer",
            "Bearer ",
            "Bearergnlc_x",
            "gnlc_x",
        ] {
            assert_eq!(bearer_token(header), None, "{header}");
        }
    }
}
