//! HubSpot's token endpoint: its response fields (`hub_id`, `scopes` as an array) and its error
//! bodies (`{"status":"BAD_REFRESH_TOKEN","message":…}`, not RFC 6749 shaped, though RFC 6749's
//! `{"error":"invalid_grant"}` is understood too).

use chrono::{DateTime, Utc};
use integration_core::{Credentials, Error};
use serde::Deserialize;

use crate::http::{ErrorBody, rate_limited};

/// Which grant a token request used; the same HubSpot error means different things for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    AuthorizationCode,
    RefreshToken,
}

/// A token response. Field names as the v1 endpoint documents them, with the camelCase names of
/// HubSpot's newer reference pages accepted too. No `Debug`: it holds tokens.
#[derive(Deserialize)]
struct TokenResponse {
    #[serde(alias = "accessToken")]
    access_token: String,
    #[serde(default, alias = "refreshToken")]
    refresh_token: Option<String>,
    #[serde(default, alias = "expiresIn")]
    expires_in: Option<i64>,
    #[serde(default, alias = "hubId")]
    hub_id: Option<serde_json::Value>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default, alias = "tokenType")]
    token_type: Option<String>,
}

/// Parses a 2xx token response into credentials obtained at `now`.
pub(crate) fn parse_success(body: &[u8], now: DateTime<Utc>) -> Result<Credentials, Error> {
    let token: TokenResponse = serde_json::from_slice(body).map_err(|e| {
        Error::InvalidResponse(format!(
            "token response is not the documented JSON ({})",
            crate::http::json_reason(&e)
        ))
    })?;
    if token.access_token.is_empty() {
        return Err(Error::InvalidResponse(
            "token response has an empty access_token".into(),
        ));
    }
    if let Some(kind) = &token.token_type
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(Error::InvalidResponse(format!(
            "token_type {:?} is not bearer",
            crate::http::truncate(kind)
        )));
    }
    let expires_at = match token.expires_in {
        // `Duration::seconds` and `DateTime + Duration` panic out of range: checked forms only.
        Some(seconds) if seconds >= 0 => Some(
            chrono::Duration::try_seconds(seconds)
                .and_then(|lifetime| now.checked_add_signed(lifetime))
                .ok_or_else(|| {
                    Error::InvalidResponse("token response has an out-of-range expires_in".into())
                })?,
        ),
        Some(_) => {
            return Err(Error::InvalidResponse(
                "token response has a negative expires_in".into(),
            ));
        }
        None => None,
    };
    let account_id = match token.hub_id {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s),
        Some(_) => {
            return Err(Error::InvalidResponse(
                "hub_id is neither a number nor a string".into(),
            ));
        }
    };
    Ok(Credentials {
        access_token: token.access_token.into(),
        refresh_token: token
            .refresh_token
            .filter(|t| !t.is_empty())
            .map(Into::into),
        expires_at,
        // Absent on some refresh responses: empty lets the connector inherit the old scopes.
        scopes: token.scopes.unwrap_or_default(),
        account_id,
        account_name: None,
        account_user: None,
        obtained_at: now,
    })
}

/// What introspection says about an access token (2026-03 `token/introspect` and v1
/// `access-tokens/{token}` share these fields). Only the non-secret parts are kept.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TokenInfo {
    /// The portal's domain (`demo-portal.hubspot.com`).
    pub hub_domain: Option<String>,
    /// The installing user's email.
    pub user: Option<String>,
    /// The portal id.
    pub hub_id: Option<String>,
}

#[derive(Deserialize)]
struct InfoResponse {
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    hub_domain: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    hub_id: Option<serde_json::Value>,
}

