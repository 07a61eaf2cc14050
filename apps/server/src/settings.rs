//! All configuration, in one typed tree.
//!
//! Sources, later ones winning: built-in defaults, a `.env` file (development convenience), the
//! process environment. The variable names are the public interface and are documented in
//! `.env.example` and the README. Anything missing or malformed stops the server at start with a
//! sentence naming the variable, rather than failing on the first request.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

/// Why the settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A required variable is unset.
    #[error("{0} is not set: {1}")]
    Missing(&'static str, &'static str),
    /// A variable is set to something unusable.
    #[error("{0} is invalid: {1}")]
    Invalid(&'static str, String),
    /// A provider's variable is missing or malformed (named at run time: `NOTION_CLIENT_SECRET`).
    #[error("{0} {1}")]
    Provider(String, String),
    /// The configuration sources could not be read.
    #[error("could not read configuration: {0}")]
    Source(String),
}

/// Deployment environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    /// Local development: sandbox mode and generated keys allowed.
    Development,
    /// Production: every secret explicit, no sandbox.
    Production,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// How a registered provider is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderMode {
    /// `{ID}_CLIENT_ID` and `{ID}_CLIENT_SECRET` are set: the real provider.
    Live,
    /// Neither is set, in development: its bundled sandbox, mounted at `/_sandbox/{id}`.
    Sandbox,
    /// Neither is set and there is no sandbox (or this is production): not offered.
    Off,
}

/// One registered provider and how it is served. Its own settings (`{ID}_CLIENT_ID`,
/// `{ID}_SCOPES`, `{ID}_{NAME}_URL`…) are read by convention from [`Settings::provider_vars`].
#[derive(Debug, Clone, Copy)]
pub struct ProviderChoice {
    /// The provider crate's registration.
    pub registration: sandbox_kit::Registration,
    /// Live, sandbox or off.
    pub mode: ProviderMode,
}

impl ProviderChoice {
    /// The provider's id.
    pub fn id(&self) -> &'static str {
        self.registration.factory.info().id
    }
}

/// How callers prove who they are.
#[derive(Debug, Clone)]
pub enum AuthMode {
    /// `AUTH_MODE=dev`: the caller names the user (`X-User-Id` or `user_id`). Development only.
    Dev,
    /// `AUTH_MODE=jwt`: every `/api` call carries `Authorization: Bearer <JWT>`; `sub` is the user.
    Jwt(JwtSettings),
}

/// Where the JWT verification key comes from.
#[derive(Debug, Clone)]
pub enum JwtKey {
    /// `AUTH_JWT_SECRET`: an HS256 shared secret of at least 32 bytes.
    Secret(SecretString),
    /// `AUTH_JWT_PUBLIC_KEY`: a PEM public key (RS256 by default, or `AUTH_JWT_ALGORITHM`).
    PublicKeyPem(String),
    /// `AUTH_JWKS_URL`: a JWK set, fetched and cached, refetched on an unknown `kid`.
    Jwks(Url),
}

/// JWT verification.
#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// The verification key.
    pub key: JwtKey,
    /// `AUTH_JWT_ALGORITHM`: the one accepted algorithm (HS256 with a secret; RS256 by default
    /// with a public key or JWKS; also ES256, PS256, EdDSA).
    pub algorithm: String,
    /// `AUTH_JWT_ISSUER`: required `iss`, when set.
    pub issuer: Option<String>,
    /// `AUTH_JWT_AUDIENCE`: required `aud`, when set.
    pub audience: Option<String>,
    /// `AUTH_JWT_LEEWAY_SECS`: clock skew allowed on `exp`/`nbf`; default 30.
    pub leeway: Duration,
}

