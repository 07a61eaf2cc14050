//! What a caller may ask, checked without any I/O: object types the provider offers, scopes the
//! grant holds, and tokens this service issued. Cursors and checkpoints go out sealed
//! ([`Seal`](crate::Seal)) and come back opened here, so the provider only ever sees its own.

use super::Connector;
use crate::changes::Checkpoint;
use crate::{Credentials, Cursor, Error, ItemQuery, Seal, UserId};

impl Connector {
    /// Refuses a query the provider cannot answer (an object type it does not offer, a cursor this
    /// service never issued to `user` for that object type) without any I/O.
    /// [`items`](Self::items) calls it first; servers may call it before anything else.
    pub fn check_query(&self, user: &UserId, query: &ItemQuery) -> Result<(), Error> {
        self.open_query(user, query).map(drop)
    }

    /// `query` with the caller's cursor opened to the provider's own, after
    /// [`check_query`](Self::check_query)'s checks.
    pub(super) fn open_query(&self, user: &UserId, query: &ItemQuery) -> Result<ItemQuery, Error> {
        self.check_object_type(query.object_type.as_deref())?;
        if let Some(search) = &query.search {
            if !self.integration.searches() {
                return Err(Error::Unsupported(format!(
                    "{} cannot search; sync the records and search those",
                    self.integration.display_name()
                )));
            }
            let length = search.chars().count();
            if search.trim().is_empty() || length > ItemQuery::MAX_SEARCH {
                return Err(Error::InvalidInput(format!(
                    "search must be 1 to {} characters, not only spaces",
                    ItemQuery::MAX_SEARCH
                )));
            }
        }
        self.check_associations(&query.associations)?;
        let mut opened = query.clone();
        if let Some(cursor) = &query.cursor {
            let context = self.items_context(user, query);
            let inner = self.open_cursor(&context, cursor)?;
            if !self.integration.accepts_cursor(&inner) {
                // Sealed by us yet refused by the provider's own check: ours to fix, not the
                // caller's, but still never sent.
                return Err(Error::InvalidInput(
                    "cursor is malformed: pass back a next_cursor this service returned".into(),
                ));
            }
            opened.cursor = Some(inner);
        }
        Ok(opened)
    }

    pub(super) fn check_object_type(&self, object_type: Option<&str>) -> Result<(), Error> {
        self.kind_scopes(object_type).map(drop)
    }

