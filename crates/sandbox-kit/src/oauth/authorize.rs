//! The authorization endpoint: the consent page a person sees, and the decision its form posts.
//!
//! The request is checked twice, on the page and again on the decision, because the form's
//! hidden fields come back from the browser and may have been edited. Client and redirect URI
//! failures are pages, never redirects (RFC 6749 §4.1.2.1: redirecting to an unverified URI
//! would make the sandbox an open redirector); other refusals go where
//! [`RequestErrors`] says, since providers differ there.

use std::time::Instant;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;

use super::routes::Body;
use super::store::Code;
use super::{OAuthSandbox, Params, Pkce, RequestErrors, Secret, no_store, param};
use crate::consent;

/// Where the consent form posts (relative to [`AUTHORIZE_PATH`](super::AUTHORIZE_PATH): `authorize/decision`).
pub(super) const DECISION_PATH: &str = "/oauth/authorize/decision";

/// An S256 challenge: a SHA-256 digest in unpadded base64url (RFC 7636 §4.2).
fn valid_challenge(c: &str) -> bool {
    c.len() == 43 && URL_SAFE_NO_PAD.decode(c).is_ok_and(|b| b.len() == 32)
}

/// `to` with `pairs` added to its query (`None` values left out).
fn redirect(to: &str, pairs: &[(&str, Option<&str>)]) -> HttpResponse {
    let mut url = match Url::parse(to) {
        Ok(url) => url,
        Err(_) => return consent::error_page(400, 1, "Invalid redirect URI", to),
    };
    url.query_pairs_mut()
        .extend_pairs(pairs.iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    no_store(
        HttpResponse::Found()
            .insert_header((header::LOCATION, url.as_str()))
            .finish(),
    )
}

/// A refused authorization request: RFC 6749 code, page title, description.
struct Refusal(&'static str, &'static str, &'static str);

/// The standard authorization parameters carried from the consent page to the decision.
const CARRIED: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
];

impl OAuthSandbox {
    /// Checks client and redirect URI; a failure is a page, never a redirect (RFC 6749 §4.1.2.1:
    /// redirecting to an unverified URI would make the sandbox an open redirector).
    fn check_client(&self, params: &Params, depth: usize) -> Result<(), HttpResponse> {
        let state = self.state();
        let Some(client) = param(params, "client_id")
            .and_then(|id| state.clients.iter().find(|c| c.client_id == id))
        else {
            return Err(consent::error_page(
                400,
                depth,
                "Unknown app",
                "The client_id is missing or is not registered with this sandbox.",
            ));
        };
        match param(params, "redirect_uri") {
            Some(uri) if client.redirect_uris.iter().any(|u| u == uri) => Ok(()),
            _ => Err(consent::error_page(
                400,
                depth,
                "Redirect URI mismatch",
                &format!(
                    "redirect_uri must be exactly one of: {}",
                    client.redirect_uris.join(", ")
                ),
            )),
        }
    }

    /// The rest of the request: the PKCE challenge, or why it is refused.
    fn check_request(&self, params: &Params) -> Result<Option<String>, Refusal> {
        let config = &self.0.config;
        match param(params, "response_type") {
            Some("code") => {}
            None if !config.require_response_type => {}
            _ => {
                return Err(Refusal(
                    "unsupported_response_type",
                    "Unsupported response_type",
                    "response_type must be code",
                ));
            }
        }
        if config.require_state && param(params, "state").is_none() {
            return Err(Refusal(
                "invalid_request",
                "Missing state",
                "state is required",
            ));
        }
        let scoped =
            param(params, "scope").is_some_and(|s| s.split([' ', ',']).any(|s| !s.is_empty()));
        if config.require_scope && !scoped {
            return Err(Refusal(
                "invalid_scope",
                "Missing scope",
                "The request must list at least one scope in the scope parameter.",
            ));
        }
        if config.pkce == Pkce::Off {
            return Ok(None);
        }
        match (
            param(params, "code_challenge"),
            param(params, "code_challenge_method"),
        ) {
            (None, None) if config.pkce == Pkce::Allowed => Ok(None),
            (None, _) => Err(Refusal(
                "invalid_request",
                "Missing code_challenge",
                "code_challenge is required",
            )),
            (Some(c), Some("S256")) if valid_challenge(c) => Ok(Some(c.to_owned())),
            (Some(_), Some("S256")) => Err(Refusal(
                "invalid_request",
                "Malformed code_challenge",
                "An S256 code_challenge is 43 characters of unpadded base64url.",
            )),
            _ => Err(Refusal(
                "invalid_request",
                "Unsupported code_challenge_method",
                "code_challenge_method must be S256 (plain, the default, is not accepted)",
            )),
        }
    }

    fn refuse_request(&self, refusal: &Refusal, params: &Params, depth: usize) -> HttpResponse {
        let Refusal(code, title, detail) = *refusal;
        match self.0.config.request_errors {
            RequestErrors::Page => consent::error_page(400, depth, title, detail),
            RequestErrors::Redirect => redirect(
                param(params, "redirect_uri").unwrap_or_default(),
                &[
                    ("error", Some(code)),
                    ("error_description", Some(detail)),
                    ("state", param(params, "state")),
                ],
            ),
        }
    }

    pub(super) fn authorize(&self, req: &HttpRequest) -> HttpResponse {
        let params: Params = url::form_urlencoded::parse(req.query_string().as_bytes())
            .into_owned()
            .collect();
        self.state().stats.consent_pages += 1;
        if let Err(page) = self.check_client(&params, 1) {
            return page;
        }
        if let Err(refusal) = self.check_request(&params) {
            return self.refuse_request(&refusal, &params, 1);
        }
        if let Some(why) = self.0.hooks.refusal(&params) {
            return consent::error_page(403, 1, "This app can't be installed", &why);
        }
        let config = &self.0.config;
        let carried: Vec<(&str, &str)> = CARRIED
            .iter()
            .chain(&config.carry)
            .filter_map(|k| param(&params, k).map(|v| (*k, v)))
            .collect();
        let client_id = param(&params, "client_id").unwrap_or_default();
        consent::consent_page(&consent::Consent {
            provider: config.provider,
            account: &config.account,
            user: config.user.as_deref(),
            client: config.client_name.as_deref().unwrap_or(client_id),
            redirect_uri: param(&params, "redirect_uri").unwrap_or_default(),
            permissions: &self.0.hooks.permissions(&params, &config.permissions),
            hidden: &carried,
        })
    }

    pub(super) fn decision(&self, body: Body) -> HttpResponse {
        let body = match body {
            Ok(body) => body,
            Err(e) => return consent::error_page(e.status, 2, "Invalid form", &e.message),
        };
        let params: Params = url::form_urlencoded::parse(&body).into_owned().collect();
        if let Err(page) = self.check_client(&params, 2) {
            return page;
        }
        let challenge = match self.check_request(&params) {
            Ok(challenge) => challenge,
            Err(refusal) => return self.refuse_request(&refusal, &params, 2),
        };
        if let Some(why) = self.0.hooks.refusal(&params) {
            return consent::error_page(403, 2, "This app can't be installed", &why);
        }
        let redirect_uri = param(&params, "redirect_uri").unwrap_or_default();
        let state = param(&params, "state");
        match param(&params, "decision") {
            Some("approve") => {}
            Some("deny") => {
                self.state().stats.denials += 1;
                return redirect(
                    redirect_uri,
                    &[
                        ("error", Some("access_denied")),
                        ("error_description", Some("the user denied access")),
                        ("state", state),
                    ],
                );
            }
            _ => {
                return consent::error_page(
                    400,
                    2,
                    "Invalid decision",
                    "The consent form must be posted with decision=approve or decision=deny.",
                );
            }
        }
        let scope = self.0.hooks.granted_scope(&params);
        let code = (self.0.config.secret)(Secret::Code);
        let mut guard = self.state();
        guard.stats.approvals += 1;
        let expires = Instant::now() + guard.code_ttl;
        guard.codes.insert(
            code.clone(),
            Code {
                client_id: param(&params, "client_id").unwrap_or_default().to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                scope,
                challenge,
                expires,
                issued: None,
            },
        );
        drop(guard);
        redirect(redirect_uri, &[("code", Some(&code)), ("state", state)])
    }
}
