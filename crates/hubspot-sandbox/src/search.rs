//! `POST /crm/v3/objects/{objectType}/search`: HubSpot's CRM search over the generated records.
//!
//! Follows the `PublicObjectSearchRequest` / `CollectionResponseWithTotalSimplePublicObject`
//! schemas of `PublicApiSpecs/CRM/Objects/Rollouts/424/v3/objects.json` and the limits of
//! HubSpot's "CRM search" guide: at most 200 results a page, at most 10,000 results a query
//! (an `after` at or past 10,000 is a 400), one sort, five filter groups of at most six filters
//! (18 in all), 5 requests a second per portal, archived records never found.
//!
//! A search scans the ids in the requested range in order, evaluating the filters on the cheap
//! generated fields (id, `createdate`, last-modified date) and generating a full record only
//! for filters on other properties. Sorting by a date keeps only the best `after + limit`
//! (≤ 10,200) candidates in a heap, so a request allocates O(page window), not O(portal).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Sandbox;
use crate::contract::Contract;
use crate::crm::{Endpoint, admit, render, shape, unknown_object, validation_error};
use crate::cursor::{self, Kind};
use crate::respond;
use crate::seed::{Catalog, ObjectType, Record, salt};
use crate::store::{self, Mutations, View};

/// Most results one page returns.
pub(crate) const MAX_LIMIT: usize = 200;
const DEFAULT_LIMIT: usize = 10;
/// Most results a query can page through.
pub(crate) const MAX_RESULTS: usize = 10_000;
const MAX_GROUPS: usize = 5;
const MAX_FILTERS_PER_GROUP: usize = 6;
const MAX_FILTERS: usize = 18;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    #[serde(default)]
    filter_groups: Vec<GroupBody>,
    #[serde(default)]
    sorts: Vec<SortBody>,
    #[serde(default)]
    properties: Vec<String>,
    limit: Option<Scalar>,
    after: Option<Scalar>,
    query: Option<String>,
}

#[derive(Deserialize)]
struct GroupBody {
    #[serde(default)]
    filters: Vec<FilterBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FilterBody {
    property_name: String,
    operator: String,
    value: Option<Scalar>,
    high_value: Option<Scalar>,
    values: Option<Vec<Scalar>>,
}

/// The spec types `sorts` as strings (a property name, ascending); HubSpot's guide sends
/// `{"propertyName", "direction"}` objects. Both are accepted.
#[derive(Deserialize)]
#[serde(untagged)]
enum SortBody {
    Name(String),
    Full {
        #[serde(rename = "propertyName")]
        property_name: String,
        direction: Option<String>,
    },
}

/// HubSpot's values are strings, but clients often send numbers; both are accepted.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Number(n) => n.to_string(),
            Self::Bool(b) => b.to_string(),
        }
    }
}

/// A property the search can read cheaply, or any other known property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Id,
    Created,
    Modified,
    Other(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Between,
    In,
    NotIn,
    HasProperty,
    NotHasProperty,
    ContainsToken,
    NotContainsToken,
}

impl Op {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "EQ" => Self::Eq,
            "NEQ" => Self::Neq,
            "LT" => Self::Lt,
            "LTE" => Self::Lte,
            "GT" => Self::Gt,
            "GTE" => Self::Gte,
            "BETWEEN" => Self::Between,
            "IN" => Self::In,
            "NOT_IN" => Self::NotIn,
            "HAS_PROPERTY" => Self::HasProperty,
            "NOT_HAS_PROPERTY" => Self::NotHasProperty,
            "CONTAINS_TOKEN" => Self::ContainsToken,
            "NOT_CONTAINS_TOKEN" => Self::NotContainsToken,
            _ => return None,
        })
    }
}

/// One compiled filter.
#[derive(Debug)]
enum Filter {
    /// On id or a date: integers (ids, epoch milliseconds).
    Number {
        field: Field,
        op: Op,
        values: Vec<i64>,
    },
    /// On any other property: strings, compared as HubSpot does (case-insensitively).
    Text {
        property: &'static str,
        op: Op,
        values: Vec<String>,
    },
}

/// The cheap fields of one candidate record.
struct Candidate {
    id: u64,
    created: i64,
    modified: i64,
}

impl Candidate {
    fn get(&self, field: Field) -> i64 {
        match field {
            Field::Id => i64::try_from(self.id).unwrap_or(i64::MAX),
            Field::Created => self.created,
            Field::Modified => self.modified,
            Field::Other(_) => 0,
        }
    }
}

