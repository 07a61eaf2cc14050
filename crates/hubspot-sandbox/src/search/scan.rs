//! Scanning the candidate ids and keeping one page of matches.
//!
//! A search never materialises its matches: it walks the ids in the range the filters allow,
//! counts every match for `total`, and keeps only the window `after..after + limit`. Sorted by
//! id, the walk order is the result order; sorted by a date, a max-heap keeps the best
//! `after + limit` (at most 10,200), so memory is O(page window), not O(portal).

use std::collections::BinaryHeap;

use super::MAX_RESULTS;
use super::filter::Candidate;
use super::request::{Field, Search};
use crate::contract::Contract;
use crate::seed::{Catalog, ObjectType, salt};
use crate::store::{self, Mutations, View};

/// One page of results: the indices of the records on it, and the number of matches.
pub(super) struct Found {
    pub(super) indices: Vec<usize>,
    pub(super) total: usize,
}

/// The version of record `index` the search index holds at `now_ms`.
pub(super) fn view_of<'a>(
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

/// The page of `search` over `object`'s records as the search index sees them at `now_ms`.
pub(super) fn run(
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
    if search.sort == Field::Id && search.id_range_only() {
        // Every live record in the range matches: the total is the range less its records
        // gone (found among the few mutated ones), and only the page is walked. A search lane
        // paging down a million ids would otherwise walk the whole range for every page.
        if low > high || start >= end {
            return Found {
                indices: Vec::new(),
                total: 0,
            };
        }
        let gone = mutations
            .range(low..=high)
            .map(|(id, _)| catalog.lower_bound(object, *id))
            .filter(|&index| index < end && index >= start && candidates(index).is_none())
            .count();
        let total = (end - start).saturating_sub(gone);
        let mut indices = Vec::with_capacity(search.limit);
        let mut seen = 0;
        let mut walk = |index: usize| {
            if seen >= window_end {
                return false;
            }
            if candidates(index).is_some() {
                if seen >= search.after {
                    indices.push(index);
                }
                seen += 1;
            }
            true
        };
        if search.descending {
            let _ = (start..end).rev().all(&mut walk);
        } else {
            let _ = (start..end).all(&mut walk);
        }
        return Found { indices, total };
    }
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
