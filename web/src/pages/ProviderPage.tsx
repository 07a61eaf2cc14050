/**
 * `/integrations/:provider`: the page shell. It reads the server state (TanStack Query: the
 * connection status, the items, the disconnect mutation), decides what the connection looks
 * like (`useConnectionView`) and lays out the pieces in `./provider/`: the connection card, the
 * outcome notice, the reconnect prompt, the pre-connect explanation and the items section.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useLocation, useNavigate, useParams, Link } from 'react-router-dom';
import type { IntegrationSummary } from '../api/models';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice, errorTitle } from '../components/ErrorNotice';
import {
  useConnectionStatus,
  useDisconnect,
  useIntegrations,
  useInvalidateConnection,
  useInvalidateCounts,
  useItemCount,
} from '../hooks/queries';
import { useDataset } from '../hooks/useDataset';
import { useItems } from '../hooks/useItems';
import { useLiveEvents } from '../hooks/useLiveEvents';
import { syncActive, useSync } from '../hooks/useSync';
import { useOAuthFlow } from '../oauth/useOAuthFlow';
import { useDocumentTitle } from '../useDocumentTitle';
import { NotFound } from './NotFound';
import type { OAuthLocationState } from './OAuthCallback';
import { BeforeConnecting } from './provider/BeforeConnecting';
import { ConnectionCard } from './provider/ConnectionCard';
import { initialKind, rememberKind } from './provider/EnableKind';
import { hasDataset, ItemsSection } from './provider/ItemsSection';
import { kindRefused } from './provider/KindSelect';
import { LiveChanges } from './provider/LiveChanges';
import { NoticeArea, oauthNotice, type Notice } from './provider/notices';
import { ReconnectPrompt } from './provider/ReconnectPrompt';
import { useConnectionView } from './provider/useConnectionView';
import { useExplorer } from './provider/useExplorer';

/** The success notice goes away by itself after this long. */
export const SUCCESS_NOTICE_MS = 6_000;

/** Any provider the server lists, or a clear not-found page for an id it does not. */
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

