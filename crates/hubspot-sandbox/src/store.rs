//! Changes made to the generated records: the only per-record state the sandbox keeps.
//!
//! Generated records are never stored (see [`crate::seed`]); a record modified or archived
//! through the admin knob gets an entry here, keyed by id, which overrides what the generator
//! says. The map grows with the number of mutations, not with the portal size.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::seed::{Catalog, ObjectType, Record, millis_to_time};

/// How a record differs from its generated self.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Mutation {
    /// The new last-modified time, epoch milliseconds.
    pub modified_ms: i64,
    /// Properties whose value changed.
    pub properties: BTreeMap<&'static str, String>,
    /// When the record was archived, epoch milliseconds.
    pub archived_ms: Option<i64>,
}

/// Mutations of one object type, by record id.
pub(crate) type Mutations = BTreeMap<u64, Mutation>;

/// Which records an admin mutation applies to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pick {
    /// This many live records, spread evenly over the id range (record `k · count / n`, or
    /// the next live one after it): deterministic for a seed and the mutations so far.
    Count(usize),
    /// These ids; ids that do not exist or are already archived are skipped.
    Ids(Vec<u64>),
}

/// The last-modified time and archived state of record `index`, mutations applied.
pub(crate) fn modified_ms(
    catalog: &Catalog,
    object: ObjectType,
    index: usize,
    id: u64,
    mutations: &Mutations,
) -> (i64, bool) {
    match mutations.get(&id) {
        Some(m) => (m.modified_ms, m.archived_ms.is_some()),
        None => (catalog.modified_ms(object, index), false),
    }
}

/// Record `index` as it is now.
pub(crate) fn record(
    catalog: &Catalog,
    object: ObjectType,
    index: usize,
    mutations: &Mutations,
) -> Record {
    let mut record = catalog.record(object, index);
    if let Some(m) = mutations.get(&record.id) {
        record.updated_at = millis_to_time(m.modified_ms);
        record.archived_at = m.archived_ms.map(millis_to_time);
        for (name, value) in &m.properties {
            record.properties.insert(name, value.clone());
        }
        record.properties.insert(
            object.modified_property(),
            crate::time::format(record.updated_at),
        );
    }
    record
}

pub(crate) fn is_live(id: u64, mutations: &Mutations) -> bool {
    mutations.get(&id).is_none_or(|m| m.archived_ms.is_none())
}

/// The indices of the live records `pick` selects, in the order picked.
fn select(catalog: &Catalog, object: ObjectType, mutations: &Mutations, pick: &Pick) -> Vec<usize> {
    let count = catalog.count(object);
    match pick {
        Pick::Ids(ids) => {
            let mut seen = HashSet::new();
            ids.iter()
                .filter_map(|&id| catalog.index_of(object, id))
                .filter(|&i| is_live(catalog.id(object, i), mutations) && seen.insert(i))
                .collect()
        }
        Pick::Count(n) => {
            let archived = mutations
                .values()
                .filter(|m| m.archived_ms.is_some())
                .count();
            let n = (*n).min(count.saturating_sub(archived));
            let mut chosen = HashSet::with_capacity(n);
            let mut picked = Vec::with_capacity(n);
            for k in 0..n {
                let mut index = usize::try_from(k as u128 * count as u128 / n as u128).unwrap_or(0);
                // There are at least n live records, so this finds an unchosen one.
                while !is_live(catalog.id(object, index), mutations) || chosen.contains(&index) {
                    index = (index + 1) % count;
                }
                chosen.insert(index);
                picked.push(index);
            }
            picked
        }
    }
}

/// Bumps the last-modified time of the picked records to `now_ms` and moves their
/// [`ObjectType::mutable_property`] to its next value. Returns their ids, ascending.
pub(crate) fn modify(
    catalog: &Catalog,
    object: ObjectType,
    mutations: &mut Mutations,
    pick: &Pick,
    now_ms: i64,
) -> Vec<u64> {
    let (property, values) = object.mutable_property();
    let mut ids = Vec::new();
    for index in select(catalog, object, mutations, pick) {
        let current = record(catalog, object, index, mutations);
        let next = current
            .properties
            .get(property)
            .and_then(|v| values.iter().position(|x| x == v))
            .map_or(values[0], |i| values[(i + 1) % values.len()]);
        let entry = mutations.entry(current.id).or_default();
        entry.modified_ms = now_ms;
        entry.properties.insert(property, next.to_owned());
        ids.push(current.id);
    }
    ids.sort_unstable();
    ids
}

/// Archives the picked records at `now_ms` (their last-modified time moves too). Returns
/// their ids, ascending.
pub(crate) fn archive(
    catalog: &Catalog,
    object: ObjectType,
    mutations: &mut Mutations,
    pick: &Pick,
    now_ms: i64,
) -> Vec<u64> {
    let mut ids = Vec::new();
    for index in select(catalog, object, mutations, pick) {
        let id = catalog.id(object, index);
        let entry = mutations.entry(id).or_default();
        entry.modified_ms = now_ms;
        entry.archived_ms = Some(now_ms);
        ids.push(id);
    }
    ids.sort_unstable();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picking_a_count_spreads_over_the_range_and_skips_archived_records() {
        let catalog = Catalog::new(42, 1_000, 0, 0);
        let mut mutations = Mutations::new();
        let object = ObjectType::Contacts;
        let archived = archive(&catalog, object, &mut mutations, &Pick::Count(4), 1);
        let expected: Vec<u64> = [0, 250, 500, 750]
            .iter()
            .map(|&i| catalog.id(object, i))
            .collect();
        assert_eq!(archived, expected);
        // The same pick again moves on to the next live records.
        let again = archive(&catalog, object, &mut mutations, &Pick::Count(4), 2);
        let expected: Vec<u64> = [1, 251, 501, 751]
            .iter()
            .map(|&i| catalog.id(object, i))
            .collect();
        assert_eq!(again, expected);
        let modified = modify(
            &catalog,
            object,
            &mut mutations,
            &Pick::Ids(expected.clone()),
            3,
        );
        assert!(modified.is_empty(), "archived records are not modified");
        let live = catalog.id(object, 2);
        let before = record(&catalog, object, 2, &mutations);
        assert_eq!(
            modify(
                &catalog,
                object,
                &mut mutations,
                &Pick::Ids(vec![live, live, 1]),
                3
            ),
            [live]
        );
        let after = record(&catalog, object, 2, &mutations);
        assert_eq!(after.updated_at.timestamp_millis(), 3);
        assert_ne!(
            after.properties["lifecyclestage"],
            before.properties["lifecyclestage"]
        );
        assert_eq!(
            after.properties["firstname"],
            before.properties["firstname"]
        );
    }
}
