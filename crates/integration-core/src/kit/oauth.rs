//! The authorization-code grant (RFC 6749 §4.1) with PKCE (RFC 7636), as most providers speak
//! it, configured rather than rewritten: client credentials in the body or as HTTP Basic, token
//! requests as a form or as JSON, scopes joined by whatever the provider wants, provider error
//! codes mapped onto RFC 6749's.
//!
//! Why not the `oauth2` crate: its token requests are form-encoded only (Notion wants JSON), its
//! HTTP layer would need an adapter to keep our bounded, URL-free, redirect-free reads, and
//! providers' non-RFC error bodies (HubSpot's `{"status":"BAD_REFRESH_TOKEN"}`) would still need
//! this module's mapping. What remains is small enough to own.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use url::Url;

use super::http::{self, ProviderError, Response, scrub};
use crate::{AuthorizationCode, AuthorizationRequest, Credentials, Error, PkceVerifier};

/// How the client proves itself at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the request body.
    RequestBody,
    /// HTTP Basic with the client id and secret (RFC 6749 §2.3.1).
    Basic,
}

/// How token requests are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenBody {
    /// `application/x-www-form-urlencoded` (RFC 6749).
    Form,
    /// `application/json` (Notion).
    Json,
}

/// One provider's OAuth endpoints and conventions.
#[derive(Clone)]
pub struct OAuthConfig {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
    /// The consent page.
    pub auth_url: Url,
    /// The token endpoint.
    pub token_url: Url,
    /// Scopes requested.
    pub scopes: Vec<String>,
    /// How scopes are joined in the consent URL (`" "` by RFC 6749).
    pub scope_separator: &'static str,
    /// How the client authenticates at the token endpoint.
    pub client_auth: ClientAuth,
    /// How token requests are encoded.
    pub token_body: TokenBody,
    /// Extra consent URL parameters (Notion: `owner=user`).
    pub extra_auth_params: Vec<(String, String)>,
    /// Provider error codes that mean an RFC 6749 code (`("BAD_REFRESH_TOKEN", "invalid_grant")`).
    pub error_aliases: &'static [(&'static str, &'static str)],
    /// The RFC 7009 revocation endpoint, if the provider has one: a replaced or disconnected
    /// grant is revoked there ([`OAuthClient::revoke`]).
    pub revoke_url: Option<Url>,
}

impl OAuthConfig {
    /// RFC 6749 defaults: space-separated scopes, credentials in a form body, no extras.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: SecretString,
        auth_url: Url,
        token_url: Url,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            auth_url,
            token_url,
            scopes: Vec::new(),
            scope_separator: " ",
            client_auth: ClientAuth::RequestBody,
            token_body: TokenBody::Form,
            extra_auth_params: Vec::new(),
            error_aliases: &[],
            revoke_url: None,
        }
    }
}

impl std::fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("auth_url", &self.auth_url.as_str())
            .field("token_url", &self.token_url.as_str())
            .field("scopes", &self.scopes)
            .field("client_auth", &self.client_auth)
            .field("token_body", &self.token_body)
            .finish_non_exhaustive()
    }
}

/// A token response: the credentials, plus whatever non-secret fields the provider added
/// (`workspace_name`, `hub_id`…) for the provider to read.
#[derive(Debug)]
pub struct Token {
    /// Tokens, expiry and scopes.
    pub credentials: Credentials,
    /// Every other field of the response except the tokens themselves.
    pub extras: serde_json::Map<String, serde_json::Value>,
}