/// Redis settings.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// `REDIS_URL`; may contain a password, so it is a secret. Comma-separated node URLs
    /// (`redis://10.0.0.1:7000,redis://10.0.0.2:7000`) mean a Redis Cluster.
    pub url: SecretString,
    /// `REDIS_KEY_PREFIX`; default `vs:`.
    pub key_prefix: String,
    /// `REDIS_POOL_SIZE`; default 16.
    pub pool_size: usize,
    /// `REDIS_TIMEOUT_MS`: bound on every Redis operation; default 2000.
    pub timeout: Duration,
    /// `REDIS_CA_CERT`: PEM file of the CA(s) that sign a `rediss://` server's certificate, when
    /// it is not publicly trusted.
    pub ca_cert_pem: Option<PathBuf>,
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `APP_ENV`: `development` (default) or `production`.
    pub app_env: AppEnv,
    /// `BIND_ADDR`; default `127.0.0.1:8080`.
    pub bind_addr: SocketAddr,
    /// `PUBLIC_URL`: how browsers reach this server, an http(s) origin; default
    /// `http://{BIND_ADDR}`.
    pub public_url: Option<Url>,
    /// `FRONTEND_URL`: where the UI lives (callback outcomes go there), an http(s) origin;
    /// default `PUBLIC_URL`.
    pub frontend_url: Option<Url>,
    /// `WEB_DIST_DIR`: the built UI to serve at `/`; default `web/dist`.
    pub web_dist_dir: PathBuf,
    /// `AUTH_MODE` and its keys: `dev` (default in development) or `jwt` (required in
    /// production).
    pub auth: AuthMode,
    /// `EMBED_ORIGINS`: space or comma separated origins allowed to frame the UI
    /// (`frame-ancestors`) and to hand it a token by `postMessage`; default none.
    pub embed_origins: Vec<String>,
    /// `REQUEST_DEADLINE_SECS`: one overall deadline per request (retries and waits included);
    /// default 20, below the UI's 30 s timeout.
    pub request_deadline: Duration,
    /// `REFRESH_LOCK_TTL_SECS`: how long a replica that died while refreshing a token can block
    /// the others; default 10, at most half the request deadline.
    pub refresh_lock_ttl: Duration,
    /// `RATE_BUDGET_PER_10S` (default 110, HubSpot's per-portal limit) when `RATE_BUDGET_ENABLED`
    /// (default `true`): provider API calls per 10 s per provider account, shared through Redis
    /// by every replica; `None` when disabled.
    pub rate_budget_per_10s: Option<u32>,
    /// `RATE_BUDGET_SEARCH_PER_SECOND` (default 5, HubSpot's CRM search limit): search calls
    /// per second per provider account, a budget of their own beside the general one.
    pub rate_budget_search_per_s: u32,
    /// `INDEX_LAG_SECS` (default 30): an incremental sync's window ends this long before it
    /// starts, since providers' search indexes trail their writes.
    pub index_lag: Duration,
    /// `CHANGES_LOOKBACK_SECS` (default 300): how far each incremental sync's window reaches
    /// back before its checkpoint, so records a search index lists late still arrive.
    pub changes_lookback: Duration,
    /// `OAUTH_PENDING_PER_USER` (default 10, 1–1000): consent flows one user may have pending at
    /// once; starting one more forgets their oldest.
    pub oauth_pending_per_user: usize,
    /// `TOKEN_ENCRYPTION_KEY`: `[ID:]KEY`, 32 bytes as base64 or hex, key id 1–255 (default 1).
    pub token_encryption_key: SecretString,
    /// `TOKEN_ENCRYPTION_PREVIOUS_KEYS`: comma-separated `ID:KEY` specs still accepted for
    /// decryption while values re-encrypt under the new key (key rotation).
    pub token_encryption_previous_keys: Vec<SecretString>,
    /// `TOKEN_REFRESH_SKEW_SECS`: refresh this long before expiry; default 300.
    pub refresh_skew: Duration,
    /// `LOG_FORMAT`: `pretty` (default) or `json`.
    pub log_format: LogFormat,
    /// Redis.
    pub redis: RedisSettings,
    /// `SANDBOX_ADMIN`: who may call the sandboxes' `/_admin/*` routes: `loopback` (default:
    /// connections whose peer address is 127.0.0.1 or ::1), `open` or `off`.
    pub sandbox_admin: sandbox_kit::guard::AdminAccess,
    /// `METRICS_ADDR`: where `GET /metrics` is served, a listener of its own apart from
    /// `BIND_ADDR` (the public port answers 404 for it); default `127.0.0.1:0` (loopback, a port
    /// the system picks, logged at start); `None` for `off`.
    pub metrics_addr: Option<SocketAddr>,
    /// Every registered provider (`providers::all()`), in display order, and how it is served.
    pub providers: Vec<ProviderChoice>,
    /// The variables of the registered providers (`{ID}_…`), read by convention when each is
    /// built (`integration_core::kit::ProviderSettings::from_vars`). Secrets among them are
    /// never printed: `Debug` shows only the names.
    pub provider_vars: ProviderVars,
}

/// Provider variables; `Debug` lists names only.
#[derive(Clone, Default)]
pub struct ProviderVars(pub HashMap<String, String>);

impl std::fmt::Debug for ProviderVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        f.debug_tuple("ProviderVars").field(&names).finish()
    }
}

/// The raw variables, as strings, before validation.
#[derive(Debug, Default, Deserialize)]
struct Raw {
    app_env: Option<String>,
    bind_addr: Option<String>,
    public_url: Option<String>,
    frontend_url: Option<String>,
    web_dist_dir: Option<String>,
    token_encryption_key: Option<String>,
    token_encryption_previous_keys: Option<String>,
    token_refresh_skew_secs: Option<String>,
    log_format: Option<String>,
    redis_url: Option<String>,
    redis_key_prefix: Option<String>,
    redis_pool_size: Option<String>,
    redis_timeout_ms: Option<String>,
    redis_ca_cert: Option<String>,
    auth_mode: Option<String>,
    auth_jwt_secret: Option<String>,
    auth_jwt_public_key: Option<String>,
    auth_jwks_url: Option<String>,
    auth_jwt_algorithm: Option<String>,
    auth_jwt_issuer: Option<String>,
    auth_jwt_audience: Option<String>,
    auth_jwt_leeway_secs: Option<String>,
    embed_origins: Option<String>,
    request_deadline_secs: Option<String>,
    refresh_lock_ttl_secs: Option<String>,
    rate_budget_per_10s: Option<String>,
    rate_budget_search_per_second: Option<String>,
    index_lag_secs: Option<String>,
    changes_lookback_secs: Option<String>,
    oauth_pending_per_user: Option<String>,
    rate_budget_enabled: Option<String>,
    sandbox_admin: Option<String>,
    metrics_addr: Option<String>,
}

