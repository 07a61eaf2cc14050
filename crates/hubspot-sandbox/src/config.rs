//! Start-up configuration and the knobs that can change at runtime.
//!
//! The defaults are chosen so that `SandboxConfig::default()` behaves like a freshly installed
//! HubSpot app in a small portal: 30-minute access tokens, HubSpot's OAuth-app burst limit and
//! a few hundred realistic CRM records.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::contract::{Contract, SearchLag};
use crate::seed::ObjectType;

/// Client id of the client registered by [`SandboxConfig::default`].
pub const DEFAULT_CLIENT_ID: &str = "sandbox-client-id";
/// Client secret of the client registered by [`SandboxConfig::default`].
pub const DEFAULT_CLIENT_SECRET: &str = "sandbox-client-secret";
/// Redirect URI registered for the default client.
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:8080/api/integrations/hubspot/callback";

/// Everything the sandbox needs to start.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// OAuth apps allowed to use the sandbox (HubSpot "apps" with client id/secret).
    pub clients: Vec<RegisteredClient>,
    /// The portal ("hub") id every token belongs to.
    pub hub_id: u64,
    /// The portal's domain, shown on the consent page and in token metadata.
    pub hub_domain: String,
    /// The app name shown on the consent page.
    pub app_name: String,
    /// E-mail of the HubSpot user who "installs" the app.
    pub user_email: String,
    /// Seed for the generated CRM records; the same seed gives the same records.
    pub seed: u64,
    /// Number of seeded contacts. Records are generated on demand from the seed, never held in
    /// memory, so a million costs nothing until read.
    pub contacts: usize,
    /// Number of seeded companies.
    pub companies: usize,
    /// Number of seeded deals.
    pub deals: usize,
    /// Deals associated with the first contact (default 1,200, capped at the deal count): one
    /// contact whose associations span several pages of an associations batch read. Every
    /// other contact has 0–5 deals.
    pub busy_contact_deals: usize,
    /// Number of seeded records of each other type: tickets, products, line items, quotes,
    /// calls, emails, meetings, notes, tasks and the custom object `pets` (see
    /// [`ObjectCounts`]).
    pub objects: ObjectCounts,
    /// Lifetime of access tokens (HubSpot: 30 minutes).
    pub access_token_ttl: Duration,
    /// Lifetime of authorization codes.
    pub code_ttl: Duration,
    /// What a CRM list call does with `limit` above 100.
    pub over_limit: OverLimit,
    /// Burst limit per portal and app; `None` disables rate limiting.
    pub rate_limit: Option<RateLimit>,
    /// The CRM search endpoints' own limit per portal (HubSpot: 5 requests per second);
    /// `None` disables it.
    pub search_rate_limit: Option<RateLimit>,
    /// Requests per portal per UTC day on the CRM endpoints; `None` (the default) is no cap.
    pub daily_limit: Option<u64>,
    /// `true`: every 429 carries `Retry-After`. `false`: as [`Contract::retry_after`] decides
    /// (seeded: some do; HubSpot does not promise one).
    pub send_retry_after: bool,
    /// Delay added to every API and token response, to make latency visible.
    pub latency: Duration,
    /// Whether CRM calls require the `crm.objects.<type>.read` scope (403 `MISSING_SCOPES`).
    pub enforce_scopes: bool,
    /// Scopes this portal has no access to (a feature its subscription lacks). As HubSpot
    /// does, such a scope asked for as optional is left out of the grant, and one asked for as
    /// required stops the install with an error page. Empty (the default): every feature.
    pub unavailable_scopes: Vec<String>,
    /// Which spec-allowed answers the sandbox gives, from one seed (see [`Contract`]); on by
    /// default. Timestamp precision and blank values are record data, fixed at start; the
    /// rest can change at runtime through [`Knobs::contract`].
    pub contract: Contract,
    /// The portal's data-centre ("hublet"), e.g. `eu1`: records' `url` then point to
    /// `https://app-eu1.hubspot.com/…` and introspection's `signed_access_token.hublet` names
    /// it; `None` is the US default (`na1`).
    pub hublet: Option<String>,
}

