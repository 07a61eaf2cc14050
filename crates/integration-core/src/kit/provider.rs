//! Small helpers that keep a provider to its URLs, quirks and mappings: metadata constructors,
//! OAuth settings by convention, account details from token extras, one JSON call, a factory
//! from a function.

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::RequestBuilder;
use serde::de::DeserializeOwned;
use url::Url;

use super::http;
use super::{ApiBasePolicy, OAuthClient, OAuthConfig, ProviderFactory, ProviderSettings, Token};
use crate::{
    AuthorizationCode, AuthorizationRequest, ChangesPage, ChangesQuery, Column, Credentials,
    Cursor, Error, Integration, IntegrationItem, ItemQuery, Lane, LanePage, ObjectType, Page,
    PkceVerifier, ProviderInfo, Webhooks,
};

/// Where a token response names the connected account: paths into its extras (see
/// [`Token::extra`]); an empty path is never found.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountFields {
    /// The account's id (`&["workspace_id"]`).
    pub id: &'static [&'static str],
    /// Its human name (`&["workspace_name"]`).
    pub name: &'static [&'static str],
    /// Who granted access (`&["owner", "user", "person", "email"]`).
    pub user: &'static [&'static str],
}

/// The part of a provider that is not the OAuth grant: its listing (required) and, where the
/// provider offers them, the hooks [`OAuthProvider`] forwards to. Each default is what a
/// provider without the feature does, exactly as [`Integration`]'s own defaults.
#[async_trait]
pub trait ItemSource: Send + Sync + std::fmt::Debug + 'static {
    /// Fetches one page (one request; errors mapped to [`Error`]).
    async fn list_items(&self, credentials: &Credentials, query: &ItemQuery)
    -> Result<Page, Error>;

    /// Completes freshly exchanged credentials with what the token response did not say
    /// (HubSpot: the portal's domain and user from token introspection). Default: as they are.
    async fn after_exchange(&self, credentials: Credentials) -> Result<Credentials, Error> {
        Ok(credentials)
    }

    /// A refresh the token endpoint refused (`refusal`, [`Error::ReauthRequired`]), confirmed
    /// before the connector forgets the grant: a refusal body may not say whose fault it was
    /// (HubSpot's spec requires only `category`, `correlationId`, `message`), and a wrong
    /// client secret after a deploy must not cost every user their grant. A provider that can
    /// ask (RFC 7662 introspection of the refresh token, authenticated as the client) answers
    /// the refusal for a dead grant, or another error for a fault of ours. Default: the
    /// refusal.
    async fn confirm_refusal(&self, credentials: &Credentials, refusal: Error) -> Error {
        let _ = credentials;
        refusal
    }

    /// [`Integration::revoke`]. Default: nothing to revoke.
    async fn revoke(&self, credentials: &Credentials) -> Result<(), Error> {
        let _ = credentials;
        Ok(())
    }

    /// [`Integration::accepts_cursor`]. Default: any.
    fn accepts_cursor(&self, cursor: &Cursor) -> bool {
        let _ = cursor;
        true
    }

    /// [`Integration::changes`]; `None` (the default) when the provider has no incremental
    /// sync.
    async fn changes(
        &self,
        credentials: &Credentials,
        query: &ChangesQuery,
    ) -> Option<Result<ChangesPage, Error>> {
        let _ = (credentials, query);
        None
    }

    /// [`Integration::fetch_items`]; `None` (the default) when the provider cannot.
    async fn fetch_items(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
        ids: &[String],
    ) -> Option<Result<Vec<IntegrationItem>, Error>> {
        let _ = (credentials, query, ids);
        None
    }

    /// [`Integration::changes_lane`]. Default: the general budget.
    fn changes_lane(&self, query: &ChangesQuery) -> Lane {
        let _ = query;
        Lane::Standard
    }

    /// [`Integration::count`]; `None` (the default) when the provider cannot count.
    async fn count(
        &self,
        credentials: &Credentials,
        object_type: Option<&str>,
    ) -> Option<Result<Option<u64>, Error>> {
        let _ = (credentials, object_type);
        None
    }

    /// [`Integration::counts`]: whether [`count`](Self::count) answers. Default: no.
    fn counts(&self) -> bool {
        false
    }

    /// Where the account's own kinds and their fields are, for a provider that declares them
    /// as a [`DiscoverySpec`](super::DiscoverySpec): the discovery defaults below answer from
    /// it, and listings of its discovered kinds are refused. Default: none.
    fn discovery(&self) -> Option<super::Discovery<'_>> {
        None
    }

    /// [`Integration::discover_object_types`]; `None` when the provider cannot. Default: from
    /// [`discovery`](Self::discovery).
    async fn discover_object_types(
        &self,
        credentials: &Credentials,
    ) -> Option<Result<Vec<crate::DiscoveredType>, Error>> {
        let spec = self.discovery()?.spec;
        Some(spec.object_types(self, credentials).await)
    }

    /// [`Integration::discover_fields`]; `None` when the provider cannot. Default: from
    /// [`discovery`](Self::discovery).
    async fn discover_fields(
        &self,
        credentials: &Credentials,
        object_type: &str,
    ) -> Option<Result<Vec<crate::Field>, Error>> {
        let discovery = self.discovery()?;
        Some(discovery.fields(credentials, object_type).await)
    }

    /// [`Integration::searches`]. Default: no.
    fn searches(&self) -> bool {
        false
    }

    /// [`Integration::descends`]. Default: no.
    fn descends(&self) -> bool {
        false
    }

    /// [`Integration::list_descending`]; `None` (the default) when the provider cannot.
    async fn list_descending(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
        below: Option<u64>,
    ) -> Option<Result<LanePage, Error>> {
        let _ = (credentials, query, below);
        None
    }

    /// [`Integration::associates`]. Default: no.
    fn associates(&self) -> bool {
        false
    }

    /// [`Integration::discovered_kind`]. Default: the ids [`discovery`](Self::discovery)
    /// accepts, else only the declared kinds.
    fn discovered_kind(&self, object_type: &str) -> Option<&'static [&'static str]> {
        self.discovery()?.spec.accepts(object_type)
    }

    /// [`Integration::grantable`]. Default: yes.
    fn grantable(&self, kind: &ObjectType, credentials: &Credentials) -> bool {
        let _ = (kind, credentials);
        true
    }

    /// [`Integration::webhooks`]. Default: none.
    fn webhooks(&self) -> Option<&dyn Webhooks> {
        None
    }

    /// [`Integration::journal`]. Default: none.
    fn journal(&self) -> Option<&dyn crate::Journal> {
        None
    }
}

