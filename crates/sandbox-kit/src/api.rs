//! A provider sandbox in a few lines: an [`OAuthSandbox`] plus bearer-protected API routes, each
//! a plain function of an [`ApiCall`].

use std::collections::BTreeMap;

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;
use url::Url;

use crate::oauth::{Grant, OAuthSandbox};
use crate::{ProviderSandbox, join};

/// One authorised API request.
#[derive(Debug)]
pub struct ApiCall<'a> {
    /// The sandbox (for [`OAuthSandbox::api_error`] and its configuration).
    pub sandbox: &'a OAuthSandbox,
    /// The request.
    pub request: &'a HttpRequest,
    /// The raw body.
    pub body: &'a [u8],
    /// The grant behind the bearer token.
    pub grant: Grant,
}

impl ApiCall<'_> {
    /// The body as JSON `T`, or a 400 `invalid_request` in the provider's shape.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpResponse> {
        serde_json::from_slice(self.body).map_err(|e| {
            self.error(
                400,
                "invalid_request",
                &format!("body failed validation: {e}"),
            )
        })
    }

    /// The query string as `T`, or a 400 `invalid_request` in the provider's shape.
    pub fn query<T: DeserializeOwned>(&self) -> Result<T, HttpResponse> {
        web::Query::<T>::from_query(self.request.query_string())
            .map(web::Query::into_inner)
            .map_err(|e| self.error(400, "invalid_request", &format!("bad query: {e}")))
    }

    /// A request header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
    }

    /// A header the provider requires (`Notion-Version`), or a 400 `code` in its shape.
    pub fn require_header(&self, name: &str, code: &str) -> Result<&str, HttpResponse> {
        self.header(name)
            .ok_or_else(|| self.error(400, code, &format!("the {name} header is required")))
    }

    /// An error in the provider's shape.
    pub fn error(&self, status: u16, code: &str, message: &str) -> HttpResponse {
        self.sandbox.api_error(status, code, message)
    }
}

/// What an API handler answers; `Err` too is an answer (an error in the provider's shape), so
/// handlers can use `?` on [`ApiCall::json`] and friends.
pub type ApiResult = Result<HttpResponse, HttpResponse>;

/// Handles one authorised API request.
pub type ApiHandler = fn(&ApiCall<'_>) -> ApiResult;

/// An [`OAuthSandbox`] plus API routes under `api_base`, as a [`ProviderSandbox`].
#[derive(Debug, Clone)]
pub struct ApiSandbox {
    oauth: OAuthSandbox,
    api_base: &'static str,
    routes: Vec<(Method, &'static str, ApiHandler)>,
}

impl ApiSandbox {
    /// A sandbox whose API lives at `api_base` under the mount (`"/v1"`; the `api_base` URL
    /// setting points there).
    pub fn new(oauth: OAuthSandbox, api_base: &'static str) -> Self {
        Self {
            oauth,
            api_base,
            routes: Vec::new(),
        }
    }

    /// Adds `GET path` (relative to the mount, not to `api_base`).
    pub fn get(self, path: &'static str, handler: ApiHandler) -> Self {
        self.route(Method::GET, path, handler)
    }

    /// Adds `POST path`.
    pub fn post(self, path: &'static str, handler: ApiHandler) -> Self {
        self.route(Method::POST, path, handler)
    }

    /// Adds `method path`; the handler runs only with a valid bearer token.
    pub fn route(mut self, method: Method, path: &'static str, handler: ApiHandler) -> Self {
        self.routes.push((method, path, handler));
        self
    }

    /// The OAuth half (stats, test knobs).
    pub fn oauth(&self) -> &OAuthSandbox {
        &self.oauth
    }

    /// Boxed, as a [`SandboxBuilder`](crate::SandboxBuilder) returns it.
    pub fn boxed(self) -> Box<dyn ProviderSandbox> {
        Box::new(self)
    }
}

impl ProviderSandbox for ApiSandbox {
    fn configure(&self, cfg: &mut web::ServiceConfig) {
        self.oauth.configure(cfg);
        for (method, path, handler) in &self.routes {
            let (sandbox, handler) = (self.oauth.clone(), *handler);
            cfg.route(
                path,
                web::method(method.clone()).to(move |req: HttpRequest, body: web::Bytes| {
                    let sandbox = sandbox.clone();
                    async move {
                        match sandbox.check_bearer(&req) {
                            Ok(grant) => handler(&ApiCall {
                                sandbox: &sandbox,
                                request: &req,
                                body: &body,
                                grant,
                            })
                            .unwrap_or_else(|answer| answer),
                            Err(refused) => refused,
                        }
                    }
                }),
            );
        }
    }

    fn urls(&self, root: &Url) -> BTreeMap<String, Url> {
        let mut urls = self.oauth.urls(root);
        let api = join(root, self.api_base);
        self.oauth.set_api_root(api.clone());
        urls.insert("api_base".to_owned(), api);
        urls
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn error_response(
        &self,
        status: actix_web::http::StatusCode,
        code: &str,
        message: &str,
    ) -> HttpResponse {
        self.oauth.api_error(status.as_u16(), code, message)
    }
}
