//! HubSpot as a kit provider: the grant through the kit's OAuth client, the rest
//! ([`HubSpotApi`]) through the kit's hooks. One HTTP request per method, no retries (the core's
//! `Connector` refreshes, retries and backs off).

use std::time::Duration;

use async_trait::async_trait;
use integration_core::kit::{self, AccountFields, ItemSource, OAuthProvider, append_path};
use integration_core::{
    ChangesPage, ChangesQuery, Column, Credentials, Cursor, Error, ExposeSecret as _, ItemQuery,
    Lane, ObjectType, Page, ProviderInfo,
};

mod associations;
mod batch;
mod changes;
mod descending;
mod discovery;

use crate::config::{HubSpotConfig, MAX_PAGE_SIZE, OAuthApi, paths};
use crate::http::{ErrorBody, api_error, log_rate_limit};
use crate::objects::{ObjectKind, keep_only_asked, parse_page};
use crate::token;
use crate::webhooks::HubSpotWebhooks;

/// HubSpot, as servers and UIs see it.
pub const INFO: ProviderInfo = ProviderInfo {
    id: "hubspot",
    name: "HubSpot",
    description: "CRM contacts, companies and deals from your HubSpot portal.",
    object_types: &[
        ObjectType {
            id: "contacts",
            noun: "contact",
            scopes: &["crm.objects.contacts.read"],
        },
        ObjectType {
            id: "companies",
            noun: "company",
            scopes: &["crm.objects.companies.read"],
        },
        ObjectType {
            id: "deals",
            noun: "deal",
            scopes: &["crm.objects.deals.read"],
        },
    ],
    columns: &[
        Column {
            key: "id",
            label: "ID",
        },
        Column {
            key: "title",
            label: "Name",
        },
        Column {
            key: "email",
            label: "Email",
        },
    ],
    permissions: &[
        "Read your CRM contacts (names and email addresses)",
        "Read your CRM companies and deals, and see which custom objects your portal defines, if it has them (optional)",
        "See which portal and user granted access",
    ],
    logo_svg: include_str!("logo.svg"),
    pkce: true,
};

/// HubSpot on the v1 OAuth API, which takes no PKCE.
pub const INFO_V1: ProviderInfo = ProviderInfo {
    pkce: false,
    ..INFO
};

/// HubSpot's legacy token-endpoint codes and the RFC 6749 codes they mean (2026-03 answers carry
/// both; v1 answers only the legacy one).
const TOKEN_ERROR_ALIASES: &[(&str, &str)] = &[
    ("BAD_AUTH_CODE", "invalid_grant"),
    ("BAD_REFRESH_TOKEN", "invalid_grant"),
    ("BAD_CLIENT_ID", "invalid_client"),
    ("BAD_CLIENT_SECRET", "invalid_client"),
    // RFC 6749 §5.2: a redirect URI that does not match the code's is `invalid_grant` (2026-03
    // answers carry both).
    ("BAD_REDIRECT_URI", "invalid_grant"),
];

/// The token response names the portal in `hub_id` (optional: introspection fills it in).
const ACCOUNT: AccountFields = AccountFields {
    id: &["hub_id"],
    name: &[],
    user: &[],
};

/// The longest comma-joined property list sent in a list URL; longer ones go in a batch read's
/// body. HubSpot's edge refuses request lines of several kilobytes (414, as PostHog and Airbyte
/// report for portals with hundreds of properties); 2,000 characters keeps every URL well short.
const MAX_PROPERTIES_IN_URL: usize = 2_000;

const USER_AGENT: &str = concat!("vs-integrations-hubspot/", env!("CARGO_PKG_VERSION"));

/// The HubSpot provider: the kit's OAuth provider (consent URL, code exchange, refresh, all
/// through [`OAuthClient`](kit::OAuthClient)) with HubSpot's API behind it.
pub type HubSpot = OAuthProvider<HubSpotApi>;