/// A whole [`Integration`] from the kit's [`OAuthClient`] and an [`ItemSource`]: consent URL,
/// code exchange (with the PKCE verifier when `info.pkce`), refresh when the grant has a refresh
/// token, account details from the token response.
#[derive(Debug)]
pub struct OAuthProvider<S> {
    /// The provider's metadata.
    pub info: &'static ProviderInfo,
    /// Its OAuth client.
    pub oauth: OAuthClient,
    /// Where its token responses name the account.
    pub account: AccountFields,
    /// Where its token responses name the account's API root, for a provider whose API host
    /// comes from the grant ([`Credentials::api_base`]); `None`: one API host for all.
    pub api_base: Option<ApiBasePolicy>,
    /// Its listing.
    pub items: S,
}

impl<S> OAuthProvider<S> {
    /// The account's API root `token` names, when this provider's host comes from the grant.
    fn api_base_of(&self, token: &Token, first: bool) -> Result<Option<Url>, Error> {
        self.api_base
            .as_ref()
            .map_or(Ok(None), |policy| policy.read(token, first))
    }
}

#[async_trait]
impl<S: ItemSource> Integration for OAuthProvider<S> {
    fn info(&self) -> &ProviderInfo {
        self.info
    }

    fn authorization_url(&self, request: &AuthorizationRequest<'_>) -> Result<Url, Error> {
        self.oauth.authorization_url(request)
    }

