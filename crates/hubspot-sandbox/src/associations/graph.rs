//! The seeded association graph: which records are linked, and with which association types.
//!
//! Like the records themselves ([`crate::seed`]), nothing is stored: a link is a pure function
//! of the seed and the two record indices, so a portal of a million contacts costs no memory
//! and both directions of a link are computed by the same function (contact A lists company B
//! exactly when company B lists contact A, with the matching types).
//!
//! Each pair of types has an *owner* side whose records pick a few *slots* on the other side
//! (the *pool*): owner `i`'s slot `k` is pool record `(i + offset + k) mod pool`. Reading the
//! pool side inverts that: the owners of pool record `p` through slot `k` are the arithmetic
//! progression `i ≡ p − offset − k (mod pool)`, so a company's contacts are enumerated in
//! ascending order, a page at a time, without scanning every contact. One contact (the
//! "busy" one) instead owns the first `busy_contact_deals` deals, the shape that makes an
//! integration follow the per-input paging.

use crate::seed::{Catalog, ObjectType};

/// HubSpot's association categories (`AssociationSpecWithLabel.category`).
pub(crate) const HUBSPOT_DEFINED: &str = "HUBSPOT_DEFINED";
pub(crate) const USER_DEFINED: &str = "USER_DEFINED";

/// One association type of a link, as `AssociationSpecWithLabel` renders it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    pub category: &'static str,
    pub type_id: u32,
    /// `None` for the unlabelled types (HubSpot sends `"label": null`).
    pub label: Option<&'static str>,
}

const fn defined(type_id: u32, label: Option<&'static str>) -> Spec {
    Spec {
        category: HUBSPOT_DEFINED,
        type_id,
        label,
    }
}

// HubSpot-defined type ids, from the "Association type ID values" tables of HubSpot's
// associations v4 guide (developers.hubspot.com/docs/api/crm/associations). Primary labels:
// the owner-side type is "Primary"; since February 2024 the reverse side reads "<Object> with
// Primary Company" (HubSpot developer changelog, "Changes to primary labels for
// HubSpot-defined association labels").
const CONTACT_TO_COMPANY: Spec = defined(279, None);
const CONTACT_TO_COMPANY_PRIMARY: Spec = defined(1, Some("Primary"));
const COMPANY_TO_CONTACT: Spec = defined(280, None);
const COMPANY_TO_CONTACT_PRIMARY: Spec = defined(2, Some("Contact with Primary Company"));
const CONTACT_TO_DEAL: Spec = defined(4, None);
const DEAL_TO_CONTACT: Spec = defined(3, None);
const DEAL_TO_COMPANY: Spec = defined(341, None);
const DEAL_TO_COMPANY_PRIMARY: Spec = defined(5, Some("Primary"));
const COMPANY_TO_DEAL: Spec = defined(342, None);
const COMPANY_TO_DEAL_PRIMARY: Spec = defined(6, Some("Deal with Primary Company"));
// Same-type pairs: defined (the labels endpoint lists them) but never seeded.
const CONTACT_TO_CONTACT: Spec = defined(449, None);
const COMPANY_TO_COMPANY: Spec = defined(450, None);
const DEAL_TO_DEAL: Spec = defined(451, None);

/// The portal's one custom label, "Decision maker" between contacts and deals (the guide's
/// own example of a custom label). Custom labels get portal-specific ids, one per direction.
pub(crate) const DECISION_MAKER: &str = "Decision maker";
const CONTACT_TO_DEAL_DECISION_MAKER: Spec = Spec {
    category: USER_DEFINED,
    type_id: 37,
    label: Some(DECISION_MAKER),
};
const DEAL_TO_CONTACT_DECISION_MAKER: Spec = Spec {
    category: USER_DEFINED,
    type_id: 38,
    label: Some(DECISION_MAKER),
};
/// Share of contact–deal links that carry "Decision maker".
const DECISION_MAKER_PERCENT: u64 = 20;

/// The custom object's association with contacts: the definition its schema advertises
/// (`pets_to_contacts`, id `pets`) one way, the next id the other way. HubSpot files
/// associations defined on a custom object schema as `USER_DEFINED`, unlabelled.
fn pet_spec(pets: u32, from_pets: bool) -> Spec {
    Spec {
        category: USER_DEFINED,
        type_id: if from_pets { pets } else { pets + 1 },
        label: None,
    }
}

/// The pairs of types the graph links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pair {
    /// Owner contacts, pool companies: 0–2 companies a contact, slot 0 the primary one.
    ContactCompany,
    /// Owner contacts, pool deals: 0–5 deals a contact (the busy contact: many).
    ContactDeal,
    /// Owner deals, pool companies: 0–2 companies a deal, slot 0 the primary one.
    DealCompany,
    /// Owner pets (the custom object), pool contacts: 0–2 contacts a pet.
    PetContact,
}