/** One provider's page, driven by the metadata the server declares for it. */
export function ProviderPage({ info }: { info: IntegrationSummary }) {
  const provider = info.id;
  const name = info.name;
  const objectTypes = info.object_types;
  const location = useLocation();
  const [initialResult] = useState(() => (location.state as OAuthLocationState | null)?.oauthResult ?? null);
  // Back from a full-page consent that enabled a kind: show that kind, as a popup flow would.
  const [objectType, setObjectType] = useState(() => initialKind(provider, objectTypes, initialResult !== null));
  const navigate = useNavigate();
  const integrations = useIntegrations();
  const status = useConnectionStatus(provider);
  const invalidate = useInvalidateConnection();
  const invalidateCounts = useInvalidateCounts();
  const disconnecting = useDisconnect(provider);
  const [confirming, setConfirming] = useState(false);
  const [localNotice, setLocalNotice] = useState<Notice | null>(null);

  const noticeHeadingRef = useRef<HTMLHeadingElement>(null);
  const titleRef = useRef<HTMLHeadingElement>(null);
  const disconnectButtonRef = useRef<HTMLButtonElement>(null);

  // Items load while the server says we are connected (the last answer, kept through a failed refresh).
  const statusConnected = status.data?.connected === true;
  // The kinds on offer (declared, then discovered), the one shown (null: a provider's one kind), its columns.
  const explorer = useExplorer(info, status.data, objectType, statusConnected);
  const { kind, nouns, columns } = explorer;
  // The grant's scopes say this kind may not be read: nothing to ask the provider until it is enabled.
  const grantedScopes = status.data?.scopes ?? null;
  const grantSaysNo = kindRefused(explorer.kinds, kind, grantedScopes);
  // Before the first sync, the first page of items previews the kind (with the chosen columns).
  const listing = useItems(provider, kind, statusConnected && !grantSaysNo && columns.settled, columns.selection);
  const { clear: clearItems, invalidate: invalidateItems } = listing;
  // The synced dataset of the kind (IndexedDB), and the sync that brings it up to date.
  const { dataset, loading: datasetLoading, forget: forgetDatasets } = useDataset(provider, kind);
  const synced = hasDataset(dataset);
  const syncing = useSync(provider, kind, columns.selection);
  const { reset: resetSync } = syncing;

  const onResult = useCallback(() => {
    invalidate();
    invalidateItems();
  }, [invalidate, invalidateItems]);
  const oauth = useOAuthFlow(provider, { initialResult, onResult });
  const { start: startOAuth, cancel: cancelOAuth, reopen: reopenOAuth, reset: resetOAuth } = oauth;

  const connecting = oauth.state.phase === 'connecting' || oauth.state.phase === 'redirecting';
  const { reset: resetDisconnect } = disconnecting;
  // With `objectType` the consent also asks for that kind's scope ("Enable Companies"); the page stays on it.
  const startConsent = useCallback((objectType: string | null) => {
    // The button stays focusable while connecting (aria-disabled), so ignore presses here.
    if (connecting) return;
    setLocalNotice(null);
    resetDisconnect();
    rememberKind(provider, objectType);
    startOAuth(objectType);
  }, [startOAuth, connecting, resetDisconnect, provider]);
  const connect = useCallback(() => startConsent(null), [startConsent]);

  // A result carried over from the full-page redirect is shown once, not on every reload.
  useEffect(() => {
    if (initialResult) navigate(location.pathname, { replace: true, state: null });
  }, [initialResult, navigate, location.pathname]);

  const listStatus = integrations.data?.integrations.find((i) => i.id === provider)?.status ?? info.status;
  const itemsError = listing.state.failure?.error ?? null;
  const { view, stale, lostElsewhere } = useConnectionView(status, listStatus, itemsError, {
    disconnectedHere: disconnecting.isPending || disconnecting.isSuccess,
    rowsShown: listing.state.loaded || synced,
  });

  // The server says there is no connection: its rows, its synced datasets and any sync go.
  const statusDisconnected = status.data?.connected === false;
  useEffect(() => {
    if (statusDisconnected) {
      clearItems();
      resetSync();
      forgetDatasets();
    }
  }, [statusDisconnected, clearItems, resetSync, forgetDatasets]);

  // Changes the provider pushes, applied as they arrive (nothing runs for a provider without them).
  const live = useLiveEvents({ provider, objectTypes, enabled: view === 'connected', kind, syncBusy: syncActive(syncing.state.phase) });

  // How many there are in all, for "100 of 12,345 contacts".
  const total = useItemCount(provider, kind, view === 'connected' && !grantSaysNo);

  // An items or sync answer that says the connection changed: tell every screen.
  const syncFailure = syncing.state.failure;
  const syncError = syncFailure?.kind === 'error' ? syncFailure.error : null;
  // The kind may not be read: by the grant's scopes, or as the server answered (403 insufficient_scope).
  const refused = [itemsError, syncError].some((e) => e?.code === 'insufficient_scope');
  const ungranted = kind !== null && (grantSaysNo || refused);
  const answersSayChanged = [itemsError, syncError].some((e) => e?.needsReauth === true || e?.code === 'not_connected');
  useEffect(() => {
    if (answersSayChanged) invalidate();
  }, [answersSayChanged, invalidate]);

  let notice =
    oauth.state.phase === 'idle' ? localNotice : oauthNotice(name, oauth.state, { reopen: reopenOAuth, cancel: cancelOAuth });
  // A stale "request expired" (e.g. Back to an old consent page) means nothing when we are connected.
  if (oauth.state.phase === 'done' && oauth.state.result.error === 'invalid_state' && view === 'connected') notice = null;
  // "{Name} connected" only once the page agrees: never next to "Needs reconnect" or "Not connected".
  if (notice?.tone === 'success' && view !== 'connected') notice = null;

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
    // The dataset changes by Sync. The first page is asked again all the same: it is the
    // preview before a sync, and its answer is how a grant revoked at the provider shows up.
    if (view === 'connected') listing.refresh();
  };

  const confirmDisconnect = () =>
    disconnecting.mutate(undefined, {
      onSuccess: () => {
        setConfirming(false);
        resetOAuth();
        resetSync();
        forgetDatasets();
        setLocalNotice({
          id: `disconnected-${Date.now()}`,
          tone: 'neutral',
          title: `${name} disconnected`,
          body: `VectorShift no longer has access to your ${name} account.`,
        });
      },
      onError: () => setConfirming(false),
    });

  const cancelDisconnect = () => {
    setConfirming(false);
    disconnectButtonRef.current?.focus();
  };

  const refreshing = (!synced && listing.state.pending === 'refresh') || (status.isFetching && view === 'connected');

  return (
    <div className="page">
      <Link className="back-link" to="/integrations">
        ← All integrations
      </Link>

      <ConnectionCard
        info={info}
        view={view}
        status={status.data}
        statusError={status.error}
        stale={stale}
        connecting={connecting}
        showConnect={!lostElsewhere}
        refreshing={refreshing}
        titleRef={titleRef}
        disconnectRef={disconnectButtonRef}
        onConnect={connect}
        onRefresh={refreshAll}
        onDisconnect={() => setConfirming(true)}
        onRetryStatus={() => void status.refetch()}
      />

      {disconnecting.error && (
        <ErrorNotice
          heading="h2"
          title={errorTitle(disconnecting.error, 'disconnect', name)}
          error={disconnecting.error}
          provider={name}
          onRetry={() => setConfirming(true)}
        />
      )}

      <NoticeArea notice={notice} headingRef={noticeHeadingRef} />

      {(view === 'reauth' || lostElsewhere) && (
        <ReconnectPrompt info={info} lostElsewhere={lostElsewhere} connecting={connecting} onConnect={connect} />
      )}

      {view === 'not_connected' && <BeforeConnecting info={info} />}

      {view === 'connected' && (
        <ItemsSection
          info={explorer.offeredInfo}
          nouns={nouns}
          objectType={objectType}
          onObjectType={setObjectType}
          state={listing.state}
          dataset={dataset}
          datasetLoading={datasetLoading}
          onRetry={listing.retry}
          onReconnect={connect}
          connecting={connecting}
          total={total}
          sync={syncing.state}
          onSync={syncing.sync}
          onCancelSync={syncing.cancel}
          onRetrySync={syncing.retry}
          grantedScopes={grantedScopes}
          ungranted={ungranted}
          onEnable={() => startConsent(kind)}
          live={<LiveChanges state={live.state} objectTypes={explorer.kinds} />}
          columns={columns}
          highlighted={live.highlighted}
        />
      )}

      {confirming && (
        <ConfirmDialog
          title={`Disconnect ${name}?`}
          confirmLabel="Disconnect"
          busyLabel="Disconnecting…"
          busy={disconnecting.isPending}
          onConfirm={confirmDisconnect}
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
