//! Provider API calls for a user, with everything around them in one place ([`Call`]): fresh
//! credentials, the scope the query needs, pacing, retries until one deadline, and one refresh
//! on a 401. Listing, counting and changes differ only in what they ask the provider.

use super::{Connector, record};
use crate::budget::{Lane, Priority};
use crate::changes::{ChangesPage, ChangesQuery};
use crate::{Credentials, Error, ItemQuery, LanePage, Page, UserId};

/// What one provider call is, for pacing, retries and metrics.
#[derive(Debug, Clone, Copy)]
pub(super) struct Call {
    /// The metrics' `operation` label (`list_items`, `count`, `changes`).
    pub operation: &'static str,
    /// Who goes first when the account's budget is short.
    pub priority: Priority,
    /// Which of the account's budgets pays for it.
    pub lane: Lane,
    /// When retries and waits stop.
    pub deadline: tokio::time::Instant,
}

impl Connector {
    /// One page of the user's items, refreshing the access token as needed, within the
    /// connector's request deadline. Paced as an [`Priority::Interactive`] call.
    pub async fn items(&self, user: &UserId, query: &ItemQuery) -> Result<Page, Error> {
        self.items_as(user, query, Priority::Interactive).await
    }

    /// Like [`items`](Self::items), with the rate budget's `priority`: background work (exports,
    /// syncs) passes [`Priority::Background`] so interactive requests of the same account go
    /// first.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn items_as(
        &self,
        user: &UserId,
        query: &ItemQuery,
        priority: Priority,
    ) -> Result<Page, Error> {
        self.items_reusing(user, query, priority, &mut None).await
    }

    /// [`items_as`](Self::items_as) reusing the credentials of the caller's previous call while
    /// they are fresh (an export's pages: one store read, not one a page).
    pub(crate) async fn items_reusing(
        &self,
        user: &UserId,
        query: &ItemQuery,
        priority: Priority,
        known: &mut Option<Credentials>,
    ) -> Result<Page, Error> {
        let opened = self.open_query(user, query)?;
        let deadline = tokio::time::Instant::now() + self.options.request_deadline;
        let mut page = (self
            .within_deadline(self.items_until(user, &opened, priority, deadline, known)))
        .await?;
        if let Some(next) = &page.next_cursor {
            let context = self.items_context(user, query);
            page.next_cursor = Some(self.seal_cursor(&context, next)?);
        }
        Ok(page)
    }

    pub(super) async fn items_until(
        &self,
        user: &UserId,
        query: &ItemQuery,
        priority: Priority,
        deadline: tokio::time::Instant,
        known: &mut Option<Credentials>,
    ) -> Result<Page, Error> {
        let call = Call {
            operation: "list_items",
            priority,
            // A search is paced as one (HubSpot: 5 a second, apart from the 110 per 10 s).
            lane: if query.search.is_some() {
                Lane::Search
            } else {
                Lane::Standard
            },
            deadline,
        };
        self.call_until(user, query, call, known, |c| async move {
            self.integration.list_items(&c, query).await
        })
        .await
    }

    /// One provider call for `user` with everything around it: fresh credentials, the scope
    /// `query` needs, pacing in the call's lane, retries until its deadline, and one refresh on
    /// a 401.
    pub(super) async fn call_until<'a, T, F, Fut>(
        &'a self,
        user: &'a UserId,
        query: &ItemQuery,
        call: Call,
        known: &mut Option<Credentials>,
        f: F,
    ) -> Result<T, Error>
    where
        F: Fn(Credentials) -> Fut + Copy,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        // A caller making many calls in a row (an export) passes the credentials of its last
        // call: reused while they are not about to expire, instead of a store read per page.
        let credentials = match known.take() {
            Some(credentials) if !self.expiring(&credentials) => credentials,
            _ => self.fresh_credentials(user).await?,
        };
        self.check_scope(&credentials, query)?;
        let attempt = |credentials: Credentials| async move {
            let credentials = &credentials;
            self.options
                .retry
                .run_until(call.operation, Some(call.deadline), || async {
                    let pacer = self.pacer(user, credentials, call);
                    if let Some(pacer) = &pacer {
                        pacer.pace().await?;
                    }
                    let (result, hint) =
                        crate::budget::with_hint(f(credentials.clone()), pacer).await;
                    if let Some(hint) = hint {
                        self.heed(user, credentials, call.lane, hint).await;
                    }
                    record(self.integration.id(), call.operation, &result);
                    result
                })
                .await
        };
        match attempt(credentials.clone()).await {
            Err(Error::Unauthorized) => {
                tracing::info!("provider rejected the access token; refreshing once");
                let refreshed = self.refresh_single_flight(user, &credentials).await?;
                let result = attempt(refreshed.clone()).await;
                if result.is_ok() {
                    *known = Some(refreshed);
                }
                result.map_err(|e| match e {
                    Error::Unauthorized => Error::ReauthRequired {
                        reason: "the provider rejects even a freshly refreshed token".into(),
                    },
                    other => other,
                })
            }
            Ok(value) => {
                *known = Some(credentials);
                Ok(value)
            }
            Err(other) => Err(other),
        }
    }

    /// One page of an export's descending lane ([`Integration::list_descending`]) below `below`,
    /// at background priority in the search lane, within the request deadline.
    ///
    /// [`Integration::list_descending`]: crate::Integration::list_descending
    pub(crate) async fn items_descending(
        &self,
        user: &UserId,
        query: &ItemQuery,
        below: Option<u64>,
        known: &mut Option<Credentials>,
    ) -> Result<LanePage, Error> {
        let query = self.open_query(user, query)?;
        let deadline = tokio::time::Instant::now() + self.options.request_deadline;
        let call = Call {
            operation: "list_descending",
            priority: Priority::Background,
            lane: Lane::Search,
            deadline,
        };
        let query = &query;
        self.within_deadline(self.call_until(user, query, call, known, |c| async move {
            self.integration.list_descending(&c, query, below).await
        }))
        .await
    }

    /// How many records `query`'s object type has, when the provider can say (`None` when it
    /// cannot, without any call). Paced in the search lane at interactive priority.
    pub async fn count(&self, user: &UserId, query: &ItemQuery) -> Result<Option<u64>, Error> {
        self.check_object_type(query.object_type.as_deref())?;
        if !self.integration.counts() {
            return Ok(None);
        }
        let deadline = tokio::time::Instant::now() + self.options.request_deadline;
        let call = Call {
            operation: "count",
            priority: Priority::Interactive,
            lane: Lane::Search,
            deadline,
        };
        let object_type = query.object_type.as_deref();
        self.within_deadline(
            self.call_until(user, query, call, &mut None, |c| async move {
                self.integration.count(&c, object_type).await
            }),
        )
        .await
    }

    /// One page of changes in `query`'s window (see [`Connector::changes`]), at background
    /// priority in the lane the provider names, within the request deadline.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn changes_page(
        &self,
        user: &UserId,
        query: &ChangesQuery,
    ) -> Result<ChangesPage, Error> {
        self.changes_page_reusing(user, query, &mut None).await
    }

    /// [`changes_page`](Self::changes_page) reusing the credentials of the previous page.
    pub(crate) async fn changes_page_reusing(
        &self,
        user: &UserId,
        query: &ChangesQuery,
        known: &mut Option<Credentials>,
    ) -> Result<ChangesPage, Error> {
        let items = crate::changes::as_items_query(query);
        self.check_object_type(items.object_type.as_deref())?;
        self.check_associations(&items.associations)?;
        // A page's cursor is bound to its window: a resume token's window cannot be changed.
        let window = [query.since.to_rfc3339(), query.until.to_rfc3339()];
        let context = self.seal_context(user, "changes", query.object_type.as_deref(), &window);
        let mut opened = query.clone();
        if let Some(cursor) = &query.cursor {
            opened.cursor = Some(self.open_cursor(&context, cursor)?);
        }
        let deadline = tokio::time::Instant::now() + self.options.request_deadline;
        let call = Call {
            operation: "changes",
            priority: Priority::Background,
            lane: self.integration.changes_lane(&opened),
            deadline,
        };
        let opened = &opened;
        let mut page = self
            .within_deadline(self.call_until(user, &items, call, known, |c| async move {
                self.integration.changes(&c, opened).await
            }))
            .await?;
        if let Some(next) = &page.next_cursor {
            page.next_cursor = Some(self.seal_cursor(&context, next)?);
        }
        Ok(page)
    }

    /// One record of `query`'s object type by its id, as it is now, carrying what `query`
    /// selects (its properties and associations); `None` when the provider has no such live
    /// record. An interactive call, within the request deadline. A provider that cannot read
    /// records by id is [`Error::Unsupported`]; an id that is no id at all (empty, over 256
    /// characters, not printable ASCII) is [`Error::InvalidInput`] before any call.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn item(
        &self,
        user: &UserId,
        query: &ItemQuery,
        id: &str,
    ) -> Result<Option<crate::IntegrationItem>, Error> {
        if id.is_empty() || id.len() > 256 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::InvalidInput(
                "a record id is 1 to 256 printable ASCII characters".into(),
            ));
        }
        let ids = [id.to_owned()];
        let found = (self.fetch_as(user, query, &ids, Priority::Interactive, &mut None)).await?;
        Ok(found.into_iter().find(|item| item.id == id))
    }

    /// The records of `items`' object type with these ids as they are now (at most
    /// [`FETCH_BATCH`]), carrying what `items` selects, at background priority, within the
    /// request deadline.
    ///
    /// [`FETCH_BATCH`]: crate::FETCH_BATCH
    pub(crate) async fn fetch_items_reusing(
        &self,
        user: &UserId,
        items: &ItemQuery,
        ids: &[String],
        known: &mut Option<Credentials>,
    ) -> Result<Vec<crate::IntegrationItem>, Error> {
        self.fetch_as(user, items, ids, Priority::Background, known)
            .await
    }

    /// Records by id at `priority`, after the checks every query gets.
    async fn fetch_as(
        &self,
        user: &UserId,
        items: &ItemQuery,
        ids: &[String],
        priority: Priority,
        known: &mut Option<Credentials>,
    ) -> Result<Vec<crate::IntegrationItem>, Error> {
        self.check_object_type(items.object_type.as_deref())?;
        self.check_associations(&items.associations)?;
        let deadline = tokio::time::Instant::now() + self.options.request_deadline;
        let call = Call {
            operation: "fetch",
            priority,
            lane: crate::Lane::Standard,
            deadline,
        };
        self.within_deadline(self.call_until(user, items, call, known, |c| async move {
            self.integration.fetch_items(&c, items, ids).await
        }))
        .await
    }
}
