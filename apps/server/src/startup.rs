//! Building the application from settings: stores, providers, routes, listener.
//!
//! Kept apart from `main` so tests build exactly what production runs, on port 0.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header::{self, HeaderName};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use integration_core::{Connector, ConnectorOptions, CredentialStore, Limit, Seal, SharedBudget};
use sandbox_kit::{ProviderSandbox, RegisteredClient};
use secrecy::ExposeSecret as _;
use token_store::{Cipher, RedisStoreConfig, RedisTokenStore, TokenStore};
use tracing_actix_web::TracingLogger;
use url::Url;

use crate::auth::Authenticator;
use crate::error::extractor_error;
use crate::headers::{self, HeaderPolicy};
use crate::routes;
use crate::settings::{AppEnv, ProviderMode, Settings};
use crate::state::{AppState, ProviderEntry, Registry};
use crate::telemetry::RequestSpan;

/// Where a provider's sandbox is mounted: `/_sandbox/{id}`.
pub fn sandbox_mount(id: &str) -> String {
    format!("/_sandbox/{id}")
}

const USER_AGENT: &str = concat!("vs-integrations/", env!("CARGO_PKG_VERSION"));

/// A provider sandbox mounted in this process.
pub type MountedSandbox = (&'static str, Arc<dyn ProviderSandbox>);

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The listener could not be bound.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A setting is unusable.
    #[error("{0}")]
    Config(String),
}

