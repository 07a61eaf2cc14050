/**
 * One dataset per (user, provider, object type): the records the user has synced, with the
 * checkpoint of the last complete sync and when it ended. Pure functions over it: how an export
 * run and a changes run fold into it, and search over every record.
 */
import type { Column, IntegrationItem } from '../api/models';
import { cellValue } from '../items';

export interface Dataset {
  /** Every synced record, in the provider's order (new ones from a changes run at the end). */
  items: IntegrationItem[];
  /** The `end` line's checkpoint of the last complete run: where the next changes run starts. */
  checkpoint: string | null;
  /** When the last complete run ended (ms since the epoch); null before one did. */
  syncedAt: number | null;
  /** The provider answered `changes_unsupported`: every sync is an export. */
  changesUnsupported: boolean;
  /** What the records carry (`selectionSignature`: properties, associations); absent or '' for the defaults. */
  selection?: string;
}

export const EMPTY_DATASET: Dataset = { items: [], checkpoint: null, syncedAt: null, changesUnsupported: false };

/**
 * What a sync does next: a changes run from the checkpoint, or an export of everything. Records
 * that carry other properties than now asked for (`selection`, when given) are exported again.
 */
export function syncMode(dataset: Dataset | null | undefined, selection?: string): 'changes' | 'export' {
  if (selection !== undefined && (dataset?.selection ?? '') !== selection) return 'export';
  return dataset?.checkpoint && !dataset.changesUnsupported ? 'changes' : 'export';
}

/**
 * An export under way over what was synced before: the records received so far (in their
 * order, each once) first, then the older records not received yet. Until the export ends the
 * older ones stay (a cancelled or cut export loses nothing); `complete` drops those the export
 * did not send (deleted at the provider since).
 */
export function exportView(
  received: ReadonlyMap<string, IntegrationItem>,
  previous: readonly IntegrationItem[],
  complete: boolean,
): IntegrationItem[] {
  const items = [...received.values()];
  if (complete) return items;
  for (const item of previous) if (!received.has(item.id)) items.push(item);
  return items;
}

/** A record created or modified, or one deleted, from a changes run. */
export type Change = { type: 'upsert'; item: IntegrationItem } | { type: 'delete'; id: string };

/**
 * `changes` applied to `items`, in order: an upsert replaces the record with its id where it
 * stands (or is added at the end), a delete removes it (a delete of an unknown id is nothing).
 * Applying the same changes twice gives the same records (a resumed run may resend a page).
 */
export function applyChanges(items: readonly IntegrationItem[], changes: readonly Change[]): IntegrationItem[] {
  if (changes.length === 0) return items.slice();
  const byId = new Map<string, IntegrationItem>();
  for (const item of items) byId.set(item.id, item);
  for (const change of changes) {
    if (change.type === 'upsert') byId.set(change.item.id, change.item);
    else byId.delete(change.id);
  }
  return [...byId.values()];
}

/** The records whose shown columns contain `query` (case-insensitive); all of them for an empty query. */
export function searchItems(
  items: readonly IntegrationItem[],
  columns: readonly Column[],
  query: string,
): readonly IntegrationItem[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return items;
  return items.filter((item) => columns.some((c) => cellValue(item, c.key).toLowerCase().includes(needle)));
}