/// What loading the settings did besides reading them.
#[derive(Debug, Default)]
pub struct LoadNotes {
    /// A development `TOKEN_ENCRYPTION_KEY` was generated and written to this file.
    pub generated_key_in: Option<PathBuf>,
}

/// Environment file read at start (and where a development key is written).
const ENV_FILE: &str = ".env";

impl Settings {
    /// Loads `.env` (if present) and the environment. In development, a missing
    /// `TOKEN_ENCRYPTION_KEY` is generated and appended to `.env`, so the first `just run` works
    /// and later runs can still decrypt what the first one stored.
    pub fn load() -> Result<(Self, LoadNotes), SettingsError> {
        load_env_file();
        let mut notes = LoadNotes::default();
        let production = std::env::var("APP_ENV").is_ok_and(|v| v.trim().starts_with("prod"));
        let has_key = std::env::var("TOKEN_ENCRYPTION_KEY").is_ok_and(|v| !v.trim().is_empty());
        if !production && !has_key {
            let path = PathBuf::from(ENV_FILE);
            write_dev_key(&path).map_err(|e| {
                SettingsError::Source(format!(
                    "TOKEN_ENCRYPTION_KEY is not set and a development key could not be written to {ENV_FILE}: {e}"
                ))
            })?;
            load_env_file();
            notes.generated_key_in = Some(path);
        }
        Ok((Self::from_source(None)?, notes))
    }

    /// Loads from an explicit map of variables (tests), ignoring the process environment.
    pub fn from_vars(vars: HashMap<String, String>) -> Result<Self, SettingsError> {
        Self::from_source(Some(vars))
    }

