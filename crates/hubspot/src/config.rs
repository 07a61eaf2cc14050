//! Every HubSpot endpoint is a setting with today's documented default: HubSpot has announced the
//! retirement of the v1 OAuth endpoints (February 2027), and tests point all of them at the HubSpot
//! sandbox.

use std::time::Duration;

use integration_core::kit::append_path;
use integration_core::{Error, SecretString};
use url::Url;

/// HubSpot's paths, named once (under the API base; the consent page under the app's).
pub mod paths {
    /// The consent page.
    pub const AUTHORIZE: &str = "/oauth/authorize";
    /// The 2026-03 token endpoint (code exchange, refresh).
    pub const TOKEN_2026_03: &str = "/oauth/2026-03/token";
    /// The 2026-03 token introspection (form body).
    pub const INTROSPECT_2026_03: &str = "/oauth/2026-03/token/introspect";
    /// The 2026-03 token revocation (form body).
    pub const REVOKE_2026_03: &str = "/oauth/2026-03/token/revoke";
    /// The v1 token endpoint, retired 2027-02-16.
    pub const TOKEN_V1: &str = "/oauth/v1/token";
    /// The v1 access-token metadata (`GET`, the token in the path).
    pub const ACCESS_TOKEN_V1: &str = "/oauth/v1/access-tokens/{token}";
    /// The v1 refresh-token revocation (`DELETE`, the token in the path).
    pub const REFRESH_TOKEN_V1: &str = "/oauth/v1/refresh-tokens/{token}";
    /// A CRM object type's records (`{object}`: `contacts`, `companies`, `deals`).
    pub const OBJECTS: &str = "/crm/v3/objects/{object}";
    /// CRM search of an object type.
    pub const SEARCH: &str = "/crm/v3/objects/{object}/search";
}

/// HubSpot's largest page for the CRM objects list endpoint.
pub const MAX_PAGE_SIZE: u32 = 100;

/// Which generation of HubSpot's OAuth API the provider calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OAuthApi {
    /// The dated 2026-03 API (default): `POST /oauth/2026-03/token`, `…/token/introspect` and
    /// `…/token/revoke`, all with form bodies (tokens never in a URL), PKCE supported.
    #[default]
    V2026_03,
    /// The v1 API, retired by HubSpot on 2027-02-16: `POST /oauth/v1/token`,
    /// `GET /oauth/v1/access-tokens/{token}`, `DELETE /oauth/v1/refresh-tokens/{token}`.
    V1,
}

impl OAuthApi {
    /// Parses `2026-03` or `v1`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "2026-03" => Some(Self::V2026_03),
            "v1" => Some(Self::V1),
            _ => None,
        }
    }

    /// The token endpoint's path under the API base.
    pub fn token_path(self) -> &'static str {
        match self {
            Self::V2026_03 => paths::TOKEN_2026_03,
            Self::V1 => paths::TOKEN_V1,
        }
    }
}

/// How the HubSpot provider is set up.
///
/// `Debug` never shows the client secret.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HubSpotConfig {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret; sent only in token request bodies.
    pub client_secret: SecretString,
    /// Scopes the user must grant (default `crm.objects.contacts.read oauth`).
    pub scopes: Vec<String>,
    /// Scopes requested if the account has them (`optional_scope`; default the scopes of
    /// companies and deals, so every object type offered can be granted in the one consent,
    /// while a portal without them still connects). Every scope, required or optional, must
    /// also be selected in the app's settings at HubSpot.
    pub optional_scopes: Vec<String>,
    /// The consent page (default `https://app.hubspot.com/oauth/authorize`).
    pub auth_url: Url,
    /// Which OAuth API generation to call (default 2026-03).
    pub oauth_api: OAuthApi,
    /// Send a PKCE (S256) challenge and verifier (default: yes with the 2026-03 API).
    pub pkce: bool,
    /// The token endpoint for code exchange and refresh
    /// (default `https://api.hubapi.com/oauth/2026-03/token`). Introspection and revocation live
    /// under [`api_base_url`](Self::api_base_url) at the paths of [`oauth_api`](Self::oauth_api).
    pub token_url: Url,
    /// Base of the REST API (default `https://api.hubapi.com`). May carry a path prefix
    /// (`http://127.0.0.1:8080/_sandbox/hubspot`); paths are appended to it, never replace it.
    pub api_base_url: Url,
    /// Path of the CRM objects list endpoint under [`api_base_url`](Self::api_base_url);
    /// `{object}` is replaced by the object type (default `/crm/v3/objects/{object}`). Used for
    /// contacts, companies and deals alike.
    pub contacts_path: String,
    /// Base of HubSpot's web UI for record links (default `https://app.hubspot.com`).
    pub web_base_url: Url,
    /// Contact properties requested (default `firstname`, `lastname`, `email`).
    pub default_properties: Vec<String>,
    /// Page size when the caller does not ask for one (default and maximum 100).
    pub page_size: u32,
    /// Timeout of each HubSpot request, connect to last byte (default 15 s).
    pub request_timeout: Duration,
    /// How HubSpot's change events arrive (default [`WebhooksMode::Push`]).
    pub webhooks_mode: WebhooksMode,
}

