//! The [`Integration`] implementation: one HTTP request per method, no retries (the core's
//! `Connector` refreshes, retries and backs off).

use std::time::Duration;

use async_trait::async_trait;
use integration_core::kit::{self, append_path};
use integration_core::{
    AuthorizationCode, AuthorizationRequest, ChangesPage, ChangesQuery, Column, Credentials,
    Cursor, Error, ExposeSecret as _, Integration, ItemQuery, Lane, ObjectType, Page, PkceVerifier,
    ProviderInfo,
};
use url::Url;

mod changes;

use crate::config::{HubSpotConfig, MAX_PAGE_SIZE, OAuthApi};
use crate::http::{ErrorBody, api_error, log_rate_limit};
use crate::objects::{ObjectKind, parse_page};
use crate::token;

/// HubSpot, as servers and UIs see it.
pub const INFO: ProviderInfo = ProviderInfo {
    id: "hubspot",
    name: "HubSpot",
    description: "CRM contacts, companies and deals from your HubSpot portal.",
    object_types: &[
        ObjectType {
            id: "contacts",
            noun: "contact",
            scopes: &["crm.objects.contacts.read"],
        },
        ObjectType {
            id: "companies",
            noun: "company",
            scopes: &["crm.objects.companies.read"],
        },
        ObjectType {
            id: "deals",
            noun: "deal",
            scopes: &["crm.objects.deals.read"],
        },
    ],
    columns: &[
        Column {
            key: "id",
            label: "ID",
        },
        Column {
            key: "title",
            label: "Name",
        },
        Column {
            key: "email",
            label: "Email",
        },
    ],
    permissions: &[
        "Read your CRM contacts (names and email addresses)",
        "See which portal and user granted access",
    ],
    logo_svg: include_str!("logo.svg"),
    pkce: true,
};

/// HubSpot's legacy token-endpoint codes and the RFC 6749 codes they mean (2026-03 answers carry
/// both; v1 answers only the legacy one).
const TOKEN_ERROR_ALIASES: &[(&str, &str)] = &[
    ("BAD_AUTH_CODE", "invalid_grant"),
    ("BAD_REFRESH_TOKEN", "invalid_grant"),
    ("BAD_CLIENT_ID", "invalid_client"),
    ("BAD_CLIENT_SECRET", "invalid_client"),
    ("BAD_REDIRECT_URI", "invalid_client"),
];

/// Credentials from a token response; `hub_id` names the portal.
fn with_hub_id(token: kit::Token) -> Credentials {
    token.with_account(&["hub_id"], &[], &[])
}

const USER_AGENT: &str = concat!("vs-integrations-hubspot/", env!("CARGO_PKG_VERSION"));

/// The HubSpot provider.
#[derive(Debug, Clone)]
pub struct HubSpot {
    config: HubSpotConfig,
    http: reqwest::Client,
    /// [`INFO`], with PKCE as configured (only the 2026-03 API takes it).
    info: ProviderInfo,
}

impl HubSpot {
    /// The provider with `config`, sending requests through `http` (share one pooled client,
    /// built with [`HubSpot::http_client`], across the process).
    pub fn new(config: HubSpotConfig, http: reqwest::Client) -> Self {
        let info = ProviderInfo {
            pkce: config.pkce,
            ..INFO
        };
        Self { config, http, info }
    }

    /// An HTTP client fit for HubSpot: no redirects followed (a token request must never be
    /// replayed to wherever a 3xx points), the given overall timeout, a shorter connect timeout,
    /// and a user agent naming this crate.
    ///
    /// # Panics
    ///
    /// Like `reqwest::Client::new`, if the TLS backend cannot be initialised.
    pub fn http_client(timeout: Duration) -> reqwest::Client {
        kit::http::client(timeout, USER_AGENT)
    }

    /// The configuration in use.
    pub fn config(&self) -> &HubSpotConfig {
        &self.config
    }

    /// The kit's OAuth client for HubSpot's token endpoint: credentials in a form body, and
    /// HubSpot's own error codes read as the RFC 6749 codes they mean.
    fn oauth(&self) -> kit::OAuthClient {
        let mut config = kit::OAuthConfig::new(
            self.config.client_id.clone(),
            self.config.client_secret.clone(),
            self.config.auth_url.clone(),
            self.config.token_url.clone(),
        );
        config.error_aliases = TOKEN_ERROR_ALIASES;
        kit::OAuthClient::new(config, self.http.clone())
    }

