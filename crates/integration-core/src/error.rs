//! One semantic error enum for every provider. Providers translate their own wire errors into it
//! (HubSpot's `BAD_REFRESH_TOKEN` becomes [`Error::ReauthRequired`]); the server translates it into
//! HTTP in exactly one place. Messages never contain tokens.

use std::time::Duration;

/// Why an integration call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The user has not connected this provider.
    #[error("the user has not connected this integration")]
    NotConnected,

    /// The grant no longer works; the user must go through consent again. When the provider
    /// rejected the refresh token itself, the connector has removed the stored credentials; when
    /// it rejects even a freshly refreshed access token, they are kept (the grant may be fine and
    /// the provider misbehaving), and reconnecting replaces them.
    #[error("the connection must be re-authorised: {reason}")]
    ReauthRequired {
        /// What the provider said, safe to show.
        reason: String,
    },

    /// The provider rejected the access token (HTTP 401). The connector refreshes once and
    /// retries once before giving up with [`Error::ReauthRequired`].
    #[error("the provider rejected the access token")]
    Unauthorized,

    /// The provider refused the authorization grant or request (e.g. a bad or reused code).
    #[error("the provider rejected the request ({code}): {message}")]
    Rejected {
        /// The provider's error code, e.g. `BAD_AUTH_CODE`.
        code: String,
        /// The provider's message.
        message: String,
    },

    /// The provider is rate-limiting us.
    #[error("rate limited by the provider")]
    RateLimited {
        /// How long the provider asked us to wait, when it said.
        retry_after: Option<Duration>,
    },

    /// The provider answered with an unexpected status.
    #[error("the provider answered HTTP {status}")]
    Upstream {
        /// The HTTP status.
        status: u16,
    },

    /// The provider answered 2xx but the body was not what its API documents.
    #[error("the provider's response was not understood: {0}")]
    InvalidResponse(String),

    /// The provider could not be reached (connection refused, timeout, TLS).
    #[error("the provider could not be reached: {0}")]
    Unavailable(String),

    /// The caller asked for something the provider does not offer (an unknown object type, a
    /// cursor it never issued). Refused before any provider call.
    #[error("{0}")]
    InvalidInput(String),

    /// The grant lacks a scope the request needs; reconnecting (with the scope) fixes it.
    #[error("the connection was not granted the '{scope}' permission; reconnect to grant it")]
    InsufficientScope {
        /// The scope that is missing (the first acceptable one).
        scope: String,
    },

    /// The request's overall deadline passed before the provider answered (retries included).
    #[error("the provider did not answer within {0:?}")]
    DeadlineExceeded(Duration),

    /// The credential store failed.
    #[error(transparent)]
    Store(#[from] StoreError),

    /// The integration is misconfigured.
    #[error("integration misconfigured: {0}")]
    Config(String),

    /// The provider cannot do what was asked (incremental sync of a provider without it).
    #[error("{0}")]
    Unsupported(String),
}

impl Error {
    /// The usual meaning of a non-success HTTP status from a provider's API: 401 →
    /// [`Error::Unauthorized`], 429 → [`Error::RateLimited`], anything else →
    /// [`Error::Upstream`]. Providers map their documented error bodies first and fall back to
    /// this.
    pub fn from_status(status: u16, retry_after: Option<Duration>) -> Self {
        match status {
            401 => Error::Unauthorized,
            429 => Error::RateLimited { retry_after },
            status => Error::Upstream { status },
        }
    }

    /// A short, stable label for metrics and logs (`rate_limited`, `upstream_5xx`…).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NotConnected => "not_connected",
            Error::ReauthRequired { .. } => "reauth_required",
            Error::Unauthorized => "unauthorized",
            Error::Rejected { .. } => "rejected",
            Error::RateLimited { .. } => "rate_limited",
            Error::Upstream { status } if *status >= 500 => "upstream_5xx",
            Error::Upstream { .. } => "upstream_4xx",
            Error::InvalidResponse(_) => "invalid_response",
            Error::Unavailable(_) => "unavailable",
            Error::InvalidInput(_) => "invalid_input",
            Error::InsufficientScope { .. } => "insufficient_scope",
            Error::DeadlineExceeded(_) => "deadline_exceeded",
            Error::Store(_) => "store",
            Error::Config(_) => "config",
            Error::Unsupported(_) => "unsupported",
        }
    }

    /// Whether retrying the same call later may succeed without anything changing on our side
    /// (5xx, timeouts, connection errors). Rate limits are handled separately.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Unavailable(_) => true,
            Error::Upstream { status } => *status >= 500,
            _ => false,
        }
    }
}

/// Why the credential or state store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backing store (Redis) could not be reached or timed out.
    #[error("token store unavailable: {0}")]
    Unavailable(String),
    /// A stored value could not be decrypted or decoded (wrong key, tampering, old format).
    #[error("stored value is unreadable: {0}")]
    Corrupt(String),
}
