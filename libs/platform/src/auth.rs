//! Authentication and authorization.
//!
//! Callers present `Authorization: Bearer <JWT>`. Tokens are HS256 with a shared
//! secret locally and RS256 from an identity provider in production (a PEM key or
//! a JWKS document, chosen by `kid`). Claims carry staff roles, or for channel
//! connectors the one channel the token acts for. Handlers state what they need in
//! one line: `caller.require_any(&[Role::Admin, Role::Ops])?`.

use std::collections::HashMap;
use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use domain::ChannelId;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::AuthSettings;
use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Ops,
    Warehouse,
    Buyer,
    Finance,
    Support,
    /// Approves purchase orders above the approval threshold (never their
    /// own): the second person of the four-eyes rule.
    Approver,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Ops,
        Role::Warehouse,
        Role::Buyer,
        Role::Finance,
        Role::Support,
        Role::Approver,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Ops => "ops",
            Role::Warehouse => "warehouse",
            Role::Buyer => "buyer",
            Role::Finance => "finance",
            Role::Support => "support",
            Role::Approver => "approver",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role '{s}'"))
    }
}

/// The JWT claims Crossdock reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Set on channel tokens: the one channel the caller acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelId>,
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    pub iat: u64,
}

/// What a verified token is: staff with roles, or a channel connector acting
/// for exactly one channel. Never both: verification refuses a token that
/// carries roles and a channel, so no code can take a channel token for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Staff { roles: Vec<Role> },
    Channel(ChannelId),
}

/// Who is calling: the authenticated subject and what it is.
#[derive(Debug, Clone)]
pub struct Caller {
    subject: String,
    principal: Principal,
}

impl Caller {
    pub fn staff(subject: impl Into<String>, roles: Vec<Role>) -> Self {
        Self {
            subject: subject.into(),
            principal: Principal::Staff { roles },
        }
    }

    pub fn channel_connector(subject: impl Into<String>, channel: ChannelId) -> Self {
        Self {
            subject: subject.into(),
            principal: Principal::Channel(channel),
        }
    }

