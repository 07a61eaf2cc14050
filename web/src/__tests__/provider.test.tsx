/**
 * The provider page is generic: everything it says about a provider comes from the metadata
 * `GET /api/integrations` declares. These tests drive a second provider (Notion: one object
 * type, other columns, not a sandbox) and HubSpot's object-type switcher.
 */
import { act, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { ADA, CONSENT_URL, integrationsResponse, notionPage, problem } from '../test/fixtures';
import { postOAuthResult, renderApp, stubPopup } from '../test/render';
import { problemResponse, server } from '../test/server';

const notionNotConnected = [
  http.get('/api/integrations/notion/status', () => HttpResponse.json({ provider: 'notion', connected: false })),
  http.get('/api/integrations/notion/authorize', () => HttpResponse.json({ url: CONSENT_URL })),
];

const notionConnected = [
  http.get('/api/integrations', () => HttpResponse.json(integrationsResponse('connected', true, 'connected'))),
  http.get('/api/integrations/notion/status', () =>
    HttpResponse.json({
      provider: 'notion',
      connected: true,
      status: 'connected',
      account_id: 'ws-1',
      account_name: 'Acme workspace',
    }),
  ),
];

function columnHeaders(): string[] {
  return within(screen.getByRole('table'))
    .getAllByRole('columnheader')
    .map((th) => th.textContent?.replace(/[▲▼↕]/g, '').trim() ?? '');
}

describe('a second provider, from its metadata', () => {
  it('shows its name, description, logo, permissions and no Sandbox badge when it is live', async () => {
    server.use(...notionNotConnected);
    renderApp('/integrations/notion');
    expect(await screen.findByRole('heading', { name: 'Notion', level: 1 })).toBeInTheDocument();
    expect(screen.getByText('Pages and databases shared with VectorShift in your Notion workspace.')).toBeInTheDocument();
    const logo = screen.getByRole('img', { name: 'Notion logo' });
    expect(decodeURIComponent(logo.getAttribute('src') ?? '')).toBe(
      'data:image/svg+xml;utf8,<svg xmlns="http://www.w3.org/2000/svg"><title>Notion</title></svg>',
    );
    const explain = await screen.findByRole('region', { name: 'What happens when you connect' });
    expect(explain).toHaveTextContent('Read the pages and databases you share with VectorShift');
    expect(explain).toHaveTextContent('VectorShift never creates, changes or deletes anything in Notion.');
    expect(screen.getByRole('button', { name: 'Connect Notion' })).toBeInTheDocument();
    // The header says some provider is a sandbox; this page's own card does not.
    const card = screen.getByRole('region', { name: 'Notion' });
    expect(within(card).queryByText('Sandbox')).not.toBeInTheDocument();
    expect(document.title).toMatch(/^Notion · /);
  });

  it("HubSpot's page says it is a sandbox once, in the page's banner, not on its card", async () => {
    renderApp('/integrations/hubspot');
    const card = await screen.findByRole('region', { name: 'HubSpot' });
    expect(within(card).queryByText('Sandbox')).not.toBeInTheDocument();
    expect(await screen.findByRole('note')).toHaveTextContent('HubSpot here is a local sandbox');
  });

  it('lists its items with the declared columns and nouns, and no object-type switcher', async () => {
    const requests: URL[] = [];
    server.use(
      ...notionConnected,
      http.get('/api/integrations/notion/items', ({ request }) => {
        requests.push(new URL(request.url));
        return HttpResponse.json({ items: [notionPage(1), notionPage(2)], next_cursor: null });
      }),
    );
    renderApp('/integrations/notion');
    expect(await screen.findByRole('cell', { name: 'Roadmap 1' })).toBeInTheDocument();
    expect(columnHeaders()).toEqual(['Title', 'Type', 'Last edited', 'Link']);
    expect(screen.getByRole('heading', { name: 'Pages', level: 2 })).toBeInTheDocument();
    expect(screen.getByText('All 2 pages loaded')).toBeInTheDocument();
    expect(screen.getByRole('searchbox', { name: 'Search pages' })).toBeInTheDocument();
    expect(screen.queryByRole('combobox', { name: 'Show' })).not.toBeInTheDocument();
    expect(screen.getByText('Acme workspace')).toBeInTheDocument();
    const link = screen.getAllByRole('link', { name: /Roadmap 1 in Notion \(opens in a new tab\)/ })[0];
    expect(link).toHaveAttribute('href', 'https://www.notion.so/page-1');
    // One kind only: the request names none.
    expect(requests[0]?.searchParams.has('object_type')).toBe(false);
  });

  it('connects through its own popup: "Reopen the Notion window", then "Notion connected"', async () => {
    const { popup } = stubPopup();
    server.use(...notionNotConnected);
    const { user } = renderApp('/integrations/notion');
    await user.click(await screen.findByRole('button', { name: 'Connect Notion' }));
    expect(await screen.findByRole('button', { name: 'Reopen the Notion window' })).toBeInTheDocument();
    await waitFor(() => expect(popup.location.href).toBe(CONSENT_URL));
    server.use(
      ...notionConnected,
      http.get('/api/integrations/notion/items', () => HttpResponse.json({ items: [notionPage(1)], next_cursor: null })),
    );
    act(() => postOAuthResult({ provider: 'notion', result: 'success', account_id: 'ws-1' }));
    expect(await screen.findByRole('heading', { name: 'Notion connected' })).toBeInTheDocument();
    expect(await screen.findByText('All 1 page loaded')).toBeInTheDocument();
  });

  it('ignores a HubSpot result while connecting Notion, and words OAuth errors with its name', async () => {
    stubPopup();
    server.use(...notionNotConnected);
    const { user } = renderApp('/integrations/notion');
    await user.click(await screen.findByRole('button', { name: 'Connect Notion' }));
    await screen.findByRole('button', { name: 'Reopen the Notion window' });
    act(() => postOAuthResult({ provider: 'hubspot', result: 'success' }));
    expect(screen.queryByRole('heading', { name: /connected$/ })).not.toBeInTheDocument();
    act(() => postOAuthResult({ provider: 'notion', result: 'error', error: 'exchange_failed' }));
    expect(await screen.findByRole('heading', { name: 'Could not connect Notion' })).toBeInTheDocument();
    expect(screen.getByText('Notion did not accept the authorization. Please try again.')).toBeInTheDocument();
  });

  it('names the provider in failures: "Notion failed", "Notion is busy"', async () => {
    let calls = 0;
    server.use(
      ...notionConnected,
      http.get('/api/integrations/notion/items', () => {
        calls += 1;
        return calls === 1
          ? problemResponse(problem(502, 'upstream_error'), { 'X-Request-Id': 'req-notion-1' })
          : problemResponse(problem(429, 'rate_limited', { retry_after: 30 }), { 'Retry-After': '30' });
      }),
    );
    const { user } = renderApp('/integrations/notion');
    expect(await screen.findByRole('heading', { name: 'Could not load pages — Notion failed' })).toBeInTheDocument();
    expect(screen.getByText(/Notion failed to answer/)).toBeInTheDocument();
    expect(screen.getByText('req-notion-1')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText(/^Notion is busy — retrying in \d+ s$/)).toBeInTheDocument();
  });

  it('an unknown provider id gets a clear not-found page', async () => {
    renderApp('/integrations/salesforce');
    expect(await screen.findByRole('heading', { name: 'Integration not found', level: 1 })).toBeInTheDocument();
    expect(screen.getByText(/There is no integration called “salesforce”/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: '← All integrations' })).toHaveAttribute('href', '/integrations');
  });
});

