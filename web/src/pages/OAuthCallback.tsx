import { useEffect, useMemo } from 'react';
import { useLocation, useNavigate, useParams } from 'react-router-dom';
import {
  OAUTH_CHANNEL_NAME,
  POPUP_NAME_PREFIX,
  resultFromSearchParams,
  type OAuthResultMessage,
} from '../oauth/messages';

export interface OAuthLocationState {
  oauthResult: OAuthResultMessage;
}

/**
 * Where the server's OAuth callback sends the browser. In the popup, hand the result to
 * the window that opened it and close; after a full-page redirect, go back to the
 * integration page and show the result there.
 */
export function OAuthCallback() {
  const { provider = '' } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const message = useMemo(
    () => resultFromSearchParams(provider, new URLSearchParams(location.search)),
    [provider, location.search],
  );
  const inPopup = Boolean(window.opener) || window.name.startsWith(POPUP_NAME_PREFIX);

  useEffect(() => {
    if (inPopup) {
      const opener = window.opener as Window | null;
      try {
        opener?.postMessage(message, window.location.origin);
      } catch {
        // The opener is gone; the channel below still reaches it if it is open.
      }
      if (typeof BroadcastChannel !== 'undefined') {
        const channel = new BroadcastChannel(OAUTH_CHANNEL_NAME);
        channel.postMessage(message);
        channel.close();
      }
      window.close();
      return;
    }
    const state: OAuthLocationState = { oauthResult: message };
    navigate(`/integrations/${encodeURIComponent(provider)}`, { replace: true, state });
  }, [inPopup, message, navigate, provider]);

  return (
    <main className="callback" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <p>{message.result === 'success' ? 'Connected. You can close this window.' : 'Finishing up…'}</p>
    </main>
  );
}
