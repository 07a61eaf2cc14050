#![doc = include_str!("../README.md")]
//! Salesforce from sandbox-kit: the web-server flow with PKCE required, client credentials in
//! the body, token answers as Salesforce gives them (`instance_url` naming this sandbox's mount,
//! the identity URL `id`, `issued_at`, `signature`; no `expires_in`; refresh tokens reused),
//! and the REST API's query resource over 450 contacts, 60 accounts and 120 opportunities:
//! `GET /services/data/v60.0/query?q=SELECT … FROM …` (just enough SOQL: the field list and the
//! object), then `GET /services/data/v60.0/query/{locator}-{offset}` for further batches of 200
//! (or what `Sforce-Query-Options: batchSize=` asks, 200 to 2000). Every answer carries
//! `Sforce-Limit-Info: api-usage={calls}/15000`; errors are Salesforce's arrays
//! (`[{"message", "errorCode"}]`), 401 `INVALID_SESSION_ID` for an expired session.
#![warn(missing_docs)]

use std::time::Duration;

use actix_web::HttpResponse;
use base64::Engine as _;
use sandbox_kit::{ApiCall, ApiResult, ApiSandbox, ClientAuthMethods, Grant, OAuthHooks};
use sandbox_kit::{OAuthSandbox, OAuthSandboxConfig, Pkce, ProviderSandbox, Refresh};
use sandbox_kit::{RegisteredClient, paging, seed};
use serde_json::{Map, Value, json};

/// The REST API's query resource (the provider's API version).
pub const QUERY: &str = "/services/data/v60.0/query";
/// The org's daily API allowance, as `Sforce-Limit-Info` reports it.
pub const DAILY_LIMIT: u64 = 15_000;
/// The org id in identity URLs.
pub const ORG_ID: &str = "00D5g000004SbxQEAS";

/// The sandbox for `client` (a `sandbox_kit::SandboxBuilder`).
pub fn sandbox(client: RegisteredClient) -> Box<dyn ProviderSandbox> {
    let config = OAuthSandboxConfig {
        permissions: vec![
            "Access and manage your data (api)".into(),
            "Perform requests at any time (refresh_token, offline_access)".into(),
        ],
        token_path: "/services/oauth2/token",
        revoke_path: Some("/services/oauth2/revoke"),
        client_auth: ClientAuthMethods::BODY,
        pkce: Pkce::Required,
        // The org's session timeout; Salesforce does not say it (see `Answers`).
        access_ttl: Some(Duration::from_secs(2 * 3600)),
        refresh: Refresh::Reuse,
        api_base_field: Some("instance_url"),
        token_type: "Bearer",
        unauthorized_code: "INVALID_SESSION_ID",
        api_error: |e| json!([{"message": e.message, "errorCode": e.code}]),
        ..OAuthSandboxConfig::new("Salesforce", "the Acme org", client)
    };
    let oauth = OAuthSandbox::with_hooks(config, Answers);
    ApiSandbox::new(oauth, "")
        .get(QUERY, query)
        .get("/services/data/v60.0/query/{locator}", more)
        .boxed()
}

/// Token answers as Salesforce's: no `expires_in`, the identity URL on the instance, the time
/// issued in milliseconds and a signature over both.
struct Answers;

impl OAuthHooks for Answers {
    fn token_answer(&self, body: &mut Map<String, Value>, _: &Grant) {
        body.remove("expires_in");
        let instance = body.get("instance_url").and_then(Value::as_str);
        let id = format!(
            "{}/id/{ORG_ID}/0055g00000AbCdEAAV",
            instance.unwrap_or_default()
        );
        let issued = chrono::Utc::now().timestamp_millis().to_string();
        let bytes: Vec<u8> = (0..4)
            .flat_map(|i| seed::hash(&format!("{id}{issued}"), i).to_le_bytes())
            .collect();
        let signature = base64::engine::general_purpose::STANDARD.encode(bytes);
        body.extend([
            ("id".to_owned(), id.into()),
            ("issued_at".to_owned(), issued.into()),
            ("signature".to_owned(), signature.into()),
        ]);
    }
}

/// An sObject the sandbox holds: its name, id prefix, how many and its fields.
struct Object(&'static str, &'static str, usize, &'static [&'static str]);

