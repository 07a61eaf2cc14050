//! Providers whose API host comes from the grant: Salesforce's `instance_url`, Pipedrive's and
//! Zoho's `api_domain`, Zendesk's and Shopify's per-account subdomains. The token response says
//! where this account's API lives; the kit reads it, checks it against the hosts the provider
//! declares, and keeps it in [`Credentials::api_base`] beside the token. Checked before the
//! token is ever used: a token endpoint that answered (or was made to answer) with someone
//! else's host must not get the user's token sent there.

use url::Url;

use super::{ProviderSettings, Token};
use crate::{Credentials, Error};

/// Where a provider's token response names the account's API root, and where that may be.
#[derive(Debug, Clone, Copy)]
pub struct ApiBase {
    /// Paths into the token response's extras, first found wins (`&["instance_url"]`).
    pub field: &'static [&'static str],
    /// The roots it may be on: a scheme and host, the host optionally starting with `*.`, which
    /// stands for one or more labels (`https://*.my.salesforce.com`). No port, no user info; any
    /// path is allowed below it.
    pub allowed: &'static [&'static str],
}

/// An [`ApiBase`] as this deployment applies it. When the settings point the provider's
/// `api_base` elsewhere (its sandbox, a test double), that URL is the one allowed root: the
/// deployment declared it, and the provider's real hosts are not where its tokens come from.
#[derive(Debug, Clone)]
pub struct ApiBasePolicy {
    spec: ApiBase,
    overridden: Option<Url>,
}

impl ApiBasePolicy {
    /// `spec` under `settings` (an `api_base` URL setting replaces its allowed roots).
    pub fn new(spec: ApiBase, settings: &ProviderSettings) -> Self {
        Self {
            spec,
            overridden: settings.urls.get("api_base").cloned(),
        }
    }

    /// `raw` as an API root, or why it is refused.
    pub fn check(&self, raw: &str) -> Result<Url, Error> {
        let refused = || {
            Error::InvalidResponse(
                "the token response named an API host the provider does not declare; the \
                 token was not used"
                    .into(),
            )
        };
        let url = Url::parse(raw).map_err(|_| refused())?;
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
            return Err(refused());
        }
        let allowed = match &self.overridden {
            Some(root) => under(&url, root),
            None => self
                .spec
                .allowed
                .iter()
                .any(|pattern| matches(&url, pattern)),
        };
        allowed.then_some(url).ok_or_else(refused)
    }

    /// The API root `token` names, checked. A first grant (`first`) must name one; a refresh
    /// that names none (`None`) keeps the previous one ([`Credentials::inherit_from`]).
    pub fn read(&self, token: &Token, first: bool) -> Result<Option<Url>, Error> {
        match token.extra(self.spec.field) {
            Some(raw) => self.check(&raw).map(Some),
            None if first => Err(Error::InvalidResponse(
                "the token response did not name the account's API host".into(),
            )),
            None => Ok(None),
        }
    }
}

/// Whether `url` is `pattern`'s scheme and host (see [`ApiBase::allowed`]) on its default port.
fn matches(url: &Url, pattern: &str) -> bool {
    let Some((scheme, host)) = pattern.split_once("://") else {
        return false;
    };
    let Some(actual) = url.host_str() else {
        return false;
    };
    if url.scheme() != scheme || url.port().is_some() {
        return false;
    }
    let actual = actual.to_ascii_lowercase();
    match host.strip_prefix("*.") {
        Some(suffix) => actual
            .strip_suffix(&suffix.to_ascii_lowercase())
            .and_then(|labels| labels.strip_suffix('.'))
            .is_some_and(|labels| {
                !labels.is_empty()
                    && labels.split('.').all(|label| {
                        !label.is_empty()
                            && label
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    })
            }),
        None => actual == host.to_ascii_lowercase(),
    }
}

/// Whether `url` is `root` or below it (same origin, path under root's path).
fn under(url: &Url, root: &Url) -> bool {
    let base = root.path().trim_end_matches('/');
    url.origin() == root.origin()
        && (url.path().trim_end_matches('/') == base || url.path().starts_with(&format!("{base}/")))
}

/// The API root to build `credentials`' requests on: the account's own, else `default`.
pub fn api_base<'a>(credentials: &'a Credentials, default: &'a Url) -> &'a Url {
    credentials.api_base.as_ref().unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALESFORCE: ApiBase = ApiBase {
        field: &["instance_url"],
        allowed: &[
            "https://*.my.salesforce.com",
            "https://login.salesforce.com",
        ],
    };

    fn policy(overridden: Option<&str>) -> ApiBasePolicy {
        ApiBasePolicy {
            spec: SALESFORCE,
            overridden: overridden.map(|u| Url::parse(u).unwrap()),
        }
    }

    #[test]
    fn hosts_the_provider_declares_are_allowed() {
        let p = policy(None);
        for ok in [
            "https://acme.my.salesforce.com",
            "https://acme-dev.eu1.my.salesforce.com/",
            "https://ACME.my.Salesforce.com/services",
            "https://login.salesforce.com",
        ] {
            assert!(p.check(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn any_other_host_scheme_port_or_userinfo_is_refused() {
        let p = policy(None);
        for bad in [
            "https://evil.example",
            "https://my.salesforce.com",
            "https://acme.my.salesforce.com.evil.example",
            "https://evilmy.salesforce.com",
            "https://acme.my.salesforce.com:8443",
            "http://acme.my.salesforce.com",
            "https://user@acme.my.salesforce.com",
            "https://acme.my.salesforce.com/?next=https://evil.example",
            "https://a..my.salesforce.com",
            "https://x.login.salesforce.com",
            "not a url",
            "",
        ] {
            let e = p.check(bad).unwrap_err();
            assert!(matches!(e, Error::InvalidResponse(_)), "{bad}: {e:?}");
            assert!(!e.to_string().contains("evil"), "the host is not echoed");
        }
    }

    #[test]
    fn an_overridden_api_base_is_the_one_allowed_root() {
        let p = policy(Some("http://127.0.0.1:8080/_sandbox/salesforce"));
        assert!(p.check("http://127.0.0.1:8080/_sandbox/salesforce").is_ok());
        assert!(
            p.check("http://127.0.0.1:8080/_sandbox/salesforce/x")
                .is_ok()
        );
        for bad in [
            "http://127.0.0.1:8081/_sandbox/salesforce",
            "http://127.0.0.1:8080/_sandbox/salesforce-evil",
            "http://127.0.0.1:8080/_sandbox/notion",
            "https://acme.my.salesforce.com",
        ] {
            assert!(p.check(bad).is_err(), "{bad}");
        }
    }
}
