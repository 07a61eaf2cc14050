//! A [`TokenStore`] in process memory: for embedding, development and tests. Nothing survives a
//! restart and nothing is shared between processes, so it is no substitute for Redis when more
//! than one server instance runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use integration_core::budget::{WAIT_SLACK, fair_turn, sliding_window, turn_wait};
use integration_core::{
    Admission, CredentialStore, Credentials, Limit, LockToken, OAuthState, Priority, RateBudget,
    StoreError, UserId, credentials_key,
};
use tokio::time::Instant;
use zeroize::Zeroizing;

use crate::{PendingAuthorization, StateStore, TokenStore, new_lock_token, plain};

#[derive(Default)]
pub(crate) struct State {
    /// Credentials in their stored (JSON) form, as in Redis before encryption: loading decodes
    /// them the same way, so a value that no longer decodes is `Corrupt` here too. Wiped when
    /// replaced or dropped.
    credentials: HashMap<String, Zeroizing<Vec<u8>>>,
    /// Keys whose grant the provider rejected (see `mark_reauth_required`).
    reauth: std::collections::HashSet<String>,
    /// Pending authorizations: what, until when, and their order of arrival (`next_seq`), so
    /// the oldest of a user's can be dropped.
    states: HashMap<String, (PendingAuthorization, Instant, u64)>,
    next_seq: u64,
    locks: HashMap<String, (LockToken, Instant)>,
    /// Rate budgets: the times of each key's calls admitted in its last window (oldest first),
    /// and until when it is held.
    budgets: HashMap<String, Budget>,
    /// The account each stored credential is for (`provider:user` → account id): the index of
    /// [`CredentialStore::connected_users`], kept as Redis keeps it.
    accounts: HashMap<String, String>,
    /// Provider event logs by `provider:account`.
    pub(crate) events: HashMap<String, crate::event_log::MemoryLog>,
    /// Named reading positions (a journal's).
    pub(crate) positions: HashMap<String, String>,
    /// Cached values that are not secrets, until when.
    cache: HashMap<String, (Vec<u8>, Instant)>,
}

/// One key's rate budget.
#[derive(Default)]
struct Budget {
    admitted: std::collections::VecDeque<Instant>,
    held_until: Option<Instant>,
    /// Background calls admitted per party, and when the party was last seen.
    served: HashMap<String, (u64, Instant)>,
    /// Parties waiting for a slot, until when they count as waiting.
    waiting: HashMap<String, Instant>,
}

impl Budget {
    /// A background call of `party` given what the window says (`free`: a slot now, or the
    /// wait for one): admitted only on its turn ([`fair_turn`]). Parties unseen for two windows
    /// are forgotten, as the Redis keys expire.
    fn take_turn(
        &mut self,
        party: &str,
        now: Instant,
        window: Duration,
        limit: &Limit,
        free: Result<(), u64>,
    ) -> Admission {
        self.served.retain(|_, (_, seen)| *seen + window * 2 > now);
        self.waiting.retain(|_, until| *until > now);
        let others = (self.served.iter())
            .filter(|(p, _)| p.as_str() != party)
            .map(|(_, (count, _))| *count);
        let waiting = (self.waiting.keys())
            .filter(|p| p.as_str() != party)
            .filter_map(|p| self.served.get(p).map(|(count, _)| *count));
        let (count, turn) = fair_turn(self.served.get(party).map(|(c, _)| *c), others, waiting);
        let wait = match free {
            Ok(()) if turn => {
                self.admitted.push_back(now);
                self.served.insert(party.to_owned(), (count + 1, now));
                // Still in line for a slot's share of the window: a party between two calls
                // (its page arriving) keeps its turn from those that call more often.
                (self.waiting).insert(party.to_owned(), now + turn_wait(limit));
                return Admission::Admitted;
            }
            Ok(()) => turn_wait(limit),
            Err(wait) => Duration::from_micros(wait),
        };
        self.served.insert(party.to_owned(), (count, now));
        (self.waiting).insert(party.to_owned(), now + wait + WAIT_SLACK);
        Admission::Wait(wait)
    }
}

/// A [`TokenStore`] in memory. Clones share the same contents.
///
/// Expiry follows `tokio::time::Instant`, so tests with a paused clock can advance it.
#[derive(Clone, Default)]
pub struct MemoryTokenStore {
    state: Arc<Mutex<State>>,
    retention: crate::EventRetention,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// With `retention` for its event logs (default [`EventRetention::default`]).
    ///
    /// [`EventRetention::default`]: crate::EventRetention
    pub fn with_event_retention(mut self, retention: crate::EventRetention) -> Self {
        self.retention = retention;
        self
    }

