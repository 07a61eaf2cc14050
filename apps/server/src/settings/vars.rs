//! The variables as serde reads them: one typed field per variable, its default beside it, and
//! value types that refuse what they cannot hold with a sentence. `config` layers the sources
//! and attaches the variable's name to any refusal ([`super::named`] turns it into
//! `NAME is invalid: …`), so no field parses by hand.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

/// Every server variable (provider variables are read by convention, see `super::providers`).
/// Field names are the variables' names in lower case.
#[derive(Deserialize)]
#[serde(default)]
pub(super) struct Vars {
    pub app_env: AppEnvVar,
    pub bind_addr: ListenAddr,
    pub public_url: Option<HttpOrigin>,
    pub frontend_url: Option<HttpOrigin>,
    pub web_dist_dir: PathBuf,
    pub token_encryption_key: Option<SecretString>,
    pub token_encryption_previous_keys: Option<SecretList>,
    pub token_refresh_skew_secs: u64,
    pub log_format: LogFormatVar,
    pub redis_url: SecretString,
    pub redis_key_prefix: String,
    pub redis_pool_size: Ranged<1, 10_000>,
    pub redis_timeout_ms: u64,
    pub redis_ca_cert: Option<PathBuf>,
    pub redis_event_replicas: Ranged<0, 16>,
    pub auth_mode: Option<AuthModeVar>,
    pub auth_jwt_secret: Option<SecretString>,
    pub auth_jwt_public_key: Option<String>,
    pub auth_jwks_url: Option<AbsoluteUrl>,
    pub auth_jwt_algorithm: Option<String>,
    pub auth_jwt_issuer: Option<String>,
    pub auth_jwt_audience: Option<String>,
    pub auth_jwt_leeway_secs: u64,
    pub embed_origins: Origins,
    pub request_deadline_secs: Ranged<1, 3_600>,
    pub refresh_lock_ttl_secs: Option<u64>,
    pub rate_budget_enabled: bool,
    pub rate_budget_per_10s: Ranged<1, 100_000>,
    pub rate_budget_search_per_second: Ranged<1, 10_000>,
    pub index_lag_secs: Ranged<0, 3_600>,
    pub changes_lookback_secs: Ranged<0, 86_400>,
    pub journal_poll_ms: Ranged<100, 600_000>,
    pub journal_lease_secs: Ranged<1, 3_600>,
    pub oauth_pending_per_user: Ranged<1, 1_000>,
    pub sandbox_admin: AdminAccessVar,
    pub metrics_addr: MetricsAddr,
}

impl Default for Vars {
    fn default() -> Self {
        Self {
            app_env: AppEnvVar(super::AppEnv::Development),
            bind_addr: ListenAddr(SocketAddr::from(([127, 0, 0, 1], 8080))),
            public_url: None,
            frontend_url: None,
            web_dist_dir: PathBuf::from("web/dist"),
            token_encryption_key: None,
            token_encryption_previous_keys: None,
            token_refresh_skew_secs: 300,
            log_format: LogFormatVar(super::LogFormat::Pretty),
            redis_url: SecretString::from("redis://127.0.0.1:6379"),
            redis_key_prefix: "vs:".to_owned(),
            redis_pool_size: Ranged(16),
            redis_timeout_ms: 2_000,
            redis_ca_cert: None,
            redis_event_replicas: Ranged(0),
            auth_mode: None,
            auth_jwt_secret: None,
            auth_jwt_public_key: None,
            auth_jwks_url: None,
            auth_jwt_algorithm: None,
            auth_jwt_issuer: None,
            auth_jwt_audience: None,
            auth_jwt_leeway_secs: 30,
            embed_origins: Origins::default(),
            request_deadline_secs: Ranged(20),
            refresh_lock_ttl_secs: None,
            rate_budget_enabled: true,
            // HubSpot's limits per portal: 110 calls per 10 s, 5 searches a second.
            rate_budget_per_10s: Ranged(110),
            rate_budget_search_per_second: Ranged(5),
            index_lag_secs: Ranged(30),
            changes_lookback_secs: Ranged(300),
            journal_poll_ms: Ranged(1_000),
            journal_lease_secs: Ranged(30),
            oauth_pending_per_user: Ranged(10),
            sandbox_admin: AdminAccessVar(sandbox_kit::guard::AdminAccess::default()),
            // Loopback on a port the system picks: never reachable from outside, never in the
            // way of another server on the machine (test servers, a replica, Prometheus on 9090).
            metrics_addr: MetricsAddr(Some(SocketAddr::from(([127, 0, 0, 1], 0)))),
        }
    }
}

/// A whole number within `MIN..=MAX`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(try_from = "u64")]
pub(super) struct Ranged<const MIN: u64, const MAX: u64>(pub u64);

impl<const MIN: u64, const MAX: u64> TryFrom<u64> for Ranged<MIN, MAX> {
    type Error = String;
    fn try_from(n: u64) -> Result<Self, String> {
        if (MIN..=MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(format!("must be between {MIN} and {MAX}, got {n}"))
        }
    }
}

