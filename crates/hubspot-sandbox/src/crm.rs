//! `GET /crm/v3/objects/{objectType}`: the paged list endpoint of HubSpot's CRM v3 objects API.
//!
//! Checks run in HubSpot's order: injected faults, authentication, scopes, the daily cap, the
//! rolling rate limit, then the request itself ([`admit`], shared with search). Rate-limit
//! headers are added to every response that was counted against a limit.

use std::sync::MutexGuard;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use crate::Sandbox;
use crate::config::OverLimit;
use crate::contract::{Contract, Roll, Vary, What};
use crate::cursor::{self, Kind};
use crate::respond;
use crate::seed::{ObjectType, Record, salt};
use crate::state::{DailyCheck, Injected, RateCheck, State};
use crate::store::{self, Mutations};

const MAX_LIMIT: usize = 100;
const DEFAULT_LIMIT: usize = 10;

pub(crate) fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

pub(crate) fn validation_error(message: &str) -> HttpResponse {
    respond::api_error(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
}

/// The query parameters of a list call, after validation.
struct ListQuery {
    limit: usize,
    /// The position the `after` cursor carries (the first id to list).
    after: Option<u64>,
    properties: Vec<String>,
    archived: bool,
    pairs: Vec<(String, String)>,
}

fn bad_cursor(value: &str) -> HttpResponse {
    let shown: String = value.chars().take(64).collect();
    validation_error(&format!(
        "Invalid value for 'after': '{shown}' is not a valid paging cursor. Pass \
         paging.next.after back exactly as it was returned."
    ))
}

fn parse_query(
    raw: &str,
    over_limit: OverLimit,
    seed: u64,
    object: ObjectType,
) -> Result<ListQuery, HttpResponse> {
    let mut after: Option<String> = None;
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
            // Opaque: decoded below, once `archived` is known.
            "after" => after = Some(value.clone()),
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
    if let Some(after) = after {
        let kind = if query.archived {
            Kind::Archived
        } else {
            Kind::List
        };
        query.after =
            Some(cursor::open(seed, kind, object, &after).ok_or_else(|| bad_cursor(&after))?);
    }
    query.pairs = pairs.into_iter().filter(|(k, _)| k != "after").collect();
    Ok(query)
}

/// What a record's rendering depends on beyond the record: the contract (which optional
/// fields it has) and the portal (its `url`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shaping<'a> {
    pub contract: Contract,
    pub hub_id: u64,
    pub hublet: Option<&'a str>,
    /// The portal's property definitions: a requested property the type defines but records
    /// do not carry (a custom one, say) comes back as `null`.
    pub properties: &'a crate::properties::Properties,
}

impl Shaping<'_> {
    /// `object`'s id in record URLs: the custom object's is the portal's `2-…`.
    fn type_id(&self, object: ObjectType) -> &str {
        if object.is_custom() {
            &self.properties.custom.object_type_id
        } else {
            object.type_id()
        }
    }

    /// `url`, the spec's optional "Direct URL for this object in the portal".
    fn url(&self, object: ObjectType, id: u64) -> Option<String> {
        let present = match self.contract.record_url {
            Vary::On => true,
            Vary::Off => false,
            Vary::Seeded => {
                self.hublet.is_some()
                    || self
                        .contract
                        .decide(Vary::Seeded, What::Url, id ^ salt(object), 50)
            }
        };
        let host = match self.hublet {
            None | Some("na1") => "app.hubspot.com".to_owned(),
            Some(hublet) => format!("app-{hublet}.hubspot.com"),
        };
        present.then(|| {
            format!(
                "https://{host}/contacts/{}/record/{}/{id}",
                self.hub_id,
                self.type_id(object)
            )
        })
    }
}

