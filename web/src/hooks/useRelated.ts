/**
 * Names of related records, from the locally synced datasets of their kinds: "Acme Corp" for
 * company 9800000123 when companies were synced here, else nothing (the chip then says
 * "Company 9800000123"). Reads the same cache entries as `useDataset`, never the provider.
 */
import { useQueries } from '@tanstack/react-query';
import { useCallback } from 'react';
import type { Dataset } from '../dataset/model';
import { datasetKey, loadDataset } from '../dataset/store';
import { itemTitle } from '../items';
import { queryKeys, useIdentity } from './queries';

/** One index per dataset version (datasets are replaced, never changed in place). */
const indexes = new WeakMap<Dataset, Map<string, string>>();

function indexOf(dataset: Dataset): Map<string, string> {
  let index = indexes.get(dataset);
  if (!index) {
    index = new Map();
    for (const item of dataset.items) {
      const name = itemTitle(item);
      if (name) index.set(item.id, name);
    }
    indexes.set(dataset, index);
  }
  return index;
}

export type NameOf = (kind: string, id: string) => string | null;

export function useRelatedNames(provider: string, kinds: readonly string[]): NameOf {
  const who = useIdentity();
  const datasets = useQueries({
    queries: kinds.map((kind) => ({
      queryKey: queryKeys.dataset(who, provider, kind),
      queryFn: () => loadDataset(datasetKey(who, provider, kind)),
      staleTime: Infinity,
      gcTime: Infinity,
      refetchOnWindowFocus: false,
      retry: false,
    })),
    combine: (results) => results.map((r) => r.data ?? null),
  });
  // `combine`'s answer is structurally shared: the same array until a dataset changes.
  return useCallback(
    (kind: string, id: string) => {
      const at = kinds.indexOf(kind);
      const dataset = at < 0 ? null : datasets[at];
      return dataset ? (indexOf(dataset).get(id) ?? null) : null;
    },
    [kinds, datasets],
  );
}
