/** Typed calls to the server's endpoints; each checks the answer's shape before trusting it. */
import { apiClient, unexpectedResponse } from './client';
import type {
  AppConfig,
  AuthorizeResponse,
  Column,
  ConnectionStatus,
  IntegrationsResponse,
  IntegrationItem,
  IntegrationSummary,
  ItemCount,
  ItemsPage,
} from './models';
import { selectionParams, type Selection } from '../selection';

export const PAGE_SIZE = 100;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** `GET /api/config`. A server that predates it (404) means dev mode. */
export async function getConfig(signal?: AbortSignal): Promise<AppConfig> {
  const response = await apiClient.get<unknown>('/api/config', { signal, validateStatus: (s) => s < 300 || s === 404 });
  const data = response.data;
  if (response.status === 404) return { auth_mode: 'dev', sandbox: false, embed_origins: [] };
  if (!isObject(data)) throw unexpectedResponse(response);
  return {
    auth_mode: data.auth_mode === 'jwt' ? 'jwt' : 'dev',
    sandbox: data.sandbox === true,
    embed_origins: Array.isArray(data.embed_origins)
      ? data.embed_origins.filter((o): o is string => typeof o === 'string')
      : [],
  };
}

const DEFAULT_COLUMNS: Column[] = [
  { key: 'title', label: 'Name' },
  { key: 'id', label: 'ID' },
];

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** One listed provider, with defaults for any metadata an older server does not send. */
function summary(value: Record<string, unknown>): IntegrationSummary | null {
  if (typeof value.id !== 'string' || typeof value.name !== 'string') return null;
  const objectTypes = Array.isArray(value.object_types)
    ? value.object_types
        .filter(isObject)
        .filter((t) => typeof t.id === 'string' && typeof t.noun === 'string')
        .map((t) => ({ id: t.id as string, noun: t.noun as string, scopes: strings(t.scopes) }))
    : [];
  const columns = Array.isArray(value.columns)
    ? value.columns
        .filter(isObject)
        .filter((c) => typeof c.key === 'string' && typeof c.label === 'string')
        .map((c) => ({ key: c.key as string, label: c.label as string }))
    : [];
  return {
    id: value.id,
    name: value.name,
    description: typeof value.description === 'string' ? value.description : '',
    object_types: objectTypes,
    columns: columns.length > 0 ? columns : DEFAULT_COLUMNS,
    permissions: strings(value.permissions),
    logo_svg: typeof value.logo_svg === 'string' ? value.logo_svg : '',
    pkce: value.pkce === true,
    // An older server does not say: it cannot search.
    search: value.search === true,
    sandbox: value.sandbox === true,
    status: typeof value.status === 'string' ? value.status : 'not_connected',
    account_id: typeof value.account_id === 'string' ? value.account_id : null,
    account_name: typeof value.account_name === 'string' ? value.account_name : null,
  };
}

export async function listIntegrations(signal?: AbortSignal): Promise<IntegrationsResponse> {
  const response = await apiClient.get<unknown>('/api/integrations', { signal });
  const data = response.data;
  if (!isObject(data) || !Array.isArray(data.integrations)) throw unexpectedResponse(response);
  const integrations = data.integrations
    .filter(isObject)
    .map(summary)
    .filter((i): i is IntegrationSummary => i !== null);
  return { sandbox: data.sandbox === true, integrations };
}

/**
 * The consent page's URL. With `objectType`, the consent also asks for the scope that kind
 * needs (enabling a kind the first grant left out); without it, the provider's usual scopes.
 */
export async function getAuthorizeUrl(provider: string, objectType: string | null = null): Promise<string> {
  const response = await apiClient.get<unknown>(`/api/integrations/${encodeURIComponent(provider)}/authorize`, {
    headers: { Accept: 'application/json' },
    params: objectType === null ? undefined : { object_type: objectType },
  });
  const data = response.data;
  if (!isObject(data) || typeof data.url !== 'string') throw unexpectedResponse(response);
  return (data as unknown as AuthorizeResponse).url;
}