    async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        redirect_uri: &str,
        pkce_verifier: Option<&PkceVerifier>,
    ) -> Result<Credentials, Error> {
        let verifier = pkce_verifier.filter(|_| self.info.pkce);
        let token = self
            .oauth
            .exchange_code(code, redirect_uri, verifier)
            .await?;
        let api_base = self.api_base_of(&token, true)?;
        let credentials = Credentials {
            api_base,
            ..token.with_fields(self.account)
        };
        self.items.after_exchange(credentials).await
    }

    async fn refresh(&self, credentials: &Credentials) -> Result<Credentials, Error> {
        match self.oauth.refresh_credentials(credentials).await {
            Ok(token) => Ok(Credentials {
                api_base: self.api_base_of(&token, false)?,
                ..token.with_fields(self.account)
            }),
            Err(refusal @ Error::ReauthRequired { .. }) if credentials.refresh_token.is_some() => {
                Err(self.items.confirm_refusal(credentials, refusal).await)
            }
            Err(error) => Err(error),
        }
    }

    async fn list_items(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
    ) -> Result<Page, Error> {
        if let Some(discovery) = self.items.discovery() {
            discovery.spec.check_listing(query)?;
        }
        self.items.list_items(credentials, query).await
    }

    /// At the declared RFC 7009 endpoint when there is one, else as the listing half says.
    async fn revoke(&self, credentials: &Credentials) -> Result<(), Error> {
        if self.oauth.config().revoke_url.is_some() {
            return self.oauth.revoke(credentials).await;
        }
        self.items.revoke(credentials).await
    }

    fn accepts_cursor(&self, cursor: &Cursor) -> bool {
        self.items.accepts_cursor(cursor)
    }

    async fn changes(
        &self,
        credentials: &Credentials,
        query: &ChangesQuery,
    ) -> Result<ChangesPage, Error> {
        match self.items.changes(credentials, query).await {
            Some(page) => page,
            None => Err(Error::Unsupported(format!(
                "{} has no incremental sync; export everything instead",
                self.info.name
            ))),
        }
    }

    fn changes_lane(&self, query: &ChangesQuery) -> Lane {
        self.items.changes_lane(query)
    }

    async fn fetch_items(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
        ids: &[String],
    ) -> Result<Vec<IntegrationItem>, Error> {
        match self.items.fetch_items(credentials, query, ids).await {
            Some(items) => items,
            None => Err(Error::Unsupported(format!(
                "{} cannot fetch records by id",
                self.info.name
            ))),
        }
    }

    fn counts(&self) -> bool {
        self.items.counts()
    }

    fn searches(&self) -> bool {
        self.items.searches()
    }

    fn descends(&self) -> bool {
        self.items.descends()
    }

    async fn list_descending(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
        below: Option<u64>,
    ) -> Result<LanePage, Error> {
        match self.items.list_descending(credentials, query, below).await {
            Some(page) => page,
            None => Err(Error::Unsupported(format!(
                "{} has no descending lane",
                self.info.name
            ))),
        }
    }

    fn grantable(&self, kind: &ObjectType, credentials: &Credentials) -> bool {
        self.items.grantable(kind, credentials)
    }

    fn discovered_kind(&self, object_type: &str) -> Option<&'static [&'static str]> {
        self.items.discovered_kind(object_type)
    }

    fn associates(&self) -> bool {
        self.items.associates()
    }

    fn webhooks(&self) -> Option<&dyn Webhooks> {
        self.items.webhooks()
    }

    fn journal(&self) -> Option<&dyn crate::Journal> {
        self.items.journal()
    }

    async fn count(
        &self,
        credentials: &Credentials,
        object_type: Option<&str>,
    ) -> Result<Option<u64>, Error> {
        self.items
            .count(credentials, object_type)
            .await
            .unwrap_or(Ok(None))
    }

    async fn discover_object_types(
        &self,
        credentials: &Credentials,
    ) -> Result<Vec<crate::DiscoveredType>, Error> {
        match self.items.discover_object_types(credentials).await {
            Some(kinds) => kinds,
            None => Err(Error::Unsupported(format!(
                "{} cannot list its object types",
                self.info.name
            ))),
        }
    }

    async fn discover_fields(
        &self,
        credentials: &Credentials,
        object_type: &str,
    ) -> Result<Vec<crate::Field>, Error> {
        match self.items.discover_fields(credentials, object_type).await {
            Some(fields) => fields,
            None => Err(Error::Unsupported(format!(
                "{} cannot list its fields",
                self.info.name
            ))),
        }
    }
}

/// A [`Column`] in one line.
pub const fn column(key: &'static str, label: &'static str) -> Column {
    Column { key, label }
}

/// An [`ObjectType`] that needs no particular scope.
pub const fn object_type(id: &'static str, noun: &'static str) -> ObjectType {
    ObjectType {
        id,
        noun,
        scopes: &[],
    }
}

