//! The plaintext form of stored credentials. Only the token store sees tokens as plain strings,
//! and only here: serialisation borrows them (no copy), deserialisation wipes what it read.

use chrono::{DateTime, Utc};
use integration_core::{Credentials, ExposeSecret as _, SecretString, StoreError};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Serialised form, borrowing from [`Credentials`].
#[derive(Serialize)]
struct PlainRef<'a> {
    access_token: &'a str,
    refresh_token: Option<&'a str>,
    expires_at: Option<DateTime<Utc>>,
    scopes: &'a [String],
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_user: Option<&'a str>,
    obtained_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_base: Option<&'a str>,
}

/// Deserialised form; wiped when dropped.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
struct PlainOwned {
    access_token: String,
    refresh_token: Option<String>,
    #[zeroize(skip)]
    expires_at: Option<DateTime<Utc>>,
    scopes: Vec<String>,
    account_id: Option<String>,
    #[serde(default)]
    account_name: Option<String>,
    #[serde(default)]
    account_user: Option<String>,
    #[zeroize(skip)]
    obtained_at: DateTime<Utc>,
    #[serde(default)]
    api_base: Option<String>,
}

/// Credentials as JSON bytes that are wiped when dropped.
pub(crate) fn encode(credentials: &Credentials) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let plain = PlainRef {
        access_token: credentials.access_token.expose_secret(),
        refresh_token: credentials
            .refresh_token
            .as_ref()
            .map(|token| token.expose_secret()),
        expires_at: credentials.expires_at,
        scopes: &credentials.scopes,
        account_id: credentials.account_id.as_deref(),
        account_name: credentials.account_name.as_deref(),
        account_user: credentials.account_user.as_deref(),
        obtained_at: credentials.obtained_at,
        api_base: credentials.api_base.as_ref().map(url::Url::as_str),
    };
    // Sized up front so that growing the buffer does not leave unwiped copies behind.
    let mut capacity = 256 + plain.access_token.len() + plain.refresh_token.map_or(0, str::len);
    capacity += plain.scopes.iter().map(|s| s.len() + 3).sum::<usize>();
    let mut buffer = Zeroizing::new(Vec::with_capacity(capacity * 2));
    serde_json::to_writer(&mut *buffer, &plain)
        .map_err(|_| StoreError::Corrupt("credentials could not be serialised".into()))?;
    Ok(buffer)
}

/// The inverse of [`encode`].
pub(crate) fn decode(bytes: &[u8]) -> Result<Credentials, StoreError> {
    let mut plain: PlainOwned = serde_json::from_slice(bytes)
        // serde_json errors quote no input, but say only where it failed to be sure.
        .map_err(|e| {
            StoreError::Corrupt(format!(
                "stored credentials are malformed (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
    let api_base = match plain.api_base.take() {
        None => None,
        Some(raw) => Some(url::Url::parse(&raw).map_err(|_| {
            StoreError::Corrupt("stored credentials name a malformed API base".into())
        })?),
    };
    // `take` moves the strings out, so the only copy is the one inside the `SecretString`.
    Ok(Credentials {
        access_token: SecretString::from(std::mem::take(&mut plain.access_token)),
        refresh_token: plain.refresh_token.take().map(SecretString::from),
        expires_at: plain.expires_at,
        scopes: std::mem::take(&mut plain.scopes),
        account_id: plain.account_id.take(),
        account_name: plain.account_name.take(),
        account_user: plain.account_user.take(),
        obtained_at: plain.obtained_at,
        api_base,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip_without_secrets_in_errors() {
        let credentials = Credentials {
            access_token: "a\"ccess\\token".to_owned().into(),
            refresh_token: None,
            expires_at: None,
            scopes: vec!["oauth".into()],
            account_id: Some("1".into()),
            account_name: Some("demo.hubspot.com".into()),
            account_user: None,
            obtained_at: Utc::now(),
            api_base: Some(url::Url::parse("https://acme.my.salesforce.com").unwrap()),
        };
        let bytes = encode(&credentials).unwrap();
        let back = decode(&bytes).unwrap();
        assert_eq!(back.api_base, credentials.api_base);
        assert_eq!(back.access_token.expose_secret(), "a\"ccess\\token");
        assert!(back.refresh_token.is_none());
        assert_eq!(back.obtained_at, credentials.obtained_at);

        let truncated = &bytes[..bytes.len() - 3];
        match decode(truncated) {
            Err(StoreError::Corrupt(message)) => assert!(!message.contains("ccess")),
            other => panic!("expected Corrupt, got {:?}", other.map(|_| ())),
        }
    }
}
