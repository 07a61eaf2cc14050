//! What a provider hands back after consent. Tokens are `SecretString`s so that neither `Debug` nor
//! an accidental `format!` can leak them; only the token store and the provider client expose them.

use std::fmt;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

/// OAuth credentials of one user at one provider.
#[derive(Clone)]
pub struct Credentials {
    /// Bearer token for API calls.
    pub access_token: SecretString,
    /// Token that mints new access tokens; absent for providers whose tokens do not expire.
    pub refresh_token: Option<SecretString>,
    /// When the access token stops working, if the provider said.
    pub expires_at: Option<DateTime<Utc>>,
    /// Scopes the user granted.
    pub scopes: Vec<String>,
    /// The provider's id of the connected account (HubSpot: `hub_id`).
    pub account_id: Option<String>,
    /// A human name for the connected account (HubSpot: the portal's domain; Notion: the
    /// workspace name), for UIs.
    pub account_name: Option<String>,
    /// Who granted access at the provider (HubSpot: the installing user's email), for UIs.
    pub account_user: Option<String>,
    /// When these credentials were obtained (or last refreshed).
    pub obtained_at: DateTime<Utc>,
    /// The account's own API root, where the provider names one in the grant (Salesforce:
    /// `instance_url`; Pipedrive, Zoho: `api_domain`). Not a secret; set only after checking it
    /// against the hosts the provider declares (`kit::ApiBase`), so a token is never sent
    /// anywhere else. `None`: the provider's one API host.
    pub api_base: Option<url::Url>,
}

impl Credentials {
    /// Whether the access token expires within `skew` of `now`.
    pub fn expires_within(&self, skew: chrono::Duration, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at - skew <= now)
    }

    /// How long the access token lived when it was obtained, if it expires.
    pub fn lifetime(&self) -> Option<chrono::Duration> {
        self.expires_at.map(|at| at - self.obtained_at)
    }

    /// Carries over what a refresh response may omit (the refresh token itself, the account id,
    /// the scopes), so a provider that does not echo them does not erase them.
    pub fn inherit_from(mut self, previous: &Credentials) -> Self {
        if self.refresh_token.is_none() {
            self.refresh_token = previous.refresh_token.clone();
        }
        if self.account_id.is_none() {
            self.account_id = previous.account_id.clone();
        }
        if self.account_name.is_none() {
            self.account_name = previous.account_name.clone();
        }
        if self.account_user.is_none() {
            self.account_user = previous.account_user.clone();
        }
        if self.scopes.is_empty() {
            self.scopes = previous.scopes.clone();
        }
        if self.api_base.is_none() {
            self.api_base = previous.api_base.clone();
        }
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("account_id", &self.account_id)
            .field("account_name", &self.account_name)
            .field("account_user", &self.account_user)
            .field("obtained_at", &self.obtained_at)
            .field("api_base", &self.api_base.as_ref().map(url::Url::as_str))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            access_token: "at-SECRET".to_owned().into(),
            refresh_token: Some("rt-SECRET".to_owned().into()),
            expires_at: Some(Utc::now() + chrono::Duration::minutes(30)),
            scopes: vec!["oauth".into()],
            account_id: Some("42".into()),
            account_name: None,
            account_user: None,
            obtained_at: Utc::now(),
            api_base: None,
        }
    }

    #[test]
    fn debug_never_shows_tokens() {
        let text = format!("{:?}", creds());
        assert!(!text.contains("SECRET"), "{text}");
        assert!(text.contains("42"));
    }

    #[test]
    fn expiry_honours_skew() {
        let c = creds();
        let now = Utc::now();
        assert!(!c.expires_within(chrono::Duration::minutes(5), now));
        assert!(c.expires_within(chrono::Duration::minutes(31), now));
    }
}
