/**
 * Pushed events (`/events`) applied to a synced dataset, in place, before the changes sync that
 * brings whole records: a delete removes the record, a merge removes the records merged away, an
 * upsert that names a property the record holds sets it (when the record is here and the event
 * is not older than what the record already says). Everything else waits for that sync.
 */
import type { IntegrationItem } from '../api/models';
import type { LiveEvent } from '../api/eventsStream';
import { itemTitle } from '../items';
import type { Dataset } from './model';

export interface AppliedEvents {
  /** The dataset with the events applied (the same object when nothing changed). */
  dataset: Dataset;
  /** Ids of records here that an event touched (to highlight; a sync brings the rest). */
  changed: Set<string>;
  /** Ids removed from the dataset. */
  removed: Set<string>;
}

function time(value: unknown): number {
  return typeof value === 'string' ? Date.parse(value) : Number.NaN;
}

/** `events` (of this dataset's kind, oldest first) applied to `dataset`. Applying them twice changes nothing more. */
export function applyEvents(dataset: Dataset, events: readonly LiveEvent[]): AppliedEvents {
  const changed = new Set<string>();
  const removed = new Set<string>();
  if (events.length === 0) return { dataset, changed, removed };
  const byId = new Map<string, IntegrationItem>(dataset.items.map((item) => [item.id, item]));
  let touched = false;
  const remove = (id: string) => {
    if (!byId.delete(id)) return;
    touched = true;
    removed.add(id);
    changed.delete(id);
  };
  for (const event of events) {
    if (event.type === 'delete') {
      remove(event.id);
      continue;
    }
    if (event.type === 'merge') {
      for (const id of event.mergedIds ?? []) remove(id);
    }
    const item = byId.get(event.id);
    if (!item || event.type === 'association') continue;
    // A replayed event older than the record we hold (synced after it) must not undo it.
    const updated = time(item.updated_at);
    if (!Number.isNaN(updated) && updated > event.occurredAt) continue;
    changed.add(event.id);
    if (event.type !== 'upsert' || !event.property) continue;
    const { name, value } = event.property;
    // Only a property the dataset holds: the next changes run brings records without the others,
    // and a CSV column must not appear for the few records an event happened to name.
    if (!Object.hasOwn(item.properties, name)) continue;
    if (item.properties[name] === value && !Number.isNaN(updated) && updated >= event.occurredAt) continue;
    const next: IntegrationItem = {
      ...item,
      properties: { ...item.properties, [name]: value },
      updated_at: new Date(event.occurredAt).toISOString(),
    };
    // A title made of the name properties (first + last name) follows them.
    const derived = (record: IntegrationItem) => itemTitle({ ...record, title: '' });
    if (item.title && item.title === derived(item)) next.title = derived(next);
    byId.set(event.id, next);
    touched = true;
  }
  if (!touched) return { dataset, changed, removed };
  return { dataset: { ...dataset, items: [...byId.values()] }, changed, removed };
}
