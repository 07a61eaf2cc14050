import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { ADA, CONSENT_URL, integrationsResponse } from './fixtures';

/** Default handlers: a user with HubSpot connected and one contact. Tests override per case. */
export const handlers = [
  http.get('/api/config', () => HttpResponse.json({ auth_mode: 'dev', sandbox: false, embed_origins: [] })),
  http.get('/api/integrations', () => HttpResponse.json(integrationsResponse('connected'))),
  http.get('/api/integrations/hubspot/authorize', () => HttpResponse.json({ url: CONSENT_URL })),
  http.get('/api/integrations/hubspot/status', () =>
    HttpResponse.json({
      provider: 'hubspot',
      connected: true,
      account_id: '24811358',
      scopes: ['crm.objects.contacts.read', 'oauth', 'crm.objects.companies.read', 'crm.objects.deals.read'],
      expires_at: '2026-11-25T10:00:00Z',
    }),
  ),
  http.get('/api/integrations/hubspot/items', () => HttpResponse.json({ items: [ADA], next_cursor: null })),
  // Totals: the provider cannot tell, so tables show the loaded count alone (tests that want a total override).
  http.get('/api/integrations/:provider/count', () => HttpResponse.json({ total: null })),
  http.delete('/api/integrations/hubspot/connection', () => new HttpResponse(null, { status: 204 })),
  // Discovery: none unless a test offers it (the page then works from the declared kinds and columns).
  http.get('/api/integrations/:provider/object-types', () =>
    HttpResponse.json(
      { type: 'about:blank', title: 'Discovery unsupported', status: 400, code: 'discovery_unsupported', detail: 'No discovery here.' },
      { status: 400, headers: { 'Content-Type': 'application/problem+json' } },
    ),
  ),
  http.get('/api/integrations/:provider/fields', () =>
    HttpResponse.json(
      { type: 'about:blank', title: 'Discovery unsupported', status: 400, code: 'discovery_unsupported', detail: 'No discovery here.' },
      { status: 400, headers: { 'Content-Type': 'application/problem+json' } },
    ),
  ),
  // Live events: none unless a test follows them (the page then shows nothing about live updates).
  http.get('/api/integrations/:provider/events', () =>
    HttpResponse.json(
      { type: 'about:blank', title: 'Events unsupported', status: 400, code: 'events_unsupported', detail: 'No webhooks here.' },
      { status: 400, headers: { 'Content-Type': 'application/problem+json' } },
    ),
  ),
];

export const server = setupServer(...handlers);

export function problemResponse(body: { status: number } & Record<string, unknown>, headers: Record<string, string> = {}) {
  return HttpResponse.json(body, {
    status: body.status,
    headers: { 'Content-Type': 'application/problem+json', ...headers },
  });
}

export const notConnectedHandlers = [
  http.get('/api/integrations', () => HttpResponse.json(integrationsResponse('not_connected'))),
  http.get('/api/integrations/hubspot/status', () => HttpResponse.json({ provider: 'hubspot', connected: false })),
];
