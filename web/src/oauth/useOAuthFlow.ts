/**
 * Runs the OAuth consent flow in a popup, falling back to a full-page redirect when the
 * browser blocks popups.
 *
 * The popup is opened synchronously inside the click handler (blank first, then pointed at
 * the consent page once the server gave us its URL): opening it after an `await` would get
 * it blocked by most browsers.
 *
 * `start(objectType)` asks the consent for that kind's scope too (a kind the first grant left
 * out); Reopen, when the popup is gone, starts over for the same kind.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { isApiError, type ApiError } from '../api/client';
import { getAuthorizeUrl } from '../api/integrations';
import { browser } from '../browser';
import {
  isOAuthResultMessage,
  OAUTH_CHANNEL_NAME,
  POPUP_NAME_PREFIX,
  type OAuthResultMessage,
} from './messages';

export type OAuthFlowState =
  | { phase: 'idle' }
  | { phase: 'connecting' }
  | { phase: 'redirecting' }
  | { phase: 'cancelled' }
  | { phase: 'start_failed'; error: ApiError | null }
  | { phase: 'done'; result: OAuthResultMessage };

const POPUP_WIDTH = 600;
const POPUP_HEIGHT = 720;
const POLL_MS = 400;
/** After the popup closes, wait this long for a result message still in flight. */
const CLOSE_GRACE_MS = 800;

function popupFeatures(): string {
  const left = Math.max(0, Math.round(window.screenX + (window.outerWidth - POPUP_WIDTH) / 2));
  const top = Math.max(0, Math.round(window.screenY + (window.outerHeight - POPUP_HEIGHT) / 2));
  return `popup=yes,width=${POPUP_WIDTH},height=${POPUP_HEIGHT},left=${left},top=${top}`;
}

export interface OAuthFlowOptions {
  /** A result that arrived before this page loaded (full-page redirect fallback). */
  initialResult?: OAuthResultMessage | null;
  /** Called once when a popup flow reports its result. */
  onResult?: (result: OAuthResultMessage) => void;
}

export function useOAuthFlow(provider: string, { initialResult = null, onResult }: OAuthFlowOptions = {}) {
  const [state, setState] = useState<OAuthFlowState>(() =>
    initialResult ? { phase: 'done', result: initialResult } : { phase: 'idle' },
  );
  const onResultRef = useRef(onResult);
  useEffect(() => {
    onResultRef.current = onResult;
  }, [onResult]);
  const cleanupRef = useRef<(() => void) | null>(null);
  const popupRef = useRef<Window | null>(null);
  /** The kind the running flow asks for (null: the provider's usual scopes). */
  const objectTypeRef = useRef<string | null>(null);

  const stopListening = useCallback(() => {
    cleanupRef.current?.();
    cleanupRef.current = null;
  }, []);

  useEffect(() => stopListening, [stopListening]);

  const start = useCallback((objectType: string | null = null) => {
    stopListening();
    // Only a string: a handler passed as `onClick={start}` would hand over its event.
    const kind = typeof objectType === 'string' ? objectType : null;
    objectTypeRef.current = kind;
    const popup = window.open('', `${POPUP_NAME_PREFIX}${provider}`, popupFeatures());
    if (!popup) {
      // Popups blocked: this tab goes to the consent page. The URL comes from the API (with
      // the user named by header or bearer token, never in a URL) and the answer sets the
      // cookie that binds the flow to this browser.
      setState({ phase: 'redirecting' });
      getAuthorizeUrl(provider, kind).then(
        (url) => browser.assign(url),
        (error: unknown) => setState({ phase: 'start_failed', error: isApiError(error) ? error : null }),
      );
      return;
    }
    popupRef.current = popup;
    setState({ phase: 'connecting' });
    try {
      popup.document.title = 'Connecting…';
      popup.document.body.style.cssText = 'font:16px system-ui,sans-serif;color:#475467;padding:32px';
      popup.document.body.textContent = 'Opening the sign-in page…';
    } catch {
      // Not a blank same-origin window (or not a real one): nothing to decorate.
    }

    // `settled`: a result (or a failure to start) arrived; nothing more will happen.
    let settled = false;
    let pollTimer: ReturnType<typeof setInterval> | undefined;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    let channel: BroadcastChannel | null = null;

    const finish = (next: OAuthFlowState) => {
      if (settled) return;
      settled = true;
      cleanup();
      setState(next);
    };

    const handleResult = (data: unknown) => {
      if (settled || !isOAuthResultMessage(data) || data.provider !== provider) return;
      try {
        if (!popup.closed) popup.close();
      } catch {
        // Cross-origin or already gone: nothing to do.
      }
      finish({ phase: 'done', result: data });
      onResultRef.current?.(data);
    };

    const onMessage = (event: MessageEvent) => {
      // Only our own callback page (same origin) may report a result.
      if (event.origin !== window.location.origin) return;
      handleResult(event.data);
    };

    function stopTimers() {
      if (pollTimer !== undefined) clearInterval(pollTimer);
      if (graceTimer !== undefined) clearTimeout(graceTimer);
      pollTimer = undefined;
      graceTimer = undefined;
    }

    function cleanup() {
      stopTimers();
      window.removeEventListener('message', onMessage);
      channel?.close();
      channel = null;
    }

    window.addEventListener('message', onMessage);
    if (typeof BroadcastChannel !== 'undefined') {
      channel = new BroadcastChannel(OAUTH_CHANNEL_NAME);
      channel.onmessage = (event: MessageEvent) => handleResult(event.data);
    }
    pollTimer = setInterval(() => {
      if (!popup.closed) return;
      stopTimers();
      // The popup is gone without a result: the user closed it. Keep listening though:
      // a provider page with a strict opener policy makes the popup look closed while the
      // user is still signing in, and its result then arrives on the broadcast channel.
      graceTimer = setTimeout(() => {
        if (!settled) setState({ phase: 'cancelled' });
      }, CLOSE_GRACE_MS);
    }, POLL_MS);

    cleanupRef.current = () => {
      settled = true;
      cleanup();
    };

    getAuthorizeUrl(provider, kind).then(
      (url) => {
        if (settled || popup.closed) return;
        popup.location.href = url;
      },
      (error: unknown) => {
        try {
          popup.close();
        } catch {
          // ignore
        }
        finish({ phase: 'start_failed', error: isApiError(error) ? error : null });
      },
    );
  }, [provider, stopListening]);

  /** Abandon a running flow (the user pressed Cancel) and close its popup. */
  const cancel = useCallback(() => {
    stopListening();
    try {
      popupRef.current?.close();
    } catch {
      // ignore
    }
    popupRef.current = null;
    setState({ phase: 'cancelled' });
  }, [stopListening]);

  /** Bring the consent window to the front again (it may be hidden behind this one). */
  const reopen = useCallback(() => {
    const popup = popupRef.current;
    if (popup && !popup.closed) {
      try {
        popup.focus();
        return;
      } catch {
        // fall through: start over
      }
    }
    start(objectTypeRef.current);
  }, [start]);

  const reset = useCallback(() => {
    stopListening();
    setState({ phase: 'idle' });
  }, [stopListening]);

  return { state, start, cancel, reset, reopen };
}
