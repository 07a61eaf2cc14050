#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod admin;
mod associations;
mod batch;
mod config;
mod contract;
mod crm;
mod cursor;
mod edit;
mod journal;
mod oauth;
mod properties;
mod records_page;
mod respond;
mod schemas;
mod search;
mod seed;
mod state;
mod store;
mod time;
mod webhooks;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{App, HttpRequest, HttpServer, Resource, web};
use sandbox_kit::OAuthSandbox;
use store::Edit;

/// The longest request URI (path and query) the sandbox's edge lets through to the CRM API;
/// longer ones are 414 `Request-URI Too Large`. HubSpot publishes no number: portals listing
/// ~600 properties in a URL meet 414 (PostHog #27616), so the model is nginx's default request
/// line buffer, 8 KiB, which ~600 property names (commas encoded) exceed.
pub const MAX_REQUEST_URI: usize = 8 * 1024;

pub use config::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI, Faults, Knobs, KnobsPatch,
    ObjectCounts, OverLimit, RateLimit, RegisteredClient, SandboxConfig, Stats,
    UNAVAILABLE_SCOPES_ENV,
};
pub use contract::{CONTRACT_SEED_ENV, Contract, CursorStyle, FaultBody, SearchLag, Vary};
pub use edit::{EditError, Edited};
pub use oauth::paths;
pub use properties::{
    CONTACT_CUSTOM_PROPERTIES, CONTACT_PROPERTIES, CUSTOM_GROUP, CustomObject, PropertyDefinition,
    PropertyOption,
};
pub use seed::ObjectType;
pub use store::Pick;
pub use webhooks::{WebhookStats, WebhookSubscription};

/// A resource whose other methods get HubSpot's JSON error with `Allow`, not an empty 405.
fn resource(path: &'static str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move |req: HttpRequest| async move {
        respond::wrong_method(req.method().as_str(), req.path(), allow)
    }))
}

/// A running fake HubSpot: cheap to clone, all clones share the same state.
#[derive(Clone)]
pub struct Sandbox {
    shared: Arc<state::Shared>,
    /// Consent, codes and tokens: sandbox-kit's server with HubSpot's hooks.
    oauth: OAuthSandbox,
}

impl std::fmt::Debug for Sandbox {
    // Token maps are left out: they hold secrets and would flood test output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("hub_id", &self.shared.portal.hub_id)
            .field("hub_domain", &self.shared.portal.hub_domain)
            .finish_non_exhaustive()
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new(SandboxConfig::default())
    }
}

impl Sandbox {
    /// Builds a sandbox and seeds its CRM records from `config.seed`.
    pub fn new(config: SandboxConfig) -> Self {
        let shared = Arc::new(state::Shared::new(config.clone()));
        let oauth = oauth::oauth_sandbox(&config, shared.clone());
        Self { shared, oauth }
    }