/// A record as the v3 APIs render it: the requested properties (or `defaults`) plus those
/// HubSpot always includes, `null` for a known property without a value.
pub(crate) fn render(
    record: &Record,
    object_type: ObjectType,
    requested: &[String],
    defaults: &[&'static str],
    shaping: &Shaping<'_>,
) -> Value {
    let mut properties = Map::new();
    let known = object_type.known_properties();
    let requested: Box<dyn Iterator<Item = &str>> = if requested.is_empty() {
        Box::new(defaults.iter().copied())
    } else {
        Box::new(requested.iter().map(String::as_str))
    };
    // Unknown property names are ignored; known ones without a value come back as null.
    for name in requested.chain(object_type.always_properties().iter().copied()) {
        if known.contains(&name) || shaping.properties.defines(object_type, name) {
            let value = record
                .properties
                .get(name)
                .map_or(Value::Null, |v| Value::String(v.clone()));
            properties.insert(name.to_owned(), value);
        }
    }
    let format = |at| crate::time::format_digits(at, record.digits);
    let mut body = json!({
        "id": record.id.to_string(),
        "properties": properties,
        "createdAt": format(record.created_at),
        "updatedAt": format(record.updated_at),
        "archived": record.archived_at.is_some(),
    });
    // `archivedAt` is optional in `SimplePublicObject`: some archived records lack it.
    let omit_archived_at = shaping.contract.decide(
        shaping.contract.omit_optional,
        What::ArchivedAt,
        record.id ^ salt(object_type),
        30,
    );
    if let Some(at) = record.archived_at.filter(|_| !omit_archived_at) {
        body["archivedAt"] = Value::String(format(at));
    }
    if let Some(url) = shaping.url(object_type, record.id) {
        body["url"] = Value::String(url);
    }
    body
}

/// `paging.next.link`: absolute, or relative (`?…`, as in the spec's `NextPage` example), or
/// `None` (it is optional). The cursor is form-encoded in it, so following the link hands the
/// cursor back byte for byte.
fn next_link(
    req: &HttpRequest,
    pairs: &[(String, String)],
    after: &str,
    roll: &mut Roll,
) -> Option<String> {
    if roll.vary(roll.contract.omit_optional, 30) {
        return None;
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .append_pair("after", after)
        .finish();
    if roll.vary(roll.contract.relative_links, 25) {
        return Some(format!("?{query}"));
    }
    let info = req.connection_info();
    Some(format!(
        "{}://{}{}?{query}",
        info.scheme(),
        info.host(),
        req.path()
    ))
}

/// Which CRM endpoint a request is for: they share checks but not every limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    List,
    Search,
    BatchRead,
    /// `GET /crm/v3/properties/{objectType}`.
    Properties,
    /// `GET /crm-object-schemas/v3/schemas`.
    Schemas,
    /// `POST /crm/v4/associations/{from}/{to}/batch/read`.
    Associations,
    /// `GET /crm/v4/associations/{from}/{to}/labels`.
    AssociationLabels,
}

/// What a request must have been granted: any one of `accepted`; a refusal (403
/// `MISSING_SCOPES`) names `required`.
#[derive(Clone, Debug)]
pub(crate) struct Needs {
    pub accepted: Vec<String>,
    pub required: String,
}

impl Needs {
    /// Reading records of `object`, as the type's spec lists its `security` (any one scope
    /// suffices; a refusal names the first):
    ///
    /// - contacts, companies, deals: `crm.objects.<type>.read`, or the legacy `contacts`
    ///   scope, which covered them and is still honoured;
    /// - tickets: `tickets` alone;
    /// - products, line items, quotes: `crm.objects.<type>.read` or `e-commerce`;
    /// - calls, meetings, notes, tasks: `crm.objects.contacts.read` (their specs), or the
    ///   type's own `crm.objects.<type>.read` (the generic objects spec);
    /// - emails: the same, or `sales-email-read`;
    /// - the custom object: `crm.objects.custom.read`.
    pub(crate) fn read(object: ObjectType) -> Self {
        let own = format!("crm.objects.{}.read", object.name());
        let list: Vec<String> = match object {
            ObjectType::Contacts | ObjectType::Companies | ObjectType::Deals => {
                vec![own, "contacts".to_owned()]
            }
            ObjectType::Tickets => vec!["tickets".to_owned()],
            ObjectType::Products | ObjectType::LineItems | ObjectType::Quotes => {
                vec![own, "e-commerce".to_owned()]
            }
            ObjectType::Calls | ObjectType::Meetings | ObjectType::Notes | ObjectType::Tasks => {
                vec!["crm.objects.contacts.read".to_owned(), own]
            }
            ObjectType::Emails => vec![
                "crm.objects.contacts.read".to_owned(),
                "sales-email-read".to_owned(),
                own,
            ],
            ObjectType::Pets => vec!["crm.objects.custom.read".to_owned()],
        };
        Self {
            required: list.first().cloned().unwrap_or_default(),
            accepted: list,
        }
    }

    fn granted(&self, scopes: &[&str]) -> bool {
        scopes.iter().any(|s| self.accepted.iter().any(|a| a == s))
    }
}

/// The limits a request passed (and was counted against).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Gate {
    pub over_limit: OverLimit,
    pub burst: Option<RateCheck>,
    pub daily: Option<DailyCheck>,
    /// Whether a 429 of this request carries `Retry-After` (decided once, before the checks).
    pub send_retry_after: bool,
}