impl OAuthConfig {
    /// The client id, secret, scopes (`{ID}_SCOPES`) and `auth`/`token` URLs (`{ID}_AUTH_URL`,
    /// `{ID}_TOKEN_URL`, else the defaults) from `settings`, with RFC 6749 defaults otherwise.
    pub fn from_settings(
        settings: &ProviderSettings,
        auth_url: &str,
        token_url: &str,
    ) -> Result<Self, Error> {
        let mut config = Self::new(
            settings.client_id.clone(),
            settings.client_secret.clone(),
            settings.url_or("auth", auth_url)?,
            settings.url_or("token", token_url)?,
        );
        config.scopes = settings.scopes.clone().unwrap_or_default();
        Ok(config)
    }
}

impl Token {
    /// [`Token::with_account`] with the paths of `fields`.
    pub fn with_fields(self, fields: AccountFields) -> Credentials {
        self.with_account(fields.id, fields.name, fields.user)
    }

    /// The credentials, with the account id, name and user read from the extras at these paths
    /// (`&["workspace_name"]`, `&["owner", "user", "person", "email"]`); a missing one is `None`.
    pub fn with_account(self, id: &[&str], name: &[&str], user: &[&str]) -> Credentials {
        Credentials {
            account_id: self.extra(id),
            account_name: self.extra(name),
            account_user: self.extra(user),
            ..self.credentials
        }
    }
}

impl OAuthClient {
    /// Refreshes `credentials`; without a refresh token, [`Error::ReauthRequired`] at once.
    pub async fn refresh_credentials(&self, credentials: &Credentials) -> Result<Token, Error> {
        match &credentials.refresh_token {
            Some(token) => self.refresh(token).await,
            None => Err(Error::ReauthRequired {
                reason: "the grant has no refresh token; reconnect".into(),
            }),
        }
    }
}

/// Sends `request` and parses a 2xx body as `T` (`what` names it in errors); any other status is
/// [`Response::error`](http::Response::error)'s standard meaning.
pub async fn send_json<T: DeserializeOwned>(
    request: RequestBuilder,
    what: &str,
) -> Result<T, Error> {
    let response = http::send(request).await?;
    if !response.is_success() {
        return Err(response.error());
    }
    response.json(what)
}

/// How long a 429 without `Retry-After` asks to wait, as the provider documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Always this long (Airtable documents 30 s).
    Fixed(std::time::Duration),
    /// The seconds until the limit resets, from this header (Pipedrive's `x-ratelimit-reset`);
    /// the duration when it is absent or unreadable.
    ResetIn(&'static str, std::time::Duration),
    /// The Unix time the limit resets at, from this header (GitHub's `x-ratelimit-reset`); the
    /// duration when it is absent, unreadable or past.
    ResetAt(&'static str, std::time::Duration),
}

impl From<std::time::Duration> for Wait {
    fn from(wait: std::time::Duration) -> Self {
        Self::Fixed(wait)
    }
}

impl Wait {
    /// The wait `response` asks for, by this rule.
    pub fn of(self, response: &http::Response) -> std::time::Duration {
        let header = |name: &str| {
            let value = response.headers.get(name)?.to_str().ok()?;
            value.trim().parse::<u64>().ok()
        };
        match self {
            Self::Fixed(wait) => wait,
            Self::ResetIn(name, fallback) => header(name)
                .map(std::time::Duration::from_secs)
                .unwrap_or(fallback),
            Self::ResetAt(name, fallback) => header(name)
                .and_then(|at| {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .ok()?
                        .as_secs();
                    at.checked_sub(now).filter(|s| *s > 0)
                })
                .map(std::time::Duration::from_secs)
                .unwrap_or(fallback),
        }
    }
}

/// [`send_json`], for a provider whose 429s may come without `Retry-After`: the wait is then
/// what `wait` reads from the answer (a fixed time, or a reset header the provider documents).
pub async fn send_json_or_wait<T: DeserializeOwned>(
    request: RequestBuilder,
    what: &str,
    wait: impl Into<Wait>,
) -> Result<T, Error> {
    let response = http::send(request).await?;
    match (response.status, response.retry_after()) {
        (200..=299, _) => response.json(what),
        (429, None) => Err(Error::RateLimited {
            retry_after: Some(wait.into().of(&response)),
        }),
        _ => Err(response.error()),
    }
}

/// A provider's next-page cursor, when there is one; one that is not a valid [`Cursor`] is
/// [`Error::InvalidResponse`].
pub fn next_cursor(raw: Option<String>) -> Result<Option<Cursor>, Error> {
    raw.map(Cursor::parse)
        .transpose()
        .map_err(|_| Error::InvalidResponse("the next-page cursor is malformed".into()))
}

/// Where a listing of children grouped by parent stands (Airtable: the tables of each base):
/// the page of parents at `outer` (`None`: the first) and how many of its parents are `done`.
/// As a cursor it is `{done}~{outer}`, so the provider's own parent cursor stays opaque.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChildCursor {
    /// The provider's cursor of the parents' page (`None`: the first page).
    pub outer: Option<String>,
    /// How many parents of that page have had their children listed.
    pub done: usize,
}

