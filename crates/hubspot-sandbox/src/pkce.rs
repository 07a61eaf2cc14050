//! PKCE (RFC 7636) for the authorization code grant: the `S256` challenge check.
//!
//!
//! The digest is RustCrypto's `sha2`, the same crate the connector uses to make the challenge.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

fn sha256(input: &[u8]) -> [u8; 32] {
    Sha256::digest(input).into()
}

/// `BASE64URL(SHA256(verifier))`, the `S256` transformation of RFC 7636 §4.2.
pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()))
}

fn unreserved(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// A well-formed `S256` challenge: 43 characters of unpadded base64url (a 32-byte digest).
pub(crate) fn valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// A well-formed verifier: 43 to 128 unreserved characters (RFC 7636 §4.1).
pub(crate) fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len()) && unreserved(verifier)
}

/// Whether `verifier` proves possession for `challenge` (`S256` only).
pub(crate) fn verify(challenge: &str, verifier: &str) -> bool {
    valid_verifier(verifier) && s256(verifier) == challenge
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha256_matches_the_fips_180_vectors() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // Two blocks: the padding spills over.
        assert_eq!(
            hex(&sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(s256(verifier), challenge);
        assert!(valid_challenge(challenge));
        assert!(verify(challenge, verifier));
        assert!(!verify(challenge, &verifier.replace('d', "e")));
        // `plain` would compare the verifier itself: never accepted.
        assert!(!verify(verifier, verifier));
    }

    #[test]
    fn malformed_verifiers_and_challenges_are_rejected() {
        assert!(!valid_verifier("short"));
        assert!(!valid_verifier(&"a".repeat(129)));
        assert!(!valid_verifier(&format!("{}!", "a".repeat(43))));
        assert!(valid_verifier(&"a".repeat(43)));
        assert!(!valid_challenge("abc"));
        assert!(!valid_challenge(&format!("{}=", "a".repeat(42))));
    }
}