impl SandboxConfig {
    /// Every contract variation decided by `seed` (see [`Contract::seeded`]).
    pub fn with_contract_seed(mut self, seed: u64) -> Self {
        self.contract = Contract::seeded(seed);
        self
    }

    /// Replaces the contract (e.g. [`Contract::typical`], or one with a few pins).
    pub fn with_contract(mut self, contract: Contract) -> Self {
        self.contract = contract;
        self
    }

    /// The defaults with every variation pinned to the common answer ([`Contract::typical`]):
    /// what tests of unrelated behaviour start from.
    pub fn typical() -> Self {
        Self::default().with_contract(Contract::typical())
    }

    /// Applies `HUBSPOT_SANDBOX_SEED` if set (see [`Contract::from_env`]); an unparsable value
    /// is an error naming the variable.
    pub fn with_env_contract_seed(self) -> Result<Self, String> {
        Ok(match Contract::from_env()? {
            Some(contract) => self.with_contract(contract),
            None => self,
        })
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            clients: vec![RegisteredClient::default()],
            hub_id: 24_811_358,
            hub_domain: "vectorshift-sandbox.hubspot.com".to_owned(),
            app_name: "VectorShift (sandbox)".to_owned(),
            user_email: "sandbox.user@example.com".to_owned(),
            seed: 42,
            contacts: 250,
            companies: 40,
            deals: 60,
            busy_contact_deals: 1_200,
            objects: ObjectCounts::default(),
            access_token_ttl: Duration::from_secs(1800),
            code_ttl: Duration::from_secs(600),
            over_limit: OverLimit::Reject,
            rate_limit: Some(RateLimit::default()),
            search_rate_limit: Some(RateLimit::search()),
            daily_limit: None,
            send_retry_after: false,
            latency: Duration::ZERO,
            enforce_scopes: true,
            unavailable_scopes: Vec::new(),
            contract: Contract::default(),
            hublet: None,
        }
    }
}

/// How many records each of the types beyond contacts, companies and deals has. Like every
/// type's, they are generated on demand, so large counts cost nothing until read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectCounts {
    /// Tickets (`0-5`); default 30.
    pub tickets: usize,
    /// Products (`0-7`); default 30.
    pub products: usize,
    /// Line items (`0-8`); default 30.
    pub line_items: usize,
    /// Quotes (`0-14`); default 30.
    pub quotes: usize,
    /// Calls (`0-48`); default 30.
    pub calls: usize,
    /// Emails (`0-49`); default 30.
    pub emails: usize,
    /// Meetings (`0-47`); default 30.
    pub meetings: usize,
    /// Notes (`0-46`); default 30.
    pub notes: usize,
    /// Tasks (`0-27`); default 30.
    pub tasks: usize,
    /// Records of the custom object `pets`; default 45.
    pub pets: usize,
}

impl Default for ObjectCounts {
    fn default() -> Self {
        Self {
            tickets: 30,
            products: 30,
            line_items: 30,
            quotes: 30,
            calls: 30,
            emails: 30,
            meetings: 30,
            notes: 30,
            tasks: 30,
            pets: 45,
        }
    }
}

impl ObjectCounts {
    /// The count of `object`; `None` for contacts, companies and deals, which
    /// [`SandboxConfig`] counts itself.
    pub fn get(&self, object: ObjectType) -> Option<usize> {
        Some(*self.slot(object)?)
    }

    /// Sets the count of `object` (ignored for contacts, companies and deals).
    pub fn set(&mut self, object: ObjectType, count: usize) {
        if let Some(slot) = self.slot_mut(object) {
            *slot = count;
        }
    }

