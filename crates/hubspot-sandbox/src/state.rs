//! The sandbox's mutable state, kept behind one mutex.
//!
//! One lock keeps every check-then-act step (rate-limit counting, fault injection) atomic. It is
//! held only for map look-ups, never across an `.await`. Codes and tokens live in sandbox-kit's
//! `OAuthSandbox`, whose lock may be taken while this one is held, never the other way round.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use chrono::{NaiveDate, Utc};

use crate::config::{Faults, Knobs, RateLimit, SandboxConfig, Stats};
use crate::contract::Roll;
use crate::seed::{Catalog, ObjectType};
use crate::store::Mutations;
use crate::webhooks::Hub;

/// First app id; the n-th registered client gets `FIRST_APP_ID + n`.
const FIRST_APP_ID: u64 = 3_104_001;

/// Facts about the fake portal and user that never change.
#[derive(Debug)]
pub(crate) struct Portal {
    pub hub_id: u64,
    pub hub_domain: String,
    pub app_name: String,
    pub user_email: String,
    pub user_id: u64,
    /// `eu1` and so on; `None` is `na1`.
    pub hublet: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub portal: Portal,
    pub catalog: Catalog,
    /// Property definitions and the custom object (`GET /crm/v3/properties/{type}`).
    pub properties: crate::properties::Properties,
    /// Webhook subscription and delivery; its own lock, never taken while holding `state`.
    pub webhooks: Hub,
    /// The records page's token key and pending notices.
    pub records_page: crate::records_page::PageState,
    /// Which records are associated (`/crm/v4/associations/…`).
    pub associations: crate::associations::Graph,
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(config: SandboxConfig) -> Self {
        let mut catalog =
            Catalog::new(config.seed, config.contacts, config.companies, config.deals)
                .with_contract(config.contract);
        for object in ObjectType::ALL {
            if let Some(count) = config.objects.get(object) {
                catalog = catalog.with_count(object, count);
            }
        }
        let mut apps: Vec<String> = Vec::new();
        for client in &config.clients {
            if !apps.contains(&client.client_id) {
                apps.push(client.client_id.clone());
            }
        }
        let properties = crate::properties::Properties::new(config.seed, config.hub_id);
        Self {
            portal: Portal {
                hub_id: config.hub_id,
                hub_domain: config.hub_domain.clone(),
                app_name: config.app_name.clone(),
                user_email: config.user_email.clone(),
                user_id: 81_000_000 + config.seed % 1_000_000,
                hublet: config
                    .hublet
                    .as_deref()
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(str::to_ascii_lowercase),
            },
            catalog,
            webhooks: {
                let hub = Hub::new(Knobs::from_config(&config).webhook_retry_base);
                hub.set_custom_type_id(&properties.custom.object_type_id);
                for client in &config.clients {
                    hub.register_secret(&client.client_id, &client.client_secret);
                }
                hub
            },
            properties,
            records_page: crate::records_page::PageState::default(),
            associations: crate::associations::Graph::new(config.seed, config.busy_contact_deals),
            state: Mutex::new(State {
                knobs: Knobs::from_config(&config),
                apps,
                stats: Stats::default(),
                faults: Faults::default(),
                windows: HashMap::new(),
                search_window: VecDeque::new(),
                daily: None,
                mutations: BTreeMap::new(),
                responses: 0,
                journal: crate::journal::Journal::default(),
            }),
        }
    }

    /// Locks the state. A panic while locked cannot leave it half-updated in a way that
    /// matters for a fake, so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A fault taken from [`Faults`] for one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Injected {
    RateLimited,
    Fail(u16),
    Malformed,
}

/// The outcome of counting one request against the rolling window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RateCheck {
    pub allowed: bool,
    pub max: u32,
    pub remaining: u32,
    pub interval_ms: u128,
    /// Whole seconds until a slot frees up (at least 1).
    pub retry_after_secs: u64,
}

/// The outcome of counting one request against the daily cap.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DailyCheck {
    pub allowed: bool,
    pub max: u64,
    pub remaining: u64,
    /// Whole seconds until the next UTC midnight.
    pub retry_after_secs: u64,
}

#[derive(Debug)]
pub(crate) struct State {
    pub knobs: Knobs,
    /// Client ids in registration order: the n-th is app `FIRST_APP_ID + n`.
    pub apps: Vec<String>,
    /// Counters kept here (the OAuth ones are the kit's; see [`crate::Sandbox::stats`]).
    pub stats: Stats,
    pub faults: Faults,
    /// Request times per app id (the limit is per portal and app; there is one portal).
    pub windows: HashMap<u64, VecDeque<Instant>>,
    /// Request times of the search endpoints (their limit is per portal).
    pub search_window: VecDeque<Instant>,
    /// Requests counted against the daily cap, and the UTC day they were made on.
    pub daily: Option<(NaiveDate, u64)>,
    /// Modified and archived records, per object type.
    pub mutations: BTreeMap<ObjectType, Mutations>,
    /// Responses that drew contract decisions so far: the key of the next [`Roll`].
    pub responses: u64,
    /// The Webhooks Journal: every change, whether or not webhooks are subscribed.
    pub journal: crate::journal::Journal,
}

