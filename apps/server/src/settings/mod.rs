//! All configuration, in one typed tree.
//!
//! Sources, later ones winning: built-in defaults, a `.env` file (development convenience), the
//! process environment, layered by `config` and read by serde into typed fields ([`vars`]).
//! The variable names are the public interface and are documented in `.env.example` and the
//! README. Anything missing or malformed stops the server at start with a sentence naming the
//! variable, rather than failing on the first request. Each provider's variables are read once,
//! by convention, into its [`ProviderChoice`].

mod auth;
mod providers;
mod vars;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use vars::Vars;

/// Why the settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A required variable is unset.
    #[error("{0} is not set: {1}")]
    Missing(&'static str, &'static str),
    /// A variable is set to something unusable.
    #[error("{0} is invalid: {1}")]
    Invalid(String, String),
    /// A provider's variable is missing or malformed (named at run time: `NOTION_CLIENT_SECRET`).
    #[error("{0} {1}")]
    Provider(String, String),
    /// The configuration sources could not be read.
    #[error("could not read configuration: {0}")]
    Source(String),
}

impl SettingsError {
    fn invalid(name: &str, problem: impl Into<String>) -> Self {
        Self::Invalid(name.to_owned(), problem.into())
    }
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

/// One registered provider, how it is served, and its own settings (`{ID}_CLIENT_ID`,
/// `{ID}_SCOPES`, `{ID}_{NAME}_URL`…, read by convention once, here).
#[derive(Debug, Clone)]
pub struct ProviderChoice {
    /// The provider crate's registration.
    pub registration: sandbox_kit::Registration,
    /// Live, sandbox or off.
    pub mode: ProviderMode,
    /// Its variables: complete when live; without client credentials otherwise (a sandbox
    /// fills them in). `Debug` never shows the secret.
    pub settings: integration_core::kit::ProviderSettings,
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
    /// `REDIS_EVENT_REPLICAS` (default 0): replicas that must have a webhook batch before it is
    /// acknowledged to the provider (`WAIT`), so a failover loses none; not with a cluster URL.
    pub event_replicas: usize,
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
    /// `JOURNAL_POLL_MS` (default 1000): how often a provider's pull-mode journal is read
    /// (`HUBSPOT_WEBHOOKS_MODE=journal`).
    pub journal_poll: Duration,
    /// `JOURNAL_LEASE_SECS` (default 30): how long one replica reads the journal before another
    /// may, when the reader dies mid-pass.
    pub journal_lease: Duration,
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
    /// Every registered provider (`providers::all()`), in display order, how it is served and
    /// its settings.
    pub providers: Vec<ProviderChoice>,
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

    fn from_source(source: Option<HashMap<String, String>>) -> Result<Self, SettingsError> {
        // Values trimmed, and a blank one is an unset one (a blank line in a `.env` template).
        let all: HashMap<String, String> = source
            .unwrap_or_else(|| std::env::vars().collect())
            .into_iter()
            .map(|(k, v)| (k, v.trim().to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let env = config::Environment::default().source(Some(all.clone()));
        let vars: Vars = config::Config::builder()
            .add_source(env)
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(named)?;
        let app_env = vars.app_env.0;
        let mut settings = Self::from_typed(vars)?;
        settings.providers = providers::choices(app_env, &all)?;
        Ok(settings)
    }

    /// The settings the typed variables describe, with the checks that span several of them.
    fn from_typed(vars: Vars) -> Result<Self, SettingsError> {
        let app_env = vars.app_env.0;
        let auth = auth::settings(app_env, &vars)?;
        let token_encryption_key = vars.token_encryption_key.ok_or(SettingsError::Missing(
            "TOKEN_ENCRYPTION_KEY",
            "set it to 32 random bytes, base64 encoded (e.g. `openssl rand -base64 32`)",
        ))?;
        let request_deadline = Duration::from_secs(vars.request_deadline_secs.0);
        // Default: 10 s, or half the deadline when that is shorter; a request must be able to
        // outlast a dead replica's lock.
        let refresh_lock_ttl = match vars.refresh_lock_ttl_secs {
            None => Duration::from_secs(10).min(request_deadline / 2),
            Some(secs) => {
                let ttl = Duration::from_secs(secs);
                if ttl.is_zero() || ttl * 2 > request_deadline {
                    return Err(SettingsError::invalid(
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
        Ok(Settings {
            app_env,
            bind_addr: vars.bind_addr.0,
            public_url: vars.public_url.map(|o| o.0),
            frontend_url: vars.frontend_url.map(|o| o.0),
            web_dist_dir: vars.web_dist_dir,
            auth,
            embed_origins: vars.embed_origins.0,
            request_deadline,
            refresh_lock_ttl,
            rate_budget_per_10s: vars
                .rate_budget_enabled
                .then_some(vars.rate_budget_per_10s.0 as u32),
            rate_budget_search_per_s: vars.rate_budget_search_per_second.0 as u32,
            index_lag: Duration::from_secs(vars.index_lag_secs.0),
            changes_lookback: Duration::from_secs(vars.changes_lookback_secs.0),
            journal_poll: Duration::from_millis(vars.journal_poll_ms.0),
            journal_lease: Duration::from_secs(vars.journal_lease_secs.0),
            oauth_pending_per_user: vars.oauth_pending_per_user.0 as usize,
            token_encryption_key,
            token_encryption_previous_keys: vars
                .token_encryption_previous_keys
                .map(|l| l.0)
                .unwrap_or_default(),
            refresh_skew: Duration::from_secs(vars.token_refresh_skew_secs),
            log_format: vars.log_format.0,
            redis: RedisSettings {
                url: vars.redis_url,
                key_prefix: vars.redis_key_prefix,
                pool_size: vars.redis_pool_size.0 as usize,
                timeout: Duration::from_millis(vars.redis_timeout_ms),
                ca_cert_pem: vars.redis_ca_cert,
                event_replicas: vars.redis_event_replicas.0 as usize,
            },
            sandbox_admin: vars.sandbox_admin.0,
            metrics_addr: vars.metrics_addr.0,
            providers: Vec::new(),
        })
    }

    /// Whether any provider is served by its bundled sandbox.
    pub fn sandbox_mode(&self) -> bool {
        self.providers
            .iter()
            .any(|p| p.mode == ProviderMode::Sandbox)
    }
}

/// A refusal from `config`/serde as `NAME is invalid: …`: the key it carries is the variable's
/// name in lower case.
fn named(error: config::ConfigError) -> SettingsError {
    match error {
        config::ConfigError::Type {
            key: Some(key),
            unexpected,
            expected,
            ..
        } => SettingsError::invalid(
            &key.to_ascii_uppercase(),
            format!("expected {expected}, got {unexpected}"),
        ),
        config::ConfigError::At {
            key: Some(key),
            error,
            ..
        } => SettingsError::invalid(&key.to_ascii_uppercase(), error.to_string()),
        other => SettingsError::Source(other.to_string()),
    }
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

#[cfg(test)]
mod tests;
