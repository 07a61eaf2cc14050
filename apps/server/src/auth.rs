//! Who the request is for, and how we know.
//!
//! Two modes (`AUTH_MODE`):
//! - `jwt`: the caller proves its identity with `Authorization: Bearer <JWT>`, verified with
//!   `jsonwebtoken` against one pinned algorithm (never `none`, never an HMAC algorithm with a
//!   public key: the algorithm comes from our settings, not from the token's header), with `exp`
//!   required and `iss`/`aud` checked when configured. `sub` is the user id. `X-User-Id` and
//!   `user_id` are ignored.
//! - `dev`: the caller names the user (`X-User-Id`, or `user_id` for browser navigations). It
//!   trusts anyone, so settings refuse it in production.
//!
//! The library crates never see any of this: they take a parsed `UserId`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use integration_core::UserId;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret as _;
use serde::Deserialize;
use tokio::sync::RwLock;
use url::Url;

use crate::error::ApiError;
use crate::settings::{AuthMode, JwtKey, JwtSettings};

/// The header that names the user in `dev` mode.
pub const USER_HEADER: &str = "X-User-Id";

/// Shortest pause between two JWKS fetches triggered by unknown key ids, so a flood of tokens
/// with random `kid`s cannot turn us into a load generator against the identity provider.
const JWKS_MIN_REFETCH: Duration = Duration::from_secs(30);

/// Verifies callers according to `AUTH_MODE`.
#[derive(Debug)]
pub enum Authenticator {
    /// Trust the named user (development only).
    Dev,
    /// Verify a bearer JWT.
    Jwt(Box<JwtVerifier>),
}

impl Authenticator {
    /// The authenticator `mode` describes. Fails on an unusable key, naming the variable.
    pub fn from_settings(mode: &AuthMode, http: reqwest::Client) -> Result<Self, String> {
        match mode {
            AuthMode::Dev => Ok(Self::Dev),
            AuthMode::Jwt(settings) => {
                JwtVerifier::new(settings, http).map(|v| Self::Jwt(Box::new(v)))
            }
        }
    }

    /// `"dev"` or `"jwt"`, as `/api/config` reports it.
    pub fn mode_name(&self) -> &'static str {
        match self {
            Self::Dev => "dev",
            Self::Jwt(_) => "jwt",
        }
    }

    /// The user a request is for: verified (jwt) or named (dev). `Ok(None)` when the request
    /// carries no identity at all.
    pub async fn identify(&self, req: &HttpRequest) -> Result<Option<UserId>, ApiError> {
        match self {
            Self::Dev => dev_user(req),
            Self::Jwt(verifier) => {
                let Some(value) = req.headers().get(header::AUTHORIZATION) else {
                    return Ok(None);
                };
                let token = value
                    .to_str()
                    .ok()
                    .and_then(|v| {
                        v.strip_prefix("Bearer ")
                            .or_else(|| v.strip_prefix("bearer "))
                    })
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| {
                        ApiError::Unauthenticated(
                            "the Authorization header must be 'Bearer <token>'".into(),
                        )
                    })?;
                verifier.verify(token).await.map(Some)
            }
        }
    }
}

fn dev_user(req: &HttpRequest) -> Result<Option<UserId>, ApiError> {
    let from_header = match req.headers().get(USER_HEADER) {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::InvalidRequest("X-User-Id is not valid text".into()))?
                .to_owned(),
        ),
        None => None,
    };
    let raw = from_header.or_else(|| query_param(req.query_string(), "user_id"));
    raw.map(|raw| {
        UserId::parse(raw).map_err(|e| ApiError::InvalidRequest(format!("invalid user id: {e}")))
    })
    .transpose()
}

fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
}

/// Verifies bearer JWTs against one configured key source and algorithm.
pub struct JwtVerifier {
    validation: Validation,
    keys: KeySource,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("algorithms", &self.validation.algorithms)
            .finish_non_exhaustive()
    }
}

enum KeySource {
    Static(DecodingKey),
    Jwks(Jwks),
}

struct Jwks {
    url: Url,
    http: reqwest::Client,
    cache: RwLock<JwksCache>,
}

#[derive(Default)]
struct JwksCache {
    keys: HashMap<String, Arc<DecodingKey>>,
    fetched_at: Option<Instant>,
}

impl JwtVerifier {
    fn new(settings: &JwtSettings, http: reqwest::Client) -> Result<Self, String> {
        let algorithm: Algorithm = settings.algorithm.parse().map_err(|_| {
            format!(
                "AUTH_JWT_ALGORITHM '{}' is not supported",
                settings.algorithm
            )
        })?;
        let mut validation = Validation::new(algorithm);
        validation.leeway = settings.leeway.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        match &settings.issuer {
            Some(issuer) => validation.set_issuer(&[issuer]),
            None => validation.iss = None,
        }
        match &settings.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        let keys = match &settings.key {
            JwtKey::Secret(secret) => {
                KeySource::Static(DecodingKey::from_secret(secret.expose_secret().as_bytes()))
            }
            JwtKey::PublicKeyPem(pem) => KeySource::Static(
                match algorithm {
                    Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(pem.as_bytes()),
                    Algorithm::EdDSA => DecodingKey::from_ed_pem(pem.as_bytes()),
                    _ => DecodingKey::from_rsa_pem(pem.as_bytes()),
                }
                .map_err(|e| {
                    format!("AUTH_JWT_PUBLIC_KEY is not a usable {algorithm:?} PEM key: {e}")
                })?,
            ),
            JwtKey::Jwks(url) => KeySource::Jwks(Jwks {
                url: url.clone(),
                http,
                cache: RwLock::new(JwksCache::default()),
            }),
        };
        Ok(Self { validation, keys })
    }

