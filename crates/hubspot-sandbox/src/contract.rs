//! The *contract seed*: which of the answers HubSpot's published specs allow the sandbox gives.
//!
//! HubSpot's OpenAPI specs leave a lot open: optional fields (`hub_id`, `scopes`, `archivedAt`,
//! `paging.next.link`, `url`, …), error bodies that need only `category`, `correlationId` and
//! `message`, opaque paging cursors, RFC 3339 timestamps of any precision. A client tested
//! only against the typical answer breaks on the first portal that answers otherwise, so the
//! sandbox varies all of these, decided by one `u64` ([`Contract::seed`]): the same seed and
//! the same sequence of requests give the same answers.
//!
//! Every variation has a pin ([`Vary`], [`CursorStyle`], [`FaultBody`], [`SearchLag`]) so a
//! test can force one behaviour; [`Contract::typical`] pins them all to the common answer.
//!
//! Decisions are pure hashes of (seed, what is decided, a key): the key is the record id for
//! record data (so a record looks the same in every answer) and a per-response counter for
//! everything else.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The environment variable [`Contract::from_env`] reads.
pub const CONTRACT_SEED_ENV: &str = "HUBSPOT_SANDBOX_SEED";

/// How one variation is decided.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vary {
    /// By the contract seed: sometimes yes, sometimes no.
    #[default]
    Seeded,
    /// Always (the field's documentation says what "on" means).
    On,
    /// Never.
    Off,
}

/// How opaque paging cursors (`paging.next.after`) are spelled. Either way they are
/// HMAC-signed and accepted only byte for byte as issued.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CursorStyle {
    /// Either of the two below, per cursor.
    #[default]
    Seeded,
    /// Standard base64 with `=` padding (so `+`, `/` and `=` appear).
    Base64,
    /// The same, percent-encoded (`%2B`, `%2F`, `%3D`), like the spec's example
    /// `NTI1Cg%3D%3D`: the `%` is part of the cursor.
    PercentEncoded,
}

/// The body of an injected 5xx ([`crate::Faults::fail_next`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultBody {
    /// One of the three below, per response.
    #[default]
    Seeded,
    /// HubSpot's JSON error body.
    Json,
    /// An HTML error page (what a load balancer in front of HubSpot answers).
    Html,
    /// No body at all.
    Empty,
}

/// How long a change takes to reach the CRM search index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchLag {
    /// Per change, from the seed: usually 1–5 s, sometimes 5–30 s, one change in ten 61–120 s.
    #[default]
    Seeded,
    /// Every change becomes searchable after exactly this long; `Duration::ZERO` turns the lag
    /// off (search sees every change at once).
    Fixed(Duration),
}

impl SearchLag {
    /// No lag: search sees every change at once.
    pub const OFF: Self = Self::Fixed(Duration::ZERO);
}

/// Which of the spec-allowed answers the sandbox gives; see the crate README's "Contract
/// variations" for what each one models.
///
/// `Contract::default()` is [`Contract::seeded`]`(42)`: every variation on, decided by seed 42.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Contract {
    /// The seed every seeded decision derives from.
    pub seed: u64,
    /// Spelling of paging cursors (list, archived list, search).
    pub cursor_style: CursorStyle,
    /// Target length of paging cursors in characters (at most 2048); `None`: from the seed
    /// (each sandbox picks a scale between 40 and 2048, each cursor varies within it).
    pub cursor_len: Option<usize>,
    /// On: optional response fields are left out — token response `hub_id`, `user_id`,
    /// `scopes`; introspection / token metadata `user`, `hub_domain`; a record's `archivedAt`;
    /// `paging.next.link`. Seeded: each one independently, per response (`archivedAt`: per
    /// record).
    pub omit_optional: Vary,
    /// On: token responses carry the optional `id_token`.
    pub id_token: Vary,
    /// On: `paging.next.link`, when present, is relative (`?after=…&limit=…`), as in the
    /// spec's `NextPage` example; off: absolute.
    pub relative_links: Vary,
    /// Fraction digits of record timestamps (`createdAt`, `updatedAt`, `archivedAt` and the
    /// date properties): `Some(0 | 3 | 6)` for all records; `None`: per record from the seed.
    /// A record printed with 0 digits really has whole-second times (search compares them so).
    pub timestamp_digits: Option<u8>,
    /// On: some properties of each record are unset (`null`) or the empty string `""`.
    pub blank_values: Vary,
    /// On: error bodies carry only the spec's required `category`, `correlationId`,
    /// `message` (no `status`, `error`, `error_description`, `context`, `links`); a 403
    /// `MISSING_SCOPES` keeps `errors` (it names the scopes). Seeded: OAuth errors are full,
    /// minimal, without the RFC 6749 fields or without the legacy `status`.
    pub minimal_errors: Vary,
    /// On: a 403 names the scopes in `errors[].context.requiredScopes` and `context.requiredScopes`
    /// instead of `errors[].context.requiredGranularScopes`; seeded: one of granular, legacy
    /// or both.
    pub legacy_scope_context: Vary,
    /// Body of injected 5xx answers.
    pub fault_body: FaultBody,
    /// On: every 429 carries `Retry-After` (as does [`crate::Knobs::send_retry_after`]);
    /// seeded: some do.
    pub retry_after: Vary,
    /// On: 429s leave out the `X-HubSpot-RateLimit-*` headers.
    pub omit_rate_limit_headers: Vary,
    /// How long search takes to see a change (list endpoints see it at once).
    pub search_lag: SearchLag,
    /// On: records carry `url` ("Direct URL for this object in the portal"); seeded: some
    /// records do (all of them when [`crate::SandboxConfig::hublet`] is set).
    pub record_url: Vary,
    /// On: associations v4 answers spell `toObjectId` as a string, as the published spec types
    /// it (HubSpot sends a number, as an older rollout of the spec typed it); seeded: per
    /// response.
    pub string_target_ids: Vary,
}

