//! Evaluating a compiled [`Search`] against candidate records.
//!
//! A search may scan every id of a million-record portal, so evaluation is split by cost:
//! filters on id and dates read a [`Candidate`] (three integers computed without generating
//! the record), and only a candidate that passes them, in a group that also filters other
//! properties, has its full record generated, at most once. Comparisons follow HubSpot's
//! search guide (case-insensitive, numeric where both sides are numbers, `*` wildcards in
//! `CONTAINS_TOKEN`).

use std::cmp::Ordering;

use super::request::{Field, Filter, Op, Search};
use crate::seed::{ObjectType, Record};

/// The cheap fields of one candidate record.
pub(super) struct Candidate {
    pub(super) id: u64,
    pub(super) created: i64,
    pub(super) modified: i64,
}

impl Candidate {
    pub(super) fn get(&self, field: Field) -> i64 {
        match field {
            Field::Id => i64::try_from(self.id).unwrap_or(i64::MAX),
            Field::Created => self.created,
            Field::Modified => self.modified,
            Field::Other(_) => 0,
        }
    }
}

/// Whether an id or date filter holds.
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

/// `CONTAINS_TOKEN`: `value` (with `*` wildcards) matches the whole text or one of its words.
fn contains_token(actual: &str, value: &str) -> bool {
    let (actual, value) = (actual.to_lowercase(), value.to_lowercase());
    let matches = |text: &str| wildcard(&value, text);
    matches(&actual)
        || actual
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .any(matches)
        || actual.split(|c: char| !c.is_alphanumeric()).any(matches)
}

/// Whether a filter on another property holds: numbers compare as numbers, the rest
/// case-insensitively; a missing or empty value satisfies only the negative operators.
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

impl Search {
    /// The smallest id range holding every match (the hull of the groups' id bounds).
    pub(super) fn id_range(&self) -> (u64, u64) {
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

    /// Whether the matches are exactly the live records of [`id_range`](Self::id_range): no
    /// query, and one group whose filters all bound the id to one interval.
    pub(super) fn id_range_only(&self) -> bool {
        self.query.is_none()
            && match &self.groups[..] {
                [] => true,
                [group] => group.iter().all(|filter| {
                    matches!(
                        filter,
                        Filter::Number {
                            field: Field::Id,
                            op: Op::Eq | Op::Gt | Op::Gte | Op::Lt | Op::Lte | Op::Between,
                            ..
                        }
                    )
                }),
                _ => false,
            }
    }

    /// Whether a candidate matches: the query, then any group whose filters all hold.
    /// `make` generates the full record, at most once, only if a filter needs it.
    pub(super) fn matches(
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
        ObjectType::Tickets => &["subject", "content"],
        ObjectType::Products => &["name", "description", "hs_sku"],
        ObjectType::LineItems => &["name"],
        ObjectType::Quotes => &["hs_title"],
        ObjectType::Calls => &["hs_call_title", "hs_call_body"],
        ObjectType::Emails => &["hs_email_subject", "hs_email_text"],
        ObjectType::Meetings => &["hs_meeting_title", "hs_meeting_body"],
        ObjectType::Notes => &["hs_note_body"],
        ObjectType::Tasks => &["hs_task_subject", "hs_task_body"],
        ObjectType::Pets => &["name"],
    }
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
