//! Deterministic CRM records, generated on demand.
//!
//! Nothing is generated up front: record `i` of a type is a pure function of the seed, the
//! type and `i` ([`Catalog::record`]), so a portal of a million contacts costs no memory and
//! any page can be produced directly. The cheap parts a search scans (id, `createdate`, the
//! last-modified date) have their own functions that allocate nothing.
//!
//! Values come from a small self-contained PRNG (SplitMix64) rather than `rand`'s `StdRng`,
//! whose output may change between `rand` versions: a test that pins "contact 3 is Ada Okafor"
//! must keep passing after a dependency bump. Timestamps are fixed offsets from a fixed date,
//! never from "now", for the same reason.
//!
//! [`ObjectType`] says what each type has, [`generate`] makes a full record from the word
//! lists in [`words`]; here are the ids, dates and seeded choices every part derives from.

mod generate;
mod object;
mod other;
mod words;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

pub use object::ObjectType;
pub(crate) use other::{
    CALL_DIRECTIONS, CALL_STATUSES, EMAIL_DIRECTIONS, EMAIL_STATUSES, MEETING_OUTCOMES,
    PRODUCT_TYPES, QUOTE_STATUSES, RECURRING_FREQUENCIES, SPECIES, TASK_PRIORITIES, TASK_STATUSES,
    TASK_TYPES, TICKET_CATEGORIES, TICKET_PIPELINES, TICKET_PRIORITIES, TICKET_SOURCES,
    TICKET_STAGES,
};
pub(crate) use words::{DEAL_STAGES, INDUSTRIES, LIFECYCLE_STAGES};

use crate::contract::{Contract, Vary, What};

/// SplitMix64 (Steele, Lea and Flood): tiny, fast, and fixed forever, unlike `rand`'s generators.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        let index = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items[index]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// One CRM record; property values are strings, as HubSpot sends them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub id: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When it was archived; `None` while it is live.
    pub archived_at: Option<DateTime<Utc>>,
    pub properties: BTreeMap<&'static str, String>,
    /// Fraction digits of this record's timestamps (0, 3 or 6).
    pub digits: u8,
}

/// 2023-01-09T08:30:00Z, the first creation date, in epoch milliseconds.
const BASE_MS: i64 = 1_673_253_000_000;
const DAY_MS: i64 = 86_400_000;
/// Creation dates spread over this span, in id order.
const CREATED_SPAN_MS: i64 = 600 * DAY_MS;
/// A record not in a bulk update was last modified up to this many minutes after creation.
const MODIFIED_SPAN_MINUTES: u64 = 200 * 24 * 60;
/// This share of records was last touched by one of the [`BULK_UPDATES_MS`] imports, so
/// thousands of records (at scale: tens of thousands) share one last-modified timestamp.
const BULK_PERCENT: u64 = 20;
/// The instants of the bulk updates: 610, 617, 624 and 631 days after [`BASE_MS`], later than
/// every creation date.
const BULK_UPDATES_MS: [i64; 4] = [
    BASE_MS + 610 * DAY_MS,
    BASE_MS + 617 * DAY_MS,
    BASE_MS + 624 * DAY_MS,
    BASE_MS + 631 * DAY_MS,
];
/// Ids ascend with a gap of 1 to this many, so they are irregular yet invertible.
const ID_STRIDE: u64 = 7;

/// Which independent value of a record a hash is for.
#[derive(Clone, Copy)]
enum Stream {
    IdGap = 1,
    Created = 2,
    Modified = 3,
    Properties = 4,
    Domain = 5,
}

pub(crate) fn millis_to_time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The seeded records of every type, as pure functions of their index (0-based, id order).
#[derive(Clone, Debug)]
pub(crate) struct Catalog {
    seed: u64,
    contacts: usize,
    companies: usize,
    deals: usize,
    /// How many records the other types have (none unless set).
    others: BTreeMap<ObjectType, usize>,
    /// Decides the record data the contract varies: timestamp precision, blank values.
    contract: Contract,
}

