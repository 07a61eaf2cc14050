/** Typed calls to the server's integration endpoints. */
import { apiClient } from './client';
import type { AuthorizeResponse, ConnectionStatus, IntegrationsResponse, ItemsPage } from './types';

export const PAGE_SIZE = 100;

export async function listIntegrations(signal?: AbortSignal): Promise<IntegrationsResponse> {
  const { data } = await apiClient.get<IntegrationsResponse>('/api/integrations', { signal });
  return data;
}

export async function getAuthorizeUrl(provider: string): Promise<string> {
  const { data } = await apiClient.get<AuthorizeResponse>(
    `/api/integrations/${encodeURIComponent(provider)}/authorize`,
    { headers: { Accept: 'application/json' } },
  );
  return data.url;
}

export async function getConnectionStatus(provider: string, signal?: AbortSignal): Promise<ConnectionStatus> {
  const { data } = await apiClient.get<ConnectionStatus>(
    `/api/integrations/${encodeURIComponent(provider)}/status`,
    { signal },
  );
  return data;
}

export async function listItems(
  provider: string,
  cursor: string | null,
  signal?: AbortSignal,
): Promise<ItemsPage> {
  const params: Record<string, string | number> = { limit: PAGE_SIZE };
  if (cursor !== null) params.cursor = cursor;
  const { data } = await apiClient.get<ItemsPage>(`/api/integrations/${encodeURIComponent(provider)}/items`, {
    params,
    signal,
  });
  return data;
}

export async function disconnect(provider: string): Promise<void> {
  await apiClient.delete(`/api/integrations/${encodeURIComponent(provider)}/connection`);
}