impl Token {
    /// A string extra (numbers are given as text).
    pub fn extra(&self, path: &[&str]) -> Option<String> {
        let mut value = self.extras.get(*path.first()?)?;
        for key in &path[1..] {
            value = value.get(key)?;
        }
        match value {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Grant {
    AuthorizationCode,
    RefreshToken,
}

/// An OAuth2 authorization-code client for one provider.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    config: OAuthConfig,
    http: reqwest::Client,
}

impl OAuthClient {
    /// A client with `config`, sending through `http` (build it with
    /// [`http::client`](super::http::client): no redirects).
    pub fn new(config: OAuthConfig, http: reqwest::Client) -> Self {
        Self { config, http }
    }

    /// The configuration.
    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    /// The consent URL: `response_type=code`, client id, redirect URI, scopes (the configured
    /// ones and the request's extra ones), state, and the PKCE challenge when given.
    pub fn authorization_url(&self, request: &AuthorizationRequest<'_>) -> Result<Url, Error> {
        let mut url = self.config.auth_url.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.config.client_id)
                .append_pair("redirect_uri", request.redirect_uri);
            let mut scopes: Vec<&str> = self.config.scopes.iter().map(String::as_str).collect();
            for extra in request.extra_scopes {
                if !scopes.contains(extra) {
                    scopes.push(extra);
                }
            }
            if !scopes.is_empty() {
                query.append_pair("scope", &scopes.join(self.config.scope_separator));
            }
            for (name, value) in &self.config.extra_auth_params {
                query.append_pair(name, value);
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

    /// Trades `code` for a token.
    pub async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        redirect_uri: &str,
        verifier: Option<&PkceVerifier>,
    ) -> Result<Token, Error> {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", code.secret().expose_secret()),
            ("redirect_uri", redirect_uri),
        ];
        if let Some(verifier) = verifier {
            params.push(("code_verifier", verifier.secret().expose_secret()));
        }
        self.token_request(Grant::AuthorizationCode, &params).await
    }

    /// Mints a new access token from `refresh_token`. A grant the provider refuses for good is
    /// [`Error::ReauthRequired`].
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<Token, Error> {
        let params = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
        ];
        self.token_request(Grant::RefreshToken, &params).await
    }

    /// Revokes the grant at the RFC 7009 endpoint (the refresh token when there is one, which
    /// ends the whole grant, else the access token), authenticated as the client as at the token
    /// endpoint. Without an endpoint, nothing to do. RFC 7009 §2.2 answers 200 even for a token
    /// already invalid, so any other status is the provider's error.
    pub async fn revoke(&self, credentials: &Credentials) -> Result<(), Error> {
        let Some(url) = &self.config.revoke_url else {
            return Ok(());
        };
        let (token, hint) = match &credentials.refresh_token {
            Some(refresh) => (refresh.expose_secret(), "refresh_token"),
            None => (credentials.access_token.expose_secret(), "access_token"),
        };
        let params = [("token", token), ("token_type_hint", hint)];
        let response = http::send(self.client_request(url, &params)).await?;
        if response.is_success() {
            return Ok(());
        }
        Err(response.error())
    }

