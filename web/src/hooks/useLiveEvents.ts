/**
 * Live updates on a provider page: while the page is open (and the tab not hidden for long) it
 * follows the provider's events (`live/follow.ts`, the offset kept in IndexedDB beside the
 * datasets), applies each one to the synced dataset of its kind in place (`dataset/events.ts`:
 * deletes and merges remove records, a property change sets the property), highlights the rows
 * it touched for a few seconds, and lists it among the recent changes. A quiet changes run
 * (`/changes?since=checkpoint`, the same as Sync's) follows a burst of events, to bring whole
 * records (new ones, other properties), with the properties and related kinds the dataset was
 * synced with; before the first sync the preview's first page (with the chosen columns) is asked
 * again instead. A gap or a refused offset triggers that run at once. A Sync the user started
 * wins: events meanwhile wait for it, then get their quiet run.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { streamChanges } from '../api/changesStream';
import type { LiveEvent } from '../api/eventsStream';
import type { ObjectType } from '../api/models';
import { applyEvents } from '../dataset/events';
import { applyChanges, syncMode, type Change, type Dataset } from '../dataset/model';
import { datasetKey, loadDataset, loadEventOffset, saveDataset, saveEventOffset } from '../dataset/store';
import { itemTitle } from '../items';
import { follow, type FollowStatus } from '../live/follow';
import { parseSelection } from '../selection';
import { queryKeys, useIdentity } from './queries';

/** The most recent events listed. */
export const RECENT_MAX = 50;
/** How long a changed row stays highlighted. */
export const HIGHLIGHT_MS = 6_000;
/** Quiet after the last event before the changes run that brings whole records. */
export const REFRESH_DEBOUNCE_MS = 1_500;
/** A tab hidden this long stops following; it resumes from the kept offset when shown again. */
export const HIDDEN_STOP_MS = 60_000;

export interface RecentEvent {
  /** Unique in the list (the offset). */
  key: string;
  event: LiveEvent;
  /** The record's name when it was in the dataset. */
  name: string | null;
}

export type LiveStatus = FollowStatus | 'off';

export interface LiveState {
  status: LiveStatus;
  /** The feed was open at least once on this page. */
  everLive: boolean;
  /** When the last event happened (ms since the epoch); null before one arrived. */
  lastEventAt: number | null;
  /** Newest first, at most `RECENT_MAX`. */
  recent: RecentEvent[];
}

/** The dataset kind an event's `object_type` belongs to (null: the default kind); undefined: none shown here. */
export function kindOf(objectTypes: readonly ObjectType[], objectType: string): string | null | undefined {
  if (objectTypes.length > 1) return objectTypes.some((t) => t.id === objectType) ? objectType : undefined;
  return objectTypes.length === 0 || objectTypes[0]?.id === objectType ? null : undefined;
}

const slot = (kind: string | null) => kind ?? '';
const mark = (kind: string | null, id: string) => `${slot(kind)}\n${id}`;

/** Is the tab hidden for long? (hidden ≥ `HIDDEN_STOP_MS`). */
function useHiddenLong(): boolean {
  const [hiddenLong, setHiddenLong] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const onChange = () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (document.visibilityState === 'hidden') timer = setTimeout(() => setHiddenLong(true), HIDDEN_STOP_MS);
      else setHiddenLong(false);
    };
    document.addEventListener('visibilitychange', onChange);
    return () => {
      document.removeEventListener('visibilitychange', onChange);
      if (timer !== null) clearTimeout(timer);
    };
  }, []);
  return hiddenLong;
}

