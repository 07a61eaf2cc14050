//! Records of HubSpot's other standard objects (tickets, commerce, engagements) and of the
//! portal's custom object.
//!
//! A client that syncs "everything" meets these types with their own naming habits:
//! `hs_createdate` instead of `createdate` on quotes, engagements and custom objects, an
//! `hs_timestamp` on every engagement, dates and date-times side by side. They are generated
//! here, apart from contacts, companies and deals, so those keep their exact bytes for a given
//! seed; the values join up with the rest of the portal (line items name generated products,
//! engagements are owned by the deal owners).

use std::collections::BTreeMap;

use super::words::{DEAL_PRODUCTS, FIRST_NAMES, LAST_NAMES};
use super::{Catalog, DAY_MS, ObjectType, SplitMix64, millis_to_time};

/// The owners records are assigned to (`hubspot_owner_id`), the same as the deals'.
pub(crate) const OWNERS: &[&str] = &[
    "41200000", "41200001", "41200002", "41200003", "41200004", "41200005", "41200006", "41200007",
];
/// The stages of the default ticket pipeline (`0`): New, Waiting on contact, Waiting on us,
/// Closed.
pub(crate) const TICKET_STAGES: &[&str] = &["1", "2", "3", "4"];
pub(crate) const TICKET_PIPELINES: &[&str] = &["0"];
pub(crate) const TICKET_PRIORITIES: &[&str] = &["LOW", "MEDIUM", "HIGH", "URGENT"];
pub(crate) const TICKET_CATEGORIES: &[&str] = &[
    "PRODUCT_ISSUE",
    "BILLING_ISSUE",
    "FEATURE_REQUEST",
    "GENERAL_INQUIRY",
];
pub(crate) const TICKET_SOURCES: &[&str] = &["EMAIL", "CHAT", "PHONE", "FORM"];
pub(crate) const PRODUCT_TYPES: &[&str] = &["inventory", "non_inventory", "service"];
pub(crate) const RECURRING_FREQUENCIES: &[&str] = &["monthly", "quarterly", "annually"];
pub(crate) const QUOTE_STATUSES: &[&str] = &[
    "DRAFT",
    "APPROVAL_NOT_NEEDED",
    "PENDING_APPROVAL",
    "APPROVED",
    "REJECTED",
];
pub(crate) const CALL_DIRECTIONS: &[&str] = &["INBOUND", "OUTBOUND"];
pub(crate) const CALL_STATUSES: &[&str] = &["COMPLETED", "BUSY", "NO_ANSWER", "FAILED", "CANCELED"];
pub(crate) const EMAIL_DIRECTIONS: &[&str] = &["EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"];
pub(crate) const EMAIL_STATUSES: &[&str] = &["SENT", "BOUNCED", "FAILED", "SCHEDULED"];
pub(crate) const MEETING_OUTCOMES: &[&str] = &[
    "SCHEDULED",
    "COMPLETED",
    "RESCHEDULED",
    "NO_SHOW",
    "CANCELED",
];
pub(crate) const TASK_STATUSES: &[&str] = &[
    "NOT_STARTED",
    "IN_PROGRESS",
    "WAITING",
    "COMPLETED",
    "DEFERRED",
];
pub(crate) const TASK_PRIORITIES: &[&str] = &["NONE", "LOW", "MEDIUM", "HIGH"];
pub(crate) const TASK_TYPES: &[&str] = &["CALL", "EMAIL", "TODO"];
pub(crate) const SPECIES: &[&str] = &["dog", "cat", "rabbit", "parrot", "other"];
pub(crate) const VACCINATED: &[&str] = &["true", "false"];

