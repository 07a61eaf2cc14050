//! Encryption of credentials at rest: XChaCha20-Poly1305 in a small versioned envelope.
//!
//! Envelope (raw bytes, stored as the Redis value):
//!
//! ```text
//! b"v1" | key id (1 byte) | nonce (24 bytes) | ciphertext + Poly1305 tag (16 bytes)
//! ```
//!
//! - The nonce is random per write. XChaCha's 192-bit nonce makes random nonces safe for any
//!   realistic number of writes under one key (unlike the 96-bit nonce of plain ChaCha20/AES-GCM).
//! - The caller's associated data (the full storage key) is authenticated but not stored, so a
//!   value copied under another user's key does not decrypt.
//! - The version and key id are authenticated too (they are part of the associated data), so
//!   flipping them is detected as tampering rather than silently picking another key.
//! - The key id lets keys rotate: encrypt with the primary key, decrypt with whichever key the
//!   envelope names. Values written under a retired key stay readable while that key is listed
//!   among the older keys, and are re-encrypted with the primary on their next save (a refresh).

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use integration_core::StoreError;
use rand::RngCore as _;
use zeroize::Zeroizing;

const VERSION: &[u8; 2] = b"v1";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = VERSION.len() + 1 + NONCE_LEN;
/// Length of a key in bytes.
pub const KEY_LEN: usize = 32;

/// Names one encryption key inside an envelope, so that older values stay readable after the
/// primary key changes. Pick a new id for every new key (e.g. count up from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub u8);

impl KeyId {
    /// The id [`Cipher::from_key_material`] gives its single key.
    pub const DEFAULT: KeyId = KeyId(1);
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why key material or a key set was refused. Messages never contain the key itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The material decoded, but not to 32 bytes.
    #[error(
        "encryption key must be exactly 32 bytes (44 base64 characters or 64 hex digits); it decodes to {0} bytes"
    )]
    WrongLength(usize),
    /// The material is neither base64 nor hex.
    #[error(
        "encryption key is neither base64 nor hex; generate one with `Cipher::generate_key_base64()` or `openssl rand -base64 32`"
    )]
    NotEncoded,
    /// Two keys of one [`Cipher`] share an id.
    #[error("encryption key id {0} is used by more than one key")]
    DuplicateKeyId(KeyId),
    /// A key spec's `ID:` prefix is not a number from 1 to 255.
    #[error("encryption key id must be a number from 1 to 255 before the ':'")]
    BadKeyId,
}

/// A 256-bit key, wiped from memory when dropped. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct Key(Zeroizing<[u8; KEY_LEN]>);

impl Key {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Decodes key material given as base64 (standard or url-safe, padding optional) or hex of
    /// exactly 32 bytes. Surrounding whitespace (a trailing newline in a secrets file) is ignored.
    pub fn from_material(material: &str) -> Result<Self, KeyError> {
        let material = material.trim();
        // Hex first: 64 hex digits are also valid base64 (of 48 bytes). A 32-byte key in base64
        // is 43 or 44 characters, with an odd length or a `=`, so it is never taken for hex.
        let decoded: Zeroizing<Vec<u8>> = if !material.is_empty()
            && material.len().is_multiple_of(2)
            && material.bytes().all(|b| b.is_ascii_hexdigit())
        {
            Zeroizing::new(hex::decode(material).map_err(|_| KeyError::NotEncoded)?)
        } else {
            [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
                .iter()
                .find_map(|engine| engine.decode(material).ok())
                .map(Zeroizing::new)
                .ok_or(KeyError::NotEncoded)?
        };
        if decoded.len() != KEY_LEN {
            return Err(KeyError::WrongLength(decoded.len()));
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        bytes.copy_from_slice(&decoded);
        Ok(Self(bytes))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::rng().fill_bytes(bytes.as_mut_slice());
        Self(bytes)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key([redacted])")
    }
}

struct Inner {
    primary: KeyId,
    keys: Vec<(KeyId, XChaCha20Poly1305)>,
    /// The raw keys, primary first, only ever used through a one-way derivation
    /// ([`Cipher::derive_keys`]).
    raw: Vec<Key>,
}

/// Encrypts values with the primary key and decrypts values written under any known key.
///
/// Cheap to clone (the keys sit behind an `Arc`). `Debug` lists key ids only.
#[derive(Clone)]
pub struct Cipher {
    inner: Arc<Inner>,
}

impl Cipher {
    /// A cipher that encrypts with `primary` and can also decrypt values written under `older`
    /// keys (for rotation). Fails if two keys share an id.
    pub fn new(primary: (KeyId, Key), older: Vec<(KeyId, Key)>) -> Result<Self, KeyError> {
        let primary_id = primary.0;
        let mut keys: Vec<(KeyId, XChaCha20Poly1305)> = Vec::with_capacity(1 + older.len());
        let mut raw = Vec::with_capacity(1 + older.len());
        for (id, key) in std::iter::once(primary).chain(older) {
            if keys.iter().any(|(known, _)| *known == id) {
                return Err(KeyError::DuplicateKeyId(id));
            }
            let aead = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(key.0.as_slice()));
            keys.push((id, aead));
            raw.push(key);
        }
        Ok(Self {
            inner: Arc::new(Inner {
                primary: primary_id,
                keys,
                raw,
            }),
        })
    }

    /// A cipher with one key, id [`KeyId::DEFAULT`], decoded from base64 or hex (see
    /// [`Key::from_material`]).
    pub fn from_key_material(primary: &str) -> Result<Self, KeyError> {
        Self::new((KeyId::DEFAULT, Key::from_material(primary)?), Vec::new())
    }

    /// A cipher from key specs as operators write them: `[ID:]MATERIAL`, the id (1–255) defaulting
    /// to 1 (base64 and hex never contain `:`). New values are encrypted with `primary`; values
    /// written under any of `previous` stay readable. Rotating is: give the new key a new id,
    /// move the old spec to `previous`, and drop it once every value was re-saved.
    pub fn from_key_specs(primary: &str, previous: &[&str]) -> Result<Self, KeyError> {
        fn parse(spec: &str) -> Result<(KeyId, Key), KeyError> {
            match spec.trim().split_once(':') {
                Some((id, material)) => {
                    let id: u8 = id.trim().parse().map_err(|_| KeyError::BadKeyId)?;
                    if id == 0 {
                        return Err(KeyError::BadKeyId);
                    }
                    Ok((KeyId(id), Key::from_material(material)?))
                }
                None => Ok((KeyId::DEFAULT, Key::from_material(spec)?)),
            }
        }
        let older = previous
            .iter()
            .map(|spec| parse(spec))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(parse(primary)?, older)
    }

    /// A fresh random key as standard base64, for `.env` files in development.
    pub fn generate_key_base64() -> String {
        STANDARD.encode(Key::generate().0.as_slice())
    }

    /// One key per key of this cipher (primary first) for another use, such as signing the
    /// cursors handed to callers: HMAC-SHA256 of `purpose` under each key. One-way, so what uses
    /// them learns nothing of the encryption keys, and a rotation rotates them too.
    pub fn derive_keys(&self, purpose: &str) -> Vec<Zeroizing<[u8; KEY_LEN]>> {
        use hmac::{Hmac, Mac};
        self.inner
            .raw
            .iter()
            .map(|key| {
                let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.0.as_slice())
                    .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
                mac.update(purpose.as_bytes());
                Zeroizing::new(mac.finalize().into_bytes().into())
            })
            .collect()
    }

