//! Mounting: which handler answers which path and method, and what every endpoint shares.
//!
//! Handlers capture the sandbox rather than reading it from `app_data`, so several sandboxes
//! can live in one app. Every known path answers other methods too (405 with `Allow`, or the
//! provider's own answer), because real providers do and clients probing with the wrong method
//! should see that, not a bare 404.

use std::collections::BTreeMap;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use url::Url;

use super::authorize::DECISION_PATH;
use super::{AUTHORIZE_PATH, ErrorInfo, OAuthSandbox, Params, Subject};
use crate::{consent, join};

/// A request body, or why it could not be read.
pub(super) type Body = Result<web::Bytes, ErrorInfo>;

/// The body, up to `limit` bytes (413 above: a sandbox must not buffer whatever it is sent).
async fn read_body(payload: web::Payload, limit: usize) -> Body {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(ErrorInfo::new(
            400,
            "invalid_request",
            Subject::Request,
            "the request body could not be read",
        )),
        Err(_) => Err(ErrorInfo::new(
            413,
            "invalid_request",
            Subject::Request,
            format!("the request body is larger than {limit} bytes"),
        )),
    }
}

impl OAuthSandbox {
    /// Records where the sandbox's API was mounted (see
    /// [`OAuthSandboxConfig::api_base_field`](super::OAuthSandboxConfig::api_base_field)).
    pub fn set_api_root(&self, api_root: Url) {
        self.state().api_root = Some(api_root);
    }

    /// The URL settings (`auth`, `token`, and `revoke` when it has a revocation endpoint) that
    /// point a provider at this sandbox mounted at `root`.
    pub fn urls(&self, root: &Url) -> BTreeMap<String, Url> {
        let mut urls = BTreeMap::from([
            ("auth".to_owned(), join(root, AUTHORIZE_PATH)),
            ("token".to_owned(), join(root, self.0.config.token_path)),
        ]);
        if let Some(revoke) = self.0.config.revoke_path {
            urls.insert("revoke".to_owned(), join(root, revoke));
        }
        urls
    }

    /// A resource at `path` answering `method` with `handler` and other methods per
    /// [`OAuthHooks::method_not_allowed`](super::OAuthHooks::method_not_allowed).
    fn resource(
        &self,
        path: &'static str,
        method: &'static str,
        route: actix_web::Route,
    ) -> actix_web::Resource {
        let s = self.clone();
        web::resource(path)
            .route(route)
            .default_service(web::to(move |req: HttpRequest| {
                let s = s.clone();
                async move { s.method_not_allowed(&req, method) }
            }))
    }

    fn method_not_allowed(&self, req: &HttpRequest, allow: &str) -> HttpResponse {
        let (method, path) = (req.method().as_str(), req.path());
        self.0
            .hooks
            .method_not_allowed(method, path, allow)
            .unwrap_or_else(|| {
                let message = format!("{method} is not allowed on {path}; allowed: {allow}");
                let mut response = self.api_error(405, "method_not_allowed", &message);
                if let Ok(value) = HeaderValue::from_str(allow) {
                    response.headers_mut().insert(header::ALLOW, value);
                }
                response
            })
    }

    /// Adds `GET /oauth/authorize`, `POST /oauth/authorize/decision`, the token endpoints,
    /// introspection and revocation when configured, and `GET /_assets/consent.css`. Handlers
    /// capture this sandbox (no `app_data`), so several sandboxes can be mounted in one app.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        let limit = self.0.config.max_body;
        let s = self.clone();
        cfg.service(self.resource(
            AUTHORIZE_PATH,
            "GET",
            web::get().to(move |req: HttpRequest| {
                let s = s.clone();
                async move { s.authorize(&req) }
            }),
        ));
        let s = self.clone();
        cfg.service(self.resource(
            DECISION_PATH,
            "POST",
            web::post().to(move |payload: web::Payload| {
                let s = s.clone();
                async move { s.decision(read_body(payload, limit).await) }
            }),
        ));
        let config = &self.0.config;
        let tokens = std::iter::once((config.token_path, false))
            .chain(config.legacy_token_paths.iter().map(|p| (*p, true)));
        for (path, lenient) in tokens {
            cfg.service(
                self.token_family(path, move |s, req, body| s.token(req, body, path, lenient)),
            );
        }
        let others = [
            (
                config.introspect_path,
                Self::introspect as fn(&Self, &str, Params) -> HttpResponse,
            ),
            (config.revoke_path, Self::revoke_request),
        ];
        for (path, handler) in others {
            let Some(path) = path else { continue };
            cfg.service(self.token_family(path, move |s, req, body| {
                if let Some(answer) = s.0.hooks.intercept(path) {
                    return answer;
                }
                match s.client_request(req, body) {
                    Ok((client_id, params)) => handler(s, &client_id, params),
                    Err(error) => s.refuse(&error),
                }
            }));
        }
        cfg.service(self.resource(
            "/_assets/consent.css",
            "GET",
            web::get().to(consent::stylesheet),
        ));
    }

    /// A `POST` endpoint of the token family (token, introspection, revocation): it answers
    /// after the hooks' latency, with `handler` given the body already read.
    fn token_family(
        &self,
        path: &'static str,
        handler: impl Fn(&Self, &HttpRequest, Body) -> HttpResponse + Clone + 'static,
    ) -> actix_web::Resource {
        let limit = self.0.config.max_body;
        let s = self.clone();
        self.resource(
            path,
            "POST",
            web::post().to(move |req: HttpRequest, payload: web::Payload| {
                let (s, handler) = (s.clone(), handler.clone());
                async move {
                    s.pause().await;
                    // Read first: an answer that leaves the body unread can cut the
                    // connection under the client.
                    let body = read_body(payload, limit).await;
                    handler(&s, &req, body)
                }
            }),
        )
    }

    async fn pause(&self) {
        let delay = self.0.hooks.latency();
        if !delay.is_zero() {
            actix_web::rt::time::sleep(delay).await;
        }
    }
}
