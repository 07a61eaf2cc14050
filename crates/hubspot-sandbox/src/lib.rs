#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod admin;
mod config;
mod crm;
mod oauth;
mod pages;
mod respond;
mod seed;
mod state;
mod time;
mod tokens;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{App, HttpServer, web};

pub use config::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI, Faults, Knobs, KnobsPatch,
    OverLimit, RateLimit, RegisteredClient, SandboxConfig, Stats,
};

/// A running fake HubSpot: cheap to clone, all clones share the same state.
#[derive(Clone)]
pub struct Sandbox {
    shared: Arc<state::Shared>,
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
        Self {
            shared: Arc::new(state::Shared::new(config)),
        }
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
        cfg.app_data(web::Data::new(self.clone()))
            .route("/oauth/authorize", web::get().to(oauth::authorize))
            .route("/oauth/authorize/decision", web::post().to(oauth::decision))
            .route("/oauth/v1/token", web::post().to(oauth::token))
            .route(
                "/oauth/v1/access-tokens/{token}",
                web::get().to(oauth::access_token_info),
            )
            .route(
                "/oauth/v1/refresh-tokens/{token}",
                web::get().to(oauth::refresh_token_info),
            )
            .route(
                "/oauth/v1/refresh-tokens/{token}",
                web::delete().to(oauth::revoke),
            )
            .route("/crm/v3/objects/{object_type}", web::get().to(crm::list))
            .route("/_admin/stats", web::get().to(admin::stats))
            .route("/_admin/reset-stats", web::post().to(admin::reset_stats))
            .route("/_admin/faults", web::get().to(admin::get_faults))
            .route("/_admin/faults", web::post().to(admin::set_faults))
            .route("/_admin/revoke-all", web::post().to(admin::revoke_all))
            .route(
                "/_admin/expire-access-tokens",
                web::post().to(admin::expire_access_tokens),
            )
            .route("/_admin/knobs", web::get().to(admin::get_knobs))
            .route("/_admin/knobs", web::patch().to(admin::patch_knobs));
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

    /// Counters of calls per endpoint since start or the last [`reset_stats`](Self::reset_stats).
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats.clone()
    }

    /// Sets every counter back to zero.
    pub fn reset_stats(&self) {
        self.shared.lock().stats = Stats::default();
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
        f(&mut self.shared.lock().knobs);
    }

    /// The current runtime settings.
    pub fn knobs(&self) -> Knobs {
        self.shared.lock().knobs.clone()
    }

    /// Invalidates every authorization code, access token and refresh token, as uninstalling
    /// the app from the portal does.
    pub fn revoke_all_tokens(&self) {
        self.shared.lock().revoke_all();
    }

    /// Makes every current access token expired now; refresh tokens keep working.
    pub fn expire_access_tokens(&self) {
        self.shared.lock().expire_access_tokens();
    }

    /// Adds an OAuth app, or replaces the one with the same client id.
    pub fn register_client(&self, client: RegisteredClient) {
        self.shared.lock().register_client(client);
    }

    /// The portal ("hub") id every token belongs to.
    pub fn hub_id(&self) -> u64 {
        self.shared.portal.hub_id
    }
}