/// How HubSpot's change events reach us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhooksMode {
    /// HubSpot POSTs them to the app's target URL (`/api/webhooks/hubspot`).
    #[default]
    Push,
    /// We pull the Webhooks Journal with the app's client-credentials token (and still accept
    /// pushed ones).
    Journal,
}

fn url(raw: &'static str) -> Url {
    // Literals checked by `defaults_parse` below.
    Url::parse(raw).unwrap_or_else(|_| unreachable!("invalid built-in URL {raw}"))
}

impl HubSpotConfig {
    /// A configuration for the app with these credentials and HubSpot's documented defaults.
    pub fn new(client_id: impl Into<String>, client_secret: SecretString) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            scopes: vec!["crm.objects.contacts.read".into(), "oauth".into()],
            optional_scopes: vec![
                "crm.objects.companies.read".into(),
                "crm.objects.deals.read".into(),
                // Which custom objects the portal defines (their schemas), for discovery.
                "crm.schemas.custom.read".into(),
            ],
            auth_url: url("https://app.hubspot.com/oauth/authorize"),
            oauth_api: OAuthApi::V2026_03,
            pkce: true,
            token_url: url("https://api.hubapi.com/oauth/2026-03/token"),
            api_base_url: url("https://api.hubapi.com"),
            contacts_path: paths::OBJECTS.into(),
            web_base_url: url("https://app.hubspot.com"),
            default_properties: vec!["firstname".into(), "lastname".into(), "email".into()],
            page_size: MAX_PAGE_SIZE,
            request_timeout: Duration::from_secs(15),
            webhooks_mode: WebhooksMode::Push,
        }
    }

    /// Selects the OAuth API generation, moving the token endpoint to its path under
    /// [`api_base_url`](Self::api_base_url). PKCE is used only with 2026-03.
    pub fn with_oauth_api(mut self, api: OAuthApi) -> Result<Self, Error> {
        self.oauth_api = api;
        self.pkce = api == OAuthApi::V2026_03;
        self.token_url = append_path(&self.api_base_url, api.token_path(), &[])?;
        Ok(self)
    }

    /// Points every HubSpot endpoint at one server (the HubSpot sandbox), keeping any path
    /// prefix of `base`: the API (and OAuth token, introspection and revocation endpoints) under
    /// `base`, the consent page at `{base}/oauth/authorize`.
    pub fn with_base_url(mut self, base: &Url) -> Result<Self, Error> {
        self.api_base_url = base.clone();
        self.token_url = append_path(base, self.oauth_api.token_path(), &[])?;
        self.auth_url = append_path(base, paths::AUTHORIZE, &[])?;
        self.web_base_url = base.clone();
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse() {
        let config = HubSpotConfig::new("id", "secret".to_owned().into());
        assert_eq!(
            config.token_url.as_str(),
            "https://api.hubapi.com/oauth/2026-03/token"
        );
        let v1 = config.clone().with_oauth_api(OAuthApi::V1).unwrap();
        assert_eq!(
            v1.token_url.as_str(),
            "https://api.hubapi.com/oauth/v1/token"
        );
        assert!(!v1.pkce);
        assert_eq!(config.page_size, 100);
    }
}
