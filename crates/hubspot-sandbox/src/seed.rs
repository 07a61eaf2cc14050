//! Deterministic CRM records.
//!
//! Records come from a small self-contained PRNG (SplitMix64) rather than `rand`'s `StdRng`,
//! whose output may change between `rand` versions: a test that pins "contact 3 is Ada Okafor"
//! must keep passing after a dependency bump. Timestamps are fixed offsets from a fixed date,
//! never from "now", for the same reason.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

/// The CRM object types the sandbox serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ObjectType {
    Contacts,
    Companies,
    Deals,
}

impl ObjectType {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name {
            "contacts" | "contact" | "0-1" => Some(Self::Contacts),
            "companies" | "company" | "0-2" => Some(Self::Companies),
            "deals" | "deal" | "0-3" => Some(Self::Deals),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Companies => "companies",
            Self::Deals => "deals",
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

/// One CRM record; property values are strings, as HubSpot sends them.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    pub id: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub properties: BTreeMap<&'static str, String>,
}

/// All seeded records, each list in ascending id order.
#[derive(Debug)]
pub(crate) struct Records {
    pub contacts: Vec<Record>,
    pub companies: Vec<Record>,
    pub deals: Vec<Record>,
}

impl Records {
    pub(crate) fn of(&self, object_type: ObjectType) -> &[Record] {
        match object_type {
            ObjectType::Contacts => &self.contacts,
            ObjectType::Companies => &self.companies,
            ObjectType::Deals => &self.deals,
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

fn slug(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .flat_map(char::to_lowercase)
        .collect()
}

fn timestamp(base: DateTime<Utc>, rng: &mut SplitMix64, max_days: i64) -> DateTime<Utc> {
    let millis = rng.below(u64::try_from(max_days.max(1) * 86_400_000).unwrap_or(1));
    base + Duration::milliseconds(i64::try_from(millis).unwrap_or(0))
}

fn phone(rng: &mut SplitMix64) -> String {
    format!("+1 ({}) 555-{:04}", 200 + rng.below(700), rng.below(10_000))
}

/// Builds `count` ascending ids starting near `base`, with random gaps as HubSpot's have.
fn ids(rng: &mut SplitMix64, base: u64, count: usize) -> Vec<u64> {
    let mut next = base + rng.below(50);
    (0..count)
        .map(|_| {
            let id = next;
            next += 1 + rng.below(97);
            id
        })
        .collect()
}

fn record(
    id: u64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    modified_key: &'static str,
    mut properties: BTreeMap<&'static str, String>,
) -> Record {
    properties.insert("createdate", crate::time::format(created_at));
    properties.insert(modified_key, crate::time::format(updated_at));
    properties.insert("hs_object_id", id.to_string());
    Record {
        id,
        created_at,
        updated_at,
        properties,
    }
}

/// Generates the records for `seed`.
pub(crate) fn generate(seed: u64, contacts: usize, companies: usize, deals: usize) -> Records {
    let mut rng = SplitMix64(seed ^ 0x005E_ED0F_C0DE);
    let base = Utc
        .with_ymd_and_hms(2023, 1, 9, 8, 30, 0)
        .single()
        .unwrap_or_else(Utc::now);

    // Companies first: contacts and deals refer to them.
    let company_ids = ids(&mut rng, 9_800_000_000, companies);
    let mut company_names: Vec<(String, String)> = Vec::with_capacity(companies);
    let company_records: Vec<Record> = company_ids
        .iter()
        .enumerate()
        .map(|(index, &id)| {
            // Redraw on collision so names and domains stay unique; number only as a last resort.
            let mut name = String::new();
            for _ in 0..16 {
                name = format!(
                    "{} {}",
                    rng.pick(COMPANY_PREFIXES),
                    rng.pick(COMPANY_SUFFIXES)
                );
                if !company_names.iter().any(|(n, _)| *n == name) {
                    break;
                }
            }
            if company_names.iter().any(|(n, _)| *n == name) {
                name = format!("{name} {}", index + 1);
            }
            let tld = rng.pick(&["com", "io", "co", "net"]);
            let domain = format!("{}.{tld}", slug(&name));
            company_names.push((name.clone(), domain.clone()));
            let (city, country) =
                CITIES[usize::try_from(rng.below(CITIES.len() as u64)).unwrap_or(0)];
            let created = timestamp(base, &mut rng, 400);
            let updated = timestamp(created, &mut rng, 300);
            let mut properties = BTreeMap::new();
            properties.insert("name", name);
            properties.insert("domain", domain);
            properties.insert("industry", rng.pick(INDUSTRIES).to_owned());
            properties.insert("city", city.to_owned());
            properties.insert("country", country.to_owned());
            properties.insert("lifecyclestage", rng.pick(LIFECYCLE_STAGES).to_owned());
            properties.insert("numberofemployees", (5 + rng.below(4_995)).to_string());
            if rng.chance(80) {
                properties.insert("phone", phone(&mut rng));
            }
            if rng.chance(70) {
                properties.insert(
                    "annualrevenue",
                    ((1 + rng.below(500)) * 100_000).to_string(),
                );
            }
            record(id, created, updated, "hs_lastmodifieddate", properties)
        })
        .collect();

    let contact_ids = ids(&mut rng, 101, contacts);
    let contact_records = contact_ids
        .iter()
        .map(|&id| {
            let first = rng.pick(FIRST_NAMES);
            let last = rng.pick(LAST_NAMES);
            let mut properties = BTreeMap::new();
            let employer = if company_names.is_empty() || rng.chance(15) {
                None
            } else {
                let index = usize::try_from(rng.below(company_names.len() as u64)).unwrap_or(0);
                Some(&company_names[index])
            };
            let local = format!("{}.{}", slug(first), slug(last));
            let email = match employer {
                Some((_, domain)) => format!("{local}@{domain}"),
                None => format!("{local}{}@{}", rng.below(100), rng.pick(PERSONAL_DOMAINS)),
            };
            properties.insert("firstname", first.to_owned());
            properties.insert("lastname", last.to_owned());
            properties.insert("email", email);
            if let Some((name, domain)) = employer {
                properties.insert("company", name.clone());
                properties.insert("website", format!("https://www.{domain}"));
                properties.insert("jobtitle", rng.pick(JOB_TITLES).to_owned());
            }
            // Some contacts have no phone: a requested property without a value comes back null.
            if rng.chance(65) {
                properties.insert("phone", phone(&mut rng));
            }
            let (city, country) =
                CITIES[usize::try_from(rng.below(CITIES.len() as u64)).unwrap_or(0)];
            properties.insert("city", city.to_owned());
            properties.insert("country", country.to_owned());
            properties.insert("lifecyclestage", rng.pick(LIFECYCLE_STAGES).to_owned());
            let created = timestamp(base, &mut rng, 600);
            let updated = timestamp(created, &mut rng, 200);
            record(id, created, updated, "lastmodifieddate", properties)
        })
        .collect();

    let deal_ids = ids(&mut rng, 14_500_000_000, deals);
    let deal_records = deal_ids
        .iter()
        .map(|&id| {
            let company = if company_names.is_empty() {
                "Prospect".to_owned()
            } else {
                let index = usize::try_from(rng.below(company_names.len() as u64)).unwrap_or(0);
                company_names[index].0.clone()
            };
            let created = timestamp(base, &mut rng, 600);
            let updated = timestamp(created, &mut rng, 120);
            let close = timestamp(created, &mut rng, 180);
            let mut properties = BTreeMap::new();
            properties.insert(
                "dealname",
                format!("{company} — {}", rng.pick(DEAL_PRODUCTS)),
            );
            properties.insert("amount", ((1 + rng.below(200)) * 500).to_string());
            properties.insert("dealstage", rng.pick(DEAL_STAGES).to_owned());
            properties.insert("pipeline", "default".to_owned());
            properties.insert("closedate", crate::time::format(close));
            properties.insert("hubspot_owner_id", (41_200_000 + rng.below(8)).to_string());
            record(id, created, updated, "hs_lastmodifieddate", properties)
        })
        .collect();

    Records {
        contacts: contact_records,
        companies: company_records,
        deals: deal_records,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_ascend_and_company_names_and_domains_are_unique() {
        let records = generate(42, 250, 40, 60);
        for list in [&records.contacts, &records.companies, &records.deals] {
            assert!(list.windows(2).all(|w| w[0].id < w[1].id));
        }
        let names: HashSet<_> = records
            .companies
            .iter()
            .map(|c| &c.properties["name"])
            .collect();
        let domains: HashSet<_> = records
            .companies
            .iter()
            .map(|c| &c.properties["domain"])
            .collect();
        assert_eq!((names.len(), domains.len()), (40, 40));
    }

    #[test]
    fn the_same_seed_gives_the_same_records() {
        let (a, b) = (generate(9, 20, 5, 5), generate(9, 20, 5, 5));
        let view = |r: &Records| -> Vec<(u64, BTreeMap<&'static str, String>)> {
            r.contacts
                .iter()
                .map(|c| (c.id, c.properties.clone()))
                .collect()
        };
        assert_eq!(view(&a), view(&b));
    }
}
