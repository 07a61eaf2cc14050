//! Opaque, HubSpot-looking secrets drawn from the operating system's RNG.
//!
//! Clients must treat HubSpot tokens as opaque strings of up to 300 characters; making the
//! sandbox's tokens long and random (not counters) catches code that truncates, parses or
//! predicts them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore as _;
use rand::rngs::OsRng;

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if OsRng.try_fill_bytes(&mut bytes).is_err() {
        // The thread RNG is itself seeded from the OS; only reached if the OS source failed.
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    }
    bytes
}

/// An access token like HubSpot's (`CO…`, URL-safe base64, 130 characters).
pub(crate) fn access_token() -> String {
    format!("CO{}", URL_SAFE_NO_PAD.encode(random_bytes::<96>()))
}

/// A refresh token like HubSpot's: `na1-xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub(crate) fn refresh_token() -> String {
    let hex: String = random_bytes::<14>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "na1-{}-{}-{}-{}-{}",
        &hex[0..4],
        &hex[4..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..28]
    )
}

/// An authorization code (HubSpot's are UUID-shaped).
pub(crate) fn authorization_code() -> String {
    uuid::Builder::from_random_bytes(random_bytes::<16>())
        .into_uuid()
        .to_string()
}

/// A correlation id for an error body.
pub(crate) fn correlation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_hubspot_shapes_and_differ() {
        let a = access_token();
        assert!(
            a.starts_with("CO") && a.len() > 100 && a.len() <= 300,
            "{a}"
        );
        assert_ne!(a, access_token());
        let r = refresh_token();
        assert!(r.starts_with("na1-") && r.split('-').count() == 6, "{r}");
        assert_eq!(authorization_code().len(), 36);
    }
}