fn compare_number(op: Op, actual: i64, values: &[i64]) -> bool {
    let first = values.first().copied().unwrap_or(0);
    match op {
        Op::Eq => actual == first,
        Op::Neq => actual != first,
        Op::Lt => actual < first,
        Op::Lte => actual <= first,
        Op::Gt => actual > first,
        Op::Gte => actual >= first,
        Op::Between => actual >= first && actual <= values.get(1).copied().unwrap_or(first),
        Op::In => values.contains(&actual),
        Op::NotIn => !values.contains(&actual),
        Op::HasProperty => true,
        Op::NotHasProperty => false,
        Op::ContainsToken | Op::NotContainsToken => false,
    }
}

/// `*` matches any run of characters; both sides already lowercase.
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return text == pattern;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        if i == 0 {
            let Some(tail) = rest.strip_prefix(part) else {
                return false;
            };
            rest = tail;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn contains_token(actual: &str, value: &str) -> bool {
    let (actual, value) = (actual.to_lowercase(), value.to_lowercase());
    let matches = |text: &str| wildcard(&value, text);
    matches(&actual)
        || actual
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .any(matches)
        || actual.split(|c: char| !c.is_alphanumeric()).any(matches)
}

fn compare_text(op: Op, actual: Option<&str>, values: &[String]) -> bool {
    let first = values.first().map_or("", String::as_str);
    let Some(actual) = actual.filter(|a| !a.is_empty()) else {
        return matches!(
            op,
            Op::Neq | Op::NotIn | Op::NotHasProperty | Op::NotContainsToken
        );
    };
    let ordering = |value: &str| match (actual.parse::<f64>(), value.parse::<f64>()) {
        (Ok(a), Ok(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        _ => actual.to_lowercase().cmp(&value.to_lowercase()),
    };
    let equal = |value: &str| actual.eq_ignore_ascii_case(value) || ordering(value).is_eq();
    match op {
        Op::Eq => equal(first),
        Op::Neq => !equal(first),
        Op::Lt => ordering(first).is_lt(),
        Op::Lte => ordering(first).is_le(),
        Op::Gt => ordering(first).is_gt(),
        Op::Gte => ordering(first).is_ge(),
        Op::Between => {
            ordering(first).is_ge() && ordering(values.get(1).map_or(first, String::as_str)).is_le()
        }
        Op::In => values.iter().any(|v| equal(v)),
        Op::NotIn => !values.iter().any(|v| equal(v)),
        Op::HasProperty => true,
        Op::NotHasProperty => false,
        Op::ContainsToken => contains_token(actual, first),
        Op::NotContainsToken => !contains_token(actual, first),
    }
}

/// A date filter value: epoch milliseconds (HubSpot's documented form) or RFC 3339.
fn parse_millis(value: &str) -> Option<i64> {
    let value = value.trim();
    value.parse::<i64>().ok().or_else(|| {
        chrono::DateTime::parse_from_rfc3339(value)
            .ok()
            .map(|t| t.timestamp_millis())
    })
}

fn field_of(object: ObjectType, name: &str) -> Option<Field> {
    if name == "hs_object_id" {
        Some(Field::Id)
    } else if name == "createdate" {
        Some(Field::Created)
    } else if name == object.modified_property() {
        Some(Field::Modified)
    } else {
        object
            .known_properties()
            .iter()
            .find(|p| **p == name)
            .map(|p| Field::Other(p))
    }
}

fn compile_filter(object: ObjectType, body: &FilterBody) -> Result<Filter, String> {
    let name = body.property_name.as_str();
    let field = field_of(object, name).ok_or_else(|| {
        format!(
            "Invalid filter: there is no property '{name}' on {} (contacts use \
             'lastmodifieddate', other objects 'hs_lastmodifieddate').",
            object.name()
        )
    })?;
    let op = Op::parse(&body.operator)
        .ok_or_else(|| format!("Invalid filter operator '{}'.", body.operator))?;
    let texts: Vec<String> = match op {
        Op::HasProperty | Op::NotHasProperty => Vec::new(),
        Op::In | Op::NotIn => body
            .values
            .as_ref()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("The {} operator needs 'values'.", body.operator))?
            .iter()
            .map(Scalar::text)
            .collect(),
        Op::Between => {
            let low = body.value.as_ref().map(Scalar::text);
            let high = body.high_value.as_ref().map(Scalar::text);
            match (low, high) {
                (Some(low), Some(high)) => vec![low, high],
                _ => return Err("The BETWEEN operator needs 'value' and 'highValue'.".to_owned()),
            }
        }
        _ => vec![
            body.value
                .as_ref()
                .map(Scalar::text)
                .ok_or_else(|| format!("The {} operator needs 'value'.", body.operator))?,
        ],
    };
    match field {
        Field::Other(property) => Ok(Filter::Text {
            property,
            op,
            values: texts,
        }),
        _ if matches!(op, Op::ContainsToken | Op::NotContainsToken) => Err(format!(
            "The {} operator is not supported on '{name}'.",
            body.operator
        )),
        _ => {
            let values = texts
                .iter()
                .map(|v| {
                    let parsed = if field == Field::Id {
                        v.trim().parse::<i64>().ok()
                    } else {
                        parse_millis(v)
                    };
                    parsed.ok_or_else(|| format!("'{v}' is not a valid value for '{name}'."))
                })
                .collect::<Result<Vec<i64>, String>>()?;
            Ok(Filter::Number { field, op, values })
        }
    }
}

/// A validated search request.
struct Search {
    groups: Vec<Vec<Filter>>,
    sort: Field,
    descending: bool,
    properties: Vec<String>,
    limit: usize,
    after: usize,
    query: Option<String>,
}

impl Search {
    /// The smallest id range holding every match (the hull of the groups' id bounds).
    fn id_range(&self) -> (u64, u64) {
        if self.groups.is_empty() {
            return (0, u64::MAX);
        }
        let (mut low, mut high) = (u64::MAX, 0);
        for group in &self.groups {
            let (mut lo, mut hi) = (0_i64, i64::MAX);
            for filter in group {
                if let Filter::Number {
                    field: Field::Id,
                    op,
                    values,
                } = filter
                {
                    let first = values.first().copied().unwrap_or(0);
                    match op {
                        Op::Eq => (lo, hi) = (lo.max(first), hi.min(first)),
                        Op::Gt => lo = lo.max(first.saturating_add(1)),
                        Op::Gte => lo = lo.max(first),
                        Op::Lt => hi = hi.min(first.saturating_sub(1)),
                        Op::Lte => hi = hi.min(first),
                        Op::Between => {
                            (lo, hi) = (
                                lo.max(first),
                                hi.min(values.get(1).copied().unwrap_or(first)),
                            )
                        }
                        Op::In => {
                            lo = lo.max(values.iter().copied().min().unwrap_or(0));
                            hi = hi.min(values.iter().copied().max().unwrap_or(i64::MAX));
                        }
                        _ => {}
                    }
                }
            }
            if lo <= hi {
                low = low.min(u64::try_from(lo.max(0)).unwrap_or(0));
                high = high.max(u64::try_from(hi.max(0)).unwrap_or(0));
            }
        }
        (low, high)
    }

    /// Whether a candidate matches: the query, then any group whose filters all hold.
    /// `make` generates the full record, at most once, only if a filter needs it.
    fn matches(
        &self,
        object: ObjectType,
        candidate: &Candidate,
        make: &mut dyn FnMut() -> Record,
    ) -> bool {
        let mut full: Option<Record> = None;
        if let Some(query) = &self.query {
            let record = full.get_or_insert_with(&mut *make);
            let query = query.to_lowercase();
            if !query_fields(object)
                .iter()
                .filter_map(|p| record.properties.get(p))
                .any(|v| v.to_lowercase().contains(&query))
            {
                return false;
            }
        }
        if self.groups.is_empty() {
            return true;
        }
        'groups: for group in &self.groups {
            // Cheap filters first: most candidates fail before a record is generated.
            for filter in group {
                if let Filter::Number { field, op, values } = filter
                    && !compare_number(*op, candidate.get(*field), values)
                {
                    continue 'groups;
                }
            }
            for filter in group {
                if let Filter::Text {
                    property,
                    op,
                    values,
                } = filter
                {
                    let record = full.get_or_insert_with(&mut *make);
                    if !compare_text(
                        *op,
                        record.properties.get(property).map(String::as_str),
                        values,
                    ) {
                        continue 'groups;
                    }
                }
            }
            return true;
        }
        false
    }
}

/// The properties the free-text `query` looks in (HubSpot: each object's default searchable
/// properties).
fn query_fields(object: ObjectType) -> &'static [&'static str] {
    match object {
        ObjectType::Contacts => &["firstname", "lastname", "email", "phone", "company"],
        ObjectType::Companies => &["name", "domain", "phone", "website"],
        ObjectType::Deals => &["dealname"],
    }
}

