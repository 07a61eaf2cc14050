//! The seam between the provider-agnostic machinery and one provider.
//!
//! A provider implements only what differs between providers: where its consent page and token
//! endpoint are, how its token responses and errors look, and how its records map to
//! [`IntegrationItem`](crate::IntegrationItem). Refresh-before-expiry, refresh-and-retry on 401,
//! rate-limit waits, backoff, deadlines, single-flight refresh and the browser-bound OAuth flow
//! live once, in [`Connector`](crate::Connector).
//!
//! Each async method makes exactly one HTTP request and reports failures as semantic [`Error`]s;
//! it must not retry on its own.

use async_trait::async_trait;
use url::Url;

use crate::{
    AuthorizationCode, AuthorizationRequest, Credentials, Cursor, Error, ItemQuery, Page,
    PkceVerifier,
};

/// A kind of record a provider lists (HubSpot: contacts, companies, deals), and the scopes a
/// grant needs to read it. Declared by the provider so that a request for a kind it does not
/// offer, or one the user did not grant, is refused before any provider call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectType {
    /// The value of `object_type` in requests (`"contacts"`).
    pub id: &'static str,
    /// Any one of these granted scopes allows reading it.
    pub scopes: &'static [&'static str],
}

/// One OAuth2 provider.
#[async_trait]
pub trait Integration: Send + Sync + std::fmt::Debug {
    /// Stable, URL-safe id used in routes and storage keys (`"hubspot"`).
    fn id(&self) -> &'static str;

    /// Human name for UIs (`"HubSpot"`).
    fn display_name(&self) -> &'static str;

    /// The kinds of records offered, the default first. Empty means "one unnamed kind": the
    /// `object_type` of a query is then refused.
    fn object_types(&self) -> &'static [ObjectType] {
        &[]
    }

    /// Whether the provider accepts PKCE (S256). When it does, the connector sends a challenge on
    /// the consent URL and the verifier on the code exchange.
    fn supports_pkce(&self) -> bool {
        false
    }

    /// Whether `cursor` has the shape this provider's cursors have. A cursor it could never have
    /// issued is refused as a client error instead of being sent upstream.
    fn accepts_cursor(&self, cursor: &Cursor) -> bool {
        let _ = cursor;
        true
    }

    /// The consent page to send the user to.
    fn authorization_url(&self, request: &AuthorizationRequest<'_>) -> Result<Url, Error>;

    /// Trades an authorization code for credentials (with the PKCE verifier when
    /// [`supports_pkce`](Self::supports_pkce)).
    async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        redirect_uri: &str,
        pkce_verifier: Option<&PkceVerifier>,
    ) -> Result<Credentials, Error>;

    /// Mints a fresh access token. A grant the provider rejects for good is
    /// [`Error::ReauthRequired`]. Only called when the credentials carry a refresh token.
    async fn refresh(&self, credentials: &Credentials) -> Result<Credentials, Error>;

    /// Fetches one page of items.
    async fn list_items(&self, credentials: &Credentials, query: &ItemQuery)
    -> Result<Page, Error>;

    /// Revokes the grant at the provider, where the provider supports it.
    async fn revoke(&self, credentials: &Credentials) -> Result<(), Error>;
}
