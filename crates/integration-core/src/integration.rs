//! The seam between the provider-agnostic machinery and one provider.
//!
//! A provider implements only what differs between providers: its metadata, its consent URL and
//! code exchange (usually two lines each with the [`kit`](crate::kit)'s `OAuthClient`), and how
//! its records map to [`IntegrationItem`](crate::IntegrationItem). Refresh-before-expiry,
//! refresh-and-retry on 401, rate-limit waits, backoff, deadlines, single-flight refresh and the
//! browser-bound OAuth flow live once, in [`Connector`](crate::Connector).
//!
//! Four methods are required (`info`, `authorization_url`, `exchange_code`, `list_items`); every
//! other has a default that says "this provider cannot" (`refresh`: reconnect; `revoke`: nothing
//! to revoke; `changes`: unsupported; `webhooks`: none…). Each async method makes one HTTP
//! request (plus, for `exchange_code`, an optional best-effort lookup of account details) and
//! reports failures as semantic [`Error`]s; it must not retry on its own.

use async_trait::async_trait;
use serde::Serialize;
use url::Url;

use crate::{
    AuthorizationCode, AuthorizationRequest, ChangesPage, ChangesQuery, Credentials, Cursor, Error,
    IntegrationItem, ItemQuery, Journal, Lane, LanePage, Page, PkceVerifier, Webhooks,
};

/// The most ids one [`Integration::fetch_items`] call is given.
pub const FETCH_BATCH: usize = 100;

/// A kind of record a provider lists (HubSpot: contacts, companies, deals), and the scopes a
/// grant needs to read it. Declared by the provider so that a request for a kind it does not
/// offer, or one the user did not grant, is refused before any provider call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectType {
    /// The value of `object_type` in requests (`"contacts"`).
    pub id: &'static str,
    /// What one record is called in a UI (`"contact"`).
    pub noun: &'static str,
    /// Any one of these granted scopes allows reading it (empty: no scope needed).
    pub scopes: &'static [&'static str],
}

/// A column a UI shows for a provider's items: `key` is an [`IntegrationItem`] field (`id`,
/// `title`, `item_type`, `parent_id`, `updated_at`) or a `properties` key (`email`).
///
/// [`IntegrationItem`]: crate::IntegrationItem
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Column {
    /// Field or property name.
    pub key: &'static str,
    /// Header text.
    pub label: &'static str,
}

/// Everything a server and a UI need to know about a provider, declared once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderInfo {
    /// Stable, URL-safe id used in routes, storage keys and settings (`"hubspot"`; settings
    /// are `HUBSPOT_CLIENT_ID`…).
    pub id: &'static str,
    /// Human name (`"HubSpot"`).
    pub name: &'static str,
    /// One sentence on what connecting it gives.
    pub description: &'static str,
    /// The kinds of records offered, the default first. Empty means one unnamed kind: the
    /// `object_type` of a query is then refused.
    pub object_types: &'static [ObjectType],
    /// Columns for a UI's table, in order.
    pub columns: &'static [Column],
    /// What the user grants, in plain words, for the pre-connect page.
    pub permissions: &'static [&'static str],
    /// The logo as a self-contained SVG document (a UI shows it as an image).
    pub logo_svg: &'static str,
    /// Whether the provider accepts PKCE (S256).
    pub pkce: bool,
}

/// One OAuth2 provider.
#[async_trait]
pub trait Integration: Send + Sync + std::fmt::Debug {
    /// What the provider is, declared once.
    fn info(&self) -> &ProviderInfo;

    /// The consent page to send the user to.
    fn authorization_url(&self, request: &AuthorizationRequest<'_>) -> Result<Url, Error>;

    /// Trades an authorization code for credentials (with the PKCE verifier when the provider
    /// supports PKCE).
    async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        redirect_uri: &str,
        pkce_verifier: Option<&PkceVerifier>,
    ) -> Result<Credentials, Error>;

