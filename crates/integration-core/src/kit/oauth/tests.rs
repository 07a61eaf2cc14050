//! The OAuth client against canned answers: token parsing, error mapping, consent URLs.

use super::*;

fn answer(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: reqwest::header::HeaderMap::new(),
        body: Some(body.as_bytes().to_vec()),
    }
}

fn client() -> OAuthClient {
    let url = |s: &str| Url::parse(s).unwrap();
    let mut config = OAuthConfig::new(
        "id",
        "s3cr3t-value".to_owned().into(),
        url("https://p.example/authorize"),
        url("https://p.example/token"),
    );
    config.error_aliases = &[("BAD_REFRESH_TOKEN", "invalid_grant")];
    OAuthClient::new(config, reqwest::Client::new())
}

#[test]
fn token_responses_become_credentials_and_extras_without_tokens() {
    let now = Utc::now();
    let token = parse_token(
        &answer(200, r#"{"access_token":"AT","refresh_token":"RT","expires_in":"3600","token_type":"Bearer","scope":"a b","workspace_name":"Acme","owner":{"user":{"id":"u1"}}}"#),
        now,
    )
    .unwrap();
    assert_eq!(
        token.credentials.expires_at,
        Some(now + chrono::Duration::hours(1))
    );
    assert_eq!(token.credentials.scopes, ["a", "b"]);
    assert_eq!(token.extra(&["workspace_name"]).as_deref(), Some("Acme"));
    assert_eq!(token.extra(&["owner", "user", "id"]).as_deref(), Some("u1"));
    let text = format!("{token:?}");
    assert!(!text.contains("AT\"") && !text.contains("RT"), "{text}");
    for bad in [
        r#"{"access_token":""}"#,
        r#"{"access_token":"a","token_type":"mac"}"#,
        r#"{"access_token":"a","expires_in":-5}"#,
        r#"{"access_token":"a","expires_in":1e300}"#,
        "[]",
        "nope",
    ] {
        assert!(
            matches!(
                parse_token(&answer(200, bad), now),
                Err(Error::InvalidResponse(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn token_errors_map_to_rfc_6749_meanings_and_never_echo_secrets() {
    let c = client();
    let secrets = ["s3cr3t-value", "the-code"];
    let e = c.token_error(
        Grant::RefreshToken,
        &answer(400, r#"{"status":"BAD_REFRESH_TOKEN","message":"gone"}"#),
        &secrets,
    );
    assert!(matches!(e, Error::ReauthRequired { .. }), "{e:?}");
    let e = c.token_error(
        Grant::AuthorizationCode,
        &answer(
            400,
            r#"{"error":"invalid_grant","error_description":"code the-code used"}"#,
        ),
        &secrets,
    );
    assert!(
        matches!(&e, Error::Rejected { code, .. } if code == "invalid_grant"),
        "{e:?}"
    );
    assert!(!e.to_string().contains("the-code"), "{e}");
    let e = c.token_error(
        Grant::RefreshToken,
        &answer(
            401,
            r#"{"error":"invalid_client","error_description":"secret s3cr3t-value wrong"}"#,
        ),
        &secrets,
    );
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(!e.to_string().contains("s3cr3t"), "{e}");
    assert!(matches!(
        c.token_error(Grant::RefreshToken, &answer(503, ""), &secrets),
        Error::Upstream { status: 503 }
    ));
    assert!(matches!(
        c.token_error(Grant::RefreshToken, &answer(429, ""), &secrets),
        Error::RateLimited { .. }
    ));
    assert!(matches!(
        c.token_error(Grant::AuthorizationCode, &answer(400, "<html>"), &secrets),
        Error::Upstream { status: 400 }
    ));
}

/// HubSpot's 2026-03 spec requires only `category`, `correlationId` and `message` in an
/// error; whatever a refused refresh carries (or omits), the user is asked to reconnect.
#[test]
fn a_refresh_refused_with_any_body_shape_means_reconnect() {
    let c = client();
    let minimal = r#"{"category":"VALIDATION_ERROR","correlationId":"aeb5f871-7f07-4993-9211-075dc63e7cbf","message":"missing or invalid refresh token"}"#;
    for status in [400, 401] {
        for body in [
            minimal,
            "",
            "<html><body>Bad Request</body></html>",
            "{}",
            "[]",
            r#"{"message":"x"}"#,
        ] {
            let e = c.token_error(Grant::RefreshToken, &answer(status, body), &[]);
            assert!(
                matches!(e, Error::ReauthRequired { .. }),
                "{status} {body}: {e:?}"
            );
        }
    }
    let e = c.token_error(Grant::RefreshToken, &answer(403, minimal), &[]);
    assert!(matches!(e, Error::Rejected { .. }), "{e:?}");
    let e = c.token_error(
        Grant::RefreshToken,
        &answer(400, r#"{"error":"invalid_client"}"#),
        &[],
    );
    assert!(matches!(e, Error::Config(_)), "{e:?}");
}

#[test]
fn the_consent_url_carries_what_rfc_6749_and_7636_require() {
    let mut config = client().config.clone();
    config.scopes = vec!["a".into(), "b".into()];
    config.scope_separator = ",";
    config.extra_auth_params = vec![("owner".into(), "user".into())];
    let c = OAuthClient::new(config, reqwest::Client::new());
    let state = crate::OAuthState::generate();
    let verifier = PkceVerifier::generate();
    let challenge = verifier.challenge();
    let url = c
        .authorization_url(&AuthorizationRequest {
            state: &state,
            redirect_uri: "https://app/cb",
            pkce_challenge: Some(&challenge),
            extra_scopes: &[],
        })
        .unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "a,b");
    assert_eq!(q["owner"], "user");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"], challenge.as_str());
    assert_eq!(q["state"], state.as_str());
    assert!(!url.as_str().contains("s3cr3t"));
}

#[test]
fn extra_scopes_join_the_configured_ones_once() {
    let mut config = client().config.clone();
    config.scopes = vec!["a".into(), "b".into()];
    let c = OAuthClient::new(config, reqwest::Client::new());
    let state = crate::OAuthState::generate();
    let url = c
        .authorization_url(&AuthorizationRequest {
            state: &state,
            redirect_uri: "https://app/cb",
            pkce_challenge: None,
            extra_scopes: &["b", "c"],
        })
        .unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["scope"], "a b c");
}

mod fuzz {
    use proptest::prelude::*;

    use super::*;

    fn json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            "\\PC{0,20}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("access_token".to_owned()),
                        Just("refresh_token".to_owned()),
                        Just("expires_in".to_owned()),
                        Just("token_type".to_owned()),
                        Just("scope".to_owned()),
                        Just("scopes".to_owned()),
                        "[a-z_]{1,8}",
                    ],
                    inner,
                    0..6,
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 2_000,
            failure_persistence: None,
            rng_seed: if std::env::var_os("PROPTEST_RANDOM").is_some() {
                proptest::test_runner::RngSeed::Random
            } else {
                proptest::test_runner::RngSeed::Fixed(0x5EED_0008)
            },
            ..ProptestConfig::default()
        })]

        /// Any 2xx body: no panic; failures are `InvalidResponse`; success never has an empty
        /// access token; no token text in `Debug`.
        #[test]
        fn token_responses_never_panic_or_leak(value in json(), bytes in prop::collection::vec(any::<u8>(), 0..64), raw in any::<bool>()) {
            let body = if raw { bytes } else { value.to_string().into_bytes() };
            match parse_token(&answer(200, &String::from_utf8_lossy(&body)), Utc::now()) {
                Ok(token) => {
                    let access = token.credentials.access_token.expose_secret().to_owned();
                    prop_assert!(!access.is_empty());
                    let debug = format!("{token:?}");
                    prop_assert!(access.len() < 4 || !debug.contains(&access), "{debug}");
                }
                Err(error) => prop_assert!(matches!(error, Error::InvalidResponse(_)), "{error:?}"),
            }
        }

        /// Any error answer echoing what we sent: the error names none of it.
        #[test]
        fn token_errors_never_echo_secrets(
            status in prop_oneof![400u16..=404, Just(429u16), 500u16..=503],
            code in "[A-Za-z_]{0,12}",
            prefix in "\\PC{0,300}",
            refresh in any::<bool>(),
        ) {
            let c = client();
            let secrets = ["s3cr3t-value", "the-code-0123456789"];
            let body = serde_json::json!({
                "error": format!("{code}{}", secrets[1]),
                "error_description": format!("{prefix}{} {}", secrets[0], secrets[1]),
            });
            let grant = if refresh { Grant::RefreshToken } else { Grant::AuthorizationCode };
            let error = c.token_error(grant, &answer(status, &body.to_string()), &secrets);
            let text = format!("{error} {error:?}");
            for secret in secrets {
                prop_assert!(!text.contains(&secret[..12]), "{text}");
            }
        }
    }
}