const TOPICS: &[&str] = &[
    "login fails after password reset",
    "invoice shows the wrong VAT number",
    "export to CSV times out",
    "request: dark mode for the dashboard",
    "webhook deliveries delayed",
    "cannot invite a new teammate",
    "renewal quote for next year",
    "onboarding call follow-up",
    "pricing question about the Growth plan",
    "data import stuck at 90%",
];
const MEETING_PLACES: &[&str] = &["Zoom", "Google Meet", "Head office, room 3", "Phone"];
const BREEDS: &[&str] = &[
    "Labrador",
    "Beagle",
    "Maine Coon",
    "Siamese",
    "Holland Lop",
    "African Grey",
    "Mixed",
];
const PET_NAMES: &[&str] = &[
    "Biscuit", "Luna", "Milo", "Nala", "Pepper", "Oscar", "Zoë", "Kiwi", "Rex", "Mochi",
];

/// Every property the type defines; asking for any other name yields nothing.
pub(super) fn known_properties(object: ObjectType) -> &'static [&'static str] {
    match object {
        ObjectType::Tickets => &[
            "subject",
            "content",
            "hs_pipeline",
            "hs_pipeline_stage",
            "hs_ticket_priority",
            "hs_ticket_category",
            "source_type",
            "hubspot_owner_id",
            "createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        ],
        ObjectType::Products => &[
            "name",
            "description",
            "price",
            "hs_sku",
            "hs_product_type",
            "hs_cost_of_goods_sold",
            "createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        ],
        ObjectType::LineItems => &[
            "name",
            "quantity",
            "price",
            "amount",
            "hs_product_id",
            "recurringbillingfrequency",
            "createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        ],
        ObjectType::Quotes => &[
            "hs_title",
            "hs_expiration_date",
            "hs_status",
            "hs_public_url_key",
            "hs_quote_amount",
            "hubspot_owner_id",
            "hs_createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        ],
        ObjectType::Calls => &[
            "hs_call_title",
            "hs_call_body",
            "hs_call_direction",
            "hs_call_duration",
            "hs_call_status",
            "hs_timestamp",
            "hubspot_owner_id",
            "hs_createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        ],
        ObjectType::Emails => &[
            "hs_email_subject",
            "hs_email_text",
            "hs_email_direction",
            "hs_email_status",
            "hs_timestamp",
            "hubspot_owner_id",
            "hs_createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        ],
        ObjectType::Meetings => &[
            "hs_meeting_title",
            "hs_meeting_body",
            "hs_meeting_start_time",
            "hs_meeting_end_time",
            "hs_meeting_location",
            "hs_meeting_outcome",
            "hs_timestamp",
            "hubspot_owner_id",
            "hs_createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        ],
        ObjectType::Notes => &[
            "hs_note_body",
            "hs_timestamp",
            "hubspot_owner_id",
            "hs_createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        ],
        ObjectType::Tasks => &[
            "hs_task_subject",
            "hs_task_body",
            "hs_task_status",
            "hs_task_priority",
            "hs_task_type",
            "hs_timestamp",
            "hubspot_owner_id",
            "hs_createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        ],
        ObjectType::Pets => &[
            "name",
            "species",
            "breed",
            "date_of_birth",
            "weight_kg",
            "vaccinated",
            "hs_createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        ],
        ObjectType::Contacts | ObjectType::Companies | ObjectType::Deals => &[],
    }
}

/// The generated properties of one record, before the dates every record has.
pub(super) struct Draft<'a> {
    pub catalog: &'a Catalog,
    pub object: ObjectType,
    pub index: usize,
    pub rng: SplitMix64,
    pub properties: BTreeMap<&'static str, String>,
}

impl Draft<'_> {
    fn set(&mut self, name: &'static str, value: impl Into<String>) {
        self.properties.insert(name, value.into());
    }

    fn pick(&mut self, name: &'static str, items: &'static [&'static str]) {
        let value = self.rng.pick(items).to_owned();
        self.set(name, value);
    }

    fn topic(&mut self) -> &'static str {
        self.rng.pick(TOPICS)
    }

    fn person(&mut self) -> String {
        format!(
            "{} {}",
            self.rng.pick(FIRST_NAMES),
            self.rng.pick(LAST_NAMES)
        )
    }

    /// A date-time `offset_ms` after creation, in this record's precision.
    fn date_time(&mut self, name: &'static str, offset_ms: i64) {
        let catalog = self.catalog;
        let id = catalog.id(self.object, self.index);
        let ms = catalog.created_ms(self.object, self.index) + offset_ms;
        let ms = catalog.quantize(self.object, id, ms);
        let digits = catalog.digits(self.object, id);
        self.set(name, crate::time::format_digits(millis_to_time(ms), digits));
    }

    /// Up to `days` days, in milliseconds.
    fn within_days(&mut self, days: u64) -> i64 {
        i64::try_from(self.rng.below(days * DAY_MS as u64)).unwrap_or(0)
    }

    fn owner(&mut self) {
        self.pick("hubspot_owner_id", OWNERS);
    }

    /// When the activity happened: up to two days before it was logged.
    fn timestamp(&mut self) {
        let before = self.within_days(2);
        self.date_time("hs_timestamp", -before);
    }

    pub(super) fn fill(&mut self) {
        match self.object {
            ObjectType::Tickets => self.ticket(),
            ObjectType::Products => self.product(),
            ObjectType::LineItems => self.line_item(),
            ObjectType::Quotes => self.quote(),
            ObjectType::Calls => self.call(),
            ObjectType::Emails => self.email(),
            ObjectType::Meetings => self.meeting(),
            ObjectType::Notes => self.note(),
            ObjectType::Tasks => self.task(),
            ObjectType::Pets => self.pet(),
            ObjectType::Contacts | ObjectType::Companies | ObjectType::Deals => {}
        }
    }

    fn ticket(&mut self) {
        let topic = self.topic();
        let person = self.person();
        self.set("subject", capitalised(topic));
        self.set(
            "content",
            format!("{person} reports: {topic}. Steps to reproduce attached."),
        );
        self.set("hs_pipeline", TICKET_PIPELINES[0]);
        self.pick("hs_pipeline_stage", TICKET_STAGES);
        self.pick("hs_ticket_priority", TICKET_PRIORITIES);
        if self.rng.chance(80) {
            self.pick("hs_ticket_category", TICKET_CATEGORIES);
        }
        self.pick("source_type", TICKET_SOURCES);
        self.owner();
    }

    /// Product `index`'s name: each of the deal products in a numbered edition.
    fn product_name(index: usize) -> String {
        let base = DEAL_PRODUCTS[index % DEAL_PRODUCTS.len()];
        match index / DEAL_PRODUCTS.len() {
            0 => base.to_owned(),
            edition => format!("{base} v{}", edition + 1),
        }
    }

    fn product(&mut self) {
        let name = Self::product_name(self.index);
        let price = (1 + self.rng.below(400)) * 25;
        self.set("description", format!("{name}, billed per seat."));
        self.set("name", name);
        self.set("price", price.to_string());
        self.set("hs_sku", format!("SKU-{:05}", 10_000 + self.index));
        self.pick("hs_product_type", PRODUCT_TYPES);
        self.set("hs_cost_of_goods_sold", (price * 2 / 5).to_string());
    }

    fn line_item(&mut self) {
        let products = self.catalog.count(ObjectType::Products);
        let (name, product_id) = if products == 0 {
            (self.rng.pick(DEAL_PRODUCTS).to_owned(), None)
        } else {
            let index = usize::try_from(self.rng.below(products as u64)).unwrap_or(0);
            (
                Self::product_name(index),
                Some(self.catalog.id(ObjectType::Products, index)),
            )
        };
        let quantity = 1 + self.rng.below(20);
        let price = (1 + self.rng.below(400)) * 25;
        self.set("name", name);
        self.set("quantity", quantity.to_string());
        self.set("price", price.to_string());
        self.set("amount", (quantity * price).to_string());
        if let Some(id) = product_id {
            self.set("hs_product_id", id.to_string());
        }
        self.pick("recurringbillingfrequency", RECURRING_FREQUENCIES);
    }

    fn quote(&mut self) {
        let product = self.rng.pick(DEAL_PRODUCTS);
        let expires = 30 * DAY_MS + self.within_days(60);
        self.set("hs_title", format!("Quote — {product}"));
        self.date_time("hs_expiration_date", expires);
        self.pick("hs_status", QUOTE_STATUSES);
        let key = format!("{:016x}", self.rng.next() >> 1);
        let amount = (1 + self.rng.below(200)) * 500;
        self.set("hs_public_url_key", key);
        self.set("hs_quote_amount", amount.to_string());
        self.owner();
    }

    fn call(&mut self) {
        let person = self.person();
        let topic = self.topic();
        self.set("hs_call_title", format!("Call with {person}"));
        self.set("hs_call_body", format!("Discussed: {topic}."));
        self.pick("hs_call_direction", CALL_DIRECTIONS);
        let duration_ms = self.rng.below(3_600) * 1_000;
        self.set("hs_call_duration", duration_ms.to_string());
        self.pick("hs_call_status", CALL_STATUSES);
        self.timestamp();
        self.owner();
    }

    fn email(&mut self) {
        let person = self.person();
        let topic = self.topic();
        self.set("hs_email_subject", format!("Re: {topic}"));
        self.set(
            "hs_email_text",
            format!("Hi {person},\n\nFollowing up on {topic}.\n\nBest regards"),
        );
        self.pick("hs_email_direction", EMAIL_DIRECTIONS);
        self.pick("hs_email_status", EMAIL_STATUSES);
        self.timestamp();
        self.owner();
    }

    fn meeting(&mut self) {
        let person = self.person();
        let topic = self.topic();
        let start = self.within_days(14);
        let length = i64::try_from(1 + self.rng.below(4)).unwrap_or(1) * 30 * 60_000;
        self.set("hs_meeting_title", format!("Meeting with {person}"));
        self.set("hs_meeting_body", format!("Agenda: {topic}."));
        self.date_time("hs_meeting_start_time", start);
        self.date_time("hs_meeting_end_time", start + length);
        self.date_time("hs_timestamp", start);
        self.pick("hs_meeting_location", MEETING_PLACES);
        self.pick("hs_meeting_outcome", MEETING_OUTCOMES);
        self.owner();
    }

    fn note(&mut self) {
        let person = self.person();
        let topic = self.topic();
        self.set(
            "hs_note_body",
            format!("<p>Spoke to {person} about <strong>{topic}</strong>.</p>"),
        );
        self.timestamp();
        self.owner();
    }

    fn task(&mut self) {
        let person = self.person();
        let topic = self.topic();
        let due = self.within_days(21);
        self.set("hs_task_subject", format!("Follow up with {person}"));
        self.set("hs_task_body", format!("Check on: {topic}."));
        self.pick("hs_task_status", TASK_STATUSES);
        self.pick("hs_task_priority", TASK_PRIORITIES);
        self.pick("hs_task_type", TASK_TYPES);
        self.date_time("hs_timestamp", due);
        self.owner();
    }

    fn pet(&mut self) {
        let name = self.rng.pick(PET_NAMES);
        let born = 2_012 + self.rng.below(12);
        let date = format!(
            "{born}-{:02}-{:02}",
            1 + self.rng.below(12),
            1 + self.rng.below(28)
        );
        self.set("name", name);
        self.pick("species", SPECIES);
        self.pick("breed", BREEDS);
        self.set("date_of_birth", date);
        let (kilos, tenths) = (1 + self.rng.below(40), self.rng.below(10));
        self.set("weight_kg", format!("{kilos}.{tenths}"));
        self.pick("vaccinated", VACCINATED);
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
