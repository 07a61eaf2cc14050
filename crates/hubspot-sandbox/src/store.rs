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
    /// Hard-deleted (merged away, GDPR-deleted): gone from every listing, no archived entry.
    pub deleted: bool,
    /// When this version was written (epoch ms): the search index sees it only after the
    /// contract's lag.
    pub changed_ms: i64,
    /// Earlier versions, oldest first, that a lagging search index may still show; `None` is
    /// the generated record. At most [`KEPT_VERSIONS`].
    pub earlier: Vec<Option<Mutation>>,
}

/// Earlier versions kept per record for the lagging search index.
const KEPT_VERSIONS: usize = 8;

/// Which version of a record the search index holds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum View<'a> {
    /// The record as generated.
    Generated,
    /// A mutated version.
    Version(&'a Mutation),
}

/// The version of record `id` that search sees at `now_ms`: the newest whose change is older
/// than its lag (`lag(changed_ms)`), else the oldest kept.
pub(crate) fn search_view<'a>(
    mutations: &'a Mutations,
    id: u64,
    now_ms: i64,
    lag: &dyn Fn(i64) -> i64,
) -> View<'a> {
    let Some(current) = mutations.get(&id) else {
        return View::Generated;
    };
    let visible = |m: &Mutation| m.changed_ms.saturating_add(lag(m.changed_ms)) <= now_ms;
    if visible(current) {
        return View::Version(current);
    }
    for version in current.earlier.iter().rev() {
        match version {
            None => return View::Generated,
            Some(m) if visible(m) => return View::Version(m),
            Some(_) => {}
        }
    }
    match current.earlier.first() {
        Some(Some(oldest)) => View::Version(oldest),
        _ => View::Generated,
    }
}