    pub fn subject(&self) -> &str {
        &self.subject
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The channel a channel token acts for; `None` for staff.
    pub fn channel(&self) -> Option<&ChannelId> {
        match &self.principal {
            Principal::Channel(channel) => Some(channel),
            Principal::Staff { .. } => None,
        }
    }

    /// A staff caller's roles; empty for a channel token.
    pub fn roles(&self) -> &[Role] {
        match &self.principal {
            Principal::Staff { roles } => roles,
            Principal::Channel(_) => &[],
        }
    }

    /// Passes when the caller is staff holding at least one of `roles`; else 403.
    pub fn require_any(&self, roles: &[Role]) -> Result<&Self, ApiError> {
        match &self.principal {
            Principal::Staff { roles: held } if held.iter().any(|r| roles.contains(r)) => Ok(self),
            Principal::Staff { .. } => {
                let wanted: Vec<&str> = roles.iter().map(Role::as_str).collect();
                Err(ApiError::Forbidden(format!(
                    "requires one of the roles: {}",
                    wanted.join(", ")
                )))
            }
            Principal::Channel(_) => Err(ApiError::Forbidden(
                "channel tokens may not use this endpoint".into(),
            )),
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles().contains(&role)
    }

    /// The channel a request acts for: a channel token's own (naming another
    /// is 403), or the one a staff caller with one of `staff` names in `field`
    /// (required, and a well-formed channel id).
    pub fn acting_channel(
        &self,
        named: Option<&str>,
        field: &str,
        staff: &[Role],
    ) -> Result<ChannelId, ApiError> {
        match (&self.principal, named) {
            (Principal::Channel(own), Some(named)) if own.as_str() != named => Err(
                ApiError::Forbidden(format!("this token acts for channel {own} only")),
            ),
            (Principal::Channel(own), _) => Ok(own.clone()),
            (Principal::Staff { .. }, named) => {
                self.require_any(staff)?;
                let named =
                    named.ok_or_else(|| ApiError::field(field, "is required for staff tokens"))?;
                named.parse().map_err(|e: domain::channel::ChannelIdError| {
                    ApiError::field(field, e.to_string())
                })
            }
        }
    }

    /// The channel a filter may name: a channel token only its own (another is
    /// 403; none means its own), staff any well-formed one or none.
    pub fn channel_filter(
        &self,
        named: Option<&str>,
        field: &str,
    ) -> Result<Option<ChannelId>, ApiError> {
        match (&self.principal, named) {
            (Principal::Channel(own), Some(named)) if own.as_str() != named => Err(
                ApiError::Forbidden(format!("this token acts for channel {own} only")),
            ),
            (Principal::Channel(own), _) => Ok(Some(own.clone())),
            (Principal::Staff { .. }, None) => Ok(None),
            (Principal::Staff { .. }, Some(named)) => {
                named
                    .parse()
                    .map(Some)
                    .map_err(|e: domain::channel::ChannelIdError| {
                        ApiError::field(field, e.to_string())
                    })
            }
        }
    }

    /// A channel token sees only its own channel's resources; another
    /// channel's answer `hidden` (a 404, so it can't learn the resource
    /// exists). Staff need one of `staff`.
    pub fn require_channel(
        &self,
        channel: &str,
        staff: &[Role],
        hidden: impl FnOnce() -> ApiError,
    ) -> Result<(), ApiError> {
        match &self.principal {
            Principal::Channel(own) if own.as_str() == channel => Ok(()),
            Principal::Channel(_) => Err(hidden()),
            Principal::Staff { .. } => self.require_any(staff).map(|_| ()),
        }
    }

    /// How the caller is recorded in audit trails: `user:<sub>` or `channel:<id>`.
    pub fn actor(&self) -> String {
        match &self.principal {
            Principal::Channel(channel) => format!("channel:{channel}"),
            Principal::Staff { .. } => format!("user:{}", self.subject),
        }
    }
}

/// Who may call an endpoint, stated as a type in the handler's signature
/// (`caller: Authorized<Writers>`) and checked when the request is extracted,
/// before its body is read: a caller without access gets 403 whatever it sent.
/// Declare rules with [`access!`](crate::access).
pub trait Access: 'static {
    /// Staff roles that pass.
    const STAFF: &'static [Role];
    /// Whether channel tokens pass (the handler scopes them to their channel).
    const CHANNELS: bool;

    fn check(caller: &Caller) -> Result<(), ApiError> {
        match caller.principal() {
            Principal::Channel(_) if Self::CHANNELS => Ok(()),
            _ => caller.require_any(Self::STAFF).map(|_| ()),
        }
    }
}

/// Declares access rules: `access!(pub Writers: [Admin, Ops]);` lets staff with
/// one of the roles in; `access!(pub Readers: [Admin, Ops], channels);` also
/// lets channel tokens in.
#[macro_export]
macro_rules! access {
    (@channels channels) => { true };
    (@channels) => { false };
    ($(#[$meta:meta])* $vis:vis $name:ident: [$($role:ident),* $(,)?] $(, $channels:ident)?) => {
        $(#[$meta])*
        $vis struct $name;
        impl $crate::auth::Access for $name {
            const STAFF: &'static [$crate::Role] = &[$($crate::Role::$role),*];
            const CHANNELS: bool = $crate::access!(@channels $($channels)?);
        }
    };
}

/// A caller that passed the access rule `A`; derefs to the [`Caller`].
pub struct Authorized<A: Access> {
    caller: Caller,
    rule: std::marker::PhantomData<A>,
}

impl<A: Access> std::ops::Deref for Authorized<A> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<A: Access> FromRequest for Authorized<A> {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|caller| {
            A::check(&caller)?;
            Ok(Self {
                caller,
                rule: std::marker::PhantomData,
            })
        }))
    }
}

