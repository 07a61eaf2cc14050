//! Introspection (RFC 7662) and revocation (RFC 7009): what a client asks about its tokens.
//!
//! Both answer only the authenticated client about its own tokens, and never say whether a
//! token exists for someone else (`{"active": false}`, a bare 200), so a leaked token cannot be
//! probed through them. They are optional: a provider without them leaves their paths unset.

use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Map, Value, json};

use super::routes::Body;
use super::{ErrorInfo, Event, OAuthSandbox, Params, Subject, TokenKind, no_store, param};

impl OAuthSandbox {
    /// Introspection and revocation: a strict body, an authenticated client and a `token`.
    pub(super) fn client_request(
        &self,
        req: &HttpRequest,
        body: Body,
    ) -> Result<(String, Params), ErrorInfo> {
        let params = self.params(req, &body?, false)?;
        let client_id = self.authenticate(req, &params)?;
        if param(&params, "token").is_none() {
            return Err(ErrorInfo::new(
                400,
                "invalid_request",
                Subject::Request,
                "missing required parameter token",
            ));
        }
        Ok((client_id, params))
    }

    /// RFC 7662: the client's own live token is described, anything else is `{"active": false}`
    /// (the `token_type_hint` is only a hint, and tokens of either kind never collide).
    pub(super) fn introspect(&self, client_id: &str, params: Params) -> HttpResponse {
        self.state().stats.introspections += 1;
        let token = param(&params, "token").unwrap_or_default();
        let info = self
            .access_token(token)
            .or_else(|| self.refresh_token(token))
            .filter(|i| i.grant.client_id == client_id && i.is_active());
        let body = match &info {
            Some(info) => {
                let mut body = Map::new();
                body.insert("active".into(), true.into());
                body.insert("client_id".into(), info.grant.client_id.clone().into());
                body.insert("scope".into(), info.grant.scope.clone().into());
                let kind = match info.kind {
                    TokenKind::Access => "access_token",
                    TokenKind::Refresh => "refresh_token",
                };
                body.insert("token_type".into(), kind.into());
                if let Some(at) = info.expires_at {
                    body.insert("exp".into(), at.timestamp().into());
                }
                self.0.hooks.introspection(token, info, &mut body);
                Value::Object(body)
            }
            None => json!({"active": false}),
        };
        let active = info.is_some();
        self.0.hooks.on_event(&Event::Introspected { active });
        no_store(HttpResponse::Ok().json(body))
    }

    /// RFC 7009: 200 with no body, whether or not the token was the client's to revoke.
    pub(super) fn revoke_request(&self, client_id: &str, params: Params) -> HttpResponse {
        self.state().stats.revocations += 1;
        let token = param(&params, "token").unwrap_or_default();
        let revoked = self.revoke(token, Some(client_id));
        self.0.hooks.on_event(&Event::Revoked { revoked });
        no_store(HttpResponse::Ok().finish())
    }
}
