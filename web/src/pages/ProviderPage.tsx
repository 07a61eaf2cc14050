import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { isApiError, type ApiError } from '../api/client';
import { disconnect } from '../api/integrations';
import type { ConnectionStatus, IntegrationStatus, IntegrationSummary } from '../api/models';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ItemsTable, type ItemNouns } from '../components/ItemsTable';
import { SyncButton, SyncPanel } from '../components/SyncPanel';
import { csvFileName, downloadCsv, syncCsv } from '../csv';
import { describeError, ErrorNotice, errorTitle } from '../components/ErrorNotice';
import { ProviderLogo } from '../components/ProviderLogo';
import { StatusBadge } from '../components/StatusBadge';
import {
  useConnectionStatus,
  useIntegrations,
  useInvalidateConnection,
  useInvalidateCounts,
  useItemCount,
} from '../hooks/queries';
import { useCountdown, useItems, type ItemsState } from '../hooks/useItems';
import { useSync, type SyncState } from '../hooks/useSync';
import { capitalize, count, formatNumber, plural } from '../nouns';
import { describeOAuthError } from '../oauth/messages';
import { useOAuthFlow, type OAuthFlowState } from '../oauth/useOAuthFlow';
import { useDocumentTitle } from '../useDocumentTitle';
import { NotFound } from './NotFound';
import type { OAuthLocationState } from './OAuthCallback';

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

function oauthNotice(
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
  itemsError: ApiError | null,
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
  // A missing permission concerns one object type: it is shown with the items, where the
  // switcher still lets the person pick another kind.
  if (reauth || (itemsError?.needsReauth && itemsError.code !== 'insufficient_scope')) return 'reauth';
  if (itemsError?.code === 'not_connected') return 'not_connected';
  return 'connected';
}

/**
 * `/integrations/:provider`: the page of any provider the server lists, or a clear not-found
 * page for an id it does not.
 */
export function ProviderRoute() {
  const { provider = '' } = useParams();
  const { data, error, reload } = useIntegrations();
  const info = data?.integrations.find((i) => i.id === provider) ?? null;
  useDocumentTitle(info ? info.name : data ? 'Integration not found' : null);
  if (info) return <ProviderPage key={info.id} info={info} />;
  if (data) {
    return (
      <NotFound title="Integration not found">
        There is no integration called “{provider}” here. Pick one from the list of integrations.
      </NotFound>
    );
  }
  return (
    <div className="page">
      {error ? (
        <ErrorNotice heading="h1" title={errorTitle(error, 'load this integration')} error={error} onRetry={reload} />
      ) : (
        <p className="muted" role="status">
          Loading…
        </p>
      )}
    </div>
  );
}

/** The provider's nouns for one object type: "contact"/"contacts", "page"/"pages". */
function nounsOf(noun: string | undefined): ItemNouns {
  const one = noun ?? 'item';
  return { one, many: plural(one) };
}