fn count_in_window(window: &mut VecDeque<Instant>, limit: RateLimit) -> RateCheck {
    let now = Instant::now();
    while window
        .front()
        .is_some_and(|&at| now.duration_since(at) >= limit.window)
    {
        window.pop_front();
    }
    let used = u32::try_from(window.len()).unwrap_or(u32::MAX);
    let allowed = used < limit.max_requests;
    if allowed {
        window.push_back(now);
    }
    let used_after = u32::try_from(window.len()).unwrap_or(u32::MAX);
    let retry_after = window
        .front()
        .map(|&oldest| limit.window.saturating_sub(now.duration_since(oldest)))
        .unwrap_or(limit.window);
    RateCheck {
        allowed,
        max: limit.max_requests,
        remaining: limit.max_requests.saturating_sub(used_after),
        interval_ms: limit.window.as_millis(),
        retry_after_secs: retry_after.as_secs_f64().ceil().max(1.0) as u64,
    }
}

impl State {
    /// The contract decisions of one response (the same for the same seed and request order).
    pub(crate) fn roll(&mut self) -> Roll {
        self.responses += 1;
        Roll::new(self.knobs.contract, self.responses)
    }

    /// The app id of a registered client (registering it if it is new).
    pub(crate) fn app_id(&mut self, client_id: &str) -> u64 {
        let index = match self.apps.iter().position(|c| c == client_id) {
            Some(index) => index,
            None => {
                self.apps.push(client_id.to_owned());
                self.apps.len() - 1
            }
        };
        FIRST_APP_ID + index as u64
    }

    /// Consumes one injected fault, if any is pending.
    pub(crate) fn take_fault(&mut self) -> Option<Injected> {
        let faults = &mut self.faults;
        if faults.pass_next > 0 {
            faults.pass_next -= 1;
            return None;
        }
        let injected = if faults.rate_limit_next > 0 {
            faults.rate_limit_next -= 1;
            Injected::RateLimited
        } else if faults.fail_next > 0 {
            faults.fail_next -= 1;
            Injected::Fail(faults.fail_status)
        } else if faults.malformed_next > 0 {
            faults.malformed_next -= 1;
            Injected::Malformed
        } else {
            return None;
        };
        self.stats.faults_injected += 1;
        tracing::debug!(?injected, "hubspot sandbox: injecting fault");
        if injected == Injected::RateLimited {
            self.stats.rate_limited += 1;
        }
        Some(injected)
    }

    /// Counts a request for `app_id` against the rolling window, if a limit is set.
    pub(crate) fn check_rate(&mut self, app_id: u64) -> Option<RateCheck> {
        let limit = self.knobs.rate_limit?;
        Some(count_in_window(
            self.windows.entry(app_id).or_default(),
            limit,
        ))
    }

    /// Counts a search request against the portal's search window, if a limit is set.
    pub(crate) fn check_search_rate(&mut self) -> Option<RateCheck> {
        let limit = self.knobs.search_rate_limit?;
        Some(count_in_window(&mut self.search_window, limit))
    }

    /// Counts a request against the daily cap, if one is set; the count restarts at UTC
    /// midnight. A refused request is not counted.
    pub(crate) fn check_daily(&mut self) -> Option<DailyCheck> {
        let max = self.knobs.daily_limit?;
        let now = Utc::now();
        let today = now.date_naive();
        let used = match self.daily {
            Some((day, used)) if day == today => used,
            _ => 0,
        };
        let allowed = used < max;
        let used = if allowed { used + 1 } else { used };
        self.daily = Some((today, used));
        let midnight = today
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc());
        let retry_after_secs = midnight.map_or(86_400, |m| {
            u64::try_from((m - now).num_seconds()).unwrap_or(0).max(1)
        });
        Some(DailyCheck {
            allowed,
            max,
            remaining: max.saturating_sub(used),
            retry_after_secs,
        })
    }

    /// The mutations of `object` (empty if none).
    pub(crate) fn mutations(&self, object: ObjectType) -> Mutations {
        self.mutations.get(&object).cloned().unwrap_or_default()
    }

    /// Rate-limit headers for an injected 429: the window reported as exhausted.
    pub(crate) fn exhausted_rate(&self) -> Option<RateCheck> {
        let limit = self.knobs.rate_limit?;
        Some(RateCheck {
            allowed: false,
            max: limit.max_requests,
            remaining: 0,
            interval_ms: limit.window.as_millis(),
            retry_after_secs: limit.window.as_secs().max(1),
        })
    }
}