impl Gate {
    /// Adds the rate-limit headers of the checks this request was counted against.
    pub(crate) fn finish(&self, mut response: HttpResponse) -> HttpResponse {
        if let Some(check) = self.burst {
            respond::add_rate_headers(&mut response, check);
        }
        if let Some(daily) = self.daily {
            respond::add_daily_headers(&mut response, daily);
        }
        response
    }
}

/// A request that passed faults, authentication, scopes and every limit.
pub(crate) struct Admitted {
    /// `None` for an unknown object type (answered 404 after the limits, as HubSpot does).
    pub object: Option<ObjectType>,
    pub over_limit: OverLimit,
    pub gate: Gate,
    /// A snapshot of the object type's mutations, taken under the lock.
    pub mutations: Mutations,
}

/// Shapes a finished CRM answer as the contract says: error bodies (minimal or full), 429
/// headers.
pub(crate) fn shape(response: HttpResponse, roll: &mut Roll) -> HttpResponse {
    let response = respond::vary_rate_headers(response, roll);
    let shape = respond::error_shape(roll, false);
    respond::reshape(response, shape)
}

impl Admitted {
    /// Adds the rate-limit headers of the checks this request was counted against.
    pub(crate) fn finish(&self, response: HttpResponse) -> HttpResponse {
        self.gate.finish(response)
    }
}

/// Admits a request to a CRM endpoint for a known object type ([`check`]), with the contract's
/// roll for its answer; or the finished answer refusing it (an unknown object type is a 404
/// after the limits, as HubSpot does).
pub(crate) async fn admit(
    sandbox: &Sandbox,
    req: &HttpRequest,
    object_type: &str,
    endpoint: Endpoint,
) -> Result<(Admitted, ObjectType, Roll), HttpResponse> {
    let mut roll = sandbox.shared.lock().roll();
    let admitted = match check(sandbox, req, object_type, endpoint, &mut roll).await {
        Ok(admitted) => admitted,
        Err(response) => return Err(shape(response, &mut roll)),
    };
    match admitted.object {
        Some(object) => Ok((admitted, object, roll)),
        None => Err(shape(
            admitted.finish(unknown_object(object_type)),
            &mut roll,
        )),
    }
}

