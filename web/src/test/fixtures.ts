import type { IntegrationItem, IntegrationsResponse, IntegrationSummary } from '../api/models';
import { plural } from '../nouns';

export const CONSENT_URL = 'https://sandbox.example/oauth/authorize?client_id=abc&state=xyz';

/** What the server declares about each provider (`ProviderInfo`), trimmed for tests. */
export function meta(
  id: string,
  name: string,
  noun: string,
  extra: Partial<Omit<IntegrationSummary, 'id' | 'name'>> = {},
) {
  return {
    id,
    name,
    description: `${name} records.`,
    object_types: [{ id: plural(noun), noun, scopes: [] as string[] }],
    columns: [
      { key: 'id', label: 'ID' },
      { key: 'title', label: 'Name' },
    ],
    permissions: [`Read your ${name} ${plural(noun)}`],
    logo_svg: `<svg xmlns="http://www.w3.org/2000/svg"><title>${name}</title></svg>`,
    pkce: false,
    search: false,
    sandbox: true,
    account_name: null,
    ...extra,
  };
}

/** HubSpot as its crate declares it: three object types, an e-mail column. */
export const HUBSPOT_META = meta('hubspot', 'HubSpot', 'contact', {
  description: 'CRM contacts, companies and deals from your HubSpot portal.',
  object_types: [
    { id: 'contacts', noun: 'contact', scopes: ['crm.objects.contacts.read'] },
    { id: 'companies', noun: 'company', scopes: ['crm.objects.companies.read'] },
    { id: 'deals', noun: 'deal', scopes: ['crm.objects.deals.read'] },
  ],
  columns: [
    { key: 'id', label: 'ID' },
    { key: 'title', label: 'Name' },
    { key: 'email', label: 'Email' },
  ],
  permissions: ['Read your CRM contacts (names and email addresses)', 'See which portal and user granted access'],
  pkce: true,
  search: true,
});

/** A second provider, shaped differently: one object type, other columns, live (not its sandbox). */
export const NOTION_META = meta('notion', 'Notion', 'page', {
  description: 'Pages and databases shared with VectorShift in your Notion workspace.',
  columns: [
    { key: 'title', label: 'Title' },
    { key: 'item_type', label: 'Type' },
    { key: 'updated_at', label: 'Last edited' },
  ],
  permissions: ['Read the pages and databases you share with VectorShift'],
  sandbox: false,
});

export function integrationsResponse(
  status: 'connected' | 'not_connected' | 'reauth_required' = 'not_connected',
  sandbox = true,
  notionStatus: 'connected' | 'not_connected' | 'reauth_required' = 'not_connected',
): IntegrationsResponse {
  return {
    sandbox,
    integrations: [
      {
        ...HUBSPOT_META,
        sandbox,
        status,
        account_id: status === 'not_connected' ? null : '24811358',
      },
      {
        ...NOTION_META,
        status: notionStatus,
        account_id: notionStatus === 'not_connected' ? null : 'ws-1',
        account_name: notionStatus === 'not_connected' ? null : 'Acme workspace',
      },
    ],
  };
}

/** A Notion page as the Notion provider maps it. */
export function notionPage(n: number): IntegrationItem {
  return {
    id: `page-${n}`,
    title: `Roadmap ${n}`,
    item_type: 'page',
    url: `https://www.notion.so/page-${n}`,
    properties: {},
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-03-04T05:06:00Z',
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
