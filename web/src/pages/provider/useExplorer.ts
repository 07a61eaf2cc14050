/**
 * What the page explores: the kinds on offer (declared, then discovered; minus those the account
 * can never be granted), the kind shown and its nouns, its discovered fields, and the columns
 * chosen for it — which are also what the server is asked for (`properties=`, `associations=`).
 * For a provider that cannot discover, the declared kinds and columns, as before.
 */
import { useMemo } from 'react';
import type { ConnectionStatus, IntegrationSummary } from '../../api/models';
import { useColumns } from '../../hooks/useColumns';
import { useFields, useObjectTypes } from '../../hooks/useDiscovery';
import { kindGranted, offeredKinds } from './KindSelect';
import { kindNouns, mergeKinds, type Kind } from './kinds';

export function useExplorer(info: IntegrationSummary, status: ConnectionStatus | undefined, objectType: string | null, connected: boolean) {
  const provider = info.id;
  const declared = info.object_types;
  const { objectTypes: discovered, loading: discovering } = useObjectTypes(provider, connected);
  const offeredInfo = useMemo(
    () => offeredKinds({ ...info, object_types: mergeKinds(declared, discovered) }, status?.unavailable_object_types),
    [info, declared, discovered, status?.unavailable_object_types],
  );
  const kinds: readonly Kind[] = offeredInfo.object_types;
  // A provider of one declared kind asks for it unnamed (null); a discovered other kind is named.
  const kind = declared.length > 1 || (objectType !== null && objectType !== declared[0]?.id) ? objectType : null;
  const current = kinds.find((t) => t.id === objectType);
  const nouns = useMemo(() => kindNouns(current), [current]);
  // "Related": the provider's other declared kinds.
  const relatedKinds = useMemo(
    () => (kind === null ? [] : declared.filter((t) => t.id !== kind).map((t) => t.id)),
    [declared, kind],
  );
  const readable = current === undefined || kindGranted(current, status?.scopes);
  const { fields, loading } = useFields(provider, objectType, connected && discovered !== null && readable);
  const columns = useColumns({ provider, kind, declared: info.columns, fields, fieldsLoading: loading || discovering, relatedKinds });
  return { offeredInfo, kinds, kind, nouns, columns };
}
