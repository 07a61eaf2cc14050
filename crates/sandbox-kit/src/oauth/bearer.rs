//! What API routes ask of the OAuth half: is this bearer token good, and how to say no.
//!
//! A provider's API routes call [`OAuthSandbox::check_bearer`] first, so every route refuses a
//! bad token and honours an injected rate limit the same way, in the provider's error shape,
//! without each sandbox rewriting RFC 6750's `WWW-Authenticate` answer.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

use super::{ErrorInfo, Grant, OAuthSandbox, Subject, TokenInfo};

impl OAuthSandbox {
    /// The grant behind the request's `Authorization: Bearer` token, or the answer to give
    /// instead: 401 in the provider's error shape with `WWW-Authenticate: Bearer` (RFC 6750 §3),
    /// or 429 `rate_limited` while [`OAuthSandbox::rate_limit_next`] says so.
    pub fn check_bearer(&self, req: &HttpRequest) -> Result<Grant, HttpResponse> {
        if let Some(wait) = self.take_rate_limit() {
            let mut response = self.api_error(429, "rate_limited", "slow down");
            if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Err(response);
        }
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let grant = token
            .and_then(|t| self.access_token(t))
            .filter(TokenInfo::is_active)
            .map(|info| info.grant);
        let mut state = self.state();
        match grant {
            Some(grant) => {
                state.stats.api_calls += 1;
                Ok(grant)
            }
            None => {
                state.stats.unauthorized += 1;
                drop(state);
                let mut response = self.api_error(
                    401,
                    self.0.config.unauthorized_code,
                    "the access token is invalid or expired",
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
                Err(response)
            }
        }
    }

    fn take_rate_limit(&self) -> Option<u64> {
        let mut state = self.state();
        let (calls, wait) = state.rate_limited;
        (calls > 0).then(|| {
            state.rate_limited.0 -= 1;
            wait
        })
    }

    /// An API error in the provider's shape.
    pub fn api_error(&self, status: u16, code: &str, message: &str) -> HttpResponse {
        let info = ErrorInfo::new(status, code, Subject::Api, message);
        HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
            .json((self.0.config.api_error)(&info))
    }
}