    fn slot(&self, object: ObjectType) -> Option<&usize> {
        Some(match object {
            ObjectType::Tickets => &self.tickets,
            ObjectType::Products => &self.products,
            ObjectType::LineItems => &self.line_items,
            ObjectType::Quotes => &self.quotes,
            ObjectType::Calls => &self.calls,
            ObjectType::Emails => &self.emails,
            ObjectType::Meetings => &self.meetings,
            ObjectType::Notes => &self.notes,
            ObjectType::Tasks => &self.tasks,
            ObjectType::Pets => &self.pets,
            ObjectType::Contacts | ObjectType::Companies | ObjectType::Deals => return None,
        })
    }

    fn slot_mut(&mut self, object: ObjectType) -> Option<&mut usize> {
        Some(match object {
            ObjectType::Tickets => &mut self.tickets,
            ObjectType::Products => &mut self.products,
            ObjectType::LineItems => &mut self.line_items,
            ObjectType::Quotes => &mut self.quotes,
            ObjectType::Calls => &mut self.calls,
            ObjectType::Emails => &mut self.emails,
            ObjectType::Meetings => &mut self.meetings,
            ObjectType::Notes => &mut self.notes,
            ObjectType::Tasks => &mut self.tasks,
            ObjectType::Pets => &mut self.pets,
            ObjectType::Contacts | ObjectType::Companies | ObjectType::Deals => return None,
        })
    }

    /// The variable that sets `object`'s count when the sandbox runs alone:
    /// `SANDBOX_TICKETS`, `SANDBOX_LINE_ITEMS`, `SANDBOX_PETS`…
    pub fn env_var(object: ObjectType) -> String {
        format!("SANDBOX_{}", object.name().to_ascii_uppercase())
    }
}

/// The variable naming the sandbox portal's [unavailable scopes](SandboxConfig::unavailable_scopes):
/// scopes separated by spaces or commas.
pub const UNAVAILABLE_SCOPES_ENV: &str = "HUBSPOT_SANDBOX_UNAVAILABLE_SCOPES";

impl SandboxConfig {
    /// Reads [`UNAVAILABLE_SCOPES_ENV`] into [`SandboxConfig::unavailable_scopes`] (unset:
    /// unchanged).
    #[must_use]
    pub fn with_unavailable_scopes_from_env(mut self) -> Self {
        if let Ok(raw) = std::env::var(UNAVAILABLE_SCOPES_ENV) {
            self.unavailable_scopes = raw
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
        }
        self
    }
}

/// An OAuth app registered with the sandbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredClient {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
    /// Redirect URIs the app may use; matched exactly, as HubSpot does.
    pub redirect_uris: Vec<String>,
}

impl Default for RegisteredClient {
    fn default() -> Self {
        Self {
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            redirect_uris: vec![DEFAULT_REDIRECT_URI.to_owned()],
        }
    }
}

/// What a CRM list call does when asked for more than 100 records per page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverLimit {
    /// Answer 400 `VALIDATION_ERROR`, as the documented v3 objects API does.
    #[default]
    Reject,
    /// Silently serve 100, as some older HubSpot endpoints do.
    Clamp,
}

/// A rolling-window request limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests allowed in any window.
    pub max_requests: u32,
    /// Length of the rolling window.
    pub window: Duration,
}

impl RateLimit {
    /// HubSpot's limit on the CRM search endpoints: 5 requests per second per account.
    pub fn search() -> Self {
        Self {
            max_requests: 5,
            window: Duration::from_secs(1),
        }
    }
}

impl Default for RateLimit {
    /// HubSpot's limit for public OAuth apps: 110 requests every 10 seconds.
    fn default() -> Self {
        Self {
            max_requests: 110,
            window: Duration::from_secs(10),
        }
    }
}

