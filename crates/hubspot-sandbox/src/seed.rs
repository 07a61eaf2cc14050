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

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::contract::{Contract, Vary, What};

/// The CRM object types the sandbox serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectType {
    /// `contacts` (`0-1`); last-modified property `lastmodifieddate`.
    Contacts,
    /// `companies` (`0-2`); last-modified property `hs_lastmodifieddate`.
    Companies,
    /// `deals` (`0-3`); last-modified property `hs_lastmodifieddate`.
    Deals,
}

impl ObjectType {
    /// Every type, in a fixed order.
    pub const ALL: [Self; 3] = [Self::Contacts, Self::Companies, Self::Deals];

    /// Parses a path segment as HubSpot does: `contacts`, `contact` or `0-1`, and so on.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "contacts" | "contact" | "0-1" => Some(Self::Contacts),
            "companies" | "company" | "0-2" => Some(Self::Companies),
            "deals" | "deal" | "0-3" => Some(Self::Deals),
            _ => None,
        }
    }

    /// The plural name used in paths and scopes (`contacts`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Companies => "companies",
            Self::Deals => "deals",
        }
    }

    /// HubSpot's object type id (`0-1`, `0-2`, `0-3`), as in record URLs.
    pub fn type_id(self) -> &'static str {
        match self {
            Self::Contacts => "0-1",
            Self::Companies => "0-2",
            Self::Deals => "0-3",
        }
    }

    /// Properties returned when the caller names none (HubSpot's documented defaults).
    pub(crate) fn default_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &["firstname", "lastname", "email"],
            Self::Companies => &["name", "domain"],
            Self::Deals => &["dealname", "amount", "dealstage"],
        }
    }

    /// The property holding the last-modified time: HubSpot names it `lastmodifieddate` on
    /// contacts and `hs_lastmodifieddate` on every other object.
    pub fn modified_property(self) -> &'static str {
        match self {
            Self::Contacts => "lastmodifieddate",
            Self::Companies | Self::Deals => "hs_lastmodifieddate",
        }
    }

    /// Properties a search returns when the body names none (HubSpot's search guide).
    pub(crate) fn search_default_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &["firstname", "lastname", "email"],
            Self::Companies => &["name", "domain"],
            Self::Deals => &["dealname", "amount", "closedate", "pipeline", "dealstage"],
        }
    }

    /// The property the admin "modify" knob changes, with its possible values.
    pub(crate) fn mutable_property(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Self::Contacts | Self::Companies => ("lifecyclestage", LIFECYCLE_STAGES),
            Self::Deals => ("dealstage", DEAL_STAGES),
        }
    }

    /// Properties HubSpot includes in every record whatever was asked for.
    pub(crate) fn always_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &["createdate", "lastmodifieddate", "hs_object_id"],
            Self::Companies | Self::Deals => &["createdate", "hs_lastmodifieddate", "hs_object_id"],
        }
    }

    /// Every property the type defines; asking for any other name yields nothing.
    pub(crate) fn known_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &[
                "firstname",
                "lastname",
                "email",
                "phone",
                "company",
                "jobtitle",
                "city",
                "country",
                "lifecyclestage",
                "website",
                "createdate",
                "lastmodifieddate",
                "hs_object_id",
            ],
            Self::Companies => &[
                "name",
                "domain",
                "industry",
                "phone",
                "city",
                "country",
                "numberofemployees",
                "annualrevenue",
                "lifecyclestage",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            ],
            Self::Deals => &[
                "dealname",
                "amount",
                "dealstage",
                "pipeline",
                "closedate",
                "hubspot_owner_id",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            ],
        }
    }
}
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

const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Amara",
    "Aiko",
    "Alejandro",
    "Anika",
    "Ben",
    "Beatriz",
    "Chloe",
    "Chen",
    "Daniel",
    "Dmitri",
    "Elena",
    "Emeka",
    "Farah",
    "Felix",
    "Grace",
    "Hannah",
    "Hiro",
    "Isabel",
    "Ivan",
    "Jamal",
    "Julia",
    "Kai",
    "Katarzyna",
    "Leila",
    "Liam",
    "Lucia",
    "Marco",
    "Maya",
    "Mateo",
    "Nadia",
    "Noah",
    "Olivia",
    "Omar",
    "Priya",
    "Quentin",
    "Rafael",
    "Rosa",
    "Samir",
    "Sofia",
    "Tariq",
    "Thea",
    "Uma",
    "Victor",
    "Wen",
    "Xavier",
    "Yara",
    "Yusuf",
    "Zoe",
    "Zanele",
];

const LAST_NAMES: &[&str] = &[
    "Okafor",
    "Nakamura",
    "Garcia",
    "Schmidt",
    "Kowalski",
    "Haddad",
    "Lindqvist",
    "Moreau",
    "Rossi",
    "Patel",
    "Nguyen",
    "O'Brien",
    "Silva",
    "Kim",
    "Ivanova",
    "Mensah",
    "Fischer",
    "Andersen",
    "Costa",
    "Dubois",
    "Hernandez",
    "Jensen",
    "Khan",
    "Larsen",
    "Mueller",
    "Novak",
    "Park",
    "Quinn",
    "Ramirez",
    "Sato",
    "Tanaka",
    "Van Dijk",
    "Wright",
    "Yilmaz",
    "Zhang",
    "Adeyemi",
    "Bianchi",
    "Chowdhury",
    "Ferreira",
    "Gallagher",
];