impl ChildCursor {
    /// The position `cursor` names (none: the start); another cursor shape is
    /// [`Error::InvalidInput`].
    pub fn parse(cursor: Option<&Cursor>) -> Result<Self, Error> {
        let Some(cursor) = cursor else {
            return Ok(Self::default());
        };
        let bad = || Error::InvalidInput("the cursor is not a cursor of this listing".into());
        let (done, outer) = cursor.as_str().split_once('~').ok_or_else(bad)?;
        let done = done.parse().map_err(|_| bad())?;
        let outer = Some(outer.to_owned()).filter(|o| !o.is_empty());
        Ok(Self { outer, done })
    }

    /// The cursor after the children of the first `done` of this page's `parents` parents:
    /// the same page while parents remain, else the first of `next_outer` (the provider's next
    /// parents page), else none.
    pub fn next(
        &self,
        done: usize,
        parents: usize,
        next_outer: Option<String>,
    ) -> Result<Option<Cursor>, Error> {
        let outer = self.outer.as_deref().unwrap_or_default();
        let here = (done < parents).then(|| format!("{done}~{outer}"));
        next_cursor(here.or(next_outer.map(|o| format!("0~{o}"))))
    }
}

/// Builds a provider from its settings and the shared (redirect-free) HTTP client.
pub type BuildFn = fn(&ProviderSettings, reqwest::Client) -> Result<Arc<dyn Integration>, Error>;

/// A [`ProviderFactory`] from the provider's metadata and a build function, so a provider
/// declares `pub static FACTORY: Factory = Factory { info: &INFO, build: … };`.
#[derive(Debug)]
pub struct Factory {
    /// The provider's metadata.
    pub info: &'static ProviderInfo,
    /// Builds it from its settings and the shared HTTP client.
    pub build: BuildFn,
}

