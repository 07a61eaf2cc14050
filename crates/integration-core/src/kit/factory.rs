//! How a server builds providers it knows only by a list: each provider crate exports a
//! [`ProviderFactory`], and its settings come by convention from `{ID}_*` variables, so adding a
//! provider is a crate plus one registration line, never an edit to the server.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::{Error, Integration, ProviderInfo};

/// One provider's settings, read by convention from `{ID}_…` variables (`HUBSPOT_CLIENT_ID`…).
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// `{ID}_CLIENT_ID`.
    pub client_id: String,
    /// `{ID}_CLIENT_SECRET`.
    pub client_secret: SecretString,
    /// `{ID}_REDIRECT_URI` when set; `None`: the server's own callback route (known only once
    /// the server knows its public URL).
    pub redirect_uri: Option<String>,
    /// `{ID}_SCOPES` (space or comma separated), when set.
    pub scopes: Option<Vec<String>>,
    /// `{ID}_{NAME}_URL` overrides, by lower-case name (`auth`, `token`, `api_base`, `web_base`).
    pub urls: BTreeMap<String, Url>,
    /// Every other `{ID}_{NAME}` variable, by lower-case name (`oauth_version`).
    pub extra: BTreeMap<String, String>,
    /// Timeout of each provider request.
    pub request_timeout: Duration,
}

/// Why a provider's variables are unusable; names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable} {problem}")]
pub struct SettingsProblem {
    /// The variable.
    pub variable: String,
    /// What is wrong with it.
    pub problem: String,
}

/// Where a provider's credentials come from.
#[derive(Debug, Clone)]
pub enum Configured {
    /// Both `{ID}_CLIENT_ID` and `{ID}_CLIENT_SECRET` are set.
    Live(ProviderSettings),
    /// Neither is set: leave the provider out (or serve it from its sandbox in development).
    Unset {
        /// The rest of the provider's variables (scopes, URL overrides, extras).
        partial: ProviderSettings,
    },
}

impl ProviderSettings {
    /// The URL override `name` (`"api_base"` for `{ID}_API_BASE_URL`), or `default`.
    pub fn url_or(&self, name: &str, default: &str) -> Result<Url, Error> {
        match self.urls.get(name) {
            Some(url) => Ok(url.clone()),
            None => Url::parse(default).map_err(|e| Error::Config(format!("{default}: {e}"))),
        }
    }

    /// Reads `{ID}_*` from `vars` for the provider `id`.
    pub fn from_vars(
        id: &str,
        vars: &HashMap<String, String>,
    ) -> Result<Configured, SettingsProblem> {
        let prefix = format!("{}_", id.to_ascii_uppercase().replace('-', "_"));
        let problem = |name: &str, problem: String| SettingsProblem {
            variable: format!("{prefix}{name}"),
            problem,
        };
        let mut mine: BTreeMap<String, String> = vars
            .iter()
            .filter_map(|(k, v)| {
                let name = k.to_ascii_uppercase();
                let rest = name.strip_prefix(&prefix)?;
                let v = v.trim();
                (!v.is_empty()).then(|| (rest.to_owned(), v.to_owned()))
            })
            .collect();
        let client_id = mine.remove("CLIENT_ID");
        let client_secret = mine.remove("CLIENT_SECRET");
        let redirect_uri = match mine.remove("REDIRECT_URI") {
            Some(raw) => Some(
                Url::parse(&raw)
                    .map_err(|e| problem("REDIRECT_URI", format!("is invalid: not a URL: {e}")))?
                    .to_string(),
            ),
            None => None,
        };
        let scopes = mine.remove("SCOPES").map(|v| {
            v.split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        });
        let mut urls = BTreeMap::new();
        let mut extra = BTreeMap::new();
        for (name, value) in mine {
            match name.strip_suffix("_URL") {
                Some(url_name) => {
                    let url = Url::parse(&value)
                        .map_err(|e| problem(&name, format!("is invalid: not a URL: {e}")))?;
                    urls.insert(url_name.to_ascii_lowercase(), url);
                }
                None => {
                    extra.insert(name.to_ascii_lowercase(), value);
                }
            }
        }
        let settings = |client_id: String, client_secret: String| ProviderSettings {
            client_id,
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.clone(),
            scopes: scopes.clone(),
            urls: urls.clone(),
            extra: extra.clone(),
            request_timeout: Duration::from_secs(15),
        };
        match (client_id, client_secret) {
            (Some(id), Some(secret)) => Ok(Configured::Live(settings(id, secret))),
            (None, None) => Ok(Configured::Unset {
                partial: settings(String::new(), String::new()),
            }),
            (Some(_), None) => Err(problem(
                "CLIENT_SECRET",
                format!("is not set: it is required when {prefix}CLIENT_ID is set"),
            )),
            (None, Some(_)) => Err(problem(
                "CLIENT_ID",
                format!("is not set: it is required when {prefix}CLIENT_SECRET is set"),
            )),
        }
    }
}

/// Builds one kind of provider from its settings. Provider crates export one as a `static`.
pub trait ProviderFactory: Send + Sync + std::fmt::Debug {
    /// The provider's metadata.
    fn info(&self) -> &'static ProviderInfo;

    /// The provider configured by `settings`, sending through `http` (redirect-free, shared).
    fn build(
        &self,
        settings: &ProviderSettings,
        http: reqwest::Client,
    ) -> Result<Arc<dyn Integration>, Error>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn settings_come_by_convention_and_problems_name_the_variable() {
        let all = vars(&[
            ("NOTION_CLIENT_ID", "id"),
            ("NOTION_CLIENT_SECRET", "secret"),
            ("NOTION_SCOPES", "a,b"),
            ("NOTION_API_BASE_URL", "http://127.0.0.1:1/v1"),
            ("NOTION_VERSION", "2022-06-28"),
            ("HUBSPOT_CLIENT_ID", "other"),
        ]);
        let Configured::Live(s) = ProviderSettings::from_vars("notion", &all).unwrap() else {
            panic!("live");
        };
        assert_eq!(s.client_id, "id");
        assert_eq!(s.scopes, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(s.urls["api_base"].as_str(), "http://127.0.0.1:1/v1");
        assert_eq!(s.extra["version"], "2022-06-28");
        assert_eq!(
            s.redirect_uri, None,
            "unset: the server's own callback route"
        );
        let explicit = vars(&[("NOTION_REDIRECT_URI", "https://app.example/cb")]);
        let Configured::Unset { partial } =
            ProviderSettings::from_vars("notion", &explicit).unwrap()
        else {
            panic!("no credentials");
        };
        assert_eq!(
            partial.redirect_uri.as_deref(),
            Some("https://app.example/cb")
        );
        assert!(!format!("{s:?}").contains("secret\""));

        assert!(matches!(
            ProviderSettings::from_vars("airtable", &all).unwrap(),
            Configured::Unset { .. }
        ));
        let err = ProviderSettings::from_vars("notion", &vars(&[("NOTION_CLIENT_ID", "id")]))
            .unwrap_err();
        assert_eq!(err.variable, "NOTION_CLIENT_SECRET");
        let err =
            ProviderSettings::from_vars("notion", &vars(&[("NOTION_AUTH_URL", "::")])).unwrap_err();
        assert_eq!(err.variable, "NOTION_AUTH_URL");
    }
}