    fn from_source(vars: Option<HashMap<String, String>>) -> Result<Self, SettingsError> {
        let all: HashMap<String, String> =
            vars.clone().unwrap_or_else(|| std::env::vars().collect());
        let env = config::Environment::default().source(vars);
        let raw: Raw = config::Config::builder()
            .add_source(env)
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| SettingsError::Source(e.to_string()))?;
        let mut settings = Self::from_raw(raw)?;
        let (providers, provider_vars) = provider_choices(settings.app_env, &all)?;
        settings.providers = providers;
        settings.provider_vars = provider_vars;
        Ok(settings)
    }

    fn from_raw(mut raw: Raw) -> Result<Self, SettingsError> {
        let app_env = match non_empty(raw.app_env.take()).as_deref() {
            None | Some("development") | Some("dev") => AppEnv::Development,
            Some("production") | Some("prod") => AppEnv::Production,
            Some(other) => {
                return Err(SettingsError::Invalid(
                    "APP_ENV",
                    format!("expected 'development' or 'production', got '{other}'"),
                ));
            }
        };
        let auth = auth_settings(app_env, &mut raw)?;
        let bind_addr = non_empty(raw.bind_addr)
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
            .parse()
            .map_err(|e| SettingsError::Invalid("BIND_ADDR", format!("{e}")))?;

        let token_encryption_key = non_empty(raw.token_encryption_key)
            .ok_or(SettingsError::Missing(
                "TOKEN_ENCRYPTION_KEY",
                "set it to 32 random bytes, base64 encoded (e.g. `openssl rand -base64 32`)",
            ))?
            .into();

        let log_format = match non_empty(raw.log_format).as_deref() {
            None | Some("pretty") | Some("text") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(SettingsError::Invalid(
                    "LOG_FORMAT",
                    format!("expected 'pretty' or 'json', got '{other}'"),
                ));
            }
        };

        let embed_origins = list_var(raw.embed_origins.take())
            .unwrap_or_default()
            .into_iter()
            .map(|o| {
                let url = Url::parse(&o).map_err(|e| {
                    SettingsError::Invalid("EMBED_ORIGINS", format!("'{o}' is not an origin: {e}"))
                })?;
                match url.origin() {
                    origin @ url::Origin::Tuple(..) => Ok(origin.ascii_serialization()),
                    url::Origin::Opaque(_) => Err(SettingsError::Invalid(
                        "EMBED_ORIGINS",
                        format!("'{o}' is not an http(s) origin"),
                    )),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let request_deadline = match number_var(
            "REQUEST_DEADLINE_SECS",
            raw.request_deadline_secs.take(),
            20,
        )? {
            0 => {
                return Err(SettingsError::Invalid(
                    "REQUEST_DEADLINE_SECS",
                    "must be at least 1".into(),
                ));
            }
            secs => Duration::from_secs(secs),
        };
        // Default: 10 s, or half the deadline when that is shorter.
        let refresh_lock_ttl = match non_empty(raw.refresh_lock_ttl_secs.take()) {
            None => Duration::from_secs(10).min(request_deadline / 2),
            Some(v) => {
                let ttl = Duration::from_secs(number_var("REFRESH_LOCK_TTL_SECS", Some(v), 10)?);
                if ttl.is_zero() || ttl * 2 > request_deadline {
                    return Err(SettingsError::Invalid(
                        "REFRESH_LOCK_TTL_SECS",
                        format!(
                            "must be at least 1 and at most half of REQUEST_DEADLINE_SECS ({} s), so a request can outlast a dead replica's lock",
                            request_deadline.as_secs()
                        ),
                    ));
                }
                ttl
            }
        };
        let rate_budget_per_10s =
            match number_var("RATE_BUDGET_PER_10S", raw.rate_budget_per_10s.take(), 110)? {
                n @ 1..=100_000 => n as u32,
                _ => {
                    return Err(SettingsError::Invalid(
                        "RATE_BUDGET_PER_10S",
                        "must be between 1 and 100000".into(),
                    ));
                }
            };
        let rate_budget_search_per_s = match number_var(
            "RATE_BUDGET_SEARCH_PER_SECOND",
            raw.rate_budget_search_per_second.take(),
            5,
        )? {
            n @ 1..=10_000 => n as u32,
            _ => {
                return Err(SettingsError::Invalid(
                    "RATE_BUDGET_SEARCH_PER_SECOND",
                    "must be between 1 and 10000".into(),
                ));
            }
        };
        let index_lag = match number_var("INDEX_LAG_SECS", raw.index_lag_secs.take(), 30)? {
            n @ 0..=3600 => Duration::from_secs(n),
            _ => {
                return Err(SettingsError::Invalid(
                    "INDEX_LAG_SECS",
                    "must be between 0 and 3600".into(),
                ));
            }
        };
        let changes_lookback = match number_var(
            "CHANGES_LOOKBACK_SECS",
            raw.changes_lookback_secs.take(),
            300,
        )? {
            n @ 0..=86_400 => Duration::from_secs(n),
            _ => {
                return Err(SettingsError::Invalid(
                    "CHANGES_LOOKBACK_SECS",
                    "must be between 0 and 86400".into(),
                ));
            }
        };
        let rate_budget_enabled = match non_empty(raw.rate_budget_enabled.take()).as_deref() {
            None | Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => {
                return Err(SettingsError::Invalid(
                    "RATE_BUDGET_ENABLED",
                    format!("expected 'true' or 'false', got '{other}'"),
                ));
            }
        };
        let sandbox_admin = match non_empty(raw.sandbox_admin.take()) {
            None => sandbox_kit::guard::AdminAccess::default(),
            Some(v) => sandbox_kit::guard::AdminAccess::parse(&v).ok_or_else(|| {
                SettingsError::Invalid(
                    "SANDBOX_ADMIN",
                    format!("expected 'loopback', 'open' or 'off', got '{v}'"),
                )
            })?,
        };
        let oauth_pending_per_user = match number_var(
            "OAUTH_PENDING_PER_USER",
            raw.oauth_pending_per_user.take(),
            10,
        )? {
            n @ 1..=1000 => n as usize,
            _ => {
                return Err(SettingsError::Invalid(
                    "OAUTH_PENDING_PER_USER",
                    "must be between 1 and 1000".into(),
                ));
            }
        };
        let metrics_addr = metrics_addr_var(raw.metrics_addr.take())?;
        Ok(Settings {
            sandbox_admin,
            metrics_addr,
            rate_budget_per_10s: rate_budget_enabled.then_some(rate_budget_per_10s),
            rate_budget_search_per_s,
            index_lag,
            changes_lookback,
            oauth_pending_per_user,
            app_env,
            bind_addr,
            auth,
            embed_origins,
            request_deadline,
            refresh_lock_ttl,
            public_url: origin_var("PUBLIC_URL", raw.public_url)?,
            frontend_url: origin_var("FRONTEND_URL", raw.frontend_url)?,
            web_dist_dir: non_empty(raw.web_dist_dir)
                .unwrap_or_else(|| "web/dist".to_owned())
                .into(),
            token_encryption_key,
            token_encryption_previous_keys: non_empty(raw.token_encryption_previous_keys)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| SecretString::from(s.to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
            refresh_skew: Duration::from_secs(number_var(
                "TOKEN_REFRESH_SKEW_SECS",
                raw.token_refresh_skew_secs,
                300,
            )?),
            log_format,
            redis: RedisSettings {
                url: non_empty(raw.redis_url)
                    .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned())
                    .into(),
                key_prefix: raw.redis_key_prefix.unwrap_or_else(|| "vs:".to_owned()),
                pool_size: number_var("REDIS_POOL_SIZE", raw.redis_pool_size, 16)? as usize,
                timeout: Duration::from_millis(number_var(
                    "REDIS_TIMEOUT_MS",
                    raw.redis_timeout_ms,
                    2000,
                )?),
                ca_cert_pem: non_empty(raw.redis_ca_cert).map(PathBuf::from),
            },
            providers: Vec::new(),
            provider_vars: ProviderVars::default(),
        })
    }

    /// Whether any provider is served by its bundled sandbox.
    pub fn sandbox_mode(&self) -> bool {
        self.providers
            .iter()
            .any(|p| p.mode == ProviderMode::Sandbox)
    }
}

/// How each registered provider is served, from its `{ID}_CLIENT_ID`/`{ID}_CLIENT_SECRET`;
/// problems name the variable. Production serves live providers only, and needs at least one.
fn provider_choices(
    app_env: AppEnv,
    all: &HashMap<String, String>,
) -> Result<(Vec<ProviderChoice>, ProviderVars), SettingsError> {
    use integration_core::kit::{Configured, ProviderSettings};
    let registrations = providers::all();
    let prefixes: Vec<String> = registrations
        .iter()
        .map(|r| {
            format!(
                "{}_",
                r.factory.info().id.to_ascii_uppercase().replace('-', "_")
            )
        })
        .collect();
    let vars: HashMap<String, String> = all
        .iter()
        .filter(|(k, _)| {
            let k = k.to_ascii_uppercase();
            prefixes.iter().any(|p| k.starts_with(p.as_str()))
        })
        .map(|(k, v)| (k.to_ascii_uppercase(), v.clone()))
        .collect();
    let mut choices = Vec::new();
    for registration in registrations {
        let id = registration.factory.info().id;
        let configured = ProviderSettings::from_vars(id, &vars, "http://placeholder/")
            .map_err(|p| SettingsError::Provider(p.variable, p.problem))?;
        let mode = match configured {
            Configured::Live(_) => ProviderMode::Live,
            Configured::Unset { .. }
                if app_env == AppEnv::Development && registration.sandbox.is_some() =>
            {
                ProviderMode::Sandbox
            }
            Configured::Unset { .. } => ProviderMode::Off,
        };
        choices.push(ProviderChoice { registration, mode });
    }
    if !choices.iter().any(|c| c.mode != ProviderMode::Off) {
        let first = choices
            .first()
            .map_or("HUBSPOT".to_owned(), |c| c.id().to_ascii_uppercase());
        return Err(SettingsError::Provider(
            format!("{first}_CLIENT_ID"),
            format!(
                "is not set: production serves only providers with real app credentials, and none has them (set {first}_CLIENT_ID and {first}_CLIENT_SECRET, or another provider's)"
            ),
        ));
    }
    Ok((choices, ProviderVars(vars)))
}

/// `AUTH_MODE` and the JWT settings. Production refuses `dev` and a missing key, naming the
/// variable.
fn auth_settings(app_env: AppEnv, raw: &mut Raw) -> Result<AuthMode, SettingsError> {
    let mode = non_empty(raw.auth_mode.take());
    match (mode.as_deref(), app_env) {
        (None, AppEnv::Development) | (Some("dev"), AppEnv::Development) => {
            return Ok(AuthMode::Dev);
        }
        (None, AppEnv::Production) => {
            return Err(SettingsError::Missing(
                "AUTH_MODE",
                "production requires AUTH_MODE=jwt (callers must prove who they are)",
            ));
        }
        (Some("dev"), AppEnv::Production) => {
            return Err(SettingsError::Invalid(
                "AUTH_MODE",
                "'dev' trusts any caller's claimed user id and is refused in production; use 'jwt'"
                    .into(),
            ));
        }
        (Some("jwt"), _) => {}
        (Some(other), _) => {
            return Err(SettingsError::Invalid(
                "AUTH_MODE",
                format!("expected 'dev' or 'jwt', got '{other}'"),
            ));
        }
    }
    let secret = non_empty(raw.auth_jwt_secret.take());
    let pem = non_empty(raw.auth_jwt_public_key.take());
    let jwks = url_var("AUTH_JWKS_URL", raw.auth_jwks_url.take())?;
    let key = match (secret, pem, jwks) {
        (Some(secret), None, None) => {
            if secret.len() < 32 {
                return Err(SettingsError::Invalid(
                    "AUTH_JWT_SECRET",
                    "must be at least 32 bytes".into(),
                ));
            }
            JwtKey::Secret(secret.into())
        }
        (None, Some(pem), None) => JwtKey::PublicKeyPem(pem.replace("\\n", "\n")),
        (None, None, Some(url)) => JwtKey::Jwks(url),
        (None, None, None) => {
            return Err(SettingsError::Missing(
                "AUTH_JWT_SECRET",
                "AUTH_MODE=jwt needs a verification key: AUTH_JWT_SECRET (HS256), AUTH_JWT_PUBLIC_KEY (PEM) or AUTH_JWKS_URL",
            ));
        }
        _ => {
            return Err(SettingsError::Invalid(
                "AUTH_JWT_SECRET",
                "set exactly one of AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY and AUTH_JWKS_URL".into(),
            ));
        }
    };
    let algorithm = match (non_empty(raw.auth_jwt_algorithm.take()), &key) {
        (None, JwtKey::Secret(_)) => "HS256".to_owned(),
        (None, _) => "RS256".to_owned(),
        (Some(alg), JwtKey::Secret(_)) if alg != "HS256" => {
            return Err(SettingsError::Invalid(
                "AUTH_JWT_ALGORITHM",
                "a shared secret verifies HS256 only".into(),
            ));
        }
        (Some(alg), JwtKey::PublicKeyPem(_) | JwtKey::Jwks(_)) if alg.starts_with("HS") => {
            return Err(SettingsError::Invalid(
                "AUTH_JWT_ALGORITHM",
                "a public key cannot verify an HMAC algorithm (algorithm confusion)".into(),
            ));
        }
        (Some(alg), _)
            if [
                "HS256", "RS256", "RS384", "RS512", "PS256", "ES256", "EdDSA",
            ]
            .contains(&alg.as_str()) =>
        {
            alg
        }
        (Some(alg), _) => {
            return Err(SettingsError::Invalid(
                "AUTH_JWT_ALGORITHM",
                format!("unsupported algorithm '{alg}'"),
            ));
        }
    };
    Ok(AuthMode::Jwt(JwtSettings {
        key,
        algorithm,
        issuer: non_empty(raw.auth_jwt_issuer.take()),
        audience: non_empty(raw.auth_jwt_audience.take()),
        leeway: Duration::from_secs(number_var(
            "AUTH_JWT_LEEWAY_SECS",
            raw.auth_jwt_leeway_secs.take(),
            30,
        )?),
    }))
}

fn load_env_file() {
    // A missing .env is normal; a malformed one is worth a warning but not a refusal.
    if let Err(err) = dotenvy::from_filename(ENV_FILE)
        && !err.not_found()
    {
        eprintln!("warning: ignoring unreadable {ENV_FILE}: {err}");
    }
}

/// Appends a fresh random `TOKEN_ENCRYPTION_KEY` to `path` unless the file already sets one.
pub fn write_dev_key(path: &std::path::Path) -> std::io::Result<bool> {
    use std::io::Write as _;
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let sets_key = existing.lines().any(|line| {
        line.trim_start()
            .strip_prefix("TOKEN_ENCRYPTION_KEY=")
            .is_some_and(|v| !v.trim().is_empty())
    });
    if sets_key {
        return Ok(false);
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let separator = if existing.is_empty() || existing.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    writeln!(
        file,
        "{separator}# Generated for local development on first run; production must set its own.\nTOKEN_ENCRYPTION_KEY={}",
        token_store::Cipher::generate_key_base64()
    )?;
    Ok(true)
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn url_var(name: &'static str, value: Option<String>) -> Result<Option<Url>, SettingsError> {
    non_empty(value)
        .map(|v| {
            Url::parse(&v).map_err(|e| SettingsError::Invalid(name, format!("not a URL: {e}")))
        })
        .transpose()
}

/// An http(s) origin (`PUBLIC_URL`, `FRONTEND_URL`): scheme, host and port only. CORS allows
/// these origins with credentials, so anything else (`file:`, whose origin is `null`; a path,
/// query, fragment or user info that would be silently dropped or misread) stops the start.
fn origin_var(name: &'static str, value: Option<String>) -> Result<Option<Url>, SettingsError> {
    let Some(url) = url_var(name, value)? else {
        return Ok(None);
    };
    let problem = if !matches!(url.scheme(), "http" | "https") {
        Some(format!(
            "must be an http or https origin (like https://app.example.com), not a {}: URL",
            url.scheme()
        ))
    } else if !url.username().is_empty() || url.password().is_some() {
        Some("must be an origin without a user name or password".to_owned())
    } else if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        Some(
            "must be an origin (like https://app.example.com) without a path, query or fragment"
                .to_owned(),
        )
    } else {
        None
    };
    match problem {
        Some(problem) => Err(SettingsError::Invalid(name, problem)),
        None => Ok(Some(url)),
    }
}

/// `METRICS_ADDR`: an IP address and port, or `off`. By default loopback on a port the
/// system picks: never reachable from outside, and never in the way of another server on the
/// same machine (several test servers, a second replica, Prometheus itself on 9090).
fn metrics_addr_var(value: Option<String>) -> Result<Option<SocketAddr>, SettingsError> {
    match non_empty(value).as_deref() {
        None => Ok(Some(SocketAddr::from(([127, 0, 0, 1], 0)))),
        Some("off") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            SettingsError::Invalid(
                "METRICS_ADDR",
                format!(
                    "expected an IP address and port (like 127.0.0.1:9464) or 'off', got '{v}'"
                ),
            )
        }),
    }
}

