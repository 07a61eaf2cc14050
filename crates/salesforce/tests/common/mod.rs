//! Building Salesforce the way a server does: settings by convention, then the factory.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use integration_core::Integration;
use integration_core::kit::{Configured, ProviderFactory, ProviderSettings, http};

pub const SECRET: &str = provider_conformance::CLIENT_SECRET;
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// Salesforce with `SALESFORCE_{NAME}_URL` overrides.
pub fn salesforce(urls: &[(&str, String)]) -> Arc<dyn Integration> {
    let mut vars = HashMap::from([
        ("SALESFORCE_CLIENT_ID".to_owned(), "client-1".to_owned()),
        ("SALESFORCE_CLIENT_SECRET".to_owned(), SECRET.to_owned()),
        ("SALESFORCE_REDIRECT_URI".to_owned(), REDIRECT.to_owned()),
    ]);
    for (name, url) in urls {
        vars.insert(
            format!("SALESFORCE_{}_URL", name.to_uppercase()),
            url.clone(),
        );
    }
    let Ok(Configured::Live(settings)) = ProviderSettings::from_vars("salesforce", &vars) else {
        panic!("live settings");
    };
    let client = http::client(Duration::from_secs(5), "salesforce-tests");
    ProviderFactory::build(&salesforce::FACTORY, &settings, client).expect("builds")
}