    /// Sends one request (bounded body, URL-free errors: the kit's `send`) within the
    /// configured timeout, and logs HubSpot's rate-limit headers.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, reqwest::header::HeaderMap, Option<Vec<u8>>), Error> {
        let response = kit::http::send(request.timeout(self.config.request_timeout)).await?;
        log_rate_limit(&response.headers);
        Ok((response.status, response.headers, response.body))
    }

    /// The body of a 2xx answer to `request` (`what` names it when it is over the size limit);
    /// any other status is HubSpot's error mapped by [`api_error`].
    async fn body_of(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<Vec<u8>, Error> {
        let (status, headers, body) = self.send(request).await?;
        if !(200..300).contains(&status) {
            return Err(api_error(status, &headers, body.as_deref()));
        }
        body.ok_or_else(|| {
            Error::InvalidResponse(format!("{what} exceeds {} bytes", kit::http::MAX_BODY))
        })
    }

    /// What HubSpot says about an access token: the portal's domain and the installing user.
    async fn introspect(&self, credentials: &Credentials) -> Result<token::TokenInfo, Error> {
        let token = credentials.access_token.expose_secret();
        let request = match self.config.oauth_api {
            OAuthApi::V2026_03 => self
                .http
                .post(append_path(
                    &self.config.api_base_url,
                    "/oauth/2026-03/token/introspect",
                    &[],
                )?)
                .form(&[
                    ("client_id", self.config.client_id.as_str()),
                    ("client_secret", self.config.client_secret.expose_secret()),
                    ("token", token),
                    ("token_type_hint", "access_token"),
                ]),
            OAuthApi::V1 => self.http.get(append_path(
                &self.config.api_base_url,
                "/oauth/v1/access-tokens/{token}",
                &[("token", token)],
            )?),
        }
        .header(reqwest::header::ACCEPT, "application/json");
        token::parse_info(&self.body_of(request, "the introspection response").await?)
    }
}

#[async_trait]
impl Integration for HubSpot {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    /// Our cursors wrap HubSpot's opaque `after` tokens ([`Cursor::wrap`]); anything else was
    /// never issued by this provider.
    fn accepts_cursor(&self, cursor: &Cursor) -> bool {
        cursor.unwrap_provider().is_ok()
    }