impl Pair {
    fn owner(self) -> ObjectType {
        match self {
            Self::ContactCompany | Self::ContactDeal => ObjectType::Contacts,
            Self::DealCompany => ObjectType::Deals,
            Self::PetContact => ObjectType::Pets,
        }
    }

    fn pool(self) -> ObjectType {
        match self {
            Self::ContactCompany | Self::DealCompany => ObjectType::Companies,
            Self::ContactDeal => ObjectType::Deals,
            Self::PetContact => ObjectType::Contacts,
        }
    }

    /// The chance (percent) that an owner fills each slot.
    fn slots(self) -> &'static [u64] {
        match self {
            Self::ContactCompany => &[75, 20],
            Self::ContactDeal => &[30, 25, 20, 15, 10],
            Self::DealCompany => &[85, 15],
            Self::PetContact => &[90, 25],
        }
    }

    fn salt(self) -> u64 {
        match self {
            Self::ContactCompany => 0xA550_C001,
            Self::ContactDeal => 0xA550_C002,
            Self::DealCompany => 0xA550_C003,
            Self::PetContact => 0xA550_C004,
        }
    }

    /// The pair `from → to` names, and whether `from` is its owner side.
    fn of(from: ObjectType, to: ObjectType) -> Option<(Self, bool)> {
        use ObjectType::{Companies, Contacts, Deals, Pets};
        Some(match (from, to) {
            (Contacts, Companies) => (Self::ContactCompany, true),
            (Companies, Contacts) => (Self::ContactCompany, false),
            (Contacts, Deals) => (Self::ContactDeal, true),
            (Deals, Contacts) => (Self::ContactDeal, false),
            (Deals, Companies) => (Self::DealCompany, true),
            (Companies, Deals) => (Self::DealCompany, false),
            (Pets, Contacts) => (Self::PetContact, true),
            (Contacts, Pets) => (Self::PetContact, false),
            _ => return None,
        })
    }
}

/// The slot of a link made by the busy contact rather than by a seeded slot.
const BUSY: usize = usize::MAX;

/// The association graph of one portal.
#[derive(Clone, Debug)]
pub(crate) struct Graph {
    seed: u64,
    /// How many deals the first contact owns (capped at the deal count when read).
    busy_contact_deals: usize,
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Graph {
    pub(crate) fn new(seed: u64, busy_contact_deals: usize) -> Self {
        Self {
            seed,
            busy_contact_deals,
        }
    }

    fn hash(&self, pair: Pair, a: u64, b: u64) -> u64 {
        mix(mix(mix(self.seed ^ pair.salt()) ^ a) ^ b.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }

    /// Deals owned by the busy contact (contact index 0): none without contacts.
    fn busy(&self, catalog: &Catalog) -> usize {
        if catalog.count(ObjectType::Contacts) == 0 {
            0
        } else {
            self.busy_contact_deals
                .min(catalog.count(ObjectType::Deals))
        }
    }

    /// Whether owner `i` of `pair` picks its links through slots (all but the busy contact).
    fn uses_slots(&self, catalog: &Catalog, pair: Pair, i: usize) -> bool {
        !(pair == Pair::ContactDeal && i == 0 && self.busy(catalog) > 0)
    }

    /// Slots usable in a pool of `pool` records: each must reach a different record.
    fn slot_count(pair: Pair, pool: usize) -> usize {
        pair.slots().len().min(pool)
    }

    /// The pool offset of slot `k` (below `pool`, which is not 0).
    fn offset(&self, pair: Pair, pool: usize, k: usize) -> u64 {
        let pool = pool as u64;
        (self.hash(pair, 0, u64::MAX) % pool + k as u64) % pool
    }

    fn filled(&self, pair: Pair, i: usize, k: usize) -> bool {
        self.hash(pair, i as u64, k as u64) % 100 < pair.slots()[k]
    }

    /// Every link of `from` record `index` to `to`, ascending by the target's index, starting
    /// at target index `start`: `(target index, types from → to)`.
    pub(crate) fn targets<'a>(
        &'a self,
        catalog: &'a Catalog,
        pets: u32,
        from: ObjectType,
        index: usize,
        to: ObjectType,
        start: usize,
    ) -> Box<dyn Iterator<Item = (usize, Vec<Spec>)> + 'a> {
        let Some((pair, owning)) = Pair::of(from, to) else {
            return Box::new(std::iter::empty());
        };
        if owning && !self.uses_slots(catalog, pair, index) {
            // The busy contact: its deals are a range, read lazily from `start`.
            let busy = self.busy(catalog);
            Box::new(
                (start.min(busy)..busy)
                    .map(move |p| (p, self.types(pets, pair, index, p, BUSY, true))),
            )
        } else if owning {
            let links = self.owned(catalog, pair, index);
            Box::new(
                links
                    .into_iter()
                    .filter(move |&(p, _)| p >= start)
                    .map(move |(p, k)| (p, self.types(pets, pair, index, p, k, true))),
            )
        } else {
            Box::new(
                self.owners(catalog, pair, index, start)
                    .map(move |(i, k)| (i, self.types(pets, pair, i, index, k, false))),
            )
        }
    }

