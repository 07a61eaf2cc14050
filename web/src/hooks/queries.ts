/**
 * The one source of truth for server state, with TanStack Query: the integrations list, each
 * provider's connection status, its items (pages, `useItems`) and totals live in one cache every
 * screen reads, so the selector, the provider page and the header cannot disagree; a disconnect
 * is a mutation that invalidates what it changes. The cache refetches on window focus, and
 * `useInvalidateConnection()` is called on every event that may change a connection (an OAuth
 * result, from this tab or another, a reauth/401 answer, a disconnect). Keys carry the
 * identity, so a different user never sees another's cached answers.
 */
import { QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext } from 'react';
import type { ApiError } from '../api/client';
import { disconnect, getConnectionStatus, getItemCount, listIntegrations } from '../api/integrations';
import type { IntegrationsResponse } from '../api/models';

export function createQueryClient({ staleTime = 2_000 }: { staleTime?: number } = {}): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Errors are shown with a Retry button; the server already retries the provider for us.
        retry: false,
        refetchOnWindowFocus: true,
        staleTime,
      },
    },
  });
}

/** Who the cached answers belong to (the dev user id, or the JWT's subject). */
export const IdentityContext = createContext<string>('');

export function useIdentity(): string {
  return useContext(IdentityContext);
}

export const queryKeys = {
  integrations: (who: string) => ['integrations', who] as const,
  status: (who: string, provider: string) => ['status', who, provider] as const,
  count: (who: string, provider: string, objectType: string | null) =>
    ['count', who, provider, objectType ?? ''] as const,
  /** Every kind of one provider's items (a prefix of `items`). */
  providerItems: (who: string, provider: string) => ['items', who, provider] as const,
  items: (who: string, provider: string, objectType: string | null) => ['items', who, provider, objectType ?? ''] as const,
  /** One selection (properties, associations) of a kind's items, under its items. */
  itemsWith: (who: string, provider: string, objectType: string | null, selection: string) =>
    ['items', who, provider, objectType ?? '', 'with', selection] as const,
  /** The kinds the account holds (discovery). */
  objectTypes: (who: string, provider: string) => ['objectTypes', who, provider] as const,
  /** The fields of one kind (discovery). */
  fields: (who: string, provider: string, objectType: string) => ['fields', who, provider, objectType] as const,
  /** One record with every field (`useRecord`), and the related kinds asked for with it. */
  record: (who: string, provider: string, objectType: string | null, id: string, associations: string) =>
    ['record', who, provider, objectType ?? '', id, associations] as const,
  /** The provider's own search over one kind (`useServerSearch`), under its items. */
  search: (who: string, provider: string, objectType: string | null, term: string) =>
    ['items', who, provider, objectType ?? '', 'search', term] as const,
  /** Every kind of one provider's synced datasets (a prefix of `dataset`). */
  providerDatasets: (who: string, provider: string) => ['dataset', who, provider] as const,
  /** One synced dataset (`useDataset`), read from IndexedDB and written by `useSync`. */
  dataset: (who: string, provider: string, objectType: string | null) =>
    ['dataset', who, provider, objectType ?? ''] as const,
};

/** Totals change slowly and cost the provider a call: ask again after a minute at most. */
export const COUNT_STALE_MS = 60_000;

export interface IntegrationsQuery {
  data: IntegrationsResponse | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** The server's list of integrations (and whether it runs in sandbox mode). */
export function useIntegrations(): IntegrationsQuery {
  const who = useIdentity();
  const query = useQuery<IntegrationsResponse, ApiError>({
    queryKey: queryKeys.integrations(who),
    queryFn: ({ signal }) => listIntegrations(signal),
  });
  const { refetch } = query;
  const reload = useCallback(() => void refetch(), [refetch]);
  return { data: query.data ?? null, error: query.error, loading: query.isFetching, reload };
}

export function useConnectionStatus(provider: string) {
  const who = useIdentity();
  return useQuery({
    queryKey: queryKeys.status(who, provider),
    queryFn: ({ signal }) => getConnectionStatus(provider, signal),
  });
}

/**
 * How many items of a kind the provider has (`objectType` null: the default kind), for "100 of
 * 12,345 contacts". Null while unknown: not asked yet, the provider cannot tell, or the call
 * failed (an older server has no such route) — the table then shows the loaded count alone.
 */
export function useItemCount(provider: string, objectType: string | null, enabled: boolean): number | null {
  const who = useIdentity();
  const query = useQuery({
    queryKey: queryKeys.count(who, provider, objectType),
    queryFn: ({ signal }) => getItemCount(provider, objectType, signal),
    staleTime: COUNT_STALE_MS,
    enabled,
  });
  return enabled && !query.isError ? (query.data?.total ?? null) : null;
}

/** Something may have changed a connection: refetch the list and every status. */
export function useInvalidateConnection(): () => void {
  const client = useQueryClient();
  return useCallback(() => {
    void client.invalidateQueries({ queryKey: ['integrations'] });
    void client.invalidateQueries({ queryKey: ['status'] });
    // A new grant may allow more kinds.
    void client.invalidateQueries({ queryKey: ['objectTypes'] });
  }, [client]);
}

/** Refresh: the totals may have changed too. */
export function useInvalidateCounts(): () => void {
  const client = useQueryClient();
  return useCallback(() => void client.invalidateQueries({ queryKey: ['count'] }), [client]);
}

/** Disconnects `provider`: its items and totals go, the list and every status are asked again. */
export function useDisconnect(provider: string) {
  const client = useQueryClient();
  const who = useIdentity();
  return useMutation({
    mutationFn: () => disconnect(provider),
    onSuccess: async () => {
      // Reset, not removed: the page's (now disabled) items query forgets its rows in place.
      await client.resetQueries({ queryKey: queryKeys.providerItems(who, provider) });
      client.removeQueries({ queryKey: ['count', who, provider] });
      await Promise.all([
        client.invalidateQueries({ queryKey: ['integrations'] }),
        client.invalidateQueries({ queryKey: ['status'] }),
      ]);
    },
  });
}

declare module '@tanstack/react-query' {
  interface Register {
    // Every query function goes through the axios client, which only ever rejects with ApiError.
    defaultError: ApiError;
  }
}