const COMPANY_PREFIXES: &[&str] = &[
    "Acme",
    "Blue",
    "Bright",
    "Cedar",
    "Copper",
    "Delta",
    "Ember",
    "Falcon",
    "Granite",
    "Harbor",
    "Iron",
    "Juniper",
    "Keystone",
    "Lumen",
    "Maple",
    "Nimbus",
    "Northwind",
    "Orbit",
    "Pioneer",
    "Quartz",
    "River",
    "Summit",
    "Tidal",
    "Vertex",
    "Willow",
];

const COMPANY_SUFFIXES: &[&str] = &[
    "Labs",
    "Analytics",
    "Logistics",
    "Health",
    "Robotics",
    "Foods",
    "Energy",
    "Capital",
    "Software",
    "Studios",
    "Systems",
    "Networks",
    "Bio",
    "Outfitters",
    "Partners",
];

const INDUSTRIES: &[&str] = &[
    "COMPUTER_SOFTWARE",
    "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "HOSPITAL_HEALTH_CARE",
    "FINANCIAL_SERVICES",
    "LOGISTICS_AND_SUPPLY_CHAIN",
    "FOOD_BEVERAGES",
    "RENEWABLES_ENVIRONMENT",
    "MARKETING_AND_ADVERTISING",
    "BIOTECHNOLOGY",
    "RETAIL",
];

const CITIES: &[(&str, &str)] = &[
    ("Boston", "United States"),
    ("San Francisco", "United States"),
    ("Austin", "United States"),
    ("Toronto", "Canada"),
    ("London", "United Kingdom"),
    ("Dublin", "Ireland"),
    ("Berlin", "Germany"),
    ("Paris", "France"),
    ("Amsterdam", "Netherlands"),
    ("Lagos", "Nigeria"),
    ("Singapore", "Singapore"),
    ("Sydney", "Australia"),
    ("Tokyo", "Japan"),
    ("São Paulo", "Brazil"),
];

const JOB_TITLES: &[&str] = &[
    "VP of Sales",
    "Head of Marketing",
    "Account Executive",
    "Operations Manager",
    "CTO",
    "Product Manager",
    "Customer Success Lead",
    "Data Analyst",
    "Founder & CEO",
    "Procurement Specialist",
];

const LIFECYCLE_STAGES: &[&str] = &[
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
];

const DEAL_STAGES: &[&str] = &[
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
];

const DEAL_PRODUCTS: &[&str] = &[
    "Annual subscription",
    "Pilot",
    "Enterprise expansion",
    "Renewal",
    "Onboarding package",
    "Platform upgrade",
];

const PERSONAL_DOMAINS: &[&str] = &["gmail.com", "outlook.com", "proton.me", "fastmail.com"];

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
    /// Decides the record data the contract varies: timestamp precision, blank values.
    contract: Contract,
}