/// HubSpot with `config`, sending requests through `http` (share one pooled client, built with
/// [`http_client`], across the process).
pub fn provider(config: HubSpotConfig, http: reqwest::Client) -> HubSpot {
    let mut oauth = kit::OAuthConfig::new(
        config.client_id.clone(),
        config.client_secret.clone(),
        config.auth_url.clone(),
        config.token_url.clone(),
    );
    oauth.scopes = config.scopes.clone();
    if !config.optional_scopes.is_empty() {
        oauth.extra_auth_params = vec![("optional_scope".into(), config.optional_scopes.join(" "))];
    }
    // HubSpot's own error codes read as the RFC 6749 codes they mean.
    oauth.error_aliases = TOKEN_ERROR_ALIASES;
    OAuthProvider {
        info: if config.pkce { &INFO } else { &INFO_V1 },
        oauth: kit::OAuthClient::new(oauth, http.clone()),
        account: ACCOUNT,
        api_base: None,
        items: HubSpotApi {
            webhooks: HubSpotWebhooks::new(config.client_secret.clone()),
            journal: (config.webhooks_mode == crate::WebhooksMode::Journal).then(|| {
                std::sync::Arc::new(crate::HubSpotJournal::new(
                    config.client_id.clone(),
                    config.client_secret.clone(),
                    config.token_url.clone(),
                    config.api_base_url.clone(),
                    http.clone(),
                    config.request_timeout,
                ))
            }),
            config,
            http,
        },
    }
}

/// An HTTP client fit for HubSpot: no redirects followed (a token request must never be replayed
/// to wherever a 3xx points), the given overall timeout, a shorter connect timeout, and a user
/// agent naming this crate.
///
/// # Panics
///
/// Like `reqwest::Client::new`, if the TLS backend cannot be initialised.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    kit::http::client(timeout, USER_AGENT)
}

/// HubSpot's API beyond the grant: CRM objects, incremental changes, counts, token
/// introspection and revocation. Every method makes one request and never retries (the core's
/// `Connector` refreshes, retries and backs off).
#[derive(Debug, Clone)]
pub struct HubSpotApi {
    config: HubSpotConfig,
    http: reqwest::Client,
    webhooks: HubSpotWebhooks,
    /// The Webhooks Journal reader, in journal mode.
    journal: Option<std::sync::Arc<crate::HubSpotJournal>>,
}

impl HubSpotApi {
    /// The configuration in use.
    pub fn config(&self) -> &HubSpotConfig {
        &self.config
    }

    /// Sends one request (bounded body, URL-free errors: the kit's `send`) within the
    /// configured timeout, and logs HubSpot's rate-limit headers.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, reqwest::header::HeaderMap, Option<Vec<u8>>), Error> {
        let response = kit::http::send(request.timeout(self.config.request_timeout)).await?;
        log_rate_limit(&response.headers);
        Ok((response.status, response.headers, response.body))
    }

    /// The body of a 2xx answer to `request` (`what` names it when it is over the size limit);
    /// any other status is HubSpot's error mapped by [`api_error`].
    async fn body_of(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<Vec<u8>, Error> {
        self.body_after(request, what, None).await
    }

    /// [`body_of`](Self::body_of) for a page continued from `after`: HubSpot refuses a cursor
    /// it never issued with a 400, which is the caller's mistake (a forged or mangled cursor of
    /// ours), not HubSpot failing, and its message (echoing the cursor) is not passed on.
    async fn body_after(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
        after: Option<&str>,
    ) -> Result<Vec<u8>, Error> {
        let (status, headers, body) = self.send(request).await?;
        if status == 400 && after.is_some() {
            return Err(Error::InvalidInput(
                "HubSpot refused the cursor: pass back a cursor this service returned".into(),
            ));
        }
        if !(200..300).contains(&status) {
            return Err(api_error(status, &headers, body.as_deref()));
        }
        body.ok_or_else(|| {
            Error::InvalidResponse(format!("{what} exceeds {} bytes", kit::http::MAX_BODY))
        })
    }

    /// A request to one of HubSpot's OAuth endpoints for `token`: the 2026-03 API sends it in a
    /// form body with the client's credentials (tokens never in a URL: URLs end up in access
    /// logs), v1 in the path.
    fn token_request(
        &self,
        endpoint: TokenEndpoint,
        token: &str,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let base = &self.config.api_base_url;
        let path = endpoint.path(self.config.oauth_api);
        Ok(match self.config.oauth_api {
            OAuthApi::V2026_03 => self.http.post(append_path(base, path, &[])?).form(&[
                ("client_id", self.config.client_id.as_str()),
                ("client_secret", self.config.client_secret.expose_secret()),
                ("token", token),
                ("token_type_hint", endpoint.hint()),
            ]),
            OAuthApi::V1 => {
                let url = append_path(base, path, &[("token", token)])?;
                match endpoint {
                    TokenEndpoint::Introspect | TokenEndpoint::Confirm => self.http.get(url),
                    TokenEndpoint::Revoke => self.http.delete(url),
                }
            }
        }
        .header(reqwest::header::ACCEPT, "application/json"))
    }

    /// What HubSpot says about an access token: the portal, its domain, the installing user and
    /// the granted scopes.
    async fn introspect(&self, credentials: &Credentials) -> Result<token::TokenInfo, Error> {
        let token = credentials.access_token.expose_secret();
        let request = self.token_request(TokenEndpoint::Introspect, token)?;
        token::parse_info(&self.body_of(request, "the introspection response").await?)
    }
}