fn parse(object: ObjectType, raw: &[u8], seed: u64) -> Result<Search, HttpResponse> {
    let body: Body = serde_json::from_slice(raw)
        .map_err(|e| validation_error(&format!("Invalid input JSON on line {}: {e}", e.line())))?;
    let limit = match &body.limit {
        None => DEFAULT_LIMIT,
        Some(value) => {
            let text = value.text();
            let limit: usize = text.parse().map_err(|_| {
                validation_error(&format!(
                    "Invalid value for 'limit': '{text}' is not an integer."
                ))
            })?;
            if limit > MAX_LIMIT {
                return Err(validation_error(&format!(
                    "Invalid value for 'limit': {limit}. The maximum number of results per page is {MAX_LIMIT}."
                )));
            }
            limit
        }
    };
    // `after` is opaque: only a cursor this sandbox issued for this object's search, byte for
    // byte ("" or absent starts at the beginning).
    let after = match &body.after {
        None => 0,
        Some(Scalar::Text(text)) if text.is_empty() => 0,
        Some(value) => {
            let text = value.text();
            let position = match value {
                Scalar::Text(text) => cursor::open(seed, Kind::Search, object, text),
                _ => None,
            };
            let shown: String = text.chars().take(64).collect();
            let position = position.ok_or_else(|| {
                validation_error(&format!(
                    "Invalid value for 'after': '{shown}' is not a valid paging cursor. Pass \
                     paging.next.after back exactly as it was returned."
                ))
            })?;
            usize::try_from(position).unwrap_or(usize::MAX)
        }
    };
    if after >= MAX_RESULTS {
        // HubSpot: "attempting to page beyond 10,000 will result in a 400 error"; the wording
        // of the message is ours.
        return Err(validation_error(&format!(
            "Cannot page past {MAX_RESULTS} results (after={after}): a search returns at most \
             {MAX_RESULTS} results. Narrow the query, e.g. with hs_object_id GT the last id seen."
        )));
    }
    let total: usize = body.filter_groups.iter().map(|g| g.filters.len()).sum();
    if body.filter_groups.len() > MAX_GROUPS
        || body
            .filter_groups
            .iter()
            .any(|g| g.filters.len() > MAX_FILTERS_PER_GROUP)
        || total > MAX_FILTERS
    {
        return Err(validation_error(&format!(
            "Too many filters: at most {MAX_GROUPS} filterGroups of at most \
             {MAX_FILTERS_PER_GROUP} filters each, {MAX_FILTERS} filters in all."
        )));
    }
    let groups = body
        .filter_groups
        .iter()
        .map(|g| {
            g.filters
                .iter()
                .map(|f| compile_filter(object, f))
                .collect()
        })
        .collect::<Result<Vec<Vec<Filter>>, String>>()
        .map_err(|m| validation_error(&m))?;
    if body.sorts.len() > 1 {
        return Err(validation_error("A search accepts at most one sort."));
    }
    let (sort, descending) = match body.sorts.first() {
        None => (Field::Id, false),
        Some(sort) => {
            let (name, direction) = match sort {
                SortBody::Name(name) => (name.as_str(), None),
                SortBody::Full {
                    property_name,
                    direction,
                } => (property_name.as_str(), direction.as_deref()),
            };
            let descending = match direction {
                None | Some("ASCENDING") => false,
                Some("DESCENDING") => true,
                Some(other) => {
                    return Err(validation_error(&format!(
                        "Invalid sort direction '{other}': use ASCENDING or DESCENDING."
                    )));
                }
            };
            match field_of(object, name) {
                Some(field @ (Field::Id | Field::Created | Field::Modified)) => (field, descending),
                _ => {
                    return Err(validation_error(&format!(
                        "The sandbox sorts only by hs_object_id, createdate or {}; not '{name}'.",
                        object.modified_property()
                    )));
                }
            }
        }
    };
    Ok(Search {
        groups,
        sort,
        descending,
        properties: body.properties,
        limit,
        after,
        query: body.query.filter(|q| !q.trim().is_empty()),
    })
}

