//! HubSpot's request signatures, computed by the sender exactly as receivers are told to
//! check them ("Validating requests from HubSpot").
//!
//! - v3 (`X-HubSpot-Signature-v3`): base64 of HMAC-SHA256, keyed with the app's client secret,
//!   over the UTF-8 of `method + requestUri + requestBody + timestamp`, where `requestUri` is
//!   the full target URL and `timestamp` the `X-HubSpot-Request-Timestamp` header (epoch ms).
//!   Receivers are told to decode a fixed list of percent-escapes in the URI before hashing, so
//!   the sender signs the URI with those escapes decoded ([`signed_uri`]).
//! - v1 (`X-HubSpot-Signature`, `X-HubSpot-Signature-Version: v1`), still what the docs name
//!   for CRM-object webhooks: hex of SHA-256 over `client secret + requestBody`.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The escapes the docs list for decoding in the v3 `requestUri` (either case of hex digit).
const DECODED: [(&str, char); 12] = [
    ("%3A", ':'),
    ("%2F", '/'),
    ("%3F", '?'),
    ("%40", '@'),
    ("%21", '!'),
    ("%24", '$'),
    ("%27", '\''),
    ("%28", '('),
    ("%29", ')'),
    ("%2A", '*'),
    ("%2C", ','),
    ("%3B", ';'),
];

/// The target URL as it enters the v3 signature: the listed percent-escapes decoded, the
/// rest verbatim.
pub(crate) fn signed_uri(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let escape = rest.get(at..at + 3);
        match escape.and_then(|e| {
            DECODED
                .iter()
                .find(|(code, _)| code.eq_ignore_ascii_case(e))
                .map(|&(_, c)| c)
        }) {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `X-HubSpot-Signature-v3` for a request.
pub(crate) fn v3(secret: &str, method: &str, url: &str, body: &[u8], timestamp_ms: i64) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(method.as_bytes());
    mac.update(signed_uri(url).as_bytes());
    mac.update(body);
    mac.update(timestamp_ms.to_string().as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `X-HubSpot-Signature` (version v1) for a request body.
pub(crate) fn v1(secret: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(secret.as_bytes());
    hash.update(body);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers published with @hubspot/api-client's signature tests (and reused by
    // third-party verifiers): not computed by this code.
    const SECRET: &str = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
    const BODY: &str = r#"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#;

    #[test]
    fn v1_matches_hubspots_known_answer() {
        assert_eq!(
            v1(SECRET, BODY.as_bytes()),
            "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
        );
    }

    #[test]
    fn v3_matches_the_known_answer_with_or_without_listed_escapes() {
        for url in [
            "https://www.example.com/webhook_uri?x=a:b",
            "https://www.example.com/webhook_uri?x=a%3Ab",
            "https://www.example.com/webhook_uri?x=a%3ab",
        ] {
            assert_eq!(
                v3(SECRET, "POST", url, BODY.as_bytes(), 1_700_000_000_000),
                "pGaqipPiYpnRzTHQquj/LJH83HMaMUaJ132HqlEOjx8=",
                "{url}"
            );
        }
        assert_ne!(
            v3(
                "other",
                "POST",
                "https://www.example.com/webhook_uri?x=a:b",
                BODY.as_bytes(),
                1_700_000_000_000
            ),
            "pGaqipPiYpnRzTHQquj/LJH83HMaMUaJ132HqlEOjx8="
        );
    }

    #[test]
    fn only_the_listed_escapes_are_decoded() {
        assert_eq!(
            signed_uri("http://h/p?a=%20%3a%2f%25%zz%"),
            "http://h/p?a=%20:/%25%zz%"
        );
    }
}