impl Default for Contract {
    fn default() -> Self {
        Self::seeded(42)
    }
}

impl Contract {
    /// Every variation on, decided by `seed`.
    pub fn seeded(seed: u64) -> Self {
        Self {
            seed,
            cursor_style: CursorStyle::Seeded,
            cursor_len: None,
            omit_optional: Vary::Seeded,
            id_token: Vary::Seeded,
            relative_links: Vary::Seeded,
            timestamp_digits: None,
            blank_values: Vary::Seeded,
            minimal_errors: Vary::Seeded,
            legacy_scope_context: Vary::Seeded,
            fault_body: FaultBody::Seeded,
            retry_after: Vary::Seeded,
            omit_rate_limit_headers: Vary::Seeded,
            search_lag: SearchLag::Seeded,
            record_url: Vary::Seeded,
            string_target_ids: Vary::Seeded,
        }
    }

    /// The common answer everywhere: every optional field present, millisecond timestamps,
    /// full error bodies, JSON fault bodies, rate-limit headers on 429 (`Retry-After` only
    /// with [`crate::Knobs::send_retry_after`]), no search lag, no `url`, no `id_token`.
    /// Cursors are still opaque (standard base64, about 40 characters).
    pub fn typical() -> Self {
        Self {
            seed: 42,
            cursor_style: CursorStyle::Base64,
            cursor_len: Some(40),
            omit_optional: Vary::Off,
            id_token: Vary::Off,
            relative_links: Vary::Off,
            timestamp_digits: Some(3),
            blank_values: Vary::Off,
            minimal_errors: Vary::Off,
            legacy_scope_context: Vary::Off,
            fault_body: FaultBody::Json,
            retry_after: Vary::Off,
            omit_rate_limit_headers: Vary::Off,
            search_lag: SearchLag::OFF,
            record_url: Vary::Off,
            string_target_ids: Vary::Off,
        }
    }

    /// Reads [`CONTRACT_SEED_ENV`] (`HUBSPOT_SANDBOX_SEED`): unset or empty is `Ok(None)`; a
    /// decimal `u64` is [`Contract::seeded`] with it; `typical` is [`Contract::typical`].
    pub fn from_env() -> Result<Option<Self>, String> {
        match std::env::var(CONTRACT_SEED_ENV) {
            Err(_) => Ok(None),
            Ok(value) => Self::parse(&value),
        }
    }

    /// Parses a seed as [`Contract::from_env`] does.
    pub fn parse(value: &str) -> Result<Option<Self>, String> {
        let value = value.trim();
        if value.is_empty() {
            Ok(None)
        } else if value.eq_ignore_ascii_case("typical") {
            Ok(Some(Self::typical()))
        } else {
            value.parse::<u64>().map(|s| Some(Self::seeded(s))).map_err(|_| {
                format!(
                    "{CONTRACT_SEED_ENV} must be a whole number (0..2^64) or \"typical\", got {value:?}"
                )
            })
        }
    }