/// The built, bound, not yet running application.
pub struct Application {
    port: u16,
    base_url: Url,
    sandboxes: Vec<MountedSandbox>,
    server: Server,
    /// The `/metrics` listener (`METRICS_ADDR`) and the address it bound; `None` when `off`.
    metrics: Option<(std::net::SocketAddr, Server)>,
    /// The journal readers (pull mode), stopped with the server.
    journals: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Builds everything `settings` describes, with default retry tuning.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with(settings, ConnectorOptions::default()).await
    }

    /// Builds with explicit retry tuning (tests use short backoffs). What settings name — the
    /// refresh skew, the request deadline and the refresh lock's TTL — always comes from
    /// `settings`.
    pub async fn build_with(
        settings: Settings,
        tuning: ConnectorOptions,
    ) -> Result<Self, StartupError> {
        let options = ConnectorOptions {
            refresh_skew: settings.refresh_skew,
            request_deadline: settings.request_deadline,
            lock_ttl: settings.refresh_lock_ttl,
            lock_wait: settings.request_deadline,
            index_lag: settings.index_lag,
            lookback: settings.changes_lookback,
            pending_per_user: settings.oauth_pending_per_user,
            ..tuning
        };
        let (_, listener) = listen(settings.bind_addr).map_err(|source| StartupError::Bind {
            addr: settings.bind_addr,
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| StartupError::Config(e.to_string()))?
            .port();
        // Bound before anything else is built, so a taken or unusable address stops the start
        // at once, naming the variable.
        let metrics_listener = settings
            .metrics_addr
            .map(|addr| {
                listen(addr).map_err(|e| {
                    StartupError::Config(format!(
                        "METRICS_ADDR is unusable: could not listen on {addr}: {e}"
                    ))
                })
            })
            .transpose()?;
        let base_url = match &settings.public_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{}:{port}", display_host(&settings)))
                .map_err(|e| StartupError::Config(format!("BIND_ADDR gives no usable URL: {e}")))?,
        };

        let (redis, seal) = token_store(&settings).await?;
        // Every replica paces each provider account through the same Redis budget, and reads the
        // cursors every other replica issued: their seal comes from the keys they share.
        let options = ConnectorOptions {
            seal,
            budget: shared_budget(&settings, &redis),
            // Webhooks land in Redis Streams every replica reads.
            events: Some(Arc::new(redis.clone())),
            ..options
        };
        let credential_store: Arc<dyn CredentialStore> = Arc::new(redis.clone());
        let store: Arc<dyn TokenStore> = Arc::new(redis);

        let (registry, sandboxes) =
            build_providers(&settings, &base_url, &credential_store, &options)?;
        // Providers read in pull mode: one reader at a time across the replicas (a lease).
        let journals = registry
            .iter()
            .filter(|entry| entry.connector.integration().journal().is_some())
            .map(|entry| {
                Arc::clone(&entry.connector)
                    .run_journal(settings.journal_poll, settings.journal_lease)
            })
            .collect();
        let outbound = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| StartupError::Config(format!("no HTTP client: {e}")))?;
        let authenticator = web::Data::new(
            Authenticator::from_settings(&settings.auth, outbound).map_err(StartupError::Config)?,
        );
        let https = base_url.scheme() == "https";
        let header_policy = web::Data::new(HeaderPolicy::new(https, &settings.embed_origins));

        let frontend_url = settings
            .frontend_url
            .clone()
            .unwrap_or_else(|| base_url.clone());
        let state = web::Data::new(AppState {
            registry,
            store,
            frontend_url,
            public_url: base_url.clone(),
            sandbox: !sandboxes.is_empty(),
            secure_cookies: https,
            embed_origins: settings.embed_origins.clone(),
        });
        // The UI may be served elsewhere (REACT_APP_API_BASE_URL pointing here).
        let allowed_origins = [
            base_url.origin().ascii_serialization(),
            state.frontend_url.origin().ascii_serialization(),
        ];
        crate::metrics::handle();
        let served = Served {
            state,
            authenticator,
            header_policy,
            allowed_origins,
            web_dist: settings.web_dist_dir.clone(),
            sandboxes: sandboxes.clone(),
            // Sandbox admin routes need no identity, so only the peers `SANDBOX_ADMIN` allows
            // reach them; and a sandbox request body gets the API's deadline, not forever.
            sandbox_guard: sandbox_kit::guard::Guard {
                admin: settings.sandbox_admin,
                body_deadline: settings.request_deadline,
            },
        };
        let server = serve(listener, served).map_err(|source| StartupError::Bind {
            addr: settings.bind_addr,
            source,
        })?;
        let metrics = metrics_listener
            .map(|(addr, listener)| Ok::<_, StartupError>((addr, metrics_server(listener)?)))
            .transpose()?;

        Ok(Self {
            port,
            base_url,
            sandboxes,
            server,
            metrics,
            journals,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address the `/metrics` listener bound (`METRICS_ADDR`, its port resolved when it
    /// was 0); `None` when `METRICS_ADDR=off`.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.metrics.as_ref().map(|(addr, _)| *addr)
    }

    /// How browsers reach the server.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The sandbox serving provider `id`, when it is served by one.
    pub fn sandbox(&self, id: &str) -> Option<&Arc<dyn ProviderSandbox>> {
        self.sandboxes
            .iter()
            .find_map(|(sid, s)| (*sid == id).then_some(s))
    }

    /// The ids of the providers served by their sandboxes.
    pub fn sandboxed(&self) -> Vec<&'static str> {
        self.sandboxes.iter().map(|(id, _)| *id).collect()
    }

    /// Serves until the process is told to stop. The `/metrics` listener stops with the public
    /// one.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let journals = self.journals;
        let stop_journals = move || journals.iter().for_each(tokio::task::JoinHandle::abort);
        let Some((_, metrics)) = self.metrics else {
            let served = self.server.await;
            stop_journals();
            return served;
        };
        let metrics_handle = metrics.handle();
        let metrics = tokio::spawn(metrics);
        let served = self.server.await;
        stop_journals();
        // The metrics listener may have stopped on the same signal already; its handle is not
        // to be waited on forever (a stop is never worth a process that does not exit).
        let metrics_done = async {
            metrics_handle.stop(true).await;
            let _ = metrics.await;
        };
        if tokio::time::timeout(Duration::from_secs(5), metrics_done)
            .await
            .is_err()
        {
            tracing::warn!("the metrics listener did not stop within 5 s; exiting anyway");
        }
        served
    }
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("base_url", &self.base_url.as_str())
            .field("sandboxed", &self.sandboxed())
            .finish_non_exhaustive()
    }
}

/// The `/metrics` listener: the Prometheus text at `GET /metrics`, 404 problems elsewhere. Its
/// requests are not counted (scrapes would only count themselves).
fn metrics_server(listener: TcpListener) -> Result<Server, StartupError> {
    let addr = listener.local_addr().ok();
    let server = HttpServer::new(|| {
        App::new()
            .route("/metrics", web::get().to(crate::metrics::render))
            .default_service(web::to(routes::not_found))
    })
    .workers(1)
    .listen(listener)
    .map_err(|e| {
        StartupError::Config(format!(
            "METRICS_ADDR is unusable: could not listen on {}: {e}",
            addr.map_or_else(|| "it".to_owned(), |a| a.to_string())
        ))
    })?
    .shutdown_timeout(1)
    .run();
    Ok(server)
}

fn display_host(settings: &Settings) -> String {
    let ip = settings.bind_addr.ip();
    if ip.is_unspecified() {
        "127.0.0.1".to_owned()
    } else if ip.is_ipv6() {
        format!("[{ip}]")
    } else {
        ip.to_string()
    }
}

