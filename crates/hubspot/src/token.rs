//! Token introspection, which HubSpot answers with the portal's domain and the installing user.
//! Code exchange and refresh go through the provider kit's OAuth client (see `client.rs`: form
//! bodies, HubSpot's legacy error codes aliased to RFC 6749's).

use integration_core::Error;
use serde::Deserialize;

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
    /// The scopes granted (required in introspection answers, optional in token answers).
    pub scopes: Vec<String>,
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
    #[serde(default)]
    scopes: Option<serde_json::Value>,
}

/// RFC 7662's `active` of an introspection answer (`None`: not an introspection answer).
pub(crate) fn parse_activity(body: Option<&[u8]>) -> Option<bool> {
    let value: serde_json::Value = serde_json::from_slice(body?).ok()?;
    value.get("active")?.as_bool()
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
        // Names only: anything that is not a short string is dropped, not an error.
        scopes: match info.scopes {
            Some(serde_json::Value::Array(scopes)) => scopes
                .iter()
                .filter_map(serde_json::Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.len() <= 256)
                .take(512)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn introspection_yields_domain_and_user_but_refuses_inactive_tokens() {
        let info = parse_info(
            br#"{"active":true,"hub_domain":"demo.hubspot.com","user":"ada@example.com","hub_id":42,"token_use":"access_token","token":"SECRET"}"#,
        )
        .unwrap();
        assert_eq!(info.hub_domain.as_deref(), Some("demo.hubspot.com"));
        assert_eq!(info.user.as_deref(), Some("ada@example.com"));
        assert_eq!(info.hub_id.as_deref(), Some("42"));
        assert!(info.scopes.is_empty());
        let info = parse_info(
            br#"{"active":true,"hub_id":7,"scopes":["oauth","crm.objects.contacts.read",7,""]}"#,
        )
        .unwrap();
        assert_eq!(info.scopes, ["oauth", "crm.objects.contacts.read"]);
        assert!(!format!("{info:?}").contains("SECRET"));
        assert!(parse_info(br#"{"active":false}"#).is_err());
        assert!(parse_info(b"not json").is_err());
    }
}