/// Runs the checks every CRM endpoint shares, in HubSpot's order: injected faults,
/// authentication, scopes (`needs`; `None`: none checked), the daily cap, the burst limit.
/// Returns the state, still locked, with the limits passed.
pub(crate) async fn gate<'a>(
    sandbox: &'a Sandbox,
    req: &HttpRequest,
    endpoint: Endpoint,
    needs: Option<&Needs>,
    roll: &mut Roll,
) -> Result<(MutexGuard<'a, State>, Gate), HttpResponse> {
    // HubSpot's edge refuses a request line too long before the API sees it (what portals with
    // hundreds of properties meet when they list them all in a URL).
    let uri = req.uri().to_string();
    if uri.len() > crate::MAX_REQUEST_URI {
        sandbox.shared.lock().stats.uri_too_long += 1;
        return Err(HttpResponse::build(actix_web::http::StatusCode::URI_TOO_LONG)
            .content_type("text/html")
            .body("<html><head><title>414 Request-URI Too Large</title></head><body><center><h1>414 Request-URI Too Large</h1></center></body></html>"));
    }
    let latency = sandbox.shared.lock().knobs.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let hub_id = sandbox.shared.portal.hub_id;
    let mut state = sandbox.shared.lock();
    match endpoint {
        Endpoint::List => state.stats.objects += 1,
        Endpoint::Search => state.stats.search += 1,
        Endpoint::BatchRead => state.stats.batch_read += 1,
        Endpoint::Properties => state.stats.properties += 1,
        Endpoint::Schemas => state.stats.schemas += 1,
        Endpoint::Associations => state.stats.associations += 1,
        Endpoint::AssociationLabels => state.stats.association_labels += 1,
    }
    let send_retry_after = respond::retry_after(state.knobs.send_retry_after, roll);
    if let Some(injected) = state.take_fault() {
        return Err(match injected {
            Injected::RateLimited => {
                let check = state.exhausted_rate();
                let group = format!("publicapi:oauth:sandbox:{hub_id}");
                respond::rate_limited(&group, check, send_retry_after)
            }
            Injected::Fail(status) => respond::server_error(status, roll),
            Injected::Malformed => match endpoint {
                Endpoint::List => respond::malformed("{\"results\": [{\"id\": \"1"),
                Endpoint::Search => respond::malformed("{\"total\": 1, \"results\": [{\"id\": \"1"),
                Endpoint::BatchRead => {
                    respond::malformed("{\"status\": \"COMPLETE\", \"results\": [{\"id\": \"1")
                }
                Endpoint::Properties => respond::malformed("{\"results\": [{\"name\": \"first"),
                Endpoint::Schemas => respond::malformed("{\"results\": [{\"id\": \"2-"),
                Endpoint::Associations => respond::malformed(
                    "{\"status\": \"COMPLETE\", \"results\": [{\"from\": {\"id\": \"1",
                ),
                Endpoint::AssociationLabels => {
                    respond::malformed("{\"results\": [{\"category\": \"HUBSPOT_")
                }
            },
        });
    }
    let Some(token) = bearer_token(req) else {
        return Err(respond::missing_auth());
    };
    let Some(grant) = sandbox.oauth.access_token(token) else {
        return Err(respond::invalid_auth());
    };
    if let (false, Some(at), Some(wall)) = (grant.is_active(), grant.expires, grant.expires_at) {
        let ago = std::time::Instant::now().saturating_duration_since(at);
        return Err(respond::expired_auth(ago, wall));
    }
    let app_id = state.app_id(&grant.grant.client_id);
    let scopes: Vec<&str> = grant.grant.scope.split(' ').collect();
    if let Some(needs) = needs
        && state.knobs.enforce_scopes
        && !needs.granted(&scopes)
    {
        return Err(respond::missing_scopes(&needs.required, roll));
    }
    let group = format!("publicapi:oauth:{app_id}:{hub_id}");
    let daily = state.check_daily();
    if let Some(daily) = daily.filter(|d| !d.allowed) {
        state.stats.rate_limited += 1;
        tracing::debug!(app_id, "hubspot sandbox: daily limit reached");
        return Err(respond::daily_limited(&group, daily, send_retry_after));
    }
    // CRM search, the associations v4 batch read and labels are exempt from the ten-second
    // limit (`x-hubspot-rate-limit-exemptions: ten-secondly` in the published specs; search has
    // its own limit, checked after this); the daily limit still counts them.
    let exempt = matches!(
        endpoint,
        Endpoint::Search | Endpoint::Associations | Endpoint::AssociationLabels
    );
    let burst = if exempt {
        None
    } else {
        state.check_rate(app_id)
    };
    if let Some(check) = burst.filter(|c| !c.allowed) {
        state.stats.rate_limited += 1;
        tracing::debug!(app_id, "hubspot sandbox: rate limit reached");
        let mut response = respond::rate_limited(&group, Some(check), send_retry_after);
        if let Some(daily) = daily {
            respond::add_daily_headers(&mut response, daily);
        }
        return Err(response);
    }
    let over_limit = state.knobs.over_limit;
    Ok((
        state,
        Gate {
            over_limit,
            burst,
            daily,
            send_retry_after,
        },
    ))
}

