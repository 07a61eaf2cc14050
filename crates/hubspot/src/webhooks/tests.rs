use chrono::Utc;

use super::*;

const SECRET: &str = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
const URI: &str = "https://example.com/api/webhooks/hubspot";

fn hooks() -> HubSpotWebhooks {
    HubSpotWebhooks::new(SECRET.to_owned().into())
}

/// HubSpot's recipe, written out separately from the code under test.
fn sign(secret: &str, method: &str, uri: &str, body: &str, timestamp: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{method}{uri}{body}{timestamp}").as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

fn verify_with(
    headers: &[(&str, &str)],
    uri: &str,
    body: &str,
    received_at: DateTime<Utc>,
) -> Result<Verified, WebhookError> {
    hooks().verify(&WebhookRequest {
        method: "POST",
        uri,
        headers,
        body: body.as_bytes(),
        received_at,
    })
}

const BODY: &str = r#"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#;

#[test]
fn a_request_signed_as_hubspot_documents_is_accepted_once_per_signature() {
    let now = Utc::now();
    let ts = now.timestamp_millis().to_string();
    let signature = sign(SECRET, "POST", URI, BODY, &ts);
    let headers = [
        ("x-hubspot-signature-v3", signature.as_str()),
        ("x-hubspot-request-timestamp", ts.as_str()),
    ];
    let verified = verify_with(&headers, URI, BODY, now).unwrap();
    assert_eq!(verified.nonce, signature);
    assert!(verified.valid_for >= MAX_SIGNATURE_AGE);
}

#[test]
fn forged_tampered_stale_and_unsigned_requests_are_refused() {
    let now = Utc::now();
    let ts = now.timestamp_millis().to_string();
    let good = sign(SECRET, "POST", URI, BODY, &ts);
    let refused = |headers: &[(&str, &str)], uri: &str, body: &str, at| {
        matches!(
            verify_with(headers, uri, body, at),
            Err(WebhookError::Unauthenticated(_))
        )
    };
    let signed = |sig: &str, ts: &str| {
        [
            ("X-HubSpot-Signature-v3", sig.to_owned()),
            ("X-HubSpot-Request-Timestamp", ts.to_owned()),
        ]
    };
    let pairs = |h: &[(&'static str, String); 2]| -> Vec<(&'static str, String)> { h.to_vec() };
    let check = |h: Vec<(&'static str, String)>, uri: &str, body: &str, at| {
        let borrowed: Vec<(&str, &str)> = h.iter().map(|(n, v)| (*n, v.as_str())).collect();
        refused(&borrowed, uri, body, at)
    };
    // Another secret.
    let forged = sign("another-secret", "POST", URI, BODY, &ts);
    assert!(check(pairs(&signed(&forged, &ts)), URI, BODY, now));
    // The body, the URI, the method or the timestamp changed after signing.
    assert!(check(
        pairs(&signed(&good, &ts)),
        URI,
        &BODY.replace("123", "124"),
        now
    ));
    assert!(check(
        pairs(&signed(&good, &ts)),
        "https://example.com/other",
        BODY,
        now
    ));
    let get = sign(SECRET, "GET", URI, BODY, &ts);
    assert!(check(pairs(&signed(&get, &ts)), URI, BODY, now));
    let later = (now.timestamp_millis() + 1).to_string();
    assert!(check(pairs(&signed(&good, &later)), URI, BODY, now));
    // Stale: signed six minutes ago (a replay of a captured request), or six minutes ahead.
    for offset in [-6 * 60_000, 6 * 60_000] {
        let ts = (now.timestamp_millis() + offset).to_string();
        let sig = sign(SECRET, "POST", URI, BODY, &ts);
        assert!(check(pairs(&signed(&sig, &ts)), URI, BODY, now), "{offset}");
    }
    // Four minutes old is still fine.
    let ts4 = (now.timestamp_millis() - 4 * 60_000).to_string();
    let sig4 = sign(SECRET, "POST", URI, BODY, &ts4);
    assert!(!check(pairs(&signed(&sig4, &ts4)), URI, BODY, now));
    // Missing or unreadable headers.
    assert!(refused(&[], URI, BODY, now));
    assert!(refused(
        &[("X-HubSpot-Signature-v3", &good)],
        URI,
        BODY,
        now
    ));
    assert!(check(pairs(&signed(&good, "yesterday")), URI, BODY, now));
    assert!(check(pairs(&signed("%%%not base64", &ts)), URI, BODY, now));
    // The legacy v1 signature alone is not enough.
    assert!(refused(
        &[
            (
                "X-HubSpot-Signature",
                "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
            ),
            ("X-HubSpot-Signature-Version", "v1")
        ],
        URI,
        BODY,
        now
    ));
}

#[test]
fn the_uri_is_signed_with_hubspots_encoded_characters_decoded() {
    let now = Utc::now();
    let ts = now.timestamp_millis().to_string();
    let sent = "https://example.com/api/webhooks/hubspot?tag=a%3Ab%2Cc%20d";
    // HubSpot signs `:` and `,` decoded, `%20` (not in its table) as sent.
    let signed_as = "https://example.com/api/webhooks/hubspot?tag=a:b,c%20d";
    let signature = sign(SECRET, "POST", signed_as, BODY, &ts);
    let headers = [
        ("X-HubSpot-Signature-v3", signature.as_str()),
        ("X-HubSpot-Request-Timestamp", ts.as_str()),
    ];
    assert!(verify_with(&headers, sent, BODY, now).is_ok());
    assert_eq!(
        signed_uri("a%3a%2f%3F%40%21%24%27%28%29%2A%2C%3B%25%2"),
        "a:/?@!$'()*,;%25%2"
    );
}

fn parse(body: &str) -> Result<Vec<InboundEvent>, WebhookError> {
    hooks().parse(body.as_bytes())
}

#[test]
fn every_documented_event_kind_reads_as_the_common_shape() {
    let body = r#"[
      {"eventId":1,"subscriptionId":1,"portalId":62515,"appId":54321,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW"},
      {"eventId":2,"subscriptionId":2,"portalId":62515,"appId":54321,"occurredAt":1564113600001,"subscriptionType":"contact.propertyChange","attemptNumber":0,"objectId":123,"propertyName":"lifecyclestage","propertyValue":"lead","changeSource":"CRM"},
      {"eventId":3,"subscriptionId":3,"portalId":62515,"appId":54321,"occurredAt":1564113600002,"subscriptionType":"company.deletion","attemptNumber":0,"objectId":9,"changeFlag":"DELETED"},
      {"eventId":4,"subscriptionId":4,"portalId":62515,"appId":54321,"occurredAt":1564113600003,"subscriptionType":"contact.privacyDeletion","attemptNumber":0,"objectId":124},
      {"eventId":5,"subscriptionId":5,"portalId":62515,"appId":54321,"occurredAt":1564113600004,"subscriptionType":"contact.merge","attemptNumber":0,"objectId":200,"primaryObjectId":200,"mergedObjectIds":[200,201],"newObjectId":202,"numberOfPropertiesMoved":4},
      {"eventId":6,"subscriptionId":6,"portalId":62515,"appId":54321,"occurredAt":1564113600005,"subscriptionType":"contact.associationChange","attemptNumber":0,"associationType":"CONTACT_TO_COMPANY","fromObjectId":123,"toObjectId":9,"associationRemoved":true,"isPrimaryAssociation":false},
      {"eventId":7,"subscriptionId":7,"portalId":62515,"appId":54321,"occurredAt":1564113600006,"subscriptionType":"object.creation","objectTypeId":"0-3","attemptNumber":0,"objectId":"77"},
      {"eventId":8,"subscriptionId":8,"portalId":62515,"appId":54321,"occurredAt":1564113600007,"subscriptionType":"object.propertyChange","objectTypeId":"2-3456789","attemptNumber":0,"objectId":5,"propertyName":"size","propertyValue":"10"},
      {"eventId":9,"subscriptionId":9,"portalId":62515,"appId":54321,"occurredAt":1564113600008,"subscriptionType":"conversation.creation","attemptNumber":0,"objectId":1},
      {"eventId":10,"subscriptionId":10,"portalId":777,"appId":54321,"occurredAt":1564113600009,"subscriptionType":"deal.restore","attemptNumber":0,"objectId":3}
    ]"#;
    let events = parse(body).unwrap();
    let shape: Vec<(String, EventKind, String, String)> = events
        .iter()
        .map(|e| {
            (
                e.account.clone(),
                e.event.kind,
                e.event.object_type.clone(),
                e.event.id.clone(),
            )
        })
        .collect();
    let row = |a: &str, k, t: &str, id: &str| (a.to_owned(), k, t.to_owned(), id.to_owned());
    assert_eq!(
        shape,
        [
            row("62515", EventKind::Upsert, "contacts", "123"),
            row("62515", EventKind::Upsert, "contacts", "123"),
            row("62515", EventKind::Delete, "companies", "9"),
            row("62515", EventKind::Delete, "contacts", "124"),
            row("62515", EventKind::Merge, "contacts", "202"),
            row("62515", EventKind::Association, "contacts", "123"),
            row("62515", EventKind::Upsert, "deals", "77"),
            row("62515", EventKind::Upsert, "2-3456789", "5"),
            row("777", EventKind::Upsert, "deals", "3"),
        ],
        "conversation events are skipped, the rest mapped"
    );
    assert_eq!(
        events[1].event.property,
        Some(PropertyChange {
            name: "lifecyclestage".into(),
            value: Some("lead".into())
        })
    );
    assert_eq!(events[4].event.merged_ids, ["200", "201"]);
    assert_eq!(
        events[5].event.associated,
        Some(AssociatedRecord {
            object_type: "companies".into(),
            id: "9".into(),
            removed: true
        })
    );
    assert_eq!(
        events[0].event.occurred_at.timestamp_millis(),
        1_564_113_600_000
    );
}

#[test]
fn a_retry_has_the_same_identity_and_a_different_event_does_not() {
    let one = |attempt: u32, event_id: u32, at: u64| {
        format!(
            r#"[{{"eventId":{event_id},"subscriptionId":1,"portalId":62515,"appId":5,"occurredAt":{at},"subscriptionType":"contact.creation","attemptNumber":{attempt},"objectId":123}}]"#
        )
    };
    let identity = |body: String| parse(&body).unwrap().remove(0).identity;
    let first = identity(one(0, 1, 1_564_113_600_000));
    assert_eq!(first, identity(one(3, 1, 1_564_113_600_000)), "a retry");
    // HubSpot's eventId is not unique: the same id with another time is another event.
    assert_ne!(first, identity(one(0, 1, 1_564_113_600_001)));
    assert_ne!(first, identity(one(0, 2, 1_564_113_600_000)));
    // Key order does not matter.
    let reordered = r#"[{"objectId":123,"attemptNumber":0,"subscriptionType":"contact.creation","occurredAt":1564113600000,"appId":5,"portalId":62515,"subscriptionId":1,"eventId":1}]"#;
    assert_eq!(first, identity(reordered.to_owned()));
}

#[test]
fn a_body_that_is_not_hubspots_format_is_malformed() {
    for body in [
        "",
        "{}",
        "not json",
        "[1]",
        r#"[{"subscriptionType":"contact.creation","objectId":1,"occurredAt":1}]"#,
        r#"[{"portalId":{"x":1},"subscriptionType":"contact.creation","objectId":1,"occurredAt":1}]"#,
    ] {
        assert!(
            matches!(parse(body), Err(WebhookError::Malformed(_))),
            "{body:?}"
        );
    }
    assert!(parse("[]").unwrap().is_empty());
}