/// Every registered provider that is live or sandboxed, each wrapped in a [`Connector`], and the
/// sandboxes to mount. A provider's settings come by convention from `{ID}_…` variables; in
/// sandbox mode its sandbox's URLs and a client registered for us fill them in.
fn build_providers(
    settings: &Settings,
    base_url: &Url,
    store: &Arc<dyn CredentialStore>,
    options: &ConnectorOptions,
) -> Result<(Registry, Vec<MountedSandbox>), StartupError> {
    let http = integration_core::kit::http::client(std::time::Duration::from_secs(15), USER_AGENT);
    let mut registry = Registry::default();
    let mut sandboxes = Vec::new();
    for choice in &settings.providers {
        let id = choice.id();
        // `{ID}_REDIRECT_URI` wins; otherwise this server's own callback route.
        let callback = join(base_url, &format!("/api/integrations/{id}/callback")).to_string();
        let mut provider_settings = choice.settings.clone();
        let redirect_uri = provider_settings
            .redirect_uri
            .get_or_insert(callback)
            .clone();
        let sandbox = match choice.mode {
            ProviderMode::Live => None,
            ProviderMode::Sandbox => {
                let build = choice
                    .registration
                    .sandbox
                    .ok_or_else(|| StartupError::Config(format!("{id} has no sandbox")))?;
                let client = RegisteredClient {
                    client_id: format!("sandbox-{id}-client-id"),
                    client_secret: format!("sandbox-{id}-client-secret"),
                    redirect_uris: vec![redirect_uri.clone()],
                };
                let sandbox: Arc<dyn ProviderSandbox> = Arc::from(build(client.clone()));
                // As an app's target URL set at the provider: changes made in the sandbox
                // arrive here as webhooks, so sandbox mode shows live updates with no setup.
                let target = join(base_url, &format!("/api/webhooks/{id}"));
                sandbox
                    .send_webhooks_to(&target, &client.client_id)
                    .map_err(|e| StartupError::Config(format!("{id} sandbox webhooks: {e}")))?;
                let root = join(base_url, &sandbox_mount(id));
                for (name, url) in sandbox.urls(&root) {
                    // An explicit `{ID}_{NAME}_URL` still wins.
                    provider_settings.urls.entry(name).or_insert(url);
                }
                provider_settings.client_id = client.client_id;
                provider_settings.client_secret = client.client_secret.into();
                Some(sandbox)
            }
            ProviderMode::Off => continue,
        };
        let integration = choice
            .registration
            .factory
            .build(&provider_settings, http.clone())
            .map_err(|e| StartupError::Config(format!("{}: {e}", id.to_ascii_uppercase())))?;
        registry.register(ProviderEntry {
            connector: Arc::new(Connector::with_options(
                integration,
                Arc::clone(store),
                options.clone(),
            )),
            redirect_uri,
            sandbox: sandbox.is_some(),
        });
        if let Some(sandbox) = sandbox {
            sandboxes.push((id, sandbox));
        }
    }
    Ok((registry, sandboxes))
}

/// Everything each worker's `App` is built from.
#[derive(Clone)]
struct Served {
    state: web::Data<AppState>,
    authenticator: web::Data<Authenticator>,
    header_policy: web::Data<HeaderPolicy>,
    allowed_origins: [String; 2],
    web_dist: std::path::PathBuf,
    sandboxes: Vec<MountedSandbox>,
    sandbox_guard: sandbox_kit::guard::Guard,
}

/// The public HTTP server on `listener`: the API, the mounted sandboxes and the UI, behind CORS,
/// compression, security headers, metrics and request logging.
fn serve(listener: TcpListener, served: Served) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        let served = served.clone();
        let mut app = App::new()
            .wrap(cors(&served.allowed_origins))
            .wrap(Compress::default())
            .wrap(from_fn(headers::apply))
            .wrap(from_fn(crate::metrics::count))
            .wrap(TracingLogger::<RequestSpan>::new())
            .app_data(served.state)
            .app_data(served.authenticator)
            .app_data(served.header_policy)
            .app_data(web::QueryConfig::default().error_handler(|e, _| extractor_error(e)))
            .app_data(web::PathConfig::default().error_handler(|e, _| extractor_error(e)))
            .configure(routes::api);
        let guard = served.sandbox_guard;
        for (id, sandbox) in &served.sandboxes {
            let guarded = Arc::clone(sandbox);
            app = app.service(
                web::scope(&sandbox_mount(id))
                    .wrap(from_fn(move |req, next| {
                        sandbox_kit::guard::check(guard, guarded.clone(), req, next)
                    }))
                    .configure(|c| sandbox.configure(c)),
            );
        }
        app.configure(|c| routes::ui(c, &served.web_dist))
    })
    // Streamed answers (exports, changes) are many small writes: without TCP_NODELAY each one
    // after the first waits for the client's delayed ACK (~40 ms a stall).
    .on_connect(|connection, _| {
        if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
            let _ = tcp.set_nodelay(true);
        }
    })
    .listen(listener)?
    .shutdown_timeout(5)
    .run();
    Ok(server)
}

