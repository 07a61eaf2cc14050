//! The full record: every property of a contact, company or deal, drawn from the word lists
//! (the other types' in [`super::other`]).
//!
//! Rendering a page, a search filter on a property the cheap fields do not cover, and a change
//! through the admin knobs need this; it is the expensive part of the generator. Each record draws from its
//! own stream ([`Stream::Properties`]), so it depends on its index alone and not on which
//! records were generated before it. Contacts work at generated companies (same name and
//! domain), so the data joins up as a real portal's does.

use std::collections::BTreeMap;

use super::words::{
    CITIES, COMPANY_PREFIXES, COMPANY_SUFFIXES, DEAL_PRODUCTS, DEAL_STAGES, FIRST_NAMES,
    INDUSTRIES, JOB_TITLES, LAST_NAMES, LIFECYCLE_STAGES, PERSONAL_DOMAINS,
};
use super::{Catalog, DAY_MS, ObjectType, Record, SplitMix64, Stream, millis_to_time};

impl Catalog {
    /// A unique company name for company `index`.
    pub(super) fn company_name(&self, index: usize) -> String {
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

    /// The domain of company `index`, named `name`: its slug and a seeded top-level domain.
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
            other => properties = self.other(other, index, rng),
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
        properties.insert(object.created_property(), format(created_at));
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

    /// The properties of a type [`super::other`] generates.
    fn other(
        &self,
        object: ObjectType,
        index: usize,
        rng: SplitMix64,
    ) -> BTreeMap<&'static str, String> {
        let mut draft = super::other::Draft {
            catalog: self,
            object,
            index,
            rng,
            properties: BTreeMap::new(),
        };
        draft.fill();
        draft.properties
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

/// `text` lowercased, with everything but ASCII letters and digits dropped.
fn slug(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .flat_map(char::to_lowercase)
        .collect()
}

/// A North American number in the fictional 555 range.
fn phone(rng: &mut SplitMix64) -> String {
    format!("+1 ({}) 555-{:04}", 200 + rng.below(700), rng.below(10_000))
}
