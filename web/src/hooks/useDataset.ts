/**
 * The synced dataset of one (user, provider, object type), in the shared TanStack cache: read
 * once from IndexedDB (so a reload shows it at once), then written by `useSync` as runs go
 * (`setQueryData`) and kept in IndexedDB when they stop. Never refetched: only a sync changes it.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import type { Dataset } from '../dataset/model';
import { datasetKey, deleteDatasets, loadDataset } from '../dataset/store';
import { queryKeys, useIdentity } from './queries';

export function useDataset(provider: string, objectType: string | null) {
  const who = useIdentity();
  const query = useQuery<Dataset | null>({
    queryKey: queryKeys.dataset(who, provider, objectType),
    queryFn: () => loadDataset(datasetKey(who, provider, objectType)),
    staleTime: Infinity,
    gcTime: Infinity,
    refetchOnWindowFocus: false,
    retry: false,
  });
  const client = useQueryClient();
  /** Forget every synced dataset of this provider (the connection went away). */
  const forget = useCallback(() => {
    client.setQueriesData<Dataset | null>({ queryKey: queryKeys.providerDatasets(who, provider) }, null);
    void deleteDatasets(who, provider);
  }, [client, who, provider]);
  return { dataset: query.data ?? null, loading: query.isPending, forget };
}