/// A per-object salt, so the same id of two types decides differently.
pub(crate) fn salt(object: ObjectType) -> u64 {
    match object {
        ObjectType::Contacts => 0x00C0_47AC,
        ObjectType::Companies => 0x00C0_4BA1,
        ObjectType::Deals => 0x00DE_A150,
        ObjectType::Tickets => 0x0071_C4E7,
        ObjectType::Products => 0x0090_0D5C,
        ObjectType::LineItems => 0x0011_4E17,
        ObjectType::Quotes => 0x0000_A07E,
        ObjectType::Calls => 0x00CA_1150,
        ObjectType::Emails => 0x00E3_A115,
        ObjectType::Meetings => 0x003E_E710,
        ObjectType::Notes => 0x0040_7E50,
        ObjectType::Tasks => 0x007A_5C50,
        ObjectType::Pets => 0x00BE_7500,
    }
}

fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

impl Catalog {
    /// A catalog with the typical record data (millisecond times, no blank values).
    pub(crate) fn new(seed: u64, contacts: usize, companies: usize, deals: usize) -> Self {
        Self {
            seed,
            contacts,
            companies,
            deals,
            others: BTreeMap::new(),
            contract: Contract::typical(),
        }
    }

    /// The same catalog with `count` records of `object`.
    pub(crate) fn with_count(mut self, object: ObjectType, count: usize) -> Self {
        match object {
            ObjectType::Contacts => self.contacts = count,
            ObjectType::Companies => self.companies = count,
            ObjectType::Deals => self.deals = count,
            other => {
                self.others.insert(other, count);
            }
        }
        self
    }

    /// The same records, with timestamp precision and blank values as `contract` decides.
    pub(crate) fn with_contract(mut self, contract: Contract) -> Self {
        self.contract = contract;
        self
    }

    /// Fraction digits of record `id`'s timestamps.
    pub(crate) fn digits(&self, object: ObjectType, id: u64) -> u8 {
        self.contract.digits(salt(object), id)
    }

    /// `ms` as record `id` can hold it: whole seconds for a record printed with 0 digits.
    pub(crate) fn quantize(&self, object: ObjectType, id: u64, ms: i64) -> i64 {
        if self.digits(object, id) == 0 {
            ms - ms.rem_euclid(1_000)
        } else {
            ms
        }
    }

    /// Blanks some properties of a record: unset (rendered `null`) or `""`.
    fn blank(&self, object: ObjectType, id: u64, properties: &mut BTreeMap<&'static str, String>) {
        let (unset, empty) = match self.contract.blank_values {
            Vary::Off => return,
            Vary::On => (20, 40),
            Vary::Seeded => (6, 12),
        };
        properties.retain(|name, value| {
            if object.always_properties().contains(name) {
                return true;
            }
            let roll = self
                .contract
                .hash(What::Blank, id ^ salt(object) ^ name_hash(name))
                % 100;
            if roll < unset {
                false
            } else {
                if roll < empty {
                    value.clear();
                }
                true
            }
        });
    }

    pub(crate) fn count(&self, object: ObjectType) -> usize {
        match object {
            ObjectType::Contacts => self.contacts,
            ObjectType::Companies => self.companies,
            ObjectType::Deals => self.deals,
            other => self.others.get(&other).copied().unwrap_or(0),
        }
    }

    fn first_id(object: ObjectType) -> u64 {
        match object {
            ObjectType::Contacts => 101,
            ObjectType::Companies => 9_800_000_000,
            ObjectType::Deals => 14_500_000_000,
            // A range of a billion ids each: 142 million records before the next type's.
            ObjectType::Tickets => 20_100_000_000,
            ObjectType::Products => 21_200_000_000,
            ObjectType::LineItems => 22_300_000_000,
            ObjectType::Quotes => 23_400_000_000,
            ObjectType::Calls => 40_100_000_000,
            ObjectType::Emails => 41_200_000_000,
            ObjectType::Meetings => 42_300_000_000,
            ObjectType::Notes => 43_400_000_000,
            ObjectType::Tasks => 44_500_000_000,
            ObjectType::Pets => 50_600_000_000,
        }
    }

    fn hash(&self, object: ObjectType, index: usize, stream: Stream) -> u64 {
        let salt = salt(object);
        let mut rng = SplitMix64(
            (self.seed ^ 0x005E_ED0F_C0DE ^ salt)
                .wrapping_add((index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03))
                .wrapping_add((stream as u64).wrapping_mul(0xA24B_AED4_963E_E407)),
        );
        rng.next()
    }

    /// The id of record `index`: ascending in `index`, gaps of 1 to [`ID_STRIDE`].
    pub(crate) fn id(&self, object: ObjectType, index: usize) -> u64 {
        Self::first_id(object)
            + index as u64 * ID_STRIDE
            + self.hash(object, index, Stream::IdGap) % ID_STRIDE
    }

