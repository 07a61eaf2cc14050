import type { Ref } from 'react';
import type { ApiError } from '../../api/client';
import type { ConnectionStatus, IntegrationStatus, IntegrationSummary } from '../../api/models';
import { ButtonBusy } from '../../components/ButtonBusy';
import { describeError, ErrorNotice, errorTitle } from '../../components/ErrorNotice';
import { ProviderLogo } from '../../components/ProviderLogo';
import { StatusBadge } from '../../components/StatusBadge';
import { formatClock, type View } from './useConnectionView';

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

/** A status refresh failed: the card keeps the last answer and says from when it is. */
function StaleNote({ since, error, name, onRetry }: { since: number; error: ApiError; name: string; onRetry: () => void }) {
  return (
    <div className="stale-note" role="status">
      <p className="stale-note__title">{`Couldn’t refresh — showing data from ${formatClock(since)}`}</p>
      <p className="stale-note__body muted">{describeError(error, name)}</p>
      <button type="button" className="btn btn--secondary btn--small" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}

const BADGES: Partial<Record<View, IntegrationStatus>> = {
  connected: 'connected',
  not_connected: 'not_connected',
  reauth: 'reauth_required',
};

/**
 * The provider's card at the top of its page: logo, name, one status, the actions for that
 * status (Connect; Refresh and Disconnect; Disconnect), the account, and when the last status
 * refresh failed, a note saying what is shown and from when.
 */
export function ConnectionCard({
  info,
  view,
  status,
  statusError,
  stale,
  connecting,
  showConnect,
  refreshing,
  titleRef,
  disconnectRef,
  onConnect,
  onRefresh,
  onDisconnect,
  onRetryStatus,
}: {
  info: IntegrationSummary;
  view: View;
  status: ConnectionStatus | undefined;
  statusError: ApiError | null;
  stale: { since: number; error: ApiError } | null;
  connecting: boolean;
  /** False when another message on the page already offers the connect action. */
  showConnect: boolean;
  refreshing: boolean;
  titleRef: Ref<HTMLHeadingElement>;
  disconnectRef: Ref<HTMLButtonElement>;
  onConnect: () => void;
  onRefresh: () => void;
  onDisconnect: () => void;
  onRetryStatus: () => void;
}) {
  const name = info.name;
  const badge = BADGES[view];
  return (
    <section className="card provider" aria-labelledby="provider-title">
      <div className="provider__head">
        <ProviderLogo name={name} svg={info.logo_svg} size={52} />
        <div className="provider__titles">
          <div className="provider__title-row">
            <h1 id="provider-title" className="provider__title" ref={titleRef} tabIndex={-1}>
              {name}
            </h1>
            {badge && <StatusBadge status={badge} />}
          </div>
          {info.description && <p className="provider__desc">{info.description}</p>}
        </div>
        <div className="provider__actions">
          {view === 'loading' && (
            <span className="muted" role="status">
              Checking connection…
            </span>
          )}
          {view === 'not_connected' && showConnect && (
            <button type="button" className="btn btn--primary" onClick={onConnect} aria-disabled={connecting || undefined}>
              {connecting ? <ButtonBusy label="Connecting…" /> : `Connect ${name}`}
            </button>
          )}
          {view === 'connected' && (
            <button
              type="button"
              className="btn btn--secondary"
              onClick={() => {
                if (!refreshing) onRefresh();
              }}
              aria-disabled={refreshing || undefined}
            >
              {refreshing ? <ButtonBusy label="Refreshing…" /> : 'Refresh'}
            </button>
          )}
          {(view === 'connected' || view === 'reauth') && (
            <button ref={disconnectRef} type="button" className="btn btn--danger-outline" onClick={onDisconnect}>
              Disconnect
            </button>
          )}
        </div>
      </div>

      {stale && <StaleNote since={stale.since} error={stale.error} name={name} onRetry={onRetryStatus} />}

      {view === 'connected' && status && <AccountDetails info={info} status={status} />}

      {view === 'error' && (
        <ErrorNotice
          heading="h2"
          title={errorTitle(statusError, 'check the connection', name)}
          error={statusError}
          provider={name}
          onRetry={onRetryStatus}
        />
      )}
    </section>
  );
}