/// Records the current version of `id` (or the generated one) as an earlier version, before
/// it changes at `now_ms`.
pub(crate) fn remember(mutations: &mut Mutations, id: u64) -> &mut Mutation {
    let before = mutations.get(&id).map(|m| Mutation {
        earlier: Vec::new(),
        ..m.clone()
    });
    let entry = mutations.entry(id).or_default();
    entry.earlier.push(before);
    if entry.earlier.len() > KEPT_VERSIONS {
        entry.earlier.remove(0);
    }
    entry
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

/// The last-modified time of record `index` in `view`, and whether it is out of search
/// (archived or deleted).
pub(crate) fn modified_ms(
    catalog: &Catalog,
    object: ObjectType,
    index: usize,
    view: View<'_>,
) -> (i64, bool) {
    match view {
        View::Version(m) => (m.modified_ms, m.archived_ms.is_some() || m.deleted),
        View::Generated => (catalog.modified_ms(object, index), false),
    }
}

/// Record `index` as it is now.
pub(crate) fn record(
    catalog: &Catalog,
    object: ObjectType,
    index: usize,
    mutations: &Mutations,
) -> Record {
    let id = catalog.id(object, index);
    let view = mutations.get(&id).map_or(View::Generated, View::Version);
    record_in(catalog, object, index, view)
}

/// Record `index` in the version `view`.
pub(crate) fn record_in(
    catalog: &Catalog,
    object: ObjectType,
    index: usize,
    view: View<'_>,
) -> Record {
    let mut record = catalog.record(object, index);
    if let View::Version(m) = view {
        record.updated_at = millis_to_time(m.modified_ms);
        record.archived_at = m.archived_ms.map(millis_to_time);
        for (name, value) in &m.properties {
            record.properties.insert(name, value.clone());
        }
        record.properties.insert(
            object.modified_property(),
            crate::time::format_digits(record.updated_at, record.digits),
        );
    }
    record
}

/// Neither archived nor deleted.
pub(crate) fn is_live(id: u64, mutations: &Mutations) -> bool {
    mutations
        .get(&id)
        .is_none_or(|m| m.archived_ms.is_none() && !m.deleted)
}

/// Not hard-deleted (live or archived).
pub(crate) fn exists(id: u64, mutations: &Mutations) -> bool {
    mutations.get(&id).is_none_or(|m| !m.deleted)
}

/// The indices of the live records `pick` selects, in the order picked; with
/// `archived_too`, ids of archived records count as well (`Pick::Ids` only).
fn select(
    catalog: &Catalog,
    object: ObjectType,
    mutations: &Mutations,
    pick: &Pick,
    archived_too: bool,
) -> Vec<usize> {
    let count = catalog.count(object);
    match pick {
        Pick::Ids(ids) => {
            let mut seen = HashSet::new();
            let wanted = |id| {
                if archived_too {
                    exists(id, mutations)
                } else {
                    is_live(id, mutations)
                }
            };
            ids.iter()
                .filter_map(|&id| catalog.index_of(object, id))
                .filter(|&i| wanted(catalog.id(object, i)) && seen.insert(i))
                .collect()
        }
        Pick::Count(n) => {
            let gone = mutations
                .values()
                .filter(|m| m.archived_ms.is_some() || m.deleted)
                .count();
            let n = (*n).min(count.saturating_sub(gone));
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

/// A change the admin knobs make to the picked records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Edit {
    /// Bump the last-modified time and move [`ObjectType::mutable_property`] to its next value.
    Modify,
    /// Archive (the last-modified time moves too).
    Archive,
    /// Hard-delete (live or archived): gone from the list, the archived list and (after the
    /// search lag) search, with no archived entry.
    Delete,
}

/// Applies `edit` at `now_ms` to the records `pick` selects (live ones; for [`Edit::Delete`],
/// archived ones too). Returns their ids, ascending.
pub(crate) fn edit(
    catalog: &Catalog,
    object: ObjectType,
    mutations: &mut Mutations,
    pick: &Pick,
    edit: Edit,
    now_ms: i64,
) -> Vec<u64> {
    let archived_too = edit == Edit::Delete;
    let mut ids: Vec<u64> = select(catalog, object, mutations, pick, archived_too)
        .into_iter()
        .map(|index| {
            let id = catalog.id(object, index);
            let entry = match edit {
                Edit::Modify => {
                    let (property, values) = object.mutable_property();
                    let current = record(catalog, object, index, mutations);
                    let next = current
                        .properties
                        .get(property)
                        .and_then(|v| values.iter().position(|x| x == v))
                        .map_or(values[0], |i| values[(i + 1) % values.len()]);
                    let entry = remember(mutations, id);
                    entry.modified_ms = catalog.quantize(object, id, now_ms);
                    entry.properties.insert(property, next.to_owned());
                    entry
                }
                Edit::Archive => {
                    let entry = remember(mutations, id);
                    let at = catalog.quantize(object, id, now_ms);
                    entry.modified_ms = at;
                    entry.archived_ms = Some(at);
                    entry
                }
                Edit::Delete => {
                    let generated = catalog.modified_ms(object, index);
                    let entry = remember(mutations, id);
                    if entry.earlier.last().is_some_and(Option::is_none) {
                        entry.modified_ms = generated;
                    }
                    entry.deleted = true;
                    entry
                }
            };
            entry.changed_ms = now_ms;
            id
        })
        .collect();
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
        let archived = edit(
            &catalog,
            object,
            &mut mutations,
            &Pick::Count(4),
            Edit::Archive,
            1,
        );
        let expected: Vec<u64> = [0, 250, 500, 750]
            .iter()
            .map(|&i| catalog.id(object, i))
            .collect();
        assert_eq!(archived, expected);
        // The same pick again moves on to the next live records.
        let again = edit(
            &catalog,
            object,
            &mut mutations,
            &Pick::Count(4),
            Edit::Archive,
            2,
        );
        let expected: Vec<u64> = [1, 251, 501, 751]
            .iter()
            .map(|&i| catalog.id(object, i))
            .collect();
        assert_eq!(again, expected);
        let modified = edit(
            &catalog,
            object,
            &mut mutations,
            &Pick::Ids(expected.clone()),
            Edit::Modify,
            3,
        );
        assert!(modified.is_empty(), "archived records are not modified");
        let live = catalog.id(object, 2);
        let before = record(&catalog, object, 2, &mutations);
        assert_eq!(
            edit(
                &catalog,
                object,
                &mut mutations,
                &Pick::Ids(vec![live, live, 1]),
                Edit::Modify,
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
