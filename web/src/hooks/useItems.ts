/**
 * Loads a provider's items page by page, and knows what to do when that fails: rate limiting
 * retries by itself after `retryAfter`; an expired authorization asks for a reconnect;
 * anything else waits for the user to retry. A refresh reloads as many rows as were shown and
 * keeps the old rows on screen until the new ones arrive (or keeps them if it fails).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isApiError } from '../api/client';
import { listItems } from '../api/integrations';
import type { IntegrationItem } from '../api/models';

export type ItemsOp = 'first' | 'more' | 'refresh';

export interface ItemsState {
  /** Rows shown; kept through a refresh and through failures. */
  items: IntegrationItem[];
  nextCursor: string | null;
  /** A first page arrived at least once. */
  loaded: boolean;
  /** The request under way. */
  pending: ItemsOp | null;
  /** The request under way has taken more than SLOW_AFTER_MS. */
  slow: boolean;
  /** The last request failed (cleared when another starts). */
  failure: { op: ItemsOp; error: ApiError; retryAt: number | null } | null;
}

const INITIAL: ItemsState = { items: [], nextCursor: null, loaded: false, pending: null, slow: false, failure: null };

/** Used when a 429 carries no Retry-After. */
const DEFAULT_RETRY_AFTER_S = 5;
/** After this long, say that the provider is busy rather than just spinning. */
export const SLOW_AFTER_MS = 5_000;
/** A refresh reloads at most this many pages. */
const MAX_REFRESH_PAGES = 20;

function asApiError(error: unknown): ApiError {
  return isApiError(error) ? error : new ApiError({ code: 'unknown_error', status: 0, detail: String(error) });
}

/** `objectType` null: the provider's default kind. Changing it takes effect at the next load. */
export function useItems(provider: string, objectType: string | null) {
  const [state, setState] = useState<ItemsState>(INITIAL);
  const stateRef = useRef(state);
  useEffect(() => {
    stateRef.current = state;
  }, [state]);
  const requestRef = useRef<AbortController | null>(null);

  const run = useCallback(
    (op: ItemsOp) => {
      requestRef.current?.abort();
      const controller = new AbortController();
      requestRef.current = controller;
      const { signal } = controller;
      const before = stateRef.current;
      setState((prev) => ({
        ...(op === 'first' ? INITIAL : prev),
        pending: op,
        slow: false,
        failure: null,
      }));

      const work = async (): Promise<{ items: IntegrationItem[]; nextCursor: string | null }> => {
        if (op === 'more') {
          const page = await listItems(provider, objectType, before.nextCursor, signal);
          return { items: [...before.items, ...page.items], nextCursor: page.next_cursor ?? null };
        }
        const target = op === 'refresh' ? Math.max(1, before.items.length) : 1;
        let items: IntegrationItem[] = [];
        let cursor: string | null = null;
        for (let pages = 0; pages < MAX_REFRESH_PAGES; pages += 1) {
          const page = await listItems(provider, objectType, cursor, signal);
          items = [...items, ...page.items];
          cursor = page.next_cursor ?? null;
          if (cursor === null || items.length >= target) break;
        }
        return { items, nextCursor: cursor };
      };

      work().then(
        ({ items, nextCursor }) => {
          if (signal.aborted) return;
          setState({ items, nextCursor, loaded: true, pending: null, slow: false, failure: null });
        },
        (error: unknown) => {
          if (signal.aborted) return;
          const apiError = asApiError(error);
          const retryAt =
            apiError.code === 'rate_limited' ? Date.now() + (apiError.retryAfter ?? DEFAULT_RETRY_AFTER_S) * 1000 : null;
          setState((prev) => ({ ...prev, pending: null, slow: false, failure: { op, error: apiError, retryAt } }));
        },
      );
    },
    [provider, objectType],
  );

  const load = useCallback(() => run('first'), [run]);
  const loadMore = useCallback(() => {
    if (stateRef.current.nextCursor !== null && stateRef.current.pending === null) run('more');
  }, [run]);
  const refresh = useCallback(() => run(stateRef.current.loaded ? 'refresh' : 'first'), [run]);
  const retry = useCallback(() => {
    const failed = stateRef.current.failure;
    run(failed ? failed.op : 'first');
  }, [run]);

  const clear = useCallback(() => {
    requestRef.current?.abort();
    requestRef.current = null;
    setState(INITIAL);
  }, []);

  // Rate limited: retry on our own once the server's Retry-After has passed.
  const { failure, pending } = state;
  useEffect(() => {
    if (!failure || failure.retryAt === null) return;
    const timer = setTimeout(() => run(failure.op), Math.max(0, failure.retryAt - Date.now()));
    return () => clearTimeout(timer);
  }, [failure, run]);

  // Slow: after a while, say so.
  useEffect(() => {
    if (pending === null) return;
    const timer = setTimeout(() => setState((prev) => (prev.pending ? { ...prev, slow: true } : prev)), SLOW_AFTER_MS);
    return () => clearTimeout(timer);
  }, [pending]);

  useEffect(() => () => requestRef.current?.abort(), []);

  return { state, load, loadMore, refresh, retry, clear };
}

/** Seconds left until `at`, ticking; null when `at` is null. */
export function useCountdown(at: number | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (at === null) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [at]);
  if (at === null) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