    /// Owner `i`'s seeded links (not the busy contact's): `(pool index, slot)`, ascending.
    fn owned(&self, catalog: &Catalog, pair: Pair, i: usize) -> Vec<(usize, usize)> {
        let pool = catalog.count(pair.pool());
        if i >= catalog.count(pair.owner()) || pool == 0 {
            return Vec::new();
        }
        let mut links: Vec<(usize, usize)> = (0..Self::slot_count(pair, pool))
            .filter(|&k| self.filled(pair, i, k))
            .map(|k| {
                let p = (i as u64 % pool as u64 + self.offset(pair, pool, k)) % pool as u64;
                (usize::try_from(p).unwrap_or(0), k)
            })
            .collect();
        links.sort_unstable();
        links
    }

    /// The owners linked to pool record `p`, ascending from owner index `start`:
    /// `(owner index, slot)`.
    fn owners<'a>(
        &'a self,
        catalog: &'a Catalog,
        pair: Pair,
        p: usize,
        start: usize,
    ) -> impl Iterator<Item = (usize, usize)> + 'a {
        let owners = catalog.count(pair.owner()) as u64;
        let pool = catalog.count(pair.pool());
        let busy = (pair == Pair::ContactDeal && p < self.busy(catalog) && start == 0)
            .then_some((0, BUSY));
        // Owner i reaches p through slot k when i ≡ p − offset(k) (mod pool).
        let mut residues: Vec<(u64, usize)> = if p < pool {
            (0..Self::slot_count(pair, pool))
                .map(|k| {
                    let n = pool as u64;
                    ((p as u64 + n - self.offset(pair, pool, k)) % n, k)
                })
                .collect()
        } else {
            Vec::new()
        };
        residues.sort_unstable();
        let stride = pool.max(1) as u64;
        let mut base = start as u64 / stride * stride;
        let mut next = 0;
        let seeded = std::iter::from_fn(move || {
            loop {
                if residues.is_empty() {
                    return None;
                }
                if next == residues.len() {
                    next = 0;
                    base += stride;
                }
                if base >= owners {
                    return None;
                }
                let (r, k) = residues[next];
                next += 1;
                let i = base + r;
                let Ok(i) = usize::try_from(i) else {
                    return None;
                };
                if i < start
                    || i as u64 >= owners
                    || !self.uses_slots(catalog, pair, i)
                    || !self.filled(pair, i, k)
                {
                    continue;
                }
                return Some((i, k));
            }
        });
        busy.into_iter().chain(seeded)
    }

    /// The types of the link between owner `i` and pool record `p` (made by slot `k`), read
    /// from the owner's side (`owner_side`) or the pool's; `pets` is the portal's pets →
    /// contacts definition id.
    fn types(
        &self,
        pets: u32,
        pair: Pair,
        i: usize,
        p: usize,
        k: usize,
        owner_side: bool,
    ) -> Vec<Spec> {
        match pair {
            Pair::PetContact => vec![pet_spec(pets, owner_side)],
            Pair::ContactCompany | Pair::DealCompany => {
                let primary = k == 0;
                let (plain, main) = match (pair, owner_side) {
                    (Pair::ContactCompany, true) => {
                        (CONTACT_TO_COMPANY, CONTACT_TO_COMPANY_PRIMARY)
                    }
                    (Pair::ContactCompany, false) => {
                        (COMPANY_TO_CONTACT, COMPANY_TO_CONTACT_PRIMARY)
                    }
                    (_, true) => (DEAL_TO_COMPANY, DEAL_TO_COMPANY_PRIMARY),
                    (_, false) => (COMPANY_TO_DEAL, COMPANY_TO_DEAL_PRIMARY),
                };
                if primary {
                    vec![main, plain]
                } else {
                    vec![plain]
                }
            }
            Pair::ContactDeal => {
                // Decided by the pair of records, so both directions agree whatever the slot.
                let decision_maker =
                    self.hash(pair, i as u64, !(p as u64)) % 100 < DECISION_MAKER_PERCENT;
                let (plain, label) = if owner_side {
                    (CONTACT_TO_DEAL, CONTACT_TO_DEAL_DECISION_MAKER)
                } else {
                    (DEAL_TO_CONTACT, DEAL_TO_CONTACT_DECISION_MAKER)
                };
                if decision_maker {
                    vec![plain, label]
                } else {
                    vec![plain]
                }
            }
        }
    }

    /// The association types defined from `from` to `to` (`GET …/labels`).
    pub(crate) fn definitions(pets: u32, from: ObjectType, to: ObjectType) -> Vec<Spec> {
        use ObjectType::{Companies, Contacts, Deals, Pets};
        match (from, to) {
            (Contacts, Companies) => vec![CONTACT_TO_COMPANY_PRIMARY, CONTACT_TO_COMPANY],
            (Companies, Contacts) => vec![COMPANY_TO_CONTACT_PRIMARY, COMPANY_TO_CONTACT],
            (Contacts, Deals) => vec![CONTACT_TO_DEAL, CONTACT_TO_DEAL_DECISION_MAKER],
            (Deals, Contacts) => vec![DEAL_TO_CONTACT, DEAL_TO_CONTACT_DECISION_MAKER],
            (Deals, Companies) => vec![DEAL_TO_COMPANY_PRIMARY, DEAL_TO_COMPANY],
            (Companies, Deals) => vec![COMPANY_TO_DEAL_PRIMARY, COMPANY_TO_DEAL],
            (Contacts, Contacts) => vec![CONTACT_TO_CONTACT],
            (Companies, Companies) => vec![COMPANY_TO_COMPANY],
            (Deals, Deals) => vec![DEAL_TO_DEAL],
            (Pets, Contacts) => vec![pet_spec(pets, true)],
            (Contacts, Pets) => vec![pet_spec(pets, false)],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const PETS: u32 = 500;

    fn all(
        graph: &Graph,
        catalog: &Catalog,
        from: ObjectType,
        i: usize,
        to: ObjectType,
    ) -> Vec<(usize, Vec<Spec>)> {
        graph.targets(catalog, PETS, from, i, to, 0).collect()
    }

    #[test]
    fn every_link_is_listed_from_both_sides_with_matching_types() {
        let catalog = Catalog::new(42, 250, 40, 60).with_count(ObjectType::Pets, 45);
        let graph = Graph::new(42, 1_200);
        for (a, b) in [
            (ObjectType::Contacts, ObjectType::Companies),
            (ObjectType::Contacts, ObjectType::Deals),
            (ObjectType::Deals, ObjectType::Companies),
            (ObjectType::Pets, ObjectType::Contacts),
        ] {
            let mut forward = BTreeSet::new();
            for i in 0..catalog.count(a) {
                let links = all(&graph, &catalog, a, i, b);
                assert!(
                    links.windows(2).all(|w| w[0].0 < w[1].0),
                    "ascending, no repeats"
                );
                for (j, types) in links {
                    forward.insert((i, j, types.len()));
                }
            }
            let mut backward = BTreeSet::new();
            for j in 0..catalog.count(b) {
                let links = all(&graph, &catalog, b, j, a);
                assert!(
                    links.windows(2).all(|w| w[0].0 < w[1].0),
                    "ascending, no repeats"
                );
                for (i, types) in links {
                    backward.insert((i, j, types.len()));
                }
            }
            assert!(!forward.is_empty());
            assert_eq!(forward, backward, "{a:?} ↔ {b:?}");
        }
    }

    #[test]
    fn contacts_have_few_companies_one_primary_and_the_busy_contact_owns_every_deal() {
        let catalog = Catalog::new(7, 500, 30, 1_300);
        let graph = Graph::new(7, 1_200);
        let busy = all(&graph, &catalog, ObjectType::Contacts, 0, ObjectType::Deals);
        assert_eq!(busy.len(), 1_200);
        for i in 1..500 {
            let companies = all(
                &graph,
                &catalog,
                ObjectType::Contacts,
                i,
                ObjectType::Companies,
            );
            assert!(companies.len() <= 2);
            let primaries = companies
                .iter()
                .filter(|(_, t)| t.contains(&CONTACT_TO_COMPANY_PRIMARY))
                .count();
            assert!(primaries <= 1);
            assert!(all(&graph, &catalog, ObjectType::Contacts, i, ObjectType::Deals).len() <= 5);
        }
        // Starting mid-way gives the tail.
        let tail: Vec<usize> = graph
            .targets(
                &catalog,
                PETS,
                ObjectType::Deals,
                7,
                ObjectType::Contacts,
                1,
            )
            .map(|(i, _)| i)
            .collect();
        let whole: Vec<usize> = all(&graph, &catalog, ObjectType::Deals, 7, ObjectType::Contacts)
            .into_iter()
            .map(|(i, _)| i)
            .filter(|&i| i >= 1)
            .collect();
        assert_eq!(tail, whole);
        // Capped at the deal count.
        let small = Catalog::new(7, 10, 3, 60);
        assert_eq!(
            all(&graph, &small, ObjectType::Contacts, 0, ObjectType::Deals).len(),
            60
        );
    }
}