/// One page of results: the indices of the records on it, and the number of matches.
pub(crate) struct Found {
    pub indices: Vec<usize>,
    pub total: usize,
}

/// The version of record `index` the search index holds at `now_ms`.
fn view_of<'a>(
    catalog: &Catalog,
    object: ObjectType,
    index: usize,
    mutations: &'a Mutations,
    contract: &Contract,
    now_ms: i64,
) -> View<'a> {
    let id = catalog.id(object, index);
    if !mutations.contains_key(&id) {
        return View::Generated;
    }
    let lag = |changed_ms: i64| contract.lag_ms(salt(object), id, changed_ms);
    store::search_view(mutations, id, now_ms, &lag)
}

fn run(
    catalog: &Catalog,
    object: ObjectType,
    mutations: &Mutations,
    search: &Search,
    contract: &Contract,
    now_ms: i64,
) -> Found {
    let (low, high) = search.id_range();
    let start = catalog.lower_bound(object, low);
    let end = high
        .checked_add(1)
        .map_or(catalog.count(object), |h| catalog.lower_bound(object, h));
    let window_end = (search.after + search.limit).min(MAX_RESULTS);
    let mut total = 0;
    let candidates = |index: usize| -> Option<Candidate> {
        let id = catalog.id(object, index);
        let view = view_of(catalog, object, index, mutations, contract, now_ms);
        let (modified, gone) = store::modified_ms(catalog, object, index, view);
        if gone {
            return None;
        }
        let candidate = Candidate {
            id,
            created: catalog.created_ms(object, index),
            modified,
        };
        let mut make = || store::record_in(catalog, object, index, view);
        search
            .matches(object, &candidate, &mut make)
            .then_some(candidate)
    };
    if search.sort == Field::Id {
        let mut indices = Vec::with_capacity(search.limit);
        let mut visit = |index: usize| {
            if candidates(index).is_some() {
                if total >= search.after && total < window_end {
                    indices.push(index);
                }
                total += 1;
            }
        };
        if search.descending {
            (start..end).rev().for_each(&mut visit);
        } else {
            (start..end).for_each(&mut visit);
        }
        return Found { indices, total };
    }
    // Keep the best `window_end` (key, id, index) in a max-heap: O(window) memory.
    let mut heap: BinaryHeap<(i64, u64, usize)> = BinaryHeap::with_capacity(window_end + 1);
    for index in start..end {
        let Some(candidate) = candidates(index) else {
            continue;
        };
        total += 1;
        let value = candidate.get(search.sort);
        let key = if search.descending { -value } else { value };
        let entry = (key, candidate.id, index);
        if heap.len() < window_end {
            heap.push(entry);
        } else if heap.peek().is_some_and(|top| entry < *top) {
            heap.pop();
            heap.push(entry);
        }
    }
    let sorted = heap.into_sorted_vec();
    let indices = sorted
        .into_iter()
        .skip(search.after)
        .map(|(_, _, index)| index)
        .collect();
    Found { indices, total }
}

