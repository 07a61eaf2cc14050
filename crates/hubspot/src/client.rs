//! The [`Integration`] implementation: one HTTP request per method, no retries (the core's
//! `Connector` refreshes, retries and backs off).

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use integration_core::{
    AuthorizationCode, Credentials, Error, ExposeSecret as _, Integration, ItemQuery, OAuthState,
    Page,
};
use url::Url;

use crate::config::{HubSpotConfig, MAX_PAGE_SIZE, append_path};
use crate::http::{
    MAX_BODY, MAX_ERROR_BODY, api_error, log_rate_limit, read_body, transport_error,
};
use crate::objects::{ObjectKind, parse_page};
use crate::token::{self, Grant};

const USER_AGENT: &str = concat!("vs-integrations-hubspot/", env!("CARGO_PKG_VERSION"));

/// The HubSpot provider.
#[derive(Debug, Clone)]
pub struct HubSpot {
    config: HubSpotConfig,
    http: reqwest::Client,
}

impl HubSpot {
    /// The provider with `config`, sending requests through `http` (share one pooled client,
    /// built with [`HubSpot::http_client`], across the process).
    pub fn new(config: HubSpotConfig, http: reqwest::Client) -> Self {
        Self { config, http }
    }

    /// An HTTP client fit for HubSpot: no redirects followed (a token request must never be
    /// replayed to wherever a 3xx points), the given overall timeout, a shorter connect timeout,
    /// and a user agent naming this crate.
    ///
    /// # Panics
    ///
    /// Like `reqwest::Client::new`, if the TLS backend cannot be initialised.
    pub fn http_client(timeout: Duration) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(USER_AGENT)
            .build()
            .expect("the TLS backend initialises")
    }

    /// The configuration in use.
    pub fn config(&self) -> &HubSpotConfig {
        &self.config
    }

    /// Sends one request and returns the status, headers and (bounded) body.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, reqwest::header::HeaderMap, Option<Vec<u8>>), Error> {
        let response = request
            .timeout(self.config.request_timeout)
            .send()
            .await
            .map_err(|e| transport_error(e.without_url()))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        log_rate_limit(&headers);
        let limit = if (200..300).contains(&status) {
            MAX_BODY
        } else {
            MAX_ERROR_BODY
        };
        let body = read_body(response, limit).await?;
        Ok((status, headers, body))
    }

    /// `POST token_url` with the client credentials in the form body, as HubSpot requires.
    async fn token_request(
        &self,
        grant: Grant,
        params: &[(&str, &str)],
    ) -> Result<Credentials, Error> {
        let secret = self.config.client_secret.expose_secret();
        let mut form: Vec<(&str, &str)> = vec![
            (
                "grant_type",
                match grant {
                    Grant::AuthorizationCode => "authorization_code",
                    Grant::RefreshToken => "refresh_token",
                },
            ),
            ("client_id", &self.config.client_id),
            ("client_secret", secret),
        ];
        form.extend_from_slice(params);
        let request = self
            .http
            .post(self.config.token_url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form);
        let now = Utc::now();
        let (status, headers, body) = self.send(request).await?;
        if (200..300).contains(&status) {
            let body = body.ok_or_else(|| {
                Error::InvalidResponse("token response exceeds the size limit".into())
            })?;
            return token::parse_success(&body, now);
        }
        let mut secrets = vec![secret];
        secrets.extend(
            params
                .iter()
                .filter(|(k, _)| matches!(*k, "code" | "refresh_token"))
                .map(|(_, v)| *v),
        );
        Err(token::parse_error(
            grant,
            status,
            &headers,
            body.as_deref(),
            &secrets,
        ))
    }
}

#[async_trait]
impl Integration for HubSpot {
    fn id(&self) -> &'static str {
        "hubspot"
    }

    fn display_name(&self) -> &'static str {
        "HubSpot"
    }

    fn authorization_url(&self, state: &OAuthState, redirect_uri: &str) -> Result<Url, Error> {
        let mut url = self.config.auth_url.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("client_id", &self.config.client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", &self.config.scopes.join(" "));
            if !self.config.optional_scopes.is_empty() {
                query.append_pair("optional_scope", &self.config.optional_scopes.join(" "));
            }
            query.append_pair("state", state.as_str());
        }
        Ok(url)
    }

    #[tracing::instrument(skip_all, fields(provider = "hubspot"))]
    async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        redirect_uri: &str,
    ) -> Result<Credentials, Error> {
        self.token_request(
            Grant::AuthorizationCode,
            &[
                ("redirect_uri", redirect_uri),
                ("code", code.secret().expose_secret()),
            ],
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(provider = "hubspot", account = credentials.account_id.as_deref()))]
    async fn refresh(&self, credentials: &Credentials) -> Result<Credentials, Error> {
        let Some(refresh_token) = &credentials.refresh_token else {
            return Err(Error::ReauthRequired {
                reason: "no refresh token is stored for this connection".into(),
            });
        };
        self.token_request(
            Grant::RefreshToken,
            &[("refresh_token", refresh_token.expose_secret())],
        )
        .await
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
        let kind = match query.object_type.as_deref() {
            None => ObjectKind::Contacts,
            Some(raw) => ObjectKind::parse(raw).ok_or_else(|| Error::Rejected {
                code: "UNSUPPORTED_OBJECT_TYPE".into(),
                message: "HubSpot items are contacts, companies or deals".into(),
            })?,
        };
        let limit = query
            .limit
            .unwrap_or(self.config.page_size)
            .clamp(1, MAX_PAGE_SIZE);
        let span = tracing::Span::current();
        span.record("object", kind.api_name());
        span.record("limit", limit);

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
            if let Some(cursor) = &query.cursor {
                pairs.append_pair("after", cursor.as_str());
            }
        }
        let request = self
            .http
            .get(url)
            .bearer_auth(credentials.access_token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json");
        let (status, headers, body) = self.send(request).await?;
        if (200..300).contains(&status) {
            let body = body.ok_or_else(|| {
                Error::InvalidResponse(format!("{kind} page exceeds {MAX_BODY} bytes"))
            })?;
            return parse_page(
                kind,
                &body,
                &self.config.web_base_url,
                credentials.account_id.as_deref(),
            );
        }
        Err(api_error(status, &headers, body.as_deref()))
    }

    #[tracing::instrument(skip_all, fields(provider = "hubspot", account = credentials.account_id.as_deref()))]
    async fn revoke(&self, credentials: &Credentials) -> Result<(), Error> {
        let Some(refresh_token) = &credentials.refresh_token else {
            return Ok(());
        };
        let url = append_path(
            &self.config.api_base_url,
            &self.config.revoke_path,
            &[("token", refresh_token.expose_secret())],
        )?;
        let (status, headers, body) = self.send(self.http.delete(url)).await?;
        match status {
            200..=299 => Ok(()),
            404 => {
                tracing::debug!("refresh token was already gone");
                Ok(())
            }
            // The endpoint takes no bearer token, so a 401 here is not ours to refresh away.
            401 => Err(Error::Rejected {
                code: "UNAUTHORIZED".into(),
                message: "HubSpot refused to delete the refresh token".into(),
            }),
            _ => Err(api_error(status, &headers, body.as_deref())),
        }
    }
}
