//! HubSpot built from `HUBSPOT_*` settings, for servers that build providers from a list.

use std::sync::Arc;

use integration_core::kit::{ProviderFactory, ProviderSettings};
use integration_core::{Error, Integration, ProviderInfo};

use crate::{HubSpotConfig, INFO, OAuthApi, paths, provider};
use integration_core::kit::append_path;

/// Builds [`HubSpot`] from `HUBSPOT_CLIENT_ID`, `HUBSPOT_CLIENT_SECRET`, `HUBSPOT_SCOPES`,
/// `HUBSPOT_OPTIONAL_SCOPES`, `HUBSPOT_OAUTH_VERSION` (`2026-03` or `v1`), `HUBSPOT_WEBHOOKS_MODE`
/// (`push` or `journal`) and the URL overrides
/// `HUBSPOT_AUTH_URL`, `HUBSPOT_TOKEN_URL`, `HUBSPOT_API_BASE_URL`, `HUBSPOT_WEB_BASE_URL`.
#[derive(Debug)]
pub struct HubSpotFactory;

/// The factory servers register.
pub static FACTORY: HubSpotFactory = HubSpotFactory;

impl ProviderFactory for HubSpotFactory {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn build(
        &self,
        settings: &ProviderSettings,
        http: reqwest::Client,
    ) -> Result<Arc<dyn Integration>, Error> {
        let api = match settings.extra.get("oauth_version") {
            None => OAuthApi::default(),
            Some(raw) => OAuthApi::parse(raw).ok_or_else(|| {
                Error::Config(format!(
                    "HUBSPOT_OAUTH_VERSION must be '2026-03' or 'v1', not '{raw}'"
                ))
            })?,
        };
        let mut config =
            HubSpotConfig::new(settings.client_id.clone(), settings.client_secret.clone());
        if let Some(base) = settings.urls.get("api_base") {
            config.api_base_url = base.clone();
        }
        let mut config = config.with_oauth_api(api)?;
        if let Some(url) = settings.urls.get("token") {
            config.token_url = url.clone();
        }
        if let Some(url) = settings.urls.get("auth") {
            config.auth_url = url.clone();
        }
        if let Some(url) = settings.urls.get("web_base") {
            config.web_base_url = url.clone();
        }
        if let Some(scopes) = &settings.scopes {
            config.scopes = scopes.clone();
        }
        // `none` asks for no optional scope (an empty variable is an unset one).
        if let Some(optional) = settings.extra.get("optional_scopes") {
            config.optional_scopes = optional
                .split([' ', ','])
                .filter(|s| !s.is_empty() && *s != "none")
                .map(str::to_owned)
                .collect();
        }
        config.request_timeout = settings.request_timeout;
        config.webhooks_mode = match settings.extra.get("webhooks_mode").map(String::as_str) {
            None | Some("push") => crate::WebhooksMode::Push,
            Some("journal") => crate::WebhooksMode::Journal,
            Some(other) => {
                return Err(Error::Config(format!(
                    "HUBSPOT_WEBHOOKS_MODE must be 'push' or 'journal', not '{other}'"
                )));
            }
        };
        // Checked here so a bad base fails at start, not on the first request.
        append_path(
            &config.api_base_url,
            paths::OBJECTS,
            &[("object", "contacts")],
        )?;
        Ok(Arc::new(provider(config, http)))
    }
}