/// HubSpot's token endpoints besides the grant's.
#[derive(Clone, Copy)]
enum TokenEndpoint {
    /// What an access token says.
    Introspect,
    /// Whether a refused refresh token is really dead (introspection of the refresh token).
    Confirm,
    Revoke,
}

impl TokenEndpoint {
    fn path(self, api: OAuthApi) -> &'static str {
        match (self, api) {
            (Self::Introspect | Self::Confirm, OAuthApi::V2026_03) => paths::INTROSPECT_2026_03,
            (Self::Revoke, OAuthApi::V2026_03) => paths::REVOKE_2026_03,
            (Self::Introspect, OAuthApi::V1) => paths::ACCESS_TOKEN_V1,
            (Self::Confirm | Self::Revoke, OAuthApi::V1) => paths::REFRESH_TOKEN_V1,
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Self::Introspect => "access_token",
            Self::Confirm | Self::Revoke => "refresh_token",
        }
    }
}

#[async_trait]
impl ItemSource for HubSpotApi {
    /// Signed with the app's client secret (v3), HubSpot's legacy event payload.
    fn webhooks(&self) -> Option<&dyn integration_core::Webhooks> {
        Some(&self.webhooks)
    }

    /// In journal mode, HubSpot's Webhooks Journal with the app's own token.
    fn journal(&self) -> Option<&dyn integration_core::Journal> {
        let journal: &crate::HubSpotJournal = self.journal.as_deref()?;
        Some(journal)
    }

    /// Our cursors wrap HubSpot's opaque `after` tokens ([`Cursor::wrap`]); anything else was
    /// never issued by this provider.
    fn accepts_cursor(&self, cursor: &Cursor) -> bool {
        cursor.unwrap_provider().is_ok()
    }

    /// The portal's domain and the installing user's email, for people reading the UI, and the
    /// portal id and scopes when the token answer left them out (both optional there).
    async fn after_exchange(&self, mut credentials: Credentials) -> Result<Credentials, Error> {
        match self.introspect(&credentials).await {
            Ok(info) => {
                credentials.account_name = info.hub_domain;
                credentials.account_user = info.user;
                if credentials.account_id.is_none() {
                    credentials.account_id = info.hub_id;
                }
                // The scope checks before each call need them.
                if credentials.scopes.is_empty() {
                    credentials.scopes = info.scopes;
                }
            }
            // Without the portal id, the portal's rate budget could not be shared with its
            // other users: the connection waits for an answer that names the portal.
            Err(error) if credentials.account_id.is_none() => {
                tracing::warn!(%error, "token introspection failed and the token names no portal");
                return Err(error);
            }
            // Best effort otherwise: the connection works without the names.
            Err(error) => {
                tracing::warn!(%error, "token introspection failed; connecting without account details")
            }
        }
        Ok(credentials)
    }

