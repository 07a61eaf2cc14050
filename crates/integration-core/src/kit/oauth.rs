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

    /// The consent URL: `response_type=code`, client id, redirect URI, scopes, state, and the
    /// PKCE challenge when given.
    pub fn authorization_url(&self, request: &AuthorizationRequest<'_>) -> Result<Url, Error> {
        let mut url = self.config.auth_url.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.config.client_id)
                .append_pair("redirect_uri", request.redirect_uri);
            if !self.config.scopes.is_empty() {
                query.append_pair(
                    "scope",
                    &self.config.scopes.join(self.config.scope_separator),
                );
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

    async fn token_request(&self, grant: Grant, params: &[(&str, &str)]) -> Result<Token, Error> {
        let secret = self.config.client_secret.expose_secret();
        let mut fields: Vec<(&str, &str)> = params.to_vec();
        let mut request = self
            .http
            .post(self.config.token_url.clone())
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
        request = match self.config.token_body {
            TokenBody::Form => request.form(&fields),
            TokenBody::Json => request.json(
                &fields
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
                    .collect::<serde_json::Map<_, _>>(),
            ),
        };
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
        },
        extras,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: reqwest::header::HeaderMap::new(),
            body: Some(body.as_bytes().to_vec()),
        }
    }

    fn client() -> OAuthClient {
        let url = |s: &str| Url::parse(s).unwrap();
        let mut config = OAuthConfig::new(
            "id",
            "s3cr3t-value".to_owned().into(),
            url("https://p.example/authorize"),
            url("https://p.example/token"),
        );
        config.error_aliases = &[("BAD_REFRESH_TOKEN", "invalid_grant")];
        OAuthClient::new(config, reqwest::Client::new())
    }

    #[test]
    fn token_responses_become_credentials_and_extras_without_tokens() {
        let now = Utc::now();
        let token = parse_token(
            &answer(200, r#"{"access_token":"AT","refresh_token":"RT","expires_in":"3600","token_type":"Bearer","scope":"a b","workspace_name":"Acme","owner":{"user":{"id":"u1"}}}"#),
            now,
        )
        .unwrap();
        assert_eq!(
            token.credentials.expires_at,
            Some(now + chrono::Duration::hours(1))
        );
        assert_eq!(token.credentials.scopes, ["a", "b"]);
        assert_eq!(token.extra(&["workspace_name"]).as_deref(), Some("Acme"));
        assert_eq!(token.extra(&["owner", "user", "id"]).as_deref(), Some("u1"));
        let text = format!("{token:?}");
        assert!(!text.contains("AT\"") && !text.contains("RT"), "{text}");
        for bad in [
            r#"{"access_token":""}"#,
            r#"{"access_token":"a","token_type":"mac"}"#,
            r#"{"access_token":"a","expires_in":-5}"#,
            r#"{"access_token":"a","expires_in":1e300}"#,
            "[]",
            "nope",
        ] {
            assert!(
                matches!(
                    parse_token(&answer(200, bad), now),
                    Err(Error::InvalidResponse(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn token_errors_map_to_rfc_6749_meanings_and_never_echo_secrets() {
        let c = client();
        let secrets = ["s3cr3t-value", "the-code"];
        let e = c.token_error(
            Grant::RefreshToken,
            &answer(400, r#"{"status":"BAD_REFRESH_TOKEN","message":"gone"}"#),
            &secrets,
        );
        assert!(matches!(e, Error::ReauthRequired { .. }), "{e:?}");
        let e = c.token_error(
            Grant::AuthorizationCode,
            &answer(
                400,
                r#"{"error":"invalid_grant","error_description":"code the-code used"}"#,
            ),
            &secrets,
        );
        assert!(
            matches!(&e, Error::Rejected { code, .. } if code == "invalid_grant"),
            "{e:?}"
        );
        assert!(!e.to_string().contains("the-code"), "{e}");
        let e = c.token_error(
            Grant::RefreshToken,
            &answer(
                401,
                r#"{"error":"invalid_client","error_description":"secret s3cr3t-value wrong"}"#,
            ),
            &secrets,
        );
        assert!(matches!(e, Error::Config(_)), "{e:?}");
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        assert!(matches!(
            c.token_error(Grant::RefreshToken, &answer(503, ""), &secrets),
            Error::Upstream { status: 503 }
        ));
        assert!(matches!(
            c.token_error(Grant::RefreshToken, &answer(429, ""), &secrets),
            Error::RateLimited { .. }
        ));
        assert!(matches!(
            c.token_error(Grant::AuthorizationCode, &answer(400, "<html>"), &secrets),
            Error::Upstream { status: 400 }
        ));
    }

    /// HubSpot's 2026-03 spec requires only `category`, `correlationId` and `message` in an
    /// error; whatever a refused refresh carries (or omits), the user is asked to reconnect.
    #[test]
    fn a_refresh_refused_with_any_body_shape_means_reconnect() {
        let c = client();
        let minimal = r#"{"category":"VALIDATION_ERROR","correlationId":"aeb5f871-7f07-4993-9211-075dc63e7cbf","message":"missing or invalid refresh token"}"#;
        for status in [400, 401] {
            for body in [
                minimal,
                "",
                "<html><body>Bad Request</body></html>",
                "{}",
                "[]",
                r#"{"message":"x"}"#,
            ] {
                let e = c.token_error(Grant::RefreshToken, &answer(status, body), &[]);
                assert!(
                    matches!(e, Error::ReauthRequired { .. }),
                    "{status} {body}: {e:?}"
                );
            }
        }
        let e = c.token_error(Grant::RefreshToken, &answer(403, minimal), &[]);
        assert!(matches!(e, Error::Rejected { .. }), "{e:?}");
        let e = c.token_error(
            Grant::RefreshToken,
            &answer(400, r#"{"error":"invalid_client"}"#),
            &[],
        );
        assert!(matches!(e, Error::Config(_)), "{e:?}");
    }

    #[test]
    fn the_consent_url_carries_what_rfc_6749_and_7636_require() {
        let mut config = client().config.clone();
        config.scopes = vec!["a".into(), "b".into()];
        config.scope_separator = ",";
        config.extra_auth_params = vec![("owner".into(), "user".into())];
        let c = OAuthClient::new(config, reqwest::Client::new());
        let state = crate::OAuthState::generate();
        let verifier = PkceVerifier::generate();
        let challenge = verifier.challenge();
        let url = c
            .authorization_url(&AuthorizationRequest {
                state: &state,
                redirect_uri: "https://app/cb",
                pkce_challenge: Some(&challenge),
            })
            .unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["scope"], "a,b");
        assert_eq!(q["owner"], "user");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], challenge.as_str());
        assert_eq!(q["state"], state.as_str());
        assert!(!url.as_str().contains("s3cr3t"));
    }

    mod fuzz {
        use proptest::prelude::*;

        use super::*;

        fn json() -> impl Strategy<Value = serde_json::Value> {
            let leaf = prop_oneof![
                Just(serde_json::Value::Null),
                any::<bool>().prop_map(serde_json::Value::from),
                any::<i64>().prop_map(serde_json::Value::from),
                any::<f64>().prop_map(serde_json::Value::from),
                "\\PC{0,20}".prop_map(serde_json::Value::from),
            ];
            leaf.prop_recursive(3, 24, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                    prop::collection::btree_map(
                        prop_oneof![
                            Just("access_token".to_owned()),
                            Just("refresh_token".to_owned()),
                            Just("expires_in".to_owned()),
                            Just("token_type".to_owned()),
                            Just("scope".to_owned()),
                            Just("scopes".to_owned()),
                            "[a-z_]{1,8}",
                        ],
                        inner,
                        0..6,
                    )
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: 2_000,
                failure_persistence: None,
                rng_seed: if std::env::var_os("PROPTEST_RANDOM").is_some() {
                    proptest::test_runner::RngSeed::Random
                } else {
                    proptest::test_runner::RngSeed::Fixed(0x5EED_0008)
                },
                ..ProptestConfig::default()
            })]

            /// Any 2xx body: no panic; failures are `InvalidResponse`; success never has an empty
            /// access token; no token text in `Debug`.
            #[test]
            fn token_responses_never_panic_or_leak(value in json(), bytes in prop::collection::vec(any::<u8>(), 0..64), raw in any::<bool>()) {
                let body = if raw { bytes } else { value.to_string().into_bytes() };
                match parse_token(&answer(200, &String::from_utf8_lossy(&body)), Utc::now()) {
                    Ok(token) => {
                        let access = token.credentials.access_token.expose_secret().to_owned();
                        prop_assert!(!access.is_empty());
                        let debug = format!("{token:?}");
                        prop_assert!(access.len() < 4 || !debug.contains(&access), "{debug}");
                    }
                    Err(error) => prop_assert!(matches!(error, Error::InvalidResponse(_)), "{error:?}"),
                }
            }

            /// Any error answer echoing what we sent: the error names none of it.
            #[test]
            fn token_errors_never_echo_secrets(
                status in prop_oneof![400u16..=404, Just(429u16), 500u16..=503],
                code in "[A-Za-z_]{0,12}",
                prefix in "\\PC{0,300}",
                refresh in any::<bool>(),
            ) {
                let c = client();
                let secrets = ["s3cr3t-value", "the-code-0123456789"];
                let body = serde_json::json!({
                    "error": format!("{code}{}", secrets[1]),
                    "error_description": format!("{prefix}{} {}", secrets[0], secrets[1]),
                });
                let grant = if refresh { Grant::RefreshToken } else { Grant::AuthorizationCode };
                let error = c.token_error(grant, &answer(status, &body.to_string()), &secrets);
                let text = format!("{error} {error:?}");
                for secret in secrets {
                    prop_assert!(!text.contains(&secret[..12]), "{text}");
                }
            }
        }
    }
}
