/**
 * Discovery in the shared cache: the kinds the account holds and the fields of one kind. Both
 * are null when the provider cannot discover (`discovery_unsupported`), while they load, and when
 * the call failed: the page then works from what the provider declares, as before discovery.
 */
import { useQuery } from '@tanstack/react-query';
import { listFields, listObjectTypes } from '../api/discovery';
import type { DiscoveredObjectType, Field } from '../api/models';
import { queryKeys, useIdentity } from './queries';

/** Kinds and fields change rarely (the server caches them too). */
export const DISCOVERY_STALE_MS = 5 * 60_000;

export interface ObjectTypesResult {
  objectTypes: DiscoveredObjectType[] | null;
  loading: boolean;
}

export function useObjectTypes(provider: string, enabled: boolean): ObjectTypesResult {
  const who = useIdentity();
  const query = useQuery({
    queryKey: queryKeys.objectTypes(who, provider),
    queryFn: ({ signal }) => listObjectTypes(provider, signal),
    staleTime: DISCOVERY_STALE_MS,
    refetchOnWindowFocus: false,
    enabled,
  });
  return { objectTypes: enabled && !query.isError ? (query.data ?? null) : null, loading: enabled && query.isPending };
}

export interface FieldsResult {
  fields: Field[] | null;
  loading: boolean;
}

export function useFields(provider: string, objectType: string | null, enabled: boolean): FieldsResult {
  const who = useIdentity();
  const on = enabled && objectType !== null;
  const query = useQuery({
    queryKey: queryKeys.fields(who, provider, objectType ?? ''),
    queryFn: ({ signal }) => listFields(provider, objectType ?? '', signal),
    staleTime: DISCOVERY_STALE_MS,
    refetchOnWindowFocus: false,
    enabled: on,
  });
  return { fields: on && !query.isError ? (query.data ?? null) : null, loading: on && query.isPending };
}
