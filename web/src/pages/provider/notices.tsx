import type { Ref } from 'react';
import { describeError } from '../../components/ErrorNotice';
import { describeOAuthError } from '../../oauth/messages';
import type { OAuthFlowState } from '../../oauth/useOAuthFlow';

type Tone = 'info' | 'success' | 'error' | 'neutral';

/** An outcome shown under the connection card (an OAuth result, a disconnect). */
export interface Notice {
  id: string;
  tone: Tone;
  title: string;
  body?: string;
  actions?: { label: string; onClick: () => void }[];
}

/** What the OAuth flow's state says, in words (null while idle). */
export function oauthNotice(
  name: string,
  state: OAuthFlowState,
  actions: { reopen: () => void; cancel: () => void },
): Notice | null {
  switch (state.phase) {
    case 'idle':
      return null;
    case 'connecting':
      return {
        id: 'connecting',
        tone: 'info',
        title: 'Connecting…',
        body: `Finish signing in to ${name} in its window. Lost it behind this page?`,
        actions: [
          { label: `Reopen the ${name} window`, onClick: actions.reopen },
          { label: 'Cancel', onClick: actions.cancel },
        ],
      };
    case 'redirecting':
      return { id: 'redirecting', tone: 'info', title: `Taking you to ${name}…` };
    case 'cancelled':
      return {
        id: 'cancelled',
        tone: 'neutral',
        title: 'Connection cancelled',
        body: `The ${name} window was closed before the connection finished. Nothing was connected.`,
      };
    case 'start_failed':
      return {
        id: 'start_failed',
        tone: 'error',
        title: 'Could not start connecting',
        body: describeError(state.error, name),
      };
    case 'done':
      if (state.result.result === 'success') {
        return { id: `success-${state.result.account_id ?? ''}`, tone: 'success', title: `${name} connected` };
      }
      if (state.result.error === 'access_denied') {
        return {
          id: 'denied',
          tone: 'neutral',
          title: `${name} was not connected`,
          body: 'You chose not to give access, so nothing was shared. Connect whenever you are ready.',
        };
      }
      return {
        id: `error-${state.result.error ?? ''}`,
        tone: 'error',
        title: `Could not connect ${name}`,
        body: describeOAuthError(state.result.error, state.result.error_description, name),
      };
  }
}

/** The notice itself, inside a polite live region; its heading takes focus when an outcome arrives. */
export function NoticeArea({ notice, headingRef }: { notice: Notice | null; headingRef: Ref<HTMLHeadingElement> }) {
  return (
    <div className="live-region" aria-live="polite" aria-atomic="true">
      {notice && (
        <div className={`notice notice--${notice.tone}`} data-testid="oauth-notice">
          <h2 className="notice__title" ref={headingRef} tabIndex={-1}>
            {notice.title}
          </h2>
          {notice.body && <p className="notice__body">{notice.body}</p>}
          {notice.actions && (
            <div className="notice__actions">
              {notice.actions.map((action) => (
                <button key={action.label} type="button" className="btn btn--secondary" onClick={action.onClick}>
                  {action.label}
                </button>
              ))}
            </div>
          )}
        </div>
      )}
    </div>
  );
}
