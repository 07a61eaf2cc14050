import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import { isApiError, type ApiError } from '../api/client';
import { disconnect } from '../api/integrations';
import type { ConnectionStatus, IntegrationStatus } from '../api/models';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ContactsTable } from '../components/ContactsTable';
import { describeError, ErrorNotice, errorTitle } from '../components/ErrorNotice';
import { ProviderLogo } from '../components/ProviderLogo';
import { StatusBadge } from '../components/StatusBadge';
import { useConnectionStatus, useIntegrations, useInvalidateConnection } from '../hooks/queries';
import { useContacts, useCountdown, type ContactsState } from '../hooks/useContacts';
import { describeOAuthError } from '../oauth/messages';
import { useOAuthFlow, type OAuthFlowState } from '../oauth/useOAuthFlow';
import { useDocumentTitle } from '../useDocumentTitle';
import type { OAuthLocationState } from './OAuthCallback';

const PROVIDER = 'hubspot';
/** The success notice goes away by itself after this long. */
export const SUCCESS_NOTICE_MS = 6_000;

type View = 'loading' | 'not_connected' | 'connected' | 'reauth' | 'error';

type Tone = 'info' | 'success' | 'error' | 'neutral';

interface Notice {
  id: string;
  tone: Tone;
  title: string;
  body?: string;
  actions?: { label: string; onClick: () => void }[];
}

/** HubSpot scopes in words. Unknown ones are shown as they are. */
const PERMISSIONS: Record<string, string> = {
  'crm.objects.contacts.read': 'Read your contacts',
  'crm.objects.companies.read': 'Read your companies',
  'crm.objects.deals.read': 'Read your deals',
  'crm.schemas.contacts.read': 'Read how your contacts are set up (properties)',
  oauth: 'Know which HubSpot account and user connected',
};

export function describeScopes(scopes: readonly string[]): string[] {
  const words = scopes.map((scope) => PERMISSIONS[scope] ?? `Other: ${scope}`);
  return [...new Set(words)];
}