    /// A POST to `url` with `params` and the client's authentication, encoded as the provider's
    /// token endpoint wants.
    fn client_request(&self, url: &Url, params: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let secret = self.config.client_secret.expose_secret();
        let mut fields: Vec<(&str, &str)> = params.to_vec();
        let mut request = self
            .http
            .post(url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        match self.config.client_auth {
            ClientAuth::RequestBody => {
                fields.push(("client_id", &self.config.client_id));
                fields.push(("client_secret", secret));
            }
            ClientAuth::Basic => {
                request = request.basic_auth(&self.config.client_id, Some(secret));
            }
        }
        match self.config.token_body {
            TokenBody::Form => request.form(&fields),
            TokenBody::Json => request.json(
                &fields
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
                    .collect::<serde_json::Map<_, _>>(),
            ),
        }
    }

    async fn token_request(&self, grant: Grant, params: &[(&str, &str)]) -> Result<Token, Error> {
        let secret = self.config.client_secret.expose_secret();
        let request = self.client_request(&self.config.token_url, params);
        let now = Utc::now();
        let response = http::send(request).await?;
        if response.is_success() {
            return parse_token(&response, now);
        }
        let mut secrets = vec![secret];
        secrets.extend(
            params
                .iter()
                .filter(|(k, _)| *k != "grant_type")
                .map(|(_, v)| *v),
        );
        Err(self.token_error(grant, &response, &secrets))
    }

    /// RFC 6749 §5.2, with the provider's aliases. The grant's fate decides, not the body's
    /// shape: a refresh refused with 400 or 401 means the user must reconnect, whatever the body
    /// says or omits (HubSpot's 2026-03 spec requires only `category`, `correlationId` and
    /// `message`; an HTML or empty body is the same refusal). The one exception is a body that
    /// names our client (`invalid_client`, `unauthorized_client`): that is our misconfiguration,
    /// and reconnecting would not fix it.
    fn token_error(&self, grant: Grant, response: &Response, secrets: &[&str]) -> Error {
        match response.status {
            429 => return response.error(),
            500..=599 => {
                return Error::Upstream {
                    status: response.status,
                };
            }
            _ => {}
        }
        let parsed = ProviderError::parse(response.body.as_deref()).unwrap_or_default();
        let code = parsed.code.as_deref().map(|c| scrub(c, secrets));
        let message = scrub(&parsed.message, secrets);
        let standard = code.as_deref().map(|code| {
            self.config
                .error_aliases
                .iter()
                .find(|(alias, _)| *alias == code)
                .map_or(code, |(_, standard)| standard)
                .to_owned()
        });
        let standard = standard.as_deref();
        tracing::warn!(
            status = response.status,
            code = code.as_deref(),
            "token endpoint refused the request"
        );
        let refused = matches!(response.status, 400 | 401);
        match (grant, standard, code) {
            (_, Some("invalid_client" | "unauthorized_client"), Some(code)) => Error::Config(
                format!("the provider refused our OAuth client ({code}): {message}"),
            ),
            (Grant::RefreshToken, _, code) if refused || standard == Some("invalid_grant") => {
                Error::ReauthRequired {
                    reason: match (message.is_empty(), code) {
                        (false, _) => message,
                        (true, Some(code)) => {
                            format!("the provider refused the refresh token ({code})")
                        }
                        (true, None) => format!(
                            "the provider refused the refresh token (HTTP {})",
                            response.status
                        ),
                    },
                }
            }
            (_, _, Some(code)) => Error::Rejected { code, message },
            (_, _, None) => Error::Upstream {
                status: response.status,
            },
        }
    }
}

#[derive(Deserialize)]
struct Fields {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

/// A 2xx token response into credentials obtained at `now`.
fn parse_token(response: &Response, now: DateTime<Utc>) -> Result<Token, Error> {
    let mut extras: serde_json::Map<String, serde_json::Value> = response.json("token response")?;
    let fields: Fields = serde_json::from_value(serde_json::Value::Object(extras.clone()))
        .map_err(|e| {
            Error::InvalidResponse(format!(
                "token response lacks the documented fields ({})",
                http::json_reason(&e)
            ))
        })?;
    for secret in ["access_token", "refresh_token", "id_token"] {
        extras.remove(secret);
    }
    if fields.access_token.is_empty() {
        return Err(Error::InvalidResponse(
            "token response has an empty access_token".into(),
        ));
    }
    if let Some(kind) = &fields.token_type
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(Error::InvalidResponse(format!(
            "token_type {:?} is not bearer",
            http::truncate(kind)
        )));
    }
    let seconds = match &fields.expires_in {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    };
    let expires_at = match (&fields.expires_in, seconds) {
        (None | Some(serde_json::Value::Null), _) => None,
        (_, Some(s)) if s >= 0 => Some(
            chrono::Duration::try_seconds(s)
                .and_then(|d| now.checked_add_signed(d))
                .ok_or_else(|| {
                    Error::InvalidResponse("token response has an out-of-range expires_in".into())
                })?,
        ),
        _ => {
            return Err(Error::InvalidResponse(
                "token response has an unusable expires_in".into(),
            ));
        }
    };
    let scopes = fields.scopes.unwrap_or_else(|| {
        fields
            .scope
            .map(|s| {
                s.split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    });
    Ok(Token {
        credentials: Credentials {
            access_token: fields.access_token.into(),
            refresh_token: fields
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(Into::into),
            expires_at,
            scopes,
            account_id: None,
            account_name: None,
            account_user: None,
            obtained_at: now,
            api_base: None,
        },
        extras,
    })
}

#[cfg(test)]
mod tests;