    #[tracing::instrument(
        skip_all,
        fields(provider = "hubspot", object = tracing::field::Empty, limit = tracing::field::Empty)
    )]
    async fn list_items(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
    ) -> Result<Page, Error> {
        let kind = &kind_of(query.object_type.as_deref())?;
        let limit = query
            .limit
            .unwrap_or(self.config.page_size)
            .clamp(1, MAX_PAGE_SIZE);
        let span = tracing::Span::current();
        span.record("object", kind.api_name());
        span.record("limit", limit);

        // HubSpot's own `after`, byte for byte as it was issued.
        let after = query
            .cursor
            .as_ref()
            .map(Cursor::unwrap_provider)
            .transpose()?;
        let wanted = (query.properties.clone()).unwrap_or_else(|| self.properties(kind));
        // Titles do not change with the columns chosen.
        let (wanted, added) = kind.with_title(&wanted);
        if let Some(text) = &query.search {
            let search =
                self.search_items(credentials, kind, limit, text, after.as_deref(), &wanted);
            let mut page = search.await?;
            keep_only_asked(&mut page.items, &added);
            (self.associate(credentials, kind, &mut page.items, &query.associations)).await?;
            return Ok(page);
        }
        let mut url = append_path(
            &self.config.api_base_url,
            &self.config.contacts_path,
            &[("object", kind.api_name())],
        )?;
        // Hundreds of properties do not fit in a URL (HubSpot's edge answers 414): list the
        // page's ids, then read those records with the properties in a POST body. Two calls per
        // page, whatever the number of properties.
        let joined = wanted.join(",");
        let in_body = joined.len() > MAX_PROPERTIES_IN_URL;
        let properties = if in_body {
            String::from("hs_object_id")
        } else {
            joined
        };
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("limit", &limit.to_string());
            if !properties.is_empty() {
                pairs.append_pair("properties", &properties);
            }
            pairs.append_pair("archived", "false");
            if let Some(after) = &after {
                pairs.append_pair("after", after);
            }
        }
        let request = self
            .http
            .get(url)
            .bearer_auth(credentials.access_token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json");
        let body = (self.body_after(request, &format!("a {kind} page"), after.as_deref())).await?;
        let mut page = parse_page(
            kind,
            &body,
            &self.config.web_base_url,
            credentials.account_id.as_deref(),
        )?;
        if in_body && !page.items.is_empty() {
            // A second request: paced like the first, so the portal's window is never overrun.
            integration_core::budget::pace_another_call().await?;
            let ids: Vec<String> = page.items.iter().map(|item| item.id.clone()).collect();
            let read = self
                .batch_read_with(credentials, kind, &ids, &wanted)
                .await?;
            let mut by_id: std::collections::HashMap<String, integration_core::IntegrationItem> =
                read.into_iter()
                    .map(|item| (item.id.clone(), item))
                    .collect();
            // In the list's order; a record archived between the two calls is left out.
            page.items = ids.iter().filter_map(|id| by_id.remove(id)).collect();
        }
        keep_only_asked(&mut page.items, &added);
        (self.associate(credentials, kind, &mut page.items, &query.associations)).await?;
        Ok(page)
    }

    #[tracing::instrument(skip_all, fields(provider = "hubspot", object = query.object_type.as_deref()))]
    async fn changes(
        &self,
        credentials: &Credentials,
        query: &ChangesQuery,
    ) -> Option<Result<ChangesPage, Error>> {
        Some(self.changes_page(credentials, query).await)
    }

    fn changes_lane(&self, query: &ChangesQuery) -> Lane {
        changes::lane(query)
    }

    async fn fetch_items(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
        ids: &[String],
    ) -> Option<Result<Vec<integration_core::IntegrationItem>, Error>> {
        Some(self.batch_read(credentials, query, ids).await)
    }

    /// Associations v4, labels included, each record's list complete.
    fn associates(&self) -> bool {
        true
    }

    fn counts(&self) -> bool {
        true
    }

    /// CRM search's `query`.
    fn searches(&self) -> bool {
        true
    }

    /// CRM search sorted by `hs_object_id`, on search's own allowance.
    fn descends(&self) -> bool {
        true
    }

    async fn list_descending(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
        below: Option<u64>,
    ) -> Option<Result<integration_core::LanePage, Error>> {
        Some(self.descending(credentials, query, below).await)
    }

    /// Every standard object, and custom objects by `objectTypeId` or fully qualified name
    /// (HubSpot answers 400 for one the portal does not have).
    fn discovered_kind(&self, object_type: &str) -> Option<&'static [&'static str]> {
        ObjectKind::parse(object_type).map(|kind| kind.scopes())
    }

    /// The standard CRM objects and the portal's custom objects.
    async fn discover_object_types(
        &self,
        credentials: &Credentials,
    ) -> Option<Result<Vec<integration_core::DiscoveredType>, Error>> {
        Some(self.object_types(credentials).await)
    }

    /// The properties API.
    async fn discover_fields(
        &self,
        credentials: &Credentials,
        object_type: &str,
    ) -> Option<Result<Vec<integration_core::Field>, Error>> {
        Some(self.fields(credentials, object_type).await)
    }

    /// HubSpot grants an optional scope whenever the account has the feature, so a kind whose
    /// scope this app asks for as optional and the grant lacks is one the account cannot have
    /// (asking for it as required would stop the install). A grant that records no scopes says
    /// nothing.
    fn grantable(&self, kind: &ObjectType, credentials: &Credentials) -> bool {
        credentials.scopes.is_empty()
            || kind.scopes.iter().any(|scope| {
                credentials.scopes.contains(&(*scope).to_owned())
                    || !self.config.optional_scopes.iter().any(|o| o == scope)
            })
    }

    async fn count(
        &self,
        credentials: &Credentials,
        object_type: Option<&str>,
    ) -> Option<Result<Option<u64>, Error>> {
        Some(self.total(credentials, object_type).await)
    }

    /// Asks 2026-03 introspection about the refused refresh token, authenticated as our client
    /// (RFC 7662): `active: false` confirms a dead grant; an introspection that refuses *us*
    /// means the client is misconfigured, and the grant is kept for when it is fixed; an active
    /// token, or no answer (5xx, 429, transport), is not a reason to forget anything; a 404 (no
    /// introspection there, or no such token) lets the refusal stand. (v1 has no
    /// client-authenticated introspection, and its refusals always name `BAD_REFRESH_TOKEN`.)
    #[tracing::instrument(skip_all, fields(provider = "hubspot", account = credentials.account_id.as_deref()))]
    async fn confirm_refusal(&self, credentials: &Credentials, refusal: Error) -> Error {
        let (OAuthApi::V2026_03, Some(refresh)) =
            (self.config.oauth_api, &credentials.refresh_token)
        else {
            return refusal;
        };
        let request = match self.token_request(TokenEndpoint::Confirm, refresh.expose_secret()) {
            Ok(request) => request,
            Err(error) => return error,
        };
        match self.send(request).await {
            Ok((200..=299, _, body)) => match token::parse_activity(body.as_deref()) {
                Some(false) => refusal,
                Some(true) => {
                    tracing::warn!(
                        "HubSpot refused to refresh a grant its introspection calls active"
                    );
                    Error::Upstream { status: 400 }
                }
                None => Error::InvalidResponse("the introspection answer has no `active`".into()),
            },
            Ok((status @ (400 | 401 | 403), _, _)) => {
                tracing::error!(
                    status,
                    "HubSpot refused our client at introspection too; keeping the grant"
                );
                Error::Config(format!(
                    "HubSpot refuses this app's client credentials (HTTP {status} at the token \
                     endpoint and at introspection): check HUBSPOT_CLIENT_ID and \
                     HUBSPOT_CLIENT_SECRET"
                ))
            }
            // No introspection to ask (or "no such token"): the refusal stands.
            Ok((404, _, _)) => refusal,
            // Transient: the grant is kept and the next call tries the refresh again.
            Ok((status, headers, body)) => api_error(status, &headers, body.as_deref()),
            Err(error) => error,
        }
    }

    #[tracing::instrument(skip_all, fields(provider = "hubspot", account = credentials.account_id.as_deref()))]
    async fn revoke(&self, credentials: &Credentials) -> Result<(), Error> {
        let Some(refresh_token) = &credentials.refresh_token else {
            return Ok(());
        };
        let request = self.token_request(TokenEndpoint::Revoke, refresh_token.expose_secret())?;
        let (status, headers, body) = self.send(request).await?;
        match status {
            200..=299 => Ok(()),
            404 => {
                tracing::debug!("refresh token was already gone");
                Ok(())
            }
            // The endpoint takes no bearer token, so a 401 here is not ours to refresh away.
            400 | 401 | 403 => Err(Error::Rejected {
                code: ErrorBody::parse(body.as_deref())
                    .code()
                    .unwrap_or("UNAUTHORIZED")
                    .to_owned(),
                message: "HubSpot refused to revoke the refresh token".into(),
            }),
            _ => Err(api_error(status, &headers, body.as_deref())),
        }
    }
}

/// Whether a changes cursor, parsed and issued again, parses to the same position (for the
/// property tests of the decoder).
#[cfg(test)]
pub(crate) fn changes_cursor_round_trips(cursor: &Cursor) -> Result<bool, Error> {
    let phase = changes::Phase::parse(Some(cursor))?;
    Ok(changes::Phase::parse(Some(&phase.cursor()?))? == phase)
}

/// The object type a query names (contacts when it names none).
fn kind_of(raw: Option<&str>) -> Result<ObjectKind, Error> {
    match raw {
        None => Ok(ObjectKind::CONTACTS),
        Some(raw) => ObjectKind::parse(raw).ok_or_else(|| {
            Error::InvalidInput(
                "HubSpot object types are its standard objects (contacts, tickets…) and custom \
                 objects by objectTypeId (2-…)"
                    .into(),
            )
        }),
    }
}
