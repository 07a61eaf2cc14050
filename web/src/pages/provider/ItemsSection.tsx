import { useEffect, useRef } from 'react';
import type { IntegrationSummary } from '../../api/models';
import { ButtonBusy } from '../../components/ButtonBusy';
import { ItemsTable, type ItemNouns } from '../../components/ItemsTable';
import { SyncPanel } from '../../components/SyncPanel';
import { csvFileName, downloadCsv, syncCsv } from '../../csv';
import type { ItemsState } from '../../hooks/useItems';
import type { SyncState } from '../../hooks/useSync';
import { capitalize } from '../../nouns';
import { footerSummary, ItemsFailure, Pending } from './ItemsStatus';
import { ItemsToolbar } from './ItemsToolbar';

/**
 * The items of the kind shown: the toolbar, the sync panel, the table (the pages loaded so far,
 * or what a sync streamed), and under it how much is shown with Load more.
 */
export function ItemsSection({
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
      <ItemsToolbar
        info={info}
        nouns={nouns}
        objectType={objectType}
        onObjectType={onObjectType}
        state={state}
        sync={sync}
        onSync={onSync}
      />

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
        <ItemsFailure name={name} nouns={nouns} state={state} onRetry={onRetry} onReconnect={onReconnect} connecting={connecting} />
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
            {footerFailure && <ItemsFailure name={name} nouns={nouns} state={state} />}
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