/// Listens on `addr`, answering the address actually bound (port 0 resolved).
fn listen(addr: std::net::SocketAddr) -> std::io::Result<(std::net::SocketAddr, TcpListener)> {
    let listener = TcpListener::bind(addr)?;
    Ok((listener.local_addr()?, listener))
}

/// The Redis store of credentials, encrypted under `TOKEN_ENCRYPTION_KEY` (and readable under
/// `TOKEN_ENCRYPTION_PREVIOUS_KEYS`), and the seal of the tokens handed to callers. Cursors and
/// checkpoints are signed under keys derived from the encryption keys: every replica reads what
/// any other issued, and a rotation keeps the previous keys' readable.
async fn token_store(settings: &Settings) -> Result<(RedisTokenStore, Seal), StartupError> {
    let previous: Vec<&str> = settings
        .token_encryption_previous_keys
        .iter()
        .map(|k| k.expose_secret())
        .collect();
    let primary = settings.token_encryption_key.expose_secret();
    // Checked alone first, so the error names the variable that is wrong.
    Cipher::from_key_specs(primary, &[])
        .map_err(|e| StartupError::Config(format!("TOKEN_ENCRYPTION_KEY is invalid: {e}")))?;
    let cipher = Cipher::from_key_specs(primary, &previous).map_err(|e| {
        StartupError::Config(format!("TOKEN_ENCRYPTION_PREVIOUS_KEYS is invalid: {e}"))
    })?;
    let seal = Seal::derive(cipher.derive_keys("vs-integrations cursors"));
    let redis = RedisTokenStore::new(
        RedisStoreConfig {
            url: settings.redis.url.expose_secret().to_owned(),
            key_prefix: settings.redis.key_prefix.clone(),
            pool_size: settings.redis.pool_size,
            timeout: settings.redis.timeout,
            ca_cert_pem: settings.redis.ca_cert_pem.clone(),
            event_retention: token_store::EventRetention::default(),
            event_replicas: settings.redis.event_replicas,
        },
        cipher,
    )
    .map_err(|e| StartupError::Config(format!("REDIS_URL is unusable: {e}")))?;
    if settings.app_env == AppEnv::Production {
        warn_unless_durable(&redis).await;
    }
    Ok((redis, seal))
}

/// The per-account rate budget every replica shares through Redis (`RATE_BUDGET_*`), or none.
fn shared_budget(settings: &Settings, redis: &RedisTokenStore) -> Option<SharedBudget> {
    let rate = settings.rate_budget_per_10s?;
    let budget = SharedBudget::new(
        Arc::new(redis.clone()),
        Limit::new(rate, std::time::Duration::from_secs(10)),
    )
    // An export's descending lane may use every search of each second: a one-call reserve
    // would cost it a fifth of HubSpot's five, while an interactive search waits at most the
    // one-second window behind it. (The ten-second window keeps its reserve: there a wait
    // would be ten seconds.)
    .with_search(
        Limit::new(
            settings.rate_budget_search_per_s,
            std::time::Duration::from_secs(1),
        )
        .with_reserve(0),
    );
    Some(budget)
}

/// CORS for `origins`: the server's own and the UI's. Browsers send `Origin` even on
/// same-origin DELETEs; the OAuth binding cookie must reach us when the UI lives elsewhere.
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "DELETE"])
        .allowed_headers([
            header::ACCEPT,
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-user-id"),
        ])
        .expose_headers([header::RETRY_AFTER, HeaderName::from_static("x-request-id")])
        .supports_credentials()
        .max_age(600)
}

/// Production keeps credentials in Redis: if Redis forgets everything on restart, every user must
/// reconnect. Say so loudly at start (not fatal: a managed Redis may hide its configuration).
async fn warn_unless_durable(redis: &RedisTokenStore) {
    match redis.persistence().await {
        Ok(persistence) if persistence.is_durable() => {
            tracing::info!(%persistence, "Redis persists its data");
        }
        Ok(persistence) => tracing::error!(
            %persistence,
            "REDIS DOES NOT PERSIST: a Redis restart will disconnect every user. Enable AOF \
             (`appendonly yes`) or RDB snapshots; see the README's 'Running in production'"
        ),
        Err(error) => tracing::warn!(%error, "could not check whether Redis persists"),
    }
}

/// Appends `path` to `base`'s path (keeping any prefix `base` has).
fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}{}", base.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url
}