/// The settings that can change while the sandbox runs (see [`crate::Sandbox::update`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Knobs {
    /// Lifetime of access tokens minted from now on.
    pub access_token_ttl: Duration,
    /// Lifetime of authorization codes issued from now on.
    pub code_ttl: Duration,
    /// Delay added to every API and token response.
    pub latency: Duration,
    /// `true`: every 429 carries `Retry-After`; `false`: as [`Contract::retry_after`] decides.
    pub send_retry_after: bool,
    /// Rolling-window limit; `None` disables it.
    pub rate_limit: Option<RateLimit>,
    /// Rolling-window limit of the search endpoints; `None` disables it.
    pub search_rate_limit: Option<RateLimit>,
    /// Requests per UTC day; `None` disables the cap.
    pub daily_limit: Option<u64>,
    /// What happens to `limit` above 100.
    pub over_limit: OverLimit,
    /// Whether CRM calls check scopes.
    pub enforce_scopes: bool,
    /// Scopes the portal has no access to (see [`SandboxConfig::unavailable_scopes`]).
    pub unavailable_scopes: Vec<String>,
    /// The contract variations (see [`Contract`]); changes take effect on the next response.
    pub contract: Contract,
    /// Webhook retry schedule: retry *n* waits about `webhook_retry_base · 2^(n-1)` (±25 %).
    /// The default, 84 s, spreads HubSpot's ten retries over about 24 hours; tests set some
    /// milliseconds.
    pub webhook_retry_base: Duration,
    /// How long Webhooks Journal entries are kept: 3 days, as HubSpot keeps them; tests
    /// shorten it (or age entries with [`crate::Sandbox::age_journal`]).
    pub journal_retention: Duration,
    /// How long a journal entry's file `url` is valid (its `expiresAt`); default 5 minutes.
    pub journal_url_ttl: Duration,
}

impl Knobs {
    pub(crate) fn from_config(config: &SandboxConfig) -> Self {
        Self {
            access_token_ttl: config.access_token_ttl,
            code_ttl: config.code_ttl,
            latency: config.latency,
            send_retry_after: config.send_retry_after,
            rate_limit: config.rate_limit,
            search_rate_limit: config.search_rate_limit,
            daily_limit: config.daily_limit,
            over_limit: config.over_limit,
            enforce_scopes: config.enforce_scopes,
            unavailable_scopes: config.unavailable_scopes.clone(),
            contract: config.contract,
            webhook_retry_base: crate::webhooks::DEFAULT_RETRY_BASE,
            journal_retention: crate::journal::DEFAULT_RETENTION,
            journal_url_ttl: crate::journal::DEFAULT_URL_TTL,
        }
    }
}

/// The JSON body of `PATCH /_admin/knobs`; absent fields are left unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KnobsPatch {
    /// New access-token lifetime in seconds.
    pub access_token_ttl_secs: Option<u64>,
    /// New authorization-code lifetime in seconds.
    pub code_ttl_secs: Option<u64>,
    /// New added latency in milliseconds.
    pub latency_ms: Option<u64>,
    /// Turn `Retry-After` on 429 on or off.
    pub send_retry_after: Option<bool>,
    /// New rate-limit maximum (enables the limit if it was off, with a 10 s window).
    pub rate_limit_max: Option<u32>,
    /// New rate-limit window in milliseconds (enables the limit if it was off, max 110).
    pub rate_limit_window_ms: Option<u64>,
    /// `false` disables rate limiting entirely; `true` enables it with the defaults.
    pub rate_limit_enabled: Option<bool>,
    /// New search rate-limit maximum (enables it if it was off, with a 1 s window).
    pub search_rate_limit_max: Option<u32>,
    /// New search rate-limit window in milliseconds (enables it if it was off, max 5).
    pub search_rate_limit_window_ms: Option<u64>,
    /// `false` disables the search limit; `true` enables it with HubSpot's 5 per second.
    pub search_rate_limit_enabled: Option<bool>,
    /// New daily cap; `0` disables it.
    pub daily_limit: Option<u64>,
    /// `"reject"` or `"clamp"`.
    pub over_limit: Option<OverLimit>,
    /// Turn scope checks on CRM calls on or off.
    pub enforce_scopes: Option<bool>,
    /// The scopes the portal has no access to, replacing the list.
    pub unavailable_scopes: Option<Vec<String>>,
    /// Fixed search-index lag in milliseconds (`0` turns the lag off).
    pub search_lag_ms: Option<u64>,
    /// `true`: the search lag is seeded again (see [`SearchLag::Seeded`]).
    pub search_lag_seeded: Option<bool>,
    /// `true`: pin every variation to [`Contract::typical`] (the seed and search lag kept);
    /// `false`: back to [`Contract::seeded`] with the current seed (search lag kept).
    pub contract_typical: Option<bool>,
    /// A new contract seed, every variation seeded ([`Contract::seeded`]); applied before the
    /// other contract fields of this patch.
    pub contract_seed: Option<u64>,
    /// New [`Knobs::webhook_retry_base`] in milliseconds.
    pub webhook_retry_base_ms: Option<u64>,
    /// New [`Knobs::journal_retention`] in milliseconds.
    pub journal_retention_ms: Option<u64>,
    /// New [`Knobs::journal_url_ttl`] in milliseconds.
    pub journal_url_ttl_ms: Option<u64>,
}

