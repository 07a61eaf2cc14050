import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import { isApiError } from '../api/client';
import { disconnect, getConnectionStatus } from '../api/integrations';
import type { IntegrationItem, IntegrationStatus } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ProviderLogo } from '../components/ProviderLogo';
import { StatusBadge } from '../components/StatusBadge';
import { useIntegrations } from '../hooks/integrationsContext';
import { useContacts, useCountdown } from '../hooks/useContacts';
import { describeOAuthError } from '../oauth/messages';
import { useOAuthFlow, type OAuthFlowState } from '../oauth/useOAuthFlow';
import { useDocumentTitle } from '../useDocumentTitle';
import type { OAuthLocationState } from './OAuthCallback';

const PROVIDER = 'hubspot';

type Connection =
  | { kind: 'loading' }
  | { kind: 'not_connected' }
  | { kind: 'connected'; accountId: string; scopes: string[]; expiresAt: string | null }
  | { kind: 'reauth' }
  | { kind: 'error' };

type Tone = 'info' | 'success' | 'error' | 'neutral';

interface Notice {
  id: string;
  tone: Tone;
  title: string;
  body?: string;
  action?: { label: string; onClick: () => void };
}

function formatDate(iso: string | null): string | null {
  if (!iso) return null;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function contactName(item: IntegrationItem): string {
  const { firstname, lastname } = item.properties;
  const fromParts = [firstname, lastname].filter(Boolean).join(' ');
  return item.title || fromParts || '(no name)';
}

function oauthNotice(state: OAuthFlowState, actions: { start: () => void; cancel: () => void }): Notice | null {
  switch (state.phase) {
    case 'idle':
      return null;
    case 'connecting':
      return {
        id: 'connecting',
        tone: 'info',
        title: 'Connecting…',
        body: 'Finish signing in to HubSpot in the popup window.',
        action: { label: 'Cancel', onClick: actions.cancel },
      };
    case 'redirecting':
      return { id: 'redirecting', tone: 'info', title: 'Redirecting to HubSpot…' };
    case 'cancelled':
      return {
        id: 'cancelled',
        tone: 'neutral',
        title: 'Connection cancelled',
        body: 'The HubSpot window was closed before the connection finished.',
        action: { label: 'Try again', onClick: actions.start },
      };
    case 'start_failed':
      return {
        id: 'start_failed',
        tone: 'error',
        title: 'Could not start connecting',
        body:
          state.error?.code === 'rate_limited'
            ? 'Too many attempts. Wait a moment, then try again.'
            : 'The server could not be reached — try again later.',
        action: { label: 'Try again', onClick: actions.start },
      };
    case 'done':
      if (state.result.result === 'success') {
        return {
          id: `success-${state.result.account_id ?? ''}`,
          tone: 'success',
          title: 'HubSpot connected',
          body: state.result.account_id
            ? `Connected to HubSpot account ${state.result.account_id}.`
            : 'Your HubSpot account is connected.',
        };
      }
      return {
        id: `error-${state.result.error ?? ''}`,
        tone: 'error',
        title: 'Could not connect HubSpot',
        body: describeOAuthError(state.result.error, state.result.error_description),
        action: { label: 'Try again', onClick: actions.start },
      };
  }
}

function ButtonBusy({ label }: { label: string }) {
  return (
    <>
      <span className="spinner spinner--sm" aria-hidden="true" />
      {label}
    </>
  );
}

function RetryCountdown({ at }: { at: number }) {
  const seconds = useCountdown(at) ?? 0;
  return <>{`Rate limited — retrying in ${seconds} s`}</>;
}

export function HubspotIntegration() {
  useDocumentTitle('HubSpot');
  const location = useLocation();
  const navigate = useNavigate();
  const integrations = useIntegrations();
  const [initialResult] = useState(() => (location.state as OAuthLocationState | null)?.oauthResult ?? null);

  const [connection, setConnection] = useState<Connection>({ kind: 'loading' });
  const [statusRequest, setStatusRequest] = useState(0);
  const [confirming, setConfirming] = useState(false);
  const [disconnecting, setDisconnecting] = useState(false);
  const [localNotice, setLocalNotice] = useState<Notice | null>(null);

  const noticeHeadingRef = useRef<HTMLHeadingElement>(null);
  const disconnectButtonRef = useRef<HTMLButtonElement>(null);

  const { reload: reloadIntegrations } = integrations;
  const contacts = useContacts(PROVIDER);
  const { load: loadContacts, clear: clearContacts } = contacts;

  const refresh = useCallback(() => {
    setStatusRequest((n) => n + 1);
  }, []);

  const onResult = useCallback(
    (result: { result: 'success' | 'error' }) => {
      if (result.result === 'success') {
        refresh();
        reloadIntegrations();
      }
    },
    [refresh, reloadIntegrations],
  );

  const oauth = useOAuthFlow(PROVIDER, { initialResult, onResult });
  const { start: startOAuth, cancel: cancelOAuth } = oauth;

  /** Reload everything; old outcome messages no longer apply. */
  const refreshData = () => {
    oauth.reset();
    setLocalNotice(null);
    refresh();
    reloadIntegrations();
  };

  const connect = useCallback(() => {
    setLocalNotice(null);
    startOAuth();
  }, [startOAuth]);

  // A result carried over from the full-page redirect is shown once, not on every reload.
  useEffect(() => {
    if (initialResult) navigate(location.pathname, { replace: true, state: null });
  }, [initialResult, navigate, location.pathname]);

  // Connection status, and the first page of contacts when connected.
  useEffect(() => {
    const controller = new AbortController();
    getConnectionStatus(PROVIDER, controller.signal).then(
      (status) => {
        if (status.connected) {
          setConnection({
            kind: 'connected',
            accountId: status.account_id,
            scopes: status.scopes ?? [],
            expiresAt: status.expires_at ?? null,
          });
          loadContacts();
        } else {
          setConnection({ kind: 'not_connected' });
          clearContacts();
        }
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        if (isApiError(error) && error.needsReauth) setConnection({ kind: 'reauth' });
        else if (isApiError(error) && error.code === 'not_connected') setConnection({ kind: 'not_connected' });
        else setConnection({ kind: 'error' });
      },
    );
    return () => controller.abort();
  }, [statusRequest, loadContacts, clearContacts]);

  const listStatus = integrations.data?.integrations.find((i) => i.id === PROVIDER)?.status;
  const needsReauth =
    connection.kind === 'reauth' ||
    (connection.kind === 'connected' && contacts.state.status === 'reauth') ||
    (connection.kind === 'not_connected' && listStatus === 'reauth_required');
  const isConnected = connection.kind === 'connected' && contacts.state.status !== 'not_connected';

  const badge: IntegrationStatus | null = needsReauth
    ? 'reauth_required'
    : isConnected
      ? 'connected'
      : connection.kind === 'not_connected' || contacts.state.status === 'not_connected'
        ? 'not_connected'
        : null;

  const notice =
    oauth.state.phase === 'idle'
      ? localNotice
      : oauthNotice(oauth.state, { start: connect, cancel: cancelOAuth });
  const connecting = oauth.state.phase === 'connecting' || oauth.state.phase === 'redirecting';

  // Move focus to the outcome when one arrives, so keyboard and screen reader users land on it.
  const noticeId = notice?.id ?? null;
  useEffect(() => {
    if (noticeId && noticeId !== 'connecting' && noticeId !== 'redirecting') noticeHeadingRef.current?.focus();
  }, [noticeId]);

  const confirmDisconnect = async () => {
    setDisconnecting(true);
    try {
      await disconnect(PROVIDER);
      setConfirming(false);
      oauth.reset();
      clearContacts();
      setConnection({ kind: 'not_connected' });
      setLocalNotice({
        id: `disconnected-${Date.now()}`,
        tone: 'neutral',
        title: 'HubSpot disconnected',
        body: 'VectorShift no longer has access to your HubSpot account.',
      });
      reloadIntegrations();
    } catch (error) {
      setConfirming(false);
      setLocalNotice({
        id: `disconnect-failed-${Date.now()}`,
        tone: 'error',
        title: 'Could not disconnect — try again later',
        body: isApiError(error) && error.detail ? error.detail : undefined,
      });
    } finally {
      setDisconnecting(false);
    }
  };

  const cancelDisconnect = () => {
    setConfirming(false);
    disconnectButtonRef.current?.focus();
  };

  return (
    <div className="page">
      <Link className="back-link" to="/integrations">
        ← All integrations
      </Link>

      <section className="card provider" aria-labelledby="provider-title">
        <div className="provider__head">
          <ProviderLogo id={PROVIDER} name="HubSpot" size={52} />
          <div className="provider__titles">
            <div className="provider__title-row">
              <h1 id="provider-title" className="provider__title">
                HubSpot
              </h1>
              {badge && <StatusBadge status={badge} />}
            </div>
            <p className="provider__desc">Sync contacts from your HubSpot CRM into VectorShift.</p>
          </div>
          <div className="provider__actions">
            {connection.kind === 'loading' && <span className="muted">Checking connection…</span>}
            {(connection.kind === 'not_connected' || contacts.state.status === 'not_connected') && !needsReauth && (
              <button type="button" className="btn btn--primary" onClick={connect} disabled={connecting}>
                {connecting ? <ButtonBusy label="Connecting…" /> : 'Connect HubSpot'}
              </button>
            )}
            {(isConnected || needsReauth) && (
              <>
                {isConnected && !needsReauth && (
                  <button
                    type="button"
                    className="btn btn--secondary"
                    onClick={refreshData}
                    disabled={contacts.state.status === 'loading'}
                  >
                    Refresh
                  </button>
                )}
                <button
                  ref={disconnectButtonRef}
                  type="button"
                  className="btn btn--danger-outline"
                  onClick={() => setConfirming(true)}
                >
                  Disconnect
                </button>
              </>
            )}
          </div>
        </div>

        {connection.kind === 'connected' && (
          <dl className="provider__details">
            <div>
              <dt>Account</dt>
              <dd>{connection.accountId}</dd>
            </div>
            {connection.scopes.length > 0 && (
              <div>
                <dt>Permissions</dt>
                <dd>
                  {connection.scopes.map((scope) => (
                    <code key={scope} className="scope">
                      {scope}
                    </code>
                  ))}
                </dd>
              </div>
            )}
            {formatDate(connection.expiresAt) && (
              <div>
                <dt>Access renews</dt>
                <dd>{formatDate(connection.expiresAt)}</dd>
              </div>
            )}
          </dl>
        )}

        {connection.kind === 'error' && <LoadFailed heading="h2" onRetry={refresh} />}
      </section>

      <div className="live-region" aria-live="polite" aria-atomic="true">
        {notice && (
          <div className={`notice notice--${notice.tone}`} data-testid="oauth-notice">
            <h2 className="notice__title" ref={noticeHeadingRef} tabIndex={-1}>
              {notice.title}
            </h2>
            {notice.body && <p className="notice__body">{notice.body}</p>}
            {notice.action && (
              <div className="notice__actions">
                <button type="button" className="btn btn--secondary" onClick={notice.action.onClick}>
                  {notice.action.label}
                </button>
              </div>
            )}
          </div>
        )}
      </div>

      {needsReauth && (
        <section className="card reauth" aria-labelledby="reauth-title">
          <h2 id="reauth-title" className="section__title">
            HubSpot needs to be reconnected
          </h2>
          <p className="muted">
            The authorization for HubSpot expired or was revoked. Reconnect to keep syncing your contacts.
          </p>
          <button type="button" className="btn btn--primary" onClick={connect} disabled={connecting}>
            {connecting ? <ButtonBusy label="Connecting…" /> : 'Reconnect HubSpot'}
          </button>
        </section>
      )}

      {isConnected && !needsReauth && (
        <ContactsSection
          state={contacts.state}
          onLoadMore={contacts.loadMore}
          onRetry={contacts.retry}
        />
      )}

      {confirming && (
        <ConfirmDialog
          title="Disconnect HubSpot?"
          confirmLabel="Disconnect"
          busyLabel="Disconnecting…"
          busy={disconnecting}
          onConfirm={() => void confirmDisconnect()}
          onCancel={cancelDisconnect}
        >
          <p>
            VectorShift will stop syncing contacts and forget the stored HubSpot authorization. You can connect again
            at any time.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function ContactsSection({
  state,
  onLoadMore,
  onRetry,
}: {
  state: ReturnType<typeof useContacts>['state'];
  onLoadMore: () => void;
  onRetry: () => void;
}) {
  const { status, items, nextCursor, retryAt } = state;
  const loadingFirst = status === 'loading' || status === 'idle';
  const hasItems = items.length > 0;

  return (
    <section className="card contacts" aria-labelledby="contacts-title" aria-busy={loadingFirst}>
      <div className="section__head">
        <h2 id="contacts-title" className="section__title">
          Contacts
        </h2>
      </div>

      {loadingFirst && (
        <div className="loading" role="status">
          <span className="spinner" aria-hidden="true" />
          Loading data…
        </div>
      )}

      {status === 'error' && <LoadFailed heading="h3" onRetry={onRetry} />}

      {status === 'rate_limited' && retryAt !== null && (
        <div className="notice notice--warning" role="status">
          <h3 className="notice__title">
            <RetryCountdown key={retryAt} at={retryAt} />
          </h3>
          <p className="notice__body">HubSpot asked us to slow down. Your contacts will load automatically.</p>
        </div>
      )}

      {status === 'ready' && !hasItems && (
        <div className="empty-state">
          <h3 className="empty-state__title">No contacts yet</h3>
          <p className="muted">Contacts you add in HubSpot will show up here.</p>
        </div>
      )}

      {hasItems && (
        <>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">
                    <span className="visually-hidden">Link</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <tr key={item.id}>
                    <td data-label="Name" className="table__name">
                      <span className="contact-name">
                        <span className="avatar" aria-hidden="true">
                          {contactName(item).charAt(0).toUpperCase()}
                        </span>
                        {contactName(item)}
                      </span>
                    </td>
                    <td data-label="Email" className="table__email">
                      {item.properties.email ?? <span className="muted">—</span>}
                    </td>
                    <td className="table__link">
                      {item.url && (
                        <a href={item.url} target="_blank" rel="noopener noreferrer">
                          Open in HubSpot
                          <span className="visually-hidden"> ({contactName(item)}, opens in a new tab)</span>
                        </a>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="contacts__footer">
            <span className="muted" role="status">
              Showing {items.length} contact{items.length === 1 ? '' : 's'}
            </span>
            {nextCursor !== null && (
              <button
                type="button"
                className="btn btn--secondary"
                onClick={onLoadMore}
                disabled={status === 'loading_more' || status === 'rate_limited'}
              >
                {status === 'loading_more' ? <ButtonBusy label="Loading…" /> : 'Load more'}
              </button>
            )}
          </div>
        </>
      )}
    </section>
  );
}

/** The generic "could not load" notice with a retry, at the heading level of its section. */
function LoadFailed({ heading: Heading, onRetry }: { heading: 'h2' | 'h3'; onRetry: () => void }) {
  return (
    <div className="notice notice--error">
      <Heading className="notice__title">Could not load data — try again later</Heading>
      <div className="notice__actions">
        <button type="button" className="btn btn--secondary" onClick={onRetry}>
          Try again
        </button>
      </div>
    </div>
  );
}