    pub(crate) fn event_retention(&self) -> crate::EventRetention {
        self.retention
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated (every update is one
        // insert or remove), so a poisoned lock is safe to keep using.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("MemoryTokenStore")
            .field("credentials", &state.credentials.len())
            .field("states", &state.states.len())
            .field("locks", &state.locks.len())
            .finish()
    }
}

#[async_trait]
impl CredentialStore for MemoryTokenStore {
    async fn load(&self, provider: &str, user: &UserId) -> Result<Option<Credentials>, StoreError> {
        let state = self.lock();
        state
            .credentials
            .get(&credentials_key(provider, user))
            .map(|stored| plain::decode(stored))
            .transpose()
    }

    async fn save(
        &self,
        provider: &str,
        user: &UserId,
        credentials: &Credentials,
    ) -> Result<(), StoreError> {
        let key = credentials_key(provider, user);
        let encoded = plain::encode(credentials)?;
        let mut state = self.lock();
        state.reauth.remove(&key);
        match &credentials.account_id {
            Some(account) => state.accounts.insert(key.clone(), account.clone()),
            None => state.accounts.remove(&key),
        };
        state.credentials.insert(key, encoded);
        Ok(())
    }

    async fn delete(&self, provider: &str, user: &UserId) -> Result<bool, StoreError> {
        let key = credentials_key(provider, user);
        let mut state = self.lock();
        state.reauth.remove(&key);
        state.accounts.remove(&key);
        Ok(state.credentials.remove(&key).is_some())
    }

    async fn mark_reauth_required(&self, provider: &str, user: &UserId) -> Result<(), StoreError> {
        let key = credentials_key(provider, user);
        let mut state = self.lock();
        state.credentials.remove(&key);
        state.accounts.remove(&key);
        state.reauth.insert(key);
        Ok(())
    }

    async fn reauth_required(&self, provider: &str, user: &UserId) -> Result<bool, StoreError> {
        Ok(self
            .lock()
            .reauth
            .contains(&credentials_key(provider, user)))
    }

    async fn connected_users(
        &self,
        provider: &str,
        account: &str,
    ) -> Result<Vec<UserId>, StoreError> {
        let prefix = format!("{provider}:");
        let state = self.lock();
        Ok(state
            .accounts
            .iter()
            .filter(|(_, a)| a.as_str() == account)
            .filter_map(|(key, _)| key.strip_prefix(&prefix))
            .filter_map(|user| UserId::parse(user).ok())
            .collect())
    }

    async fn try_lock(&self, name: &str, ttl: Duration) -> Result<Option<LockToken>, StoreError> {
        let now = Instant::now();
        let mut state = self.lock();
        if let Some((_, until)) = state.locks.get(name)
            && *until > now
        {
            return Ok(None);
        }
        let token = new_lock_token();
        state
            .locks
            .insert(name.to_owned(), (token.clone(), now + ttl));
        Ok(Some(token))
    }

    async fn unlock(&self, name: &str, token: &LockToken) -> Result<(), StoreError> {
        let mut state = self.lock();
        if state.locks.get(name).is_some_and(|(held, _)| held == token) {
            state.locks.remove(name);
        }
        Ok(())
    }

    async fn cache_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let now = Instant::now();
        let mut state = self.lock();
        match state.cache.get(key) {
            Some((value, until)) if *until > now => Ok(Some(value.clone())),
            Some(_) => {
                state.cache.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn cache_put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let until = Instant::now() + ttl;
        self.lock()
            .cache
            .insert(key.to_owned(), (value.to_vec(), until));
        Ok(())
    }

    async fn cache_delete(&self, key: &str) -> Result<(), StoreError> {
        self.lock().cache.remove(key);
        Ok(())
    }
}

#[async_trait]
impl StateStore for MemoryTokenStore {
    async fn put_state(
        &self,
        state: &OAuthState,
        pending: &PendingAuthorization,
        ttl: Duration,
        max_per_user: usize,
    ) -> Result<(), StoreError> {
        let now = Instant::now();
        let mut inner = self.lock();
        // Abandoned flows would otherwise pile up forever.
        inner.states.retain(|_, (_, until, _)| *until > now);
        inner.locks.retain(|_, (_, until)| *until > now);
        inner.next_seq += 1;
        let seq = inner.next_seq;
        inner
            .states
            .insert(state.as_str().to_owned(), (pending.clone(), now + ttl, seq));
        let mut mine: Vec<(u64, String)> = inner
            .states
            .iter()
            .filter(|(_, (p, _, _))| p.user_id == pending.user_id)
            .map(|(key, (_, _, seq))| (*seq, key.clone()))
            .collect();
        let excess = mine.len().saturating_sub(max_per_user.max(1));
        if excess > 0 {
            mine.sort_unstable();
            for (_, key) in mine.into_iter().take(excess) {
                inner.states.remove(&key);
            }
        }
        Ok(())
    }

