//! The search request: its JSON body, validated and compiled into a [`Search`].
//!
//! All validation happens here, before any record is looked at, so a bad request costs nothing
//! and every 400 carries HubSpot's `VALIDATION_ERROR` shape. Filters are typed while compiling
//! (integers for ids and dates, strings for the rest) so that evaluating one against a million
//! candidates parses nothing.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{
    DEFAULT_LIMIT, MAX_FILTERS, MAX_FILTERS_PER_GROUP, MAX_GROUPS, MAX_LIMIT, MAX_RESULTS,
};
use crate::crm::validation_error;
use crate::cursor::{self, Kind};
use crate::seed::ObjectType;

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
pub(super) enum Field {
    Id,
    Created,
    Modified,
    Other(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
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
pub(super) enum Filter {
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

/// A date filter value: epoch milliseconds (HubSpot's documented form) or RFC 3339.
fn parse_millis(value: &str) -> Option<i64> {
    let value = value.trim();
    value.parse::<i64>().ok().or_else(|| {
        chrono::DateTime::parse_from_rfc3339(value)
            .ok()
            .map(|t| t.timestamp_millis())
    })
}

/// The field `name` names on `object`, if it has that property.
fn field_of(object: ObjectType, name: &str) -> Option<Field> {
    if name == "hs_object_id" {
        Some(Field::Id)
    } else if name == object.created_property() {
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

/// One filter of the body, checked against `object`'s properties and typed for evaluation.
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
pub(super) struct Search {
    pub(super) groups: Vec<Vec<Filter>>,
    pub(super) sort: Field,
    pub(super) descending: bool,
    pub(super) properties: Vec<String>,
    pub(super) limit: usize,
    pub(super) after: usize,
    pub(super) query: Option<String>,
}

/// The search `raw` asks for, validated as HubSpot validates it; or the 400 it answers.
pub(super) fn parse(object: ObjectType, raw: &[u8], seed: u64) -> Result<Search, HttpResponse> {
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
                        "The sandbox sorts only by hs_object_id, {} or {}; not '{name}'.",
                        object.created_property(),
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