impl KnobsPatch {
    /// Applies the present fields to `knobs`.
    pub fn apply(&self, knobs: &mut Knobs) {
        if let Some(secs) = self.access_token_ttl_secs {
            knobs.access_token_ttl = Duration::from_secs(secs);
        }
        if let Some(secs) = self.code_ttl_secs {
            knobs.code_ttl = Duration::from_secs(secs);
        }
        if let Some(ms) = self.latency_ms {
            knobs.latency = Duration::from_millis(ms);
        }
        if let Some(on) = self.send_retry_after {
            knobs.send_retry_after = on;
        }
        match self.rate_limit_enabled {
            Some(false) => knobs.rate_limit = None,
            Some(true) if knobs.rate_limit.is_none() => {
                knobs.rate_limit = Some(RateLimit::default())
            }
            _ => {}
        }
        if let Some(max) = self.rate_limit_max {
            knobs
                .rate_limit
                .get_or_insert_with(RateLimit::default)
                .max_requests = max;
        }
        if let Some(ms) = self.rate_limit_window_ms {
            knobs
                .rate_limit
                .get_or_insert_with(RateLimit::default)
                .window = Duration::from_millis(ms);
        }
        match self.search_rate_limit_enabled {
            Some(false) => knobs.search_rate_limit = None,
            Some(true) if knobs.search_rate_limit.is_none() => {
                knobs.search_rate_limit = Some(RateLimit::search())
            }
            _ => {}
        }
        if let Some(max) = self.search_rate_limit_max {
            knobs
                .search_rate_limit
                .get_or_insert_with(RateLimit::search)
                .max_requests = max;
        }
        if let Some(ms) = self.search_rate_limit_window_ms {
            knobs
                .search_rate_limit
                .get_or_insert_with(RateLimit::search)
                .window = Duration::from_millis(ms);
        }
        if let Some(limit) = self.daily_limit {
            knobs.daily_limit = (limit > 0).then_some(limit);
        }
        if let Some(over_limit) = self.over_limit {
            knobs.over_limit = over_limit;
        }
        if let Some(scopes) = &self.unavailable_scopes {
            knobs.unavailable_scopes.clone_from(scopes);
        }
        if let Some(on) = self.enforce_scopes {
            knobs.enforce_scopes = on;
        }
        if let Some(seed) = self.contract_seed {
            knobs.contract = Contract::seeded(seed);
        }
        if let Some(typical) = self.contract_typical {
            let (seed, lag) = (knobs.contract.seed, knobs.contract.search_lag);
            knobs.contract = if typical {
                Contract::typical()
            } else {
                Contract::seeded(seed)
            };
            knobs.contract.seed = seed;
            knobs.contract.search_lag = lag;
        }
        if let Some(ms) = self.search_lag_ms {
            knobs.contract.search_lag = SearchLag::Fixed(Duration::from_millis(ms));
        }
        if self.search_lag_seeded == Some(true) {
            knobs.contract.search_lag = SearchLag::Seeded;
        }
        if let Some(ms) = self.webhook_retry_base_ms {
            knobs.webhook_retry_base = Duration::from_millis(ms);
        }
        if let Some(ms) = self.journal_retention_ms {
            knobs.journal_retention = Duration::from_millis(ms);
        }
        if let Some(ms) = self.journal_url_ttl_ms {
            knobs.journal_url_ttl = Duration::from_millis(ms);
        }
    }
}

