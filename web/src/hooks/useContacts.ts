/**
 * Loads a provider's items page by page, and knows what to do when that fails:
 * rate limiting retries by itself after `retryAfter`, an expired authorization asks for a
 * reconnect, anything else waits for the user to try again.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { isApiError } from '../api/client';
import { listItems } from '../api/integrations';
import type { IntegrationItem } from '../api/types';

export type ContactsStatus =
  | 'idle'
  | 'loading'
  | 'ready'
  | 'loading_more'
  | 'rate_limited'
  | 'reauth'
  | 'not_connected'
  | 'error';

export interface ContactsState {
  status: ContactsStatus;
  items: IntegrationItem[];
  nextCursor: string | null;
  /** When rate limited: the moment (ms since epoch) the request is retried. */
  retryAt: number | null;
  /** The cursor of the request that failed (null = first page), retried by `retry()`. */
  failedCursor: string | null;
}

const INITIAL: ContactsState = {
  status: 'idle',
  items: [],
  nextCursor: null,
  retryAt: null,
  failedCursor: null,
};

/** Used when a 429 carries no Retry-After. */
const DEFAULT_RETRY_AFTER_S = 5;

export function useContacts(provider: string) {
  const [state, setState] = useState<ContactsState>(INITIAL);
  const requestRef = useRef<AbortController | null>(null);

  const fetchPage = useCallback(
    (cursor: string | null) => {
      requestRef.current?.abort();
      const controller = new AbortController();
      requestRef.current = controller;
      setState((prev) => ({
        ...(cursor === null ? INITIAL : prev),
        status: cursor === null ? 'loading' : 'loading_more',
        retryAt: null,
      }));
      listItems(provider, cursor, controller.signal).then(
        (page) => {
          if (controller.signal.aborted) return;
          setState((prev) => ({
            status: 'ready',
            items: cursor === null ? page.items : [...prev.items, ...page.items],
            nextCursor: page.next_cursor ?? null,
            retryAt: null,
            failedCursor: null,
          }));
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          let status: ContactsStatus = 'error';
          let retryAt: number | null = null;
          if (isApiError(error)) {
            if (error.code === 'rate_limited') {
              status = 'rate_limited';
              retryAt = Date.now() + (error.retryAfter ?? DEFAULT_RETRY_AFTER_S) * 1000;
            } else if (error.needsReauth) {
              status = 'reauth';
            } else if (error.code === 'not_connected') {
              status = 'not_connected';
            }
          }
          setState((prev) => ({ ...prev, status, retryAt, failedCursor: cursor }));
        },
      );
    },
    [provider],
  );

  const load = useCallback(() => fetchPage(null), [fetchPage]);

  const loadMore = useCallback(() => {
    if (state.nextCursor !== null) fetchPage(state.nextCursor);
  }, [fetchPage, state.nextCursor]);

  const retry = useCallback(() => fetchPage(state.failedCursor), [fetchPage, state.failedCursor]);

  const clear = useCallback(() => {
    requestRef.current?.abort();
    requestRef.current = null;
    setState(INITIAL);
  }, []);

  // Rate limited: retry on our own once the server's Retry-After has passed.
  const { status, retryAt, failedCursor } = state;
  useEffect(() => {
    if (status !== 'rate_limited' || retryAt === null) return;
    const timer = setTimeout(() => fetchPage(failedCursor), Math.max(0, retryAt - Date.now()));
    return () => clearTimeout(timer);
  }, [status, retryAt, failedCursor, fetchPage]);

  useEffect(() => () => requestRef.current?.abort(), []);

  return { state, load, loadMore, retry, clear };
}

/** Seconds left until `at`, ticking once a second; null when `at` is null. */
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