const OBJECTS: [Object; 3] = [
    Object(
        "Contact",
        "003",
        450,
        &[
            "Id",
            "Name",
            "FirstName",
            "LastName",
            "Email",
            "Title",
            "AccountId",
            "CreatedDate",
            "LastModifiedDate",
        ],
    ),
    Object(
        "Account",
        "001",
        60,
        &[
            "Id",
            "Name",
            "Website",
            "Industry",
            "Type",
            "CreatedDate",
            "LastModifiedDate",
        ],
    ),
    Object(
        "Opportunity",
        "006",
        120,
        &[
            "Id",
            "Name",
            "StageName",
            "Amount",
            "CloseDate",
            "AccountId",
            "CreatedDate",
            "LastModifiedDate",
        ],
    ),
];

/// An 18-character id, in index order.
fn id(prefix: &str, i: usize) -> String {
    format!("{prefix}5g0000{i:06}AAE")
}

/// Record `i` of object `o`, every field.
fn record(o: usize, i: usize) -> Value {
    let Object(name, prefix, _, _) = OBJECTS[o];
    let created = seed::time(name, i);
    let modified = created + chrono::Duration::minutes((seed::hash(name, i) % 90_000) as i64);
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string();
    let id = id(prefix, i);
    let company = format!(
        "{} {}",
        seed::pick("co", i % 60, &["Acme", "Globex", "Initech", "Umbrella"]),
        i % 60 + 1
    );
    let url = format!("/services/data/v60.0/sobjects/{name}/{id}");
    let mut r = json!({"attributes": {"type": name, "url": url}, "Id": id,
        "CreatedDate": at(created), "LastModifiedDate": at(modified)});
    let fields = match o {
        0 => {
            let first = seed::pick("first", i, &["Ann", "Ben", "Chloé", "Dev", "Eve", "Femi"]);
            let last = seed::pick("last", i, &["Lee", "Okafor", "Novak", "Silva", "Tanaka"]);
            json!({"Name": format!("{first} {last}"), "FirstName": first, "LastName": last,
                "Email": format!("{}.{}{i}@example.com", first.to_lowercase(), last.to_lowercase()),
                "Title": seed::pick("title", i, &["CEO", "Buyer", "Engineer", "Analyst"]),
                "AccountId": self::id("001", i % 60)})
        }
        1 => json!({"Name": company, "Website": format!("https://www.company{}.example", i + 1),
            "Industry": seed::pick("industry", i, &["Technology", "Retail", "Energy"]),
            "Type": seed::pick("type", i, &["Customer - Direct", "Prospect", "Partner"])}),
        _ => json!({"Name": format!("{company} — renewal {}", i + 1),
            "StageName": seed::pick("stage", i, &["Prospecting", "Negotiation/Review", "Closed Won"]),
            "Amount": (seed::hash("amount", i) % 500 + 1) * 1000, "CloseDate": at(modified)[..10].to_owned(),
            "AccountId": self::id("001", i % 60)}),
    };
    if let (Some(r), Value::Object(fields)) = (r.as_object_mut(), fields) {
        r.extend(fields);
    }
    r
}

/// A parsed query: the object and the fields selected (a bit each), batches of `batch`.
struct Soql {
    object: usize,
    fields: u32,
    batch: usize,
}

