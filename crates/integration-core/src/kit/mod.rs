//! The provider kit (feature `kit`): what every provider needs and nobody should write twice.
//!
//! - [`http`]: a redirect-free client, one request with a bounded body and URL-free transport
//!   errors, the standard status → [`Error`](crate::Error) mapping, error documents of every
//!   common shape, secret scrubbing.
//! - [`oauth`]: the authorization-code grant with PKCE, configured per provider (credentials in
//!   the body or Basic, form or JSON token bodies, provider error codes mapped to RFC 6749's).
//! - [`ProviderFactory`] and [`ProviderSettings`]: providers built from a list, with settings by
//!   convention (`{ID}_CLIENT_ID`, `{ID}_CLIENT_SECRET`, `{ID}_REDIRECT_URI`, `{ID}_SCOPES`,
//!   `{ID}_{NAME}_URL`).
//! - [`OAuthProvider`]: a whole `Integration` from an [`OAuthClient`] and an [`ItemSource`];
//!   small helpers ([`Factory`], [`column`], [`object_type`], [`send_json`], [`next_cursor`],
//!   `OAuthConfig::from_settings`, `Token::with_account`, `OAuthClient::refresh_credentials`)
//!   so that a provider is only its URLs, quirks and mappings.
//! - [`OAuthSpec`] and [`ItemFields`]: those URLs, quirks and mappings declared as `const`s.
//! - [`DiscoverySpec`]: a provider whose accounts define kinds of their own (Notion's databases,
//!   Airtable's tables) declares where they and their fields are, and hands it over with
//!   [`ItemSource::discovery`].
//! - [`ApiBase`]: a provider whose API host comes from the grant (Salesforce's `instance_url`),
//!   checked against the hosts it declares before its token is used.

mod api_base;
mod discovery;
mod factory;
pub mod http;
pub mod oauth;
mod provider;
mod spec;

pub use api_base::{ApiBase, ApiBasePolicy, api_base};
pub use discovery::{Discovery, DiscoverySpec};
pub use factory::{Configured, ProviderFactory, ProviderSettings, SettingsProblem};
pub use http::append_path;
pub use oauth::{ClientAuth, OAuthClient, OAuthConfig, Token, TokenBody};
pub use provider::{
    AccountFields, BuildFn, ChildCursor, Factory, ItemSource, OAuthProvider, Wait, column,
    next_cursor, object_type, send_json, send_json_or_wait,
};
pub use spec::{ItemFields, OAuthSpec, Properties, text};