describe('object types', () => {
  it('switches between the kinds a provider declares, sending object_type and using its noun', async () => {
    const asked: (string | null)[] = [];
    server.use(
      http.get('/api/integrations/hubspot/items', ({ request }) => {
        const kind = new URL(request.url).searchParams.get('object_type');
        asked.push(kind);
        const item =
          kind === 'companies'
            ? { ...ADA, id: '9001', title: 'Acme Corp', item_type: 'company', properties: { domain: 'acme.example' } }
            : ADA;
        return HttpResponse.json({ items: [item], next_cursor: null });
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
    expect(asked).toEqual(['contacts']);
    const show = screen.getByRole('combobox', { name: 'Show' });
    expect(within(show).getAllByRole('option').map((o) => o.textContent)).toEqual(['Contacts', 'Companies', 'Deals']);
    await user.selectOptions(show, 'companies');
    expect(await screen.findByRole('cell', { name: 'Acme Corp' })).toBeInTheDocument();
    expect(asked.at(-1)).toBe('companies');
    expect(screen.getByRole('heading', { name: 'Companies', level: 2 })).toBeInTheDocument();
    expect(screen.getByText('All 1 company loaded')).toBeInTheDocument();
    expect(screen.queryByRole('cell', { name: 'Ada Lovelace' })).not.toBeInTheDocument();
  });

  it('a kind the server refuses (insufficient_scope) offers to enable it there, and the switcher still works', async () => {
    server.use(
      http.get('/api/integrations/hubspot/items', ({ request }) =>
        new URL(request.url).searchParams.get('object_type') === 'deals'
          ? problemResponse(problem(403, 'insufficient_scope'))
          : HttpResponse.json({ items: [ADA], next_cursor: null }),
      ),
    );
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await user.selectOptions(screen.getByRole('combobox', { name: 'Show' }), 'deals');
    expect(await screen.findByRole('heading', { name: 'HubSpot has not allowed reading deals' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Enable Deals' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Reconnect HubSpot' })).not.toBeInTheDocument();
    await user.selectOptions(screen.getByRole('combobox', { name: 'Show' }), 'contacts');
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
  });
});

describe('generic code', () => {
  it('names no provider: everything provider-specific comes from the metadata', () => {
    const sources = import.meta.glob<string>(['../**/*.{ts,tsx}', '!../__tests__/**', '!../test/**', '!../api/types.ts'], {
      query: '?raw',
      import: 'default',
      eager: true,
    });
    const files = Object.keys(sources);
    expect(files.length).toBeGreaterThan(20);
    const naming = files.filter((file) => /hubspot|notion|airtable/i.test(sources[file] ?? ''));
    expect(naming).toEqual([]);
  });
});