    /// Fetches one page of items.
    async fn list_items(&self, credentials: &Credentials, query: &ItemQuery)
    -> Result<Page, Error>;

    /// Mints a fresh access token. Only called when the credentials carry a refresh token. A
    /// grant the provider rejects for good is [`Error::ReauthRequired`]. Default: providers
    /// whose grants cannot be refreshed ask the user to reconnect.
    async fn refresh(&self, credentials: &Credentials) -> Result<Credentials, Error> {
        let _ = credentials;
        Err(Error::ReauthRequired {
            reason: format!("{} connections cannot be refreshed", self.info().name),
        })
    }

    /// Revokes the grant at the provider, where the provider supports it. Default: nothing to
    /// revoke (the user removes the app at the provider).
    async fn revoke(&self, credentials: &Credentials) -> Result<(), Error> {
        let _ = credentials;
        Ok(())
    }

    /// Whether `cursor` has the shape this provider's cursors have. A cursor it could never have
    /// issued is refused as a client error instead of being sent upstream. Default: any.
    fn accepts_cursor(&self, cursor: &Cursor) -> bool {
        let _ = cursor;
        true
    }

    /// One page of the records created, modified or archived in `query`'s window, for
    /// incremental sync (see [`Connector::changes`](crate::Connector::changes)). Default: the
    /// provider has no way to ask, [`Error::Unsupported`].
    async fn changes(
        &self,
        credentials: &Credentials,
        query: &ChangesQuery,
    ) -> Result<ChangesPage, Error> {
        let _ = (credentials, query);
        Err(Error::Unsupported(format!(
            "{} has no incremental sync; export everything instead",
            self.info().name
        )))
    }

    /// The records of `query`'s object type with these ids (at most [`FETCH_BATCH`]), as they
    /// are now, carrying what `query` selects (its `properties` and `associations`; its cursor,
    /// limit and search mean nothing here), in one request (HubSpot: `batch/read`); ids that no
    /// longer exist are left out. The [`changes`](Self::changes) run fetches what webhooks named
    /// this way instead of waiting for the provider's search index. Default: the provider
    /// cannot, [`Error::Unsupported`].
    async fn fetch_items(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
        ids: &[String],
    ) -> Result<Vec<IntegrationItem>, Error> {
        let _ = (credentials, query, ids);
        Err(Error::Unsupported(format!(
            "{} cannot fetch records by id",
            self.info().name
        )))
    }

    /// Which rate budget the [`changes`](Self::changes) call for `query` draws on. Default:
    /// the general one.
    fn changes_lane(&self, query: &ChangesQuery) -> Lane {
        let _ = query;
        Lane::Standard
    }

    /// Whether a consent could ever grant `kind` to the account behind `credentials`. Default:
    /// yes. HubSpot: not when the consent asked for the kind's scope as optional and the grant
    /// left it out, which HubSpot does only when the account's plan lacks the feature.
    fn grantable(&self, kind: &ObjectType, credentials: &Credentials) -> bool {
        let _ = (kind, credentials);
        true
    }

