//! Every HubSpot endpoint is a setting with today's documented default: HubSpot has announced the
//! retirement of the v1 OAuth endpoints (February 2027), and tests point all of them at wiremock or
//! the sandbox.

use std::time::Duration;

use integration_core::{Error, SecretString};
use url::Url;

/// HubSpot's largest page for the CRM objects list endpoint.
pub const MAX_PAGE_SIZE: u32 = 100;

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
    /// Scopes requested if the account has them (default none; `optional_scope` is then omitted).
    pub optional_scopes: Vec<String>,
    /// The consent page (default `https://app.hubspot.com/oauth/authorize`).
    pub auth_url: Url,
    /// The token endpoint for code exchange and refresh
    /// (default `https://api.hubapi.com/oauth/v1/token`).
    pub token_url: Url,
    /// Base of the REST API (default `https://api.hubapi.com`). May carry a path prefix
    /// (`http://127.0.0.1:8080/_sandbox/hubspot`); paths are appended to it, never replace it.
    pub api_base_url: Url,
    /// Path of the refresh-token deletion endpoint under [`api_base_url`](Self::api_base_url);
    /// `{token}` is replaced by the percent-encoded refresh token
    /// (default `/oauth/v1/refresh-tokens/{token}`).
    pub revoke_path: String,
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
            optional_scopes: Vec::new(),
            auth_url: url("https://app.hubspot.com/oauth/authorize"),
            token_url: url("https://api.hubapi.com/oauth/v1/token"),
            api_base_url: url("https://api.hubapi.com"),
            revoke_path: "/oauth/v1/refresh-tokens/{token}".into(),
            contacts_path: "/crm/v3/objects/{object}".into(),
            web_base_url: url("https://app.hubspot.com"),
            default_properties: vec!["firstname".into(), "lastname".into(), "email".into()],
            page_size: MAX_PAGE_SIZE,
            request_timeout: Duration::from_secs(15),
        }
    }

    /// Points every HubSpot endpoint at one server (wiremock, the sandbox), keeping any path
    /// prefix of `base`: the API under `base`, the token endpoint at `{base}/oauth/v1/token`, the
    /// consent page at `{base}/oauth/authorize`.
    pub fn with_base_url(mut self, base: &Url) -> Result<Self, Error> {
        self.api_base_url = base.clone();
        self.token_url = append_path(base, "/oauth/v1/token", &[])?;
        self.auth_url = append_path(base, "/oauth/authorize", &[])?;
        self.web_base_url = base.clone();
        Ok(self)
    }
}

/// Appends `template` to `base`'s path, segment by segment, replacing `{name}` segments by their
/// value in `vars` (percent-encoded as one path segment, so a `/` in a value stays inside it).
///
/// `Url::join("/x")` would replace the base's path and drop a prefix such as
/// `/_sandbox/hubspot`; this keeps it.
pub(crate) fn append_path(base: &Url, template: &str, vars: &[(&str, &str)]) -> Result<Url, Error> {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    {
        let mut segments = url
            .path_segments_mut()
            .map_err(|()| Error::Config(format!("{base} cannot be a base URL")))?;
        segments.pop_if_empty();
        for segment in template.split('/').filter(|s| !s.is_empty()) {
            let value = segment
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .map(|name| {
                    vars.iter()
                        .find(|(var, _)| *var == name)
                        .map(|(_, value)| *value)
                        .ok_or_else(|| {
                            Error::Config(format!("unknown placeholder {{{name}}} in {template}"))
                        })
                })
                .transpose()?
                .unwrap_or(segment);
            segments.push(value);
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse() {
        let config = HubSpotConfig::new("id", "secret".to_owned().into());
        assert_eq!(
            config.token_url.as_str(),
            "https://api.hubapi.com/oauth/v1/token"
        );
        assert_eq!(config.page_size, 100);
    }

    #[test]
    fn paths_are_appended_to_a_base_with_a_prefix() {
        let base = Url::parse("http://127.0.0.1:8080/_sandbox/hubspot").unwrap();
        let url =
            append_path(&base, "/crm/v3/objects/{object}", &[("object", "contacts")]).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/_sandbox/hubspot/crm/v3/objects/contacts"
        );
        let slash = Url::parse("http://127.0.0.1:8080/_sandbox/hubspot/").unwrap();
        assert_eq!(
            append_path(&slash, "/a", &[]).unwrap().as_str(),
            "http://127.0.0.1:8080/_sandbox/hubspot/a"
        );
        let root = Url::parse("https://api.hubapi.com").unwrap();
        assert_eq!(
            append_path(&root, "/a/b", &[]).unwrap().as_str(),
            "https://api.hubapi.com/a/b"
        );
    }

    #[test]
    fn placeholder_values_are_one_encoded_segment() {
        let base = Url::parse("https://api.hubapi.com").unwrap();
        let url = append_path(
            &base,
            "/oauth/v1/refresh-tokens/{token}",
            &[("token", "a/b c?d#e%f")],
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.hubapi.com/oauth/v1/refresh-tokens/a%2Fb%20c%3Fd%23e%25f"
        );
        assert!(matches!(
            append_path(&base, "/{nope}", &[]),
            Err(Error::Config(_))
        ));
    }
}
