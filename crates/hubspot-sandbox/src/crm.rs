//! `GET /crm/v3/objects/{objectType}`: the paged list endpoint of HubSpot's CRM v3 objects API.
//!
//! Checks run in HubSpot's order: injected faults, authentication, scopes, the rolling rate
//! limit, then the request itself. Rate-limit headers are added to every response that was
//! counted against the limit.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use crate::Sandbox;
use crate::config::OverLimit;
use crate::respond;
use crate::seed::{ObjectType, Record};
use crate::state::{Bearer, Injected};

const MAX_LIMIT: usize = 100;
const DEFAULT_LIMIT: usize = 10;

fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn validation_error(message: &str) -> HttpResponse {
    respond::api_error(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
}

/// The query parameters of a list call, after validation.
struct ListQuery {
    limit: usize,
    after: Option<u64>,
    properties: Vec<String>,
    archived: bool,
    pairs: Vec<(String, String)>,
}

fn parse_query(raw: &str, over_limit: OverLimit) -> Result<ListQuery, HttpResponse> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    let mut query = ListQuery {
        limit: DEFAULT_LIMIT,
        after: None,
        properties: Vec::new(),
        archived: false,
        pairs: Vec::new(),
    };
    for (key, value) in &pairs {
        match key.as_str() {
            "limit" => {
                let limit: usize = value.trim().parse().map_err(|_| {
                    validation_error(&format!(
                        "Invalid value for 'limit': '{value}' is not an integer."
                    ))
                })?;
                query.limit = match (limit, over_limit) {
                    (0, _) => {
                        return Err(validation_error(
                            "Invalid value for 'limit': must be at least 1.",
                        ));
                    }
                    (n, OverLimit::Reject) if n > MAX_LIMIT => {
                        return Err(validation_error(&format!(
                            "Invalid value for 'limit': {n}. The maximum number of records per page is {MAX_LIMIT}."
                        )));
                    }
                    (n, _) => n.min(MAX_LIMIT),
                };
            }
            "after" => {
                // HubSpot's cursors are numeric-looking strings; anything else is rejected.
                let after = value.trim().parse::<u64>().map_err(|_| {
                    validation_error(&format!(
                        "Invalid value for 'after': '{value}' is not a valid paging cursor."
                    ))
                })?;
                query.after = Some(after);
            }
            "properties" => {
                for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    if !query.properties.iter().any(|p| p == name) {
                        query.properties.push(name.to_owned());
                    }
                }
            }
            "archived" => query.archived = value.eq_ignore_ascii_case("true"),
            _ => {}
        }
    }
    query.pairs = pairs.into_iter().filter(|(k, _)| k != "after").collect();
    Ok(query)
}

fn render(record: &Record, object_type: ObjectType, requested: &[String]) -> Value {
    let mut properties = Map::new();
    let defaults: Vec<String>;
    let requested = if requested.is_empty() {
        defaults = object_type
            .default_properties()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        &defaults
    } else {
        requested
    };
    let known = object_type.known_properties();
    // Unknown property names are ignored; known ones without a value come back as null.
    for name in requested
        .iter()
        .map(String::as_str)
        .chain(object_type.always_properties().iter().copied())
    {
        if known.contains(&name) {
            let value = record
                .properties
                .get(name)
                .map_or(Value::Null, |v| Value::String(v.clone()));
            properties.insert(name.to_owned(), value);
        }
    }
    json!({
        "id": record.id.to_string(),
        "properties": properties,
        "createdAt": crate::time::format(record.created_at),
        "updatedAt": crate::time::format(record.updated_at),
        "archived": false,
    })
}

fn next_link(req: &HttpRequest, pairs: &[(String, String)], after: &str) -> String {
    let info = req.connection_info();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .append_pair("after", after)
        .finish();
    format!("{}://{}{}?{query}", info.scheme(), info.host(), req.path())
}

pub(crate) async fn list(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    object_type: web::Path<String>,
) -> HttpResponse {
    let latency = sandbox.shared.lock().knobs.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let hub_id = sandbox.shared.portal.hub_id;
    let (check, over_limit, object) = {
        let mut state = sandbox.shared.lock();
        state.stats.objects += 1;
        if let Some(injected) = state.take_fault() {
            return match injected {
                Injected::RateLimited => {
                    let check = state.exhausted_rate();
                    let group = format!("publicapi:oauth:sandbox:{hub_id}");
                    respond::rate_limited(&group, check, state.knobs.send_retry_after)
                }
                Injected::Fail(status) => respond::server_error(status),
                Injected::Malformed => respond::malformed("{\"results\": [{\"id\": \"1"),
            };
        }
        let Some(token) = bearer_token(&req) else {
            return respond::missing_auth();
        };
        let (app_id, scopes) = match state.bearer(token) {
            Bearer::Valid { app_id, scopes } => (app_id, scopes),
            Bearer::Expired { ago, at } => return respond::expired_auth(ago, at),
            Bearer::Unknown => return respond::invalid_auth(),
        };
        let object = ObjectType::parse(object_type.as_str());
        if let Some(object) = object {
            let required = format!("crm.objects.{}.read", object.name());
            // The legacy `contacts` scope covered all CRM objects and is still honoured.
            if state.knobs.enforce_scopes
                && !scopes.iter().any(|s| *s == required || s == "contacts")
            {
                return respond::missing_scopes(&required);
            }
        }
        let check = state.check_rate(app_id);
        if let Some(check) = check.filter(|c| !c.allowed) {
            state.stats.rate_limited += 1;
            tracing::debug!(app_id, "hubspot sandbox: rate limit reached");
            let group = format!("publicapi:oauth:{app_id}:{hub_id}");
            return respond::rate_limited(&group, Some(check), state.knobs.send_retry_after);
        }
        (check, state.knobs.over_limit, object)
    };
    let mut response = match object {
        None => respond::api_error(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            &format!("Unable to infer object type from: {}", object_type.as_str()),
        ),
        Some(object) => match parse_query(req.query_string(), over_limit) {
            Err(response) => response,
            Ok(query) => page(&sandbox, &req, object, &query),
        },
    };
    if let Some(check) = check {
        respond::add_rate_headers(&mut response, check);
    }
    response
}

fn page(
    sandbox: &Sandbox,
    req: &HttpRequest,
    object: ObjectType,
    query: &ListQuery,
) -> HttpResponse {
    // No seeded record is archived, so the archived listing is empty.
    let records: &[Record] = if query.archived {
        &[]
    } else {
        sandbox.shared.records.of(object)
    };
    let start = query
        .after
        .map_or(0, |after| records.partition_point(|r| r.id < after));
    let end = (start + query.limit).min(records.len());
    let results: Vec<Value> = records[start..end]
        .iter()
        .map(|r| render(r, object, &query.properties))
        .collect();
    let mut body = json!({ "results": results });
    if let Some(next) = records.get(end) {
        let after = next.id.to_string();
        body["paging"] = json!({
            "next": { "after": after, "link": next_link(req, &query.pairs, &after) }
        });
    }
    respond::json(StatusCode::OK, &body)
}