impl Soql {
    /// `SELECT a, b FROM Object …`: just the field list and the object; the rest (`ORDER BY Id`)
    /// is what the sandbox does anyway.
    fn parse(call: &ApiCall<'_>, soql: &str) -> Result<Self, HttpResponse> {
        let bad = |code, message: String| call.error(400, code, &message);
        let upper = soql.to_ascii_uppercase();
        let (select, from) = upper
            .strip_prefix("SELECT ")
            .and_then(|s| s.split_once(" FROM "))
            .ok_or_else(|| {
                bad(
                    "MALFORMED_QUERY",
                    "unexpected token: expected SELECT … FROM".into(),
                )
            })?;
        // Upper-casing ASCII keeps offsets: name things as the query spelled them.
        let (select, from) = (&soql[7..7 + select.len()], &soql[soql.len() - from.len()..]);
        let name = from.split_whitespace().next().unwrap_or_default();
        let object = OBJECTS.iter().position(|o| o.0.eq_ignore_ascii_case(name));
        let object = object.ok_or_else(|| {
            bad(
                "INVALID_TYPE",
                format!("sObject type '{name}' is not supported."),
            )
        })?;
        let mut fields = 0;
        for field in select.split(',').map(str::trim) {
            let at = OBJECTS[object]
                .3
                .iter()
                .position(|f| f.eq_ignore_ascii_case(field));
            let at = at.ok_or_else(|| {
                let entity = OBJECTS[object].0;
                bad(
                    "INVALID_FIELD",
                    format!("No such column '{field}' on entity '{entity}'."),
                )
            })?;
            fields |= 1 << at;
        }
        let asked = call
            .header("sforce-query-options")
            .and_then(|o| o.strip_prefix("batchSize="));
        let batch = asked.and_then(|b| b.trim().parse().ok()).unwrap_or(200);
        Ok(Self {
            object,
            fields,
            batch: usize::clamp(batch, 200, 2000),
        })
    }

    /// The query locator's id: `01g`, then the object, fields and batch size, in 18 characters.
    fn locator(&self) -> String {
        format!(
            "01g{:X}{:04X}{:03X}0000000",
            self.object, self.fields, self.batch
        )
    }

    fn from_locator(locator: &str) -> Option<Self> {
        let hex = locator.strip_prefix("01g")?.strip_suffix("0000000")?;
        let parse = |r: std::ops::Range<usize>| usize::from_str_radix(hex.get(r)?, 16).ok();
        let (object, fields, batch) = (parse(0..1)?, parse(1..5)?, parse(5..8)?);
        (hex.len() == 8 && object < OBJECTS.len() && (200..=2000).contains(&batch)).then_some(())?;
        Some(Self {
            object,
            fields: u32::try_from(fields).ok()?,
            batch,
        })
    }

    /// The batch from `offset`, with the selected fields (and `attributes`).
    fn answer(&self, call: &ApiCall<'_>, offset: usize) -> ApiResult {
        let Object(_, _, total, fields) = OBJECTS[self.object];
        let window = paging::offset_window(total, offset, self.batch);
        let selected = |(k, _): &(&String, &Value)| {
            *k == "attributes"
                || fields
                    .iter()
                    .enumerate()
                    .any(|(b, f)| f == k && self.fields & (1 << b) != 0)
        };
        let records: Vec<Value> = window
            .range
            .map(|i| {
                let r = record(self.object, i);
                let kept = r.as_object().into_iter().flatten().filter(selected);
                Value::Object(kept.map(|(k, v)| (k.clone(), v.clone())).collect())
            })
            .collect();
        let mut body =
            json!({"totalSize": total, "done": window.next_offset.is_none(), "records": records});
        if let Some(next) = window.next_offset {
            body["nextRecordsUrl"] = format!("{QUERY}/{}-{next}", self.locator()).into();
        }
        let usage = format!("api-usage={}/{DAILY_LIMIT}", call.sandbox.stats().api_calls);
        Ok(HttpResponse::Ok()
            .insert_header(("Sforce-Limit-Info", usage))
            .json(body))
    }
}

fn query(call: &ApiCall<'_>) -> ApiResult {
    let params: std::collections::HashMap<String, String> = call.query()?;
    let soql = params
        .get("q")
        .ok_or_else(|| call.error(400, "MALFORMED_QUERY", "A query string has to be specified"))?;
    Soql::parse(call, soql)?.answer(call, 0)
}

/// A further batch: `{locator}-{offset}`, the offset within the results.
fn more(call: &ApiCall<'_>) -> ApiResult {
    let raw = call.request.match_info().get("locator").unwrap_or_default();
    let parsed = raw.split_once('-').and_then(|(locator, offset)| {
        let soql = Soql::from_locator(locator)?;
        let offset: usize = offset.parse().ok()?;
        (offset < OBJECTS[soql.object].2).then_some((soql, offset))
    });
    let (soql, offset) =
        parsed.ok_or_else(|| call.error(400, "INVALID_QUERY_LOCATOR", "invalid query locator"))?;
    soql.answer(call, offset)
}