/// Verifies tokens against the configured keys.
pub struct Authenticator {
    hs256: Option<DecodingKey>,
    rs256: Option<DecodingKey>,
    jwks: HashMap<String, DecodingKey>,
    issuer: String,
    audience: String,
}

impl Authenticator {
    pub fn from_settings(settings: &AuthSettings) -> anyhow::Result<Self> {
        let hs256 = settings
            .hs256_secret
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| DecodingKey::from_secret(s.as_bytes()));
        let rs256 = settings
            .rs256_public_key_pem
            .as_deref()
            .map(|pem| DecodingKey::from_rsa_pem(pem.as_bytes()))
            .transpose()
            .map_err(|e| anyhow::anyhow!("auth.rs256_public_key_pem: {e}"))?;
        let mut jwks = HashMap::new();
        if let Some(doc) = &settings.jwks_json {
            let set: jsonwebtoken::jwk::JwkSet =
                serde_json::from_str(doc).map_err(|e| anyhow::anyhow!("auth.jwks_json: {e}"))?;
            for jwk in &set.keys {
                if let Some(kid) = &jwk.common.key_id {
                    let key = DecodingKey::from_jwk(jwk)
                        .map_err(|e| anyhow::anyhow!("auth.jwks_json key {kid}: {e}"))?;
                    jwks.insert(kid.clone(), key);
                }
            }
        }
        Ok(Self {
            hs256,
            rs256,
            jwks,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
        })
    }

    /// Verifies a bearer token and returns the caller it names.
    pub fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        let invalid = |why: &str| ApiError::Unauthorized(format!("invalid token: {why}"));
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("malformed"))?;
        let key = match header.alg {
            Algorithm::HS256 => self.hs256.as_ref(),
            Algorithm::RS256 => match &header.kid {
                Some(kid) if !self.jwks.is_empty() => self.jwks.get(kid),
                _ => self.rs256.as_ref(),
            },
            _ => None,
        }
        .ok_or_else(|| invalid("unsupported algorithm or unknown key"))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|e| match e
            .kind()
        {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => invalid("expired"),
            jsonwebtoken::errors::ErrorKind::InvalidSignature => invalid("bad signature"),
            _ => invalid("claims rejected"),
        })?;
        let claims = data.claims;
        match (claims.roles.is_empty(), claims.channel) {
            (false, Some(_)) => Err(invalid(
                "carries both staff roles and a channel (a token is one or the other)",
            )),
            (true, None) => Err(invalid("carries neither roles nor a channel")),
            (true, Some(channel)) => Ok(Caller::channel_connector(claims.sub, channel)),
            (false, None) => Ok(Caller::staff(claims.sub, claims.roles)),
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let auth = req
        .app_data::<web::Data<Authenticator>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no authenticator configured")))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("missing Authorization: Bearer token".into()))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header".into()))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| ApiError::Unauthorized("Authorization must use the Bearer scheme".into()))?;
    let caller = auth.verify(token.trim())?;
    tracing::Span::current().record("caller", caller.actor());
    Ok(caller)
}

/// What a minted token is for.
pub struct TokenRequest<'a> {
    pub subject: &'a str,
    pub roles: &'a [Role],
    pub channel: Option<ChannelId>,
    pub ttl: std::time::Duration,
}

