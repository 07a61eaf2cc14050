//! Introspection answers (`parse_info`): whatever the server sends, the access token it echoes
//! never reaches `Debug` or an error's text, and an answer the 2026-03 spec allows is read.

use integration_core::Error;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{any_body, config, mutate, object, to_bytes, token};
use crate::token::parse_info;

proptest! {
    #![proptest_config(config())]

    /// `parse_info` on anything and on almost-valid introspection answers that carry the token:
    /// never panics, fails only with `InvalidResponse`, keeps fields trimmed, non-empty and short,
    /// and never keeps the token.
    #[test]
    fn token_info_never_keeps_the_token(
        body in any_body(),
        access in token(),
        fields in (
            mutate(any::<bool>().prop_map(Value::Bool)),
            mutate("\\PC{0,40}".prop_map(Value::String)),
            mutate("\\PC{0,40}".prop_map(Value::String)),
            mutate(any::<u32>().prop_map(Value::from)),
        ),
        structured in any::<bool>(),
    ) {
        let body = if structured {
            let (active, domain, user, hub_id) = fields;
            to_bytes(&object([
                ("active".to_owned(), active),
                ("hub_domain".to_owned(), domain),
                ("user".to_owned(), user),
                ("hub_id".to_owned(), hub_id),
                ("token".to_owned(), Some(Value::String(access.clone()))),
                ("token_use".to_owned(), Some(Value::from("access_token"))),
            ]))
        } else {
            body
        };
        match parse_info(&body) {
            Ok(info) => {
                for text in [&info.hub_domain, &info.user].into_iter().flatten() {
                    prop_assert!(!text.is_empty() && text.chars().count() <= 256);
                    prop_assert_eq!(text.trim(), text.as_str());
                }
                prop_assert!(info.hub_id.as_ref().is_none_or(|h| !h.is_empty()));
                let debug = format!("{info:?}");
                prop_assert!(!debug.contains(&access), "{debug}");
            }
            Err(error) => {
                prop_assert!(matches!(error, Error::InvalidResponse(_)), "{error:?}");
                let text = format!("{error:?} {error}");
                prop_assert!(!text.contains(&access), "{text}");
            }
        }
    }

    /// An introspection answer as the 2026-03 spec allows it: the required fields, the optional
    /// `user` and `hub_domain` present or not, any strings: never an error, and the portal and
    /// scopes are what it said.
    #[test]
    fn introspection_answers_the_spec_allows_are_read(
        hub_id in 1u32..=i32::MAX as u32,
        scopes in prop::collection::vec("[a-z.]{1,40}", 0..8),
        user in proptest::option::of("\\PC{0,40}"),
        domain in proptest::option::of("\\PC{0,40}"),
        access in token(),
    ) {
        let mut body = json!({
            "active": true, "app_id": 1, "client_id": "c", "expires_in": 1800, "hub_id": hub_id,
            "is_private_distribution": false, "scopes": scopes, "signed_access_token": {},
            "token": access, "token_type": "bearer", "token_use": "access_token", "user_id": 9,
        });
        if let Some(user) = &user {
            body["user"] = Value::from(user.clone());
        }
        if let Some(domain) = &domain {
            body["hub_domain"] = Value::from(domain.clone());
        }
        let info = parse_info(&to_bytes(&body)).unwrap();
        prop_assert_eq!(info.hub_id, Some(hub_id.to_string()));
        prop_assert_eq!(info.scopes, scopes);
        let debug = format!("{:?}", parse_info(&to_bytes(&body)));
        prop_assert!(!debug.contains(&access), "{debug}");
    }
}