export async function getConnectionStatus(provider: string, signal?: AbortSignal): Promise<ConnectionStatus> {
  const response = await apiClient.get<unknown>(`/api/integrations/${encodeURIComponent(provider)}/status`, {
    signal,
  });
  const data = response.data;
  if (!isObject(data) || typeof data.connected !== 'boolean') throw unexpectedResponse(response);
  return data as unknown as ConnectionStatus;
}

/** One page of `provider`'s items; `objectType` null means the provider's default kind. */
export async function listItems(
  provider: string,
  objectType: string | null,
  cursor: string | null,
  signal?: AbortSignal,
  selection?: Selection,
): Promise<ItemsPage> {
  const params: Record<string, string | number> = { limit: PAGE_SIZE, ...selectionParams(selection) };
  if (objectType !== null) params.object_type = objectType;
  if (cursor !== null) params.cursor = cursor;
  const response = await apiClient.get<unknown>(`/api/integrations/${encodeURIComponent(provider)}/items`, {
    params,
    signal,
  });
  const data = response.data;
  if (!isObject(data) || !Array.isArray(data.items)) throw unexpectedResponse(response);
  return data as unknown as ItemsPage;
}

/** Every field of a kind (`properties=*`): what a record drawer asks for. */
export const ALL_PROPERTIES = '*';

/**
 * `GET /{provider}/items/{id}`: one record as it is now, with every field (`properties=*`) and
 * the related records of `associations`. 404 `record_not_found` when no live record of that kind
 * has the id; 400 `lookup_unsupported` when the provider cannot read one record by id.
 */
export async function getItem(
  provider: string,
  objectType: string | null,
  id: string,
  { associations = [], signal }: { associations?: readonly string[]; signal?: AbortSignal } = {},
): Promise<IntegrationItem> {
  const params: Record<string, string> = { properties: ALL_PROPERTIES };
  if (objectType !== null) params.object_type = objectType;
  if (associations.length > 0) params.associations = associations.join(',');
  const response = await apiClient.get<unknown>(
    `/api/integrations/${encodeURIComponent(provider)}/items/${encodeURIComponent(id)}`,
    { params, signal },
  );
  const data = response.data;
  if (!isObject(data) || (typeof data.id !== 'string' && typeof data.id !== 'number')) throw unexpectedResponse(response);
  return {
    ...data,
    id: String(data.id),
    title: typeof data.title === 'string' ? data.title : '',
    properties: isObject(data.properties) ? data.properties : {},
  } as IntegrationItem;
}

/** The longest search the server takes. */
export const MAX_SEARCH_CHARS = 200;

/**
 * One page of the provider's own full-text search over `objectType` (null: the default kind),
 * paged like `listItems`. Only for a provider whose summary says `search: true`; others answer
 * 400 `search_unsupported`.
 */
export async function searchItems(
  provider: string,
  objectType: string | null,
  search: string,
  cursor: string | null,
  signal?: AbortSignal,
  selection?: Selection,
): Promise<ItemsPage> {
  const params: Record<string, string | number> = {
    limit: PAGE_SIZE,
    search: search.slice(0, MAX_SEARCH_CHARS),
    ...selectionParams(selection),
  };
  if (objectType !== null) params.object_type = objectType;
  if (cursor !== null) params.cursor = cursor;
  const response = await apiClient.get<unknown>(`/api/integrations/${encodeURIComponent(provider)}/items`, {
    params,
    signal,
  });
  const data = response.data;
  if (!isObject(data) || !Array.isArray(data.items)) throw unexpectedResponse(response);
  return data as unknown as ItemsPage;
}

/** How many items `provider` has of `objectType` (null: the default kind); `total` null when it cannot tell. */
export async function getItemCount(
  provider: string,
  objectType: string | null,
  signal?: AbortSignal,
): Promise<ItemCount> {
  const params: Record<string, string> = {};
  if (objectType !== null) params.object_type = objectType;
  const response = await apiClient.get<unknown>(`/api/integrations/${encodeURIComponent(provider)}/count`, {
    params,
    signal,
  });
  const data = response.data;
  if (!isObject(data)) throw unexpectedResponse(response);
  const total = data.total;
  return { total: typeof total === 'number' && Number.isFinite(total) && total >= 0 ? total : null };
}

export async function disconnect(provider: string): Promise<void> {
  await apiClient.delete(`/api/integrations/${encodeURIComponent(provider)}/connection`);
}