/// Parses an introspection answer. An inactive token is an error: we just minted it.
pub(crate) fn parse_info(body: &[u8]) -> Result<TokenInfo, Error> {
    let info: InfoResponse = serde_json::from_slice(body).map_err(|e| {
        Error::InvalidResponse(format!(
            "introspection response is not the documented JSON ({})",
            crate::http::json_reason(&e)
        ))
    })?;
    if info.active == Some(false) {
        return Err(Error::InvalidResponse(
            "HubSpot reports the new token as inactive".into(),
        ));
    }
    let clean = |v: Option<String>| {
        v.map(|s| s.trim().chars().take(256).collect::<String>())
            .filter(|s| !s.is_empty())
    };
    Ok(TokenInfo {
        hub_domain: clean(info.hub_domain),
        user: clean(info.user),
        hub_id: match info.hub_id {
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        },
    })
}

/// The error for a non-2xx token response. `secrets` are scrubbed from HubSpot's message in case
/// it echoes what we sent.
pub(crate) fn parse_error(
    grant: Grant,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: Option<&[u8]>,
    secrets: &[&str],
) -> Error {
    if status == 429 {
        return rate_limited(headers);
    }
    if status >= 500 {
        return Error::Upstream { status };
    }
    let parsed = ErrorBody::parse(body);
    // Scrub before truncating: a secret cut at the truncation point would escape as a prefix.
    let mut message = parsed.raw_message().to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        message = message.replace(secret, "[redacted]");
    }
    let message = crate::http::truncate(&message);
    let Some(mut code) = parsed.code().map(str::to_owned) else {
        return Error::Upstream { status };
    };
    // HubSpot's codes are fixed words, but nothing stops a server from echoing input there.
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        code = code.replace(secret, "[redacted]");
    }
    let code = crate::http::truncate(&code);
    tracing::warn!(
        status,
        %code,
        correlation_id = parsed.correlation_id.as_deref(),
        "hubspot token endpoint refused the request"
    );
    match (grant, code.as_str()) {
        (_, "BAD_CLIENT_ID" | "BAD_CLIENT_SECRET" | "BAD_REDIRECT_URI" | "invalid_client") => {
            Error::Config(format!(
                "HubSpot refused our OAuth client settings ({code}): {message}"
            ))
        }
        (Grant::RefreshToken, "BAD_REFRESH_TOKEN" | "invalid_grant") => Error::ReauthRequired {
            reason: if message.is_empty() {
                format!("HubSpot refused the refresh token ({code})")
            } else {
                message
            },
        },
        _ => Error::Rejected { code, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_responses_are_understood() {
        let now = Utc::now();
        let creds = parse_success(
            br#"{"accessToken":"a","refreshToken":"r","expiresIn":60,"hubId":7,"tokenType":"bearer"}"#,
            now,
        )
        .unwrap();
        assert_eq!(creds.account_id.as_deref(), Some("7"));
        assert_eq!(creds.expires_at, Some(now + chrono::Duration::seconds(60)));
    }

    #[test]
    fn introspection_yields_domain_and_user_but_refuses_inactive_tokens() {
        let info = parse_info(
            br#"{"active":true,"hub_domain":"demo.hubspot.com","user":"ada@example.com","hub_id":42,"token_use":"access_token","token":"SECRET"}"#,
        )
        .unwrap();
        assert_eq!(info.hub_domain.as_deref(), Some("demo.hubspot.com"));
        assert_eq!(info.user.as_deref(), Some("ada@example.com"));
        assert_eq!(info.hub_id.as_deref(), Some("42"));
        assert!(!format!("{info:?}").contains("SECRET"));
        assert!(parse_info(br#"{"active":false}"#).is_err());
        assert!(parse_info(b"not json").is_err());
    }

    #[test]
    fn odd_token_types_are_refused() {
        assert!(matches!(
            parse_success(br#"{"access_token":"a","token_type":"mac"}"#, Utc::now()),
            Err(Error::InvalidResponse(_))
        ));
    }

    #[test]
    fn echoed_secrets_are_scrubbed() {
        let body = br#"{"status":"BAD_CLIENT_SECRET","message":"secret s3cr3t is wrong"}"#;
        let error = parse_error(
            Grant::RefreshToken,
            400,
            &Default::default(),
            Some(body),
            &["s3cr3t"],
        );
        let text = error.to_string();
        assert!(matches!(error, Error::Config(_)));
        assert!(!text.contains("s3cr3t"), "{text}");
    }
}