export function useLiveEvents({
  provider,
  objectTypes,
  enabled,
  kind,
  syncBusy,
}: {
  provider: string;
  objectTypes: readonly ObjectType[];
  /** Connected: follow. Not connected (or unknown): nothing runs. */
  enabled: boolean;
  /** The kind shown (the one `useSync` runs for). */
  kind: string | null;
  /** A Sync of the shown kind is under way. */
  syncBusy: boolean;
}) {
  const who = useIdentity();
  const client = useQueryClient();
  const hiddenLong = useHiddenLong();
  const active = enabled && !hiddenLong;

  const [state, setState] = useState<LiveState>({ status: 'off', everLive: false, lastEventAt: null, recent: [] });
  /** Rows highlighted now: kind + id → a number that changes with every new change of the row. */
  const [highlighted, setHighlighted] = useState<ReadonlyMap<string, number>>(() => new Map());

  // Everything the callbacks need, current, without restarting the follow.
  const latest = useRef({ kind, syncBusy, objectTypes });
  useEffect(() => {
    latest.current = { kind, syncBusy, objectTypes };
  });
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const refreshes = useRef(new Map<string, AbortController>());
  /** Kinds that had events while a Sync ran: they get their quiet run after it. */
  const pending = useRef(new Set<string | null>());
  const seq = useRef(0);

  const later = useCallback((name: string, ms: number, fn: () => void) => {
    const old = timers.current.get(name);
    if (old !== undefined) clearTimeout(old);
    const timer = setTimeout(() => {
      timers.current.delete(name);
      fn();
    }, ms);
    timers.current.set(name, timer);
  }, []);

  const highlight = useCallback(
    (kindOfRows: string | null, ids: Iterable<string>) => {
      const marks = [...ids].map((id) => mark(kindOfRows, id));
      if (marks.length === 0) return;
      seq.current += 1;
      const stamp = seq.current;
      setHighlighted((prev) => {
        const next = new Map(prev);
        for (const m of marks) next.set(m, stamp);
        return next;
      });
      later(`highlight-${stamp}`, HIGHLIGHT_MS, () =>
        setHighlighted((prev) => {
          const next = new Map(prev);
          for (const m of marks) if (next.get(m) === stamp) next.delete(m);
          return next;
        }),
      );
    },
    [later],
  );

  const datasetOf = useCallback(
    async (k: string | null): Promise<Dataset | null> => {
      const cached = client.getQueryData<Dataset | null>(queryKeys.dataset(who, provider, k));
      if (cached !== undefined) return cached;
      return loadDataset(datasetKey(who, provider, k));
    },
    [client, who, provider],
  );

  /**
   * Writes a kind's dataset (as the cache holds it when the write starts) to IndexedDB; resolves
   * once a write that includes what the cache holds now is done. Writes of a burst coalesce: while
   * one runs, the next waits, and every batch of that burst shares it.
   */
  const saves = useRef(new Map<string, { last: Promise<void>; next: Promise<void> | null }>());
  const persist = useCallback(
    (k: string | null): Promise<void> => {
      const entry = saves.current.get(slot(k)) ?? { last: Promise.resolve(), next: null };
      saves.current.set(slot(k), entry);
      if (entry.next) return entry.next;
      const next = entry.last.then(async () => {
        entry.next = null;
        const now = client.getQueryData<Dataset | null>(queryKeys.dataset(who, provider, k));
        if (now) await saveDataset(datasetKey(who, provider, k), now);
      });
      entry.next = next;
      entry.last = next;
      return next;
    },
    [client, who, provider],
  );

  /** The quiet changes run of one kind: whole records for what the events announced. */
  const refresh = useCallback(
    async (k: string | null, announced: ReadonlySet<string>) => {
      if (k === latest.current.kind && latest.current.syncBusy) {
        pending.current.add(k);
        return;
      }
      const base = await datasetOf(k);
      if (!base) {
        // Before the first sync: the preview's first page, asked again.
        if (k === latest.current.kind) void client.invalidateQueries({ queryKey: queryKeys.items(who, provider, k) });
        return;
      }
      if (syncMode(base) !== 'changes') return;
      refreshes.current.get(slot(k))?.abort();
      const controller = new AbortController();
      refreshes.current.set(slot(k), controller);
      const changes: Change[] = [];
      try {
        // The records carry what the dataset was synced with (chosen properties, related kinds): ask for the same.
        const outcome = await streamChanges(
          provider,
          k,
          { onChanges: (c) => changes.push(...c) },
          { since: base.checkpoint, signal: controller.signal, selection: parseSelection(base.selection) },
        );
        if (outcome.kind !== 'end' || controller.signal.aborted) return;
        const key = queryKeys.dataset(who, provider, k);
        const now = client.getQueryData<Dataset | null>(key) ?? base;
        // A Sync moved the checkpoint meanwhile (it brought all this and more), or re-exported with other columns.
        if (now.checkpoint !== base.checkpoint || (now.selection ?? '') !== (base.selection ?? '')) return;
        const known = new Set(now.items.map((item) => item.id));
        const next: Dataset = {
          ...now,
          items: applyChanges(now.items, changes),
          checkpoint: outcome.checkpoint ?? now.checkpoint,
          syncedAt: Date.now(),
        };
        client.setQueryData(key, next);
        void persist(k);
        const upserted = changes.flatMap((c) => (c.type === 'upsert' && (announced.has(c.item.id) || !known.has(c.item.id)) ? [c.item.id] : []));
        highlight(k, upserted);
      } catch {
        // Aborted (a Sync took over, the page went away) or failed: the next event or Sync brings it.
      } finally {
        if (refreshes.current.get(slot(k)) === controller) refreshes.current.delete(slot(k));
      }
    },
    [client, who, provider, datasetOf, persist, highlight],
  );

  const announced = useRef(new Map<string, Set<string>>());
  const scheduleRefresh = useCallback(
    (k: string | null, ids: Iterable<string> = [], ms = REFRESH_DEBOUNCE_MS) => {
      const set = announced.current.get(slot(k)) ?? new Set<string>();
      for (const id of ids) set.add(id);
      announced.current.set(slot(k), set);
      later(`refresh-${slot(k)}`, ms, () => {
        announced.current.delete(slot(k));
        void refresh(k, set);
      });
    },
    [later, refresh],
  );

  /** Events of one kind, applied to its dataset (cached or stored); resolves once that is stored. */
  const applyKind = useCallback(
    async (k: string | null, events: LiveEvent[], names: Map<string, string | null>): Promise<{ stored: Promise<void> | null }> => {
      const key = queryKeys.dataset(who, provider, k);
      const ids = events.flatMap((e) => [e.id, ...(e.mergedIds ?? [])]);
      if (k === latest.current.kind && latest.current.syncBusy) {
        // The Sync under way owns the dataset now; its quiet run follows it.
        pending.current.add(k);
        return { stored: null };
      }
      const cached = client.getQueryData<Dataset | null>(key);
      const dataset = cached === undefined ? await loadDataset(datasetKey(who, provider, k)) : cached;
      if (!dataset) {
        if (k === latest.current.kind) scheduleRefresh(k, ids);
        return { stored: null };
      }
      for (const e of events) {
        const item = dataset.items.find((i) => i.id === e.id);
        if (item) names.set(`${slot(k)}\n${e.id}`, itemTitle(item) || null);
      }
      const current = client.getQueryData<Dataset | null>(key) ?? dataset;
      const applied = applyEvents(current, events);
      let stored: Promise<void> | null = null;
      if (applied.dataset !== current) {
        client.setQueryData(key, applied.dataset);
        stored = persist(k);
      }
      highlight(k, applied.changed);
      if (events.some((e) => e.type !== 'delete')) scheduleRefresh(k, ids);
      return { stored };
    },
    [client, who, provider, persist, highlight, scheduleRefresh],
  );

  const chain = useRef<Promise<void>>(Promise.resolve());
  /** Applies a batch (batches in order); resolves once the datasets it changed are stored. */
  const onEvents = useCallback(
    (events: LiveEvent[]): Promise<void> => {
      const step = chain.current.then(async () => {
        const stores: Promise<void>[] = [];
        const byKind = new Map<string, { k: string | null; events: LiveEvent[] }>();
        for (const event of events) {
          const k = kindOf(latest.current.objectTypes, event.objectType);
          if (k === undefined) continue;
          const group = byKind.get(slot(k)) ?? { k, events: [] };
          group.events.push(event);
          byKind.set(slot(k), group);
        }
        const names = new Map<string, string | null>();
        for (const { k, events: of } of byKind.values()) {
          try {
            const { stored } = await applyKind(k, of, names);
            if (stored) stores.push(stored);
          } catch {
            // A dataset that could not be read: the list still says what happened.
          }
        }
        const now = Date.now();
        const newest = Math.min(now, Math.max(...events.map((e) => e.occurredAt)));
        const added: RecentEvent[] = events
          .map((event) => {
            const k = kindOf(latest.current.objectTypes, event.objectType);
            return { key: event.offset, event, name: k === undefined ? null : (names.get(`${slot(k)}\n${event.id}`) ?? null) };
          })
          .reverse();
        setState((prev) => ({
          ...prev,
          lastEventAt: Math.max(prev.lastEventAt ?? 0, newest),
          recent: [...added, ...prev.recent.filter((r) => !added.some((a) => a.key === r.key))].slice(0, RECENT_MAX),
        }));
        return { stores };
      });
      chain.current = step.then(
        () => undefined,
        () => undefined,
      );
      return step.then(({ stores }) => Promise.all(stores)).then(() => undefined);
    },
    [applyKind],
  );

  /** Events were missed: a quiet changes run for every kind with a dataset. */
  const onResync = useCallback(() => {
    const kinds = latest.current.objectTypes.length > 1 ? latest.current.objectTypes.map((t) => t.id) : [null];
    for (const k of kinds) scheduleRefresh(k, [], 0);
  }, [scheduleRefresh]);

  useEffect(() => {
    if (!active) return;
    const controller = new AbortController();
    void follow({
      provider,
      signal: controller.signal,
      loadOffset: () => loadEventOffset(who, provider),
      saveOffset: (offset) => saveEventOffset(who, provider, offset),
      onEvents,
      onResync,
      // `stopped` (not connected, grant lost): the page learns it from its own calls.
      onStatus: (status) => setState((prev) => ({ ...prev, status, everLive: prev.everLive || status === 'live' })),
    });
    return () => {
      controller.abort();
      setState((prev) => ({ ...prev, status: 'off' }));
    };
  }, [active, who, provider, onEvents, onResync]);

  // A Sync of the shown kind owns its dataset: a quiet run of it stops, and runs again after.
  useEffect(() => {
    const k = kind;
    if (syncBusy) {
      refreshes.current.get(slot(k))?.abort();
      return;
    }
    if (pending.current.delete(k)) scheduleRefresh(k);
  }, [syncBusy, kind, scheduleRefresh]);

  // Leaving the page: no timer, no quiet run left behind.
  useEffect(() => {
    const pendingTimers = timers.current;
    const running = refreshes.current;
    return () => {
      for (const timer of pendingTimers.values()) clearTimeout(timer);
      pendingTimers.clear();
      for (const controller of running.values()) controller.abort();
      running.clear();
    };
  }, []);

  /** Ids of the shown kind's rows highlighted now, with their change stamp. */
  const rows = useMemo(() => {
    const prefix = `${slot(kind)}\n`;
    const shown = new Map<string, number>();
    for (const [m, stamp] of highlighted) if (m.startsWith(prefix)) shown.set(m.slice(prefix.length), stamp);
    return shown;
  }, [highlighted, kind]);
  return { state, highlighted: rows };
}
