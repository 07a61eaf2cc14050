//! `AUTH_MODE` and the JWT settings: the combinations that make sense, each refusal naming the
//! variable. Production refuses `dev` and a missing key: callers must prove who they are.

use std::time::Duration;

use secrecy::ExposeSecret as _;

use super::vars::{AuthModeName, Vars};
use super::{AppEnv, AuthMode, JwtKey, JwtSettings, SettingsError};

/// The algorithms a JWT may be signed with.
const ALGORITHMS: [&str; 7] = [
    "HS256", "RS256", "RS384", "RS512", "PS256", "ES256", "EdDSA",
];

pub(super) fn settings(app_env: AppEnv, vars: &Vars) -> Result<AuthMode, SettingsError> {
    match (vars.auth_mode.map(|m| m.0), app_env) {
        (None | Some(AuthModeName::Dev), AppEnv::Development) => return Ok(AuthMode::Dev),
        (None, AppEnv::Production) => {
            return Err(SettingsError::Missing(
                "AUTH_MODE",
                "production requires AUTH_MODE=jwt (callers must prove who they are)",
            ));
        }
        (Some(AuthModeName::Dev), AppEnv::Production) => {
            return Err(SettingsError::invalid(
                "AUTH_MODE",
                "'dev' trusts any caller's claimed user id and is refused in production; use 'jwt'",
            ));
        }
        (Some(AuthModeName::Jwt), _) => {}
    }
    let key = match (
        &vars.auth_jwt_secret,
        &vars.auth_jwt_public_key,
        &vars.auth_jwks_url,
    ) {
        (Some(secret), None, None) => {
            if secret.expose_secret().len() < 32 {
                return Err(SettingsError::invalid(
                    "AUTH_JWT_SECRET",
                    "must be at least 32 bytes",
                ));
            }
            JwtKey::Secret(secret.clone())
        }
        (None, Some(pem), None) => JwtKey::PublicKeyPem(pem.replace("\\n", "\n")),
        (None, None, Some(url)) => JwtKey::Jwks(url.0.clone()),
        (None, None, None) => {
            return Err(SettingsError::Missing(
                "AUTH_JWT_SECRET",
                "AUTH_MODE=jwt needs a verification key: AUTH_JWT_SECRET (HS256), AUTH_JWT_PUBLIC_KEY (PEM) or AUTH_JWKS_URL",
            ));
        }
        _ => {
            return Err(SettingsError::invalid(
                "AUTH_JWT_SECRET",
                "set exactly one of AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY and AUTH_JWKS_URL",
            ));
        }
    };
    let algorithm = match (vars.auth_jwt_algorithm.as_deref().map(str::trim), &key) {
        (None, JwtKey::Secret(_)) => "HS256",
        (None, _) => "RS256",
        (Some(alg), JwtKey::Secret(_)) if alg != "HS256" => {
            return Err(SettingsError::invalid(
                "AUTH_JWT_ALGORITHM",
                "a shared secret verifies HS256 only",
            ));
        }
        (Some(alg), JwtKey::PublicKeyPem(_) | JwtKey::Jwks(_)) if alg.starts_with("HS") => {
            return Err(SettingsError::invalid(
                "AUTH_JWT_ALGORITHM",
                "a public key cannot verify an HMAC algorithm (algorithm confusion)",
            ));
        }
        (Some(alg), _) if ALGORITHMS.contains(&alg) => alg,
        (Some(alg), _) => {
            return Err(SettingsError::invalid(
                "AUTH_JWT_ALGORITHM",
                format!("unsupported algorithm '{alg}'"),
            ));
        }
    };
    Ok(AuthMode::Jwt(JwtSettings {
        key,
        algorithm: algorithm.to_owned(),
        issuer: vars.auth_jwt_issuer.clone(),
        audience: vars.auth_jwt_audience.clone(),
        leeway: Duration::from_secs(vars.auth_jwt_leeway_secs),
    }))
}
