import { useEffect, useRef } from 'react';
import { syncActive, type SyncState } from '../hooks/useSync';
import { count, formatNumber } from '../nouns';
import { ButtonBusy } from './ButtonBusy';
import { errorTitle, ErrorNotice } from './ErrorNotice';
import type { ItemNouns } from './ItemsTable';
import { RetryCountdown } from './RetryCountdown';

const RATE_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** "480", "12,000", "2.5": records per second. */
function formatRate(rate: number): string {
  return rate >= 10 ? formatNumber(Math.round(rate)) : RATE_FORMAT.format(rate);
}

/** "8 s", "25 s" (5 s steps under a minute), "4 min", "2 h 5 min": a rough time, rounded up near the end. */
export function formatDuration(seconds: number): string {
  if (seconds < 10) return `${Math.max(1, Math.ceil(seconds))} s`;
  if (seconds < 57.5) return `${Math.ceil(seconds / 5) * 5} s`;
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** "1,234 of 12,345 contacts · 480/s · about 25 s left"; without a total, "1,234 contacts · 480/s". */
export function syncProgressText(done: number, total: number | null, rate: number | null, nouns: ItemNouns): string {
  const parts = [
    total === null
      ? count(done, nouns.one)
      : `${formatNumber(done)} of ${formatNumber(total)} ${total === 1 ? nouns.one : nouns.many}`,
  ];
  if (rate !== null && rate > 0) {
    parts.push(`${formatRate(rate)}/s`);
    if (total !== null && total > done) parts.push(`about ${formatDuration((total - done) / rate)} left`);
  }
  return parts.join(' · ');
}

/** What a finished changes run did: "2 contacts added or changed · 1 removed", or that nothing changed. */
export function changesText(changed: { upserts: number; deletes: number } | null, nouns: ItemNouns): string {
  if (!changed || changed.upserts + changed.deletes === 0) return 'No changes since the last sync';
  const parts: string[] = [];
  if (changed.upserts > 0) parts.push(`${count(changed.upserts, nouns.one)} added or changed`);
  if (changed.deletes > 0) parts.push(`${formatNumber(changed.deletes)} removed`);
  return parts.join(' · ');
}

/** The "Sync all {nouns}" button: busy (still focusable, presses ignored) while a sync runs or waits. */
export function SyncButton({ state, nouns, onSync }: { state: SyncState; nouns: ItemNouns; onSync: () => void }) {
  const running = syncActive(state.phase);
  return (
    <button
      type="button"
      className="btn btn--secondary sync-button"
      onClick={() => {
        if (!running) onSync();
      }}
      aria-disabled={running || undefined}
    >
      {running ? <ButtonBusy label="Syncing…" /> : `Sync all ${nouns.many}`}
    </button>
  );
}

/**
 * How a sync goes: a progress bar with "1,234 of 12,345 contacts · 480/s · about 25 s left"
 * (indeterminate when the provider cannot tell the total, and for a changes run, which counts
 * changes) and Cancel; then "Synced 12,345 contacts" (or what changed), "Sync cancelled — 1,234
 * contacts received", or what failed with Retry sync. Rate limited, it counts down calmly and resumes by itself. The bar moves only while
 * the stream runs: a cancelled, failed or waiting sync shows where it stopped (no sliding bar).
 * Only the outcome is announced (the numbers would chatter); a screen reader reads the bar's own
 * value when asked. When Cancel had focus and goes away, focus moves to the outcome.
 */
export function SyncPanel({
  state,
  nouns,
  providerName,
  onCancel,
  onRetry,
}: {
  state: SyncState;
  nouns: ItemNouns;
  providerName: string;
  onCancel: () => void;
  onRetry: () => void;
}) {
  const { phase, received, rate, failure, retryAt, mode } = state;
  const changes = mode === 'changes';
  // A changes run counts changes, not records: it has no total.
  const total = changes ? null : state.total;
  const unit: ItemNouns = changes ? { one: 'change', many: 'changes' } : nouns;
  const panelRef = useRef<HTMLDivElement>(null);
  const outcomeRef = useRef<HTMLHeadingElement>(null);
  const cancelFocused = useRef(false);

  useEffect(() => {
    if (syncActive(phase) || !cancelFocused.current) return;
    cancelFocused.current = false;
    // The outcome's heading, or (a failure, announced as an alert) its Retry button.
    const target = outcomeRef.current ?? panelRef.current?.querySelector<HTMLElement>('button');
    target?.focus();
  }, [phase]);

  if (phase === 'idle') return null;
  const done = received;
  const running = phase === 'running';
  const active = syncActive(phase);
  const waiting = phase === 'waiting' && retryAt !== null;
  const known = total !== null;
  const percent = known && total > 0 ? Math.min(100, (done / total) * 100) : known ? 100 : 0;
  const progress = syncProgressText(done, total, running ? rate : null, unit);
  /** "150 of 250 contacts" (or "150 contacts"): the bar's value, in words. */
  const counted = syncProgressText(done, total, null, unit);

  let title: string | null = null;
  if (phase === 'running') title = changes ? `Syncing changes to ${nouns.many}…` : `Syncing ${nouns.many}…`;
  if (phase === 'done') title = changes ? `Synced: ${changesText(state.changed, nouns)}` : `Synced ${count(done, nouns.one)}`;
  if (phase === 'cancelled') title = `Sync cancelled — ${count(done, unit.one)} received`;

  return (
    <div className={`sync sync--${phase}`} ref={panelRef}>
      <div className="sync__status" role="status" aria-live="polite">
        {title && (
          <h3 className="sync__title" ref={outcomeRef} tabIndex={-1}>
            {title}
          </h3>
        )}
      </div>
      {failure?.kind === 'truncated' && (
        <div className="notice notice--error" role="alert">
          <h3 className="notice__title" ref={outcomeRef} tabIndex={-1}>
            The sync stopped before the end
          </h3>
          <p className="notice__body">
            {`The connection was cut after ${counted}. What arrived stays in the table; ${
              state.resumeFrom > 0
                ? `Retry sync continues after the first ${formatNumber(state.resumeFrom)}.`
                : 'Retry sync starts again.'
            }`}
          </p>
          <div className="notice__actions">
            <button type="button" className="btn btn--secondary" onClick={onRetry}>
              Retry sync
            </button>
          </div>
        </div>
      )}
      {waiting && (
        <div className="notice notice--warning" role="status">
          <h3 className="notice__title">
            <RetryCountdown key={retryAt} name={providerName} at={retryAt} verb="resuming" />
          </h3>
          <p className="notice__body">
            {`${providerName} asked us to slow down. The sync continues by itself${
              state.resumeFrom > 0 ? ` after the first ${formatNumber(state.resumeFrom)}` : ''
            }; nothing is lost.`}
          </p>
        </div>
      )}
      {failure?.kind === 'error' && !waiting && (
        <ErrorNotice
          title={errorTitle(failure.error, `sync all ${nouns.many}`, providerName)}
          error={failure.error}
          provider={providerName}
          onRetry={onRetry}
          retryLabel="Retry sync"
        />
      )}
      {/* A finished changes run has said what it did in its title: no count left to show. */}
      {!(changes && phase === 'done') && (
        <div className="sync__progress">
          {/* Sliding only while bytes arrive; stopped without a total, there is no bar to show. */}
          {(known || running) && (
            <div
              className={`sync__bar${known ? '' : ' sync__bar--indeterminate'}`}
              role="progressbar"
              aria-label="Sync progress"
              aria-valuemin={0}
              aria-valuemax={known ? total : undefined}
              aria-valuenow={known ? done : undefined}
              aria-valuetext={counted}
            >
              {known && <span className="sync__fill" style={{ width: `${percent}%` }} />}
            </div>
        )}
        <p className="sync__text">{progress}</p>
      </div>
      )}
      {active && (
        <div className="sync__actions">
          <button
            type="button"
            className="btn btn--secondary"
            onClick={() => {
              cancelFocused.current = true;
              onCancel();
            }}
            onFocus={() => {
              cancelFocused.current = true;
            }}
            onBlur={() => {
              cancelFocused.current = false;
            }}
          >
            Cancel
          </button>
        </div>
      )}
    </div>
  );
}
