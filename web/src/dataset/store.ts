/**
 * Where datasets live between visits: IndexedDB (database `vs-integrations`, store `datasets`),
 * through `idb-keyval`, one entry per (user, provider, object type) holding its records, its
 * checkpoint and the time of the last sync. Values are stored by structured clone (no JSON
 * round trip) and written only when a sync run stops, so 100,000 records cost one write per
 * sync. Without IndexedDB (a private window that refuses it, an old test environment) the page
 * works as before, only without the dataset surviving a reload.
 */
import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';
import type { Dataset } from './model';

/** Bumped when the stored shape changes: an older entry is then ignored (the next sync rewrites it). */
const VERSION = 1;

interface Stored extends Dataset {
  version: number;
}

let store: UseStore | null | undefined;

function datasets(): UseStore | null {
  if (store === undefined) store = typeof indexedDB === 'undefined' ? null : createStore('vs-integrations', 'datasets');
  return store;
}

/** Tests: a fresh database handle (after fake-indexeddb is reset). */
export function resetDatasetStoreForTests(): void {
  store = undefined;
}

/** The key of one dataset. `objectType` null: the provider's default kind. */
export function datasetKey(who: string, provider: string, objectType: string | null): string {
  return JSON.stringify([who, provider, objectType ?? '']);
}

/** The stored dataset, or null when there is none (or IndexedDB cannot be used). */
export async function loadDataset(key: string): Promise<Dataset | null> {
  const db = datasets();
  if (!db) return null;
  try {
    const value = await get<Stored>(key, db);
    if (!value || value.version !== VERSION || !Array.isArray(value.items)) return null;
    return {
      items: value.items,
      checkpoint: value.checkpoint,
      syncedAt: value.syncedAt,
      changesUnsupported: value.changesUnsupported,
      ...(typeof value.selection === 'string' ? { selection: value.selection } : {}),
    };
  } catch {
    return null;
  }
}

/** Keeps `dataset` under `key`. A failed write (quota, no IndexedDB) only costs the next reload. */
export async function saveDataset(key: string, dataset: Dataset): Promise<void> {
  const db = datasets();
  if (!db) return;
  const value: Stored = { version: VERSION, ...dataset };
  await set(key, value, db).catch(() => undefined);
}

/** Forgets every dataset of `who` at `provider` (a disconnect). */
export async function deleteDatasets(who: string, provider: string): Promise<void> {
  const db = datasets();
  if (!db) return;
  try {
    const all = await keys<string>(db);
    await Promise.all(
      all
        .filter((key) => {
          try {
            const [w, p] = JSON.parse(key) as unknown[];
            return w === who && p === provider;
          } catch {
            return false;
          }
        })
        .map((key) => del(key, db)),
    );
  } catch {
    // Nothing stored, or no IndexedDB: nothing to forget.
  }
}

/**
 * The key of a provider's events offset: beside its datasets (the same user and provider, so a
 * disconnect's `deleteDatasets` forgets it too), never mistaken for a kind's dataset.
 */
export function eventOffsetKey(who: string, provider: string): string {
  return JSON.stringify([who, provider, '', 'events']);
}

/** Where the provider's events feed resumes (null: none kept, or no IndexedDB). */
export async function loadEventOffset(who: string, provider: string): Promise<string | null> {
  const db = datasets();
  if (!db) return null;
  try {
    const value = await get<unknown>(eventOffsetKey(who, provider), db);
    return typeof value === 'string' && value !== '' ? value : null;
  } catch {
    return null;
  }
}

/** Keeps (or, with null, forgets) where the provider's events feed resumes. */
export async function saveEventOffset(who: string, provider: string, offset: string | null): Promise<void> {
  const db = datasets();
  if (!db) return;
  const key = eventOffsetKey(who, provider);
  await (offset === null ? del(key, db) : set(key, offset, db)).catch(() => undefined);
}
