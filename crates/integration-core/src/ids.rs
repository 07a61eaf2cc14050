//! Identifiers that arrive from outside (a header, a query string, a provider redirect) are parsed
//! once into these newtypes, so the rest of the code never handles an unchecked string.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidId(pub(crate) &'static str);

/// The VectorShift user an action is taken for: 1–128 characters of `[A-Za-z0-9._@-]`.
///
/// The character set keeps user ids safe to embed in storage keys (no `:` or spaces) and in logs.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

impl UserId {
    /// Parses a user id, refusing empty, over-long or oddly-charactered input.
    pub fn parse(raw: impl Into<String>) -> Result<Self, InvalidId> {
        let raw = raw.into();
        if raw.is_empty() || raw.len() > 128 {
            return Err(InvalidId("user id must be 1 to 128 characters long"));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'))
        {
            return Err(InvalidId(
                "user id may contain only letters, digits, '.', '_', '@' and '-'",
            ));
        }
        Ok(Self(raw))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserId {
    type Error = InvalidId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<UserId> for String {
    fn from(value: UserId) -> Self {
        value.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserId({})", self.0)
    }
}

/// The OAuth `state` parameter: 32 random bytes, base64url without padding (43 characters).
///
/// It is the CSRF defence of the authorization-code flow, so it is generated here from the OS
/// CSPRNG and parsed strictly when it comes back; `Debug` shows only a prefix.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OAuthState(String);

impl OAuthState {
    /// Length of an encoded state.
    pub const ENCODED_LEN: usize = 43;

    /// A fresh, unguessable state.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Parses a state that came back on a callback.
    pub fn parse(raw: &str) -> Result<Self, InvalidId> {
        let ok = raw.len() == Self::ENCODED_LEN
            && URL_SAFE_NO_PAD
                .decode(raw)
                .is_ok_and(|bytes| bytes.len() == 32);
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidId("state is not one this service issued"))
        }
    }

    /// The encoded state, as sent to the provider.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OAuthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OAuthState({}…)", &self.0[..6])
    }
}

/// An authorization code returned by a provider's consent page. Single-use, but still a credential
/// for a few minutes, so it is never printed.
#[derive(Clone)]
pub struct AuthorizationCode(secrecy::SecretString);

impl AuthorizationCode {
    /// Wraps a code, refusing empty or absurdly long input.
    pub fn parse(raw: &str) -> Result<Self, InvalidId> {
        if raw.is_empty() || raw.len() > 2048 {
            return Err(InvalidId("authorization code is missing or malformed"));
        }
        Ok(Self(raw.to_owned().into()))
    }

    /// The code, for the token request.
    pub fn secret(&self) -> &secrecy::SecretString {
        &self.0
    }
}

impl fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthorizationCode([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_validated() {
        assert!(UserId::parse("test_user").is_ok());
        assert!(UserId::parse("a.b-c@d_e").is_ok());
        assert!(UserId::parse("x".repeat(128)).is_ok());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("x".repeat(129)).is_err());
        assert!(UserId::parse("a:b").is_err());
        assert!(UserId::parse("a b").is_err());
        assert!(UserId::parse("é").is_err());
    }

    #[test]
    fn states_round_trip_and_reject_garbage() {
        let state = OAuthState::generate();
        assert_eq!(state.as_str().len(), OAuthState::ENCODED_LEN);
        assert_eq!(OAuthState::parse(state.as_str()).unwrap(), state);
        assert_ne!(OAuthState::generate(), state);
        assert!(OAuthState::parse("short").is_err());
        assert!(OAuthState::parse(&"!".repeat(43)).is_err());
        assert!(!format!("{state:?}").contains(state.as_str()));
    }

    #[test]
    fn authorization_code_debug_is_redacted() {
        let code = AuthorizationCode::parse("super-secret-code").unwrap();
        assert!(!format!("{code:?}").contains("super-secret"));
    }
}
