/**
 * The pieces of the items section that follow the chosen columns: the Related cell (chips, names
 * from the synced datasets of the related kinds), the record drawer (opened from a row, focus back
 * to that row's button when it closes) and the CSV of the rows shown.
 *
 * The drawer shows the row at once and, for a provider that discovers its fields, the whole
 * record once it is read (`useRecord`: every property, and the related kinds when Related is on).
 */
import { useCallback, useMemo, useState } from 'react';
import type { IntegrationItem } from '../../api/models';
import type { ItemNouns } from '../../components/ItemsTable';
import { RecordDrawer } from '../../components/RecordDrawer';
import { RelatedChips } from '../../components/RelatedChips';
import { chosenCsv, syncCsv } from '../../csv';
import type { ColumnsState } from '../../hooks/useColumns';
import { useRecord } from '../../hooks/useRecord';
import { itemTitle } from '../../items';
import { useRelatedNames } from '../../hooks/useRelated';
import { relatedChips, relatedText } from '../../related';
import { kindNouns, type Kind } from './kinds';

const NONE: readonly string[] = [];

/** "companies and deals". */
export function relatedWords(kinds: readonly Kind[], ids: readonly string[]): string {
  const words = ids.map((id) => {
    const kind = kinds.find((k) => k.id === id);
    return kind ? kindNouns(kind).many : id;
  });
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** Chips in a table cell: a few, then "+ 57 more" (the drawer lists them all). */
export const CELL_CHIPS = 3;

export function useRecordView({
  provider,
  providerName,
  objectType,
  kinds,
  columns,
  nouns,
}: {
  provider: string;
  providerName: string;
  /** The kind shown (null: the provider's one kind), which the drawer reads a record of. */
  objectType: string | null;
  kinds: readonly Kind[];
  columns: ColumnsState;
  nouns: ItemNouns;
}) {
  const relatedKinds = columns.related ? columns.relatedKinds : NONE;
  const nameOf = useRelatedNames(provider, relatedKinds);
  const chipsOf = useCallback(
    (item: IntegrationItem) =>
      relatedChips(item, relatedKinds, nameOf, (kind) => kinds.find((k) => k.id === kind)?.noun ?? kind),
    [relatedKinds, nameOf, kinds],
  );
  const related = useMemo(
    () => (columns.related ? (item: IntegrationItem) => <RelatedChips chips={chipsOf(item)} limit={CELL_CHIPS} /> : undefined),
    [columns.related, chipsOf],
  );

  const kindName = useCallback((id: string) => relatedWords(kinds, [id]).replace(/^./, (c) => c.toUpperCase()), [kinds]);

  const [open, setOpen] = useState<{ item: IntegrationItem; trigger: HTMLElement } | null>(null);
  const onOpen = useCallback((item: IntegrationItem, trigger: HTMLElement) => setOpen({ item, trigger }), []);
  const close = useCallback(() => {
    if (open) {
      // Back to the row's button (a virtualized row may have been rendered anew since).
      const again = open.trigger.isConnected
        ? open.trigger
        : document.querySelector<HTMLElement>(`button.row-open[data-record-id="${CSS.escape(open.item.id)}"]`);
      again?.focus();
    }
    setOpen(null);
  }, [open]);

  // Every property of the record, for a provider that discovers its fields (the others keep the row).
  const full = useRecord({
    provider,
    objectType,
    id: open?.item.id ?? null,
    associations: relatedKinds,
    enabled: columns.fields !== null,
  });
  const shown = full.record ?? open?.item ?? null;
  const lookup = useMemo(
    () => ({ loading: full.loading, gone: full.gone, error: full.error, retry: full.retry }),
    [full.loading, full.gone, full.error, full.retry],
  );

  const drawer =
    open && shown ? (
      <RecordDrawer
        key={open.item.id}
        item={shown}
        title={itemTitle(open.item)}
        fields={columns.fields}
        nouns={nouns}
        providerName={providerName}
        chips={columns.related ? chipsOf(shown) : null}
        kindName={kindName}
        lookup={columns.fields !== null ? lookup : null}
        onClose={close}
      />
    ) : null;

  /** The CSV of the rows shown: the chosen columns (and related records), else the declared ones and every simple property. */
  const csv = useCallback(
    (rows: readonly IntegrationItem[]) =>
      columns.customized || columns.related
        ? chosenCsv(rows, columns.columns, columns.related ? (item) => relatedText(chipsOf(item)) : undefined)
        : syncCsv(rows, columns.columns),
    [columns.customized, columns.related, columns.columns, chipsOf],
  );

  return { related, onOpen, drawer, csv };
}
