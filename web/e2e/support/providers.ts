// What GET /api/integrations lists (metadata and a fresh user's status), read once per process
// when the specs load: every provider with "sandbox": true gets the generic journey. Refuses to
// run against a server that is not in sandbox mode.

import { BASE_URL, userIdFor } from './env';

export interface ObjectType {
  id: string;
  noun: string;
}
export interface Column {
  key: string;
  label: string;
}
export interface ProviderInfo {
  id: string;
  name: string;
  description?: string;
  permissions: string[];
  sandbox: boolean;
  status: string;
  object_types: ObjectType[];
  columns: Column[];
}

export async function preflight(): Promise<ProviderInfo[]> {
  let response: Response;
  try {
    response = await fetch(`${BASE_URL}/api/integrations`, { headers: { 'X-User-Id': userIdFor('preflight') } });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
    throw new Error(`No server at ${BASE_URL} (${cause}). Start it in sandbox mode first (scripts/browser-tests.sh does).`);
  }
  if (!response.ok) throw new Error(`GET /api/integrations answered ${response.status}`);
  const body = (await response.json()) as { sandbox?: boolean; integrations: ProviderInfo[] };
  if (body.sandbox !== true) throw new Error('the server is not in sandbox mode: refusing to run against real HubSpot');
  if (!body.integrations.some((i) => i.id === 'hubspot')) throw new Error('the server lists no hubspot integration');
  return body.integrations;
}

export const PROVIDERS: ProviderInfo[] = await preflight();

export function provider(id: string): ProviderInfo {
  const info = PROVIDERS.find((p) => p.id === id);
  if (!info) throw new Error(`no provider ${id}`);
  return info;
}