    /// The id of the key new values are encrypted with.
    pub fn primary_key_id(&self) -> KeyId {
        self.inner.primary
    }

    /// Encrypts `plaintext`, binding `aad` (e.g. the storage key) to it. Returns the envelope.
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, StoreError> {
        let id = self.inner.primary;
        let aead = self.key(id).ok_or_else(|| corrupt("primary key missing"))?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut envelope = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        envelope.extend_from_slice(VERSION);
        envelope.push(id.0);
        envelope.extend_from_slice(&nonce);
        let full_aad = associated_data(&envelope[..VERSION.len() + 1], aad);
        let ciphertext = aead
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &full_aad,
                },
            )
            // Only fails for inputs of gigabytes.
            .map_err(|_| corrupt("value too large to encrypt"))?;
        envelope.extend_from_slice(&ciphertext);
        Ok(envelope)
    }

    /// Decrypts an envelope written by [`Cipher::encrypt`] with the same `aad`.
    ///
    /// Fails with [`StoreError::Corrupt`] on an unknown format, an unknown key id, tampering, or
    /// a different `aad`.
    pub fn decrypt(&self, envelope: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        if envelope.len() < HEADER_LEN + TAG_LEN {
            return Err(corrupt("encrypted value is truncated"));
        }
        if &envelope[..VERSION.len()] != VERSION {
            return Err(corrupt("unknown encryption envelope version"));
        }
        let id = KeyId(envelope[VERSION.len()]);
        let aead = self.key(id).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "value was encrypted with key id {id}, which is not configured"
            ))
        })?;
        let nonce = XNonce::from_slice(&envelope[VERSION.len() + 1..HEADER_LEN]);
        let full_aad = associated_data(&envelope[..VERSION.len() + 1], aad);
        aead.decrypt(
            nonce,
            Payload {
                msg: &envelope[HEADER_LEN..],
                aad: &full_aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| {
            corrupt("value failed authentication (tampered, moved to another key, or wrong key)")
        })
    }

    fn key(&self, id: KeyId) -> Option<&XChaCha20Poly1305> {
        self.inner
            .keys
            .iter()
            .find(|(known, _)| *known == id)
            .map(|(_, aead)| aead)
    }
}

/// Header (version and key id) followed by the caller's associated data.
fn associated_data(header: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut full = Vec::with_capacity(header.len() + aad.len());
    full.extend_from_slice(header);
    full.extend_from_slice(aad);
    full
}

fn corrupt(message: &str) -> StoreError {
    StoreError::Corrupt(message.to_owned())
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cipher")
            .field("primary", &self.inner.primary)
            .field(
                "keys",
                &self
                    .inner
                    .keys
                    .iter()
                    .map(|(id, _)| *id)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests;
