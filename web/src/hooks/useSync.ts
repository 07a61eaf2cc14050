/**
 * "Sync": brings the dataset of one kind up to date. With a checkpoint (and a provider that
 * has incremental sync) it streams `/changes?since=checkpoint` and applies the upserts and
 * deletes; otherwise — no checkpoint yet, or the provider answered `changes_unsupported` — it
 * streams the whole `/export`. Arrivals are folded into the dataset (the TanStack cache entry
 * `useDataset` reads) a few times a second, so the table and the progress bar move as pages
 * arrive; when a run stops the dataset is kept in IndexedDB, with the new checkpoint and time
 * when it ended. Cancel keeps what arrived. A run that fails or is cut short can be retried: it
 * resumes from its last cursor line. A 429 (before the stream or as an error line) waits for
 * `Retry-After` with a countdown, then resumes from that cursor by itself.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { asApiError, type ApiError } from '../api/client';
import { streamChanges } from '../api/changesStream';
import { streamExport } from '../api/exportStream';
import type { IntegrationItem } from '../api/models';
import { EMPTY_DATASET, exportView, syncMode, type Dataset } from '../dataset/model';
import { datasetKey, loadDataset, saveDataset } from '../dataset/store';
import { selectionSignature, type Selection } from '../selection';
import { queryKeys, useIdentity } from './queries';
import { retryDelayMs } from './useItems';

/** `waiting`: the provider rate-limited the sync; it resumes by itself at `retryAt`. */
export type SyncPhase = 'idle' | 'running' | 'waiting' | 'done' | 'cancelled' | 'failed';

/** `export`: every record; `changes`: what changed since the dataset's checkpoint. */
export type SyncMode = 'export' | 'changes';

export type SyncFailure =
  /** The stream ended without its end line. */
  | { kind: 'truncated' }
  /** The server refused, could not be reached, or said the provider failed mid-way. */
  | { kind: 'error'; error: ApiError };

export interface SyncState {
  phase: SyncPhase;
  mode: SyncMode;
  /** Records (an export) or changes (a changes run) received by this run so far. */
  received: number;
  /** How many there are: the start line's total (null when the provider cannot tell, and for changes); once done, the count. */
  total: number | null;
  /** Records per second over this run; null until there is enough to say. */
  rate: number | null;
  failure: SyncFailure | null;
  /** What a retry keeps: it continues after this many. 0 when it starts over. */
  resumeFrom: number;
  /** While `waiting`: when the sync resumes (ms since the epoch). */
  retryAt: number | null;
  /** A finished changes run: how many records it added or changed, and removed. */
  changed: { upserts: number; deletes: number } | null;
}

export const IDLE_SYNC: SyncState = {
  phase: 'idle',
  mode: 'export',
  received: 0,
  total: null,
  rate: null,
  failure: null,
  resumeFrom: 0,
  retryAt: null,
  changed: null,
};

/** Rate-limited answers in a row after which the sync stops waiting and says so. */
const MAX_WAITS = 20;

/** A sync that is under way (streaming, or waiting to resume). */
export function syncActive(phase: SyncPhase): boolean {
  return phase === 'running' || phase === 'waiting';
}

/** How often arrivals are shown: often enough to look live, rarely enough for 100k rows. */
export const PUBLISH_MS = 250;
/** No rate (nor time left) before this much of a run has passed: early numbers are noise. */
export const RATE_AFTER_MS = 1_000;

/** A changes run that cannot start from the checkpoint: the provider has none, or the token is refused. */
function needsExport(error: ApiError): boolean {
  return error.code === 'changes_unsupported' || error.code === 'invalid_request';
}

/** One sync's working copy, kept across its resumes. */
interface Work {
  mode: SyncMode;
  /** The dataset when the sync started. */
  base: Dataset;
  /** Export: the records received, by id, in order. Changes: the dataset with the changes so far. */
  records: Map<string, IntegrationItem>;
  /** Lines received (records or changes). */
  received: number;
  /** The last cursor line: where a resume starts, and how much was received before it. */
  cursor: string | null;
  kept: number;
  total: number | null;
  /** What the records are asked to carry (properties, associations), and its signature. */
  selection: Selection | undefined;
  signature: string;
}

interface Run {
  controller: AbortController;
  /** Null while the stored dataset is still being read. */
  timer: ReturnType<typeof setInterval> | null;
}

