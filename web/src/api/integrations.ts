/** Typed calls to the server's endpoints; each checks the answer's shape before trusting it. */
import { apiClient, unexpectedResponse } from './client';
import type { AppConfig, AuthorizeResponse, ConnectionStatus, IntegrationsResponse, ItemsPage } from './models';

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

export async function listIntegrations(signal?: AbortSignal): Promise<IntegrationsResponse> {
  const response = await apiClient.get<unknown>('/api/integrations', { signal });
  const data = response.data;
  if (!isObject(data) || !Array.isArray(data.integrations)) throw unexpectedResponse(response);
  return data as unknown as IntegrationsResponse;
}

export async function getAuthorizeUrl(provider: string): Promise<string> {
  const response = await apiClient.get<unknown>(`/api/integrations/${encodeURIComponent(provider)}/authorize`, {
    headers: { Accept: 'application/json' },
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

export async function listItems(provider: string, cursor: string | null, signal?: AbortSignal): Promise<ItemsPage> {
  const params: Record<string, string | number> = { limit: PAGE_SIZE };
  if (cursor !== null) params.cursor = cursor;
  const response = await apiClient.get<unknown>(`/api/integrations/${encodeURIComponent(provider)}/items`, {
    params,
    signal,
  });
  const data = response.data;
  if (!isObject(data) || !Array.isArray(data.items)) throw unexpectedResponse(response);
  return data as unknown as ItemsPage;
}

export async function disconnect(provider: string): Promise<void> {
  await apiClient.delete(`/api/integrations/${encodeURIComponent(provider)}/connection`);
}