    async fn peek_state(
        &self,
        state: &OAuthState,
    ) -> Result<Option<PendingAuthorization>, StoreError> {
        let now = Instant::now();
        Ok(self
            .lock()
            .states
            .get(state.as_str())
            .filter(|(_, until, _)| *until > now)
            .map(|(pending, _, _)| pending.clone()))
    }

    async fn take_state(
        &self,
        state: &OAuthState,
    ) -> Result<Option<PendingAuthorization>, StoreError> {
        let now = Instant::now();
        Ok(self
            .lock()
            .states
            .remove(state.as_str())
            .filter(|(_, until, _)| *until > now)
            .map(|(pending, _, _)| pending))
    }
}

/// The same sliding-window step and turns as the Redis script, on the tokio clock (so
/// paused-clock tests pace too), in microseconds.
#[async_trait]
impl RateBudget for MemoryTokenStore {
    async fn acquire(
        &self,
        key: &str,
        limit: &Limit,
        priority: Priority,
    ) -> Result<Admission, StoreError> {
        self.acquire_for(key, limit, priority, "").await
    }

    async fn acquire_for(
        &self,
        key: &str,
        limit: &Limit,
        priority: Priority,
        party: &str,
    ) -> Result<Admission, StoreError> {
        let now = Instant::now();
        let window = limit.window();
        let mut state = self.lock();
        if state.budgets.len() >= 1024 {
            // Idle budgets vanish, as their Redis keys expire.
            state.budgets.retain(|_, b| {
                b.admitted.back().is_some_and(|t| *t + window > now)
                    || b.held_until.is_some_and(|t| t > now)
            });
        }
        let budget = state.budgets.entry(key.to_owned()).or_default();
        if let Some(until) = budget.held_until.filter(|t| *t > now) {
            return Ok(Admission::Wait(until - now));
        }
        while budget.admitted.front().is_some_and(|t| *t + window <= now) {
            budget.admitted.pop_front();
        }
        // Times as microseconds since the oldest call still in the window.
        let Some(origin) = budget.admitted.front().copied() else {
            if !party.is_empty() && priority == Priority::Background {
                return Ok(budget.take_turn(party, now, window, limit, Ok(())));
            }
            budget.admitted.push_back(now);
            return Ok(Admission::Admitted);
        };
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let times: Vec<u64> = (budget.admitted.iter())
            .map(|t| micros(*t - origin))
            .collect();
        let free = sliding_window(
            micros(now - origin),
            &times,
            micros(window),
            limit.allowed(priority),
        );
        if party.is_empty() || priority == Priority::Interactive {
            return Ok(match free {
                Ok(()) => {
                    budget.admitted.push_back(now);
                    Admission::Admitted
                }
                Err(wait) => Admission::Wait(Duration::from_micros(wait)),
            });
        }
        Ok(budget.take_turn(party, now, window, limit, free))
    }

    async fn hold(&self, key: &str, _limit: &Limit, wait: Duration) -> Result<(), StoreError> {
        let until = Instant::now() + wait;
        let mut state = self.lock();
        let budget = state.budgets.entry(key.to_owned()).or_default();
        budget.held_until = Some(budget.held_until.map_or(until, |t| t.max(until)));
        Ok(())
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(feature = "conformance")]
#[async_trait]
impl crate::conformance::RawCredentials for MemoryTokenStore {
    async fn put_raw_credentials(&self, provider: &str, user: &UserId, bytes: &[u8]) {
        self.lock().credentials.insert(
            credentials_key(provider, user),
            Zeroizing::new(bytes.to_vec()),
        );
    }

    async fn put_credentials_plaintext(&self, provider: &str, user: &UserId, plaintext: &[u8]) {
        // Nothing is encrypted in memory: the plaintext is the stored form.
        self.put_raw_credentials(provider, user, plaintext).await;
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn states_and_locks_expire_on_the_tokio_clock() {
        let store = MemoryTokenStore::new();
        let state = OAuthState::generate();
        let pending = PendingAuthorization {
            user_id: UserId::parse("u").unwrap(),
            provider: "hubspot".into(),
            redirect_uri: "http://x/cb".into(),
            binding_hash: "h".into(),
            pkce_verifier: None,
            created_at: Utc::now(),
        };
        store
            .put_state(&state, &pending, Duration::from_secs(600), 10)
            .await
            .unwrap();
        assert!(
            store
                .try_lock("l", Duration::from_secs(15))
                .await
                .unwrap()
                .is_some()
        );
        tokio::time::advance(Duration::from_secs(601)).await;
        assert!(store.take_state(&state).await.unwrap().is_none());
        assert!(
            store
                .try_lock("l", Duration::from_secs(15))
                .await
                .unwrap()
                .is_some()
        );
    }
}
