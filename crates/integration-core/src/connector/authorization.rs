//! The OAuth authorization-code flow and the connection's life: start, callback, connect,
//! status, disconnect. Apart from the provider calls, because a callback is untrusted input: it
//! is checked (provider, browser binding, user) before the one-time state is consumed, and a
//! replaced grant is revoked at the provider.

use chrono::Utc;
use secrecy::ExposeSecret as _;

use super::{ConnectionInfo, Connector, info, record};
use crate::{
    AuthorizationCode, AuthorizationError, AuthorizationRequest, AuthorizationStart,
    BrowserBinding, CallbackContext, CallbackParams, Credentials, Error, OAuthState,
    PendingAuthorization, PkceVerifier, StoreError, UserId,
};

impl Connector {
    /// Starts the authorization-code flow for `user`: remembers a fresh one-time state (bound to a
    /// new [`BrowserBinding`], with a PKCE verifier when the provider supports it) and returns the
    /// consent URL. Hand `binding` to the browser that will visit the URL, and to no one else.
    pub async fn begin_authorization(
        &self,
        user: &UserId,
        redirect_uri: &str,
    ) -> Result<AuthorizationStart, Error> {
        self.begin_authorization_for(user, redirect_uri, None).await
    }

    /// [`begin_authorization`](Self::begin_authorization), with a consent that also asks for
    /// the scopes of `object_type` (one of the provider's object types): how a connection whose
    /// grant lacks a kind gains it ("Enable Companies"). An object type the provider does not
    /// offer is [`Error::InvalidInput`], refused before any state is stored.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn begin_authorization_for(
        &self,
        user: &UserId,
        redirect_uri: &str,
        object_type: Option<&str>,
    ) -> Result<AuthorizationStart, Error> {
        let scopes = self.kind_scopes(object_type)?;
        // Any one of a kind's scopes reads it; the first is the one to ask for.
        let extra_scopes: &[&str] = match object_type {
            None => &[],
            Some(_) => scopes.get(..1).unwrap_or_default(),
        };
        let state = OAuthState::generate();
        let binding = BrowserBinding::generate();
        let verifier = self
            .integration
            .supports_pkce()
            .then(PkceVerifier::generate);
        let challenge = verifier.as_ref().map(PkceVerifier::challenge);
        let url = self.integration.authorization_url(&AuthorizationRequest {
            state: &state,
            redirect_uri,
            pkce_challenge: challenge.as_ref(),
            extra_scopes,
        })?;
        let pending = PendingAuthorization {
            user_id: user.clone(),
            provider: self.integration.id().to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            binding_hash: binding.hash(),
            pkce_verifier: verifier,
            created_at: Utc::now(),
        };
        self.store
            .put_state(
                &state,
                &pending,
                self.options.state_ttl,
                self.options.pending_per_user,
            )
            .await?;
        Ok(AuthorizationStart {
            url,
            state,
            binding,
            expires_in: self.options.state_ttl,
        })
    }

    /// Finishes the flow when the provider sends the browser back: checks the state was issued
    /// by this provider to the browser presenting `context.binding` (and to `context.user`, when
    /// known), and only then consumes it (a state works once, whatever happens next; a callback
    /// refused by those checks leaves it to its own browser, unless it carried a code from the
    /// wrong browser, which ends the flow), exchanges the code and stores the credentials for
    /// the user who started the flow. A previous grant of that user is replaced
    /// and revoked at the provider (best effort).
    #[tracing::instrument(skip_all, fields(provider = self.integration.id()))]
    pub async fn finish_authorization(
        &self,
        params: CallbackParams,
        context: CallbackContext<'_>,
    ) -> Result<(UserId, ConnectionInfo), AuthorizationError> {
        const GONE: &str = "the state is unknown, expired or already used";
        let state = params
            .state
            .as_deref()
            .ok_or(AuthorizationError::InvalidState(
                "the callback carries no state",
            ))
            .and_then(|raw| {
                OAuthState::parse(raw)
                    .map_err(|_| AuthorizationError::InvalidState("the state is malformed"))
            })?;
        // Checked before consuming: whoever merely holds a state (it travels in URLs) cannot
        // burn the flow of the browser that started it.
        let pending = self
            .store
            .peek_state(&state)
            .await?
            .ok_or(AuthorizationError::InvalidState(GONE))?;
        if pending.provider != self.integration.id() {
            return Err(AuthorizationError::InvalidState(
                "the state was issued for another integration",
            ));
        }
        if !context.binding.is_some_and(|b| pending.bound_to(b)) {
            // A provider's answer (a code) in the wrong browser means the consent page was
            // opened by someone other than who started the flow — the classic way to link a
            // victim's account to an attacker's flow. That flow is ended, so its code can never
            // be redeemed, not even by replaying this URL in the starting browser. A callback
            // without a code (a bare or forged link) ends nothing.
            if params.code.is_some() {
                self.store.take_state(&state).await?;
            }
            tracing::warn!("callback from a browser that did not start the flow; refused");
            return Err(AuthorizationError::InvalidState(
                "this sign-in was started in another browser (or its cookie expired); start again from the app",
            ));
        }
        if context.user.is_some_and(|user| *user != pending.user_id) {
            return Err(AuthorizationError::InvalidState(
                "the state was issued to another user",
            ));
        }
        // Now consume it, atomically: of two callbacks racing past the checks, one wins. A
        // state is never rewritten, so what is taken is what was checked; compared again anyway.
        let pending = self
            .store
            .take_state(&state)
            .await?
            .filter(|taken| {
                taken.provider == pending.provider
                    && taken.user_id == pending.user_id
                    && context.binding.is_some_and(|b| taken.bound_to(b))
            })
            .ok_or(AuthorizationError::InvalidState(GONE))?;
        if let Some(error) = params.error {
            let description = params
                .error_description
                .filter(|d| !d.trim().is_empty())
                .map(|d| d.chars().take(300).collect())
                .unwrap_or_else(|| format!("The provider reported '{error}'."));
            return Err(if error == "access_denied" {
                AuthorizationError::Denied { description }
            } else {
                AuthorizationError::ProviderError {
                    error: error.chars().take(64).collect(),
                    description,
                }
            });
        }
        let code = params
            .code
            .as_deref()
            .ok_or_else(|| {
                AuthorizationError::InvalidRequest("the callback carries no code".into())
            })
            .and_then(|raw| {
                AuthorizationCode::parse(raw)
                    .map_err(|e| AuthorizationError::InvalidRequest(e.to_string()))
            })?;
        let user = pending.user_id.clone();
        let info = self
            .connect(
                &user,
                &code,
                &pending.redirect_uri,
                pending.pkce_verifier.as_ref(),
            )
            .await
            .map_err(AuthorizationError::Exchange)?;
        Ok((user, info))
    }

    /// Exchanges `code` and stores the credentials for `user`, replacing (and revoking, best
    /// effort) any previous grant. Prefer [`finish_authorization`](Self::finish_authorization),
    /// which also checks the state; call this only when you have checked it yourself.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn connect(
        &self,
        user: &UserId,
        code: &AuthorizationCode,
        redirect_uri: &str,
        pkce_verifier: Option<&PkceVerifier>,
    ) -> Result<ConnectionInfo, Error> {
        // Not retried: a code is single-use, and a retry after a lost response would fail anyway.
        let exchanged = self
            .within_deadline(
                self.integration
                    .exchange_code(code, redirect_uri, pkce_verifier),
            )
            .await;
        record(self.integration.id(), "exchange_code", &exchanged);
        let credentials = exchanged?;
        let previous = match self.store.load(self.integration.id(), user).await {
            Ok(previous) => previous,
            // Unreadable: it is being replaced anyway.
            Err(StoreError::Corrupt(_)) => None,
            Err(error) => return Err(error.into()),
        };
        self.store
            .save(self.integration.id(), user, &credentials)
            .await?;
        tracing::info!(account = ?credentials.account_id, "connected");
        // A new grant may see kinds and fields the old one could not.
        self.forget_discovery(&credentials, user).await;
        if let Some(previous) = previous
            && previous.access_token.expose_secret() != credentials.access_token.expose_secret()
            && previous.refresh_token.as_ref().map(|t| t.expose_secret())
                != credentials
                    .refresh_token
                    .as_ref()
                    .map(|t| t.expose_secret())
        {
            // The replaced grant would otherwise stay valid at the provider, unused.
            if let Err(error) = self.integration.revoke(&previous).await {
                tracing::warn!(%error, "revoking the replaced grant failed");
            }
        }
        Ok(info(self.integration.as_ref(), &credentials))
    }

    /// The user's connection, if any. A stored credential that no longer decrypts is forgotten
    /// and reported as needing reconnection (see [`needs_reconnect`](Self::needs_reconnect)).
    pub async fn status(&self, user: &UserId) -> Result<Option<ConnectionInfo>, Error> {
        match self.load(user).await {
            Ok(stored) => Ok(stored.as_ref().map(|c| info(self.integration.as_ref(), c))),
            Err(Error::ReauthRequired { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The stored credentials; an unreadable value (wrong key, tampering, old format) is logged
    /// once, forgotten and turned into [`Error::ReauthRequired`], so the user can reconnect
    /// instead of failing on every request.
    pub(super) async fn load(&self, user: &UserId) -> Result<Option<Credentials>, Error> {
        let provider = self.integration.id();
        match self.store.load(provider, user).await {
            Ok(stored) => Ok(stored),
            Err(StoreError::Corrupt(why)) => {
                tracing::error!(%why, "stored credentials are unreadable; the user must reconnect");
                self.store.mark_reauth_required(provider, user).await?;
                Err(Error::ReauthRequired {
                    reason: "the stored connection could not be read; reconnect".into(),
                })
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Whether the user's grant was rejected by the provider and they have not reconnected since
    /// (the UI says "needs reconnect" rather than "not connected").
    pub async fn needs_reconnect(&self, user: &UserId) -> Result<bool, Error> {
        Ok(self
            .store
            .reauth_required(self.integration.id(), user)
            .await?)
    }

    /// Revokes the grant at the provider (best effort) and forgets it. `false` if there was none.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn disconnect(&self, user: &UserId) -> Result<bool, Error> {
        let credentials = match self.store.load(self.integration.id(), user).await {
            Ok(Some(credentials)) => credentials,
            Ok(None) => return Ok(false),
            // Nothing to revoke with, but the user still wants it gone.
            Err(StoreError::Corrupt(_)) => {
                return Ok(self.store.delete(self.integration.id(), user).await?);
            }
            Err(error) => return Err(error.into()),
        };
        if let Err(error) = self
            .within_deadline(self.integration.revoke(&credentials))
            .await
        {
            // The user asked to disconnect; an unreachable provider must not keep our copy alive.
            tracing::warn!(%error, "revoking at the provider failed; deleting our copy anyway");
        }
        Ok(self.store.delete(self.integration.id(), user).await?)
    }
}
