/**
 * The provider's own search over one kind (`GET /items?search=`), page by page, as a TanStack
 * `useInfiniteQuery` keyed under the provider's items (so a disconnect or reconnect forgets it
 * with them). Before the first sync only the first page is on hand, and searching that alone
 * would miss most records; this asks the provider instead. Rate limiting retries by itself after
 * `Retry-After`, as the items listing does; any other failure (`search_unsupported` among them)
 * is handed to the caller, which falls back to searching what is loaded.
 */
import { useInfiniteQuery, type InfiniteData } from '@tanstack/react-query';
import { useCallback } from 'react';
import type { ApiError } from '../api/client';
import { searchItems } from '../api/integrations';
import type { IntegrationItem, ItemsPage } from '../api/models';
import { selectionSignature, type Selection } from '../selection';
import { queryKeys, useIdentity } from './queries';
import { retryDelayMs } from './useItems';

/** Rate-limited answers in a row after which we stop retrying by ourselves. */
const MAX_RATE_LIMIT_RETRIES = 5;

export interface ServerSearchState {
  /** The matches of every page loaded so far (empty until the first answer). */
  items: IntegrationItem[];
  /** The first page of matches arrived. */
  loaded: boolean;
  /** More matches remain (Load more). */
  hasMore: boolean;
  /** The first page (or a retry after a rate limit) is under way. */
  searching: boolean;
  /** The next page is under way. */
  loadingMore: boolean;
  /** The search failed (not a rate limit, which is retried). */
  error: ApiError | null;
}

/** `term` is sent as it is (trimmed by the caller); the query runs only while `enabled`. */
export function useServerSearch(provider: string, objectType: string | null, term: string, enabled: boolean, selection?: Selection) {
  const who = useIdentity();
  const signature = selectionSignature(selection);
  const query = useInfiniteQuery<ItemsPage, ApiError, InfiniteData<ItemsPage, string | null>, readonly string[], string | null>({
    queryKey: signature ? [...queryKeys.search(who, provider, objectType, term), signature] : queryKeys.search(who, provider, objectType, term),
    queryFn: ({ pageParam, signal }) => searchItems(provider, objectType, term, pageParam, signal, selection),
    initialPageParam: null,
    getNextPageParam: (last) => last.next_cursor ?? null,
    enabled: enabled && term !== '',
    refetchOnWindowFocus: false,
    // A search typed again a moment later is answered from the cache.
    staleTime: 30_000,
    retry: (failures, error) => error.code === 'rate_limited' && failures < MAX_RATE_LIMIT_RETRIES,
    retryDelay: (_failures, error) => retryDelayMs(error),
  });
  const { data, error, isFetching, isFetchingNextPage, hasNextPage, fetchNextPage, refetch } = query;
  const state: ServerSearchState = {
    items: data?.pages.flatMap((page) => page.items) ?? [],
    loaded: data !== undefined,
    hasMore: hasNextPage,
    searching: isFetching && !isFetchingNextPage,
    loadingMore: isFetchingNextPage,
    error: isFetching ? null : error,
  };
  const loadMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);
  const retry = useCallback(() => {
    if (data) void fetchNextPage();
    else void refetch();
  }, [data, fetchNextPage, refetch]);
  return { state, loadMore, retry };
}
