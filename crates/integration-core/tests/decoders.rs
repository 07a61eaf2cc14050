//! Every decoder of a token a client hands back (cursors, checkpoints, resume tokens, the kit's
//! child cursors) on any input: never a panic, and a refusal is always `InvalidInput` (a 400),
//! never an error that reads as the provider's or ours. Inputs are arbitrary text, and also
//! base64url of arbitrary JSON in the tokens' own envelope, so the decoders' inner layers are
//! reached, not only their first check.
//!
//! `DECODER_CASES` sets the number of cases (default 100,000 per property; a few seconds).
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_core::kit::ChildCursor;
use integration_core::{ChangesResume, Checkpoint, Cursor, Error, Seal};
use proptest::prelude::*;
use serde_json::{Value, json};

fn config() -> ProptestConfig {
    let cases = std::env::var("DECODER_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100_000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: if std::env::var_os("PROPTEST_RANDOM").is_some() {
            proptest::test_runner::RngSeed::Random
        } else {
            proptest::test_runner::RngSeed::Fixed(0x5EED_0016)
        },
        ..ProptestConfig::default()
    }
}

/// A tenth of the cases: each case computes HMACs, slow in an unoptimised test build.
fn seal_config() -> ProptestConfig {
    let base = config();
    ProptestConfig {
        cases: (base.cases / 10).max(1),
        ..base
    }
}

/// Any JSON leaf, and the values a forger tries.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        Just(Value::from("")),
        Just(Value::from("u18446744073709551615")),
        Just(Value::from("d99999999999999999999")),
        Just(Value::from("2026-11-25T10:00:00Z")),
        Just(Value::from("+275760-09-13T00:00:00Z")),
        Just(Value::from("-262143-01-01T00:00:00Z")),
    ]
}

/// A token in the checkpoint/resume envelope with forged fields.
fn forged_token() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(json!(1)), leaf()],
        leaf(),
        leaf(),
        leaf(),
        leaf(),
        any::<u8>(),
    )
        .prop_map(|(v, since, until, object_type, cursor, drop)| {
            let mut token = json!({"v": v, "since": since, "until": until, "object_type": object_type, "cursor": cursor});
            let keys = ["v", "since", "until", "object_type", "cursor"];
            if let Some(key) = keys.get(usize::from(drop) % 8) {
                token.as_object_mut().unwrap().remove(*key);
            }
            URL_SAFE_NO_PAD.encode(token.to_string())
        })
}

fn any_token() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,64}",
        "[!-~]{0,64}",
        "[A-Za-z0-9_-]{0,200}",
        forged_token(),
        ("[ud~0-9]{0,3}", "[!-~]{0,40}").prop_map(|(a, b)| format!("{a}{b}")),
    ]
}

fn refused_as_input<T: std::fmt::Debug>(result: Result<T, Error>) -> Result<(), TestCaseError> {
    if let Err(error) = result {
        prop_assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn client_tokens_never_panic_and_are_refused_as_bad_input(raw in any_token()) {
        refused_as_input(Checkpoint::decode(&raw))?;
        refused_as_input(ChangesResume::decode(&raw))?;
        if let Ok(cursor) = Cursor::parse(raw.clone()) {
            refused_as_input(cursor.unwrap_provider())?;
            refused_as_input(ChildCursor::parse(Some(&cursor)))?;
            // A decoded resume token's cursor went through `Cursor::parse` too.
            if let Ok(resume) = ChangesResume::decode(&raw) {
                prop_assert!(Cursor::parse(resume.cursor.as_str().to_owned()).is_ok());
            }
        }
        refused_as_input(Cursor::unwrap_provider_text(&raw))?;
    }

    /// What we issue always decodes to what we meant.
    #[test]
    fn issued_tokens_round_trip(provider in "\\PC{1,200}", since in 0i64..4_000_000_000, len in 0i64..100_000) {
        let cursor = Cursor::wrap(&provider).unwrap();
        prop_assert_eq!(cursor.unwrap_provider().unwrap(), provider);
        let since = chrono::DateTime::from_timestamp(since, 0).unwrap();
        let resume = ChangesResume {
            since,
            until: since + chrono::Duration::seconds(len),
            object_type: Some("contacts".into()),
            cursor,
        };
        prop_assert_eq!(ChangesResume::decode(&resume.encode()).unwrap(), resume);
    }
}

proptest! {
    #![proptest_config(seal_config())]

    /// The seal every token we hand out carries: nothing unsigned opens, whatever it is, and
    /// what is signed opens in its own context only.
    #[test]
    fn only_sealed_tokens_open(raw in any_token()) {
        let seal = Seal::derive(["decoders"]);
        prop_assert!(matches!(seal.open(&["items", "p", "u"], &raw, "cursor"), Err(Error::InvalidInput(_))));
        let signed = seal.sign(&["items", "p", "u"], &raw);
        prop_assert!(seal.open(&["items", "p", "v"], &signed, "cursor").is_err());
        prop_assert_eq!(seal.open(&["items", "p", "u"], &signed, "cursor").unwrap(), raw.as_str());
    }
}
