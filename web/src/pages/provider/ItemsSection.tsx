import { useEffect, useRef, type ReactNode } from 'react';
import type { IntegrationSummary } from '../../api/models';
import { ItemsTable, type ItemNouns } from '../../components/ItemsTable';
import { SyncPanel } from '../../components/SyncPanel';
import { ColumnPicker } from '../../components/ColumnPicker';
import { csvFileName, downloadCsv } from '../../csv';
import type { Dataset } from '../../dataset/model';
import type { ColumnsState } from '../../hooks/useColumns';
import type { ItemsState } from '../../hooks/useItems';
import { selectionSignature } from '../../selection';
import { syncActive, type SyncState } from '../../hooks/useSync';
import { capitalize, count, formatNumber } from '../../nouns';
import { EnableKind } from './EnableKind';
import { ItemsFailure, Pending } from './ItemsStatus';
import { ItemsToolbar } from './ItemsToolbar';
import { ServerSearchFailure, ServerSearchMore } from './ServerSearch';
import { SyncedLine } from './SyncedLine';
import { usePreviewSearch } from './usePreviewSearch';
import { requestKind } from './kinds';
import { relatedWords, useRecordView } from './useRecordView';

/** A dataset worth showing: records synced, or a sync that finished (even with none). */
export function hasDataset(dataset: Dataset | null): dataset is Dataset {
  return dataset !== null && (dataset.items.length > 0 || dataset.syncedAt !== null);
}

/**
 * The items of the kind shown: the toolbar, the sync panel, and the table. With a synced
 * dataset the table is the dataset — every record, searched, sorted and exported as a whole —
 * with "Last synced 2 min ago · 12,345 contacts". Before the first sync it previews the first
 * page of `/items`, so a new connection shows records at once; Sync gets every one. Its search
 * then asks the provider when it can (`usePreviewSearch`): the first page alone would miss most.
 *
 * A kind the connection may not read (`ungranted`) shows only the way to enable it: no rows, no
 * Sync, no export — there is nothing of it to sync until it is granted.
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
  ungranted = false,
  onEnable,
  columns,
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
  /** The connection may not read this kind (its scope was not granted, or the server said so). */
  ungranted?: boolean;
  /** Asks the provider to grant this kind (the consent again, for its scope too). */
  onEnable?: () => void;
  /** The columns shown (chosen, or the declared ones) and what the server is asked for. */
  columns: ColumnsState;
}) {
  const name = info.name;
  const { nextCursor, pending, loaded } = state;
  const synced = hasDataset(dataset);
  const items = synced ? dataset.items : state.items;
  // Until the stored dataset is read, nothing: the preview would flash before the dataset.
  const hasItems = items.length > 0 && !datasetLoading;
  const summaryRef = useRef<HTMLParagraphElement>(null);
  const view = useRecordView({
    provider: info.id,
    providerName: name,
    objectType: requestKind(info.object_types, objectType),
    kinds: info.object_types,
    columns,
    nouns,
  });
  const kind = info.object_types.find((t) => t.id === objectType);
  // A provider that cannot list related records says so once: Related goes, the rows come back.
  const relatedRefused = [state.failure?.error, sync.failure?.kind === 'error' ? sync.failure.error : null].some(
    (e) => e?.code === 'associations_unsupported',
  );
  const { related: wantsRelated, refuseRelated } = columns;
  useEffect(() => {
    if (relatedRefused && wantsRelated) refuseRelated();
  }, [relatedRefused, wantsRelated, refuseRelated]);
  // The synced records were fetched with other columns: a sync brings the chosen ones.
  const staleColumns = synced && (dataset.selection ?? '') !== selectionSignature(columns.selection);
  const search = usePreviewSearch({
    provider: info.id,
    name,
    objectType,
    nouns,
    selection: columns.selection,
    canSearch: info.search && !synced && !datasetLoading && !ungranted && nextCursor !== null,
  });
  const remote = search.view;
  const matched = remote?.phase === 'matched' ? remote : null;

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
  if (matched) summary = matched.summary;
  const enabling = ungranted && onEnable !== undefined;

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
        canSync={!ungranted}
      />
      {enabling && <EnableKind name={name} nouns={nouns} onEnable={onEnable} connecting={connecting} scopes={kind?.scopes ?? []} />}
      {!ungranted && synced && <SyncedLine dataset={dataset} nouns={nouns} />}

      {!ungranted && <SyncPanel state={sync} nouns={nouns} providerName={name} onCancel={onCancelSync} onRetry={onRetrySync} />}

      {columns.relatedRefused && <p className="muted columns-hint" role="status">{`${name} cannot list related records.`}</p>}
      {!ungranted && !synced && pending === 'first' && <Pending name={name} state={state} label={`Loading ${nouns.many}…`} />}
      {!enabling && !synced && (
        <ItemsFailure name={name} nouns={nouns} state={state} onRetry={onRetry} onReconnect={onReconnect} connecting={connecting} />
      )}

      {/* After what failed (those come first, by eye and by Tab), before the rows it updates. */}
      {!ungranted && live}

      {!ungranted && !hasItems && !datasetLoading && (synced || (loaded && pending === null)) && !syncActive(sync.phase) && (
        <div className="empty-state">
          <h3 className="empty-state__title">{`No ${nouns.many} yet`}</h3>
          <p className="muted">{`${capitalize(nouns.many)} you add in ${name} will show up here.`}</p>
        </div>
      )}

      {!ungranted && remote?.phase === 'failed' && (
        <ServerSearchFailure name={name} nouns={nouns} error={remote.error} onRetry={remote.retry} />
      )}

      {!ungranted && hasItems && (
        <>
          {staleColumns && !syncActive(sync.phase) && (
            <p className="muted columns-hint">{`The synced ${nouns.many} were fetched with other columns: Sync all ${nouns.many} to fill in the chosen ones.`}</p>
          )}
          <ItemsTable
            items={matched ? matched.items : items}
            columns={columns.columns}
            keepEmptyColumns={columns.customized}
            onOpen={view.onOpen}
            related={view.related}
            tools={<ColumnPicker state={columns} declared={info.columns} relatedLabel={relatedWords(info.object_types, columns.relatedKinds)} />}
            nouns={nouns}
            providerName={name}
            scope={synced ? 'dataset' : nextCursor === null ? 'all' : 'preview'}
            total={synced ? null : total}
            // One export: the dataset (as searched and sorted), never a page of it.
            onExport={synced ? (rows) => downloadCsv(csvFileName(info.id, nouns.many), view.csv(rows)) : undefined}
            onSkipTable={() => summaryRef.current?.focus()}
            highlighted={highlighted}
            query={search.term}
            onQueryChange={search.setTerm}
            caption={remote && remote.phase !== 'failed' ? remote.caption : undefined}
            serverMatched={matched ? { empty: matched.empty } : null}
          />
          <div className="contacts__footer">
            <p className="muted contacts__summary" ref={summaryRef} tabIndex={-1}>
              {summary}
            </p>
            {matched && <ServerSearchMore name={name} nouns={nouns} view={matched} />}
          </div>
        </>
      )}
      {view.drawer}
    </section>
  );
}
