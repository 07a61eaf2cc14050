/**
 * A provider's items, page by page, as a TanStack `useInfiniteQuery` in the shared cache (keyed
 * by identity, provider and kind). What the page needs to know is derived from the query:
 * rate limiting retries by itself after `Retry-After` (TanStack's retry, with the delay the
 * server asked for, and a countdown); an expired authorization asks for a reconnect; anything
 * else waits for the user to retry. A refresh refetches as many pages as are shown and keeps the
 * old rows on screen until the new ones arrive (or keeps them if it fails).
 */
import { useInfiniteQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import type { ApiError } from '../api/client';
import { listItems } from '../api/integrations';
import type { IntegrationItem, ItemsPage } from '../api/models';
import { selectionSignature, type Selection } from '../selection';
import { queryKeys, useIdentity } from './queries';

export type ItemsOp = 'first' | 'more' | 'refresh';

export interface ItemsState {
  /** Rows shown; kept through a refresh and through failures. */
  items: IntegrationItem[];
  nextCursor: string | null;
  /** A first page arrived at least once. */
  loaded: boolean;
  /** The request under way (null while only waiting to retry). */
  pending: ItemsOp | null;
  /** The request under way has taken more than SLOW_AFTER_MS. */
  slow: boolean;
  /** The last request failed, or is rate limited and waits until `retryAt` to try again. */
  failure: { op: ItemsOp; error: ApiError; retryAt: number | null } | null;
}

/** Used when a 429 carries no Retry-After. */
export const DEFAULT_RETRY_AFTER_S = 5;
/** After this long, say that the provider is busy rather than just spinning. */
export const SLOW_AFTER_MS = 5_000;
/** Rate-limited answers in a row after which we stop retrying by ourselves. */
const MAX_RATE_LIMIT_RETRIES = 20;

/** How long a rate-limited call waits before trying again. */
export function retryDelayMs(error: ApiError): number {
  return (error.retryAfter ?? DEFAULT_RETRY_AFTER_S) * 1000;
}

/** When each rate-limited failure is retried: stamped as TanStack schedules the retry. */
const retryAtOf = new WeakMap<ApiError, number>();

/** True once `active` has lasted SLOW_AFTER_MS; false again when it ends. */
export function useSlow(active: boolean): boolean {
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    if (!active) return;
    const timer = setTimeout(() => setSlow(true), SLOW_AFTER_MS);
    return () => {
      clearTimeout(timer);
      setSlow(false);
    };
  }, [active]);
  return active && slow;
}

/**
 * `objectType` null: the provider's default kind. Loads while `enabled` (the server says we are
 * connected); another kind is another query.
 */
export function useItems(provider: string, objectType: string | null, enabled: boolean, selection?: Selection) {
  const who = useIdentity();
  const client = useQueryClient();
  const signature = selectionSignature(selection);
  const query = useInfiniteQuery<ItemsPage, ApiError, InfiniteData<ItemsPage, string | null>, readonly string[], string | null>({
    queryKey: signature ? queryKeys.itemsWith(who, provider, objectType, signature) : queryKeys.items(who, provider, objectType),
    queryFn: ({ pageParam, signal }) => listItems(provider, objectType, pageParam, signal, selection),
    initialPageParam: null,
    getNextPageParam: (last) => last.next_cursor ?? null,
    // Other columns of the same kind: its rows stay on screen until the new ones arrive.
    placeholderData: (previous, previousQuery) => {
      const [, w, p, k] = previousQuery?.queryKey ?? [];
      return w === who && p === provider && k === (objectType ?? '') ? previous : undefined;
    },
    enabled,
    // Rows change when the person asks (Refresh), not every time the window regains focus.
    refetchOnWindowFocus: false,
    retry: (failures, error) => error.code === 'rate_limited' && failures < MAX_RATE_LIMIT_RETRIES,
    retryDelay: (_failures, error) => {
      const delay = retryDelayMs(error);
      retryAtOf.set(error, Date.now() + delay);
      return delay;
    },
  });

  const { data, error, failureReason, isFetching, isFetchingNextPage, isFetchNextPageError, isRefetchError } = query;
  const items = data?.pages.flatMap((page) => page.items) ?? [];
  const lastPage = data?.pages[data.pages.length - 1];
  const nextCursor = lastPage?.next_cursor ?? null;
  const fetchingOp: ItemsOp = isFetchingNextPage ? 'more' : data ? 'refresh' : 'first';
  const waiting = isFetching && failureReason?.code === 'rate_limited';
  const slow = useSlow(isFetching && !waiting);

  let failure: ItemsState['failure'] = null;
  if (waiting) {
    failure = { op: fetchingOp, error: failureReason, retryAt: retryAtOf.get(failureReason) ?? null };
  } else if (!isFetching && error) {
    failure = { op: isFetchNextPageError ? 'more' : isRefetchError ? 'refresh' : 'first', error, retryAt: null };
  }

  const state: ItemsState = {
    items,
    nextCursor,
    loaded: data !== undefined,
    pending: isFetching && !waiting ? fetchingOp : null,
    slow,
    failure,
  };

  const { fetchNextPage, refetch } = query;
  const loadMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);
  const refresh = useCallback(() => void refetch(), [refetch]);
  const retry = useCallback(() => {
    if (isFetchNextPageError) void fetchNextPage();
    else void refetch();
  }, [isFetchNextPageError, fetchNextPage, refetch]);
  /** Forget every kind's rows (the connection went away). */
  const clear = useCallback(
    () => void client.resetQueries({ queryKey: queryKeys.providerItems(who, provider) }),
    [client, who, provider],
  );
  /** Something changed the connection (a reconnect): load again when enabled. */
  const invalidate = useCallback(
    () => void client.invalidateQueries({ queryKey: queryKeys.providerItems(who, provider) }),
    [client, who, provider],
  );

  return { state, loadMore, refresh, retry, clear, invalidate };
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
