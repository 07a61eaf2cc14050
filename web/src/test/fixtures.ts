import type { IntegrationItem, IntegrationsResponse } from '../api/models';

export const CONSENT_URL = 'https://sandbox.example/oauth/authorize?client_id=abc&state=xyz';

/** What the server declares about each provider (`ProviderInfo`), trimmed for tests. */
function meta(id: string, name: string, noun: string) {
  return {
    id,
    name,
    description: `${name} records.`,
    object_types: [{ id: `${noun}s`, noun, scopes: [] }],
    columns: [
      { key: 'id', label: 'ID' },
      { key: 'title', label: 'Name' },
    ],
    permissions: [`Read your ${name} ${noun}s`],
    logo_svg: '<svg xmlns="http://www.w3.org/2000/svg"/>',
    pkce: false,
    sandbox: true,
    account_name: null,
  };
}

export function integrationsResponse(
  status: 'connected' | 'not_connected' | 'reauth_required' = 'not_connected',
  sandbox = true,
): IntegrationsResponse {
  return {
    sandbox,
    integrations: [
      { ...meta('notion', 'Notion', 'page'), status: 'not_connected', account_id: null },
      {
        ...meta('hubspot', 'HubSpot', 'contact'),
        status,
        account_id: status === 'not_connected' ? null : '24811358',
      },
    ],
  };
}

export function contact(n: number): IntegrationItem {
  return {
    id: String(n),
    title: `Contact ${n}`,
    item_type: 'contact',
    url: `https://app.hubspot.com/contacts/24811358/record/0-1/${n}`,
    properties: { firstname: 'Contact', lastname: String(n), email: `contact${n}@example.com` },
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-02T00:00:00Z',
  };
}

export function contacts(from: number, count: number): IntegrationItem[] {
  return Array.from({ length: count }, (_, i) => contact(from + i));
}

export const ADA: IntegrationItem = {
  id: '101',
  title: 'Ada Lovelace',
  item_type: 'contact',
  url: 'https://app.hubspot.com/contacts/24811358/record/0-1/101',
  properties: { firstname: 'Ada', lastname: 'Lovelace', email: 'ada@example.com' },
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-02T00:00:00Z',
};

export function problem(status: number, code: string, extra: Record<string, unknown> = {}) {
  return {
    type: `https://vectorshift.ai/problems/${code}`,
    title: code.replace(/_/g, ' '),
    status,
    detail: `Problem: ${code}`,
    code,
    ...extra,
  };
}