    /// The index of the first record whose id is at least `id` (`count` if none).
    pub(crate) fn lower_bound(&self, object: ObjectType, id: u64) -> usize {
        let count = self.count(object);
        let Some(offset) = id.checked_sub(Self::first_id(object)) else {
            return 0;
        };
        let candidate = usize::try_from(offset / ID_STRIDE).unwrap_or(usize::MAX);
        if candidate >= count {
            return count;
        }
        if self.id(object, candidate) >= id {
            candidate
        } else {
            candidate + 1
        }
    }

    /// The index of the record with this id, if there is one.
    pub(crate) fn index_of(&self, object: ObjectType, id: u64) -> Option<usize> {
        let index = self.lower_bound(object, id);
        (index < self.count(object) && self.id(object, index) == id).then_some(index)
    }

    /// `createdate` in epoch milliseconds: spread over 600 days in id order.
    pub(crate) fn created_ms(&self, object: ObjectType, index: usize) -> i64 {
        let step = CREATED_SPAN_MS / i64::try_from(self.count(object).max(1)).unwrap_or(1);
        let step = step.max(1);
        let jitter = self.hash(object, index, Stream::Created) % step as u64;
        let ms = BASE_MS + i64::try_from(index).unwrap_or(0) * step + jitter as i64;
        self.quantize(object, self.id(object, index), ms)
    }