    /// A stable hash of the seed, what is decided and a key.
    pub(crate) fn hash(&self, what: What, key: u64) -> u64 {
        let base = mix(self.seed ^ 0xC047_2AC7 ^ (what as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        mix(base.wrapping_add(mix(key.wrapping_add(what as u64))))
    }

    /// Decides `v` for `key`: seeded ones come true `percent` of the time.
    pub(crate) fn decide(&self, v: Vary, what: What, key: u64, percent: u64) -> bool {
        match v {
            Vary::On => true,
            Vary::Off => false,
            Vary::Seeded => self.hash(what, key) % 100 < percent,
        }
    }

    /// Fraction digits for a record.
    pub(crate) fn digits(&self, object_salt: u64, id: u64) -> u8 {
        match self.timestamp_digits {
            Some(d @ (0 | 3 | 6)) => d,
            Some(_) => 3,
            None => match self.hash(What::Digits, id ^ object_salt) % 4 {
                0 => 0,
                3 => 6,
                _ => 3,
            },
        }
    }

    /// The search lag of a change made at `changed_ms` to record `id`.
    pub(crate) fn lag_ms(&self, object_salt: u64, id: u64, changed_ms: i64) -> i64 {
        match self.search_lag {
            SearchLag::Fixed(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            SearchLag::Seeded => {
                let h = self.hash(
                    What::Lag,
                    id ^ object_salt ^ (changed_ms as u64).rotate_left(17),
                );
                let roll = h % 100;
                let spread = h >> 8;
                let ms = if roll < 70 {
                    1_000 + spread % 4_000
                } else if roll < 90 {
                    5_000 + spread % 25_000
                } else {
                    61_000 + spread % 59_000
                };
                ms as i64
            }
        }
    }
}

/// What a decision is about (keeps decisions independent of one another).
#[derive(Clone, Copy, Debug)]
pub(crate) enum What {
    Digits = 1,
    Lag = 2,
    Blank = 3,
    ArchivedAt = 4,
    Url = 5,
    Response = 6,
    /// An optional field of a property definition (`GET /crm/v3/properties/{type}`).
    PropertyField = 7,
    /// An optional field of a custom object schema.
    SchemaField = 8,
}

/// SplitMix64's finaliser.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The decisions of one response: a key taken from a counter, and a running sub-key so each
/// decision in the response is independent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Roll {
    pub contract: Contract,
    key: u64,
    n: u64,
}

impl Roll {
    pub(crate) fn new(contract: Contract, key: u64) -> Self {
        Self {
            contract,
            key,
            n: 0,
        }
    }

    /// A fresh 64-bit value.
    pub(crate) fn next(&mut self) -> u64 {
        self.n += 1;
        self.contract.hash(
            What::Response,
            self.key.wrapping_mul(0x1_0000_0001) ^ self.n,
        )
    }

    /// `v` decided for this response; seeded ones come true `percent` of the time.
    pub(crate) fn vary(&mut self, v: Vary, percent: u64) -> bool {
        match v {
            Vary::On => true,
            Vary::Off => false,
            Vary::Seeded => self.next() % 100 < percent,
        }
    }

    /// A number below `n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_and_decisions_are_stable_per_seed() {
        assert_eq!(Contract::parse(""), Ok(None));
        assert_eq!(Contract::parse(" 7 "), Ok(Some(Contract::seeded(7))));
        assert_eq!(Contract::parse("typical"), Ok(Some(Contract::typical())));
        assert!(Contract::parse("seven").is_err());
        let (a, b) = (Contract::seeded(1), Contract::seeded(2));
        let digits = |c: Contract| (0..200).map(|id| c.digits(0, id)).collect::<Vec<_>>();
        assert_eq!(digits(a), digits(Contract::seeded(1)));
        assert_ne!(digits(a), digits(b));
        for d in [0, 3, 6] {
            assert!(digits(a).contains(&d));
        }
        let lags: Vec<i64> = (0..1_000).map(|id| a.lag_ms(0, id, 5)).collect();
        assert!(lags.iter().all(|&l| (1_000..=120_000).contains(&l)));
        assert!(
            lags.iter().any(|&l| l > 60_000),
            "some lags exceed a minute"
        );
        assert!(lags.iter().filter(|&&l| l <= 5_000).count() > 500);
        assert_eq!(Contract::typical().lag_ms(0, 1, 5), 0);
    }
}
