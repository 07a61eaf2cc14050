/**
 * "Sync all": every item of one kind, streamed from the export endpoint. Items pile up in a
 * buffer and are published to React a few times a second (not once per line), with the rate
 * over this run. Cancel keeps what arrived. A stream that fails or is cut short can be retried:
 * it resumes after the last page the server confirmed (its cursor line), keeping those items.
 * A 429 (before the stream or as an error line) waits for `Retry-After` with a countdown, then
 * resumes from that cursor by itself.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { asApiError, type ApiError } from '../api/client';
import { streamExport } from '../api/exportStream';
import type { IntegrationItem } from '../api/models';
import { retryDelayMs } from './useItems';

/** `waiting`: the provider rate-limited the sync; it resumes by itself at `retryAt`. */
export type SyncPhase = 'idle' | 'running' | 'waiting' | 'done' | 'cancelled' | 'failed';

export type SyncFailure =
  /** The stream ended without its end line. */
  | { kind: 'truncated' }
  /** The server refused, could not be reached, or said the provider failed mid-way. */
  | { kind: 'error'; error: ApiError };

export interface SyncState {
  phase: SyncPhase;
  /** What arrived, in order (kept through cancel and failures). */
  items: IntegrationItem[];
  /** How many there are: the start line's total (null when the provider cannot tell); once done, the count. */
  total: number | null;
  /** Records per second over this run; null until there is enough to say. */
  rate: number | null;
  failure: SyncFailure | null;
  /** Items a retry keeps: it continues after them. 0 when it starts over. */
  resumeFrom: number;
  /** While `waiting`: when the sync resumes (ms since the epoch). */
  retryAt: number | null;
}