/// A per-object salt, so the same id of two types decides differently.
pub(crate) fn salt(object: ObjectType) -> u64 {
    match object {
        ObjectType::Contacts => 0x00C0_47AC,
        ObjectType::Companies => 0x00C0_4BA1,
        ObjectType::Deals => 0x00DE_A150,
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
            contract: Contract::typical(),
        }
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
        }
    }

    fn first_id(object: ObjectType) -> u64 {
        match object {
            ObjectType::Contacts => 101,
            ObjectType::Companies => 9_800_000_000,
            ObjectType::Deals => 14_500_000_000,
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

    /// A unique company name for company `index`.
    fn company_name(&self, index: usize) -> String {
        let suffixes = COMPANY_SUFFIXES.len();
        let combos = COMPANY_PREFIXES.len() * suffixes;
        // 7 is coprime with 25 × 15, so this walks every combination once per round.
        let offset = usize::try_from(self.seed % combos as u64).unwrap_or(0);
        let p = ((index % combos) * 7 + offset) % combos;
        let name = format!(
            "{} {}",
            COMPANY_PREFIXES[p / suffixes],
            COMPANY_SUFFIXES[p % suffixes]
        );
        match index / combos {
            0 => name,
            round => format!("{name} {}", round + 1),
        }
    }

    fn company_domain(&self, index: usize, name: &str) -> String {
        let tlds = ["com", "io", "co", "net"];
        let tld = tlds[(self.hash(ObjectType::Companies, index, Stream::Domain) % 4) as usize];
        format!("{}.{tld}", slug(name))
    }

    /// Record `index` of `object`, with every property.
    pub(crate) fn record(&self, object: ObjectType, index: usize) -> Record {
        let mut rng = SplitMix64(self.hash(object, index, Stream::Properties));
        let mut properties = BTreeMap::new();
        match object {
            ObjectType::Contacts => self.contact(&mut rng, &mut properties),
            ObjectType::Companies => self.company(index, &mut rng, &mut properties),
            ObjectType::Deals => self.deal(index, &mut rng, &mut properties),
        }
        let id = self.id(object, index);
        let digits = self.digits(object, id);
        let created_at = millis_to_time(self.created_ms(object, index));
        let updated_at = millis_to_time(self.modified_ms(object, index));
        let format = |at| crate::time::format_digits(at, digits);
        if let Some(close) = properties.get_mut("closedate") {
            let ms =
                chrono::DateTime::parse_from_rfc3339(close).map_or(0, |t| t.timestamp_millis());
            *close = format(millis_to_time(self.quantize(object, id, ms)));
        }
        properties.insert("createdate", format(created_at));
        properties.insert(object.modified_property(), format(updated_at));
        properties.insert("hs_object_id", id.to_string());
        self.blank(object, id, &mut properties);
        Record {
            id,
            created_at,
            updated_at,
            archived_at: None,
            properties,
            digits,
        }
    }

    fn company(
        &self,
        index: usize,
        rng: &mut SplitMix64,
        properties: &mut BTreeMap<&'static str, String>,
    ) {
        let name = self.company_name(index);
        let domain = self.company_domain(index, &name);
        let (city, country) = CITIES[usize::try_from(rng.below(CITIES.len() as u64)).unwrap_or(0)];
        properties.insert("name", name);
        properties.insert("domain", domain);
        properties.insert("industry", rng.pick(INDUSTRIES).to_owned());
        properties.insert("city", city.to_owned());
        properties.insert("country", country.to_owned());
        properties.insert("lifecyclestage", rng.pick(LIFECYCLE_STAGES).to_owned());
        properties.insert("numberofemployees", (5 + rng.below(4_995)).to_string());
        if rng.chance(80) {
            properties.insert("phone", phone(rng));
        }
        if rng.chance(70) {
            properties.insert(
                "annualrevenue",
                ((1 + rng.below(500)) * 100_000).to_string(),
            );
        }
    }

    fn contact(&self, rng: &mut SplitMix64, properties: &mut BTreeMap<&'static str, String>) {
        let first = rng.pick(FIRST_NAMES);
        let last = rng.pick(LAST_NAMES);
        let employer = if self.companies == 0 || rng.chance(15) {
            None
        } else {
            let index = usize::try_from(rng.below(self.companies as u64)).unwrap_or(0);
            let name = self.company_name(index);
            let domain = self.company_domain(index, &name);
            Some((name, domain))
        };
        let local = format!("{}.{}", slug(first), slug(last));
        let email = match &employer {
            Some((_, domain)) => format!("{local}@{domain}"),
            None => format!("{local}{}@{}", rng.below(100), rng.pick(PERSONAL_DOMAINS)),
        };
        properties.insert("firstname", first.to_owned());
        properties.insert("lastname", last.to_owned());
        properties.insert("email", email);
        if let Some((name, domain)) = employer {
            properties.insert("website", format!("https://www.{domain}"));
            properties.insert("company", name);
            properties.insert("jobtitle", rng.pick(JOB_TITLES).to_owned());
        }
        // Some contacts have no phone: a requested property without a value comes back null.
        if rng.chance(65) {
            properties.insert("phone", phone(rng));
        }
        let (city, country) = CITIES[usize::try_from(rng.below(CITIES.len() as u64)).unwrap_or(0)];
        properties.insert("city", city.to_owned());
        properties.insert("country", country.to_owned());
        properties.insert("lifecyclestage", rng.pick(LIFECYCLE_STAGES).to_owned());
    }

    fn deal(
        &self,
        index: usize,
        rng: &mut SplitMix64,
        properties: &mut BTreeMap<&'static str, String>,
    ) {
        let company = if self.companies == 0 {
            "Prospect".to_owned()
        } else {
            self.company_name(usize::try_from(rng.below(self.companies as u64)).unwrap_or(0))
        };
        let created = self.created_ms(ObjectType::Deals, index);
        let close = created + i64::try_from(rng.below(180 * DAY_MS as u64)).unwrap_or(0);
        properties.insert(
            "dealname",
            format!("{company} — {}", rng.pick(DEAL_PRODUCTS)),
        );
        properties.insert("amount", ((1 + rng.below(200)) * 500).to_string());
        properties.insert("dealstage", rng.pick(DEAL_STAGES).to_owned());
        properties.insert("pipeline", "default".to_owned());
        properties.insert("closedate", crate::time::format(millis_to_time(close)));
        properties.insert("hubspot_owner_id", (41_200_000 + rng.below(8)).to_string());
    }
}

fn slug(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .flat_map(char::to_lowercase)
        .collect()
}

fn phone(rng: &mut SplitMix64) -> String {
    format!("+1 ({}) 555-{:04}", 200 + rng.below(700), rng.below(10_000))
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
        let catalog = Catalog::new(42, 250, 40, 60);
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
        let (a, b) = (Catalog::new(9, 20, 5, 5), Catalog::new(9, 20, 5, 5));
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

    #[test]
    fn ids_invert_to_their_index() {
        let catalog = Catalog::new(42, 1_000_000, 40, 60);
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
}
