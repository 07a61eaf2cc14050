//! The seam between the provider-agnostic machinery and one provider.
//!
//! A provider implements only what differs between providers: where its consent page and token
//! endpoint are, how its token responses and errors look, and how its records map to
//! [`IntegrationItem`](crate::IntegrationItem). Refresh-before-expiry, refresh-and-retry on 401,
//! rate-limit waits, backoff and single-flight refresh live once, in [`Connector`](crate::Connector).
//!
//! Each method makes exactly one HTTP request and reports failures as semantic [`Error`]s; it must
//! not retry on its own.

use async_trait::async_trait;
use url::Url;

use crate::{AuthorizationCode, Credentials, Error, ItemQuery, OAuthState, Page};

/// One OAuth2 provider.
#[async_trait]
pub trait Integration: Send + Sync + std::fmt::Debug {
    /// Stable, URL-safe id used in routes and storage keys (`"hubspot"`).
    fn id(&self) -> &'static str;

    /// Human name for UIs (`"HubSpot"`).
    fn display_name(&self) -> &'static str;

    /// The consent page to send the user to.
    fn authorization_url(&self, state: &OAuthState, redirect_uri: &str) -> Result<Url, Error>;

    /// Trades an authorization code for credentials.
    async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        redirect_uri: &str,
    ) -> Result<Credentials, Error>;

    /// Mints a fresh access token. A grant the provider rejects for good is
    /// [`Error::ReauthRequired`].
    async fn refresh(&self, credentials: &Credentials) -> Result<Credentials, Error>;

    /// Fetches one page of items.
    async fn list_items(&self, credentials: &Credentials, query: &ItemQuery)
    -> Result<Page, Error>;

    /// Revokes the grant at the provider, where the provider supports it.
    async fn revoke(&self, credentials: &Credentials) -> Result<(), Error>;
}
