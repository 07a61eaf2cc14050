//! Building Airtable the way a server does: settings by convention, then the factory.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use integration_core::Integration;
use integration_core::kit::{Configured, ProviderFactory, ProviderSettings, http};

pub const SECRET: &str = provider_conformance::CLIENT_SECRET;
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// Airtable with `AIRTABLE_{NAME}_URL` overrides.
pub fn airtable(urls: &[(&str, String)]) -> Arc<dyn Integration> {
    airtable_with(&[], urls)
}

/// Airtable with more settings (`("AIRTABLE_SCOPES", "…")`) and `AIRTABLE_{NAME}_URL` overrides.
#[allow(dead_code)] // not every test binary needs more settings
pub fn airtable_with(settings: &[(&str, &str)], urls: &[(&str, String)]) -> Arc<dyn Integration> {
    let mut vars = HashMap::from([
        ("AIRTABLE_CLIENT_ID".to_owned(), "client-1".to_owned()),
        ("AIRTABLE_CLIENT_SECRET".to_owned(), SECRET.to_owned()),
        ("AIRTABLE_REDIRECT_URI".to_owned(), REDIRECT.to_owned()),
    ]);
    vars.extend(
        settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    for (name, url) in urls {
        vars.insert(format!("AIRTABLE_{}_URL", name.to_uppercase()), url.clone());
    }
    let Ok(Configured::Live(settings)) = ProviderSettings::from_vars("airtable", &vars) else {
        panic!("live settings");
    };
    let client = http::client(Duration::from_secs(5), "airtable-tests");
    ProviderFactory::build(&airtable::FACTORY, &settings, client).expect("builds")
}