    /// Registers all routes on `cfg`, relative to wherever the caller mounts them:
    ///
    /// ```
    /// # use actix_web::{App, web};
    /// let sandbox = hubspot_sandbox::Sandbox::default();
    /// let app = App::new().service(web::scope("/_sandbox/hubspot").configure(|c| sandbox.configure(c)));
    /// # drop(app);
    /// ```
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        self.oauth.configure(cfg);
        cfg.app_data(web::Data::new(self.clone()))
            .service(
                resource(paths::ACCESS_TOKEN_V1, "GET")
                    .route(web::get().to(oauth::access_token_info)),
            )
            .service(
                resource(paths::REFRESH_TOKEN_V1, "GET, DELETE")
                    .route(web::get().to(oauth::refresh_token_info))
                    .route(web::delete().to(oauth::revoke)),
            )
            .service(
                resource("/crm/v3/objects/{object_type}", "GET").route(web::get().to(crm::list)),
            )
            .service(
                resource("/crm/v3/objects/{object_type}/search", "POST")
                    .route(web::post().to(search::search)),
            )
            .service(
                resource("/crm/v3/objects/{object_type}/batch/read", "POST")
                    .route(web::post().to(batch::batch_read)),
            )
            .service(
                resource(
                    "/crm/v4/associations/{from_object_type}/{to_object_type}/batch/read",
                    "POST",
                )
                .route(web::post().to(associations::batch_read)),
            )
            .service(
                resource(
                    "/crm/v4/associations/{from_object_type}/{to_object_type}/labels",
                    "GET",
                )
                .route(web::get().to(associations::labels)),
            )
            .service(
                // The Associations Schema spec's spelling of the same read.
                resource(
                    "/crm/associations/v4/{from_object_type}/{to_object_type}/labels",
                    "GET",
                )
                .route(web::get().to(associations::labels)),
            )
            .service(
                resource("/crm/v3/properties/{object_type}", "GET")
                    .route(web::get().to(schemas::properties)),
            )
            .service(
                resource("/crm-object-schemas/v3/schemas", "GET")
                    .route(web::get().to(schemas::schemas)),
            )
            .service(
                resource("/webhooks-journal/{variant}/2026-03/earliest", "GET")
                    .route(web::get().to(journal::earliest)),
            )
            .service(
                resource("/webhooks-journal/{variant}/2026-03/latest", "GET")
                    .route(web::get().to(journal::latest)),
            )
            .service(
                resource(
                    "/webhooks-journal/{variant}/2026-03/offset/{offset}/next",
                    "GET",
                )
                .route(web::get().to(journal::next)),
            )
            .service(
                resource(
                    "/webhooks-journal/{variant}/2026-03/batch/earliest/{count}",
                    "GET",
                )
                .route(web::get().to(journal::batch_earliest)),
            )
            .service(
                resource(
                    "/webhooks-journal/{variant}/2026-03/batch/latest/{count}",
                    "GET",
                )
                .route(web::get().to(journal::batch_latest)),
            )
            .service(
                resource("/webhooks-journal/{variant}/2026-03/batch/read", "POST")
                    .route(web::post().to(journal::batch_read)),
            )
            .service(
                resource(
                    "/webhooks-journal/{variant}/2026-03/batch/{offset}/next/{count}",
                    "GET",
                )
                .route(web::get().to(journal::batch_next)),
            )
            .service(
                resource(
                    "/webhooks-journal/{variant}/2026-03/status/{status_id}",
                    "GET",
                )
                .route(web::get().to(journal::status)),
            )
            .service(resource("/_journal/files/{id}", "GET").route(web::get().to(journal::file)))
            .service(resource("/_admin/stats", "GET").route(web::get().to(admin::stats)))
            .service(
                resource("/_admin/reset-stats", "POST").route(web::post().to(admin::reset_stats)),
            )
            .service(
                resource("/_admin/faults", "GET, POST")
                    .route(web::get().to(admin::get_faults))
                    .route(web::post().to(admin::set_faults)),
            )
            .service(
                resource("/_admin/revoke-all", "POST").route(web::post().to(admin::revoke_all)),
            )
            .service(
                resource("/_admin/expire-access-tokens", "POST")
                    .route(web::post().to(admin::expire_access_tokens)),
            )
            .service(
                resource("/_admin/crm/{object_type}/modify", "POST")
                    .route(web::post().to(admin::modify_records)),
            )
            .service(
                resource("/_admin/crm/{object_type}/archive", "POST")
                    .route(web::post().to(admin::archive_records)),
            )
            .service(
                resource("/_admin/crm/{object_type}/delete", "POST")
                    .route(web::post().to(admin::delete_records)),
            )
            .service(
                resource("/_admin/records.css", "GET")
                    .route(web::get().to(records_page::stylesheet)),
            )
            .service(
                resource("/_admin/records/{object_type}", "GET")
                    .route(web::get().to(records_page::list)),
            )
            .service(
                resource("/_admin/records/{object_type}/{id}", "POST")
                    .route(web::post().to(records_page::edit)),
            )
            .service(
                resource("/_admin/webhooks", "GET, PUT, DELETE")
                    .route(web::get().to(admin::get_webhooks))
                    .route(web::put().to(admin::put_webhooks))
                    .route(web::delete().to(admin::delete_webhooks)),
            )
            .service(
                resource("/_admin/knobs", "GET, PATCH")
                    .route(web::get().to(admin::get_knobs))
                    .route(web::patch().to(admin::patch_knobs)),
            )
            // Anything else under the mount is HubSpot's JSON 404, never the host's HTML page.
            .default_service(web::to(|req: HttpRequest| async move {
                respond::unknown_path(req.method().as_str(), req.path())
            }));
    }

    /// Serves the sandbox alone on `listener`, routes at the root; the base URL is
    /// `http://{listener address}`. Spawn the returned server (`tokio::spawn(server)`).
    pub fn run(&self, listener: TcpListener) -> std::io::Result<actix_web::dev::Server> {
        let sandbox = self.clone();
        let server = HttpServer::new(move || {
            let sandbox = sandbox.clone();
            App::new().configure(move |c| sandbox.configure(c))
        })
        .workers(2)
        .listen(listener)?
        .run();
        Ok(server)
    }

    /// Serves the sandbox alone on a free loopback port, in the background of the current Tokio
    /// runtime (tests, benchmarks, embedding): the base URL and a handle to stop it.
    pub fn spawn(&self) -> std::io::Result<(url::Url, actix_web::dev::ServerHandle)> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = url::Url::parse(&format!("http://{}", listener.local_addr()?))
            .map_err(std::io::Error::other)?;
        let server = self.run(listener)?;
        let handle = server.handle();
        tokio::spawn(server);
        Ok((base, handle))
    }

    /// An error in HubSpot's v3 shape (`{"status":"error","message","correlationId","category"}`)
    /// for what a host refuses around the sandbox's routes; `category` is HubSpot's word
    /// (`FORBIDDEN`), given in any case.
    pub fn error_response(
        status: actix_web::http::StatusCode,
        category: &str,
        message: &str,
    ) -> actix_web::HttpResponse {
        respond::api_error(status, &category.to_ascii_uppercase(), message)
    }

    /// Counters of calls per endpoint since start or the last [`reset_stats`](Self::reset_stats).
    pub fn stats(&self) -> Stats {
        let kit = self.oauth.stats();
        let mut stats = self.shared.lock().stats.clone();
        stats.authorize = kit.consent_pages;
        stats.approvals = kit.approvals;
        stats.denials = kit.denials;
        stats.token_authorization_code = kit.codes_redeemed;
        stats.token_refresh = kit.refreshes;
        stats.token_client_credentials = kit.client_credentials;
        stats.token_errors = kit.token_errors;
        stats.token_info += kit.introspections;
        stats.revoke += kit.revocations;
        stats
    }

    /// Sets every counter back to zero.
    pub fn reset_stats(&self) {
        self.oauth.reset_stats();
        self.shared.lock().stats = Stats::default();
        self.shared.webhooks.reset_stats();
    }

    /// Replaces the pending injected faults (see [`Faults`]).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.lock().faults = faults;
    }

    /// The faults still pending.
    pub fn faults(&self) -> Faults {
        self.shared.lock().faults.clone()
    }

    /// Changes runtime settings; takes effect for the next request (token lifetimes: the next
    /// token minted).
    pub fn update(&self, f: impl FnOnce(&mut Knobs)) {
        let mut state = self.shared.lock();
        f(&mut state.knobs);
        let knobs = &state.knobs;
        self.oauth
            .set_lifetimes(Some(knobs.access_token_ttl), knobs.code_ttl);
        self.shared
            .webhooks
            .set_retry_base(knobs.webhook_retry_base);
    }

    /// The current runtime settings.
    pub fn knobs(&self) -> Knobs {
        self.shared.lock().knobs.clone()
    }

    /// Invalidates every authorization code, access token and refresh token, as uninstalling
    /// the app from the portal does.
    pub fn revoke_all_tokens(&self) {
        self.oauth.revoke_all();
    }

    /// Makes every current access token expired now; refresh tokens keep working.
    pub fn expire_access_tokens(&self) {
        self.oauth.expire_access_tokens();
    }

    /// Adds an OAuth app, or replaces the one with the same client id.
    pub fn register_client(&self, client: RegisteredClient) {
        self.shared.lock().app_id(&client.client_id);
        self.shared
            .webhooks
            .register_secret(&client.client_id, &client.client_secret);
        self.oauth.register_client(client.into());
    }

    /// Modifies the picked live records of `object` now, as an edit in HubSpot would: their
    /// last-modified date (`lastmodifieddate` on contacts, `hs_lastmodifieddate` otherwise)
    /// and `updatedAt` become the current time (all of them the same millisecond) and one
    /// property moves to its next value (`lifecyclestage` on contacts and companies,
    /// `dealstage` on deals, `hs_pipeline_stage` on tickets; see the README for the other
    /// types). Returns the ids modified, ascending.
    pub fn modify_records(&self, object: ObjectType, pick: Pick) -> Vec<u64> {
        self.edit_records(object, &pick, Edit::Modify)
    }

    /// Archives the picked live records of `object` now: they leave the list and search
    /// results and appear in the list with `archived=true`. Returns the ids archived,
    /// ascending.
    pub fn archive_records(&self, object: ObjectType, pick: Pick) -> Vec<u64> {
        self.edit_records(object, &pick, Edit::Archive)
    }

    /// Hard-deletes the picked records of `object` now, as a merge or a GDPR deletion does:
    /// they disappear from the list, from the `archived=true` list and (after the search lag)
    /// from search, with no archived entry. `Pick::Ids` may name archived records too.
    /// Returns the ids deleted, ascending.
    pub fn delete_records(&self, object: ObjectType, pick: Pick) -> Vec<u64> {
        self.edit_records(object, &pick, Edit::Delete)
    }

    fn edit_records(&self, object: ObjectType, pick: &Pick, edit: Edit) -> Vec<u64> {
        let now = chrono::Utc::now().timestamp_millis();
        let catalog = &self.shared.catalog;
        let watched = self.shared.webhooks.is_subscribed();
        let (ids, changes) = {
            let mut state = self.shared.lock();
            let state = &mut *state;
            let mutations = state.mutations.entry(object).or_default();
            let ids = store::edit(catalog, object, mutations, pick, edit, now);
            // The events' contents are read under the lock; webhooks are queued after it.
            let (property, _) = object.mutable_property();
            let changes: Vec<webhooks::Change> = ids
                .iter()
                .map(|&id| webhooks::Change {
                    object_id: id,
                    property: (edit == Edit::Modify)
                        .then(|| mutations.get(&id)?.properties.get(property).cloned())
                        .flatten()
                        .map(|value| (property, value)),
                })
                .collect();
            // Every change goes to the journal, subscribed or not.
            let retention = state.knobs.journal_retention;
            state.journal.prune(retention, now);
            state.journal.append(object, edit, &changes, now);
            (ids, if watched { changes } else { Vec::new() })
        };
        self.shared.webhooks.publish(object, edit, changes, now);
        ids
    }

    /// Sets `property` of the live record `id` of `object` to `value`, as a person editing
    /// the record in HubSpot would: the value is checked as HubSpot checks it (enumerations
    /// such as `lifecyclestage`, `dealstage` or `industry` take only their options, `email`
    /// must be an address, numbers must be numbers, `closedate` a date; `""` clears an
    /// optional property), then the record's last-modified date and `updatedAt` become now,
    /// and the change is one `{type}.propertyChange` webhook event (`propertyName`,
    /// `propertyValue`) and one Webhooks Journal entry, exactly as
    /// [`modify_records`](Self::modify_records) makes them.
    ///
    /// Editable: every property the sandbox renders for the type except `hs_object_id`,
    /// `createdate` and the last-modified date. Setting the value a record already has
    /// changes nothing and sends nothing ([`Edited::changed`] is `false`). An unknown,
    /// archived or deleted id, an unknown or read-only property and an invalid value are
    /// errors; nothing changes then.
    pub fn edit_record(
        &self,
        object: ObjectType,
        id: u64,
        property: &str,
        value: &str,
    ) -> Result<Edited, EditError> {
        let checked = self.check_edit(object, id, property, value)?;
        let changed = self.edit_properties(object, id, &[checked], None)?;
        let value = self
            .record_property(object, id, property)
            .unwrap_or_default();
        Ok(Edited {
            value,
            changed: !changed.is_empty(),
        })
    }

    /// Checks one value for [`edit_properties`](Self::edit_properties).
    pub(crate) fn check_edit(
        &self,
        object: ObjectType,
        id: u64,
        property: &str,
        value: &str,
    ) -> Result<(&'static str, edit::Value), EditError> {
        let editable = edit::lookup(object, property)?;
        let checked = edit::check(&self.shared.catalog, object, id, editable, value)?;
        Ok((editable.name, checked))
    }

    /// Sets checked values on one live record at once (one last-modified time, one event per
    /// property that changed, all with the same `occurredAt`); with `expected_modified_ms`,
    /// only if the record was not modified since. Returns the properties changed.
    pub(crate) fn edit_properties(
        &self,
        object: ObjectType,
        id: u64,
        values: &[(&'static str, edit::Value)],
        expected_modified_ms: Option<i64>,
    ) -> Result<Vec<&'static str>, EditError> {
        let now = chrono::Utc::now().timestamp_millis();
        let catalog = &self.shared.catalog;
        let watched = self.shared.webhooks.is_subscribed();
        let changes = {
            let mut state = self.shared.lock();
            let state = &mut *state;
            let mutations = state.mutations.entry(object).or_default();
            let changed = edit::apply(
                catalog,
                object,
                mutations,
                id,
                values,
                expected_modified_ms,
                now,
            )?;
            let changes: Vec<webhooks::Change> = changed
                .into_iter()
                .map(|(name, value)| webhooks::Change {
                    object_id: id,
                    property: Some((name, value)),
                })
                .collect();
            if !changes.is_empty() {
                let retention = state.knobs.journal_retention;
                state.journal.prune(retention, now);
                state.journal.append(object, Edit::Modify, &changes, now);
            }
            changes
        };
        let names = changes
            .iter()
            .filter_map(|c| c.property.as_ref().map(|(name, _)| *name))
            .collect();
        if watched {
            self.shared
                .webhooks
                .publish(object, Edit::Modify, changes, now);
        }
        Ok(names)
    }

    /// The current value of one property of record `id` (`None`: no such record, or unset).
    pub(crate) fn record_property(
        &self,
        object: ObjectType,
        id: u64,
        property: &str,
    ) -> Option<String> {
        let catalog = &self.shared.catalog;
        let index = catalog.index_of(object, id)?;
        let state = self.shared.lock();
        let empty = store::Mutations::new();
        let mutations = state.mutations.get(&object).unwrap_or(&empty);
        store::record(catalog, object, index, mutations)
            .properties
            .get(property)
            .cloned()
    }

    /// Sends HubSpot webhooks to `target` from now on: every record changed by
    /// [`modify_records`](Self::modify_records), [`archive_records`](Self::archive_records) or
    /// [`delete_records`](Self::delete_records) (or their admin routes) becomes one event
    /// (`contact.propertyChange`, `contact.deletion`, `contact.privacyDeletion`,
    /// `company.*`, `deal.*`), POSTed in batches of at most 100, signed with the client
    /// secret of the app `client_id` (v3 and v1 signatures), retried as HubSpot retries.
    /// Replaces any earlier subscription (whose undelivered events are dropped).
    ///
    /// Must be called inside a Tokio runtime: the sender runs there in the background until
    /// [`unsubscribe_webhooks`](Self::unsubscribe_webhooks), the next subscription, or the
    /// last clone of this sandbox is dropped. Errors if `client_id` is not a registered app,
    /// `target` is not http(s), or no runtime is running.
    pub fn subscribe_webhooks(&self, target: url::Url, client_id: &str) -> Result<(), String> {
        self.shared.webhooks.subscribe(
            target,
            client_id,
            || self.shared.lock().app_id(client_id),
            self.shared.portal.hub_id,
            self.shared.portal.user_id,
        )
    }

    /// Stops sending webhooks; events not yet delivered are dropped.
    pub fn unsubscribe_webhooks(&self) {
        self.shared.webhooks.unsubscribe();
    }

    /// The current webhook subscription, if any.
    pub fn webhook_subscription(&self) -> Option<WebhookSubscription> {
        self.shared.webhooks.subscription()
    }

    /// Webhook delivery counters (see [`WebhookStats`]).
    pub fn webhook_stats(&self) -> WebhookStats {
        self.shared.webhooks.stats()
    }

    /// The portal ("hub") id every token belongs to.
    pub fn hub_id(&self) -> u64 {
        self.shared.portal.hub_id
    }

    /// A list cursor (`paging.next.after`) starting at the first record of `object` whose id
    /// is at least `first_id` (in the `archived=true` listing with `archived`), as the sandbox
    /// would issue it: lets a test jump to a deep page without paging there.
    pub fn list_cursor(&self, object: ObjectType, first_id: u64, archived: bool) -> String {
        let kind = if archived {
            cursor::Kind::Archived
        } else {
            cursor::Kind::List
        };
        let mut roll = self.shared.lock().roll();
        cursor::issue(&mut roll, kind, object, first_id)
    }

    /// A search cursor for result `offset` of a search on `object` (any query), as the sandbox
    /// would issue it; an offset of 10,000 or more is refused by the search, as HubSpot does.
    pub fn search_cursor(&self, object: ObjectType, offset: u64) -> String {
        let mut roll = self.shared.lock().roll();
        cursor::issue(&mut roll, cursor::Kind::Search, object, offset)
    }

    /// The property definitions of `object_type` (a standard type's name, singular or id —
    /// `contacts`, `contact`, `0-1`… — or the custom object's name, `objectTypeId` or fully
    /// qualified name), as `GET /crm/v3/properties/{objectType}` lists them: live ones
    /// (`archived: false`) first in the listing's order, then any archived ones. `None` for an
    /// unknown type. Contacts have [`CONTACT_PROPERTIES`] live ones, [`CONTACT_CUSTOM_PROPERTIES`]
    /// of them custom.
    pub fn properties(&self, object_type: &str) -> Option<Vec<PropertyDefinition>> {
        let catalog = &self.shared.properties;
        let target = catalog.resolve(object_type)?;
        let all = catalog.all(target);
        Some(
            all.iter()
                .filter(|p| !p.archived)
                .chain(all.iter().filter(|p| p.archived))
                .cloned()
                .collect(),
        )
    }

    /// The portal's custom object (`pets`), as `GET /crm-object-schemas/v3/schemas` lists it:
    /// its name, `objectTypeId` (`2-…`) and fully qualified name (`p{hub id}_pets`).
    pub fn custom_object(&self) -> CustomObject {
        self.shared.properties.custom.clone()
    }

    /// `object`'s HubSpot `objectTypeId`: `0-1`… for the standard types, the portal's `2-…`
    /// for the custom object.
    pub fn object_type_id(&self, object: ObjectType) -> String {
        if object.is_custom() {
            self.shared.properties.custom.object_type_id.clone()
        } else {
            object.type_id().to_owned()
        }
    }

    /// The contract in force now (see [`Contract`]; change it with [`Sandbox::update`]).
    pub fn contract(&self) -> Contract {
        self.shared.lock().knobs.contract
    }

    /// How records render under `contract`.
    pub(crate) fn shaping(&self, contract: Contract) -> crm::Shaping<'_> {
        crm::Shaping {
            contract,
            hub_id: self.shared.portal.hub_id,
            hublet: self.shared.portal.hublet.as_deref(),
            properties: &self.shared.properties,
        }
    }
}