impl ProviderFactory for Factory {
    fn info(&self) -> &'static ProviderInfo {
        self.info
    }

    fn build(
        &self,
        settings: &ProviderSettings,
        http: reqwest::Client,
    ) -> Result<Arc<dyn Integration>, Error> {
        (self.build)(settings, http)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::kit::Configured;

    fn settings(pairs: &[(&str, &str)]) -> ProviderSettings {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        match ProviderSettings::from_vars("acme", &vars).unwrap() {
            Configured::Live(s) => s,
            Configured::Unset { partial } => partial,
        }
    }

    #[test]
    fn oauth_config_comes_from_settings_with_overrides() {
        let s = settings(&[
            ("ACME_CLIENT_ID", "id"),
            ("ACME_CLIENT_SECRET", "secret"),
            ("ACME_SCOPES", "a b"),
            ("ACME_TOKEN_URL", "http://127.0.0.1:1/token"),
        ]);
        let c = OAuthConfig::from_settings(&s, "https://acme/auth", "https://acme/token").unwrap();
        assert_eq!(c.client_id, "id");
        assert_eq!(c.scopes, ["a", "b"]);
        assert_eq!(c.auth_url.as_str(), "https://acme/auth");
        assert_eq!(c.token_url.as_str(), "http://127.0.0.1:1/token");
        assert!(OAuthConfig::from_settings(&s, "not a url", "https://acme/token").is_err());
    }

    #[test]
    fn account_details_come_from_extras() {
        let mut extras = serde_json::Map::new();
        extras.insert("ws".into(), "W1".into());
        extras.insert(
            "owner".into(),
            serde_json::json!({"user": {"email": "a@b"}}),
        );
        let token = Token {
            credentials: Credentials {
                access_token: "t".to_owned().into(),
                refresh_token: None,
                expires_at: None,
                scopes: Vec::new(),
                account_id: None,
                account_name: None,
                account_user: None,
                obtained_at: chrono::Utc::now(),
                api_base: None,
            },
            extras,
        };
        let c = token.with_account(&["ws"], &["name"], &["owner", "user", "email"]);
        assert_eq!(c.account_id.as_deref(), Some("W1"));
        assert_eq!(c.account_name, None);
        assert_eq!(c.account_user.as_deref(), Some("a@b"));
    }

    #[test]
    fn metadata_constructors_and_cursors() {
        assert_eq!(column("id", "ID").label, "ID");
        assert!(object_type("pages", "page").scopes.is_empty());
        assert_eq!(next_cursor(None).unwrap(), None);
        assert!(next_cursor(Some("abc".into())).unwrap().is_some());
        assert!(matches!(
            next_cursor(Some("a b".into())),
            Err(Error::InvalidResponse(_))
        ));
    }

    #[tokio::test]
    async fn refreshing_without_a_refresh_token_asks_to_reconnect() {
        let s = settings(&[("ACME_CLIENT_ID", "id"), ("ACME_CLIENT_SECRET", "x")]);
        let config =
            OAuthConfig::from_settings(&s, "http://127.0.0.1:1/a", "http://127.0.0.1:1/t").unwrap();
        let client = OAuthClient::new(config, reqwest::Client::new());
        let credentials = Credentials {
            access_token: "t".to_owned().into(),
            refresh_token: None,
            expires_at: None,
            scopes: Vec::new(),
            account_id: None,
            account_name: None,
            account_user: None,
            obtained_at: chrono::Utc::now(),
            api_base: None,
        };
        assert!(matches!(
            client.refresh_credentials(&credentials).await,
            Err(Error::ReauthRequired { .. })
        ));
    }

    #[test]
    fn a_child_cursor_round_trips_and_refuses_other_shapes() {
        let start = ChildCursor::parse(None).unwrap();
        assert_eq!(start, ChildCursor::default());
        let next = start.next(2, 5, Some("p2".into())).unwrap().unwrap();
        assert_eq!(next.as_str(), "2~");
        let at = ChildCursor::parse(Some(&next)).unwrap();
        assert_eq!((at.outer.as_deref(), at.done), (None, 2));
        let page_two = at.next(5, 5, Some("p2".into())).unwrap().unwrap();
        assert_eq!(page_two.as_str(), "0~p2");
        let on_two = ChildCursor::parse(Some(&page_two)).unwrap();
        assert_eq!(on_two.outer.as_deref(), Some("p2"));
        assert_eq!(on_two.next(3, 4, None).unwrap().unwrap().as_str(), "3~p2");
        assert_eq!(on_two.next(4, 4, None).unwrap(), None);
        for bad in ["p2", "x~p2", "-1~"] {
            let cursor = Cursor::parse(bad.to_owned()).unwrap();
            assert!(matches!(
                ChildCursor::parse(Some(&cursor)),
                Err(Error::InvalidInput(_))
            ));
        }
    }

    #[test]
    fn a_429_wait_is_read_as_the_provider_documents_it() {
        use std::time::{Duration, SystemTime, UNIX_EPOCH};
        let answer = |name: &str, value: &str| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
            http::Response {
                status: 429,
                headers,
                body: None,
            }
        };
        let fallback = Duration::from_secs(30);
        let reset = "x-ratelimit-reset";
        let r = answer(reset, "7");
        assert_eq!(Wait::Fixed(fallback).of(&r), fallback);
        assert_eq!(
            Wait::ResetIn(reset, fallback).of(&r),
            Duration::from_secs(7)
        );
        assert_eq!(Wait::ResetIn("x-other", fallback).of(&r), fallback);
        assert_eq!(
            Wait::ResetIn(reset, fallback).of(&answer(reset, "soon")),
            fallback
        );
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let at = answer(reset, &(now + 20).to_string());
        let waited = Wait::ResetAt(reset, fallback).of(&at);
        assert!((19..=20).contains(&waited.as_secs()), "{waited:?}");
        let past = answer(reset, &(now - 5).to_string());
        assert_eq!(Wait::ResetAt(reset, fallback).of(&past), fallback);
    }
}
