/**
 * One record as it is now, with every field (`GET …/items/{id}?properties=*`) and the related
 * records of the kinds asked for: what the record drawer shows once it arrives (the row it was
 * opened from is shown meanwhile). Only for a provider that discovers its fields (`enabled`);
 * a provider that cannot read one record by id (`lookup_unsupported`) keeps the row, quietly.
 */
import { useQuery } from '@tanstack/react-query';
import { useCallback } from 'react';
import { asApiError, type ApiError } from '../api/client';
import { getItem } from '../api/integrations';
import type { IntegrationItem } from '../api/models';
import { queryKeys, useIdentity } from './queries';

/** A record read a moment ago is shown again at once when the drawer reopens, and read anew after this. */
export const RECORD_STALE_MS = 30_000;

export interface RecordResult {
  /** The full record; null while it loads, when it failed, or when not asked for. */
  record: IntegrationItem | null;
  loading: boolean;
  /** Why it could not be read (never `lookup_unsupported`: the row is enough then). */
  error: ApiError | null;
  /** No live record of that kind has the id (any more). */
  gone: boolean;
  retry: () => void;
}

export function useRecord({
  provider,
  objectType,
  id,
  associations,
  enabled,
}: {
  provider: string;
  objectType: string | null;
  /** The record's id (null: no drawer open). */
  id: string | null;
  /** The related kinds to list with it (empty: none). */
  associations: readonly string[];
  enabled: boolean;
}): RecordResult {
  const who = useIdentity();
  const on = enabled && id !== null;
  const query = useQuery<IntegrationItem, ApiError>({
    queryKey: queryKeys.record(who, provider, objectType, id ?? '', associations.join(',')),
    queryFn: ({ signal }) =>
      getItem(provider, objectType, id ?? '', { associations, signal }).catch((error: unknown) => {
        throw asApiError(error);
      }),
    enabled: on,
    staleTime: RECORD_STALE_MS,
    refetchOnWindowFocus: false,
    retry: false,
  });
  const { refetch } = query;
  const retry = useCallback(() => void refetch(), [refetch]);
  const error = on && query.error && query.error.code !== 'lookup_unsupported' ? query.error : null;
  return {
    record: on ? (query.data ?? null) : null,
    loading: on && query.isPending && query.fetchStatus !== 'idle',
    error: error && error.code !== 'record_not_found' ? error : null,
    gone: error?.code === 'record_not_found',
    retry,
  };
}