    /// The scopes any one of which reads `object_type` (the provider's default kind when
    /// `None`): a declared kind's, or a discovered one's the provider accepts
    /// ([`Integration::discovered_kind`](crate::Integration::discovered_kind)). Any other kind
    /// is [`Error::InvalidInput`].
    pub(super) fn kind_scopes(
        &self,
        object_type: Option<&str>,
    ) -> Result<&'static [&'static str], Error> {
        let offered = self.integration.object_types();
        let Some(kind) = object_type else {
            return Ok(offered.first().map(|t| t.scopes).unwrap_or_default());
        };
        if let Some(declared) = offered.iter().find(|t| t.id == kind) {
            return Ok(declared.scopes);
        }
        if let Some(scopes) = self.integration.discovered_kind(kind) {
            return Ok(scopes);
        }
        let names: Vec<&str> = offered.iter().map(|t| t.id).collect();
        Err(Error::InvalidInput(if names.is_empty() {
            format!(
                "{} lists one kind of item; omit object_type",
                self.integration.display_name()
            )
        } else {
            let shown: String = kind.chars().take(64).collect();
            format!(
                "object_type must be one of: {} (not '{shown}')",
                names.join(", ")
            )
        }))
    }

    /// Refuses associations the provider cannot report, or to kinds it does not read.
    pub(super) fn check_associations(&self, kinds: &[String]) -> Result<(), Error> {
        if kinds.is_empty() {
            return Ok(());
        }
        if !self.integration.associates() {
            return Err(Error::Unsupported(format!(
                "{} cannot say how its records relate",
                self.integration.display_name()
            )));
        }
        if kinds.len() > ItemQuery::MAX_ASSOCIATIONS {
            return Err(Error::InvalidInput(format!(
                "associations names at most {} object types",
                ItemQuery::MAX_ASSOCIATIONS
            )));
        }
        for kind in kinds {
            self.kind_scopes(Some(kind)).map_err(|_| {
                Error::InvalidInput(format!(
                    "associations must name object types this provider reads; '{kind}' is not one"
                ))
            })?;
        }
        Ok(())
    }

    /// What an items cursor is bound to: the object type, and the search it pages through (a
    /// cursor of one search is refused for another, or for the whole list).
    pub(super) fn items_context(&self, user: &UserId, query: &ItemQuery) -> Vec<String> {
        let search = query.search.as_deref().map(|s| format!("search:{s}"));
        self.seal_context(
            user,
            "items",
            query.object_type.as_deref(),
            search.as_slice(),
        )
    }

    /// What a sealed token is bound to: its purpose, the provider, the user, the object type
    /// (the provider's default spelled out, so omitting it and naming it agree) and `extra`.
    pub(super) fn seal_context(
        &self,
        user: &UserId,
        purpose: &'static str,
        object_type: Option<&str>,
        extra: &[String],
    ) -> Vec<String> {
        let offered = self.integration.object_types();
        let kind = object_type
            .or_else(|| offered.first().map(|t| t.id))
            .unwrap_or_default();
        let head = [purpose, self.integration.id(), user.as_str(), kind];
        head.iter()
            .map(|s| (*s).to_owned())
            .chain(extra.iter().cloned())
            .collect()
    }

    /// The provider's cursor inside one this service sealed for `context`.
    pub(super) fn open_cursor(&self, context: &[String], cursor: &Cursor) -> Result<Cursor, Error> {
        let context: Vec<&str> = context.iter().map(String::as_str).collect();
        let inner = self
            .options
            .seal
            .open(&context, cursor.as_str(), "cursor")?;
        Cursor::parse(inner)
            .map_err(|_| Error::InvalidInput("the cursor is not one this service issued".into()))
    }

    /// A two-lane export's position (see `export::lanes`), sealed for `user` and `query`'s
    /// object type, as callers get it.
    pub(crate) fn seal_lanes(
        &self,
        user: &UserId,
        query: &ItemQuery,
        text: &str,
    ) -> Result<Cursor, Error> {
        let context = self.seal_context(user, "lanes", query.object_type.as_deref(), &[]);
        let inner = Cursor::parse(text).map_err(|_| {
            Error::InvalidResponse("the provider's paging cursor is too long to resume".into())
        })?;
        self.seal_cursor(&context, &inner)
    }

    /// The two-lane position inside `cursor`, or `None` when it is not one (it may still be a
    /// one-lane cursor).
    pub(crate) fn open_lanes(
        &self,
        user: &UserId,
        query: &ItemQuery,
        cursor: &Cursor,
    ) -> Option<String> {
        let context = self.seal_context(user, "lanes", query.object_type.as_deref(), &[]);
        self.open_cursor(&context, cursor).ok().map(String::from)
    }

    /// The provider's cursor sealed for `context`, as callers get it.
    pub(super) fn seal_cursor(&self, context: &[String], inner: &Cursor) -> Result<Cursor, Error> {
        let context: Vec<&str> = context.iter().map(String::as_str).collect();
        Cursor::parse(self.options.seal.sign(&context, inner.as_str())).map_err(|_| {
            Error::InvalidResponse(format!(
                "the provider's paging cursor is longer than {} bytes",
                Cursor::MAX_LEN - Seal::OVERHEAD
            ))
        })
    }

    /// The text a caller keeps to start its next incremental sync at `checkpoint`, sealed for
    /// `user` and this provider.
    pub fn checkpoint_token(&self, user: &UserId, checkpoint: &Checkpoint) -> String {
        let context = ["checkpoint", self.integration.id(), user.as_str()];
        self.options.seal.sign(&context, &checkpoint.encode())
    }

    /// A checkpoint from [`checkpoint_token`](Self::checkpoint_token)'s text for `user`; anything
    /// else is [`Error::InvalidInput`].
    pub fn read_checkpoint(&self, user: &UserId, token: &str) -> Result<Checkpoint, Error> {
        let context = ["checkpoint", self.integration.id(), user.as_str()];
        let text = self
            .options
            .seal
            .open(&context, token.trim(), "checkpoint")?;
        let checkpoint = Checkpoint::decode(text)?;
        self.check_object_type(checkpoint.object_type.as_deref())?;
        Ok(checkpoint)
    }

    /// Refuses a query for an object type whose scope the grant lacks. Grants that record no
    /// scopes are not second-guessed.
    pub(super) fn check_scope(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
    ) -> Result<(), Error> {
        let kinds = std::iter::once(query.object_type.as_deref())
            .chain(query.associations.iter().map(|k| Some(k.as_str())));
        for kind in kinds {
            let scopes = self.kind_scopes(kind)?;
            let granted = credentials.scopes.is_empty()
                || scopes.is_empty()
                || scopes
                    .iter()
                    .any(|s| credentials.scopes.iter().any(|g| g == s));
            if !granted {
                return Err(Error::InsufficientScope {
                    scope: scopes[0].to_owned(),
                });
            }
        }
        Ok(())
    }
}