/** One provider's page, driven by the metadata the server declares for it. */
export function ProviderPage({ info }: { info: IntegrationSummary }) {
  const PROVIDER = info.id;
  const name = info.name;
  const objectTypes = info.object_types;
  const [objectType, setObjectType] = useState<string | null>(objectTypes[0]?.id ?? null);
  const noun = objectTypes.find((t) => t.id === objectType)?.noun;
  const nouns = useMemo(() => nounsOf(noun), [noun]);
  const location = useLocation();
  const navigate = useNavigate();
  const integrations = useIntegrations();
  const status = useConnectionStatus(PROVIDER);
  const invalidate = useInvalidateConnection();
  const invalidateCounts = useInvalidateCounts();
  const [initialResult] = useState(() => (location.state as OAuthLocationState | null)?.oauthResult ?? null);

  const [confirming, setConfirming] = useState(false);
  const [disconnecting, setDisconnecting] = useState(false);
  const [localNotice, setLocalNotice] = useState<Notice | null>(null);
  const [disconnectError, setDisconnectError] = useState<ApiError | null>(null);

  const noticeHeadingRef = useRef<HTMLHeadingElement>(null);
  const titleRef = useRef<HTMLHeadingElement>(null);
  const disconnectButtonRef = useRef<HTMLButtonElement>(null);

  // Only a provider with several kinds is asked for one; the first is its default.
  const kind = objectTypes.length > 1 ? objectType : null;
  const listing = useItems(PROVIDER, kind);
  const { load: loadItems, clear: clearItems } = listing;
  // "Sync all": every item of the kind, streamed; shown in the table instead of the pages.
  const syncing = useSync(PROVIDER, kind);
  const { reset: resetSync } = syncing;

  // After a successful consent the status refetch loads the rows (the effect below) when the
  // provider was not connected before; only a reconnect of a connected provider reloads here, so
  // the table is never loaded twice and reset under the user.
  const wasConnectedRef = useRef(false);
  useEffect(() => {
    wasConnectedRef.current = status.data?.connected === true;
  }, [status.data?.connected]);
  const onResult = useCallback(
    (result: { result: 'success' | 'error' }) => {
      invalidate();
      if (result.result === 'success' && wasConnectedRef.current) loadItems();
    },
    [invalidate, loadItems],
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

  const listStatus = integrations.data?.integrations.find((i) => i.id === PROVIDER)?.status ?? info.status;
  const itemsError = listing.state.failure?.error ?? null;
  const view = viewOf(status, listStatus, itemsError);

  // Items load when the server says we are connected (again when another kind is picked),
  // and go when it says we are not.
  const statusConnected = status.data?.connected === true;
  useEffect(() => {
    if (statusConnected) loadItems();
    else {
      clearItems();
      resetSync();
    }
  }, [statusConnected, loadItems, clearItems, resetSync]);

  // How many there are in all, for "100 of 12,345 contacts".
  const total = useItemCount(PROVIDER, kind, view === 'connected');

  // An items answer that says the connection changed: tell every screen.
  const syncFailure = syncing.state.failure;
  const syncError = syncFailure?.kind === 'error' ? syncFailure.error : null;
  const itemsSayChanged =
    itemsError?.needsReauth === true ||
    itemsError?.code === 'not_connected' ||
    syncError?.needsReauth === true ||
    syncError?.code === 'not_connected';
  useEffect(() => {
    if (itemsSayChanged) invalidate();
  }, [itemsSayChanged, invalidate]);

  let notice =
    oauth.state.phase === 'idle' ? localNotice : oauthNotice(name, oauth.state, { reopen: reopenOAuth, cancel: cancelOAuth });
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
    invalidateCounts();
    // Fresh data: back from a sync's snapshot to the pages.
    resetSync();
    if (view === 'connected') listing.refresh();
  };

  const confirmDisconnect = async () => {
    setDisconnecting(true);
    setDisconnectError(null);
    try {
      await disconnect(PROVIDER);
      setConfirming(false);
      resetOAuth();
      clearItems();
      resetSync();
      setLocalNotice({
        id: `disconnected-${Date.now()}`,
        tone: 'neutral',
        title: `${name} disconnected`,
        body: `VectorShift no longer has access to your ${name} account.`,
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
  const refreshing = listing.state.pending === 'refresh' || (status.isFetching && view === 'connected');

  return (
    <div className="page">
      <Link className="back-link" to="/integrations">
        ← All integrations
      </Link>

      <section className="card provider" aria-labelledby="provider-title">
        <div className="provider__head">
          <ProviderLogo name={name} svg={info.logo_svg} size={52} />
          <div className="provider__titles">
            <div className="provider__title-row">
              <h1 id="provider-title" className="provider__title" ref={titleRef} tabIndex={-1}>
                {name}
              </h1>
              {badge && <StatusBadge status={badge} />}
              {info.sandbox && <SandboxBadge name={name} />}
            </div>
            {info.description && <p className="provider__desc">{info.description}</p>}
          </div>
          <div className="provider__actions">
            {view === 'loading' && (
              <span className="muted" role="status">
                Checking connection…
              </span>
            )}
            {view === 'not_connected' && (
              <button type="button" className="btn btn--primary" onClick={connect} aria-disabled={connecting || undefined}>
                {connecting ? <ButtonBusy label="Connecting…" /> : `Connect ${name}`}
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

        {view === 'connected' && status.data && <AccountDetails info={info} status={status.data} />}

        {view === 'error' && (
          <ErrorNotice
            heading="h2"
            title={errorTitle(status.error, 'check the connection', name)}
            error={status.error}
            provider={name}
            onRetry={() => void status.refetch()}
          />
        )}
      </section>

      {disconnectErrorNotice(name, disconnectError, () => setConfirming(true))}

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

      {view === 'not_connected' && <BeforeConnecting info={info} />}

      {view === 'reauth' && (
        <section className="card reauth" aria-labelledby="reauth-title">
          <h2 id="reauth-title" className="section__title">
            {`${name} needs to be reconnected`}
          </h2>
          <p className="muted">
            {`The authorization for ${name} expired or was revoked. Reconnect to keep syncing your ${plural(objectTypes[0]?.noun ?? 'item')}.`}
          </p>
          <button type="button" className="btn btn--primary" onClick={connect} aria-disabled={connecting || undefined}>
            {connecting ? <ButtonBusy label="Connecting…" /> : `Reconnect ${name}`}
          </button>
        </section>
      )}

      {view === 'connected' && (
        <ItemsSection
          info={info}
          nouns={nouns}
          objectType={objectType}
          onObjectType={setObjectType}
          state={listing.state}
          onLoadMore={listing.loadMore}
          onRetry={listing.retry}
          onReconnect={connect}
          connecting={connecting}
          total={total}
          sync={syncing.state}
          onSync={syncing.sync}
          onCancelSync={syncing.cancel}
          onRetrySync={syncing.retry}
        />
      )}

      {confirming && (
        <ConfirmDialog
          title={`Disconnect ${name}?`}
          confirmLabel="Disconnect"
          busyLabel="Disconnecting…"
          busy={disconnecting}
          onConfirm={() => void confirmDisconnect()}
          onCancel={cancelDisconnect}
        >
          <p>
            {`VectorShift will stop syncing from ${name} and forget the stored ${name} authorization. You can connect again at any time.`}
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function SandboxBadge({ name }: { name: string }) {
  return (
    <span className="sandbox-badge" title={`${name} here is a local sandbox, not the real ${name}`}>
      Sandbox
    </span>
  );
}

function disconnectErrorNotice(name: string, error: ApiError | null, retry: () => void) {
  if (error === null) return null;
  return (
    <ErrorNotice heading="h2" title={errorTitle(error, 'disconnect', name)} error={error} provider={name} onRetry={retry} />
  );
}

function AccountDetails({ info, status }: { info: IntegrationSummary; status: ConnectionStatus }) {
  const permissions = info.permissions;
  const account = status.account_name ?? (status.account_id ? `${info.name} account ${status.account_id}` : null);
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

function BeforeConnecting({ info }: { info: IntegrationSummary }) {
  const name = info.name;
  return (
    <section className="card explain" aria-labelledby="explain-title">
      <h2 id="explain-title" className="section__title">
        What happens when you connect
      </h2>
      <ul className="explain__list">
        {info.permissions.length > 0 && (
          <li>
            <strong>What VectorShift can do:</strong>
            <ul className="permissions">
              {info.permissions.map((permission) => (
                <li key={permission}>{permission}</li>
              ))}
            </ul>
          </li>
        )}
        <li>
          <strong>Read-only:</strong> {`VectorShift never creates, changes or deletes anything in ${name}.`}
        </li>
        <li>
          <strong>{`You sign in on ${name}’s own page;`}</strong> VectorShift never sees your password.
        </li>
        <li>
          <strong>Disconnect at any time</strong> {`here, or from ${name}’s own settings.`}
        </li>
      </ul>
    </section>
  );
}

function RetryCountdown({ name, at }: { name: string; at: number }) {
  const seconds = useCountdown(at) ?? 0;
  return <>{`${name} is busy — retrying in ${seconds} s`}</>;
}

function Pending({ name, state, label }: { name: string; state: ItemsState; label: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {state.slow ? `${name} is busy, still trying…` : label}
    </div>
  );
}

function Failure({
  name,
  nouns,
  state,
  onRetry,
  onReconnect,
  connecting = false,
}: {
  name: string;
  nouns: ItemNouns;
  state: ItemsState;
  onRetry?: () => void;
  onReconnect?: () => void;
  connecting?: boolean;
}) {
  const failure = state.failure;
  if (!failure) return null;
  if (failure.retryAt !== null) {
    return (
      <div className="notice notice--warning" role="status">
        <h3 className="notice__title">
          <RetryCountdown key={failure.retryAt} name={name} at={failure.retryAt} />
        </h3>
        <p className="notice__body">{`${name} asked us to slow down. This continues by itself.`}</p>
      </div>
    );
  }
  if (failure.error.code === 'insufficient_scope') {
    return (
      <div className="notice notice--warning" role="alert">
        <h3 className="notice__title">{`${name} has not allowed reading ${nouns.many}`}</h3>
        <p className="notice__body">
          {`The ${name} connection lacks a permission this needs. Reconnect ${name} to grant it, or pick another kind.`}
        </p>
        {onReconnect && (
          <div className="notice__actions">
            <button type="button" className="btn btn--primary" onClick={onReconnect} aria-disabled={connecting || undefined}>
              {connecting ? <ButtonBusy label="Connecting…" /> : `Reconnect ${name}`}
            </button>
          </div>
        )}
      </div>
    );
  }
  if (failure.error.needsReauth || failure.error.code === 'not_connected') return null;
  const what = failure.op === 'more' ? `load more ${nouns.many}` : failure.op === 'refresh' ? 'refresh' : `load ${nouns.many}`;
  return (
    <ErrorNotice title={errorTitle(failure.error, what, name)} error={failure.error} provider={name} onRetry={onRetry} />
  );
}

/** The line under the table: how much of the kind is shown, and whether there is more. */
function footerSummary({
  synced,
  phase,
  shown,
  nextCursor,
  nouns,
  name,
}: {
  synced: boolean;
  phase: SyncState['phase'];
  shown: number;
  nextCursor: string | null;
  nouns: ItemNouns;
  name: string;
}): string {
  const all = `All ${count(shown, nouns.one)} loaded`;
  const some = `Showing ${formatNumber(shown)} ${nouns.many} — more in ${name}`;
  if (!synced) return nextCursor === null ? all : some;
  if (phase === 'done') return all;
  if (phase === 'running') return `Receiving ${nouns.many} from ${name}… ${formatNumber(shown)} so far`;
  return some;
}

function ItemsSection({
  info,
  nouns,
  objectType,
  onObjectType,
  state,
  onLoadMore,
  onRetry,
  onReconnect,
  connecting,
  total,
  sync,
  onSync,
  onCancelSync,
  onRetrySync,
}: {
  info: IntegrationSummary;
  nouns: ItemNouns;
  objectType: string | null;
  onObjectType: (id: string) => void;
  state: ItemsState;
  onLoadMore: () => void;
  onRetry: () => void;
  onReconnect: () => void;
  connecting: boolean;
  /** How many there are in all (the count endpoint), null when unknown. */
  total: number | null;
  sync: SyncState;
  onSync: () => void;
  onCancelSync: () => void;
  onRetrySync: () => void;
}) {
  const name = info.name;
  const switcherId = useId();
  const { nextCursor, pending, failure, loaded } = state;
  // Once a sync has items (or finished), the table shows what it streamed instead of the pages.
  const synced = sync.phase !== 'idle' && (sync.items.length > 0 || sync.phase === 'done');
  const items = synced ? sync.items : state.items;
  const hasItems = items.length > 0;
  const footerFailure = !synced && failure?.op === 'more';
  const summaryRef = useRef<HTMLParagraphElement>(null);
  const loadMoreRef = useRef<HTMLButtonElement>(null);
  const pagedByKeyboard = useRef(false);

  // When the last page arrives the Load more button goes away: keep focus near it.
  const showLoadMore = !synced && nextCursor !== null;
  useEffect(() => {
    if (!showLoadMore && pagedByKeyboard.current) {
      pagedByKeyboard.current = false;
      summaryRef.current?.focus();
    }
  }, [showLoadMore]);

  const downloadSynced = () => downloadCsv(csvFileName(info.id, nouns.many), syncCsv(sync.items, info.columns));

  const summary = footerSummary({ synced, phase: sync.phase, shown: items.length, nextCursor, nouns, name });

  return (
    <section className="card contacts" aria-labelledby="contacts-title" aria-busy={pending !== null}>
      <div className="section__head">
        <h2 id="contacts-title" className="section__title">
          {capitalize(nouns.many)}
        </h2>
        {info.object_types.length > 1 && (
          <span className="object-type">
            <label htmlFor={switcherId}>Show</label>
            <select
              id={switcherId}
              className="input"
              value={objectType ?? ''}
              onChange={(event) => onObjectType(event.target.value)}
            >
              {info.object_types.map((t) => (
                <option key={t.id} value={t.id}>
                  {capitalize(plural(t.noun))}
                </option>
              ))}
            </select>
          </span>
        )}
        {pending === 'refresh' && <Pending name={name} state={state} label="Refreshing…" />}
        <SyncButton state={sync} nouns={nouns} onSync={onSync} />
      </div>

      <SyncPanel
        state={sync}
        nouns={nouns}
        providerName={name}
        onCancel={onCancelSync}
        onRetry={onRetrySync}
        onDownload={downloadSynced}
      />

      {!synced && pending === 'first' && <Pending name={name} state={state} label={`Loading ${nouns.many}…`} />}
      {!synced && !footerFailure && (
        <Failure
          name={name}
          nouns={nouns}
          state={state}
          onRetry={onRetry}
          onReconnect={onReconnect}
          connecting={connecting}
        />
      )}

      {!hasItems && (synced || (loaded && pending === null)) && (
        <div className="empty-state">
          <h3 className="empty-state__title">{`No ${nouns.many} yet`}</h3>
          <p className="muted">{`${capitalize(nouns.many)} you add in ${name} will show up here.`}</p>
        </div>
      )}

      {hasItems && (
        <>
          <ItemsTable
            items={items}
            columns={info.columns}
            nouns={nouns}
            providerName={name}
            filePrefix={`${info.id}-${nouns.many}`}
            // A sync's own total (its start line, or its count once done) is the freshest.
            total={synced ? (sync.total ?? total) : total}
            onSkipTable={() => (loadMoreRef.current ?? summaryRef.current)?.focus()}
          />
          <div className="contacts__footer">
            <p className="muted contacts__summary" ref={summaryRef} tabIndex={-1}>
              {summary}
            </p>
            {/* The failure sits right above the one button, which then retries: focus never moves. */}
            {footerFailure && <Failure name={name} nouns={nouns} state={state} />}
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
                  <ButtonBusy label={state.slow ? `${name} is busy, still trying…` : 'Loading…'} />
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
