//! Discovery through the connector: the account's object types and fields asked of the provider
//! like any other call (fresh credentials, pacing, retries, one deadline), then cached per
//! provider account for [`DISCOVERY_TTL`] in the store, so every user and replica of a portal
//! shares one answer and a UI's field picker does not spend the portal's rate budget. A
//! reconnect forgets the account's cache: a new grant may see kinds the old one could not.

use std::time::Duration;

use serde::{Serialize, de::DeserializeOwned};

use super::Connector;
use super::calls::Call;
use crate::budget::{Lane, Priority};
use crate::{Credentials, DiscoveredType, Error, Field, ItemQuery, ObjectTypeAccess, UserId};

/// How long a discovered answer is reused: short, as people add properties while they work.
pub const DISCOVERY_TTL: Duration = Duration::from_secs(300);

impl Connector {
    /// Every kind of record the user's account holds, with whether this grant may read each.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn object_types(&self, user: &UserId) -> Result<Vec<ObjectTypeAccess>, Error> {
        let credentials = self.fresh_credentials(user).await?;
        let key = self.discovery_key(&credentials, user, "types");
        let kinds: Vec<DiscoveredType> = self
            .discovered(&key, user, &ItemQuery::new(), |c| async move {
                self.integration.discover_object_types(&c).await
            })
            .await?;
        Ok(kinds
            .into_iter()
            .map(|kind| ObjectTypeAccess {
                granted: credentials.scopes.is_empty()
                    || kind.scopes.is_empty()
                    || kind.scopes.iter().any(|s| credentials.scopes.contains(s)),
                kind,
            })
            .collect())
    }

    /// Every field of `object_type` in the user's account. The grant must allow reading the kind
    /// when it is one the provider declares ([`Error::InsufficientScope`] before any call); a
    /// discovered kind's fields are the provider's to refuse (HubSpot lists a custom object's
    /// properties to a grant that may read its schema, not only to one that may read its
    /// records). A kind the provider does not read at all is [`Error::InvalidInput`].
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn fields(&self, user: &UserId, object_type: &str) -> Result<Vec<Field>, Error> {
        self.kind_scopes(Some(object_type))?;
        let credentials = self.fresh_credentials(user).await?;
        let key = self.discovery_key(&credentials, user, &format!("fields:{object_type}"));
        let declared = (self.integration.object_types().iter()).any(|t| t.id == object_type);
        let query = if declared {
            ItemQuery::new().object_type(object_type)
        } else {
            ItemQuery::new()
        };
        self.discovered(&key, user, &query, |c| async move {
            self.integration.discover_fields(&c, object_type).await
        })
        .await
    }

    /// Forgets what was discovered about `credentials`' account (a reconnect).
    pub(super) async fn forget_discovery(&self, credentials: &Credentials, user: &UserId) {
        let types = self.discovery_key(credentials, user, "types");
        let mut keys = vec![types.clone()];
        if let Ok(Some(cached)) = self.store.cache_get(&types).await
            && let Ok(kinds) = serde_json::from_slice::<Vec<DiscoveredType>>(&cached)
        {
            let fields = kinds.iter().map(|k| format!("fields:{}", k.id));
            keys.extend(fields.map(|what| self.discovery_key(credentials, user, &what)));
        }
        for key in keys {
            if let Err(error) = self.store.cache_delete(&key).await {
                tracing::warn!(%error, "could not forget a discovered answer");
            }
        }
    }

    /// The cache key of one discovered answer about the account (the user's own when the
    /// provider names no account).
    fn discovery_key(&self, credentials: &Credentials, user: &UserId, what: &str) -> String {
        let account = crate::budget_key(
            self.integration.id(),
            credentials.account_id.as_deref(),
            user,
        );
        format!("discovery:{account}:{what}")
    }

    /// The cached answer under `key`, else `ask` the provider (an interactive call within the
    /// request deadline) and cache what it said. A cache that fails is logged and bypassed.
    async fn discovered<T, F, Fut>(
        &self,
        key: &str,
        user: &UserId,
        query: &ItemQuery,
        ask: F,
    ) -> Result<T, Error>
    where
        T: Serialize + DeserializeOwned,
        F: Fn(Credentials) -> Fut + Copy,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        match self.store.cache_get(key).await {
            Ok(Some(bytes)) => match serde_json::from_slice(&bytes) {
                Ok(value) => return Ok(value),
                Err(error) => tracing::warn!(%error, "a cached discovery answer is unreadable"),
            },
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "the discovery cache is unavailable"),
        }
        let call = Call {
            operation: "discover",
            priority: Priority::Interactive,
            lane: Lane::Standard,
            deadline: tokio::time::Instant::now() + self.options.request_deadline,
        };
        let value = self
            .within_deadline(self.call_until(user, query, call, &mut None, ask))
            .await?;
        match serde_json::to_vec(&value) {
            Ok(bytes) => {
                if let Err(error) = self.store.cache_put(key, &bytes, DISCOVERY_TTL).await {
                    tracing::warn!(%error, "could not cache a discovery answer");
                }
            }
            Err(error) => tracing::warn!(%error, "a discovery answer could not be cached"),
        }
        Ok(value)
    }
}

impl Connector {
    /// The properties `requested` for `object_type` (the provider's default kind when `None`),
    /// checked against the account's discovered fields: `*` alone is every field, names the
    /// account does not have are [`Error::InvalidInput`] naming them (a few), before any listing.
    pub async fn select_properties(
        &self,
        user: &UserId,
        object_type: Option<&str>,
        requested: &[String],
    ) -> Result<Vec<String>, Error> {
        let default = self.integration.object_types().first().map(|t| t.id);
        let Some(kind) = object_type.or(default) else {
            return Err(Error::InvalidInput(
                "this provider has no object types".into(),
            ));
        };
        let fields = self.fields(user, kind).await?;
        if requested.len() == 1 && requested[0] == "*" {
            return Ok(fields.into_iter().map(|f| f.name).collect());
        }
        let known: std::collections::HashSet<&str> =
            fields.iter().map(|f| f.name.as_str()).collect();
        let unknown: Vec<&str> = requested
            .iter()
            .map(String::as_str)
            .filter(|name| !known.contains(name))
            .collect();
        if !unknown.is_empty() {
            let shown: Vec<&str> = unknown.iter().copied().take(10).collect();
            let more = unknown.len().saturating_sub(shown.len());
            return Err(Error::InvalidInput(format!(
                "properties must name fields of {kind} (fields lists them); unknown: {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" (and {more} more)")
                } else {
                    String::new()
                }
            )));
        }
        let mut selected: Vec<String> = Vec::with_capacity(requested.len());
        for name in requested {
            if !selected.contains(name) {
                selected.push(name.clone());
            }
        }
        Ok(selected)
    }
}