    /// The scopes that read `object_type` when it is not one of
    /// [`ProviderInfo::object_types`] but a kind [`discover_object_types`](Self::discover_object_types)
    /// may list (HubSpot: its other standard objects, and custom objects by `objectTypeId`).
    /// `None` (the default) refuses it before any call; an accepted kind the account turns out not
    /// to have is the provider's to refuse ([`Error::InvalidInput`]). An empty slice needs no
    /// scope.
    fn discovered_kind(&self, object_type: &str) -> Option<&'static [&'static str]> {
        let _ = object_type;
        None
    }

    /// Whether [`list_items`](Self::list_items) (and so exports) and
    /// [`changes`](Self::changes) fill in [`IntegrationItem::associations`] for
    /// [`ItemQuery::associations`] (HubSpot: associations v4). Default: no, and a query that asks
    /// for associations is refused before any call.
    ///
    /// [`IntegrationItem::associations`]: crate::IntegrationItem::associations
    fn associates(&self) -> bool {
        false
    }

    /// Whether a first export may run a second, descending lane beside
    /// [`list_items`](Self::list_items) (see [`list_descending`](Self::list_descending)).
    /// Default: no; exports list in one lane.
    fn descends(&self) -> bool {
        false
    }

    /// One page of `query`'s records whose ids are below `below` (all of them when `None`),
    /// highest id first, with how many records there are below `below` in all: the second lane
    /// of a first export, which lists upward with [`list_items`](Self::list_items) while this
    /// lane reads downward until the two meet (see `Connector::export`). Only called when
    /// [`descends`](Self::descends) says so; then record ids are decimal numbers, and this call
    /// draws on an allowance other than `list_items`' (it is paced as a [`Lane::Search`]).
    /// HubSpot: CRM search sorted by `hs_object_id` descending with `hs_object_id < below`, whose
    /// own limit its spec exempts from the ten-second one; its `total` is `below`. `query`'s
    /// cursor and limit mean nothing here. Default: [`Error::Unsupported`].
    async fn list_descending(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
        below: Option<u64>,
    ) -> Result<LanePage, Error> {
        let _ = (credentials, query, below);
        Err(Error::Unsupported(format!(
            "{} has no descending lane",
            self.info().name
        )))
    }

    /// Whether [`list_items`](Self::list_items) honours [`ItemQuery::search`] (HubSpot: CRM
    /// search's `query`). Default: no, and a query with a search is refused before any call.
    fn searches(&self) -> bool {
        false
    }

    /// Whether [`count`](Self::count) can answer (HubSpot: a one-result search says the
    /// total). Default: no, and the connector does not spend a call asking.
    fn counts(&self) -> bool {
        false
    }

    /// How many records of `object_type` there are (for progress bars and "100 of 12,345").
    /// Only called when [`counts`](Self::counts) says so; paced as a search. Default: unknown.
    async fn count(
        &self,
        credentials: &Credentials,
        object_type: Option<&str>,
    ) -> Result<Option<u64>, Error> {
        let _ = (credentials, object_type);
        Ok(None)
    }

    /// Every kind of record the account holds (standard and custom), with the scopes each needs.
    /// One provider call or a few. Default: [`Error::Unsupported`] (the kinds in
    /// [`ProviderInfo::object_types`] are all there is).
    async fn discover_object_types(
        &self,
        credentials: &Credentials,
    ) -> Result<Vec<crate::DiscoveredType>, Error> {
        let _ = credentials;
        Err(Error::Unsupported(format!(
            "{} cannot list its object types",
            self.info().name
        )))
    }

    /// Every field of `object_type` (custom ones included). Default: [`Error::Unsupported`].
    async fn discover_fields(
        &self,
        credentials: &Credentials,
        object_type: &str,
    ) -> Result<Vec<crate::Field>, Error> {
        let _ = (credentials, object_type);
        Err(Error::Unsupported(format!(
            "{} cannot list its fields",
            self.info().name
        )))
    }

    /// How the provider's webhooks are signed and what they say, if it sends any (see
    /// [`Webhooks`]). Default: none; the webhook route answers 404 for it.
    fn webhooks(&self) -> Option<&dyn Webhooks> {
        None
    }

    /// The provider's pull-mode journal of events, when it has one and it is enabled (see
    /// [`Journal`]). Default: none.
    fn journal(&self) -> Option<&dyn Journal> {
        None
    }

    /// `info().id`.
    fn id(&self) -> &'static str {
        self.info().id
    }

    /// `info().name`.
    fn display_name(&self) -> &'static str {
        self.info().name
    }

    /// `info().object_types`.
    fn object_types(&self) -> &'static [ObjectType] {
        self.info().object_types
    }

    /// `info().pkce`.
    fn supports_pkce(&self) -> bool {
        self.info().pkce
    }
}
