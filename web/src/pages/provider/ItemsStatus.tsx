import { ButtonBusy } from '../../components/ButtonBusy';
import { ErrorNotice, errorTitle } from '../../components/ErrorNotice';
import type { ItemNouns } from '../../components/ItemsTable';
import { RetryCountdown } from '../../components/RetryCountdown';
import type { ItemsState } from '../../hooks/useItems';

/** A load under way; after a while, "{Name} is busy, still trying…". */
export function Pending({ name, state, label }: { name: string; state: ItemsState; label: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {state.slow ? `${name} is busy, still trying…` : label}
    </div>
  );
}

/** Why the last load of items failed, where it happened, with the way forward. */
export function ItemsFailure({
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
  return <ErrorNotice title={errorTitle(failure.error, what, name)} error={failure.error} provider={name} onRetry={onRetry} />;
}