/// Mints an HS256 token (local development and tests).
pub fn mint_hs256(
    secret: &str,
    issuer: &str,
    audience: &str,
    request: TokenRequest<'_>,
) -> anyhow::Result<String> {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        sub: request.subject.to_string(),
        roles: request.roles.to_vec(),
        channel: request.channel,
        iss: issuer.to_string(),
        aud: audience.to_string(),
        iat: now,
        exp: now + request.ttl.as_secs(),
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn authenticator() -> Authenticator {
        Authenticator::from_settings(&AuthSettings {
            hs256_secret: Some(SECRET.into()),
            rs256_public_key_pem: None,
            jwks_json: None,
            issuer: "crossdock".into(),
            audience: "crossdock".into(),
        })
        .unwrap()
    }

    fn token(secret: &str, roles: &[Role], ttl: u64) -> String {
        mint_hs256(
            secret,
            "crossdock",
            "crossdock",
            TokenRequest {
                subject: "ada",
                roles,
                channel: None,
                ttl: std::time::Duration::from_secs(ttl),
            },
        )
        .unwrap()
    }

    #[test]
    fn verifies_roles_and_enforces_them() {
        let caller = authenticator()
            .verify(&token(SECRET, &[Role::Ops], 60))
            .unwrap();
        assert!(caller.require_any(&[Role::Admin, Role::Ops]).is_ok());
        assert!(matches!(
            caller.require_any(&[Role::Finance]),
            Err(ApiError::Forbidden(_))
        ));
        assert_eq!(caller.actor(), "user:ada");
    }

    #[test]
    fn rejects_wrong_secret_and_garbage() {
        let auth = authenticator();
        let forged = token("another-secret-another-secret-xx", &[Role::Admin], 60);
        assert!(matches!(
            auth.verify(&forged),
            Err(ApiError::Unauthorized(_))
        ));
        assert!(matches!(
            auth.verify("not.a.jwt"),
            Err(ApiError::Unauthorized(_))
        ));
    }

    #[test]
    fn channel_tokens_carry_their_channel() {
        let t = mint_hs256(
            SECRET,
            "crossdock",
            "crossdock",
            TokenRequest {
                subject: "connector",
                roles: &[],
                channel: Some("amazon-de".parse().unwrap()),
                ttl: std::time::Duration::from_secs(60),
            },
        )
        .unwrap();
        let caller = authenticator().verify(&t).unwrap();
        assert_eq!(caller.channel().unwrap().as_str(), "amazon-de");
        assert!(caller.roles().is_empty());
        assert!(matches!(
            caller.require_any(&Role::ALL),
            Err(ApiError::Forbidden(_))
        ));
    }

    #[test]
    fn refuses_a_token_with_roles_and_a_channel() {
        let t = mint_hs256(
            SECRET,
            "crossdock",
            "crossdock",
            TokenRequest {
                subject: "confused",
                roles: &[Role::Admin],
                channel: Some("amazon-de".parse().unwrap()),
                ttl: std::time::Duration::from_secs(60),
            },
        )
        .unwrap();
        match authenticator().verify(&t) {
            Err(ApiError::Unauthorized(why)) => assert!(why.contains("both"), "{why}"),
            other => panic!("expected 401, got {other:?}"),
        }
    }

    crate::access!(Writers: [Admin, Ops]);
    crate::access!(Readers: [Admin, Ops, Support], channels);

    #[test]
    fn access_rules_separate_staff_and_channels() {
        let ops = Caller::staff("ada", vec![Role::Ops]);
        let support = Caller::staff("bob", vec![Role::Support]);
        let channel = Caller::channel_connector("c", "amazon-de".parse().unwrap());
        assert!(Writers::check(&ops).is_ok());
        assert!(Writers::check(&support).is_err());
        assert!(Writers::check(&channel).is_err());
        assert!(Readers::check(&support).is_ok());
        assert!(Readers::check(&channel).is_ok());
        assert!(Readers::check(&Caller::staff("w", vec![Role::Warehouse])).is_err());
    }

    #[test]
    fn a_channel_filter_names_only_the_own_channel() {
        let channel = Caller::channel_connector("c", "amazon-de".parse().unwrap());
        let staff = Caller::staff("ada", vec![Role::Ops]);
        assert_eq!(
            channel
                .channel_filter(None, "channel")
                .unwrap()
                .unwrap()
                .as_str(),
            "amazon-de"
        );
        assert!(matches!(
            channel.channel_filter(Some("ebay-de"), "channel"),
            Err(ApiError::Forbidden(_))
        ));
        assert!(staff.channel_filter(None, "channel").unwrap().is_none());
        assert!(matches!(
            staff.channel_filter(Some("Not A Slug"), "channel"),
            Err(ApiError::Validation(_))
        ));
    }
}