/// One of a fixed set of words, each standing for a `T`.
fn choose<T: Copy>(raw: &str, words: &[(&str, T)]) -> Result<T, String> {
    let word = raw.trim().to_ascii_lowercase();
    words
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let names: Vec<String> = words.iter().map(|(w, _)| format!("'{w}'")).collect();
            format!("expected {}, got '{}'", names.join(" or "), raw.trim())
        })
}

macro_rules! word_var {
    ($(#[$doc:meta])* $name:ident($inner:ty) = [$($word:literal => $value:expr),+ $(,)?]) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Deserialize)]
        #[serde(try_from = "String")]
        pub(super) struct $name(pub $inner);

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(raw: String) -> Result<Self, String> {
                choose(&raw, &[$(($word, $value)),+]).map(Self)
            }
        }
    };
}

word_var!(
    /// `APP_ENV`.
    AppEnvVar(super::AppEnv) = [
        "development" => super::AppEnv::Development,
        "dev" => super::AppEnv::Development,
        "production" => super::AppEnv::Production,
        "prod" => super::AppEnv::Production,
    ]
);

word_var!(
    /// `LOG_FORMAT`.
    LogFormatVar(super::LogFormat) = [
        "pretty" => super::LogFormat::Pretty,
        "text" => super::LogFormat::Pretty,
        "json" => super::LogFormat::Json,
    ]
);

/// Which identity mode `AUTH_MODE` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AuthModeName {
    Dev,
    Jwt,
}

word_var!(
    /// `AUTH_MODE`.
    AuthModeVar(AuthModeName) = ["dev" => AuthModeName::Dev, "jwt" => AuthModeName::Jwt]
);

word_var!(
    /// `SANDBOX_ADMIN`.
    AdminAccessVar(sandbox_kit::guard::AdminAccess) = [
        "loopback" => sandbox_kit::guard::AdminAccess::Loopback,
        "open" => sandbox_kit::guard::AdminAccess::Open,
        "off" => sandbox_kit::guard::AdminAccess::Off,
    ]
);

/// An IP address and port to listen on (`BIND_ADDR`).
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct ListenAddr(pub SocketAddr);

impl TryFrom<String> for ListenAddr {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let raw = raw.trim();
        raw.parse().map(Self).map_err(|_| {
            format!("expected an IP address and port (like 127.0.0.1:8080), got '{raw}'")
        })
    }
}

/// `METRICS_ADDR`: an IP address and port, or `off` (`None`).
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct MetricsAddr(pub Option<SocketAddr>);

impl TryFrom<String> for MetricsAddr {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        match raw.trim() {
            "off" => Ok(Self(None)),
            v => v.parse().map(|a| Self(Some(a))).map_err(|_| {
                format!("expected an IP address and port (like 127.0.0.1:9464) or 'off', got '{v}'")
            }),
        }
    }
}

/// An absolute URL.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct AbsoluteUrl(pub Url);

impl TryFrom<String> for AbsoluteUrl {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Url::parse(raw.trim())
            .map(Self)
            .map_err(|e| format!("not a URL: {e}"))
    }
}

/// An http(s) origin (`PUBLIC_URL`, `FRONTEND_URL`): scheme, host and port only. CORS allows
/// these origins with credentials, so anything else (`file:`, whose origin is `null`; a path,
/// query, fragment or user info that would be silently dropped or misread) stops the start.
/// The refusal never repeats the value (it may hold a password).
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct HttpOrigin(pub Url);

impl TryFrom<String> for HttpOrigin {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let url = Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            Err(format!(
                "must be an http or https origin (like https://app.example.com), not a {}: URL",
                url.scheme()
            ))
        } else if !url.username().is_empty() || url.password().is_some() {
            Err("must be an origin without a user name or password".to_owned())
        } else if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            Err(
                "must be an origin (like https://app.example.com) without a path, query or fragment"
                    .to_owned(),
            )
        } else {
            Ok(Self(url))
        }
    }
}

/// `EMBED_ORIGINS`: space or comma separated http(s) origins, serialised as browsers send them.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct Origins(pub Vec<String>);

impl TryFrom<String> for Origins {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        words(&raw)
            .map(|o| {
                let url = Url::parse(o).map_err(|e| format!("'{o}' is not an origin: {e}"))?;
                match url.origin() {
                    origin @ url::Origin::Tuple(..) => Ok(origin.ascii_serialization()),
                    url::Origin::Opaque(_) => Err(format!("'{o}' is not an http(s) origin")),
                }
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// `TOKEN_ENCRYPTION_PREVIOUS_KEYS`: comma-separated secrets.
#[derive(Deserialize)]
#[serde(from = "SecretString")]
pub(super) struct SecretList(pub Vec<SecretString>);

impl From<SecretString> for SecretList {
    fn from(raw: SecretString) -> Self {
        use secrecy::ExposeSecret as _;
        Self(
            raw.expose_secret()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| SecretString::from(s.to_owned()))
                .collect(),
        )
    }
}

/// The words of a space or comma separated list.
fn words(raw: &str) -> impl Iterator<Item = &str> {
    raw.split([' ', ',']).filter(|s| !s.is_empty())
}