/// [`gate`] for the records endpoints (list, search, batch read), then (search only) the
/// search limit.
async fn check(
    sandbox: &Sandbox,
    req: &HttpRequest,
    object_type: &str,
    endpoint: Endpoint,
    roll: &mut Roll,
) -> Result<Admitted, HttpResponse> {
    let hub_id = sandbox.shared.portal.hub_id;
    let object = sandbox.shared.properties.object(object_type);
    let needs = object.map(Needs::read);
    let (mut state, gate) = gate(sandbox, req, endpoint, needs.as_ref(), roll).await?;
    let admitted = Admitted {
        object,
        over_limit: gate.over_limit,
        gate,
        mutations: object.map(|o| state.mutations(o)).unwrap_or_default(),
    };
    if endpoint == Endpoint::Search
        && let Some(check) = state.check_search_rate().filter(|c| !c.allowed)
    {
        state.stats.rate_limited += 1;
        tracing::debug!("hubspot sandbox: search rate limit reached");
        let group = format!("publicapi:crm-search:{hub_id}");
        return Err(admitted.finish(respond::search_rate_limited(
            &group,
            check,
            gate.send_retry_after,
        )));
    }
    Ok(admitted)
}

pub(crate) fn unknown_object(object_type: &str) -> HttpResponse {
    respond::api_error(
        StatusCode::NOT_FOUND,
        "OBJECT_NOT_FOUND",
        &format!("Unable to infer object type from: {object_type}"),
    )
}

pub(crate) async fn list(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    object_type: web::Path<String>,
) -> HttpResponse {
    let admission = admit(&sandbox, &req, object_type.as_str(), Endpoint::List).await;
    let (admitted, object, mut roll) = match admission {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let response = match parse_query(
        req.query_string(),
        admitted.over_limit,
        roll.contract.seed,
        object,
    ) {
        Err(response) => response,
        Ok(query) => page(
            &sandbox,
            &req,
            object,
            &query,
            &admitted.mutations,
            &mut roll,
        ),
    };
    shape(admitted.finish(response), &mut roll)
}

fn page(
    sandbox: &Sandbox,
    req: &HttpRequest,
    object: ObjectType,
    query: &ListQuery,
    mutations: &Mutations,
    roll: &mut Roll,
) -> HttpResponse {
    let catalog = &sandbox.shared.catalog;
    let defaults = object.default_properties();
    let shaping = sandbox.shaping(roll.contract);
    let rendered = |index| {
        let record = store::record(catalog, object, index, mutations);
        render(&record, object, &query.properties, defaults, &shaping)
    };
    let mut results = Vec::with_capacity(query.limit);
    let mut next = None;
    if query.archived {
        // Only mutated records can be archived, so the map is the whole archived listing.
        let mut archived = mutations
            .range(query.after.unwrap_or(0)..)
            .filter(|(_, m)| m.archived_ms.is_some() && !m.deleted)
            .filter_map(|(&id, _)| catalog.index_of(object, id));
        results.extend(archived.by_ref().take(query.limit).map(rendered));
        next = archived.next().map(|index| catalog.id(object, index));
    } else {
        let count = catalog.count(object);
        let mut index = query
            .after
            .map_or(0, |after| catalog.lower_bound(object, after));
        while index < count {
            let id = catalog.id(object, index);
            if store::is_live(id, mutations) {
                if results.len() == query.limit {
                    next = Some(id);
                    break;
                }
                results.push(rendered(index));
            }
            index += 1;
        }
    }
    let mut body = json!({ "results": results });
    if let Some(next) = next {
        let kind = if query.archived {
            Kind::Archived
        } else {
            Kind::List
        };
        let after = cursor::issue(roll, kind, object, next);
        let mut next = json!({ "after": after });
        if let Some(link) = next_link(req, &query.pairs, &after, roll) {
            next["link"] = Value::String(link);
        }
        body["paging"] = json!({ "next": next });
    }
    respond::json(StatusCode::OK, &body)
}
