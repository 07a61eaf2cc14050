import { useRef, type ReactNode } from 'react';
import type { IntegrationSummary } from '../../api/models';
import { ItemsTable, type ItemNouns } from '../../components/ItemsTable';
import { SyncPanel } from '../../components/SyncPanel';
import { csvFileName, downloadCsv, syncCsv } from '../../csv';
import type { Dataset } from '../../dataset/model';
import type { ItemsState } from '../../hooks/useItems';
import { syncActive, type SyncState } from '../../hooks/useSync';
import { capitalize, count, formatNumber } from '../../nouns';
import { ItemsFailure, Pending } from './ItemsStatus';
import { ItemsToolbar } from './ItemsToolbar';
import { SyncedLine } from './SyncedLine';

/** A dataset worth showing: records synced, or a sync that finished (even with none). */
export function hasDataset(dataset: Dataset | null): dataset is Dataset {
  return dataset !== null && (dataset.items.length > 0 || dataset.syncedAt !== null);
}

/**
 * The items of the kind shown: the toolbar, the sync panel, and the table. With a synced
 * dataset the table is the dataset — every record, searched, sorted and exported as a whole —
 * with "Last synced 2 min ago · 12,345 contacts". Before the first sync it previews the first
 * page of `/items`, so a new connection shows records at once; Sync gets every one.
 */
export function ItemsSection({
  info,
  nouns,
  objectType,
  onObjectType,
  state,
  dataset,
  datasetLoading = false,
  onRetry,
  onReconnect,
  connecting,
  total,
  sync,
  onSync,
  onCancelSync,
  onRetrySync,
  grantedScopes = null,
  live = null,
  highlighted,
}: {
  info: IntegrationSummary;
  nouns: ItemNouns;
  objectType: string | null;
  onObjectType: (id: string) => void;
  /** The first page of `/items`: the preview before the first sync. */
  state: ItemsState;
  /** The synced dataset of this kind (null: none yet, or still being read). */
  dataset: Dataset | null;
  /** The stored dataset is still being read (a few ms): show neither it nor the preview yet. */
  datasetLoading?: boolean;
  onRetry: () => void;
  onReconnect: () => void;
  connecting: boolean;
  /** How many there are in all (the count endpoint), null when unknown. */
  total: number | null;
  sync: SyncState;
  onSync: () => void;
  onCancelSync: () => void;
  onRetrySync: () => void;
  /** The scopes the connection was granted (null: unknown). */
  grantedScopes?: readonly string[] | null;
  /** The live line (indicator and Changes panel), for a provider that pushes events. */
  live?: ReactNode;
  /** Rows changed a moment ago (live events), highlighted. */
  highlighted?: ReadonlyMap<string, number>;
}) {
  const name = info.name;
  const { nextCursor, pending, loaded } = state;
  const synced = hasDataset(dataset);
  const items = synced ? dataset.items : state.items;
  // Until the stored dataset is read, nothing: the preview would flash before the dataset.
  const hasItems = items.length > 0 && !datasetLoading;
  const summaryRef = useRef<HTMLParagraphElement>(null);

  let summary: string;
  if (synced) {
    summary =
      syncActive(sync.phase) && sync.mode === 'export'
        ? `Receiving ${nouns.many} from ${name}… ${formatNumber(sync.received)} so far`
        : dataset.syncedAt === null
          ? `Showing ${formatNumber(items.length)} ${nouns.many} — more in ${name}`
          : `All ${count(items.length, nouns.one)} synced`;
  } else {
    summary = nextCursor === null ? `All ${count(items.length, nouns.one)} loaded` : `Showing ${formatNumber(items.length)} ${nouns.many} — more in ${name}`;
  }

  return (
    <section className="card contacts" aria-labelledby="contacts-title" aria-busy={pending !== null && !synced}>
      <ItemsToolbar
        info={info}
        nouns={nouns}
        objectType={objectType}
        onObjectType={onObjectType}
        state={state}
        showRefreshing={!synced}
        sync={sync}
        onSync={onSync}
        grantedScopes={grantedScopes}
      />
      {synced && <SyncedLine dataset={dataset} nouns={nouns} />}

      <SyncPanel state={sync} nouns={nouns} providerName={name} onCancel={onCancelSync} onRetry={onRetrySync} />

      {!synced && pending === 'first' && <Pending name={name} state={state} label={`Loading ${nouns.many}…`} />}
      {!synced && (
        <ItemsFailure name={name} nouns={nouns} state={state} onRetry={onRetry} onReconnect={onReconnect} connecting={connecting} />
      )}

      {/* After what failed (those come first, by eye and by Tab), before the rows it updates. */}
      {live}

      {!hasItems && !datasetLoading && (synced || (loaded && pending === null)) && !syncActive(sync.phase) && (
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
            scope={synced ? 'dataset' : nextCursor === null ? 'all' : 'preview'}
            total={synced ? null : total}
            // One export: the dataset (as searched and sorted), never a page of it.
            onExport={synced ? (rows) => downloadCsv(csvFileName(info.id, nouns.many), syncCsv(rows, info.columns)) : undefined}
            onSkipTable={() => summaryRef.current?.focus()}
            highlighted={highlighted}
          />
          <div className="contacts__footer">
            <p className="muted contacts__summary" ref={summaryRef} tabIndex={-1}>
              {summary}
            </p>
          </div>
        </>
      )}
    </section>
  );
}