    /// The last-modified date in epoch milliseconds (never before `createdate`).
    pub(crate) fn modified_ms(&self, object: ObjectType, index: usize) -> i64 {
        let h = self.hash(object, index, Stream::Modified);
        if h % 100 < BULK_PERCENT {
            BULK_UPDATES_MS[((h >> 8) % BULK_UPDATES_MS.len() as u64) as usize]
        } else {
            let minutes = (h >> 8) % MODIFIED_SPAN_MINUTES;
            self.created_ms(object, index) + minutes as i64 * 60_000
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn all(catalog: &Catalog, object: ObjectType) -> Vec<Record> {
        (0..catalog.count(object))
            .map(|i| catalog.record(object, i))
            .collect()
    }

    #[test]
    fn ids_ascend_and_company_names_and_domains_are_unique() {
        let catalog = with_others(Catalog::new(42, 250, 40, 60), 30);
        for object in ObjectType::ALL {
            let list = all(&catalog, object);
            assert!(list.windows(2).all(|w| w[0].id < w[1].id));
        }
        let companies = all(&catalog, ObjectType::Companies);
        let names: HashSet<_> = companies.iter().map(|c| &c.properties["name"]).collect();
        let domains: HashSet<_> = companies.iter().map(|c| &c.properties["domain"]).collect();
        assert_eq!((names.len(), domains.len()), (40, 40));
        let many = Catalog::new(42, 0, 1_000, 0);
        let names: HashSet<_> = (0..1_000).map(|i| many.company_name(i)).collect();
        assert_eq!(names.len(), 1_000);
    }

    #[test]
    fn the_same_seed_gives_the_same_records() {
        let (a, b) = (
            with_others(Catalog::new(9, 20, 5, 5), 5),
            with_others(Catalog::new(9, 20, 5, 5), 5),
        );
        for object in ObjectType::ALL {
            assert_eq!(all(&a, object), all(&b, object));
        }
        let c = Catalog::new(10, 20, 5, 5);
        assert_ne!(all(&a, ObjectType::Contacts), all(&c, ObjectType::Contacts));
    }

    #[test]
    fn a_record_depends_only_on_its_index_not_on_the_portal_size() {
        // Record i is a pure function of (seed, type, i, companies): generating it alone, in
        // any order, or in a larger portal gives the same id, names, email and company.
        let small = Catalog::new(42, 250, 40, 60);
        let large = Catalog::new(42, 1_000_000, 40, 60);
        for i in [0, 1, 17, 249] {
            let (a, b) = (
                small.record(ObjectType::Contacts, i),
                large.record(ObjectType::Contacts, i),
            );
            assert_eq!(a.id, b.id);
            for key in ["firstname", "lastname", "email", "company", "phone"] {
                assert_eq!(a.properties.get(key), b.properties.get(key), "{key}");
            }
        }
        let last = large.record(ObjectType::Contacts, 999_999);
        assert_eq!(last, large.record(ObjectType::Contacts, 999_999));
        assert_eq!(
            last.properties["lastmodifieddate"],
            crate::time::format(millis_to_time(
                large.modified_ms(ObjectType::Contacts, 999_999)
            ))
        );
    }

    /// A catalog with `others` records of every type beyond contacts, companies and deals.
    fn with_others(catalog: Catalog, others: usize) -> Catalog {
        ObjectType::ALL
            .into_iter()
            .skip(3)
            .fold(catalog, |c, object| c.with_count(object, others))
    }

    #[test]
    fn ids_invert_to_their_index() {
        let catalog = with_others(Catalog::new(42, 1_000_000, 40, 60), 5_000);
        for object in ObjectType::ALL {
            let count = catalog.count(object);
            for index in [0, 1, 2, count / 2, count - 2, count - 1] {
                let id = catalog.id(object, index);
                assert_eq!(catalog.index_of(object, id), Some(index));
                assert_eq!(catalog.lower_bound(object, id), index);
                assert_eq!(catalog.lower_bound(object, id + 1), index + 1);
                if index > 0 && catalog.id(object, index - 1) + 1 < id {
                    assert_eq!(catalog.index_of(object, id - 1), None);
                }
            }
            assert_eq!(catalog.lower_bound(object, 0), 0);
            assert_eq!(catalog.lower_bound(object, u64::MAX), count);
        }
    }

    #[test]
    fn many_records_share_a_last_modified_timestamp_and_none_is_modified_before_creation() {
        let catalog = Catalog::new(42, 250, 40, 60);
        let mut by_time: BTreeMap<i64, usize> = BTreeMap::new();
        for i in 0..250 {
            let (created, modified) = (
                catalog.created_ms(ObjectType::Contacts, i),
                catalog.modified_ms(ObjectType::Contacts, i),
            );
            assert!(modified >= created);
            *by_time.entry(modified).or_default() += 1;
        }
        assert!(by_time.values().any(|&n| n >= 10), "{by_time:?}");
        let created: Vec<i64> = (0..250)
            .map(|i| catalog.created_ms(ObjectType::Contacts, i))
            .collect();
        assert!(created.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn every_type_has_its_own_id_range_and_its_dates_and_known_properties() {
        let catalog = with_others(Catalog::new(42, 250, 40, 60), 30);
        let mut ranges: Vec<(u64, u64, ObjectType)> = ObjectType::ALL
            .into_iter()
            .map(|o| {
                let count = catalog.count(o);
                (catalog.id(o, 0), catalog.id(o, count - 1), o)
            })
            .collect();
        ranges.sort_unstable();
        assert!(ranges.windows(2).all(|w| w[0].1 < w[1].0), "{ranges:?}");
        for object in ObjectType::ALL {
            let known = object.known_properties();
            for always in object.always_properties() {
                assert!(known.contains(always), "{object:?} {always}");
            }
            for default in object.default_properties() {
                assert!(known.contains(default), "{object:?} {default}");
            }
            let (mutable, values) = object.mutable_property();
            assert!(known.contains(&mutable) && !values.is_empty(), "{object:?}");
            for index in [0, 29] {
                let record = catalog.record(object, index);
                assert!(record.properties.contains_key(object.created_property()));
                assert!(record.properties.contains_key(object.modified_property()));
                for name in record.properties.keys() {
                    assert!(known.contains(name), "{object:?} has unknown {name}");
                }
            }
        }
        let ticket = catalog.record(ObjectType::Tickets, 0);
        assert!(TICKET_STAGES.contains(&ticket.properties["hs_pipeline_stage"].as_str()));
        let call = catalog.record(ObjectType::Calls, 3);
        assert!(call.properties.contains_key("hs_timestamp"));
        assert!(!call.properties.contains_key("createdate"));
    }

    #[test]
    fn line_items_name_generated_products() {
        let catalog = with_others(Catalog::new(42, 250, 40, 60), 30);
        for index in 0..30 {
            let item = catalog.record(ObjectType::LineItems, index);
            let product_id: u64 = item.properties["hs_product_id"].parse().unwrap();
            let product = catalog
                .index_of(ObjectType::Products, product_id)
                .map(|i| catalog.record(ObjectType::Products, i))
                .unwrap();
            assert_eq!(product.properties["name"], item.properties["name"]);
        }
    }
}