pub(crate) async fn search(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    object_type: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let mut roll = sandbox.shared.lock().roll();
    let admitted = match admit(
        &sandbox,
        &req,
        object_type.as_str(),
        Endpoint::Search,
        &mut roll,
    )
    .await
    {
        Ok(admitted) => admitted,
        Err(response) => return shape(response, &mut roll),
    };
    let Some(object) = admitted.object else {
        return shape(
            admitted.finish(unknown_object(object_type.as_str())),
            &mut roll,
        );
    };
    let search = match parse(object, &body, roll.contract.seed) {
        Ok(search) => search,
        Err(response) => return shape(admitted.finish(response), &mut roll),
    };
    let catalog = sandbox.shared.catalog.clone();
    let mutations = admitted.mutations.clone();
    let contract = roll.contract;
    // The index as of now: changes younger than their lag are not in it yet.
    let now_ms = chrono::Utc::now().timestamp_millis();
    // A scan of a million records takes milliseconds; keep it off the async workers anyway.
    let (found, search) = match web::block(move || {
        let found = run(&catalog, object, &mutations, &search, &contract, now_ms);
        (found, search)
    })
    .await
    {
        Ok(done) => done,
        Err(_) => {
            let failed = respond::server_error(500, &mut roll);
            return shape(admitted.finish(failed), &mut roll);
        }
    };
    let catalog = &sandbox.shared.catalog;
    let shaping = sandbox.shaping(contract);
    let results: Vec<Value> = found
        .indices
        .iter()
        .map(|&index| {
            let view = view_of(
                catalog,
                object,
                index,
                &admitted.mutations,
                &contract,
                now_ms,
            );
            let record = store::record_in(catalog, object, index, view);
            render(
                &record,
                object,
                &search.properties,
                object.search_default_properties(),
                &shaping,
            )
        })
        .collect();
    let shown = search.after + results.len();
    let mut body = json!({ "total": found.total, "results": results });
    if shown < found.total && !results.is_empty() {
        let after = cursor::issue(&mut roll, Kind::Search, object, shown as u64);
        body["paging"] = json!({ "next": { "after": after } });
    }
    shape(
        admitted.finish(respond::json(StatusCode::OK, &body)),
        &mut roll,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_tokens_match_as_hubspot_describes() {
        assert!(contains_token("ada.okafor@acme.com", "*@acme.com"));
        assert!(contains_token("Ada Okafor", "okafor"));
        assert!(!contains_token("Ada Okafor", "oka"));
        assert!(contains_token("Ada Okafor", "oka*"));
    }
}