fn number_var(
    name: &'static str,
    value: Option<String>,
    default: u64,
) -> Result<u64, SettingsError> {
    match non_empty(value) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| {
            SettingsError::Invalid(name, format!("expected a whole number, got '{v}'"))
        }),
    }
}

fn list_var(value: Option<String>) -> Option<Vec<String>> {
    non_empty(value).map(|v| {
        v.split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const KEY: (&str, &str) = (
        "TOKEN_ENCRYPTION_KEY",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    );

    #[test]
    fn a_development_key_is_written_once_and_is_valid() {
        let dir = std::env::temp_dir().join(format!("vs-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(".env");
        std::fs::write(&path, "RUST_LOG=info").unwrap();
        assert!(write_dev_key(&path).unwrap());
        assert!(!write_dev_key(&path).unwrap(), "an existing key is kept");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("RUST_LOG=info\n"));
        let key = text
            .lines()
            .find_map(|l| l.strip_prefix("TOKEN_ENCRYPTION_KEY="))
            .unwrap();
        assert!(token_store::Cipher::from_key_material(key).is_ok());
        assert_eq!(text.matches("TOKEN_ENCRYPTION_KEY=").count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn defaults_give_sandbox_mode_on_localhost() {
        let s = Settings::from_vars(vars(&[KEY])).unwrap();
        assert!(s.sandbox_mode());
        assert_eq!(s.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.redis.key_prefix, "vs:");
        assert_eq!(s.refresh_skew, Duration::from_secs(300));
        assert_eq!(s.refresh_lock_ttl, Duration::from_secs(10));
        let short = Settings::from_vars(vars(&[KEY, ("REQUEST_DEADLINE_SECS", "4")])).unwrap();
        assert_eq!(short.refresh_lock_ttl, Duration::from_secs(2));
        let err = Settings::from_vars(vars(&[
            KEY,
            ("REQUEST_DEADLINE_SECS", "4"),
            ("REFRESH_LOCK_TTL_SECS", "3"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("REFRESH_LOCK_TTL_SECS is invalid"), "{err}");
        assert_eq!(s.providers[0].id(), "hubspot");
        assert_eq!(s.providers[0].mode, ProviderMode::Sandbox);
    }

    #[test]
    fn sandbox_admin_defaults_to_loopback_and_a_bad_value_names_the_variable() {
        use sandbox_kit::guard::AdminAccess;
        let s = Settings::from_vars(vars(&[KEY])).unwrap();
        assert_eq!(s.sandbox_admin, AdminAccess::Loopback);
        for (value, access) in [
            ("open", AdminAccess::Open),
            ("loopback", AdminAccess::Loopback),
            ("off", AdminAccess::Off),
        ] {
            let s = Settings::from_vars(vars(&[KEY, ("SANDBOX_ADMIN", value)])).unwrap();
            assert_eq!(s.sandbox_admin, access);
        }
        let err = Settings::from_vars(vars(&[KEY, ("SANDBOX_ADMIN", "everyone")]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("SANDBOX_ADMIN is invalid"), "{err}");
    }

    #[test]
    fn metrics_default_to_loopback_on_any_port_and_a_bad_address_names_the_variable() {
        let s = Settings::from_vars(vars(&[KEY])).unwrap();
        assert_eq!(s.metrics_addr, Some("127.0.0.1:0".parse().unwrap()));
        let s = Settings::from_vars(vars(&[KEY, ("METRICS_ADDR", "0.0.0.0:9464")])).unwrap();
        assert_eq!(s.metrics_addr, Some("0.0.0.0:9464".parse().unwrap()));
        let s = Settings::from_vars(vars(&[KEY, ("METRICS_ADDR", "off")])).unwrap();
        assert_eq!(s.metrics_addr, None);
        for bad in [
            "nope",
            "9464",
            "localhost:9464",
            "127.0.0.1:99999",
            "127.0.0.1",
        ] {
            let err = Settings::from_vars(vars(&[KEY, ("METRICS_ADDR", bad)]))
                .expect_err(bad)
                .to_string();
            assert!(err.starts_with("METRICS_ADDR is invalid: "), "{err}");
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn the_rate_budget_is_on_at_hubspots_limit_unless_disabled() {
        let s = Settings::from_vars(vars(&[KEY])).unwrap();
        assert_eq!(s.rate_budget_per_10s, Some(110));
        let s = Settings::from_vars(vars(&[KEY, ("RATE_BUDGET_PER_10S", "50")])).unwrap();
        assert_eq!(s.rate_budget_per_10s, Some(50));
        let s = Settings::from_vars(vars(&[KEY, ("RATE_BUDGET_ENABLED", "false")])).unwrap();
        assert_eq!(s.rate_budget_per_10s, None);
        let s = Settings::from_vars(vars(&[KEY, ("RATE_BUDGET_SEARCH_PER_SECOND", "2")])).unwrap();
        assert_eq!(s.rate_budget_search_per_s, 2);
        assert!(Settings::from_vars(vars(&[KEY, ("RATE_BUDGET_SEARCH_PER_SECOND", "0")])).is_err());
        let s = Settings::from_vars(vars(&[KEY, ("INDEX_LAG_SECS", "0")])).unwrap();
        assert_eq!(s.index_lag, Duration::ZERO);
        assert!(Settings::from_vars(vars(&[KEY, ("INDEX_LAG_SECS", "-1")])).is_err());
        assert_eq!(
            Settings::from_vars(vars(&[KEY])).unwrap().changes_lookback,
            Duration::from_secs(300)
        );
        let s = Settings::from_vars(vars(&[KEY, ("CHANGES_LOOKBACK_SECS", "0")])).unwrap();
        assert_eq!(s.changes_lookback, Duration::ZERO);
        assert!(Settings::from_vars(vars(&[KEY, ("CHANGES_LOOKBACK_SECS", "86401")])).is_err());
        for (name, bad) in [
            ("RATE_BUDGET_PER_10S", "0"),
            ("RATE_BUDGET_PER_10S", "many"),
            ("RATE_BUDGET_ENABLED", "maybe"),
        ] {
            let err = Settings::from_vars(vars(&[KEY, (name, bad)]))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(&format!("{name} is invalid")), "{err}");
        }
    }

    #[test]
    fn oauth_pending_per_user_defaults_to_ten_and_names_itself_when_out_of_range() {
        let s = Settings::from_vars(vars(&[KEY])).unwrap();
        assert_eq!(s.oauth_pending_per_user, 10);
        let s = Settings::from_vars(vars(&[KEY, ("OAUTH_PENDING_PER_USER", "3")])).unwrap();
        assert_eq!(s.oauth_pending_per_user, 3);
        for bad in ["0", "1001", "many"] {
            let error = Settings::from_vars(vars(&[KEY, ("OAUTH_PENDING_PER_USER", bad)]))
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with("OAUTH_PENDING_PER_USER is invalid"),
                "{error}"
            );
        }
    }

    #[test]
    fn real_credentials_switch_sandbox_off() {
        let s = Settings::from_vars(vars(&[
            KEY,
            ("HUBSPOT_CLIENT_ID", "abc"),
            ("HUBSPOT_CLIENT_SECRET", "shh-very-secret"),
            ("HUBSPOT_SCOPES", "oauth, crm.objects.contacts.read"),
        ]))
        .unwrap();
        assert_eq!(s.providers[0].mode, ProviderMode::Live);
        // The others have no credentials: their sandboxes, in development.
        assert!(
            s.providers[1..]
                .iter()
                .all(|p| p.mode == ProviderMode::Sandbox)
        );
        assert!(s.sandbox_mode());
        let production = Settings::from_vars(vars(&[
            KEY,
            ("APP_ENV", "production"),
            ("AUTH_MODE", "jwt"),
            ("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("HUBSPOT_CLIENT_ID", "abc"),
            ("HUBSPOT_CLIENT_SECRET", "shh-very-secret"),
        ]))
        .unwrap();
        assert!(!production.sandbox_mode(), "production mounts no sandbox");
        assert!(
            production.providers[1..]
                .iter()
                .all(|p| p.mode == ProviderMode::Off)
        );
        assert_eq!(
            s.provider_vars.0["HUBSPOT_SCOPES"],
            "oauth, crm.objects.contacts.read"
        );
        assert!(!format!("{s:?}").contains("shh-very-secret"));
    }

    #[test]
    fn missing_settings_name_the_variable() {
        let err = Settings::from_vars(vars(&[])).unwrap_err().to_string();
        assert!(err.starts_with("TOKEN_ENCRYPTION_KEY is not set"), "{err}");
        let err = Settings::from_vars(vars(&[KEY, ("HUBSPOT_CLIENT_ID", "abc")]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("HUBSPOT_CLIENT_SECRET is not set"), "{err}");
        let err = Settings::from_vars(vars(&[
            KEY,
            ("APP_ENV", "production"),
            ("AUTH_MODE", "jwt"),
            ("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("HUBSPOT_CLIENT_ID is not set"), "{err}");
        let live = [
            KEY,
            ("APP_ENV", "production"),
            ("HUBSPOT_CLIENT_ID", "abc"),
            ("HUBSPOT_CLIENT_SECRET", "def"),
        ];
        let err = Settings::from_vars(vars(&live)).unwrap_err().to_string();
        assert!(err.starts_with("AUTH_MODE is not set"), "{err}");
        let err = Settings::from_vars(vars(&[&live[..], &[("AUTH_MODE", "dev")]].concat()))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("AUTH_MODE is invalid"), "{err}");
        let err = Settings::from_vars(vars(&[&live[..], &[("AUTH_MODE", "jwt")]].concat()))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("AUTH_JWT_SECRET is not set"), "{err}");
        let err = Settings::from_vars(vars(
            &[
                &live[..],
                &[("AUTH_MODE", "jwt"), ("AUTH_JWT_SECRET", "short")],
            ]
            .concat(),
        ))
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("AUTH_JWT_SECRET is invalid"), "{err}");
        let err = Settings::from_vars(vars(
            &[
                &live[..],
                &[
                    ("AUTH_MODE", "jwt"),
                    ("AUTH_JWKS_URL", "https://id.example/jwks.json"),
                    ("AUTH_JWT_ALGORITHM", "HS256"),
                ],
            ]
            .concat(),
        ))
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("AUTH_JWT_ALGORITHM is invalid"), "{err}");
        let ok = Settings::from_vars(vars(
            &[
                &live[..],
                &[
                    ("AUTH_MODE", "jwt"),
                    ("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
                ],
            ]
            .concat(),
        ))
        .unwrap();
        assert!(matches!(ok.auth, AuthMode::Jwt(ref jwt) if jwt.algorithm == "HS256"));
        assert!(!format!("{ok:?}").contains("0123456789abcdef"));
        let err = Settings::from_vars(vars(&[KEY, ("BIND_ADDR", "nope")]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("BIND_ADDR is invalid"), "{err}");
        let err = Settings::from_vars(vars(&[KEY, ("HUBSPOT_API_BASE_URL", "::")]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("HUBSPOT_API_BASE_URL is invalid"), "{err}");
    }

    #[test]
    fn public_and_frontend_urls_must_be_plain_http_or_https_origins() {
        for name in ["PUBLIC_URL", "FRONTEND_URL"] {
            for bad in [
                "file:///srv/ui/index.html",
                "ftp://ui.example.com",
                "data:text/html,hi",
                "javascript:alert(1)",
                "https://ui.example.com/app",
                "https://ui.example.com/?x=1",
                "https://ui.example.com/#top",
                "https://user:hunter2@ui.example.com",
                "https://user@ui.example.com",
            ] {
                let err = Settings::from_vars(vars(&[KEY, (name, bad)]))
                    .expect_err(bad)
                    .to_string();
                assert!(err.starts_with(&format!("{name} is invalid: ")), "{err}");
                assert!(!err.contains("hunter2"), "no credentials echoed: {err}");
                assert_eq!(err.matches(". ").count(), 0, "one sentence: {err}");
            }
            for good in [
                "http://localhost:5173",
                "https://ui.example.com",
                "https://ui.example.com/",
                "http://[::1]:8080",
            ] {
                let s = Settings::from_vars(vars(&[KEY, (name, good)])).expect(good);
                let url = if name == "PUBLIC_URL" {
                    s.public_url
                } else {
                    s.frontend_url
                };
                assert_eq!(url.expect("set").path(), "/");
            }
        }
    }
}
