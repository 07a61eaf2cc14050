//! Which registered providers are served, and how: each reads its own `{ID}_…` variables by
//! convention (`ProviderSettings::from_vars`), once. Credentials make it live; none, in
//! development, give its bundled sandbox; production serves live providers only, and needs one.

use std::collections::HashMap;

use integration_core::kit::{Configured, ProviderSettings};

use super::{AppEnv, ProviderChoice, ProviderMode, SettingsError};

pub(super) fn choices(
    app_env: AppEnv,
    all: &HashMap<String, String>,
) -> Result<Vec<ProviderChoice>, SettingsError> {
    let mut choices = Vec::new();
    for registration in providers::all() {
        let id = registration.factory.info().id;
        let configured = ProviderSettings::from_vars(id, all)
            .map_err(|p| SettingsError::Provider(p.variable, p.problem))?;
        let (mode, settings) = match configured {
            Configured::Live(settings) => (ProviderMode::Live, settings),
            Configured::Unset { partial }
                if app_env == AppEnv::Development && registration.sandbox.is_some() =>
            {
                (ProviderMode::Sandbox, partial)
            }
            Configured::Unset { partial } => (ProviderMode::Off, partial),
        };
        choices.push(ProviderChoice {
            registration,
            mode,
            settings,
        });
    }
    if !choices.iter().any(|c| c.mode != ProviderMode::Off) {
        let first = choices
            .first()
            .map_or("HUBSPOT".to_owned(), |c| c.id().to_ascii_uppercase());
        return Err(SettingsError::Provider(
            format!("{first}_CLIENT_ID"),
            format!(
                "is not set: production serves only providers with real app credentials, and none has them (set {first}_CLIENT_ID and {first}_CLIENT_SECRET, or another provider's)"
            ),
        ));
    }
    Ok(choices)
}