    fn authorization_url(&self, request: &AuthorizationRequest<'_>) -> Result<Url, Error> {
        let mut url = self.config.auth_url.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("client_id", &self.config.client_id)
                .append_pair("redirect_uri", request.redirect_uri)
                .append_pair("scope", &self.config.scopes.join(" "));
            if !self.config.optional_scopes.is_empty() {
                query.append_pair("optional_scope", &self.config.optional_scopes.join(" "));
            }
            if let Some(challenge) = request.pkce_challenge {
                query
                    .append_pair("code_challenge", challenge.as_str())
                    .append_pair("code_challenge_method", "S256");
            }
            query.append_pair("state", request.state.as_str());
        }
        Ok(url)
    }

    #[tracing::instrument(skip_all, fields(provider = "hubspot"))]
    async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        redirect_uri: &str,
        pkce_verifier: Option<&PkceVerifier>,
    ) -> Result<Credentials, Error> {
        let verifier = pkce_verifier.filter(|_| self.config.pkce);
        let token = self
            .oauth()
            .exchange_code(code, redirect_uri, verifier)
            .await?;
        let mut credentials = with_hub_id(token);
        // The portal's domain and the installing user's email, for people reading the UI. Best
        // effort: the connection works without them.
        match self.introspect(&credentials).await {
            Ok(info) => {
                credentials.account_name = info.hub_domain;
                credentials.account_user = info.user;
                if credentials.account_id.is_none() {
                    credentials.account_id = info.hub_id;
                }
                // `scopes` is optional in a token answer and required in introspection's: the
                // scope checks before each call need them.
                if credentials.scopes.is_empty() {
                    credentials.scopes = info.scopes;
                }
            }
            // Without the portal id, the portal's rate budget could not be shared with its
            // other users: the connection waits for an answer that names the portal.
            Err(error) if credentials.account_id.is_none() => {
                tracing::warn!(%error, "token introspection failed and the token names no portal");
                return Err(error);
            }
            Err(error) => {
                tracing::warn!(%error, "token introspection failed; connecting without account details")
            }
        }
        Ok(credentials)
    }

    #[tracing::instrument(skip_all, fields(provider = "hubspot", account = credentials.account_id.as_deref()))]
    async fn refresh(&self, credentials: &Credentials) -> Result<Credentials, Error> {
        let token = self.oauth().refresh_credentials(credentials).await?;
        Ok(with_hub_id(token))
    }

    #[tracing::instrument(
        skip_all,
        fields(provider = "hubspot", object = tracing::field::Empty, limit = tracing::field::Empty)
    )]
    async fn list_items(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
    ) -> Result<Page, Error> {
        let kind = kind_of(query.object_type.as_deref())?;
        let limit = query
            .limit
            .unwrap_or(self.config.page_size)
            .clamp(1, MAX_PAGE_SIZE);
        let span = tracing::Span::current();
        span.record("object", kind.api_name());
        span.record("limit", limit);

        // HubSpot's own `after`, byte for byte as it was issued.
        let after = query
            .cursor
            .as_ref()
            .map(Cursor::unwrap_provider)
            .transpose()?;
        let mut url = append_path(
            &self.config.api_base_url,
            &self.config.contacts_path,
            &[("object", kind.api_name())],
        )?;
        let properties = match kind {
            ObjectKind::Contacts => self.config.default_properties.join(","),
            other => other.builtin_properties().join(","),
        };
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("limit", &limit.to_string());
            if !properties.is_empty() {
                pairs.append_pair("properties", &properties);
            }
            pairs.append_pair("archived", "false");
            if let Some(after) = &after {
                pairs.append_pair("after", after);
            }
        }
        let request = self
            .http
            .get(url)
            .bearer_auth(credentials.access_token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json");
        let body = self.body_of(request, &format!("a {kind} page")).await?;
        parse_page(
            kind,
            &body,
            &self.config.web_base_url,
            credentials.account_id.as_deref(),
        )
    }

    #[tracing::instrument(skip_all, fields(provider = "hubspot", object = query.object_type.as_deref()))]
    async fn changes(
        &self,
        credentials: &Credentials,
        query: &ChangesQuery,
    ) -> Result<ChangesPage, Error> {
        self.changes_page(credentials, query).await
    }

    fn changes_lane(&self, query: &ChangesQuery) -> Lane {
        changes::lane(query)
    }

    fn counts(&self) -> bool {
        true
    }

    async fn count(
        &self,
        credentials: &Credentials,
        object_type: Option<&str>,
    ) -> Result<Option<u64>, Error> {
        self.total(credentials, object_type).await
    }

    #[tracing::instrument(skip_all, fields(provider = "hubspot", account = credentials.account_id.as_deref()))]
    async fn revoke(&self, credentials: &Credentials) -> Result<(), Error> {
        let Some(refresh_token) = &credentials.refresh_token else {
            return Ok(());
        };
        let token = refresh_token.expose_secret();
        let request = match self.config.oauth_api {
            // The token travels in the form body, never in a URL (URLs end up in access logs).
            OAuthApi::V2026_03 => self
                .http
                .post(append_path(
                    &self.config.api_base_url,
                    "/oauth/2026-03/token/revoke",
                    &[],
                )?)
                .header(reqwest::header::ACCEPT, "application/json")
                .form(&[
                    ("client_id", self.config.client_id.as_str()),
                    ("client_secret", self.config.client_secret.expose_secret()),
                    ("token", token),
                    ("token_type_hint", "refresh_token"),
                ]),
            OAuthApi::V1 => self.http.delete(append_path(
                &self.config.api_base_url,
                "/oauth/v1/refresh-tokens/{token}",
                &[("token", token)],
            )?),
        };
        let (status, headers, body) = self.send(request).await?;
        match status {
            200..=299 => Ok(()),
            404 => {
                tracing::debug!("refresh token was already gone");
                Ok(())
            }
            // The endpoint takes no bearer token, so a 401 here is not ours to refresh away.
            400 | 401 | 403 => Err(Error::Rejected {
                code: ErrorBody::parse(body.as_deref())
                    .code()
                    .unwrap_or("UNAUTHORIZED")
                    .to_owned(),
                message: "HubSpot refused to revoke the refresh token".into(),
            }),
            _ => Err(api_error(status, &headers, body.as_deref())),
        }
    }
}

/// The object type a query names (contacts when it names none).
fn kind_of(raw: Option<&str>) -> Result<ObjectKind, Error> {
    match raw {
        None => Ok(ObjectKind::Contacts),
        Some(raw) => ObjectKind::parse(raw).ok_or_else(|| {
            Error::InvalidInput("HubSpot items are contacts, companies or deals".into())
        }),
    }
}