/// Counters of calls per endpoint since start or the last reset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    /// `GET /oauth/authorize` (consent page views, including rejected ones).
    pub authorize: u64,
    /// Consent decisions that approved the app.
    pub approvals: u64,
    /// Consent decisions that denied the app.
    pub denials: u64,
    /// Successful `grant_type=authorization_code` exchanges.
    pub token_authorization_code: u64,
    /// Successful `grant_type=refresh_token` exchanges.
    pub token_refresh: u64,
    /// `POST /oauth/v1/token` calls answered with an error status (4xx, or an injected 429/5xx).
    pub token_errors: u64,
    /// `GET /oauth/v1/access-tokens/{t}` and `GET /oauth/v1/refresh-tokens/{t}` calls.
    pub token_info: u64,
    /// `DELETE /oauth/v1/refresh-tokens/{t}` calls.
    pub revoke: u64,
    /// CRM list calls (`GET /crm/v3/objects/{type}`), whatever their outcome.
    pub objects: u64,
    /// CRM search calls (`POST /crm/v3/objects/{type}/search`), whatever their outcome.
    pub search: u64,
    /// CRM batch reads (`POST /crm/v3/objects/{type}/batch/read`), whatever their outcome.
    pub batch_read: u64,
    /// Property catalog reads (`GET /crm/v3/properties/{type}`), whatever their outcome.
    pub properties: u64,
    /// Custom object schema reads (`GET /crm-object-schemas/v3/schemas`), whatever their
    /// outcome.
    pub schemas: u64,
    /// Associations v4 batch reads (`POST /crm/v4/associations/{from}/{to}/batch/read`),
    /// whatever their outcome.
    pub associations: u64,
    /// Association label reads (`GET /crm/v4/associations/{from}/{to}/labels`), whatever
    /// their outcome.
    pub association_labels: u64,
    /// CRM requests refused by the edge with 414 because their URL was too long (see
    /// [`crate::MAX_REQUEST_URI`]); never counted as API calls.
    pub uri_too_long: u64,
    /// Webhooks Journal calls (`/webhooks-journal/journal[-local]/2026-03/…`), whatever their
    /// outcome (they are exempt from the rate limits, so never counted there).
    pub journal: u64,
    /// Journal files downloaded (`GET /_journal/files/{id}`), whatever their outcome.
    pub journal_files: u64,
    /// Access tokens issued by the `client_credentials` grant.
    pub token_client_credentials: u64,
    /// Responses with status 429, real or injected.
    pub rate_limited: u64,
    /// Responses replaced by an injected fault.
    pub faults_injected: u64,
}

/// Forced failures for the next calls to `POST /oauth/v1/token`, the CRM list, search and
/// batch-read endpoints and the property and schema reads (never the Webhooks Journal's).
///
/// Each counter is consumed one call at a time, in this order: `pass_next`, then
/// `rate_limit_next`, then `fail_next`, then `malformed_next`. Injected faults happen before
/// authentication, so they need no valid token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// The next this-many calls answer `fail_status` with a HubSpot-style error body.
    pub fail_next: u32,
    /// Status for `fail_next` (500, 502, 503, …); default 500.
    pub fail_status: u16,
    /// The next this-many calls answer 200 with truncated JSON.
    pub malformed_next: u32,
    /// The next this-many calls answer 429 as if the rate limit were hit.
    pub rate_limit_next: u32,
    /// The next this-many calls are answered as usual before the faults above begin: HubSpot
    /// failing midway, e.g. after the first page of a listing.
    pub pass_next: u32,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            fail_next: 0,
            fail_status: 500,
            malformed_next: 0,
            rate_limit_next: 0,
            pass_next: 0,
        }
    }
}