function oauthNotice(state: OAuthFlowState, actions: { reopen: () => void; cancel: () => void }): Notice | null {
  switch (state.phase) {
    case 'idle':
      return null;
    case 'connecting':
      return {
        id: 'connecting',
        tone: 'info',
        title: 'Connecting…',
        body: 'Finish signing in to HubSpot in its window. Lost it behind this page?',
        actions: [
          { label: 'Reopen the HubSpot window', onClick: actions.reopen },
          { label: 'Cancel', onClick: actions.cancel },
        ],
      };
    case 'redirecting':
      return { id: 'redirecting', tone: 'info', title: 'Taking you to HubSpot…' };
    case 'cancelled':
      return {
        id: 'cancelled',
        tone: 'neutral',
        title: 'Connection cancelled',
        body: 'The HubSpot window was closed before the connection finished. Nothing was connected.',
      };
    case 'start_failed':
      return {
        id: 'start_failed',
        tone: 'error',
        title: 'Could not start connecting',
        body: describeError(state.error),
      };
    case 'done':
      if (state.result.result === 'success') {
        return { id: `success-${state.result.account_id ?? ''}`, tone: 'success', title: 'HubSpot connected' };
      }
      if (state.result.error === 'access_denied') {
        return {
          id: 'denied',
          tone: 'neutral',
          title: 'HubSpot was not connected',
          body: 'You chose not to give access, so nothing was shared. Connect whenever you are ready.',
        };
      }
      return {
        id: `error-${state.result.error ?? ''}`,
        tone: 'error',
        title: 'Could not connect HubSpot',
        body: describeOAuthError(state.result.error, state.result.error_description),
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

function viewOf(
  status: ReturnType<typeof useConnectionStatus>,
  listStatus: string | undefined,
  contactsError: ApiError | null,
): View {
  if (status.error) {
    if (status.error.needsReauth) return 'reauth';
    if (status.error.code === 'not_connected') return 'not_connected';
    return 'error';
  }
  if (!status.data) return 'loading';
  // Newer servers say `status: reauth_required` here directly; older ones only in the list.
  const reauth = status.data.status === 'reauth_required' || listStatus === 'reauth_required';
  if (!status.data.connected) return reauth ? 'reauth' : 'not_connected';
  if (reauth || contactsError?.needsReauth) return 'reauth';
  if (contactsError?.code === 'not_connected') return 'not_connected';
  return 'connected';
}

export function HubspotIntegration() {
  useDocumentTitle('HubSpot');
  const location = useLocation();
  const navigate = useNavigate();
  const integrations = useIntegrations();
  const status = useConnectionStatus(PROVIDER);
  const invalidate = useInvalidateConnection();
  const [initialResult] = useState(() => (location.state as OAuthLocationState | null)?.oauthResult ?? null);

  const [confirming, setConfirming] = useState(false);
  const [disconnecting, setDisconnecting] = useState(false);
  const [localNotice, setLocalNotice] = useState<Notice | null>(null);
  const [disconnectError, setDisconnectError] = useState<ApiError | null>(null);

  const noticeHeadingRef = useRef<HTMLHeadingElement>(null);
  const titleRef = useRef<HTMLHeadingElement>(null);
  const disconnectButtonRef = useRef<HTMLButtonElement>(null);

  const contacts = useContacts(PROVIDER);
  const { load: loadContacts, clear: clearContacts } = contacts;

  const onResult = useCallback(
    (result: { result: 'success' | 'error' }) => {
      invalidate();
      if (result.result === 'success') loadContacts();
    },
    [invalidate, loadContacts],
  );

  const oauth = useOAuthFlow(PROVIDER, { initialResult, onResult });
  const { start: startOAuth, cancel: cancelOAuth, reopen: reopenOAuth, reset: resetOAuth } = oauth;

  const connecting = oauth.state.phase === 'connecting' || oauth.state.phase === 'redirecting';
  const connect = useCallback(() => {
    // The button stays focusable while connecting (aria-disabled), so ignore presses here.
    if (connecting) return;
    setLocalNotice(null);
    startOAuth();
  }, [startOAuth, connecting]);

  // A result carried over from the full-page redirect is shown once, not on every reload.
  useEffect(() => {
    if (initialResult) navigate(location.pathname, { replace: true, state: null });
  }, [initialResult, navigate, location.pathname]);

  const listStatus = integrations.data?.integrations.find((i) => i.id === PROVIDER)?.status;
  const contactsError = contacts.state.failure?.error ?? null;
  const view = viewOf(status, listStatus, contactsError);

  // Contacts load when the server says we are connected, and go when it says we are not.
  const statusConnected = status.data?.connected === true;
  useEffect(() => {
    if (statusConnected) loadContacts();
    else clearContacts();
  }, [statusConnected, loadContacts, clearContacts]);

  // A contacts answer that says the connection changed: tell every screen.
  const contactsSaysChanged = contactsError?.needsReauth === true || contactsError?.code === 'not_connected';
  useEffect(() => {
    if (contactsSaysChanged) invalidate();
  }, [contactsSaysChanged, invalidate]);

  let notice =
    oauth.state.phase === 'idle' ? localNotice : oauthNotice(oauth.state, { reopen: reopenOAuth, cancel: cancelOAuth });
  // A stale "request expired" (e.g. Back to an old consent page) means nothing when we are connected.
  if (oauth.state.phase === 'done' && oauth.state.result.error === 'invalid_state' && view === 'connected') {
    notice = null;
  }
  // Move focus to an outcome when one arrives, so keyboard and screen reader users land on it.
  const noticeId = notice?.id ?? null;
  const noticeTone = notice?.tone ?? null;
  useEffect(() => {
    if (noticeId && noticeId !== 'connecting' && noticeId !== 'redirecting') noticeHeadingRef.current?.focus();
  }, [noticeId]);

  // Success says so, then gets out of the way.
  useEffect(() => {
    if (noticeTone !== 'success') return;
    const timer = setTimeout(() => {
      const hadFocus = noticeHeadingRef.current !== null && document.activeElement === noticeHeadingRef.current;
      resetOAuth();
      setLocalNotice(null);
      if (hadFocus) titleRef.current?.focus();
    }, SUCCESS_NOTICE_MS);
    return () => clearTimeout(timer);
  }, [noticeId, noticeTone, resetOAuth]);

  const refreshAll = () => {
    resetOAuth();
    setLocalNotice(null);
    invalidate();
    if (view === 'connected') contacts.refresh();
  };

  const confirmDisconnect = async () => {
    setDisconnecting(true);
    setDisconnectError(null);
    try {
      await disconnect(PROVIDER);
      setConfirming(false);
      resetOAuth();
      clearContacts();
      setLocalNotice({
        id: `disconnected-${Date.now()}`,
        tone: 'neutral',
        title: 'HubSpot disconnected',
        body: 'VectorShift no longer has access to your HubSpot account.',
      });
      invalidate();
    } catch (error) {
      setConfirming(false);
      setDisconnectError(isApiError(error) ? error : null);
    } finally {
      setDisconnecting(false);
    }
  };

  const cancelDisconnect = () => {
    setConfirming(false);
    disconnectButtonRef.current?.focus();
  };

  const badge: IntegrationStatus | null =
    view === 'reauth' ? 'reauth_required' : view === 'connected' ? 'connected' : view === 'not_connected' ? 'not_connected' : null;
  const refreshing = contacts.state.pending === 'refresh' || (status.isFetching && view === 'connected');

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
              <h1 id="provider-title" className="provider__title" ref={titleRef} tabIndex={-1}>
                HubSpot
              </h1>
              {badge && <StatusBadge status={badge} />}
            </div>
            <p className="provider__desc">Bring contacts from your HubSpot CRM into VectorShift.</p>
          </div>
          <div className="provider__actions">
            {view === 'loading' && (
              <span className="muted" role="status">
                Checking connection…
              </span>
            )}
            {view === 'not_connected' && (
              <button type="button" className="btn btn--primary" onClick={connect} aria-disabled={connecting || undefined}>
                {connecting ? <ButtonBusy label="Connecting…" /> : 'Connect HubSpot'}
              </button>
            )}
            {view === 'connected' && (
              <button
                type="button"
                className="btn btn--secondary"
                onClick={() => {
                  if (!refreshing) refreshAll();
                }}
                aria-disabled={refreshing || undefined}
              >
                {refreshing ? <ButtonBusy label="Refreshing…" /> : 'Refresh'}
              </button>
            )}
            {(view === 'connected' || view === 'reauth') && (
              <button
                ref={disconnectButtonRef}
                type="button"
                className="btn btn--danger-outline"
                onClick={() => setConfirming(true)}
              >
                Disconnect
              </button>
            )}
          </div>
        </div>

        {view === 'connected' && status.data && <AccountDetails status={status.data} />}

        {view === 'error' && (
          <ErrorNotice
            heading="h2"
            title={errorTitle(status.error, 'check the connection')}
            error={status.error}
            onRetry={() => void status.refetch()}
          />
        )}
      </section>

      {disconnectErrorNotice(disconnectError, () => setConfirming(true))}

      <div className="live-region" aria-live="polite" aria-atomic="true">
        {notice && (
          <div className={`notice notice--${notice.tone}`} data-testid="oauth-notice">
            <h2 className="notice__title" ref={noticeHeadingRef} tabIndex={-1}>
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

      {view === 'not_connected' && <BeforeConnecting />}

      {view === 'reauth' && (
        <section className="card reauth" aria-labelledby="reauth-title">
          <h2 id="reauth-title" className="section__title">
            HubSpot needs to be reconnected
          </h2>
          <p className="muted">
            {contactsError?.code === 'insufficient_scope'
              ? 'The HubSpot connection lacks a permission VectorShift needs. Reconnect to grant it.'
              : 'The authorization for HubSpot expired or was revoked. Reconnect to keep syncing your contacts.'}
          </p>
          <button type="button" className="btn btn--primary" onClick={connect} aria-disabled={connecting || undefined}>
            {connecting ? <ButtonBusy label="Connecting…" /> : 'Reconnect HubSpot'}
          </button>
        </section>
      )}

      {view === 'connected' && (
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

function disconnectErrorNotice(error: ApiError | null, retry: () => void) {
  if (error === null) return null;
  return <ErrorNotice heading="h2" title={errorTitle(error, 'disconnect')} error={error} onRetry={retry} />;
}

function AccountDetails({ status }: { status: ConnectionStatus }) {
  const permissions = describeScopes(status.scopes ?? []);
  const account = status.account_name ?? (status.account_id ? `HubSpot account ${status.account_id}` : null);
  return (
    <dl className="provider__details">
      {account && (
        <div>
          <dt>Account</dt>
          <dd className="break-anywhere">{account}</dd>
        </div>
      )}
      {status.account_user && (
        <div>
          <dt>Connected by</dt>
          <dd className="break-anywhere">{status.account_user}</dd>
        </div>
      )}
      {permissions.length > 0 && (
        <div>
          <dt>VectorShift can</dt>
          <dd>
            <ul className="permissions">
              {permissions.map((permission) => (
                <li key={permission}>{permission}</li>
              ))}
            </ul>
          </dd>
        </div>
      )}
    </dl>
  );
}

function BeforeConnecting() {
  return (
    <section className="card explain" aria-labelledby="explain-title">
      <h2 id="explain-title" className="section__title">
        What happens when you connect
      </h2>
      <ul className="explain__list">
        <li>
          <strong>What VectorShift reads:</strong> your HubSpot contacts — names, e-mail addresses and when they last
          changed.
        </li>
        <li>
          <strong>Read-only:</strong> VectorShift never creates, changes or deletes anything in HubSpot.
        </li>
        <li>
          <strong>You sign in on HubSpot’s own page;</strong> VectorShift never sees your password.
        </li>
        <li>
          <strong>Disconnect at any time</strong> here, or in HubSpot under Settings → Integrations → Connected apps.
        </li>
      </ul>
    </section>
  );
}

function RetryCountdown({ at }: { at: number }) {
  const seconds = useCountdown(at) ?? 0;
  return <>{`HubSpot is busy — retrying in ${seconds} s`}</>;
}

function Pending({ state, label }: { state: ContactsState; label: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {state.slow ? 'HubSpot is busy, still trying…' : label}
    </div>
  );
}

function Failure({ state, onRetry }: { state: ContactsState; onRetry?: () => void }) {
  const failure = state.failure;
  if (!failure) return null;
  if (failure.retryAt !== null) {
    return (
      <div className="notice notice--warning" role="status">
        <h3 className="notice__title">
          <RetryCountdown key={failure.retryAt} at={failure.retryAt} />
        </h3>
        <p className="notice__body">HubSpot asked us to slow down. This continues by itself.</p>
      </div>
    );
  }
  if (failure.error.needsReauth || failure.error.code === 'not_connected') return null;
  const what = failure.op === 'more' ? 'load more contacts' : failure.op === 'refresh' ? 'refresh' : 'load contacts';
  return <ErrorNotice title={errorTitle(failure.error, what)} error={failure.error} onRetry={onRetry} />;
}

function ContactsSection({
  state,
  onLoadMore,
  onRetry,
}: {
  state: ContactsState;
  onLoadMore: () => void;
  onRetry: () => void;
}) {
  const { items, nextCursor, pending, failure, loaded } = state;
  const hasItems = items.length > 0;
  const footerFailure = failure?.op === 'more';
  const summaryRef = useRef<HTMLParagraphElement>(null);
  const loadMoreRef = useRef<HTMLButtonElement>(null);
  const pagedByKeyboard = useRef(false);

  // When the last page arrives the Load more button goes away: keep focus near it.
  const showLoadMore = nextCursor !== null;
  useEffect(() => {
    if (!showLoadMore && pagedByKeyboard.current) {
      pagedByKeyboard.current = false;
      summaryRef.current?.focus();
    }
  }, [showLoadMore]);

  return (
    <section className="card contacts" aria-labelledby="contacts-title" aria-busy={pending !== null}>
      <div className="section__head">
        <h2 id="contacts-title" className="section__title">
          Contacts
        </h2>
        {pending === 'refresh' && <Pending state={state} label="Refreshing…" />}
      </div>

      {pending === 'first' && <Pending state={state} label="Loading contacts…" />}
      {!footerFailure && <Failure state={state} onRetry={onRetry} />}

      {loaded && !hasItems && pending === null && (
        <div className="empty-state">
          <h3 className="empty-state__title">No contacts yet</h3>
          <p className="muted">Contacts you add in HubSpot will show up here.</p>
        </div>
      )}

      {hasItems && (
        <>
          <ContactsTable
            items={items}
            onSkipTable={() => (loadMoreRef.current ?? summaryRef.current)?.focus()}
          />
          <div className="contacts__footer">
            <p className="muted contacts__summary" ref={summaryRef} tabIndex={-1}>
              {nextCursor === null
                ? `All ${items.length} contact${items.length === 1 ? '' : 's'} loaded`
                : `Showing ${items.length} contacts — more in HubSpot`}
            </p>
            {/* The failure sits right above the one button, which then retries: focus never moves. */}
            {footerFailure && <Failure state={state} />}
            {showLoadMore && (
              <button
                ref={loadMoreRef}
                type="button"
                className="btn btn--secondary"
                onClick={() => {
                  if (pending !== null) return;
                  pagedByKeyboard.current = document.activeElement === loadMoreRef.current;
                  if (footerFailure) onRetry();
                  else onLoadMore();
                }}
                aria-disabled={pending !== null || undefined}
              >
                {pending === 'more' ? (
                  <ButtonBusy label={state.slow ? 'HubSpot is busy, still trying…' : 'Loading…'} />
                ) : footerFailure && failure.retryAt === null ? (
                  'Retry loading more'
                ) : (
                  'Load more'
                )}
              </button>
            )}
          </div>
        </>
      )}
    </section>
  );
}
