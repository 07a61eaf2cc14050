/**
 * Discovery: what kinds of record the account holds (`GET …/object-types`) and the fields of
 * one kind (`GET …/fields`). A provider that cannot discover answers `discovery_unsupported`;
 * the hooks then fall back to what the provider declares.
 */
import { apiClient, unexpectedResponse } from './client';
import type { AssociatedRecord, DiscoveredObjectType, Field, IntegrationItem } from './models';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** `GET /{provider}/object-types`: standard kinds first, then the account's custom ones. */
export async function listObjectTypes(provider: string, signal?: AbortSignal): Promise<DiscoveredObjectType[]> {
  const response = await apiClient.get<unknown>(`/api/integrations/${encodeURIComponent(provider)}/object-types`, { signal });
  const data = response.data;
  if (!isObject(data) || !Array.isArray(data.object_types)) throw unexpectedResponse(response);
  return data.object_types
    .filter(isObject)
    .filter((t) => typeof t.id === 'string' && t.id !== '')
    .map((t) => ({
      id: t.id as string,
      label: typeof t.label === 'string' && t.label !== '' ? t.label : (t.id as string),
      custom: t.custom === true,
      granted: t.granted !== false,
      scopes: strings(t.scopes),
    }));
}

/** `GET /{provider}/fields?object_type=`: every field of the kind, custom ones included. */
export async function listFields(provider: string, objectType: string, signal?: AbortSignal): Promise<Field[]> {
  const response = await apiClient.get<unknown>(`/api/integrations/${encodeURIComponent(provider)}/fields`, {
    params: { object_type: objectType },
    signal,
  });
  const data = response.data;
  if (!isObject(data) || !Array.isArray(data.fields)) throw unexpectedResponse(response);
  return data.fields
    .filter(isObject)
    .filter((f) => typeof f.name === 'string' && f.name !== '')
    .map((f) => ({
      name: f.name as string,
      label: typeof f.label === 'string' && f.label !== '' ? f.label : (f.name as string),
      type: typeof f.type === 'string' ? f.type : 'string',
      field_type: typeof f.field_type === 'string' ? f.field_type : '',
      group: typeof f.group === 'string' && f.group !== '' ? f.group : null,
      options: Array.isArray(f.options)
        ? f.options
            .filter(isObject)
            .filter((o) => typeof o.value === 'string')
            .map((o) => ({ value: o.value as string, label: typeof o.label === 'string' ? o.label : (o.value as string) }))
        : [],
      read_only: f.read_only === true,
      hidden: f.hidden === true,
      calculated: f.calculated === true,
    }));
}

/** An item's associations (`associations=`), by kind: each related record's id and labels; empty when none came. */
export function itemAssociations(item: IntegrationItem): Record<string, AssociatedRecord[]> {
  const raw = (item as { associations?: unknown }).associations;
  if (!isObject(raw)) return {};
  const out: Record<string, AssociatedRecord[]> = {};
  for (const [kind, list] of Object.entries(raw)) {
    if (!Array.isArray(list)) continue;
    out[kind] = list
      .filter(isObject)
      .filter((a) => typeof a.id === 'string' || typeof a.id === 'number')
      .map((a) => ({ id: String(a.id), labels: strings(a.labels) }));
  }
  return out;
}