/** `objectType` null: the provider's default kind. Another provider or kind starts from idle. */
export function useSync(provider: string, objectType: string | null, selection?: Selection) {
  const who = useIdentity();
  // The selection when a sync starts (a run keeps its own, through its resumes).
  const selectionRef = useRef(selection);
  useEffect(() => {
    selectionRef.current = selection;
  });
  const client = useQueryClient();
  const key = `${who}\n${provider}\n${objectType ?? ''}`;
  const [state, setState] = useState<SyncState & { key: string }>({ ...IDLE_SYNC, key });
  const runRef = useRef<Run | null>(null);
  const workRef = useRef<Work | null>(null);
  // A rate-limited sync's scheduled resume, and how many times in a row it waited.
  const waitRef = useRef<ReturnType<typeof setTimeout> | null>(null);
  const waitsRef = useRef(0);

  const queryKey = queryKeys.dataset(who, provider, objectType);
  const storeKey = datasetKey(who, provider, objectType);
  const queryKeyRef = useRef(queryKey);
  useEffect(() => {
    queryKeyRef.current = queryKey;
  });

  /** The dataset as the work has it so far (`complete`: the run ended). */
  const viewOf = useCallback((work: Work, complete: boolean): IntegrationItem[] => {
    if (work.mode === 'changes') return [...work.records.values()];
    return exportView(work.records, work.base.items, complete);
  }, []);

  const stop = useCallback(() => {
    const run = runRef.current;
    runRef.current = null;
    if (run) {
      if (run.timer !== null) clearInterval(run.timer);
      run.controller.abort();
    }
    if (waitRef.current !== null) {
      clearTimeout(waitRef.current);
      waitRef.current = null;
    }
  }, []);

  /** Keeps what the work holds, in the cache and in IndexedDB. */
  const keep = useCallback(
    (dataset: Dataset) => {
      client.setQueryData(queryKeys.dataset(who, provider, objectType), dataset);
      void saveDataset(storeKey, dataset);
    },
    [client, who, provider, objectType, storeKey],
  );

  // `run` schedules itself after a 429 and after `changes_unsupported`; the ref breaks the cycle.
  const runRefFn = useRef<(resume: boolean) => void>(() => undefined);

  /** Runs `w` (a new sync, or resuming one from its cursor) until it stops. */
  const go = useCallback(
    (w: Work, resume: boolean, controller: AbortController) => {
      const { signal } = controller;
      const from = { cursor: w.cursor, kept: w.kept };
      if (resume) w.received = from.kept;
      // The rate counts from the first line, not from the click.
      let startedAt: number | null = null;
      const started = () => {
        startedAt ??= Date.now();
      };
      let published = -1;
      let publishedAt = 0;

      const progress = (): Pick<SyncState, 'received' | 'rate' | 'total'> => {
        const elapsed = startedAt === null ? 0 : Date.now() - startedAt;
        const fresh = w.received - from.kept;
        return {
          received: w.received,
          total: w.total,
          rate: elapsed >= RATE_AFTER_MS && fresh > 0 ? fresh / (elapsed / 1000) : null,
        };
      };
      const publish = (force = false) => {
        const now = Date.now();
        // Nothing new: still refresh the rate (and so the time left) once a second.
        if (!force && w.received === published && now - publishedAt < 1_000) return;
        const changed = w.received !== published;
        published = w.received;
        publishedAt = now;
        if (changed || force) client.setQueryData<Dataset>(queryKeyRef.current, { ...w.base, items: viewOf(w, false) });
        const next = progress();
        setState((prev) => (prev.key === key && prev.phase === 'running' ? { ...prev, ...next } : prev));
      };

      const timer = setInterval(() => {
        if (!signal.aborted) publish();
      }, PUBLISH_MS);
      runRef.current = { controller, timer };
      setState({ ...IDLE_SYNC, key, mode: w.mode, phase: 'running', received: w.received, total: w.total, resumeFrom: from.kept });

      const finish = (outcome: { checkpoint: string | null; changed: SyncState['changed'] } | SyncFailure) => {
        if (signal.aborted) return;
        clearInterval(timer);
        runRef.current = null;
        const last = progress();
        if ('kind' in outcome) {
          const failure = outcome;
          // A changes run the provider cannot do (or whose checkpoint it refuses): export instead.
          if (failure.kind === 'error' && w.mode === 'changes' && w.received === 0 && needsExport(failure.error)) {
            const base: Dataset = {
              ...w.base,
              checkpoint: null,
              changesUnsupported: w.base.changesUnsupported || failure.error.code === 'changes_unsupported',
            };
            client.setQueryData(queryKeyRef.current, base);
            workRef.current = null;
            runRefFn.current(false);
            return;
          }
          // What arrived is real: keep it (the checkpoint stays, so the next run brings it again).
          keep({ ...w.base, items: viewOf(w, false) });
          const resumeFrom = w.kept;
          // Rate limited: wait as the provider asked, then continue after the last cursor line.
          if (failure.kind === 'error' && failure.error.code === 'rate_limited' && waitsRef.current < MAX_WAITS) {
            waitsRef.current += 1;
            const delay = retryDelayMs(failure.error);
            waitRef.current = setTimeout(() => {
              waitRef.current = null;
              runRefFn.current(true);
            }, delay);
            setState({ ...IDLE_SYNC, key, mode: w.mode, phase: 'waiting', ...last, rate: null, failure, resumeFrom, retryAt: Date.now() + delay });
            return;
          }
          setState({ ...IDLE_SYNC, key, mode: w.mode, phase: 'failed', ...last, failure, resumeFrom });
          return;
        }
        waitsRef.current = 0;
        const items = viewOf(w, true);
        keep({ ...w.base, items, checkpoint: outcome.checkpoint, syncedAt: Date.now(), selection: w.signature });
        workRef.current = null;
        setState({
          ...IDLE_SYNC,
          key,
          mode: w.mode,
          phase: 'done',
          ...last,
          total: w.mode === 'export' ? items.length : null,
          changed: outcome.changed,
        });
      };

      const onCursor = (cursor: string, count: number) => {
        w.cursor = cursor;
        w.kept = Math.min(w.received, from.kept + count);
      };
      const stream =
        w.mode === 'export'
          ? streamExport(
              provider,
              objectType,
              {
                onStart: (value) => {
                  started();
                  // A resumed stream may not know; keep what the first one said.
                  if (value !== null || !resume) w.total = value;
                  publish(true);
                },
                onItems: (items) => {
                  started();
                  for (const item of items) {
                    w.records.delete(item.id);
                    w.records.set(item.id, item);
                  }
                  w.received = w.records.size;
                },
                onCursor,
              },
              { cursor: from.cursor, signal, selection: w.selection },
            ).then((outcome) => (outcome.kind === 'end' ? { checkpoint: outcome.checkpoint, changed: null } : outcome))
          : streamChanges(
              provider,
              objectType,
              {
                onChanges: (changes) => {
                  started();
                  for (const change of changes) {
                    if (change.type === 'upsert') w.records.set(change.item.id, change.item);
                    else w.records.delete(change.id);
                  }
                  w.received += changes.length;
                },
                onCursor,
              },
              { since: w.base.checkpoint, cursor: from.cursor, signal, selection: w.selection },
            ).then((outcome) =>
              outcome.kind === 'end'
                ? { checkpoint: outcome.checkpoint, changed: { upserts: outcome.upserts, deletes: outcome.deletes } }
                : outcome,
            );
      stream.then(
        (outcome) => finish(outcome),
        (error: unknown) => finish({ kind: 'error', error: asApiError(error) }),
      );
    },
    [client, provider, objectType, key, keep, viewOf],
  );

  const run = useCallback(
    (resume: boolean) => {
      stop();
      const controller = new AbortController();
      const work = workRef.current;
      if (resume && work) {
        go(work, true, controller);
        return;
      }
      // A new sync starts from the stored dataset: wait for it to be read (a click right after
      // a reload must not race the read), then choose changes or export.
      runRef.current = { controller, timer: null };
      const cached = client.getQueryData<Dataset | null>(queryKeyRef.current);
      const chosen = selectionRef.current;
      const signature = selectionSignature(chosen);
      setState({ ...IDLE_SYNC, key, phase: 'running', mode: syncMode(cached, signature) });
      client
        .ensureQueryData<Dataset | null>({ queryKey: queryKeyRef.current, queryFn: () => loadDataset(storeKey) })
        .catch(() => null)
        .then((stored) => {
          if (controller.signal.aborted) return;
          const base = stored ?? EMPTY_DATASET;
          const mode = syncMode(base, signature);
          const next: Work = {
            selection: chosen,
            signature,
            mode,
            base,
            records: mode === 'changes' ? new Map(base.items.map((item) => [item.id, item])) : new Map(),
            received: 0,
            cursor: null,
            kept: 0,
            total: null,
          };
          workRef.current = next;
          go(next, false, controller);
        });
    },
    [client, key, stop, go, storeKey],
  );
  useEffect(() => {
    runRefFn.current = run;
  }, [run]);

  /** Brings the dataset up to date: changes since its checkpoint, or every record. */
  const sync = useCallback(() => {
    waitsRef.current = 0;
    run(false);
  }, [run]);
  /** After a failure: from the last cursor line when there is one, else from the start. */
  const retry = useCallback(() => {
    waitsRef.current = 0;
    run(workRef.current?.cursor != null);
  }, [run]);

  /** Stops the stream (or the wait before resuming it); what arrived stays. */
  const cancel = useCallback(() => {
    if (!runRef.current && waitRef.current === null) return;
    stop();
    const w = workRef.current;
    if (w) keep({ ...w.base, items: viewOf(w, false) });
    workRef.current = null;
    setState((prev) => (prev.key === key ? { ...prev, phase: 'cancelled', rate: null, failure: null, retryAt: null } : prev));
  }, [stop, key, keep, viewOf]);

  /** Back to idle (a disconnect): no run, no outcome shown. */
  const reset = useCallback(() => {
    stop();
    workRef.current = null;
    setState({ ...IDLE_SYNC, key });
  }, [stop, key]);

  // Another kind (or provider), or leaving the page: stop streaming, keeping what arrived.
  useEffect(
    () => () => {
      const active = runRef.current !== null || waitRef.current !== null;
      stop();
      const w = workRef.current;
      if (active && w) keep({ ...w.base, items: viewOf(w, false) });
      workRef.current = null;
    },
    [key, stop, keep, viewOf],
  );

  const visible: SyncState = state.key === key ? state : IDLE_SYNC;
  return { state: visible, sync, retry, cancel, reset };
}