export const IDLE_SYNC: SyncState = {
  phase: 'idle',
  items: [],
  total: null,
  rate: null,
  failure: null,
  resumeFrom: 0,
  retryAt: null,
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

interface Run {
  controller: AbortController;
  timer: ReturnType<typeof setInterval>;
}

/** `objectType` null: the provider's default kind. Another provider or kind starts from idle. */
export function useSync(provider: string, objectType: string | null) {
  const key = `${provider}\n${objectType ?? ''}`;
  const [state, setState] = useState<SyncState & { key: string }>({ ...IDLE_SYNC, key });
  const runRef = useRef<Run | null>(null);
  // The working copy of the items and where the last confirmed page ended.
  const bufferRef = useRef<IntegrationItem[]>([]);
  const resumeRef = useRef<{ cursor: string | null; kept: number }>({ cursor: null, kept: 0 });
  const totalRef = useRef<number | null>(null);
  // A rate-limited sync's scheduled resume, and how many times in a row it waited.
  const waitRef = useRef<ReturnType<typeof setTimeout> | null>(null);
  const waitsRef = useRef(0);

  const stop = useCallback(() => {
    const run = runRef.current;
    runRef.current = null;
    if (run) {
      clearInterval(run.timer);
      run.controller.abort();
    }
    if (waitRef.current !== null) {
      clearTimeout(waitRef.current);
      waitRef.current = null;
    }
  }, []);

  // `start` schedules itself after a 429; the ref breaks the cycle between the two callbacks.
  const startRef = useRef<(resume: boolean) => void>(() => undefined);

  const start = useCallback(
    (resume: boolean) => {
      stop();
      const controller = new AbortController();
      const { signal } = controller;
      const from = resume ? resumeRef.current : { cursor: null, kept: 0 };
      const buffer = bufferRef.current.slice(0, from.kept);
      bufferRef.current = buffer;
      resumeRef.current = { ...from };
      // The rate counts from the first line, not from the click: the server may take a moment
      // (it asks the provider for the total) before it streams.
      let startedAt: number | null = null;
      const started = () => {
        startedAt ??= Date.now();
      };
      let total: number | null = resume ? totalRef.current : null;
      totalRef.current = total;
      let published = -1;
      let publishedAt = 0;

      const snapshot = (): Pick<SyncState, 'items' | 'rate' | 'total'> => {
        const elapsed = startedAt === null ? 0 : Date.now() - startedAt;
        const received = buffer.length - from.kept;
        return {
          items: buffer.slice(),
          total,
          rate: elapsed >= RATE_AFTER_MS && received > 0 ? received / (elapsed / 1000) : null,
        };
      };
      const publish = (force = false) => {
        const now = Date.now();
        // Nothing new: still refresh the rate (and so the time left) once a second.
        if (!force && buffer.length === published && now - publishedAt < 1_000) return;
        published = buffer.length;
        publishedAt = now;
        const next = snapshot();
        setState((prev) => (prev.key === key && prev.phase === 'running' ? { ...prev, ...next } : prev));
      };

      const timer = setInterval(() => {
        if (!signal.aborted) publish();
      }, PUBLISH_MS);
      runRef.current = { controller, timer };
      setState({ ...IDLE_SYNC, key, phase: 'running', items: buffer.slice(), total, resumeFrom: from.kept });

      const finish = (phase: 'done' | 'failed', failure: SyncFailure | null) => {
        if (signal.aborted) return;
        clearInterval(timer);
        runRef.current = null;
        const last = snapshot();
        const resumeFrom = phase === 'failed' ? resumeRef.current.kept : 0;
        // Rate limited: wait as the provider asked, then continue after the last confirmed page.
        if (failure?.kind === 'error' && failure.error.code === 'rate_limited' && waitsRef.current < MAX_WAITS) {
          waitsRef.current += 1;
          const delay = retryDelayMs(failure.error);
          bufferRef.current = buffer.slice(0, resumeRef.current.kept);
          waitRef.current = setTimeout(() => {
            waitRef.current = null;
            startRef.current(true);
          }, delay);
          setState({
            key,
            phase: 'waiting',
            ...last,
            // What the resumed stream keeps: up to the last confirmed page.
            items: bufferRef.current.slice(),
            rate: null,
            failure,
            resumeFrom,
            retryAt: Date.now() + delay,
          });
          return;
        }
        if (phase === 'done') waitsRef.current = 0;
        setState({
          key,
          phase,
          ...last,
          total: phase === 'done' ? buffer.length : last.total,
          failure,
          resumeFrom,
          retryAt: null,
        });
      };

      streamExport(
        provider,
        objectType,
        {
          onStart: (value) => {
            started();
            // A resumed stream may not know; keep what the first one said.
            if (value !== null || !resume) total = value;
            totalRef.current = total;
            publish(true);
          },
          onItems: (items) => {
            started();
            for (const item of items) buffer.push(item);
          },
          onCursor: (cursor, count) => {
            resumeRef.current = { cursor, kept: Math.min(buffer.length, from.kept + count) };
          },
        },
        { cursor: from.cursor, signal },
      ).then(
        (outcome) => {
          if (outcome.kind === 'end') finish('done', null);
          else if (outcome.kind === 'truncated') finish('failed', { kind: 'truncated' });
          else finish('failed', { kind: 'error', error: outcome.error });
        },
        (error: unknown) => finish('failed', { kind: 'error', error: asApiError(error) }),
      );
    },
    [provider, objectType, key, stop],
  );
  useEffect(() => {
    startRef.current = start;
  }, [start]);

  /** Every item, from the first. */
  const sync = useCallback(() => {
    waitsRef.current = 0;
    start(false);
  }, [start]);
  /** After a failure: from the last confirmed page when there is one, else from the first. */
  const retry = useCallback(() => {
    waitsRef.current = 0;
    start(resumeRef.current.cursor !== null);
  }, [start]);

  /** Stops the stream (or the wait before resuming it); what arrived stays. */
  const cancel = useCallback(() => {
    if (!runRef.current && waitRef.current === null) return;
    stop();
    const items = bufferRef.current.slice();
    setState((prev) =>
      prev.key === key ? { ...prev, phase: 'cancelled', items, rate: null, failure: null, retryAt: null } : prev,
    );
  }, [stop, key]);

  /** Back to idle (a refresh, a disconnect): the table shows the paged listing again. */
  const reset = useCallback(() => {
    stop();
    bufferRef.current = [];
    resumeRef.current = { cursor: null, kept: 0 };
    totalRef.current = null;
    setState({ ...IDLE_SYNC, key });
  }, [stop, key]);

  // Another kind (or provider), or leaving the page: stop streaming.
  useEffect(() => () => stop(), [key, stop]);

  const visible: SyncState = state.key === key ? state : IDLE_SYNC;
  return { state: visible, sync, retry, cancel, reset };
}