    /// The verified user id of `token`.
    pub async fn verify(&self, token: &str) -> Result<UserId, ApiError> {
        let invalid = |why: &str| ApiError::Unauthenticated(format!("the bearer token {why}"));
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("is malformed"))?;
        // Pinned: whatever the token's header claims, only the configured algorithm is accepted.
        if !self.validation.algorithms.contains(&header.alg) {
            return Err(invalid("uses an algorithm this service does not accept"));
        }
        let key = match &self.keys {
            KeySource::Static(key) => Arc::new(key.clone()),
            KeySource::Jwks(jwks) => jwks.key(header.kid.as_deref(), header.alg).await?,
        };
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => invalid("has expired"),
                ErrorKind::ImmatureSignature => invalid("is not valid yet"),
                ErrorKind::InvalidIssuer => invalid("was issued by someone else"),
                ErrorKind::InvalidAudience => invalid("is meant for another audience"),
                ErrorKind::MissingRequiredClaim(claim) => {
                    invalid(&format!("lacks the required '{claim}' claim"))
                }
                ErrorKind::InvalidSignature => invalid("has an invalid signature"),
                _ => invalid("is invalid"),
            }
        })?;
        UserId::parse(data.claims.sub).map_err(|e| {
            ApiError::Unauthenticated(format!("the token's subject is not a user id: {e}"))
        })
    }
}

impl Jwks {
    /// The key with id `kid`, fetching the set when it is unknown (at most once per
    /// [`JWKS_MIN_REFETCH`]).
    async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<Arc<DecodingKey>, ApiError> {
        let kid = kid.ok_or_else(|| {
            ApiError::Unauthenticated("the bearer token names no key id (kid)".into())
        })?;
        if let Some(key) = self.cache.read().await.keys.get(kid) {
            return Ok(Arc::clone(key));
        }
        let mut cache = self.cache.write().await;
        if let Some(key) = cache.keys.get(kid) {
            return Ok(Arc::clone(key));
        }
        let recently = cache
            .fetched_at
            .is_some_and(|at| at.elapsed() < JWKS_MIN_REFETCH);
        if !recently {
            cache.fetched_at = Some(Instant::now());
            match self.fetch(alg).await {
                Ok(keys) => cache.keys = keys,
                Err(why) => {
                    tracing::error!(%why, "could not fetch the JWKS");
                    return Err(ApiError::AuthUnavailable);
                }
            }
        }
        cache.keys.get(kid).cloned().ok_or_else(|| {
            ApiError::Unauthenticated("the bearer token is signed with an unknown key".into())
        })
    }

    async fn fetch(&self, alg: Algorithm) -> Result<HashMap<String, Arc<DecodingKey>>, String> {
        let response = self
            .http
            .get(self.url.clone())
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status().as_u16()));
        }
        let set: JwkSet = response
            .json()
            .await
            .map_err(|e| e.without_url().to_string())?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = &jwk.common.key_id else {
                continue;
            };
            // A key that declares another algorithm is never used for this one.
            if let Some(key_alg) = jwk.common.key_algorithm
                && key_alg.to_string() != format!("{alg:?}")
            {
                continue;
            }
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                keys.insert(kid.clone(), Arc::new(key));
            }
        }
        tracing::info!(keys = keys.len(), "fetched the JWKS");
        Ok(keys)
    }
}

/// The authenticated user of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub UserId);

impl CurrentUser {
    /// The request's user if it carries an identity (verified in `jwt` mode).
    pub async fn optional(req: &HttpRequest) -> Result<Option<Self>, ApiError> {
        let auth = req
            .app_data::<web::Data<Authenticator>>()
            .ok_or_else(|| ApiError::Internal("no authenticator configured".into()))?;
        Ok(auth.identify(req).await?.map(CurrentUser))
    }
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let jwt = req
                .app_data::<web::Data<Authenticator>>()
                .is_some_and(|a| matches!(***a, Authenticator::Jwt(_)));
            CurrentUser::optional(&req).await?.ok_or_else(|| {
                if jwt {
                    ApiError::Unauthenticated(
                        "send 'Authorization: Bearer <token>' with a token from VectorShift".into(),
                    )
                } else {
                    ApiError::InvalidRequest(
                        "missing user: send the X-User-Id header or a user_id query parameter"
                            .into(),
                    )
                }
            })
        })
    }
}
