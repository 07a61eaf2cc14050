//! Tokens we hand out carry a MAC, so a token we did not issue is refused without any I/O.
//!
//! Cursors, resume tokens and checkpoints come back from callers, and a provider-shaped check
//! (`Integration::accepts_cursor`) only catches nonsense: a well-formed forgery such as a changes
//! cursor at position `u18446744073709551615` would reach the provider, spend a call of the
//! account's shared rate budget and come back as the provider's error with the forger's text in
//! it. A truncated HMAC-SHA256 over the token *and what it was issued for* (provider, user, object
//! type, a changes window) makes every such token a 400 before anything else happens, and stops a
//! token issued to one user, object type or window from being replayed for another.
//!
//! The key is derived from a secret the deployment already keeps (the server uses its token
//! encryption keys, so replicas agree and a key rotation keeps the previous keys' tokens readable).
//! An embedded connector without one gets a random key: its tokens do not outlive the process.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Error;

/// Bytes of the MAC kept in a token (128 bits).
const TAG_LEN: usize = 16;
/// The tag's length in base64url.
const TAG_CHARS: usize = 22;
/// Separates the tag from the text it signs.
const SEPARATOR: char = '.';
/// What a key is derived for, so the same secret used elsewhere yields an unrelated key.
const DERIVATION: &[u8] = b"vs-integrations token seal v1";

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks the tokens a [`Connector`](crate::Connector) hands out. Cheap to clone.
#[derive(Clone)]
pub struct Seal {
    /// The first key signs; every key verifies (the others are previous keys during a rotation).
    keys: Arc<[[u8; 32]]>,
}

impl Seal {
    /// The longest token [`Seal::sign`] adds to the text it signs.
    pub const OVERHEAD: usize = TAG_CHARS + 1;

    /// A seal with a fresh random key: tokens are good for this process only.
    pub fn random() -> Self {
        Self {
            keys: Arc::new([rand::random::<[u8; 32]>()]),
        }
    }

    /// A seal whose keys are derived from `secrets` (the first signs, all verify). At least one
    /// secret is required; an empty list gives a random seal.
    pub fn derive<S: AsRef<[u8]>>(secrets: impl IntoIterator<Item = S>) -> Self {
        let keys: Vec<[u8; 32]> = secrets
            .into_iter()
            .map(|secret| {
                let mut mac = hmac(secret.as_ref());
                mac.update(DERIVATION);
                mac.finalize().into_bytes().into()
            })
            .collect();
        if keys.is_empty() {
            return Self::random();
        }
        Self { keys: keys.into() }
    }

    /// `text` with a tag over `context` and `text`: `{tag}.{text}`. The tag is base64url, so the
    /// result is as printable as `text`.
    pub fn sign(&self, context: &[&str], text: &str) -> String {
        let tag = tag(&self.keys[0], context, text);
        let mut out = String::with_capacity(Self::OVERHEAD + text.len());
        out.push_str(&URL_SAFE_NO_PAD.encode(tag));
        out.push(SEPARATOR);
        out.push_str(text);
        out
    }

    /// The text inside a token [`Seal::sign`] made for the same `context`; anything else (a
    /// forgery, another context's token, a tampered byte) is [`Error::InvalidInput`] naming `what`.
    pub fn open<'a>(&self, context: &[&str], token: &'a str, what: &str) -> Result<&'a str, Error> {
        let bad = || Error::InvalidInput(format!("the {what} is not one this service issued"));
        let (tag, text) = token.split_at_checked(TAG_CHARS).ok_or_else(bad)?;
        let text = text.strip_prefix(SEPARATOR).ok_or_else(bad)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad())?;
        let genuine = self.keys.iter().any(|key| {
            let mut mac = hmac(key);
            feed(&mut mac, context, text);
            mac.verify_truncated_left(&tag).is_ok()
        });
        genuine.then_some(text).ok_or_else(bad)
    }
}

impl fmt::Debug for Seal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Seal")
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl Default for Seal {
    fn default() -> Self {
        Self::random()
    }
}

fn hmac(key: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length.
    <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"))
}

/// Each field length-prefixed, so `["ab", "c"]` and `["a", "bc"]` sign differently.
fn feed(mac: &mut HmacSha256, context: &[&str], text: &str) {
    for field in context.iter().chain([&text]) {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field.as_bytes());
    }
}

fn tag(key: &[u8; 32], context: &[&str], text: &str) -> [u8; TAG_LEN] {
    let mut mac = hmac(key);
    feed(&mut mac, context, text);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(&full[..TAG_LEN]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_signed_opens_in_its_context_only() {
        let seal = Seal::derive(["secret"]);
        let token = seal.sign(&["items", "hubspot", "alice"], "u42");
        assert_eq!(token.len(), Seal::OVERHEAD + 3);
        assert_eq!(
            seal.open(&["items", "hubspot", "alice"], &token, "cursor")
                .unwrap(),
            "u42"
        );
        for context in [
            &["items", "hubspot", "bob"][..],
            &["items", "hubspot"],
            &["items", "hubspo", "talice"],
            &["changes", "hubspot", "alice"],
        ] {
            assert!(seal.open(context, &token, "cursor").is_err(), "{context:?}");
        }
        let tampered = format!("{}9", &token[..token.len() - 1]);
        for forged in [
            "",
            "u42",
            ".u42",
            &tampered,
            &token[..TAG_CHARS],
            "é".repeat(30).as_str(),
        ] {
            assert!(
                matches!(
                    seal.open(&["items", "hubspot", "alice"], forged, "cursor"),
                    Err(Error::InvalidInput(_))
                ),
                "{forged}"
            );
        }
    }

    #[test]
    fn previous_keys_verify_and_only_the_first_signs() {
        let old = Seal::derive(["old"]);
        let rotated = Seal::derive(["new", "old"]);
        let token = old.sign(&["c"], "x");
        assert_eq!(rotated.open(&["c"], &token, "cursor").unwrap(), "x");
        let fresh = rotated.sign(&["c"], "x");
        assert!(old.open(&["c"], &fresh, "cursor").is_err());
        assert!(Seal::random().open(&["c"], &token, "cursor").is_err());
    }

    #[test]
    fn debug_shows_no_key() {
        let text = format!("{:?}", Seal::derive(["s3cret"]));
        assert_eq!(text, "Seal { keys: 1, .. }");
    }
}
